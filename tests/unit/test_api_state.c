/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The public state machine of include/nasoone.h: every call in every state
 * (INITIAL, RUNNING, PAUSED, FINISHED, STOPPED) returns the documented code,
 * a NULL handle is NASOONE_EINVAL and never a crash, configuration errors
 * leave the capture in INITIAL, and nasoone_free() works in every state.
 * Also the filter builder's expressions, which must compile.
 *
 * The captures are written by the test itself: a tiny classic pcap (four
 * UDP packets on two 4-tuples and one ARP frame) that reaches FINISHED, and
 * a large one (BIG_PACKETS packets) for RUNNING and PAUSED. A file capture
 * may finish at any moment, so the RUNNING/PAUSED tests only ever assert
 * what holds whichever way the race goes: they pause right after start,
 * and a pause that came too late must have found the capture FINISHED.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nasoone.h"

#define BIG_PACKETS  200000
#define TINY_PACKETS 5 /* 4 UDP + 1 ARP */
#define TINY_COUNTED 4
#define TINY_ROWS    2
#define PAUSE_TRIES  5

#define REPORT_HEADER                                                                              \
	"source ip; source port; destination ip; destination port; protocols; first; last; "       \
	"bytes; packets\n"

static char tmpdir[] = "/tmp/nasoone-api-state.XXXXXX";
static char tiny_path[256];
static char big_path[256];
static char missing_path[256];
static char existing_path[256];
static char nodir_path[256];

/* ---- Captures written by the test ------------------------------------------ */

