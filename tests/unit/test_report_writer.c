// SPDX-License-Identifier: GPL-2.0-only
/*
 * The report as a consumer, with rows keyed by protocol: a 4-tuple that
 * carries TCP and UDP is two rows in memory (an IPFIX flow each) and one
 * "[TCP, UDP]" row in the report, from the store, from a snapshot, or
 * from both.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "output/report_writer.h"

static struct flow_row row(uint8_t last_octet, uint8_t proto, uint64_t first, uint64_t last,
			   uint64_t bytes, uint64_t packets)
{
	struct flow_row r;

	memset(&r, 0, sizeof(r));
	r.key.family = NN_FAMILY_IPV4;
	r.key.saddr[10] = r.key.saddr[11] = r.key.daddr[10] = r.key.daddr[11] = 0xff;
	r.key.saddr[12] = 192;
	r.key.saddr[15] = last_octet;
	r.key.daddr[12] = 198;
	r.key.daddr[15] = 9;
	r.key.sport = htons(4000);
	r.key.dport = htons(53);
	r.key.pad[NN_KEY_PROTO] = proto;
	r.protos = proto == 6 ? NN_PROTO_TCP : NN_PROTO_UDP;
	if (last_octet == 1)
		r.protos |=
			ROW_TWIN; /* rows of 192.0.0.1 come in pairs: the flow table marks them */
	r.first_ms = first;
	r.last_ms = last;
	r.bytes = bytes;
	r.ip_bytes = bytes - 14 * packets;
	r.packets = packets;
	r.hash = row_hash(&r.key);
	return r;
}

struct fixture {
	char dir[64], path[96];
	struct report_output out;
	struct report_writer *w;
	struct nasoone_consumer c;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/nasoone-rw.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/report.txt", f->dir);
	assert_int_equal(report_output_set(&f->out, f->path, false), 0);
	assert_int_equal(report_output_create(&f->out), 0);
	f->w = report_writer_new(&f->out, false, &f->c);
	assert_non_null(f->w);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	report_writer_free(f->w);
	report_output_clear(&f->out);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void expect_report(const struct fixture *f, const char *rows)
{
	char buf[4096], want[4096];
	FILE *in = fopen(f->path, "r");
	size_t n;

	assert_non_null(in);
	n = fread(buf, 1, sizeof(buf) - 1, in);
	fclose(in);
	buf[n] = '\0';
	snprintf(want, sizeof(want), "%s%s", REPORT_HEADER, rows);
	assert_string_equal(buf, want);
}

static const char merged[] = "192.0.0.1; 4000; 198.0.0.9; 53; [TCP, UDP]; 100; 900; 360; 4\n";

/* Stopped: every row ended as forced, TCP and UDP apart. */
static void test_store_merges_protocols(void **state)
{
	struct fixture *f = *state;
	struct flow_row rows[2] = { row(1, 6, 200, 900, 200, 2), row(1, 17, 100, 300, 160, 2) };

	rows[0].key.pad[0] = rows[1].key.pad[0] = NASOONE_END_FORCED;
	assert_int_equal(f->c.on_expired(row_as_flow(rows), 2, f->c.ctx), 0);
	assert_int_equal(f->c.on_flush(1000, f->c.ctx), 0);
	expect_report(f, merged);
}

/* An interval's rewrite: the live rows of a snapshot, TCP and UDP apart. */
static void test_snapshot_merges_protocols(void **state)
{
	struct fixture *f = *state;
	struct flow_row rows[2] = { row(1, 17, 100, 300, 160, 2), row(1, 6, 200, 900, 200, 2) };
	struct nasoone_snapshot snap = { .count = 2, .flows = row_as_flow(rows) };

	assert_int_equal(f->c.on_snapshot(&snap, f->c.ctx), 0);
	expect_report(f, merged);
}

/* One protocol ended, the other still live. */
static void test_store_and_snapshot_merge_protocols(void **state)
{
	struct fixture *f = *state;
	struct flow_row ended = row(1, 17, 100, 300, 160, 2), live = row(1, 6, 200, 900, 200, 2);
	struct nasoone_snapshot snap = { .count = 1, .flows = row_as_flow(&live) };

	ended.key.pad[0] = NASOONE_END_IDLE;
	assert_int_equal(f->c.on_expired(row_as_flow(&ended), 1, f->c.ctx), 0);
	assert_int_equal(f->c.on_snapshot(&snap, f->c.ctx), 0);
	expect_report(f, merged);
}

/* Both protocols, different 4-tuples: nothing to merge. */
static void test_protocols_apart_stay_apart(void **state)
{
	struct fixture *f = *state;
	struct flow_row rows[2] = { row(1, 6, 200, 900, 200, 2), row(2, 17, 100, 300, 160, 2) };

	rows[0].key.pad[0] = rows[1].key.pad[0] = NASOONE_END_FORCED;
	assert_int_equal(f->c.on_expired(row_as_flow(rows), 2, f->c.ctx), 0);
	assert_int_equal(f->c.on_flush(1000, f->c.ctx), 0);
	expect_report(f, "192.0.0.2; 4000; 198.0.0.9; 53; [UDP]; 100; 300; 160; 2\n"
			 "192.0.0.1; 4000; 198.0.0.9; 53; [TCP]; 200; 900; 200; 2\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_merges_protocols, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_merges_protocols, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_and_snapshot_merge_protocols, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_protocols_apart_stay_apart, setup, teardown),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
