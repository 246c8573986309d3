# SPDX-License-Identifier: GPL-2.0-only
# `make bench-bpf`: the eBPF part of the benchmark (needs root): the
# in-kernel cost per packet and the drain rates (tests/bench/bpf_bench.c).
# Included from tests/tests.mk. BPF_BENCH_ARGS go to bpf_bench (e.g.
# -r 100000 for a quicker run).

BPF_BENCH_LDLIBS := -lbpf -lelf -lz
BPF_BENCH_ARGS ?=

$(OUTPUT)/bpf_bench: tests/bench/bpf_bench.c $(OUTPUT)/nasoone.skel.h include/nasoone/flow.h \
		include/nasoone/parse.h | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(ALL_LDFLAGS) $(BPF_BENCH_LDLIBS) -o $@

.PHONY: bench-bpf
bench-bpf: $(OUTPUT)/bpf_bench
	$(Q)$(OUTPUT)/bpf_bench $(BPF_BENCH_ARGS)
