# SPDX-License-Identifier: GPL-2.0-only
# Command-line tests: tests/cli/test_cli.sh runs $(NASOONE_BIN) on captures
# made by $(OUTPUT)/pcapgen and ends with "N passed, N failed".

.PHONY: test-cli

test-cli: $(NASOONE_BIN) $(OUTPUT)/pcapgen
	$(call msg,TEST,cli)
	$(Q)bash tests/cli/test_cli.sh $(NASOONE_BIN) $(OUTPUT)/pcapgen
