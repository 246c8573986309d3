// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF_PROG_TEST_RUN tests of bpf/nasoone.bpf.c. Each canned frame of
 * pkts.h goes through the loaded programs, XDP and TC, and what they left
 * in their maps must be what the userspace build of the same parser
 * (include/nasoone/parse.h) says about the same bytes: the same flow key
 * with one packet of the frame's length, or, for a frame that does not
 * count, one hit in the stats slot of the same verdict. This is what keeps
 * the two builds of the parser from drifting apart. Then the parts of the
 * program around the parser: fragments, pause, replayed time, the overflow
 * ring, GSO wire lengths, a large XDP frame and the filter tail call.
 *
 * The test loads the object twice: "plain" without a filter and "filter"
 * with use_filter set. Like nasoone itself, it sizes the outer flows map
 * to the possible CPUs and fills every slot with a hash map of its own
 * (fill_slots()); flows are read back by walking every CPU's map.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nasoone/flow.h"
#include "nasoone/parse.h"
#include "nasoone.skel.h"
#include "pkts.h"

#define REPEAT	   1000
#define TEST_FLOWS 64 /* entries of each CPU's map, except in the overflow test */
#define MAX_ROWS   64
#define TC_NEXT	   (-1) /* what the TC programs return (TCX_NEXT, TC_ACT_UNSPEC) */
#define T0	   1700000000000000000ull /* a replayed time (ms; any 64-bit value) */

enum hook { HOOK_XDP, HOOK_TC };

static const char *const hook_names[] = { "xdp", "tc" };

/* One loaded copy of the object. */
struct config {
	const char *name;
	__u32 use_filter;
	__u32 replay; /* time and length come from replay_ts_ms / replay_len */
	struct nasoone_bpf *skel;
	int load_err;	/* 0, or the negative errno of the skeleton load */
	int prog_fd[2]; /* by enum hook: nasoone_xdp, nasoone_tc_ingress */
	int stats_fd;
	int flows_fd;
	int frags_fd;
	int inner_fd[NN_MAX_CPUS]; /* this test's map in each slot of flows, or -1 */
	int flows4_fd;
	int inner4_fd[NN_MAX_CPUS]; /* the same for flows4 (IPv4, struct nn_flow_key4) */
	struct ring_buffer *ring;
};

static struct config plain = { .name = "plain" };
static struct config filtered = { .name = "filter", .use_filter = 1 };
static struct config replayed = { .name = "replay", .replay = 1 };
static int ncpus;
static unsigned int passed, skipped; /* tests that reached their end, or skipped */

/* Flows merged by key: from the maps, or from the ring. */
struct rows {
	struct {
		struct nn_flow_key key;
		struct nn_flow_val val;
	} r[MAX_ROWS];
	int n;
	unsigned int records; /* ring records read into it */
};

static struct rows ring_rows; /* filled by on_overflow() */

static const char *const stat_names[NN_STAT_MAX] = {
	[NN_STAT_SEEN] = "SEEN",
	[NN_STAT_PAUSED] = "PAUSED",
	[NN_STAT_FILTER_PASSED] = "FILTER_PASSED",
	[NN_STAT_COUNTED] = "COUNTED",
	[NN_STAT_OVERFLOW] = "OVERFLOW",
	[NN_STAT_UNATTRIBUTED] = "UNATTRIBUTED",
	[NN_STAT_SKIP_NOT_IP] = "SKIP_NOT_IP",
	[NN_STAT_SKIP_TRUNCATED] = "SKIP_TRUNCATED",
	[NN_STAT_SKIP_MALFORMED] = "SKIP_MALFORMED",
	[NN_STAT_SKIP_PROTO] = "SKIP_PROTO",
	[NN_STAT_SKIP_FRAGMENT] = "SKIP_FRAGMENT",
	[NN_STAT_MAP_FULL] = "MAP_FULL",
};

static __u32 proto_bit(__u8 l4proto)
{
	return l4proto == NN_IPPROTO_TCP ? NN_PROTO_TCP : NN_PROTO_UDP;
}

/* Stats slot of a verdict < 0, as the program counts it. */
static __u32 skip_stat(int verdict)
{
	return NN_STAT_SKIP_NOT_IP - 1 - verdict;
}

static void rows_add(struct rows *rs, const struct nn_flow_key *key, const struct nn_flow_val *val)
{
	struct nn_flow_val *v;
	int i;

	for (i = 0; i < rs->n; i++)
		if (!memcmp(&rs->r[i].key, key, sizeof(*key)))
			break;
	if (i == rs->n) {
		assert_true(rs->n < MAX_ROWS);
		rs->r[rs->n].key = *key;
		rs->r[rs->n++].val = *val;
		return;
	}
	v = &rs->r[i].val;
	v->bytes += val->bytes;
	v->ip_bytes += val->ip_bytes;
	v->packets += val->packets;
	v->protos |= val->protos;
	if (val->first_ns < v->first_ns)
		v->first_ns = val->first_ns;
	if (val->last_ns > v->last_ns)
		v->last_ns = val->last_ns;
}

static const struct nn_flow_val *rows_find(const struct rows *rs, const struct nn_flow_key *key)
{
	int i;

	for (i = 0; i < rs->n; i++)
		if (!memcmp(&rs->r[i].key, key, sizeof(*key)))
			return &rs->r[i].val;
	return NULL;
}

