/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests of the fragment table, user/capture/frag.h, against README rule 6: a
 * non-first fragment is counted in the 4-tuple recorded for its datagram
 * (src, dst, protocol, IP id; IPv6: the fragment header's next header and
 * 32-bit identification) by the most recent first fragment EARLIER in the
 * file, if that first fragment is at most 60 s older in capture time.
 * The last tests feed the table from frames parsed by packet_parse().
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/frag.h"
#include "capture/packet.h"

#define T0 1700000000000ull /* a capture time in ms */

/* ---- Packets as the parser hands them over ----------------------------------- */

static void addr_of(const char *text, uint8_t *addr, uint8_t *family)
{
	uint8_t a4[4];

	memset(addr, 0, 16);
	if (strchr(text, ':')) {
		assert_int_equal(inet_pton(AF_INET6, text, addr), 1);
		*family = NN_FAMILY_IPV6;
	} else {
		assert_int_equal(inet_pton(AF_INET, text, a4), 1);
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, a4, 4);
		*family = NN_FAMILY_IPV4;
	}
}

/* A first fragment (offset 0, more fragments): complete key, datagram fields. */
static struct nn_pkt first_frag(const char *src, const char *dst, uint8_t proto, uint32_t id,
				uint16_t sport, uint16_t dport)
{
	struct nn_pkt p;

	memset(&p, 0, sizeof(p));
	addr_of(src, p.key.saddr, &p.key.family);
	addr_of(dst, p.key.daddr, &p.key.family);
	p.key.sport = htons(sport);
	p.key.dport = htons(dport);
	p.l4proto = proto;
	p.frag = NN_FRAG_FIRST;
	p.frag_proto = proto;
	p.frag_id = id;
	return p;
}

/* A later fragment: addresses, family and the datagram fields only. */
static struct nn_pkt later_frag(const char *src, const char *dst, uint8_t proto, uint32_t id)
{
	struct nn_pkt p;

	memset(&p, 0, sizeof(p));
	addr_of(src, p.key.saddr, &p.key.family);
	addr_of(dst, p.key.daddr, &p.key.family);
	p.frag = NN_FRAG_LATER;
	p.frag_proto = proto;
	p.frag_id = id;
	return p;
}

static struct frag_table *new_table(void)
{
	struct frag_table *t = frag_table_new();

	assert_non_null(t);
	return t;
}

/* lookup must find first's 4-tuple and protocol. */
static void expect_found(struct frag_table *t, const struct nn_pkt *later, uint64_t ts,
			 const struct nn_pkt *first)
{
	struct nn_pkt p = *later;

	assert_int_equal(frag_table_lookup(t, &p, ts), 0);
	assert_memory_equal(&p.key, &first->key, sizeof(p.key));
	assert_int_equal(p.l4proto, first->l4proto);
}

/* lookup must fail and leave the packet as it was. */
static void expect_missing(struct frag_table *t, const struct nn_pkt *later, uint64_t ts)
{
	struct nn_pkt p = *later;

	assert_int_equal(frag_table_lookup(t, &p, ts), -ENOENT);
	assert_memory_equal(&p, later, sizeof(p));
}

/* ---- Rule 6 ------------------------------------------------------------------ */

static void test_empty_table(void **state)
{
	struct frag_table *t = new_table();
	struct nn_pkt later = later_frag("10.0.0.1", "10.0.0.2", 17, 1);

	(void)state;
	expect_missing(t, &later, T0);
	expect_missing(t, &later, 0);
	frag_table_free(t);
	frag_table_free(NULL);
}

static void test_first_then_later(void **state)
{
	struct frag_table *t = new_table();
	struct nn_pkt first = first_frag("10.0.0.1", "10.0.0.2", 17, 0x1234, 5000, 53);
	struct nn_pkt later = later_frag("10.0.0.1", "10.0.0.2", 17, 0x1234);

	(void)state;
	frag_table_insert(t, &first, T0);
	expect_found(t, &later, T0, &first);
	expect_found(t, &later, T0 + 1, &first);
	expect_found(t, &later, T0 + 30000, &first);
	/* A lookup does not consume the entry: every later fragment finds it. */
	expect_found(t, &later, T0 + 59999, &first);
	frag_table_free(t);
}

