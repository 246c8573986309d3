// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF_PROG_TEST_RUN tests: each canned frame of pkts.h goes through the
 * loaded nasoone_xdp program, and what the program left in its maps must be
 * what the userspace build of the same parser (include/nasoone/parse.h)
 * says about the same bytes: the same flow key with one packet of the
 * frame's length, or, for a frame that does not count, one hit in the
 * stats slot of the same verdict. This is what keeps the two builds of the
 * parser from drifting apart.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nasoone/flow.h"
#include "nasoone/parse.h"
#include "nasoone.skel.h"
#include "pkts.h"

#define REPEAT 1000

struct fixture {
	struct nasoone_bpf *skel;
	int load_err; /* 0, or the negative errno of the skeleton load */
	int ncpus;
	int prog_fd;
	int flows_fd;
	int stats_fd;
	__u32 stats_max;
	unsigned int passed; /* tests that reached their end */
	unsigned int skipped;
};

static struct fixture fx;

/*
 * Slot of a verdict in the stats array; mirrors enum nn_stat in
 * bpf/nasoone.bpf.c (NN_FRAGMENT in slot 0, NN_SKIP_* in slot -verdict).
 */
static __u32 stat_slot(int verdict)
{
	return verdict == NN_FRAGMENT ? 0 : (__u32)-verdict;
}

/* Print the verifier's statistics line ("processed N insns ...") if any. */
static void print_verifier_stats(const char *log)
{
	const char *line = strstr(log, "processed ");
	int len;

	if (!line)
		return;
	len = (int)strcspn(line, "\n");
	printf("[ INFO     ] verifier: %.*s\n", len, line);
}

static int load_skeleton(void)
{
	static char log[4096];
	int err;

	fx.skel = nasoone_bpf__open();
	if (!fx.skel)
		return -errno;
	/* Level 4 (BPF_LOG_STATS): only the summary, so the buffer is enough. */
	bpf_program__set_log_level(fx.skel->progs.nasoone_xdp, 4);
	bpf_program__set_log_buf(fx.skel->progs.nasoone_xdp, log, sizeof(log));
	err = nasoone_bpf__load(fx.skel);
	if (!err) {
		print_verifier_stats(log);
		return 0;
	}
	nasoone_bpf__destroy(fx.skel);
	fx.skel = NULL;
	if (err == -EPERM)
		return err;
	/* Load again with libbpf's defaults, so that it prints the verifier log. */
	fx.skel = nasoone_bpf__open_and_load();
	if (fx.skel)
		return 0;
	return err;
}

static int group_setup(void **state)
{
	(void)state;
	fx.ncpus = libbpf_num_possible_cpus();
	if (fx.ncpus <= 0) {
		fprintf(stderr, "libbpf_num_possible_cpus: %d\n", fx.ncpus);
		return -1;
	}
	fx.load_err = load_skeleton();
	if (fx.load_err) {
		char msg[128];

		libbpf_strerror(fx.load_err, msg, sizeof(msg));
		fprintf(stderr, "loading nasoone.bpf.o failed: %s\n", msg);
		return 0; /* each test skips or fails on its own, with the reason */
	}
	fx.prog_fd = bpf_program__fd(fx.skel->progs.nasoone_xdp);
	fx.flows_fd = bpf_map__fd(fx.skel->maps.flows);
	fx.stats_fd = bpf_map__fd(fx.skel->maps.stats);
	fx.stats_max = bpf_map__max_entries(fx.skel->maps.stats);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	nasoone_bpf__destroy(fx.skel); /* NULL-safe */
	return 0;
}

/* Skip the test when the program could not be loaded for lack of privilege. */
static void require_program(void)
{
	if (fx.load_err == -EPERM) {
		print_message("[ SKIP     ] loading BPF needs CAP_BPF and CAP_NET_ADMIN "
			      "(run as root): EPERM\n");
		fx.skipped++;
		skip();
	}
	assert_int_equal(fx.load_err, 0);
}

/* Empty both maps, so that each test sees only its own frame. */
static void clear_maps(void)
{
	__u64 zero[fx.ncpus];
	struct nn_flow_key key;
	__u32 i;

	memset(zero, 0, sizeof(zero));
	while (!bpf_map_get_next_key(fx.flows_fd, NULL, &key))
		assert_int_equal(bpf_map_delete_elem(fx.flows_fd, &key), 0);
	for (i = 0; i < fx.stats_max; i++)
		assert_int_equal(bpf_map_update_elem(fx.stats_fd, &i, zero, BPF_ANY), 0);
}

/* Run the XDP program repeat times on one frame; returns the mean ns per run. */
static __u32 run_xdp(const struct test_pkt *tp, __u32 repeat)
{
	__u8 out[256];
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = tp->data, .data_size_in = tp->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = repeat);

	assert_in_range(tp->len, 14, sizeof(out));
	assert_int_equal(bpf_prog_test_run_opts(fx.prog_fd, &topts), 0);
	assert_int_equal(topts.retval, XDP_PASS);
	/* The program only watches: the frame comes back unchanged. */
	assert_int_equal(topts.data_size_out, tp->len);
	assert_memory_equal(out, tp->data, tp->len);
	return topts.duration;
}