/* Every row of every CPU's maps (IPv6 and IPv4), merged by key. */
static void read_flows(struct config *c, struct rows *rs)
{
	struct nn_flow_key key, next;
	struct nn_flow_key4 key4, next4;
	struct nn_flow_val val;
	int cpu, err;

	memset(rs, 0, sizeof(*rs));
	for (cpu = 0; cpu < ncpus; cpu++) {
		if (c->inner4_fd[cpu] < 0)
			continue;
		for (err = bpf_map_get_next_key(c->inner4_fd[cpu], NULL, &next4); !err;
		     err = bpf_map_get_next_key(c->inner4_fd[cpu], &key4, &next4)) {
			key4 = next4;
			assert_int_equal(bpf_map_lookup_elem(c->inner4_fd[cpu], &key4, &val), 0);
			assert_int_equal(val.pad, 0);
			assert_true(val.first_ns <= val.last_ns);
			nn_flow_key_from4(&key, &key4);
			rows_add(rs, &key, &val);
		}
		assert_int_equal(errno, ENOENT);
	}
	for (cpu = 0; cpu < ncpus; cpu++) {
		if (c->inner_fd[cpu] < 0)
			continue;
		for (err = bpf_map_get_next_key(c->inner_fd[cpu], NULL, &next); !err;
		     err = bpf_map_get_next_key(c->inner_fd[cpu], &key, &next)) {
			key = next;
			assert_int_equal(bpf_map_lookup_elem(c->inner_fd[cpu], &key, &val), 0);
			assert_int_equal(val.pad, 0);
			assert_true(val.first_ns <= val.last_ns);
			rows_add(rs, &key, &val);
		}
		assert_int_equal(errno, ENOENT);
	}
}

/* Ring callback: a struct nn_overflow is one row of its own. */
static int on_overflow(void *ctx, void *data, size_t size)
{
	const struct nn_overflow *rec = data;
	struct nn_flow_val val = { 0 };

	(void)ctx;
	if (size != sizeof(*rec) || rec->pad || rec->cpu >= (__u32)ncpus || !rec->packets)
		return -EINVAL; /* ring_buffer__consume() returns it: the test fails */
	val.first_ns = rec->ts_ns;
	val.last_ns = rec->ts_ns;
	val.bytes = rec->bytes;
	val.packets = rec->packets;
	val.protos = rec->protos;
	rows_add(&ring_rows, &rec->key, &val);
	ring_rows.records++;
	return 0;
}

/*
 * Put a new hash map with max_entries rows in every slot of the outer flows
 * map, as nasoone does before it attaches (and when it swaps a full map);
 * the previous maps are closed. Returns 0 or -errno.
 */
static int fill_slots(struct config *c, __u32 max_entries)
{
	char name[BPF_OBJ_NAME_LEN];
	unsigned int cpu;
	int fd;

	for (cpu = 0; cpu < (unsigned int)ncpus; cpu++) {
		snprintf(name, sizeof(name), "nn_flows4_%u", cpu % NN_MAX_CPUS);
		fd = bpf_map_create(BPF_MAP_TYPE_HASH, name, sizeof(struct nn_flow_key4),
				    sizeof(struct nn_flow_val), max_entries, NULL);
		if (fd < 0)
			return -errno;
		if (bpf_map_update_elem(c->flows4_fd, &cpu, &fd, BPF_ANY)) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (c->inner4_fd[cpu] >= 0)
			close(c->inner4_fd[cpu]);
		c->inner4_fd[cpu] = fd;

		snprintf(name, sizeof(name), "nn_flows_%u", cpu % NN_MAX_CPUS);
		/* Same type, sizes and flags as the inner template: the kernel checks. */
		fd = bpf_map_create(BPF_MAP_TYPE_HASH, name, sizeof(struct nn_flow_key),
				    sizeof(struct nn_flow_val), max_entries, NULL);
		if (fd < 0)
			return -errno;
		if (bpf_map_update_elem(c->flows_fd, &cpu, &fd, BPF_ANY)) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (c->inner_fd[cpu] >= 0)
			close(c->inner_fd[cpu]);
		c->inner_fd[cpu] = fd;
	}
	return 0;
}

/*
 * Print a loaded program's size after the verifier's rewrites (xlated
 * instructions, JITed bytes) and the verifier's statistics line
 * ("processed N insns ...").
 */
static void print_verifier_stats(const char *cfg, const struct bpf_program *prog, const char *log)
{
	const char *line = strstr(log, "processed ");
	struct bpf_prog_info info;
	__u32 info_len = sizeof(info);
	int len;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &info_len))
		return;
	len = line ? (int)strcspn(line, "\n") : 0;
	printf("[ INFO     ] %s/%s: %u insns (%u xlated, %u bytes JITed); verifier: %.*s\n", cfg,
	       bpf_program__name(prog), (unsigned int)bpf_program__insn_cnt(prog),
	       info.xlated_prog_len / 8, info.jited_prog_len, len, line ? line : "");
}

static int fill_account_slot(struct bpf_map *progs, struct bpf_program *account)
{
	__u32 slot = NN_PROG_ACCOUNT;
	int fd = bpf_program__fd(account);

	return bpf_map_update_elem(bpf_map__fd(progs), &slot, &fd, BPF_ANY);
}

