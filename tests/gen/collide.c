/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `pcapgen collide --packets N [--random] OUT`: N IPv6/UDP packets, each
 * its own flow, from sources within one /64, built so that all N keys
 * share one value of the flow-table hash nasoone used before its hash
 * was keyed. That hash folded the 40-byte key eight bytes at a time,
 * h = f(h ^ w) with f invertible; the destination's first eight bytes
 * follow the source's last eight, so they can cancel the state: every key
 * leaves the same state behind, and every insert walks one probe chain.
 * --random draws those eight bytes instead: the same shape, no collision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapgen.h"

#define OLD_SEED 0x9e3779b97f4a7c15ull
#define OLD_MUL	 0xff51afd7ed558ccdull

static uint64_t old_step(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= OLD_MUL;
	return h ^ (h >> 32);
}

int gen_collide(int argc, char **argv)
{
	const char *out = NULL;
	uint64_t packets = 0, w0, w1, state, target = 0x0123456789abcdefull;
	bool random = false;
	struct rng r = { 42 };
	struct cap *c;
	char expected[4096];
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--packets") && i + 1 < argc)
			packets = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--random"))
			random = true;
		else if (!out)
			out = argv[i];
		else
			die("collide: unexpected argument %s", argv[i]);
	}
	if (!out || !packets)
		die("usage: pcapgen collide --packets N [--random] OUT");
	c = cap_pcap(false, false, LT_ETHERNET, 262144);
	for (uint64_t n = 0; n < packets; n++) {
		uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1 };
		uint8_t dst[16] = { 0 };
		struct gen_key key = { .family = 6, .sport = 5353, .dport = 53 };
		struct frame f;
		size_t ip;

		/* The interface ID counts up: one /64, a new source per packet. */
		for (i = 0; i < 8; i++)
			src[8 + i] = (uint8_t)((n + 1) >> (8 * (7 - i)));
		memcpy(&w0, src, 8);
		memcpy(&w1, src + 8, 8);
		state = old_step(old_step(OLD_SEED, w0), w1);
		state ^= random ? rng_next(&r) : target; /* w2: the state becomes target */
		memcpy(dst, &state, 8);
		dst[15] = 1;
		memcpy(key.src, src, 16);
		memcpy(key.dst, dst, 16);
		fr_init(&f);
		fr_eth(&f, 0, NULL, 0x86dd);
		ip = fr_ip6(&f, src, dst, NULL, 0, 17);
		fr_udp(&f, key.sport, key.dport, 20);
		fr_ip6_len(&f, ip, -1);
		cap_frame(c, 0, GEN_BASE_NS + n * 1000, &f, 0, 0, &key, GEN_UDP);
	}
	snprintf(expected, sizeof(expected), "%s.expected", out);
	cap_save(c, out, OUT_PLAIN, SIZE_MAX, expected);
	return 0;
}
