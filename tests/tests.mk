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

# `make test`: install, build, and run the whole suite, then the same unit
# and end-to-end tests again under ASan+UBSan.
test: deps all
	$(Q)$(MAKE) --no-print-directory test-suite
	$(Q)$(MAKE) --no-print-directory test-asan

test-suite: format-check test-unit test-api test-bpf test-gen test-corpus test-cli test-alerts \
	test-systemd test-valgrind test-e2e test-top test-fuzz test-ipfix

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
	$(Q)$(MAKE) --no-print-directory bench-bpf
	$(Q)$(MAKE) --no-print-directory bench-top

# The file path under valgrind: every generated capture, damaged ones
# included, must run without a memory error or leak (exit 99 marks one).
test-valgrind: $(NASOONE_BIN) $(OUTPUT)/pcapgen
	$(Q)$(OUTPUT)/pcapgen rules $(OUTPUT)/valgrind >/dev/null && \
	$(OUTPUT)/pcapgen corrupt $(OUTPUT)/valgrind >/dev/null && \
	pass=0; fail=0; for f in $(OUTPUT)/valgrind/*.pcap*; do \
		valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			$(NASOONE_BIN) -r $$f -w /dev/null -j 2 >/dev/null 2>$(OUTPUT)/valgrind/last.log; \
		if [ $$? -eq 99 ]; then fail=$$((fail + 1)); echo "[valgrind $$f] FAIL"; \
			cat $(OUTPUT)/valgrind/last.log; else pass=$$((pass + 1)); fi; \
	done; echo "valgrind: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]
