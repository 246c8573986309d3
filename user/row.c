/* SPDX-License-Identifier: GPL-2.0-only */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "row.h"

/*
 * The hash's secret, drawn once per process: without it nobody can
 * prepare keys that share a hash (an unkeyed hash can be inverted, and
 * a capture of colliding keys makes every insert walk one probe chain).
 */
static uint64_t hash_key[6];

/*
 * The key's last word with the protocol byte cleared by a mask: clearing
 * it in a copy and then loading the word would stall store forwarding (a
 * byte store read back by a wider load) on every packet.
 */
_Static_assert(offsetof(struct nn_flow_key, pad) + NN_KEY_PROTO >= 32 &&
		       sizeof(struct nn_flow_key) == 40,
	       "the protocol byte lies in the key's fifth word");
static uint64_t proto_out_mask;

__attribute__((constructor)) static void draw_hash_key(void)
{
	uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	struct nn_flow_key ones;
	size_t i;

	memset(&ones, 0xff, sizeof(ones));
	ones.pad[NN_KEY_PROTO] = 0;
	memcpy(&proto_out_mask, (const uint8_t *)&ones + 32, sizeof(proto_out_mask));
	if (getrandom(hash_key, sizeof(hash_key), GRND_NONBLOCK) == (ssize_t)sizeof(hash_key))
		return;
	/* No entropy yet (early boot): a weaker key still beats none. */
	for (i = 0; i < 6; i++) {
		t += 0x9e3779b97f4a7c15ull;
		hash_key[i] = (t ^ (t >> 31)) * 0xbf58476d1ce4e5b9ull;
	}
}

/* 64x64 -> 128-bit multiply, folded: the mixing step of wyhash. */
static inline uint64_t mum(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/*
 * Keyed, not cryptographic: three multiplies over the five key words, each
 * word masked by the secret first, so that which inputs collide depends on
 * a key the sender never sees (the SipHash argument, at a third of its cost).
 */
uint32_t row_hash(const struct nn_flow_key *key)
{
	uint64_t w[sizeof(*key) / 8], h;

	memcpy(w, key, sizeof(w));
	/* The protocol stays out: TCP and UDP of a 4-tuple share a shard and a probe chain. */
	w[4] &= proto_out_mask;
	h = mum(w[0] ^ hash_key[0], w[1] ^ hash_key[1]);
	h = mum(h ^ w[2] ^ hash_key[2], w[3] ^ hash_key[3]);
	h = mum(h ^ w[4] ^ hash_key[4], hash_key[5] | 1);
	return (uint32_t)(h ^ (h >> 32));
}
