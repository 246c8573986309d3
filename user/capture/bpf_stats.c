/* SPDX-License-Identifier: GPL-2.0-only */
/* The eBPF source's statistics: the program's per-CPU counters, read in an order that never wraps.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdlib.h>
#include <string.h>

#include "capture/bpf_src_impl.h"
#include "capture/cpumask.h"
#include "nasoone.skel.h"
#include "nasoone/flow.h"

/* One counter summed over every possible CPU; values has room for them all. */
static uint64_t stat_sum(struct bpf_src *b, uint64_t *values, __u32 index)
{
	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.stats), &index, values))
		return 0;
	return percpu_sum(values, b->ncpus);
}

/*
 * A program adds a packet to SEEN, then to PAUSED or FILTER_PASSED, then to
 * one of COUNTED (then OVERFLOW), UNATTRIBUTED or a SKIP_* counter, while
 * userspace reads the counters one syscall after another. Read in the
 * reverse order, a counter is read after every counter a packet reaches
 * later, so no part exceeds its whole and nothing wraps.
 *
 * The filter's rejects are counted nowhere: filtered is seen - paused -
 * passed. With SEEN read before FILTER_PASSED that is a lower bound (the
 * packets seen meanwhile may be passed too: clamped at 0); with SEEN read
 * after it, an upper bound that counts every packet seen during the read
 * (the thread may sleep between the reads) as filtered. The lower bound,
 * never below what was published before, keeps filtered monotone; once
 * no packet arrives any more (the last statistics, after detach) it is
 * exact. Between the two it can be ahead by the packets that were between
 * SEEN and FILTER_PASSED during a read: one per CPU (a TC GSO packet: its
 * segments).
 */
static void read_stats(struct bpf_src *b, uint64_t *v, struct nasoone_stats *s)
{
	uint64_t seen_before = stat_sum(b, v, NN_STAT_SEEN);
	uint64_t unattributed = stat_sum(b, v, NN_STAT_UNATTRIBUTED);
	uint64_t overflow = stat_sum(b, v, NN_STAT_OVERFLOW);
	uint64_t counted = stat_sum(b, v, NN_STAT_COUNTED);
	uint64_t skipped =
		stat_sum(b, v, NN_STAT_SKIP_NOT_IP) + stat_sum(b, v, NN_STAT_SKIP_TRUNCATED) +
		stat_sum(b, v, NN_STAT_SKIP_MALFORMED) + stat_sum(b, v, NN_STAT_SKIP_PROTO) +
		stat_sum(b, v, NN_STAT_SKIP_FRAGMENT);
	uint64_t passed = stat_sum(b, v, NN_STAT_FILTER_PASSED);
	uint64_t paused = stat_sum(b, v, NN_STAT_PAUSED);
	uint64_t seen = stat_sum(b, v, NN_STAT_SEEN);
	uint64_t filtered = 0, published;
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int i;

	if (seen_before > paused + passed)
		filtered = seen_before - paused - passed;
	/* Readers may overlap: a lock-free maximum, as for last_fill_max. */
	published = __atomic_load_n(&b->filtered_published, __ATOMIC_RELAXED);
	while (filtered > published &&
	       !__atomic_compare_exchange_n(&b->filtered_published, &published, filtered, true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	if (filtered < published)
		filtered = published;
	/* Weakly ordered CPUs may still show a later stage first: never wrap. */
	if (seen < paused + passed + filtered)
		seen = paused + passed + filtered;
	s->received = seen + b->replay_refused;
	s->paused = paused;
	s->filtered = filtered;
	s->counted = counted;
	s->skipped = skipped + b->replay_refused;
	s->overflow = overflow;
	s->unattributed = unattributed;
	s->map_fill_max = b->last_fill_max;
	s->map_capacity = b->flows_per_cpu;
	s->run_time_ns = s->run_count = 0;
	/* Kernel run-time statistics exist only with kernel.bpf_stats_enabled=1. */
	struct bpf_program *progs[] = { b->skel->progs.nasoone_xdp,
					b->skel->progs.nasoone_tc_ingress,
					b->skel->progs.nasoone_tc_egress };
	for (i = 0; i < 3; i++) {
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(bpf_program__fd(progs[i]), &info, &len)) {
			s->run_time_ns += info.run_time_ns;
			s->run_count += info.run_cnt;
		}
	}
}

void bpf_src_stats(struct bpf_src *b, struct nasoone_stats *s)
{
	/* A value per possible CPU: malloc()ed, there can be thousands. */
	uint64_t *v = calloc(b->ncpus, sizeof(*v));

	if (!v)
		return; /* the caller's values stay as they were */
	read_stats(b, v, s);
	free(v);
}
