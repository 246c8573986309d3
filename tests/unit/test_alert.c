/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests of the alert rules and engine, user/output/alert.h: CIDR
 * matching at its edges (IPv4 and IPv6), ports and ranges, protocols, the
 * triggers (first packet, new flow, thresholds in a sliding window, a
 * rate) and repeat, fed as the counters feed the engine: a flow's totals,
 * seen again and again.
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

#include "output/alert.h"

static struct nasoone_flow flow(const char *src, uint16_t sport, const char *dst, uint16_t dport,
				uint32_t protos)
{
	struct nasoone_flow f;
	struct in_addr v4;

	memset(&f, 0, sizeof(f));
	if (inet_pton(AF_INET, src, &v4) == 1) {
		f.family = 4;
		f.saddr[10] = f.saddr[11] = f.daddr[10] = f.daddr[11] = 0xff;
		memcpy(f.saddr + 12, &v4, 4);
		assert_int_equal(inet_pton(AF_INET, dst, f.daddr + 12), 1);
	} else {
		f.family = 6;
		assert_int_equal(inet_pton(AF_INET6, src, f.saddr), 1);
		assert_int_equal(inet_pton(AF_INET6, dst, f.daddr), 1);
	}
	f.sport = htons(sport);
	f.dport = htons(dport);
	f.protos = protos;
	return f;
}

/* A rule from "key=value" pairs; fails the test on a bad one. */
static void rule(struct alert_rule *r, const char *name, ...)
{
	char err[256];
	const char *key;
	va_list ap;

	alert_rule_init(r, name);
	va_start(ap, name);
	while ((key = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);

		if (alert_rule_set(r, key, value, err, sizeof(err)))
			fail_msg("%s = %s: %s", key, value, err);
	}
	va_end(ap);
}

static bool matches(const char *key, const char *value, const struct nasoone_flow *f)
{
	struct alert_rule r;
	bool m;

	rule(&r, "t", key, value, NULL);
	m = alert_rule_matches(&r, f);
	alert_rule_clear(&r);
	return m;
}

static void test_cidr_v4_edges(void **state)
{
	struct nasoone_flow a = flow("10.255.255.255", 1, "11.0.0.0", 2, NASOONE_PROTO_TCP);
	struct nasoone_flow b = flow("192.168.1.127", 1, "192.168.1.128", 2, NASOONE_PROTO_TCP);

	(void)state;
	assert_true(matches("src", "10.0.0.0/8", &a));
	assert_false(matches("dst", "10.0.0.0/8", &a));
	assert_true(matches("dst", "11.0.0.0/32", &a));
	assert_true(matches("dst", "11.0.0.0", &a)); /* no prefix: the one address */
	assert_false(matches("dst", "11.0.0.1", &a));
	assert_true(matches("src", "0.0.0.0/0", &a));
	/* A /25 splits .127 from .128. */
	assert_false(matches("src", "192.168.1.128/25", &b));
	assert_true(matches("dst", "192.168.1.128/25", &b));
	assert_true(matches("src", "192.168.1.0/25", &b));
	assert_true(matches("src", "192.168.1.126/31", &b));
	assert_false(matches("dst", "192.168.1.126/31", &b));
	/* Host bits in the rule do not matter. */
	assert_true(matches("src", "10.1.2.3/8", &a));
	/* host: either address. */
	assert_true(matches("host", "11.0.0.0/8", &a));
	assert_false(matches("host", "12.0.0.0/8", &a));
	/* The article's ip is the source: traffic from IP. */
	assert_true(matches("ip", "10.255.255.255", &a));
	assert_false(matches("ip", "11.0.0.0", &a));
}

