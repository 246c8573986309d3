# SPDX-License-Identifier: GPL-2.0-only
# IPFIX export against real collectors (tests/ipfix/run.sh): nfdump's
# nfcapd, pmacct's nfacctd and tshark's IPFIX dissector on loopback, for
# generated and corpus captures, an XDP replay, a live veth run, timeouts,
# TCP reconnection and a flood of 1M flows. Most need root.
# IPFIX_ONLY="test_a test_b" runs only those tests.

IPFIX_OUT := $(OUTPUT)/ipfix

.PHONY: test-ipfix

test-ipfix: $(NASOONE_BIN) $(OUTPUT)/pcapgen
	$(call msg,TEST,ipfix)
	$(Q)tests/ipfix/run.sh $(NASOONE_BIN) $(OUTPUT)/pcapgen $(IPFIX_OUT) $(CORPUS_DIR)/pcaps