static void test_ttl_boundary(void **state)
{
	struct frag_table *t = new_table();
	struct nn_pkt first = first_frag("10.0.0.1", "10.0.0.2", 6, 7, 40000, 80);
	struct nn_pkt later = later_frag("10.0.0.1", "10.0.0.2", 6, 7);

	(void)state;
	assert_int_equal(FRAG_TTL_MS, 60000);
	frag_table_insert(t, &first, T0);
	expect_found(t, &later, T0 + 60000, &first); /* exactly 60 s: counted */
	expect_missing(t, &later, T0 + 60001);	     /* 60 s + 1 ms: not */
	expect_missing(t, &later, T0 + 3600000);     /* much later: not */
	frag_table_free(t);
}

/* The same boundary at capture time 0 and near the top of the 64-bit range. */
static void test_ttl_boundary_extreme_times(void **state)
{
	struct frag_table *t = new_table();
	struct nn_pkt first = first_frag("10.0.0.1", "10.0.0.2", 6, 7, 40000, 80);
	struct nn_pkt later = later_frag("10.0.0.1", "10.0.0.2", 6, 7);

	(void)state;
	frag_table_insert(t, &first, 0);
	expect_found(t, &later, 0, &first);
	expect_found(t, &later, 60000, &first);
	expect_missing(t, &later, 60001);
	frag_table_insert(t, &first, UINT64_MAX - 60000);
	expect_found(t, &later, UINT64_MAX, &first);
	frag_table_insert(t, &first, UINT64_MAX - 60001);
	expect_missing(t, &later, UINT64_MAX);
	frag_table_free(t);
}

/* A later fragment seen before its first fragment is not counted. */
static void test_later_before_first(void **state)
{
	struct frag_table *t = new_table();
	struct nn_pkt first = first_frag("192.0.2.1", "198.51.100.2", 17, 99, 1, 2);
	struct nn_pkt later = later_frag("192.0.2.1", "198.51.100.2", 17, 99);

	(void)state;
	expect_missing(t, &later, T0);
	frag_table_insert(t, &first, T0 + 5);
	/* Only fragments after the first one in the file find it. */
	expect_found(t, &later, T0 + 6, &first);
	frag_table_free(t);
}

/* An expired datagram is found again after a new first fragment. */
static void test_reinsert_after_expiry(void **state)
{
	struct frag_table *t = new_table();
	struct nn_pkt first = first_frag("10.0.0.1", "10.0.0.2", 17, 1, 1000, 2000);
	struct nn_pkt again = first_frag("10.0.0.1", "10.0.0.2", 17, 1, 3000, 4000);
	struct nn_pkt later = later_frag("10.0.0.1", "10.0.0.2", 17, 1);

	(void)state;
	frag_table_insert(t, &first, T0);
	expect_missing(t, &later, T0 + 120000);
	frag_table_insert(t, &again, T0 + 120000);
	expect_found(t, &later, T0 + 120001, &again);
	frag_table_free(t);
}

/* Same IP id, but another protocol, other addresses or another family: other datagrams. */
static void test_datagram_identity(void **state)
{
	struct frag_table *t = new_table();
	struct nn_pkt udp = first_frag("10.0.0.1", "10.0.0.2", 17, 42, 1111, 53);
	struct nn_pkt tcp = first_frag("10.0.0.1", "10.0.0.2", 6, 42, 2222, 80);
	struct nn_pkt mapped = first_frag("::ffff:10.0.0.1", "::ffff:10.0.0.2", 17, 42, 3333, 53);
	struct nn_pkt other_src = first_frag("10.0.0.3", "10.0.0.2", 17, 42, 4444, 53);
	struct nn_pkt later, p;

	(void)state;
	frag_table_insert(t, &udp, T0);
	/* Before the others are recorded, none of them is found. */
	later = later_frag("10.0.0.1", "10.0.0.2", 6, 42);
	expect_missing(t, &later, T0 + 1);
	later = later_frag("::ffff:10.0.0.1", "::ffff:10.0.0.2", 17, 42);
	expect_missing(t, &later, T0 + 1);
	later = later_frag("10.0.0.3", "10.0.0.2", 17, 42);
	expect_missing(t, &later, T0 + 1);
	later = later_frag("10.0.0.1", "10.0.0.9", 17, 42);
	expect_missing(t, &later, T0 + 1);
	/* The reverse direction is another datagram. */
	later = later_frag("10.0.0.2", "10.0.0.1", 17, 42);
	expect_missing(t, &later, T0 + 1);
	later = later_frag("10.0.0.1", "10.0.0.2", 17, 43);
	expect_missing(t, &later, T0 + 1);

	frag_table_insert(t, &tcp, T0 + 2);
	frag_table_insert(t, &mapped, T0 + 3);
	frag_table_insert(t, &other_src, T0 + 4);
	later = later_frag("10.0.0.1", "10.0.0.2", 17, 42);
	expect_found(t, &later, T0 + 5, &udp);
	later = later_frag("10.0.0.1", "10.0.0.2", 6, 42);
	expect_found(t, &later, T0 + 5, &tcp);
	later = later_frag("::ffff:10.0.0.1", "::ffff:10.0.0.2", 17, 42);
	expect_found(t, &later, T0 + 5, &mapped);
	later = later_frag("10.0.0.3", "10.0.0.2", 17, 42);
	expect_found(t, &later, T0 + 5, &other_src);
	/* The mapped entry is family 6: its key says so. */
	later = later_frag("::ffff:10.0.0.1", "::ffff:10.0.0.2", 17, 42);
	p = later;
	assert_int_equal(frag_table_lookup(t, &p, T0 + 5), 0);
	assert_int_equal(p.key.family, NN_FAMILY_IPV6);
	assert_int_equal(p.l4proto, 17);
	frag_table_free(t);
}