static void test_cidr_v6_edges(void **state)
{
	struct nasoone_flow a = flow("2001:db8:ffff::1", 1, "2001:db9::", 2, NASOONE_PROTO_UDP);
	struct nasoone_flow b = flow("2001:db8:0:1::1", 1, "2001:db8::ffff", 2, NASOONE_PROTO_UDP);
	struct nasoone_flow m = flow("::ffff:10.0.0.1", 1, "::1", 2, NASOONE_PROTO_UDP);
	struct nasoone_flow v4 = flow("10.0.0.1", 1, "10.0.0.2", 2, NASOONE_PROTO_UDP);

	(void)state;
	assert_true(matches("src", "2001:db8::/32", &a));
	assert_false(matches("dst", "2001:db8::/32", &a));
	assert_true(matches("dst", "2001:db8::/31", &a)); /* db8 and db9 share 31 bits */
	assert_true(matches("src", "::/0", &a));
	assert_true(matches("dst", "2001:db9::/128", &a));
	assert_false(matches("dst", "2001:db9::1/128", &a));
	/* A /64 ends inside the 4th group; /63 includes its neighbour. */
	assert_false(matches("src", "2001:db8::/64", &b));
	assert_true(matches("src", "2001:db8::/63", &b));
	assert_true(matches("dst", "2001:db8::/64", &b));
	/* Families never mix: an IPv4 rule does not match an IPv6 packet's v4-mapped address. */
	assert_false(matches("src", "10.0.0.0/8", &m));
	assert_true(matches("src", "::ffff:0:0/96", &m));
	assert_false(matches("src", "::/0", &v4));
	assert_false(matches("src", "0.0.0.0/0", &a));
}

static void test_cidr_bad(void **state)
{
	static const char *const bad[] = {
		"10.0.0.0/33", "::/129",      "1.2.3",	     "",    "10.0.0.0/", "10.0.0.0/x",
		"10.0.0.0/-1", "2001:db8::g", "10.0.0.0/ 8", "host"
	};
	struct alert_addr a;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(alert_parse_cidr(bad[i], &a), -EINVAL);
	assert_int_equal(alert_parse_cidr("10.0.0.0/32", &a), 0);
	assert_int_equal(a.prefix, 128u);
	assert_int_equal(alert_parse_cidr("::/0", &a), 0);
	assert_int_equal(a.prefix, 0u);
}

static void test_ports_and_protocols(void **state)
{
	struct nasoone_flow f = flow("10.0.0.1", 0, "10.0.0.2", 65535, NASOONE_PROTO_TCP);
	struct nasoone_flow both =
		flow("10.0.0.1", 8080, "10.0.0.2", 53, NASOONE_PROTO_TCP | NASOONE_PROTO_UDP);
	struct alert_rule r;
	char err[256];

	(void)state;
	assert_true(matches("sport", "0", &f));
	assert_true(matches("dport", "65535", &f));
	assert_false(matches("dport", "65534", &f));
	assert_true(matches("dport", "65000-65535", &f));
	assert_false(matches("sport", "1-65535", &f));
	assert_true(matches("port", "65535", &f)); /* either port */
	assert_true(matches("port", "0", &f));
	assert_false(matches("port", "1-100", &f));
	assert_true(matches("port", "8000-8080", &both));
	assert_false(matches("port", "8081-9000", &both));
	assert_true(matches("port", "53", &both));
	assert_true(matches("proto", "tcp", &f));
	assert_false(matches("proto", "udp", &f));
	assert_true(matches("proto", "any", &f));
	assert_true(matches("proto", "udp", &both));
	alert_rule_init(&r, "t");
	assert_int_equal(alert_rule_set(&r, "port", "65536", err, sizeof(err)), -EINVAL);
	assert_int_equal(alert_rule_set(&r, "port", "5-3", err, sizeof(err)), -EINVAL);
	assert_int_equal(alert_rule_set(&r, "port", "-3", err, sizeof(err)), -EINVAL);
	assert_int_equal(alert_rule_set(&r, "proto", "icmp", err, sizeof(err)), -EINVAL);
	assert_int_equal(alert_rule_set(&r, "colour", "red", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "colour"));
	assert_int_equal(alert_rule_set(&r, "window", "0", err, sizeof(err)), -EINVAL);
	assert_int_equal(alert_rule_set(&r, "bytes", "0", err, sizeof(err)), -EINVAL);
	assert_int_equal(alert_rule_set(&r, "bytes", "2k", err, sizeof(err)), 0);
	assert_int_equal(r.bytes, 2000);
	assert_int_equal(r.on, ALERT_ON_THRESHOLD);
	alert_rule_clear(&r);
}

