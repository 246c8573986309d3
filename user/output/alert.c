/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The alert engine (see alert.h), a consumer of the rows the counters hand
 * out. Per flow it keeps the rules that matched when the flow was first
 * seen and, per threshold rule, a few samples of its totals: enough for a
 * sliding window as fine as the feed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/alert.h"
#include "row.h"

struct sample {
	uint64_t at_ms, bytes, packets;
};

struct rule_state {
	uint32_t rule;
	bool alerted;
	uint8_t nsamples, head; /* a ring of samples, oldest at head */
	uint64_t last_alert_ms;
	struct sample samples[]; /* ALERT_SAMPLES for a threshold rule, else none */
};

#define PREFETCH_AHEAD 8

/* The key bytes of a flow: addresses, ports, family (not the end reason). */
#define KEY_BYTES offsetof(struct nasoone_flow, end_reason)

/*
 * One cache line a flow: a flow that matches no rule costs one look-up
 * (one memory access) when it is seen again. The states of the rules it
 * matches lie in one block: a count, then each state (samples included).
 */
struct flow_state {
	uint8_t key[KEY_BYTES]; /* its last byte, the family, is 0 in a free slot */
	uint8_t pad[3];
	uint32_t hash;
	uint64_t packets; /* the totals last seen */
	uint32_t *states; /* NULL: no rule matches */
};
_Static_assert(sizeof(struct flow_state) == 64, "a flow's state is one cache line");

#define USED(s) ((s)->key[KEY_BYTES - 1] != 0)

static size_t state_size(const struct alert_rule *r)
{
	return sizeof(struct rule_state) +
	       (r->on == ALERT_ON_THRESHOLD ? ALERT_SAMPLES * sizeof(struct sample) : 0);
}

struct alert_engine {
	const struct alert_rule *rules;
	size_t nrules;
	struct alert_index *index;
	alert_fire_fn fire;
	void *fire_ctx;
	struct alert_actions *actions; /* when fire was NULL */
	struct flow_state *slots;
	size_t nslots, used; /* a power of two; linear probing */
	uint64_t fired;
	uint32_t *scratch; /* the rules matching a new flow */
};

struct alert_engine *alert_engine_new(const struct alert_rule *rules, size_t count,
				      alert_fire_fn fire, void *fire_ctx)
{
	struct alert_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->rules = rules;
	e->nrules = count;
	e->fire = fire;
	e->fire_ctx = fire_ctx;
	if (!fire) {
		e->actions = alert_actions_new();
		e->fire = alert_actions_fire;
		e->fire_ctx = e->actions;
	}
	e->nslots = 1024;
	e->slots = calloc(e->nslots, sizeof(*e->slots));
	e->scratch = calloc(count ? count : 1, sizeof(*e->scratch));
	e->index = alert_index_new(rules, count);
	if (!e->slots || !e->scratch || !e->index || (!fire && !e->actions)) {
		alert_engine_free(e);
		return NULL;
	}
	return e;
}

static void state_clear(struct flow_state *s)
{
	free(s->states);
	memset(s, 0, sizeof(*s));
}

void alert_engine_free(struct alert_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; e->slots && i < e->nslots; i++)
		if (USED(&e->slots[i]))
			state_clear(&e->slots[i]);
	free(e->slots);
	free(e->scratch);
	alert_index_free(e->index);
	alert_actions_free(e->actions);
	free(e);
}

uint64_t alert_engine_fired(const struct alert_engine *e)
{
	return e->fired;
}

static uint32_t flow_hash(const struct nasoone_flow *f)
{
	struct nn_flow_key key;

	/* Rows from the counters carry their key's hash: no need to hash again. */
	if (flow_as_row(f)->hash)
		return flow_as_row(f)->hash;
	memcpy(&key, f, KEY_BYTES);
	memset(key.pad, 0, sizeof(key.pad));
	return row_hash(&key);
}

