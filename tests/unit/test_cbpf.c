// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel pcap filter (user/capture/cbpf.c) must select exactly the packets
 * libpcap selects. Every expression of a table is compiled by libpcap (the
 * oracle: pcap_offline_filter() on the same bytes) and by cbpf_load_filter()
 * for XDP and for TC, and every packet of a set goes through the loaded
 * program with BPF_PROG_TEST_RUN (no traffic is sent). The filter's accept
 * path tail-calls a tiny program of the test's own at NN_PROG_ACCOUNT that
 * returns a code of its own, so accept and reject are told apart by the
 * return value alone.
 *
 * The packets: synthetic frames (IPv4/IPv6, TCP/UDP/ICMP/SCTP/GRE, VLAN,
 * QinQ, ARP/RARP and other non-IP, fragments, IP options, IPv6 extension
 * headers, VXLAN/Geneve, big frames, and truncated copies of all sorts),
 * plus the Ethernet frames of the shared capture corpus and of pcapgen's
 * rule captures when they are there. Both BPF_PROG_TEST_RUN paths need at
 * least an Ethernet header (14 bytes); XDP runs frames beyond one page in
 * fragments a filter without BPF_F_XDP_HAS_FRAGS cannot see, TC refuses
 * them: those are counted as skipped, not compared. The packet length a
 * filter sees is what the kernel has, so the oracle gets len = caplen.
 *
 * Also: hand-made classic programs for what expressions rarely produce
 * (ALU with X, division and modulo by a zero X, shifts by 32 and more,
 * scratch memory, wrapping indexed loads), long programs that need 32-bit
 * jumps, refused programs, and the error messages. The BPF tests skip when
 * the process may not load BPF programs (EPERM).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "capture/cbpf.h"
#include <pcap/pcap.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nasoone/flow.h"

#define XDP_PASS_CODE	2  /* the filter's reject (pass) verdict */
#define XDP_ACCEPT_CODE 3  /* XDP_TX, returned by the test's accounting program */
#define TC_ACCEPT_CODE	42 /* not a TC_ACT_* verdict: only the test's program returns it */
#define TC_OK		0
#define TCX_NEXT	(-1)

#define ETH_LEN		14
#define MAX_FRAME	9100
#define SNAPLEN		262144
#define MAX_MISMATCHES	20 /* printed in full; the rest only counted */

#ifndef CBPF_CORPUS_DIR
#define CBPF_CORPUS_DIR "/work/shared/corpus/pcaps"
#endif
#ifndef CBPF_PCAPGEN
#define CBPF_PCAPGEN ".output/pcapgen"
#endif

/* ---- Packets ------------------------------------------------------------------ */

struct pkt {
	uint8_t *data;
	uint32_t len;
	char what[48];
};

static struct pkt *pkts;
static size_t npkts, pktcap;

/* Open-addressing set of packet hashes: duplicates are compared once. */
#define DEDUP_BITS 17
static uint32_t *dedup; /* index + 1, 0 = empty */

static uint64_t fnv1a(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h ^ len;
}