/* What the engine fired, in order. */
struct fired {
	unsigned int n;
	char what[32][16];
	uint64_t at[32];
	char rule[32][ALERT_NAME_MAX];
};

static void collect(const struct alert_event *ev, void *ctx)
{
	struct fired *f = ctx;

	assert_true(f->n < 32);
	snprintf(f->what[f->n], sizeof(f->what[0]), "%s", ev->what);
	snprintf(f->rule[f->n], sizeof(f->rule[0]), "%s", ev->rule->name);
	f->at[f->n++] = ev->at_ms;
}

/* The flow's totals as a sweep would see them. */
static void see(struct alert_engine *e, struct nasoone_flow *f, uint64_t last_ms, uint64_t bytes,
		uint64_t packets, bool final)
{
	if (!f->first_ms)
		f->first_ms = last_ms;
	f->last_ms = last_ms;
	f->bytes = bytes;
	f->packets = packets;
	assert_int_equal(alert_engine_update(e, f, final), 0);
}

static void test_first_packet_and_repeat(void **state)
{
	struct nasoone_flow f = flow("10.0.0.1", 1000, "10.0.0.2", 80, NASOONE_PROTO_TCP);
	struct nasoone_flow g = flow("10.0.0.9", 1000, "10.0.0.2", 80, NASOONE_PROTO_TCP);
	struct alert_rule rules[2];
	struct fired got = { 0 };
	struct alert_engine *e;

	(void)state;
	rule(&rules[0], "web", "src", "10.0.0.1", "dport", "80", "repeat", "10", NULL);
	rule(&rules[1], "once", "dport", "80", "repeat", "0", NULL);
	e = alert_engine_new(rules, 2, collect, &got);
	assert_non_null(e);
	see(e, &f, 1000, 60, 1, false);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.what[0], "first packet");
	assert_int_equal(got.at[0], 1000);
	see(e, &f, 5000, 120, 2, false); /* within repeat: nothing */
	see(e, &f, 10999, 180, 3, false);
	assert_int_equal(got.n, 2);
	see(e, &f, 11000, 240, 4, false); /* repeat passed, traffic goes on */
	assert_int_equal(got.n, 3);
	assert_string_equal(got.what[2], "traffic");
	assert_string_equal(got.rule[2], "web");
	assert_int_equal(got.at[2], 11000);
	see(e, &f, 30000, 240, 4, false); /* seen again without new packets: nothing */
	assert_int_equal(got.n, 3);
	see(e, &g, 2000, 60, 1, false); /* only "once" matches 10.0.0.9 */
	assert_int_equal(got.n, 4);
	assert_string_equal(got.rule[3], "once");
	assert_int_equal(alert_engine_fired(e), 4);
	alert_engine_free(e);
}

static void test_new_flow_after_expiry(void **state)
{
	struct nasoone_flow f = flow("2001:db8::1", 53, "2001:db8::2", 5353, NASOONE_PROTO_UDP);
	struct alert_rule r;
	struct fired got = { 0 };
	struct alert_engine *e;

	(void)state;
	rule(&r, "dns", "on", "flow", "sport", "53", "proto", "udp", NULL);
	e = alert_engine_new(&r, 1, collect, &got);
	see(e, &f, 1000, 100, 1, false);
	see(e, &f, 2000, 200, 2, true); /* expired: leaves memory */
	assert_int_equal(got.n, 1);
	assert_string_equal(got.what[0], "new flow");
	f.first_ms = 0;
	see(e, &f, 90000, 100, 1, false); /* the same 4-tuple again: a new flow */
	assert_int_equal(got.n, 2);
	assert_int_equal(got.at[1], 90000);
	alert_engine_free(e);
}