/* IPv6 identifications are 32 bits: ids equal in their low or high 16 bits differ. */
static void test_ipv6_32bit_ids(void **state)
{
	static const uint32_t ids[] = { 0x89abcdefu, 0x0000cdefu, 0x89ab0000u, 0x0001cdefu,
					0xffffffffu, 0x0000ffffu, 0x00000000u, 0x80000000u };
	const size_t n = sizeof(ids) / sizeof(ids[0]);
	struct frag_table *t = new_table();
	struct nn_pkt first[8], later;
	size_t i;

	(void)state;
	first[0] = first_frag("2001:db8::1", "2001:db8::2", 17, ids[0], 1, 2);
	frag_table_insert(t, &first[0], T0);
	for (i = 1; i < n; i++) {
		later = later_frag("2001:db8::1", "2001:db8::2", 17, ids[i]);
		expect_missing(t, &later, T0 + 1);
	}
	for (i = 1; i < n; i++) {
		first[i] = first_frag("2001:db8::1", "2001:db8::2", 17, ids[i], (uint16_t)(100 + i),
				      2);
		frag_table_insert(t, &first[i], T0 + i);
	}
	for (i = 0; i < n; i++) {
		later = later_frag("2001:db8::1", "2001:db8::2", 17, ids[i]);
		expect_found(t, &later, T0 + 100, &first[i]);
	}
	frag_table_free(t);
}

/* A second first fragment of the same datagram replaces the first one's 4-tuple. */
static void test_most_recent_first_wins(void **state)
{
	struct frag_table *t = new_table();
	struct nn_pkt a = first_frag("10.0.0.1", "10.0.0.2", 17, 5, 1000, 53);
	struct nn_pkt b = first_frag("10.0.0.1", "10.0.0.2", 17, 5, 2000, 53);
	struct nn_pkt c = first_frag("10.0.0.1", "10.0.0.2", 17, 5, 3000, 53);
	struct nn_pkt later = later_frag("10.0.0.1", "10.0.0.2", 17, 5);

	(void)state;
	frag_table_insert(t, &a, T0);
	expect_found(t, &later, T0 + 1, &a);
	frag_table_insert(t, &b, T0 + 30000);
	expect_found(t, &later, T0 + 30001, &b);
	/* The 60 s count from the most recent first fragment. */
	expect_found(t, &later, T0 + 90000, &b);
	expect_missing(t, &later, T0 + 90001);
	/* Most recent in the file, even with an older timestamp. */
	frag_table_insert(t, &c, T0 + 10000);
	expect_found(t, &later, T0 + 10001, &c);
	expect_found(t, &later, T0 + 70000, &c);
	expect_missing(t, &later, T0 + 70001);
	frag_table_free(t);
}

/* Capture time may go backwards: a first fragment newer than the fragment still counts. */
static void test_timestamps_backwards(void **state)
{
	struct frag_table *t = new_table();
	struct nn_pkt first = first_frag("10.0.0.1", "10.0.0.2", 17, 77, 1, 2);
	struct nn_pkt later = later_frag("10.0.0.1", "10.0.0.2", 17, 77);

	(void)state;
	frag_table_insert(t, &first, T0 + 100000);
	expect_found(t, &later, T0 + 50000, &first);
	expect_found(t, &later, T0, &first);
	expect_found(t, &later, 0, &first);
	/* ... and forwards again: the 60 s still count from the first fragment. */
	expect_found(t, &later, T0 + 160000, &first);
	expect_missing(t, &later, T0 + 160001);
	frag_table_free(t);
}

