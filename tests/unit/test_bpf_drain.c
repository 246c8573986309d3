/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * eBPF drains that fail (user/count/drain.c): a capture replayed through
 * the XDP program (--mode xdp) while the kernel refuses every batch read of
 * a flow map for the first FAIL_MS. The refusal is real: a seccomp filter
 * sends each bpf(BPF_MAP_LOOKUP_AND_DELETE_BATCH) to a supervisor thread
 * of this test, which fails it with EAGAIN during that time and lets it
 * run afterwards. Every row must still be in the report, and an error, if
 * one is reported, names the capture, not the output. Needs root; in a
 * binary of its own, since a seccomp filter stays for the process's life.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "nasoone.h"

#define FLOWS	 100
#define PACKETS	 2000
#define FAIL_MS	 40 /* the last drain's first try may fall in it, not its retries */
#define DRAIN_MS 10

static char dir[] = "/tmp/nasoone-bpf-drain.XXXXXX";

static void put16le(unsigned char *p, unsigned int v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32le(unsigned char *p, uint32_t v)
{
	put16le(p, v & 0xffff);
	put16le(p + 2, v >> 16);
}

/* PACKETS UDP frames over FLOWS source ports, 1 ms apart. */
static void write_capture(const char *path)
{
	unsigned char hdr[24] = { 0 }, rec[16], f[46];
	FILE *out = fopen(path, "wb");

	assert_non_null(out);
	put32le(hdr, 0xa1b2c3d4);
	put16le(hdr + 4, 2);
	put16le(hdr + 6, 4);
	put32le(hdr + 16, 65535);
	put32le(hdr + 20, 1);
	fwrite(hdr, 1, sizeof(hdr), out);
	for (unsigned int i = 0; i < PACKETS; i++) {
		memset(f, 0, sizeof(f));
		f[12] = 0x08;
		f[14] = 0x45;
		f[17] = 32;
		f[22] = 64;
		f[23] = 17;
		f[26] = 10;
		f[29] = 1;
		f[30] = 10;
		f[33] = 2;
		f[34] = (unsigned char)((2000 + i % FLOWS) >> 8);
		f[35] = (unsigned char)(2000 + i % FLOWS);
		f[37] = 53;
		f[39] = 12;
		put32le(rec, 1700000000 + i / 1000);
		put32le(rec + 4, i % 1000 * 1000);
		put32le(rec + 8, sizeof(f));
		put32le(rec + 12, sizeof(f));
		fwrite(rec, 1, sizeof(rec), out);
		fwrite(f, 1, sizeof(f), out);
	}
	assert_int_equal(fclose(out), 0);
}

struct supervisor {
	int fd;
	atomic_bool stop;
	struct timespec first; /* the first batch read seen */
	bool seen;
	unsigned int failed, allowed;
};

static long ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static void *supervise(void *arg)
{
	struct supervisor *s = arg;
	struct seccomp_notif_sizes sizes;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes))
		return NULL;
	req = calloc(1, sizes.seccomp_notif);
	resp = calloc(1, sizes.seccomp_notif_resp);
	while (req && resp && !atomic_load(&s->stop)) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		memset(req, 0, sizes.seccomp_notif);
		if (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_RECV, req))
			continue;
		memset(resp, 0, sizes.seccomp_notif_resp);
		resp->id = req->id;
		if (!s->seen) {
			clock_gettime(CLOCK_MONOTONIC, &s->first);
			s->seen = true;
		}
		if (ms_since(&s->first) < FAIL_MS) {
			resp->error = -EAGAIN;
			s->failed++;
		} else {
			resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
			s->allowed++;
		}
		ioctl(s->fd, SECCOMP_IOCTL_NOTIF_SEND, resp);
	}
	free(req);
	free(resp);
	return NULL;
}

/* bpf(BPF_MAP_LOOKUP_AND_DELETE_BATCH, ...) to the supervisor, in every thread. */
static int install_filter(void)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_bpf, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, BPF_MAP_LOOKUP_AND_DELETE_BATCH, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };

	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
			    &prog);
}

static unsigned int report_rows(const char *path, uint64_t *packets)
{
	FILE *f = fopen(path, "r");
	char line[512];
	unsigned int rows = 0;

	*packets = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		const char *last = strrchr(line, ';');

		if (strncmp(line, "10.", 3) || !last)
			continue;
		rows++;
		*packets += strtoull(last + 1, NULL, 10);
	}
	fclose(f);
	return rows;
}

/*
 * Bug: the first failed drain ended that CPU's drain thread, so its last
 * drain never happened and every row still in its map was lost, and the
 * error read NASOONE_EOUTPUT.
 */
static void test_failed_drains_lose_nothing(void **state)
{
	char capture[300], report[300];
	struct supervisor s = { .fd = -1 };
	struct nasoone_stats stats;
	struct nasoone *n;
	pthread_t thread;
	uint64_t packets;
	unsigned int rows;
	int err;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(capture, sizeof(capture), "%s/flows.pcap", dir);
	snprintf(report, sizeof(report), "%s/report.txt", dir);
	write_capture(capture);
	n = nasoone_new();
	assert_non_null(n);
	assert_int_equal(nasoone_set_capture_file(n, capture), 0);
	assert_int_equal(nasoone_set_output(n, report), 0);
	assert_int_equal(nasoone_set_mode(n, NASOONE_MODE_XDP), 0);
	assert_int_equal(nasoone_set_bpf_tuning(n, 0, 0, DRAIN_MS), 0);
	s.fd = install_filter();
	if (s.fd < 0) {
		print_message("no seccomp user notification here: %s\n", strerror(errno));
		nasoone_free(n);
		skip();
	}
	assert_int_equal(pthread_create(&thread, NULL, supervise, &s), 0);
	err = nasoone_start(n);
	if (err == NASOONE_EMODE || err == NASOONE_EPERM) {
		print_message("eBPF path not available here: %s\n", nasoone_last_error(n));
		atomic_store(&s.stop, true);
		pthread_join(thread, NULL);
		nasoone_free(n);
		skip();
	}
	assert_int_equal(err, 0);
	assert_int_equal(nasoone_wait(n, 30000), 0);
	err = nasoone_get_error(n);
	nasoone_stop(n, &stats);
	nasoone_free(n);
	atomic_store(&s.stop, true);
	pthread_join(thread, NULL);
	rows = report_rows(report, &packets);
	print_message("batch reads: %u refused, %u allowed; %u rows, %llu packets; error %d\n",
		      s.failed, s.allowed, rows, (unsigned long long)packets, err);
	assert_true(s.failed > 0);
	assert_int_equal(rows, FLOWS);
	assert_int_equal(packets, PACKETS);
	assert_true(err == 0 || err == NASOONE_ECAPTURE);
	unlink(capture);
	unlink(report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failed_drains_lose_nothing),
	};
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!mkdtemp(dir))
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return ret;
}