static void test_threshold_sliding_window(void **state)
{
	struct nasoone_flow slow = flow("10.0.0.1", 1, "10.0.0.2", 2, NASOONE_PROTO_TCP);
	struct nasoone_flow fast = flow("10.0.0.3", 1, "10.0.0.2", 2, NASOONE_PROTO_TCP);
	struct alert_rule r;
	struct fired got = { 0 };
	struct alert_engine *e;
	uint64_t t, bytes = 0;

	(void)state;
	rule(&r, "big", "bytes", "1000", "window", "10", "repeat", "0", NULL);
	e = alert_engine_new(&r, 1, collect, &got);
	/* 100 bytes a second: 1000 in any 10 s only at the edge; 90 a second never. */
	for (t = 1000; t <= 100000; t += 1000) {
		bytes += 90;
		see(e, &slow, t, bytes, t / 1000, false);
	}
	assert_int_equal(got.n, 0); /* 9000 bytes in all, never 1000 in 10 s */
	/* A quiet minute, then a burst of 1000 bytes in 2 s. */
	see(e, &slow, 160000, bytes, 100, false);
	see(e, &slow, 161000, bytes + 500, 101, false);
	assert_int_equal(got.n, 0);
	see(e, &slow, 162000, bytes + 1000, 102, false);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.what[0], "threshold");
	assert_int_equal(got.at[0], 162000);
	/* repeat = 0: once per flow. */
	see(e, &slow, 164000, bytes + 5000, 110, false);
	assert_int_equal(got.n, 1);
	/* A flow that began inside the window counts from 0. */
	see(e, &fast, 300000, 400, 1, false);
	assert_int_equal(got.n, 1);
	see(e, &fast, 301000, 1000, 2, false);
	assert_int_equal(got.n, 2);
	alert_engine_free(e);
}

static void test_threshold_packets_rate_repeat(void **state)
{
	struct nasoone_flow f = flow("10.0.0.1", 1, "10.0.0.2", 2, NASOONE_PROTO_UDP);
	struct alert_rule r[2];
	struct fired got = { 0 };
	struct alert_engine *e;

	(void)state;
	rule(&r[0], "pps", "packets", "50", "window", "1", "repeat", "5", NULL);
	rule(&r[1], "bw", "rate", "1M", "window", "2", "repeat", "0", NULL); /* 2 MB in 2 s */
	e = alert_engine_new(r, 2, collect, &got);
	see(e, &f, 1000, 1000, 10, false);
	see(e, &f, 1500, 2000, 59, false); /* 59 packets in 0.5 s */
	assert_int_equal(got.n, 1);
	assert_string_equal(got.rule[0], "pps");
	see(e, &f, 2000, 3000, 120, false); /* still over, within repeat */
	assert_int_equal(got.n, 1);
	see(e, &f, 6500, 1999999, 150, false); /* over 2 MB? no: 1999999 - 3000 in the window */
	assert_int_equal(got.n, 1);
	see(e, &f, 7000, 2100000, 250, false); /* 100 packets in 0.5 s, repeat passed; 2 MB */
	assert_int_equal(got.n, 3);
	alert_engine_free(e);
}

/* The engine's compiled rules match exactly as alert_rule_matches(), for random rules and flows. */
static void record_rule(const struct alert_event *ev, void *ctx)
{
	bool *hit = ctx;

	hit[atoi(ev->rule->name)] = true;
}

