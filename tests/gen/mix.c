/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `pcapgen mix`: the benchmark traffic mix, streamed to a classic pcap (us).
 *
 * F/2 connections, each seen both ways (so about F report rows). Every
 * connection gets 2 packets (one each way); of the rest, half of the
 * connections ("mice") get 0-2 more and the others share what is left by a
 * Zipf law, so a few flows are huge and most are small. Connections start
 * at random times, send at their own pace, and a heap of the active ones
 * merges them into one increasing stream. Memory is O(connections): the
 * frames are built on the fly, the 4-tuples derived from the connection
 * number, never stored.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcapgen.h"

#define F_UDP	 0x1
#define F_V6	 0x2
#define F_VLAN	 0x4
#define F_SERVER 0x8 /* the server sends the bulk of the data */

struct conn {
	uint64_t start; /* ns after the base */
	uint64_t gap;	/* ns between packets */
	uint32_t k;	/* packets in all */
	uint32_t sent;
	uint8_t flags;
};

/* Per direction, for --expected: ms relative to the base. */
struct dstat {
	uint32_t first, last, packets;
	uint64_t bytes;
};

struct slot {
	uint64_t t;
	uint32_t conn;
};

struct mix {
	uint64_t seed;
	uint64_t n;	  /* packets */
	uint32_t c;	  /* connections */
	uint32_t snaplen; /* 0: whole frames */
	uint32_t servers;
	struct conn *conns;
	struct dstat *st; /* 2 per connection, or NULL */
	struct slot *heap;
	size_t nheap;
	uint8_t *out;
	size_t outlen, outsize;
	int fd;
	const char *path;
};

static uint64_t h2(uint64_t seed, uint64_t a, uint64_t b)
{
	return mix64(seed ^ mix64(a * 0x9e3779b97f4a7c15ULL + b + 1));
}

/* A bijection of [0, 2^24): distinct client slots, scattered addresses. */
static uint32_t perm24(uint32_t x)
{
	x = (x * 0x9e3779b1u) & 0xffffff;
	x ^= x >> 12;
	x = (x * 0x2c1b3c6du) & 0xffffff;
	return x ^ (x >> 11);
}

/*
 * The connection's 4-tuple, client side first. The client (address, port)
 * is unique per connection by construction, and clients and servers use
 * disjoint prefixes: every directional row is distinct.
 */
static void tuple(const struct mix *m, uint32_t i, uint8_t flags, struct gen_key *k)
{
	uint64_t h = h2(m->seed, i, 0x7475706c65);
	uint32_t slot = perm24((i >> 3) + 1), srv = h % m->servers;
	static const uint16_t tcp_ports[] = { 443, 443, 443, 443,  443, 443,
					      443, 80,	80,  8080, 22,	993 };
	static const uint16_t udp_ports[] = { 53, 53, 53, 53, 443, 443, 443, 443, 123, 5353 };

	memset(k, 0, sizeof(*k));
	if (flags & F_V6) {
		static const uint8_t cp[6] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x0c };
		static const uint8_t sp[6] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x05 };

		k->family = 6;
		memcpy(k->src, cp, 6);
		k->src[6] = h >> 16;
		k->src[7] = h >> 24;
		k->src[8] = h >> 32;
		k->src[13] = slot >> 16;
		k->src[14] = slot >> 8;
		k->src[15] = slot;
		memcpy(k->dst, sp, 6);
		k->dst[13] = srv >> 16;
		k->dst[14] = srv >> 8;
		k->dst[15] = srv;
	} else {
		k->family = 4;
		k->src[0] = 10;
		k->src[1] = slot >> 16;
		k->src[2] = slot >> 8;
		k->src[3] = slot;
		k->dst[0] = 198;
		k->dst[1] = 18 + (srv >> 16);
		k->dst[2] = srv >> 8;
		k->dst[3] = srv;
	}
	k->sport = 1024 + (i & 7) * 8064 + (h >> 40) % 8064;
	k->dport = flags & F_UDP ? udp_ports[(h >> 56) % 10] : tcp_ports[(h >> 56) % 12];
}

