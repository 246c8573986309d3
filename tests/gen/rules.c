/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `pcapgen rules DIR`: one small capture per group of rules of the corpus
 * README, each frame built on purpose as counted (with the 4-tuple it must
 * land in) or not counted. DIR/MANIFEST lists the files, what each covers and
 * whether tshark (oracle.py) can check it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapgen.h"

#define T(s, ns) (GEN_BASE_NS + (uint64_t)(s)*NSEC + (uint64_t)(ns))

/* A parsed address; a ring of slots so that a call can use several. */
static const uint8_t *A(const char *text)
{
	static uint8_t slot[16][16];
	static unsigned next;
	uint8_t *a = slot[next++ % 16];

	addr_parse(text, a);
	return a;
}

static unsigned proto_bit(uint8_t proto)
{
	return proto == 6 ? GEN_TCP : GEN_UDP;
}

/* A plain packet of p on the interface, counted as its own 4-tuple. */
static void send(struct cap *c, int iface, uint64_t t, const struct pkt *p, bool rev,
		 size_t payload)
{
	struct frame f;
	struct gen_key k;

	fr_pkt(&f, cap_linktype(c, iface), p, rev, payload, &k);
	cap_frame(c, iface, t, &f, 0, 0, &k, proto_bit(p->proto));
}

/* n packets alternating direction (first one forward), gap ns apart. */
static uint64_t conv(struct cap *c, int iface, uint64_t t, const struct pkt *p, int n, uint64_t gap)
{
	for (int i = 0; i < n; i++, t += gap)
		send(c, iface, t, p, i & 1, i & 1 ? 200 + 37 * i : 20 + 11 * i);
	return t;
}

/* A frame that must not count. */
static void skip(struct cap *c, int iface, uint64_t t, const struct frame *f)
{
	cap_frame(c, iface, t, f, 0, 0, NULL, 0);
}

static void counted(struct cap *c, int iface, uint64_t t, const struct frame *f,
		    const struct gen_key *k, uint8_t proto)
{
	cap_frame(c, iface, t, f, 0, 0, k, proto_bit(proto));
}

/* The IP packet of p alone (no link header). */
static void ip_only(struct frame *ip, const struct pkt *p, bool rev, size_t payload,
		    struct gen_key *k)
{
	fr_pkt(ip, LT_RAW, p, rev, payload, k);
}

/* Ethernet with VLAN tags around the IP packet of p. */
static void eth_tagged(struct frame *f, int ntags, const uint16_t *tpids, const struct pkt *p,
		       bool rev, size_t payload, struct gen_key *k)
{
	struct frame ip;

	ip_only(&ip, p, rev, payload, k);
	fr_init(f);
	fr_eth(f, ntags, tpids, (ip.b[0] >> 4) == 4 ? 0x0800 : 0x86dd);
	fr_bytes(f, ip.b, ip.len);
	fr_pad(f, 60);
}

/* UDP header + hdr + inner frame: a tunnel's payload. */
static void udp_carrying(struct frame *f, uint16_t sport, uint16_t dport, const void *hdr,
			 size_t hlen, const struct frame *inner)
{
	fr_be16(f, sport);
	fr_be16(f, dport);
	fr_be16(f, 8 + hlen + inner->len);
	fr_be16(f, 0);
	fr_bytes(f, hdr, hlen);
	fr_bytes(f, inner->b, inner->len);
}

static void arp(struct frame *f)
{
	static const uint8_t body[28] = { 0,  1, 8, 0, 6, 4, 0, 1, 2, 0, 0x5e, 0x10, 0, 1,
					  10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10,   0,    0, 2 };

	fr_bytes(f, body, sizeof(body));
}

/* ---- classic pcap, Ethernet: the basics ---- */

static struct cap *sc_basic(void)
{
	struct cap *c = cap_pcap(false, false, LT_ETHERNET, 262144);
	const struct pkt https = { "10.0.0.1", "192.0.2.10", 6, 40000, 443 };
	const struct pkt dns = { "10.0.0.1", "10.0.0.53", 17, 53000, 53 };
	const struct pkt both = { "10.0.0.1", "192.0.2.20", 6, 5000, 5000 };
	const struct pkt both_u = { "10.0.0.1", "192.0.2.20", 17, 5000, 5000 };
	const struct pkt p0 = { "10.0.0.2", "192.0.2.30", 17, 0, 65535 };
	const struct pkt p65535 = { "10.0.0.2", "192.0.2.30", 6, 65535, 0 };
	const struct pkt v6 = { "2001:db8::10:1", "2001:db8::20:2", 6, 50000, 80 };
	const struct pkt v6u = { "2001:db8::10:1", "2001:db8::20:2", 17, 50001, 123 };
	struct frame f, ip;
	uint64_t t = T(100, 123456789);

	/* TCP session, sub-ms timestamps: 1.234567 ms apart. */
	t = conv(c, 0, t, &https, 14, 1234567);
	t = conv(c, 0, t + 999999, &dns, 2, 999999);
	/* The same 4-tuple over TCP and UDP is one row, [TCP, UDP]. */
	send(c, 0, t += 500000, &both, false, 10);
	send(c, 0, t += 500000, &both_u, false, 10);
	send(c, 0, t += 500000, &both_u, true, 10);
	send(c, 0, t += 500000, &p0, false, 1);
	send(c, 0, t += 500000, &p0, true, 1);
	send(c, 0, t += 500000, &p65535, false, 1);
	t = conv(c, 0, t + 777, &v6, 6, 3000001);
	t = conv(c, 0, t, &v6u, 2, 1);

	/* Non-IP frames: ARP, LLDP, 802.3 + LLC (STP), MPLS, PPPoE session. */
	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x0806);
	arp(&f);
	fr_pad(&f, 60);
	skip(c, 0, t += 1000000, &f);
	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x88cc);
	fr_bytes(&f, "\x02\x07\x04\x02\x00\x5e\x10\x00\x01\x04\x03\x05\x31\x00\x00", 15);
	fr_pad(&f, 60);
	skip(c, 0, t += 1000000, &f);
	fr_init(&f);
	fr_eth(&f, 0, NULL, 38); /* an 802.3 length, not an ethertype */
	fr_bytes(&f, "\x42\x42\x03\x00\x00\x00\x00\x00", 8);
	fr_pad(&f, 60);
	skip(c, 0, t += 1000000, &f);
	ip_only(&ip, &https, false, 40, NULL);
	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x8847); /* MPLS: one label, bottom of stack */
	fr_be32(&f, (1000 << 12) | 0x100 | 64);
	fr_bytes(&f, ip.b, ip.len);
	skip(c, 0, t += 1000000, &f);
	ip_only(&ip, &dns, false, 40, NULL);
	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x8864); /* PPPoE session, PPP IPv4 */
	fr_bytes(&f, "\x11\x00\x00\x01", 4);
	fr_be16(&f, ip.len + 2);
	fr_be16(&f, 0x0021);
	fr_bytes(&f, ip.b, ip.len);
	skip(c, 0, t += 1000000, &f);
	/* The IP version must match the ethertype. */
	ip_only(&ip, &v6, false, 10, NULL);
	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x0800);
	fr_bytes(&f, ip.b, ip.len);
	skip(c, 0, t += 1000000, &f);
	ip_only(&ip, &https, false, 10, NULL);
	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x86dd);
	fr_bytes(&f, ip.b, ip.len);
	fr_pad(&f, 60);
	skip(c, 0, t += 1000000, &f);

	/*
	 * Row order among rows with the same first ms: numeric source
	 * (10.0.0.9 < 10.0.0.10), source port, destination, port; IPv4 first.
	 */
	{
		static const struct pkt same_ms[] = {
			{ "2001:db8::9", "2001:db8::1", 17, 9, 9 },
			{ "10.0.0.10", "192.0.2.1", 17, 9, 9 },
			{ "10.0.0.9", "192.0.2.1", 17, 100, 9 },
			{ "10.0.0.9", "192.0.2.1", 17, 10, 9 },
			{ "10.0.0.9", "192.0.2.100", 17, 9, 9 },
			{ "10.0.0.9", "192.0.2.20", 17, 9, 9 },
			{ "10.0.0.9", "192.0.2.20", 17, 9, 10 },
			{ "10.0.0.9", "192.0.2.20", 6, 9, 8 },
			{ "2001:db8::10", "2001:db8::1", 17, 9, 9 },
		};
		uint64_t ms = (t / MSEC + 2) * MSEC;

		for (size_t i = 0; i < sizeof(same_ms) / sizeof(same_ms[0]); i++)
			send(c, 0, ms + 100000 * i, &same_ms[i], false, 4);
		/* 999.999 µs later is still the same millisecond for the row's last. */
		send(c, 0, ms + 999999, &same_ms[0], false, 4);
	}
	return c;
}

/* Timestamp truncation to ms in the four classic pcap variants. */
static struct cap *sc_variant(bool nsec, bool be)
{
	struct cap *c = cap_pcap(nsec, be, LT_ETHERNET, 65535);
	static const uint64_t sub[] = { 0, 999999, 1000000, 1000999, 999999999, 500000500 };
	const struct pkt tcp = { "192.0.2.1", "198.51.100.7", 6, 33000, 22 };
	const struct pkt udp = { "2001:db8:1::1", "2001:db8:2::2", 17, 33001, 53 };
	const struct pkt udp4 = { "192.0.2.1", "198.51.100.7", 17, 33002, 514 };
	uint64_t base = nsec ? T(200, 0) : T(300, 0);

	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		send(c, 0, base + i * NSEC + sub[i], &tcp, i & 1, 100 + i);
		send(c, 0, base + i * NSEC + sub[i] + 1, &udp, i & 1, 50 + i);
	}
	send(c, 0, base + 10 * NSEC + 999999999, &udp4, false, 1);
	return c;
}

