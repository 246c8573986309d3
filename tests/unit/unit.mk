# SPDX-License-Identifier: GPL-2.0-only
# Unit tests: every tests/unit/test_*.c is one cmocka binary,
# $(OUTPUT)/tests/test_*, linked against the static library. `make test-unit`
# builds and runs them all, counts the tests of every binary from cmocka's
# output, and ends with "N passed, N failed" (failing if any test failed).

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))

.PHONY: test-unit

# The library may have no objects yet; ar still needs the directory.
$(OUTPUT)/libnasoone.a: | $(OUTPUT)

$(UNIT_BINS): $(OUTPUT)/tests/%: tests/unit/%.c $(OUTPUT)/libnasoone.a $(HEADERS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(OUTPUT)/libnasoone.a $(TEST_LDLIBS) -o $@

# A binary's tests are its "[ RUN ]" lines; each is followed by the test's
# result line ("[ OK ]", "[ SKIPPED ]" or "[ FAILED ]"), up to the
# "[==========] N test(s) run." line that starts each group's summary. A test
# without a passing or skipped line failed (so does the one running when a
# sanitizer or a crash ends the binary), and a binary that exits non-zero
# with no test missing still counts one failure. Binaries should make
# stdout line-buffered, or lines still buffered at a crash are lost. Logs
# are kept as $(OUTPUT)/tests/*.log and shown when something failed.
UNIT_COUNT := awk '/^\[==========\] Running/ { done = 0 } \
	/^\[==========\] [0-9]+ test\(s\) run/ { done = 1 } done { next } \
	/^\[ RUN      \]/ { run++ } /^\[       OK \]/ { ok++ } \
	/^\[  SKIPPED \]/ { skip++ } END { print run + 0, ok + 0, skip + 0 }'

test-unit: $(UNIT_BINS)
	$(Q)pass=0; fail=0; \
	for t in $(UNIT_BINS); do \
		printf '  %-8s %s\n' TEST "$$t"; \
		CMOCKA_MESSAGE_OUTPUT=stdout "$$t" >"$$t.log" 2>&1; rc=$$?; \
		set -- $$($(UNIT_COUNT) "$$t.log"); \
		bad=$$(($$1 - $$2 - $$3)); \
		if [ $$rc -ne 0 ] && [ $$bad -le 0 ]; then bad=1; fi; \
		pass=$$((pass + $$2)); fail=$$((fail + bad)); \
		if [ $$bad -ne 0 ]; then cat "$$t.log"; fi; \
	done; \
	echo "$$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]
