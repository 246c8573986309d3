/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests of the report, user/output/report.h: the text of a row (every field,
 * IPv4 and IPv6 addresses as glibc's inet_ntop prints them, protocols,
 * 64-bit numbers), the order of README "Report format" (checked against an
 * independent comparator that works on the printed text), report_write_fd,
 * and the output rules (existing file, overwrite, missing directory,
 * symbolic links, atomic replacement, direct outputs written only at the
 * end: standard output, /dev/null, a FIFO).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/report.h"

#define U64_MAX_TEXT "18446744073709551615"
#define ONE_MIB	     (1u << 20)

/* ---- Rows ----------------------------------------------------------------- */

/* A row from address text: IPv4 text makes an IPv4 key, anything with ':' an IPv6 key. */
static struct flow_row row(const char *src, unsigned int sport, const char *dst, unsigned int dport,
			   uint32_t protos, uint64_t first, uint64_t last, uint64_t bytes,
			   uint64_t packets)
{
	struct flow_row r;
	uint8_t a4[4];

	memset(&r, 0, sizeof(r));
	if (strchr(src, ':')) {
		r.key.family = NN_FAMILY_IPV6;
		assert_int_equal(inet_pton(AF_INET6, src, r.key.saddr), 1);
		assert_int_equal(inet_pton(AF_INET6, dst, r.key.daddr), 1);
	} else {
		r.key.family = NN_FAMILY_IPV4;
		r.key.saddr[10] = r.key.saddr[11] = 0xff;
		r.key.daddr[10] = r.key.daddr[11] = 0xff;
		assert_int_equal(inet_pton(AF_INET, src, a4), 1);
		memcpy(&r.key.saddr[12], a4, 4);
		assert_int_equal(inet_pton(AF_INET, dst, a4), 1);
		memcpy(&r.key.daddr[12], a4, 4);
	}
	r.key.sport = htons((uint16_t)sport);
	r.key.dport = htons((uint16_t)dport);
	r.protos = protos;
	r.first_ms = first;
	r.last_ms = last;
	r.bytes = bytes;
	r.packets = packets;
	r.hash = row_hash(&r.key);
	return r;
}

/* Format into a heap block of exactly REPORT_ROW_MAX bytes (ASan sees any overrun). */
static char *format(const struct flow_row *r)
{
	char *buf = malloc(REPORT_ROW_MAX), *text;
	size_t n;

	assert_non_null(buf);
	n = report_format_row(buf, r);
	assert_true(n > 0 && n < REPORT_ROW_MAX);
	assert_int_equal(buf[n - 1], '\n');
	assert_null(memchr(buf, '\n', n - 1));
	assert_null(memchr(buf, '\0', n));
	text = strndup(buf, n);
	assert_non_null(text);
	free(buf);
	return text;
}

static void expect_row(const struct flow_row *r, const char *expected)
{
	char *text = format(r);

	assert_string_equal(text, expected);
	free(text);
}

/* ---- Formatting ------------------------------------------------------------ */

static void expect_as(const struct flow_row *r, enum nasoone_format format, const char *expected)
{
	char *buf = malloc(REPORT_ROW_MAX);
	size_t n;

	assert_non_null(buf);
	n = report_format_row_as(buf, r, format);
	assert_true(n < REPORT_ROW_MAX);
	assert_int_equal(n, strlen(expected));
	assert_memory_equal(buf, expected, n);
	free(buf);
}

static void test_format_csv(void **state)
{
	struct flow_row r = row("192.168.1.20", 53673, "140.82.112.22", 443, NN_PROTO_TCP,
				1672060821764ull, 1672060822393ull, 3802, 11);
	struct flow_row both = row("2001:db8::1", 0, "::ffff:10.0.0.1", 65535,
				   NN_PROTO_TCP | NN_PROTO_UDP, 0, UINT64_MAX, UINT64_MAX, 1);

	(void)state;
	expect_as(&r, NASOONE_FORMAT_CSV,
		  "192.168.1.20,53673,140.82.112.22,443,[TCP],1672060821764,1672060822393,3802,"
		  "11\r\n");
	/* RFC 4180: the field with a comma is quoted. */
	expect_as(&both, NASOONE_FORMAT_CSV,
		  "2001:db8::1,0,::ffff:10.0.0.1,65535,\"[TCP, UDP]\",0,18446744073709551615,"
		  "18446744073709551615,1\r\n");
	assert_string_equal(report_header(NASOONE_FORMAT_CSV),
			    "source ip,source port,destination ip,destination port,protocols,"
			    "first,last,bytes,packets\r\n");
}

static void test_format_json(void **state)
{
	struct flow_row r = row("192.168.1.20", 53673, "140.82.112.22", 443, NN_PROTO_UDP,
				1672060821764ull, 1672060822393ull, 3802, 11);
	struct flow_row longest =
		row("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, NN_PROTO_TCP | NN_PROTO_UDP,
		    UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX);

	(void)state;
	expect_as(&r, NASOONE_FORMAT_JSON,
		  "{\"source_ip\":\"192.168.1.20\",\"source_port\":53673,"
		  "\"destination_ip\":\"140.82.112.22\",\"destination_port\":443,"
		  "\"protocols\":[\"UDP\"],\"first\":1672060821764,\"last\":1672060822393,"
		  "\"bytes\":3802,\"packets\":11}\n");
	/* A row that ended says why. */
	r.key.pad[0] = NASOONE_END_IDLE;
	expect_as(&r, NASOONE_FORMAT_JSON,
		  "{\"source_ip\":\"192.168.1.20\",\"source_port\":53673,"
		  "\"destination_ip\":\"140.82.112.22\",\"destination_port\":443,"
		  "\"protocols\":[\"UDP\"],\"first\":1672060821764,\"last\":1672060822393,"
		  "\"bytes\":3802,\"packets\":11,\"end\":\"idle\"}\n");
	/* The longest row of every format fits REPORT_ROW_MAX (ASan checks the buffer). */
	longest.key.pad[0] = NASOONE_END_EVICTED;
	expect_as(
		&longest, NASOONE_FORMAT_JSON,
		"{\"source_ip\":\"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\",\"source_port\":65535,"
		"\"destination_ip\":\"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\","
		"\"destination_port\":65535,\"protocols\":[\"TCP\",\"UDP\"],"
		"\"first\":18446744073709551615,\"last\":18446744073709551615,"
		"\"bytes\":18446744073709551615,\"packets\":18446744073709551615,"
		"\"end\":\"evicted\"}\n");
	assert_string_equal(report_header(NASOONE_FORMAT_JSON), "");
}

static void test_format_ipv4_row(void **state)
{
	struct flow_row r = row("192.168.1.20", 53673, "140.82.112.22", 443, NN_PROTO_TCP,
				1672060821764ull, 1672060822393ull, 3802, 11);

	(void)state;
	expect_row(&r, "192.168.1.20; 53673; 140.82.112.22; 443; [TCP]; 1672060821764; "
		       "1672060822393; 3802; 11\n");
}

static void test_format_ipv4_addresses(void **state)
{
	static const char *const addrs[] = { "0.0.0.0",	   "255.255.255.255", "10.0.0.1",
					     "1.20.100.0", "100.10.1.200",    "127.0.0.1" };
	char expected[128];
	struct flow_row r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		r = row(addrs[i], 1, addrs[sizeof(addrs) / sizeof(addrs[0]) - 1 - i], 2,
			NN_PROTO_UDP, 3, 4, 5, 6);
		snprintf(expected, sizeof(expected), "%s; 1; %s; 2; [UDP]; 3; 4; 5; 6\n", addrs[i],
			 addrs[sizeof(addrs) / sizeof(addrs[0]) - 1 - i]);
		expect_row(&r, expected);
	}
}

