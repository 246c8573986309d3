// SPDX-License-Identifier: GPL-2.0-only
/*
 * The eBPF benchmark (not a test): what the programs of bpf/nasoone.bpf.c
 * cost per packet in the kernel, and how fast userspace swaps and drains
 * the per-CPU flow maps. Printed as two tables; nothing is asserted about
 * times, only about what the programs counted.
 *
 * 1. Cost per packet, with BPF_PROG_TEST_RUN on the CPU this process is
 *    pinned to (the programs count into that CPU's slot of "flows"), for
 *    nasoone_xdp and nasoone_tc_ingress against a floor program of the same
 *    type that only returns (XDP_PASS, TC_ACT_OK), on four frames:
 *    TCP/IPv4 of 64 and 1514 bytes (IP packet of 1500), UDP/IPv6 after a
 *    hop-by-hop header, and TCP/IPv4 behind an 802.1Q tag.
 *    With the kernel's repeat loop (REPEAT runs of one frame, best of
 *    BEST_OF), caches warm:
 *      hit, 1 flow     an empty map: the first run inserts, every later
 *                      one is a hit in a map of one flow;
 *      hit, 100k flows the CPU's map pre-filled (bpf_map_update_batch) with
 *                      100k flows of the same kind; the frame is one of them;
 *      miss+insert     the benchmark's own build of the program
 *                      (NN_BENCH_NEW_FLOWS, bpf/nasoone.bpf.c) xors a
 *                      per-run counter into the key, so each of up to
 *                      MISS_FLOWS runs inserts a new flow into an empty map;
 *                      the same build with the counter masked to 0 (hits)
 *                      shows what the counter costs (next to nothing).
 *    One test run per frame (repeat = 1), each frame a flow of its own, the
 *    median over SWEEP flows; these figures include the test run's own
 *    timer overhead, and so does the floor measured the same way:
 *      r=1 miss+insert an empty map: every frame adds its flow (the
 *                      syscall's cache misses included: see the README);
 *      hit, cold       the same frames again: hits spread over the map.
 *    For scale, a floor that calls bpf_ktime_get_boot_ns() once, as nasoone
 *    does for every packet.
 * 2. Drain (bpf_drain_bench.c): DRAIN_FLOWS flows over the per-CPU maps (filled with
 *    bpf_map_update_batch), then each map is swapped out of its slot
 *    (bpf_map_update_elem on the ARRAY_OF_MAPS, which waits for an RCU
 *    grace period) and read and deleted with bpf_map_lookup_and_delete_batch,
 *    as user/capture/bpf_src.c does: by one thread for every CPU in turn, then by
 *    one thread per CPU at once. The swap time is given apart.
 *
 * usage: bpf_bench [-r REPEAT] [-b BEST_OF] [-s SWEEP] [-d DRAIN_FLOWS] [-k ROUNDS]
 *        (defaults 1000000, 5, 100000, 1000000, 3; needs root)
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_bench.h"
#include "nasoone_bench.skel.h"
#include "nasoone/parse.h"

#define MAP_ENTRIES 131072 /* each CPU map of part 1: room for the 100k flows */
#define WARM_FLOWS  100000
/* Targets over the floor: a warm hit (IPv4, IPv6 with an extension header), a miss + insert. */
#define TARGET4_NS     35
#define TARGET6_NS     40
#define TARGET_MISS_NS 100
#define MAX_FRAME      1514
#define HIT_FLOW       (WARM_FLOWS / 2)
#define MISS_FLOWS     100000 /* new flows of one repeat loop, at most */

enum kind { TCP4_64, TCP4_1500, UDP6_HBH, VLAN_TCP4, N_KINDS };

static const char *const kind_names[N_KINDS] = {
	[TCP4_64] = "tcp4 64B",
	[TCP4_1500] = "tcp4 1514B",
	[UDP6_HBH] = "udp6+hbh 100B",
	[VLAN_TCP4] = "vlan tcp4 68B",
};

enum hook { HOOK_XDP, HOOK_TC, N_HOOKS };

static const char *const hook_names[N_HOOKS] = { "xdp", "tc" };

static unsigned int repeat = 1000000, best_of = 5, sweep = 100000;
unsigned int drain_flows = 1000000, rounds = 3;
int ncpus, mismatches;
static int bench_cpu;
struct nasoone_bpf *skel;
static struct nasoone_bench *bench_skel;
static int floor_fd[N_HOOKS], clock_fd[N_HOOKS];