static int load_config(struct config *c)
{
	static char logs[5][4096];
	struct bpf_program *progs[5];
	int err, i;

	for (i = 0; i < NN_MAX_CPUS; i++)
		c->inner_fd[i] = c->inner4_fd[i] = -1;
	c->skel = nasoone_bpf__open();
	if (!c->skel)
		return -errno;
	c->skel->rodata->use_filter = c->use_filter;
	c->skel->rodata->replay = c->replay;
	/* One slot per possible CPU: bpf_get_smp_processor_id() indexes it. */
	bpf_map__set_max_entries(c->skel->maps.flows, ncpus);
	bpf_map__set_max_entries(c->skel->maps.flows4, ncpus);
	progs[0] = c->skel->progs.nasoone_xdp;
	progs[1] = c->skel->progs.nasoone_xdp_account;
	progs[2] = c->skel->progs.nasoone_tc_ingress;
	progs[3] = c->skel->progs.nasoone_tc_egress;
	progs[4] = c->skel->progs.nasoone_tc_account;
	for (i = 0; i < 5; i++) {
		/* Level 4 (BPF_LOG_STATS): only the summary, so the buffer is enough. */
		bpf_program__set_log_level(progs[i], 4);
		bpf_program__set_log_buf(progs[i], logs[i], sizeof(logs[i]));
	}
	err = nasoone_bpf__load(c->skel);
	if (err) {
		nasoone_bpf__destroy(c->skel);
		c->skel = NULL;
		if (err == -EPERM)
			return err;
		/* Load again with libbpf's defaults, so that it prints the verifier log. */
		c->skel = nasoone_bpf__open();
		if (c->skel) {
			c->skel->rodata->use_filter = c->use_filter;
			c->skel->rodata->replay = c->replay;
			bpf_map__set_max_entries(c->skel->maps.flows, ncpus);
			bpf_map__set_max_entries(c->skel->maps.flows4, ncpus);
			bpf_map__set_max_entries(c->skel->maps.flows4, ncpus);
			nasoone_bpf__load(c->skel);
			nasoone_bpf__destroy(c->skel);
			c->skel = NULL;
		}
		return err;
	}
	for (i = 0; i < 5; i++)
		print_verifier_stats(c->name, progs[i], logs[i]);
	/* NN_PROG_ACCOUNT, the filter's tail-call target, as the loader fills it. */
	if (fill_account_slot(c->skel->maps.xdp_progs, c->skel->progs.nasoone_xdp_account) ||
	    fill_account_slot(c->skel->maps.tc_progs, c->skel->progs.nasoone_tc_account))
		return -errno;

	c->prog_fd[HOOK_XDP] = bpf_program__fd(c->skel->progs.nasoone_xdp);
	c->prog_fd[HOOK_TC] = bpf_program__fd(c->skel->progs.nasoone_tc_ingress);
	c->stats_fd = bpf_map__fd(c->skel->maps.stats);
	c->flows_fd = bpf_map__fd(c->skel->maps.flows);
	c->flows4_fd = bpf_map__fd(c->skel->maps.flows4);
	c->frags_fd = bpf_map__fd(c->skel->maps.frags);
	c->ring = ring_buffer__new(bpf_map__fd(c->skel->maps.overflow), on_overflow, NULL, NULL);
	if (!c->ring)
		return -errno;
	return fill_slots(c, TEST_FLOWS);
}

static void unload_config(struct config *c)
{
	int cpu;

	ring_buffer__free(c->ring); /* NULL-safe */
	nasoone_bpf__destroy(c->skel);
	for (cpu = 0; cpu < NN_MAX_CPUS; cpu++) {
		if (c->inner_fd[cpu] >= 0)
			close(c->inner_fd[cpu]);
		if (c->inner4_fd[cpu] >= 0)
			close(c->inner4_fd[cpu]);
	}
}

static int setup_config(struct config *c)
{
	char msg[128];

	c->load_err = load_config(c);
	if (c->load_err) {
		libbpf_strerror(c->load_err, msg, sizeof(msg));
		fprintf(stderr, "loading nasoone.bpf.o (%s) failed: %s\n", c->name, msg);
	}
	return 0; /* each test skips or fails on its own, with the reason */
}

static int group_setup(void **state)
{
	cpu_set_t set;
	int cpu;

	(void)state;
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0 || ncpus > NN_MAX_CPUS) {
		fprintf(stderr, "libbpf_num_possible_cpus: %d\n", ncpus);
		return -1;
	}
	/*
	 * BPF_PROG_TEST_RUN runs the program on the calling CPU: staying on
	 * one CPU makes the per-CPU split of the overflow test exact.
	 */
	cpu = sched_getcpu();
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (cpu < 0 || sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "cannot pin to one CPU: %s\n", strerror(errno));
	setup_config(&plain);
	setup_config(&filtered);
	setup_config(&replayed);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unload_config(&plain);
	unload_config(&filtered);
	unload_config(&replayed);
	return 0;
}

