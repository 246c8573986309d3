// SPDX-License-Identifier: GPL-2.0-only
/*
 * Part 2 of the eBPF benchmark (tests/bench/bpf_bench.c): how fast
 * userspace swaps and drains the per-CPU flow maps.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_bench.h"

struct drainer {
	int cpu;
	int outer;
	int active, spare; /* the full map in the slot, the empty one to put there */
	pthread_barrier_t *start;
	struct nn_flow_key *keys;
	struct nn_flow_val *vals;
	__u64 t_start, t_swapped, t_end;
	__u64 rows, packets;
	int err;
};

static __u32 per_cpu_flows(void)
{
	return (drain_flows + (unsigned int)ncpus - 1) / (unsigned int)ncpus;
}

/* Fresh maps for every CPU, the active one filled with its share of the flows. */
static __u64 drain_fill(struct drainer *dr)
{
	__u32 n = per_cpu_flows(), i, count, done;
	struct nn_flow_key *keys = calloc(FILL_BATCH, sizeof(*keys));
	struct nn_flow_val *vals = calloc(FILL_BATCH, sizeof(*vals));
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 t0, spent = 0;
	int cpu;

	if (!keys || !vals)
		die("calloc", ENOMEM);
	for (cpu = 0; cpu < ncpus; cpu++) {
		struct drainer *x = &dr[cpu];

		if (x->active >= 0)
			close(x->active);
		if (x->spare >= 0)
			close(x->spare);
		x->active = new_map(n);
		x->spare = new_map(n);
		for (done = 0; done < n; done += count) {
			count = n - done < FILL_BATCH ? n - done : FILL_BATCH;
			for (i = 0; i < count; i++) {
				__u32 f = done + i;

				memset(&keys[i], 0, sizeof(keys[i]));
				keys[i].family = NN_FAMILY_IPV4;
				keys[i].saddr[10] = keys[i].saddr[11] = 0xff;
				keys[i].daddr[10] = keys[i].daddr[11] = 0xff;
				keys[i].saddr[12] = 10;
				keys[i].saddr[13] = (__u8)(f >> 16);
				keys[i].saddr[14] = (__u8)(f >> 8);
				keys[i].saddr[15] = (__u8)f;
				keys[i].daddr[12] = 198;
				keys[i].daddr[13] = 51;
				keys[i].daddr[14] = 100;
				keys[i].daddr[15] = (__u8)cpu;
				keys[i].sport = (__be16)(f * 7);
				keys[i].dport = 0xbb01;
				vals[i].first_ns = vals[i].last_ns = f;
				vals[i].bytes = 64;
				vals[i].packets = 1;
				vals[i].protos = NN_PROTO_TCP;
			}
			t0 = now_ns();
			if (bpf_map_update_batch(x->active, keys, vals, &count, &opts))
				die("bpf_map_update_batch (drain fill)", errno);
			spent += now_ns() - t0;
		}
		if (bpf_map_update_elem(x->outer, &cpu, &x->active, BPF_ANY))
			die("update of the flows slot", errno);
	}
	free(keys);
	free(vals);
	return spent;
}

/* Swap the CPU's map for its spare, then read and delete every row of it. */
static void drain_one(struct drainer *x)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 token = 0, count, i;
	bool first = true;
	int ret;

	x->t_start = now_ns();
	if (bpf_map_update_elem(x->outer, &x->cpu, &x->spare, BPF_ANY)) {
		x->err = errno;
		return;
	}
	x->t_swapped = now_ns();
	x->rows = x->packets = 0;
	for (;;) {
		count = DRAIN_BATCH;
		ret = bpf_map_lookup_and_delete_batch(x->active, first ? NULL : &token, &token,
						      x->keys, x->vals, &count, &opts);
		if (ret && errno != ENOENT) {
			x->err = errno;
			return;
		}
		for (i = 0; i < count; i++)
			x->packets += x->vals[i].packets;
		x->rows += count;
		if (ret)
			break;
		first = false;
	}
	x->t_end = now_ns();
}