/* A loaded build of the programs: nasoone's, or the benchmark's own (NN_BENCH_NEW_FLOWS). */
struct build {
	int prog[N_HOOKS];
	int flows, flows4, stats; /* the outer maps (IPv6, IPv4) and the counters */
	int slot[NN_MAX_CPUS], slot4[NN_MAX_CPUS]; /* the maps in the CPUs' slots, or -1 */
};
static struct build prod, vary;

void die(const char *what, int err)
{
	fprintf(stderr, "bpf_bench: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

__u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static void put16(__u8 *p, unsigned int v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

static __u8 *put_eth(__u8 *p, unsigned int type)
{
	static const __u8 macs[12] = { 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01 };

	memcpy(p, macs, sizeof(macs));
	put16(p + 12, type);
	return p + 14;
}

/* IPv4 TCP from 10.a.b.c (the flow number) to 198.51.100.2. */
static __u8 *put_ipv4(__u8 *p, unsigned int total, __u32 flow)
{
	p[0] = 0x45;
	put16(p + 2, total);
	put16(p + 4, 1);
	put16(p + 6, 0x4000); /* DF */
	p[8] = 64;
	p[9] = NN_IPPROTO_TCP;
	p[12] = 10;
	p[13] = (__u8)(flow >> 16);
	p[14] = (__u8)(flow >> 8);
	p[15] = (__u8)flow;
	p[16] = 198;
	p[17] = 51;
	p[18] = 100;
	p[19] = 2;
	return p + 20;
}

static void put_tcp(__u8 *p, __u32 flow)
{
	put16(p, 1024 + (flow & 0x3fff));
	put16(p + 2, 443);
	p[12] = 0x50;
	p[13] = 0x10; /* ACK */
	put16(p + 14, 502);
}

/*
 * Frame of kind k for flow number flow (distinct flows up to 2^24 have
 * distinct keys: the flow number is in the source address). Returns its length.
 */
static __u32 build_frame(enum kind k, __u32 flow, __u8 *buf)
{
	__u8 *p = buf;
	__u32 len;

	switch (k) {
	case TCP4_64:
	case TCP4_1500:
	case VLAN_TCP4:
		len = k == TCP4_1500 ? 1514 : 64;
		if (k == VLAN_TCP4)
			len += 4;
		memset(buf, 0, len);
		if (k == VLAN_TCP4) {
			p = put_eth(p, NN_ETH_P_8021Q);
			put16(p, 100);
			put16(p + 2, NN_ETH_P_IP);
			p += 4;
		} else {
			p = put_eth(p, NN_ETH_P_IP);
		}
		p = put_ipv4(p, (unsigned int)(len - (__u32)(p - buf)), flow);
		put_tcp(p, flow);
		return len;
	case UDP6_HBH:
		len = 100;
		memset(buf, 0, len);
		p = put_eth(p, NN_ETH_P_IPV6);
		p[0] = 0x60;
		put16(p + 4, len - 14 - 40);
		p[6] = NN_IPPROTO_HOPOPTS;
		p[7] = 64;
		put16(p + 8, 0x2001); /* 2001:db8::a.b.c.d -> 2001:db8::ffff:2 */
		put16(p + 10, 0x0db8);
		p[20] = (__u8)(flow >> 24);
		p[21] = (__u8)(flow >> 16);
		p[22] = (__u8)(flow >> 8);
		p[23] = (__u8)flow;
		put16(p + 24, 0x2001);
		put16(p + 26, 0x0db8);
		put16(p + 36, 0xffff);
		p[39] = 2;
		p += 40;
		p[0] = NN_IPPROTO_UDP; /* hop-by-hop: one PadN option of 4 bytes */
		p[2] = 1;
		p[3] = 4;
		p += 8;
		put16(p, 1024 + (flow & 0x3fff));
		put16(p + 2, 53);
		put16(p + 4, len - (__u32)(p - buf));
		return len;
	default:
		abort();
	}
}

/* The key the program stores for a frame: the userspace build of its parser. */
static void frame_key(const __u8 *frame, __u32 len, struct nn_flow_key *key)
{
	struct nn_pkt pkt;

	memset(&pkt, 0, sizeof(pkt));
	if (nn_parse_eth(frame, frame + len, &pkt) != NN_COUNT) {
		fprintf(stderr, "bpf_bench: a benchmark frame does not parse\n");
		exit(1);
	}
	*key = pkt.key;
}

static bool is_ipv4(enum kind k)
{
	return k != UDP6_HBH;
}

/* The key of the map a flow of kind k goes to: itself, or its short IPv4 form in k4. */
static const void *map_key(const struct nn_flow_key *key, enum kind k, struct nn_flow_key4 *k4)
{
	if (!is_ipv4(k))
		return key;
	memcpy(k4->saddr, &key->saddr[12], 4);
	memcpy(k4->daddr, &key->daddr[12], 4);
	k4->sport = key->sport;
	k4->dport = key->dport;
	k4->proto = key->pad[NN_KEY_PROTO];
	memset(k4->pad, 0, sizeof(k4->pad));
	return k4;
}

static int new_map_of(__u32 entries, bool ipv4)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "nn_bench",
				ipv4 ? sizeof(struct nn_flow_key4) : sizeof(struct nn_flow_key),
				sizeof(struct nn_flow_val), entries, NULL);

	if (fd < 0)
		die("bpf_map_create", errno);
	return fd;
}

int new_map(__u32 entries)
{
	return new_map_of(entries, false);
}

static void close_slots(struct build *b, int cpu)
{
	if (b->slot[cpu] >= 0)
		close(b->slot[cpu]);
	if (b->slot4[cpu] >= 0)
		close(b->slot4[cpu]);
	b->slot[cpu] = b->slot4[cpu] = -1;
}

/*
 * Fresh maps of entries rows in both slots of cpu (the previous ones are
 * closed); the one that flows of kind k go to.
 */
static int fresh_slot(struct build *b, int cpu, __u32 entries, enum kind k)
{
	int fd = new_map_of(entries, false), fd4 = new_map_of(entries, true);

	if (bpf_map_update_elem(b->flows, &cpu, &fd, BPF_ANY) ||
	    bpf_map_update_elem(b->flows4, &cpu, &fd4, BPF_ANY))
		die("update of the flows slots", errno);
	close_slots(b, cpu);
	b->slot[cpu] = fd;
	b->slot4[cpu] = fd4;
	return is_ipv4(k) ? fd4 : fd;
}

static __u64 stat_cpu(const struct build *b, __u32 stat)
{
	__u64 vals[NN_MAX_CPUS];

	if (bpf_map_lookup_elem(b->stats, &stat, vals))
		die("stats lookup", errno);
	return vals[bench_cpu];
}

struct counts {
	__u64 counted, full, overflow, unattributed;
};

static void read_counts(const struct build *b, struct counts *c)
{
	c->counted = stat_cpu(b, NN_STAT_COUNTED);
	c->full = stat_cpu(b, NN_STAT_MAP_FULL);
	c->overflow = stat_cpu(b, NN_STAT_OVERFLOW);
	c->unattributed = stat_cpu(b, NN_STAT_UNATTRIBUTED);
}

/* What the program counted since before must be want packets, all in the map. */
static void check_counts(const struct build *b, const struct counts *before, __u64 want,
			 const char *what)
{
	struct counts after;

	read_counts(b, &after);
	if (after.counted - before->counted == want && after.full == before->full &&
	    after.overflow == before->overflow && after.unattributed == before->unattributed)
		return;
	fprintf(stderr,
		"bpf_bench: %s: counted %llu of %llu (map full %llu, overflow %llu, "
		"unattributed %llu)\n",
		what, (unsigned long long)(after.counted - before->counted),
		(unsigned long long)want, (unsigned long long)(after.full - before->full),
		(unsigned long long)(after.overflow - before->overflow),
		(unsigned long long)(after.unattributed - before->unattributed));
	mismatches++;
}

/* One test run of n repeats; the kernel's mean ns per run. */
static __u32 test_run(int fd, const __u8 *frame, __u32 len, __u32 n)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .repeat = n);

	if (bpf_prog_test_run_opts(fd, &opts))
		die("BPF_PROG_TEST_RUN", errno);
	return opts.duration;
}

