/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The consumer thread: it asks the counters for snapshots (every report
 * interval), expiry (every second) and flushes (rotation, the row cap,
 * nasoone_flush()), and hands what comes back to every consumer in turn.
 * Consumers run here and only here, so none of them can stall counting.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "count/pipeline_impl.h"

#define EXPIRY_TICK_MS	    1000  /* live: timeouts are whole seconds */
#define FILE_EXPIRY_TICK_MS 100	  /* a file's clock runs fast: look more often */
#define ROTATION_TICK_MS    100	  /* how soon a rotation follows the clock passing its boundary */
#define DELIVER_MAX_ROWS    65536 /* ended rows per on_expired call */

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t pipeline_clock_ms(struct pipeline *p)
{
	uint64_t clock = 0;
	unsigned int i;

	if (p->live)
		return wall_ms();
	/* Written by the counter threads; a slightly stale value only delays a tick. */
	for (i = 0; i < p->ncounters; i++)
		if (__atomic_load_n(&p->counters[i].clock_ms, __ATOMIC_RELAXED) > clock)
			clock = __atomic_load_n(&p->counters[i].clock_ms, __ATOMIC_RELAXED);
	return clock;
}

/* The first failure of a consumer is the capture's error, as a failed output. */
static void consumer_failed(struct pipeline *p, const struct nasoone_consumer *c, int code)
{
	char text[512];
	const char *detail = c->last_error ? c->last_error(c->ctx) : NULL;

	snprintf(text, sizeof(text), "%s: %s", c->name ? c->name : "consumer",
		 detail && *detail ? detail : nasoone_strerror(code));
	set_error(p, -EPIPE, text);
}

static void deliver_ended(struct pipeline *p, const struct flow_row *rows, size_t count)
{
	unsigned int i;
	size_t at, n, evicted = 0;
	int err;

	for (at = 0; at < count; at++)
		evicted += rows[at].key.pad[0] == NASOONE_END_EVICTED;
	atomic_fetch_add(&p->expired, count);
	atomic_fetch_add(&p->evicted, evicted);
	p->ended_since_flush += count;
	for (at = 0; at < count; at += n) {
		n = count - at < DELIVER_MAX_ROWS ? count - at : DELIVER_MAX_ROWS;
		for (i = 0; i < p->nconsumers; i++) {
			const struct nasoone_consumer *c = &p->consumers[i];

			if (c->on_expired &&
			    (err = c->on_expired(row_as_flow(rows + at), n, c->ctx)))
				consumer_failed(p, c, err);
		}
	}
}

static void deliver_flush(struct pipeline *p, uint64_t clock_ms)
{
	unsigned int i;
	int err;

	p->ended_since_flush = 0;
	for (i = 0; i < p->nconsumers; i++) {
		const struct nasoone_consumer *c = &p->consumers[i];

		if (c->on_flush && (err = c->on_flush(clock_ms, c->ctx)))
			consumer_failed(p, c, err);
	}
}

/* The sweep's array, with the rows that came during it appended; NULL with -ENOMEM. */
static struct nasoone_snapshot *snapshot_build(struct pipeline *p, struct sweep *s)
{
	struct nasoone_snapshot *snap = calloc(1, sizeof(*snap));
	size_t total = s->snap_rows;
	struct flow_row *rows;
	unsigned int i;

	if (!snap)
		return NULL;
	for (i = 0; i < p->ncounters; i++) {
		if (s->parts[i].err) {
			free(snap);
			return NULL;
		}
		total += s->parts[i].nrows;
	}
	rows = total == s->snap_rows ? s->snap : realloc(s->snap, total * sizeof(*rows));
	if (!rows) {
		free(snap);
		return NULL;
	}
	s->snap = NULL;
	total = s->snap_rows;
	for (i = 0; i < p->ncounters; i++) {
		if (!s->parts[i].nrows)
			continue; /* rows may be NULL then: memcpy() must not see it */
		memcpy(rows + total, s->parts[i].rows, s->parts[i].nrows * sizeof(*rows));
		total += s->parts[i].nrows;
	}
	snap->flows = row_as_flow(rows);
	snap->count = total;
	snap->generation = atomic_fetch_add(&p->generation, 1) + 1;
	snap->clock_ms = pipeline_clock_ms(p);
	pipeline_stats(p, &snap->stats);
	return snap;
}

void pipeline_snapshot_free(struct nasoone_snapshot *snap)
{
	if (!snap)
		return;
	free((void *)snap->flows);
	free(snap);
}

int pipeline_snapshot(struct pipeline *p, struct nasoone_snapshot **out)
{
	struct sweep *s = calloc(1, sizeof(*s));
	int err;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->kind = SWEEP_SNAPSHOT;
	pthread_mutex_lock(&p->sweep_lock);
	err = sweep_run(p, s);
	pthread_mutex_unlock(&p->sweep_lock);
	*out = err ? NULL : snapshot_build(p, s);
	sweep_release(p, s);
	free(s);
	return *out ? 0 : -ENOMEM;
}