static void put16le(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32le(unsigned char *p, uint32_t v)
{
	put16le(p, (uint16_t)v);
	put16le(p + 2, (uint16_t)(v >> 16));
}

static void put16be(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* An Ethernet/IPv4/UDP frame with 4 payload bytes into buf; returns its length (46). */
static size_t udp_frame(unsigned char *buf, uint8_t src_last, uint16_t sport, uint8_t dst_last,
			uint16_t dport)
{
	unsigned char *ip = buf + 14, *udp = ip + 20;

	memset(buf, 0, 46);
	memset(buf, 0x02, 6);	  /* destination MAC */
	memset(buf + 6, 0x04, 6); /* source MAC */
	put16be(buf + 12, 0x0800);
	ip[0] = 0x45;
	put16be(ip + 2, 20 + 8 + 4);
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = 10;
	ip[15] = src_last;
	ip[16] = 10;
	ip[19] = dst_last;
	put16be(udp, sport);
	put16be(udp + 2, dport);
	put16be(udp + 4, 8 + 4);
	return 46;
}

/* An ARP request: not IP, so read but skipped. */
static size_t arp_frame(unsigned char *buf)
{
	memset(buf, 0, 42);
	memset(buf, 0xff, 6);
	memset(buf + 6, 0x04, 6);
	put16be(buf + 12, 0x0806);
	return 42;
}

static void write_record(FILE *f, uint32_t sec, uint32_t usec, const unsigned char *frame,
			 size_t len)
{
	unsigned char rec[16];

	put32le(rec, sec);
	put32le(rec + 4, usec);
	put32le(rec + 8, (uint32_t)len);
	put32le(rec + 12, (uint32_t)len);
	assert_int_equal(fwrite(rec, 1, sizeof(rec), f), sizeof(rec));
	assert_int_equal(fwrite(frame, 1, len, f), len);
}

/* A classic little-endian microsecond pcap header, Ethernet. */
static FILE *pcap_create(const char *path)
{
	unsigned char hdr[24] = { 0 };
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	put32le(hdr, 0xa1b2c3d4);
	put16le(hdr + 4, 2);
	put16le(hdr + 6, 4);
	put32le(hdr + 16, 65535);
	put32le(hdr + 20, 1);
	assert_int_equal(fwrite(hdr, 1, sizeof(hdr), f), sizeof(hdr));
	return f;
}

/* 10.0.0.1:1000 -> 10.0.0.2:53 three times, the answer once, and an ARP frame. */
static void write_tiny(const char *path)
{
	unsigned char frame[64];
	FILE *f = pcap_create(path);
	size_t len;

	len = udp_frame(frame, 1, 1000, 2, 53);
	write_record(f, 1700000000, 0, frame, len);
	write_record(f, 1700000000, 1000, frame, len);
	len = arp_frame(frame);
	write_record(f, 1700000000, 1500, frame, len);
	len = udp_frame(frame, 2, 53, 1, 1000);
	write_record(f, 1700000000, 2000, frame, len);
	len = udp_frame(frame, 1, 1000, 2, 53);
	write_record(f, 1700000001, 0, frame, len);
	assert_int_equal(fclose(f), 0);
}

/* BIG_PACKETS UDP packets over 1000 source ports: long enough to be paused while read. */
static void write_big(const char *path)
{
	unsigned char frame[64];
	FILE *f = pcap_create(path);

	for (uint32_t i = 0; i < BIG_PACKETS; i++) {
		size_t len = udp_frame(frame, 1, (uint16_t)(1024 + i % 1000), 2, 53);

		write_record(f, 1700000000 + i / 1000, (i % 1000) * 1000, frame, len);
	}
	assert_int_equal(fclose(f), 0);
}

static int group_setup(void **state)
{
	FILE *f;

	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(tiny_path, sizeof(tiny_path), "%s/tiny.pcap", tmpdir);
	snprintf(big_path, sizeof(big_path), "%s/big.pcap", tmpdir);
	snprintf(missing_path, sizeof(missing_path), "%s/no-such-file.pcap", tmpdir);
	snprintf(existing_path, sizeof(existing_path), "%s/existing.txt", tmpdir);
	snprintf(nodir_path, sizeof(nodir_path), "%s/no/such/dir/report.txt", tmpdir);
	write_tiny(tiny_path);
	write_big(big_path);
	f = fopen(existing_path, "w");
	if (!f || fputs("keep me\n", f) == EOF || fclose(f))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[sizeof(tmpdir) + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A fresh report path inside the temporary directory. */
static void report_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
	unlink(buf);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return buf;
}

/* ---- Helpers: what each state allows ---------------------------------------- */

/* Every configuration setter returns code (all share one rule: INITIAL only). */
static void expect_setters(struct nasoone *n, int code)
{
	char out[256];

	report_path(out, sizeof(out), "setter-report.txt");
	assert_int_equal(nasoone_set_capture_file(n, tiny_path), code);
	assert_int_equal(nasoone_set_capture_device(n, "lo"), code);
	assert_int_equal(nasoone_set_output(n, out), code);
	assert_int_equal(nasoone_set_overwrite(n, true), code);
	assert_int_equal(nasoone_set_timeout(n, 5), code);
	assert_int_equal(nasoone_set_threads(n, 2), code);
	assert_int_equal(nasoone_set_filter(n, "udp"), code);
	assert_int_equal(nasoone_set_filter(n, NULL), code);
	assert_int_equal(nasoone_set_promiscuous(n, false), code);
	assert_int_equal(nasoone_set_buffer_size(n, 1 << 20), code);
	assert_int_equal(nasoone_set_packet_limit(n, 0), code);
	assert_int_equal(nasoone_set_privilege_drop(n, false, NULL), code);
	if (code)
		assert_int_equal(access(out, F_OK), -1); /* a refused set_output creates nothing */
}

/* The calls allowed in every state: getters. */
static void expect_getters_work(struct nasoone *n)
{
	struct nasoone_stats stats;
	struct nasoone_progress progress;
	const char *text;

	assert_int_equal(nasoone_get_stats(n, &stats), 0);
	assert_int_equal(nasoone_get_progress(n, &progress), 0);
	assert_true(progress.input_bytes <= progress.input_size || progress.input_size == 0);
	assert_int_equal(nasoone_get_stats(n, NULL), NASOONE_EINVAL);
	assert_int_equal(nasoone_get_progress(n, NULL), NASOONE_EINVAL);
	(void)nasoone_get_packets(n);
	text = nasoone_last_error(n);
	assert_non_null(text);
}

/* A handle with tiny_path as input, report to out (or none when NULL). */
static struct nasoone *new_with_file(const char *path, const char *out)
{
	struct nasoone *n = nasoone_new();

	assert_non_null(n);
	assert_int_equal(nasoone_get_state(n), NASOONE_INITIAL);
	assert_int_equal(nasoone_set_capture_file(n, path), 0);
	if (out)
		assert_int_equal(nasoone_set_output(n, out), 0);
	return n;
}

/*
 * Start a big capture and pause it at once. True when it is PAUSED; false
 * when the file was already read (pause then has to say ESTATE and the
 * state has to be FINISHED), which the caller may retry.
 */
static bool start_paused(struct nasoone *n)
{
	int rc;

	assert_int_equal(nasoone_start(n), 0);
	rc = nasoone_pause(n);
	if (rc == 0) {
		assert_int_equal(nasoone_get_state(n), NASOONE_PAUSED);
		return true;
	}
	assert_int_equal(rc, NASOONE_ESTATE);
	assert_int_equal(nasoone_get_state(n), NASOONE_FINISHED);
	return false;
}

/* A big capture in PAUSED, or NULL after PAUSE_TRIES captures that all finished first. */
static struct nasoone *new_paused(unsigned int threads)
{
	for (int i = 0; i < PAUSE_TRIES; i++) {
		struct nasoone *n = new_with_file(big_path, NULL);

		assert_int_equal(nasoone_set_threads(n, threads), 0);
		if (start_paused(n))
			return n;
		assert_int_equal(nasoone_stop(n, NULL), 0);
		nasoone_free(n);
	}
	return NULL;
}

/* ---- NULL handle ------------------------------------------------------------ */

static void test_null_handle(void **state)
{
	struct nasoone_stats stats;
	struct nasoone_progress progress;

	(void)state;
	assert_int_equal(nasoone_set_capture_device(NULL, "lo"), NASOONE_EINVAL);
	assert_int_equal(nasoone_set_capture_file(NULL, tiny_path), NASOONE_EINVAL);
	assert_int_equal(nasoone_set_output(NULL, "-"), NASOONE_EINVAL);
	assert_int_equal(nasoone_set_overwrite(NULL, true), NASOONE_EINVAL);
	assert_int_equal(nasoone_set_timeout(NULL, 5), NASOONE_EINVAL);
	assert_int_equal(nasoone_set_threads(NULL, 1), NASOONE_EINVAL);
	assert_int_equal(nasoone_set_filter(NULL, "udp"), NASOONE_EINVAL);
	assert_int_equal(nasoone_start(NULL), NASOONE_EINVAL);
	assert_int_equal(nasoone_pause(NULL), NASOONE_EINVAL);
	assert_int_equal(nasoone_resume(NULL), NASOONE_EINVAL);
	assert_int_equal(nasoone_stop(NULL, &stats), NASOONE_EINVAL);
	assert_int_equal(nasoone_stop(NULL, NULL), NASOONE_EINVAL);
	assert_int_equal(nasoone_wait(NULL, 0), NASOONE_EINVAL);
	assert_int_equal(nasoone_get_stats(NULL, &stats), NASOONE_EINVAL);
	assert_int_equal(nasoone_get_progress(NULL, &progress), NASOONE_EINVAL);
	assert_int_equal(nasoone_get_error(NULL), NASOONE_EINVAL);
	assert_int_equal(nasoone_get_packets(NULL), 0);
	(void)nasoone_get_state(NULL); /* no error code to give: it must just not crash */
	assert_non_null(nasoone_last_error(NULL));
	nasoone_free(NULL);
}

/* NULL arguments other than the handle. */
static void test_null_arguments(void **state)
{
	struct nasoone *n = nasoone_new();

	(void)state;
	assert_non_null(n);
	assert_int_equal(nasoone_set_capture_file(n, NULL), NASOONE_EINVAL);
	assert_int_equal(nasoone_set_capture_device(n, NULL), NASOONE_EINVAL);
	assert_int_equal(nasoone_set_output(n, NULL), NASOONE_EINVAL);
	assert_int_equal(nasoone_get_state(n), NASOONE_INITIAL);
	assert_int_equal(nasoone_list_devices(NULL, NULL), NASOONE_EINVAL);
	assert_int_equal(nasoone_default_device(NULL, 16), NASOONE_EINVAL);
	nasoone_free_devices(NULL, 0);
	nasoone_free(n);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int code = NASOONE_OK; code >= NASOONE_ETIMEDOUT; code--) {
		const char *text = nasoone_strerror(code);

		assert_non_null(text);
		assert_true(strlen(text) > 0);
	}
	assert_non_null(nasoone_strerror(1));
	assert_non_null(nasoone_strerror(-1000));
	assert_string_not_equal(nasoone_strerror(NASOONE_EINVAL), nasoone_strerror(NASOONE_ESTATE));
}

/* ---- INITIAL ---------------------------------------------------------------- */

static void test_initial(void **state)
{
	struct nasoone_stats stats;
	struct nasoone *n = nasoone_new();

	(void)state;
	assert_non_null(n);
	assert_int_equal(nasoone_get_state(n), NASOONE_INITIAL);
	assert_int_equal(nasoone_pause(n), NASOONE_ESTATE);
	assert_int_equal(nasoone_resume(n), NASOONE_ESTATE);
	assert_int_equal(nasoone_stop(n, &stats), NASOONE_ESTATE);
	assert_int_equal(nasoone_wait(n, 0), NASOONE_ESTATE);
	assert_int_equal(nasoone_get_error(n), 0);
	assert_int_equal(nasoone_get_packets(n), 0);
	expect_getters_work(n);
	assert_int_equal(nasoone_get_stats(n, &stats), 0);
	assert_int_equal(stats.received, 0);
	assert_int_equal(stats.rows, 0);
	assert_int_equal(nasoone_get_state(n), NASOONE_INITIAL);

	/* Every setter works in INITIAL, any number of times. */
	expect_setters(n, 0);
	expect_setters(n, 0);
	assert_int_equal(nasoone_get_state(n), NASOONE_INITIAL);
	nasoone_free(n);
}

static void test_start_without_input(void **state)
{
	struct nasoone *n = nasoone_new();

	(void)state;
	assert_non_null(n);
	assert_int_equal(nasoone_set_output(n, "-"), 0);
	assert_int_equal(nasoone_start(n), NASOONE_ENOINPUT);
	assert_true(strlen(nasoone_last_error(n)) > 0);
	assert_int_equal(nasoone_get_state(n), NASOONE_INITIAL);
	nasoone_free(n);
}

static void test_config_values(void **state)
{
	struct nasoone *n = nasoone_new();

	(void)state;
	assert_non_null(n);
	assert_int_equal(nasoone_set_timeout(n, 0), NASOONE_EINVAL);
	assert_int_equal(nasoone_set_timeout(n, 1), 0);
	assert_int_equal(nasoone_set_timeout(n, 86400), 0);
	assert_int_equal(nasoone_set_threads(n, 0), 0);
	assert_int_equal(nasoone_set_threads(n, 64), 0);
	assert_int_equal(nasoone_set_threads(n, 65), NASOONE_EINVAL);
	assert_int_equal(nasoone_set_threads(n, 1000000), NASOONE_EINVAL);
	assert_int_equal(nasoone_set_capture_file(n, ""), NASOONE_EINVAL);
	assert_int_equal(nasoone_set_capture_device(n, ""), NASOONE_EINVAL);
	assert_int_equal(nasoone_set_output(n, ""), NASOONE_EINVAL);
	assert_int_equal(nasoone_get_state(n), NASOONE_INITIAL);
	nasoone_free(n);
}

static void test_filter_checked_at_once(void **state)
{
	struct nasoone *n = nasoone_new();

	(void)state;
	assert_non_null(n);
	assert_int_equal(nasoone_set_filter(n, "bogus(("), NASOONE_EFILTER);
	assert_true(strlen(nasoone_last_error(n)) > 0);
	assert_int_equal(nasoone_set_filter(n, "udp and port 53"), 0);
	assert_int_equal(nasoone_set_filter(n, "host 10.0.0.1 and"), NASOONE_EFILTER);
	assert_int_equal(nasoone_set_filter(n, ""), 0);
	assert_int_equal(nasoone_set_filter(n, NULL), 0);
	assert_int_equal(nasoone_get_state(n), NASOONE_INITIAL);
	nasoone_free(n);
}

static void test_output_rules(void **state)
{
	struct nasoone *n = nasoone_new();
	char *text;

	(void)state;
	assert_non_null(n);
	assert_int_equal(nasoone_set_output(n, existing_path), NASOONE_EEXIST);
	assert_true(strlen(nasoone_last_error(n)) > 0);
	assert_int_equal(nasoone_set_output(n, nodir_path), NASOONE_ENODIR);
	assert_int_equal(nasoone_set_output(n, "-"), 0);
	assert_int_equal(nasoone_set_output(n, "/dev/null"), 0); /* not a regular file */
	assert_int_equal(nasoone_set_overwrite(n, true), 0);
	assert_int_equal(nasoone_set_output(n, existing_path), 0);
	assert_int_equal(nasoone_set_output(n, nodir_path), NASOONE_ENODIR);
	assert_int_equal(nasoone_get_state(n), NASOONE_INITIAL);
	nasoone_free(n);

	/* Refused or accepted, setting the output never touches the file. */
	text = slurp(existing_path);
	assert_string_equal(text, "keep me\n");
	free(text);
}

/*
 * A missing capture file is NASOONE_EINPUT, at set time (what api.c does)
 * or, for an implementation that opens late, at start: never anything else,
 * and the capture stays INITIAL.
 */
static void test_missing_capture_file(void **state)
{
	struct nasoone *n = nasoone_new();
	int rc;

	(void)state;
	assert_non_null(n);
	rc = nasoone_set_capture_file(n, missing_path);
	if (rc == 0)
		rc = nasoone_start(n);
	assert_int_equal(rc, NASOONE_EINPUT);
	assert_true(strstr(nasoone_last_error(n), "no-such-file.pcap") != NULL);
	assert_int_equal(nasoone_get_state(n), NASOONE_INITIAL);
	nasoone_free(n);
}

/* Not a capture file: refused at start with NASOONE_EFORMAT, the capture stays INITIAL. */
static void test_not_a_capture(void **state)
{
	struct nasoone *n = nasoone_new();
	char out[256];

	(void)state;
	assert_non_null(n);
	report_path(out, sizeof(out), "not-a-capture.txt");
	assert_int_equal(nasoone_set_capture_file(n, existing_path), 0);
	assert_int_equal(nasoone_set_output(n, out), 0);
	assert_int_equal(nasoone_start(n), NASOONE_EFORMAT);
	assert_int_equal(nasoone_get_state(n), NASOONE_INITIAL);
	assert_int_equal(nasoone_stop(n, NULL), NASOONE_ESTATE);
	nasoone_free(n);
}

/* ---- FINISHED and STOPPED ----------------------------------------------------- */

static void test_finished_then_stopped(void **state)
{
	struct nasoone_stats stats, again;
	struct nasoone_progress progress;
	char out[256];
	char *text;
	struct nasoone *n;

	(void)state;
	report_path(out, sizeof(out), "tiny-report.txt");
	n = new_with_file(tiny_path, out);
	assert_int_equal(nasoone_set_threads(n, 2), 0);
	assert_int_equal(nasoone_start(n), 0);
	assert_int_equal(nasoone_wait(n, -1), 0);

	/* FINISHED */
	assert_int_equal(nasoone_get_state(n), NASOONE_FINISHED);
	assert_int_equal(nasoone_wait(n, 0), 0);
	assert_int_equal(nasoone_wait(n, 10), 0);
	expect_setters(n, NASOONE_ESTATE);
	assert_int_equal(nasoone_start(n), NASOONE_ESTATE);
	assert_int_equal(nasoone_pause(n), NASOONE_ESTATE);
	assert_int_equal(nasoone_resume(n), NASOONE_ESTATE);
	assert_int_equal(nasoone_get_error(n), 0);
	expect_getters_work(n);
	assert_int_equal(nasoone_get_progress(n, &progress), 0);
	assert_int_equal(progress.received, TINY_PACKETS);
	assert_int_equal(progress.input_size, (uint64_t)TINY_PACKETS * 16 + 24 + 4 * 46 + 42);
	assert_int_equal(nasoone_get_packets(n), TINY_COUNTED);
	assert_int_equal(nasoone_get_state(n), NASOONE_FINISHED);

	assert_int_equal(nasoone_stop(n, &stats), 0);

	/* STOPPED */
	assert_int_equal(nasoone_get_state(n), NASOONE_STOPPED);
	assert_int_equal(stats.received, TINY_PACKETS);
	assert_int_equal(stats.counted, TINY_COUNTED);
	assert_int_equal(stats.skipped, TINY_PACKETS - TINY_COUNTED);
	assert_int_equal(stats.filtered, 0);
	assert_int_equal(stats.paused, 0);
	assert_int_equal(stats.rows, TINY_ROWS);
	assert_int_equal(nasoone_stop(n, &again), NASOONE_ESTATE);
	assert_int_equal(nasoone_stop(n, NULL), NASOONE_ESTATE);
	assert_int_equal(nasoone_wait(n, 0), NASOONE_ESTATE);
	expect_setters(n, NASOONE_ESTATE);
	assert_int_equal(nasoone_start(n), NASOONE_ESTATE);
	assert_int_equal(nasoone_pause(n), NASOONE_ESTATE);
	assert_int_equal(nasoone_resume(n), NASOONE_ESTATE);
	assert_int_equal(nasoone_get_error(n), 0);
	expect_getters_work(n);
	assert_int_equal(nasoone_get_stats(n, &again), 0);
	assert_memory_equal(&again, &stats, sizeof(stats)); /* the final statistics stay */
	assert_int_equal(nasoone_get_state(n), NASOONE_STOPPED);
	nasoone_free(n);

	/* The final report: the header and one row per directional 4-tuple. */
	text = slurp(out);
	assert_true(strncmp(text, REPORT_HEADER, strlen(REPORT_HEADER)) == 0);
	assert_non_null(strstr(text, "\n10.0.0.1; 1000; 10.0.0.2; 53; [UDP]; 1700000000000; "
				     "1700000001000; 138; 3\n"));
	assert_non_null(strstr(text, "\n10.0.0.2; 53; 10.0.0.1; 1000; [UDP]; 1700000000002; "
				     "1700000000002; 46; 1\n"));
	free(text);
}

/* stop() may be called without waiting: from RUNNING or FINISHED, whichever it is. */
/*
 * A file damaged after some packets: nasoone_stop() writes the rows read
 * before the damage and says so itself (NASOONE_ECORRUPT), not 0 with the
 * error left for nasoone_get_error() alone.
 */
static void test_stop_on_damaged_file(void **state)
{
	char damaged[256], out[256];
	struct nasoone_stats stats;
	struct nasoone *n;
	struct stat st;
	char *text;

	(void)state;
	snprintf(damaged, sizeof(damaged), "%s/damaged.pcap", tmpdir);
	assert_int_equal(stat(tiny_path, &st), 0);
	/* Cut inside the last record: its header is there, its frame half. */
	write_tiny(damaged);
	assert_int_equal(truncate(damaged, st.st_size - 20), 0);
	report_path(out, sizeof(out), "damaged-report.txt");
	n = new_with_file(damaged, out);
	assert_int_equal(nasoone_start(n), 0);
	assert_int_equal(nasoone_wait(n, -1), 0);
	assert_int_equal(nasoone_stop(n, &stats), NASOONE_ECORRUPT);
	assert_non_null(strstr(nasoone_last_error(n), "damaged.pcap"));
	assert_int_equal(nasoone_get_state(n), NASOONE_STOPPED);
	assert_int_equal(nasoone_get_error(n), NASOONE_ECORRUPT);
	assert_int_equal(stats.received, TINY_PACKETS - 1);
	text = slurp(out);
	assert_non_null(text);
	assert_int_equal(strncmp(text, REPORT_HEADER, strlen(REPORT_HEADER)), 0);
	free(text);
	nasoone_free(n);
}

/* tcpdump's -c: reading stops after that many packets passed the filter. */
static void test_packet_limit(void **state)
{
	struct nasoone_stats stats;
	struct nasoone *n;

	(void)state;
	n = new_with_file(big_path, NULL);
	assert_int_equal(nasoone_set_packet_limit(n, 1234), 0);
	assert_int_equal(nasoone_start(n), 0);
	assert_int_equal(nasoone_wait(n, -1), 0);
	assert_int_equal(nasoone_stop(n, &stats), 0);
	assert_int_equal(stats.received, 1234);
	assert_int_equal(stats.counted, 1234);
	nasoone_free(n);

	/* Packets the filter refuses do not count towards the limit. */
	n = new_with_file(tiny_path, NULL);
	assert_int_equal(nasoone_set_filter(n, "udp src port 1000"), 0);
	assert_int_equal(nasoone_set_packet_limit(n, 3), 0);
	assert_int_equal(nasoone_start(n), 0);
	assert_int_equal(nasoone_wait(n, -1), 0);
	assert_int_equal(nasoone_stop(n, &stats), 0);
	assert_int_equal(stats.counted, 3);
	assert_int_equal(stats.filtered, 2); /* the ARP frame and the answer */
	nasoone_free(n);
}

/* A forced eBPF mode refuses what only libpcap does: -B, -c, the 'any' device. */
static void test_forced_mode_refusals(void **state)
{
	struct nasoone *n;

	(void)state;
	n = new_with_file(tiny_path, NULL);
	assert_int_equal(nasoone_set_mode(n, NASOONE_MODE_XDP), 0);
	assert_int_equal(nasoone_set_packet_limit(n, 3), 0);
	assert_int_equal(nasoone_start(n), NASOONE_EMODE);
	assert_non_null(strstr(nasoone_last_error(n), "-c"));
	assert_int_equal(nasoone_get_state(n), NASOONE_INITIAL);
	assert_int_equal(nasoone_set_packet_limit(n, 0), 0);
	assert_int_equal(nasoone_set_buffer_size(n, 1 << 20), 0);
	assert_int_equal(nasoone_start(n), NASOONE_EMODE);
	assert_non_null(strstr(nasoone_last_error(n), "-B"));
	nasoone_free(n);

	n = nasoone_new();
	assert_int_equal(nasoone_set_capture_device(n, "any"), 0);
	assert_int_equal(nasoone_set_mode(n, NASOONE_MODE_TC), 0);
	assert_int_equal(nasoone_start(n), NASOONE_EMODE);
	assert_non_null(strstr(nasoone_last_error(n), "any"));
	nasoone_free(n);
}

static void test_stop_right_after_start(void **state)
{
	struct nasoone_stats stats;
	struct nasoone *n = new_with_file(big_path, NULL);

	(void)state;
	assert_int_equal(nasoone_start(n), 0);
	assert_int_equal(nasoone_start(n), NASOONE_ESTATE);
	assert_int_equal(nasoone_stop(n, &stats), 0);
	assert_int_equal(nasoone_get_state(n), NASOONE_STOPPED);
	assert_true(stats.received <= BIG_PACKETS);
	assert_true(stats.counted <= stats.received);
	assert_int_equal(nasoone_stop(n, &stats), NASOONE_ESTATE);
	nasoone_free(n);
}

/* The filter runs on files: only matching packets are counted. */
static void test_filter_on_file(void **state)
{
	struct nasoone_stats stats;
	struct nasoone *n = new_with_file(tiny_path, NULL);

	(void)state;
	assert_int_equal(nasoone_set_filter(n, "udp and src host 10.0.0.1"), 0);
	assert_int_equal(nasoone_start(n), 0);
	assert_int_equal(nasoone_wait(n, -1), 0);
	assert_int_equal(nasoone_stop(n, &stats), 0);
	assert_int_equal(stats.received, TINY_PACKETS);
	assert_int_equal(stats.counted, 3);
	assert_int_equal(stats.filtered, 2); /* the answer and the ARP frame */
	assert_int_equal(stats.rows, 1);
	nasoone_free(n);
}

/* ---- RUNNING and PAUSED ------------------------------------------------------- */

/* A copy of src at dst, byte for byte. */
static void copy_file(const char *src, const char *dst)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, dst);
	assert_int_equal(system(cmd), 0);
}

