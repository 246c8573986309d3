# SPDX-License-Identifier: GPL-2.0-only
# pcapgen (tests/gen): deterministic captures with their expected reports,
# and the tests that run nasoone, and the tshark oracle, on them.
#
#   test-gen         nasoone on the rules and corrupt captures (-j 1/-j 4 too)
#   test-gen-oracle  the generator's expected reports against oracle.py
#   test-corpus      nasoone on the shared corpus of real captures

GEN_SRCS := $(wildcard tests/gen/*.c)
GEN_HDRS := $(wildcard tests/gen/*.h)
GEN_DIR := $(OUTPUT)/gen
CORPUS_DIR ?= ../shared/corpus

.PHONY: test-gen test-gen-oracle test-corpus

$(OUTPUT)/pcapgen: $(GEN_SRCS) $(GEN_HDRS) | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(GEN_SRCS) $(ALL_LDFLAGS) -lz -o $@

# The manifests are written last: each stands for a complete set, so
# parallel targets share one generation.
$(GEN_DIR)/rules/MANIFEST: $(OUTPUT)/pcapgen
	$(call msg,GEN,$(GEN_DIR)/rules)
	$(Q)rm -rf $(GEN_DIR)/rules && $(OUTPUT)/pcapgen rules $(GEN_DIR)/rules

$(GEN_DIR)/corrupt/README: $(OUTPUT)/pcapgen
	$(call msg,GEN,$(GEN_DIR)/corrupt)
	$(Q)rm -rf $(GEN_DIR)/corrupt && $(OUTPUT)/pcapgen corrupt $(GEN_DIR)/corrupt

test-gen: $(OUTPUT)/pcapgen $(NASOONE_BIN) $(GEN_DIR)/rules/MANIFEST $(GEN_DIR)/corrupt/README
	$(Q)tests/gen/run-rules.sh $(NASOONE_BIN) $(GEN_DIR)/rules $(GEN_DIR)/corrupt
	$(Q)tests/gen/run-filters.sh $(NASOONE_BIN) $(GEN_DIR)/rules
	$(Q)tests/gen/run-outputs.sh $(NASOONE_BIN) $(OUTPUT)/pcapgen $(GEN_DIR)/rules $(CORPUS_DIR)/pcaps

test-gen-oracle: $(GEN_DIR)/rules/MANIFEST $(GEN_DIR)/corrupt/README
	$(Q)tests/gen/run-oracle.sh $(CORPUS_DIR)/oracle.py $(GEN_DIR)/rules $(GEN_DIR)/corrupt

test-corpus: $(NASOONE_BIN)
	$(Q)tests/gen/run-corpus.sh $(NASOONE_BIN) $(CORPUS_DIR)/pcaps
