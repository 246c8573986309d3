# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests (tests/e2e/run.sh): the XDP and TC paths of
# $(NASOONE_BIN) against libpcap, on replayed captures and live on veth
# pairs in network namespaces of their own, plus attach/detach and
# privileges. Most need root; a test that cannot run says SKIPPED and why.
# E2E_ONLY=WORD runs only tests/e2e/test-*WORD*.sh.

E2E_OUT := $(OUTPUT)/e2e

.PHONY: test-e2e

test-e2e: $(NASOONE_BIN) $(OUTPUT)/pcapgen
	$(call msg,TEST,e2e)
	$(Q)tests/e2e/run.sh $(NASOONE_BIN) $(OUTPUT)/pcapgen $(E2E_OUT)