/*
 * The capture file shrinks while it is read (paused, cut, resumed): the
 * reader must end as on a damaged file, with NASOONE_ECORRUPT, a message and
 * the rows counted so far in the report; not with SIGBUS on the mapping.
 */
static void test_file_shrinks_while_read(void **state)
{
	struct nasoone_progress progress;
	struct nasoone_stats stats;
	char path[256], out[256], *text;
	struct nasoone *n = NULL;
	uint64_t cut = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/shrinks.pcap", tmpdir);
	report_path(out, sizeof(out), "shrinks.txt");
	for (int i = 0; i < PAUSE_TRIES && !n; i++) {
		copy_file(big_path, path);
		unlink(out);
		n = new_with_file(path, out);
		assert_int_equal(nasoone_set_threads(n, 1), 0);
		if (start_paused(n)) {
			assert_int_equal(nasoone_get_progress(n, &progress), 0);
			/* Cut well after what was read, in the middle of the rest. */
			if (progress.input_size - progress.input_bytes > (1u << 20)) {
				cut = progress.input_bytes +
				      (progress.input_size - progress.input_bytes) / 2;
				break;
			}
		}
		assert_int_equal(nasoone_stop(n, NULL), 0);
		nasoone_free(n);
		n = NULL;
	}
	if (!n) {
		print_message("the big capture was read before pause, %d times\n", PAUSE_TRIES);
		skip();
	}
	assert_int_equal(truncate(path, (off_t)cut), 0);
	assert_int_equal(nasoone_resume(n), 0);
	assert_int_equal(nasoone_wait(n, 30000), 0);
	assert_int_equal(nasoone_get_error(n), NASOONE_ECORRUPT);
	assert_non_null(strstr(nasoone_last_error(n), "shrank"));
	nasoone_stop(n, &stats);
	assert_true(stats.received > 0 && stats.received < BIG_PACKETS);
	text = slurp(out);
	assert_true(strncmp(text, REPORT_HEADER, strlen(REPORT_HEADER)) == 0);
	assert_true(strlen(text) > strlen(REPORT_HEADER)); /* the rows counted before the cut */
	free(text);
	nasoone_free(n);
}