/* Skip the test when the program could not be loaded for lack of privilege. */
static void require_program(const struct config *c)
{
	if (c->load_err == -EPERM) {
		print_message("[ SKIP     ] loading BPF needs CAP_BPF and CAP_NET_ADMIN "
			      "(run as root): EPERM\n");
		skipped++;
		skip();
	}
	assert_int_equal(c->load_err, 0);
}

/*
 * A clean slate: fresh flow maps of max_entries rows, zero stats, no
 * datagrams, an empty ring, not paused, live time, no filter.
 */
static void reset(struct config *c, __u32 max_entries)
{
	__u64 zero[ncpus];
	struct nn_frag_key fk;
	__u32 i;

	require_program(c);
	assert_int_equal(fill_slots(c, max_entries), 0);
	memset(zero, 0, sizeof(zero));
	for (i = 0; i < NN_STAT_MAX; i++)
		assert_int_equal(bpf_map_update_elem(c->stats_fd, &i, zero, BPF_ANY), 0);
	while (!bpf_map_get_next_key(c->frags_fd, NULL, &fk))
		assert_int_equal(bpf_map_delete_elem(c->frags_fd, &fk), 0);
	assert_true(ring_buffer__consume(c->ring) >= 0);
	memset(&ring_rows, 0, sizeof(ring_rows));
	c->skel->bss->paused = 0;
	c->skel->bss->replay_ts_ms = 0;
	i = NN_PROG_FILTER;
	bpf_map_delete_elem(bpf_map__fd(c->skel->maps.xdp_progs), &i); /* ENOENT if empty */
	bpf_map_delete_elem(bpf_map__fd(c->skel->maps.tc_progs), &i);
}

/*
 * Run the entry program of hook repeat times on one frame; ctx, if not
 * NULL, is the __sk_buff given to TC. Returns the mean ns per run.
 */
static __u32 run(struct config *c, enum hook hook, const __u8 *data, __u32 len, __u32 repeat,
		 struct __sk_buff *ctx)
{
	static __u8 out[8192];
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = data, .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = repeat);

	if (ctx) {
		topts.ctx_in = ctx;
		topts.ctx_size_in = sizeof(*ctx);
	}
	assert_in_range(len, 14, sizeof(out));
	assert_int_equal(bpf_prog_test_run_opts(c->prog_fd[hook], &topts), 0);
	if (hook == HOOK_XDP)
		assert_int_equal(topts.retval, XDP_PASS);
	else
		assert_int_equal((int)topts.retval, TC_NEXT);
	/* The program only watches: the frame comes back unchanged. */
	assert_int_equal(topts.data_size_out, len);
	assert_memory_equal(out, data, len);
	return topts.duration;
}

static __u64 stat_sum(const struct config *c, __u32 stat)
{
	__u64 vals[ncpus], sum = 0;
	int cpu;

	assert_int_equal(bpf_map_lookup_elem(c->stats_fd, &stat, vals), 0);
	for (cpu = 0; cpu < ncpus; cpu++)
		sum += vals[cpu];
	return sum;
}

/* Every stat, summed over the CPUs, must be want[stat]; names the wrong ones. */
static void expect_stats(const struct config *c, const __u64 want[NN_STAT_MAX])
{
	int bad = 0;
	__u32 i;
	__u64 v;

	for (i = 0; i < NN_STAT_MAX; i++) {
		v = stat_sum(c, i);
		if (v == want[i])
			continue;
		print_error("stats[%s] = %llu, want %llu\n", stat_names[i], (unsigned long long)v,
			    (unsigned long long)want[i]);
		bad = 1;
	}
	assert_false(bad);
}

static const struct test_pkt *find_pkt(const char *name)
{
	size_t i;

	for (i = 0; i < N_TEST_PKTS; i++)
		if (!strcmp(test_pkts[i].name, name))
			return &test_pkts[i];
	fail_msg("no canned frame %s", name);
	return NULL;
}

/* A parse in userspace that must give want. */
static void parse_user(const __u8 *data, __u32 len, int want, struct nn_pkt *pkt)
{
	memset(pkt, 0, sizeof(*pkt));
	assert_int_equal(nn_parse_eth(data, data + len, pkt), want);
}

/* One canned frame through both builds of the parser, on one hook. */
struct canned_case {
	const struct test_pkt *tp;
	enum hook hook;
	char name[64];
};

static struct canned_case canned[2 * N_TEST_PKTS];

