/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The rates of the view's model (top_rates.c), for top_model.c: the rate
 * table and the pass that fills it. rate_of() is inline, as it runs for
 * every row of every refresh.
 */
#ifndef NASOONE_TOP_RATES_H
#define NASOONE_TOP_RATES_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cli/top.h"

struct rate_entry {
	uint64_t tag; /* 0 = empty */
	uint64_t bytes, packets;
	uint64_t at_ms; /* the frame clock of the last update */
	float bps, pps, peak_bps, peak_pps;
};

/* A flow's rates in the current frame; only recently active flows get one written. */
struct rate_slot {
	struct top_rate r;
	uint32_t gen;
};

struct top_rate_table {
	struct rate_entry *slots;
	size_t cap, used; /* cap a power of 2 */
	uint64_t seed;
	uint64_t clock_ms; /* of the last frame, 0 before the first */
	bool have_clock;
	struct rate_slot *by_index; /* the current frame's rates, one per flow */
	size_t by_index_cap;
	uint32_t gen; /* of the current frame: a slot of another is a rate of 0 */
};

#define RATE_BATCH 32

/* The rates of a frame are computed in batches, in the same pass as the filter and the window. */
struct rates_pass {
	uint64_t clock, prev, dt;
	bool first;
	double a; /* the smoothing weight of this interval */
};

/* A table with a random seed for the flows' tags; NULL when out of memory. */
struct top_rate_table *top_rates_new(void);
void top_rates_free(struct top_rate_table *t);
/* The pass over a new frame: begin, a batch of flows at a time, end. */
int top_rates_begin(struct top_model *m, struct rates_pass *rp);
int top_rates_batch(struct top_model *m, const struct rates_pass *rp, size_t at, size_t n);
void top_rates_end(struct top_model *m, const struct rates_pass *rp);

extern const struct top_rate top_zero_rate;

/* The rates of flow i of the frame: zero unless it was active lately. */
static inline const struct top_rate *rate_of(const struct top_model *m, size_t i)
{
	const struct top_rate_table *t = m->rates;

	if (i < m->frame.count && t->by_index && t->by_index[i].gen == t->gen)
		return &t->by_index[i].r;
	return &top_zero_rate;
}

/* Hashing of addresses and 4-tuples (the rate table, the per-host summary). */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

#endif /* NASOONE_TOP_RATES_H */
