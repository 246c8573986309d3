/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests of the packet parser, include/nasoone/parse.h, against the
 * rules of README "Which frames count" (items 1-6; the fragment table of
 * rule 6 is not the parser's). Packets are made by the small builders below.
 *
 * Every parse goes through parse_frame(): it parses the frame at its full
 * length and cut at every shorter length, each time from a heap block of
 * exactly that size (at an aligned and at an odd address), so that ASan
 * reports any read past the captured bytes, and it checks that a cut frame
 * gives either the full frame's result or NN_SKIP_TRUNCATED.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nasoone/parse.h>

#define FRAME_MAX    4096
#define L4_UNKNOWN   ((size_t)-1) /* damaged frame: where its ports are is not known */

#define SPORT	     0xc0de /* 49374: both bytes differ, so byte order shows */
#define DPORT	     0x01bb /* 443 */
#define IP4_ID	     0xbeef
#define IP6_ID	     0x89abcdefu /* above 2^31: the identification is 32 bits */
#define ETH_ARP	     0x0806
#define ETH_LLDP     0x88cc

#define PROTO_ICMP   1
#define PROTO_IPIP   4
#define PROTO_IPV6   41
#define PROTO_GRE    47
#define PROTO_ESP    50
#define PROTO_AH     51
#define PROTO_ICMPV6 58
#define PROTO_NONE   59
#define PROTO_MH     135
#define PROTO_SCTP   132

/* The link layers, one per entry point and mode. */
enum link {
	LINK_ETH,  /* nn_parse_eth */
	LINK_SLL,  /* nn_parse_sll */
	LINK_SLL2, /* nn_parse_sll2 */
	LINK_NULL, /* nn_parse_null, host byte order (DLT_NULL) */
	LINK_LOOP, /* nn_parse_null, network_order = 1 (DLT_LOOP) */
	LINK_RAW,  /* nn_parse_raw, version 0: by the version nibble */
	LINK_RAW4, /* nn_parse_raw, version 4 */
	LINK_RAW6, /* nn_parse_raw, version 6 */
};

struct frame {
	enum link link;
	size_t len;
	size_t l4;	  /* outermost TCP/UDP header, 0 if none, L4_UNKNOWN */
	size_t nip, nudp; /* IP and UDP headers whose length finish() sets */
	size_t ip[4], udp[4];
	__u8 b[FRAME_MAX];
};

static const __u8 src4[4] = { 192, 0, 2, 1 };
static const __u8 dst4[4] = { 198, 51, 100, 2 };
static const __u8 inner_src4[4] = { 10, 1, 2, 3 };
static const __u8 inner_dst4[4] = { 10, 4, 5, 6 };
static const __u8 src6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x02, 0x03,
			       0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b };
static const __u8 dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xfe, 0xfd, 0xfc,
			       0xfb, 0xfa, 0xf9, 0xf8, 0xf7, 0xf6, 0xf5, 0xf4 };
static const __u8 mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
static const __u16 tpids[] = { NN_ETH_P_8021Q, NN_ETH_P_8021AD, NN_ETH_P_QINQ1 };

/* What the running test is looking at, for failure messages. */
static char ctx[160];

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
}

static const char *verdict_name(int verdict)
{
	switch (verdict) {
	case NN_COUNT:
		return "NN_COUNT";
	case NN_FRAGMENT:
		return "NN_FRAGMENT";
	case NN_SKIP_NOT_IP:
		return "NN_SKIP_NOT_IP";
	case NN_SKIP_TRUNCATED:
		return "NN_SKIP_TRUNCATED";
	case NN_SKIP_MALFORMED:
		return "NN_SKIP_MALFORMED";
	case NN_SKIP_PROTO:
		return "NN_SKIP_PROTO";
	}
	return "(unknown verdict)";
}

/* ---- Builders ---------------------------------------------------------- */

static void frame_init(struct frame *f, enum link link)
{
	memset(f, 0, sizeof(*f));
	f->link = link;
}

static void put8(struct frame *f, unsigned int v)
{
	assert_true(f->len < FRAME_MAX);
	f->b[f->len++] = (__u8)v;
}

static void put16(struct frame *f, unsigned int v)
{
	put8(f, v >> 8);
	put8(f, v & 0xff);
}