/* Run one sweep (one kind) and hand its results to the consumers. */
static void sweep_and_deliver(struct pipeline *p, unsigned int kind, uint8_t flush_reason)
{
	struct sweep *s = calloc(1, sizeof(*s));
	struct nasoone_snapshot *snap;
	unsigned int i;
	int err;

	if (!s) {
		set_error(p, -ENOMEM, "out of memory for a snapshot of the rows");
		return;
	}
	s->kind = kind;
	s->flush_reason = flush_reason;
	s->now_ms = p->live ? wall_ms() : 0;
	s->idle_ms = p->idle_ms;
	s->active_ms = p->active_ms;
	pthread_mutex_lock(&p->sweep_lock);
	err = sweep_run(p, s);
	pthread_mutex_unlock(&p->sweep_lock);
	if (err) {
		set_error(p, err, "out of memory while sweeping the rows");
		free(s);
		return;
	}
	for (i = 0; i < p->ncounters; i++) {
		if (s->parts[i].err)
			set_error(p, -ENOMEM, "out of memory while sweeping the rows");
		deliver_ended(p, s->parts[i].ended, s->parts[i].nended);
	}
	if (kind == SWEEP_FLUSH)
		deliver_flush(p, pipeline_clock_ms(p));
	if (kind == SWEEP_SNAPSHOT) {
		snap = snapshot_build(p, s);
		if (!snap)
			set_error(p, -ENOMEM, "out of memory for a snapshot of the rows");
		for (i = 0; snap && i < p->nconsumers; i++) {
			const struct nasoone_consumer *c = &p->consumers[i];

			if (c->on_snapshot && (err = c->on_snapshot(snap, c->ctx)))
				consumer_failed(p, c, err);
		}
		pipeline_snapshot_free(snap);
	}
	sweep_release(p, s);
	free(s);
}

bool pipeline_flush_wait(struct pipeline *p)
{
	uint64_t ticket;

	pthread_mutex_lock(&p->lock);
	ticket = ++p->flush_tickets;
	pthread_cond_broadcast(&p->dispatch_wake);
	while (p->flushes_done < ticket && !atomic_load(&p->stop))
		pthread_cond_wait(&p->flushed, &p->lock);
	pthread_mutex_unlock(&p->lock);
	return !atomic_load(&p->stop);
}

/* The rows changed since the last such sweep, to the consumers that want them. */
static void changes_and_deliver(struct pipeline *p)
{
	struct sweep *s = calloc(1, sizeof(*s));
	uint64_t clock;
	unsigned int i, j;
	int err;

	if (!s) {
		set_error(p, -ENOMEM, "out of memory for the changed rows");
		return;
	}
	s->kind = SWEEP_CHANGES;
	pthread_mutex_lock(&p->sweep_lock);
	sweep_run(p, s);
	pthread_mutex_unlock(&p->sweep_lock);
	clock = pipeline_clock_ms(p);
	for (i = 0; i < p->ncounters; i++) {
		if (s->parts[i].err)
			set_error(p, -ENOMEM, "out of memory for the changed rows");
		for (j = 0; s->parts[i].nrows && j < p->nconsumers; j++) {
			const struct nasoone_consumer *c = &p->consumers[j];

			if (c->on_changed &&
			    (err = c->on_changed(row_as_flow(s->parts[i].rows), s->parts[i].nrows,
						 clock, c->ctx)))
				consumer_failed(p, c, err);
		}
	}
	sweep_release(p, s);
	free(s);
}

static bool wants_snapshots(struct pipeline *p)
{
	unsigned int i;

	for (i = 0; i < p->nconsumers; i++)
		if (p->consumers[i].on_snapshot)
			return true;
	return false;
}

