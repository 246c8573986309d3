/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The packet parser, header-only, shared by the BPF program and userspace
 * so that both paths apply exactly the same rules (see README "Which frames
 * count"). It is written for the verifier: every read is checked against the
 * end of the captured data, every loop has a constant bound, multi-byte
 * fields are assembled from single bytes (no alignment or endianness
 * assumption), and nothing allocates or keeps state.
 */
#ifndef NASOONE_PARSE_H
#define NASOONE_PARSE_H

#include "flow.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Verdicts: >= 0 means the frame belongs to a flow, < 0 that it is skipped. */
#define NN_COUNT	  0  /* key and ports filled: count it */
#define NN_FRAGMENT	  1  /* non-first fragment: count it in its datagram's flow */
#define NN_SKIP_NOT_IP	  -1 /* link layer or ethertype that carries no IP */
#define NN_SKIP_TRUNCATED -2 /* the captured bytes end before the ports */
#define NN_SKIP_MALFORMED -3 /* inconsistent IP header (version, IHL, length) */
#define NN_SKIP_PROTO	  -4 /* not TCP/UDP after the first IP header, or too deep */

/* Fragment state of a frame, in struct nn_pkt.frag. */
#define NN_FRAG_NONE	    0
#define NN_FRAG_FIRST	    1 /* offset 0 with more fragments: remember its datagram */
#define NN_FRAG_LATER	    2 /* offset > 0: no transport header of its own */

#define NN_ETH_P_IP	    0x0800
#define NN_ETH_P_IPV6	    0x86DD
#define NN_ETH_P_8021Q	    0x8100
#define NN_ETH_P_8021AD	    0x88A8
#define NN_ETH_P_QINQ1	    0x9100

#define NN_IPPROTO_HOPOPTS  0
#define NN_IPPROTO_TCP	    6
#define NN_IPPROTO_UDP	    17
#define NN_IPPROTO_ROUTING  43
#define NN_IPPROTO_FRAGMENT 44
#define NN_IPPROTO_DSTOPTS  60

/*
 * What the parser found; the caller zeroes it first. For NN_COUNT the key is complete; for
 * NN_FRAGMENT only the addresses and family are set and (addresses, frag_proto, frag_id) name the
 * datagram. A first fragment has frag == NN_FRAG_FIRST and the same datagram fields, so the caller
 * can remember the datagram's 4-tuple.
 */
struct nn_pkt {
	struct nn_flow_key key;
	const __u8 *l4;	 /* the transport header, with NN_COUNT (TC needs TCP's length) */
	__u32 frag_id;	 /* IPv4 identification or IPv6 fragment identification */
	__u8 l4proto;	 /* NN_IPPROTO_TCP or NN_IPPROTO_UDP when counted */
	__u8 frag;	 /* NN_FRAG_* */
	__u8 frag_proto; /* IPv4 protocol or the fragment header's next header */
	__u8 pad;
	/*
	 * IP octets (IP header and payload) as the length field gives them,
	 * 0 when it says "to the end of the frame" (TSO): then what follows l3,
	 * the (first) IP header, on the wire.
	 */
	__u32 ip_len;
	__u32 pad2;
	const __u8 *l3;
};

/*
 * The BPF build reads whole (unaligned) words: clang would read packet
 * bytes one at a time, as the BPF target assumes no alignment, and that
 * was a tenth of an IPv6 packet's cost (README "Benchmark"). The verifier
 * allows unaligned packet reads where the CPU does them well, which is so
 * on the two architectures nasoone builds for (x86-64, arm64). The
 * userspace build is left as it was: its compiler merges the bytes itself.
 */
#ifdef __bpf__
#define NN_BPF_WORDS 1
#else
#define NN_BPF_WORDS 0
#endif

static __always_inline __u16 nn_load_be16(const __u8 *p)
{
#if NN_BPF_WORDS && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16(*(const __u16 *)p);
#else
	return (__u16)((__u16)p[0] << 8 | p[1]);
#endif
}

static __always_inline __u32 nn_load_be32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

/* Packet bytes copied as they are: 2, 4 or 16 of them. */
static __always_inline void nn_copy2(void *dst, const __u8 *src)
{
#if NN_BPF_WORDS
	*(__u16 *)dst = *(const __u16 *)src;
#else
	__builtin_memcpy(dst, src, 2);
#endif
}

static __always_inline void nn_copy4(void *dst, const __u8 *src)
{
#if NN_BPF_WORDS
	*(__u32 *)dst = *(const __u32 *)src;
#else
	__builtin_memcpy(dst, src, 4);
#endif
}

static __always_inline void nn_copy16(void *dst, const __u8 *src)
{
#if NN_BPF_WORDS
	((__u64 *)dst)[0] = ((const __u64 *)src)[0];
	((__u64 *)dst)[1] = ((const __u64 *)src)[1];
#else
	__builtin_memcpy(dst, src, 16);
#endif
}

/* Ports stay in network byte order in the key: copy the bytes as they are. */
static __always_inline void nn_copy_ports(struct nn_pkt *pkt, const __u8 *l4)
{
	nn_copy2(&pkt->key.sport, l4);
	nn_copy2(&pkt->key.dport, l4 + 2);
}

static __always_inline int nn_is_l4(__u8 proto)
{
	return proto == NN_IPPROTO_TCP || proto == NN_IPPROTO_UDP;
}

/* The IP octets of the datagram at ip (see struct nn_pkt). */
static __always_inline void nn_set_ip_len(struct nn_pkt *pkt, const __u8 *ip, __u32 len)
{
	pkt->ip_len = len;
	pkt->l3 = ip;
}

/*
 * IP octets of packets wire packets of bytes bytes in all (several for a
 * GSO skb), of which l2 bytes a packet are link layer: the length field
 * for one packet (it leaves an Ethernet trailer out), else what is left.
 */
static __always_inline __u64 nn_ip_octets(const struct nn_pkt *pkt, __u64 bytes, __u32 packets,
					  __u32 l2)
{
	__u64 link = (__u64)packets * l2;

	if (packets <= 1 && pkt->ip_len)
		return pkt->ip_len;
	return bytes > link ? bytes - link : 0;
}

/* IPv4 header at ip; end is the end of the captured bytes. */
static __always_inline int nn_parse_ipv4(const __u8 *ip, const __u8 *end, struct nn_pkt *pkt)
{
	__u32 hlen, total, frag_field;
	const __u8 *l4;

	if (ip + 20 > end)
		return NN_SKIP_TRUNCATED;
	if ((ip[0] >> 4) != 4)
		return NN_SKIP_MALFORMED;
	hlen = (__u32)(ip[0] & 0xf) * 4;
	total = nn_load_be16(ip + 2); /* 0 means "to the end of the frame" (TSO) */
	if (hlen < 20 || (total && total < hlen))
		return NN_SKIP_MALFORMED;
	nn_set_ip_len(pkt, ip, total);

	pkt->key.family = NN_FAMILY_IPV4;
	pkt->key.saddr[10] = 0xff;
	pkt->key.saddr[11] = 0xff;
	pkt->key.daddr[10] = 0xff;
	pkt->key.daddr[11] = 0xff;
	nn_copy4(&pkt->key.saddr[12], ip + 12);
	nn_copy4(&pkt->key.daddr[12], ip + 16);
	pkt->frag_proto = ip[9];
	pkt->frag_id = nn_load_be16(ip + 4);

	frag_field = nn_load_be16(ip + 6);
	if (frag_field & 0x1fff) {
		pkt->frag = NN_FRAG_LATER;
		return NN_FRAGMENT;
	}
	if (!nn_is_l4(ip[9]))
		return NN_SKIP_PROTO;
	/* The ports must lie inside the datagram as its length gives it. */
	if (total && hlen + 4 > total)
		return NN_SKIP_TRUNCATED;
	l4 = ip + hlen;
	if (l4 + 4 > end)
		return NN_SKIP_TRUNCATED;
	pkt->l4proto = ip[9];
	pkt->key.pad[NN_KEY_PROTO] = ip[9];
	pkt->l4 = l4;
	nn_copy_ports(pkt, l4);
	if (frag_field & 0x2000)
		pkt->frag = NN_FRAG_FIRST;
	return NN_COUNT;
}

static __always_inline int nn_ipv6_is_ext(__u8 nexthdr)
{
	return nexthdr == NN_IPPROTO_HOPOPTS || nexthdr == NN_IPPROTO_ROUTING ||
	       nexthdr == NN_IPPROTO_DSTOPTS || nexthdr == NN_IPPROTO_FRAGMENT;
}

/* IPv6 header at ip, then at most NN_MAX_IPV6_EXT extension headers. */
static __always_inline int nn_parse_ipv6(const __u8 *ip, const __u8 *end, struct nn_pkt *pkt)
{
	__u32 payload, off = 40, frag_field, i;
	const __u8 *h;
	__u8 nexthdr;

	if (ip + 40 > end)
		return NN_SKIP_TRUNCATED;
	if ((ip[0] >> 4) != 6)
		return NN_SKIP_MALFORMED;
	payload = nn_load_be16(ip + 4); /* 0 means "to the end of the frame" */
	nn_set_ip_len(pkt, ip, payload ? payload + 40 : 0);
	nexthdr = ip[6];
	pkt->key.family = NN_FAMILY_IPV6;
	nn_copy16(pkt->key.saddr, ip + 8);
	nn_copy16(pkt->key.daddr, ip + 24);

	for (i = 0; i < NN_MAX_IPV6_EXT; i++) {
		if (!nn_ipv6_is_ext(nexthdr))
			break;
		h = ip + off;
		/* Every skipped extension header is at least 8 bytes long. */
		if (h + 8 > end)
			return NN_SKIP_TRUNCATED;
		if (nexthdr != NN_IPPROTO_FRAGMENT) {
			nexthdr = h[0];
			off += ((__u32)h[1] + 1) * 8;
			continue;
		}
		frag_field = nn_load_be16(h + 2);
		if (pkt->frag == NN_FRAG_NONE) {
			pkt->frag_proto = h[0];
			pkt->frag_id = nn_load_be32(h + 4);
		}
		if (frag_field >> 3) {
			pkt->frag = NN_FRAG_LATER;
			return NN_FRAGMENT;
		}
		if (frag_field & 1)
			pkt->frag = NN_FRAG_FIRST;
		nexthdr = h[0];
		off += 8;
	}
	if (!nn_is_l4(nexthdr))
		return NN_SKIP_PROTO; /* another protocol, or a chain that is too long */
	if (payload && off + 4 > payload + 40)
		return NN_SKIP_TRUNCATED;
	h = ip + off;
	if (h + 4 > end)
		return NN_SKIP_TRUNCATED;
	pkt->l4proto = nexthdr;
	pkt->key.pad[NN_KEY_PROTO] = nexthdr;
	pkt->l4 = h;
	nn_copy_ports(pkt, h);
	return NN_COUNT;
}

/* IP of the version that the link layer announced (4 or 6). */
static __always_inline int nn_parse_ip_version(const __u8 *ip, const __u8 *end, int version,
					       struct nn_pkt *pkt)
{
	if (version == 4)
		return nn_parse_ipv4(ip, end, pkt);
	if (version == 6)
		return nn_parse_ipv6(ip, end, pkt);
	return NN_SKIP_NOT_IP;
}

static __always_inline int nn_is_vlan(__u16 ethertype)
{
	return ethertype == NN_ETH_P_8021Q || ethertype == NN_ETH_P_8021AD ||
	       ethertype == NN_ETH_P_QINQ1;
}

/*
 * The link layer's ethertype, then up to NN_MAX_VLAN_TAGS VLAN tags from p
 * on (each: 2 bytes of TCI, 2 of next ethertype), then the IP header.
 * Shared by Ethernet, SLL and SLL2, which differ only in where the
 * ethertype sits and where the header ends.
 */
static __always_inline int nn_parse_ethertype(__u16 ethertype, const __u8 *p, const __u8 *end,
					      struct nn_pkt *pkt)
{
	__u32 i;

	for (i = 0; i < NN_MAX_VLAN_TAGS; i++) {
		if (!nn_is_vlan(ethertype))
			break;
		if (p + 4 > end)
			return NN_SKIP_TRUNCATED;
		ethertype = nn_load_be16(p + 2);
		p += 4;
	}
	if (ethertype == NN_ETH_P_IP)
		return nn_parse_ipv4(p, end, pkt);
	if (ethertype == NN_ETH_P_IPV6)
		return nn_parse_ipv6(p, end, pkt);
	return NN_SKIP_NOT_IP; /* ARP, LLDP, 802.3 lengths, a fifth VLAN tag, ... */
}

/* Ethernet II (LINKTYPE_ETHERNET 1). The only entry point the BPF program uses. */
static __always_inline int nn_parse_eth(const __u8 *frame, const __u8 *end, struct nn_pkt *pkt)
{
	if (frame + 14 > end)
		return NN_SKIP_TRUNCATED;
	return nn_parse_ethertype(nn_load_be16(frame + 12), frame + 14, end, pkt);
}

/* Linux cooked capture v1 (113): protocol at offset 14, 16-byte header. */
static __always_inline int nn_parse_sll(const __u8 *frame, const __u8 *end, struct nn_pkt *pkt)
{
	if (frame + 16 > end)
		return NN_SKIP_TRUNCATED;
	return nn_parse_ethertype(nn_load_be16(frame + 14), frame + 16, end, pkt);
}

/* Linux cooked capture v2 (276): protocol at offset 0, 20-byte header. */
static __always_inline int nn_parse_sll2(const __u8 *frame, const __u8 *end, struct nn_pkt *pkt)
{
	if (frame + 20 > end)
		return NN_SKIP_TRUNCATED;
	return nn_parse_ethertype(nn_load_be16(frame), frame + 20, end, pkt);
}

/* BSD address family: 2 is IPv4; 24, 28 and 30 are IPv6 on the various BSDs. */
static __always_inline int nn_family_ip_version(__u32 family)
{
	if (family == 2)
		return 4;
	if (family == 24 || family == 28 || family == 30)
		return 6;
	return 0;
}

/*
 * BSD loopback: DLT_NULL (0) stores the family in the capturing host's byte
 * order, so both orders are accepted; DLT_LOOP (108) in network byte order.
 */
static __always_inline int nn_parse_null(const __u8 *frame, const __u8 *end, int network_order,
					 struct nn_pkt *pkt)
{
	__u32 be, le;
	int version;

	if (frame + 4 > end)
		return NN_SKIP_TRUNCATED;
	be = nn_load_be32(frame);
	le = (__u32)frame[3] << 24 | (__u32)frame[2] << 16 | (__u32)frame[1] << 8 | frame[0];
	version = nn_family_ip_version(be);
	if (!version && !network_order)
		version = nn_family_ip_version(le);
	return nn_parse_ip_version(frame + 4, end, version, pkt);
}

/* Raw IP: version 0 picks IPv4 or IPv6 by the version nibble (101, 12, 14). */
static __always_inline int nn_parse_raw(const __u8 *frame, const __u8 *end, int version,
					struct nn_pkt *pkt)
{
	if (!version) {
		if (frame + 1 > end)
			return NN_SKIP_TRUNCATED;
		version = frame[0] >> 4;
	}
	return nn_parse_ip_version(frame, end, version, pkt);
}

#endif /* NASOONE_PARSE_H */
