/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The consumer interface and snapshots, as a program linking the
 * installed libnasoone sees them: this file includes only <nasoone.h> and
 * is built with `pkg-config --cflags --libs nasoone` against a staged
 * `make install`. Usage: test_consumers CAPTURE TMPDIR (a capture from
 * the project's generator with several seconds of traffic).
 */
#define _GNU_SOURCE /* sched_setaffinity() */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nasoone.h>

static const char *capture;
static const char *tmpdir;

/* What a consumer saw, for the invariants. */
struct tally {
	uint64_t packets, bytes, records, snapshots, flushes, closes, last_generation;
	uint64_t by_reason[6];
	bool close_after_flush, bad_reason, order_ok;
	struct nasoone_stats closed_stats;
};

static int on_expired(const struct nasoone_flow *flows, size_t count, void *ctx)
{
	struct tally *t = ctx;
	size_t i;

	for (i = 0; i < count; i++) {
		t->packets += flows[i].packets;
		t->bytes += flows[i].bytes;
		if (flows[i].end_reason == NASOONE_END_LIVE || flows[i].end_reason > 5)
			t->bad_reason = true;
		else
			t->by_reason[flows[i].end_reason]++;
	}
	t->records += count;
	return 0;
}

static int on_snapshot(const struct nasoone_snapshot *s, void *ctx)
{
	struct tally *t = ctx;

	if (s->generation <= t->last_generation)
		t->order_ok = false;
	t->last_generation = s->generation;
	t->snapshots++;
	return 0;
}

static int on_flush(uint64_t clock_ms, void *ctx)
{
	struct tally *t = ctx;

	(void)clock_ms;
	t->flushes++;
	return 0;
}

static int on_close(const struct nasoone_stats *stats, void *ctx)
{
	struct tally *t = ctx;

	t->closes++;
	t->close_after_flush = t->flushes > 0;
	t->closed_stats = *stats;
	return 0;
}

static struct nasoone_consumer tally_consumer(struct tally *t)
{
	struct nasoone_consumer c = {
		.name = "tally",
		.ctx = t,
		.on_snapshot = on_snapshot,
		.on_expired = on_expired,
		.on_flush = on_flush,
		.on_close = on_close,
	};

	memset(t, 0, sizeof(*t));
	t->order_ok = true;
	return c;
}

/* Sums of a report file's packets and bytes columns, and its row count. */
static void report_sums(const char *path, uint64_t *packets, uint64_t *bytes, uint64_t *rows)
{
	char line[512];
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	*packets = *bytes = *rows = 0;
	assert_non_null(fgets(line, sizeof(line), f)); /* the header */
	while (fgets(line, sizeof(line), f)) {
		char *last = strrchr(line, ';'), *before;

		assert_non_null(last);
		*last = '\0';
		before = strrchr(line, ';');
		assert_non_null(before);
		*packets += strtoull(last + 1, NULL, 10);
		*bytes += strtoull(before + 1, NULL, 10);
		(*rows)++;
	}
	fclose(f);
}

static struct nasoone *new_capture(const char *report)
{
	struct nasoone *n = nasoone_new();

	assert_non_null(n);
	assert_int_equal(nasoone_set_capture_file(n, capture), 0);
	assert_int_equal(nasoone_set_overwrite(n, true), 0);
	assert_int_equal(nasoone_set_output(n, report), 0);
	return n;
}

/* Every packet counted comes out once in an ended row, whatever expired when. */
static void test_expired_rows_sum_to_the_counts(void **state)
{
	char report[512];
	struct nasoone_stats stats;
	struct nasoone_consumer c;
	struct tally t;
	uint64_t packets, bytes, rows;
	struct nasoone *n;

	(void)state;
	snprintf(report, sizeof(report), "%s/expiry.txt", tmpdir);
	n = new_capture(report);
	c = tally_consumer(&t);
	assert_int_equal(nasoone_set_expiry(n, 1, 3), 0); /* capture-time seconds */
	assert_int_equal(nasoone_set_threads(n, 2), 0);
	assert_int_equal(nasoone_add_consumer(n, &c), 0);
	assert_int_equal(nasoone_start(n), 0);
	assert_int_equal(nasoone_wait(n, -1), 0);
	assert_int_equal(nasoone_stop(n, &stats), 0);
	report_sums(report, &packets, &bytes, &rows);
	assert_int_equal(t.packets, stats.counted);
	assert_int_equal(t.packets, packets);
	assert_int_equal(t.bytes, bytes);
	assert_int_equal(t.records, stats.expired);
	assert_false(t.bad_reason);
	assert_true(t.by_reason[NASOONE_END_FORCED] > 0);
	/* One flush (the stop's), then close with the final statistics. */
	assert_int_equal(t.flushes, 1);
	assert_int_equal(t.closes, 1);
	assert_true(t.close_after_flush);
	assert_int_equal(t.closed_stats.counted, stats.counted);
	nasoone_free(n);
}

/* A snapshot of a finished file, sorted and formatted, is the report. */
static void test_snapshot_is_the_report(void **state)
{
	char report[512], line[512], text[512];
	struct nasoone_snapshot *s = NULL, *again = NULL;
	struct nasoone_flow *flows;
	uint64_t sum = 0;
	struct nasoone *n;
	FILE *f;
	size_t i;

	(void)state;
	snprintf(report, sizeof(report), "%s/snapshot.txt", tmpdir);
	n = new_capture(report);
	assert_int_equal(nasoone_snapshot(n, &s), NASOONE_ESTATE); /* not started */
	assert_int_equal(nasoone_start(n), 0);
	assert_int_equal(nasoone_wait(n, -1), 0);
	assert_int_equal(nasoone_snapshot(n, &s), 0);
	assert_int_equal(nasoone_snapshot(n, &again), 0);
	assert_int_equal(again->generation, s->generation + 1);
	assert_int_equal(again->count, s->count);
	assert_int_equal(s->stats.rows, s->count);
	flows = malloc(s->count * sizeof(*flows));
	assert_non_null(flows);
	memcpy(flows, s->flows, s->count * sizeof(*flows));
	for (i = 0; i < s->count; i++) {
		sum += flows[i].packets;
		assert_int_equal(flows[i].end_reason, NASOONE_END_LIVE);
	}
	assert_int_equal(sum, s->stats.counted);
	nasoone_sort_flows(flows, s->count);
	assert_int_equal(nasoone_stop(n, NULL), 0);

	f = fopen(report, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	for (i = 0; i < s->count; i++) {
		assert_non_null(fgets(line, sizeof(line), f));
		assert_true(nasoone_format_flow(text, sizeof(text), &flows[i],
						NASOONE_FORMAT_NASOONE) > 0);
		assert_string_equal(text, line);
	}
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_int_equal(nasoone_format_flow(text, 16, &flows[0], NASOONE_FORMAT_CSV),
			 NASOONE_EINVAL);
	free(flows);
	nasoone_snapshot_free(s);
	nasoone_snapshot_free(again);
	nasoone_free(n);
}

/* Snapshots while the file is read: generations grow, counts never shrink. */
static void test_snapshots_while_counting(void **state)
{
	struct nasoone_snapshot *s;
	uint64_t generation = 0, last_sum = 0, sum;
	struct nasoone_stats stats;
	struct nasoone *n;
	int taken = 0;
	size_t i;

	(void)state;
	n = new_capture("/dev/null");
	assert_int_equal(nasoone_set_expiry(n, 0, 0), 0);
	assert_int_equal(nasoone_start(n), 0);
	while (nasoone_get_state(n) == NASOONE_RUNNING || taken < 3) {
		assert_int_equal(nasoone_snapshot(n, &s), 0);
		assert_true(s->generation > generation);
		generation = s->generation;
		for (sum = 0, i = 0; i < s->count; i++)
			sum += s->flows[i].packets;
		assert_true(sum >= last_sum); /* nothing expires: rows only grow */
		last_sum = sum;
		nasoone_snapshot_free(s);
		taken++;
	}
	/* Once finished, a snapshot holds every packet counted. */
	assert_int_equal(nasoone_wait(n, -1), 0);
	assert_int_equal(nasoone_snapshot(n, &s), 0);
	for (sum = 0, i = 0; i < s->count; i++)
		sum += s->flows[i].packets;
	assert_true(sum >= last_sum);
	nasoone_snapshot_free(s);
	assert_int_equal(nasoone_stop(n, &stats), 0);
	assert_int_equal(sum, stats.counted);
	nasoone_free(n);
}

/*
 * Snapshots right as the counters end: a counter leaving its loop and a
 * requester once both swept the same table, and the copy lost rows. With
 * nothing expiring, rows and packets never go down from one snapshot to
 * the next, and the last one holds every packet.
 */
static void test_snapshots_as_counters_end(void **state)
{
	struct nasoone_snapshot *s;
	struct nasoone_stats stats;
	uint64_t last_rows, last_sum, sum;
	struct nasoone *n;
	int round;
	size_t i;

	(void)state;
	for (round = 0; round < 30; round++) {
		n = new_capture("/dev/null");
		assert_int_equal(nasoone_set_threads(n, 4), 0);
		assert_int_equal(nasoone_start(n), 0);
		last_rows = last_sum = 0;
		do {
			assert_int_equal(nasoone_snapshot(n, &s), 0);
			for (sum = 0, i = 0; i < s->count; i++)
				sum += s->flows[i].packets;
			assert_true(s->count >= last_rows);
			assert_true(sum >= last_sum);
			last_rows = s->count;
			last_sum = sum;
			nasoone_snapshot_free(s);
		} while (nasoone_get_state(n) == NASOONE_RUNNING);
		assert_int_equal(nasoone_snapshot(n, &s), 0);
		for (sum = 0, i = 0; i < s->count; i++)
			sum += s->flows[i].packets;
		nasoone_snapshot_free(s);
		assert_int_equal(nasoone_stop(n, &stats), 0);
		assert_int_equal(sum, stats.counted);
		nasoone_free(n);
	}
}

/* nasoone_flush() ends every row and finishes the report: a second one begins. */
static void test_flush_begins_a_new_report(void **state)
{
	char report[512], second[600];
	uint64_t p1, b1, r1, p2 = 0, b2 = 0, r2 = 0;
	struct nasoone_stats stats;
	struct nasoone_consumer c;
	struct tally t;
	struct nasoone *n;

	(void)state;
	snprintf(report, sizeof(report), "%s/flush.txt", tmpdir);
	snprintf(second, sizeof(second), "%s.1", report);
	unlink(second);
	n = new_capture(report);
	c = tally_consumer(&t);
	assert_int_equal(nasoone_add_consumer(n, &c), 0);
	assert_int_equal(nasoone_start(n), 0);
	assert_int_equal(nasoone_pause(n), 0);
	assert_int_equal(nasoone_flush(n), 0);
	/* The flush is carried out by the consumer thread: wait for it. */
	for (int i = 0; i < 500 && !t.flushes; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	assert_int_equal(t.flushes, 1);
	assert_int_equal(nasoone_resume(n), 0);
	assert_int_equal(nasoone_wait(n, -1), 0);
	assert_int_equal(nasoone_stop(n, &stats), 0);
	assert_int_equal(t.flushes, 2);
	assert_int_equal(t.packets, stats.counted);
	report_sums(report, &p1, &b1, &r1);
	report_sums(second, &p2, &b2, &r2);
	assert_int_equal(p1 + p2, stats.counted);
	assert_int_equal(b1 + b2, t.bytes);
	nasoone_free(n);
}

/*
 * A replayed file paused at once and resumed: every frame still counts. A
 * pause used to set the program's pause flag too, so a frame already on
 * its way into the kernel counted as "seen while paused" and left the report.
 */
static void test_replay_pause_loses_nothing(void **state)
{
	struct nasoone_stats plain, stats;
	struct nasoone *n;
	int ret, toggles = 0;

	(void)state;
	n = new_capture("/dev/null");
	assert_int_equal(nasoone_set_mode(n, NASOONE_MODE_XDP), 0);
	ret = nasoone_start(n);
	if (ret == NASOONE_EPERM || ret == NASOONE_EMODE) {
		nasoone_free(n);
		skip();
	}
	assert_int_equal(ret, 0);
	assert_int_equal(nasoone_wait(n, -1), 0);
	assert_int_equal(nasoone_stop(n, &plain), 0);
	nasoone_free(n);

	/* Pause and resume every half millisecond while the frames go through. */
	n = new_capture("/dev/null");
	assert_int_equal(nasoone_set_mode(n, NASOONE_MODE_XDP), 0);
	assert_int_equal(nasoone_start(n), 0);
	while (nasoone_get_state(n) == NASOONE_RUNNING) {
		if (nasoone_pause(n) == 0) {
			nanosleep(&(struct timespec){ .tv_nsec = 200000 }, NULL);
			assert_int_equal(nasoone_resume(n), 0);
			toggles++;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 300000 }, NULL);
	}
	assert_int_equal(nasoone_wait(n, -1), 0);
	assert_int_equal(nasoone_stop(n, &stats), 0);
	nasoone_free(n);
	assert_true(toggles > 0);
	assert_int_equal(stats.paused, 0);
	assert_int_equal(stats.counted, plain.counted);
}

/*
 * A file paused while it is read: every packet read so far is in the
 * tables, so that a snapshot holds exactly the packets counted. The reader
 * hands its partial batches over and publishes its count before it waits
 * (counters are woken lazily while a file is read).
 */
static void test_paused_file_is_all_counted(void **state)
{
	struct timespec tick = { .tv_nsec = 100000 };
	struct nasoone_snapshot *s;
	uint64_t sum = 0, counted = 0;
	struct nasoone *n;
	size_t k;
	int i;

	(void)state;
	n = new_capture("/dev/null");
	/* Shards fill their batches apart: 3 counters, planned for 4 CPUs (even on 2). */
	assert_int_equal(nasoone_set_threads(n, 3), 0);
	assert_int_equal(setenv("NASOONE_CPUS", "4", 1), 0);
	assert_int_equal(nasoone_start(n), 0);
	unsetenv("NASOONE_CPUS");
	assert_int_equal(nasoone_get_threads(n), 3);
	/* Reading has begun (the count is published every 4096 frames): pause between two. */
	for (i = 0; i < 100000 && !nasoone_get_packets(n); i++)
		nanosleep(&tick, NULL);
	nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	if (nasoone_pause(n) == 0 && nasoone_get_packets(n) < 300000) {
		/* The reader stops at its next frame; give it until the counts agree. */
		for (i = 0; i < 500; i++) {
			nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
			counted = nasoone_get_packets(n);
			assert_int_equal(nasoone_snapshot(n, &s), 0);
			for (sum = 0, k = 0; k < s->count; k++)
				sum += s->flows[k].packets;
			nasoone_snapshot_free(s);
			if (sum == counted && counted == nasoone_get_packets(n))
				break;
		}
		assert_true(counted > 0);
		assert_int_equal(sum, counted);
		assert_int_equal(nasoone_resume(n), 0);
	}
	assert_int_equal(nasoone_wait(n, -1), 0);
	assert_int_equal(nasoone_stop(n, NULL), 0);
	nasoone_free(n);
}

/* Wrong states and limits. */
static void test_consumer_rules(void **state)
{
	struct nasoone_consumer c = { .name = "x" };
	struct nasoone *n = new_capture("/dev/null");
	int i;

	(void)state;
	assert_int_equal(nasoone_add_consumer(n, NULL), NASOONE_EINVAL);
	for (i = 0; i < 15; i++)
		assert_int_equal(nasoone_add_consumer(n, &c), 0);
	assert_int_equal(nasoone_add_consumer(n, &c), NASOONE_EINVAL);
	assert_int_equal(nasoone_flush(n), NASOONE_ESTATE);
	assert_int_equal(nasoone_set_format(n, (enum nasoone_format)7), NASOONE_EINVAL);
	assert_int_equal(nasoone_start(n), 0);
	assert_int_equal(nasoone_add_consumer(n, &c), NASOONE_ESTATE);
	assert_int_equal(nasoone_set_expiry(n, 1, 1), NASOONE_ESTATE);
	assert_int_equal(nasoone_stop(n, NULL), 0);
	assert_int_equal(nasoone_flush(n), NASOONE_ESTATE);
	nasoone_free(n);
}

/* nasoone_last_error() of threads_on()'s start when it failed. */
static char start_error[1024];

/*
 * Threads of a start with threads asked, on the first cpus CPUs of allowed;
 * a NASOONE_E* code (negative) when the start failed, its text in start_error.
 */
static int threads_on(const cpu_set_t *allowed, int cpus, unsigned int threads, const char *device)
{
	cpu_set_t set;
	struct nasoone *n;
	int got, cpu, k = 0;

	CPU_ZERO(&set);
	for (cpu = 0; cpu < CPU_SETSIZE && k < cpus; cpu++)
		if (CPU_ISSET(cpu, allowed)) {
			CPU_SET(cpu, &set);
			k++;
		}
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
	if (device) {
		n = nasoone_new();
		assert_non_null(n);
		assert_int_equal(nasoone_set_capture_device(n, device), 0);
		assert_int_equal(nasoone_set_mode(n, NASOONE_MODE_PCAP), 0);
		assert_int_equal(nasoone_set_output(n, "/dev/null"), 0);
	} else {
		n = new_capture("/dev/null");
	}
	assert_int_equal(nasoone_set_threads(n, threads), 0);
	assert_int_equal(nasoone_get_threads(n), 0);
	got = nasoone_start(n);
	if (got) {
		snprintf(start_error, sizeof(start_error), "%s", nasoone_last_error(n));
	} else {
		got = (int)nasoone_get_threads(n);
		if (device)
			assert_int_equal(nasoone_pause(n), 0);
		else
			assert_int_equal(nasoone_wait(n, -1), 0);
		assert_int_equal(nasoone_stop(n, NULL), 0);
	}
	nasoone_free(n);
	assert_int_equal(sched_setaffinity(0, sizeof(*allowed), allowed), 0);
	return got;
}

/*
 * Reading a file, counters never outnumber the CPUs left besides the
 * reader's (at least one): more would only take turns on those CPUs.
 * Live, every counter asked runs: it waits for packets.
 */
static void test_file_threads_fit_the_cpus(void **state)
{
	cpu_set_t allowed;
	int live;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	assert_int_equal(threads_on(&allowed, 1, 4, NULL), 1);
	if (CPU_COUNT(&allowed) >= 2)
		assert_int_equal(threads_on(&allowed, 2, 4, NULL), 1);
	if (CPU_COUNT(&allowed) >= 3)
		assert_int_equal(threads_on(&allowed, 3, 4, NULL), 2);
	assert_int_equal(threads_on(&allowed, 1, 1, NULL), 1);
	/* NASOONE_CPUS: the CPUs the rule counts instead, for the default too; bad values fail. */
	assert_int_equal(setenv("NASOONE_CPUS", "3", 1), 0);
	assert_int_equal(threads_on(&allowed, 1, 4, NULL), 2);
	assert_int_equal(threads_on(&allowed, 1, 0, NULL), 2);
	assert_int_equal(setenv("NASOONE_CPUS", "many", 1), 0);
	assert_int_equal(threads_on(&allowed, 1, 4, NULL), NASOONE_EINVAL);
	assert_non_null(strstr(start_error, "NASOONE_CPUS='many'"));
	unsetenv("NASOONE_CPUS");
	live = threads_on(&allowed, 1, 3, "lo");
	if (live > 0)
		assert_int_equal(live, 3);
	else
		printf("SKIP: live part of %s: cannot capture on lo (not root?)\n", __func__);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expired_rows_sum_to_the_counts),
		cmocka_unit_test(test_snapshot_is_the_report),
		cmocka_unit_test(test_snapshots_while_counting),
		cmocka_unit_test(test_snapshots_as_counters_end),
		cmocka_unit_test(test_flush_begins_a_new_report),
		cmocka_unit_test(test_consumer_rules),
		cmocka_unit_test(test_replay_pause_loses_nothing),
		cmocka_unit_test(test_paused_file_is_all_counted),
		cmocka_unit_test(test_file_threads_fit_the_cpus),
	};

	if (argc != 3) {
		fprintf(stderr, "usage: %s CAPTURE TMPDIR\n", argv[0]);
		return 2;
	}
	capture = argv[1];
	tmpdir = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
