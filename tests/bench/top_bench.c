/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The cost of a refresh of `nasoone top` (tests/bench/top_bench.sh): a
 * capture file is read to its end through the public library, then each
 * refresh takes a snapshot (nasoone_snapshot(), timed as wall time) and
 * hands it to the view's model (top_model_set_frame() and
 * top_model_refresh(): rates, filter, summary, the window of 40 rows put in
 * order), timed as the CPU time of this thread. Three cases:
 *   idle      the rows of a finished file, a minute later: no flow had a
 *             packet lately (a large table of mostly quiet rows)
 *   active    every flow had a packet since the last refresh (the rows are
 *             copied and advanced: the worst case for the rate table)
 *   hosts     active, in the per-host summary
 * Prints one line per case: "CASE rows N snapshot_ms X model_cpu_ms Y"
 * (medians of REFRESHES refreshes).
 *
 *   top_bench FILE [REFRESHES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/top.h"

static double wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* A frame of the rows of snap, advanced by k refreshes of 500 ms when active. */
static int make_frame(struct top_frame *fr, const struct nasoone_snapshot *snap, int k, bool active)
{
	struct nasoone_flow *copy = malloc(snap->count * sizeof(*copy) + 1);

	if (!copy)
		return -1;
	memcpy(copy, snap->flows, snap->count * sizeof(*copy));
	memset(fr, 0, sizeof(*fr));
	fr->clock_ms = snap->clock_ms + 60000 + 500ull * (uint64_t)k;
	if (active) {
		for (size_t i = 0; i < snap->count; i++) {
			copy[i].bytes += 1000ull * (uint64_t)k * (i % 7 + 1);
			copy[i].packets += (uint64_t)k * (i % 3 + 1);
			copy[i].last_ms = fr->clock_ms - i % 400;
		}
	}
	fr->owned = copy;
	fr->flows = copy;
	fr->count = snap->count;
	fr->has_stats = true;
	fr->stats = snap->stats;
	return 0;
}

static int run_case(struct nasoone *n, const char *name, bool active, bool hosts, int refreshes)
{
	double snap_ms[64], model_ms[64];
	struct top_model m;
	size_t rows = 0;

	if (top_model_init(&m))
		return -1;
	m.hosts_mode = hosts;
	m.height = 40;
	for (int k = 0; k < refreshes; k++) {
		struct nasoone_snapshot *s;
		struct top_frame fr;
		double t0 = wall_ms();

		if (nasoone_snapshot(n, &s)) {
			fprintf(stderr, "top_bench: snapshot: %s\n", nasoone_last_error(n));
			return -1;
		}
		snap_ms[k] = wall_ms() - t0;
		rows = s->count;
		/* The copy made for the active case is not the view's cost: it is made first. */
		if (make_frame(&fr, s, k, active)) {
			nasoone_snapshot_free(s);
			return -1;
		}
		nasoone_snapshot_free(s);
		if (top_model_set_frame(&m, &fr) || top_model_refresh(&m)) {
			fprintf(stderr, "top_bench: out of memory\n");
			return -1;
		}
		model_ms[k] = (double)m.last_update_ns / 1e6;
	}
	printf("%-7s rows %zu snapshot_ms %.1f model_cpu_ms %.1f\n", name, rows,
	       median(snap_ms, refreshes), median(model_ms, refreshes));
	top_model_free(&m);
	return 0;
}

int main(int argc, char **argv)
{
	int refreshes = argc > 2 ? atoi(argv[2]) : 9;
	struct nasoone *n;
	int rc;

	if (argc < 2 || refreshes < 1 || refreshes > 64) {
		fputs("usage: top_bench FILE [REFRESHES (1-64)]\n", stderr);
		return 2;
	}
	n = nasoone_new();
	if (!n || nasoone_set_capture_file(n, argv[1]) || nasoone_start(n) || nasoone_wait(n, -1)) {
		fprintf(stderr, "top_bench: cannot read %s: %s\n", argv[1],
			n ? nasoone_last_error(n) : "out of memory");
		return 1;
	}
	rc = run_case(n, "idle", false, false, refreshes) ||
	     run_case(n, "active", true, false, refreshes) ||
	     run_case(n, "hosts", true, true, refreshes);
	nasoone_stop(n, NULL);
	nasoone_free(n);
	return rc ? 1 : 0;
}