static void put32(struct frame *f, __u32 v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

static void put_bytes(struct frame *f, const __u8 *p, size_t n)
{
	while (n--)
		put8(f, *p++);
}

static void put_fill(struct frame *f, size_t n, unsigned int v)
{
	while (n--)
		put8(f, v);
}

static void set8(struct frame *f, size_t off, unsigned int v)
{
	assert_true(off < f->len);
	f->b[off] = (__u8)v;
}

static void set16(struct frame *f, size_t off, unsigned int v)
{
	set8(f, off, v >> 8);
	set8(f, off + 1, v & 0xff);
}

/* Ethernet II header; a VLAN TPID as ethertype is followed by vlan() tags. */
static void eth(struct frame *f, unsigned int ethertype)
{
	static const __u8 dst[6] = { 0x02, 0x00, 0x5e, 0x99, 0x88, 0x77 };

	put_bytes(f, dst, 6);
	put_bytes(f, mac, 6);
	put16(f, ethertype);
}

/* One VLAN tag after its TPID: TCI (PCP 3, the VLAN id), next ethertype. */
static void vlan(struct frame *f, unsigned int vid, unsigned int next)
{
	put16(f, 3u << 13 | vid);
	put16(f, next);
}

/* Linux cooked v1: packet type, ARPHRD, address length, address, protocol. */
static void sll(struct frame *f, unsigned int proto)
{
	put16(f, 0); /* to us */
	put16(f, 1); /* ARPHRD_ETHER */
	put16(f, 6);
	put_bytes(f, mac, 6);
	put16(f, 0); /* the address field is 8 bytes */
	put16(f, proto);
}

/* Linux cooked v2: protocol, reserved, ifindex, ARPHRD, type, length, address. */
static void sll2(struct frame *f, unsigned int proto)
{
	put16(f, proto);
	put16(f, 0);
	put32(f, 3);
	put16(f, 1);
	put8(f, 4); /* outgoing */
	put8(f, 6);
	put_bytes(f, mac, 6);
	put16(f, 0);
}

/* BSD loopback address family, in big- or little-endian byte order. */
static void family(struct frame *f, __u32 fam, int big_endian)
{
	if (big_endian) {
		put32(f, fam);
		return;
	}
	put8(f, fam & 0xff);
	put8(f, (fam >> 8) & 0xff);
	put8(f, (fam >> 16) & 0xff);
	put8(f, fam >> 24);
}

/* IPv4 header with optlen bytes of NOP options; finish() sets the length. */
static size_t ipv4_addr(struct frame *f, unsigned int proto, unsigned int optlen, const __u8 *s,
			const __u8 *d)
{
	size_t off = f->len;

	assert_true(optlen % 4 == 0 && optlen <= 40);
	put8(f, 0x40 | (5 + optlen / 4));
	put8(f, 0);	  /* DSCP, ECN */
	put16(f, 0);	  /* total length */
	put16(f, IP4_ID); /* identification */
	put16(f, 0);	  /* flags, fragment offset */
	put8(f, 64);	  /* TTL */
	put8(f, proto);
	put16(f, 0); /* checksum: the parser does not look at it */
	put_bytes(f, s, 4);
	put_bytes(f, d, 4);
	put_fill(f, optlen, 1);
	assert_true(f->nip < 4);
	f->ip[f->nip++] = off;
	return off;
}

static size_t ipv4(struct frame *f, unsigned int proto, unsigned int optlen)
{
	return ipv4_addr(f, proto, optlen, src4, dst4);
}

/* IPv6 header; finish() sets the payload length. */
static size_t ipv6(struct frame *f, unsigned int next)
{
	size_t off = f->len;

	put32(f, 0x60012345); /* version 6, traffic class 0, flow label 0x12345 */
	put16(f, 0);	      /* payload length */
	put8(f, next);
	put8(f, 64); /* hop limit */
	put_bytes(f, src6, 16);
	put_bytes(f, dst6, 16);
	assert_true(f->nip < 4);
	f->ip[f->nip++] = off;
	return off;
}

/*
 * IPv6 hop-by-hop, destination options (padded with Pad1/PadN options) or
 * routing header (type 253, experimental) of (units + 1) * 8 bytes.
 */
static void ext6(struct frame *f, unsigned int kind, unsigned int next, unsigned int units)
{
	size_t rest = (size_t)units * 8 + 6, n;

	put8(f, next);
	put8(f, units);
	if (kind == NN_IPPROTO_ROUTING) {
		put8(f, 253); /* routing type */
		put8(f, 0);   /* segments left */
		put_fill(f, rest - 2, 0);
		return;
	}
	assert_true(kind == NN_IPPROTO_HOPOPTS || kind == NN_IPPROTO_DSTOPTS);
	while (rest) {
		if (rest == 1) {
			put8(f, 0); /* Pad1 */
			break;
		}
		n = rest < 257 ? rest : 255;
		put8(f, 1); /* PadN */
		put8(f, n - 2);
		put_fill(f, n - 2, 0);
		rest -= n;
	}
}

/* IPv6 fragment header: offset in 8-byte units, M flag, identification. */
static void frag6(struct frame *f, unsigned int next, unsigned int offset, int more, __u32 id)
{
	put8(f, next);
	put8(f, 0);
	put16(f, offset << 3 | (more ? 1 : 0));
	put32(f, id);
}

static void tcp(struct frame *f, unsigned int sport, unsigned int dport)
{
	if (!f->l4)
		f->l4 = f->len;
	put16(f, sport);
	put16(f, dport);
	put32(f, 0x01020304); /* sequence */
	put32(f, 0);	      /* acknowledgement */
	put8(f, 5 << 4);      /* data offset */
	put8(f, 0x18);	      /* PSH, ACK */
	put16(f, 65535);      /* window */
	put16(f, 0);	      /* checksum */
	put16(f, 0);	      /* urgent pointer */
}

static void udp(struct frame *f, unsigned int sport, unsigned int dport)
{
	if (!f->l4)
		f->l4 = f->len;
	assert_true(f->nudp < 4);
	f->udp[f->nudp++] = f->len;
	put16(f, sport);
	put16(f, dport);
	put16(f, 0); /* length: finish() */
	put16(f, 0); /* checksum */
}

static void l4(struct frame *f, unsigned int proto)
{
	if (proto == NN_IPPROTO_TCP)
		tcp(f, SPORT, DPORT);
	else
		udp(f, SPORT, DPORT);
}

static void payload(struct frame *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		put8(f, (i * 7 + 1) & 0xff);
}

/* Sets the IP and UDP length fields: every header runs to the frame's end. */
static void finish(struct frame *f)
{
	size_t i, o;

	for (i = 0; i < f->nip; i++) {
		o = f->ip[i];
		if (f->b[o] >> 4 == 4)
			set16(f, o + 2, f->len - o);
		else
			set16(f, o + 4, f->len - o - 40);
	}
	for (i = 0; i < f->nudp; i++)
		set16(f, f->udp[i] + 4, f->len - f->udp[i]);
}

/* A whole IPv4 or IPv6 packet, TCP or UDP, with 16 bytes of payload. */
static void ip_packet(struct frame *f, int version, unsigned int proto)
{
	if (version == 4)
		ipv4(f, proto, 0);
	else
		ipv6(f, proto);
	l4(f, proto);
	payload(f, 16);
	finish(f);
}

static unsigned int ethertype_of(int version)
{
	return version == 4 ? NN_ETH_P_IP : NN_ETH_P_IPV6;
}

/* ---- Parsing and checks ------------------------------------------------ */

static int parse_buf(enum link link, const __u8 *buf, size_t len, struct nn_pkt *pkt)
{
	const __u8 *end = buf + len;

	/* The parser fills what it finds: the caller hands it a zeroed result. */
	memset(pkt, 0, sizeof(*pkt));
	switch (link) {
	case LINK_ETH:
		return nn_parse_eth(buf, end, pkt);
	case LINK_SLL:
		return nn_parse_sll(buf, end, pkt);
	case LINK_SLL2:
		return nn_parse_sll2(buf, end, pkt);
	case LINK_NULL:
		return nn_parse_null(buf, end, 0, pkt);
	case LINK_LOOP:
		return nn_parse_null(buf, end, 1, pkt);
	case LINK_RAW:
		return nn_parse_raw(buf, end, 0, pkt);
	case LINK_RAW4:
		return nn_parse_raw(buf, end, 4, pkt);
	case LINK_RAW6:
		return nn_parse_raw(buf, end, 6, pkt);
	}
	fail_msg("unknown link %d", (int)link);
	return 0;
}

/* The first len bytes of f in a heap block of exactly len (+ shift) bytes. */
static int parse_copy(const struct frame *f, size_t len, size_t shift, struct nn_pkt *pkt)
{
	__u8 *block = malloc(len + shift);
	int verdict;

	assert_non_null(block);
	memcpy(block + shift, f->b, len);
	verdict = parse_buf(f->link, block + shift, len, pkt);
	/*
	 * l4 points into this copy: check that it is where the ports were read,
	 * then clear it so that results from different copies compare equal.
	 */
	if (verdict == NN_COUNT) {
		assert_non_null(pkt->l4);
		assert_true(pkt->l4 >= block + shift && pkt->l4 + 4 <= block + shift + len);
		assert_memory_equal(pkt->l4, &pkt->key.sport, 2);
		assert_memory_equal(pkt->l4 + 2, &pkt->key.dport, 2);
	}
	/* l3 points into this copy too: inside it, before l4. */
	if (verdict >= 0)
		assert_true(pkt->l3 >= block + shift && pkt->l3 + 20 <= block + shift + len &&
			    (!pkt->l4 || pkt->l3 < pkt->l4));
	pkt->l4 = NULL;
	pkt->l3 = NULL;
	free(block);
	return verdict;
}

struct result {
	int verdict;
	struct nn_pkt pkt;
	size_t min_len; /* the shortest cut that still gives the full result */
};

/*
 * Parses f whole and cut at every length down to 0, aligned and at an odd
 * address. Down to some length (min_len) a cut gives the whole frame's
 * verdict and result; below it, NN_SKIP_TRUNCATED. A counted frame's min_len
 * is the end of its port fields.
 */
static struct result parse_frame(const struct frame *f)
{
	struct nn_pkt aligned, odd;
	struct result r;
	int v, same = 1;
	size_t len;

	r.verdict = parse_copy(f, f->len, 0, &r.pkt);
	r.min_len = f->len;
	for (len = f->len + 1; len-- > 0;) {
		v = parse_copy(f, len, 0, &aligned);
		if (parse_copy(f, len, 1, &odd) != v || memcmp(&aligned, &odd, sizeof(odd)))
			fail_msg("%s: cut at %zu: odd address gives another result", ctx, len);
		if (same && v == r.verdict &&
		    (v == NN_SKIP_TRUNCATED || !memcmp(&aligned, &r.pkt, sizeof(aligned)))) {
			r.min_len = len;
			continue;
		}
		same = 0;
		if (v != NN_SKIP_TRUNCATED)
			fail_msg("%s: cut at %zu of %zu: %s (%zu and more: %s)", ctx, len, f->len,
				 verdict_name(v), r.min_len, verdict_name(r.verdict));
	}
	if (r.verdict == NN_COUNT && f->l4 != L4_UNKNOWN && r.min_len != f->l4 + 4)
		fail_msg("%s: counted from %zu bytes on, the ports end at %zu", ctx, r.min_len,
			 f->l4 + 4);
	return r;
}

static struct nn_pkt expect(const struct frame *f, int verdict)
{
	struct result r = parse_frame(f);

	if (r.verdict != verdict)
		fail_msg("%s: %s, expected %s", ctx, verdict_name(r.verdict),
			 verdict_name(verdict));
	return r.pkt;
}

static void hex(char *out, const __u8 *p, size_t n)
{
	while (n--)
		out += sprintf(out, "%02x", *p++);
}

/* The whole key, byte for byte: addresses, ports as on the wire, zero pad. */
static void expect_key(const struct nn_pkt *pkt, int fam, const __u8 *s, const __u8 *d,
		       unsigned int sport, unsigned int dport)
{
	char got[2 * sizeof(struct nn_flow_key) + 1], want[sizeof(got)];
	struct nn_flow_key k;
	const __u8 *ports;

	memset(&k, 0, sizeof(k));
	if (fam == NN_FAMILY_IPV4) {
		k.saddr[10] = k.saddr[11] = 0xff;
		k.daddr[10] = k.daddr[11] = 0xff;
		memcpy(&k.saddr[12], s, 4);
		memcpy(&k.daddr[12], d, 4);
	} else {
		memcpy(k.saddr, s, 16);
		memcpy(k.daddr, d, 16);
	}
	k.sport = htons(sport);
	k.dport = htons(dport);
	k.family = fam;
	k.pad[NN_KEY_PROTO] =
		pkt->l4proto; /* the protocol is part of the key (checked by callers) */
	if (memcmp(&pkt->key, &k, sizeof(k))) {
		hex(got, (const __u8 *)&pkt->key, sizeof(k));
		hex(want, (const __u8 *)&k, sizeof(k));
		fail_msg("%s: key\n  got  %s\n  want %s", ctx, got, want);
	}
	/* The same, spelt out. */
	assert_int_equal(pkt->key.family, fam);
	ports = (const __u8 *)&pkt->key.sport;
	assert_int_equal(ports[0], sport >> 8);
	assert_int_equal(ports[1], sport & 0xff);
	assert_int_equal(ntohs(pkt->key.sport), sport);
	assert_int_equal(ntohs(pkt->key.dport), dport);
	assert_int_equal(pkt->key.pad[0], 0);
	assert_int_equal(pkt->key.pad[NN_KEY_PROTO], pkt->l4proto);
	assert_int_equal(pkt->key.pad[2], 0);
}

static const __u8 *src_of(int version)
{
	return version == 4 ? src4 : src6;
}

static const __u8 *dst_of(int version)
{
	return version == 4 ? dst4 : dst6;
}

static int family_of(int version)
{
	return version == 4 ? NN_FAMILY_IPV4 : NN_FAMILY_IPV6;
}

/* The IP octets: the outer IP header's length field, IPv6's fixed header added. */
static void expect_ip_len(const struct frame *f, const struct nn_pkt *pkt)
{
	size_t o = f->ip[0];
	int v4 = f->b[o] >> 4 == 4;
	__u32 field = nn_load_be16(f->b + o + (v4 ? 2 : 4));
	/* 0 says "to the end of the frame": the caller places it by l3 */
	__u32 want = !field ? 0 : v4 ? field : field + 40u;

	if (!f->nip)
		return;
	if (pkt->ip_len != want)
		fail_msg("%s: ip_len %u, want %u", ctx, pkt->ip_len, want);
}

/* Counted, not a fragment, with the builders' addresses and ports. */
static struct nn_pkt expect_counted(const struct frame *f, int version, unsigned int proto)
{
	struct nn_pkt pkt = expect(f, NN_COUNT);

	expect_key(&pkt, family_of(version), src_of(version), dst_of(version), SPORT, DPORT);
	assert_int_equal(pkt.l4proto, proto);
	assert_int_equal(pkt.frag, NN_FRAG_NONE);
	assert_int_equal(pkt.pad, 0);
	expect_ip_len(f, &pkt);
	return pkt;
}

/* A non-first fragment: the datagram's addresses, protocol and id, no ports. */
static void expect_later_fragment(const struct frame *f, int version, unsigned int frag_proto,
				  __u32 frag_id)
{
	struct nn_pkt pkt = expect(f, NN_FRAGMENT);

	expect_key(&pkt, family_of(version), src_of(version), dst_of(version), 0, 0);
	assert_int_equal(pkt.frag, NN_FRAG_LATER);
	assert_int_equal(pkt.frag_proto, frag_proto);
	assert_int_equal(pkt.frag_id, frag_id);
	assert_int_equal(pkt.l4proto, 0);
}

/* A first fragment: counted with its ports, and marked with its datagram. */
static void expect_first_fragment(const struct frame *f, int version, unsigned int proto,
				  __u32 frag_id)
{
	struct nn_pkt pkt = expect(f, NN_COUNT);

	expect_key(&pkt, family_of(version), src_of(version), dst_of(version), SPORT, DPORT);
	assert_int_equal(pkt.l4proto, proto);
	assert_int_equal(pkt.frag, NN_FRAG_FIRST);
	assert_int_equal(pkt.frag_proto, proto);
	assert_int_equal(pkt.frag_id, frag_id);
}

/* ---- Rule 1: link layers ----------------------------------------------- */

static void test_eth_ipv4_tcp_and_udp_counted(void **state)
{
	static const unsigned int protos[] = { NN_IPPROTO_TCP, NN_IPPROTO_UDP };
	struct frame f;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		note("eth ipv4 proto %u", protos[i]);
		frame_init(&f, LINK_ETH);
		eth(&f, NN_ETH_P_IP);
		ip_packet(&f, 4, protos[i]);
		expect_counted(&f, 4, protos[i]);
		assert_int_equal(parse_frame(&f).min_len, 14 + 20 + 4);
	}
}