static void test_paused_then_running(void **state)
{
	struct nasoone_stats stats;
	struct nasoone *n = new_paused(2);
	int rc;

	(void)state;
	if (!n) {
		print_message("the big capture finished before pause, %d times\n", PAUSE_TRIES);
		skip();
	}

	/* PAUSED: a paused file is not read, so waiting times out. */
	expect_setters(n, NASOONE_ESTATE);
	assert_int_equal(nasoone_start(n), NASOONE_ESTATE);
	assert_int_equal(nasoone_pause(n), NASOONE_ESTATE);
	assert_int_equal(nasoone_get_error(n), 0);
	expect_getters_work(n);
	/*
	 * Waiting on a paused capture times out: it may only have finished
	 * if the reader had read the whole file before the pause took effect.
	 */
	rc = nasoone_wait(n, 20);
	if (rc == 0) {
		assert_int_equal(nasoone_get_stats(n, &stats), 0);
		assert_int_equal(stats.received, BIG_PACKETS);
	} else {
		assert_int_equal(rc, NASOONE_ETIMEDOUT);
	}
	assert_int_equal(nasoone_get_state(n), NASOONE_PAUSED);

	assert_int_equal(nasoone_resume(n), 0);

	/* RUNNING, or already FINISHED: the answers that hold in both. */
	assert_true(nasoone_get_state(n) == NASOONE_RUNNING ||
		    nasoone_get_state(n) == NASOONE_FINISHED);
	expect_setters(n, NASOONE_ESTATE);
	assert_int_equal(nasoone_start(n), NASOONE_ESTATE);
	assert_int_equal(nasoone_resume(n), NASOONE_ESTATE);
	expect_getters_work(n);
	rc = nasoone_pause(n);
	if (rc == 0) {
		assert_int_equal(nasoone_get_state(n), NASOONE_PAUSED);
		assert_int_equal(nasoone_resume(n), 0);
	} else {
		assert_int_equal(rc, NASOONE_ESTATE);
		assert_int_equal(nasoone_get_state(n), NASOONE_FINISHED);
	}

	/* Resumed, the whole file is read: nothing was lost by pausing. */
	assert_int_equal(nasoone_wait(n, -1), 0);
	assert_int_equal(nasoone_get_state(n), NASOONE_FINISHED);
	assert_int_equal(nasoone_stop(n, &stats), 0);
	assert_int_equal(stats.received, BIG_PACKETS);
	assert_int_equal(stats.counted, BIG_PACKETS);
	assert_int_equal(stats.rows, 1000);
	assert_int_equal(nasoone_get_state(n), NASOONE_STOPPED);
	nasoone_free(n);
}