static void add_pkt(const uint8_t *data, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_pkt(const uint8_t *data, size_t len, const char *fmt, ...)
{
	size_t mask = ((size_t)1 << DEDUP_BITS) - 1;
	size_t slot = (size_t)fnv1a(data, len) & mask;
	va_list ap;

	if (npkts >= mask / 2)
		return; /* plenty: keep the table sparse */
	for (; dedup[slot]; slot = (slot + 1) & mask) {
		const struct pkt *o = &pkts[dedup[slot] - 1];

		if (o->len == len && !memcmp(o->data, data, len))
			return;
	}
	if (npkts == pktcap) {
		pktcap = pktcap ? 2 * pktcap : 1024;
		pkts = realloc(pkts, pktcap * sizeof(*pkts));
		assert_non_null(pkts);
	}
	pkts[npkts].data = malloc(len ? len : 1);
	assert_non_null(pkts[npkts].data);
	memcpy(pkts[npkts].data, data, len);
	pkts[npkts].len = (uint32_t)len;
	va_start(ap, fmt);
	vsnprintf(pkts[npkts].what, sizeof(pkts[npkts].what), fmt, ap);
	va_end(ap);
	dedup[slot] = (uint32_t)++npkts;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 33) % n;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static const uint8_t mac_a[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };
static const uint8_t mac_x[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

static const uint32_t v4addrs[] = {
	0x0a000001, 0x0a000002, 0x0ac80304, 0xc0a80101, 0xc0a8ff02,
	0x0b000001, 0x09ffffff, 0xe0000001, 0xffffffff, 0x00000000,
};

static const char *const v6names[] = {
	"2001:db8::1", "2001:db8:ffff::2", "2001:db9::1",     "2001:db7:ffff::1",
	"fe80::1",     "ff02::1",	   "::ffff:10.0.0.1", "::1",
};
static uint8_t v6addrs[8][16];

static const uint16_t ports[] = {
	22, 53, 80, 443, 999, 1000, 1023, 1024, 1500, 2000, 2001, 4789, 6081, 65535, 0, 33000,
};

/* The L2 variants: tags, outermost first. */
struct l2kind {
	const char *name;
	int ntags;
	uint16_t tpid[3];
	uint16_t vid[3];
};

static const struct l2kind l2kinds[] = {
	{ "eth", 0, { 0 }, { 0 } },
	{ "vlan10", 1, { 0x8100 }, { 10 } },
	{ "vlan20", 1, { 0x8100 }, { 20 } },
	{ "qinq100/10", 2, { 0x88a8, 0x8100 }, { 100, 10 } },
	{ "9100/10", 1, { 0x9100 }, { 10 } },
	{ "vlan10/20/30", 3, { 0x8100, 0x8100, 0x8100 }, { 10, 20, 30 } },
	{ "vlan0", 1, { 0x8100 }, { 0 } },
};

/* Ethernet header with the tags of kind k; returns its length. */
static size_t build_eth(uint8_t *p, const struct l2kind *k, const uint8_t *dst, const uint8_t *src,
			uint16_t type)
{
	size_t off = 12;

	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	for (int i = 0; i < k->ntags; i++) {
		put16(p + off, k->tpid[i]);
		put16(p + off + 2, (uint16_t)((rnd(8) << 13) | k->vid[i]));
		off += 4;
	}
	put16(p + off, type);
	return off + 2;
}

static size_t build_ipv4(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto, uint16_t frag,
			 uint8_t ttl, unsigned int optwords, size_t l4len)
{
	size_t hlen = 20 + 4 * optwords;

	p[0] = (uint8_t)(0x40 | (5 + optwords));
	p[1] = 0;
	put16(p + 2, (uint16_t)(hlen + l4len));
	put16(p + 4, (uint16_t)rnd(65536));
	put16(p + 6, frag);
	p[8] = ttl;
	p[9] = proto;
	put16(p + 10, 0);
	put32(p + 12, src);
	put32(p + 16, dst);
	memset(p + 20, 1, 4 * optwords); /* NOPs */
	return hlen;
}

static size_t build_ipv6(uint8_t *p, const uint8_t *src, const uint8_t *dst, uint8_t nxt,
			 size_t plen)
{
	put32(p, 0x60000000 | rnd(1 << 20));
	put16(p + 4, (uint16_t)plen);
	p[6] = nxt;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	return 40;
}

static size_t build_tcp(uint8_t *p, uint16_t sport, uint16_t dport, uint8_t flags,
			unsigned int optwords)
{
	put16(p, sport);
	put16(p + 2, dport);
	put32(p + 4, rnd(UINT32_MAX));
	put32(p + 8, rnd(UINT32_MAX));
	p[12] = (uint8_t)((5 + optwords) << 4);
	p[13] = flags;
	put16(p + 14, 65535);
	put32(p + 16, 0);
	memset(p + 20, 1, 4 * optwords);
	return 20 + 4 * optwords;
}

static size_t build_udp(uint8_t *p, uint16_t sport, uint16_t dport, size_t payload)
{
	put16(p, sport);
	put16(p + 2, dport);
	put16(p + 4, (uint16_t)(8 + payload));
	put16(p + 6, 0);
	return 8;
}

static size_t build_arp(uint8_t *p, uint16_t op, uint32_t spa, uint32_t tpa)
{
	put16(p, 1);
	put16(p + 2, 0x0800);
	p[4] = 6;
	p[5] = 4;
	put16(p + 6, op);
	memcpy(p + 8, mac_a, 6);
	put32(p + 14, spa);
	memset(p + 18, 0, 6);
	put32(p + 24, tpa);
	return 28;
}

static void fill_payload(uint8_t *p, size_t len)
{
	static const char get[] = "GET / HTTP/1.1\r\n";
	size_t i = 0;

	if (len >= sizeof(get) && !rnd(3)) {
		memcpy(p, get, sizeof(get) - 1);
		i = sizeof(get) - 1;
	}
	for (; i < len; i++)
		p[i] = rnd(4) ? (uint8_t)rnd(256) : 0;
}

static const size_t payload_lens[] = { 0, 0, 1, 6, 18, 64, 200, 512, 958, 1000, 1400, 1458 };

/*
 * The L4 part (and payload) for protocol proto at p; returns its length.
 * For UDP 4789 and 6081 a VXLAN or Geneve header and an inner frame follow.
 */
static size_t build_l4(uint8_t *p, uint8_t proto, size_t payload)
{
	uint16_t sport = ports[rnd(sizeof(ports) / sizeof(ports[0]))];
	uint16_t dport = ports[rnd(sizeof(ports) / sizeof(ports[0]))];
	static const uint8_t flags[] = { 0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x00, 0xff };
	size_t len;

	switch (proto) {
	case 6:
		len = build_tcp(p, sport, dport, flags[rnd(sizeof(flags))], rnd(4) ? 0 : rnd(11));
		break;
	case 17:
		if (!rnd(6))
			dport = rnd(2) ? 4789 : 6081;
		len = build_udp(p, sport, dport, payload);
		if (dport == 4789 || dport == 6081) {
			uint8_t *t = p + len;
			size_t in;

			memset(t, 0, 8);
			if (dport == 4789) {
				t[0] = 0x08;
			} else {
				put16(t + 2, 0x6558); /* Geneve: Ethernet inside */
			}
			put32(t + 4, 0x00abcd00);
			in = build_eth(t + 8, &l2kinds[rnd(2)], mac_b, mac_a, 0x0800);
			in += build_ipv4(t + 8 + in, v4addrs[rnd(4)], v4addrs[rnd(4)], 6, 0, 64, 0,
					 20);
			in += build_tcp(t + 8 + in, 80, 1024, 0x02, 0);
			len += 8 + in;
			put16(p + 4, (uint16_t)len);
			return len;
		}
		break;
	case 1:
	case 58:
		p[0] = proto == 1 ? 8 : 128;
		p[1] = 0;
		put16(p + 2, 0);
		put32(p + 4, rnd(UINT32_MAX));
		len = 8;
		break;
	case 132:
		put16(p, sport);
		put16(p + 2, dport);
		put32(p + 4, rnd(UINT32_MAX));
		put32(p + 8, 0);
		len = 12;
		break;
	default:
		len = 0;
		break;
	}
	fill_payload(p + len, payload);
	return len + payload;
}

static void gen_ip(uint8_t *f, size_t *flen, char *kind, size_t kindlen)
{
	static const uint8_t protos[] = { 6, 6, 6, 17, 17, 17, 1, 132, 47, 0 };
	static const uint8_t ttls[] = { 64, 64, 63, 1, 255 };
	const struct l2kind *k = &l2kinds[rnd(3) ? 0 : rnd(sizeof(l2kinds) / sizeof(l2kinds[0]))];
	const uint8_t *dst = rnd(8) ? mac_b : rnd(2) ? mac_x : rnd(2) ? mac_bcast : mac_mcast;
	const uint8_t *src = rnd(8) ? mac_a : mac_x;
	size_t payload = payload_lens[rnd(sizeof(payload_lens) / sizeof(payload_lens[0]))];
	bool v6 = rnd(3) == 0;
	uint8_t proto = protos[rnd(sizeof(protos))];
	size_t off = build_eth(f, k, dst, src, v6 ? 0x86dd : 0x0800);
	size_t l3 = off;

	if (!v6) {
		/* Fragments: first (MF), middle, last, DF, or none. */
		static const uint16_t frags[] = { 0, 0, 0, 0x4000, 0x2000, 0x2000 | 185, 370, 1 };
		unsigned int optwords = rnd(5) ? 0 : 1 + rnd(10);

		off += build_ipv4(f + off, v4addrs[rnd(6)], v4addrs[rnd(10)], proto,
				  frags[rnd(sizeof(frags) / sizeof(frags[0]))], ttls[rnd(5)],
				  optwords, 0);
		off += build_l4(f + off, proto, payload);
		put16(f + l3 + 2, (uint16_t)(off - l3)); /* total length */
	} else {
		uint8_t nxt = proto == 1 ? 58 : proto;
		size_t ext = 0, plen;

		off += 40;
		/* Extension headers: hop-by-hop, destination options, a fragment header. */
		switch (rnd(6)) {
		case 0:
			f[off] = nxt;
			f[off + 1] = 0;
			memset(f + off + 2, 0, 6);
			nxt = 0;
			ext = 8;
			break;
		case 1:
			f[off] = nxt;
			f[off + 1] = 1;
			memset(f + off + 2, 0, 14);
			nxt = 60;
			ext = 16;
			break;
		case 2:
			f[off] = nxt;
			f[off + 1] = 0;
			put16(f + off + 2, rnd(2) ? 0 : (uint16_t)(185 << 3));
			put32(f + off + 4, rnd(UINT32_MAX));
			nxt = 44;
			ext = 8;
			break;
		}
		off += ext;
		off += build_l4(f + off, nxt == 44 || nxt == 0 || nxt == 60 ? f[off - ext] : nxt,
				payload);
		plen = off - l3 - 40;
		build_ipv6(f + l3, v6addrs[rnd(8)], v6addrs[rnd(8)], nxt, plen);
	}
	*flen = off;
	snprintf(kind, kindlen, "%s %s p%u", k->name, v6 ? "ip6" : "ip", proto);
}

static void gen_other(uint8_t *f, size_t *flen, char *kind, size_t kindlen)
{
	const struct l2kind *k = &l2kinds[rnd(2) ? 0 : rnd(sizeof(l2kinds) / sizeof(l2kinds[0]))];
	const uint8_t *dst = rnd(2) ? mac_bcast : rnd(2) ? mac_x : mac_b;
	size_t off;

	switch (rnd(7)) {
	case 0:
	case 1: /* ARP, RARP */
	{
		uint16_t type = rnd(4) ? 0x0806 : 0x8035;

		off = build_eth(f, k, dst, mac_a, type);
		off += build_arp(f + off, (uint16_t)(1 + rnd(4)), v4addrs[rnd(6)], v4addrs[rnd(6)]);
		snprintf(kind, kindlen, "%s %s", k->name, type == 0x0806 ? "arp" : "rarp");
		break;
	}
	case 2: /* LLDP */
		off = build_eth(f, k, mac_mcast, mac_a, 0x88cc);
		fill_payload(f + off, 40);
		off += 40;
		snprintf(kind, kindlen, "%s lldp", k->name);
		break;
	case 3: /* 802.3 with an LLC header: a length, not a type */
		off = build_eth(f, k, dst, mac_x, 46);
		f[off] = 0x42;
		f[off + 1] = 0x42;
		f[off + 2] = 0x03;
		fill_payload(f + off + 3, 43);
		off += 46;
		snprintf(kind, kindlen, "%s 802.3 stp", k->name);
		break;
	case 4: /* MPLS carrying IPv4 */
		off = build_eth(f, k, dst, mac_a, 0x8847);
		put32(f + off, (16 << 12) | 0x100 | 64);
		off += 4;
		off += build_ipv4(f + off, v4addrs[0], v4addrs[1], 17, 0, 64, 0, 8);
		off += build_udp(f + off, 53, 53, 0);
		snprintf(kind, kindlen, "%s mpls", k->name);
		break;
	case 5: /* PPPoE session carrying IPv4 */
		off = build_eth(f, k, dst, mac_a, 0x8864);
		f[off] = 0x11;
		f[off + 1] = 0;
		put16(f + off + 2, 1);
		put16(f + off + 4, 30);
		put16(f + off + 6, 0x0021);
		off += 8;
		off += build_ipv4(f + off, v4addrs[0], v4addrs[2], 6, 0, 64, 0, 20);
		off += build_tcp(f + off, 443, 1024, 0x12, 0);
		snprintf(kind, kindlen, "%s pppoes", k->name);
		break;
	default: /* IPv4 ethertype with a bad header: version 6 or IHL < 5 */
		off = build_eth(f, k, dst, mac_a, 0x0800);
		off += build_ipv4(f + off, v4addrs[0], v4addrs[1], 6, 0, 64, 0, 20);
		f[off - 20] = rnd(2) ? 0x65 : 0x43;
		off += build_tcp(f + off, 22, 1024, 0x02, 0);
		snprintf(kind, kindlen, "%s bad ip", k->name);
		break;
	}
	*flen = off;
}

/* Cut points for truncated copies: inside every header of the usual stacks. */
static const size_t cuts[] = {
	14, 15, 16, 17, 18, 20, 22, 23, 24, 26, 27, 29, 30, 31, 33, 34, 35, 36, 37, 38, 39,
	40, 41, 42, 44, 46, 47, 48, 50, 52, 54, 55, 57, 58, 60, 62, 66, 70, 74, 78, 90,
};

static void gen_synthetic(void)
{
	static uint8_t f[MAX_FRAME];
	char kind[40];
	size_t len;

	for (int i = 0; i < 8; i++)
		assert_int_equal(inet_pton(AF_INET6, v6names[i], v6addrs[i]), 1);

	for (int i = 0; i < 2400; i++) {
		memset(f, 0, sizeof(f));
		if (rnd(8))
			gen_ip(f, &len, kind, sizeof(kind));
		else
			gen_other(f, &len, kind, sizeof(kind));
		if (len < 60 && rnd(2)) /* Ethernet padding, as on the wire */
			len = 60;
		add_pkt(f, len, "syn#%d %s", i, kind);
		/* Truncated copies of some, at a few cut points each. */
		if (i % 4 == 0) {
			for (int c = 0; c < 4; c++) {
				size_t cut = cuts[rnd(sizeof(cuts) / sizeof(cuts[0]))];

				if (cut < len)
					add_pkt(f, cut, "syn#%d %s cut %zu", i, kind, cut);
			}
		}
		/* Big copies: padded after the headers (the lengths in them stay). */
		if (i % 50 == 0) {
			static const size_t big[] = { 1514, 1518, 3000, 3520, 4000, 9000 };
			size_t b = big[rnd(sizeof(big) / sizeof(big[0]))];

			if (b > len)
				memset(f + len, 0xa5, b - len);
			add_pkt(f, b, "syn#%d %s padded %zu", i, kind, b);
		}
	}
	/* Shorter than an Ethernet header: no test run takes them. */
	for (len = 1; len < ETH_LEN; len++)
		add_pkt(f, len, "short %zu", len);
}

/* The Ethernet frames of every capture in dir; returns how many were read. */
static size_t read_captures(const char *dir, const char *tag)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct dirent **names;
	size_t total = 0;
	int n = scandir(dir, &names, NULL, alphasort);

	if (n < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t l = strlen(name);
		char path[4096];
		struct pcap_pkthdr *h;
		const u_char *data;
		pcap_t *p;
		int no = 0;

		if (!((l > 5 && !strcmp(name + l - 5, ".pcap")) ||
		      (l > 7 && !strcmp(name + l - 7, ".pcapng")))) {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		p = pcap_open_offline(path, errbuf);
		if (p && pcap_datalink(p) == DLT_EN10MB) {
			while (pcap_next_ex(p, &h, &data) == 1) {
				add_pkt(data, h->caplen, "%s:%s#%d", tag, name, ++no);
				total++;
			}
		}
		if (p)
			pcap_close(p);
		free(names[i]);
	}
	free(names);
	return total;
}

/* pcapgen's rule captures, written to a temporary directory and read back. */
static size_t read_pcapgen(void)
{
	char dir[] = "/tmp/nasoone-cbpf.XXXXXX", cmd[256];
	size_t total = 0;
	struct dirent *d;
	DIR *dp;

	if (access(CBPF_PCAPGEN, X_OK) || !mkdtemp(dir))
		return 0;
	snprintf(cmd, sizeof(cmd), "%s rules %s >/dev/null 2>&1", CBPF_PCAPGEN, dir);
	if (system(cmd) == 0)
		total = read_captures(dir, "pcapgen");
	dp = opendir(dir);
	while (dp && (d = readdir(dp))) {
		char path[300];

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		unlink(path);
	}
	if (dp)
		closedir(dp);
	rmdir(dir);
	return total;
}

/* ---- BPF side ------------------------------------------------------------------- */

struct ctxinfo {
	const char *name;
	enum cbpf_ctx ctx;
	int accept_code;
	int array_fd;	    /* NN_PROG_ACCOUNT holds the accounting program */
	int empty_array_fd; /* nothing at NN_PROG_ACCOUNT: the tail call fails */
	int account_fd;
	uint32_t max_len; /* longest frame the test run gives the program whole */
	unsigned long compared, skipped_short, skipped_l3, skipped_big;
};

static struct ctxinfo cx[2] = {
	{ .name = "XDP", .ctx = CBPF_CTX_XDP, .accept_code = XDP_ACCEPT_CODE },
	{ .name = "TC", .ctx = CBPF_CTX_TC, .accept_code = TC_ACCEPT_CODE },
};

static const char *bpf_unavailable; /* why the BPF tests skip, or NULL */
static char bpf_unavailable_buf[256];

static int test_run(int fd, const uint8_t *data, uint32_t len, uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = len, .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &opts))
		return -errno;
	*retval = opts.retval;
	return 0;
}

