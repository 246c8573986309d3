/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The rules that match a new flow, found without trying each rule (a
 * tuple space search): rules are compiled into matchers and grouped by
 * the address they constrain most (source, destination or either, with
 * its family and prefix length). A group is a hash table of the masked
 * address; a flow costs one look-up per group, and only the rules of the
 * slot it lands in (and those without an address) are checked in full.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "output/alert.h"

/*
 * A rule compiled for matching: every field constrains (a free address is
 * a zero mask, a free port the whole range), so a full check is a few
 * compares without a branch per field.
 */
struct matcher {
	uint64_t mask[3][2], want[3][2]; /* src, dst, host */
	uint8_t family[3];		 /* 0: any */
	uint8_t protos;			 /* 0: any */
	uint16_t lo[3], hi[3];		 /* sport, dport, port (host byte order) */
};

struct slot {
	uint64_t want[2];
	uint32_t first, count; /* its rules: index[first .. first + count); count 0: free */
	uint32_t filled;       /* while the index is built */
};

/* The rules whose key address is field (0 src, 1 dst, 2 either) of family, under one mask. */
struct group {
	uint8_t field, family;
	uint64_t mask[2];
	struct slot *slots; /* a power of two, at most half full; count 0: free */
	size_t nslots;
};

struct alert_index {
	struct matcher *matchers;
	size_t nrules;
	struct group *groups;
	size_t ngroups;
	uint32_t *index; /* the groups' rules, slot by slot */
	/*
	 * Rules without an address, by the port they constrain first: dport,
	 * sport, either port, none. A bitmap of the ports any rule of a kind
	 * admits skips the kind at once for most flows.
	 */
	uint32_t *plain[4];
	size_t nplain[4];
	uint64_t ports[3][65536 / 64];
	uint64_t *seen; /* per rule, the flow it last matched (a host rule can match twice) */
	uint64_t flows;
};

static void compile(struct matcher *m, const struct alert_rule *r)
{
	const struct alert_addr *addr[3] = { &r->src, &r->dst, &r->host };
	const struct alert_ports *ports[3] = { &r->sport, &r->dport, &r->port };

	memset(m, 0, sizeof(*m));
	for (int i = 0; i < 3; i++) {
		if (addr[i]->set) {
			memcpy(m->mask[i], addr[i]->mask, sizeof(m->mask[i]));
			memcpy(m->want[i], addr[i]->want, sizeof(m->want[i]));
			m->family[i] = addr[i]->family;
		}
		m->lo[i] = ports[i]->set ? ports[i]->lo : 0;
		m->hi[i] = ports[i]->set ? ports[i]->hi : 65535;
	}
	m->protos = (uint8_t)r->protos;
}

static inline bool masked(const uint64_t *mask, const uint64_t *want, const uint64_t *w)
{
	return ((w[0] & mask[0]) == want[0]) & ((w[1] & mask[1]) == want[1]);
}

/* alert_rule_matches() on a compiled rule, with the flow's words and ports loaded once. */
static inline bool matches(const struct matcher *m, const uint64_t *s, const uint64_t *d,
			   uint8_t family, uint16_t sport, uint16_t dport, uint8_t protos)
{
	bool fam = (!m->family[0] || m->family[0] == family) &
		   (!m->family[1] || m->family[1] == family) &
		   (!m->family[2] || m->family[2] == family);

	return fam & (!m->protos || (m->protos & protos)) & masked(m->mask[0], m->want[0], s) &
	       masked(m->mask[1], m->want[1], d) &
	       (masked(m->mask[2], m->want[2], s) | masked(m->mask[2], m->want[2], d)) &
	       (sport >= m->lo[0]) & (sport <= m->hi[0]) & (dport >= m->lo[1]) &
	       (dport <= m->hi[1]) &
	       (((sport >= m->lo[2]) & (sport <= m->hi[2])) |
		((dport >= m->lo[2]) & (dport <= m->hi[2])));
}

static size_t slot_of(const struct group *g, const uint64_t *want)
{
	uint64_t h = (want[0] * 0x9e3779b97f4a7c15ull) ^ (want[1] * 0xc2b2ae3d27d4eb4full);

	return (size_t)(h ^ (h >> 29)) & (g->nslots - 1);
}

static struct slot *find(const struct group *g, const uint64_t *want)
{
	size_t i;

	for (i = slot_of(g, want); g->slots[i].count; i = (i + 1) & (g->nslots - 1))
		if (g->slots[i].want[0] == want[0] && g->slots[i].want[1] == want[1])
			break;
	return &g->slots[i];
}

/* The address a rule is grouped by: the longest prefix, or -1 without one. */
static int key_field(const struct alert_rule *r)
{
	const struct alert_addr *addr[3] = { &r->src, &r->dst, &r->host };
	int best = -1;

	for (int i = 0; i < 3; i++)
		if (addr[i]->set && (best < 0 || addr[i]->prefix > addr[best]->prefix))
			best = i;
	return best;
}

static struct group *group_of(struct alert_index *x, const struct matcher *m, int field)
{
	for (size_t i = 0; i < x->ngroups; i++) {
		struct group *g = &x->groups[i];

		if (g->field == field && g->family == m->family[field] &&
		    g->mask[0] == m->mask[field][0] && g->mask[1] == m->mask[field][1])
			return g;
	}
	return NULL;
}

void alert_index_free(struct alert_index *x)
{
	size_t i;

	if (!x)
		return;
	for (i = 0; i < x->ngroups; i++)
		free(x->groups[i].slots);
	free(x->groups);
	free(x->matchers);
	free(x->index);
	for (i = 0; i < 4; i++)
		free(x->plain[i]);
	free(x->seen);
	free(x);
}