static void test_eth_ipv6_tcp_and_udp_counted(void **state)
{
	static const unsigned int protos[] = { NN_IPPROTO_TCP, NN_IPPROTO_UDP };
	struct frame f;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		note("eth ipv6 proto %u", protos[i]);
		frame_init(&f, LINK_ETH);
		eth(&f, NN_ETH_P_IPV6);
		ip_packet(&f, 6, protos[i]);
		expect_counted(&f, 6, protos[i]);
		assert_int_equal(parse_frame(&f).min_len, 14 + 40 + 4);
	}
}

static void test_eth_short_header_truncated(void **state)
{
	struct frame f;

	(void)state;
	note("eth header only, ethertype IPv4");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IP);
	expect(&f, NN_SKIP_TRUNCATED);
	note("eth, 13 bytes");
	f.len = 13;
	expect(&f, NN_SKIP_TRUNCATED);
	note("eth, empty");
	f.len = 0;
	expect(&f, NN_SKIP_TRUNCATED);
}

static void test_eth_vlan_1_to_4_tags_each_tpid_counted(void **state)
{
	struct frame f;
	size_t t;
	int n, i, version;

	(void)state;
	for (version = 4; version <= 6; version += 2) {
		for (t = 0; t < 3; t++) {
			for (n = 1; n <= NN_MAX_VLAN_TAGS; n++) {
				note("ipv%d after %d tags of TPID %#x", version, n, tpids[t]);
				frame_init(&f, LINK_ETH);
				eth(&f, tpids[t]);
				for (i = 1; i < n; i++)
					vlan(&f, 100 + i, tpids[t]);
				vlan(&f, 100 + n, ethertype_of(version));
				ip_packet(&f, version, NN_IPPROTO_UDP);
				expect_counted(&f, version, NN_IPPROTO_UDP);
			}
		}
	}
}

static void test_eth_vlan_mixed_tpids_counted(void **state)
{
	struct frame f;

	(void)state;
	note("802.1ad, 0x9100, 802.1Q, 802.1Q then IPv4");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_8021AD);
	vlan(&f, 10, NN_ETH_P_QINQ1);
	vlan(&f, 20, NN_ETH_P_8021Q);
	vlan(&f, 30, NN_ETH_P_8021Q);
	vlan(&f, 4095, NN_ETH_P_IP);
	ip_packet(&f, 4, NN_IPPROTO_TCP);
	expect_counted(&f, 4, NN_IPPROTO_TCP);
	assert_int_equal(parse_frame(&f).min_len, 14 + 16 + 20 + 4);
}

static void test_eth_vlan_5_tags_not_ip(void **state)
{
	struct frame f;
	size_t t;
	int i;

	(void)state;
	for (t = 0; t < 3; t++) {
		note("ipv4 after 5 tags of TPID %#x", tpids[t]);
		frame_init(&f, LINK_ETH);
		eth(&f, tpids[t]);
		for (i = 1; i < 5; i++)
			vlan(&f, i, tpids[t]);
		vlan(&f, 5, NN_ETH_P_IP);
		ip_packet(&f, 4, NN_IPPROTO_TCP);
		expect(&f, NN_SKIP_NOT_IP);
		/* Decided after the fourth tag, before the fifth is read. */
		assert_int_equal(parse_frame(&f).min_len, 14 + 16);
	}
}

static void test_eth_vlan_tag_truncated(void **state)
{
	struct frame f;

	(void)state;
	note("802.1Q TPID, 3 bytes of tag");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_8021Q);
	vlan(&f, 7, NN_ETH_P_IP);
	f.len--;
	expect(&f, NN_SKIP_TRUNCATED);
}

static void test_eth_non_ip_ethertypes_not_ip(void **state)
{
	/*
	 * ARP, RARP, LLDP, MPLS (2), PPPoE (2), VN-Tag, IPX, 802.3 lengths (3),
	 * the neighbours of the IP ethertypes, 0xffff.
	 */
	static const unsigned int types[] = { ETH_ARP, 0x8035, ETH_LLDP, 0x8847, 0x8848,
					      0x8863,  0x8864, 0x8926,	 0x8137, 0x0000,
					      0x002e,  0x05dc, 0x0801,	 0x86dc, 0xffff };
	struct frame f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		/* A well-formed IPv4 packet follows: only the ethertype decides. */
		note("ethertype %#x", types[i]);
		frame_init(&f, LINK_ETH);
		eth(&f, types[i]);
		ip_packet(&f, 4, NN_IPPROTO_TCP);
		expect(&f, NN_SKIP_NOT_IP);
		assert_int_equal(parse_frame(&f).min_len, 14);

		note("ethertype %#x after a VLAN tag", types[i]);
		frame_init(&f, LINK_ETH);
		eth(&f, NN_ETH_P_8021Q);
		vlan(&f, 1, types[i]);
		ip_packet(&f, 6, NN_IPPROTO_UDP);
		expect(&f, NN_SKIP_NOT_IP);
	}
}

static void test_eth_padding_after_datagram_counted(void **state)
{
	struct nn_pkt pkt;
	struct frame f;

	(void)state;
	/* A short UDP datagram padded to 60 bytes by Ethernet: the trailer is not IP. */
	note("eth ipv4 udp with a trailer");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IP);
	ipv4(&f, NN_IPPROTO_UDP, 0);
	udp(&f, SPORT, DPORT);
	finish(&f);
	put_fill(&f, 60 - f.len, 0);
	pkt = expect_counted(&f, 4, NN_IPPROTO_UDP);
	assert_int_equal(pkt.ip_len, 20 + 8); /* the IP octets leave the trailer out */
}

static void test_sll_ipv4_and_ipv6_counted(void **state)
{
	struct frame f;
	int version;

	(void)state;
	for (version = 4; version <= 6; version += 2) {
		note("sll ipv%d", version);
		frame_init(&f, LINK_SLL);
		sll(&f, ethertype_of(version));
		ip_packet(&f, version, NN_IPPROTO_TCP);
		expect_counted(&f, version, NN_IPPROTO_TCP);
		assert_int_equal(parse_frame(&f).min_len, 16 + (version == 4 ? 20 : 40) + 4);
	}
}

static void test_sll_vlan_tag_counted(void **state)
{
	struct frame f;

	(void)state;
	note("sll 802.1Q ipv6");
	frame_init(&f, LINK_SLL);
	sll(&f, NN_ETH_P_8021Q);
	vlan(&f, 42, NN_ETH_P_IPV6);
	ip_packet(&f, 6, NN_IPPROTO_UDP);
	expect_counted(&f, 6, NN_IPPROTO_UDP);
}

static void test_sll_non_ip_and_short_header(void **state)
{
	struct frame f;

	(void)state;
	note("sll ARP");
	frame_init(&f, LINK_SLL);
	sll(&f, ETH_ARP);
	ip_packet(&f, 4, NN_IPPROTO_TCP);
	expect(&f, NN_SKIP_NOT_IP);
	assert_int_equal(parse_frame(&f).min_len, 16);

	note("sll protocol 4 (802.2 frames, not an ethertype)");
	frame_init(&f, LINK_SLL);
	sll(&f, 0x0004);
	ip_packet(&f, 4, NN_IPPROTO_TCP);
	expect(&f, NN_SKIP_NOT_IP);

	note("sll 15 bytes");
	frame_init(&f, LINK_SLL);
	sll(&f, NN_ETH_P_IP);
	f.len = 15;
	expect(&f, NN_SKIP_TRUNCATED);
}

static void test_sll2_ipv4_and_ipv6_counted(void **state)
{
	struct frame f;
	int version;

	(void)state;
	for (version = 4; version <= 6; version += 2) {
		note("sll2 ipv%d", version);
		frame_init(&f, LINK_SLL2);
		sll2(&f, ethertype_of(version));
		ip_packet(&f, version, NN_IPPROTO_UDP);
		expect_counted(&f, version, NN_IPPROTO_UDP);
		assert_int_equal(parse_frame(&f).min_len, 20 + (version == 4 ? 20 : 40) + 4);
	}
}

static void test_sll2_non_ip_and_short_header(void **state)
{
	struct frame f;

	(void)state;
	note("sll2 LLDP");
	frame_init(&f, LINK_SLL2);
	sll2(&f, ETH_LLDP);
	ip_packet(&f, 6, NN_IPPROTO_TCP);
	expect(&f, NN_SKIP_NOT_IP);
	assert_int_equal(parse_frame(&f).min_len, 20);

	note("sll2 19 bytes");
	frame_init(&f, LINK_SLL2);
	sll2(&f, NN_ETH_P_IPV6);
	f.len = 19;
	expect(&f, NN_SKIP_TRUNCATED);
}

static void test_null_ipv4_family_either_byte_order_counted(void **state)
{
	struct frame f;
	int be;

	(void)state;
	for (be = 0; be <= 1; be++) {
		note("DLT_NULL family 2, %s endian", be ? "big" : "little");
		frame_init(&f, LINK_NULL);
		family(&f, 2, be);
		ip_packet(&f, 4, NN_IPPROTO_TCP);
		expect_counted(&f, 4, NN_IPPROTO_TCP);
		assert_int_equal(parse_frame(&f).min_len, 4 + 20 + 4);
	}
}

static void test_null_ipv6_families_either_byte_order_counted(void **state)
{
	static const __u32 fams[] = { 24, 28, 30 };
	struct frame f;
	size_t i;
	int be;

	(void)state;
	for (i = 0; i < 3; i++) {
		for (be = 0; be <= 1; be++) {
			note("DLT_NULL family %u, %s endian", fams[i], be ? "big" : "little");
			frame_init(&f, LINK_NULL);
			family(&f, fams[i], be);
			ip_packet(&f, 6, NN_IPPROTO_UDP);
			expect_counted(&f, 6, NN_IPPROTO_UDP);
		}
	}
}

