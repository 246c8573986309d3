# SPDX-License-Identifier: GPL-2.0-only
# Tests of `nasoone top` driven through tmux (tests/top/run.sh): the screen
# against the report of the same capture, sorting, filters, the per-host
# summary, pause/resume, q and signals, resize, --report, and live on veth
# pairs in private namespaces in each mode (those need root, else SKIPPED).
# TOP_ONLY=WORD runs only the tests whose name contains WORD.

.PHONY: test-top

test-top: $(NASOONE_BIN) $(OUTPUT)/pcapgen
	$(call msg,TEST,top)
	$(Q)bash tests/top/run.sh $(NASOONE_BIN) $(OUTPUT)/pcapgen $(OUTPUT)/top