/* The progress of a file knows its size from the start (0 is for live captures). */
static void test_progress_while_paused(void **state)
{
	struct nasoone_progress progress;
	struct stat st;
	struct nasoone *n = new_paused(2);

	(void)state;
	if (!n)
		skip();
	assert_int_equal(stat(big_path, &st), 0);
	assert_int_equal(nasoone_get_progress(n, &progress), 0);
	assert_int_equal(progress.input_size, (uint64_t)st.st_size);
	assert_true(progress.input_bytes <= progress.input_size);
	assert_true(progress.received <= BIG_PACKETS);
	nasoone_free(n);
}

static void test_stop_while_paused(void **state)
{
	struct nasoone_stats stats;
	struct nasoone *n = new_paused(1);

	(void)state;
	if (!n)
		skip();
	assert_int_equal(nasoone_stop(n, &stats), 0);
	assert_int_equal(nasoone_get_state(n), NASOONE_STOPPED);
	assert_true(stats.counted <= stats.received && stats.received <= BIG_PACKETS);
	assert_int_equal(nasoone_stop(n, NULL), NASOONE_ESTATE);
	assert_int_equal(nasoone_resume(n), NASOONE_ESTATE);
	nasoone_free(n);
}

/* nasoone_free() in every state stops what runs; ASan/valgrind see the rest. */
/*
 * A snapshot while some counters hold no row (4 counters, 2 rows): their
 * empty copies must be skipped, not copied from a NULL buffer (undefined
 * behaviour that UBSan stops on, found by `nasoone top` live with -j 2).
 */
