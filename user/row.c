/* SPDX-License-Identifier: GPL-2.0-only */
#include <string.h>

#include "row.h"

uint32_t row_hash(const struct nn_flow_key *key)
{
	uint64_t words[sizeof(*key) / 8], h = 0x9e3779b97f4a7c15ull;
	size_t i;

	memcpy(words, key, sizeof(words));
	for (i = 0; i < sizeof(words) / 8; i++) {
		h ^= words[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	/* Final avalanche, so that every key byte reaches the low (index) bits. */
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (uint32_t)h;
}