static __u32 best_run(int fd, const __u8 *frame, __u32 len)
{
	__u32 best = UINT32_MAX, d;
	unsigned int i;

	for (i = 0; i < best_of; i++) {
		d = test_run(fd, frame, len, repeat);
		if (d < best)
			best = d;
	}
	return best;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* One run per flow 0..sweep-1 of kind k; the median ns. */
static __u32 sweep_run(int fd, enum kind k, __u32 *d)
{
	static __u8 frame[MAX_FRAME];
	__u32 i, len;

	for (i = 0; i < sweep; i++) {
		len = build_frame(k, i, frame);
		d[i] = test_run(fd, frame, len, 1);
	}
	qsort(d, sweep, sizeof(*d), cmp_u32);
	return d[sweep / 2];
}

/*
 * The floor programs: only return the verdict that lets the packet pass;
 * with clock, call bpf_ktime_get_boot_ns() first (as nasoone does once a
 * packet), to show what the clock costs here.
 */
static int load_floor(enum bpf_prog_type type, int verdict, bool clock)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_ktime_get_boot_ns },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = verdict },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(type, "nn_floor", "GPL", clock ? insns : insns + 1, clock ? 3 : 2,
			       NULL);

	if (fd < 0)
		die("loading the floor program", errno);
	return fd;
}