static void test_null_other_families_not_ip(void **state)
{
	static const __u32 fams[] = {
		0, 1, 3, 7, 10, 23, 25, 26, 29, 31, 0x0800, 0x86dd, 0xffffffff
	};
	struct frame f;
	size_t i;
	int be;

	(void)state;
	for (i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		for (be = 0; be <= 1; be++) {
			note("DLT_NULL family %#x, %s endian", fams[i], be ? "big" : "little");
			frame_init(&f, LINK_NULL);
			family(&f, fams[i], be);
			ip_packet(&f, fams[i] == 0x86dd ? 6 : 4, NN_IPPROTO_TCP);
			expect(&f, NN_SKIP_NOT_IP);
			assert_int_equal(parse_frame(&f).min_len, 4);
		}
	}
}

static void test_null_family_version_mismatch_malformed(void **state)
{
	struct frame f;

	(void)state;
	note("DLT_NULL family 2 carrying IPv6");
	frame_init(&f, LINK_NULL);
	family(&f, 2, 0);
	ip_packet(&f, 6, NN_IPPROTO_TCP);
	expect(&f, NN_SKIP_MALFORMED);

	note("DLT_NULL family 30 carrying IPv4");
	frame_init(&f, LINK_NULL);
	family(&f, 30, 0);
	ip_packet(&f, 4, NN_IPPROTO_TCP); /* 56 bytes: a whole IPv6 header's worth */
	expect(&f, NN_SKIP_MALFORMED);
}

static void test_null_short_header_truncated(void **state)
{
	struct frame f;

	(void)state;
	note("DLT_NULL 3 bytes");
	frame_init(&f, LINK_NULL);
	family(&f, 2, 0);
	f.len = 3;
	expect(&f, NN_SKIP_TRUNCATED);
	note("DLT_LOOP 3 bytes");
	f.link = LINK_LOOP;
	expect(&f, NN_SKIP_TRUNCATED);
}

static void test_loop_network_order_counted(void **state)
{
	static const __u32 fams[] = { 2, 24, 28, 30 };
	struct frame f;
	size_t i;
	int version;

	(void)state;
	for (i = 0; i < 4; i++) {
		version = fams[i] == 2 ? 4 : 6;
		note("DLT_LOOP family %u", fams[i]);
		frame_init(&f, LINK_LOOP);
		family(&f, fams[i], 1);
		ip_packet(&f, version, NN_IPPROTO_TCP);
		expect_counted(&f, version, NN_IPPROTO_TCP);
	}
}

static void test_loop_host_order_family_not_ip(void **state)
{
	static const __u32 fams[] = { 2, 24, 28, 30 };
	struct frame f;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		/* DLT_LOOP is network byte order only: little-endian 2 is 0x02000000. */
		note("DLT_LOOP little-endian family %u", fams[i]);
		frame_init(&f, LINK_LOOP);
		family(&f, fams[i], 0);
		ip_packet(&f, fams[i] == 2 ? 4 : 6, NN_IPPROTO_TCP);
		expect(&f, NN_SKIP_NOT_IP);
	}
}

static void test_raw_version0_picks_by_nibble(void **state)
{
	struct frame f;
	int version;

	(void)state;
	for (version = 4; version <= 6; version += 2) {
		note("raw (version 0) ipv%d", version);
		frame_init(&f, LINK_RAW);
		ip_packet(&f, version, NN_IPPROTO_TCP);
		expect_counted(&f, version, NN_IPPROTO_TCP);
		assert_int_equal(parse_frame(&f).min_len, (version == 4 ? 20 : 40) + 4);
	}
}

static void test_raw_version0_other_nibbles_not_ip(void **state)
{
	struct frame f;
	unsigned int nibble;

	(void)state;
	for (nibble = 0; nibble < 16; nibble++) {
		if (nibble == 4 || nibble == 6)
			continue;
		note("raw (version 0) nibble %u", nibble);
		frame_init(&f, LINK_RAW);
		ip_packet(&f, 4, NN_IPPROTO_TCP);
		set8(&f, 0, nibble << 4 | 5);
		expect(&f, NN_SKIP_NOT_IP);
		assert_int_equal(parse_frame(&f).min_len, 1);
	}
}

static void test_raw_version0_empty_truncated(void **state)
{
	struct frame f;

	(void)state;
	note("raw (version 0), 0 bytes");
	frame_init(&f, LINK_RAW);
	expect(&f, NN_SKIP_TRUNCATED);
	note("raw (version 0), 1 byte 0x45");
	put8(&f, 0x45);
	expect(&f, NN_SKIP_TRUNCATED);
}

static void test_raw_version4_and_version6_counted(void **state)
{
	struct frame f;

	(void)state;
	note("LINKTYPE_IPV4");
	frame_init(&f, LINK_RAW4);
	ip_packet(&f, 4, NN_IPPROTO_UDP);
	expect_counted(&f, 4, NN_IPPROTO_UDP);
	note("LINKTYPE_IPV6");
	frame_init(&f, LINK_RAW6);
	ip_packet(&f, 6, NN_IPPROTO_UDP);
	expect_counted(&f, 6, NN_IPPROTO_UDP);
}

static void test_raw_fixed_version_mismatch_malformed(void **state)
{
	struct frame f;

	(void)state;
	note("LINKTYPE_IPV4 carrying IPv6");
	frame_init(&f, LINK_RAW4);
	ip_packet(&f, 6, NN_IPPROTO_TCP);
	expect(&f, NN_SKIP_MALFORMED);
	assert_int_equal(parse_frame(&f).min_len, 20);

	note("LINKTYPE_IPV6 carrying IPv4");
	frame_init(&f, LINK_RAW6);
	ip_packet(&f, 4, NN_IPPROTO_TCP);
	expect(&f, NN_SKIP_MALFORMED);
	assert_int_equal(parse_frame(&f).min_len, 40);

	note("LINKTYPE_IPV4, nibble 5");
	frame_init(&f, LINK_RAW4);
	ip_packet(&f, 4, NN_IPPROTO_TCP);
	set8(&f, 0, 0x55);
	expect(&f, NN_SKIP_MALFORMED);
}

/* ---- Rule 2: version against the link layer ---------------------------- */

static void test_eth_ethertype_ipv4_carrying_ipv6_malformed(void **state)
{
	struct frame f;

	(void)state;
	note("ethertype IPv4, IPv6 header");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IP);
	ip_packet(&f, 6, NN_IPPROTO_TCP);
	expect(&f, NN_SKIP_MALFORMED);
}

static void test_eth_ethertype_ipv6_carrying_ipv4_malformed(void **state)
{
	struct frame f;

	(void)state;
	note("ethertype IPv6, IPv4 header");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IPV6);
	ip_packet(&f, 4, NN_IPPROTO_TCP);
	expect(&f, NN_SKIP_MALFORMED);
}

static void test_ipv4_version_nibble_not_4_malformed(void **state)
{
	static const unsigned int nibbles[] = { 0, 1, 5, 6, 15 };
	struct frame f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nibbles) / sizeof(nibbles[0]); i++) {
		note("ethertype IPv4, nibble %u", nibbles[i]);
		frame_init(&f, LINK_ETH);
		eth(&f, NN_ETH_P_IP);
		ip_packet(&f, 4, NN_IPPROTO_TCP);
		set8(&f, 14, nibbles[i] << 4 | 5);
		expect(&f, NN_SKIP_MALFORMED);
	}
}

static void test_ipv6_version_nibble_not_6_malformed(void **state)
{
	static const unsigned int nibbles[] = { 0, 4, 7, 15 };
	struct frame f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nibbles) / sizeof(nibbles[0]); i++) {
		note("ethertype IPv6, nibble %u", nibbles[i]);
		frame_init(&f, LINK_ETH);
		eth(&f, NN_ETH_P_IPV6);
		ip_packet(&f, 6, NN_IPPROTO_UDP);
		set8(&f, 14, nibbles[i] << 4);
		expect(&f, NN_SKIP_MALFORMED);
	}
}

/* ---- Rules 2, 3, 5: IPv4 header and lengths ---------------------------- */

static void test_ipv4_options_up_to_ihl_15_counted(void **state)
{
	struct frame f;
	unsigned int ihl;

	(void)state;
	for (ihl = 6; ihl <= 15; ihl++) {
		note("IHL %u", ihl);
		frame_init(&f, LINK_ETH);
		eth(&f, NN_ETH_P_IP);
		ipv4(&f, NN_IPPROTO_TCP, (ihl - 5) * 4);
		tcp(&f, SPORT, DPORT);
		finish(&f);
		expect_counted(&f, 4, NN_IPPROTO_TCP);
		/* The ports are at IHL * 4, after the options. */
		assert_int_equal(f.l4, 14 + ihl * 4);
	}
}

static void test_ipv4_ihl_below_5_malformed(void **state)
{
	struct frame f;
	unsigned int ihl;

	(void)state;
	for (ihl = 0; ihl < 5; ihl++) {
		note("IHL %u", ihl);
		frame_init(&f, LINK_RAW4);
		ip_packet(&f, 4, NN_IPPROTO_TCP);
		set8(&f, 0, 0x40 | ihl);
		expect(&f, NN_SKIP_MALFORMED);
		assert_int_equal(parse_frame(&f).min_len, 20);
	}
}

static void test_ipv4_total_length_below_ihl_malformed(void **state)
{
	static const struct {
		unsigned int optlen, total;
	} cases[] = { { 0, 1 }, { 0, 19 }, { 40, 20 }, { 40, 59 }, { 8, 27 } };
	struct frame f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		note("IHL %u, total length %u", 5 + cases[i].optlen / 4, cases[i].total);
		frame_init(&f, LINK_RAW);
		ipv4(&f, NN_IPPROTO_UDP, cases[i].optlen);
		udp(&f, SPORT, DPORT);
		payload(&f, 8);
		finish(&f);
		set16(&f, 2, cases[i].total);
		expect(&f, NN_SKIP_MALFORMED);
	}
}

static void test_ipv4_total_length_zero_counted_to_frame_end(void **state)
{
	struct frame f;
	unsigned int optlen;

	(void)state;
	for (optlen = 0; optlen <= 40; optlen += 40) {
		note("total length 0 (TSO), IHL %u", 5 + optlen / 4);
		frame_init(&f, LINK_ETH);
		eth(&f, NN_ETH_P_IP);
		ipv4(&f, NN_IPPROTO_TCP, optlen);
		tcp(&f, SPORT, DPORT);
		payload(&f, 1000);
		finish(&f);
		set16(&f, 14 + 2, 0);
		/* Counted as long as the ports are captured, truncated below. */
		expect_counted(&f, 4, NN_IPPROTO_TCP);
	}
}