static struct cap *sc_header_only(void)
{
	return cap_pcap(false, false, LT_ETHERNET, 262144);
}

/* ---- VLAN ---- */

static struct cap *sc_vlan(void)
{
	struct cap *c = cap_pcap(false, false, LT_ETHERNET, 262144);
	const struct pkt web = { "10.1.0.1", "10.1.0.2", 6, 41000, 80 };
	const struct pkt v6 = { "2001:db8:10::1", "2001:db8:10::2", 17, 41001, 53 };
	const struct pkt five = { "10.1.0.5", "10.1.0.6", 17, 41005, 53 };
	static const uint16_t q1[] = { 0x8100 };
	static const uint16_t ad1[] = { 0x88a8 };
	static const uint16_t old1[] = { 0x9100 };
	static const uint16_t qinq[] = { 0x88a8, 0x8100 };
	static const uint16_t q9100[] = { 0x9100, 0x8100 };
	static const uint16_t three[] = { 0x88a8, 0x8100, 0x8100 };
	static const uint16_t four[] = { 0x9100, 0x88a8, 0x8100, 0x8100 };
	static const uint16_t five_t[] = { 0x8100, 0x8100, 0x8100, 0x8100, 0x8100 };
	static const uint16_t five_ad[] = { 0x88a8, 0x8100, 0x8100, 0x8100, 0x8100 };
	struct {
		int n;
		const uint16_t *tp;
	} tags[] = { { 0, NULL }, { 1, q1 },	{ 1, ad1 },   { 1, old1 },
		     { 2, qinq }, { 2, q9100 }, { 3, three }, { 4, four } };
	struct frame f;
	struct gen_key k;
	uint64_t t = T(400, 250000);

	/* Tagged or not, 1 to 4 tags of any TPID: the same rows. */
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		eth_tagged(&f, tags[i].n, tags[i].tp, &web, i & 1, 30 * i, &k);
		counted(c, 0, t += 1100000, &f, &k, 6);
		eth_tagged(&f, tags[i].n, tags[i].tp, &v6, i & 1, 10 * i, &k);
		counted(c, 0, t += 1100000, &f, &k, 17);
	}
	/* Five tags: past the parser's bound, not counted, on a known flow too. */
	eth_tagged(&f, 5, five_t, &web, false, 10, NULL);
	skip(c, 0, t += 1100000, &f);
	eth_tagged(&f, 5, five_ad, &v6, false, 10, NULL);
	skip(c, 0, t += 1100000, &f);
	eth_tagged(&f, 5, five_t, &five, false, 10, NULL);
	skip(c, 0, t += 1100000, &f);
	eth_tagged(&f, 4, four, &five, true, 10, &k);
	counted(c, 0, t += 1100000, &f, &k, 17);
	/* ARP behind a tag. */
	fr_init(&f);
	fr_eth(&f, 1, q1, 0x0806);
	arp(&f);
	fr_pad(&f, 60);
	skip(c, 0, t += 1100000, &f);
	return c;
}

/* ---- IPv4 header rules ---- */

/* An Ethernet IPv4 frame with header fields as given and a UDP/TCP body. */
static size_t ip4_frame(struct frame *f, const char *src, const char *dst, uint8_t proto,
			const uint8_t *opt, size_t optlen, uint16_t sport, uint16_t dport,
			size_t payload)
{
	size_t off;

	fr_init(f);
	fr_eth(f, 0, NULL, 0x0800);
	off = fr_ip4(f, A(src), A(dst), proto, 0x2222, 0, opt, optlen);
	if (proto == 6)
		fr_tcp(f, sport, dport, TH_ACK, payload);
	else
		fr_udp(f, sport, dport, payload);
	return off;
}

static struct cap *sc_ipv4_header(void)
{
	struct cap *c = cap_pcap(false, false, LT_ETHERNET, 262144);
	static const uint8_t nops[4] = { 1, 1, 1, 0 };
	static const uint8_t ra[4] = { 0x94, 4, 0, 0 };
	/* Loose source route: the header's destination is the flow's, not the last hop. */
	static const uint8_t lsrr[12] = { 1, 0x83, 11, 4, 198, 51, 100, 1, 198, 51, 100, 2 };
	static const uint8_t tsopt[12] = { 0x44, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct frame f;
	struct gen_key k;
	uint64_t t = T(500, 0);
	size_t off;

	/* Options: skipped by IHL. */
	off = ip4_frame(&f, "10.4.0.1", "10.4.0.2", 17, nops, 4, 1001, 53, 20);
	fr_ip4_len(&f, off, -1);
	fr_pad(&f, 60);
	key_set(&k, "10.4.0.1", 1001, "10.4.0.2", 53);
	counted(c, 0, t += 1000000, &f, &k, 17);
	off = ip4_frame(&f, "10.4.0.1", "10.4.0.2", 6, ra, 4, 1002, 80, 20);
	fr_ip4_len(&f, off, -1);
	key_set(&k, "10.4.0.1", 1002, "10.4.0.2", 80);
	counted(c, 0, t += 1000000, &f, &k, 6);
	off = ip4_frame(&f, "10.4.0.1", "10.4.0.3", 17, lsrr, 12, 1003, 53, 20);
	fr_ip4_len(&f, off, -1);
	key_set(&k, "10.4.0.1", 1003, "10.4.0.3", 53);
	counted(c, 0, t += 1000000, &f, &k, 17);
	off = ip4_frame(&f, "10.4.0.1", "10.4.0.2", 6, tsopt, 12, 1004, 80, 100);
	fr_ip4_len(&f, off, -1);
	key_set(&k, "10.4.0.1", 1004, "10.4.0.2", 80);
	counted(c, 0, t += 1000000, &f, &k, 6);

	/* IHL < 5 (4 and 0): not counted. */
	for (int ihl = 4; ihl >= 0; ihl -= 4) {
		off = ip4_frame(&f, "10.4.0.1", "10.4.0.2", 17, NULL, 0, 1005, 53, 20);
		fr_ip4_len(&f, off, -1);
		f.b[off] = 0x40 | ihl;
		skip(c, 0, t += 1000000, &f);
	}
	/* Total length below IHL*4: not counted. */
	off = ip4_frame(&f, "10.4.0.1", "10.4.0.2", 17, NULL, 0, 1006, 53, 20);
	fr_ip4_len(&f, off, 19);
	skip(c, 0, t += 1000000, &f);
	off = ip4_frame(&f, "10.4.0.1", "10.4.0.2", 17, nops, 4, 1006, 53, 20);
	fr_ip4_len(&f, off, 22);
	skip(c, 0, t += 1000000, &f);
	/* Total length 0 (TSO): up to the end of the frame, counted. */
	off = ip4_frame(&f, "10.4.0.1", "10.4.0.2", 6, NULL, 0, 1007, 443, 2900);
	fr_ip4_len(&f, off, 0);
	key_set(&k, "10.4.0.1", 1007, "10.4.0.2", 443);
	counted(c, 0, t += 1000000, &f, &k, 6);
	/* Total length ending inside the ports: not counted (frame is longer). */
	off = ip4_frame(&f, "10.4.0.1", "10.4.0.2", 17, NULL, 0, 1008, 53, 20);
	fr_ip4_len(&f, off, 20 + 3);
	skip(c, 0, t += 1000000, &f);
	off = ip4_frame(&f, "10.4.0.1", "10.4.0.2", 6, NULL, 0, 1008, 80, 20);
	fr_ip4_len(&f, off, 20);
	skip(c, 0, t += 1000000, &f);
	/* Total length ending right after the ports: counted. */
	off = ip4_frame(&f, "10.4.0.1", "10.4.0.2", 17, NULL, 0, 1011, 53, 20);
	fr_ip4_len(&f, off, 20 + 4);
	key_set(&k, "10.4.0.1", 1011, "10.4.0.2", 53);
	counted(c, 0, t += 1000000, &f, &k, 17);
	off = ip4_frame(&f, "10.4.0.1", "10.4.0.2", 6, nops, 4, 1012, 80, 20);
	fr_ip4_len(&f, off, 24 + 4);
	key_set(&k, "10.4.0.1", 1012, "10.4.0.2", 80);
	counted(c, 0, t += 1000000, &f, &k, 6);
	/* Total length shorter than the frame (trailer): counted, bytes = frame. */
	off = ip4_frame(&f, "10.4.0.1", "10.4.0.2", 17, NULL, 0, 1009, 53, 20);
	fr_ip4_len(&f, off, -1);
	fr_fill(&f, 100);
	key_set(&k, "10.4.0.1", 1009, "10.4.0.2", 53);
	counted(c, 0, t += 1000000, &f, &k, 17);
	/* A protocol other than TCP/UDP carrying what looks like ports. */
	off = ip4_frame(&f, "10.4.0.1", "10.4.0.2", 132, NULL, 0, 1010, 80, 20);
	fr_ip4_len(&f, off, -1);
	skip(c, 0, t += 1000000, &f);
	return c;
}

/* ---- tunnels and other protocols: only the outer UDP of UDP tunnels counts ---- */

static struct cap *sc_tunnels(void)
{
	struct cap *c = cap_pcap(false, false, LT_ETHERNET, 262144);
	static const struct pkt in_tcp = { "172.16.0.1", "172.16.0.2", 6, 2000, 80 };
	static const struct pkt in_udp = { "172.16.0.1", "172.16.0.2", 17, 2001, 53 };
	static const struct pkt in6_tcp = { "2001:db8:99::1", "2001:db8:99::2", 6, 2002, 443 };
	static const struct pkt in6_udp = { "2001:db8:99::1", "2001:db8:99::2", 17, 2003, 53 };
	struct frame f, in, ip;
	struct gen_key k;
	uint64_t t = T(600, 0);
	size_t off;
	static const uint8_t vxlan[8] = { 0x08, 0, 0, 0, 0, 0x12, 0x34, 0 };
	static const uint8_t geneve[8] = { 0, 0x00, 0x65, 0x58, 0, 0, 0x42, 0 };
	uint8_t gtp[8] = { 0x30, 0xff, 0, 0, 0, 0, 0, 1 };

