// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the packet parser (include/nasoone/parse.h) through
 * packet_parse() for every link type the project supports. The first byte
 * picks the link type, the rest is the frame, in a buffer of exactly its
 * size (so ASan sees any read past the captured bytes). Besides memory
 * errors, the verdict's promises are checked: a counted frame has its
 * transport header inside the frame, its ports copied from it and a
 * complete key; a later fragment names its datagram.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/packet.h"
#include "nasoone/parse.h"

#include "fuzz.h"

static void check_key(const struct nn_pkt *pkt)
{
	static const __u8 zero[16];

	FUZZ_CHECK(pkt->key.family == NN_FAMILY_IPV4 || pkt->key.family == NN_FAMILY_IPV6);
	/* The protocol byte holds the transport (the IPFIX flow key); the rest stays zero. */
	FUZZ_CHECK(pkt->key.pad[NN_KEY_PROTO] == pkt->l4proto);
	FUZZ_CHECK(pkt->key.pad[0] == 0 && pkt->key.pad[2] == 0);
	if (pkt->key.family == NN_FAMILY_IPV4) {
		/* IPv4-mapped IPv6: ::ffff:a.b.c.d */
		FUZZ_CHECK(!memcmp(pkt->key.saddr, zero, 10) && !memcmp(pkt->key.daddr, zero, 10));
		FUZZ_CHECK(pkt->key.saddr[10] == 0xff && pkt->key.saddr[11] == 0xff);
		FUZZ_CHECK(pkt->key.daddr[10] == 0xff && pkt->key.daddr[11] == 0xff);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct packet p = { 0 };
	struct nn_pkt pkt;
	uint8_t *frame;
	int ret;

	if (size < 1)
		return 0;
	p.linktype = fuzz_linktypes[data[0] % FUZZ_NLINKTYPES];
	p.caplen = (uint32_t)(size - 1);
	p.len = p.caplen;
	/* A copy of exactly caplen bytes (malloc(0) may return NULL: keep one byte). */
	frame = malloc(size - 1 ? size - 1 : 1);
	FUZZ_CHECK(frame);
	memcpy(frame, data + 1, size - 1);
	p.data = frame;

	ret = packet_parse(&p, &pkt);
	switch (ret) {
	case NN_COUNT:
		check_key(&pkt);
		FUZZ_CHECK(pkt.l4proto == NN_IPPROTO_TCP || pkt.l4proto == NN_IPPROTO_UDP);
		FUZZ_CHECK(pkt.l4 && pkt.l4 >= frame && pkt.l4 + 4 <= frame + p.caplen);
		FUZZ_CHECK(!memcmp(&pkt.key.sport, pkt.l4, 2) &&
			   !memcmp(&pkt.key.dport, pkt.l4 + 2, 2));
		FUZZ_CHECK(pkt.frag == NN_FRAG_NONE || pkt.frag == NN_FRAG_FIRST);
		break;
	case NN_FRAGMENT:
		check_key(&pkt);
		FUZZ_CHECK(pkt.frag == NN_FRAG_LATER);
		FUZZ_CHECK(!pkt.l4 && !pkt.key.sport && !pkt.key.dport);
		break;
	case NN_SKIP_NOT_IP:
	case NN_SKIP_TRUNCATED:
	case NN_SKIP_MALFORMED:
	case NN_SKIP_PROTO:
		break;
	default:
		FUZZ_FAIL("unknown verdict %d", ret);
	}
	free(frame);
	return 0;
}