static void test_ipv4_total_length_ending_before_ports_truncated(void **state)
{
	struct frame f;
	unsigned int optlen, total, hlen;

	(void)state;
	for (optlen = 0; optlen <= 40; optlen += 40) {
		hlen = 20 + optlen;
		for (total = hlen; total <= hlen + 4; total++) {
			note("IHL %u, total length %u", hlen / 4, total);
			frame_init(&f, LINK_ETH);
			eth(&f, NN_ETH_P_IP);
			ipv4(&f, NN_IPPROTO_UDP, optlen);
			udp(&f, SPORT, DPORT);
			payload(&f, 32);
			finish(&f);
			set16(&f, 14 + 2, total);
			/* The ports are captured but lie outside the datagram. */
			if (total < hlen + 4)
				expect(&f, NN_SKIP_TRUNCATED);
			else
				expect_counted(&f, 4, NN_IPPROTO_UDP);
		}
	}
}

static void test_ipv4_total_length_beyond_capture_counted(void **state)
{
	struct frame f;

	(void)state;
	/* Snaplen cut after the ports: counted (with its original length). */
	note("ipv4 tcp, 1460 bytes of payload, 54 captured");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IP);
	ipv4(&f, NN_IPPROTO_TCP, 0);
	tcp(&f, SPORT, DPORT);
	payload(&f, 1460);
	finish(&f);
	f.len = 54;
	expect_counted(&f, 4, NN_IPPROTO_TCP);
}

static void test_ipv4_capture_ending_at_last_port_byte_counted(void **state)
{
	struct frame f;

	(void)state;
	note("ipv4 udp captured up to the destination port");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IP);
	ip_packet(&f, 4, NN_IPPROTO_UDP);
	f.len = 14 + 20 + 4;
	expect_counted(&f, 4, NN_IPPROTO_UDP);
}

static void test_ipv4_capture_ending_one_byte_before_ports_end_truncated(void **state)
{
	struct frame f;

	(void)state;
	note("ipv4 udp captured up to the destination port's first byte");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IP);
	ip_packet(&f, 4, NN_IPPROTO_UDP);
	f.len = 14 + 20 + 3;
	expect(&f, NN_SKIP_TRUNCATED);

	note("ipv4 with options, header captured, ports not");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IP);
	ipv4(&f, NN_IPPROTO_TCP, 40);
	tcp(&f, SPORT, DPORT);
	finish(&f);
	f.len = 14 + 60;
	expect(&f, NN_SKIP_TRUNCATED);
}

/* ---- Rule 6 (parser part): IPv4 fragments ------------------------------- */

static void test_ipv4_first_fragment_counted_and_marked(void **state)
{
	static const unsigned int protos[] = { NN_IPPROTO_TCP, NN_IPPROTO_UDP };
	static const unsigned int fields[] = { 0x2000, 0x6000 /* DF too */, 0xa000 /* reserved */ };
	struct frame f;
	size_t i, j;

	(void)state;
	for (i = 0; i < 2; i++) {
		for (j = 0; j < 3; j++) {
			note("ipv4 first fragment, proto %u, flags %#x", protos[i], fields[j]);
			frame_init(&f, LINK_ETH);
			eth(&f, NN_ETH_P_IP);
			ip_packet(&f, 4, protos[i]);
			set16(&f, 14 + 6, fields[j]);
			expect_first_fragment(&f, 4, protos[i], IP4_ID);
		}
	}
}

static void test_ipv4_dont_fragment_is_no_fragment(void **state)
{
	struct frame f;

	(void)state;
	note("ipv4 DF");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IP);
	ip_packet(&f, 4, NN_IPPROTO_TCP);
	set16(&f, 14 + 6, 0x4000);
	expect_counted(&f, 4, NN_IPPROTO_TCP);
}

static void test_ipv4_later_fragment(void **state)
{
	/* Offsets 1, 185, 4096 (only the top bit) and 8191, without and with MF. */
	static const unsigned int fields[] = { 0x0001, 0x2001, 0x00b9, 0x20b9,
					       0x1000, 0x3000, 0x1fff, 0x3fff };
	static const unsigned int protos[] = { NN_IPPROTO_TCP, NN_IPPROTO_UDP };
	struct frame f;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		for (j = 0; j < 2; j++) {
			/* The payload starts like ports: they must not be read. */
			note("ipv4 later fragment, proto %u, field %#x", protos[j], fields[i]);
			frame_init(&f, LINK_ETH);
			eth(&f, NN_ETH_P_IP);
			ip_packet(&f, 4, protos[j]);
			set16(&f, 14 + 6, fields[i]);
			expect_later_fragment(&f, 4, protos[j], IP4_ID);
			/* Only the IPv4 header is needed. */
			assert_int_equal(parse_frame(&f).min_len, 14 + 20);
		}
	}
}

static void test_ipv4_later_fragment_with_options_needs_20_bytes(void **state)
{
	struct frame f;

	(void)state;
	note("ipv4 later fragment, IHL 15");
	frame_init(&f, LINK_RAW);
	ipv4(&f, NN_IPPROTO_UDP, 40);
	payload(&f, 64);
	finish(&f);
	set16(&f, 6, 0x0010);
	set16(&f, 4, 0x0102);
	expect_later_fragment(&f, 4, NN_IPPROTO_UDP, 0x0102);
	assert_int_equal(parse_frame(&f).min_len, 20);
}

static void test_ipv4_later_fragment_of_other_protocol_is_fragment(void **state)
{
	struct frame f;

	(void)state;
	/* Its datagram never gets a 4-tuple: the fragment table will not find it. */
	note("ipv4 ICMP later fragment");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IP);
	ipv4(&f, PROTO_ICMP, 0);
	payload(&f, 40);
	finish(&f);
	set16(&f, 14 + 6, 0x0005);
	expect_later_fragment(&f, 4, PROTO_ICMP, IP4_ID);
}

static void test_ipv4_later_fragment_with_bad_header_malformed(void **state)
{
	struct frame f;

	(void)state;
	note("ipv4 later fragment, total length 10");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IP);
	ip_packet(&f, 4, NN_IPPROTO_UDP);
	set16(&f, 14 + 6, 0x0005);
	set16(&f, 14 + 2, 10);
	expect(&f, NN_SKIP_MALFORMED);
	note("ipv4 later fragment, IHL 4");
	set16(&f, 14 + 2, 0);
	set8(&f, 14, 0x44);
	expect(&f, NN_SKIP_MALFORMED);
}

/* ---- Rules 3, 4: protocols after the first IP header -------------------- */

static void test_ipv4_non_tcp_udp_protocols_skipped(void **state)
{
	static const unsigned int protos[] = {
		0, PROTO_ICMP, 2 /* IGMP */, PROTO_IPV6, PROTO_ESP, PROTO_AH, PROTO_SCTP, 255,
	};
	struct frame f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		note("ipv4 proto %u", protos[i]);
		frame_init(&f, LINK_ETH);
		eth(&f, NN_ETH_P_IP);
		ipv4(&f, protos[i], 0);
		put16(&f, SPORT); /* looks like ports, but is not TCP/UDP */
		put16(&f, DPORT);
		payload(&f, 20);
		finish(&f);
		expect(&f, NN_SKIP_PROTO);
		assert_int_equal(parse_frame(&f).min_len, 14 + 20);
	}
}

static void test_ipv4_icmp_quoting_udp_skipped(void **state)
{
	struct frame f;

	(void)state;
	note("ICMP port unreachable quoting IPv4/UDP");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IP);
	ipv4(&f, PROTO_ICMP, 0);
	put32(&f, 0x03030000); /* type 3, code 3, checksum */
	put32(&f, 0);
	ipv4_addr(&f, NN_IPPROTO_UDP, 0, dst4, src4);
	udp(&f, DPORT, SPORT);
	payload(&f, 8);
	finish(&f);
	expect(&f, NN_SKIP_PROTO);
}

static void test_ipv4_gre_carrying_tcp_skipped(void **state)
{
	struct frame f;

	(void)state;
	note("GRE carrying IPv4/TCP");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IP);
	ipv4(&f, PROTO_GRE, 0);
	put16(&f, 0); /* no flags, version 0 */
	put16(&f, NN_ETH_P_IP);
	ipv4_addr(&f, NN_IPPROTO_TCP, 0, inner_src4, inner_dst4);
	tcp(&f, SPORT, DPORT);
	finish(&f);
	expect(&f, NN_SKIP_PROTO);
}

static void test_ipv4_ip_in_ip_and_6in4_skipped(void **state)
{
	struct frame f;

	(void)state;
	note("IPv4 in IPv4 carrying UDP");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IP);
	ipv4(&f, PROTO_IPIP, 0);
	ipv4_addr(&f, NN_IPPROTO_UDP, 0, inner_src4, inner_dst4);
	udp(&f, SPORT, DPORT);
	finish(&f);
	expect(&f, NN_SKIP_PROTO);

	note("6in4 carrying TCP");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IP);
	ipv4(&f, PROTO_IPV6, 0);
	ipv6(&f, NN_IPPROTO_TCP);
	tcp(&f, SPORT, DPORT);
	finish(&f);
	expect(&f, NN_SKIP_PROTO);
}

static void test_udp_tunnels_count_as_outer_flow(void **state)
{
	struct frame f;
	struct nn_pkt pkt;

	(void)state;
	note("VXLAN carrying Ethernet/IPv4/TCP");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IP);
	ipv4(&f, NN_IPPROTO_UDP, 0);
	udp(&f, SPORT, 4789);
	put32(&f, 0x08000000); /* VXLAN flags: VNI valid */
	put32(&f, 0x00123400); /* VNI */
	eth(&f, NN_ETH_P_IP);
	ipv4_addr(&f, NN_IPPROTO_TCP, 0, inner_src4, inner_dst4);
	tcp(&f, 1111, 2222);
	finish(&f);
	pkt = expect(&f, NN_COUNT);
	expect_key(&pkt, NN_FAMILY_IPV4, src4, dst4, SPORT, 4789);
	assert_int_equal(pkt.l4proto, NN_IPPROTO_UDP);

	note("Teredo: IPv4/UDP carrying IPv6/TCP");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IP);
	ipv4(&f, NN_IPPROTO_UDP, 0);
	udp(&f, 3544, DPORT);
	ipv6(&f, NN_IPPROTO_TCP);
	tcp(&f, 1111, 2222);
	finish(&f);
	pkt = expect(&f, NN_COUNT);
	expect_key(&pkt, NN_FAMILY_IPV4, src4, dst4, 3544, DPORT);
	assert_int_equal(pkt.l4proto, NN_IPPROTO_UDP);
}

/* ---- Rules 3, 5, 6: IPv6 extension headers, lengths, fragments ---------- */

