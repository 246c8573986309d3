/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The userspace flow table: one row per directional 4-tuple. Both packet
 * sources feed it, so the two paths cannot diverge after parsing. Rows are
 * stored densely in fixed chunks (they never move, and iteration is a walk
 * over indexes); an open-addressing index maps keys to rows.
 */
#ifndef NASOONE_FLOWTAB_H
#define NASOONE_FLOWTAB_H

#include <stddef.h>
#include <stdint.h>

#include "row.h"

struct flowtab;

/* An empty table, or NULL with errno set. */
struct flowtab *flowtab_new(void);
void flowtab_free(struct flowtab *t);

/*
 * Fold delta into the row of delta->key (created if new): the earliest
 * first, the latest last, bytes and packets added, protocols or-ed.
 * delta->hash must be row_hash(&delta->key). 0 or -ENOMEM; *index (may
 * be NULL) gets the row's index.
 */
int flowtab_add(struct flowtab *t, const struct flow_row *delta, size_t *index);
/*
 * Ask the memory system for what a later flowtab_add() of a key with this
 * hash will load: stage 0 its index slot, stage 1 (once the slot came) the
 * row the slot names. A batch's lookups then overlap their cache misses.
 */
void flowtab_prefetch(const struct flowtab *t, uint32_t hash, int stage);
/* Remove row index: the last row takes its place (rows below index keep theirs). */
void flowtab_remove(struct flowtab *t, size_t index);
/*
 * Hand every row to fn, a chunk at a time, freeing each chunk once fn
 * returned: the last use of a table (only flowtab_free() may follow).
 */
void flowtab_drain(struct flowtab *t, void (*fn)(struct flow_row *rows, size_t n, void *ctx),
		   void *ctx);
/* Remove every row, giving back all but one chunk of rows. */
void flowtab_clear(struct flowtab *t);

/* Number of rows; rows are numbered 0 .. size-1 in insertion order. */
size_t flowtab_size(const struct flowtab *t);
struct flow_row *flowtab_row(const struct flowtab *t, size_t index);
/* Rows from index on that lie contiguously in memory (at least 1 when index < size). */
size_t flowtab_chunk_rows(const struct flowtab *t, size_t index);
/* The longest distance of a row's slot from its hash's home slot (probe chains). */
size_t flowtab_longest_probe(const struct flowtab *t);
/* Bytes allocated by the table (for memory accounting). */
size_t flowtab_memory(const struct flowtab *t);

#endif /* NASOONE_FLOWTAB_H */
