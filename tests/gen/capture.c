/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Capture writers (classic pcap, pcapng, gzip) and the expected report.
 *
 * A capture is built in memory, then saved plain, gzip'd or cut short. Each
 * counted record remembers where it ends in the uncompressed stream, so a
 * cut or damaged copy knows exactly which records a reader can still see.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "pcapgen.h"

void gen_die(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pcapgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (%s:%d)\n", file, line);
	exit(1);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

const char *path_join(char *buf, size_t size, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, size, "%s/%s", dir, name) >= size)
		die("path too long: %s/%s", dir, name);
	return buf;
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		die("cannot create %s: %s", path, strerror(errno));
	if ((n && fwrite(p, 1, n, f) != n) | (fclose(f) != 0))
		die("cannot write %s: %s", path, strerror(errno));
}

void write_text(const char *path, const char *text)
{
	write_file(path, text, strlen(text));
}

void make_dir(const char *dir)
{
	char tmp[4096];
	size_t n = strlen(dir);

	if (n >= sizeof(tmp))
		die("path too long: %s", dir);
	memcpy(tmp, dir, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) && errno != EEXIST)
			die("cannot create %s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		die("cannot create %s: %s", tmp, strerror(errno));
}

/* ---- report ---- */

const char report_header[] = "source ip; source port; destination ip; destination port; "
			     "protocols; first; last; bytes; packets\n";

int addr_parse(const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, text, out) == 1)
		return 6;
	die("bad address in a scenario: %s", text);
}

void key_set(struct gen_key *k, const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	memset(k, 0, sizeof(*k));
	k->family = addr_parse(src, k->src);
	if (addr_parse(dst, k->dst) != k->family)
		die("mixed families: %s %s", src, dst);
	k->sport = sport;
	k->dport = dport;
}

static int addr_cmp(uint8_t family, const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, family == 4 ? 4 : 16);
}

/* Report order: source (IPv4 first, numeric), source port, destination, port. */
int key_cmp(const struct gen_key *a, const struct gen_key *b)
{
	int d;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	d = addr_cmp(a->family, a->src, b->src);
	if (d)
		return d;
	if (a->sport != b->sport)
		return a->sport < b->sport ? -1 : 1;
	d = addr_cmp(a->family, a->dst, b->dst);
	if (d)
		return d;
	if (a->dport != b->dport)
		return a->dport < b->dport ? -1 : 1;
	return 0;
}

static bool key_eq(const struct gen_key *a, const struct gen_key *b)
{
	return a->family == b->family && !key_cmp(a, b);
}

void report_add(struct gen_report *r, const struct gen_key *k, unsigned proto, uint64_t ms,
		uint64_t len)
{
	struct gen_row *row = NULL;

	/* Reports in the rules captures are small: a linear search is plenty. */
	for (size_t i = r->n; i-- > 0;) {
		if (key_eq(&r->rows[i].key, k)) {
			row = &r->rows[i];
			break;
		}
	}
	if (!row) {
		if (r->n == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 64;
			r->rows = xrealloc(r->rows, r->cap * sizeof(*r->rows));
		}
		row = &r->rows[r->n++];
		memset(row, 0, sizeof(*row));
		row->key = *k;
		row->first = ms;
		row->last = ms;
	}
	row->protos |= proto;
	if (ms < row->first)
		row->first = ms;
	if (ms > row->last)
		row->last = ms;
	row->bytes += len;
	row->packets++;
}

static int row_cmp(const void *pa, const void *pb)
{
	const struct gen_row *a = pa, *b = pb;

	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return key_cmp(&a->key, &b->key);
}

void report_sort(struct gen_report *r)
{
	if (r->n)
		qsort(r->rows, r->n, sizeof(*r->rows), row_cmp);
}

static void addr_text(char *buf, size_t size, uint8_t family, const uint8_t *a)
{
	/* The README defines IPv6 text as glibc inet_ntop() prints it. */
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf, size))
		die("inet_ntop: %s", strerror(errno));
}