static void test_snapshot_with_empty_counters(void **state)
{
	struct nasoone_snapshot *snap = NULL, *again = NULL;
	struct nasoone *n = new_with_file(tiny_path, NULL);
	uint64_t packets = 0, bytes = 0;

	(void)state;
	assert_int_equal(nasoone_snapshot(n, &snap), NASOONE_ESTATE); /* INITIAL */
	assert_null(snap);
	assert_int_equal(nasoone_set_threads(n, 4), 0);
	/* Planned for 5 CPUs: 4 counters run on the file, even on 2 CPUs. */
	assert_int_equal(setenv("NASOONE_CPUS", "5", 1), 0);
	assert_int_equal(nasoone_start(n), 0);
	unsetenv("NASOONE_CPUS");
	assert_int_equal(nasoone_get_threads(n), 4);
	assert_int_equal(nasoone_wait(n, -1), 0);
	assert_int_equal(nasoone_snapshot(n, &snap), 0);
	assert_non_null(snap);
	assert_int_equal(snap->count, TINY_ROWS);
	for (size_t i = 0; i < snap->count; i++) {
		packets += snap->flows[i].packets;
		bytes += snap->flows[i].bytes;
	}
	assert_int_equal(packets, TINY_COUNTED);
	assert_int_equal(bytes, 138 + 46);
	assert_int_equal(snap->stats.counted, TINY_COUNTED);
	assert_int_equal(nasoone_snapshot(n, &again), 0);
	assert_int_equal(again->generation, snap->generation + 1);
	nasoone_snapshot_free(again);
	nasoone_snapshot_free(snap);
	assert_int_equal(nasoone_stop(n, NULL), 0);
	assert_int_equal(nasoone_snapshot(n, &snap), NASOONE_ESTATE); /* STOPPED */
	nasoone_free(n);
}