/* r0 = code; exit: what the filter's accept path reaches. */
static int load_account(enum cbpf_ctx ctx, int code)
{
	struct ebpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = code },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char err[256];

	return cbpf_load(ctx, insns, 2, err, sizeof(err));
}

/*
 * The longest frame a test run hands over whole: XDP puts the rest of a
 * bigger one in fragments (found with a program that returns
 * data_end - data), TC refuses it (found by bisection).
 */
static uint32_t probe_max_len(struct ctxinfo *c)
{
	static uint8_t big[65535];
	uint32_t lo = ETH_LEN, hi = sizeof(big), r;

	if (c->ctx == CBPF_CTX_XDP) {
		struct ebpf_insn insns[] = {
			{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 2, .src_reg = 1, .off = 0 },
			{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 0, .src_reg = 1, .off = 4 },
			{ .code = BPF_ALU64 | BPF_SUB | BPF_X, .dst_reg = 0, .src_reg = 2 },
			{ .code = BPF_JMP | BPF_EXIT },
		};
		char err[256];
		int fd = cbpf_load(c->ctx, insns, 4, err, sizeof(err));

		if (fd >= 0 && !test_run(fd, big, sizeof(big), &r)) {
			close(fd);
			return r;
		}
		if (fd >= 0)
			close(fd);
		return 4096 - 256 - 320; /* page - XDP headroom - skb_shared_info */
	}
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;

		if (!test_run(c->account_fd, big, mid, &r))
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static int group_setup(void **state)
{
	size_t corpus, gen;

	(void)state;
	setvbuf(stdout, NULL, _IOLBF, 0);
	dedup = calloc((size_t)1 << DEDUP_BITS, sizeof(*dedup));
	assert_non_null(dedup);
	gen_synthetic();
	corpus = read_captures(CBPF_CORPUS_DIR, "corpus");
	gen = read_pcapgen();
	printf("[ INFO     ] %zu distinct packets: synthetic, %zu corpus frames (%s), "
	       "%zu pcapgen frames\n",
	       npkts, corpus, CBPF_CORPUS_DIR, gen);

	for (int i = 0; i < 2; i++) {
		struct ctxinfo *c = &cx[i];
		__u32 key = NN_PROG_ACCOUNT;

		c->array_fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "cbpf_test", 4, 4, 2, NULL);
		c->empty_array_fd =
			bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "cbpf_empty", 4, 4, 2, NULL);
		c->account_fd = load_account(c->ctx, c->accept_code);
		if (c->array_fd < 0 || c->empty_array_fd < 0 || c->account_fd < 0) {
			int e = c->array_fd < 0		? c->array_fd
				: c->empty_array_fd < 0 ? c->empty_array_fd
							: c->account_fd;

			snprintf(bpf_unavailable_buf, sizeof(bpf_unavailable_buf),
				 "cannot create BPF maps or load programs: %s%s", strerror(-e),
				 e == -EPERM ? " (needs CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON)" : "");
			bpf_unavailable = bpf_unavailable_buf;
			if (e != -EPERM)
				fail_msg("%s", bpf_unavailable);
			printf("[ INFO     ] BPF tests skip: %s\n", bpf_unavailable);
			return 0;
		}
		assert_int_equal(bpf_map_update_elem(c->array_fd, &key, &c->account_fd, BPF_ANY),
				 0);
		c->max_len = probe_max_len(c);
		printf("[ INFO     ] %s: test runs take frames of %d to %u bytes whole\n", c->name,
		       ETH_LEN, c->max_len);
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	printf("[ INFO     ] (expression or program, packet) pairs compared: XDP %lu, TC %lu, "
	       "total %lu\n",
	       cx[0].compared, cx[1].compared, cx[0].compared + cx[1].compared);
	printf("[ INFO     ] pairs not run: XDP %lu under 14 bytes, %lu beyond one page; TC %lu "
	       "under 14 bytes, %lu with a short IPv4/IPv6 header, %lu too big\n",
	       cx[0].skipped_short, cx[0].skipped_big, cx[1].skipped_short, cx[1].skipped_l3,
	       cx[1].skipped_big);
	for (int i = 0; i < 2; i++) {
		if (cx[i].account_fd >= 0)
			close(cx[i].account_fd);
		if (cx[i].array_fd >= 0)
			close(cx[i].array_fd);
		if (cx[i].empty_array_fd >= 0)
			close(cx[i].empty_array_fd);
	}
	for (size_t i = 0; i < npkts; i++)
		free(pkts[i].data);
	free(pkts);
	free(dedup);
	return 0;
}

