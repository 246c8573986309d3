/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The row: the vocabulary every layer shares (capture sources produce
 * rows, the counters fold them, the outputs format them). Defined below
 * all of them, so that every include points downwards.
 */
#ifndef NASOONE_ROW_H
#define NASOONE_ROW_H

#include <stdint.h>

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

/* The hash every module uses for a key (tables, shards, fragments). */
uint32_t row_hash(const struct nn_flow_key *key);

#endif /* NASOONE_ROW_H */