static void test_canned(void **state)
{
	const struct canned_case *cc = *state;
	const struct test_pkt *tp = cc->tp;
	__u64 want[NN_STAT_MAX] = { [NN_STAT_SEEN] = 1, [NN_STAT_FILTER_PASSED] = 1 };
	const struct nn_flow_val *val;
	struct nn_pkt upkt;
	struct rows rs;

	parse_user(tp->data, tp->len, tp->verdict, &upkt);
	reset(&plain, TEST_FLOWS);
	run(&plain, cc->hook, tp->data, tp->len, 1, NULL);
	read_flows(&plain, &rs);

	if (tp->verdict == NN_COUNT) {
		want[NN_STAT_COUNTED] = 1;
		assert_int_equal(rs.n, 1);
		val = rows_find(&rs, &upkt.key);
		assert_non_null(val);
		assert_int_equal(val->packets, 1);
		assert_int_equal(val->bytes, tp->len);
		/* The IP octets the userspace parser gives, the key's protocol. */
		assert_int_equal(val->ip_bytes,
				 nn_ip_octets(&upkt, tp->len, 1, (__u32)(upkt.l3 - tp->data)));
		assert_true(val->ip_bytes > 0 && val->ip_bytes < tp->len);
		assert_int_equal(upkt.key.pad[NN_KEY_PROTO], upkt.l4proto);
		assert_int_equal(val->protos, proto_bit(upkt.l4proto));
		/* Live time: bpf_ktime_get_boot_ns(), once per packet. */
		assert_true(val->first_ns > 0);
		assert_int_equal(val->first_ns, val->last_ns);
	} else {
		/* A later fragment alone: its first fragment was never seen. */
		if (tp->verdict == NN_FRAGMENT)
			want[NN_STAT_SKIP_FRAGMENT] = 1;
		else
			want[skip_stat(tp->verdict)] = 1;
		assert_int_equal(rs.n, 0);
	}
	expect_stats(&plain, want);
	assert_int_equal(ring_buffer__consume(plain.ring), 0);
	passed++;
}

/*
 * Fragments, with replayed time: a later fragment counts in its first
 * fragment's flow if that came at most NN_FRAG_TTL_MS earlier, by the
 * program's clock; an entry is only old for a later packet.
 */
static void test_fragments(void **state)
{
	enum hook hook = (enum hook)(long)*state;
	static const struct {
		const char *pkt;
		__u64 ts;
		int counted; /* 1: in its datagram's flow, 0: NN_STAT_SKIP_FRAGMENT */
	} steps[] = {
		{ "ipv4_frag_later", T0, 0 }, /* before its first fragment */
		{ "ipv4_frag_first", T0 + 10, 1 },
		{ "ipv4_frag_later", T0 + 20, 1 },
		{ "ipv4_frag_later", T0 + 10 + NN_FRAG_TTL_MS, 1 }, /* exactly the TTL */
		{ "ipv4_frag_later", T0 + 11 + NN_FRAG_TTL_MS, 0 }, /* one ms too late */
		{ "ipv4_frag_later", T0 - 5 * NN_FRAG_TTL_MS, 1 },  /* time went backwards */
		{ "ipv6_frag_later", T0 + 30, 0 },
		{ "ipv6_frag_first", T0 + 40, 1 },
		{ "ipv6_frag_later", T0 + 50, 1 },
		{ "ipv6_frag_first", T0 + 100 + NN_FRAG_TTL_MS, 1 }, /* a new first fragment */
		{ "ipv6_frag_later", T0 + 200 + NN_FRAG_TTL_MS, 1 }, /* ... renews the entry */
	};
	const struct test_pkt *first4 = find_pkt("ipv4_frag_first");
	const struct test_pkt *first6 = find_pkt("ipv6_frag_first");
	__u64 want[NN_STAT_MAX] = { 0 };
	struct nn_pkt key4, key6, upkt;
	struct rows rs, expect = { 0 };
	const struct nn_flow_val *got;
	struct nn_flow_val v;
	unsigned int i;
	int r;

	parse_user(first4->data, first4->len, NN_COUNT, &key4);
	assert_int_equal(key4.frag, NN_FRAG_FIRST);
	parse_user(first6->data, first6->len, NN_COUNT, &key6);
	assert_int_equal(key6.frag, NN_FRAG_FIRST);

	reset(&replayed, TEST_FLOWS);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct test_pkt *tp = find_pkt(steps[i].pkt);

		replayed.skel->bss->replay_ts_ms = steps[i].ts;
		run(&replayed, hook, tp->data, tp->len, 1, NULL);
		parse_user(tp->data, tp->len, tp->verdict, &upkt);
		want[NN_STAT_SEEN]++;
		want[NN_STAT_FILTER_PASSED]++;
		if (!steps[i].counted) {
			want[NN_STAT_SKIP_FRAGMENT]++;
			continue;
		}
		want[NN_STAT_COUNTED]++;
		memset(&v, 0, sizeof(v));
		v.first_ns = v.last_ns = steps[i].ts;
		v.bytes = tp->len;
		v.ip_bytes = upkt.ip_len; /* each fragment's own IP length */
		v.packets = 1;
		v.protos = NN_PROTO_UDP;
		rows_add(&expect, upkt.key.family == NN_FAMILY_IPV4 ? &key4.key : &key6.key, &v);
	}
	read_flows(&replayed, &rs);
	assert_int_equal(rs.n, 2);
	for (r = 0; r < expect.n; r++) {
		got = rows_find(&rs, &expect.r[r].key);
		assert_non_null(got);
		assert_memory_equal(got, &expect.r[r].val, sizeof(*got));
	}
	expect_stats(&replayed, want);
	passed++;
}

/* Paused: seen and counted as paused, nothing else. */
static void test_paused(void **state)
{
	enum hook hook = (enum hook)(long)*state;
	const __u64 want[NN_STAT_MAX] = { [NN_STAT_SEEN] = 2, [NN_STAT_PAUSED] = 2 };
	struct rows rs;

	reset(&plain, TEST_FLOWS);
	plain.skel->bss->paused = 1;
	run(&plain, hook, pkt_ipv4_tcp, sizeof(pkt_ipv4_tcp), 1, NULL);
	run(&plain, hook, pkt_arp, sizeof(pkt_arp), 1, NULL);
	read_flows(&plain, &rs);
	assert_int_equal(rs.n, 0);
	expect_stats(&plain, want);
	plain.skel->bss->paused = 0;
	passed++;
}