int report_format(char *buf, size_t size, const struct gen_key *k, unsigned protos, uint64_t first,
		  uint64_t last, uint64_t bytes, uint64_t packets)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	const char *names = protos == (GEN_TCP | GEN_UDP) ? "TCP, UDP"
			    : protos == GEN_TCP		  ? "TCP"
							  : "UDP";

	addr_text(src, sizeof(src), k->family, k->src);
	addr_text(dst, sizeof(dst), k->family, k->dst);
	return snprintf(buf, size, "%s; %u; %s; %u; [%s]; %llu; %llu; %llu; %llu\n", src, k->sport,
			dst, k->dport, names, (unsigned long long)first, (unsigned long long)last,
			(unsigned long long)bytes, (unsigned long long)packets);
}

void report_write(struct gen_report *r, const char *path)
{
	FILE *f = fopen(path, "w");
	char line[256];

	if (!f)
		die("cannot create %s: %s", path, strerror(errno));
	report_sort(r);
	fputs(report_header, f);
	for (size_t i = 0; i < r->n; i++) {
		const struct gen_row *w = &r->rows[i];

		report_format(line, sizeof(line), &w->key, w->protos, w->first, w->last, w->bytes,
			      w->packets);
		fputs(line, f);
	}
	if (ferror(f) | (fclose(f) != 0))
		die("cannot write %s", path);
}

void report_free(struct gen_report *r)
{
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

/* ---- capture writer ---- */

#define MAX_IFACES 32

struct iface {
	uint32_t linktype;
	uint32_t snaplen;
	uint64_t units; /* timestamp units per second */
	int64_t tsoffset;
};

/* A counted record and where it ends in the uncompressed file. */
struct rec {
	struct gen_key key;
	unsigned proto;
	uint64_t ms, len;
	size_t end;
};

struct cap {
	enum cap_kind kind;
	bool be, nsec;
	uint8_t *buf;
	size_t len, size;
	size_t damage; /* offset of the first damaged byte, SIZE_MAX if none */
	struct iface ifs[MAX_IFACES];
	int nifs;
	struct rec *recs;
	size_t nrecs, caprecs;
};

static void put(struct cap *c, const void *p, size_t n)
{
	if (c->len + n > c->size) {
		c->size = 2 * (c->len + n) + 4096;
		c->buf = xrealloc(c->buf, c->size);
	}
	if (n) /* p may be NULL for an empty option */
		memcpy(c->buf + c->len, p, n);
	c->len += n;
}

static void put16(struct cap *c, uint16_t v)
{
	uint8_t b[2] = { v, v >> 8 };

	if (c->be) {
		b[0] = v >> 8;
		b[1] = v;
	}
	put(c, b, 2);
}

static void put32(struct cap *c, uint32_t v)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[c->be ? 3 - i : i] = v >> (8 * i);
	put(c, b, 4);
}

static void put64(struct cap *c, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[c->be ? 7 - i : i] = v >> (8 * i);
	put(c, b, 8);
}

static void put_pad(struct cap *c, size_t n)
{
	static const uint8_t zero[8];

	put(c, zero, (4 - n % 4) % 4);
}

/* Overwrites a 32-bit field written earlier (block lengths). */
static void patch32(struct cap *c, size_t off, uint32_t v)
{
	size_t save = c->len;

	c->len = off;
	put32(c, v);
	c->len = save;
}

static struct cap *cap_new(enum cap_kind kind, bool be)
{
	struct cap *c = xcalloc(1, sizeof(*c));

	c->kind = kind;
	c->be = be;
	c->damage = SIZE_MAX;
	return c;
}

struct cap *cap_pcap(bool nsec, bool be, uint32_t linktype, uint32_t snaplen)
{
	struct cap *c = cap_new(CAP_PCAP, be);

	c->nsec = nsec;
	put32(c, nsec ? 0xa1b23c4d : 0xa1b2c3d4);
	put16(c, 2);
	put16(c, 4);
	put32(c, 0); /* thiszone */
	put32(c, 0); /* sigfigs */
	put32(c, snaplen);
	put32(c, linktype);
	c->ifs[0] = (struct iface){ linktype, snaplen, nsec ? NSEC : 1000000, 0 };
	c->nifs = 1;
	return c;
}