/* Fill map fd with the keys of flows 0..n-1 of kind k (one packet each). */
static void prefill(int fd, enum kind k, __u32 n)
{
	static __u8 frame[MAX_FRAME];
	struct nn_flow_key *keys = calloc(n, sizeof(*keys)), key;
	struct nn_flow_key4 *keys4 = calloc(n, sizeof(*keys4));
	struct nn_flow_val *vals = calloc(n, sizeof(*vals));
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 t = now_ns();
	__u32 i, len, count;

	if (!keys || !keys4 || !vals)
		die("calloc", ENOMEM);
	for (i = 0; i < n; i++) {
		len = build_frame(k, i, frame);
		frame_key(frame, len, &key);
		keys[i] = key;
		map_key(&key, k, &keys4[i]);
		vals[i].first_ns = vals[i].last_ns = t;
		vals[i].bytes = len;
		vals[i].packets = 1;
		vals[i].protos = k == UDP6_HBH ? NN_PROTO_UDP : NN_PROTO_TCP;
	}
	for (i = 0; i < n; i += count) {
		count = n - i < FILL_BATCH ? n - i : FILL_BATCH;
		if (bpf_map_update_batch(fd, is_ipv4(k) ? (void *)(keys4 + i) : (void *)(keys + i),
					 vals + i, &count, &opts))
			die("bpf_map_update_batch", errno);
	}
	free(keys);
	free(keys4);
	free(vals);
}

static __u64 flow_packets(int fd, enum kind k, __u32 flow)
{
	static __u8 frame[MAX_FRAME];
	struct nn_flow_key key;
	struct nn_flow_key4 key4;
	struct nn_flow_val val;

	frame_key(frame, build_frame(k, flow, frame), &key);
	if (bpf_map_lookup_elem(fd, map_key(&key, k, &key4), &val))
		return 0;
	return val.packets;
}

static __u32 map_rows(int fd)
{
	struct nn_flow_key key, next;
	__u32 n = 0;
	int err;

	for (err = bpf_map_get_next_key(fd, NULL, &next); !err;
	     err = bpf_map_get_next_key(fd, &key, &next)) {
		key = next;
		n++;
	}
	return n;
}

struct cost {
	__u32 floor, clock, hit1, hit100k; /* repeat loop */
	__u32 vary_hit, vary_miss;	   /* repeat loop, the benchmark's build */
	__u32 floor1, miss1, hitcold;	   /* one run per frame, medians */
};

/* The benchmark's build: mask ~0 makes every run a new flow, 0 keeps one flow. */
static void set_vary(__u32 mask)
{
	bench_skel->data_bench->nn_bench_mask = mask;
	bench_skel->data_bench->nn_bench_seq = 0;
}

/*
 * Repeat loops of the benchmark's build: one of repeat runs that all hit
 * one flow (what the counter costs over nasoone's build), one of up to
 * MISS_FLOWS runs that each insert a new flow into an empty map; best of
 * best_of, in turn.
 */