static void test_free_in_every_state(void **state)
{
	struct nasoone *n;
	char out[256];

	(void)state;
	nasoone_free(nasoone_new()); /* INITIAL, nothing set */

	n = new_with_file(tiny_path, "-"); /* INITIAL, configured */
	assert_int_equal(nasoone_set_filter(n, "udp"), 0);
	nasoone_free(n);

	n = new_with_file(big_path, NULL); /* RUNNING (or FINISHED) */
	assert_int_equal(nasoone_start(n), 0);
	nasoone_free(n);

	n = new_paused(2); /* PAUSED */
	nasoone_free(n);

	report_path(out, sizeof(out), "free-finished.txt");
	n = new_with_file(tiny_path, out); /* FINISHED: free writes the final report */
	assert_int_equal(nasoone_start(n), 0);
	assert_int_equal(nasoone_wait(n, -1), 0);
	nasoone_free(n);
	assert_int_equal(access(out, F_OK), 0);

	n = new_with_file(tiny_path, NULL); /* STOPPED */
	assert_int_equal(nasoone_start(n), 0);
	assert_int_equal(nasoone_stop(n, NULL), 0);
	nasoone_free(n);
}

/* ---- Filter builder --------------------------------------------------------------- */

/* expr must compile: the library takes what the builder makes. */
static void expect_compiles(const char *expr)
{
	struct nasoone *n = nasoone_new();

	assert_non_null(n);
	assert_int_equal(nasoone_set_filter(n, expr), 0);
	nasoone_free(n);
}

static void test_filter_empty(void **state)
{
	struct nasoone_filter *f = nasoone_filter_new();

	(void)state;
	assert_non_null(f);
	assert_string_equal(nasoone_filter_expression(f), "");
	assert_int_equal(nasoone_filter_set_proto(f, NASOONE_FILTER_ANY), 0);
	assert_string_equal(nasoone_filter_expression(f), "");
	nasoone_filter_free(f);
	nasoone_filter_free(NULL);
}

static void test_filter_all_kinds(void **state)
{
	static const char expected[] =
		"(host 10.0.0.3 or host 2001:db8::1) and (src host 10.0.0.2) and "
		"(dst host 192.168.0.1 or dst host 10.0.0.3) and tcp and (port 80 or port 443) and "
		"(src port 1024) and (dst port 443)";
	struct nasoone_filter *f = nasoone_filter_new();

	(void)state;
	assert_non_null(f);
	/*
	 * Added out of order: the expression has a fixed order of kinds. (A
	 * matching packet exists, 10.0.0.2:1024 -> 10.0.0.3:443, or libpcap
	 * would refuse the expression as rejecting all packets.)
	 */
	assert_int_equal(nasoone_filter_add_dst_port(f, 443), 0);
	assert_int_equal(nasoone_filter_add_port(f, 80), 0);
	assert_int_equal(nasoone_filter_set_proto(f, NASOONE_FILTER_TCP), 0);
	assert_int_equal(nasoone_filter_add_host(f, "10.0.0.3"), 0);
	assert_int_equal(nasoone_filter_add_src_host(f, "10.0.0.2"), 0);
	assert_int_equal(nasoone_filter_add_dst_host(f, "192.168.0.1"), 0);
	assert_int_equal(nasoone_filter_add_host(f, "2001:db8::1"), 0);
	assert_int_equal(nasoone_filter_add_port(f, 443), 0);
	assert_int_equal(nasoone_filter_add_src_port(f, 1024), 0);
	assert_int_equal(nasoone_filter_add_dst_host(f, "10.0.0.3"), 0);
	assert_string_equal(nasoone_filter_expression(f), expected);
	expect_compiles(nasoone_filter_expression(f));
	nasoone_filter_free(f);
}

static void test_filter_single_terms(void **state)
{
	struct nasoone_filter *f = nasoone_filter_new();

	(void)state;
	assert_non_null(f);
	assert_int_equal(nasoone_filter_set_proto(f, NASOONE_FILTER_UDP), 0);
	assert_string_equal(nasoone_filter_expression(f), "udp");
	expect_compiles("udp");
	assert_int_equal(nasoone_filter_add_src_port(f, 0), 0);
	assert_int_equal(nasoone_filter_add_dst_port(f, 65535), 0);
	assert_string_equal(nasoone_filter_expression(f),
			    "udp and (src port 0) and (dst port 65535)");
	expect_compiles(nasoone_filter_expression(f));
	/* The protocol is replaced, not or-ed; ANY removes it. */
	assert_int_equal(nasoone_filter_set_proto(f, NASOONE_FILTER_TCP), 0);
	assert_string_equal(nasoone_filter_expression(f),
			    "tcp and (src port 0) and (dst port 65535)");
	assert_int_equal(nasoone_filter_set_proto(f, NASOONE_FILTER_ANY), 0);
	assert_string_equal(nasoone_filter_expression(f), "(src port 0) and (dst port 65535)");
	nasoone_filter_free(f);
}

