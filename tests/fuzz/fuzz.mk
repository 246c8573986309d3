# SPDX-License-Identifier: GPL-2.0-only
# libFuzzer targets (tests/fuzz), built by clang with ASan and UBSan in
# $(OUTPUT)/fuzz, seeded from pcapgen's captures:
#
#   fuzz_parse  the packet parser, every link type (first byte picks it)
#   fuzz_file   the pcap, pcapng and gzip readers through source_open_file()
#   fuzz_cbpf   the classic-BPF translator against pcap_offline_filter()
#
#   test-fuzz   the regression inputs of tests/fuzz/regressions, then each
#               target for FUZZ_CI_TIME seconds (part of the suite)
#   fuzz        each target of FUZZ_TARGETS for FUZZ_TIME seconds at nice 19
#
# The corpora grow in $(OUTPUT)/fuzz/corpus/TARGET across runs; crashes
# land in $(OUTPUT)/fuzz/artifacts. A crash found there is fixed and its
# input kept as tests/fuzz/regressions/TARGET/NAME.

FUZZ_CC ?= clang
FUZZ_DIR := $(OUTPUT)/fuzz
FUZZ_TARGETS ?= parse file cbpf
FUZZ_CI_TIME ?= 20
FUZZ_TIME ?= 1800
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 $(WARNINGS) -Iinclude -Iuser -I$(OUTPUT) -D_GNU_SOURCE -pthread -g -O1 \
	$(FUZZ_SAN)
FUZZ_ALL := parse file cbpf
FUZZ_BINS := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_ALL))
FUZZ_SEEDS := $(patsubst %,$(FUZZ_DIR)/seeds/%.stamp,$(FUZZ_ALL))
fuzz_objs = $(patsubst %,$(FUZZ_DIR)/obj/%.o,$(1))

.PHONY: test-fuzz fuzz fuzz-build

# The project's code is instrumented for coverage, libpcap and zlib are not.
$(FUZZ_DIR)/obj/%.o: user/%.c $(HEADERS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/fuzz_parse: $(call fuzz_objs,capture/packet)
$(FUZZ_DIR)/fuzz_file: $(call fuzz_objs,capture/packet capture/input capture/pcapfile \
	capture/pcapng capture/source capture/mapguard)
$(FUZZ_DIR)/fuzz_cbpf: $(call fuzz_objs,capture/cbpf)
$(FUZZ_BINS): $(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(HEADERS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(filter %.o,$^) $(LDLIBS) -o $@

$(FUZZ_DIR)/mkseeds: tests/fuzz/mkseeds.c tests/fuzz/fuzz.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $< -lpcap -o $@

# Seeds: the generator's captures (damaged ones too) for the file readers,
# cut to 64 KiB; their frames for the parser; compiled expressions with
# their Ethernet frames for the translator.
FUZZ_CAPTURES = $(wildcard $(GEN_DIR)/rules/*.pcap*) $(wildcard $(GEN_DIR)/corrupt/*.pcap*)

$(FUZZ_DIR)/seeds/file.stamp: $(GEN_DIR)/rules/MANIFEST $(GEN_DIR)/corrupt/README
	$(call msg,GEN,$(FUZZ_DIR)/seeds/file)
	$(Q)rm -rf $(FUZZ_DIR)/seeds/file && mkdir -p $(FUZZ_DIR)/seeds/file && \
	for f in $(FUZZ_CAPTURES); do \
		head -c 65536 "$$f" > $(FUZZ_DIR)/seeds/file/$$(basename "$$f"); done && touch $@

$(FUZZ_DIR)/seeds/parse.stamp $(FUZZ_DIR)/seeds/cbpf.stamp: $(FUZZ_DIR)/seeds/%.stamp: \
		$(FUZZ_DIR)/mkseeds $(GEN_DIR)/rules/MANIFEST
	$(call msg,GEN,$(FUZZ_DIR)/seeds/$*)
	$(Q)rm -rf $(FUZZ_DIR)/seeds/$* && mkdir -p $(FUZZ_DIR)/seeds/$* && \
	$(FUZZ_DIR)/mkseeds $* $(FUZZ_DIR)/seeds/$* $(wildcard $(GEN_DIR)/rules/*.pcap*) \
		>/dev/null && touch $@

fuzz-build: $(FUZZ_BINS) $(FUZZ_SEEDS)

test-fuzz: fuzz-build
	$(Q)tests/fuzz/run.sh ci $(FUZZ_DIR) $(FUZZ_CI_TIME) $(FUZZ_ALL)

fuzz: fuzz-build
	$(Q)tests/fuzz/run.sh campaign $(FUZZ_DIR) $(FUZZ_TIME) $(FUZZ_TARGETS)
