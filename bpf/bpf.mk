# SPDX-License-Identifier: GPL-2.0-only
# BPF objects and skeletons (see bpf/), the vmlinux.h they are built
# against, and the BPF_PROG_TEST_RUN tests (tests/bpf/).

VMLINUX_DIR := vmlinux/$(ARCH)
BPF_HEADERS := $(VMLINUX_DIR)/vmlinux.h include/nasoone/flow.h include/nasoone/parse.h \
	$(wildcard bpf/*.bpf.h)

# clang -target bpf does not search the host's multiarch include directory
# (/usr/include/x86_64-linux-gnu on Debian, where asm/types.h lives), so
# pass the directories that the host clang would search, after our own
# (libbpf-bootstrap). BPF_CFLAGS is recursive so that this only runs when
# something is built for BPF.
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

BPF_CFLAGS = -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(VMLINUX_DIR) -Iinclude \
	$(CLANG_BPF_SYS_INCLUDES) -Wall -Werror

# -g gives the object its BTF; the DWARF is then dropped (BTF stays).
$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HEADERS) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o | $(OUTPUT)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# Userspace objects that include the skeleton must wait for it.
$(filter $(addprefix $(OUTPUT)/obj/capture/,bpf_src.o bpf_replay.o bpf_stats.o),$(LIB_OBJS)): $(OUTPUT)/nasoone.skel.h

# `make vmlinux`: regenerate vmlinux/$(ARCH)/vmlinux_<major><minor>.h
# (bcc naming: 6.18 -> vmlinux_618.h) from the running kernel's BTF and
# point vmlinux.h at it. Only for the architecture of the running kernel.
HOST_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
KERNEL_VER := $(shell uname -r | awk -F. '{ printf "%d%02d", $$1, $$2 }')
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

vmlinux:
	$(Q)if [ "$(ARCH)" != "$(HOST_ARCH)" ]; then \
		echo "make vmlinux: ARCH=$(ARCH) but the running kernel is $(HOST_ARCH);" \
			"run it on a $(ARCH) machine" >&2; exit 1; fi
	$(Q)if [ ! -r $(VMLINUX_BTF) ]; then \
		echo "make vmlinux: $(VMLINUX_BTF) missing: the kernel needs CONFIG_DEBUG_INFO_BTF=y" >&2; \
		exit 1; fi
	$(call msg,GEN,$(VMLINUX_DIR)/vmlinux_$(KERNEL_VER).h)
	$(Q)mkdir -p $(VMLINUX_DIR)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $(VMLINUX_DIR)/.vmlinux.h.tmp || \
		{ rm -f $(VMLINUX_DIR)/.vmlinux.h.tmp; exit 1; }
	$(Q)mv $(VMLINUX_DIR)/.vmlinux.h.tmp $(VMLINUX_DIR)/vmlinux_$(KERNEL_VER).h
	$(Q)ln -sfn vmlinux_$(KERNEL_VER).h $(VMLINUX_DIR)/vmlinux.h

# BPF_PROG_TEST_RUN: the BPF build of the parser against the userspace build.
BPF_TEST_LDLIBS := -lbpf -lelf -lz -lcmocka

$(OUTPUT)/test_prog_run: tests/bpf/test_prog_run.c tests/bpf/pkts.h $(OUTPUT)/nasoone.skel.h \
		include/nasoone/flow.h include/nasoone/parse.h | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(ALL_LDFLAGS) $(BPF_TEST_LDLIBS) -o $@

.PHONY: test-bpf
test-bpf: $(OUTPUT)/test_prog_run
	$(Q)$(OUTPUT)/test_prog_run
