/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `pcapgen sample FILE`: a small, plausible home-LAN capture (DNS, HTTPS over
 * IPv4 and IPv6, QUIC, NTP, SSH, HTTP, multicast chatter, ARP, LLDP, STP,
 * ICMPv6) for `make run`. Fixed seed and base time: the same bytes every run.
 */
#include <stdlib.h>
#include <string.h>

#include "pcapgen.h"

enum ev_kind {
	EV_PKT,
	EV_ARP,
	EV_LLDP,
	EV_STP,
	EV_NDP,
};

struct ev {
	uint64_t t;
	unsigned order; /* ties keep the order of creation */
	enum ev_kind kind;
	const struct pkt *p;
	bool rev;
	uint8_t flags;
	uint16_t payload;
	uint32_t seq, ack;
};

struct evs {
	struct ev *v;
	size_t n, cap;
};

static void add(struct evs *e, uint64_t t, enum ev_kind kind, const struct pkt *p, bool rev,
		uint8_t flags, size_t payload)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 256;
		e->v = xrealloc(e->v, e->cap * sizeof(*e->v));
	}
	e->v[e->n] = (struct ev){ t, e->n, kind, p, rev, flags, payload, 0, 0 };
	e->n++;
}

/* One TCP segment; seq[dir] is the next sequence number each side sends. */
static void seg(struct evs *e, uint32_t *seq, uint64_t t, const struct pkt *p, bool rev,
		uint8_t flags, size_t payload)
{
	struct ev *v;

	add(e, t, EV_PKT, p, rev, flags, payload);
	v = &e->v[e->n - 1];
	v->seq = seq[rev];
	v->ack = seq[!rev];
	seq[rev] += payload + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0);
}

