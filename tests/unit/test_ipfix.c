// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IPFIX encoder, byte for byte: message and set headers, both
 * templates, records in network byte order, messages cut within the
 * limit, sequence numbers counting data records, and the target syntax.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "output/export.h"
#include "output/ipfix.h"

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)be16(p) << 16 | be16(p + 2);
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static struct nasoone_flow flow4(uint32_t n)
{
	struct nasoone_flow f;

	memset(&f, 0, sizeof(f));
	f.family = 4;
	f.saddr[10] = f.saddr[11] = f.daddr[10] = f.daddr[11] = 0xff;
	f.saddr[12] = 192;
	f.saddr[13] = 0;
	f.saddr[14] = 2;
	f.saddr[15] = (uint8_t)n;
	f.daddr[12] = 198;
	f.daddr[13] = 51;
	f.daddr[14] = 100;
	f.daddr[15] = 7;
	f.sport = htons((uint16_t)(1000 + n));
	f.dport = htons(53);
	f.protocol = 17;
	f.protos = NASOONE_PROTO_UDP;
	f.end_reason = NASOONE_END_IDLE;
	f.first_ms = 1672531200128ull + n;
	f.last_ms = 1672531200999ull + n;
	f.packets = 3 + n;
	f.bytes = 300 + n;
	f.ip_bytes = 258 + n;
	return f;
}

static struct nasoone_flow flow6(void)
{
	struct nasoone_flow f;
	int i;

	memset(&f, 0, sizeof(f));
	f.family = 6;
	for (i = 0; i < 16; i++) {
		f.saddr[i] = (uint8_t)(0x20 + i);
		f.daddr[i] = (uint8_t)(0x40 + i);
	}
	f.sport = htons(50412);
	f.dport = htons(443);
	f.protocol = 6;
	f.protos = NASOONE_PROTO_TCP;
	f.end_reason = NASOONE_END_ACTIVE;
	f.first_ms = 0x0102030405060708ull;
	f.last_ms = 0x1112131415161718ull;
	f.packets = 0xa0a1a2a3a4a5a6a7ull;
	f.ip_bytes = 0xb0b1b2b3b4b5b6b7ull;
	f.bytes = 0xc0c1c2c3c4c5c6c7ull;
	return f;
}

/* A template record: id, count, then (element, length) pairs as expected. */
static const uint8_t *check_template(const uint8_t *p, uint16_t id, uint16_t addr4or6, bool ifindex)
{
	static const uint16_t common[][2] = { { 7, 2 },	  { 11, 2 },  { 4, 1 },
					      { 136, 1 }, { 2, 8 },   { 1, 8 },
					      { 352, 8 }, { 152, 8 }, { 153, 8 } };
	uint16_t alen = addr4or6 == 8 ? 4 : 16;
	size_t i;

	assert_int_equal(be16(p), id);
	assert_int_equal(be16(p + 2), 2 + 9 + (ifindex ? 1 : 0));
	p += 4;
	assert_int_equal(be16(p), addr4or6);
	assert_int_equal(be16(p + 2), alen);
	assert_int_equal(be16(p + 4), addr4or6 == 8 ? 12 : 28);
	assert_int_equal(be16(p + 6), alen);
	p += 8;
	for (i = 0; i < 9; i++, p += 4) {
		assert_int_equal(be16(p), common[i][0]);
		assert_int_equal(be16(p + 2), common[i][1]);
	}
	if (ifindex) {
		assert_int_equal(be16(p), 10);
		assert_int_equal(be16(p + 2), 4);
		p += 4;
	}
	return p;
}

static void test_templates(void **state)
{
	struct ipfix_encoder *e = malloc(sizeof(*e));
	uint8_t buf[IPFIX_MESSAGE_MIN];
	const uint8_t *p;
	size_t len;
	int with_if;

	(void)state;
	for (with_if = 0; with_if <= 1; with_if++) {
		ipfix_init(e, 0x01020304, with_if ? 7 : 0, 1400);
		len = ipfix_templates(e, 1700000000u, buf, sizeof(buf));
		assert_int_equal(be16(buf), 10);
		assert_int_equal(be16(buf + 2), len);
		assert_int_equal(be32(buf + 4), 1700000000u);
		assert_int_equal(be32(buf + 8), 0);
		assert_int_equal(be32(buf + 12), 0x01020304);
		assert_int_equal(be16(buf + 16), 2);	    /* template set */
		assert_int_equal(be16(buf + 18), len - 16); /* the rest of the message */
		p = check_template(buf + 20, 256, 8, with_if);
		p = check_template(p, 257, 27, with_if);
		assert_ptr_equal(p, buf + len);
	}
	free(e);
}