static void measure_inserts(enum hook h, enum kind k, struct cost *c, const char *what)
{
	static __u8 frame[MAX_FRAME];
	__u32 len = build_frame(k, HIT_FLOW, frame), n = repeat < MISS_FLOWS ? repeat : MISS_FLOWS;
	struct counts before;
	unsigned int i;
	__u32 d;
	int fd;

	c->vary_hit = c->vary_miss = UINT32_MAX;
	for (i = 0; i < best_of; i++) {
		fd = fresh_slot(&vary, bench_cpu, MAP_ENTRIES, k);
		set_vary(0);
		read_counts(&vary, &before);
		d = test_run(vary.prog[h], frame, len, repeat);
		check_counts(&vary, &before, repeat, what);
		if (d < c->vary_hit)
			c->vary_hit = d;
		if (map_rows(fd) != 1) {
			fprintf(stderr, "bpf_bench: %s: mask 0 made more than one flow\n", what);
			mismatches++;
		}
		fd = fresh_slot(&vary, bench_cpu, MAP_ENTRIES, k);
		set_vary(~0u);
		read_counts(&vary, &before);
		d = test_run(vary.prog[h], frame, len, n);
		check_counts(&vary, &before, n, what);
		if (d < c->vary_miss)
			c->vary_miss = d;
		if (map_rows(fd) != n) {
			fprintf(stderr, "bpf_bench: %s: %u runs did not make %u flows\n", what, n,
				n);
			mismatches++;
		}
	}
	close_slots(&vary, bench_cpu);
}

static void measure(enum hook h, enum kind k, struct cost *c, __u32 *d)
{
	static __u8 frame[MAX_FRAME];
	char what[96];
	struct counts before;
	__u32 len;
	int fd;

	snprintf(what, sizeof(what), "%s %s", hook_names[h], kind_names[k]);

	/* Warm, one flow: the first run inserts it. */
	len = build_frame(k, HIT_FLOW, frame);
	c->floor = best_run(floor_fd[h], frame, len);
	c->clock = best_run(clock_fd[h], frame, len);
	fd = fresh_slot(&prod, bench_cpu, MAP_ENTRIES, k);
	read_counts(&prod, &before);
	c->hit1 = best_run(prod.prog[h], frame, len);
	check_counts(&prod, &before, (__u64)best_of * repeat, what);
	if (map_rows(fd) != 1 || flow_packets(fd, k, HIT_FLOW) != (__u64)best_of * repeat) {
		fprintf(stderr, "bpf_bench: %s: the 1-flow map is not as expected\n", what);
		mismatches++;
	}

	/* Warm, 100k flows, the frame's among them. */
	fd = fresh_slot(&prod, bench_cpu, MAP_ENTRIES, k);
	prefill(fd, k, WARM_FLOWS);
	read_counts(&prod, &before);
	c->hit100k = best_run(prod.prog[h], frame, len);
	check_counts(&prod, &before, (__u64)best_of * repeat, what);
	if (flow_packets(fd, k, HIT_FLOW) != 1 + (__u64)best_of * repeat ||
	    map_rows(fd) != WARM_FLOWS) {
		fprintf(stderr, "bpf_bench: %s: the 100k-flow map is not as expected\n", what);
		mismatches++;
	}

	measure_inserts(h, k, c, what);

	/* One run per frame: sweep new flows, then the same flows again. */
	c->floor1 = sweep_run(floor_fd[h], k, d);
	fd = fresh_slot(&prod, bench_cpu, MAP_ENTRIES, k);
	read_counts(&prod, &before);
	c->miss1 = sweep_run(prod.prog[h], k, d);
	c->hitcold = sweep_run(prod.prog[h], k, d);
	check_counts(&prod, &before, 2ull * sweep, what);
	if (map_rows(fd) != sweep) {
		fprintf(stderr, "bpf_bench: %s: the swept map does not hold %u flows\n", what,
			sweep);
		mismatches++;
	}
}

static void print_row(enum hook h, enum kind k, const char *what, __u32 ns, __u32 floor,
		      const char *mark)
{
	printf("%-4s %-14s %-28s %7u %6u %+7d ns%s%s\n", hook_names[h], kind_names[k], what, ns,
	       floor, (int)ns - (int)floor, *mark ? " " : "", mark);
}