static void test_engine_matches_as_rules(void **state)
{
	static const char *const v4[] = { "10.0.0.0/8", "10.1.0.0/16",	  "10.1.2.3",
					  "0.0.0.0/0",	"192.168.0.0/23", "10.1.2.0/31" };
	static const char *const v6[] = { "2001:db8::/32", "2001:db8:1::/48",	"2001:db8:1::5",
					  "::/0",	   "2001:db8:1:2::/63", "fe80::/10" };
	static const char *const ports[] = { "53", "80", "1-1023", "1024-65535", "0", "65535" };
	static const char *const protos[] = { "tcp", "udp", "any" };
	static const char *const addr_keys[] = { "src", "dst", "host" };
	static const char *const port_keys[] = { "sport", "dport", "port" };
	enum { NRULES = 120, NFLOWS = 3000 };
	struct alert_rule *rules = calloc(NRULES, sizeof(*rules));
	bool hit[NRULES];
	unsigned int seed = 12345;
	char err[256], name[16];

	(void)state;
	assert_non_null(rules);
	for (int i = 0; i < NRULES; i++) {
		snprintf(name, sizeof(name), "%d", i);
		alert_rule_init(&rules[i], name);
		assert_int_equal(alert_rule_set(&rules[i], "on", "flow", err, sizeof(err)), 0);
		for (int k = 0; k < 3; k++) {
			if (rand_r(&seed) % 3 == 0) {
				const char *a = rand_r(&seed) % 2 ? v4[rand_r(&seed) % 6]
								  : v6[rand_r(&seed) % 6];

				assert_int_equal(alert_rule_set(&rules[i], addr_keys[k], a, err,
								sizeof(err)),
						 0);
			}
			if (rand_r(&seed) % 3 == 0)
				assert_int_equal(alert_rule_set(&rules[i], port_keys[k],
								ports[rand_r(&seed) % 6], err,
								sizeof(err)),
						 0);
		}
		if (rand_r(&seed) % 2)
			assert_int_equal(alert_rule_set(&rules[i], "proto",
							protos[rand_r(&seed) % 3], err,
							sizeof(err)),
					 0);
	}
	for (int n = 0; n < NFLOWS; n++) {
		char src[64], dst[64];
		struct nasoone_flow f;
		struct alert_engine *e = alert_engine_new(rules, NRULES, record_rule, hit);

		if (n % 2)
			snprintf(src, sizeof(src), "10.%u.%u.%u", rand_r(&seed) % 3,
				 rand_r(&seed) % 4, rand_r(&seed) % 5);
		else
			snprintf(src, sizeof(src), "2001:db8:%x:%x::%x", rand_r(&seed) % 3,
				 rand_r(&seed) % 4, rand_r(&seed) % 6);
		if (n % 2)
			snprintf(dst, sizeof(dst), "192.168.%u.%u", rand_r(&seed) % 3,
				 rand_r(&seed) % 3);
		else
			snprintf(dst, sizeof(dst), "fe80::%x", rand_r(&seed) % 3);
		f = flow(src, (uint16_t)(rand_r(&seed) % 3 ? rand_r(&seed) % 1100 : 65535), dst,
			 (uint16_t)(rand_r(&seed) % 2 ? 53 : 80), 1 + rand_r(&seed) % 3);
		memset(hit, 0, sizeof(hit));
		see(e, &f, 1000, 100, 1, true);
		for (int i = 0; i < NRULES; i++)
			if (hit[i] != alert_rule_matches(&rules[i], &f))
				fail_msg("rule %d, flow %s:%u > %s:%u: engine %d, rule %d", i, src,
					 ntohs(f.sport), dst, ntohs(f.dport), hit[i],
					 alert_rule_matches(&rules[i], &f));
		alert_engine_free(e);
	}
	for (int i = 0; i < NRULES; i++)
		alert_rule_clear(&rules[i]);
	free(rules);
}

static void test_format_line(void **state)
{
	struct nasoone_flow f = flow("2001:db8::1", 443, "2001:db8::2", 50000, NASOONE_PROTO_TCP);
	struct alert_rule r;
	struct alert_event ev = { .rule = &r, .flow = &f, .what = "first packet" };
	char line[512];

	(void)state;
	rule(&r, "web", NULL);
	ev.at_ms = 1672531200128ull;
	alert_format_line(line, sizeof(line), &ev);
	assert_string_equal(line, "2023-01-01T00:00:00.128Z alert web: first packet tcp "
				  "[2001:db8::1]:443 > [2001:db8::2]:50000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_v4_edges),
		cmocka_unit_test(test_cidr_v6_edges),
		cmocka_unit_test(test_cidr_bad),
		cmocka_unit_test(test_ports_and_protocols),
		cmocka_unit_test(test_first_packet_and_repeat),
		cmocka_unit_test(test_new_flow_after_expiry),
		cmocka_unit_test(test_threshold_sliding_window),
		cmocka_unit_test(test_threshold_packets_rate_repeat),
		cmocka_unit_test(test_engine_matches_as_rules),
		cmocka_unit_test(test_format_line),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
