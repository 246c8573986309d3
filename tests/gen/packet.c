/* SPDX-License-Identifier: GPL-2.0-only */
/* Frame builders: link layers, IPv4/IPv6 (with options and chains), TCP, UDP. */
#include <string.h>

#include "pcapgen.h"

static const uint8_t mac_a[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x02 };

void fr_init(struct frame *f)
{
	f->len = 0;
}

static uint8_t *room(struct frame *f, size_t n)
{
	uint8_t *p;

	if (f->len + n > FRAME_MAX)
		die("frame too long");
	p = f->b + f->len;
	f->len += n;
	return p;
}

void fr_bytes(struct frame *f, const void *p, size_t n)
{
	if (n) /* p may be NULL for nothing: memcpy() must not see it */
		memcpy(room(f, n), p, n);
}

void fr_u8(struct frame *f, unsigned v)
{
	*room(f, 1) = v;
}

void fr_be16(struct frame *f, unsigned v)
{
	uint8_t *p = room(f, 2);

	p[0] = v >> 8;
	p[1] = v;
}

void fr_be32(struct frame *f, uint32_t v)
{
	fr_be16(f, v >> 16);
	fr_be16(f, v & 0xffff);
}

void fr_le32(struct frame *f, uint32_t v)
{
	uint8_t *p = room(f, 4);

	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

/* Payload bytes: a fixed pattern, so files are reproducible byte for byte. */
void fr_fill(struct frame *f, size_t n)
{
	uint8_t *p = room(f, n);

	for (size_t i = 0; i < n; i++)
		p[i] = 'a' + i % 26;
}

void fr_pad(struct frame *f, size_t min)
{
	if (f->len < min)
		memset(room(f, min - f->len), 0, min - f->len);
}

void fr_eth(struct frame *f, int ntags, const uint16_t *tpids, uint16_t type)
{
	fr_bytes(f, mac_b, 6);
	fr_bytes(f, mac_a, 6);
	for (int i = 0; i < ntags; i++) {
		fr_be16(f, tpids[i]);
		/* PCP 5 and DEI on odd tags: readers must ignore the TCI. */
		fr_be16(f, (5 << 13) | ((i & 1) << 12) | (100 + i));
	}
	fr_be16(f, type);
}

void fr_sll(struct frame *f, uint16_t type)
{
	fr_be16(f, 4); /* sent by us */
	fr_be16(f, 1); /* ARPHRD_ETHER */
	fr_be16(f, 6);
	fr_bytes(f, mac_a, 6);
	fr_be16(f, 0);
	fr_be16(f, type);
}

void fr_sll2(struct frame *f, uint16_t type)
{
	fr_be16(f, type);
	fr_be16(f, 0);
	fr_be32(f, 2); /* ifindex */
	fr_be16(f, 1); /* ARPHRD_ETHER */
	fr_u8(f, 0);   /* to us */
	fr_u8(f, 6);
	fr_bytes(f, mac_b, 6);
	fr_be16(f, 0);
}

void fr_link(struct frame *f, uint32_t lt, int v)
{
	uint16_t type = v == 4 ? 0x0800 : 0x86dd;

	switch (lt) {
	case LT_ETHERNET:
		fr_eth(f, 0, NULL, type);
		break;
	case LT_SLL:
		fr_sll(f, type);
		break;
	case LT_SLL2:
		fr_sll2(f, type);
		break;
	case LT_NULL:
		fr_le32(f, v == 4 ? 2 : 24); /* a little-endian BSD host */
		break;
	case LT_LOOP:
		fr_be32(f, v == 4 ? 2 : 30);
		break;
	case LT_RAW:
	case LT_RAW12:
	case LT_RAW14:
	case LT_IPV4:
	case LT_IPV6:
		break;
	default:
		die("fr_link: no IP framing for linktype %u", lt);
	}
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (p[i] << 8) | p[i + 1];
	if (n & 1)
		s += p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s;
}

size_t fr_ip4(struct frame *f, const uint8_t *src, const uint8_t *dst, uint8_t proto, uint16_t id,
	      uint16_t frag, const uint8_t *opt, size_t optlen)
{
	size_t off = f->len;

	if (optlen % 4)
		die("IPv4 options must fill 32-bit words");
	fr_u8(f, 0x40 | (5 + optlen / 4));
	fr_u8(f, 0);
	fr_be16(f, 0); /* total length: fr_ip4_len() */
	fr_be16(f, id);
	fr_be16(f, frag);
	fr_u8(f, 64);
	fr_u8(f, proto);
	fr_be16(f, 0);
	fr_bytes(f, src, 4);
	fr_bytes(f, dst, 4);
	fr_bytes(f, opt, optlen);
	return off;
}

void fr_ip4_len(struct frame *f, size_t off, int totlen)
{
	uint8_t *h = f->b + off;
	size_t hl = (h[0] & 0xf) * 4;
	uint16_t sum;

	if (totlen < 0)
		totlen = f->len - off;
	h[2] = totlen >> 8;
	h[3] = totlen;
	h[10] = h[11] = 0;
	sum = csum(h, hl < 20 ? 20 : hl);
	h[10] = sum >> 8;
	h[11] = sum;
}

/* One extension header of the chain, next is the header after it. */
static void fr_ext(struct frame *f, const struct ext *e, uint8_t next)
{
	static const uint8_t rt_addr[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					     0,	   0,	 0,    0,    0, 0, 0, 0x99 };

	switch (e->type) {
	case 0:	  /* hop-by-hop */
	case 60:  /* destination options */
	case 135: /* mobility: same layout for this purpose */
		fr_u8(f, next);
		fr_u8(f, 0);
		fr_u8(f, 1); /* PadN of 4 */
		fr_u8(f, 4);
		fr_be32(f, 0);
		break;
	case 43: /* routing type 0, nothing left to visit */
		fr_u8(f, next);
		fr_u8(f, 2);
		fr_u8(f, 0);
		fr_u8(f, 0);
		fr_be32(f, 0);
		fr_bytes(f, rt_addr, 16);
		break;
	case 44:
		fr_u8(f, next);
		fr_u8(f, 0);
		fr_be16(f, (e->frag_off << 3) | (e->more ? 1 : 0));
		fr_be32(f, e->ident);
		break;
	case 51: /* AH with a 12-byte ICV */
		fr_u8(f, next);
		fr_u8(f, 4);
		fr_be16(f, 0);
		fr_be32(f, 0x1000);
		fr_be32(f, 1);
		fr_fill(f, 12);
		break;
	default:
		die("no builder for extension header %u", e->type);
	}
}

size_t fr_ip6(struct frame *f, const uint8_t *src, const uint8_t *dst, const struct ext *ext,
	      int next, uint8_t proto)
{
	size_t off = f->len;

	fr_be32(f, 0x60000000 | (0x12345 & 0xfffff));
	fr_be16(f, 0); /* payload length: fr_ip6_len() */
	fr_u8(f, next ? ext[0].type : proto);
	fr_u8(f, 64);
	fr_bytes(f, src, 16);
	fr_bytes(f, dst, 16);
	for (int i = 0; i < next; i++)
		fr_ext(f, &ext[i], i + 1 < next ? ext[i + 1].type : proto);
	return off;
}

void fr_ip6_len(struct frame *f, size_t off, int paylen)
{
	if (paylen < 0)
		paylen = f->len - off - 40;
	f->b[off + 4] = paylen >> 8;
	f->b[off + 5] = paylen;
}

void fr_tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t flags, size_t payload)
{
	fr_tcp_seq(f, sport, dport, 0x10000000u + sport, 0x20000000u + dport, flags, payload);
}