static void test_ipv6_hop_by_hop_skipped(void **state)
{
	struct frame f;

	(void)state;
	note("ipv6 hop-by-hop, tcp");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IPV6);
	ipv6(&f, NN_IPPROTO_HOPOPTS);
	ext6(&f, NN_IPPROTO_HOPOPTS, NN_IPPROTO_TCP, 0);
	tcp(&f, SPORT, DPORT);
	finish(&f);
	expect_counted(&f, 6, NN_IPPROTO_TCP);
	assert_int_equal(f.l4, 14 + 40 + 8);
}

static void test_ipv6_routing_skipped(void **state)
{
	struct frame f;

	(void)state;
	note("ipv6 routing, udp");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IPV6);
	ipv6(&f, NN_IPPROTO_ROUTING);
	ext6(&f, NN_IPPROTO_ROUTING, NN_IPPROTO_UDP, 2);
	udp(&f, SPORT, DPORT);
	finish(&f);
	expect_counted(&f, 6, NN_IPPROTO_UDP);
	assert_int_equal(f.l4, 14 + 40 + 24);
}

static void test_ipv6_destination_options_skipped(void **state)
{
	struct frame f;

	(void)state;
	note("ipv6 destination options, tcp");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IPV6);
	ipv6(&f, NN_IPPROTO_DSTOPTS);
	ext6(&f, NN_IPPROTO_DSTOPTS, NN_IPPROTO_TCP, 1);
	tcp(&f, SPORT, DPORT);
	finish(&f);
	expect_counted(&f, 6, NN_IPPROTO_TCP);
}

static void test_ipv6_atomic_fragment_skipped(void **state)
{
	struct frame f;

	(void)state;
	/* Offset 0 and no more fragments: a whole datagram, counted, no mark. */
	note("ipv6 atomic fragment, udp");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IPV6);
	ipv6(&f, NN_IPPROTO_FRAGMENT);
	frag6(&f, NN_IPPROTO_UDP, 0, 0, IP6_ID);
	udp(&f, SPORT, DPORT);
	payload(&f, 8);
	finish(&f);
	expect_counted(&f, 6, NN_IPPROTO_UDP);
}

static void test_ipv6_ext_header_lengths(void **state)
{
	static const unsigned int units[] = { 0, 1, 2, 7, 255 };
	static const unsigned int kinds[] = { NN_IPPROTO_HOPOPTS, NN_IPPROTO_ROUTING,
					      NN_IPPROTO_DSTOPTS };
	struct frame f;
	size_t i, k;

	(void)state;
	for (k = 0; k < 3; k++) {
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			note("ipv6 ext %u of length field %u", kinds[k], units[i]);
			frame_init(&f, LINK_RAW6);
			ipv6(&f, kinds[k]);
			ext6(&f, kinds[k], NN_IPPROTO_TCP, units[i]);
			tcp(&f, SPORT, DPORT);
			finish(&f);
			expect_counted(&f, 6, NN_IPPROTO_TCP);
			assert_int_equal(f.l4, 40 + (units[i] + 1) * 8);
		}
	}
}

static void test_ipv6_every_ext_kind_chained(void **state)
{
	struct frame f;

	(void)state;
	note("ipv6 hop-by-hop, destination, routing, atomic fragment, destination, tcp");
	frame_init(&f, LINK_SLL);
	sll(&f, NN_ETH_P_IPV6);
	ipv6(&f, NN_IPPROTO_HOPOPTS);
	ext6(&f, NN_IPPROTO_HOPOPTS, NN_IPPROTO_DSTOPTS, 0);
	ext6(&f, NN_IPPROTO_DSTOPTS, NN_IPPROTO_ROUTING, 1);
	ext6(&f, NN_IPPROTO_ROUTING, NN_IPPROTO_FRAGMENT, 2);
	frag6(&f, NN_IPPROTO_DSTOPTS, 0, 0, IP6_ID);
	ext6(&f, NN_IPPROTO_DSTOPTS, NN_IPPROTO_TCP, 0);
	tcp(&f, SPORT, DPORT);
	payload(&f, 10);
	finish(&f);
	expect_counted(&f, 6, NN_IPPROTO_TCP);
}

/* A chain of n extension headers, cycling through the kinds, then proto. */
static void ext_chain(struct frame *f, int n, unsigned int proto)
{
	static const unsigned int kinds[] = { NN_IPPROTO_DSTOPTS, NN_IPPROTO_ROUTING,
					      NN_IPPROTO_FRAGMENT, NN_IPPROTO_HOPOPTS };
	unsigned int next;
	int i;

	ipv6(f, n ? kinds[0] : proto);
	for (i = 0; i < n; i++) {
		next = i + 1 < n ? kinds[(i + 1) % 4] : proto;
		if (kinds[i % 4] == NN_IPPROTO_FRAGMENT)
			frag6(f, next, 0, 0, IP6_ID + i);
		else
			ext6(f, kinds[i % 4], next, i % 3);
	}
}

static void test_ipv6_16_ext_headers_counted(void **state)
{
	struct frame f;
	int n;

	(void)state;
	for (n = 0; n <= NN_MAX_IPV6_EXT; n++) {
		note("ipv6, %d extension headers, udp", n);
		frame_init(&f, LINK_ETH);
		eth(&f, NN_ETH_P_IPV6);
		ext_chain(&f, n, NN_IPPROTO_UDP);
		udp(&f, SPORT, DPORT);
		finish(&f);
		expect_counted(&f, 6, NN_IPPROTO_UDP);
	}
}

static void test_ipv6_17_ext_headers_skipped(void **state)
{
	struct frame f;
	int n;

	(void)state;
	for (n = NN_MAX_IPV6_EXT + 1; n <= NN_MAX_IPV6_EXT + 2; n++) {
		note("ipv6, %d extension headers, tcp", n);
		frame_init(&f, LINK_ETH);
		eth(&f, NN_ETH_P_IPV6);
		ext_chain(&f, n, NN_IPPROTO_TCP);
		tcp(&f, SPORT, DPORT);
		finish(&f);
		expect(&f, NN_SKIP_PROTO);
	}
}

static void test_ipv6_first_fragment_counted_and_marked(void **state)
{
	static const unsigned int protos[] = { NN_IPPROTO_TCP, NN_IPPROTO_UDP };
	struct frame f;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		note("ipv6 first fragment, proto %u", protos[i]);
		frame_init(&f, LINK_ETH);
		eth(&f, NN_ETH_P_IPV6);
		ipv6(&f, NN_IPPROTO_FRAGMENT);
		frag6(&f, protos[i], 0, 1, IP6_ID);
		l4(&f, protos[i]);
		payload(&f, 64);
		finish(&f);
		expect_first_fragment(&f, 6, protos[i], IP6_ID);
	}
}

static void test_ipv6_first_fragment_after_ext_headers(void **state)
{
	struct frame f;

	(void)state;
	note("ipv6 hop-by-hop, first fragment, destination options, udp");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IPV6);
	ipv6(&f, NN_IPPROTO_HOPOPTS);
	ext6(&f, NN_IPPROTO_HOPOPTS, NN_IPPROTO_FRAGMENT, 0);
	frag6(&f, NN_IPPROTO_DSTOPTS, 0, 1, 7);
	ext6(&f, NN_IPPROTO_DSTOPTS, NN_IPPROTO_UDP, 0);
	udp(&f, SPORT, DPORT);
	finish(&f);
	{
		struct nn_pkt pkt = expect(&f, NN_COUNT);

		expect_key(&pkt, NN_FAMILY_IPV6, src6, dst6, SPORT, DPORT);
		assert_int_equal(pkt.l4proto, NN_IPPROTO_UDP);
		assert_int_equal(pkt.frag, NN_FRAG_FIRST);
		/* The datagram's protocol is the fragment header's next header. */
		assert_int_equal(pkt.frag_proto, NN_IPPROTO_DSTOPTS);
		assert_int_equal(pkt.frag_id, 7);
	}
}

static void test_ipv6_later_fragment(void **state)
{
	static const unsigned int offsets[] = { 1, 185, 0x1000, 0x1fff };
	static const unsigned int protos[] = { NN_IPPROTO_TCP, NN_IPPROTO_UDP, NN_IPPROTO_DSTOPTS,
					       PROTO_ICMPV6 };
	struct frame f;
	size_t i, j;
	int more;

	(void)state;
	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		for (j = 0; j < sizeof(protos) / sizeof(protos[0]); j++) {
			for (more = 0; more <= 1; more++) {
				note("ipv6 later fragment, offset %u, M %d, next %u", offsets[i],
				     more, protos[j]);
				frame_init(&f, LINK_ETH);
				eth(&f, NN_ETH_P_IPV6);
				ipv6(&f, NN_IPPROTO_FRAGMENT);
				frag6(&f, protos[j], offsets[i], more, IP6_ID);
				put16(&f, SPORT); /* not ports: must not be read */
				put16(&f, DPORT);
				payload(&f, 40);
				finish(&f);
				expect_later_fragment(&f, 6, protos[j], IP6_ID);
				assert_int_equal(parse_frame(&f).min_len, 14 + 40 + 8);
			}
		}
	}
}

static void test_ipv6_later_fragment_after_ext_headers(void **state)
{
	struct frame f;

	(void)state;
	note("ipv6 hop-by-hop, routing, later fragment");
	frame_init(&f, LINK_RAW);
	ipv6(&f, NN_IPPROTO_HOPOPTS);
	ext6(&f, NN_IPPROTO_HOPOPTS, NN_IPPROTO_ROUTING, 0);
	ext6(&f, NN_IPPROTO_ROUTING, NN_IPPROTO_FRAGMENT, 2);
	frag6(&f, NN_IPPROTO_UDP, 3, 0, 0xffffffffu);
	payload(&f, 24);
	finish(&f);
	expect_later_fragment(&f, 6, NN_IPPROTO_UDP, 0xffffffffu);
	assert_int_equal(parse_frame(&f).min_len, 40 + 8 + 24 + 8);
}

