# SPDX-License-Identifier: GPL-2.0-only
# The systemd unit as `make install` puts it: installed into a staging
# folder (DESTDIR) and checked by tests/systemd/test_unit.sh.

SYSTEMD_STAGE := $(OUTPUT)/systemd-stage

.PHONY: test-systemd

test-systemd: all
	$(call msg,TEST,systemd)
	$(Q)rm -rf $(SYSTEMD_STAGE)
	$(Q)$(MAKE) --no-print-directory install DESTDIR=$(abspath $(SYSTEMD_STAGE)) >/dev/null
	$(Q)bash tests/systemd/test_unit.sh $(SYSTEMD_STAGE) $(PREFIX) $(SYSTEMD_UNITDIR)