	/* IPv4 carriers: ICMP echo, ICMP error quoting UDP, GRE, IPIP, 6in4, ESP, IGMP. */
	static const struct {
		uint8_t proto;
		const char *pre;
		size_t prelen;
		const struct pkt *inner;
	} v4[] = {
		{ 1, "\x08\x00\x00\x00\x00\x01\x00\x01", 8, NULL },
		{ 1, "\x03\x03\x00\x00\x00\x00\x00\x00", 8, &in_udp },
		{ 47, "\x00\x00\x08\x00", 4, &in_tcp },
		{ 4, "", 0, &in_udp },
		{ 41, "", 0, &in6_tcp },
		{ 50, "\x00\x00\x10\x00\x00\x00\x00\x01", 8, NULL },
		{ 2, "\x16\x00\x00\x00\xe0\x00\x00\xfb", 8, NULL },
	};
	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
		fr_init(&f);
		fr_eth(&f, 0, NULL, 0x0800);
		off = fr_ip4(&f, A("10.5.0.1"), A("10.5.0.2"), v4[i].proto, 0x300 + i, 0, NULL, 0);
		fr_bytes(&f, v4[i].pre, v4[i].prelen);
		if (v4[i].inner) {
			ip_only(&in, v4[i].inner, false, 30, NULL);
			fr_bytes(&f, in.b, in.len);
		} else {
			fr_fill(&f, 32);
		}
		fr_ip4_len(&f, off, -1);
		fr_pad(&f, 60);
		skip(c, 0, t += 1000000, &f);
	}
	/* IPv6 carriers: ICMPv6 error quoting UDP, IPv6-in-IPv6, IPv4-in-IPv6, GRE. */
	static const struct {
		uint8_t nh;
		const char *pre;
		size_t prelen;
		const struct pkt *inner;
	} v6[] = {
		{ 58, "\x01\x04\x00\x00\x00\x00\x00\x00", 8, &in6_udp },
		{ 41, "", 0, &in6_tcp },
		{ 4, "", 0, &in_tcp },
		{ 47, "\x00\x00\x86\xdd", 4, &in6_udp },
	};
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		fr_init(&f);
		fr_eth(&f, 0, NULL, 0x86dd);
		off = fr_ip6(&f, A("2001:db8:5::1"), A("2001:db8:5::2"), NULL, 0, v6[i].nh);
		fr_bytes(&f, v6[i].pre, v6[i].prelen);
		ip_only(&in, v6[i].inner, false, 30, NULL);
		fr_bytes(&f, in.b, in.len);
		fr_ip6_len(&f, off, -1);
		skip(c, 0, t += 1000000, &f);
	}

	/* UDP tunnels: VXLAN, Geneve, GTP-U, Teredo; both directions for VXLAN. */
	for (int dir = 0; dir < 2; dir++) {
		fr_pkt(&in, LT_ETHERNET, &in_tcp, dir, 100, NULL);
		fr_init(&f);
		fr_eth(&f, 0, NULL, 0x0800);
		off = fr_ip4(&f, A(dir ? "10.5.1.2" : "10.5.1.1"), A(dir ? "10.5.1.1" : "10.5.1.2"),
			     17, 0x400 + dir, 0x4000, NULL, 0);
		udp_carrying(&f, dir ? 4789 : 51000, dir ? 51000 : 4789, vxlan, 8, &in);
		fr_ip4_len(&f, off, -1);
		if (dir)
			key_set(&k, "10.5.1.2", 4789, "10.5.1.1", 51000);
		else
			key_set(&k, "10.5.1.1", 51000, "10.5.1.2", 4789);
		counted(c, 0, t += 1000000, &f, &k, 17);
	}
	fr_pkt(&in, LT_ETHERNET, &in_udp, false, 100, NULL);
	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x0800);
	off = fr_ip4(&f, A("10.5.1.1"), A("10.5.1.3"), 17, 0x410, 0x4000, NULL, 0);
	udp_carrying(&f, 51001, 6081, geneve, 8, &in);
	fr_ip4_len(&f, off, -1);
	key_set(&k, "10.5.1.1", 51001, "10.5.1.3", 6081);
	counted(c, 0, t += 1000000, &f, &k, 17);
	ip_only(&in, &in_tcp, false, 100, NULL);
	gtp[2] = in.len >> 8;
	gtp[3] = in.len;
	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x0800);
	off = fr_ip4(&f, A("10.5.1.1"), A("10.5.1.4"), 17, 0x411, 0x4000, NULL, 0);
	udp_carrying(&f, 2152, 2152, gtp, 8, &in);
	fr_ip4_len(&f, off, -1);
	key_set(&k, "10.5.1.1", 2152, "10.5.1.4", 2152);
	counted(c, 0, t += 1000000, &f, &k, 17);
	ip_only(&ip, &in6_udp, false, 20, NULL);
	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x0800);
	off = fr_ip4(&f, A("10.5.1.1"), A("10.5.1.5"), 17, 0x412, 0x4000, NULL, 0);
	udp_carrying(&f, 51002, 3544, "", 0, &ip);
	fr_ip4_len(&f, off, -1);
	key_set(&k, "10.5.1.1", 51002, "10.5.1.5", 3544);
	counted(c, 0, t += 1000000, &f, &k, 17);
	return c;
}

/* ---- IPv6 extension headers ---- */

static void ip6_chain(struct cap *c, uint64_t t, const struct ext *ext, int n, uint8_t proto,
		      uint16_t sport, bool count)
{
	struct frame f;
	struct gen_key k;
	size_t off;

	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x86dd);
	off = fr_ip6(&f, A("2001:db8:6::1"), A("2001:db8:6::2"), ext, n, proto);
	if (proto == 6)
		fr_tcp(&f, sport, 443, TH_ACK, 40);
	else
		fr_udp(&f, sport, 53, 40);
	fr_ip6_len(&f, off, -1);
	key_set(&k, "2001:db8:6::1", sport, "2001:db8:6::2", proto == 6 ? 443 : 53);
	cap_frame(c, 0, t, &f, 0, 0, count ? &k : NULL, proto_bit(proto));
}

static struct cap *sc_ipv6_ext(void)
{
	struct cap *c = cap_pcap(false, false, LT_ETHERNET, 262144);
	static const struct ext hbh[] = { { 0, 0, 0, 0 } };
	static const struct ext rt[] = { { 43, 0, 0, 0 } };
	static const struct ext dst[] = { { 60, 0, 0, 0 } };
	static const struct ext atomic[] = { { 44, 0, false, 0x77 } };
	static const struct ext mixed[] = { { 0, 0, 0, 0 },
					    { 60, 0, 0, 0 },
					    { 43, 0, 0, 0 },
					    { 44, 0, false, 0x78 },
					    { 60, 0, 0, 0 } };
	static const struct ext ah[] = { { 51, 0, 0, 0 } };
	static const struct ext hbh_ah[] = { { 0, 0, 0, 0 }, { 51, 0, 0, 0 } };
	static const struct ext mob[] = { { 135, 0, 0, 0 } };
	struct ext chain[17];
	struct frame f;
	struct gen_key k;
	uint64_t t = T(700, 0);
	size_t off;

	ip6_chain(c, t += 1000000, hbh, 1, 17, 3001, true);
	ip6_chain(c, t += 1000000, rt, 1, 6, 3002, true);
	ip6_chain(c, t += 1000000, dst, 1, 6, 3003, true);
	ip6_chain(c, t += 1000000, atomic, 1, 6, 3004, true);
	ip6_chain(c, t += 1000000, mixed, 5, 17, 3005, true);
	/* A chain of 16 is walked, 17 is past the bound. */
	for (int i = 0; i < 17; i++)
		chain[i] = (struct ext){ i % 3 ? 60 : 43, 0, 0, 0 };
	chain[0].type = 0;
	ip6_chain(c, t += 1000000, chain, 16, 6, 3006, true);
	ip6_chain(c, t += 1000000, chain, 17, 6, 3007, false);
	ip6_chain(c, t += 1000000, chain, 17, 6, 3006, false);
	/* AH and mobility are not skipped. */
	ip6_chain(c, t += 1000000, ah, 1, 6, 3008, false);
	ip6_chain(c, t += 1000000, hbh_ah, 2, 6, 3008, false);
	ip6_chain(c, t += 1000000, mob, 1, 17, 3009, false);
	/* ESP and "no next header". */
	for (int nh = 50; nh <= 59; nh += 9) {
		fr_init(&f);
		fr_eth(&f, 0, NULL, 0x86dd);
		off = fr_ip6(&f, A("2001:db8:6::1"), A("2001:db8:6::2"), NULL, 0, nh);
		fr_fill(&f, 40);
		fr_ip6_len(&f, off, -1);
		skip(c, 0, t += 1000000, &f);
	}
	/* Payload length 0 (TSO): to the end of the frame, counted. */
	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x86dd);
	off = fr_ip6(&f, A("2001:db8:6::1"), A("2001:db8:6::2"), NULL, 0, 6);
	fr_tcp(&f, 3010, 443, TH_ACK, 2800);
	fr_ip6_len(&f, off, 0);
	key_set(&k, "2001:db8:6::1", 3010, "2001:db8:6::2", 443);
	counted(c, 0, t += 1000000, &f, &k, 6);
	/* Payload length ending before the ports (plain, and after HBH). */
	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x86dd);
	off = fr_ip6(&f, A("2001:db8:6::1"), A("2001:db8:6::2"), NULL, 0, 17);
	fr_udp(&f, 3011, 53, 40);
	fr_ip6_len(&f, off, 3);
	skip(c, 0, t += 1000000, &f);
	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x86dd);
	off = fr_ip6(&f, A("2001:db8:6::1"), A("2001:db8:6::2"), hbh, 1, 17);
	fr_udp(&f, 3012, 53, 40);
	fr_ip6_len(&f, off, 8);
	skip(c, 0, t += 1000000, &f);
	/* Payload length ending right after the ports: counted. */
	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x86dd);
	off = fr_ip6(&f, A("2001:db8:6::1"), A("2001:db8:6::2"), hbh, 1, 6);
	fr_tcp(&f, 3013, 443, TH_ACK, 40);
	fr_ip6_len(&f, off, 8 + 4);
	key_set(&k, "2001:db8:6::1", 3013, "2001:db8:6::2", 443);
	counted(c, 0, t += 1000000, &f, &k, 6);
	/* Back on known flows: still counted after the skipped frames. */
	ip6_chain(c, t += 1000000, hbh, 1, 17, 3001, true);
	ip6_chain(c, t += 1000000, mixed, 5, 6, 3005, true);
	return c;
}

