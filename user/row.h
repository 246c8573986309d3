/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The row: the vocabulary every layer shares (capture sources produce
 * rows, the counters fold them, the outputs format them). Defined below
 * all of them, so that every include points downwards.
 */
#ifndef NASOONE_ROW_H
#define NASOONE_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nasoone.h"
#include "nasoone/flow.h"

struct flow_row {
	struct nn_flow_key key;
	uint64_t first_ms; /* ms since the epoch, truncated */
	uint64_t last_ms;
	uint64_t bytes; /* original frame lengths */
	uint64_t packets;
	uint32_t protos;   /* NN_PROTO_* bits */
	uint32_t hash;	   /* row_hash(&key), cached */
	uint64_t ip_bytes; /* IP octets: IP header and payload */
};

/*
 * A row is handed out as a struct nasoone_flow without conversion: the
 * layouts agree field for field. The key's first pad byte, always zero in
 * a table, carries the end reason of a row that left it.
 */
_Static_assert(sizeof(struct flow_row) == sizeof(struct nasoone_flow), "row layout");
_Static_assert(offsetof(struct flow_row, key.sport) == offsetof(struct nasoone_flow, sport), "");
_Static_assert(offsetof(struct flow_row, key.family) == offsetof(struct nasoone_flow, family), "");
_Static_assert(offsetof(struct flow_row, key.pad) == offsetof(struct nasoone_flow, end_reason), "");
_Static_assert(offsetof(struct flow_row, first_ms) == offsetof(struct nasoone_flow, first_ms), "");
_Static_assert(offsetof(struct flow_row, packets) == offsetof(struct nasoone_flow, packets), "");
_Static_assert(offsetof(struct flow_row, protos) == offsetof(struct nasoone_flow, protos), "");
_Static_assert(offsetof(struct flow_row, key.pad[NN_KEY_PROTO]) ==
		       offsetof(struct nasoone_flow, protocol),
	       "");
_Static_assert(offsetof(struct flow_row, ip_bytes) == offsetof(struct nasoone_flow, ip_bytes), "");

static inline const struct nasoone_flow *row_as_flow(const struct flow_row *row)
{
	return (const struct nasoone_flow *)(const void *)row;
}

static inline const struct flow_row *flow_as_row(const struct nasoone_flow *flow)
{
	return (const struct flow_row *)(const void *)flow;
}

/* Fold delta into row: earliest first, latest last, sums, protocols or-ed. */
static inline void row_fold(struct flow_row *row, const struct flow_row *delta)
{
	if (delta->first_ms < row->first_ms)
		row->first_ms = delta->first_ms;
	if (delta->last_ms > row->last_ms)
		row->last_ms = delta->last_ms;
	row->bytes += delta->bytes;
	row->packets += delta->packets;
	row->ip_bytes += delta->ip_bytes;
	row->protos |= delta->protos;
}

/*
 * A row whose 4-tuple has a row of the other protocol too (set by the flow
 * table on both): the report merges such rows, and only those, per 4-tuple.
 */
#define ROW_TWIN NASOONE_PROTO_TWIN

/* Whether two keys differ in their protocol only. */
static inline bool row_keys_twins(const struct nn_flow_key *a, const struct nn_flow_key *b)
{
	return a->pad[NN_KEY_PROTO] != b->pad[NN_KEY_PROTO] &&
	       !memcmp(a, b, offsetof(struct nn_flow_key, pad) + NN_KEY_PROTO);
}

/*
 * The hash every module uses for a key (tables, shards, fragments), keyed
 * per process; the protocol is left out (see ROW_TWIN).
 */
uint32_t row_hash(const struct nn_flow_key *key);

#endif /* NASOONE_ROW_H */
