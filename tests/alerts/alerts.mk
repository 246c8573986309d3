# SPDX-License-Identifier: GPL-2.0-only
# Alerts, the configuration file and the modes through the command:
# tests/alerts/run.sh (the live part needs root and namespaces, else it
# is skipped) ends with "N passed, N failed".

.PHONY: test-alerts

test-alerts: $(NASOONE_BIN) $(OUTPUT)/pcapgen
	$(call msg,TEST,alerts)
	$(Q)bash tests/alerts/run.sh $(NASOONE_BIN) $(OUTPUT)/pcapgen $(OUTPUT)/alerts