/* Option: code, length, value, padding. */
static void put_opt(struct cap *c, uint16_t code, const void *p, uint16_t n)
{
	put16(c, code);
	put16(c, n);
	put(c, p, n);
	put_pad(c, n);
}

static size_t block_begin(struct cap *c, uint32_t type)
{
	size_t start = c->len;

	put32(c, type);
	put32(c, 0); /* total length, patched by block_end() */
	return start;
}

static void block_end(struct cap *c, size_t start)
{
	uint32_t total = c->len - start + 4;

	put32(c, total);
	patch32(c, start + 4, total);
}

struct cap *cap_pcapng(bool be)
{
	struct cap *c = cap_new(CAP_PCAPNG, be);
	size_t b = block_begin(c, 0x0a0d0d0a);
	static const char app[] = "nasoone pcapgen";

	put32(c, 0x1a2b3c4d);
	put16(c, 1);
	put16(c, 0);
	put64(c, UINT64_MAX); /* section length unknown */
	put_opt(c, 4, app, sizeof(app) - 1);
	put_opt(c, 0, NULL, 0);
	block_end(c, b);
	return c;
}

int cap_iface(struct cap *c, uint32_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
	struct iface *i;
	size_t b;
	char name[16];

	if (c->kind != CAP_PCAPNG || c->nifs == MAX_IFACES)
		die("cap_iface: not a pcapng or too many interfaces");
	i = &c->ifs[c->nifs];
	i->linktype = linktype;
	i->snaplen = snaplen;
	i->units = 1000000;
	if (tsresol >= 0) {
		unsigned e = tsresol & 0x7f;

		i->units = 1;
		for (unsigned k = 0; k < e; k++)
			i->units *= (tsresol & 0x80) ? 2 : 10;
	}
	i->tsoffset = tsoffset;

	b = block_begin(c, 1);
	put16(c, linktype);
	put16(c, 0);
	put32(c, snaplen);
	snprintf(name, sizeof(name), "gen%d", c->nifs);
	put_opt(c, 2, name, strlen(name));
	if (tsresol >= 0) {
		uint8_t r = tsresol;

		put_opt(c, 9, &r, 1);
	}
	if (tsoffset) {
		put16(c, 14);
		put16(c, 8);
		put64(c, (uint64_t)tsoffset);
	}
	put_opt(c, 0, NULL, 0);
	block_end(c, b);
	return c->nifs++;
}

uint32_t cap_linktype(struct cap *c, int iface)
{
	if (iface < 0 || iface >= c->nifs)
		die("no interface %d", iface);
	return c->ifs[iface].linktype;
}

static void count(struct cap *c, const struct gen_key *key, unsigned proto, uint64_t ms,
		  uint64_t len)
{
	struct rec *r;

	if (!key)
		return;
	if (c->nrecs == c->caprecs) {
		c->caprecs = c->caprecs ? 2 * c->caprecs : 256;
		c->recs = xrealloc(c->recs, c->caprecs * sizeof(*c->recs));
	}
	r = &c->recs[c->nrecs++];
	r->key = *key;
	r->proto = proto;
	r->ms = ms;
	r->len = len;
	r->end = c->len;
}

