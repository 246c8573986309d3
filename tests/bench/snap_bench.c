/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * snap_bench CAPTURE [THREADS]: what snapshots cost, through the public API
 * only. Reads CAPTURE twice: once with no consumer, once while another
 * thread takes snapshots back to back (the worst a consumer can ask), and
 * prints one line:
 *
 *   rows  snapshots-taken  longest-counter-stall-ms  snapshot-ms-while-counting(max)
 *   snapshot-ms-of-all-rows(median of 5)  floor-ms  time-ratio(with/without)
 *
 * floor-ms: the best of 5 copies of the same bytes into fresh memory, what
 * any snapshot of all rows must at least cost on this machine.
 *
 * The stall is the longest a counter thread stopped counting for one step
 * of a snapshot (struct nasoone_stats' stall_max_ns).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <nasoone.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double copy_floor_ms(size_t bytes)
{
	char *from = malloc(bytes ? bytes : 1), *to;
	double best = 1e9, t;
	int i;

	if (!from)
		return 0;
	memset(from, 1, bytes);
	for (i = 0; i < 5; i++) {
		t = now_ms();
		to = malloc(bytes ? bytes : 1);
		if (!to)
			break;
		if (bytes >= (2u << 20))
			madvise((void *)((uintptr_t)to & ~(uintptr_t)4095), bytes, MADV_HUGEPAGE);
		memcpy(to, from, bytes);
		t = now_ms() - t;
		free(to);
		if (t < best)
			best = t;
	}
	free(from);
	return best;
}

static struct nasoone *open_capture(const char *path, unsigned int threads)
{
	struct nasoone *n = nasoone_new();

	if (!n || nasoone_set_capture_file(n, path) || nasoone_set_output(n, "/dev/null") ||
	    nasoone_set_threads(n, threads)) {
		fprintf(stderr, "snap_bench: cannot set up %s: %s\n", path,
			n ? nasoone_last_error(n) : "out of memory");
		exit(1);
	}
	return n;
}

int main(int argc, char **argv)
{
	double t0, plain_ms, snap_ms, worst = 0, at_end[5], t, floor_ms;
	struct nasoone_snapshot *s;
	struct nasoone_stats stats;
	unsigned int threads = argc > 2 ? (unsigned int)atoi(argv[2]) : 0;
	uint64_t taken = 0, rows;
	struct nasoone *n;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: snap_bench CAPTURE [THREADS]\n");
		return 2;
	}
	/* Twice: the first read brings the file into the page cache. */
	for (i = 0; i < 2; i++) {
		n = open_capture(argv[1], threads);
		t0 = now_ms();
		if (nasoone_start(n) || nasoone_wait(n, -1))
			return 1;
		plain_ms = now_ms() - t0;
		nasoone_free(n);
	}

	n = open_capture(argv[1], threads);
	t0 = now_ms();
	if (nasoone_start(n))
		return 1;
	while (nasoone_get_state(n) == NASOONE_RUNNING) {
		t = now_ms();
		if (nasoone_snapshot(n, &s))
			return 1;
		t = now_ms() - t;
		if (t > worst)
			worst = t;
		nasoone_snapshot_free(s);
		taken++;
	}
	nasoone_wait(n, -1);
	snap_ms = now_ms() - t0;
	for (i = 0; i < 5; i++) {
		t = now_ms();
		if (nasoone_snapshot(n, &s))
			return 1;
		at_end[i] = now_ms() - t;
		rows = s->count;
		nasoone_snapshot_free(s);
	}
	qsort(at_end, 5, sizeof(at_end[0]), cmp_double);
	/* The floor: the same bytes copied once into fresh memory, as a snapshot must. */
	floor_ms = copy_floor_ms(rows * sizeof(struct nasoone_flow));
	nasoone_stop(n, &stats);
	printf("%" PRIu64 " %" PRIu64 " %.3f %.1f %.1f %.1f %.2f\n", rows, taken,
	       stats.stall_max_ns / 1e6, worst, at_end[2], floor_ms, snap_ms / plain_ms);
	nasoone_free(n);
	return 0;
}
