/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Canned Ethernet frames for the BPF_PROG_TEST_RUN tests, each with the
 * verdict that nn_parse_eth() gives it under the rules of the capture
 * corpus (/work/shared/corpus/README.md, "Which frames count"). Frames are
 * spelled out byte by byte, built from the macros below, so a reader can
 * check every length field. Addresses come from the documentation ranges
 * (RFC 5737, RFC 3849); checksums are left 0, since nothing here checks them.
 */
#ifndef NASOONE_TESTS_BPF_PKTS_H
#define NASOONE_TESTS_BPF_PKTS_H

#include "nasoone/parse.h"

/*
 * The frames are laid out by hand, one header per line: clang-format would
 * pack these byte lists into columns.
 */
/* clang-format off */

/* A 16-bit value in network byte order, as two initializer bytes. */
#define B16(x) (__u8)((x) >> 8), (__u8)((x) & 0xff)

/* dst 02:00:00:00:00:02, src 02:00:00:00:00:01, then the ethertype. */
#define ETH_HDR(type) 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, B16(type)
/* An 802.1Q/802.1ad tag after its TPID: TCI (VLAN id), next ethertype. */
#define VLAN_TAG(vid, type) B16(vid), B16(type)

#define ETH_P_IP_	0x0800
#define ETH_P_ARP_	0x0806
#define ETH_P_IPV6_	0x86DD
#define ETH_P_8021Q_	0x8100
#define ETH_P_8021AD_	0x88A8
#define ETH_P_QINQ1_	0x9100
#define IP_MF		0x2000 /* IPv4 more-fragments flag, in the fragment field */
#define IPPROTO_ICMP_	1
#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17
#define IPPROTO_HOP_	0
#define IPPROTO_ROUTE_	43
#define IPPROTO_FRAG_	44
#define IPPROTO_DSTOPT_	60

/* 192.0.2.1 -> 198.51.100.2; ihl in 32-bit words, frag = flags | offset/8. */
#define IPV4_HDR(ihl, totlen, id, frag, proto)					\
	0x40 | (ihl), 0, B16(totlen), B16(id), B16(frag), 64, proto, 0, 0,	\
	192, 0, 2, 1, 198, 51, 100, 2

/* 2001:db8::1 -> 2001:db8::2; plen is the payload length (0: to the end). */
#define IPV6_ADDR(last) 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last
#define IPV6_HDR(plen, next) 0x60, 0, 0, 0, B16(plen), next, 64, IPV6_ADDR(1), IPV6_ADDR(2)
/* Hop-by-hop or destination options, 8 bytes: one PadN option of 4 bytes. */
#define IPV6_OPTS8(next) next, 0, 1, 4, 0, 0, 0, 0
#define OPTS8_X4(next) IPV6_OPTS8(next), IPV6_OPTS8(next), IPV6_OPTS8(next), IPV6_OPTS8(next)
/* Type 2 routing header (RFC 6275), 24 bytes: one address. */
#define IPV6_ROUTING24(next) next, 2, 2, 1, 0, 0, 0, 0, IPV6_ADDR(3)
/* Fragment header, 8 bytes: offset in 8-byte units, more-fragments flag, id. */
#define IPV6_FRAG(next, off, mf, id) next, 0, B16((off) << 3 | (mf)), B16((id) >> 16), B16(id)