#define SKIP_WITHOUT_BPF()                                                                         \
	do {                                                                                       \
		if (bpf_unavailable) {                                                             \
			print_message("skipped: %s\n", bpf_unavailable);                           \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/*
 * TC test runs refuse an untagged IPv4 or IPv6 frame shorter than its
 * fixed L3 header (the kernel reads addresses from it): 34 and 54 bytes.
 */
static bool tc_runnable(const struct ctxinfo *c, const struct pkt *p)
{
	uint16_t type = (uint16_t)(p->data[12] << 8 | p->data[13]);

	if (c->ctx != CBPF_CTX_TC)
		return true;
	return !(type == 0x0800 && p->len < ETH_LEN + 20) &&
	       !(type == 0x86dd && p->len < ETH_LEN + 40);
}

static void hexdump(const uint8_t *p, uint32_t len)
{
	uint32_t n = len < 96 ? len : 96;

	for (uint32_t i = 0; i < n; i++)
		printf("%02x%s", p[i], i % 16 == 15 || i + 1 == n ? "\n" : " ");
}

/*
 * Run every packet through fd and compare with the oracle; returns the
 * number of mismatches (the first few printed).
 */
static unsigned long compare_every(struct ctxinfo *c, int fd, const struct bpf_program *oracle,
				   int pass, const char *name, size_t stride)
{
	unsigned long bad = 0, accepted = 0, compared = 0;

	for (size_t i = 0; i < npkts; i += stride) {
		const struct pkt *p = &pkts[i];
		struct pcap_pkthdr h = { .caplen = p->len, .len = p->len };
		bool want, got;
		uint32_t r = 0;
		int err;

		if (p->len < ETH_LEN) {
			c->skipped_short++;
			continue;
		}
		if (p->len > c->max_len) {
			c->skipped_big++;
			continue;
		}
		if (!tc_runnable(c, p)) {
			c->skipped_l3++;
			continue;
		}
		want = pcap_offline_filter(oracle, &h, p->data) != 0;
		err = test_run(fd, p->data, p->len, &r);
		if (err)
			fail_msg("%s \"%s\": test run of %s (%u bytes): %s", c->name, name, p->what,
				 p->len, strerror(-err));
		if ((int)r != c->accept_code && (int)r != pass)
			fail_msg("%s \"%s\": %s returned %d", c->name, name, p->what, (int)r);
		got = (int)r == c->accept_code;
		compared++;
		accepted += got;
		if (got != want && ++bad <= MAX_MISMATCHES) {
			printf("MISMATCH %s \"%s\": %s (%u bytes): libpcap %s, eBPF %s\n", c->name,
			       name, p->what, p->len, want ? "accepts" : "rejects",
			       got ? "accepts" : "rejects");
			hexdump(p->data, p->len);
		}
	}
	c->compared += compared;
	if (getenv("CBPF_VERBOSE"))
		printf("    %-4s %-50s %6lu/%lu accepted\n", c->name, name, accepted, compared);
	return bad;
}

static unsigned long compare_all(struct ctxinfo *c, int fd, const struct bpf_program *oracle,
				 int pass, const char *name)
{
	return compare_every(c, fd, oracle, pass, name, 1);
}

/* ---- Expressions ------------------------------------------------------------ */

static const char *const exprs[] = {
	/* The required table. */
	"host 10.0.0.1",
	"src host 10.0.0.1",
	"dst net 10.0.0.0/8",
	"net 2001:db8::/32",
	"port 53",
	"src port 1024",
	"portrange 1000-2000",
	"tcp",
	"udp",
	"ip",
	"ip6",
	"proto 17",
	"vlan",
	"vlan 10",
	"vlan and host 10.0.0.1",
	"tcp and not port 22",
	"(tcp or udp) and port 443",
	"ip[8] = 64",
	"tcp[tcpflags] & tcp-syn != 0",
	"ether host 00:11:22:33:44:55",
	"greater 1000",
	"less 100",
	"ip and udp and dst port 4789",
	"ip6 and tcp",
	"not ip",
	"arp",
	/* More of what libpcap emits: arithmetic, X, memory, lengths, big offsets. */
	"",
	"rarp",
	"icmp",
	"icmp6",
	"sctp",
	"ip proto 47",
	"ip6 proto 44",
	"ip6[6] = 17",
	"ether broadcast",
	"ether multicast",
	"ip multicast",
	"ether src 00:11:22:33:44:55",
	"ether dst ff:ff:ff:ff:ff:ff and arp",
	"ether proto 0x88cc",
	"net 10.0.0.0 mask 255.0.0.0",
	"src net 192.168.0.0/16 or dst port 22",
	"ip6 dst host 2001:db8::1",
	"host ::ffff:10.0.0.1",
	"dst portrange 1-1023",
	"udp port 53 and ip6",
	"vlan 20 and tcp",
	"vlan and vlan",
	"vlan 100 and vlan 10",
	"vlan and vlan and vlan and udp",
	"mpls",
	"mpls and ip",
	"pppoes",
	"pppoes and tcp port 443",
	"geneve",
	"ip and udp and dst port 6081 and udp[8:2] = 0",
	"ip[6:2] & 0x1fff != 0",
	"ip[6] & 0x20 != 0",
	"ip[0] & 0xf != 5",
	"ip[0] & 0xf > 5 and tcp",
	"len >= 64",
	"len = 60",
	"len - 14 > 100",
	"len >> ip[0] = 0",
	"len << ip[9] != 0",
	"ip[2:2] % 7 = 3",
	"ip[2:2] / 4 > 100",
	"ip[2:2] * 2 > 1000",
	"-ip[8] = -64",
	"ip[0] << 2 = 0x114",
	"ip[0] >> 4 = 4",
	"ip[6] ^ 0x40 = 0",
	"ip[1] | 3 = 3",
	"ip[2:2] & ip[6:2] != 0",
	"ip[0] - ip[8] > 10",
	"ip[0] + ip[8] > 100",
	"ip[0] * ip[8] > 1000",
	"ip[0] ^ ip[1] = 0x45",
	"tcp[13] & 0x12 = 0x12",
	"tcp[tcpflags] = tcp-ack",
	"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
	"tcp port 80 and (((ip[2:2] - ((ip[0]&0xf)<<2)) - ((tcp[12]&0xf0)>>2)) != 0)",
	"udp[8:4] = 0",
	"icmp[icmptype] = icmp-echo",
	"ether[100000] = 1",
	"ether[65533:2] = 0 or arp",
	"ether[65534:2] = 0 or arp",
	"ip[65000] = 0 or tcp",
	"ether[1500:4] != 0",
	"ether[3000] = 0xa5",
	"ip host 10.0.0.1 and ip host 10.0.0.2",
	"not (host 10.0.0.1 or host 2001:db8::1) and (tcp or udp)",
};

#define NEXPRS (sizeof(exprs) / sizeof(exprs[0]))

static void compare_exprs(struct ctxinfo *c)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, SNAPLEN);
	unsigned long before = c->compared, bad = 0;

	assert_non_null(dead);
	for (size_t e = 0; e < NEXPRS; e++) {
		/* TC's pass verdict is the caller's: try both usual ones. */
		int pass = c->ctx == CBPF_CTX_XDP ? XDP_PASS_CODE : e % 2 ? TCX_NEXT : TC_OK;
		struct bpf_program oracle;
		char err[512];
		int fd;

		if (pcap_compile(dead, &oracle, exprs[e], 1, PCAP_NETMASK_UNKNOWN))
			fail_msg("libpcap cannot compile \"%s\": %s", exprs[e], pcap_geterr(dead));
		fd = cbpf_load_filter(exprs[e], c->ctx, c->array_fd, pass, err, sizeof(err));
		if (fd < 0)
			fail_msg("%s \"%s\": %s (%s)", c->name, exprs[e], err, strerror(-fd));
		bad += compare_all(c, fd, &oracle, pass, exprs[e]);
		close(fd);
		pcap_freecode(&oracle);
	}
	pcap_close(dead);
	printf("[ INFO     ] %s: %zu expressions x %zu packets: %lu pairs compared, %lu "
	       "mismatches\n",
	       c->name, NEXPRS, npkts, c->compared - before, bad);
	assert_int_equal(bad, 0);
}