static int grow(struct alert_engine *e)
{
	size_t n = e->nslots * 2, i, j;
	struct flow_state *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < e->nslots; i++) {
		if (!USED(&e->slots[i]))
			continue;
		for (j = e->slots[i].hash & (n - 1); USED(&slots[j]); j = (j + 1) & (n - 1))
			;
		slots[j] = e->slots[i];
	}
	free(e->slots);
	e->slots = slots;
	e->nslots = n;
	return 0;
}

/* The slot of f's state, or the empty slot where it goes. */
static struct flow_state *find(struct alert_engine *e, const struct nasoone_flow *f, uint32_t h)
{
	size_t i;

	for (i = h & (e->nslots - 1); USED(&e->slots[i]); i = (i + 1) & (e->nslots - 1))
		if (e->slots[i].hash == h && !memcmp(e->slots[i].key, f, KEY_BYTES))
			break;
	return &e->slots[i];
}

/* Backward-shift deletion: no tombstones, probe chains stay short. */
static void erase(struct alert_engine *e, struct flow_state *s)
{
	size_t mask = e->nslots - 1, i = (size_t)(s - e->slots), j = i, home;

	state_clear(s);
	e->used--;
	for (;;) {
		j = (j + 1) & mask;
		if (!USED(&e->slots[j]))
			return;
		home = e->slots[j].hash & mask;
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			e->slots[i] = e->slots[j];
			memset(&e->slots[j], 0, sizeof(e->slots[j]));
			i = j;
		}
	}
}

/* The rules that match a new flow, once, into one block of states. */
static int match_rules(struct alert_engine *e, struct flow_state *s, const struct nasoone_flow *f)
{
	size_t n = alert_index_match(e->index, f, e->scratch), size = 8, r;
	uint8_t *at;

	for (r = 0; r < n; r++)
		size += state_size(&e->rules[e->scratch[r]]);
	if (!n)
		return 0;
	s->states = calloc(1, size);
	if (!s->states)
		return -ENOMEM;
	s->states[0] = (uint32_t)n;
	at = (uint8_t *)s->states + 8;
	for (r = 0; r < n; r++) {
		((struct rule_state *)(void *)at)->rule = e->scratch[r];
		at += state_size(&e->rules[e->scratch[r]]);
	}
	return 0;
}

static void fire(struct alert_engine *e, struct rule_state *rs, const struct nasoone_flow *f,
		 const char *what, uint64_t at_ms, uint64_t wbytes, uint64_t wpackets)
{
	struct alert_event ev = {
		.rule = &e->rules[rs->rule],
		.flow = f,
		.what = what,
		.at_ms = at_ms,
		.window_bytes = wbytes,
		.window_packets = wpackets,
	};

	rs->alerted = true;
	rs->last_alert_ms = at_ms;
	e->fired++;
	e->fire(&ev, e->fire_ctx);
}

static bool may_repeat(const struct alert_rule *r, const struct rule_state *rs, uint64_t at)
{
	return !rs->alerted || (r->repeat_ms && at >= rs->last_alert_ms + r->repeat_ms);
}

/*
 * A threshold rule at a new sample: the amount within the window is the
 * total now minus the total of the newest sample at least a window old
 * (0 when the flow began inside the window). Samples lie at least
 * window/ALERT_SAMPLES apart, so the ring spans the window.
 */