static void reverse(struct gen_key *k)
{
	uint8_t a[16];
	uint16_t p = k->sport;

	memcpy(a, k->src, 16);
	memcpy(k->src, k->dst, 16);
	memcpy(k->dst, a, 16);
	k->sport = k->dport;
	k->dport = p;
}

static void flush(struct mix *m)
{
	size_t done = 0;

	while (done < m->outlen) {
		ssize_t w = write(m->fd, m->out + done, m->outlen - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("cannot write %s: %s", m->path, strerror(errno));
		done += w;
	}
	m->outlen = 0;
}

static uint8_t *reserve(struct mix *m, size_t n)
{
	if (m->outlen + n > m->outsize)
		flush(m);
	m->outlen += n;
	return m->out + m->outlen - n;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void put_be16(uint8_t *p, unsigned v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* Frame length (no FCS): small 64-100 bytes or about 1500. */
static uint32_t frame_len(uint64_t h, bool large)
{
	if (!large)
		return 64 + h % 37;
	return (h >> 8) % 10 < 7 ? 1514 : 1000 + (h >> 16) % 515;
}

/* Builds packet j of connection i straight into the output buffer. */
static void emit(struct mix *m, uint32_t i, uint64_t t)
{
	struct conn *c = &m->conns[i];
	uint32_t j = c->sent++;
	uint64_t h = h2(m->seed, i, j);
	bool udp = c->flags & F_UDP, v6 = c->flags & F_V6, vlan = c->flags & F_VLAN;
	bool rev, large;
	size_t l2 = vlan ? 18 : 14, l3 = v6 ? 40 : 20, l4 = udp ? 8 : 20, hl = l2 + l3 + l4;
	uint32_t len, caplen;
	uint8_t hdr[128], *p;
	struct gen_key k;

	if (j < 2) {
		rev = j;
		large = false;
	} else {
		bool server = c->flags & F_SERVER;
		bool data_dir = h % 10 < 6;

		rev = data_dir ? server : !server;
		large = data_dir ? (h >> 4) % 10 < 8 : (h >> 4) % 10 < 1;
	}
	len = frame_len(h >> 12, large);
	if (len < hl)
		len = hl;
	caplen = m->snaplen && len > m->snaplen ? m->snaplen : len;

	tuple(m, i, c->flags, &k);
	if (rev)
		reverse(&k);

	memset(hdr, 0, hl);
	memcpy(hdr, "\x02\x00\x5e\x20\x00\x02\x02\x00\x5e\x20\x00\x01", 12);
	p = hdr + 12;
	if (vlan) {
		put_be16(p, 0x8100);
		put_be16(p + 2, 1 + i % 4094);
		p += 4;
	}
	put_be16(p, v6 ? 0x86dd : 0x0800);
	p += 2;
	if (v6) {
		p[0] = 0x60;
		put_be16(p + 4, len - l2 - 40);
		p[6] = udp ? 17 : 6;
		p[7] = 64;
		memcpy(p + 8, k.src, 16);
		memcpy(p + 24, k.dst, 16);
	} else {
		uint32_t sum = 0;

		p[0] = 0x45;
		put_be16(p + 2, len - l2);
		put_be16(p + 4, j);
		p[6] = 0x40;
		p[8] = 64;
		p[9] = udp ? 17 : 6;
		memcpy(p + 12, k.src, 4);
		memcpy(p + 16, k.dst, 4);
		for (int w = 0; w < 20; w += 2)
			sum += (p[w] << 8) | p[w + 1];
		sum = (sum & 0xffff) + (sum >> 16);
		sum += sum >> 16;
		put_be16(p + 10, ~sum & 0xffff);
	}
	p += l3;
	put_be16(p, k.sport);
	put_be16(p + 2, k.dport);
	if (udp) {
		put_be16(p + 4, len - l2 - l3);
	} else {
		put_le32(p + 4, (uint32_t)h); /* sequence numbers: any value will do */
		put_le32(p + 8, (uint32_t)(h >> 32));
		p[12] = 0x50;
		p[13] = j == 0 ? TH_SYN : j == 1 ? TH_SYN | TH_ACK : TH_ACK | (large ? TH_PSH : 0);
		put_be16(p + 14, 64240);
	}

	p = reserve(m, 16 + caplen);
	put_le32(p, t / NSEC);
	put_le32(p + 4, t % NSEC / 1000);
	put_le32(p + 8, caplen);
	put_le32(p + 12, len);
	if (caplen <= hl) {
		memcpy(p + 16, hdr, caplen);
	} else {
		memcpy(p + 16, hdr, hl);
		memset(p + 16 + hl, 0, caplen - hl);
	}

	if (m->st) {
		struct dstat *s = &m->st[2 * (size_t)i + rev];
		uint32_t ms = (t / 1000 - GEN_BASE_NS / 1000) / 1000; /* as the file says */

		if (!s->packets)
			s->first = ms;
		s->last = ms;
		s->packets++;
		s->bytes += len;
	}
}

/* Time of packet j of a connection: its own pace plus a little jitter. */
static uint64_t when(const struct mix *m, uint32_t i, uint32_t j)
{
	const struct conn *c = &m->conns[i];
	uint64_t jit = c->gap > 1 ? h2(m->seed, i, j + (1ULL << 40)) % (c->gap / 2) : 0;

	return c->start + j * c->gap + jit;
}

static void sift_down(struct mix *m, size_t at)
{
	struct slot v = m->heap[at];

	for (;;) {
		size_t l = 2 * at + 1, best = l;

		if (l >= m->nheap)
			break;
		if (l + 1 < m->nheap && m->heap[l + 1].t < m->heap[l].t)
			best = l + 1;
		if (m->heap[best].t >= v.t)
			break;
		m->heap[at] = m->heap[best];
		at = best;
	}
	m->heap[at] = v;
}

static void push(struct mix *m, uint64_t t, uint32_t conn)
{
	size_t at = m->nheap++;

	while (at > 0 && m->heap[(at - 1) / 2].t > t) {
		m->heap[at] = m->heap[(at - 1) / 2];
		at = (at - 1) / 2;
	}
	m->heap[at] = (struct slot){ t, conn };
}

static const struct conn *sort_conns;

static int by_start(const void *pa, const void *pb)
{
	uint64_t a = sort_conns[*(const uint32_t *)pa].start;
	uint64_t b = sort_conns[*(const uint32_t *)pb].start;

	return a < b ? -1 : a > b;
}

/* Packets per connection: 2 each, mice 0-2 more, the rest Zipf over the others. */
static void plan(struct mix *m, struct rng *r)
{
	uint32_t c = m->c, mice = c / 2, big = c - mice;
	uint64_t left = m->n - 2ULL * c, total;
	double wsum = 0;
	uint32_t *k = xmalloc(c * sizeof(*k));

	for (uint32_t i = 0; i < c; i++)
		k[i] = 2;
	for (uint32_t i = big; i < c && left; i++) {
		uint32_t extra = rng_below(r, 3);

		extra = extra > left ? left : extra;
		k[i] += extra;
		left -= extra;
	}
	for (uint32_t i = 0; i < big; i++)
		wsum += 1.0 / (i + 4.0);
	total = left;
	for (uint32_t i = 0; i < big && left; i++) {
		uint64_t extra = (uint64_t)(total * (1.0 / (i + 4.0)) / wsum);

		extra = extra > left ? left : extra;
		k[i] += extra;
		left -= extra;
	}
	for (uint32_t i = 0; left; i = (i + 1) % c, left--)
		k[i]++;
	/* Ranks to connection numbers: shuffle, so big flows start anywhere. */
	for (uint32_t i = c - 1; i > 0; i--) {
		uint32_t j = rng_below(r, i + 1), tmp = k[i];

		k[i] = k[j];
		k[j] = tmp;
	}
	for (uint32_t i = 0; i < c; i++)
		m->conns[i].k = k[i];
	free(k);
}

/* Yes with the target probability, nudged towards the target share of packets. */
static bool share(struct rng *r, double target, uint64_t have, uint64_t total, uint32_t k)
{
	double p = target + (target * total - have) / k;

	return rng_unit(r) < p;
}

/* About log-uniform in [20 us, 50 ms): 2^(11.3 u), linear between powers of 2. */
static double log_gap(struct rng *r)
{
	uint64_t x = rng_below(r, 11300), p = 1ULL << (x / 1000);

	return 20000.0 * p * (1000 + x % 1000) / 1000;
}

static void pace(struct mix *m, struct rng *r)
{
	uint64_t span = m->n * 5000; /* 200k packets/s */
	uint64_t total = 0, udp = 0, v6 = 0, vlan = 0;

	if (span < NSEC)
		span = NSEC;
	for (uint32_t i = 0; i < m->c; i++) {
		struct conn *c = &m->conns[i];
		double g = log_gap(r);
		uint64_t dur;

		if (c->k > 1 && g * (c->k - 1) > span * 0.9)
			g = span * 0.9 / (c->k - 1);
		c->gap = g < 2 ? 2 : (uint64_t)g;
		dur = (uint64_t)(c->k - 1) * c->gap;
		c->start = dur < span ? rng_below(r, span - dur) : 0;
		c->flags = 0;
		if (share(r, 0.2, udp, total, c->k)) {
			c->flags |= F_UDP;
			udp += c->k;
		}
		if (share(r, 0.1, v6, total, c->k)) {
			c->flags |= F_V6;
			v6 += c->k;
		}
		if (share(r, 0.1, vlan, total, c->k)) {
			c->flags |= F_VLAN;
			vlan += c->k;
		}
		if (rng_below(r, 4))
			c->flags |= F_SERVER;
		total += c->k;
	}
}

static const struct mix *sort_mix;

static void row_key(uint32_t row, struct gen_key *k)
{
	uint32_t i = row / 2;

	tuple(sort_mix, i, sort_mix->conns[i].flags, k);
	if (row & 1)
		reverse(k);
}

static int by_row(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	const struct dstat *sa = &sort_mix->st[a], *sb = &sort_mix->st[b];
	struct gen_key ka, kb;

	if (sa->first != sb->first)
		return sa->first < sb->first ? -1 : 1;
	row_key(a, &ka);
	row_key(b, &kb);
	return key_cmp(&ka, &kb);
}

static void write_expected(struct mix *m, const char *path)
{
	size_t nrows = 0;
	uint32_t *rows = xmalloc(2 * (size_t)m->c * sizeof(*rows));
	FILE *f = fopen(path, "w");
	static char buf[1 << 20];
	char line[256];
	uint64_t base_ms = GEN_BASE_NS / MSEC;

	if (!f)
		die("cannot create %s: %s", path, strerror(errno));
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	for (uint32_t r = 0; r < 2 * m->c; r++)
		if (m->st[r].packets)
			rows[nrows++] = r;
	sort_mix = m;
	qsort(rows, nrows, sizeof(*rows), by_row);
	fputs(report_header, f);
	for (size_t i = 0; i < nrows; i++) {
		const struct dstat *s = &m->st[rows[i]];
		struct gen_key k;

		row_key(rows[i], &k);
		report_format(line, sizeof(line), &k,
			      m->conns[rows[i] / 2].flags & F_UDP ? GEN_UDP : GEN_TCP,
			      base_ms + s->first, base_ms + s->last, s->bytes, s->packets);
		fputs(line, f);
	}
	if (ferror(f) | (fclose(f) != 0))
		die("cannot write %s", path);
	free(rows);
}

static int mix_usage(void)
{
	fputs("usage: pcapgen mix --packets N --flows F [--seed S] [--snaplen L] "
	      "[--expected REPORT] OUT\n",
	      stderr);
	return 2;
}

static bool number(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && end != s && !*end && *s != '-';
}

int gen_mix(int argc, char **argv)
{
	struct mix m = { .seed = 1, .outsize = 8u << 20 };
	uint64_t flows = 0, v;
	const char *expected = NULL, *out = NULL;
	uint32_t *order, next = 0;
	struct rng r;
	uint8_t hdr[24];

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--packets") && i + 1 < argc && number(argv[i + 1], &v)) {
			m.n = v;
			i++;
		} else if (!strcmp(a, "--flows") && i + 1 < argc && number(argv[i + 1], &v)) {
			flows = v;
			i++;
		} else if (!strcmp(a, "--seed") && i + 1 < argc && number(argv[i + 1], &v)) {
			m.seed = v;
			i++;
		} else if (!strcmp(a, "--snaplen") && i + 1 < argc && number(argv[i + 1], &v) &&
			   (v == 0 || (v >= 64 && v <= 262144))) {
			m.snaplen = v;
			i++;
		} else if (!strcmp(a, "--expected") && i + 1 < argc) {
			expected = argv[++i];
		} else if (a[0] != '-' && !out) {
			out = a;
		} else {
			return mix_usage();
		}
	}
	if (!out || !m.n || !flows)
		return mix_usage();
	if (flows > (1u << 27))
		die("--flows %llu: at most %u", (unsigned long long)flows, 1u << 27);
	/* Two rows per connection; fewer connections when packets are short. */
	m.c = (flows + 1) / 2;
	if (m.n < 2ULL * m.c)
		m.c = m.n / 2 ? m.n / 2 : 1;
	m.servers = m.c / 64 < 16 ? 16 : m.c / 64 > 65536 ? 65536 : m.c / 64;
	m.path = out;

	r.s = m.seed;
	m.conns = xcalloc(m.c, sizeof(*m.conns));
	if (m.n < 2ULL * m.c) { /* a single packet */
		m.conns[0].k = m.n;
	} else {
		plan(&m, &r);
	}
	pace(&m, &r);
	if (expected)
		m.st = xcalloc(2 * (size_t)m.c, sizeof(*m.st));
	order = xmalloc(m.c * sizeof(*order));
	for (uint32_t i = 0; i < m.c; i++)
		order[i] = i;
	sort_conns = m.conns;
	qsort(order, m.c, sizeof(*order), by_start);
	m.heap = xmalloc(m.c * sizeof(*m.heap));
	m.out = xmalloc(m.outsize);
	m.fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (m.fd < 0)
		die("cannot create %s: %s", out, strerror(errno));

	put_le32(hdr, 0xa1b2c3d4);
	put_le32(hdr + 4, 2 | 4 << 16);
	put_le32(hdr + 8, 0);
	put_le32(hdr + 12, 0);
	put_le32(hdr + 16, m.snaplen ? m.snaplen : 262144);
	put_le32(hdr + 20, LT_ETHERNET);
	memcpy(reserve(&m, 24), hdr, 24);

	/* Merge: start connections in time order, always send the earliest packet. */
	for (;;) {
		struct slot *top;
		uint32_t i;

		while (next < m.c && (!m.nheap || m.conns[order[next]].start <= m.heap[0].t)) {
			push(&m, m.conns[order[next]].start, order[next]);
			next++;
		}
		if (!m.nheap)
			break;
		top = &m.heap[0];
		i = top->conn;
		emit(&m, i, GEN_BASE_NS + top->t);
		if (m.conns[i].sent < m.conns[i].k) {
			top->t = when(&m, i, m.conns[i].sent);
			sift_down(&m, 0);
		} else {
			m.heap[0] = m.heap[--m.nheap];
			if (m.nheap)
				sift_down(&m, 0);
		}
	}
	flush(&m);
	if (close(m.fd))
		die("cannot write %s: %s", out, strerror(errno));
	free(m.out);
	free(m.heap);
	free(order);
	if (expected)
		write_expected(&m, expected);
	free(m.st);
	free(m.conns);
	return 0;
}
