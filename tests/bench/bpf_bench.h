/* SPDX-License-Identifier: GPL-2.0-only */
/* What the parts of the eBPF benchmark share (bpf_bench.c, bpf_drain_bench.c). */
#ifndef NASOONE_BPF_BENCH_H
#define NASOONE_BPF_BENCH_H

#include <linux/types.h>

#include "nasoone/flow.h"
#include "nasoone.skel.h"

#define DRAIN_BATCH 4096 /* as user/capture/bpf_src.c */
#define FILL_BATCH  65536

extern unsigned int drain_flows, rounds;
extern int ncpus, mismatches;
extern struct nasoone_bpf *skel;

void die(const char *what, int err) __attribute__((noreturn));
__u64 now_ns(void);
int new_map(__u32 entries);
/* Part 2: fill, swap and drain every CPU's map, and print the table. */
void bench_drain(void);

#endif /* NASOONE_BPF_BENCH_H */