/* ---- fragments ---- */

/* IPv4 fragment: a first one (offset 0) carries the UDP/TCP header. */
static void frag4(struct cap *c, uint64_t t, const char *src, const char *dst, uint8_t proto,
		  uint16_t id, uint16_t off8, bool more, uint16_t sport, uint16_t dport,
		  const struct gen_key *count_as, uint8_t count_proto)
{
	struct frame f;
	size_t off;

	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x0800);
	off = fr_ip4(&f, A(src), A(dst), proto, id, (more ? 0x2000 : 0) | off8, NULL, 0);
	if (off8 == 0 && proto == 6)
		fr_tcp(&f, sport, dport, TH_ACK, 28);
	else if (off8 == 0)
		fr_udp(&f, sport, dport, 40);
	else
		fr_fill(&f, more ? 48 : 21);
	fr_ip4_len(&f, off, -1);
	fr_pad(&f, 60);
	cap_frame(c, 0, t, &f, 0, 0, count_as, proto_bit(count_proto));
}

static struct cap *sc_frag_ipv4(void)
{
	struct cap *c = cap_pcap(false, false, LT_ETHERNET, 262144);
	struct gen_key a, b, cc, d, e, fk, g, h, k;
	const char *s = "10.3.0.1", *x = "10.3.0.2";

	/* First, middle and last fragment of one datagram. */
	key_set(&a, s, 40001, x, 53);
	frag4(c, T(800, 0), s, x, 17, 1, 0, true, 40001, 53, &a, 17);
	frag4(c, T(800, 1000000), s, x, 17, 1, 6, true, 0, 0, &a, 17);
	frag4(c, T(800, 2000000), s, x, 17, 1, 12, false, 0, 0, &a, 17);
	/* A later fragment before its first one is ignored. */
	key_set(&b, s, 40002, x, 53);
	frag4(c, T(801, 0), s, x, 17, 2, 6, false, 0, 0, NULL, 0);
	frag4(c, T(801, 1000000), s, x, 17, 2, 0, true, 40002, 53, &b, 17);
	frag4(c, T(801, 2000000), s, x, 17, 2, 6, false, 0, 0, &b, 17);
	/* Interleaved datagrams, TCP and UDP. */
	key_set(&cc, "10.3.0.3", 40003, "10.3.0.4", 80);
	key_set(&d, "10.3.0.3", 40004, "10.3.0.4", 53);
	frag4(c, T(802, 0), "10.3.0.3", "10.3.0.4", 6, 3, 0, true, 40003, 80, &cc, 6);
	frag4(c, T(802, 100), "10.3.0.3", "10.3.0.4", 17, 4, 0, true, 40004, 53, &d, 17);
	frag4(c, T(802, 200), "10.3.0.3", "10.3.0.4", 6, 3, 6, true, 0, 0, &cc, 6);
	frag4(c, T(802, 300), "10.3.0.3", "10.3.0.4", 17, 4, 6, true, 0, 0, &d, 17);
	frag4(c, T(802, 400), "10.3.0.3", "10.3.0.4", 6, 3, 12, false, 0, 0, &cc, 6);
	frag4(c, T(802, 500), "10.3.0.3", "10.3.0.4", 17, 4, 12, false, 0, 0, &d, 17);
	/* Same id, other protocol / addresses / direction: not that datagram. */
	key_set(&e, "10.3.0.5", 40005, "10.3.0.6", 53);
	frag4(c, T(803, 0), "10.3.0.5", "10.3.0.6", 17, 5, 0, true, 40005, 53, &e, 17);
	frag4(c, T(803, 1000), "10.3.0.5", "10.3.0.6", 6, 5, 6, false, 0, 0, NULL, 0);
	frag4(c, T(803, 2000), "10.3.0.7", "10.3.0.6", 17, 5, 6, false, 0, 0, NULL, 0);
	frag4(c, T(803, 3000), "10.3.0.5", "10.3.0.8", 17, 5, 6, false, 0, 0, NULL, 0);
	frag4(c, T(803, 4000), "10.3.0.6", "10.3.0.5", 17, 5, 6, false, 0, 0, NULL, 0);
	frag4(c, T(803, 5000), "10.3.0.5", "10.3.0.6", 1, 5, 6, false, 0, 0, NULL, 0);
	frag4(c, T(803, 6000), "10.3.0.5", "10.3.0.6", 17, 6, 6, false, 0, 0, NULL, 0);
	frag4(c, T(803, 7000), "10.3.0.5", "10.3.0.6", 17, 5, 6, false, 0, 0, &e, 17);
	/*
	 * Exactly 60 s after the first fragment still counts; 60.001 s does not
	 * (a later fragment does not refresh the datagram); 90 s does not.
	 */
	key_set(&fk, "10.3.0.8", 40006, "10.3.0.9", 53);
	key_set(&g, "10.3.0.8", 40007, "10.3.0.9", 53);
	frag4(c, T(810, 0), "10.3.0.8", "10.3.0.9", 17, 6, 0, true, 40006, 53, &fk, 17);
	frag4(c, T(811, 0), "10.3.0.8", "10.3.0.9", 17, 7, 0, true, 40007, 53, &g, 17);
	frag4(c, T(870, 0), "10.3.0.8", "10.3.0.9", 17, 6, 6, true, 0, 0, &fk, 17);
	frag4(c, T(870, 1000000), "10.3.0.8", "10.3.0.9", 17, 6, 12, false, 0, 0, NULL, 0);
	frag4(c, T(901, 0), "10.3.0.8", "10.3.0.9", 17, 7, 6, false, 0, 0, NULL, 0);
	/* The most recent earlier first fragment of a datagram wins. */
	key_set(&h, "10.3.0.10", 40008, "10.3.0.11", 53);
	key_set(&k, "10.3.0.10", 40009, "10.3.0.11", 53);
	frag4(c, T(910, 0), "10.3.0.10", "10.3.0.11", 17, 8, 0, true, 40008, 53, &h, 17);
	frag4(c, T(910, 1000000), "10.3.0.10", "10.3.0.11", 17, 8, 6, true, 0, 0, &h, 17);
	frag4(c, T(910, 2000000), "10.3.0.10", "10.3.0.11", 17, 8, 0, true, 40009, 53, &k, 17);
	frag4(c, T(910, 3000000), "10.3.0.10", "10.3.0.11", 17, 8, 6, false, 0, 0, &k, 17);
	/* A first fragment that expired, seen again: fresh from the new one. */
	frag4(c, T(920, 0), "10.3.0.10", "10.3.0.11", 17, 9, 0, true, 40008, 53, &h, 17);
	frag4(c, T(990, 0), "10.3.0.10", "10.3.0.11", 17, 9, 0, true, 40008, 53, &h, 17);
	frag4(c, T(991, 0), "10.3.0.10", "10.3.0.11", 17, 9, 6, false, 0, 0, &h, 17);
	/* A whole datagram (no MF) records nothing: a later fragment of its id is ignored. */
	frag4(c, T(992, 0), "10.3.0.10", "10.3.0.11", 17, 10, 0, false, 40008, 53, &h, 17);
	frag4(c, T(992, 1000000), "10.3.0.10", "10.3.0.11", 17, 10, 6, false, 0, 0, NULL, 0);
	/* Thousands of datagrams in flight: 2000 first fragments, then the rest. */
	for (int i = 0; i < 2000; i++) {
		key_set(&k, "10.3.1.1", 20000 + i % 50, "10.3.1.2", 53);
		frag4(c, T(1000, i * 1000), "10.3.1.1", "10.3.1.2", 17, 1000 + i, 0, true,
		      20000 + i % 50, 53, &k, 17);
	}
	for (int i = 1999; i >= 0; i--) {
		key_set(&k, "10.3.1.1", 20000 + i % 50, "10.3.1.2", 53);
		frag4(c, T(1001, (1999 - i) * 1000), "10.3.1.1", "10.3.1.2", 17, 1000 + i,
		      6 * (1 + i % 3), false, 0, 0, &k, 17);
	}
	return c;
}

