# SPDX-License-Identifier: GPL-2.0-only
# `make bench-bpf`: the eBPF part of the benchmark (needs root): the
# in-kernel cost per packet and the drain rates (tests/bench/bpf_bench.c),
# then live capture on a veth pair (tests/bench/bpf_live.sh). Included
# from tests/tests.mk. BPF_BENCH_ARGS go to bpf_bench (e.g. -r 100000 for
# a quicker run); bpf_live.sh reads LIVE_* variables from the environment.

BPF_BENCH_LDLIBS := -lbpf -lelf -lz
BPF_BENCH_ARGS ?=

# The benchmark's own build of the program (NN_BENCH_NEW_FLOWS, see
# bpf/nasoone.bpf.c): its repeat loop inserts a new flow at every run.
$(OUTPUT)/nasoone_bench.bpf.o: bpf/nasoone.bpf.c $(BPF_HEADERS) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DNN_BENCH_NEW_FLOWS -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/nasoone_bench.skel.h: $(OUTPUT)/nasoone_bench.bpf.o | $(OUTPUT)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name nasoone_bench > $@

$(OUTPUT)/bpf_bench: tests/bench/bpf_bench.c tests/bench/bpf_drain_bench.c tests/bench/bpf_bench.h \
		$(OUTPUT)/nasoone.skel.h $(OUTPUT)/nasoone_bench.skel.h include/nasoone/flow.h \
		include/nasoone/parse.h | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(filter %.c,$^) $(ALL_LDFLAGS) $(BPF_BENCH_LDLIBS) -o $@

# The XDP_PASS floor that bpf_live.sh attaches with ip(8).
$(OUTPUT)/bench_xdp_pass.o: tests/bench/xdp_pass.bpf.c $(VMLINUX_DIR)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

.PHONY: bench-bpf
bench-bpf: $(OUTPUT)/bpf_bench $(OUTPUT)/bench_xdp_pass.o $(NASOONE_BIN)
	$(Q)$(OUTPUT)/bpf_bench $(BPF_BENCH_ARGS)
	$(Q)LIVE_XDP_FLOOR=$(OUTPUT)/bench_xdp_pass.o tests/bench/bpf_live.sh $(NASOONE_BIN) \
		$(OUTPUT)/bench-live
