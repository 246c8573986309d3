/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The report as a consumer of rows. A report covers one period, from the
 * start (or a flush) to the next flush (rotation, the row cap, stop): it
 * holds every row that ended in the period, merged per 4-tuple with the
 * live rows of the latest snapshot. A regular file is rewritten at every
 * snapshot; each finished report keeps its own file.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "count/flowtab.h"
#include "count/row_chunks.h"
#include "output/report_writer.h"

/* The store is in the tables' chunks: those of a table drained at the end are taken in turn. */
#define STORE_SHIFT ROW_CHUNK_SHIFT
#define STORE_CHUNK ROW_CHUNK_ROWS

struct report_writer {
	struct report_output *out;
	bool rotating;	     /* out->path is a strftime(3) pattern */
	unsigned int period; /* reports finished */
	char current[PATH_MAX];
	char previous[PATH_MAX];
	struct flow_row **store; /* rows that ended in this period, in chunks that never move */
	size_t count, nchunks;
	bool merge; /* a key may be in the store twice, or in the store and a snapshot */
	char error[PATH_MAX + 128];
};

/* The file of this period: named at its first write, never a file that exists already. */
static int name_period(struct report_writer *w, uint64_t clock_ms)
{
	char name[PATH_MAX];
	struct stat st;
	unsigned int n;

	if (w->current[0] || w->out->kind != REPORT_REGULAR)
		return 0;
	if (w->rotating) {
		time_t t = (time_t)(clock_ms / 1000);
		struct tm tm;

		if (!localtime_r(&t, &tm) || !strftime(name, sizeof(name), w->out->path, &tm))
			return -ENAMETOOLONG;
	} else if (w->period == 0) {
		/* Created (and checked) before the capture started. */
		snprintf(w->current, sizeof(w->current), "%s", w->out->path);
		return 0;
	} else {
		snprintf(name, sizeof(name), "%s", w->out->path);
	}
	snprintf(w->current, sizeof(w->current), "%s", name);
	for (n = 1; !strcmp(w->current, w->previous) ||
		    (lstat(w->current, &st) == 0 && !(w->out->overwrite && w->rotating));
	     n++)
		if ((size_t)snprintf(w->current, sizeof(w->current), "%s.%u", name, n) >=
		    sizeof(w->current))
			return -ENAMETOOLONG;
	return 0;
}

static int failed(struct report_writer *w, int err)
{
	snprintf(w->error, sizeof(w->error), "cannot write the report to %s: %s",
		 w->current[0]	? w->current
		 : w->out->path ? w->out->path
				: "standard output",
		 strerror(-err));
	return NASOONE_EOUTPUT;
}

static struct flow_row *stored(const struct report_writer *w, size_t i)
{
	return &w->store[i >> STORE_SHIFT][i & (STORE_CHUNK - 1)];
}

/* Into the merge table under its 4-tuple: the report has one row for TCP and UDP together. */
static int merge_row(struct flowtab *merged, const struct flow_row *row)
{
	struct flow_row tuple = *row;

	tuple.key.pad[0] = 0;
	tuple.key.pad[NN_KEY_PROTO] = 0;
	tuple.hash = row_hash(&tuple.key);
	return flowtab_add(merged, &tuple, NULL);
}

/* A row, or into the table of twins (ROW_TWIN: TCP and UDP of one 4-tuple) to merge first. */
static int take_row(const struct flow_row *row, const struct flow_row **rows, size_t *n,
		    struct flowtab **twins)
{
	if (!(row->protos & ROW_TWIN)) {
		rows[(*n)++] = row;
		return 0;
	}
	if (!*twins && !(*twins = flowtab_new()))
		return -ENOMEM;
	return merge_row(*twins, row);
}

/*
 * The rows of the report, in the report's order: the store and the live
 * rows, merged through a table only when a 4-tuple can be in both or twice
 * in the store; else only the twins are.
 */