/* Sum of stats[slot] over all possible CPUs. */
static __u64 stat_sum(__u32 slot)
{
	__u64 vals[fx.ncpus], sum = 0;
	int cpu;

	assert_int_equal(bpf_map_lookup_elem(fx.stats_fd, &slot, vals), 0);
	for (cpu = 0; cpu < fx.ncpus; cpu++)
		sum += vals[cpu];
	return sum;
}

/*
 * The flows map must hold exactly one key, want, with packets frames of
 * bytes bytes in all (summed over the CPUs) and the protocol bit proto.
 */
static void check_single_flow(const struct nn_flow_key *want, __u64 packets, __u64 bytes,
			      __u32 proto)
{
	struct nn_flow_val vals[fx.ncpus], sum = { 0 };
	struct nn_flow_key key, next;
	int cpu;

	assert_int_equal(bpf_map_get_next_key(fx.flows_fd, NULL, &key), 0);
	assert_memory_equal(&key, want, sizeof(key));
	assert_int_not_equal(bpf_map_get_next_key(fx.flows_fd, &key, &next), 0);
	assert_int_equal(errno, ENOENT);

	/* One value per possible CPU, each rounded up to 8 bytes (40 already is). */
	assert_int_equal(bpf_map_lookup_elem(fx.flows_fd, &key, vals), 0);
	for (cpu = 0; cpu < fx.ncpus; cpu++) {
		if (!vals[cpu].packets)
			continue;
		assert_true(vals[cpu].first_ns > 0);
		assert_true(vals[cpu].first_ns <= vals[cpu].last_ns);
		assert_int_equal(vals[cpu].protos, proto);
		assert_int_equal(vals[cpu].pad, 0);
		sum.packets += vals[cpu].packets;
		sum.bytes += vals[cpu].bytes;
	}
	assert_int_equal(sum.packets, packets);
	assert_int_equal(sum.bytes, bytes);
}

static __u32 proto_bit(__u8 l4proto)
{
	return l4proto == NN_IPPROTO_TCP ? NN_PROTO_TCP : NN_PROTO_UDP;
}

/* One frame through both builds of the parser. */
static void test_packet(void **state)
{
	const struct test_pkt *tp = *state;
	struct nn_pkt upkt = { 0 };
	struct nn_flow_key key;
	int verdict;
	__u32 i;

	verdict = nn_parse_eth(tp->data, tp->data + tp->len, &upkt);
	assert_int_equal(verdict, tp->verdict);

	require_program();
	clear_maps();
	run_xdp(tp, 1);

	if (verdict == NN_COUNT) {
		check_single_flow(&upkt.key, 1, tp->len, proto_bit(upkt.l4proto));
		for (i = 0; i < fx.stats_max; i++)
			assert_int_equal(stat_sum(i), 0);
	} else {
		assert_int_not_equal(bpf_map_get_next_key(fx.flows_fd, NULL, &key), 0);
		for (i = 0; i < fx.stats_max; i++)
			assert_int_equal(stat_sum(i), i == stat_slot(verdict) ? 1 : 0);
	}
	fx.passed++;
}

/* REPEAT runs of one frame: one flow with REPEAT packets; prints the mean time. */
static void test_repeat(void **state)
{
	const struct test_pkt *tp = &test_pkts[0];
	struct nn_pkt upkt = { 0 };
	__u32 ns;

	(void)state;
	assert_int_equal(nn_parse_eth(tp->data, tp->data + tp->len, &upkt), NN_COUNT);
	require_program();
	clear_maps();
	ns = run_xdp(tp, REPEAT);
	check_single_flow(&upkt.key, REPEAT, (__u64)REPEAT * tp->len, proto_bit(upkt.l4proto));
	/* Informational only: timings depend on the machine. */
	printf("[ INFO     ] %s: %u runs, %u ns per run on average\n", tp->name, REPEAT, ns);
	fx.passed++;
}

int main(void)
{
	struct CMUnitTest tests[N_TEST_PKTS + 1];
	size_t i;
	int failed;

	/* Line-buffered, so that a log keeps the order of stdout and stderr. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < N_TEST_PKTS; i++) {
		tests[i] = (struct CMUnitTest){
			.name = test_pkts[i].name,
			.test_func = test_packet,
			.initial_state = (void *)&test_pkts[i],
		};
	}
	tests[i++] = (struct CMUnitTest){ .name = "repeat", .test_func = test_repeat };
	failed =
		_cmocka_run_group_tests("bpf_prog_test_run", tests, i, group_setup, group_teardown);
	/* The suite's closing line (tests/tests.mk); a test that crashed did not pass. */
	if (fx.skipped)
		printf("%u skipped\n", fx.skipped);
	printf("%u passed, %zu failed\n", fx.passed, i - fx.passed - fx.skipped);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
