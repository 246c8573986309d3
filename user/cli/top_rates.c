/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The rates of the view's model: a table keyed by a (seeded) 64-bit tag of
 * the 4-tuple keeps the bytes and packets of each recently active flow at
 * the last frame, and exponentially smoothed rates (time constant
 * TOP_RATE_TAU_MS, iftop's 2-second average in spirit) with their peak.
 * Only flows with a packet in the last RECENT_MS are looked up: a quiet
 * flow's rate has decayed to nothing, so a refresh costs a lookup per
 * active flow, not per row.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include "cli/top_rates.h"

/* A flow is looked up when its last packet is this recent (5 time constants: e^-5 < 1%). */
#define RECENT_MS (5 * TOP_RATE_TAU_MS)
/* Entries untouched this long are dropped when the table is rebuilt. */
#define FORGET_MS 60000

const struct top_rate top_zero_rate;

static uint64_t flow_tag(uint64_t seed, const struct nasoone_flow *f)
{
	uint64_t h = seed;

	h = mix64(h ^ load64(f->saddr));
	h = mix64(h ^ load64(f->saddr + 8));
	h = mix64(h ^ load64(f->daddr));
	h = mix64(h ^ load64(f->daddr + 8));
	h = mix64(h ^ ((uint64_t)f->sport << 24 | (uint64_t)f->dport << 8 | f->family));
	return h ? h : 1;
}

static struct rate_entry *rate_find(struct top_rate_table *t, uint64_t tag, bool insert)
{
	size_t mask = t->cap - 1;

	for (size_t i = tag & mask;; i = (i + 1) & mask) {
		struct rate_entry *e = &t->slots[i];

		if (e->tag == tag)
			return e;
		if (!e->tag) {
			if (!insert)
				return NULL;
			e->tag = tag;
			t->used++;
			return e;
		}
	}
}

/*
 * The rate table is looked up at random: in huge pages (when the kernel
 * gives them on request) a lookup costs one cache miss, not also a TLB miss.
 */
static void *table_alloc(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

static void table_free(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes);
}

/* Rebuild at twice the live entries (at least min_cap), forgetting those quiet for FORGET_MS. */
static int rate_rebuild(struct top_rate_table *t, size_t min_cap, uint64_t clock_ms)
{
	struct rate_entry *old = t->slots;
	size_t old_cap = t->cap, live = 0, cap = 1024;

	for (size_t i = 0; i < old_cap; i++)
		if (old[i].tag && old[i].at_ms + FORGET_MS >= clock_ms)
			live++;
	while (cap < 2 * (live > min_cap ? live : min_cap))
		cap *= 2;
	t->slots = table_alloc(cap * sizeof(*t->slots));
	if (!t->slots) {
		t->slots = old;
		return -ENOMEM;
	}
	t->cap = cap;
	t->used = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].tag && old[i].at_ms + FORGET_MS >= clock_ms)
			*rate_find(t, old[i].tag, true) = old[i];
	table_free(old, old_cap * sizeof(*old));
	return 0;
}

static void rate_decay(struct rate_entry *e, uint64_t clock_ms)
{
	float k;

	if (clock_ms <= e->at_ms)
		return;
	k = (float)exp(-(double)(clock_ms - e->at_ms) / TOP_RATE_TAU_MS);
	e->bps *= k;
	e->pps *= k;
	e->at_ms = clock_ms;
}