/* replay_ts_ms is the packet's time as it is; first/last are min/max. */
static void test_replay_ts(void **state)
{
	enum hook hook = (enum hook)(long)*state;
	static const __u64 ts[] = { T0, T0 - 7, T0 + 5, T0 + 1 };
	const struct nn_flow_val *val;
	struct rows rs;
	unsigned int i;

	reset(&replayed, TEST_FLOWS);
	for (i = 0; i < 4; i++) {
		replayed.skel->bss->replay_ts_ms = ts[i];
		run(&replayed, hook, pkt_ipv4_udp, sizeof(pkt_ipv4_udp), 1, NULL);
		read_flows(&replayed, &rs);
		assert_int_equal(rs.n, 1);
		val = &rs.r[0].val;
		if (i == 0) {
			assert_int_equal(val->first_ns, T0);
			assert_int_equal(val->last_ns, T0);
		}
	}
	assert_int_equal(val->first_ns, T0 - 7);
	assert_int_equal(val->last_ns, T0 + 5);
	assert_int_equal(val->packets, 4);
	passed++;
}

/* pkt_ipv4_udp with source port sport. */
static void udp_frame(__u8 *buf, __u16 sport)
{
	memcpy(buf, pkt_ipv4_udp, sizeof(pkt_ipv4_udp));
	buf[34] = sport >> 8; /* 14 Ethernet + 20 IPv4 */
	buf[35] = sport & 0xff;
}

/*
 * Maps of 4 rows, 10 flows of 2 packets each: 4 flows stay in the map,
 * the others go through the ring, one record per packet. Map rows plus
 * ring records must hold every packet exactly once.
 */
static void test_overflow(void **state)
{
	enum hook hook = (enum hook)(long)*state;
	const __u64 want[NN_STAT_MAX] = {
		[NN_STAT_SEEN] = 20,	 [NN_STAT_FILTER_PASSED] = 20, [NN_STAT_COUNTED] = 20,
		[NN_STAT_OVERFLOW] = 12, [NN_STAT_MAP_FULL] = 12,
	};
	__u8 frame[sizeof(pkt_ipv4_udp)];
	const struct nn_flow_val *m, *r;
	struct rows rs;
	struct nn_pkt upkt;
	int round, f;

	reset(&plain, 4);
	for (round = 0; round < 2; round++) {
		for (f = 0; f < 10; f++) {
			udp_frame(frame, 50000 + f);
			run(&plain, hook, frame, sizeof(frame), 1, NULL);
		}
	}
	assert_true(ring_buffer__consume(plain.ring) >= 0);
	read_flows(&plain, &rs);
	assert_int_equal(rs.n, 4);
	assert_int_equal(ring_rows.records, 12);
	assert_int_equal(ring_rows.n, 6);
	for (f = 0; f < 10; f++) {
		udp_frame(frame, 50000 + f);
		parse_user(frame, sizeof(frame), NN_COUNT, &upkt);
		m = rows_find(&rs, &upkt.key);
		r = rows_find(&ring_rows, &upkt.key);
		/* Each flow in exactly one place: it got a row or it never did. */
		assert_true(!m != !r);
		if (!m)
			m = r;
		assert_int_equal(m->packets, 2);
		assert_int_equal(m->bytes, 2 * sizeof(frame));
		assert_int_equal(m->protos, NN_PROTO_UDP);
	}
	expect_stats(&plain, want);
	passed++;
}

/* No map in this CPU's slot: the packet goes to the ring, not MAP_FULL. */
static void test_empty_slot(void **state)
{
	enum hook hook = (enum hook)(long)*state;
	const __u64 want[NN_STAT_MAX] = { [NN_STAT_SEEN] = 1,
					  [NN_STAT_FILTER_PASSED] = 1,
					  [NN_STAT_COUNTED] = 1,
					  [NN_STAT_OVERFLOW] = 1 };
	struct nn_pkt upkt;
	int cpu;

	reset(&plain, TEST_FLOWS);
	for (cpu = 0; cpu < ncpus; cpu++) {
		assert_int_equal(bpf_map_delete_elem(plain.flows_fd, &cpu), 0);
		assert_int_equal(bpf_map_delete_elem(plain.flows4_fd, &cpu), 0);
	}
	run(&plain, hook, pkt_ipv6_udp, sizeof(pkt_ipv6_udp), 1, NULL);
	assert_int_equal(ring_buffer__consume(plain.ring), 1);
	parse_user(pkt_ipv6_udp, sizeof(pkt_ipv6_udp), NN_COUNT, &upkt);
	assert_non_null(rows_find(&ring_rows, &upkt.key));
	assert_int_equal(ring_rows.r[0].val.bytes, sizeof(pkt_ipv6_udp));
	expect_stats(&plain, want);
	passed++;
}

/*
 * TC, GSO: an skb of gso_segs segments is that many wire packets, each
 * repeating the headers up to the end of TCP's (data offset) or UDP's.
 */
