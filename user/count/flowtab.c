/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "count/flowtab.h"
#include "count/row_chunks.h"

/* Rows live in chunks, so that growing never moves a row. */
#define CHUNK_SHIFT ROW_CHUNK_SHIFT
#define CHUNK_ROWS  ROW_CHUNK_ROWS

/*
 * Index slot: 0 = empty, else (hash << 32 | row index + 1). Keeping the
 * hash in the slot lets a probe skip rows that cannot match without
 * touching them (one cache miss per lookup instead of one per probe).
 */
struct flowtab {
	uint64_t *slots;
	size_t mask; /* slot count - 1, a power of two */
	size_t size;
	struct flow_row **chunks;
	size_t nchunks;
};

#define HUGE_PAGE (2u << 20)

/*
 * A zeroed index of n slots. Large ones are written once here, in huge
 * pages where the kernel has them: calloc()'s fresh pages are the shared
 * zero page until written, so a probe's read and the insert's write that
 * follows cost two faults and a TLB flush on every CPU the process runs on.
 */
static uint64_t *new_slots(size_t n)
{
	size_t bytes = n * sizeof(uint64_t);
	uint64_t *slots;

	if (bytes < HUGE_PAGE)
		return calloc(n, sizeof(uint64_t));
	slots = aligned_alloc(HUGE_PAGE, bytes);
	if (!slots)
		return NULL;
	madvise(slots, bytes, MADV_HUGEPAGE);
	memset(slots, 0, bytes);
	return slots;
}

struct flowtab *flowtab_new(void)
{
	struct flowtab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->mask = 1023;
	t->slots = calloc(t->mask + 1, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return NULL;
	}
	return t;
}

void flowtab_free(struct flowtab *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nchunks; i++)
		row_chunk_free(t->chunks[i]);
	free(t->chunks);
	free(t->slots);
	free(t);
}

static struct flow_row *row_at(const struct flowtab *t, size_t index)
{
	return &t->chunks[index >> CHUNK_SHIFT][index & (CHUNK_ROWS - 1)];
}

size_t flowtab_size(const struct flowtab *t)
{
	return t->size;
}

struct flow_row *flowtab_row(const struct flowtab *t, size_t index)
{
	return row_at(t, index);
}

size_t flowtab_chunk_rows(const struct flowtab *t, size_t index)
{
	size_t left = t->size - index, in_chunk = CHUNK_ROWS - (index & (CHUNK_ROWS - 1));

	return left < in_chunk ? left : in_chunk;
}

size_t flowtab_memory(const struct flowtab *t)
{
	return sizeof(*t) + (t->mask + 1) * sizeof(*t->slots) +
	       t->nchunks * (sizeof(*t->chunks) + CHUNK_ROWS * sizeof(struct flow_row));
}

/* Double the index when it is 3/4 full; rows stay where they are. */
static int grow_index(struct flowtab *t)
{
	size_t new_mask = t->mask * 2 + 1, i, j;
	uint64_t *slots = new_slots(new_mask + 1);

	if (!slots)
		return -ENOMEM;
	for (i = 0; i <= t->mask; i++) {
		uint64_t s = t->slots[i];

		if (!s)
			continue;
		for (j = (s >> 32) & new_mask; slots[j]; j = (j + 1) & new_mask)
			;
		slots[j] = s;
	}
	free(t->slots);
	t->slots = slots;
	t->mask = new_mask;
	return 0;
}

static struct flow_row *new_row(struct flowtab *t)
{
	if ((t->size & (CHUNK_ROWS - 1)) == 0 && (t->size >> CHUNK_SHIFT) == t->nchunks) {
		struct flow_row **chunks = realloc(t->chunks, (t->nchunks + 1) * sizeof(*chunks));

		if (!chunks)
			return NULL;
		t->chunks = chunks;
		t->chunks[t->nchunks] = row_chunk_new();
		if (!t->chunks[t->nchunks])
			return NULL;
		t->nchunks++;
	}
	return row_at(t, t->size);
}

/* The slot that holds row index, found by probing from the row's hash. */
static size_t slot_of(const struct flowtab *t, size_t index)
{
	size_t i = row_at(t, index)->hash & t->mask;

	while ((t->slots[i] & 0xffffffffu) != index + 1)
		i = (i + 1) & t->mask;
	return i;
}

void flowtab_prefetch(const struct flowtab *t, uint32_t hash, int stage)
{
	const uint64_t *slot = &t->slots[hash & t->mask];

	if (!stage) {
		__builtin_prefetch(slot);
		return;
	}
	/* An empty slot (0) names no row, whatever the hash. */
	if (*slot && *slot >> 32 == hash)
		__builtin_prefetch(row_at(t, (*slot & 0xffffffffu) - 1));
}

