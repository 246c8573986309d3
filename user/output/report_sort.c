/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The report's order (README "Report format"): first, then source ip (IPv4
 * first), source port, destination ip and port. Sorting a million rows is
 * a large part of a report's time: linear on the first time, inline
 * comparisons on packed prefixes for the rest, one thread per CPU.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "output/report.h"

#define MAX_SORTERS	   4
#define PARALLEL_SORT_ROWS 65536 /* below, a thread costs more than it saves */

int report_row_cmp(const struct flow_row *a, const struct flow_row *b)
{
	int c;

	if (a->first_ms != b->first_ms)
		return a->first_ms < b->first_ms ? -1 : 1;
	if (a->key.family != b->key.family)
		return a->key.family < b->key.family ? -1 : 1;
	c = memcmp(a->key.saddr, b->key.saddr, 16);
	if (c)
		return c;
	if (a->key.sport != b->key.sport)
		return ntohs(a->key.sport) < ntohs(b->key.sport) ? -1 : 1;
	c = memcmp(a->key.daddr, b->key.daddr, 16);
	if (c)
		return c;
	if (a->key.dport != b->key.dport)
		return ntohs(a->key.dport) < ntohs(b->key.dport) ? -1 : 1;
	return 0;
}

static int row_ptr_cmp(const void *a, const void *b)
{
	return report_row_cmp(*(const struct flow_row *const *)a,
			      *(const struct flow_row *const *)b);
}

/*
 * A row's first time and the start of the rest of its order next to its
 * pointer: most comparisons end there, without touching the row (a cache
 * miss at a million rows).
 */
struct sort_entry {
	uint64_t first_ms;
	uint64_t next; /* sort_prefix() */
	const struct flow_row *row;
};

/*
 * The order after first, packed into 64 bits so that a < b between two
 * prefixes means the same between their rows (equal prefixes: the rows
 * decide). The family is compared first, so it takes the top byte. An
 * IPv4 key holds its address v4-mapped: when bytes 0-11 are the mapping
 * (class 1), the address and the source port follow; any other bytes only
 * say whether they sort below or above it. Other families: 7 address bytes.
 */
static uint64_t sort_prefix(const struct flow_row *row)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	const uint8_t *a = row->key.saddr;
	uint64_t prefix = (uint64_t)row->key.family << 56;
	int c;

	if (row->key.family == NN_FAMILY_IPV4) {
		c = memcmp(a, mapped, sizeof(mapped));
		if (c)
			return prefix | (c < 0 ? 0ull : 2ull) << 54;
		return prefix | 1ull << 54 | (uint64_t)a[12] << 46 | (uint64_t)a[13] << 38 |
		       (uint64_t)a[14] << 30 | (uint64_t)a[15] << 22 |
		       (uint64_t)ntohs(row->key.sport) << 6;
	}
	return prefix | (uint64_t)a[0] << 48 | (uint64_t)a[1] << 40 | (uint64_t)a[2] << 32 |
	       (uint64_t)a[3] << 24 | (uint64_t)a[4] << 16 | (uint64_t)a[5] << 8 | a[6];
}

static int entry_cmp(const struct sort_entry *x, const struct sort_entry *y)
{
	if (x->first_ms != y->first_ms)
		return x->first_ms < y->first_ms ? -1 : 1;
	if (x->next != y->next)
		return x->next < y->next ? -1 : 1;
	return report_row_cmp(x->row, y->row);
}

/*
 * A run of one millisecond's rows: insertion sort while short, else a
 * merge sort through tmp (as long as the run). Never quadratic, whatever
 * keys a capture brings within one millisecond.
 */
static void sort_run(struct sort_entry *e, size_t n, struct sort_entry *tmp)
{
	struct sort_entry *from = e, *to = tmp, *swap;
	size_t width, lo, i, j, k, mid, hi;

	for (lo = 0; lo < n; lo += 16) {
		hi = lo + 16 < n ? lo + 16 : n;
		for (i = lo + 1; i < hi; i++) {
			struct sort_entry x = e[i];

			for (j = i; j > lo && entry_cmp(&x, &e[j - 1]) < 0; j--)
				e[j] = e[j - 1];
			e[j] = x;
		}
	}
	for (width = 16; width < n; width *= 2) {
		for (lo = 0; lo < n; lo += 2 * width) {
			mid = lo + width < n ? lo + width : n;
			hi = lo + 2 * width < n ? lo + 2 * width : n;
			for (i = lo, j = mid, k = lo; k < hi; k++)
				to[k] = j >= hi || (i < mid && entry_cmp(&from[i], &from[j]) <= 0)
						? from[i++]
						: from[j++];
		}
		swap = from;
		from = to;
		to = swap;
	}
	if (from != e)
		memcpy(e, from, n * sizeof(*e));
}

