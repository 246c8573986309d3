/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `pcapgen corrupt DIR`: files a reader must reject, or stop reading at the
 * damage. NAME.expected is the report of the complete records before the
 * damage, empty when the file cannot be read at all. DIR/README says what
 * each file is; the reader must exit non-zero on every one of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapgen.h"

#define T(s, ns) (GEN_BASE_NS + (uint64_t)(s)*NSEC + (uint64_t)(ns))

static const struct pkt web = { "10.66.0.1", "10.66.0.2", 6, 52000, 443 };
static const struct pkt dns = { "2001:db8:66::1", "2001:db8:66::2", 17, 52001, 53 };

/* n good records, alternating flows and directions. */
static void good(struct cap *c, int iface, uint64_t t, int n)
{
	struct frame f;
	struct gen_key k;

	for (int i = 0; i < n; i++) {
		const struct pkt *p = i % 3 == 2 ? &dns : &web;

		fr_pkt(&f, LT_ETHERNET, p, i & 1, 40 + 10 * i, &k);
		cap_frame(c, iface, t + i * 1234567ULL, &f, 0, 0, &k,
			  p == &web ? GEN_TCP : GEN_UDP);
	}
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

struct damaged {
	const char *name;
	const char *oracle; /* NULL: oracle.py agrees (exit 1 or 3, same rows) */
	const char *what;
};

static const struct damaged list[] = {
	{ "not-a-capture.pcap", NULL, "a text file: unreadable" },
	{ "empty.pcap", "tshark reads a 0-byte file as an empty capture",
	  "0 bytes, no header: unreadable" },
	{ "short-header.pcap", "tshark calls it cut short (exit 3, header-only report)",
	  "a pcap header cut after 12 bytes: unreadable" },
	{ "bad-version.pcap", NULL, "pcap header version 1.4: unreadable" },
	{ "pcapng-bad-magic.pcapng", NULL,
	  "pcapng section header with a bad byte-order magic: unreadable" },
	{ "huge-caplen.pcap", NULL,
	  "5 records, then a record header with caplen 262145 (> 262144)" },
	{ "cut-record.pcap", NULL,
	  "6 records, the file cut in the middle of the 6th record's data" },
	{ "cut-header.pcap", NULL, "6 records, then 8 bytes of a record header" },
	{ "pcapng-bad-block.pcapng", NULL, "5 packets, then a block whose total length is 10" },
	{ "pcapng-bad-trailer.pcapng", NULL,
	  "5 packets, then an EPB whose trailing length differs from its leading one" },
	{ "pcapng-cut.pcapng", NULL, "5 packets, the file cut inside the 6th EPB" },
	{ "pcapng-bad-iface.pcapng", NULL, "4 packets, then an EPB for interface 7 of 1" },
	{ "gz-cut.pcap.gz", NULL, "a gzip'd pcap whose compressed stream is cut in the middle" },
};

static void save(struct cap *c, const char *dir, const char *name, enum cap_out out, size_t cut)
{
	char path[4096], exp[4096], ename[256];
	const char *dot = strchr(name, '.');

	snprintf(ename, sizeof(ename), "%.*s.expected", (int)(dot - name), name);
	path_join(path, sizeof(path), dir, name);
	path_join(exp, sizeof(exp), dir, ename);
	cap_save(c, path, out, cut, exp);
}

/* An unreadable file: its bytes and an empty expected report. */
static void unreadable(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096], exp[4096], ename[256];
	const char *dot = strchr(name, '.');
	FILE *f;

	snprintf(ename, sizeof(ename), "%.*s.expected", (int)(dot - name), name);
	path_join(path, sizeof(path), dir, name);
	f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f))
		die("cannot write %s", path);
	write_text(path_join(exp, sizeof(exp), dir, ename), "");
}

/* The bytes of c with n bytes at off replaced: an unreadable file. */
static void patched(const char *dir, const char *name, struct cap *c, size_t off, const void *p,
		    size_t n)
{
	size_t len = cap_size(c);
	uint8_t *b = xmalloc(len);

	memcpy(b, cap_bytes(c), len);
	memcpy(b + off, p, n);
	unreadable(dir, name, b, len);
	free(b);
	cap_free(c);
}

