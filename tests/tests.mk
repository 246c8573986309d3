# SPDX-License-Identifier: GPL-2.0-only
# Test and benchmark targets. Each part of the suite has its own fragment;
# every runner ends with a plain "N passed, N failed" line.

TEST_LDLIBS := $(LDLIBS) -lcmocka

include tests/gen/gen.mk
include tests/unit/unit.mk
include tests/cli/cli.mk

# `make test`: install, build, and run the whole suite, then the same unit
# and end-to-end tests again under ASan+UBSan.
test: deps all
	$(Q)$(MAKE) --no-print-directory test-suite
	$(Q)$(MAKE) --no-print-directory test-asan

test-suite: test-unit test-bpf test-gen test-corpus test-cli

# The suite again, built with AddressSanitizer and UndefinedBehaviorSanitizer
# in a separate output directory.
test-asan:
	$(Q)$(MAKE) --no-print-directory OUTPUT=.output-asan \
		EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" \
		test-unit test-gen test-cli

# The benchmark (not a test): figures for the README, see tests/bench/bench.sh.
$(OUTPUT)/pcap_floor: tests/bench/pcap_floor.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< -lpcap -o $@

bench: deps all $(OUTPUT)/pcapgen $(OUTPUT)/pcap_floor
	$(Q)tests/bench/bench.sh $(NASOONE_BIN) $(OUTPUT)/pcapgen $(OUTPUT)/pcap_floor $(OUTPUT)/bench