static uint64_t frame(struct cap *c, uint32_t block, int iface, uint64_t t_ns,
		      const struct frame *f, uint32_t caplen, uint32_t len,
		      const struct gen_key *key, unsigned proto)
{
	const struct iface *i;
	uint64_t sec = t_ns / NSEC, frac = t_ns % NSEC, ms;

	if (iface < 0 || iface >= c->nifs)
		die("no interface %d", iface);
	i = &c->ifs[iface];
	if (!caplen)
		caplen = f->len;
	if (!len)
		len = caplen;
	if (caplen > f->len || caplen > len)
		die("bad caplen %u (frame %zu, len %u)", caplen, f->len, len);

	if (c->kind == CAP_PCAP) {
		uint32_t sub = c->nsec ? frac : frac / 1000;

		put32(c, sec);
		put32(c, sub);
		put32(c, caplen);
		put32(c, len);
		put(c, f->b, caplen);
		/* The README's rule, from the fields as written. */
		ms = sec * 1000 + (c->nsec ? sub / 1000000 : sub / 1000);
	} else {
		uint64_t units, s;
		size_t b;

		if ((int64_t)sec < i->tsoffset)
			die("timestamp before if_tsoffset");
		s = sec - i->tsoffset;
		units = s * i->units + frac * i->units / NSEC;
		b = block_begin(c, block);
		if (block == 2) { /* obsolete Packet Block: 16-bit interface, drops */
			put16(c, iface);
			put16(c, 0);
		} else {
			put32(c, iface);
		}
		put32(c, units >> 32);
		put32(c, (uint32_t)units);
		put32(c, caplen);
		put32(c, len);
		put(c, f->b, caplen);
		put_pad(c, caplen);
		put_opt(c, 0, NULL, 0);
		block_end(c, b);
		ms = (units / i->units + i->tsoffset) * 1000 + units % i->units * 1000 / i->units;
	}
	count(c, key, proto, ms, len);
	return ms;
}

uint64_t cap_frame(struct cap *c, int iface, uint64_t t_ns, const struct frame *f, uint32_t caplen,
		   uint32_t len, const struct gen_key *key, unsigned proto)
{
	return frame(c, 6, iface, t_ns, f, caplen, len, key, proto);
}

uint64_t cap_frame_units(struct cap *c, int iface, uint64_t units, const struct frame *f,
			 const struct gen_key *key, unsigned proto)
{
	const struct iface *i;
	uint64_t ms;
	size_t b;

	if (c->kind != CAP_PCAPNG || iface < 0 || iface >= c->nifs)
		die("cap_frame_units: needs a pcapng interface %d", iface);
	i = &c->ifs[iface];
	b = block_begin(c, 6);
	put32(c, iface);
	put32(c, units >> 32);
	put32(c, (uint32_t)units);
	put32(c, f->len);
	put32(c, f->len);
	put(c, f->b, f->len);
	put_pad(c, f->len);
	put_opt(c, 0, NULL, 0);
	block_end(c, b);
	/* As the README's rule, in 64 bits: no 64-bit ns value is involved. */
	ms = (units / i->units + (uint64_t)i->tsoffset) * 1000 + units % i->units * 1000 / i->units;
	count(c, key, proto, ms, f->len);
	return ms;
}

uint64_t cap_pb(struct cap *c, int iface, uint64_t t_ns, const struct frame *f,
		const struct gen_key *key, unsigned proto)
{
	if (c->kind != CAP_PCAPNG)
		die("cap_pb: pcapng only");
	return frame(c, 2, iface, t_ns, f, 0, 0, key, proto);
}

uint64_t cap_frame_raw(struct cap *c, uint32_t sec, uint32_t frac, const struct frame *f,
		       const struct gen_key *key, unsigned proto)
{
	uint64_t ms = (uint64_t)sec * 1000 + (c->nsec ? frac / 1000000 : frac / 1000);

	if (c->kind != CAP_PCAP)
		die("cap_frame_raw: classic pcap only");
	put32(c, sec);
	put32(c, frac);
	put32(c, f->len);
	put32(c, f->len);
	put(c, f->b, f->len);
	count(c, key, proto, ms, f->len);
	return ms;
}

void cap_spb(struct cap *c, const struct frame *f, const struct gen_key *key, unsigned proto)
{
	size_t b;

	if (c->kind != CAP_PCAPNG || !c->nifs)
		die("cap_spb: needs a pcapng interface 0");
	b = block_begin(c, 3);
	put32(c, f->len);
	put(c, f->b, f->len);
	put_pad(c, f->len);
	block_end(c, b);
	/* A Simple Packet Block has no timestamp: readers report 0. */
	count(c, key, proto, 0, f->len);
}

void cap_nrb(struct cap *c)
{
	size_t b = block_begin(c, 4);
	static const uint8_t v4rec[] = { 192, 0, 2, 10, 'g', 'e', 'n', '.', 't', 'e', 's', 't', 0 };

	put16(c, 1);
	put16(c, sizeof(v4rec));
	put(c, v4rec, sizeof(v4rec));
	put_pad(c, sizeof(v4rec));
	put16(c, 0);
	put16(c, 0);
	put_opt(c, 0, NULL, 0);
	block_end(c, b);
}

