# SPDX-License-Identifier: GPL-2.0-only
# The public API as an application sees it: `make install` into a staging
# directory, then tests/api/*.c built with only the installed header and
# library (pkg-config), run against a capture from the generator.

API_STAGE := $(abspath $(OUTPUT))/stage
API_PC := PKG_CONFIG_PATH=$(API_STAGE)/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$(API_STAGE)

.PHONY: test-api

$(API_STAGE)/.installed: nasoone libnasoone.a libnasoone.so include/nasoone.h
	$(call msg,INSTALL,$(API_STAGE))
	$(Q)rm -rf $(API_STAGE) && $(MAKE) --no-print-directory install DESTDIR=$(API_STAGE) \
		PREFIX=/usr >/dev/null && touch $@

$(OUTPUT)/tests/api_%: tests/api/test_%.c $(API_STAGE)/.installed
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=c11 -Wall -Wextra -Werror $$($(API_PC) pkg-config --cflags nasoone) $< \
		$$($(API_PC) pkg-config --libs nasoone) -lcmocka -o $@

$(OUTPUT)/api/traffic.pcap: $(OUTPUT)/pcapgen
	$(Q)mkdir -p $(@D)
	$(Q)$(OUTPUT)/pcapgen mix --packets 300000 --flows 30000 --seed 7 $@ >/dev/null

test-api: $(OUTPUT)/tests/api_consumers $(OUTPUT)/api/traffic.pcap
	$(call msg,TEST,$<)
	$(Q)CMOCKA_MESSAGE_OUTPUT=stdout LD_LIBRARY_PATH=$(API_STAGE)/usr/lib \
		$(OUTPUT)/tests/api_consumers $(OUTPUT)/api/traffic.pcap $(OUTPUT)/api \
		>$(OUTPUT)/tests/api_consumers.log 2>&1; rc=$$?; \
	set -- $$($(UNIT_COUNT) $(OUTPUT)/tests/api_consumers.log); bad=$$(($$1 - $$2 - $$3)); \
	if [ $$rc -ne 0 ] && [ $$bad -le 0 ]; then bad=1; fi; \
	[ $$bad -eq 0 ] || cat $(OUTPUT)/tests/api_consumers.log; \
	echo "api: $$2 passed, $$bad failed"; [ $$bad -eq 0 ]
