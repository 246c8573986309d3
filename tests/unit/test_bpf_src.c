/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The eBPF source (user/capture/bpf_src.c) in replay mode, through the real
 * programs with BPF_PROG_TEST_RUN: what its statistics and times promise
 * while packets keep arriving. Needs root (skipped otherwise, or where the
 * kernel cannot run the eBPF path).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture/bpf_src.h"

#define STATS_READS 20000

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet + IPv4 + TCP (tcp) or UDP, 64 bytes, source port sport. */
static void frame(uint8_t *f, bool tcp, unsigned int sport)
{
	memset(f, 0, 64);
	f[0] = 2;
	f[6] = 2;
	put16(f + 12, 0x0800);
	f[14] = 0x45;
	put16(f + 16, 50);
	f[22] = 64;
	f[23] = tcp ? 6 : 17;
	f[26] = 10;
	f[29] = 1;
	f[30] = 10;
	f[33] = 2;
	put16(f + 34, sport);
	put16(f + 36, 80);
	if (tcp)
		f[46] = 0x50;
	else
		put16(f + 38, 30);
}

static struct bpf_src *open_replay(const char *filter)
{
	struct bpf_src_opts opts = { .ifname = NULL, .mode = BPF_SRC_XDP, .filter = filter };
	struct bpf_src *b = NULL;
	char err[256];
	int ret;

	if (geteuid() != 0)
		return NULL;
	ret = bpf_src_open(&b, &opts, err, sizeof(err));
	if (ret) {
		print_message("eBPF path not available here: %s\n", err);
		return NULL;
	}
	return b;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

struct replayer {
	struct bpf_src *b;
	atomic_bool stop;
	int cpu;
	uint64_t frames;
};

/* Replays TCP and UDP frames in turn until told to stop. */
static void *replay_loop(void *arg)
{
	struct replayer *r = arg;
	uint8_t tcp[64], udp[64];
	struct packet p = { .caplen = 64, .len = 64, .ts_ms = 1700000000000ull, .linktype = 1 };

	pin(r->cpu);
	frame(tcp, true, 1000);
	frame(udp, false, 1000);
	while (!atomic_load(&r->stop)) {
		p.data = r->frames & 1 ? udp : tcp;
		if (bpf_src_replay(r->b, &p))
			break;
		r->frames++;
	}
	return NULL;
}

/*
 * Bug: the statistics were read SEEN first and FILTER_PASSED last, so a
 * packet seen and passed between the two reads made "filtered" negative:
 * 18446744073709551615 and such. While packets keep arriving on another
 * CPU, every read must be consistent (the parts never exceed the packets
 * received, nothing wraps) and the counters never go back.
 */
static void test_stats_consistent_while_counting(void **state)
{
	struct bpf_src *b = open_replay("tcp");
	struct nasoone_stats s, prev;
	struct replayer r = { .cpu = 1 };
	pthread_t thread;
	unsigned int i, bad = 0, back = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	if (!b)
		skip();
	if (ncpu < 2) {
		bpf_src_close(b);
		skip();
	}
	pin(0);
	r.b = b;
	assert_int_equal(pthread_create(&thread, NULL, replay_loop, &r), 0);
	memset(&prev, 0, sizeof(prev));
	for (i = 0; i < STATS_READS; i++) {
		memset(&s, 0, sizeof(s));
		bpf_src_stats(b, &s);
		if (s.filtered > s.received ||
		    s.paused + s.filtered + s.counted + s.skipped > s.received)
			bad++;
		if (s.received < prev.received || s.counted < prev.counted ||
		    s.skipped < prev.skipped || s.filtered < prev.filtered) {
			if (!back++)
				print_message(
					"went back: received %llu -> %llu, counted %llu -> %llu, "
					"filtered %llu -> %llu\n",
					(unsigned long long)prev.received,
					(unsigned long long)s.received,
					(unsigned long long)prev.counted,
					(unsigned long long)s.counted,
					(unsigned long long)prev.filtered,
					(unsigned long long)s.filtered);
		}
		prev = s;
	}
	atomic_store(&r.stop, true);
	pthread_join(thread, NULL);
	print_message("%u reads during %llu frames: %u inconsistent, %u went back\n", STATS_READS,
		      (unsigned long long)r.frames, bad, back);
	/* Every frame is in: exact. */
	bpf_src_stats(b, &s);
	assert_int_equal(s.received, r.frames);
	assert_int_equal(s.counted, (r.frames + 1) / 2);
	assert_int_equal(s.filtered, r.frames / 2);
	assert_int_equal(bad, 0);
	assert_int_equal(back, 0);
	bpf_src_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_consistent_while_counting),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