/*
 * LSD radix sort of the entries on first_ms - min, one byte a pass and only
 * the bytes that differ (a capture's times span a few bytes): linear, where
 * qsort's comparisons through a function pointer were most of the report's
 * time at a million rows. Stable, so the passes compose. *spare: the other
 * array, of as many entries.
 */
static void radix_by_first(struct sort_entry **entries, struct sort_entry **spare, size_t count)
{
	struct sort_entry *from = *entries, *to = *spare, *swap;
	uint64_t min = UINT64_MAX, max = 0, span;
	size_t counts[256], i, sum;
	unsigned int shift;

	for (i = 0; i < count; i++) {
		if (from[i].first_ms < min)
			min = from[i].first_ms;
		if (from[i].first_ms > max)
			max = from[i].first_ms;
	}
	span = max - min;
	for (shift = 0; shift < 64 && (span >> shift); shift += 8) {
		memset(counts, 0, sizeof(counts));
		for (i = 0; i < count; i++)
			counts[((from[i].first_ms - min) >> shift) & 0xff]++;
		for (sum = 0, i = 0; i < 256; i++) {
			size_t c = counts[i];

			counts[i] = sum;
			sum += c;
		}
		for (i = 0; i < count; i++)
			to[counts[((from[i].first_ms - min) >> shift) & 0xff]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	*entries = from;
	*spare = to;
}

/* One thread's share of the rows, sorted into its own entries. */
struct sort_part {
	const struct flow_row *const *rows;
	size_t count;
	struct sort_entry *entries, *spare; /* count each */
};

static void sort_part(struct sort_part *part)
{
	struct sort_entry *e = part->entries;
	size_t i, run, count = part->count;

	for (i = 0; i < count; i++) {
		if (i + 8 < count)
			__builtin_prefetch(part->rows[i + 8]);
		e[i].first_ms = part->rows[i]->first_ms;
		e[i].next = sort_prefix(part->rows[i]);
		e[i].row = part->rows[i];
	}
	radix_by_first(&part->entries, &part->spare, count);
	e = part->entries;
	/* Rows of the same millisecond: the rest of the order, within each run. */
	for (i = 0; i < count; i += run) {
		for (run = 1; i + run < count && e[i + run].first_ms == e[i].first_ms; run++)
			;
		if (run > 1)
			sort_run(e + i, run, part->spare);
	}
}

static void *sort_part_main(void *arg)
{
	sort_part(arg);
	return NULL;
}

/* The parts' entries, each sorted, merged into rows (at most MAX_SORTERS heads to compare). */
static void merge_parts(const struct flow_row **rows, struct sort_part *parts, unsigned int n)
{
	size_t at[MAX_SORTERS] = { 0 }, i = 0;
	unsigned int k, best;

	for (;;) {
		best = n;
		for (k = 0; k < n; k++)
			if (at[k] < parts[k].count &&
			    (best == n || entry_cmp(&parts[k].entries[at[k]],
						    &parts[best].entries[at[best]]) < 0))
				best = k;
		if (best == n)
			return;
		rows[i++] = parts[best].entries[at[best]++].row;
	}
}

/*
 * A large report is sorted by one thread per CPU (up to MAX_SORTERS),
 * each its share of the rows, then merged: the counters are idle by then.
 */
void report_sort(const struct flow_row **rows, size_t count)
{
	struct sort_entry *entries = malloc(count * sizeof(*entries));
	struct sort_entry *spare = malloc(count * sizeof(*spare));
	struct sort_part parts[MAX_SORTERS];
	pthread_t threads[MAX_SORTERS];
	bool started[MAX_SORTERS] = { false };
	unsigned int n = count >= PARALLEL_SORT_ROWS ? report_cpus() : 1, k;
	size_t at = 0, share;

	if (!entries || !spare) {
		free(entries);
		free(spare);
		qsort(rows, count, sizeof(*rows), row_ptr_cmp); /* slower, needs no memory */
		return;
	}
	if (n > MAX_SORTERS)
		n = MAX_SORTERS;
	for (k = 0; k < n; k++) {
		share = (count - at) / (n - k);
		parts[k] = (struct sort_part){ rows + at, share, entries + at, spare + at };
		at += share;
	}
	for (k = 1; k < n; k++)
		started[k] = !pthread_create(&threads[k], NULL, sort_part_main, &parts[k]);
	for (k = 0; k < n; k++)
		if (!started[k])
			sort_part(&parts[k]); /* the caller's share, and any a thread could not take
					       */
	for (k = 1; k < n; k++)
		if (started[k])
			pthread_join(threads[k], NULL);
	if (n == 1) {
		for (at = 0; at < count; at++)
			rows[at] = parts[0].entries[at].row;
	} else {
		merge_parts(rows, parts, n);
	}
	free(entries);
	free(spare);
}