/* An IPv4 key prints only its last 4 bytes, whatever the first 12 hold. */
static void test_format_ipv4_ignores_mapping_bytes(void **state)
{
	struct flow_row r = row("1.2.3.4", 1, "5.6.7.8", 2, NN_PROTO_TCP, 0, 0, 0, 0);

	(void)state;
	expect_row(&r, "1.2.3.4; 1; 5.6.7.8; 2; [TCP]; 0; 0; 0; 0\n");
}

/* The address as the row prints it for an IPv6 key holding the bytes of text. */
static void expect_ipv6(const char *text, const char *expected)
{
	char line[REPORT_ROW_MAX];
	struct flow_row r = row(text, 80, text, 443, NN_PROTO_TCP, 1, 2, 3, 4);

	snprintf(line, sizeof(line), "%s; 80; %s; 443; [TCP]; 1; 2; 3; 4\n", expected, expected);
	expect_row(&r, line);
}

/* RFC 5952 as glibc's inet_ntop applies it, the form README asks for. */
static void test_format_ipv6_rfc5952(void **state)
{
	(void)state;
	expect_ipv6("::", "::");
	expect_ipv6("::1", "::1");
	expect_ipv6("1::", "1::");
	expect_ipv6("2001:db8::1", "2001:db8::1");
	/* A single zero group is not compressed. */
	expect_ipv6("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
	/* Leading zeros dropped, lowercase. */
	expect_ipv6("2001:0DB8:00AB:000C:0000:0000:0000:0001", "2001:db8:ab:c::1");
	expect_ipv6("FE80::ABCD:EF01", "fe80::abcd:ef01");
	/* The longest run is compressed; of two equal runs, the first. */
	expect_ipv6("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");
	expect_ipv6("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
	expect_ipv6("0:0:1:0:0:0:0:0", "0:0:1::");
	expect_ipv6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

/* v4-mapped and v4-compatible IPv6 addresses (family 6) use the dotted form. */
static void test_format_ipv6_dotted_forms(void **state)
{
	(void)state;
	expect_ipv6("::ffff:1.2.3.4", "::ffff:1.2.3.4");
	expect_ipv6("::ffff:0102:0304", "::ffff:1.2.3.4");
	expect_ipv6("::ffff:255.255.255.255", "::ffff:255.255.255.255");
	expect_ipv6("::1.2.3.4", "::1.2.3.4");
	/* Not the mapped prefix: hexadecimal. */
	expect_ipv6("::fffe:102:304", "::fffe:102:304");
	expect_ipv6("1::ffff:102:304", "1::ffff:102:304");
}

/*
 * Every word zero or not, and then random words with many zeros: the row's
 * text is inet_ntop's, byte for byte (the report formats addresses itself).
 */
static void test_format_ipv6_as_inet_ntop(void **state)
{
	static const uint16_t some[] = { 0, 1, 0xa, 0x10, 0xff, 0x100, 0xfff, 0x1000, 0xffff };
	char text[INET6_ADDRSTRLEN], line[REPORT_ROW_MAX], *got;
	struct flow_row r = row("::", 80, "::", 443, NN_PROTO_TCP, 1, 2, 3, 4);
	uint32_t seed = 7, mask, i, w;

	(void)state;
	for (i = 0; i < 256 * 4 + 20000; i++) {
		for (w = 0; w < 8; w++) {
			uint16_t v;

			if (i < 256 * 4) {
				/* The 256 zero patterns, with the other words 1, 0xffff, or the
				 * dotted tails. */
				mask = i & 255;
				v = mask >> w & 1 ? 0 : i >> 8 == 1 ? 0xffff : (uint16_t)(w + 1);
				if (i >> 8 == 2 && w == 5 && mask >> 5 & 1)
					v = 0xffff;
			} else {
				seed = seed * 1103515245u + 12345u;
				v = some[(seed >> 16) % 9];
				if (v && v != 0xffff && (seed & 0xff) < 64)
					v = (uint16_t)(seed >> 8);
			}
			r.key.saddr[2 * w] = (uint8_t)(v >> 8);
			r.key.saddr[2 * w + 1] = (uint8_t)v;
		}
		memcpy(r.key.daddr, r.key.saddr, 16);
		assert_non_null(inet_ntop(AF_INET6, r.key.saddr, text, sizeof(text)));
		snprintf(line, sizeof(line), "%s; 80; %s; 443; [TCP]; 1; 2; 3; 4\n", text, text);
		got = format(&r);
		if (strcmp(got, line))
			fail_msg("got      %s expected %s", got, line);
		free(got);
	}
}

/* Numbers at every digit count's bounds. */
static void test_format_numbers_at_bounds(void **state)
{
	struct flow_row r = row("1.2.3.4", 1, "5.6.7.8", 2, NN_PROTO_TCP, 0, 0, 0, 0);
	char line[REPORT_ROW_MAX], *got;
	uint64_t p = 1;
	int digits;

	(void)state;
	for (digits = 1; digits <= 20; digits++, p *= 10) {
		uint64_t v[3] = { p - 1, p, p + 1 };
		int k;

		for (k = 0; k < 3; k++) {
			r.first_ms = v[k];
			r.last_ms = v[k] * 7;
			r.bytes = ~v[k];
			r.packets = v[k] / 3;
			snprintf(line, sizeof(line),
				 "1.2.3.4; 1; 5.6.7.8; 2; [TCP]; %llu; %llu; %llu; %llu\n",
				 (unsigned long long)r.first_ms, (unsigned long long)r.last_ms,
				 (unsigned long long)r.bytes, (unsigned long long)r.packets);
			got = format(&r);
			assert_string_equal(got, line);
			free(got);
		}
		if (digits == 20)
			break;
	}
}

/* An IPv4 key and an IPv6 key with the same 16 bytes print differently. */
static void test_format_family_decides(void **state)
{
	struct flow_row r = row("1.2.3.4", 1, "5.6.7.8", 2, NN_PROTO_UDP, 0, 0, 0, 0);

	(void)state;
	r.key.family = NN_FAMILY_IPV6;
	expect_row(&r, "::ffff:1.2.3.4; 1; ::ffff:5.6.7.8; 2; [UDP]; 0; 0; 0; 0\n");
}

static void test_format_ports(void **state)
{
	struct flow_row r;

	(void)state;
	r = row("1.1.1.1", 0, "2.2.2.2", 65535, NN_PROTO_TCP, 0, 0, 0, 0);
	expect_row(&r, "1.1.1.1; 0; 2.2.2.2; 65535; [TCP]; 0; 0; 0; 0\n");
	/* Network byte order in the key: 0x0102 is 258, not 513. */
	r = row("1.1.1.1", 0x0102, "2.2.2.2", 0xc0de, NN_PROTO_TCP, 0, 0, 0, 0);
	expect_row(&r, "1.1.1.1; 258; 2.2.2.2; 49374; [TCP]; 0; 0; 0; 0\n");
}

static void test_format_protocols(void **state)
{
	struct flow_row r;

	(void)state;
	r = row("1.1.1.1", 1, "2.2.2.2", 2, NN_PROTO_TCP, 0, 0, 0, 0);
	expect_row(&r, "1.1.1.1; 1; 2.2.2.2; 2; [TCP]; 0; 0; 0; 0\n");
	r.protos = NN_PROTO_UDP;
	expect_row(&r, "1.1.1.1; 1; 2.2.2.2; 2; [UDP]; 0; 0; 0; 0\n");
	r.protos = NN_PROTO_TCP | NN_PROTO_UDP;
	expect_row(&r, "1.1.1.1; 1; 2.2.2.2; 2; [TCP, UDP]; 0; 0; 0; 0\n");
}

static void test_format_max_numbers(void **state)
{
	struct flow_row r =
		row("255.255.255.255", 65535, "255.255.255.255", 65535, NN_PROTO_TCP | NN_PROTO_UDP,
		    UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX);

	(void)state;
	expect_row(&r, "255.255.255.255; 65535; 255.255.255.255; 65535; [TCP, UDP]; " U64_MAX_TEXT
		       "; " U64_MAX_TEXT "; " U64_MAX_TEXT "; " U64_MAX_TEXT "\n");
	r.first_ms = 1;
	r.last_ms = 10;
	r.bytes = 9999999999ull;
	r.packets = 10000000000ull;
	expect_row(&r, "255.255.255.255; 65535; 255.255.255.255; 65535; [TCP, UDP]; 1; 10; "
		       "9999999999; 10000000000\n");
}

/* The longest possible row fits REPORT_ROW_MAX (format() checks the bound). */
static void test_format_longest_row(void **state)
{
	struct flow_row r = row("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
				"::ffff:255.255.255.255", 65535, NN_PROTO_TCP | NN_PROTO_UDP,
				UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX);
	char *text;

	(void)state;
	text = format(&r);
	printf("longest row: %zu bytes of %d\n", strlen(text), REPORT_ROW_MAX);
	free(text);
	/* Both addresses at 45 characters, the longest inet_ntop makes. */
	memset(r.key.saddr, 0xff, 16);
	r.key.saddr[0] = 0;
	memset(r.key.saddr + 1, 0, 9);
	memset(r.key.daddr, 0, 10);
	memset(r.key.daddr + 10, 0xff, 6);
	text = format(&r);
	free(text);
}

/* ---- Order ------------------------------------------------------------------ */

/* A row's text, split: the reference comparator reads the fields as printed. */
struct parsed {
	uint64_t first;
	int src_v6, dst_v6;
	uint8_t src[16], dst[16];
	unsigned long sport, dport;
};

static void parse_ip(const char *text, int *v6, uint8_t *addr)
{
	memset(addr, 0, 16);
	*v6 = strchr(text, ':') != NULL;
	assert_int_equal(inet_pton(*v6 ? AF_INET6 : AF_INET, text, addr), 1);
}

static void parse_text(const struct flow_row *r, struct parsed *p)
{
	char *text = format(r), *field[9], *save = NULL, *s;
	int i = 0;

	for (s = strtok_r(text, ";", &save); s && i < 9; s = strtok_r(NULL, ";", &save))
		field[i++] = s + (s[0] == ' ');
	assert_int_equal(i, 9);
	parse_ip(field[0], &p->src_v6, p->src);
	p->sport = strtoul(field[1], NULL, 10);
	parse_ip(field[2], &p->dst_v6, p->dst);
	p->dport = strtoul(field[3], NULL, 10);
	p->first = strtoull(field[5], NULL, 10);
	free(text);
}

/* README: first, then source ip (IPv4 before IPv6, numeric), source port, destination ip, port. */
static int reference_cmp(const struct flow_row *ra, const struct flow_row *rb)
{
	struct parsed a, b;
	int c;

	parse_text(ra, &a);
	parse_text(rb, &b);
	if (a.first != b.first)
		return a.first < b.first ? -1 : 1;
	if (a.src_v6 != b.src_v6)
		return a.src_v6 - b.src_v6;
	c = memcmp(a.src, b.src, 16);
	if (c)
		return c < 0 ? -1 : 1;
	if (a.sport != b.sport)
		return a.sport < b.sport ? -1 : 1;
	if (a.dst_v6 != b.dst_v6)
		return a.dst_v6 - b.dst_v6;
	c = memcmp(a.dst, b.dst, 16);
	if (c)
		return c < 0 ? -1 : 1;
	if (a.dport != b.dport)
		return a.dport < b.dport ? -1 : 1;
	return 0;
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

/* rows[] is in the expected order: check every pair both ways, then sort a shuffled copy. */
static void expect_order(const struct flow_row *rows, size_t n)
{
	const struct flow_row **ptrs = calloc(n, sizeof(*ptrs));
	char *ta, *tb;
	size_t i, j;

	assert_non_null(ptrs);
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			int want = i < j ? -1 : i > j ? 1 : 0;
			int got = sign(report_row_cmp(&rows[i], &rows[j]));

			assert_int_equal(sign(reference_cmp(&rows[i], &rows[j])), want);
			if (got != want) {
				ta = format(&rows[i]);
				tb = format(&rows[j]);
				fail_msg("report_row_cmp gives %d, expected %d, for\n  %s  %s", got,
					 want, ta, tb);
			}
		}
	}
	/* Reversed, then interleaved: report_sort puts them back. */
	for (i = 0; i < n; i++)
		ptrs[i] = &rows[n - 1 - i];
	report_sort(ptrs, n);
	for (i = 0; i < n; i++)
		assert_ptr_equal(ptrs[i], &rows[i]);
	for (i = 0; i < n; i++)
		ptrs[i] = &rows[(i * 7 + 3) % n];
	if (n % 7 != 0) {
		report_sort(ptrs, n);
		for (i = 0; i < n; i++)
			assert_ptr_equal(ptrs[i], &rows[i]);
	}
	free(ptrs);
}

static void test_order_first_dominates(void **state)
{
	const struct flow_row rows[] = {
		row("::1", 9, "::1", 9, NN_PROTO_TCP, 99, 200, 1, 1),
		row("10.0.0.1", 1, "10.0.0.1", 1, NN_PROTO_TCP, 100, 100, 1, 1),
		row("9.0.0.1", 1, "9.0.0.1", 1, NN_PROTO_TCP, 101, 101, 1, 1),
		row("1.0.0.1", 1, "1.0.0.1", 1, NN_PROTO_TCP, 1000, 1000, 1, 1),
		row("1.0.0.1", 1, "1.0.0.1", 1, NN_PROTO_TCP, UINT64_MAX, 0, 1, 1),
	};

	(void)state;
	expect_order(rows, sizeof(rows) / sizeof(rows[0]));
}

/* Same first: IPv4 before IPv6, even IPv6 addresses below ::ffff:0:0 in byte order. */
static void test_order_ipv4_before_ipv6(void **state)
{
	const struct flow_row rows[] = {
		row("0.0.0.0", 9, "0.0.0.0", 9, NN_PROTO_TCP, 5, 5, 1, 1),
		row("255.255.255.255", 1, "1.1.1.1", 1, NN_PROTO_TCP, 5, 5, 1, 1),
		row("::", 1, "::", 1, NN_PROTO_TCP, 5, 5, 1, 1),
		row("::1", 1, "::", 1, NN_PROTO_TCP, 5, 5, 1, 1),
		row("::ffff:1.2.3.4", 1, "::", 1, NN_PROTO_TCP, 5, 5, 1, 1),
		row("2001:db8::1", 1, "::", 1, NN_PROTO_TCP, 5, 5, 1, 1),
		row("fe80::1", 1, "::", 1, NN_PROTO_TCP, 5, 5, 1, 1),
	};

	(void)state;
	expect_order(rows, sizeof(rows) / sizeof(rows[0]));
}

/* Addresses compare as numbers, not as text ("10." < "9." as strings). */
static void test_order_addresses_numeric(void **state)
{
	const struct flow_row rows[] = {
		row("9.0.0.1", 1, "1.1.1.1", 1, NN_PROTO_UDP, 7, 7, 1, 1),
		row("10.0.0.1", 1, "1.1.1.1", 1, NN_PROTO_UDP, 7, 7, 1, 1),
		row("10.0.0.2", 1, "1.1.1.1", 1, NN_PROTO_UDP, 7, 7, 1, 1),
		row("10.0.0.10", 1, "1.1.1.1", 1, NN_PROTO_UDP, 7, 7, 1, 1),
		row("10.0.1.0", 1, "1.1.1.1", 1, NN_PROTO_UDP, 7, 7, 1, 1),
		row("192.168.0.1", 1, "1.1.1.1", 1, NN_PROTO_UDP, 7, 7, 1, 1),
		row("2001:db8::2", 1, "::1", 1, NN_PROTO_UDP, 7, 7, 1, 1),
		row("2001:db8::10", 1, "::1", 1, NN_PROTO_UDP, 7, 7, 1, 1),
		row("2001:db8::1:0", 1, "::1", 1, NN_PROTO_UDP, 7, 7, 1, 1),
		row("2001:db9::", 1, "::1", 1, NN_PROTO_UDP, 7, 7, 1, 1),
	};

	(void)state;
	expect_order(rows, sizeof(rows) / sizeof(rows[0]));
}

/* Ports are numbers: 1 < 255 < 256 < 65535, whatever their bytes in the key. */
static void test_order_ports_numeric(void **state)
{
	const struct flow_row rows[] = {
		row("10.0.0.1", 1, "10.0.0.9", 2, NN_PROTO_TCP, 3, 3, 1, 1),
		row("10.0.0.1", 255, "10.0.0.9", 1, NN_PROTO_TCP, 3, 3, 1, 1),
		row("10.0.0.1", 256, "10.0.0.9", 1, NN_PROTO_TCP, 3, 3, 1, 1),
		row("10.0.0.1", 256, "10.0.0.9", 256, NN_PROTO_TCP, 3, 3, 1, 1),
		row("10.0.0.1", 256, "10.0.0.9", 257, NN_PROTO_TCP, 3, 3, 1, 1),
		row("10.0.0.1", 256, "10.0.0.9", 65535, NN_PROTO_TCP, 3, 3, 1, 1),
		row("10.0.0.1", 0x0201, "10.0.0.9", 1, NN_PROTO_TCP, 3, 3, 1, 1),
		row("10.0.0.1", 65535, "10.0.0.9", 0, NN_PROTO_TCP, 3, 3, 1, 1),
	};

	(void)state;
	expect_order(rows, sizeof(rows) / sizeof(rows[0]));
}

/* Field precedence: source ip, then source port, then destination ip, then its port. */
static void test_order_field_precedence(void **state)
{
	const struct flow_row rows[] = {
		row("10.0.0.1", 1, "10.0.0.9", 9, NN_PROTO_TCP, 3, 3, 1, 1),
		row("10.0.0.1", 1, "10.0.0.10", 1, NN_PROTO_TCP, 3, 3, 1, 1),
		row("10.0.0.1", 2, "10.0.0.1", 1, NN_PROTO_TCP, 3, 3, 1, 1),
		row("10.0.0.1", 2, "10.0.0.1", 2, NN_PROTO_TCP, 3, 3, 1, 1),
		row("10.0.0.1", 65535, "0.0.0.0", 0, NN_PROTO_TCP, 3, 3, 1, 1),
		row("10.0.0.2", 0, "255.255.255.255", 65535, NN_PROTO_TCP, 3, 3, 1, 1),
		row("2001:db8::1", 1, "2001:db8::9", 9, NN_PROTO_TCP, 3, 3, 1, 1),
		row("2001:db8::1", 1, "2001:db8::a", 1, NN_PROTO_TCP, 3, 3, 1, 1),
		row("2001:db8::1", 2, "::", 0, NN_PROTO_TCP, 3, 3, 1, 1),
	};

	(void)state;
	expect_order(rows, sizeof(rows) / sizeof(rows[0]));
}

/* Protocols, last, bytes and packets do not take part in the order. */
static void test_order_ignores_counters(void **state)
{
	struct flow_row a = row("10.0.0.1", 1, "10.0.0.2", 2, NN_PROTO_TCP, 3, 3, 1, 1);
	struct flow_row b = row("10.0.0.1", 1, "10.0.0.2", 2, NN_PROTO_UDP, 3, 99, 100, 7);

	(void)state;
	assert_int_equal(report_row_cmp(&a, &b), 0);
	assert_int_equal(report_row_cmp(&b, &a), 0);
	assert_int_equal(report_row_cmp(&a, &a), 0);
}

/* Pseudo-random rows with few distinct values per field, so ties go deep. */
static void test_order_random_against_reference(void **state)
{
	static const char *const v4[] = { "9.9.9.9", "10.0.0.1", "10.0.0.2", "192.168.0.1" };
	static const char *const v6[] = { "::1", "::ffff:10.0.0.1", "2001:db8::2", "2001:db8::10" };
	static const unsigned int ports[] = { 1, 255, 256, 443, 65535 };
	enum { N = 1500 };
	struct flow_row *rows = calloc(N, sizeof(*rows));
	const struct flow_row **ptrs = calloc(N, sizeof(*ptrs));
	uint32_t seed = 12345;
	size_t i;

	(void)state;
	assert_non_null(rows);
	assert_non_null(ptrs);
	for (i = 0; i < N; i++) {
		uint32_t r;
		const char *const *fam;

		seed = seed * 1103515245u + 12345u;
		r = seed >> 8;
		fam = r & 1 ? v6 : v4;
		rows[i] = row(fam[(r >> 1) & 3], ports[(r >> 3) % 5], fam[(r >> 6) & 3],
			      ports[(r >> 8) % 5], NN_PROTO_TCP, (r >> 11) % 3, 0, 0, 0);
		ptrs[i] = &rows[i];
	}
	report_sort(ptrs, N);
	for (i = 1; i < N; i++) {
		if (reference_cmp(ptrs[i - 1], ptrs[i]) > 0) {
			char *a = format(ptrs[i - 1]), *b = format(ptrs[i]);

			fail_msg("rows %zu and %zu out of order:\n  %s  %s", i - 1, i, a, b);
		}
		assert_int_equal(sign(report_row_cmp(ptrs[i - 1], ptrs[i])),
				 sign(reference_cmp(ptrs[i - 1], ptrs[i])));
	}
	free(ptrs);
	free(rows);
}

/*
 * The sort compares a packed prefix of each key before the keys: keys that
 * agree in that prefix or differ just past it (IPv4 keys whose bytes 0-11
 * are not the v4 mapping, IPv6 addresses alike in their first 7 bytes, the
 * ports), all within one millisecond, still come out in report_row_cmp order.
 */
static void test_order_prefix_edges(void **state)
{
	enum { N = 3000 };
	static const uint8_t v6[][16] = {
		{ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
		{ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 },
		{ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 },
		{ 0 },
		{ [15] = 1 },
		{ [10] = 0xff, [11] = 0xff, [12] = 10, [15] = 1 },
	};
	struct flow_row *rows = calloc(N, sizeof(*rows));
	const struct flow_row **ptrs = calloc(N, sizeof(*ptrs));
	uint32_t seed = 99;
	size_t i;

	(void)state;
	assert_non_null(rows);
	assert_non_null(ptrs);
	for (i = 0; i < N; i++) {
		struct flow_row *r = &rows[i];
		uint32_t x;

		seed = seed * 1103515245u + 12345u;
		x = seed >> 4;
		*r = row("10.0.0.1", 1, "10.0.0.2", 2, NN_PROTO_TCP, x % 2, 0, 0, 0);
		if (x >> 1 & 1) {
			r->key.family = NN_FAMILY_IPV6;
			memcpy(r->key.saddr, v6[(x >> 2) % 6], 16);
			memcpy(r->key.daddr, v6[(x >> 5) % 6], 16);
		} else {
			/* Bytes 0-11: the mapping, zero, all ones, or one byte off either way. */
			switch ((x >> 2) % 5) {
			case 1:
				memset(r->key.saddr, 0, 12);
				break;
			case 2:
				memset(r->key.saddr, 0xff, 12);
				break;
			case 3:
				r->key.saddr[11] = 0xfe;
				break;
			case 4:
				r->key.saddr[9] = 1;
				break;
			}
			r->key.saddr[15] = (uint8_t)((x >> 5) % 3);
			r->key.daddr[15] = (uint8_t)((x >> 7) % 3);
		}
		r->key.sport = htons((uint16_t)((x >> 9) % 3 * 255));
		r->key.dport = htons((uint16_t)((x >> 11) % 3 * 256));
		ptrs[i] = r;
	}
	report_sort(ptrs, N);
	for (i = 1; i < N; i++)
		if (report_row_cmp(ptrs[i - 1], ptrs[i]) > 0)
			fail_msg("rows %zu and %zu out of order", i - 1, i);
	free(ptrs);
	free(rows);
}

/*
 * Enough rows for the sort to split them between threads and merge them:
 * every row once, in order, ties on first included (few distinct times).
 */
static void test_order_large_split_and_merged(void **state)
{
	enum { N = 300001 };
	struct flow_row *rows = calloc(N, sizeof(*rows));
	const struct flow_row **ptrs = calloc(N, sizeof(*ptrs));
	unsigned char *seen = calloc(N, 1);
	uint32_t seed = 4242;
	size_t i;

	(void)state;
	assert_non_null(rows);
	assert_non_null(ptrs);
	assert_non_null(seen);
	for (i = 0; i < N; i++) {
		uint32_t x;

		seed = seed * 1103515245u + 12345u;
		x = seed >> 2;
		rows[i] = row("10.0.0.1", 1, "10.0.0.2", 2, NN_PROTO_TCP, (N - i) / 1000 + x % 7, 0,
			      0, 0);
		if (x & 1) {
			rows[i].key.family = NN_FAMILY_IPV6;
			rows[i].key.saddr[0] = 0x20;
		}
		rows[i].key.saddr[15] = (uint8_t)(x >> 4);
		rows[i].key.daddr[14] = (uint8_t)(x >> 12);
		rows[i].key.daddr[15] = (uint8_t)i;
		rows[i].key.sport = htons((uint16_t)(x >> 20));
		rows[i].key.dport = htons((uint16_t)(i >> 8));
		ptrs[i] = &rows[i];
	}
	report_sort(ptrs, N);
	for (i = 0; i < N; i++) {
		size_t at = (size_t)(ptrs[i] - rows);

		assert_true(at < N);
		assert_int_equal(seen[at], 0);
		seen[at] = 1;
		if (i && report_row_cmp(ptrs[i - 1], ptrs[i]) > 0)
			fail_msg("rows %zu and %zu out of order", i - 1, i);
	}
	free(seen);
	free(ptrs);
	free(rows);
}

/* ---- Temporary directory ---------------------------------------------------- */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/nasoone-report-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(tmpdir);

	(void)state;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		unlink(path);
	}
	closedir(d);
	return rmdir(tmpdir);
}

static char *tpath(const char *name)
{
	static char path[4][512];
	static int next;
	char *p = path[next++ & 3];

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	return p;
}

static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* The whole content of an open file, from offset 0. */
static char *read_fd(int fd, size_t *len)
{
	size_t cap = 1 << 16, used = 0;
	char *buf = malloc(cap + 1);
	ssize_t n;

	assert_non_null(buf);
	assert_true(lseek(fd, 0, SEEK_SET) == 0);
	while ((n = read(fd, buf + used, cap - used)) > 0) {
		used += (size_t)n;
		if (used == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
	}
	assert_true(n == 0);
	buf[used] = '\0';
	if (len)
		*len = used;
	return buf;
}

static char *read_path(const char *path)
{
	int fd = open(path, O_RDONLY);
	char *text;

	assert_true(fd >= 0);
	text = read_fd(fd, NULL);
	close(fd);
	return text;
}

/* Names in the temporary directory, sorted, joined by spaces. */
static void list_dir(char *out, size_t size)
{
	struct dirent **names;
	int n, i;

	out[0] = '\0';
	n = scandir(tmpdir, &names, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
			if (out[0])
				strncat(out, " ", size - strlen(out) - 1);
			strncat(out, names[i]->d_name, size - strlen(out) - 1);
		}
		free(names[i]);
	}
	free(names);
}

/* Header and the rows as report_format_row prints them. */
static char *expected_report(const struct flow_row *const *rows, size_t n)
{
	size_t cap = strlen(REPORT_HEADER) + n * REPORT_ROW_MAX + 1, used;
	char *buf = malloc(cap);
	size_t i;

	assert_non_null(buf);
	used = strlen(REPORT_HEADER);
	memcpy(buf, REPORT_HEADER, used);
	for (i = 0; i < n; i++)
		used += report_format_row(buf + used, rows[i]);
	buf[used] = '\0';
	return buf;
}

/* ---- report_write_fd ------------------------------------------------------- */

static void test_header_text(void **state)
{
	(void)state;
	assert_string_equal(REPORT_HEADER, "source ip; source port; destination ip; destination "
					   "port; protocols; first; last; bytes; packets\n");
}

static void test_write_fd_header_only(void **state)
{
	int fd = open(tpath("empty"), O_RDWR | O_CREAT | O_EXCL, 0644);
	char *text;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(report_write_fd(fd, NULL, 0), 0);
	text = read_fd(fd, NULL);
	assert_string_equal(text, REPORT_HEADER);
	free(text);
	close(fd);
}

static void test_write_fd_rows(void **state)
{
	const struct flow_row r[3] = {
		row("192.168.1.20", 53673, "140.82.112.22", 443, NN_PROTO_TCP, 1672060821764ull,
		    1672060822393ull, 3802, 11),
		row("2001:db8::1", 53, "::1", 5353, NN_PROTO_UDP, 1, 2, 3, 4),
		row("10.0.0.1", 1, "10.0.0.2", 2, NN_PROTO_TCP | NN_PROTO_UDP, 5, 6, 7, 8),
	};
	const struct flow_row *ptrs[3] = { &r[0], &r[1], &r[2] };
	int fd = open(tpath("rows"), O_RDWR | O_CREAT | O_EXCL, 0644);
	char *text;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(report_write_fd(fd, ptrs, 3), 0);
	text = read_fd(fd, NULL);
	/* Written in the order given: sorting is the caller's. */
	assert_string_equal(text,
			    REPORT_HEADER "192.168.1.20; 53673; 140.82.112.22; 443; [TCP]; "
					  "1672060821764; 1672060822393; 3802; 11\n"
					  "2001:db8::1; 53; ::1; 5353; [UDP]; 1; 2; 3; 4\n"
					  "10.0.0.1; 1; 10.0.0.2; 2; [TCP, UDP]; 5; 6; 7; 8\n");
	free(text);
	close(fd);
}

/* Several MiB of rows: the buffer is flushed at the right places, nothing lost or doubled. */
static void test_write_fd_large(void **state)
{
	enum { N = 40000 };
	struct flow_row *rows = calloc(N, sizeof(*rows));
	const struct flow_row **ptrs = calloc(N, sizeof(*ptrs));
	int fd = open(tpath("large"), O_RDWR | O_CREAT | O_EXCL, 0644);
	char *text, *expected;
	size_t i, len;

	(void)state;
	assert_non_null(rows);
	assert_non_null(ptrs);
	assert_true(fd >= 0);
	for (i = 0; i < N; i++) {
		rows[i] =
			row("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535,
			    "::ffff:255.255.255.255", (unsigned int)i, NN_PROTO_TCP | NN_PROTO_UDP,
			    UINT64_MAX - i, UINT64_MAX, UINT64_MAX - 2 * i, i);
		ptrs[i] = &rows[i];
	}
	assert_int_equal(report_write_fd(fd, ptrs, N), 0);
	text = read_fd(fd, &len);
	expected = expected_report(ptrs, N);
	assert_true(len > (3u << 20));
	assert_int_equal(len, strlen(expected));
	assert_true(memcmp(text, expected, len) == 0);
	free(expected);
	free(text);
	close(fd);
	free(ptrs);
	free(rows);
}

static void test_write_fd_errors(void **state)
{
	const struct flow_row r = row("1.1.1.1", 1, "2.2.2.2", 2, NN_PROTO_TCP, 0, 0, 0, 0);
	const struct flow_row *ptr = &r;
	int fd, pipefd[2];
	void (*old)(int);

	(void)state;
	assert_int_equal(report_write_fd(-1, &ptr, 1), -EBADF);
	write_text(tpath("ro"), "");
	fd = open(tpath("ro"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(report_write_fd(fd, &ptr, 1), -EBADF);
	close(fd);
	/* A pipe nobody reads: -EPIPE (with SIGPIPE ignored, as a caller would). */
	assert_int_equal(pipe(pipefd), 0);
	close(pipefd[0]);
	old = signal(SIGPIPE, SIG_IGN);
	assert_int_equal(report_write_fd(pipefd[1], &ptr, 1), -EPIPE);
	signal(SIGPIPE, old);
	close(pipefd[1]);
}

/* A large report (formatted by several threads) that cannot be written: the error, no hang. */
static void test_write_fd_large_errors(void **state)
{
	enum { N = 100000 };
	struct flow_row r = row("1.1.1.1", 1, "2.2.2.2", 2, NN_PROTO_TCP, 0, 0, 0, 0);
	const struct flow_row **ptrs = calloc(N, sizeof(*ptrs));
	int fd, pipefd[2];
	void (*old)(int);
	size_t i;

	(void)state;
	assert_non_null(ptrs);
	for (i = 0; i < N; i++)
		ptrs[i] = &r;
	write_text(tpath("ro-large"), "");
	fd = open(tpath("ro-large"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(report_write_fd(fd, ptrs, N), -EBADF);
	close(fd);
	/* A pipe nobody reads. */
	assert_int_equal(pipe(pipefd), 0);
	old = signal(SIGPIPE, SIG_IGN);
	close(pipefd[0]);
	assert_int_equal(report_write_fd(pipefd[1], ptrs, N), -EPIPE);
	signal(SIGPIPE, old);
	close(pipefd[1]);
	free(ptrs);
}

/* ---- Output rules ------------------------------------------------------------ */

static void test_output_new_file(void **state)
{
	struct report_output out = { 0 };
	const char *path = tpath("report.txt");
	struct stat st;
	char *text;

	(void)state;
	assert_int_equal(report_output_set(&out, path, false), 0);
	assert_int_equal(out.kind, REPORT_REGULAR);
	assert_string_equal(out.path, path);
	/* Nothing is created before report_output_create. */
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(report_output_create(&out), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* The header is there at once: a run killed before its first interval leaves a report. */
	text = read_path(path);
	assert_string_equal(text, REPORT_HEADER);
	free(text);
	/* Created once: a second call is a no-op, not -EEXIST. */
	assert_int_equal(report_output_create(&out), 0);
	assert_int_equal(report_output_write(&out, NULL, 0, false), 0);
	text = read_path(path);
	assert_string_equal(text, REPORT_HEADER);
	free(text);
	report_output_clear(&out);
	assert_null(out.path);
	assert_int_equal(out.kind, REPORT_NONE);
}

static void test_output_existing_file_refused(void **state)
{
	struct report_output out = { 0 };
	const char *path = tpath("exists.txt");
	char *text;

	(void)state;
	write_text(path, "keep me\n");
	assert_int_equal(report_output_set(&out, path, false), -EEXIST);
	report_output_clear(&out);
	text = read_path(path);
	assert_string_equal(text, "keep me\n");
	free(text);
}

static void test_output_existing_file_overwrite(void **state)
{
	const struct flow_row r = row("1.1.1.1", 1, "2.2.2.2", 2, NN_PROTO_TCP, 3, 4, 5, 6);
	const struct flow_row *ptr = &r;
	struct report_output out = { 0 };
	const char *path = tpath("exists.txt");
	char *text;

	(void)state;
	write_text(path, "old content that is longer than the new report, to see truncation\n"
			 "old content that is longer than the new report, to see truncation\n"
			 "old content that is longer than the new report, to see truncation\n");
	assert_int_equal(report_output_set(&out, path, true), 0);
	assert_int_equal(out.kind, REPORT_REGULAR);
	assert_int_equal(report_output_create(&out), 0);
	/* Until the first write, the old content stays. */
	text = read_path(path);
	assert_true(strncmp(text, "old content", 11) == 0);
	free(text);
	assert_int_equal(report_output_write(&out, &ptr, 1, false), 0);
	text = read_path(path);
	assert_string_equal(text, REPORT_HEADER "1.1.1.1; 1; 2.2.2.2; 2; [TCP]; 3; 4; 5; 6\n");
	free(text);
	report_output_clear(&out);
}

static void test_output_missing_directory(void **state)
{
	struct report_output out = { 0 };

	(void)state;
	assert_int_equal(report_output_set(&out, tpath("no-such-dir/report.txt"), false), -ENOENT);
	report_output_clear(&out);
	assert_int_equal(report_output_set(&out, tpath("no/such/dir/report.txt"), true), -ENOENT);
	report_output_clear(&out);
}

static void test_output_directory_refused(void **state)
{
	struct report_output out = { 0 };

	(void)state;
	assert_int_equal(report_output_set(&out, tmpdir, true), -EISDIR);
	report_output_clear(&out);
}

static void test_output_symlink_refused(void **state)
{
	struct report_output out = { 0 };
	const char *target = tpath("target.txt"), *link = tpath("link.txt"),
		   *dangling = tpath("dangling.txt");
	char *text;

	(void)state;
	write_text(target, "target\n");
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(symlink(tpath("nowhere"), dangling), 0);
	assert_int_equal(report_output_set(&out, link, false), -ELOOP);
	report_output_clear(&out);
	assert_int_equal(report_output_set(&out, link, true), -ELOOP);
	report_output_clear(&out);
	assert_int_equal(report_output_set(&out, dangling, true), -ELOOP);
	report_output_clear(&out);
	text = read_path(target);
	assert_string_equal(text, "target\n");
	free(text);
	assert_int_equal(access(tpath("nowhere"), F_OK), -1);
}

/* A symlink planted between set and create is not followed (O_EXCL | O_NOFOLLOW). */
static void test_output_create_race_with_symlink(void **state)
{
	struct report_output out = { 0 };
	const char *path = tpath("report.txt"), *victim = tpath("victim.txt");
	char *text;

	(void)state;
	write_text(victim, "victim\n");
	assert_int_equal(report_output_set(&out, path, false), 0);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(report_output_create(&out), -EEXIST);
	text = read_path(victim);
	assert_string_equal(text, "victim\n");
	free(text);
	report_output_clear(&out);
}

/* A file that appears between set and create is not truncated or taken over. */
static void test_output_create_race_with_file(void **state)
{
	struct report_output out = { 0 };
	const char *path = tpath("report.txt");
	char *text;

	(void)state;
	assert_int_equal(report_output_set(&out, path, false), 0);
	write_text(path, "someone else's\n");
	assert_int_equal(report_output_create(&out), -EEXIST);
	text = read_path(path);
	assert_string_equal(text, "someone else's\n");
	free(text);
	report_output_clear(&out);
}

/*
 * Every write replaces the file by rename: a reader that opened the old
 * file keeps the complete old report, the path shows the complete new one,
 * no temporary file is left behind, and the file is 0644 (umask 022).
 */
static void test_output_atomic_replace(void **state)
{
	enum { N = 30000 };
	struct flow_row *rows = calloc(N, sizeof(*rows));
	const struct flow_row **ptrs = calloc(N, sizeof(*ptrs));
	struct report_output out = { 0 };
	const char *path = tpath("report.txt");
	char *old_expected, *new_expected, *text, names[1024];
	struct stat st_old, st_new;
	int old_fd;
	size_t i;

	(void)state;
	assert_non_null(rows);
	assert_non_null(ptrs);
	for (i = 0; i < N; i++) {
		rows[i] = row("2001:db8::1", (unsigned int)i & 0xffff, "2001:db8::2", 443,
			      NN_PROTO_TCP, i, i + 1, i * 100, i);
		ptrs[i] = &rows[i];
	}
	assert_int_equal(report_output_set(&out, path, false), 0);
	assert_int_equal(report_output_create(&out), 0);
	assert_int_equal(report_output_write(&out, ptrs, 10, false), 0);
	old_expected = expected_report(ptrs, 10);
	old_fd = open(path, O_RDONLY);
	assert_true(old_fd >= 0);
	assert_int_equal(fstat(old_fd, &st_old), 0);

	assert_int_equal(report_output_write(&out, ptrs, N, false), 0);
	new_expected = expected_report(ptrs, N);
	text = read_fd(old_fd, NULL);
	assert_string_equal(text, old_expected);
	free(text);
	text = read_path(path);
	assert_true(strlen(text) > ONE_MIB);
	assert_string_equal(text, new_expected);
	free(text);
	assert_int_equal(stat(path, &st_new), 0);
	assert_true(st_new.st_ino != st_old.st_ino);
	assert_int_equal(st_new.st_mode & 07777, 0644);
	list_dir(names, sizeof(names));
	assert_string_equal(names, "report.txt");

	/* The final write is one more replacement, with the same guarantees. */
	assert_int_equal(report_output_write(&out, ptrs + 5, 3, true), 0);
	free(new_expected);
	new_expected = expected_report(ptrs + 5, 3);
	text = read_path(path);
	assert_string_equal(text, new_expected);
	free(text);
	list_dir(names, sizeof(names));
	assert_string_equal(names, "report.txt");

	close(old_fd);
	free(old_expected);
	free(new_expected);
	report_output_clear(&out);
	free(ptrs);
	free(rows);
}

/* A relative name without a directory part: the temporary file goes to ".". */
static void test_output_relative_name(void **state)
{
	const struct flow_row r = row("1.1.1.1", 1, "2.2.2.2", 2, NN_PROTO_UDP, 3, 4, 5, 6);
	const struct flow_row *ptr = &r;
	struct report_output out = { 0 };
	char cwd[4096], names[1024], *text;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tmpdir), 0);
	assert_int_equal(report_output_set(&out, "rel.txt", false), 0);
	assert_int_equal(report_output_create(&out), 0);
	assert_int_equal(report_output_write(&out, &ptr, 1, false), 0);
	assert_int_equal(report_output_write(&out, &ptr, 1, true), 0);
	report_output_clear(&out);
	assert_int_equal(chdir(cwd), 0);
	text = read_path(tpath("rel.txt"));
	assert_string_equal(text, REPORT_HEADER "1.1.1.1; 1; 2.2.2.2; 2; [UDP]; 3; 4; 5; 6\n");
	free(text);
	list_dir(names, sizeof(names));
	assert_string_equal(names, "rel.txt");
}

/* The directory vanished after set: the write fails and leaves nothing behind. */
static void test_output_write_error(void **state)
{
	struct report_output out = { 0 };
	char sub[512];

	(void)state;
	snprintf(sub, sizeof(sub), "%s", tpath("sub"));
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(report_output_set(&out, tpath("sub/report.txt"), false), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(report_output_create(&out), -ENOENT);
	assert_int_equal(report_output_write(&out, NULL, 0, true), -ENOENT);
	report_output_clear(&out);
}

static void test_output_none(void **state)
{
	struct report_output out = { 0 };

	(void)state;
	assert_int_equal(report_output_create(&out), 0);
	assert_int_equal(report_output_write(&out, NULL, 0, true), 0);
	report_output_clear(&out);
}

/* "-" is standard output, written only by the final write. */
static void test_output_stdout(void **state)
{
	const struct flow_row r = row("1.1.1.1", 1, "2.2.2.2", 2, NN_PROTO_TCP, 3, 4, 5, 6);
	const struct flow_row *ptr = &r;
	struct report_output out = { 0 };
	int fd = open(tpath("stdout"), O_RDWR | O_CREAT | O_EXCL, 0644), saved;
	char *text;
	int ret[3];

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(report_output_set(&out, "-", false), 0);
	assert_int_equal(out.kind, REPORT_DIRECT);
	assert_null(out.path);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDOUT_FILENO) == STDOUT_FILENO);
	ret[0] = report_output_create(&out);
	ret[1] = report_output_write(&out, &ptr, 1, false);
	ret[2] = report_output_write(&out, &ptr, 1, true);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) == STDOUT_FILENO);
	close(saved);
	assert_int_equal(ret[0], 0);
	assert_int_equal(ret[1], 0);
	assert_int_equal(ret[2], 0);
	text = read_fd(fd, NULL);
	assert_string_equal(text, REPORT_HEADER "1.1.1.1; 1; 2.2.2.2; 2; [TCP]; 3; 4; 5; 6\n");
	free(text);
	close(fd);
	report_output_clear(&out);
}

/* /dev/null is a direct output: it is written, never replaced or created. */
static void test_output_dev_null(void **state)
{
	const struct flow_row r = row("1.1.1.1", 1, "2.2.2.2", 2, NN_PROTO_TCP, 3, 4, 5, 6);
	const struct flow_row *ptr = &r;
	struct report_output out = { 0 };
	struct stat before, after;

	(void)state;
	assert_int_equal(stat("/dev/null", &before), 0);
	assert_int_equal(report_output_set(&out, "/dev/null", false), 0);
	assert_int_equal(out.kind, REPORT_DIRECT);
	assert_int_equal(report_output_create(&out), 0);
	assert_int_equal(report_output_write(&out, &ptr, 1, false), 0);
	assert_int_equal(report_output_write(&out, &ptr, 1, true), 0);
	assert_int_equal(stat("/dev/null", &after), 0);
	assert_true(S_ISCHR(after.st_mode));
	assert_true(after.st_ino == before.st_ino && after.st_rdev == before.st_rdev);
	report_output_clear(&out);
}

/*
 * A FIFO: the test holds the read end (O_NONBLOCK, so opening it does not
 * wait for a writer). Interval writes must not touch the FIFO at all; the
 * final write delivers the whole report, which fits the pipe buffer.
 */
static void test_output_fifo(void **state)
{
	const struct flow_row r = row("::1", 1, "::2", 2, NN_PROTO_UDP, 3, 4, 5, 6);
	const struct flow_row *ptr = &r;
	struct report_output out = { 0 };
	const char *path = tpath("fifo");
	char buf[4096], names[1024];
	struct stat st;
	ssize_t n;
	size_t used = 0;
	int rd;

	(void)state;
	assert_int_equal(mkfifo(path, 0600), 0);
	rd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	assert_int_equal(report_output_set(&out, path, false), 0);
	assert_int_equal(out.kind, REPORT_DIRECT);
	assert_int_equal(report_output_create(&out), 0);
	assert_int_equal(report_output_write(&out, &ptr, 1, false), 0);
	assert_int_equal(report_output_write(&out, &ptr, 1, false), 0);
	/* No writer ever opened it: EOF (0) or EAGAIN, never data. */
	n = read(rd, buf, sizeof(buf));
	assert_true(n == 0 || (n < 0 && errno == EAGAIN));
	assert_int_equal(report_output_write(&out, &ptr, 1, true), 0);
	while ((n = read(rd, buf + used, sizeof(buf) - 1 - used)) > 0)
		used += (size_t)n;
	buf[used] = '\0';
	assert_string_equal(buf, REPORT_HEADER "::1; 1; ::2; 2; [UDP]; 3; 4; 5; 6\n");
	close(rd);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	list_dir(names, sizeof(names));
	assert_string_equal(names, "fifo");
	report_output_clear(&out);
}

/*
 * The FIFO named at set time is swapped for a symbolic link (or a regular
 * file) before the final write: the write must not follow the new entry,
 * and the file it points to stays as it was.
 */
static void test_output_fifo_swapped(void **state)
{
	const struct flow_row r = row("::1", 1, "::2", 2, NN_PROTO_UDP, 3, 4, 5, 6);
	const struct flow_row *ptr = &r;
	const char *path = tpath("fifo"), *victim = tpath("victim.txt");
	struct report_output out = { 0 };
	char *text;
	int swap;

	(void)state;
	write_text(victim, "victim\n");
	for (swap = 0; swap < 2; swap++) {
		assert_int_equal(mkfifo(path, 0600), 0);
		assert_int_equal(report_output_set(&out, path, false), 0);
		assert_int_equal(out.kind, REPORT_DIRECT);
		assert_int_equal(report_output_create(&out), 0);
		assert_int_equal(unlink(path), 0);
		if (swap == 0)
			assert_int_equal(symlink(victim, path), 0);
		else
			assert_int_equal(link(victim, path), 0);
		assert_true(report_output_write(&out, &ptr, 1, true) < 0);
		text = read_path(victim);
		assert_string_equal(text, "victim\n");
		free(text);
		report_output_clear(&out);
		assert_int_equal(unlink(path), 0);
	}
}

/* A new report gets the mode the umask gives (0666 & ~umask), as any new file. */
static void test_output_respects_umask(void **state)
{
	const struct flow_row r = row("1.1.1.1", 1, "2.2.2.2", 2, NN_PROTO_TCP, 3, 4, 5, 6);
	const struct flow_row *ptr = &r;
	static const mode_t masks[] = { 077, 027, 002 };
	struct report_output out = { 0 };
	const char *path = tpath("report.txt");
	struct stat st;
	mode_t old;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		old = umask(masks[i]);
		assert_int_equal(report_output_set(&out, path, false), 0);
		assert_int_equal(report_output_create(&out), 0);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0666 & ~masks[i]);
		assert_int_equal(report_output_write(&out, &ptr, 1, false), 0);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0666 & ~masks[i]);
		assert_int_equal(report_output_write(&out, &ptr, 1, true), 0);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0666 & ~masks[i]);
		umask(old);
		report_output_clear(&out);
		assert_int_equal(unlink(path), 0);
	}
}

