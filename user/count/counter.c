/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The counter threads: each owns one shard of the flow table, folds the
 * batches its producers send, and carries out sweeps -- snapshot copies,
 * expiry, flushes -- in short steps between two batches, so that no
 * consumer ever holds counting up for longer than one step.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "count/pipeline_impl.h"

#define FOLD_AHEAD    8	    /* rows between a slot asked for, its row asked for, and the fold */
#define PREFETCH_ROWS 16384 /* rows from which a table outgrows the caches near a core */

/*
 * The counter's own CPU time: a step's cost, not the time the scheduler
 * gave the core to another thread meanwhile.
 */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Room for n rows in *rows (capacity *cap); 0 or -ENOMEM. */
static int reserve(struct flow_row **rows, size_t *cap, size_t n)
{
	struct flow_row *grown;
	size_t want;

	if (n <= *cap)
		return 0;
	want = *cap ? *cap : 1024;
	while (want < n)
		want *= 2;
	grown = realloc(*rows, want * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	*rows = grown;
	*cap = want;
	return 0;
}

static bool copies_rows(const struct sweep *s)
{
	return s->kind & (SWEEP_SNAPSHOT | SWEEP_FLUSH);
}

/* Mark row index changed (only with an on_changed consumer); 0 or -ENOMEM. */
static int mark_changed(struct counter *c, size_t index)
{
	size_t word = index / 64, want;
	uint64_t *grown;

	if (word >= c->changed_words) {
		want = c->changed_words ? c->changed_words : 256;
		while (want <= word)
			want *= 2;
		grown = realloc(c->changed, want * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		memset(grown + c->changed_words, 0, (want - c->changed_words) * sizeof(*grown));
		c->changed = grown;
		c->changed_words = want;
	}
	c->changed[word] |= 1ull << (index % 64);
	return 0;
}

/* Row from moved to to (flowtab_remove): its mark goes with it. */
static void move_changed(struct counter *c, size_t from, size_t to)
{
	bool was;

	if (!c->changed || from / 64 >= c->changed_words)
		return;
	was = c->changed[from / 64] >> (from % 64) & 1;
	c->changed[from / 64] &= ~(1ull << (from % 64));
	if (to / 64 < c->changed_words) {
		c->changed[to / 64] &= ~(1ull << (to % 64));
		c->changed[to / 64] |= (uint64_t)was << (to % 64);
	}
}

/* Where the copy of row index goes (room reserved); NULL when out of memory. */
static struct flow_row *copy_of(struct sweep *s, struct sweep_part *part, size_t index)
{
	if (s->kind == SWEEP_SNAPSHOT && index < part->region)
		return &s->snap[part->base + index];
	if (s->kind == SWEEP_SNAPSHOT)
		index -= part->region;
	if (reserve(&part->rows, &part->rows_cap, index + 1))
		return NULL;
	if (index >= part->nrows)
		part->nrows = index + 1;
	return &part->rows[index];
}

/* Fold a batch; rows already copied by the sweep in progress get the delta too. */
static int counter_fold(struct counter *c, const struct batch *b)
{
	struct pipeline *p = c->pipeline;
	struct sweep *s = c->sweep && copies_rows(c->sweep) ? c->sweep : NULL;
	struct sweep_part *part = s ? &s->parts[c->index] : NULL;
	unsigned int i;
	size_t index;
	int err = 0;
	/* A small table stays in the caches: asking ahead would only cost. */
	bool ahead = flowtab_size(c->table) >= PREFETCH_ROWS;

	for (i = 0; i < b->count && !err; i++) {
		if (ahead && i + 2 * FOLD_AHEAD < b->count)
			flowtab_prefetch(c->table, b->rows[i + 2 * FOLD_AHEAD].hash, 0);
		if (ahead && i + FOLD_AHEAD < b->count)
			flowtab_prefetch(c->table, b->rows[i + FOLD_AHEAD].hash, 1);
		err = flowtab_add(c->table, &b->rows[i], &index);
		if (b->rows[i].last_ms > c->clock_ms)
			c->clock_ms = b->rows[i].last_ms;
		if (part && index < c->cursor && !err) {
			struct flow_row *copy = copy_of(s, part, index);

			if (copy)
				row_fold(copy, &b->rows[i]);
			else
				part->err = -ENOMEM;
		}
		if (p->changes_ms && !err)
			err = mark_changed(c, index);
	}
	atomic_store_explicit(&c->rows, flowtab_size(c->table), memory_order_relaxed);
	if (p->max_flows && !atomic_load_explicit(&p->cap_reached, memory_order_relaxed) &&
	    flowtab_size(c->table) * p->ncounters >= p->max_flows) {
		/* This shard holds its share of the cap: the consumer thread flushes. */
		pthread_mutex_lock(&p->lock);
		atomic_store(&p->cap_reached, true);
		pthread_cond_broadcast(&p->dispatch_wake);
		pthread_mutex_unlock(&p->lock);
	}
	return err;
}

/* Why row ends at now, or 0 when it lives on. */
static uint8_t end_reason(const struct sweep *s, const struct flow_row *row, uint64_t now)
{
	if (s->idle_ms && now > row->last_ms && now - row->last_ms >= s->idle_ms)
		return NASOONE_END_IDLE;
	if (s->active_ms && now > row->first_ms && now - row->first_ms >= s->active_ms)
		return NASOONE_END_ACTIVE;
	return 0;
}

/* The end of a counter's share: a flush hands its copies over as ended rows. */
static void sweep_finish(struct counter *c)
{
	struct pipeline *p = c->pipeline;
	struct sweep *s = c->sweep;
	struct sweep_part *part = &s->parts[c->index];
	size_t i;

	if (s->kind == SWEEP_FLUSH)
		part->nrows = c->cursor;
	if (s->kind == SWEEP_SNAPSHOT)
		part->nrows = c->cursor > part->region ? c->cursor - part->region : 0;
	if (s->kind & SWEEP_FLUSH) {
		for (i = 0; i < part->nrows; i++)
			part->rows[i].key.pad[0] = s->flush_reason;
		free(part->ended);
		part->ended = part->rows;
		part->nended = part->nrows;
		part->ended_cap = part->rows_cap;
		part->rows = NULL;
		part->nrows = part->rows_cap = 0;
		if (!part->err) {
			flowtab_clear(c->table);
			if (c->changed)
				memset(c->changed, 0, c->changed_words * sizeof(*c->changed));
		}
		atomic_store_explicit(&c->rows, flowtab_size(c->table), memory_order_relaxed);
	}
	c->sweep = NULL;
	pthread_mutex_lock(&p->lock);
	s->done++;
	pthread_cond_broadcast(&p->sweep_done);
	pthread_mutex_unlock(&p->lock);
}

/*
 * CHANGES: copy the marked rows of up to SWEEP_STEP rows' worth of marks
 * and clear them; the cursor counts words. A row folded after its word was
 * looked at is marked again and comes with the next sweep.
 */
static void changes_step(struct counter *c)
{
	struct sweep_part *part = &c->sweep->parts[c->index];
	size_t words = (flowtab_size(c->table) + 63) / 64, end;
	uint64_t bits;
	int bit;

	if (words > c->changed_words)
		words = c->changed_words;
	end = c->cursor + SWEEP_STEP / 64 < words ? c->cursor + SWEEP_STEP / 64 : words;
	for (; c->cursor < end && !part->err; c->cursor++) {
		bits = c->changed[c->cursor];
		if (!bits)
			continue;
		if (reserve(&part->rows, &part->rows_cap,
			    part->nrows + (size_t)__builtin_popcountll(bits))) {
			part->err = -ENOMEM;
			break;
		}
		while (bits) {
			bit = __builtin_ctzll(bits);
			bits &= bits - 1;
			part->rows[part->nrows++] =
				*flowtab_row(c->table, c->cursor * 64 + (size_t)bit);
		}
		c->changed[c->cursor] = 0;
	}
	if (c->cursor >= words || part->err) {
		struct pipeline *p = c->pipeline;
		struct sweep *s = c->sweep;

		c->sweep = NULL;
		pthread_mutex_lock(&p->lock);
		s->done++;
		pthread_cond_broadcast(&p->sweep_done);
		pthread_mutex_unlock(&p->lock);
	}
}

/* Up to SWEEP_STEP rows of the sweep in progress; finishes it at the end of the table. */
static void sweep_step(struct counter *c)
{
	struct sweep *s = c->sweep;
	struct sweep_part *part = &s->parts[c->index];
	uint64_t start = now_ns(), now = s->now_ms ? s->now_ms : c->clock_ms, took;
	struct flowtab *t = c->table;
	size_t steps = 0, run;
	uint8_t reason;

	if (s->kind == SWEEP_CHANGES) {
		changes_step(c);
		return;
	}
	while (steps < SWEEP_STEP && c->cursor < flowtab_size(t) && !part->err) {
		struct flow_row *row = flowtab_row(t, c->cursor), *to;

		if (s->kind == SWEEP_EXPIRE) {
			reason = end_reason(s, row, now);
			if (!reason) {
				c->cursor++;
				steps++;
				continue;
			}
			if (reserve(&part->ended, &part->ended_cap, part->nended + 1)) {
				part->err = -ENOMEM;
				break;
			}
			part->ended[part->nended] = *row;
			part->ended[part->nended++].key.pad[0] = reason;
			/* The last row moves here: the cursor stays to look at it. */
			move_changed(c, flowtab_size(t) - 1, c->cursor);
			flowtab_remove(t, c->cursor);
			steps++;
			continue;
		}
		/* Rows lie in chunks: copy the contiguous run at once, within one region. */
		run = flowtab_chunk_rows(t, c->cursor);
		if (run > SWEEP_STEP - steps)
			run = SWEEP_STEP - steps;
		if (s->kind == SWEEP_SNAPSHOT && c->cursor < part->region &&
		    c->cursor + run > part->region)
			run = part->region - c->cursor;
		to = copy_of(s, part, c->cursor + run - 1);
		if (!to) {
			part->err = -ENOMEM;
			break;
		}
		memcpy(to - (run - 1), row, run * sizeof(*row));
		c->cursor += run;
		steps += run;
	}
	if (c->cursor >= flowtab_size(t) || part->err)
		sweep_finish(c);
	atomic_store_explicit(&c->rows, flowtab_size(t), memory_order_relaxed);
	took = now_ns() - start;
	if (took > atomic_load_explicit(&c->stall_max_ns, memory_order_relaxed))
		atomic_store_explicit(&c->stall_max_ns, took, memory_order_relaxed);
}

static void take_request(struct counter *c)
{
	if (c->sweep)
		return;
	c->sweep = atomic_exchange(&c->request, NULL);
	c->cursor = 0;
}

/* Carry out a request at once: the counter thread has ended (or never ran). */
static void sweep_inline(struct counter *c)
{
	take_request(c);
	while (c->sweep)
		sweep_step(c);
}

void *counter_main(void *arg)
{
	struct counter *c = arg;
	struct pipeline *p = c->pipeline;
	struct batch *b;
	bool ok;

	for (;;) {
		b = queue_pop(&c->full, !c->sweep && !atomic_load(&c->request), &ok);
		if (ok) {
			if (!b)
				break;
			if (counter_fold(c, b)) {
				set_error(p, -ENOMEM, "out of memory for the flow table");
				atomic_store(&p->stop, true);
			}
			b->count = 0;
			queue_push(&c->free, b);
		}
		take_request(c);
		if (c->sweep)
			sweep_step(c);
	}
	/*
	 * Finish what was asked, then hand the table over: from then on a
	 * requester sweeps it itself. Both under the lock a requester checks,
	 * so that no sweep ever runs on two threads at once.
	 */
	pthread_mutex_lock(&p->lock);
	while (c->sweep || atomic_load(&c->request)) {
		pthread_mutex_unlock(&p->lock);
		sweep_inline(c);
		pthread_mutex_lock(&p->lock);
	}
	c->exited = true;
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/*
 * Room for a copy of n rows and as many again that come during the sweep:
 * a large block is mapped lazily, so room never touched costs no memory,
 * while growing it inside a step would copy it there.
 */
static size_t with_slack(size_t n)
{
	return 2 * n + 65536;
}

/*
 * A snapshot's copies go straight into one array, each counter's rows at
 * its own offset (their number now is a lower bound for the sweep), so
 * that the snapshot needs no second copy; huge pages, where the kernel
 * has them, make its first touch cheap.
 */
static int sweep_prepare(struct pipeline *p, struct sweep *s)
{
	size_t total = 0;
	unsigned int i;

	for (i = 0; i < p->ncounters; i++) {
		struct sweep_part *part = &s->parts[i];
		size_t rows = atomic_load(&p->counters[i].rows);

		if (s->kind == SWEEP_SNAPSHOT) {
			part->base = total;
			part->region = rows;
			total += rows;
		}
		/* Room for the rows that come meanwhile: no large realloc in a counter's step. */
		if (s->kind != SWEEP_EXPIRE &&
		    reserve(&part->rows, &part->rows_cap,
			    s->kind == SWEEP_FLUSH ? with_slack(rows) : with_slack(rows) - rows))
			return -ENOMEM;
	}
	if (s->kind != SWEEP_SNAPSHOT)
		return 0;
	s->snap_rows = total;
	s->snap = malloc((total ? total : 1) * sizeof(*s->snap));
	if (!s->snap)
		return -ENOMEM;
	if (total * sizeof(*s->snap) >= (2u << 20))
		madvise((void *)((uintptr_t)s->snap & ~(uintptr_t)4095), total * sizeof(*s->snap),
			MADV_HUGEPAGE);
	return 0;
}

int sweep_run(struct pipeline *p, struct sweep *s)
{
	unsigned int i;

	s->done = 0;
	if (sweep_prepare(p, s))
		return -ENOMEM;
	for (i = 0; i < p->ncounters; i++) {
		struct counter *c = &p->counters[i];
		bool inline_sweep;

		pthread_mutex_lock(&p->lock);
		inline_sweep = c->exited || !c->started;
		if (!inline_sweep)
			atomic_store(&c->request, s);
		pthread_mutex_unlock(&p->lock);
		if (inline_sweep) {
			atomic_store(&c->request, s);
			sweep_inline(c);
		} else {
			queue_kick(&c->full);
		}
	}
	pthread_mutex_lock(&p->lock);
	while (s->done < p->ncounters)
		pthread_cond_wait(&p->sweep_done, &p->lock);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void sweep_release(struct pipeline *p, struct sweep *s)
{
	unsigned int i;

	for (i = 0; i < p->ncounters; i++) {
		free(s->parts[i].rows);
		free(s->parts[i].ended);
	}
	memset(s->parts, 0, sizeof(s->parts[0]) * p->ncounters);
	free(s->snap);
	s->snap = NULL;
}