/* IPv6 fragment: header chain pre + fragment header; a first one carries TCP/UDP. */
static void frag6(struct cap *c, uint64_t t, const char *src, const char *dst, bool hbh, uint8_t nh,
		  uint32_t ident, uint16_t off8, bool more, uint16_t sport, uint16_t dport,
		  const struct gen_key *count_as, uint8_t count_proto)
{
	struct ext ext[2] = { { 0, 0, 0, 0 }, { 44, off8, more, ident } };
	struct frame f;
	size_t off;

	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x86dd);
	off = fr_ip6(&f, A(src), A(dst), hbh ? ext : ext + 1, hbh ? 2 : 1, nh);
	if (off8 == 0 && nh == 6)
		fr_tcp(&f, sport, dport, TH_ACK, 28);
	else if (off8 == 0)
		fr_udp(&f, sport, dport, 40);
	else
		fr_fill(&f, more ? 48 : 21);
	fr_ip6_len(&f, off, -1);
	cap_frame(c, 0, t, &f, 0, 0, count_as, proto_bit(count_proto));
}

static struct cap *sc_frag_ipv6(void)
{
	struct cap *c = cap_pcap(false, false, LT_ETHERNET, 262144);
	const char *s = "2001:db8:7::1", *x = "2001:db8:7::2", *y = "2001:db8:7::3";
	struct gen_key a, b, cc, d, e, fk, h, k;

	key_set(&a, s, 45001, x, 53);
	frag6(c, T(1100, 0), s, x, false, 17, 0x10001, 0, true, 45001, 53, &a, 17);
	frag6(c, T(1100, 1000000), s, x, false, 17, 0x10001, 7, true, 0, 0, &a, 17);
	frag6(c, T(1100, 2000000), s, x, false, 17, 0x10001, 14, false, 0, 0, &a, 17);
	/* Later before first: ignored. */
	key_set(&b, s, 45002, x, 53);
	frag6(c, T(1101, 0), s, x, false, 17, 0x10002, 7, false, 0, 0, NULL, 0);
	frag6(c, T(1101, 1000000), s, x, false, 17, 0x10002, 0, true, 45002, 53, &b, 17);
	frag6(c, T(1101, 2000000), s, x, false, 17, 0x10002, 7, false, 0, 0, &b, 17);
	/* Interleaved, with a hop-by-hop header before the fragment header. */
	key_set(&cc, s, 45003, y, 443);
	key_set(&d, s, 45004, y, 53);
	frag6(c, T(1102, 0), s, y, true, 6, 3, 0, true, 45003, 443, &cc, 6);
	frag6(c, T(1102, 999), s, y, false, 17, 4, 0, true, 45004, 53, &d, 17);
	frag6(c, T(1102, 1999), s, y, true, 6, 3, 7, true, 0, 0, &cc, 6);
	frag6(c, T(1102, 2999), s, y, false, 17, 4, 7, false, 0, 0, &d, 17);
	frag6(c, T(1102, 3999), s, y, false, 6, 3, 14, false, 0, 0, &cc, 6);
	/* Same identification, other next header / addresses / direction. */
	key_set(&e, x, 45005, y, 53);
	frag6(c, T(1103, 0), x, y, false, 17, 5, 0, true, 45005, 53, &e, 17);
	frag6(c, T(1103, 1000), x, y, false, 6, 5, 7, false, 0, 0, NULL, 0);
	frag6(c, T(1103, 2000), s, y, false, 17, 5, 7, false, 0, 0, NULL, 0);
	frag6(c, T(1103, 3000), y, x, false, 17, 5, 7, false, 0, 0, NULL, 0);
	frag6(c, T(1103, 4000), x, y, false, 17, 6, 7, false, 0, 0, NULL, 0);
	frag6(c, T(1103, 5000), x, y, false, 17, 5, 7, false, 0, 0, &e, 17);
	/* 60 s counts, 60.001 s and 75 s do not. */
	key_set(&fk, x, 45006, y, 53);
	frag6(c, T(1110, 0), x, y, false, 17, 7, 0, true, 45006, 53, &fk, 17);
	frag6(c, T(1170, 0), x, y, false, 17, 7, 7, true, 0, 0, &fk, 17);
	frag6(c, T(1170, 1000000), x, y, false, 17, 7, 14, false, 0, 0, NULL, 0);
	frag6(c, T(1185, 0), x, y, false, 17, 7, 14, false, 0, 0, NULL, 0);
	/* Most recent first fragment wins. */
	key_set(&h, y, 45007, x, 53);
	key_set(&k, y, 45008, x, 53);
	frag6(c, T(1190, 0), y, x, false, 17, 8, 0, true, 45007, 53, &h, 17);
	frag6(c, T(1190, 1000), y, x, false, 17, 8, 0, true, 45008, 53, &k, 17);
	frag6(c, T(1190, 2000), y, x, false, 17, 8, 7, false, 0, 0, &k, 17);
	/* An atomic fragment (offset 0, M=0) records nothing. */
	frag6(c, T(1191, 0), y, x, false, 17, 9, 0, false, 45007, 53, &h, 17);
	frag6(c, T(1191, 1000), y, x, false, 17, 9, 7, false, 0, 0, NULL, 0);
	/* 1000 datagrams in flight. */
	for (int i = 0; i < 1000; i++) {
		key_set(&k, s, 30000 + i % 40, x, 53);
		frag6(c, T(1200, i * 1000), s, x, i & 1, 17, 0x20000 + i, 0, true, 30000 + i % 40,
		      53, &k, 17);
	}
	for (int i = 0; i < 1000; i++) {
		key_set(&k, s, 30000 + i % 40, x, 53);
		frag6(c, T(1201, i * 1000), s, x, false, 17, 0x20000 + i, 7, false, 0, 0, &k, 17);
	}
	return c;
}

/* ---- snaplen ---- */

static struct cap *sc_snaplen(void)
{
	struct cap *c = cap_pcap(false, false, LT_ETHERNET, 128);
	const struct pkt tcp = { "10.6.0.1", "10.6.0.2", 6, 46000, 443 };
	const struct pkt udp = { "10.6.0.1", "10.6.0.2", 17, 46001, 53 };
	const struct pkt tcp6 = { "2001:db8:8::1", "2001:db8:8::2", 6, 46002, 443 };
	const struct pkt udp6 = { "2001:db8:8::1", "2001:db8:8::2", 17, 46003, 53 };
	static const uint16_t q1[] = { 0x8100 };
	static const struct ext hbh[] = { { 0, 0, 0, 0 } };
	static const uint8_t nops[8] = { 1, 1, 1, 1, 1, 1, 1, 0 };
	struct frame f;
	struct gen_key k;
	uint64_t t = T(1300, 0);
	size_t off;

	/* Cut after the ports: counted with the original length. */
	fr_pkt(&f, LT_ETHERNET, &tcp, false, 1460, &k);
	cap_frame(c, 0, t += 1000000, &f, 128, 0, &k, GEN_TCP);
	cap_frame(c, 0, t += 1000000, &f, 14 + 20 + 4, 0, &k, GEN_TCP);
	fr_pkt(&f, LT_ETHERNET, &tcp, true, 1000, &k);
	cap_frame(c, 0, t += 1000000, &f, 14 + 20 + 20, 0, &k, GEN_TCP);
	fr_pkt(&f, LT_ETHERNET, &udp6, false, 1200, &k);
	cap_frame(c, 0, t += 1000000, &f, 14 + 40 + 4, 0, &k, GEN_UDP);
	eth_tagged(&f, 1, q1, &udp, false, 900, &k);
	cap_frame(c, 0, t += 1000000, &f, 18 + 20 + 4, 0, &k, GEN_UDP);
	/* Cut before or inside the ports: not counted. */
	fr_pkt(&f, LT_ETHERNET, &tcp, false, 1460, NULL);
	cap_frame(c, 0, t += 1000000, &f, 14 + 20 + 3, 0, NULL, 0);
	cap_frame(c, 0, t += 1000000, &f, 14 + 20 + 2, 0, NULL, 0);
	cap_frame(c, 0, t += 1000000, &f, 14 + 20, 0, NULL, 0);
	cap_frame(c, 0, t += 1000000, &f, 14 + 10, 0, NULL, 0);
	cap_frame(c, 0, t += 1000000, &f, 10, 0, NULL, 0);
	fr_pkt(&f, LT_ETHERNET, &tcp6, false, 1000, NULL);
	cap_frame(c, 0, t += 1000000, &f, 14 + 40 + 2, 0, NULL, 0);
	cap_frame(c, 0, t += 1000000, &f, 14 + 30, 0, NULL, 0);
	eth_tagged(&f, 1, q1, &udp, false, 900, NULL);
	cap_frame(c, 0, t += 1000000, &f, 14 + 2, 0, NULL, 0);
	cap_frame(c, 0, t += 1000000, &f, 18 + 20 + 3, 0, NULL, 0);
	/* Cut inside an IPv6 extension header or IPv4 options. */
	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x86dd);
	off = fr_ip6(&f, A("2001:db8:8::1"), A("2001:db8:8::2"), hbh, 1, 17);
	fr_udp(&f, 46003, 53, 500);
	fr_ip6_len(&f, off, -1);
	cap_frame(c, 0, t += 1000000, &f, 14 + 40 + 4, 0, NULL, 0);
	key_set(&k, "2001:db8:8::1", 46003, "2001:db8:8::2", 53);
	cap_frame(c, 0, t += 1000000, &f, 14 + 40 + 8 + 4, 0, &k, GEN_UDP);
	off = ip4_frame(&f, "10.6.0.1", "10.6.0.2", 17, nops, 8, 46001, 53, 700);
	fr_ip4_len(&f, off, -1);
	cap_frame(c, 0, t += 1000000, &f, 14 + 24, 0, NULL, 0);
	key_set(&k, "10.6.0.1", 46001, "10.6.0.2", 53);
	cap_frame(c, 0, t += 1000000, &f, 14 + 28 + 4, 0, &k, GEN_UDP);
	return c;
}

