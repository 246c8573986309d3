/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The row: the vocabulary every layer shares (capture sources produce
 * rows, the counters fold them, the outputs format them). Defined below
 * all of them, so that every include points downwards.
 */
#ifndef NASOONE_ROW_H
#define NASOONE_ROW_H

#include <stddef.h>
#include <stdint.h>

#include "nasoone.h"
#include "nasoone/flow.h"

struct flow_row {
	struct nn_flow_key key;
	uint64_t first_ms; /* ms since the epoch, truncated */
	uint64_t last_ms;
	uint64_t bytes; /* original frame lengths */
	uint64_t packets;
	uint32_t protos; /* NN_PROTO_* bits */
	uint32_t hash;	 /* row_hash(&key), cached */
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
	row->protos |= delta->protos;
}

/* The hash every module uses for a key (tables, shards, fragments), keyed per process. */
uint32_t row_hash(const struct nn_flow_key *key);

#endif /* NASOONE_ROW_H */