void gen_corrupt(const char *dir)
{
	static const char text[] = "This is not a capture file.\nJust some text.\n";
	uint8_t hdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
			    0,	  0,	0,    0,    0, 0, 4, 0, 1, 0, 0, 0 };
	uint8_t bad[64];
	char path[4096];
	struct cap *c;
	size_t at;
	FILE *m;

	make_dir(dir);
	unreadable(dir, "not-a-capture.pcap", text, sizeof(text) - 1);
	unreadable(dir, "empty.pcap", "", 0);
	unreadable(dir, "short-header.pcap", hdr, 12);

	/* Version 1.4 (libpcap and tshark refuse it) and a bad pcapng byte-order magic, good
	 * records after. */
	c = cap_pcap(false, false, LT_ETHERNET, 262144);
	good(c, 0, T(3000, 0), 3);
	patched(dir, "bad-version.pcap", c, 4, "\x01\x00\x04\x00", 4);
	c = cap_pcapng(false);
	cap_iface(c, LT_ETHERNET, 0, -1, 0);
	good(c, 0, T(3000, 0), 3);
	patched(dir, "pcapng-bad-magic.pcapng", c, 8, "\x4e\x3c\x2b\x1a", 4);

	/* A record claiming more than 262144 captured bytes ends the file. */
	c = cap_pcap(false, false, LT_ETHERNET, 262144);
	good(c, 0, T(3010, 0), 5);
	memset(bad, 0, sizeof(bad));
	le32(bad, GEN_BASE_SEC + 3011);
	le32(bad + 8, 262145);
	le32(bad + 12, 262145);
	memset(bad + 16, 0xab, 48);
	cap_damage(c, bad, sizeof(bad));
	save(c, dir, "huge-caplen.pcap", OUT_PLAIN, SIZE_MAX);

	c = cap_pcap(false, false, LT_ETHERNET, 262144);
	good(c, 0, T(3020, 0), 5);
	at = cap_size(c);
	good(c, 0, T(3021, 0), 1);
	save(c, dir, "cut-record.pcap", OUT_PLAIN, at + 16 + 30);

	c = cap_pcap(false, false, LT_ETHERNET, 262144);
	good(c, 0, T(3030, 0), 6);
	at = cap_size(c);
	good(c, 0, T(3031, 0), 1);
	save(c, dir, "cut-header.pcap", OUT_PLAIN, at + 8);

	/* pcapng: an impossible block length after 5 packets. */
	c = cap_pcapng(false);
	cap_iface(c, LT_ETHERNET, 0, -1, 0);
	good(c, 0, T(3040, 0), 5);
	memset(bad, 0, sizeof(bad));
	le32(bad, 6);
	le32(bad + 4, 10);
	cap_damage(c, bad, 32);
	save(c, dir, "pcapng-bad-block.pcapng", OUT_PLAIN, SIZE_MAX);

	c = cap_pcapng(false);
	cap_iface(c, LT_ETHERNET, 0, -1, 0);
	good(c, 0, T(3050, 0), 5);
	{
		struct frame f;

		fr_pkt(&f, LT_ETHERNET, &web, false, 42, NULL);
		memset(bad, 0, sizeof(bad));
		le32(bad, 6);
		le32(bad + 4, 28 + 60 + 4);
		le32(bad + 8, 0);
		le32(bad + 20, 60);
		le32(bad + 24, 60);
		cap_damage(c, bad, 28);
		cap_damage(c, f.b, 60);
		memset(bad, 0, 8);
		le32(bad, 28 + 60 + 4 + 4); /* trailer disagrees */
		cap_damage(c, bad, 4);
		good(c, 0, T(3051, 0), 2);
	}
	save(c, dir, "pcapng-bad-trailer.pcapng", OUT_PLAIN, SIZE_MAX);

	c = cap_pcapng(false);
	cap_iface(c, LT_ETHERNET, 0, -1, 0);
	good(c, 0, T(3060, 0), 5);
	at = cap_size(c);
	good(c, 0, T(3061, 0), 1);
	save(c, dir, "pcapng-cut.pcapng", OUT_PLAIN, at + 40);

	c = cap_pcapng(false);
	cap_iface(c, LT_ETHERNET, 0, -1, 0);
	good(c, 0, T(3070, 0), 4);
	{
		struct frame f;

		fr_pkt(&f, LT_ETHERNET, &web, false, 42, NULL);
		memset(bad, 0, sizeof(bad));
		le32(bad, 6);
		le32(bad + 4, 28 + 60 + 4);
		le32(bad + 8, 7); /* no such interface */
		le32(bad + 20, 60);
		le32(bad + 24, 60);
		cap_damage(c, bad, 28);
		cap_damage(c, f.b, 60);
		le32(bad, 28 + 60 + 4);
		cap_damage(c, bad, 4);
		good(c, 0, T(3071, 0), 2);
	}
	save(c, dir, "pcapng-bad-iface.pcapng", OUT_PLAIN, SIZE_MAX);

	/* gzip cut in the middle of the compressed stream. */
	c = cap_pcap(false, false, LT_ETHERNET, 262144);
	good(c, 0, T(3080, 0), 60);
	save(c, dir, "gz-cut.pcap.gz", OUT_GZIP, GZ_CUT_MIDDLE);

	m = fopen(path_join(path, sizeof(path), dir, "README"), "w");
	if (!m)
		die("cannot create %s", path);
	fprintf(m, "# Damaged captures. Every reader must exit non-zero on each file, print\n"
		   "# a one-line error naming it on stderr, and still report the complete\n"
		   "# records before the damage (NAME.expected; empty = unreadable, no report).\n"
		   "# oracle: yes when oracle.py agrees (exit 1 = unreadable, 3 = damaged,\n"
		   "# same rows), else why tshark differs.\n"
		   "# file\texit\toracle\twhat\n");
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		fprintf(m, "%s\tnon-zero\t%s\t%s\n", list[i].name,
			list[i].oracle ? list[i].oracle : "yes", list[i].what);
	if (ferror(m) | (fclose(m) != 0))
		die("cannot write %s", path);
}