static int ev_cmp(const void *pa, const void *pb)
{
	const struct ev *a = pa, *b = pb;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* A TCP connection: handshake, request/response rounds with ACKs, close. */
static void tcp_session(struct evs *e, struct rng *r, const struct pkt *p, uint64_t t, int rounds,
			uint64_t rtt)
{
	uint32_t seq[2] = { (uint32_t)rng_next(r), (uint32_t)rng_next(r) };

	seg(e, seq, t, p, false, TH_SYN, 0);
	seg(e, seq, t += rtt, p, true, TH_SYN | TH_ACK, 0);
	seg(e, seq, t += 50000 + rng_below(r, 200000), p, false, TH_ACK, 0);
	for (int i = 0; i < rounds; i++) {
		int segs = 1 + rng_below(r, 5);

		seg(e, seq, t += 100000 + rng_below(r, 900000), p, false, TH_ACK | TH_PSH,
		    80 + rng_below(r, 520));
		t += rtt;
		for (int s = 0; s < segs; s++) {
			bool last = s == segs - 1;

			seg(e, seq, t += 20000 + rng_below(r, 80000), p, true,
			    TH_ACK | (last ? TH_PSH : 0), last ? 60 + rng_below(r, 1300) : 1448);
			if (s & 1 || last)
				seg(e, seq, t + rtt / 2, p, false, TH_ACK, 0);
		}
		t += rtt;
	}
	seg(e, seq, t += 2000000 + rng_below(r, 5000000), p, false, TH_FIN | TH_ACK, 0);
	seg(e, seq, t += rtt, p, true, TH_FIN | TH_ACK, 0);
	seg(e, seq, t + 30000, p, false, TH_ACK, 0);
}

/* UDP request/response pairs (DNS, NTP, QUIC-like). */
static void udp_pairs(struct evs *e, struct rng *r, const struct pkt *p, uint64_t t, int pairs,
		      uint64_t rtt, size_t qlen, size_t rlen)
{
	for (int i = 0; i < pairs; i++) {
		add(e, t, EV_PKT, p, false, 0, qlen + rng_below(r, qlen / 4 + 1));
		add(e, t + rtt + rng_below(r, rtt / 4 + 1), EV_PKT, p, true, 0,
		    rlen + rng_below(r, rlen / 4 + 1));
		t += 2 * rtt + rng_below(r, 30000000);
	}
}

static void nonip(struct frame *f, enum ev_kind kind)
{
	static const uint8_t arp[28] = { 0,   1,   8, 0,  6, 4, 0, 1, 2, 0, 0x5e, 0x10, 0, 1,
					 192, 168, 1, 20, 0, 0, 0, 0, 0, 0, 192,  168,	1, 1 };
	static const uint8_t lldp[] = {
		0x02, 0x07, 0x04, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x09, 0x04,
		0x03, 0x05, 0x31, 0x00, 0x06, 0x02, 0x00, 0x78, 0x00, 0x00
	};
	static const uint8_t stp[] = { 0x42, 0x42, 0x03, 0,    0,    0,	   0,	 0,    0x80, 0,
				       0x02, 0,	   0x5e, 0x10, 0,    0x09, 0,	 0,    0,    0,
				       0x80, 0,	   0x02, 0,    0x5e, 0x10, 0,	 0x09, 0x80, 0x01,
				       0,    0,	   0x14, 0,    0x02, 0,	   0x0f, 0 };
	uint8_t src[16], dst[16];
	size_t off;

	fr_init(f);
	switch (kind) {
	case EV_ARP:
		fr_eth(f, 0, NULL, 0x0806);
		fr_bytes(f, arp, sizeof(arp));
		break;
	case EV_LLDP:
		fr_eth(f, 0, NULL, 0x88cc);
		fr_bytes(f, lldp, sizeof(lldp));
		break;
	case EV_STP:
		fr_eth(f, 0, NULL, sizeof(stp));
		fr_bytes(f, stp, sizeof(stp));
		break;
	case EV_NDP: /* neighbour solicitation: ICMPv6, not counted */
		addr_parse("fe80::20", src);
		addr_parse("ff02::1:ff00:1", dst);
		fr_eth(f, 0, NULL, 0x86dd);
		off = fr_ip6(f, src, dst, NULL, 0, 58);
		fr_bytes(f, "\x87\x00\x00\x00\x00\x00\x00\x00", 8);
		fr_bytes(f, "\xfe\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16);
		fr_ip6_len(f, off, -1);
		break;
	case EV_PKT:
		break;
	}
	fr_pad(f, 60);
}

struct cap *sample_cap(void)
{
	static const struct pkt dns1 = { "192.168.1.20", "192.168.1.1", 17, 51812, 53 };
	static const struct pkt dns2 = { "192.168.1.20", "192.168.1.1", 17, 60277, 53 };
	static const struct pkt dns6 = { "2001:db8:100::20", "2001:db8:100::1", 17, 41390, 53 };
	static const struct pkt gh = { "192.168.1.20", "140.82.112.22", 6, 53673, 443 };
	static const struct pkt cf6 = { "2001:db8:100::20", "2606:4700::6810:84e5", 6, 50412, 443 };
	static const struct pkt quic6 = { "2001:db8:100::20", "2a00:1450:4001:82b::200e", 17, 58530,
					  443 };
	static const struct pkt ntp = { "192.168.1.20", "162.159.200.1", 17, 123, 123 };
	static const struct pkt http = { "192.168.1.31", "93.184.216.34", 6, 44120, 80 };
	static const struct pkt ssh = { "192.168.1.31", "192.168.1.10", 6, 38722, 22 };
	static const struct pkt mdns = { "192.168.1.31", "224.0.0.251", 17, 5353, 5353 };
	static const struct pkt ssdp = { "192.168.1.31", "239.255.255.250", 17, 49321, 1900 };
	static const struct pkt mdns6 = { "fe80::31", "ff02::fb", 17, 5353, 5353 };
	struct rng r = { 20230101 };
	struct evs e = { 0 };
	struct cap *c = cap_pcap(false, false, LT_ETHERNET, 262144);
	uint64_t t0 = GEN_BASE_NS + 123456000;
	struct frame f;
	struct gen_key k;

	add(&e, t0, EV_ARP, NULL, false, 0, 0);
	add(&e, t0 + 1200000, EV_ARP, NULL, true, 0, 0);
	udp_pairs(&e, &r, &dns1, t0 + 5000000, 2, 12000000, 40, 120);
	udp_pairs(&e, &r, &dns6, t0 + 5500000, 2, 14000000, 40, 150);
	tcp_session(&e, &r, &gh, t0 + 40000000, 5, 23000000);
	udp_pairs(&e, &r, &dns2, t0 + 900000000, 1, 11000000, 45, 200);
	tcp_session(&e, &r, &cf6, t0 + 950000000, 4, 9000000);
	udp_pairs(&e, &r, &quic6, t0 + 1300000000, 12, 15000000, 1200, 900);
	udp_pairs(&e, &r, &ntp, t0 + 2000000000, 2, 8000000, 48, 48);
	tcp_session(&e, &r, &http, t0 + 2500000000ULL, 3, 85000000);
	tcp_session(&e, &r, &ssh, t0 + 3000000000ULL, 12, 1500000);
	for (int i = 0; i < 4; i++) {
		add(&e, t0 + 1000000000ULL * (1 + 2 * i) + 777777, EV_PKT, &mdns, false, 0, 120);
		add(&e, t0 + 1000000000ULL * (1 + 2 * i) + 778777, EV_PKT, &mdns6, false, 0, 120);
		add(&e, t0 + 1500000000ULL * (1 + i) + 31337, EV_PKT, &ssdp, false, 0, 160);
		add(&e, t0 + 2000000000ULL * i + 999999, EV_STP, NULL, false, 0, 0);
	}
	add(&e, t0 + 4000000000ULL, EV_LLDP, NULL, false, 0, 0);
	add(&e, t0 + 4100000000ULL, EV_NDP, NULL, false, 0, 0);
	add(&e, t0 + 6000000000ULL, EV_ARP, NULL, false, 0, 0);

	qsort(e.v, e.n, sizeof(*e.v), ev_cmp);
	for (size_t i = 0; i < e.n; i++) {
		const struct ev *v = &e.v[i];

		if (v->kind != EV_PKT) {
			nonip(&f, v->kind);
			cap_frame(c, 0, v->t, &f, 0, 0, NULL, 0);
			continue;
		}
		fr_pkt_tcp(&f, LT_ETHERNET, v->p, v->rev, v->flags, v->seq, v->ack, v->payload, &k);
		cap_frame(c, 0, v->t, &f, 0, 0, &k, v->p->proto == 6 ? GEN_TCP : GEN_UDP);
	}
	free(e.v);
	return c;
}

void gen_sample(const char *path, const char *expected)
{
	cap_save(sample_cap(), path, OUT_PLAIN, SIZE_MAX, expected);
}