/* Addresses come out canonical, so only inet_pton()'s addresses reach the expression. */
static void test_filter_addresses(void **state)
{
	static const char *const bad[] = {
		"",
		"10.0.0",
		"10.0.0.256",
		"10.0.0.1 or 1",
		"host 10.0.0.1",
		"2001:db8::1::2",
		"fe80::1%eth0",
		"localhost",
		"10.0.0.1/24",
		" 10.0.0.1",
	};
	struct nasoone_filter *f = nasoone_filter_new();

	(void)state;
	assert_non_null(f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(nasoone_filter_add_host(f, bad[i]), NASOONE_EINVAL);
		assert_int_equal(nasoone_filter_add_src_host(f, bad[i]), NASOONE_EINVAL);
		assert_int_equal(nasoone_filter_add_dst_host(f, bad[i]), NASOONE_EINVAL);
	}
	assert_int_equal(nasoone_filter_add_host(f, NULL), NASOONE_EINVAL);
	assert_string_equal(nasoone_filter_expression(f), ""); /* refused terms add nothing */
	assert_int_equal(nasoone_filter_add_host(f, "2001:0DB8:0000::0001"), 0);
	assert_int_equal(nasoone_filter_add_host(f, "::ffff:10.0.0.1"), 0);
	assert_string_equal(nasoone_filter_expression(f),
			    "(host 2001:db8::1 or host ::ffff:10.0.0.1)");
	expect_compiles(nasoone_filter_expression(f));
	nasoone_filter_free(f);
}

static void test_filter_errors(void **state)
{
	struct nasoone_filter *f = nasoone_filter_new();

	(void)state;
	assert_non_null(f);
	assert_int_equal(nasoone_filter_add_host(NULL, "10.0.0.1"), NASOONE_EINVAL);
	assert_int_equal(nasoone_filter_add_src_host(NULL, "10.0.0.1"), NASOONE_EINVAL);
	assert_int_equal(nasoone_filter_add_dst_host(NULL, "10.0.0.1"), NASOONE_EINVAL);
	assert_int_equal(nasoone_filter_set_proto(NULL, NASOONE_FILTER_TCP), NASOONE_EINVAL);
	assert_int_equal(nasoone_filter_add_port(NULL, 80), NASOONE_EINVAL);
	assert_int_equal(nasoone_filter_add_src_port(NULL, 80), NASOONE_EINVAL);
	assert_int_equal(nasoone_filter_add_dst_port(NULL, 80), NASOONE_EINVAL);
	assert_null(nasoone_filter_expression(NULL));
	assert_int_equal(nasoone_filter_set_proto(f, (enum nasoone_filter_proto)42),
			 NASOONE_EINVAL);
	assert_string_equal(nasoone_filter_expression(f), "");
	nasoone_filter_free(f);
}

/* The expression stays valid until the builder changes, and then follows it. */
static void test_filter_many_terms(void **state)
{
	struct nasoone_filter *f = nasoone_filter_new();
	const char *expr;
	char term[32];

	(void)state;
	assert_non_null(f);
	for (unsigned int port = 1; port <= 2000; port++) {
		assert_int_equal(nasoone_filter_add_port(f, (uint16_t)port), 0);
		if (port % 500 == 0)
			assert_non_null(nasoone_filter_expression(f));
	}
	expr = nasoone_filter_expression(f);
	assert_non_null(expr);
	assert_true(strncmp(expr, "(port 1 or port 2 or ", 21) == 0);
	snprintf(term, sizeof(term), "or port 2000)");
	assert_string_equal(expr + strlen(expr) - strlen(term), term);
	assert_ptr_equal(nasoone_filter_expression(f), expr); /* unchanged: the same string */
	nasoone_filter_free(f);

	/* libpcap's optimizer is slow on long or-chains: compile a shorter one. */
	f = nasoone_filter_new();
	assert_non_null(f);
	for (unsigned int port = 1; port <= 50; port++)
		assert_int_equal(nasoone_filter_add_dst_port(f, (uint16_t)port), 0);
	expect_compiles(nasoone_filter_expression(f));
	nasoone_filter_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_handle),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_initial),
		cmocka_unit_test(test_start_without_input),
		cmocka_unit_test(test_config_values),
		cmocka_unit_test(test_filter_checked_at_once),
		cmocka_unit_test(test_output_rules),
		cmocka_unit_test(test_missing_capture_file),
		cmocka_unit_test(test_not_a_capture),
		cmocka_unit_test(test_finished_then_stopped),
		cmocka_unit_test(test_stop_right_after_start),
		cmocka_unit_test(test_filter_on_file),
		cmocka_unit_test(test_paused_then_running),
		cmocka_unit_test(test_file_shrinks_while_read),
		cmocka_unit_test(test_progress_while_paused),
		cmocka_unit_test(test_stop_while_paused),
		cmocka_unit_test(test_free_in_every_state),
		cmocka_unit_test(test_snapshot_with_empty_counters),
		cmocka_unit_test(test_filter_empty),
		cmocka_unit_test(test_stop_on_damaged_file),
		cmocka_unit_test(test_packet_limit),
		cmocka_unit_test(test_forced_mode_refusals),
		cmocka_unit_test(test_filter_all_kinds),
		cmocka_unit_test(test_filter_single_terms),
		cmocka_unit_test(test_filter_addresses),
		cmocka_unit_test(test_filter_errors),
		cmocka_unit_test(test_filter_many_terms),
	};

	return cmocka_run_group_tests_name("api_state", tests, group_setup, group_teardown);
}