void fr_tcp_seq(struct frame *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		uint8_t flags, size_t payload)
{
	fr_be16(f, sport);
	fr_be16(f, dport);
	fr_be32(f, seq);
	fr_be32(f, flags & TH_ACK ? ack : 0);
	fr_u8(f, 5 << 4);
	fr_u8(f, flags);
	fr_be16(f, 64240);
	fr_be16(f, 0); /* checksum: not checked by readers */
	fr_be16(f, 0);
	fr_fill(f, payload);
}

void fr_udp(struct frame *f, uint16_t sport, uint16_t dport, size_t payload)
{
	fr_be16(f, sport);
	fr_be16(f, dport);
	fr_be16(f, 8 + payload);
	fr_be16(f, 0);
	fr_fill(f, payload);
}

void fr_pkt(struct frame *f, uint32_t lt, const struct pkt *p, bool rev, size_t payload,
	    struct gen_key *key)
{
	uint16_t sport = rev ? p->dport : p->sport, dport = rev ? p->sport : p->dport;

	fr_pkt_tcp(f, lt, p, rev, TH_ACK | TH_PSH, 0x10000000u + sport, 0x20000000u + dport,
		   payload, key);
}

void fr_pkt_tcp(struct frame *f, uint32_t lt, const struct pkt *p, bool rev, uint8_t flags,
		uint32_t seq, uint32_t ack, size_t payload, struct gen_key *key)
{
	uint8_t s[16], d[16];
	const char *src = rev ? p->dst : p->src, *dst = rev ? p->src : p->dst;
	uint16_t sport = rev ? p->dport : p->sport, dport = rev ? p->sport : p->dport;
	int v = addr_parse(src, s);
	size_t off;

	if (addr_parse(dst, d) != v)
		die("mixed families: %s %s", src, dst);
	fr_init(f);
	fr_link(f, lt, v);
	off = v == 4 ? fr_ip4(f, s, d, p->proto, 0x1000 + sport, 0x4000, NULL, 0)
		     : fr_ip6(f, s, d, NULL, 0, p->proto);
	if (p->proto == 6)
		fr_tcp_seq(f, sport, dport, seq, ack, flags, payload);
	else
		fr_udp(f, sport, dport, payload);
	if (v == 4)
		fr_ip4_len(f, off, -1);
	else
		fr_ip6_len(f, off, -1);
	if (lt == LT_ETHERNET)
		fr_pad(f, 60);
	if (key)
		key_set(key, src, sport, dst, dport);
}