static void test_ipv6_ah_not_skipped(void **state)
{
	struct frame f;

	(void)state;
	note("ipv6 AH then TCP");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IPV6);
	ipv6(&f, PROTO_AH);
	put8(&f, NN_IPPROTO_TCP); /* next header */
	put8(&f, 4);		  /* (4 + 2) * 4 = 24 bytes */
	put16(&f, 0);
	put32(&f, 0x1000); /* SPI */
	put32(&f, 1);	   /* sequence */
	put_fill(&f, 12, 0xaa);
	tcp(&f, SPORT, DPORT);
	finish(&f);
	expect(&f, NN_SKIP_PROTO);
	assert_int_equal(parse_frame(&f).min_len, 14 + 40);

	note("ipv6 hop-by-hop, AH then UDP");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IPV6);
	ipv6(&f, NN_IPPROTO_HOPOPTS);
	ext6(&f, NN_IPPROTO_HOPOPTS, PROTO_AH, 0);
	put8(&f, NN_IPPROTO_UDP);
	put8(&f, 1);
	put16(&f, 0);
	put32(&f, 0x1000);
	udp(&f, SPORT, DPORT);
	finish(&f);
	expect(&f, NN_SKIP_PROTO);
}

static void test_ipv6_other_next_headers_skipped(void **state)
{
	static const unsigned int protos[] = { PROTO_ESP,  PROTO_MH,   PROTO_ICMPV6, PROTO_NONE,
					       PROTO_IPV6, PROTO_IPIP, PROTO_GRE,    PROTO_SCTP };
	struct frame f;
	size_t i;
	int ext;

	(void)state;
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		for (ext = 0; ext <= 1; ext++) {
			note("ipv6 next header %u (%s extension header)", protos[i],
			     ext ? "after an" : "no");
			frame_init(&f, LINK_ETH);
			eth(&f, NN_ETH_P_IPV6);
			if (ext) {
				ipv6(&f, NN_IPPROTO_DSTOPTS);
				ext6(&f, NN_IPPROTO_DSTOPTS, protos[i], 0);
			} else {
				ipv6(&f, protos[i]);
			}
			put16(&f, SPORT);
			put16(&f, DPORT);
			payload(&f, 60);
			finish(&f);
			expect(&f, NN_SKIP_PROTO);
		}
	}
}

static void test_ipv6_in_ipv6_carrying_tcp_skipped(void **state)
{
	struct frame f;

	(void)state;
	note("IPv6 in IPv6 carrying TCP");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IPV6);
	ipv6(&f, PROTO_IPV6);
	ipv6(&f, NN_IPPROTO_TCP);
	tcp(&f, SPORT, DPORT);
	finish(&f);
	expect(&f, NN_SKIP_PROTO);
}

static void test_ipv6_payload_length_zero_counted_to_frame_end(void **state)
{
	struct nn_pkt pkt;
	struct frame f;
	int ext;

	(void)state;
	for (ext = 0; ext <= 1; ext++) {
		note("ipv6 payload length 0 (jumbo/TSO), %d extension header", ext);
		frame_init(&f, LINK_ETH);
		eth(&f, NN_ETH_P_IPV6);
		if (ext) {
			ipv6(&f, NN_IPPROTO_HOPOPTS);
			ext6(&f, NN_IPPROTO_HOPOPTS, NN_IPPROTO_TCP, 0);
		} else {
			ipv6(&f, NN_IPPROTO_TCP);
		}
		tcp(&f, SPORT, DPORT);
		payload(&f, 2000);
		finish(&f);
		set16(&f, 14 + 4, 0);
		expect_counted(&f, 6, NN_IPPROTO_TCP);
		/* Then the IP octets run to the end of the frame: what follows the IP header. */
		assert_int_equal(parse_buf(f.link, f.b, f.len, &pkt), NN_COUNT);
		assert_int_equal(pkt.ip_len, 0);
		assert_ptr_equal(pkt.l3, f.b + 14);
		assert_int_equal(nn_ip_octets(&pkt, f.len, 1, 14), f.len - 14);
	}
}

static void test_ipv6_payload_length_ending_before_ports_truncated(void **state)
{
	struct frame f;
	unsigned int plen, ext_len;
	int ext;

	(void)state;
	for (ext = 0; ext <= 1; ext++) {
		ext_len = ext ? 16 : 0;
		for (plen = ext_len ? ext_len - 1 : 1; plen <= ext_len + 4; plen++) {
			note("ipv6 payload length %u, %u bytes of extension headers", plen,
			     ext_len);
			frame_init(&f, LINK_ETH);
			eth(&f, NN_ETH_P_IPV6);
			if (ext) {
				ipv6(&f, NN_IPPROTO_DSTOPTS);
				ext6(&f, NN_IPPROTO_DSTOPTS, NN_IPPROTO_UDP, 1);
			} else {
				ipv6(&f, NN_IPPROTO_UDP);
			}
			udp(&f, SPORT, DPORT);
			payload(&f, 32);
			finish(&f);
			set16(&f, 14 + 4, plen);
			/* The ports are captured but lie outside the datagram. */
			if (plen < ext_len + 4)
				expect(&f, NN_SKIP_TRUNCATED);
			else
				expect_counted(&f, 6, NN_IPPROTO_UDP);
		}
	}
}

static void test_ipv6_payload_length_beyond_capture_counted(void **state)
{
	struct frame f;

	(void)state;
	note("ipv6 udp, 1200 bytes of payload, 62 captured");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IPV6);
	ipv6(&f, NN_IPPROTO_UDP);
	udp(&f, SPORT, DPORT);
	payload(&f, 1200);
	finish(&f);
	f.len = 14 + 40 + 8;
	expect_counted(&f, 6, NN_IPPROTO_UDP);
}

static void test_ipv6_capture_ending_at_last_port_byte_counted(void **state)
{
	struct frame f;

	(void)state;
	note("ipv6 routing, tcp, captured up to the destination port");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IPV6);
	ipv6(&f, NN_IPPROTO_ROUTING);
	ext6(&f, NN_IPPROTO_ROUTING, NN_IPPROTO_TCP, 1);
	tcp(&f, SPORT, DPORT);
	finish(&f);
	f.len = 14 + 40 + 16 + 4;
	expect_counted(&f, 6, NN_IPPROTO_TCP);
}

static void test_ipv6_capture_ending_one_byte_before_ports_end_truncated(void **state)
{
	struct frame f;

	(void)state;
	note("ipv6 routing, tcp, one port byte short");
	frame_init(&f, LINK_ETH);
	eth(&f, NN_ETH_P_IPV6);
	ipv6(&f, NN_IPPROTO_ROUTING);
	ext6(&f, NN_IPPROTO_ROUTING, NN_IPPROTO_TCP, 1);
	tcp(&f, SPORT, DPORT);
	finish(&f);
	f.len = 14 + 40 + 16 + 3;
	expect(&f, NN_SKIP_TRUNCATED);

	note("ipv6 capture ending inside an extension header");
	f.len = 14 + 40 + 7;
	expect(&f, NN_SKIP_TRUNCATED);

	note("ipv6 capture ending inside the IPv6 header");
	f.len = 14 + 39;
	expect(&f, NN_SKIP_TRUNCATED);
}

/* ---- Every entry point, cut at every length; random damage ------------- */

struct sample {
	const char *name;
	void (*build)(struct frame *f);
	int verdict;
	size_t min_len;
};

static void build_eth_vlan_v4(struct frame *f)
{
	frame_init(f, LINK_ETH);
	eth(f, NN_ETH_P_8021AD);
	vlan(f, 1, NN_ETH_P_8021Q);
	vlan(f, 2, NN_ETH_P_IP);
	ipv4(f, NN_IPPROTO_TCP, 12);
	tcp(f, SPORT, DPORT);
	payload(f, 5);
	finish(f);
}

static void build_eth_v6_frag(struct frame *f)
{
	frame_init(f, LINK_ETH);
	eth(f, NN_ETH_P_IPV6);
	ipv6(f, NN_IPPROTO_HOPOPTS);
	ext6(f, NN_IPPROTO_HOPOPTS, NN_IPPROTO_FRAGMENT, 0);
	frag6(f, NN_IPPROTO_UDP, 0, 1, IP6_ID);
	udp(f, SPORT, DPORT);
	payload(f, 5);
	finish(f);
}

static void build_eth_v6_later(struct frame *f)
{
	frame_init(f, LINK_ETH);
	eth(f, NN_ETH_P_IPV6);
	ipv6(f, NN_IPPROTO_FRAGMENT);
	frag6(f, NN_IPPROTO_TCP, 9, 1, IP6_ID);
	payload(f, 16);
	finish(f);
}

static void build_eth_v4_later(struct frame *f)
{
	frame_init(f, LINK_ETH);
	eth(f, NN_ETH_P_IP);
	ipv4(f, NN_IPPROTO_UDP, 0);
	payload(f, 16);
	finish(f);
	set16(f, 14 + 6, 0x0040);
}

static void build_eth_arp(struct frame *f)
{
	frame_init(f, LINK_ETH);
	eth(f, ETH_ARP);
	payload(f, 28);
}

static void build_sll_v4(struct frame *f)
{
	frame_init(f, LINK_SLL);
	sll(f, NN_ETH_P_IP);
	ip_packet(f, 4, NN_IPPROTO_UDP);
}

static void build_sll2_v6(struct frame *f)
{
	frame_init(f, LINK_SLL2);
	sll2(f, NN_ETH_P_IPV6);
	ipv6(f, NN_IPPROTO_DSTOPTS);
	ext6(f, NN_IPPROTO_DSTOPTS, NN_IPPROTO_TCP, 0);
	tcp(f, SPORT, DPORT);
	finish(f);
}

static void build_null_le_v6(struct frame *f)
{
	frame_init(f, LINK_NULL);
	family(f, 30, 0);
	ip_packet(f, 6, NN_IPPROTO_UDP);
}

static void build_null_be_v4(struct frame *f)
{
	frame_init(f, LINK_NULL);
	family(f, 2, 1);
	ip_packet(f, 4, NN_IPPROTO_TCP);
}

static void build_loop_v6(struct frame *f)
{
	frame_init(f, LINK_LOOP);
	family(f, 24, 1);
	ip_packet(f, 6, NN_IPPROTO_TCP);
}

static void build_raw_v4(struct frame *f)
{
	frame_init(f, LINK_RAW);
	ip_packet(f, 4, NN_IPPROTO_TCP);
}

static void build_raw_v6(struct frame *f)
{
	frame_init(f, LINK_RAW);
	ip_packet(f, 6, NN_IPPROTO_UDP);
}

static void build_raw4_v4_opts(struct frame *f)
{
	frame_init(f, LINK_RAW4);
	ipv4(f, NN_IPPROTO_UDP, 40);
	udp(f, SPORT, DPORT);
	finish(f);
	set16(f, 6, 0x2000);
}