static void test_record_bytes(void **state)
{
	struct ipfix_encoder *e = malloc(sizeof(*e));
	struct nasoone_flow f4 = flow4(1), f6 = flow6();
	const uint8_t *msg, *p;
	size_t len;

	(void)state;
	ipfix_init(e, 9, 0, 1400);
	assert_int_equal(ipfix_add(e, &f4, 1700000001u), 0);
	assert_int_equal(ipfix_add(e, &f6, 1700000001u), 0);
	assert_int_equal(ipfix_pending(e), 2);
	len = ipfix_finish(e, &msg);
	assert_int_equal(len, 16 + 4 + 54 + 4 + 78);
	assert_int_equal(be16(msg + 2), len);
	assert_int_equal(be32(msg + 4), 1700000001u);
	assert_int_equal(be32(msg + 8), 0); /* no data record before this message */
	assert_int_equal(be32(msg + 12), 9);
	p = msg + 16;
	assert_int_equal(be16(p), 256);
	assert_int_equal(be16(p + 2), 4 + 54);
	p += 4;
	assert_memory_equal(p, "\xc0\x00\x02\x01\xc6\x33\x64\x07", 8);
	assert_int_equal(be16(p + 8), 1001);
	assert_int_equal(be16(p + 10), 53);
	assert_int_equal(p[12], 17);
	assert_int_equal(p[13], NASOONE_END_IDLE);
	assert_int_equal(be64(p + 14), 4);	       /* packetDeltaCount */
	assert_int_equal(be64(p + 22), 259);	       /* octetDeltaCount: IP octets */
	assert_int_equal(be64(p + 30), 301);	       /* layer2OctetDeltaCount: frames */
	assert_int_equal(be64(p + 38), 1672531200129); /* flowStartMilliseconds */
	assert_int_equal(be64(p + 46), 1672531201000); /* flowEndMilliseconds */
	p += 54;
	assert_int_equal(be16(p), 257);
	assert_int_equal(be16(p + 2), 4 + 78);
	p += 4;
	assert_memory_equal(p, f6.saddr, 16);
	assert_memory_equal(p + 16, f6.daddr, 16);
	assert_int_equal(be16(p + 32), 50412);
	assert_int_equal(be16(p + 34), 443);
	assert_int_equal(p[36], 6);
	assert_int_equal(p[37], NASOONE_END_ACTIVE);
	assert_memory_equal(p + 38, "\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7", 8);
	assert_memory_equal(p + 46, "\xb0\xb1\xb2\xb3\xb4\xb5\xb6\xb7", 8);
	assert_memory_equal(p + 54, "\xc0\xc1\xc2\xc3\xc4\xc5\xc6\xc7", 8);
	assert_memory_equal(p + 62, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_memory_equal(p + 70, "\x11\x12\x13\x14\x15\x16\x17\x18", 8);
	assert_ptr_equal(p + 78, msg + len);
	/* Nothing added: nothing to finish. */
	assert_int_equal(ipfix_finish(e, &msg), 0);
	free(e);
}

static void test_ingress_interface(void **state)
{
	struct ipfix_encoder *e = malloc(sizeof(*e));
	struct nasoone_flow f = flow4(0);
	const uint8_t *msg;
	size_t len;

	(void)state;
	ipfix_init(e, 1, 0x0a0b0c0d, 1400);
	assert_int_equal(ipfix_record_len(e, 4), 58);
	assert_int_equal(ipfix_record_len(e, 6), 82);
	assert_int_equal(ipfix_add(e, &f, 1), 0);
	len = ipfix_finish(e, &msg);
	assert_int_equal(len, 16 + 4 + 58);
	assert_int_equal(be32(msg + len - 4), 0x0a0b0c0d);
	free(e);
}

/* Messages stay within the limit, sets are well formed, sequence numbers count records. */
static void test_messages_cut_and_sequence(void **state)
{
	struct ipfix_encoder *e = malloc(sizeof(*e));
	uint32_t expect_seq = 0, total = 0, in_msg, i;
	struct nasoone_flow f;
	const uint8_t *msg, *p;
	size_t len, max = 1472;
	int messages = 0;

	(void)state;
	ipfix_init(e, 1, 0, max);
	for (i = 0; i < 1000; i++) {
		f = i % 3 ? flow4(i) : flow6();
		if (ipfix_add(e, &f, 5) == 0)
			continue;
		assert_int_equal(ipfix_add(e, &f, 5), -ENOSPC); /* still full */
		in_msg = ipfix_pending(e);
		len = ipfix_finish(e, &msg);
		assert_true(len <= max);
		/* The next record would not have fit. */
		assert_true(len + ipfix_record_len(e, f.family) + 4 > max);
		assert_int_equal(be16(msg + 2), len);
		assert_int_equal(be32(msg + 8), expect_seq);
		/* Walk the sets: their lengths add up to the message, records to in_msg. */
		for (p = msg + 16; p < msg + len; p += be16(p + 2)) {
			uint16_t id = be16(p), slen = be16(p + 2);

			assert_true(id == 256 || id == 257);
			assert_int_equal((slen - 4) % (id == 256 ? 54 : 78), 0);
			total += (slen - 4) / (id == 256 ? 54 : 78);
		}
		assert_ptr_equal(p, msg + len);
		expect_seq += in_msg;
		messages++;
		assert_int_equal(ipfix_add(e, &f, 5), 0);
	}
	in_msg = ipfix_pending(e);
	len = ipfix_finish(e, &msg);
	assert_int_equal(be32(msg + 8), expect_seq);
	total += in_msg;
	assert_int_equal(total, 1000);
	assert_int_equal(e->sequence, 1000);
	assert_true(messages >= 1000 * 54 / 1472);
	free(e);
}

static void test_sequence_wraps(void **state)
{
	struct ipfix_encoder *e = malloc(sizeof(*e));
	struct nasoone_flow f = flow4(0);
	const uint8_t *msg;

	(void)state;
	ipfix_init(e, 1, 0, 1400);
	e->sequence = UINT32_MAX;
	ipfix_add(e, &f, 1);
	ipfix_add(e, &f, 1);
	ipfix_finish(e, &msg);
	assert_int_equal(be32(msg + 8), UINT32_MAX);
	assert_int_equal(e->sequence, 1); /* modulo 2^32 */
	free(e);
}

static void test_protocol_from_bits(void **state)
{
	struct nasoone_flow f = flow4(0);

	(void)state;
	f.protocol = 0;
	f.protos = NASOONE_PROTO_TCP;
	assert_int_equal(ipfix_protocol(&f), 6);
	f.protos = NASOONE_PROTO_UDP;
	assert_int_equal(ipfix_protocol(&f), 17);
	f.protocol = 6;
	assert_int_equal(ipfix_protocol(&f), 6);
}

static void parse_ok(const char *target, enum export_transport want, const char *host,
		     const char *port)
{
	enum export_transport t;
	char h[64], p[16], err[256];

	if (export_parse_target(target, &t, h, sizeof(h), p, sizeof(p), err, sizeof(err)))
		fail_msg("%s: %s", target, err);
	assert_int_equal(t, want);
	assert_string_equal(h, host);
	assert_string_equal(p, port);
}

static void parse_bad(const char *target)
{
	enum export_transport t;
	char h[64], p[16], err[256] = "";

	if (!export_parse_target(target, &t, h, sizeof(h), p, sizeof(p), err, sizeof(err)))
		fail_msg("%s accepted", target);
	assert_non_null(strstr(err, "export target"));
}

static void test_targets(void **state)
{
	(void)state;
	parse_ok("127.0.0.1:9995", EXPORT_UDP, "127.0.0.1", "9995");
	parse_ok("collector", EXPORT_UDP, "collector", "4739");
	parse_ok("udp://collector:2055", EXPORT_UDP, "collector", "2055");
	parse_ok("tcp://10.0.0.1:4739", EXPORT_TCP, "10.0.0.1", "4739");
	parse_ok("[::1]:9995", EXPORT_UDP, "::1", "9995");
	parse_ok("tcp://[2001:db8::1]", EXPORT_TCP, "2001:db8::1", "4739");
	parse_bad("sctp://host:1");
	parse_bad("::1:9995");
	parse_bad("host:");
	parse_bad("host:0");
	parse_bad("host:65536");
	parse_bad("host:12a");
	parse_bad("[::1");
	parse_bad("[::1]x");
	parse_bad("udp://:9995");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_record_bytes),
		cmocka_unit_test(test_ingress_interface),
		cmocka_unit_test(test_messages_cut_and_sequence),
		cmocka_unit_test(test_sequence_wraps),
		cmocka_unit_test(test_protocol_from_bits),
		cmocka_unit_test(test_targets),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
