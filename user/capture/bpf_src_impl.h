/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the parts of the eBPF source share (bpf_src.c: load, attach,
 * drain; bpf_replay.c: capture frames through BPF_PROG_TEST_RUN;
 * bpf_stats.c: the kernel counters). Not for other modules.
 */
#ifndef NASOONE_BPF_SRC_IMPL_H
#define NASOONE_BPF_SRC_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/bpf_src.h"

struct bpf_src {
	struct nasoone_bpf *skel;
	enum bpf_src_mode mode;
	bool replay;
	unsigned int ncpus; /* slots of the outer map: one per possible CPU */
	uint64_t *online;   /* the CPUs online at open, the only ones with maps */
	/* Per CPU: the map in its slot and the next one, or -1; IPv6 ("flows") and IPv4 ("flows4").
	 */
	int *active, *spare;
	int *active4, *spare4;
	uint32_t flows_per_cpu;
	int filter_fds[2]; /* translated filter programs (XDP, TC), or -1 */
	int links[2];	   /* ingress and egress bpf_link fds, or -1 */
	bool netlink[2];   /* ingress/egress attached as netlink cls_bpf instead */
	int ifindex;
	struct ring_buffer *ring;
	/* Set for the duration of bpf_src_poll_ring(): the ring callback's context. */
	bpf_src_row_fn ring_fn;
	void *ring_ctx;
	uint64_t *ring_full;
	uint64_t last_fill_max;	     /* most entries found in one retired map */
	uint64_t filtered_published; /* the largest filtered count bpf_src_stats() gave */
	uint64_t replay_refused;     /* short frames the TC test run refuses, all skipped */
	char description[256];
};

#endif /* NASOONE_BPF_SRC_IMPL_H */
