/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fragment attribution: a non-first IP fragment carries no ports, so it is
 * counted in the 4-tuple of its datagram's first fragment, if that was seen
 * earlier in the capture and at most FRAG_TTL_MS before it (README rule 6).
 * The table is bounded; old datagrams are overwritten first.
 */
#ifndef NASOONE_FRAG_H
#define NASOONE_FRAG_H

#include <stdint.h>

#include "nasoone/parse.h"

#define FRAG_TTL_MS 60000

struct frag_table;

struct frag_table *frag_table_new(void);
void frag_table_free(struct frag_table *t);
/* Remember the 4-tuple of pkt, a first fragment (frag == NN_FRAG_FIRST) seen at ts_ms. */
void frag_table_insert(struct frag_table *t, const struct nn_pkt *pkt, uint64_t ts_ms);
/*
 * For pkt, a later fragment (NN_FRAGMENT verdict) seen at ts_ms: fill its
 * key and l4proto from the first fragment and return 0, or -ENOENT.
 */
int frag_table_lookup(struct frag_table *t, struct nn_pkt *pkt, uint64_t ts_ms);

#endif /* NASOONE_FRAG_H */
