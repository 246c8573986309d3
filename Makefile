# SPDX-License-Identifier: GPL-2.0-only
# nasoone: all build output goes to $(OUTPUT); the binary, the libraries
# and the pkg-config file land at the top. `make V=1` shows the commands.

OUTPUT ?= .output
CC ?= gcc
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
PREFIX ?= /usr/local
DESTDIR ?=
SYSTEMD_UNITDIR ?= $(PREFIX)/lib/systemd/system
VERSION := 0.1.0
SOVERSION := 0

ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ifeq ($(filter x86 arm64,$(ARCH)),)
$(error Architecture $(ARCH) is not supported yet: add vmlinux/$(ARCH)/vmlinux.h with `make vmlinux`)
endif

CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Werror -Wmissing-field-initializers -Werror=undef
ALL_CFLAGS := -std=gnu11 $(WARNINGS) -Iinclude -Iuser -I$(OUTPUT) -fPIC -pthread \
	-D_GNU_SOURCE $(CFLAGS) $(EXTRA_CFLAGS)
LDLIBS := -lbpf -lelf -lpcap -lz -lpthread
CLI_LDLIBS := -linih
ALL_LDFLAGS := -pthread $(LDFLAGS) $(EXTRA_LDFLAGS)

# Debian packages for building, and for the tests. libsystemd-dev: a static
# link (`pkg-config --static --libs nasoone`) reaches -lsystemd through
# libpcap's dbus-1; systemd: systemd-analyze checks the unit.
BUILD_DEPS := gcc make pkg-config clang llvm libbpf-dev libelf-dev zlib1g-dev \
	libpcap-dev bpftool libcmocka-dev clang-format libinih-dev \
	libsystemd-dev libncurses-dev
TEST_DEPS := tcpdump iproute2 valgrind tshark bc time python3 ethtool netsniff-ng systemd tmux \
	libclang-rt-dev nfdump pmacct

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# user/ follows the data flow: capture/ (packet sources) -> count/ (flow
# tables, threads) -> output/ (consumers of rows), api/ on top, cli/ last;
# row.h, the shared vocabulary, lies below them all.
USER_DIRS := user user/capture user/count user/output user/api
LIB_SRCS := $(foreach d,$(USER_DIRS),$(wildcard $(d)/*.c))
LIB_OBJS := $(patsubst user/%.c,$(OUTPUT)/obj/%.o,$(LIB_SRCS))
HEADERS := $(wildcard include/*.h include/nasoone/*.h $(addsuffix /*.h,$(USER_DIRS) user/cli))

.PHONY: all deps run test test-suite test-lane-computing test-lane-waiting test-asan bench install uninstall clean format format-check vmlinux
.DELETE_ON_ERROR:
.SECONDARY:

all: nasoone libnasoone.a libnasoone.so nasoone.pc

# Installs what the build and the tests need (Debian 12, as root).
deps:
	@missing=""; for p in $(BUILD_DEPS) $(TEST_DEPS); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "  APT     $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(OUTPUT):
	$(Q)mkdir -p $@

$(OUTPUT)/obj/%.o: user/%.c $(HEADERS) | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUTPUT)/libnasoone.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/libnasoone.so: $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) -shared -Wl,-soname,libnasoone.so.$(SOVERSION) $(ALL_LDFLAGS) $^ $(LDLIBS) -o $@

# The command: main.c, the configuration file (libinih) and the live view (cli/top*.c,
# which alone needs ncurses).
CLI_OBJS := $(patsubst user/%.c,$(OUTPUT)/obj/%.o,$(wildcard user/cli/*.c))
CURSES_LDLIBS := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw) -lm

$(OUTPUT)/nasoone: $(CLI_OBJS) $(OUTPUT)/libnasoone.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LDLIBS) $(CLI_LDLIBS) $(CURSES_LDLIBS) -o $@

# The products of the default build also land at the top.
nasoone libnasoone.a libnasoone.so: %: $(OUTPUT)/%
	$(Q)rm -f $@ && cp $< $@

# What the tests run: the build of this $(OUTPUT) (ASan builds have their own).
NASOONE_BIN ?= $(OUTPUT)/nasoone

.PHONY: FORCE
FORCE:

# Regenerated every time: it records PREFIX, which may differ from run to run.
nasoone.pc: FORCE
	$(call msg,GEN,$@)
	$(Q)printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' \
		'includedir=$${prefix}/include' '' 'Name: nasoone' \
		'Description: per-connection traffic reports from interfaces and capture files' \
		'Version: $(VERSION)' 'Requires.private: libbpf libpcap zlib' \
		'Libs: -L$${libdir} -lnasoone' 'Libs.private: -lpthread' \
		'Cflags: -I$${includedir}' > $@

include bpf/bpf.mk
include tests/tests.mk

# The main job on a bundled default: a sample capture made by the
# project's own generator, reported to standard output.
run: deps all $(OUTPUT)/pcapgen
	$(Q)$(OUTPUT)/pcapgen sample $(OUTPUT)/sample.pcap
	./nasoone -r $(OUTPUT)/sample.pcap

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/nasoone $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 nasoone $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 libnasoone.a $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 libnasoone.so $(DESTDIR)$(PREFIX)/lib/libnasoone.so.$(VERSION)
	ln -sf libnasoone.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libnasoone.so.$(SOVERSION)
	ln -sf libnasoone.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libnasoone.so
	install -m 0644 nasoone.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 0644 include/nasoone.h $(DESTDIR)$(PREFIX)/include/
	install -m 0644 man/nasoone.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -d $(DESTDIR)$(PREFIX)/share/nasoone
	install -m 0644 etc/nasoone.toml $(DESTDIR)$(PREFIX)/share/nasoone/
	install -d $(DESTDIR)$(SYSTEMD_UNITDIR)
	sed 's|@BINDIR@|$(PREFIX)/bin|' systemd/nasoone@.service.in \
		>$(DESTDIR)$(SYSTEMD_UNITDIR)/nasoone@.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNITDIR)/nasoone@.service

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/nasoone $(DESTDIR)$(PREFIX)/lib/libnasoone.* \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/nasoone.pc $(DESTDIR)$(PREFIX)/include/nasoone.h \
		$(DESTDIR)$(PREFIX)/share/man/man8/nasoone.8 \
		$(DESTDIR)$(PREFIX)/share/nasoone/nasoone.toml \
		$(DESTDIR)$(SYSTEMD_UNITDIR)/nasoone@.service

FORMAT_FILES = $(wildcard include/*.h include/nasoone/*.h user/*.c user/*.h user/*/*.c user/*/*.h \
	bpf/*.c bpf/*.h \
	tests/*/*.c tests/*/*.h)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	$(call msg,FORMAT,check)
	$(Q)clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf $(OUTPUT) .output-asan nasoone libnasoone.a libnasoone.so nasoone.pc