static void bench_cost(void)
{
	struct cost c[N_HOOKS][N_KINDS];
	unsigned int met = 0, rows = 0;
	__u32 *d = calloc(sweep, sizeof(*d));
	int h, k;

	if (!d)
		die("calloc", ENOMEM);
	for (h = 0; h < N_HOOKS; h++)
		for (k = 0; k < N_KINDS; k++)
			measure(h, k, &c[h][k], d);
	free(d);

	printf("\n1. In-kernel cost per packet: BPF_PROG_TEST_RUN on CPU %d, ns per packet\n",
	       bench_cpu);
	printf("   warm: repeat %u, best of %u; r=1: one run per frame, median of %u flows\n",
	       repeat, best_of, sweep);
	printf("   miss+insert: the benchmark's build, a new flow at every run of a repeat loop of "
	       "%u;\n   \"its hit\": the same build hitting one flow, to compare with nasoone's\n",
	       repeat < MISS_FLOWS ? repeat : MISS_FLOWS);
	printf("   floor: a program that only returns XDP_PASS / TC_ACT_OK, measured the same "
	       "way\n");
	printf("%-4s %-14s %-28s %7s %6s %10s\n", "hook", "packet", "case", "ns/pkt", "floor",
	       "over floor");
	for (h = 0; h < N_HOOKS; h++) {
		for (k = 0; k < N_KINDS; k++) {
			const struct cost *x = &c[h][k];
			int target = k == UDP6_HBH ? TARGET6_NS : TARGET4_NS;
			int ok1 = (int)x->hit1 - (int)x->floor <= target;
			int ok100 = (int)x->hit100k - (int)x->floor <= target;
			int okmiss = (int)x->vary_miss - (int)x->floor <= TARGET_MISS_NS;
			char mark[64];

			print_row(h, k, "warm hit, map of 1 flow", x->hit1, x->floor,
				  ok1 ? "" : "(over target)");
			print_row(h, k, "warm hit, map of 100k flows", x->hit100k, x->floor,
				  ok100 ? "" : "(over target)");
			snprintf(mark, sizeof(mark), "(its hit %+d)%s",
				 (int)x->vary_hit - (int)x->floor, okmiss ? "" : " (over target)");
			print_row(h, k, "miss+insert, new flows", x->vary_miss, x->floor, mark);
			print_row(h, k, "r=1 miss+insert, new flows", x->miss1, x->floor1, "");
			print_row(h, k, "r=1 hit, map of sweep flows", x->hitcold, x->floor1, "");
			met += ok1 + ok100 + okmiss;
			rows += 3;
		}
	}
	printf("targets (warm hit at most +%d ns over the floor, +%d for udp6+hbh; miss+insert "
	       "+%d): met in %u of %u rows\n",
	       TARGET4_NS, TARGET6_NS, TARGET_MISS_NS, met, rows);
	for (h = 0; h < N_HOOKS; h++) {
		printf("for scale, %s: the floor plus one bpf_ktime_get_boot_ns() call:",
		       hook_names[h]);
		for (k = 0; k < N_KINDS; k++)
			printf(" %+d", (int)c[h][k].clock - (int)c[h][k].floor);
		printf(" ns (the four packets)\n");
	}
}

static unsigned int parse_uint(const char *s, const char *what)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end || v == 0 || v > 100000000ul) {
		fprintf(stderr, "bpf_bench: bad %s: %s\n", what, s);
		exit(2);
	}
	return (unsigned int)v;
}

static void read_sysctl(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	snprintf(buf, len, "?");
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

/* Both builds, before loading: one slot of the outer maps per possible CPU. */
static void size_outer_maps(struct bpf_object *obj)
{
	bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "flows"), (__u32)ncpus);
	bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "flows4"), (__u32)ncpus);
}

/* A loaded build's programs and maps (both builds come from bpf/nasoone.bpf.c). */
static void take_build(struct build *b, struct bpf_object *obj)
{
	b->prog[HOOK_XDP] = bpf_program__fd(bpf_object__find_program_by_name(obj, "nasoone_xdp"));
	b->prog[HOOK_TC] =
		bpf_program__fd(bpf_object__find_program_by_name(obj, "nasoone_tc_ingress"));
	b->flows = bpf_map__fd(bpf_object__find_map_by_name(obj, "flows"));
	b->flows4 = bpf_map__fd(bpf_object__find_map_by_name(obj, "flows4"));
	b->stats = bpf_map__fd(bpf_object__find_map_by_name(obj, "stats"));
}