/* ---- IPv6 text (RFC 5952 as inet_ntop prints it) and row order ---- */

static struct cap *sc_ipv6_format(void)
{
	struct cap *c = cap_pcap(false, false, LT_ETHERNET, 262144);
	static const struct pkt flows[] = {
		{ "::", "ff02::1:2", 17, 546, 547 },
		{ "::1", "::1", 6, 40000, 8080 },
		{ "::ffff:1.2.3.4", "::ffff:5.6.7.8", 6, 1000, 2000 },
		{ "1.2.3.4", "5.6.7.8", 6, 1000, 2000 },
		{ "::1.2.3.4", "::5.6.7.8", 17, 1000, 2000 },
		{ "2001:db8::1", "2001:db8::2", 17, 1000, 2000 },
		{ "2001:db8:0:1:1:1:1:1", "2001:db8:1:0:1:1:1:1", 6, 1000, 2000 },
		{ "2001:0:0:1:0:0:0:1", "2001:db8:0:0:1:0:0:1", 6, 1000, 2000 },
		{ "FE80::ABCD:EF01", "fe80::1", 17, 1000, 2000 },
		{ "1:2:3:4:5:6:7:8", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 6, 1000, 2000 },
		{ "2001:db8::", "0:2:3:4:5:6:7:8", 17, 1000, 2000 },
		{ "1:0:0:2::", "2001:db8::9", 17, 1000, 2000 },
		{ "2001:db8::10", "2001:db8::9", 17, 1000, 2000 },
		{ "2001:db8::9", "2001:db8::10", 17, 1000, 2000 },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::2", 17, 65535, 0 },
	};
	uint64_t t = T(1400, 0);
	size_t n = sizeof(flows) / sizeof(flows[0]);

	/* All in one millisecond: the order is the address order. */
	for (size_t i = 0; i < n; i++)
		send(c, 0, t + 50000 * i, &flows[n - 1 - i], false, 8);
	t += 10 * MSEC;
	for (size_t i = 0; i < n; i++)
		send(c, 0, t + 1000000 * i + 999, &flows[i], true, 8);
	return c;
}

/* ---- link types ---- */

/* A 4-byte link header (BSD loopback family) before the IP packet of p. */
static void fam_frame(struct frame *f, uint32_t fam, bool be, const struct pkt *p, bool rev,
		      struct gen_key *k)
{
	struct frame ip;

	ip_only(&ip, p, rev, 24, k);
	fr_init(f);
	if (be)
		fr_be32(f, fam);
	else
		fr_le32(f, fam);
	fr_bytes(f, ip.b, ip.len);
}

static const struct pkt lt4 = { "192.0.2.44", "198.51.100.44", 6, 47000, 443 };
static const struct pkt lt4u = { "192.0.2.44", "198.51.100.44", 17, 47001, 53 };
static const struct pkt lt6 = { "2001:db8:44::1", "2001:db8:44::2", 17, 47002, 443 };

/* DLT_NULL: the family in either byte order; LOOP: network order only. */
static void families(struct cap *c, int iface, uint64_t t, bool loop)
{
	static const uint32_t v6fam[] = { 24, 28, 30 };
	struct frame f;
	struct gen_key k;
	struct pkt p = lt6;

	for (int be = 0; be < 2; be++) {
		bool ok = !loop || be;

		fam_frame(&f, 2, be, &lt4, be, &k);
		cap_frame(c, iface, t += 1000000, &f, 0, 0, ok ? &k : NULL, GEN_TCP);
		for (int i = 0; i < 3; i++) {
			p.sport = 47010 + 10 * be + i;
			fam_frame(&f, v6fam[i], be, &p, false, &k);
			cap_frame(c, iface, t += 1000000, &f, 0, 0, ok ? &k : NULL, GEN_UDP);
		}
		/* Linux AF_INET6 (10), Windows (23), an ethertype: not families. */
		fam_frame(&f, 10, be, &lt6, false, NULL);
		skip(c, iface, t += 1000000, &f);
		fam_frame(&f, 23, be, &lt6, false, NULL);
		skip(c, iface, t += 1000000, &f);
		fam_frame(&f, 0x0800, be, &lt4u, false, NULL);
		skip(c, iface, t += 1000000, &f);
		/* The family must match the IP version. */
		fam_frame(&f, 2, be, &lt6, false, NULL);
		skip(c, iface, t += 1000000, &f);
		fam_frame(&f, 24, be, &lt4u, false, NULL);
		skip(c, iface, t += 1000000, &f);
	}
}

static struct cap *sc_null(void)
{
	struct cap *c = cap_pcap(false, false, LT_NULL, 262144);

	families(c, 0, T(1500, 0), false);
	return c;
}

static struct cap *sc_loop(void)
{
	struct cap *c = cap_pcap(false, true, LT_LOOP, 262144);

	families(c, 0, T(1510, 0), true);
	return c;
}

/* SLL / SLL2: ethertype protocol field; ARP and 802.2 not counted. */
static void cooked(struct cap *c, int iface, uint64_t t, uint32_t lt)
{
	struct frame f, ip;
	struct gen_key k;
	static const uint16_t types[] = { 0x0806, 0x0004, 0x0800, 0x88cc };

	t = conv(c, iface, t, &lt4, 6, 1500000);
	t = conv(c, iface, t, &lt6, 3, 1500000);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		/* 0x0800 with an IPv6 packet: version mismatch. */
		ip_only(&ip, &lt6, false, 10, NULL);
		fr_init(&f);
		if (lt == LT_SLL)
			fr_sll(&f, types[i]);
		else
			fr_sll2(&f, types[i]);
		fr_bytes(&f, ip.b, ip.len);
		skip(c, iface, t += 1000000, &f);
	}
	fr_pkt(&f, lt, &lt4u, true, 10, &k);
	counted(c, iface, t += 1000000, &f, &k, 17);
}

static struct cap *sc_sll(void)
{
	struct cap *c = cap_pcap(false, false, LT_SLL, 262144);

	cooked(c, 0, T(1520, 0), LT_SLL);
	return c;
}

static struct cap *sc_sll2(void)
{
	struct cap *c = cap_pcap(false, false, LT_SLL2, 262144);

	cooked(c, 0, T(1530, 0), LT_SLL2);
	return c;
}

/* Raw IP: the version nibble picks IPv4/IPv6 (101, 12, 14) or must match (228, 229). */
static void raw_ip(struct cap *c, int iface, uint64_t t, uint32_t lt)
{
	struct frame f;
	struct gen_key k;

	for (int i = 0; i < 4; i++) {
		const struct pkt *p = i & 1 ? &lt6 : &lt4;
		bool ok = !((lt == LT_IPV4 && p == &lt6) || (lt == LT_IPV6 && p == &lt4));

		fr_pkt(&f, LT_RAW, p, i >= 2, 30 + i, &k);
		cap_frame(c, iface, t += 1000000, &f, 0, 0, ok ? &k : NULL,
			  p == &lt6 ? GEN_UDP : GEN_TCP);
	}
	/* Version nibbles 5 and 0: neither IPv4 nor IPv6. */
	for (int v = 0; v <= 5; v += 5) {
		fr_pkt(&f, LT_RAW, &lt4u, false, 30, NULL);
		f.b[0] = (v << 4) | 5;
		skip(c, iface, t += 1000000, &f);
	}
}

static struct cap *sc_raw(void)
{
	struct cap *c = cap_pcap(false, false, LT_RAW, 262144);

	raw_ip(c, 0, T(1540, 0), LT_RAW);
	return c;
}

static struct cap *sc_lt_ipv4(void)
{
	struct cap *c = cap_pcap(false, false, LT_IPV4, 262144);

	raw_ip(c, 0, T(1550, 0), LT_IPV4);
	return c;
}

static struct cap *sc_lt_ipv6(void)
{
	struct cap *c = cap_pcap(false, false, LT_IPV6, 262144);

	raw_ip(c, 0, T(1560, 0), LT_IPV6);
	return c;
}

/* 802.11 data frames with LLC/SNAP IPv4 TCP: a link type that counts nothing. */
static void wlan(struct cap *c, int iface, uint64_t t)
{
	static const uint8_t hdr[24] = { 0x08, 0x01, 0x2c, 0x00, 0x02, 0,    0x5e, 0x10,
					 0,    0x02, 0x02, 0,	 0x5e, 0x10, 0,	   0x01,
					 0x02, 0,    0x5e, 0x10, 0,    0x02, 0x10, 0x00 };
	static const uint8_t snap[8] = { 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00 };
	struct frame f, ip;

	for (int i = 0; i < 3; i++) {
		ip_only(&ip, &lt4, i & 1, 40, NULL);
		fr_init(&f);
		fr_bytes(&f, hdr, sizeof(hdr));
		fr_bytes(&f, snap, sizeof(snap));
		fr_bytes(&f, ip.b, ip.len);
		skip(c, iface, t += 1000000, &f);
	}
}

static struct cap *sc_unsupported(void)
{
	struct cap *c = cap_pcap(false, false, LT_80211, 262144);

	wlan(c, 0, T(1570, 0));
	return c;
}

/* ---- pcapng ---- */

