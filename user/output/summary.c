/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The summary mode: every interval, a plain table of what each address
 * sent and received since the start (the rows that ended plus the live
 * ones), largest first, on a stream -- so that a pipe or a log shows
 * something while a capture runs. A consumer like the report.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/summary.h"

struct host {
	uint8_t addr[16];
	uint8_t family; /* 0: a free slot */
	uint64_t sent_bytes, sent_packets, recv_bytes, recv_packets;
};

struct hosts {
	struct host *slots;
	size_t nslots, used;
};

struct summary {
	FILE *out;
	struct hosts ended; /* totals of the rows that left memory */
	uint64_t flush_ms;  /* the counting clock at the latest flush */
	char error[128];
};

static uint64_t addr_hash(const uint8_t *addr)
{
	uint64_t h = 1469598103934665603ull;

	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 1099511628211ull;
	return h;
}

static struct host *host_slot(struct hosts *t, const uint8_t *addr, uint8_t family)
{
	size_t mask, i;

	if ((t->used + 1) * 2 > t->nslots) {
		size_t n = t->nslots ? t->nslots * 2 : 256;
		struct host *slots = calloc(n, sizeof(*slots));

		if (!slots)
			return NULL;
		for (i = 0; i < t->nslots; i++) {
			size_t j;

			if (!t->slots[i].family)
				continue;
			for (j = addr_hash(t->slots[i].addr) & (n - 1); slots[j].family;
			     j = (j + 1) & (n - 1))
				;
			slots[j] = t->slots[i];
		}
		free(t->slots);
		t->slots = slots;
		t->nslots = n;
	}
	mask = t->nslots - 1;
	for (i = addr_hash(addr) & mask; t->slots[i].family; i = (i + 1) & mask)
		if (t->slots[i].family == family && !memcmp(t->slots[i].addr, addr, 16))
			return &t->slots[i];
	memcpy(t->slots[i].addr, addr, 16);
	t->slots[i].family = family;
	t->used++;
	return &t->slots[i];
}

static int add_flows(struct hosts *t, const struct nasoone_flow *flows, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const struct nasoone_flow *f = &flows[i];
		struct host *h = host_slot(t, f->saddr, f->family);

		if (!h)
			return NASOONE_ENOMEM;
		h->sent_bytes += f->bytes;
		h->sent_packets += f->packets;
		h = host_slot(t, f->daddr, f->family);
		if (!h)
			return NASOONE_ENOMEM;
		h->recv_bytes += f->bytes;
		h->recv_packets += f->packets;
	}
	return 0;
}

static int by_traffic(const void *a, const void *b)
{
	const struct host *x = a, *y = b;
	uint64_t tx = x->sent_bytes + x->recv_bytes, ty = y->sent_bytes + y->recv_bytes;

	if (tx != ty)
		return tx > ty ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

static int print_table(struct summary *s, const struct hosts *t, uint64_t clock_ms)
{
	struct host *list = malloc((t->used ? t->used : 1) * sizeof(*list));
	char when[32] = "", addr[INET6_ADDRSTRLEN];
	time_t secs = (time_t)(clock_ms / 1000);
	size_t n = 0, i;
	struct tm tm;

	if (!list)
		return NASOONE_ENOMEM;
	for (i = 0; i < t->nslots; i++)
		if (t->slots[i].family)
			list[n++] = t->slots[i];
	qsort(list, n, sizeof(*list), by_traffic);
	if (localtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(s->out, "--- %s, %zu addresses\n%-39s %14s %10s %14s %10s\n", when, n, "ADDRESS",
		"SENT BYTES", "PACKETS", "RECEIVED BYTES", "PACKETS");
	for (i = 0; i < n; i++) {
		const struct host *h = &list[i];

		if (h->family == 4)
			inet_ntop(AF_INET, h->addr + 12, addr, sizeof(addr));
		else
			inet_ntop(AF_INET6, h->addr, addr, sizeof(addr));
		fprintf(s->out, "%-39s %14" PRIu64 " %10" PRIu64 " %14" PRIu64 " %10" PRIu64 "\n",
			addr, h->sent_bytes, h->sent_packets, h->recv_bytes, h->recv_packets);
	}
	free(list);
	if (fflush(s->out) == EOF) {
		snprintf(s->error, sizeof(s->error), "cannot write the summary: %s",
			 strerror(errno));
		return NASOONE_EOUTPUT;
	}
	return 0;
}

static int on_snapshot(const struct nasoone_snapshot *snap, void *ctx)
{
	struct summary *s = ctx;
	struct hosts now = { 0 };
	int err = 0;

	/* The ended totals, then the live rows on top of a copy of them. */
	now.nslots = s->ended.nslots;
	now.used = s->ended.used;
	if (now.nslots) {
		now.slots = malloc(now.nslots * sizeof(*now.slots));
		if (!now.slots)
			return NASOONE_ENOMEM;
		memcpy(now.slots, s->ended.slots, now.nslots * sizeof(*now.slots));
	}
	err = add_flows(&now, snap->flows, snap->count);
	if (!err)
		err = print_table(s, &now, snap->clock_ms);
	free(now.slots);
	return err;
}

static int on_expired(const struct nasoone_flow *flows, size_t count, void *ctx)
{
	struct summary *s = ctx;

	return add_flows(&s->ended, flows, count);
}

static int on_flush(uint64_t clock_ms, void *ctx)
{
	((struct summary *)ctx)->flush_ms = clock_ms;
	return 0;
}

static int on_close(const struct nasoone_stats *stats, void *ctx)
{
	struct summary *s = ctx;

	(void)stats;
	/* Every row has ended by now (the last flush): the totals are complete. */
	return print_table(s, &s->ended, s->flush_ms);
}

static const char *last_error(void *ctx)
{
	return ((struct summary *)ctx)->error;
}

struct summary *summary_new(FILE *out, struct nasoone_consumer *c)
{
	struct summary *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->out = out;
	memset(c, 0, sizeof(*c));
	c->name = "summary";
	c->ctx = s;
	c->on_snapshot = on_snapshot;
	c->on_expired = on_expired;
	c->on_flush = on_flush;
	c->on_close = on_close;
	c->last_error = last_error;
	return s;
}

void summary_free(struct summary *s)
{
	if (!s)
		return;
	free(s->ended.slots);
	free(s);
}