static void test_tc_gso(void **state)
{
	static const struct {
		const char *pkt;
		__u32 hdr; /* bytes every further segment repeats */
	} cases[] = {
		{ "ipv4_tcp", 14 + 20 + 20 },
		{ "ipv4_tcp_ts", 14 + 20 + 32 },
		{ "ipv4_udp", 14 + 20 + 8 },
		{ "ipv6_ext_chain", 14 + 40 + 8 + 24 + 8 + 8 + 20 },
	};
	__u64 want[NN_STAT_MAX] = { 0 };
	const struct nn_flow_val *val;
	struct __sk_buff ctx;
	struct nn_pkt upkt;
	struct rows rs;
	unsigned int i, segs = 3;

	(void)state;
	reset(&plain, TEST_FLOWS);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct test_pkt *tp = find_pkt(cases[i].pkt);

		memset(&ctx, 0, sizeof(ctx));
		ctx.gso_segs = segs;
		run(&plain, HOOK_TC, tp->data, tp->len, 1, &ctx);
		parse_user(tp->data, tp->len, NN_COUNT, &upkt);
		read_flows(&plain, &rs);
		val = rows_find(&rs, &upkt.key);
		assert_non_null(val);
		assert_int_equal(val->packets, segs);
		assert_int_equal(val->bytes, tp->len + (segs - 1) * cases[i].hdr);
		/* Every segment's IP octets: its wire bytes less Ethernet's header. */
		assert_int_equal(val->ip_bytes, tp->len + (segs - 1) * cases[i].hdr - segs * 14);
	}
	/* A skipped GSO skb counts its wire packets too. */
	memset(&ctx, 0, sizeof(ctx));
	ctx.gso_segs = segs;
	run(&plain, HOOK_TC, pkt_icmp, sizeof(pkt_icmp), 1, &ctx);
	want[NN_STAT_SEEN] = 5 * segs;
	want[NN_STAT_FILTER_PASSED] = 5 * segs;
	want[NN_STAT_COUNTED] = 4 * segs;
	want[NN_STAT_SKIP_PROTO] = segs;
	expect_stats(&plain, want);
	passed++;
}

/*
 * XDP: the bytes are the whole frame's, far past the headers the parser
 * reads, including a multi-buffer frame (BPF_PROG_TEST_RUN puts what does
 * not fit in one page into fragments for an xdp.frags program).
 */
static void test_xdp_large(void **state)
{
	static __u8 frame[7000];
	const __u32 len = sizeof(frame);
	const struct nn_flow_val *val;
	struct nn_pkt upkt;
	struct rows rs;

	(void)state;
	memset(frame, 0x5a, len);
	memcpy(frame, pkt_ipv4_udp, 14 + 20 + 8);
	frame[16] = (len - 14) >> 8; /* IPv4 total length */
	frame[17] = (len - 14) & 0xff;
	frame[38] = (len - 34) >> 8; /* UDP length */
	frame[39] = (len - 34) & 0xff;
	parse_user(frame, len, NN_COUNT, &upkt);
	reset(&plain, TEST_FLOWS);
	run(&plain, HOOK_XDP, frame, len, 1, NULL);
	read_flows(&plain, &rs);
	assert_int_equal(rs.n, 1);
	val = rows_find(&rs, &upkt.key);
	assert_non_null(val);
	assert_int_equal(val->bytes, len);
	assert_int_equal(val->packets, 1);
	passed++;
}

/* struct bpf_insn by hand: a filter program of a few instructions. */
#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/*
 * A stand-in for a translated pcap filter: accept (tail-call
 * NN_PROG_ACCOUNT of progs_fd) or reject (return verdict).
 */
static int load_filter(enum hook hook, int accept, int progs_fd, __u32 prog_flags)
{
	int verdict = hook == HOOK_XDP ? XDP_PASS : TC_NEXT;
	struct bpf_insn insns[] = {
		/* r2 = progs (r1 is still the context), r3 = NN_PROG_ACCOUNT */
		INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_MAP_FD, 0, progs_fd),
		INSN(0, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, NN_PROG_ACCOUNT),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, verdict),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	/* Like libbpf's SEC("xdp"): the kernel compares attach types across tail calls. */
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .prog_flags = prog_flags,
		    .expected_attach_type = hook == HOOK_XDP ? BPF_XDP : 0);
	const struct bpf_insn *start = accept ? insns : insns + 4;
	size_t n = accept ? 6 : 2;

	return bpf_prog_load(hook == HOOK_XDP ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS,
			     accept ? "nn_filter_ok" : "nn_filter_no", "GPL", start, n, &opts);
}

/*
 * use_filter: an empty filter slot counts as no filter; a filter that
 * accepts reaches the account program through NN_PROG_ACCOUNT (filled by
 * load_config(), as the loader does); one that rejects leaves only NN_STAT_SEEN.
 */