static struct cap *sc_pcapng_multi(void)
{
	struct cap *c = cap_pcapng(false);
	const struct pkt web = { "10.7.0.1", "10.7.0.2", 6, 48000, 443 };
	const struct pkt q6 = { "2001:db8:77::1", "2001:db8:77::2", 17, 48001, 443 };
	/* Sub-ms parts that each resolution truncates differently. */
	static const uint64_t sub[] = { 0, 999999, 1000001, 123456789, 999999999, 500000 };
	int eth = cap_iface(c, LT_ETHERNET, 0, -1, 0);
	int null = cap_iface(c, LT_NULL, 262144, 9, 0);
	int raw = cap_iface(c, LT_RAW, 262144, 0x80 | 20, GEN_BASE_SEC);
	int loop = cap_iface(c, LT_LOOP, 262144, 3, 0);
	int raw12 = cap_iface(c, LT_RAW12, 65535, 6, 0);
	int raw14 = cap_iface(c, LT_RAW14, 65535, 9, 1000);
	int ip4 = cap_iface(c, LT_IPV4, 65535, 0x80 | 10, GEN_BASE_SEC - 3600);
	int ip6 = cap_iface(c, LT_IPV6, 65535, 4, 0);
	int sll = cap_iface(c, LT_SLL, 65535, -1, 0);
	int sll2 = cap_iface(c, LT_SLL2, 65535, 8, 0);
	int w = cap_iface(c, LT_80211, 65535, -1, 0);
	int eth2;
	uint64_t t = T(1600, 0);
	struct frame f;
	struct gen_key k;

	cap_nrb(c);
	/* The same two flows on every IP interface: one row each way. */
	for (int round = 0; round < 2; round++) {
		const int ifs[] = { eth, raw, raw12, raw14, ip4, sll, sll2 };

		for (size_t i = 0; i < sizeof(ifs) / sizeof(ifs[0]); i++) {
			t += NSEC / 10;
			send(c, ifs[i], t + sub[(i + round) % 6], &web, (i + round) & 1, 50 + i);
		}
		for (size_t i = 0; i < 2; i++)
			send(c, i ? ip6 : raw, t + sub[(i + round + 2) % 6] + NSEC / 20, &q6,
			     (i + round) & 1, 70 + i);
	}
	families(c, null, t += NSEC, false);
	families(c, loop, t += NSEC, true);
	cap_isb(c, eth, t += NSEC);
	wlan(c, w, t += NSEC);
	/* An interface described after packets, ns resolution, offset, snaplen 96. */
	eth2 = cap_iface(c, LT_ETHERNET, 96, 9, GEN_BASE_SEC);
	fr_pkt(&f, LT_ETHERNET, &web, false, 1400, &k);
	cap_frame(c, eth2, t += NSEC + 999999, &f, 96, 0, &k, GEN_TCP);
	fr_pkt(&f, LT_ETHERNET, &q6, false, 1400, &k);
	cap_frame(c, eth2, t += 1000001, &f, 96, 0, &k, GEN_UDP);
	fr_pkt(&f, LT_ETHERNET, &q6, true, 1400, NULL);
	cap_frame(c, eth2, t += 1000001, &f, 14 + 40 + 2, 0, NULL, 0);
	send(c, eth, t += 1000001, &web, false, 10);
	/* Obsolete Packet Blocks (type 2) on two interfaces. */
	fr_pkt(&f, LT_ETHERNET, &web, true, 33, &k);
	cap_pb(c, eth, t += 1000001, &f, &k, GEN_TCP);
	fr_pkt(&f, LT_SLL, &q6, true, 33, &k);
	cap_pb(c, sll, t += 1000001, &f, &k, GEN_UDP);
	return c;
}

/* Simple Packet Blocks carry no timestamp: their flows start at 0 ms. */
static struct cap *sc_pcapng_spb(void)
{
	struct cap *c = cap_pcapng(false);
	const struct pkt web = { "10.8.0.1", "10.8.0.2", 6, 49000, 80 };
	const struct pkt dns = { "2001:db8:88::1", "2001:db8:88::2", 17, 49001, 53 };
	struct frame f;
	struct gen_key k;
	int eth = cap_iface(c, LT_ETHERNET, 0, -1, 0);
	/* A Custom Block (PEN 32767): skipped by readers, shown as a frame by tshark. */
	static const uint8_t custom[12] = {
		0, 0, 0x7f, 0xff, 'p', 'c', 'a', 'p', 'g', 'e', 'n', 0
	};

	cap_block(c, 0x00000bad, custom, sizeof(custom));
	for (int i = 0; i < 4; i++) {
		fr_pkt(&f, LT_ETHERNET, &web, i & 1, 100 * i, &k);
		cap_spb(c, &f, &k, GEN_TCP);
	}
	fr_pkt(&f, LT_ETHERNET, &dns, false, 30, &k);
	cap_spb(c, &f, &k, GEN_UDP);
	fr_init(&f);
	fr_eth(&f, 0, NULL, 0x0806);
	arp(&f);
	fr_pad(&f, 60);
	cap_spb(c, &f, NULL, 0);
	conv(c, eth, T(1700, 250000), &web, 4, 3333333);
	return c;
}

/* A big-endian section. */
static struct cap *sc_pcapng_be(void)
{
	struct cap *c = cap_pcapng(true);
	const struct pkt web = { "10.9.0.1", "10.9.0.2", 6, 50000, 443 };
	const struct pkt dns = { "2001:db8:99::1", "2001:db8:99::2", 17, 50001, 53 };
	int a = cap_iface(c, LT_ETHERNET, 65535, -1, 0);
	int b = cap_iface(c, LT_NULL, 65535, 9, GEN_BASE_SEC);
	uint64_t t = T(1800, 777777);

	t = conv(c, a, t, &web, 5, 1234567);
	t = conv(c, b, t, &web, 4, 1234567);
	conv(c, b, t, &dns, 3, 999999);
	families(c, b, t + NSEC, false);
	return c;
}

/*
 * Times past 2554 (2^64 ns after 1970): if_tsoffset of 2*10^10 s with ns
 * units, and whole seconds (if_tsresol 0) in the year 5138. The same
 * flow on both interfaces: first from one, last from the other.
 */
static struct cap *sc_far_times(void)
{
	struct cap *c = cap_pcapng(false);
	const struct pkt web = { "10.11.0.1", "10.11.0.2", 6, 52000, 443 };
	const struct pkt dns = { "2001:db8:111::1", "2001:db8:111::2", 17, 52001, 53 };
	int ns = cap_iface(c, LT_ETHERNET, 65535, 9, 20000000000ll);
	int sec = cap_iface(c, LT_ETHERNET, 65535, 0, 0);
	struct frame f;
	struct gen_key k;

	for (int i = 0; i < 4; i++) {
		fr_pkt(&f, LT_ETHERNET, &web, i & 1, 20 + 10 * i, &k);
		cap_frame_units(c, ns, 1234567890123ull + 1500000ull * (uint64_t)i, &f, &k,
				GEN_TCP);
	}
	for (int i = 0; i < 3; i++) {
		fr_pkt(&f, LT_ETHERNET, &dns, i & 1, 40, &k);
		cap_frame_units(c, sec, 100000000000ull + (uint64_t)i, &f, &k, GEN_UDP);
	}
	fr_pkt(&f, LT_ETHERNET, &web, false, 5, &k);
	cap_frame_units(c, sec, 100000000000ull, &f, &k, GEN_TCP);
	return c;
}

/* Out-of-range sub-second fields: plain arithmetic, sec*1000 + usec/1000. */
static struct cap *sc_ts_range(void)
{
	struct cap *c = cap_pcap(false, false, LT_ETHERNET, 262144);
	const struct pkt p = { "10.10.0.1", "10.10.0.2", 17, 51000, 53 };
	static const uint32_t usec[] = { 999999, 1000000, 1500000, 2999999, 0 };
	struct frame f;
	struct gen_key k;

	for (size_t i = 0; i < sizeof(usec) / sizeof(usec[0]); i++) {
		fr_pkt(&f, LT_ETHERNET, &p, i & 1, 10, &k);
		cap_frame_raw(c, GEN_BASE_SEC + 1900 + i, usec[i], &f, &k, GEN_UDP);
	}
	return c;
}

/* Many flows, both directions, TCP and UDP, IPv4 and IPv6, ties in ms. */
static struct cap *sc_many(void)
{
	struct cap *c = cap_pcap(false, false, LT_ETHERNET, 262144);
	struct rng r = { 0x5eed0001 };
	char src[64], dst[64];
	uint64_t t = T(2000, 0);

	for (int i = 0; i < 400; i++) {
		bool v6 = rng_below(&r, 4) == 0;
		struct pkt p = { src, dst, rng_below(&r, 3) ? 6 : 17, 1024 + rng_below(&r, 64000),
				 rng_below(&r, 2) ? 443 : 53 };
		int n = 1 + rng_below(&r, 6);

		if (v6) {
			snprintf(src, sizeof(src), "2001:db8:%x::%x", (unsigned)rng_below(&r, 4),
				 (unsigned)rng_below(&r, 0x10000));
			snprintf(dst, sizeof(dst), "2001:db8:ff::%x", (unsigned)rng_below(&r, 16));
		} else {
			snprintf(src, sizeof(src), "10.20.%u.%u", (unsigned)rng_below(&r, 4),
				 (unsigned)rng_below(&r, 256));
			snprintf(dst, sizeof(dst), "198.51.100.%u", (unsigned)rng_below(&r, 16));
		}
		/* Some flows get no reply; time steps of 0-1.5 ms make ms ties. */
		for (int j = 0; j < n; j++) {
			t += rng_below(&r, 1500000);
			send(c, 0, t, &p, n > 1 && (j & 1), rng_below(&r, 3) ? 40 : 1400);
		}
	}
	return c;
}

/* ---- the list ---- */

struct scenario {
	const char *name;
	struct cap *(*make)(void);
	enum cap_out out;
	const char *oracle; /* NULL: tshark can check it; else why not */
	const char *covers;
};

static struct cap *sc_sample(void)
{
	return sample_cap();
}

static struct cap *sc_us_be(void)
{
	return sc_variant(false, true);
}
static struct cap *sc_ns_le(void)
{
	return sc_variant(true, false);
}
static struct cap *sc_ns_be(void)
{
	return sc_variant(true, true);
}

