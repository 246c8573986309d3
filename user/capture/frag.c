/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "row.h"
#include "capture/frag.h"

/* 64k datagrams in flight, far above what a capture needs; ~6 MiB. */
#define FRAG_SLOTS  (1u << 16)
#define FRAG_PROBES 16

/* A datagram: (family, src, dst, protocol, identification). */
struct frag_id {
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint32_t id;
	uint8_t proto;
	uint8_t family;
	uint8_t pad[2];
};

struct frag_entry {
	struct frag_id id;
	struct nn_flow_key key;
	uint64_t ts_ms;
	uint8_t l4proto;
	bool used;
};

struct frag_table {
	struct frag_entry slots[FRAG_SLOTS];
};

struct frag_table *frag_table_new(void)
{
	return calloc(1, sizeof(struct frag_table));
}

void frag_table_free(struct frag_table *t)
{
	free(t);
}

static void datagram_of(const struct nn_pkt *pkt, struct frag_id *id)
{
	memset(id, 0, sizeof(*id));
	memcpy(id->saddr, pkt->key.saddr, 16);
	memcpy(id->daddr, pkt->key.daddr, 16);
	id->id = pkt->frag_id;
	id->proto = pkt->frag_proto;
	id->family = pkt->key.family;
}

static uint32_t datagram_hash(const struct frag_id *id)
{
	struct nn_flow_key k;

	/* Reuse the flow hash: the datagram id fits the key's layout closely. */
	memset(&k, 0, sizeof(k));
	memcpy(k.saddr, id->saddr, 16);
	memcpy(k.daddr, id->daddr, 16);
	memcpy(&k.sport, &id->id, 4);
	k.family = id->family;
	k.pad[0] = id->proto;
	return row_hash(&k);
}

static bool expired(const struct frag_entry *e, uint64_t ts_ms)
{
	/* Capture time may go backwards: only a later packet makes an entry old. */
	return ts_ms > e->ts_ms && ts_ms - e->ts_ms > FRAG_TTL_MS;
}

void frag_table_insert(struct frag_table *t, const struct nn_pkt *pkt, uint64_t ts_ms)
{
	struct frag_entry *e, *same = NULL, *unused = NULL, *oldest = NULL;
	struct frag_id id;
	uint32_t h, i;

	datagram_of(pkt, &id);
	h = datagram_hash(&id);
	for (i = 0; i < FRAG_PROBES; i++) {
		e = &t->slots[(h + i) & (FRAG_SLOTS - 1)];
		if (e->used && !memcmp(&e->id, &id, sizeof(id)))
			same = e;
		else if (!e->used)
			unused = unused ? unused : e;
		else if (!oldest || e->ts_ms < oldest->ts_ms)
			oldest = e;
	}
	/*
	 * The most recent first fragment of a datagram wins; then a free slot;
	 * then the oldest entry. An entry that merely looks expired now is not
	 * free: capture time can go backwards, and an earlier packet may need it.
	 */
	e = same ? same : unused ? unused : oldest;
	e->id = id;
	e->key = pkt->key;
	e->l4proto = pkt->l4proto;
	e->ts_ms = ts_ms;
	e->used = true;
}

int frag_table_lookup(struct frag_table *t, struct nn_pkt *pkt, uint64_t ts_ms)
{
	struct frag_entry *e;
	struct frag_id id;
	uint32_t h, i;

	datagram_of(pkt, &id);
	h = datagram_hash(&id);
	for (i = 0; i < FRAG_PROBES; i++) {
		e = &t->slots[(h + i) & (FRAG_SLOTS - 1)];
		if (!e->used || memcmp(&e->id, &id, sizeof(id)))
			continue;
		if (expired(e, ts_ms))
			return -ENOENT;
		pkt->key = e->key;
		pkt->l4proto = e->l4proto;
		return 0;
	}
	return -ENOENT;
}