static void test_expressions_xdp(void **state)
{
	(void)state;
	SKIP_WITHOUT_BPF();
	compare_exprs(&cx[0]);
}

static void test_expressions_tc(void **state)
{
	(void)state;
	SKIP_WITHOUT_BPF();
	compare_exprs(&cx[1]);
}

/* No expression compiled for a dead Ethernet handle loads ancillary data. */
static void test_no_ancillary_loads(void **state)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, SNAPLEN);

	(void)state;
	assert_non_null(dead);
	for (size_t e = 0; e < NEXPRS; e++) {
		struct bpf_program fp;

		assert_int_equal(pcap_compile(dead, &fp, exprs[e], 1, PCAP_NETMASK_UNKNOWN), 0);
		for (u_int i = 0; i < fp.bf_len; i++) {
			u_short cl = BPF_CLASS(fp.bf_insns[i].code),
				mode = BPF_MODE(fp.bf_insns[i].code);

			if ((cl == BPF_LD || cl == BPF_LDX) &&
			    (mode == BPF_ABS || mode == BPF_IND || mode == BPF_MSH) &&
			    fp.bf_insns[i].k >= 0xffe00000u)
				fail_msg("\"%s\": insn %u loads at %#x", exprs[e], i,
					 fp.bf_insns[i].k);
		}
		pcap_freecode(&fp);
	}
	pcap_close(dead);
}

/* ---- Hand-made classic programs ----------------------------------------------- */

#define S(c, k)		BPF_STMT((c), (k))
#define J(c, k, jt, jf) BPF_JUMP((c), (k), (jt), (jf))
#define PROG(name, ...)                                                                            \
	{                                                                                          \
		name, (struct bpf_insn[]){ __VA_ARGS__ },                                          \
			sizeof((struct bpf_insn[]){ __VA_ARGS__ }) / sizeof(struct bpf_insn)       \
	}

struct handmade {
	const char *name;
	struct bpf_insn *insns;
	u_int len;
};

/* X = the byte at xoff, A = the word at 26 (IPv4 source): A op X; ret A. */
#define ALU_X(op, xoff)                                                                            \
	PROG("A " #op " X[" #xoff "]", S(BPF_LD | BPF_B | BPF_ABS, xoff),                          \
	     S(BPF_MISC | BPF_TAX, 0), S(BPF_LD | BPF_W | BPF_ABS, 26),                            \
	     S(BPF_ALU | op | BPF_X, 0), S(BPF_RET | BPF_A, 0))
#define ALU_K(op, k)                                                                               \
	PROG("A " #op " " #k, S(BPF_LD | BPF_W | BPF_ABS, 26), S(BPF_ALU | op | BPF_K, k),         \
	     S(BPF_RET | BPF_A, 0))
#define JMP_X(op, xoff)                                                                            \
	PROG("A " #op " X[" #xoff "]", S(BPF_LD | BPF_B | BPF_ABS, xoff),                          \
	     S(BPF_MISC | BPF_TAX, 0), S(BPF_LD | BPF_B | BPF_ABS, 22),                            \
	     J(BPF_JMP | op | BPF_X, 0, 0, 1), S(BPF_RET | BPF_K, 1), S(BPF_RET | BPF_K, 0))