/* -F keeps the mode of the file it replaces. */
static void test_output_overwrite_keeps_mode(void **state)
{
	struct report_output out = { 0 };
	const char *path = tpath("exists.txt");
	struct stat st;

	(void)state;
	write_text(path, "old\n");
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(report_output_set(&out, path, true), 0);
	assert_int_equal(report_output_create(&out), 0);
	assert_int_equal(report_output_write(&out, NULL, 0, true), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	report_output_clear(&out);
}

/* set() again replaces the previous configuration without leaking it. */
static void test_output_set_twice(void **state)
{
	struct report_output out = { 0 };

	(void)state;
	assert_int_equal(report_output_set(&out, tpath("a.txt"), false), 0);
	assert_int_equal(report_output_set(&out, "-", false), 0);
	assert_int_equal(out.kind, REPORT_DIRECT);
	assert_null(out.path);
	assert_int_equal(report_output_set(&out, tpath("b.txt"), false), 0);
	assert_string_equal(out.path, tpath("b.txt"));
	report_output_clear(&out);
}

#define T(f) cmocka_unit_test_setup_teardown(f, make_tmpdir, remove_tmpdir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_ipv4_row),
		cmocka_unit_test(test_format_ipv4_addresses),
		cmocka_unit_test(test_format_ipv4_ignores_mapping_bytes),
		cmocka_unit_test(test_format_ipv6_rfc5952),
		cmocka_unit_test(test_format_ipv6_dotted_forms),
		cmocka_unit_test(test_format_ipv6_as_inet_ntop),
		cmocka_unit_test(test_format_numbers_at_bounds),
		cmocka_unit_test(test_format_family_decides),
		cmocka_unit_test(test_format_ports),
		cmocka_unit_test(test_format_protocols),
		cmocka_unit_test(test_format_max_numbers),
		cmocka_unit_test(test_format_longest_row),
		cmocka_unit_test(test_order_first_dominates),
		cmocka_unit_test(test_order_ipv4_before_ipv6),
		cmocka_unit_test(test_order_addresses_numeric),
		cmocka_unit_test(test_order_ports_numeric),
		cmocka_unit_test(test_order_field_precedence),
		cmocka_unit_test(test_order_ignores_counters),
		cmocka_unit_test(test_order_random_against_reference),
		cmocka_unit_test(test_order_prefix_edges),
		cmocka_unit_test(test_order_large_split_and_merged),
		cmocka_unit_test(test_header_text),
		cmocka_unit_test(test_format_csv),
		cmocka_unit_test(test_format_json),
		T(test_write_fd_header_only),
		T(test_write_fd_rows),
		T(test_write_fd_large),
		T(test_write_fd_errors),
		T(test_write_fd_large_errors),
		T(test_output_new_file),
		T(test_output_existing_file_refused),
		T(test_output_existing_file_overwrite),
		T(test_output_missing_directory),
		T(test_output_directory_refused),
		T(test_output_symlink_refused),
		T(test_output_create_race_with_symlink),
		T(test_output_create_race_with_file),
		T(test_output_atomic_replace),
		T(test_output_relative_name),
		T(test_output_write_error),
		T(test_output_none),
		T(test_output_stdout),
		T(test_output_dev_null),
		T(test_output_fifo),
		T(test_output_set_twice),
		T(test_output_fifo_swapped),
		T(test_output_respects_umask),
		T(test_output_overwrite_keeps_mode),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(022); /* the modes the tests expect */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