static const struct scenario scenarios[] = {
	{ "pcap-us-le.pcap", sc_basic, OUT_PLAIN, NULL,
	  "classic pcap us little-endian, Ethernet: TCP/UDP both directions, one 4-tuple "
	  "over TCP and UDP, ports 0 and 65535, sub-ms truncation, Ethernet padding; ARP, "
	  "LLDP, 802.3/LLC, MPLS, PPPoE and IP version != ethertype not counted; row order "
	  "among rows of the same ms" },
	{ "pcap-us-be.pcap", sc_us_be, OUT_PLAIN, NULL,
	  "classic pcap us big-endian; timestamps at ms boundaries" },
	{ "pcap-ns-le.pcap", sc_ns_le, OUT_PLAIN, NULL,
	  "classic pcap ns (a1b23c4d) little-endian; ns truncated to ms" },
	{ "pcap-ns-be.pcap", sc_ns_be, OUT_PLAIN, NULL,
	  "classic pcap ns (a1b23c4d) big-endian; ns truncated to ms" },
	{ "pcap-header-only.pcap", sc_header_only, OUT_PLAIN, NULL,
	  "a pcap header and no records: header-only report" },
	{ "vlan.pcap", sc_vlan, OUT_PLAIN, NULL,
	  "VLAN TPIDs 0x8100/0x88a8/0x9100, 0 to 4 tags (PCP/DEI set) into the same rows; "
	  "5 tags not counted; ARP behind a tag" },
	{ "ipv4-header.pcap", sc_ipv4_header, OUT_PLAIN, NULL,
	  "IPv4 options (NOP, router alert, loose source route, timestamp); IHL 4 and 0, "
	  "total length < IHL*4, total length ending before/inside the ports not counted; "
	  "total length 0 (TSO), ending right after the ports, and a trailer after the "
	  "datagram counted; SCTP not" },
	{ "tunnels.pcap", sc_tunnels, OUT_PLAIN, NULL,
	  "ICMP (echo, error quoting UDP), GRE, IPIP, 6in4, ESP, IGMP, ICMPv6, IPv6-in-IPv6, "
	  "IPv4-in-IPv6, GRE over IPv6 not counted; VXLAN (both ways), Geneve, GTP-U, Teredo "
	  "counted as the outer UDP 4-tuple" },
	{ "ipv6-ext.pcap", sc_ipv6_ext, OUT_PLAIN, NULL,
	  "IPv6 hop-by-hop, routing, dstopts, atomic fragment, a mixed chain; a chain of 16 "
	  "counted and of 17 not; AH (alone, after HBH), ESP, no-next-header, mobility not "
	  "counted; payload length 0 (TSO) and ending right after the ports counted, ending "
	  "before the ports not" },
	{ "frag-ipv4.pcap", sc_frag_ipv4, OUT_PLAIN, NULL,
	  "IPv4 fragments: later ones to the first fragment's 4-tuple; later before first, "
	  "60.001 s and 90 s after ignored, exactly 60 s counted; interleaved TCP/UDP "
	  "datagrams; same id with other protocol/addresses/direction; most recent first "
	  "wins; a whole datagram records nothing; 2000 datagrams in flight" },
	{ "frag-ipv6.pcap", sc_frag_ipv6, OUT_PLAIN, NULL,
	  "IPv6 fragment headers (alone and after hop-by-hop): the same cases as IPv4 keyed "
	  "by (src, dst, next header, identification); atomic fragments record nothing; "
	  "1000 datagrams in flight" },
	{ "snaplen.pcap", sc_snaplen, OUT_PLAIN, NULL,
	  "snaplen 128: cut after the ports counted with the original length (IPv4, IPv6, "
	  "VLAN, after HBH, after options); cut inside the ports, IP header, options, "
	  "extension header, VLAN tag or Ethernet header not counted" },
	{ "ipv6-format.pcap", sc_ipv6_format, OUT_PLAIN, NULL,
	  "IPv6 text as inet_ntop: ::, ::1, ::ffff:a.b.c.d, ::a.b.c.d, 2001:db8::1, one "
	  "zero group not compressed, longest and first-longest run, trailing ::, uppercase "
	  "input; numeric address order within one ms, IPv4 before IPv6" },
	{ "linktype-null.pcap", sc_null, OUT_PLAIN, NULL,
	  "DLT_NULL (0): families 2/24/28/30 in both byte orders counted; 10, 23, 0x0800 and "
	  "a family that does not match the IP version not counted" },
	{ "linktype-loop.pcap", sc_loop, OUT_PLAIN, NULL,
	  "DLT_LOOP (108), big-endian file: network-order families counted, little-endian "
	  "ones not" },
	{ "linktype-sll.pcap", sc_sll, OUT_PLAIN, NULL,
	  "Linux cooked SLL (113): IPv4/IPv6; ARP, 802.2, LLDP, IPv6 under 0x0800 not counted" },
	{ "linktype-sll2.pcap", sc_sll2, OUT_PLAIN, NULL,
	  "Linux cooked SLL2 (276): the same frames as linktype-sll" },
	{ "linktype-raw.pcap", sc_raw, OUT_PLAIN, NULL,
	  "LINKTYPE_RAW (101): IPv4/IPv6 by the version nibble; nibbles 0 and 5 not counted" },
	{ "linktype-ipv4.pcap", sc_lt_ipv4, OUT_PLAIN, NULL,
	  "LINKTYPE_IPV4 (228): IPv4 counted, IPv6 packets not" },
	{ "linktype-ipv6.pcap", sc_lt_ipv6, OUT_PLAIN, NULL,
	  "LINKTYPE_IPV6 (229): IPv6 counted, IPv4 packets not" },
	{ "linktype-unsupported.pcap", sc_unsupported, OUT_PLAIN, NULL,
	  "802.11 (105) data frames carrying IPv4 TCP: nothing counted" },
	{ "pcapng-multi.pcapng", sc_pcapng_multi, OUT_PLAIN, NULL,
	  "pcapng, 12 interfaces of 10 link types (Ethernet, NULL, RAW 101/12/14, LOOP, "
	  "IPV4, IPV6, SLL, SLL2, 802.11); if_tsresol us (default and 6), ns, ms, 10^-4, "
	  "10^-8, 2^-20, 2^-10; if_tsoffset; the same flows across interfaces merged; an "
	  "IDB after packets; NRB and ISB skipped; EPB cut by snaplen; obsolete Packet "
	  "Blocks" },
	{ "pcapng-spb.pcapng", sc_pcapng_spb, OUT_PLAIN,
	  "tshark gives Simple Packet Blocks no timestamp at all (oracle.py fails on the "
	  "empty time); the rule used is libpcap's: time 0",
	  "pcapng Simple Packet Blocks (time 0 ms, so first = 0) then EPBs on the same "
	  "flows; a Custom Block (0xBAD) skipped" },
	{ "pcapng-be.pcapng", sc_pcapng_be, OUT_PLAIN, NULL,
	  "big-endian pcapng section: Ethernet (us) and NULL (ns, if_tsoffset) interfaces" },
	{ "pcapng-far-times.pcapng", sc_far_times, OUT_PLAIN, NULL,
	  "pcapng times past 2^64 ns since 1970: if_tsoffset 2*10^10 s with ns units, and "
	  "if_tsresol 0 (seconds) in the year 5138; one flow on both interfaces" },
	{ "ts-out-of-range.pcap", sc_ts_range, OUT_PLAIN,
	  "out-of-range ts_usec (>= 10^6) is mangled by tshark (README); the rules use "
	  "plain arithmetic",
	  "ts_usec of 1000000, 1500000, 2999999: ms = ts_sec*1000 + ts_usec/1000" },
	{ "many-flows.pcap", sc_many, OUT_PLAIN, NULL,
	  "400 random flows (IPv4/IPv6, TCP/UDP, with and without replies), many ms ties" },
	{ "gz-pcap.pcap.gz", sc_basic, OUT_GZIP, NULL, "gzip'd copy of pcap-us-le.pcap" },
	{ "gz-pcapng.pcapng.gz", sc_pcapng_multi, OUT_GZIP, NULL,
	  "gzip'd copy of pcapng-multi.pcapng" },
	{ "gz-noext.pcap", sc_ns_be, OUT_GZIP, NULL,
	  "gzip'd copy of pcap-ns-be.pcap named without .gz: detected by content" },
	{ "sample.pcap", sc_sample, OUT_PLAIN, NULL,
	  "the bundled sample of `make run` (pcapgen sample)" },
};

void gen_rules(const char *dir)
{
	char path[4096], exp[4096], name[512], tmp[4096], final[4096];
	FILE *m;

	make_dir(dir);
	path_join(tmp, sizeof(tmp), dir, "MANIFEST.tmp");
	m = fopen(tmp, "w");
	if (!m)
		die("cannot create %s", tmp);
	fprintf(m, "# file\toracle\tcovers\n");
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *s = &scenarios[i];
		const char *dot = strchr(s->name, '.');

		snprintf(name, sizeof(name), "%.*s.expected", (int)(dot - s->name), s->name);
		path_join(path, sizeof(path), dir, s->name);
		path_join(exp, sizeof(exp), dir, name);
		cap_save(s->make(), path, s->out, SIZE_MAX, exp);
		fprintf(m, "%s\t%s\t%s\n", s->name, s->oracle ? s->oracle : "yes", s->covers);
	}
	if (ferror(m) | (fclose(m) != 0))
		die("cannot write the manifest");
	/* Last: make uses the manifest as the sign of a complete set. */
	path_join(final, sizeof(final), dir, "MANIFEST");
	if (rename(tmp, final))
		die("cannot rename %s", tmp);
}