/* A datagram (index i) with varied addresses, protocol and id. */
static struct nn_pkt nth_first(uint32_t i)
{
	char src[64], dst[64];

	if (i % 3 == 2) {
		snprintf(src, sizeof(src), "2001:db8::%x:%x", i >> 16, i & 0xffff);
		snprintf(dst, sizeof(dst), "2001:db8:1::%x", i % 97);
		return first_frag(src, dst, i & 4 ? 6 : 17, 0x80000000u | i, (uint16_t)i, 443);
	}
	snprintf(src, sizeof(src), "10.%u.%u.%u", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
	snprintf(dst, sizeof(dst), "192.0.2.%u", i % 13);
	return first_frag(src, dst, i & 4 ? 6 : 17, i & 0xffff, (uint16_t)(i * 7), 53);
}

static struct nn_pkt later_of(const struct nn_pkt *first)
{
	struct nn_pkt p;

	memset(&p, 0, sizeof(p));
	memcpy(p.key.saddr, first->key.saddr, 16);
	memcpy(p.key.daddr, first->key.daddr, 16);
	p.key.family = first->key.family;
	p.frag = NN_FRAG_LATER;
	p.frag_proto = first->frag_proto;
	p.frag_id = first->frag_id;
	return p;
}

/* Look every datagram up: the number not found (reported), so the caller can free first. */
static uint32_t count_lost(struct frag_table *t, const struct nn_pkt *firsts, uint32_t n,
			   uint64_t ts, const char *what)
{
	uint32_t i, lost = 0, first_lost = 0;
	struct nn_pkt p;

	for (i = 0; i < n; i++) {
		p = later_of(&firsts[i]);
		if (frag_table_lookup(t, &p, ts) || memcmp(&p.key, &firsts[i].key, sizeof(p.key))) {
			if (!lost++)
				first_lost = i;
		}
	}
	if (lost)
		printf("%s: %u of %u datagrams in flight not found (first: #%u)\n", what, lost, n,
		       first_lost);
	return lost;
}

/* Thousands of datagrams in flight at once are all found. */
static void test_thousands_in_flight(void **state)
{
	enum { N = 5000 };
	struct nn_pkt *firsts = calloc(N, sizeof(*firsts));
	struct frag_table *t = new_table();
	uint32_t i, lost;

	(void)state;
	assert_non_null(firsts);
	for (i = 0; i < N; i++) {
		firsts[i] = nth_first(i);
		frag_table_insert(t, &firsts[i], T0 + i * 10);
	}
	/* The oldest is 49.99 s old at the end: all must be there. */
	lost = count_lost(t, firsts, N, T0 + N * 10, "5000 datagrams");
	free(firsts);
	frag_table_free(t);
	assert_int_equal(lost, 0);
}

/* One host pair, thousands of consecutive IPv4 ids (a bulk UDP transfer). */
static void test_thousands_of_ids_one_pair(void **state)
{
	enum { N = 10000 };
	struct nn_pkt *firsts = calloc(N, sizeof(*firsts));
	struct frag_table *t = new_table();
	uint32_t i, lost;

	(void)state;
	assert_non_null(firsts);
	for (i = 0; i < N; i++) {
		firsts[i] = first_frag("10.0.0.1", "10.0.0.2", 17, i, 5001, 5201);
		firsts[i].key.sport = htons((uint16_t)(i % 50 + 1));
		frag_table_insert(t, &firsts[i], T0 + i);
	}
	lost = count_lost(t, firsts, N, T0 + N, "10000 ids of one pair");
	free(firsts);
	frag_table_free(t);
	assert_int_equal(lost, 0);
}

/*
 * A long capture: a new datagram every 12 ms, so 5000 are always within
 * 60 s. Each is looked up 59.988 s after its first fragment, when 4999
 * newer ones have arrived: expired entries must make room for new ones.
 */
static void test_steady_stream(void **state)
{
	enum { N = 300000, LAG = 4999 };
	struct frag_table *t = new_table();
	struct nn_pkt first, later;
	uint32_t i, lost = 0;

	(void)state;
	for (i = 0; i < N; i++) {
		first = nth_first(i);
		frag_table_insert(t, &first, T0 + (uint64_t)i * 12);
		if (i >= LAG) {
			struct nn_pkt old = nth_first(i - LAG);

			later = later_of(&old);
			if (frag_table_lookup(t, &later, T0 + (uint64_t)i * 12) ||
			    memcmp(&later.key, &old.key, sizeof(later.key)))
				lost++;
		}
	}
	frag_table_free(t);
	assert_int_equal(lost, 0);
}

/*
 * Capture time steps back (a clock correction): the first fragments of 5000
 * datagrams at T0, then 5000 other datagrams at T0 + 70 s, then later
 * fragments of the first 5000 stamped T0 + 1 s. Each one's first fragment
 * is the most recent one earlier in the file and 1 s older than it, so it
 * counts (README rule 6; the oracle keeps every datagram). An entry that
 * looks expired at one packet's time may be needed by a later packet with
 * an earlier time: with 10 000 datagrams in 64k slots, none may be lost.
 */
static void test_backwards_step_keeps_old_datagrams(void **state)
{
	enum { N = 5000 };
	struct nn_pkt *firsts = calloc(N, sizeof(*firsts));
	struct frag_table *t = new_table();
	uint32_t i, lost;

	(void)state;
	assert_non_null(firsts);
	for (i = 0; i < N; i++) {
		firsts[i] = nth_first(i);
		frag_table_insert(t, &firsts[i], T0);
	}
	for (i = 0; i < N; i++) {
		struct nn_pkt other = nth_first(1000000 + i);

		frag_table_insert(t, &other, T0 + 70000);
	}
	lost = count_lost(t, firsts, N, T0 + 1000, "after a backwards step");
	free(firsts);
	frag_table_free(t);
	assert_int_equal(lost, 0);
}

/* How many datagrams in flight the table keeps (printed; thousands are asserted above). */
static void test_capacity_report(void **state)
{
	static const uint32_t sizes[] = { 10000, 20000, 40000 };
	struct nn_pkt *firsts = calloc(40000, sizeof(*firsts));
	uint32_t s, i, lost;
	struct nn_pkt p;

	(void)state;
	assert_non_null(firsts);
	for (i = 0; i < 40000; i++)
		firsts[i] = nth_first(i);
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct frag_table *t = new_table();

		for (i = 0; i < sizes[s]; i++)
			frag_table_insert(t, &firsts[i], T0 + i);
		for (i = 0, lost = 0; i < sizes[s]; i++) {
			p = later_of(&firsts[i]);
			lost += frag_table_lookup(t, &p, T0 + sizes[s]) != 0;
		}
		printf("frag: %u datagrams in flight, %u lost\n", sizes[s], lost);
		frag_table_free(t);
		/* Far above what a capture needs: nothing lost at 10 000. */
		if (sizes[s] <= 10000 && lost) {
			free(firsts);
			fail_msg("%u of %u datagrams lost", lost, sizes[s]);
		}
	}
	free(firsts);
}