static struct handmade handmade[] = {
	ALU_X(BPF_ADD, 23),
	ALU_X(BPF_SUB, 22),
	ALU_X(BPF_MUL, 19),
	ALU_X(BPF_DIV, 23),
	ALU_X(BPF_DIV, 15), /* often 0 */
	ALU_X(BPF_MOD, 23),
	ALU_X(BPF_MOD, 19), /* often 0 */
	ALU_X(BPF_AND, 23),
	ALU_X(BPF_OR, 30),
	ALU_X(BPF_XOR, 21),
	ALU_X(BPF_LSH, 23), /* 6, 17, 58: and 32 and up */
	ALU_X(BPF_RSH, 22), /* TTLs 1 to 255 */
	ALU_X(BPF_LSH, 30),
	ALU_X(BPF_RSH, 34),
	ALU_K(BPF_ADD, 0xffffffff),
	ALU_K(BPF_SUB, 0x0a000001),
	ALU_K(BPF_MUL, 0x9e3779b9),
	ALU_K(BPF_DIV, 7),
	ALU_K(BPF_DIV, 0x80000000),
	ALU_K(BPF_MOD, 10),
	ALU_K(BPF_MOD, 0xfffffffe),
	ALU_K(BPF_AND, 0xf0f0f0f0),
	ALU_K(BPF_OR, 0),
	ALU_K(BPF_XOR, 0x0a000001),
	ALU_K(BPF_LSH, 31),
	ALU_K(BPF_RSH, 31),
	ALU_K(BPF_RSH, 0),
	PROG("neg", S(BPF_LD | BPF_B | BPF_ABS, 22), S(BPF_ALU | BPF_NEG, 0),
	     J(BPF_JMP | BPF_JGT | BPF_K, 0xffffff80, 0, 1), S(BPF_RET | BPF_K, 1),
	     S(BPF_RET | BPF_K, 0)),
	JMP_X(BPF_JEQ, 23),
	JMP_X(BPF_JGT, 23),
	JMP_X(BPF_JGE, 29),
	JMP_X(BPF_JSET, 23),
	PROG("jset k both ways", S(BPF_LD | BPF_H | BPF_ABS, 12),
	     J(BPF_JMP | BPF_JSET | BPF_K, 0x0800, 2, 0),
	     J(BPF_JMP | BPF_JSET | BPF_K, 0x8000, 0, 2), S(BPF_RET | BPF_K, 0),
	     S(BPF_RET | BPF_K, 7), S(BPF_RET | BPF_K, 9)),
	PROG("ret A of a length", S(BPF_LD | BPF_W | BPF_LEN, 0),
	     S(BPF_ALU | BPF_AND | BPF_K, 0x40), S(BPF_RET | BPF_A, 0)),
	PROG("ldx len, txa", S(BPF_LDX | BPF_W | BPF_LEN, 0), S(BPF_MISC | BPF_TXA, 0),
	     J(BPF_JMP | BPF_JGT | BPF_K, 100, 0, 1), S(BPF_RET | BPF_K, 1), S(BPF_RET | BPF_K, 0)),
	PROG("scratch memory M[0,3,7,8,15]", S(BPF_LD | BPF_W | BPF_ABS, 0), S(BPF_ST, 0),
	     S(BPF_LD | BPF_W | BPF_ABS, 4), S(BPF_ST, 15), S(BPF_LDX | BPF_W | BPF_IMM, 3),
	     S(BPF_STX, 7), S(BPF_LD | BPF_H | BPF_ABS, 12), S(BPF_ST, 8), S(BPF_LD | BPF_MEM, 0),
	     S(BPF_LDX | BPF_MEM, 15), S(BPF_ALU | BPF_XOR | BPF_X, 0), S(BPF_LDX | BPF_MEM, 7),
	     S(BPF_ALU | BPF_ADD | BPF_X, 0), S(BPF_LDX | BPF_MEM, 8),
	     S(BPF_ALU | BPF_SUB | BPF_X, 0), S(BPF_ST, 3), S(BPF_LD | BPF_MEM, 3),
	     S(BPF_ALU | BPF_AND | BPF_K, 0x10001), S(BPF_RET | BPF_A, 0)),
	PROG("msh then indexed word", S(BPF_LDX | BPF_MSH | BPF_B, 14),
	     S(BPF_LD | BPF_W | BPF_IND, 14), S(BPF_RET | BPF_A, 0)),
	PROG("indexed load, X + k wraps", S(BPF_LDX | BPF_IMM, 0xfffffff8),
	     S(BPF_LD | BPF_B | BPF_IND, 30), S(BPF_ALU | BPF_OR | BPF_K, 1),
	     S(BPF_RET | BPF_A, 0)),
	PROG("indexed load, huge k", S(BPF_LDX | BPF_IMM, 8),
	     S(BPF_LD | BPF_H | BPF_IND, 0x80000000), S(BPF_ALU | BPF_OR | BPF_K, 1),
	     S(BPF_RET | BPF_A, 0)),
	PROG("indexed load, X from the packet", S(BPF_LD | BPF_H | BPF_ABS, 16),
	     S(BPF_ALU | BPF_RSH | BPF_K, 4), S(BPF_MISC | BPF_TAX, 0),
	     S(BPF_LD | BPF_H | BPF_IND, 0), S(BPF_ALU | BPF_OR | BPF_K, 1), S(BPF_RET | BPF_A, 0)),
	PROG("absolute load at 0xfffb", S(BPF_LD | BPF_W | BPF_ABS, 0xfffb), S(BPF_RET | BPF_K, 1)),
	PROG("absolute load at 0xfffc", S(BPF_LD | BPF_W | BPF_ABS, 0xfffc), S(BPF_RET | BPF_K, 1)),
	PROG("absolute load at 0x7fffffff", S(BPF_LD | BPF_B | BPF_ABS, 0x7fffffff),
	     S(BPF_RET | BPF_K, 1)),
	PROG("msh at 0x10000", S(BPF_LDX | BPF_MSH | BPF_B, 0x10000), S(BPF_RET | BPF_K, 1)),
	PROG("unreachable code skipped", S(BPF_LD | BPF_H | BPF_ABS, 12), S(BPF_JMP | BPF_JA, 3),
	     S(BPF_LD | BPF_MEM, 5), S(BPF_ALU | BPF_DIV | BPF_X, 0), S(BPF_RET | BPF_A, 0),
	     J(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, 1), S(BPF_RET | BPF_K, 0x40000),
	     S(BPF_RET | BPF_K, 0)),
	PROG("same target both ways", S(BPF_LD | BPF_B | BPF_ABS, 0),
	     J(BPF_JMP | BPF_JEQ | BPF_K, 2, 1, 1), S(BPF_RET | BPF_K, 0), S(BPF_RET | BPF_K, 1)),
	PROG("ret A zero", S(BPF_LD | BPF_IMM, 0), S(BPF_RET | BPF_A, 0)),
	PROG("ret 0", S(BPF_RET | BPF_K, 0)),
	PROG("ret -1", S(BPF_RET | BPF_K, 0xffffffff)),
};

#define NHANDMADE (sizeof(handmade) / sizeof(handmade[0]))

static void test_handmade(void **state)
{
	(void)state;
	SKIP_WITHOUT_BPF();
	for (int i = 0; i < 2; i++) {
		struct ctxinfo *c = &cx[i];
		int pass = c->ctx == CBPF_CTX_XDP ? XDP_PASS_CODE : TC_OK;
		unsigned long before = c->compared, bad = 0;

		for (size_t h = 0; h < NHANDMADE; h++) {
			struct bpf_program prog = { handmade[h].len, handmade[h].insns };
			struct ebpf_insn *insns;
			size_t count;
			char err[512];
			int fd, ret;

			ret = cbpf_translate(&prog, c->ctx, c->array_fd, pass, &insns, &count, err,
					     sizeof(err));
			if (ret)
				fail_msg("%s \"%s\": %s", c->name, handmade[h].name, err);
			fd = cbpf_load(c->ctx, insns, count, err, sizeof(err));
			free(insns);
			if (fd < 0)
				fail_msg("%s \"%s\": %s", c->name, handmade[h].name, err);
			bad += compare_all(c, fd, &prog, pass, handmade[h].name);
			close(fd);
		}
		printf("[ INFO     ] %s: %zu hand-made programs: %lu pairs compared, %lu "
		       "mismatches\n",
		       c->name, NHANDMADE, c->compared - before, bad);
		assert_int_equal(bad, 0);
	}
}

/*
 * Programs libpcap would run off the end of (a jump to the end, a last
 * instruction that is not a return): cBPF returns 0 there, so must we.
 */
static void test_off_the_end_rejects(void **state)
{
	struct bpf_insn jump_end[] = { S(BPF_LD | BPF_B | BPF_ABS, 0),
				       J(BPF_JMP | BPF_JEQ | BPF_K, 2, 1, 0),
				       S(BPF_RET | BPF_K, 1) };
	struct bpf_insn no_ret[] = { S(BPF_LD | BPF_B | BPF_ABS, 0) };
	struct bpf_insn ja_end[] = { S(BPF_JMP | BPF_JA, 0) };
	struct bpf_program progs[] = { { 3, jump_end }, { 1, no_ret }, { 1, ja_end } };
	uint8_t frame[64];

	(void)state;
	SKIP_WITHOUT_BPF();
	for (int i = 0; i < 2; i++) {
		int pass = i ? TCX_NEXT : XDP_PASS_CODE;

		for (size_t p = 0; p < sizeof(progs) / sizeof(progs[0]); p++) {
			struct ebpf_insn *insns;
			size_t count;
			char err[512];
			uint32_t r = 0;
			int fd;

			assert_int_equal(cbpf_translate(&progs[p], cx[i].ctx, cx[i].array_fd, pass,
							&insns, &count, err, sizeof(err)),
					 0);
			fd = cbpf_load(cx[i].ctx, insns, count, err, sizeof(err));
			free(insns);
			if (fd < 0)
				fail_msg("%s program %zu: %s", cx[i].name, p, err);
			for (int b = 0; b < 4; b++) {
				memset(frame, b, sizeof(frame));
				assert_int_equal(test_run(fd, frame, sizeof(frame), &r), 0);
				/* Only a first byte other than 2 reaches "ret #1". */
				assert_int_equal((int)r,
						 p == 0 && b != 2 ? cx[i].accept_code : pass);
			}
			close(fd);
		}
	}
}