static void build_raw6_v6(struct frame *f)
{
	frame_init(f, LINK_RAW6);
	ext_chain(f, NN_MAX_IPV6_EXT, NN_IPPROTO_TCP);
	tcp(f, SPORT, DPORT);
	finish(f);
}

static const struct sample samples[] = {
	{ "eth 2 tags ipv4 options tcp", build_eth_vlan_v4, NN_COUNT, 14 + 8 + 32 + 4 },
	{ "eth ipv6 first fragment udp", build_eth_v6_frag, NN_COUNT, 14 + 40 + 16 + 4 },
	{ "eth ipv6 later fragment", build_eth_v6_later, NN_FRAGMENT, 14 + 40 + 8 },
	{ "eth ipv4 later fragment", build_eth_v4_later, NN_FRAGMENT, 14 + 20 },
	{ "eth arp", build_eth_arp, NN_SKIP_NOT_IP, 14 },
	{ "sll ipv4 udp", build_sll_v4, NN_COUNT, 16 + 20 + 4 },
	{ "sll2 ipv6 dstopts tcp", build_sll2_v6, NN_COUNT, 20 + 40 + 8 + 4 },
	{ "null le ipv6 udp", build_null_le_v6, NN_COUNT, 4 + 40 + 4 },
	{ "null be ipv4 tcp", build_null_be_v4, NN_COUNT, 4 + 20 + 4 },
	{ "loop ipv6 tcp", build_loop_v6, NN_COUNT, 4 + 40 + 4 },
	{ "raw ipv4 tcp", build_raw_v4, NN_COUNT, 20 + 4 },
	{ "raw ipv6 udp", build_raw_v6, NN_COUNT, 40 + 4 },
	{ "ipv4 link, IHL 15, first fragment", build_raw4_v4_opts, NN_COUNT, 60 + 4 },
	{ "ipv6 link, 16 extension headers", build_raw6_v6, NN_COUNT, 0 /* computed */ },
};

#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

static void test_every_entry_point_cut_at_every_length(void **state)
{
	struct result r;
	struct frame f;
	size_t i;

	(void)state;
	for (i = 0; i < NSAMPLES; i++) {
		note("%s", samples[i].name);
		samples[i].build(&f);
		r = parse_frame(&f);
		if (r.verdict != samples[i].verdict)
			fail_msg("%s: %s, expected %s", ctx, verdict_name(r.verdict),
				 verdict_name(samples[i].verdict));
		if (samples[i].min_len)
			assert_int_equal(r.min_len, samples[i].min_len);
	}
}

static __u32 rng_state = 0x2545f491;

static __u32 rng(void)
{
	/* xorshift32: a fixed sequence, the same on every run */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* What any verdict promises, whatever the input. */
static void check_invariants(int verdict, const struct nn_pkt *pkt)
{
	static const __u8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	assert_true(verdict >= NN_SKIP_PROTO && verdict <= NN_FRAGMENT);
	assert_int_equal(pkt->key.pad[0], 0);
	assert_int_equal(pkt->key.pad[2], 0);
	assert_int_equal(pkt->key.pad[NN_KEY_PROTO], verdict == NN_COUNT ? pkt->l4proto : 0);
	if (verdict < 0)
		return;
	assert_true(pkt->key.family == NN_FAMILY_IPV4 || pkt->key.family == NN_FAMILY_IPV6);
	if (pkt->key.family == NN_FAMILY_IPV4) {
		assert_memory_equal(pkt->key.saddr, mapped, 12);
		assert_memory_equal(pkt->key.daddr, mapped, 12);
	}
	if (verdict == NN_COUNT) {
		assert_true(pkt->l4proto == NN_IPPROTO_TCP || pkt->l4proto == NN_IPPROTO_UDP);
		assert_true(pkt->frag == NN_FRAG_NONE || pkt->frag == NN_FRAG_FIRST);
	} else {
		assert_int_equal(pkt->frag, NN_FRAG_LATER);
		assert_int_equal(pkt->key.sport, 0);
		assert_int_equal(pkt->key.dport, 0);
	}
}

static void test_damaged_frames_never_overread(void **state)
{
	struct result r;
	struct frame f;
	int i, n, k;

	(void)state;
	for (i = 0; i < 3000; i++) {
		samples[i % NSAMPLES].build(&f);
		n = 1 + rng() % 4;
		for (k = 0; k < n; k++)
			f.b[rng() % f.len] = rng() >> 24;
		f.l4 = L4_UNKNOWN;
		note("%s, damaged, round %d", samples[i % NSAMPLES].name, i);
		r = parse_frame(&f); /* with its checks of every cut */
		check_invariants(r.verdict, &r.pkt);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* Rule 1: link layers */
		cmocka_unit_test(test_eth_ipv4_tcp_and_udp_counted),
		cmocka_unit_test(test_eth_ipv6_tcp_and_udp_counted),
		cmocka_unit_test(test_eth_short_header_truncated),
		cmocka_unit_test(test_eth_vlan_1_to_4_tags_each_tpid_counted),
		cmocka_unit_test(test_eth_vlan_mixed_tpids_counted),
		cmocka_unit_test(test_eth_vlan_5_tags_not_ip),
		cmocka_unit_test(test_eth_vlan_tag_truncated),
		cmocka_unit_test(test_eth_non_ip_ethertypes_not_ip),
		cmocka_unit_test(test_eth_padding_after_datagram_counted),
		cmocka_unit_test(test_sll_ipv4_and_ipv6_counted),
		cmocka_unit_test(test_sll_vlan_tag_counted),
		cmocka_unit_test(test_sll_non_ip_and_short_header),
		cmocka_unit_test(test_sll2_ipv4_and_ipv6_counted),
		cmocka_unit_test(test_sll2_non_ip_and_short_header),
		cmocka_unit_test(test_null_ipv4_family_either_byte_order_counted),
		cmocka_unit_test(test_null_ipv6_families_either_byte_order_counted),
		cmocka_unit_test(test_null_other_families_not_ip),
		cmocka_unit_test(test_null_family_version_mismatch_malformed),
		cmocka_unit_test(test_null_short_header_truncated),
		cmocka_unit_test(test_loop_network_order_counted),
		cmocka_unit_test(test_loop_host_order_family_not_ip),
		cmocka_unit_test(test_raw_version0_picks_by_nibble),
		cmocka_unit_test(test_raw_version0_other_nibbles_not_ip),
		cmocka_unit_test(test_raw_version0_empty_truncated),
		cmocka_unit_test(test_raw_version4_and_version6_counted),
		cmocka_unit_test(test_raw_fixed_version_mismatch_malformed),
		/* Rule 2: version against the link layer */
		cmocka_unit_test(test_eth_ethertype_ipv4_carrying_ipv6_malformed),
		cmocka_unit_test(test_eth_ethertype_ipv6_carrying_ipv4_malformed),
		cmocka_unit_test(test_ipv4_version_nibble_not_4_malformed),
		cmocka_unit_test(test_ipv6_version_nibble_not_6_malformed),
		/* Rules 2, 3, 5: IPv4 */
		cmocka_unit_test(test_ipv4_options_up_to_ihl_15_counted),
		cmocka_unit_test(test_ipv4_ihl_below_5_malformed),
		cmocka_unit_test(test_ipv4_total_length_below_ihl_malformed),
		cmocka_unit_test(test_ipv4_total_length_zero_counted_to_frame_end),
		cmocka_unit_test(test_ipv4_total_length_ending_before_ports_truncated),
		cmocka_unit_test(test_ipv4_total_length_beyond_capture_counted),
		cmocka_unit_test(test_ipv4_capture_ending_at_last_port_byte_counted),
		cmocka_unit_test(test_ipv4_capture_ending_one_byte_before_ports_end_truncated),
		/* Rule 6: IPv4 fragments */
		cmocka_unit_test(test_ipv4_first_fragment_counted_and_marked),
		cmocka_unit_test(test_ipv4_dont_fragment_is_no_fragment),
		cmocka_unit_test(test_ipv4_later_fragment),
		cmocka_unit_test(test_ipv4_later_fragment_with_options_needs_20_bytes),
		cmocka_unit_test(test_ipv4_later_fragment_of_other_protocol_is_fragment),
		cmocka_unit_test(test_ipv4_later_fragment_with_bad_header_malformed),
		/* Rules 3, 4: protocols and tunnels */
		cmocka_unit_test(test_ipv4_non_tcp_udp_protocols_skipped),
		cmocka_unit_test(test_ipv4_icmp_quoting_udp_skipped),
		cmocka_unit_test(test_ipv4_gre_carrying_tcp_skipped),
		cmocka_unit_test(test_ipv4_ip_in_ip_and_6in4_skipped),
		cmocka_unit_test(test_udp_tunnels_count_as_outer_flow),
		/* Rules 3, 5, 6: IPv6 */
		cmocka_unit_test(test_ipv6_hop_by_hop_skipped),
		cmocka_unit_test(test_ipv6_routing_skipped),
		cmocka_unit_test(test_ipv6_destination_options_skipped),
		cmocka_unit_test(test_ipv6_atomic_fragment_skipped),
		cmocka_unit_test(test_ipv6_ext_header_lengths),
		cmocka_unit_test(test_ipv6_every_ext_kind_chained),
		cmocka_unit_test(test_ipv6_16_ext_headers_counted),
		cmocka_unit_test(test_ipv6_17_ext_headers_skipped),
		cmocka_unit_test(test_ipv6_first_fragment_counted_and_marked),
		cmocka_unit_test(test_ipv6_first_fragment_after_ext_headers),
		cmocka_unit_test(test_ipv6_later_fragment),
		cmocka_unit_test(test_ipv6_later_fragment_after_ext_headers),
		cmocka_unit_test(test_ipv6_ah_not_skipped),
		cmocka_unit_test(test_ipv6_other_next_headers_skipped),
		cmocka_unit_test(test_ipv6_in_ipv6_carrying_tcp_skipped),
		cmocka_unit_test(test_ipv6_payload_length_zero_counted_to_frame_end),
		cmocka_unit_test(test_ipv6_payload_length_ending_before_ports_truncated),
		cmocka_unit_test(test_ipv6_payload_length_beyond_capture_counted),
		cmocka_unit_test(test_ipv6_capture_ending_at_last_port_byte_counted),
		cmocka_unit_test(test_ipv6_capture_ending_one_byte_before_ports_end_truncated),
		/* Every entry point, every length; damaged input */
		cmocka_unit_test(test_every_entry_point_cut_at_every_length),
		cmocka_unit_test(test_damaged_frames_never_overread),
	};

	/* Line-buffered, so that the runner's count survives a crash. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
