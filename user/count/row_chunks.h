/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Chunks of ROW_CHUNK_ROWS rows, the unit in which the flow tables and the
 * report's store hold their rows. A few given back are kept for the next
 * taker: at the end of a file the tables' chunks are freed on one side as
 * fast as the report's store takes chunks on the other, and a chunk passed
 * on is memory already mapped, where a fresh one costs a page fault per
 * page (and both sides' memory at once until a trim).
 */
#ifndef NASOONE_ROW_CHUNKS_H
#define NASOONE_ROW_CHUNKS_H

#include "row.h"

#define ROW_CHUNK_SHIFT 12
#define ROW_CHUNK_ROWS	(1u << ROW_CHUNK_SHIFT)

/* A chunk of ROW_CHUNK_ROWS rows (contents undefined), or NULL. Any thread. */
struct flow_row *row_chunk_new(void);
/* Give a chunk back (NULL is ignored). Any thread. */
void row_chunk_free(struct flow_row *chunk);

#endif /* NASOONE_ROW_CHUNKS_H */