int main(int argc, char **argv)
{
	char jit[16], stats[16];
	struct utsname u;
	cpu_set_t set;
	int opt, cpu, err, h;

	while ((opt = getopt(argc, argv, "r:b:s:d:k:")) != -1) {
		switch (opt) {
		case 'r':
			repeat = parse_uint(optarg, "repeat");
			break;
		case 'b':
			best_of = parse_uint(optarg, "best-of");
			break;
		case 's':
			sweep = parse_uint(optarg, "sweep");
			break;
		case 'd':
			drain_flows = parse_uint(optarg, "drain flows");
			break;
		case 'k':
			rounds = parse_uint(optarg, "rounds");
			break;
		default:
			fprintf(stderr, "usage: bpf_bench [-r REPEAT] [-b BEST_OF] [-s SWEEP] "
					"[-d DRAIN_FLOWS] [-k ROUNDS]\n");
			return 2;
		}
	}
	if (sweep > MAP_ENTRIES) {
		fprintf(stderr, "bpf_bench: -s at most %d\n", MAP_ENTRIES);
		return 2;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0 || ncpus > NN_MAX_CPUS)
		die("libbpf_num_possible_cpus", ncpus < 0 ? ncpus : EINVAL);

	/* The programs count into the slot of the CPU they run on: stay on one. */
	bench_cpu = sched_getcpu();
	CPU_ZERO(&set);
	CPU_SET(bench_cpu, &set);
	if (bench_cpu < 0 || sched_setaffinity(0, sizeof(set), &set))
		die("pinning to one CPU", errno);

	skel = nasoone_bpf__open();
	if (!skel)
		die("opening the skeleton", errno);
	size_outer_maps(skel->obj);
	err = nasoone_bpf__load(skel);
	if (err)
		die("loading the programs (root, or CAP_BPF and CAP_NET_ADMIN?)", err);
	take_build(&prod, skel->obj);
	bench_skel = nasoone_bench__open();
	if (!bench_skel)
		die("opening the benchmark's skeleton", errno);
	size_outer_maps(bench_skel->obj);
	err = nasoone_bench__load(bench_skel);
	if (err)
		die("loading the benchmark's build of the programs", err);
	take_build(&vary, bench_skel->obj);
	floor_fd[HOOK_XDP] = load_floor(BPF_PROG_TYPE_XDP, XDP_PASS, false);
	floor_fd[HOOK_TC] = load_floor(BPF_PROG_TYPE_SCHED_CLS, TC_ACT_OK, false);
	clock_fd[HOOK_XDP] = load_floor(BPF_PROG_TYPE_XDP, XDP_PASS, true);
	clock_fd[HOOK_TC] = load_floor(BPF_PROG_TYPE_SCHED_CLS, TC_ACT_OK, true);
	for (cpu = 0; cpu < NN_MAX_CPUS; cpu++)
		prod.slot[cpu] = prod.slot4[cpu] = vary.slot[cpu] = vary.slot4[cpu] = -1;
	for (cpu = 0; cpu < ncpus; cpu++)
		fresh_slot(&prod, cpu, 1024, TCP4_64);

	uname(&u);
	read_sysctl("/proc/sys/net/core/bpf_jit_enable", jit, sizeof(jit));
	read_sysctl("/proc/sys/kernel/bpf_stats_enabled", stats, sizeof(stats));
	printf("eBPF benchmark: kernel %s, %d CPUs, bpf_jit_enable=%s, bpf_stats_enabled=%s\n",
	       u.release, ncpus, jit, stats);
	fflush(stdout);

	bench_cost();
	fflush(stdout);
	/* The slots of part 1 are closed: the drain's maps replace them. */
	for (cpu = 0; cpu < ncpus; cpu++)
		close_slots(&prod, cpu);
	nasoone_bench__destroy(bench_skel);
	bench_drain();

	for (h = 0; h < N_HOOKS; h++) {
		close(floor_fd[h]);
		close(clock_fd[h]);
	}
	nasoone_bpf__destroy(skel);
	if (mismatches) {
		printf("bpf_bench: %d checks of what the programs counted failed (see stderr)\n",
		       mismatches);
		return 1;
	}
	printf("every run counted every packet in the flow map (no map full, no ring)\n");
	return 0;
}
