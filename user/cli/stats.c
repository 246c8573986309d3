// SPDX-License-Identifier: GPL-2.0-only
/* The end-of-run statistics, as nasoone and nasoone top print them. */
#include <inttypes.h>
#include <stdio.h>

#include "cli/stats.h"

/* "1 packet", "2 packets": the noun in the singular for exactly one. */
static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* The statistics on stderr: two lines, and the eBPF line on that path. */
void cli_print_stats(const struct nasoone_stats *s)
{
	fprintf(stderr,
		"%" PRIu64 " %s received, %" PRIu64 " counted, %" PRIu64 " skipped, %" PRIu64
		" filtered\n",
		s->received, plural(s->received, "packet", "packets"), s->counted, s->skipped,
		s->filtered);
	fprintf(stderr,
		"%" PRIu64 " %s dropped, %" PRIu64 " dropped by interface, %" PRIu64
		" seen while paused, %" PRIu64 " %s\n",
		s->dropped, plural(s->dropped, "packet", "packets"), s->if_dropped, s->paused,
		s->rows, plural(s->rows, "row", "rows"));
	if (s->map_capacity) {
		char run_time[64];

		if (s->run_count)
			snprintf(run_time, sizeof(run_time), "%" PRIu64 " ns program run time",
				 s->run_time_ns);
		else
			snprintf(run_time, sizeof(run_time),
				 "program run time not measured (kernel.bpf_stats_enabled=0)");
		fprintf(stderr,
			"eBPF: %" PRIu64 " %s through the overflow ring, %" PRIu64
			" unattributed, at most %" PRIu64 " of %" PRIu64 " flows in one CPU map"
			", %s\n",
			s->overflow, plural(s->overflow, "packet", "packets"), s->unattributed,
			s->map_fill_max, s->map_capacity, run_time);
	}
	if (s->unattributed)
		fprintf(stderr,
			"nasoone: warning: %" PRIu64 " %s could not be attributed to a flow "
			"(map and overflow ring full): raise --map-entries or --ring-bytes\n",
			s->unattributed, plural(s->unattributed, "packet", "packets"));
}