static void threshold(struct alert_engine *e, struct rule_state *rs, const struct nasoone_flow *f)
{
	const struct alert_rule *r = &e->rules[rs->rule];
	uint64_t t = f->last_ms, base_bytes = 0, base_packets = 0, wb, wp;
	uint64_t limit = r->bytes, spacing = r->window_ms / ALERT_SAMPLES;
	struct sample *newest;
	unsigned int i;

	if (r->rate) {
		uint64_t from_rate = r->rate * r->window_ms / 1000;

		if (!limit || from_rate < limit)
			limit = from_rate ? from_rate : 1;
	}
	if (f->first_ms + r->window_ms <= t) {
		/* The flow began before the window: find its state at the window's start. */
		bool found = false;

		for (i = 0; i < rs->nsamples; i++) {
			struct sample *s = &rs->samples[(rs->head + i) % ALERT_SAMPLES];

			if (s->at_ms + r->window_ms <= t) {
				base_bytes = s->bytes;
				base_packets = s->packets;
				found = true;
			}
		}
		if (!found && rs->nsamples) {
			/* All samples are inside the window: the oldest is the best bound. */
			base_bytes = rs->samples[rs->head].bytes;
			base_packets = rs->samples[rs->head].packets;
		}
	}
	wb = f->bytes - base_bytes;
	wp = f->packets - base_packets;
	newest = rs->nsamples ? &rs->samples[(rs->head + rs->nsamples - 1) % ALERT_SAMPLES] : NULL;
	if (newest && t < newest->at_ms + spacing) {
		; /* too close to the last sample: keep the ring spanning the window */
	} else if (rs->nsamples < ALERT_SAMPLES) {
		rs->samples[(rs->head + rs->nsamples++) % ALERT_SAMPLES] =
			(struct sample){ t, f->bytes, f->packets };
	} else {
		rs->samples[rs->head] = (struct sample){ t, f->bytes, f->packets };
		rs->head = (uint8_t)((rs->head + 1) % ALERT_SAMPLES);
	}
	if (((limit && wb >= limit) || (r->packets && wp >= r->packets)) && may_repeat(r, rs, t))
		fire(e, rs, f, "threshold", t, wb, wp);
}

int alert_engine_update(struct alert_engine *e, const struct nasoone_flow *f, bool final)
{
	uint32_t h = flow_hash(f);
	struct flow_state *s;
	bool fresh = false;
	int err;

	if ((e->used + 1) * 4 > e->nslots * 3 && (err = grow(e)))
		return err;
	s = find(e, f, h);
	if (!USED(s)) {
		memcpy(s->key, f, KEY_BYTES);
		s->hash = h;
		e->used++;
		fresh = true;
		if ((err = match_rules(e, s, f))) {
			erase(e, s);
			return err;
		}
	}
	uint8_t *at = s->states ? (uint8_t *)s->states + 8 : NULL;

	for (uint32_t i = 0, n = s->states ? s->states[0] : 0; i < n; i++) {
		struct rule_state *rs = (struct rule_state *)(void *)at;
		const struct alert_rule *r = &e->rules[rs->rule];

		at += state_size(r);
		switch (r->on) {
		case ALERT_ON_FLOW:
			if (fresh)
				fire(e, rs, f, "new flow", f->first_ms, f->bytes, f->packets);
			break;
		case ALERT_ON_PACKET:
			if (!rs->alerted)
				fire(e, rs, f, "first packet", f->first_ms, f->bytes, f->packets);
			else if (f->packets > s->packets && may_repeat(r, rs, f->last_ms))
				fire(e, rs, f, "traffic", f->last_ms, f->bytes, f->packets);
			break;
		case ALERT_ON_THRESHOLD:
			threshold(e, rs, f);
			break;
		}
	}
	s->packets = f->packets;
	if (final)
		erase(e, s);
	return 0;
}

/* Rows in bulk: the state of a row a few ahead is fetched while this one is looked at. */
static int update_all(struct alert_engine *e, const struct nasoone_flow *flows, size_t count,
		      bool final)
{
	for (size_t i = 0; i < count; i++) {
		if (i + PREFETCH_AHEAD < count)
			__builtin_prefetch(
				&e->slots[flow_hash(&flows[i + PREFETCH_AHEAD]) & (e->nslots - 1)]);
		if (alert_engine_update(e, &flows[i], final))
			return NASOONE_ENOMEM;
	}
	return 0;
}

static int on_changed(const struct nasoone_flow *flows, size_t count, uint64_t clock_ms, void *ctx)
{
	(void)clock_ms;
	return update_all(ctx, flows, count, false);
}

static int on_expired(const struct nasoone_flow *flows, size_t count, void *ctx)
{
	return update_all(ctx, flows, count, true);
}

void alert_engine_consumer(struct alert_engine *e, struct nasoone_consumer *c)
{
	memset(c, 0, sizeof(*c));
	c->name = "alerts";
	c->ctx = e;
	c->on_changed = on_changed;
	c->on_expired = on_expired;
}