static void *drain_thread(void *arg)
{
	struct drainer *x = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(x->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	pthread_barrier_wait(x->start);
	drain_one(x);
	return NULL;
}

struct drain_result {
	__u64 wall; /* first swap started to last row read */
	__u64 swap; /* swaps: their sum (in turn) or the longest (at once) */
	__u64 read; /* read+delete: the sum (in turn) or the longest (at once) */
	__u64 fill; /* bpf_map_update_batch of every flow, untimed part excluded */
	__u64 rows;
};

static void drain_round(struct drainer *dr, bool parallel, struct drain_result *r)
{
	pthread_t threads[NN_MAX_CPUS];
	pthread_barrier_t start;
	__u64 first = UINT64_MAX, last = 0, want = per_cpu_flows();
	int cpu;

	memset(r, 0, sizeof(*r));
	r->fill = drain_fill(dr);
	if (parallel) {
		pthread_barrier_init(&start, NULL, (unsigned int)ncpus);
		for (cpu = 0; cpu < ncpus; cpu++) {
			dr[cpu].start = &start;
			if (pthread_create(&threads[cpu], NULL, drain_thread, &dr[cpu]))
				die("pthread_create", errno);
		}
		for (cpu = 0; cpu < ncpus; cpu++)
			pthread_join(threads[cpu], NULL);
		pthread_barrier_destroy(&start);
	} else {
		for (cpu = 0; cpu < ncpus; cpu++)
			drain_one(&dr[cpu]);
	}
	for (cpu = 0; cpu < ncpus; cpu++) {
		struct drainer *x = &dr[cpu];
		__u64 swap = x->t_swapped - x->t_start, read = x->t_end - x->t_swapped;

		if (x->err)
			die("drain", x->err);
		if (x->rows != want || x->packets != want) {
			fprintf(stderr, "bpf_bench: drain of CPU %d: %llu rows, want %llu\n", cpu,
				(unsigned long long)x->rows, (unsigned long long)want);
			mismatches++;
		}
		if (x->t_start < first)
			first = x->t_start;
		if (x->t_end > last)
			last = x->t_end;
		if (!parallel) {
			r->swap += swap;
			r->read += read;
		} else {
			if (swap > r->swap)
				r->swap = swap;
			if (read > r->read)
				r->read = read;
		}
		r->rows += x->rows;
	}
	r->wall = last - first;
}

static void print_drain(const char *who, const struct drain_result *r)
{
	printf("%-22s %8llu %8.1f %8.2f | %8.1f | %8.1f %8.2f\n", who, (unsigned long long)r->rows,
	       (double)r->wall / 1e6, (double)r->rows * 1e3 / (double)r->wall,
	       (double)r->swap / 1e6, (double)r->read / 1e6,
	       (double)r->rows * 1e3 / (double)r->read);
}

void bench_drain(void)
{
	struct drainer dr[NN_MAX_CPUS];
	struct drain_result best[2], r;
	__u64 fill = UINT64_MAX;
	unsigned int i;
	int cpu, p, outer;
	cpu_set_t all;
	char who[32];

	/* Part 1 pinned the process to one CPU: the drains choose their own. */
	CPU_ZERO(&all);
	for (cpu = 0; cpu < ncpus; cpu++)
		CPU_SET(cpu, &all);
	sched_setaffinity(0, sizeof(all), &all);
	outer = bpf_map__fd(skel->maps.flows);

	memset(dr, 0, sizeof(dr));
	for (cpu = 0; cpu < ncpus; cpu++) {
		dr[cpu].cpu = cpu;
		dr[cpu].outer = outer;
		dr[cpu].active = dr[cpu].spare = -1;
		dr[cpu].keys = calloc(DRAIN_BATCH, sizeof(*dr[cpu].keys));
		dr[cpu].vals = calloc(DRAIN_BATCH, sizeof(*dr[cpu].vals));
		if (!dr[cpu].keys || !dr[cpu].vals)
			die("calloc", ENOMEM);
	}
	for (p = 0; p < 2; p++) {
		best[p].wall = UINT64_MAX;
		for (i = 0; i < rounds; i++) {
			drain_round(dr, p, &r);
			if (r.wall < best[p].wall)
				best[p] = r;
			if (r.fill < fill)
				fill = r.fill;
		}
	}

	printf("\n2. Drain: %u flows over %d CPU maps of %u entries; swap = "
	       "bpf_map_update_elem on \"flows\"\n",
	       per_cpu_flows() * (unsigned int)ncpus, ncpus, per_cpu_flows());
	printf("   read+delete: bpf_map_lookup_and_delete_batch, %d rows a call; best of %u "
	       "rounds\n",
	       DRAIN_BATCH, rounds);
	printf("   in turn: sums over the CPUs; at once: the slowest thread\n");
	printf("%-22s %8s %8s %8s | %8s | %8s %8s\n", "who", "flows", "wall ms", "Mflows/s",
	       "swap ms", "read ms", "Mflows/s");
	print_drain("1 thread, in turn", &best[0]);
	snprintf(who, sizeof(who), "%d threads, at once", ncpus);
	print_drain(who, &best[1]);
	printf("fill (bpf_map_update_batch, for comparison): %.1f ms for %u flows, %.2f Mflows/s\n",
	       (double)fill / 1e6, per_cpu_flows() * (unsigned int)ncpus,
	       (double)per_cpu_flows() * ncpus * 1e3 / (double)fill);
	for (cpu = 0; cpu < ncpus; cpu++) {
		close(dr[cpu].active);
		close(dr[cpu].spare);
		free(dr[cpu].keys);
		free(dr[cpu].vals);
	}
}