/*
 * TC's loads past the linear part of an skb go through bpf_skb_load_bytes(),
 * but a test run's skb is all linear, so that path only ever fails there.
 * Send every load down it: the direct path's "r4 = r2; r4 += size;
 * if r4 > r3 (data_end) goto slow" becomes "r4 = 0; r4 += size; if r4 != 0
 * goto slow", always taken, and known to be by the verifier, which then
 * drops the direct load as dead code.
 */
static size_t force_slow_loads(struct ebpf_insn *insns, size_t count)
{
	size_t n = 0;

	for (size_t i = 2; i < count; i++) {
		struct ebpf_insn *in = &insns[i], *mov = &insns[i - 2];

		if (in->code == (BPF_JMP | BPF_JGT | BPF_X) && in->dst_reg == BPF_REG_4 &&
		    in->src_reg == BPF_REG_3 && mov->code == (BPF_ALU64 | BPF_MOV | BPF_X) &&
		    mov->dst_reg == BPF_REG_4 &&
		    insns[i - 1].code == (BPF_ALU64 | BPF_ADD | BPF_K)) {
			*mov = (struct ebpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K,
						   .dst_reg = BPF_REG_4 };
			in->code = BPF_JMP | BPF_JNE | BPF_K;
			in->src_reg = 0;
			in->imm = 0;
			n++;
		}
	}
	return n;
}

static void test_tc_slow_loads(void **state)
{
	struct ctxinfo *c = &cx[1];
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, SNAPLEN);
	unsigned long before = c->compared, bad = 0;
	size_t patched = 0;

	(void)state;
	SKIP_WITHOUT_BPF();
	assert_non_null(dead);
	for (size_t e = 0; e < NEXPRS + NHANDMADE; e++) {
		struct bpf_program expr_prog, *prog = &expr_prog;
		const char *name;
		struct ebpf_insn *insns;
		size_t count;
		char err[512];
		int fd;

		if (e < NEXPRS) {
			name = exprs[e];
			assert_int_equal(pcap_compile(dead, prog, name, 1, PCAP_NETMASK_UNKNOWN),
					 0);
		} else {
			name = handmade[e - NEXPRS].name;
			expr_prog.bf_len = handmade[e - NEXPRS].len;
			expr_prog.bf_insns = handmade[e - NEXPRS].insns;
		}
		assert_int_equal(cbpf_translate(prog, c->ctx, c->array_fd, TC_OK, &insns, &count,
						err, sizeof(err)),
				 0);
		patched += force_slow_loads(insns, count);
		fd = cbpf_load(c->ctx, insns, count, err, sizeof(err));
		free(insns);
		if (fd < 0)
			fail_msg("TC slow loads \"%s\": %s", name, err);
		/* Every other packet: the direct path has had them all already. */
		bad += compare_every(c, fd, prog, TC_OK, name, 2);
		close(fd);
		if (e < NEXPRS)
			pcap_freecode(prog);
	}
	pcap_close(dead);
	printf("[ INFO     ] TC, every load through bpf_skb_load_bytes() (%zu loads): %lu pairs "
	       "compared, %lu mismatches\n",
	       patched, c->compared - before, bad);
	assert_true(patched > 0);
	assert_int_equal(bad, 0);
}

/* ---- Long programs: 32-bit jumps ------------------------------------------ */

/*
 * A hand-made chain of blocks "load; jeq #v, 0, 1; ja ACCEPT" long enough
 * for jumps beyond 16-bit offsets (libpcap's optimizer would take minutes
 * to compile an expression that long). The first blocks match often
 * (IPv6, UDP), so the farthest jumps are taken; the middle ones compare
 * with random words, the last ones with 10.0.0.1 at the IPv4 addresses.
 */
static void test_long_jumps(void **state)
{
	const u_int nblocks = 5000, n = 3 * nblocks + 2;
	struct bpf_insn *in = calloc(n, sizeof(*in));
	struct bpf_program prog = { n, in };

	(void)state;
	SKIP_WITHOUT_BPF();
	assert_non_null(in);
	for (u_int b = 0; b < nblocks; b++) {
		struct bpf_insn *blk = &in[3 * b];
		u_int accept = n - 1, ja_at = 3 * b + 2;

		if (b == 0) {
			blk[0] = (struct bpf_insn)S(BPF_LD | BPF_H | BPF_ABS, 12);
			blk[1] = (struct bpf_insn)J(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 0, 1);
		} else if (b == 1) {
			blk[0] = (struct bpf_insn)S(BPF_LD | BPF_B | BPF_ABS, 23);
			blk[1] = (struct bpf_insn)J(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 1);
		} else if (b >= nblocks - 2) {
			blk[0] = (struct bpf_insn)S(BPF_LD | BPF_W | BPF_ABS, b & 1 ? 26 : 30);
			blk[1] = (struct bpf_insn)J(BPF_JMP | BPF_JEQ | BPF_K, 0x0a000001, 0, 1);
		} else {
			blk[0] = (struct bpf_insn)S(BPF_LD | BPF_W | BPF_ABS, 14 + b % 64);
			blk[1] = (struct bpf_insn)J(BPF_JMP | BPF_JEQ | BPF_K, 0x5a000000u + b, 0,
						    1);
		}
		blk[2] = (struct bpf_insn)S(BPF_JMP | BPF_JA, accept - ja_at - 1);
	}
	in[n - 2] = (struct bpf_insn)S(BPF_RET | BPF_K, 0);
	in[n - 1] = (struct bpf_insn)S(BPF_RET | BPF_K, SNAPLEN);

	for (int i = 0; i < 2; i++) {
		struct ctxinfo *c = &cx[i];
		int pass = c->ctx == CBPF_CTX_XDP ? XDP_PASS_CODE : TC_OK;
		struct ebpf_insn *insns;
		size_t count, gotol = 0;
		char err[512];
		int fd;

		assert_int_equal(cbpf_translate(&prog, c->ctx, c->array_fd, pass, &insns, &count,
						err, sizeof(err)),
				 0);
		for (size_t j = 0; j < count; j++)
			gotol += insns[j].code == (BPF_JMP32 | BPF_JA);
		printf("[ INFO     ] %s: %u cBPF -> %zu eBPF instructions, %zu gotol\n", c->name, n,
		       count, gotol);
		assert_true(count > INT16_MAX);
		assert_true(gotol > 0);
		fd = cbpf_load(c->ctx, insns, count, err, sizeof(err));
		free(insns);
		if (fd < 0)
			fail_msg("%s: %s", c->name, err);
		assert_int_equal(compare_all(c, fd, &prog, pass, "long chain"), 0);
		close(fd);
	}
	free(in);
}

/* ---- Tail call, errors -------------------------------------------------------- */

/* An empty NN_PROG_ACCOUNT slot: accepted packets get the pass verdict too. */
static void test_tail_call_fails(void **state)
{
	(void)state;
	SKIP_WITHOUT_BPF();
	for (int i = 0; i < 2; i++) {
		int pass = i ? TCX_NEXT : XDP_PASS_CODE;
		char err[512];
		int fd = cbpf_load_filter("", cx[i].ctx, cx[i].empty_array_fd, pass, err,
					  sizeof(err));
		uint32_t r = 0;

		if (fd < 0)
			fail_msg("%s: %s", cx[i].name, err);
		for (size_t p = 0; p < npkts && p < 200; p++) {
			if (pkts[p].len < ETH_LEN || pkts[p].len > cx[i].max_len ||
			    !tc_runnable(&cx[i], &pkts[p]))
				continue;
			assert_int_equal(test_run(fd, pkts[p].data, pkts[p].len, &r), 0);
			assert_int_equal((int)r, pass);
		}
		close(fd);
	}
}