int flowtab_add(struct flowtab *t, const struct flow_row *delta, size_t *index)
{
	uint64_t tag = (uint64_t)delta->hash << 32, s;
	struct flow_row *row, *twin = NULL;
	size_t i;

	for (i = delta->hash & t->mask; (s = t->slots[i]); i = (i + 1) & t->mask) {
		if ((s & 0xffffffff00000000ull) != tag)
			continue;
		row = row_at(t, (s & 0xffffffffu) - 1);
		if (memcmp(&row->key, &delta->key, sizeof(row->key))) {
			/* Twins share the hash (row_hash() leaves the protocol out). */
			if (row_keys_twins(&row->key, &delta->key))
				twin = row;
			continue;
		}
		row_fold(row, delta);
		if (index)
			*index = (s & 0xffffffffu) - 1;
		return 0;
	}
	if ((t->size + 1) * 4 > (t->mask + 1) * 3) {
		if (grow_index(t))
			return -ENOMEM;
		for (i = delta->hash & t->mask; t->slots[i]; i = (i + 1) & t->mask)
			;
	}
	row = new_row(t);
	if (!row)
		return -ENOMEM;
	*row = *delta;
	if (twin) {
		twin->protos |= ROW_TWIN;
		row->protos |= ROW_TWIN;
	}
	t->slots[i] = tag | (t->size + 1);
	if (index)
		*index = t->size;
	t->size++;
	return 0;
}

/*
 * Linear probing deletes by shifting back: every later slot of the run
 * that may sit at or before the hole moves into it (Knuth 6.4, algorithm R),
 * so no tombstone slows later lookups.
 */
static void delete_slot(struct flowtab *t, size_t hole)
{
	size_t i = hole, home;

	for (;;) {
		i = (i + 1) & t->mask;
		if (!t->slots[i])
			break;
		home = (t->slots[i] >> 32) & t->mask;
		/* Leave the entry if its home lies cyclically in (hole, i]. */
		if (hole <= i ? (hole < home && home <= i) : (hole < home || home <= i))
			continue;
		t->slots[hole] = t->slots[i];
		hole = i;
	}
	t->slots[hole] = 0;
}

void flowtab_remove(struct flowtab *t, size_t index)
{
	size_t last = t->size - 1;

	delete_slot(t, slot_of(t, index));
	if (index != last) {
		size_t s = slot_of(t, last);

		*row_at(t, index) = *row_at(t, last);
		t->slots[s] = (t->slots[s] & 0xffffffff00000000ull) | (index + 1);
	}
	t->size--;
	/* Give memory back as the table shrinks, keeping one spare chunk. */
	while (t->nchunks > 1 && t->size + 2 * CHUNK_ROWS <= t->nchunks * CHUNK_ROWS) {
		t->nchunks--;
		row_chunk_free(t->chunks[t->nchunks]);
	}
}

void flowtab_clear(struct flowtab *t)
{
	size_t i;

	for (i = 1; i < t->nchunks; i++)
		row_chunk_free(t->chunks[i]);
	t->nchunks = t->nchunks ? 1 : 0;
	if (t->mask > 1023) {
		uint64_t *slots = calloc(1024, sizeof(*slots));

		if (slots) {
			free(t->slots);
			t->slots = slots;
			t->mask = 1023;
		}
	}
	memset(t->slots, 0, (t->mask + 1) * sizeof(*t->slots));
	t->size = 0;
}

void flowtab_drain(struct flowtab *t, void (*fn)(struct flow_row *rows, size_t n, void *ctx),
		   void *ctx)
{
	size_t i, n;

	/* The index first: a drained table is done with lookups. */
	free(t->slots);
	t->slots = NULL;
	for (i = 0; i < t->nchunks; i++) {
		n = t->size - i * CHUNK_ROWS < CHUNK_ROWS ? t->size - i * CHUNK_ROWS : CHUNK_ROWS;
		if (i * CHUNK_ROWS < t->size)
			fn(t->chunks[i], n, ctx);
		row_chunk_free(t->chunks[i]);
		t->chunks[i] = NULL;
	}
	t->nchunks = 0;
	t->size = 0;
}

size_t flowtab_longest_probe(const struct flowtab *t)
{
	size_t i, home, longest = 0;

	for (i = 0; i <= t->mask; i++) {
		if (!t->slots[i])
			continue;
		home = (t->slots[i] >> 32) & t->mask;
		if (((i - home) & t->mask) > longest)
			longest = (i - home) & t->mask;
	}
	return longest;
}