void cap_isb(struct cap *c, int iface, uint64_t t_ns)
{
	size_t b = block_begin(c, 5);
	const struct iface *i = &c->ifs[iface];
	uint64_t units = (t_ns / NSEC - i->tsoffset) * i->units + t_ns % NSEC * i->units / NSEC;

	put32(c, iface);
	put32(c, units >> 32);
	put32(c, (uint32_t)units);
	put16(c, 4); /* isb_ifrecv */
	put16(c, 8);
	put64(c, 1234);
	put16(c, 5); /* isb_ifdrop */
	put16(c, 8);
	put64(c, 0);
	put_opt(c, 0, NULL, 0);
	block_end(c, b);
}

void cap_block(struct cap *c, uint32_t type, const void *body, size_t n)
{
	size_t b = block_begin(c, type);

	put(c, body, n);
	put_pad(c, n);
	block_end(c, b);
}

void cap_damage(struct cap *c, const void *p, size_t n)
{
	if (c->damage == SIZE_MAX)
		c->damage = c->len;
	put(c, p, n);
}

size_t cap_size(const struct cap *c)
{
	return c->len;
}

const uint8_t *cap_bytes(const struct cap *c)
{
	return c->buf;
}

void cap_free(struct cap *c)
{
	free(c->buf);
	free(c->recs);
	free(c);
}

/* A gzip member of the whole buffer. */
static uint8_t *gzip_mem(const uint8_t *p, size_t n, size_t *out_len)
{
	z_stream z;
	size_t cap = deflateBound(NULL, n) + 64;
	uint8_t *out = xmalloc(cap);

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		die("deflateInit2 failed");
	z.next_in = (uint8_t *)p;
	z.avail_in = n;
	z.next_out = out;
	z.avail_out = cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		die("deflate failed");
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

/* How many bytes a reader can inflate from a (possibly cut) gzip stream. */
static size_t gunzip_len(const uint8_t *p, size_t n, size_t max)
{
	z_stream z;
	uint8_t *out = xmalloc(max + 1);
	size_t got;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		die("inflateInit2 failed");
	z.next_in = (uint8_t *)p;
	z.avail_in = n;
	z.next_out = out;
	z.avail_out = max + 1;
	inflate(&z, Z_SYNC_FLUSH);
	got = z.total_out;
	inflateEnd(&z);
	free(out);
	return got;
}

void cap_save(struct cap *c, const char *path, enum cap_out out, size_t cut, const char *expected)
{
	size_t readable = c->len;
	struct gen_report r = { 0 };

	if (out == OUT_GZIP) {
		size_t zlen;
		uint8_t *z = gzip_mem(c->buf, c->len, &zlen);

		if (cut == GZ_CUT_MIDDLE) {
			/*
			 * Cut where what inflates is well inside a record, not near
			 * its end: the expected report then cannot depend on how a
			 * reader's zlib buffers the last few bytes.
			 */
			for (cut = zlen / 2; cut > 0; cut--) {
				size_t n = gunzip_len(z, cut, c->len);
				bool near = false;

				for (size_t i = 0; i < c->nrecs && !near; i++)
					near = c->recs[i].end + 32 > n && c->recs[i].end < n + 32;
				if (!near)
					break;
			}
		}
		if (cut < zlen) {
			zlen = cut;
			readable = gunzip_len(z, zlen, c->len);
		}
		write_file(path, z, zlen);
		free(z);
	} else {
		if (cut < readable)
			readable = cut;
		write_file(path, c->buf, readable);
	}
	if (c->damage < readable)
		readable = c->damage;
	if (expected) {
		for (size_t i = 0; i < c->nrecs; i++) {
			const struct rec *e = &c->recs[i];

			if (e->end <= readable)
				report_add(&r, &e->key, e->proto, e->ms, e->len);
		}
		report_write(&r, expected);
		report_free(&r);
	}
	cap_free(c);
}