struct refused {
	const char *name;
	struct bpf_insn insns[4];
	u_int len;
	const char *why; /* in the error message */
};

static void test_refused_programs(void **state)
{
	static const struct refused cases[] = {
		{ "vlan tag present (ancillary)",
		  { S(BPF_LD | BPF_B | BPF_ABS, 0xfffff000u + 44), S(BPF_RET | BPF_A, 0) },
		  2,
		  "SKF_AD_OFF" },
		{ "SKF_NET_OFF",
		  { S(BPF_LD | BPF_B | BPF_ABS, 0xfff00000u + 9), S(BPF_RET | BPF_A, 0) },
		  2,
		  "SKF_NET_OFF" },
		{ "SKF_LL_OFF",
		  { S(BPF_LDX | BPF_MSH | BPF_B, 0xffe00000u), S(BPF_RET | BPF_K, 1) },
		  2,
		  "SKF_LL_OFF" },
		{ "indexed ancillary",
		  { S(BPF_LD | BPF_H | BPF_IND, 0xfffff000u), S(BPF_RET | BPF_K, 1) },
		  2,
		  "SKF_AD_OFF" },
		{ "div #0",
		  { S(BPF_LD | BPF_IMM, 1), S(BPF_ALU | BPF_DIV | BPF_K, 0),
		    S(BPF_RET | BPF_A, 0) },
		  3,
		  "division by constant zero" },
		{ "mod #0",
		  { S(BPF_LD | BPF_IMM, 1), S(BPF_ALU | BPF_MOD | BPF_K, 0),
		    S(BPF_RET | BPF_A, 0) },
		  3,
		  "division by constant zero" },
		{ "lsh #32",
		  { S(BPF_LD | BPF_IMM, 1), S(BPF_ALU | BPF_LSH | BPF_K, 32),
		    S(BPF_RET | BPF_A, 0) },
		  3,
		  "shift" },
		{ "M[16]", { S(BPF_LD | BPF_MEM, 16), S(BPF_RET | BPF_A, 0) }, 2, "M[0..15]" },
		{ "stx M[99]", { S(BPF_STX, 99), S(BPF_RET | BPF_K, 0) }, 2, "M[0..15]" },
		{ "unknown opcode", { S(0xff, 0), S(BPF_RET | BPF_K, 0) }, 2, "unknown opcode" },
		{ "ld half imm",
		  { S(BPF_LD | BPF_H | BPF_IMM, 0), S(BPF_RET | BPF_K, 0) },
		  2,
		  "unknown opcode" },
		{ "jump past the end",
		  { S(BPF_LD | BPF_IMM, 1), J(BPF_JMP | BPF_JEQ | BPF_K, 1, 5, 0),
		    S(BPF_RET | BPF_K, 0) },
		  3,
		  "past the end" },
		{ "ja past the end",
		  { S(BPF_JMP | BPF_JA, 5), S(BPF_RET | BPF_K, 0) },
		  2,
		  "past the end" },
		{ "backward ja",
		  { S(BPF_LD | BPF_IMM, 1), S(BPF_JMP | BPF_JA, 0xfffffffe),
		    S(BPF_RET | BPF_K, 0) },
		  3,
		  "backward jump" },
	};
	struct ebpf_insn *insns = NULL;
	size_t count = 0;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bpf_program prog = { cases[i].len, (struct bpf_insn *)cases[i].insns };

		for (int c = 0; c < 2; c++) {
			err[0] = '\0';
			assert_int_equal(cbpf_translate(&prog, cx[c].ctx, -1, 0, &insns, &count,
							err, sizeof(err)),
					 -EINVAL);
			if (!strstr(err, cases[i].why) || !strstr(err, "cBPF insn"))
				fail_msg("%s: \"%s\" does not say \"%s\"", cases[i].name, err,
					 cases[i].why);
		}
		if (i == 0)
			printf("[ INFO     ] e.g. %s\n", err);
	}
	/* An empty program, no program, a bad context. */
	{
		struct bpf_program empty = { 0, NULL },
				   one = { 1, (struct bpf_insn[]){ S(BPF_RET | BPF_K, 0) } };

		assert_int_equal(cbpf_translate(&empty, CBPF_CTX_XDP, -1, 2, &insns, &count, err,
						sizeof(err)),
				 -EINVAL);
		assert_int_equal(
			cbpf_translate(NULL, CBPF_CTX_XDP, -1, 2, &insns, &count, err, sizeof(err)),
			-EINVAL);
		assert_int_equal(cbpf_translate(&one, (enum cbpf_ctx)7, -1, 2, &insns, &count, err,
						sizeof(err)),
				 -EINVAL);
		/* err is optional. */
		assert_int_equal(
			cbpf_translate(&empty, CBPF_CTX_XDP, -1, 2, &insns, &count, NULL, 0),
			-EINVAL);
	}
}

static void test_filter_errors(void **state)
{
	char err[512];
	int fd;

	(void)state;
	/* Compile errors and untranslatable expressions need no BPF at all. */
	fd = cbpf_load_filter("host", CBPF_CTX_XDP, -1, XDP_PASS_CODE, err, sizeof(err));
	assert_int_equal(fd, -EINVAL);
	printf("[ INFO     ] \"host\": %s\n", err);
	assert_non_null(strstr(err, "syntax error"));

	fd = cbpf_load_filter("ip6 protochain 6", CBPF_CTX_TC, -1, TC_OK, err, sizeof(err));
	assert_int_equal(fd, -EINVAL);
	printf("[ INFO     ] \"ip6 protochain 6\": %s\n", err);
	assert_non_null(strstr(err, "backward jump"));

	fd = cbpf_load_filter(NULL, CBPF_CTX_TC, -1, TC_OK, err, sizeof(err));
	assert_int_equal(fd, -EINVAL);
}

/* The verifier's reason reaches err, on one line. */
static void test_verifier_message(void **state)
{
	struct ebpf_insn bad[] = {
		{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_0, .src_reg = BPF_REG_5 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct ebpf_insn *insns;
	size_t count;
	char err[512];
	int fd;

	(void)state;
	SKIP_WITHOUT_BPF();
	fd = cbpf_load(CBPF_CTX_XDP, bad, 2, err, sizeof(err));
	assert_true(fd < 0);
	printf("[ INFO     ] bad program: %s\n", err);
	assert_non_null(strstr(err, "verifier: "));
	assert_non_null(strstr(err, "R5"));
	assert_null(strchr(err, '\n'));

	/* A prog array owned by the other program type: refused after verification. */
	{
		struct bpf_program fp = { 1, (struct bpf_insn[]){ S(BPF_RET | BPF_K, 1) } };

		assert_int_equal(cbpf_translate(&fp, CBPF_CTX_TC, cx[0].array_fd, TC_OK, &insns,
						&count, err, sizeof(err)),
				 0);
		fd = cbpf_load(CBPF_CTX_TC, insns, count, err, sizeof(err));
		free(insns);
		assert_true(fd < 0);
		printf("[ INFO     ] TC filter on the XDP prog array: %s\n", err);
		assert_non_null(strstr(err, "expected_attach_type"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_programs),
		cmocka_unit_test(test_filter_errors),
		cmocka_unit_test(test_no_ancillary_loads),
		cmocka_unit_test(test_expressions_xdp),
		cmocka_unit_test(test_expressions_tc),
		cmocka_unit_test(test_handmade),
		cmocka_unit_test(test_tc_slow_loads),
		cmocka_unit_test(test_off_the_end_rejects),
		cmocka_unit_test(test_long_jumps),
		cmocka_unit_test(test_tail_call_fails),
		cmocka_unit_test(test_verifier_message),
	};

	return cmocka_run_group_tests_name("cbpf", tests, group_setup, group_teardown);
}
