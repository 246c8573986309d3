/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The eBPF packet source: load the BPF object, give every online CPU its own
 * flow maps (IPv4 and IPv6, and a spare of each), attach XDP/TC with
 * bpf_link, and drain: swap a CPU's maps for their spares (an update returns
 * once no program can still use the old map), then read the retired maps at
 * leisure. No count is lost or
 * counted twice. Threads are the pipeline's; this module only offers the
 * operations.
 */
#ifndef NASOONE_BPF_SRC_H
#define NASOONE_BPF_SRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "row.h"
#include "nasoone.h"
#include "capture/packet.h"

enum bpf_src_mode {
	BPF_SRC_XDP, /* XDP on ingress, TC on egress */
	BPF_SRC_TC,  /* TC on ingress and egress */
};

struct bpf_src_opts {
	const char *ifname; /* NULL: replay mode, packets come from bpf_src_replay() */
	enum bpf_src_mode mode;
	const char *filter;	/* pcap-filter expression or NULL */
	uint32_t flows_per_cpu; /* 0: NN_FLOWS_PER_CPU */
	uint32_t ring_bytes;	/* 0: NN_OVERFLOW_RING_BYTES */
};

struct bpf_src;

/* Called for every drained row (first/last already in ms since the epoch). */
typedef void (*bpf_src_row_fn)(const struct flow_row *row, void *ctx);

/*
 * Load, configure and (with an interface) attach. -EPERM (no privilege),
 * -ENODEV (no interface), -EOPNOTSUPP (a kernel feature is missing),
 * -EINVAL (filter), with a one-line reason in err.
 */
int bpf_src_open(struct bpf_src **out, const struct bpf_src_opts *opts, char *err, size_t errlen);
/* What runs, for the one line the user sees ("XDP (native) on eth0 ingress, ..."). */
const char *bpf_src_describe(const struct bpf_src *b);
/* Possible CPUs: CPU ids (and mask bits) go from 0 to this, less 1. */
unsigned int bpf_src_ncpus(const struct bpf_src *b);
/* Attached through netlink cls_bpf: detaching it needs CAP_NET_ADMIN. */
bool bpf_src_uses_netlink(const struct bpf_src *b);
/* Has this CPU a flow map to drain (it was online at open)? */
bool bpf_src_cpu_counts(const struct bpf_src *b, unsigned int cpu);
/*
 * Swap CPU cpu's maps (IPv4 and IPv6) for their spares and hand every row of
 * the retired ones to fn; 0 for a CPU without maps. On an error the rows not
 * read stay in their map, which the next drain reads.
 */
int bpf_src_drain(struct bpf_src *b, unsigned int cpu, bpf_src_row_fn fn, void *ctx);
/*
 * Consume overflow records for up to timeout_ms; full_cpus (a mask of
 * cpumask_words(bpf_src_ncpus(b)) words, capture/cpumask.h) gets a bit set
 * per CPU whose map overflowed (drain those early). Returns records or -errno.
 */
int bpf_src_poll_ring(struct bpf_src *b, int timeout_ms, bpf_src_row_fn fn, void *ctx,
		      uint64_t *full_cpus);
/* Replay mode: run one captured frame through the program with its capture time. */
int bpf_src_replay(struct bpf_src *b, const struct packet *p);
void bpf_src_set_paused(struct bpf_src *b, bool paused);
/* Kernel counters into stats (received, counted, skipped, filtered, paused, ...). */
void bpf_src_stats(struct bpf_src *b, struct nasoone_stats *stats);
/*
 * Detach from the interface (links closed): no program starts any more, but
 * one already running may still count (a generic XDP detach does not wait
 * for them); the next swap of a CPU's map waits for those.
 */
void bpf_src_detach(struct bpf_src *b);
void bpf_src_close(struct bpf_src *b);

/* Can this process run the eBPF path here? 0, or -errno with the reason. */
int bpf_src_probe(char *why, size_t len);

#endif /* NASOONE_BPF_SRC_H */