/* ---- From frames, through packet_parse ---------------------------------------- */

/* Raw IPv4 (LINKTYPE_IPV4 228): 20-byte header, then 8 bytes of UDP or payload. */
static size_t ipv4_frame(uint8_t *b, uint16_t id, uint16_t frag_field, uint8_t proto)
{
	static const uint8_t src[4] = { 192, 0, 2, 1 }, dst[4] = { 198, 51, 100, 2 };

	memset(b, 0, 28);
	b[0] = 0x45;
	b[3] = 28;
	b[4] = (uint8_t)(id >> 8);
	b[5] = (uint8_t)id;
	b[6] = (uint8_t)(frag_field >> 8);
	b[7] = (uint8_t)frag_field;
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, src, 4);
	memcpy(b + 16, dst, 4);
	b[20] = 0xc0; /* ports 49374 -> 53 (in a later fragment: just payload) */
	b[21] = 0xde;
	b[23] = 53;
	return 28;
}

/* Raw IPv6 (LINKTYPE_IPV6 229): header, fragment header, 8 bytes. */
static size_t ipv6_frame(uint8_t *b, uint32_t id, uint16_t offset, int more, uint8_t nexthdr)
{
	static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	uint16_t field = (uint16_t)(offset << 3 | (more ? 1 : 0));

	memset(b, 0, 56);
	b[0] = 0x60;
	b[5] = 16;
	b[6] = 44;
	b[7] = 64;
	memcpy(b + 8, src, 16);
	memcpy(b + 24, dst, 16);
	b[40] = nexthdr;
	b[42] = (uint8_t)(field >> 8);
	b[43] = (uint8_t)field;
	b[44] = (uint8_t)(id >> 24);
	b[45] = (uint8_t)(id >> 16);
	b[46] = (uint8_t)(id >> 8);
	b[47] = (uint8_t)id;
	b[48] = 0x13; /* ports 5000 -> 443 */
	b[49] = 0x88;
	b[50] = 0x01;
	b[51] = 0xbb;
	return 56;
}