static int write_period(struct report_writer *w, const struct nasoone_snapshot *snap, bool final)
{
	size_t live = snap ? snap->count : 0, n = 0, i;
	const struct flow_row **rows;
	struct flowtab *merged = NULL;
	int err = 0;

	rows = malloc((w->count + live + 1) * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	if (w->count && (live || w->merge)) {
		merged = flowtab_new();
		for (i = 0; merged && i < w->count && !err; i++)
			err = merge_row(merged, stored(w, i));
		for (i = 0; merged && i < live && !err; i++)
			err = merge_row(merged, flow_as_row(&snap->flows[i]));
		if (!merged || err) {
			err = -ENOMEM;
			goto out;
		}
		for (i = 0; i < flowtab_size(merged); i++)
			rows[n++] = flowtab_row(merged, i);
	} else {
		for (i = 0; i < w->count && !err; i++)
			err = take_row(stored(w, i), rows, &n, &merged);
		for (i = 0; i < live && !err; i++)
			err = take_row(flow_as_row(&snap->flows[i]), rows, &n, &merged);
		if (err)
			goto out;
		for (i = 0; merged && i < flowtab_size(merged); i++)
			rows[n++] = flowtab_row(merged, i);
	}
	report_sort(rows, n);
	if (w->out->kind == REPORT_REGULAR)
		err = report_replace(w->current, rows, n, w->out->format);
	else
		err = report_output_write(w->out, rows, n, final);
out:
	flowtab_free(merged);
	free(rows);
	return err;
}

static int on_snapshot(const struct nasoone_snapshot *snap, void *ctx)
{
	struct report_writer *w = ctx;
	int err;

	if (w->out->kind != REPORT_REGULAR)
		return 0; /* a direct output gets finished reports only */
	err = name_period(w, snap->clock_ms);
	if (!err)
		err = write_period(w, snap, false);
	return err ? failed(w, err) : 0;
}

static int on_expired(const struct nasoone_flow *flows, size_t count, void *ctx)
{
	struct report_writer *w = ctx;
	size_t i;

	if (w->out->kind == REPORT_NONE)
		return 0;
	for (i = 0; i < count; i++) {
		struct flow_row *row;

		if ((w->count >> STORE_SHIFT) == w->nchunks) {
			struct flow_row **chunks =
				realloc(w->store, (w->nchunks + 1) * sizeof(*chunks));

			if (!chunks)
				return failed(w, -ENOMEM);
			w->store = chunks;
			w->store[w->nchunks] = row_chunk_new();
			if (!w->store[w->nchunks])
				return failed(w, -ENOMEM);
			w->nchunks++;
		}
		row = stored(w, w->count++);
		*row = *flow_as_row(&flows[i]);
		/* Only a flush ends every row at once: after expiry a key can come back. */
		if (row->key.pad[0] != NASOONE_END_FORCED && row->key.pad[0] != NASOONE_END_EVICTED)
			w->merge = true;
		row->key.pad[0] = 0; /* the key again, as the tables compare it */
	}
	return 0;
}

static void free_store(struct report_writer *w)
{
	while (w->nchunks)
		row_chunk_free(w->store[--w->nchunks]);
	free(w->store);
	w->store = NULL;
	w->count = 0;
}

/* A flush ends the period: finish its report, begin the next. */
static int on_flush(uint64_t clock_ms, void *ctx)
{
	struct report_writer *w = ctx;
	int err = 0;

	if (w->out->kind != REPORT_NONE) {
		err = name_period(w, clock_ms);
		if (!err)
			err = write_period(w, NULL, true);
	}
	snprintf(w->previous, sizeof(w->previous), "%s", w->current);
	w->current[0] = '\0';
	free_store(w);
	w->merge = false;
	w->period++;
	return err ? failed(w, err) : 0;
}

static const char *last_error(void *ctx)
{
	return ((struct report_writer *)ctx)->error;
}

struct report_writer *report_writer_new(struct report_output *out, bool rotating,
					struct nasoone_consumer *consumer)
{
	struct report_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->out = out;
	w->rotating = rotating;
	memset(consumer, 0, sizeof(*consumer));
	consumer->name = "report";
	consumer->ctx = w;
	consumer->on_snapshot = on_snapshot;
	consumer->on_expired = on_expired;
	consumer->on_flush = on_flush;
	consumer->last_error = last_error;
	return w;
}

unsigned int report_writer_reports(const struct report_writer *w)
{
	return w->period;
}

void report_writer_free(struct report_writer *w)
{
	if (!w)
		return;
	free_store(w);
	free(w);
}