static struct timespec deadline_in(uint64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void *dispatch_main(void *arg)
{
	struct pipeline *p = arg;
	bool snapshots = wants_snapshots(p), expiry = p->idle_ms || p->active_ms;
	uint64_t next_snapshot = mono_ms() + p->interval_s * 1000ull, next_expiry = 0;
	uint64_t period_end = 0, now, wait, clock, ticket, next_changes = mono_ms() + p->changes_ms;
	struct timespec deadline;
	unsigned int kind;
	uint8_t reason;

	uint64_t tick = p->live ? EXPIRY_TICK_MS : FILE_EXPIRY_TICK_MS;

	next_expiry = mono_ms() + tick;
	pthread_mutex_lock(&p->lock);
	while (!atomic_load(&p->stop)) {
		now = mono_ms();
		wait = snapshots && next_snapshot > now ? next_snapshot - now : 0;
		if (!snapshots)
			wait = tick;
		if (expiry && next_expiry - now < wait)
			wait = next_expiry > now ? next_expiry - now : 0;
		if (p->rotation_ms && wait > ROTATION_TICK_MS)
			wait = ROTATION_TICK_MS;
		if (p->changes_ms && (next_changes > now ? next_changes - now : 0) < wait)
			wait = next_changes > now ? next_changes - now : 0;
		deadline = deadline_in(wait);
		while (!atomic_load(&p->stop) && !atomic_load(&p->cap_reached) &&
		       p->flushes_done == p->flush_tickets &&
		       pthread_cond_timedwait(&p->dispatch_wake, &p->lock, &deadline) != ETIMEDOUT)
			;
		if (atomic_load(&p->stop))
			break;
		ticket = p->flush_tickets;
		pthread_mutex_unlock(&p->lock);

		now = mono_ms();
		kind = 0;
		reason = NASOONE_END_FORCED;
		clock = pipeline_clock_ms(p);
		/* A file's reader rotates at the exact packet (reader.c); live, the wall clock. */
		if (p->rotation_ms && clock && (p->live || p->bpf)) {
			/* Periods are aligned to the clock, as tcpdump -G files are to time. */
			if (!period_end)
				period_end = (clock / p->rotation_ms + 1) * p->rotation_ms;
			else if (clock >= period_end) {
				kind |= SWEEP_FLUSH;
				period_end = (clock / p->rotation_ms + 1) * p->rotation_ms;
			}
		}
		if (ticket != p->flushes_done)
			kind |= SWEEP_FLUSH;
		if (atomic_exchange(&p->cap_reached, false) ||
		    (p->max_flows && p->ended_since_flush >= p->max_flows)) {
			kind |= SWEEP_FLUSH;
			if (!(kind & ~SWEEP_FLUSH))
				reason = NASOONE_END_EVICTED;
		}
		if (expiry && now >= next_expiry) {
			kind |= SWEEP_EXPIRE;
			next_expiry = now + tick;
		}
		if (snapshots && now >= next_snapshot) {
			kind |= SWEEP_SNAPSHOT;
			next_snapshot = now + p->interval_s * 1000ull;
		}
		/* A flush ends every row and the report's period: no expiry or snapshot then. */
		if (kind & SWEEP_FLUSH)
			sweep_and_deliver(p, SWEEP_FLUSH, reason);
		else if (kind & SWEEP_EXPIRE)
			sweep_and_deliver(p, SWEEP_EXPIRE, reason);
		if (kind == SWEEP_SNAPSHOT || kind == (SWEEP_SNAPSHOT | SWEEP_EXPIRE))
			sweep_and_deliver(p, SWEEP_SNAPSHOT, reason);
		if (p->changes_ms && mono_ms() >= next_changes) {
			changes_and_deliver(p);
			next_changes = mono_ms() + p->changes_ms;
		}
		pthread_mutex_lock(&p->lock);
		if (kind & SWEEP_FLUSH) {
			p->flushes_done = ticket;
			pthread_cond_broadcast(&p->flushed);
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

#define TRIM_EVERY_ROWS (1u << 18) /* 20 MiB of rows */

static void deliver_chunk(struct flow_row *rows, size_t n, void *ctx)
{
	struct pipeline *p = ctx;
	size_t i;

	for (i = 0; i < n; i++)
		rows[i].key.pad[0] = NASOONE_END_FORCED;
	deliver_ended(p, rows, n);
	/*
	 * The report's store takes the freed chunks back (row_chunks.c), but
	 * beyond the few kept they go to malloc, in the counter threads'
	 * arenas, while what other consumers allocate comes from this thread's.
	 * Give them back to the system as we go, or both would peak.
	 */
	p->drained_rows += n;
	if (p->drained_rows >= TRIM_EVERY_ROWS) {
		p->drained_rows = 0;
		malloc_trim(0);
	}
}

int dispatch_final(struct pipeline *p)
{
	struct nasoone_stats stats;
	unsigned int i;
	int err;

	/*
	 * The counters have ended and nothing sweeps any more: hand the rows
	 * over where they lie, freeing each chunk once delivered, so the last
	 * flush needs no copy and memory falls as the consumers take the rows.
	 */
	for (i = 0; i < p->ncounters; i++) {
		flowtab_drain(p->counters[i].table, deliver_chunk, p);
		atomic_store(&p->counters[i].rows, 0);
	}
	deliver_flush(p, pipeline_clock_ms(p));
	pipeline_stats(p, &stats);
	for (i = 0; i < p->nconsumers; i++) {
		const struct nasoone_consumer *c = &p->consumers[i];

		if (c->on_close && (err = c->on_close(&stats, c->ctx)))
			consumer_failed(p, c, err);
	}
	return 0;
}