/* One flow of the frame against its entry: the rates over the last dt_ms. */
static void rate_update_one(struct top_rate_table *t, struct rate_entry *e,
			    const struct nasoone_flow *f, bool first, uint64_t prev, uint64_t dt,
			    double a)
{
	if (!e->at_ms && !e->bytes) {
		/* Unknown so far: new since the last frame counts whole, else a baseline. */
		e->at_ms = prev;
		if (first || f->first_ms <= prev) {
			e->bytes = f->bytes;
			e->packets = f->packets;
		}
	}
	if (dt) {
		uint64_t db = f->bytes >= e->bytes ? f->bytes - e->bytes : f->bytes;
		uint64_t dp = f->packets >= e->packets ? f->packets - e->packets : f->packets;
		double s = 1000.0 / (double)dt;

		if (e->at_ms != prev) /* quiet for a while: decay to the previous frame */
			rate_decay(e, prev);
		/* Blend this interval's rate in (exponential smoothing, as iftop's averages). */
		e->bps = (float)(e->bps + a * ((double)db * s - e->bps));
		e->pps = (float)(e->pps + a * ((double)dp * s - e->pps));
		if (e->bps > e->peak_bps)
			e->peak_bps = e->bps;
		if (e->pps > e->peak_pps)
			e->peak_pps = e->pps;
		e->at_ms = prev + dt;
		e->bytes = f->bytes;
		e->packets = f->packets;
	}
	(void)t;
}

struct top_rate_table *top_rates_new(void)
{
	struct top_rate_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != sizeof(t->seed))
		t->seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull;
	if (rate_rebuild(t, 512, 0)) {
		free(t);
		return NULL;
	}
	return t;
}

void top_rates_free(struct top_rate_table *t)
{
	if (!t)
		return;
	table_free(t->slots, t->cap * sizeof(*t->slots));
	free(t->by_index);
	free(t);
}

int top_rates_begin(struct top_model *m, struct rates_pass *rp)
{
	struct top_rate_table *t = m->rates;
	const struct top_frame *fr = &m->frame;

	if (fr->count > t->by_index_cap) {
		free(t->by_index);
		t->by_index_cap = fr->count + fr->count / 4;
		t->by_index = calloc(t->by_index_cap, sizeof(*t->by_index));
		if (!t->by_index) {
			t->by_index_cap = 0;
			return -ENOMEM;
		}
	}
	t->gen++;
	rp->clock = fr->clock_ms;
	rp->prev = t->clock_ms;
	rp->first = !t->have_clock;
	/* A frame of the same moment (a finished file, an unchanged report): rates stay. */
	rp->dt = !rp->first && rp->clock > rp->prev ? rp->clock - rp->prev : 0;
	rp->a = rp->dt ? 1.0 - exp(-(double)rp->dt / TOP_RATE_TAU_MS) : 0;
	m->total_bps = m->total_pps = 0;
	return 0;
}

/*
 * Flows [at, at + n), n <= RATE_BATCH: the tags of the batch first, their
 * slots prefetched, then the lookups, so that the table's cache misses overlap.
 */
int top_rates_batch(struct top_model *m, const struct rates_pass *rp, size_t at, size_t n)
{
	struct top_rate_table *t = m->rates;
	const struct nasoone_flow *flows = m->frame.flows;
	uint64_t tags[RATE_BATCH];

	if ((t->used + RATE_BATCH) * 2 >= t->cap && rate_rebuild(t, t->used, rp->clock))
		return -ENOMEM;
	for (size_t j = 0; j < n; j++) {
		const struct nasoone_flow *f = &flows[at + j];

		tags[j] = 0;
		if (f->last_ms + RECENT_MS < rp->clock)
			continue;
		tags[j] = flow_tag(t->seed, f);
		__builtin_prefetch(&t->slots[tags[j] & (t->cap - 1)], 1);
	}
	for (size_t j = 0; j < n; j++) {
		struct rate_slot *r = &t->by_index[at + j];
		struct rate_entry *e;

		if (!tags[j])
			continue;
		e = rate_find(t, tags[j], true);
		rate_update_one(t, e, &flows[at + j], rp->first, rp->prev, rp->dt, rp->a);
		r->r = (struct top_rate){ e->bps, e->pps, e->peak_bps, e->peak_pps };
		r->gen = t->gen;
		m->total_bps += e->bps;
		m->total_pps += e->pps;
	}
	return 0;
}

void top_rates_end(struct top_model *m, const struct rates_pass *rp)
{
	m->rates->clock_ms = rp->clock;
	m->rates->have_clock = true;
	m->rates_pending = false;
}
