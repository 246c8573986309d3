# SPDX-License-Identifier: GPL-2.0-only
# Test and benchmark targets. Each part of the suite has its own fragment;
# every runner ends with a plain "N passed, N failed" line.

TEST_LDLIBS := $(LDLIBS) -lcmocka

include tests/gen/gen.mk
include tests/unit/unit.mk
include tests/cli/cli.mk
include tests/e2e/e2e.mk
include tests/alerts/alerts.mk
include tests/systemd/systemd.mk
include tests/api/api.mk
include tests/top/top.mk
include tests/fuzz/fuzz.mk
include tests/ipfix/ipfix.mk
-include tests/bench/bench.mk

# `make test`: install, build, and run the whole suite, and the unit, CLI,
# generator and view tests again under ASan+UBSan, in two lanes side by
# side. The live, replay and collector tests mostly wait (on the kernel's
# verifier, timers, collectors, tmux); the others mostly compute. Each lane
# runs its parts one after the other (-j1); the waiting lane's lines go to
# $(OUTPUT)/test-waiting.log and are printed when it ends, so the two lanes'
# lines do not mix. `make test-suite` runs the suite in one lane.
TEST_COMPUTING := format-check test-unit test-api test-bpf test-gen test-corpus test-cli \
	test-systemd test-valgrind test-fuzz
TEST_WAITING := test-e2e test-ipfix test-alerts test-top

test: deps all $(OUTPUT)/pcapgen
	$(Q)$(MAKE) --no-print-directory -j2 test-lane-computing test-lane-waiting

test-lane-computing:
	$(Q)$(MAKE) --no-print-directory -j1 $(TEST_COMPUTING) test-asan

test-lane-waiting:
	$(Q)echo "  TEST     $(TEST_WAITING) (lines in $(OUTPUT)/test-waiting.log, printed at its end)"
	$(Q)$(MAKE) --no-print-directory -j1 $(TEST_WAITING) >$(OUTPUT)/test-waiting.log 2>&1; \
		rc=$$?; cat $(OUTPUT)/test-waiting.log; exit $$rc

test-suite: $(TEST_COMPUTING) $(TEST_WAITING)

# The suite again, built with AddressSanitizer and UndefinedBehaviorSanitizer
# in a separate output directory.
test-asan:
	$(Q)$(MAKE) --no-print-directory OUTPUT=.output-asan \
		EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" \
		test-unit test-gen test-cli test-top

# The benchmark (not a test): figures for the README, see tests/bench/bench.sh.
$(OUTPUT)/pcap_floor: tests/bench/pcap_floor.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< -lpcap -o $@

# snap_bench uses the public API only, like any program linking libnasoone.
$(OUTPUT)/snap_bench: tests/bench/snap_bench.c $(OUTPUT)/libnasoone.a include/nasoone.h | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(OUTPUT)/libnasoone.a $(ALL_LDFLAGS) $(LDLIBS) -o $@

bench: deps all $(OUTPUT)/pcapgen $(OUTPUT)/pcap_floor $(OUTPUT)/snap_bench
	$(Q)tests/bench/bench.sh $(NASOONE_BIN) $(OUTPUT)/pcapgen $(OUTPUT)/pcap_floor $(OUTPUT)/bench
	$(Q)tests/bench/alerts.sh $(NASOONE_BIN) $(OUTPUT)/pcapgen $(OUTPUT)/bench
	$(Q)tests/bench/consumers.sh $(NASOONE_BIN) $(OUTPUT)/snap_bench $(OUTPUT)/pcapgen $(OUTPUT)/bench
	$(Q)tests/bench/export.sh $(NASOONE_BIN) $(OUTPUT)/pcapgen $(OUTPUT)/bench
	$(Q)tests/bench/pcap_filter.sh $(NASOONE_BIN) $(OUTPUT)/bench-pcap-filter
	$(Q)$(MAKE) --no-print-directory bench-bpf
	$(Q)$(MAKE) --no-print-directory bench-top

# The file path under valgrind: every generated capture, damaged ones
# included, must run without a memory error or leak (exit 99 marks one),
# with two counters on the file (planned for 3 CPUs, so even on 2).
test-valgrind: $(NASOONE_BIN) $(OUTPUT)/pcapgen
	$(Q)$(OUTPUT)/pcapgen rules $(OUTPUT)/valgrind >/dev/null && \
	$(OUTPUT)/pcapgen corrupt $(OUTPUT)/valgrind >/dev/null && \
	pass=0; fail=0; for f in $(OUTPUT)/valgrind/*.pcap*; do \
		NASOONE_CPUS=3 valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite \
			$(NASOONE_BIN) -r $$f -w /dev/null -j 2 >/dev/null 2>$(OUTPUT)/valgrind/last.log; \
		if [ $$? -eq 99 ]; then fail=$$((fail + 1)); echo "[valgrind $$f] FAIL"; \
			cat $(OUTPUT)/valgrind/last.log; else pass=$$((pass + 1)); fi; \
	done; echo "valgrind: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]