static int parse(const uint8_t *b, size_t len, int linktype, struct nn_pkt *pkt)
{
	struct packet p = { .data = b,
			    .caplen = (uint32_t)len,
			    .len = (uint32_t)len,
			    .ts_ms = 0,
			    .linktype = linktype };

	return packet_parse(&p, pkt);
}

static void test_parsed_ipv4_fragments(void **state)
{
	struct frag_table *t = new_table();
	struct nn_pkt first, later, other;
	uint8_t b[64];
	size_t n;

	(void)state;
	n = ipv4_frame(b, 0xbeef, 0x2000, 17); /* MF, offset 0 */
	assert_int_equal(parse(b, n, 228, &first), NN_COUNT);
	assert_int_equal(first.frag, NN_FRAG_FIRST);
	frag_table_insert(t, &first, T0);

	n = ipv4_frame(b, 0xbeef, 0x0003, 17); /* last fragment, offset 24 */
	assert_int_equal(parse(b, n, 228, &later), NN_FRAGMENT);
	expect_found(t, &later, T0 + 10, &first);
	assert_int_equal(ntohs(first.key.sport), 49374);
	assert_int_equal(ntohs(first.key.dport), 53);

	/* Same id, protocol TCP: another datagram. */
	n = ipv4_frame(b, 0xbeef, 0x2003, 6);
	assert_int_equal(parse(b, n, 228, &other), NN_FRAGMENT);
	expect_missing(t, &other, T0 + 10);
	/* Another id. */
	n = ipv4_frame(b, 0xbeee, 0x0003, 17);
	assert_int_equal(parse(b, n, 228, &other), NN_FRAGMENT);
	expect_missing(t, &other, T0 + 10);
	frag_table_free(t);
}

static void test_parsed_ipv6_fragments(void **state)
{
	struct frag_table *t = new_table();
	struct nn_pkt first, later, other;
	uint8_t b[64];
	size_t n;

	(void)state;
	n = ipv6_frame(b, 0x89abcdefu, 0, 1, 6);
	assert_int_equal(parse(b, n, 229, &first), NN_COUNT);
	assert_int_equal(first.frag, NN_FRAG_FIRST);
	assert_int_equal(first.frag_id, 0x89abcdefu);
	frag_table_insert(t, &first, T0);

	n = ipv6_frame(b, 0x89abcdefu, 100, 0, 6);
	assert_int_equal(parse(b, n, 229, &later), NN_FRAGMENT);
	expect_found(t, &later, T0 + 60000, &first);
	expect_missing(t, &later, T0 + 60001);

	/* The low 16 bits alone do not name the datagram. */
	n = ipv6_frame(b, 0x0000cdefu, 100, 0, 6);
	assert_int_equal(parse(b, n, 229, &other), NN_FRAGMENT);
	expect_missing(t, &other, T0 + 1);
	/* Nor does the identification without the next header. */
	n = ipv6_frame(b, 0x89abcdefu, 100, 0, 17);
	assert_int_equal(parse(b, n, 229, &other), NN_FRAGMENT);
	expect_missing(t, &other, T0 + 1);
	frag_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_table),
		cmocka_unit_test(test_first_then_later),
		cmocka_unit_test(test_ttl_boundary),
		cmocka_unit_test(test_ttl_boundary_extreme_times),
		cmocka_unit_test(test_later_before_first),
		cmocka_unit_test(test_reinsert_after_expiry),
		cmocka_unit_test(test_datagram_identity),
		cmocka_unit_test(test_ipv6_32bit_ids),
		cmocka_unit_test(test_most_recent_first_wins),
		cmocka_unit_test(test_timestamps_backwards),
		cmocka_unit_test(test_thousands_in_flight),
		cmocka_unit_test(test_thousands_of_ids_one_pair),
		cmocka_unit_test(test_steady_stream),
		cmocka_unit_test(test_backwards_step_keeps_old_datagrams),
		cmocka_unit_test(test_capacity_report),
		cmocka_unit_test(test_parsed_ipv4_fragments),
		cmocka_unit_test(test_parsed_ipv6_fragments),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