static void test_filter(void **state)
{
	enum hook hook = (enum hook)(long)*state;
	int progs_fd, fd, accept;
	__u32 slot = NN_PROG_FILTER;
	__u64 want[NN_STAT_MAX] = { 0 };
	struct nn_pkt upkt;
	struct rows rs;

	reset(&filtered, TEST_FLOWS);
	if (hook == HOOK_XDP)
		progs_fd = bpf_map__fd(filtered.skel->maps.xdp_progs);
	else
		progs_fd = bpf_map__fd(filtered.skel->maps.tc_progs);
	parse_user(pkt_ipv4_tcp, sizeof(pkt_ipv4_tcp), NN_COUNT, &upkt);

	/* Empty slot: the tail call returns and the entry accounts itself. */
	run(&filtered, hook, pkt_ipv4_tcp, sizeof(pkt_ipv4_tcp), 1, NULL);
	want[NN_STAT_SEEN] = want[NN_STAT_FILTER_PASSED] = want[NN_STAT_COUNTED] = 1;
	expect_stats(&filtered, want);

	for (accept = 1; accept >= 0; accept--) {
		fd = load_filter(hook, accept, progs_fd,
				 hook == HOOK_XDP ? BPF_F_XDP_HAS_FRAGS : 0);
		assert_true(fd >= 0);
		assert_int_equal(bpf_map_update_elem(progs_fd, &slot, &fd, BPF_ANY), 0);
		close(fd); /* the array holds it */
		run(&filtered, hook, pkt_ipv4_tcp, sizeof(pkt_ipv4_tcp), 1, NULL);
		want[NN_STAT_SEEN]++;
		want[NN_STAT_FILTER_PASSED] += accept;
		want[NN_STAT_COUNTED] += accept;
		expect_stats(&filtered, want);
	}
	read_flows(&filtered, &rs);
	assert_int_equal(rs.n, 1);
	assert_non_null(rows_find(&rs, &upkt.key));
	assert_int_equal(rows_find(&rs, &upkt.key)->packets, 2);

	if (hook == HOOK_XDP) {
		/*
		 * A filter without BPF_F_XDP_HAS_FRAGS cannot join the xdp.frags
		 * programs: 6.18 refuses to load it (it uses xdp_progs), older
		 * kernels refuse it in the array.
		 */
		fd = load_filter(hook, 1, progs_fd, 0);
		if (fd >= 0) {
			assert_int_not_equal(bpf_map_update_elem(progs_fd, &slot, &fd, BPF_ANY), 0);
			close(fd);
		}
		assert_int_equal(errno, EINVAL);
	}
	passed++;
}

/* REPEAT runs of one frame: one flow with REPEAT packets; prints the mean time. */
static void test_repeat(void **state)
{
	enum hook hook = (enum hook)(long)*state;
	const struct test_pkt *tp = &test_pkts[0];
	const struct nn_flow_val *val;
	struct nn_pkt upkt;
	struct rows rs;
	__u32 ns;

	parse_user(tp->data, tp->len, NN_COUNT, &upkt);
	reset(&plain, TEST_FLOWS);
	ns = run(&plain, hook, tp->data, tp->len, REPEAT, NULL);
	read_flows(&plain, &rs);
	assert_int_equal(rs.n, 1);
	val = rows_find(&rs, &upkt.key);
	assert_non_null(val);
	assert_int_equal(val->packets, REPEAT);
	assert_int_equal(val->bytes, (__u64)REPEAT * tp->len);
	/* Informational only: timings depend on the machine. */
	printf("[ INFO     ] %s %s: %u runs, %u ns per run on average\n", hook_names[hook],
	       tp->name, REPEAT, ns);
	passed++;
}

#define HOOK_TESTS(fn)                                                                             \
	{ .name = #fn "/xdp", .test_func = fn, .initial_state = (void *)(long)HOOK_XDP },          \
	{                                                                                          \
		.name = #fn "/tc", .test_func = fn, .initial_state = (void *)(long)HOOK_TC         \
	}

int main(void)
{
	static const struct CMUnitTest others[] = {
		HOOK_TESTS(test_fragments),
		HOOK_TESTS(test_paused),
		HOOK_TESTS(test_replay_ts),
		HOOK_TESTS(test_overflow),
		HOOK_TESTS(test_empty_slot),
		HOOK_TESTS(test_filter),
		{ .name = "test_tc_gso", .test_func = test_tc_gso },
		{ .name = "test_xdp_large", .test_func = test_xdp_large },
		HOOK_TESTS(test_repeat),
	};
	struct CMUnitTest tests[2 * N_TEST_PKTS + sizeof(others) / sizeof(others[0])];
	size_t i, n = 0;
	int failed, h;

	/* Line-buffered, so that a log keeps the order of stdout and stderr. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (h = HOOK_XDP; h <= HOOK_TC; h++) {
		for (i = 0; i < N_TEST_PKTS; i++, n++) {
			canned[n].tp = &test_pkts[i];
			canned[n].hook = h;
			snprintf(canned[n].name, sizeof(canned[n].name), "%s/%s", hook_names[h],
				 test_pkts[i].name);
			tests[n] = (struct CMUnitTest){
				.name = canned[n].name,
				.test_func = test_canned,
				.initial_state = &canned[n],
			};
		}
	}
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		tests[n++] = others[i];
	failed =
		_cmocka_run_group_tests("bpf_prog_test_run", tests, n, group_setup, group_teardown);
	/* The suite's closing line (tests/tests.mk); a test that crashed did not pass. */
	if (skipped)
		printf("%u skipped\n", skipped);
	printf("%u passed, %zu failed\n", passed, n - passed - skipped);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