/* TCP SYN, 20 bytes. */
#define TCP_HDR(sport, dport)							\
	B16(sport), B16(dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, B16(64240), 0, 0, 0, 0
/* UDP header, 8 bytes; len covers the header and its payload. */
#define UDP_HDR(sport, dport, len) B16(sport), B16(dport), B16(len), 0, 0
#define PAYLOAD4 'p', 'i', 'n', 'g'

static const __u8 pkt_ipv4_tcp[] = {
	ETH_HDR(ETH_P_IP_),
	IPV4_HDR(5, 40, 1, 0x4000 /* DF */, IPPROTO_TCP_),
	TCP_HDR(40000, 80),
};

/* TCP with data offset 8: NOP, NOP, timestamps (12 bytes of options). */
static const __u8 pkt_ipv4_tcp_ts[] = {
	ETH_HDR(ETH_P_IP_),
	IPV4_HDR(5, 52, 10, 0x4000 /* DF */, IPPROTO_TCP_),
	B16(40016), B16(443), 0, 0, 0, 1, 0, 0, 0, 1, 0x80, 0x10, B16(502), 0, 0, 0, 0,
	0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2,
};

static const __u8 pkt_ipv4_udp[] = {
	ETH_HDR(ETH_P_IP_),
	IPV4_HDR(5, 32, 2, 0, IPPROTO_UDP_),
	UDP_HDR(40001, 53, 12),
	PAYLOAD4,
};

/* IHL 7: Router Alert (4 bytes), three NOPs and an EOL. */
static const __u8 pkt_ipv4_options[] = {
	ETH_HDR(ETH_P_IP_),
	IPV4_HDR(7, 40, 3, 0, IPPROTO_UDP_),
	0x94, 0x04, 0, 0, 0x01, 0x01, 0x01, 0x00,
	UDP_HDR(40002, 5353, 12),
	PAYLOAD4,
};

static const __u8 pkt_vlan[] = {
	ETH_HDR(ETH_P_8021Q_),
	VLAN_TAG(100, ETH_P_IP_),
	IPV4_HDR(5, 40, 4, 0, IPPROTO_TCP_),
	TCP_HDR(40003, 443),
};

static const __u8 pkt_qinq[] = {
	ETH_HDR(ETH_P_8021AD_),
	VLAN_TAG(10, ETH_P_8021Q_),
	VLAN_TAG(20, ETH_P_IP_),
	IPV4_HDR(5, 32, 5, 0, IPPROTO_UDP_),
	UDP_HDR(40004, 123, 12),
	PAYLOAD4,
};

/* NN_MAX_VLAN_TAGS tags, each TPID once, then IPv6: still counted. */
static const __u8 pkt_vlan4[] = {
	ETH_HDR(ETH_P_8021AD_),
	VLAN_TAG(1, ETH_P_8021Q_),
	VLAN_TAG(2, ETH_P_QINQ1_),
	VLAN_TAG(3, ETH_P_8021Q_),
	VLAN_TAG(4, ETH_P_IPV6_),
	IPV6_HDR(12, IPPROTO_UDP_),
	UDP_HDR(40005, 4789, 12),
	PAYLOAD4,
};

/* One tag too many: the ethertype after four tags is still a TPID. */
static const __u8 pkt_vlan5[] = {
	ETH_HDR(ETH_P_8021Q_),
	VLAN_TAG(1, ETH_P_8021Q_),
	VLAN_TAG(2, ETH_P_8021Q_),
	VLAN_TAG(3, ETH_P_8021Q_),
	VLAN_TAG(4, ETH_P_8021Q_),
	VLAN_TAG(5, ETH_P_IP_),
	IPV4_HDR(5, 40, 6, 0, IPPROTO_TCP_),
	TCP_HDR(40006, 80),
};

static const __u8 pkt_ipv6_udp[] = {
	ETH_HDR(ETH_P_IPV6_),
	IPV6_HDR(12, IPPROTO_UDP_),
	UDP_HDR(40007, 53, 12),
	PAYLOAD4,
};

/* Hop-by-hop, routing, destination options, atomic fragment, then TCP. */
static const __u8 pkt_ipv6_ext_chain[] = {
	ETH_HDR(ETH_P_IPV6_),
	IPV6_HDR(8 + 24 + 8 + 8 + 20, IPPROTO_HOP_),
	IPV6_OPTS8(IPPROTO_ROUTE_),
	IPV6_ROUTING24(IPPROTO_DSTOPT_),
	IPV6_OPTS8(IPPROTO_FRAG_),
	IPV6_FRAG(IPPROTO_TCP_, 0, 0, 0x01020304),
	TCP_HDR(40008, 80),
};

/* NN_MAX_IPV6_EXT destination options headers: the last one names UDP. */
static const __u8 pkt_ipv6_ext16[] = {
	ETH_HDR(ETH_P_IPV6_),
	IPV6_HDR(16 * 8 + 12, IPPROTO_DSTOPT_),
	OPTS8_X4(IPPROTO_DSTOPT_),
	OPTS8_X4(IPPROTO_DSTOPT_),
	OPTS8_X4(IPPROTO_DSTOPT_),
	IPV6_OPTS8(IPPROTO_DSTOPT_),
	IPV6_OPTS8(IPPROTO_DSTOPT_),
	IPV6_OPTS8(IPPROTO_DSTOPT_),
	IPV6_OPTS8(IPPROTO_UDP_),
	UDP_HDR(40009, 53, 12),
	PAYLOAD4,
};

/* One extension header more than the parser walks: not counted. */
static const __u8 pkt_ipv6_ext17[] = {
	ETH_HDR(ETH_P_IPV6_),
	IPV6_HDR(17 * 8 + 12, IPPROTO_DSTOPT_),
	OPTS8_X4(IPPROTO_DSTOPT_),
	OPTS8_X4(IPPROTO_DSTOPT_),
	OPTS8_X4(IPPROTO_DSTOPT_),
	OPTS8_X4(IPPROTO_DSTOPT_),
	IPV6_OPTS8(IPPROTO_UDP_),
	UDP_HDR(40010, 53, 12),
	PAYLOAD4,
};

/* Offset 0 with more fragments: a normal packet with ports. */
static const __u8 pkt_ipv4_frag_first[] = {
	ETH_HDR(ETH_P_IP_),
	IPV4_HDR(5, 36, 0x4242, IP_MF | 0, IPPROTO_UDP_),
	UDP_HDR(40011, 9999, 2008),
	PAYLOAD4,
	PAYLOAD4,
};

/* Offset 1480 (185 * 8), last fragment: no transport header. */
static const __u8 pkt_ipv4_frag_later[] = {
	ETH_HDR(ETH_P_IP_),
	IPV4_HDR(5, 28, 0x4242, 185, IPPROTO_UDP_),
	PAYLOAD4,
	PAYLOAD4,
};

/* The first fragment of pkt_ipv6_frag_later's datagram (same id, UDP). */
static const __u8 pkt_ipv6_frag_first[] = {
	ETH_HDR(ETH_P_IPV6_),
	IPV6_HDR(8 + 8 + 4, IPPROTO_FRAG_),
	IPV6_FRAG(IPPROTO_UDP_, 0, 1, 0x0a0b0c0d),
	UDP_HDR(40015, 9999, 2008),
	PAYLOAD4,
};

static const __u8 pkt_ipv6_frag_later[] = {
	ETH_HDR(ETH_P_IPV6_),
	IPV6_HDR(8 + 8, IPPROTO_FRAG_),
	IPV6_FRAG(IPPROTO_UDP_, 185, 0, 0x0a0b0c0d),
	PAYLOAD4,
	PAYLOAD4,
};

/* Cut by the snap length after the source port: the total length says 40. */
static const __u8 pkt_trunc_ports[] = {
	ETH_HDR(ETH_P_IP_),
	IPV4_HDR(5, 40, 7, 0, IPPROTO_TCP_),
	B16(40012),
};

/* ARP request, who-has 192.0.2.2 tell 192.0.2.1. */
static const __u8 pkt_arp[] = {
	ETH_HDR(ETH_P_ARP_),
	0, 1, B16(ETH_P_IP_), 6, 4, 0, 1,	/* Ethernet/IPv4, request */
	0x02, 0, 0, 0, 0, 0x01, 192, 0, 2, 1,	/* sender MAC, IP */
	0, 0, 0, 0, 0, 0, 192, 0, 2, 2,		/* target MAC, IP */
};

/* ICMP echo request: no ports after the first IP header. */
static const __u8 pkt_icmp[] = {
	ETH_HDR(ETH_P_IP_),
	IPV4_HDR(5, 32, 8, 0, IPPROTO_ICMP_),
	8, 0, 0, 0, 0, 1, 0, 1,			/* echo request, id 1, seq 1 */
	PAYLOAD4,
};

/* IPv6 payload length 0 means "to the end of the frame" (TSO). */
static const __u8 pkt_ipv6_plen0[] = {
	ETH_HDR(ETH_P_IPV6_),
	IPV6_HDR(0, IPPROTO_UDP_),
	UDP_HDR(40013, 443, 12),
	PAYLOAD4,
};

/* IHL 4 (16 bytes) is shorter than the fixed header. */
static const __u8 pkt_ipv4_bad_ihl[] = {
	ETH_HDR(ETH_P_IP_),
	IPV4_HDR(4, 40, 9, 0, IPPROTO_TCP_),
	TCP_HDR(40014, 80),
};

/* clang-format on */

struct test_pkt {
	const char *name;
	const __u8 *data;
	__u32 len;
	int verdict; /* what nn_parse_eth() returns for it */
};

#define TEST_PKT(n, v)                                                                             \
	{                                                                                          \
		.name = #n, .data = pkt_##n, .len = sizeof(pkt_##n), .verdict = v                  \
	}

static const struct test_pkt test_pkts[] = {
	TEST_PKT(ipv4_tcp, NN_COUNT),
	TEST_PKT(ipv4_tcp_ts, NN_COUNT),
	TEST_PKT(ipv4_udp, NN_COUNT),
	TEST_PKT(ipv4_options, NN_COUNT),
	TEST_PKT(vlan, NN_COUNT),
	TEST_PKT(qinq, NN_COUNT),
	TEST_PKT(vlan4, NN_COUNT),
	TEST_PKT(vlan5, NN_SKIP_NOT_IP),
	TEST_PKT(ipv6_udp, NN_COUNT),
	TEST_PKT(ipv6_ext_chain, NN_COUNT),
	TEST_PKT(ipv6_ext16, NN_COUNT),
	TEST_PKT(ipv6_ext17, NN_SKIP_PROTO),
	TEST_PKT(ipv4_frag_first, NN_COUNT),
	TEST_PKT(ipv4_frag_later, NN_FRAGMENT),
	TEST_PKT(ipv6_frag_first, NN_COUNT),
	TEST_PKT(ipv6_frag_later, NN_FRAGMENT),
	TEST_PKT(trunc_ports, NN_SKIP_TRUNCATED),
	TEST_PKT(arp, NN_SKIP_NOT_IP),
	TEST_PKT(icmp, NN_SKIP_PROTO),
	TEST_PKT(ipv6_plen0, NN_COUNT),
	TEST_PKT(ipv4_bad_ihl, NN_SKIP_MALFORMED),
};

#define N_TEST_PKTS (sizeof(test_pkts) / sizeof(test_pkts[0]))

#endif /* NASOONE_TESTS_BPF_PKTS_H */