struct alert_index *alert_index_new(const struct alert_rule *rules, size_t count)
{
	struct alert_index *x = calloc(1, sizeof(*x));
	size_t n = count ? count : 1, at = 0, r, i;
	int *field = calloc(n, sizeof(*field));

	if (!x || !field)
		goto fail;
	x->nrules = count;
	x->matchers = calloc(n, sizeof(*x->matchers));
	x->groups = calloc(n, sizeof(*x->groups));
	x->index = calloc(n, sizeof(*x->index));
	x->seen = calloc(n, sizeof(*x->seen));
	if (!x->matchers || !x->groups || !x->index || !x->seen)
		goto fail;
	for (i = 0; i < 4; i++)
		if (!(x->plain[i] = calloc(n, sizeof(*x->plain[i]))))
			goto fail;
	/* Groups, and how many rules each slot holds. */
	for (r = 0; r < count; r++) {
		struct matcher *m = &x->matchers[r];
		struct group *g;

		compile(m, &rules[r]);
		field[r] = key_field(&rules[r]);
		if (field[r] < 0) {
			/* dport, sport, port: the first one set; 3: none. */
			const struct alert_ports *p[3] = { &rules[r].dport, &rules[r].sport,
							   &rules[r].port };
			int kind = 0;

			while (kind < 3 && !p[kind]->set)
				kind++;
			x->plain[kind][x->nplain[kind]++] = (uint32_t)r;
			for (unsigned int port = kind < 3 ? p[kind]->lo : 1;
			     kind < 3 && port <= p[kind]->hi; port++)
				x->ports[kind][port / 64] |= 1ull << (port % 64);
			continue;
		}
		g = group_of(x, m, field[r]);
		if (!g) {
			g = &x->groups[x->ngroups++];
			g->field = (uint8_t)field[r];
			g->family = m->family[field[r]];
			memcpy(g->mask, m->mask[field[r]], sizeof(g->mask));
		}
		g->nslots++; /* the rules, for now */
	}
	for (i = 0; i < x->ngroups; i++) {
		struct group *g = &x->groups[i];
		size_t want = 4;

		while (want < g->nslots * 2)
			want *= 2;
		g->nslots = want;
		g->slots = calloc(want, sizeof(*g->slots));
		if (!g->slots)
			goto fail;
	}
	for (r = 0; r < count; r++) {
		if (field[r] >= 0) {
			struct slot *s = find(group_of(x, &x->matchers[r], field[r]),
					      x->matchers[r].want[field[r]]);

			memcpy(s->want, x->matchers[r].want[field[r]], sizeof(s->want));
			s->count++;
		}
	}
	/* Ranges in index, slot by slot; then the rules, in their order. */
	for (i = 0; i < x->ngroups; i++) {
		for (size_t j = 0; j < x->groups[i].nslots; j++) {
			struct slot *s = &x->groups[i].slots[j];

			s->first = (uint32_t)at;
			at += s->count;
		}
	}
	for (r = 0; r < count; r++) {
		if (field[r] >= 0) {
			struct slot *s = find(group_of(x, &x->matchers[r], field[r]),
					      x->matchers[r].want[field[r]]);

			x->index[s->first + s->filled++] = (uint32_t)r;
		}
	}
	free(field);
	return x;
fail:
	free(field);
	alert_index_free(x);
	return NULL;
}

static int by_number(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

size_t alert_index_match(struct alert_index *x, const struct nasoone_flow *f, uint32_t *out)
{
	uint16_t sport = ntohs(f->sport), dport = ntohs(f->dport);
	uint64_t w[2][2], key[2];
	size_t n = 0, i, k;
	uint32_t r;

	memcpy(w[0], f->saddr, 16);
	memcpy(w[1], f->daddr, 16);
	x->flows++;
	for (i = 0; i < x->ngroups; i++) {
		const struct group *g = &x->groups[i];

		if (g->family != f->family)
			continue;
		for (int a = g->field == 1; a <= (g->field ? 1 : 0); a++) {
			const struct slot *s;

			key[0] = w[a][0] & g->mask[0];
			key[1] = w[a][1] & g->mask[1];
			s = find(g, key);
			for (k = 0; k < s->count; k++) {
				r = x->index[s->first + k];
				if (x->seen[r] != x->flows &&
				    matches(&x->matchers[r], w[0], w[1], f->family, sport, dport,
					    (uint8_t)f->protos)) {
					x->seen[r] = x->flows;
					out[n++] = r;
				}
			}
		}
	}
	for (int kind = 0; kind < 4; kind++) {
		if (kind == 0 && !(x->ports[0][dport / 64] >> (dport % 64) & 1))
			continue;
		if (kind == 1 && !(x->ports[1][sport / 64] >> (sport % 64) & 1))
			continue;
		if (kind == 2 && !(x->ports[2][sport / 64] >> (sport % 64) & 1) &&
		    !(x->ports[2][dport / 64] >> (dport % 64) & 1))
			continue;
		for (i = 0; i < x->nplain[kind]; i++) {
			r = x->plain[kind][i];
			if (matches(&x->matchers[r], w[0], w[1], f->family, sport, dport,
				    (uint8_t)f->protos))
				out[n++] = r;
		}
	}
	/* Rules fire in their order in the file, whatever group found them. */
	if (n > 1)
		qsort(out, n, sizeof(*out), by_number);
	return n;
}
