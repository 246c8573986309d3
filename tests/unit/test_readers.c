/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests of the capture readers: user/capture/input.h (plain and gzip files,
 * detected by magic), user/capture/pcapfile.h (classic pcap: micro- and nanosecond,
 * both byte orders, record limits, truncation) and user/capture/pcapng.h (several
 * interfaces and link types, if_tsresol, if_tsoffset, EPB/SPB/PB, both
 * byte orders, damaged blocks). Every file is built byte by byte in a
 * temporary directory by the test itself; gzip files are made by zlib.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "capture/input.h"
#include "capture/pcapfile.h"
#include "capture/pcapng.h"

#define MAGIC_USEC 0xa1b2c3d4u
#define MAGIC_NSEC 0xa1b23c4du
#define SHB	   0x0a0d0d0au
#define BOM	   0x1a2b3c4du
#define TS_SEC	   1672060821u /* a capture time, 2022-12-26 */

/* ---- Byte buffers ------------------------------------------------------------ */

/* A growing byte buffer; multi-byte values in big or little endian. */
struct wbuf {
	uint8_t *b;
	size_t len, cap;
	bool be;
};

static void w_reserve(struct wbuf *w, size_t n)
{
	if (w->len + n <= w->cap)
		return;
	while (w->len + n > w->cap)
		w->cap = w->cap ? w->cap * 2 : 4096;
	w->b = realloc(w->b, w->cap);
	assert_non_null(w->b);
}

static void w_bytes(struct wbuf *w, const void *p, size_t n)
{
	w_reserve(w, n);
	memcpy(w->b + w->len, p, n);
	w->len += n;
}

static void w8(struct wbuf *w, unsigned int v)
{
	uint8_t b = (uint8_t)v;

	w_bytes(w, &b, 1);
}

static void w16(struct wbuf *w, unsigned int v)
{
	if (w->be) {
		w8(w, v >> 8);
		w8(w, v);
	} else {
		w8(w, v);
		w8(w, v >> 8);
	}
}

static void w32(struct wbuf *w, uint32_t v)
{
	if (w->be) {
		w16(w, v >> 16);
		w16(w, v & 0xffff);
	} else {
		w16(w, v & 0xffff);
		w16(w, v >> 16);
	}
}

static void w64(struct wbuf *w, uint64_t v)
{
	if (w->be) {
		w32(w, (uint32_t)(v >> 32));
		w32(w, (uint32_t)v);
	} else {
		w32(w, (uint32_t)v);
		w32(w, (uint32_t)(v >> 32));
	}
}

static void w_zero(struct wbuf *w, size_t n)
{
	w_reserve(w, n);
	memset(w->b + w->len, 0, n);
	w->len += n;
}

/* Overwrite a 32-bit value already written at off. */
static void w_set32(struct wbuf *w, size_t off, uint32_t v)
{
	size_t len = w->len;

	w->len = off;
	w32(w, v);
	w->len = len;
}

static void w_free(struct wbuf *w)
{
	free(w->b);
	memset(w, 0, sizeof(*w));
}

/* The payload of packet n: a pattern that shows shifts, cuts and mix-ups. */
static uint8_t pattern(uint32_t n, size_t i)
{
	return (uint8_t)(n * 31u + i * 7u + (i >> 8));
}

static void w_payload(struct wbuf *w, uint32_t n, size_t len)
{
	size_t i;

	w_reserve(w, len);
	for (i = 0; i < len; i++)
		w->b[w->len + i] = pattern(n, i);
	w->len += len;
}

static bool payload_ok(uint32_t n, const uint8_t *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (data[i] != pattern(n, i))
			return false;
	return true;
}

/* ---- Temporary files --------------------------------------------------------- */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/nasoone-readers-XXXXXX");
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
		if (rmdir(path))
			unlink(path);
	}
	closedir(d);
	return rmdir(tmpdir);
}

static const char *tpath(const char *name)
{
	static char path[4][512];
	static int next;
	char *p = path[next++ & 3];

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Compressed by zlib's gzwrite; with flush_every, a full flush after that many bytes. */
static void write_gz_flushed(const char *path, const void *data, size_t len, size_t flush_every)
{
	gzFile gz = gzopen(path, "wb6");
	const uint8_t *p = data;
	size_t done = 0, n;

	assert_non_null(gz);
	while (done < len) {
		n = len - done;
		if (flush_every && n > flush_every)
			n = flush_every;
		assert_int_equal(gzwrite(gz, p + done, (unsigned int)n), (int)n);
		done += n;
		if (flush_every)
			assert_int_equal(gzflush(gz, Z_FULL_FLUSH), Z_OK);
	}
	assert_int_equal(gzclose(gz), Z_OK);
}

static void write_gz(const char *path, const void *data, size_t len)
{
	write_gz_flushed(path, data, len, 0);
}

static uint8_t *read_whole(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* ---- Reading packets --------------------------------------------------------- */

struct got {
	uint64_t ts_ms;
	uint32_t caplen, len;
	int linktype;
	uint8_t head[8];     /* the first bytes of the data */
	bool pattern_of[64]; /* payload_ok(n, ...) for small n */
};

/* Everything a reader gave: packets, the final return value and message. */
struct result {
	struct got *pkts;
	size_t n;
	int ret; /* 0 at a clean end, else the error */
	char err[512];
};

static void record(struct result *res, const struct packet *p)
{
	struct got *g;
	uint32_t k;

	res->pkts = realloc(res->pkts, (res->n + 1) * sizeof(*res->pkts));
	assert_non_null(res->pkts);
	g = &res->pkts[res->n++];
	memset(g, 0, sizeof(*g));
	g->ts_ms = p->ts_ms;
	g->caplen = p->caplen;
	g->len = p->len;
	g->linktype = p->linktype;
	memcpy(g->head, p->data, p->caplen < 8 ? p->caplen : 8);
	for (k = 0; k < 64; k++)
		g->pattern_of[k] = payload_ok(k, p->data, p->caplen);
}

static void result_free(struct result *res)
{
	free(res->pkts);
	memset(res, 0, sizeof(*res));
}

/* input_open, a peek at the magic and a rewind, as the source does. */
static void open_input(struct input_file *in, const char *path)
{
	uint8_t magic[4];

	assert_int_equal(input_open(in, path), 0);
	assert_true(input_read(in, magic, 4) >= 0);
	assert_int_equal(input_rewind(in), 0);
}

/* A classic pcap through pcapfile_*: open must succeed. */
static void read_pcap(const char *path, struct result *res)
{
	struct pcapfile_reader *r;
	struct input_file in;
	struct packet p;
	int ret, oret = 0;

	memset(res, 0, sizeof(*res));
	open_input(&in, path);
	r = pcapfile_open(&in, &oret, res->err, sizeof(res->err));
	if (!r)
		fail_msg("pcapfile_open(%s): %d %s", path, oret, res->err);
	assert_int_equal(oret, 0);
	while ((ret = pcapfile_next(r, &p, res->err, sizeof(res->err))) == 1)
		record(res, &p);
	res->ret = ret;
	pcapfile_close(r);
	input_close(&in);
}

/* pcapfile_open must refuse the file: its return value and message. */
static int open_pcap_fails(const char *path, char *err, size_t errlen)
{
	struct pcapfile_reader *r;
	struct input_file in;
	int ret = 12345;

	err[0] = '\0';
	open_input(&in, path);
	r = pcapfile_open(&in, &ret, err, errlen);
	assert_null(r);
	assert_true(err[0] != '\0');
	input_close(&in);
	return ret;
}

/* A pcapng through input_stream and pcapng_*: open must succeed. */
static void read_pcapng(const char *path, struct result *res)
{
	struct pcapng_reader *r;
	struct input_file in;
	struct packet p;
	FILE *fp;
	int ret;

	memset(res, 0, sizeof(*res));
	open_input(&in, path);
	fp = input_stream(&in);
	assert_non_null(fp);
	r = pcapng_open(fp, res->err, sizeof(res->err));
	if (!r)
		fail_msg("pcapng_open(%s): %s", path, res->err);
	while ((ret = pcapng_next(r, &p, res->err, sizeof(res->err))) == 1)
		record(res, &p);
	res->ret = ret;
	pcapng_close(r);
	input_close(&in);
}

static void open_pcapng_fails(const char *path, char *err, size_t errlen)
{
	struct input_file in;
	FILE *fp;

	err[0] = '\0';
	open_input(&in, path);
	fp = input_stream(&in);
	assert_non_null(fp);
	assert_null(pcapng_open(fp, err, errlen));
	assert_true(err[0] != '\0');
	input_close(&in);
}

static void expect_contains(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("\"%s\" does not contain \"%s\"", text, part);
}

/* ---- input ------------------------------------------------------------------- */

static void test_input_missing_and_directory(void **state)
{
	struct input_file in;

	(void)state;
	assert_int_equal(input_open(&in, tpath("missing.pcap")), -ENOENT);
	assert_int_equal(input_open(&in, tmpdir), -EISDIR);
	assert_int_equal(input_open(&in, ""), -ENOENT);
}

static void test_input_empty_file(void **state)
{
	struct input_file in;
	uint8_t buf[16];

	(void)state;
	write_file(tpath("empty"), "", 0);
	assert_int_equal(input_open(&in, tpath("empty")), 0);
	assert_null(in.gz);
	assert_int_equal(in.size, 0);
	assert_int_equal(input_read(&in, buf, sizeof(buf)), 0);
	assert_int_equal(input_rewind(&in), 0);
	assert_int_equal(input_read(&in, buf, sizeof(buf)), 0);
	input_close(&in);
	assert_int_equal(in.fd, -1);
	/* Closing twice is harmless. */
	input_close(&in);
}

/* Reads everything through input_read in pieces of step bytes. */
static uint8_t *read_all_input(struct input_file *in, size_t step, size_t *len, ssize_t *last)
{
	size_t cap = 1 << 16, used = 0;
	uint8_t *buf = malloc(cap);
	ssize_t n;

	assert_non_null(buf);
	for (;;) {
		if (used + step > cap) {
			cap = (used + step) * 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = input_read(in, buf + used, step);
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	*len = used;
	*last = n;
	return buf;
}

static void test_input_plain(void **state)
{
	struct wbuf w = { 0 };
	struct input_file in;
	uint8_t *got;
	size_t len;
	ssize_t last;

	(void)state;
	w_payload(&w, 3, 300000);
	write_file(tpath("plain.bin"), w.b, w.len);
	assert_int_equal(input_open(&in, tpath("plain.bin")), 0);
	assert_null(in.gz);
	assert_int_equal(in.size, w.len);
	assert_int_equal(input_position(&in), 0);
	got = read_all_input(&in, 1000, &len, &last);
	assert_int_equal(last, 0);
	assert_int_equal(len, w.len);
	assert_memory_equal(got, w.b, len);
	assert_int_equal(input_position(&in), w.len);
	free(got);
	/* Rewind: the same bytes again. */
	assert_int_equal(input_rewind(&in), 0);
	assert_int_equal(input_position(&in), 0);
	got = read_all_input(&in, 65536, &len, &last);
	assert_int_equal(len, w.len);
	assert_memory_equal(got, w.b, len);
	free(got);
	input_close(&in);
	w_free(&w);
}

static void test_input_gzip(void **state)
{
	struct wbuf w = { 0 };
	struct input_file in;
	struct stat st;
	uint8_t *got;
	size_t len;
	ssize_t last;

	(void)state;
	w_payload(&w, 5, 3000000);
	write_gz(tpath("data.gz"), w.b, w.len);
	assert_int_equal(stat(tpath("data.gz"), &st), 0);
	assert_int_equal(input_open(&in, tpath("data.gz")), 0);
	assert_non_null(in.gz);
	assert_int_equal(in.size, (uint64_t)st.st_size);
	got = read_all_input(&in, 100000, &len, &last);
	assert_int_equal(last, 0);
	assert_int_equal(len, w.len);
	assert_memory_equal(got, w.b, len);
	/* Position counts compressed bytes: at the end, the whole file. */
	assert_true(input_position(&in) > 0);
	assert_true(input_position(&in) <= in.size);
	free(got);
	assert_int_equal(input_rewind(&in), 0);
	got = read_all_input(&in, 7, &len, &last);
	assert_int_equal(len, w.len);
	assert_memory_equal(got, w.b, len);
	free(got);
	input_close(&in);
	w_free(&w);
}

/* Compression is told by the magic bytes, never by the name. */
static void test_input_detected_by_magic(void **state)
{
	static const uint8_t fake[] = { 0x1f, 0x8c, 1, 2, 3 };
	static const uint8_t one[] = { 0x1f };
	struct input_file in;
	uint8_t buf[64];

	(void)state;
	write_gz(tpath("capture.pcap"), "hello, gzip", 11);
	assert_int_equal(input_open(&in, tpath("capture.pcap")), 0);
	assert_non_null(in.gz);
	assert_int_equal(input_read(&in, buf, sizeof(buf)), 11);
	assert_memory_equal(buf, "hello, gzip", 11);
	input_close(&in);

	write_file(tpath("plain.gz"), "plain text", 10);
	assert_int_equal(input_open(&in, tpath("plain.gz")), 0);
	assert_null(in.gz);
	assert_int_equal(input_read(&in, buf, sizeof(buf)), 10);
	input_close(&in);

	write_file(tpath("almost"), fake, sizeof(fake));
	assert_int_equal(input_open(&in, tpath("almost")), 0);
	assert_null(in.gz);
	assert_int_equal(input_read(&in, buf, sizeof(buf)), (ssize_t)sizeof(fake));
	input_close(&in);

	write_file(tpath("one"), one, 1);
	assert_int_equal(input_open(&in, tpath("one")), 0);
	assert_null(in.gz);
	assert_int_equal(input_read(&in, buf, sizeof(buf)), 1);
	input_close(&in);
}

/* Two gzip members one after the other (as `cat a.gz b.gz`) read as one stream. */
static void test_input_gzip_two_members(void **state)
{
	struct input_file in;
	uint8_t *a, *b, *both, buf[64];
	size_t alen, blen;

	(void)state;
	write_gz(tpath("a.gz"), "first member, ", 14);
	write_gz(tpath("b.gz"), "second member", 13);
	a = read_whole(tpath("a.gz"), &alen);
	b = read_whole(tpath("b.gz"), &blen);
	both = malloc(alen + blen);
	assert_non_null(both);
	memcpy(both, a, alen);
	memcpy(both + alen, b, blen);
	write_file(tpath("ab.gz"), both, alen + blen);
	assert_int_equal(input_open(&in, tpath("ab.gz")), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(input_read(&in, buf, 14), 14);
	assert_int_equal(input_read(&in, buf + 14, sizeof(buf) - 14), 13);
	assert_string_equal((char *)buf, "first member, second member");
	assert_int_equal(input_read(&in, buf, sizeof(buf)), 0);
	input_close(&in);
	free(both);
	free(b);
	free(a);
}

/* Read to the end: the bytes, and the value that ended the reading. */
static ssize_t drain(const char *path, size_t *total)
{
	struct input_file in;
	uint8_t *got;
	ssize_t last;

	assert_int_equal(input_open(&in, path), 0);
	assert_non_null(in.gz);
	got = read_all_input(&in, 4096, total, &last);
	free(got);
	input_close(&in);
	return last;
}

/* A damaged compressed stream (bad deflate data, bad CRC) reads as -EIO. */
static void test_input_gzip_corrupt(void **state)
{
	struct wbuf w = { 0 };
	uint8_t *gz;
	size_t len, total_crc, total_data;
	ssize_t last_crc, last_data;

	(void)state;
	w_payload(&w, 9, 200000);
	write_gz(tpath("good.gz"), w.b, w.len);
	gz = read_whole(tpath("good.gz"), &len);
	/* The CRC-32 in the trailer. */
	gz[len - 8] ^= 0xff;
	write_file(tpath("badcrc.gz"), gz, len);
	gz[len - 8] ^= 0xff;
	/* Garbage in the middle of the deflate data. */
	memset(gz + len / 2, 0xff, 64);
	write_file(tpath("baddata.gz"), gz, len);
	free(gz);
	w_free(&w);
	last_crc = drain(tpath("badcrc.gz"), &total_crc);
	last_data = drain(tpath("baddata.gz"), &total_data);
	assert_int_equal(last_crc, -EIO);
	assert_true(total_data < 200000);
	assert_int_equal(last_data, -EIO);
}

/*
 * A gzip file cut short (a download or copy that stopped) is damaged
 * compressed data: the header of input.h promises -EIO for it, so that a
 * reader can tell a truncated file from a complete one.
 */
static void test_input_gzip_truncated(void **state)
{
	struct wbuf w = { 0 };
	uint8_t *gz;
	size_t len, total;

	(void)state;
	w_payload(&w, 11, 200000);
	write_gz(tpath("good.gz"), w.b, w.len);
	gz = read_whole(tpath("good.gz"), &len);
	/* Without the 8-byte trailer only, then cut in the middle. */
	write_file(tpath("notrailer.gz"), gz, len - 8);
	write_file(tpath("half.gz"), gz, len / 2);
	free(gz);
	w_free(&w);
	assert_int_equal(drain(tpath("half.gz"), &total), -EIO);
	assert_int_equal(drain(tpath("notrailer.gz"), &total), -EIO);
}

static void test_input_stream(void **state)
{
	struct wbuf w = { 0 };
	struct input_file in;
	uint8_t *buf;
	FILE *fp;
	size_t n;
	int pass;

	(void)state;
	w_payload(&w, 13, 500000);
	write_file(tpath("plain"), w.b, w.len);
	write_gz(tpath("gz"), w.b, w.len);
	buf = malloc(w.len + 16);
	assert_non_null(buf);
	for (pass = 0; pass < 2; pass++) {
		assert_int_equal(input_open(&in, tpath(pass ? "gz" : "plain")), 0);
		fp = input_stream(&in);
		assert_non_null(fp);
		/* The same stream every time. */
		assert_ptr_equal(input_stream(&in), fp);
		n = fread(buf, 1, w.len + 16, fp);
		assert_int_equal(n, w.len);
		assert_memory_equal(buf, w.b, n);
		assert_true(feof(fp));
		assert_false(ferror(fp));
		input_close(&in);
	}
	free(buf);
	w_free(&w);
}

/* Write data into a new pipe from a child process; the path of its read end. */
static pid_t pipe_from_child(const void *data, size_t len, char *path, size_t pathlen, int *rd)
{
	int fds[2];
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const uint8_t *p = data;

		close(fds[0]);
		while (len) {
			ssize_t n = write(fds[1], p, len);

			if (n <= 0)
				_exit(1);
			p += n;
			len -= (size_t)n;
		}
		_exit(0);
	}
	close(fds[1]);
	*rd = fds[0];
	snprintf(path, pathlen, "/proc/self/fd/%d", fds[0]);
	return pid;
}

/*
 * A pipe cannot seek: the magic is sniffed into a buffer, a peek at the
 * first bytes can be undone, gzip is detected and decompressed; rewinding
 * after more than the peek is -ESPIPE, not a wrong read.
 */
static void test_input_pipe(void **state)
{
	struct wbuf w = { 0 };
	struct input_file in;
	uint8_t peek[4], *data, *got;
	char path[64];
	size_t len, glen;
	ssize_t last;
	pid_t pid;
	int pass, rd, status;

	(void)state;
	w_payload(&w, 17, 400000);
	write_gz(tpath("pipe.gz"), w.b, w.len);
	data = read_whole(tpath("pipe.gz"), &glen);
	for (pass = 0; pass < 2; pass++) {
		pid = pipe_from_child(pass ? data : w.b, pass ? glen : w.len, path, sizeof(path),
				      &rd);
		assert_int_equal(input_open(&in, path), 0);
		close(rd);
		assert_false(in.seekable);
		assert_true(pass ? in.gz != NULL : in.gz == NULL);
		assert_int_equal(input_read(&in, peek, sizeof(peek)), 4);
		assert_memory_equal(peek, w.b, 4);
		assert_int_equal(input_rewind(&in), 0);
		got = read_all_input(&in, 4096, &len, &last);
		assert_int_equal(last, 0);
		assert_int_equal(len, w.len);
		assert_memory_equal(got, w.b, len);
		free(got);
		assert_int_equal(input_rewind(&in), -ESPIPE);
		input_close(&in);
		assert_int_equal(waitpid(pid, &status, 0), pid);
	}
	free(data);
	w_free(&w);
}

/* ---- Classic pcap -------------------------------------------------------------- */

static void pcap_header(struct wbuf *w, uint32_t magic, unsigned int major, unsigned int minor,
			uint32_t linktype)
{
	w32(w, magic);
	w16(w, major);
	w16(w, minor);
	w32(w, 0); /* thiszone */
	w32(w, 0); /* sigfigs */
	w32(w, 262144);
	w32(w, linktype);
}

static void pcap_record(struct wbuf *w, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len,
			uint32_t n)
{
	w32(w, sec);
	w32(w, frac);
	w32(w, caplen);
	w32(w, len);
	w_payload(w, n, caplen);
}

/* Three records: sub-second parts that show truncation, and caplen below len. */
static void pcap_three(struct wbuf *w, bool be, bool nsec)
{
	uint32_t unit = nsec ? 1000 : 1;

	w->be = be;
	pcap_header(w, nsec ? MAGIC_NSEC : MAGIC_USEC, 2, 4, 1);
	pcap_record(w, TS_SEC, 764999 * unit, 60, 60, 0);
	pcap_record(w, TS_SEC + 1, 999999 * unit + (nsec ? 999 : 0), 64, 1514, 1);
	pcap_record(w, TS_SEC + 2, 0, 1, 40, 2);
}

static void check_three(const struct result *res)
{
	assert_int_equal(res->ret, 0);
	assert_int_equal(res->n, 3);
	assert_int_equal(res->pkts[0].ts_ms, TS_SEC * 1000ull + 764);
	assert_int_equal(res->pkts[0].caplen, 60);
	assert_int_equal(res->pkts[0].len, 60);
	assert_int_equal(res->pkts[0].linktype, 1);
	assert_true(res->pkts[0].pattern_of[0]);
	assert_int_equal(res->pkts[1].ts_ms, (TS_SEC + 1) * 1000ull + 999);
	assert_int_equal(res->pkts[1].caplen, 64);
	assert_int_equal(res->pkts[1].len, 1514);
	assert_true(res->pkts[1].pattern_of[1]);
	assert_int_equal(res->pkts[2].ts_ms, (TS_SEC + 2) * 1000ull);
	assert_int_equal(res->pkts[2].caplen, 1);
	assert_int_equal(res->pkts[2].len, 40);
	assert_true(res->pkts[2].pattern_of[2]);
}

static void test_pcap_magic(void **state)
{
	static const uint8_t usec_le[4] = { 0xd4, 0xc3, 0xb2, 0xa1 };
	static const uint8_t usec_be[4] = { 0xa1, 0xb2, 0xc3, 0xd4 };
	static const uint8_t nsec_le[4] = { 0x4d, 0x3c, 0xb2, 0xa1 };
	static const uint8_t nsec_be[4] = { 0xa1, 0xb2, 0x3c, 0x4d };
	static const uint8_t shb[4] = { 0x0a, 0x0d, 0x0d, 0x0a };
	static const uint8_t gz[4] = { 0x1f, 0x8b, 0x08, 0x00 };
	static const uint8_t zero[4] = { 0 };
	static const uint8_t modified[4] = { 0x34, 0xcd, 0xb2, 0xa1 }; /* Kuznetzov */

	(void)state;
	assert_true(pcapfile_magic(usec_le));
	assert_true(pcapfile_magic(usec_be));
	assert_true(pcapfile_magic(nsec_le));
	assert_true(pcapfile_magic(nsec_be));
	assert_false(pcapfile_magic(shb));
	assert_false(pcapfile_magic(gz));
	assert_false(pcapfile_magic(zero));
	assert_false(pcapfile_magic(modified));
}

static void test_pcap_usec_both_orders(void **state)
{
	struct wbuf w = { 0 };
	struct result res;
	int be;

	(void)state;
	for (be = 0; be < 2; be++) {
		pcap_three(&w, be, false);
		write_file(tpath("usec.pcap"), w.b, w.len);
		read_pcap(tpath("usec.pcap"), &res);
		check_three(&res);
		result_free(&res);
		w_free(&w);
	}
}

static void test_pcap_nsec_both_orders(void **state)
{
	struct wbuf w = { 0 };
	struct result res;
	int be;

	(void)state;
	for (be = 0; be < 2; be++) {
		pcap_three(&w, be, true);
		write_file(tpath("nsec.pcap"), w.b, w.len);
		read_pcap(tpath("nsec.pcap"), &res);
		check_three(&res);
		result_free(&res);
		w_free(&w);
	}
}

/* ms = sec * 1000 + frac / 1000 (µs) or / 1000000 (ns), truncated; sub-ms parts dropped. */
static void test_pcap_timestamp_truncation(void **state)
{
	static const struct {
		uint32_t magic, sec, frac;
		uint64_t ms;
	} cases[] = {
		{ MAGIC_USEC, 0, 0, 0 },
		{ MAGIC_USEC, 0, 999, 0 },
		{ MAGIC_USEC, 0, 1000, 1 },
		{ MAGIC_USEC, 1, 1999, 1001 },
		{ MAGIC_USEC, 0xffffffffu, 999999, 0xffffffffull * 1000 + 999 },
		{ MAGIC_NSEC, 0, 999999, 0 },
		{ MAGIC_NSEC, 0, 1000000, 1 },
		{ MAGIC_NSEC, 5, 999999999, 5999 },
		{ MAGIC_NSEC, 0xffffffffu, 999999999, 0xffffffffull * 1000 + 999 },
		/* Out of range sub-second parts: plain arithmetic (README). */
		{ MAGIC_USEC, 1, 1500000, 2500 },
		{ MAGIC_NSEC, 1, 4294967295u, 1000 + 4294 },
	};
	struct result res;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wbuf w = { 0 };

		pcap_header(&w, cases[i].magic, 2, 4, 101);
		pcap_record(&w, cases[i].sec, cases[i].frac, 20, 20, 0);
		write_file(tpath("ts.pcap"), w.b, w.len);
		read_pcap(tpath("ts.pcap"), &res);
		assert_int_equal(res.n, 1);
		if (res.pkts[0].ts_ms != cases[i].ms)
			fail_msg("case %zu: %llu ms, expected %llu", i,
				 (unsigned long long)res.pkts[0].ts_ms,
				 (unsigned long long)cases[i].ms);
		assert_int_equal(res.pkts[0].linktype, 101);
		result_free(&res);
		w_free(&w);
	}
}

static void test_pcap_empty_file(void **state)
{
	char err[256];

	(void)state;
	write_file(tpath("empty.pcap"), "", 0);
	assert_int_equal(open_pcap_fails(tpath("empty.pcap"), err, sizeof(err)), -EBADMSG);
}

static void test_pcap_short_header(void **state)
{
	struct wbuf w = { 0 };
	char err[256];

	(void)state;
	pcap_header(&w, MAGIC_USEC, 2, 4, 1);
	write_file(tpath("short.pcap"), w.b, 23);
	assert_int_equal(open_pcap_fails(tpath("short.pcap"), err, sizeof(err)), -EBADMSG);
	w_free(&w);
}

static void test_pcap_header_only(void **state)
{
	struct wbuf w = { 0 };
	struct result res;
	int be;

	(void)state;
	for (be = 0; be < 2; be++) {
		w.be = be;
		pcap_header(&w, MAGIC_NSEC, 2, 4, 113);
		write_file(tpath("hdr.pcap"), w.b, w.len);
		read_pcap(tpath("hdr.pcap"), &res);
		assert_int_equal(res.ret, 0);
		assert_int_equal(res.n, 0);
		result_free(&res);
		w_free(&w);
	}
}

static void test_pcap_linktype(void **state)
{
	struct wbuf w = { 0 };
	struct pcapfile_reader *r;
	struct input_file in;
	char err[256];
	int ret;

	(void)state;
	/* The upper 6 bits carry FCS information, not the link type. */
	pcap_header(&w, MAGIC_USEC, 2, 4, 0x14000000u | 276);
	write_file(tpath("lt.pcap"), w.b, w.len);
	open_input(&in, tpath("lt.pcap"));
	r = pcapfile_open(&in, &ret, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(pcapfile_linktype(r), 276);
	pcapfile_close(r);
	input_close(&in);
	w_free(&w);
}

static void test_pcap_versions(void **state)
{
	static const struct {
		unsigned int major, minor;
		bool ok;
	} cases[] = {
		{ 2, 4, true },	 { 2, 2, true },  { 2, 0, true },  { 2, 5, false },
		{ 1, 0, false }, { 3, 0, false }, { 0, 4, false }, { 0xffff, 0xffff, false },
	};
	struct result res;
	char err[256];
	size_t i;
	int be;

	(void)state;
	for (be = 0; be < 2; be++) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct wbuf w = { .be = be };

			pcap_header(&w, MAGIC_USEC, cases[i].major, cases[i].minor, 1);
			pcap_record(&w, TS_SEC, 0, 10, 10, 0);
			write_file(tpath("v.pcap"), w.b, w.len);
			if (cases[i].ok) {
				read_pcap(tpath("v.pcap"), &res);
				assert_int_equal(res.n, 1);
				result_free(&res);
			} else {
				assert_int_equal(open_pcap_fails(tpath("v.pcap"), err, sizeof(err)),
						 -EBADMSG);
				expect_contains(err, "version");
			}
			w_free(&w);
		}
	}
}

/* A captured length above 262144 is an error naming the packet and its offset; 262144 is fine. */
static void test_pcap_caplen_limit(void **state)
{
	struct wbuf w = { 0 };
	struct result res;

	(void)state;
	pcap_header(&w, MAGIC_USEC, 2, 4, 1);
	pcap_record(&w, TS_SEC, 0, 262144, 262144, 0);
	pcap_record(&w, TS_SEC, 1000, 100, 100, 1);
	/* Record 3 at offset 24 + 16 + 262144 + 16 + 100. */
	w32(&w, TS_SEC);
	w32(&w, 0);
	w32(&w, 262145);
	w32(&w, 262145);
	w_payload(&w, 2, 262145);
	write_file(tpath("big.pcap"), w.b, w.len);
	read_pcap(tpath("big.pcap"), &res);
	assert_int_equal(res.n, 2);
	assert_int_equal(res.pkts[0].caplen, 262144);
	assert_true(res.pkts[0].pattern_of[0]);
	assert_true(res.pkts[1].pattern_of[1]);
	assert_int_equal(res.ret, -EBADMSG);
	expect_contains(res.err, "packet 3");
	expect_contains(res.err, "offset 262300");
	result_free(&res);
	w_free(&w);
}

/* A file cut inside a record header or inside its data: an error naming packet and offset. */
static void test_pcap_truncated_record(void **state)
{
	struct wbuf w = { 0 };
	struct result res;
	size_t full, cut;
	char name[64];

	(void)state;
	pcap_header(&w, MAGIC_USEC, 2, 4, 1);
	pcap_record(&w, TS_SEC, 0, 100, 100, 0);
	pcap_record(&w, TS_SEC, 0, 100, 100, 1);
	full = w.len;
	pcap_record(&w, TS_SEC, 0, 100, 100, 2); /* packet 3 at offset 256 */
	/* Every cut inside the third record. */
	for (cut = full + 1; cut < w.len; cut++) {
		snprintf(name, sizeof(name), "cut.pcap");
		write_file(tpath(name), w.b, cut);
		read_pcap(tpath(name), &res);
		assert_int_equal(res.n, 2);
		assert_true(res.pkts[1].pattern_of[1]);
		if (res.ret != -EBADMSG)
			fail_msg("cut at %zu: %d, expected -EBADMSG", cut, res.ret);
		expect_contains(res.err, "packet 3");
		expect_contains(res.err, "offset 256");
		result_free(&res);
	}
	/* Cut exactly after a record: a clean end. */
	write_file(tpath("cut.pcap"), w.b, full);
	read_pcap(tpath("cut.pcap"), &res);
	assert_int_equal(res.n, 2);
	assert_int_equal(res.ret, 0);
	result_free(&res);
	w_free(&w);
}

/*
 * Megabytes of records of every size, so that records straddle the
 * reader's internal buffer boundaries; all come out intact. Big-endian
 * nanosecond file, plain and gzip-compressed.
 */
static void test_pcap_many_records(void **state)
{
	struct wbuf w = { .be = true };
	struct pcapfile_reader *r;
	struct input_file in;
	struct packet p;
	char err[256];
	uint32_t n, count = 0, caplen;
	int ret, pass;

	(void)state;
	pcap_header(&w, MAGIC_NSEC, 2, 4, 1);
	for (n = 0; n < 3000; n++) {
		caplen = n % 97 == 0 ? 65535 + n : (n * 37) % 1600;
		pcap_record(&w, TS_SEC + n, n * 1000000u, caplen, caplen + n, n);
	}
	/* Two maximum-size records in a row. */
	pcap_record(&w, TS_SEC, 0, 262144, 262144, n++);
	pcap_record(&w, TS_SEC, 0, 262144, 300000, n++);
	write_file(tpath("many.pcap"), w.b, w.len);
	write_gz(tpath("many.pcap.gz"), w.b, w.len);
	for (pass = 0; pass < 2; pass++) {
		open_input(&in, tpath(pass ? "many.pcap.gz" : "many.pcap"));
		assert_true(pass ? in.gz != NULL : in.gz == NULL);
		r = pcapfile_open(&in, &ret, err, sizeof(err));
		assert_non_null(r);
		for (count = 0; (ret = pcapfile_next(r, &p, err, sizeof(err))) == 1; count++) {
			caplen = count >= 3000	   ? 262144
				 : count % 97 == 0 ? 65535 + count
						   : (count * 37) % 1600;
			if (p.caplen != caplen || !payload_ok(count, p.data, p.caplen))
				fail_msg(
					"pass %d, packet %u: caplen %u (expected %u) or data wrong",
					pass, count, p.caplen, caplen);
			if (count < 3000) {
				assert_int_equal(p.len, caplen + count);
				assert_int_equal(p.ts_ms, (TS_SEC + count) * 1000ull + count);
			}
		}
		assert_int_equal(ret, 0);
		assert_int_equal(count, n);
		pcapfile_close(r);
		input_close(&in);
	}
	w_free(&w);
}

static void test_pcap_gzip(void **state)
{
	struct wbuf w = { 0 };
	struct result res;

	(void)state;
	pcap_three(&w, true, false);
	write_gz(tpath("three.pcap.gz"), w.b, w.len);
	read_pcap(tpath("three.pcap.gz"), &res);
	check_three(&res);
	result_free(&res);
	w_free(&w);
}

/* A gzip pcap cut in the middle of a record: an error, the records before it intact. */
static void test_pcap_gzip_truncated_mid_record(void **state)
{
	struct wbuf w = { 0 };
	struct result res;
	uint8_t *gz;
	size_t len;
	uint32_t n;

	(void)state;
	pcap_header(&w, MAGIC_USEC, 2, 4, 1);
	for (n = 0; n < 64; n++)
		pcap_record(&w, TS_SEC, 0, 1000 + n * 100, 1000 + n * 100, n);
	write_gz(tpath("full.gz"), w.b, w.len);
	gz = read_whole(tpath("full.gz"), &len);
	write_file(tpath("cut.gz"), gz, len * 2 / 3);
	read_pcap(tpath("cut.gz"), &res);
	assert_true(res.n > 0 && res.n < 64);
	for (n = 0; n < res.n; n++)
		assert_true(res.pkts[n].pattern_of[n]);
	assert_int_equal(res.ret, -EBADMSG);
	expect_contains(res.err, "packet ");
	result_free(&res);
	free(gz);
	w_free(&w);
}

/*
 * A gzip pcap cut where the compressed data happens to end on a record
 * boundary (here: right after a full flush): the stream has no end and no
 * CRC, so the file is truncated, and the reader must say so instead of
 * reporting a clean end of file (README: exit status 3, with a warning).
 */
static void test_pcap_gzip_truncated_at_record_boundary(void **state)
{
	struct wbuf w = { 0 };
	struct result res;
	uint8_t *gz;
	size_t len, rec = 16 + 500, cut;
	char err[512];
	uint32_t n;
	int ret;
	gzFile g;

	(void)state;
	pcap_header(&w, MAGIC_USEC, 2, 4, 1);
	for (n = 0; n < 20; n++)
		pcap_record(&w, TS_SEC, 0, 500, 500, n);
	/* Header and 10 records, full flush, note the compressed offset, then the rest. */
	g = gzopen(tpath("flushed.gz"), "wb");
	assert_non_null(g);
	assert_int_equal(gzwrite(g, w.b, (unsigned int)(24 + 10 * rec)), (int)(24 + 10 * rec));
	assert_int_equal(gzflush(g, Z_FULL_FLUSH), Z_OK);
	cut = (size_t)gzoffset(g);
	assert_int_equal(gzwrite(g, w.b + 24 + 10 * rec, (unsigned int)(10 * rec)),
			 (int)(10 * rec));
	assert_int_equal(gzclose(g), Z_OK);
	gz = read_whole(tpath("flushed.gz"), &len);
	assert_true(cut > 10 && cut < len);
	write_file(tpath("cut.gz"), gz, cut);
	free(gz);

	w_free(&w);
	read_pcap(tpath("cut.gz"), &res);
	n = (uint32_t)res.n;
	ret = res.ret;
	snprintf(err, sizeof(err), "%s", res.err);
	result_free(&res);
	assert_int_equal(n, 10);
	if (ret == 0)
		fail_msg("a gzip file cut after record 10 reads as a complete file of 10 records");
	assert_int_equal(ret, -EBADMSG);
	expect_contains(err, "packet 11");
}

/* ---- pcapng ---------------------------------------------------------------------- */

/* Option writers: code, length, value padded to 32 bits. */
static void opt(struct wbuf *w, unsigned int code, const void *val, size_t len)
{
	static const uint8_t pad[4] = { 0 };

	w16(w, code);
	w16(w, (unsigned int)len);
	w_bytes(w, val, len);
	w_bytes(w, pad, (4 - len % 4) % 4);
}

static void opt_end(struct wbuf *w)
{
	w32(w, 0);
}

/* Starts a block; block_end() writes both lengths. */
static size_t block_start(struct wbuf *w, uint32_t type)
{
	size_t start = w->len;

	w32(w, type);
	w32(w, 0);
	return start;
}

static void block_end(struct wbuf *w, size_t start)
{
	uint32_t len = (uint32_t)(w->len - start + 4);

	w32(w, len);
	w_set32(w, start + 4, len);
}

static void shb(struct wbuf *w, bool be)
{
	size_t b;

	w->be = be;
	b = block_start(w, SHB);
	w32(w, BOM);
	w16(w, 1);
	w16(w, 0);
	w64(w, UINT64_MAX); /* section length unknown */
	block_end(w, b);
}

/* An IDB with optional if_tsresol (< 0: none) and if_tsoffset (has_off). */
static void idb(struct wbuf *w, unsigned int linktype, uint32_t snaplen, int tsresol, bool has_off,
		int64_t tsoffset)
{
	size_t b = block_start(w, 1);

	w16(w, linktype);
	w16(w, 0);
	w32(w, snaplen);
	if (tsresol >= 0 || has_off) {
		opt(w, 2, "eth0x", 5); /* if_name, odd length: padding before the next */
		if (tsresol >= 0) {
			uint8_t r = (uint8_t)tsresol;

			opt(w, 9, &r, 1);
		}
		if (has_off) {
			struct wbuf v = { .be = w->be };

			w64(&v, (uint64_t)tsoffset);
			opt(w, 14, v.b, 8);
			w_free(&v);
		}
		opt_end(w);
	}
	block_end(w, b);
}

static void epb(struct wbuf *w, uint32_t ifid, uint64_t ticks, uint32_t caplen, uint32_t orig,
		uint32_t n)
{
	size_t b = block_start(w, 6);

	w32(w, ifid);
	w32(w, (uint32_t)(ticks >> 32));
	w32(w, (uint32_t)ticks);
	w32(w, caplen);
	w32(w, orig);
	w_payload(w, n, caplen);
	w_zero(w, (4 - caplen % 4) % 4);
	opt(w, 1, "a comment", 9); /* opt_comment */
	opt_end(w);
	block_end(w, b);
}

static void spb(struct wbuf *w, uint32_t orig, uint32_t stored, uint32_t n)
{
	size_t b = block_start(w, 3);

	w32(w, orig);
	w_payload(w, n, stored);
	w_zero(w, (4 - stored % 4) % 4);
	block_end(w, b);
}

/* The obsolete Packet Block: 16-bit interface id and drops count. */
static void pb(struct wbuf *w, unsigned int ifid, uint64_t ticks, uint32_t caplen, uint32_t orig,
	       uint32_t n)
{
	size_t b = block_start(w, 2);

	w16(w, ifid);
	w16(w, 7);
	w32(w, (uint32_t)(ticks >> 32));
	w32(w, (uint32_t)ticks);
	w32(w, caplen);
	w32(w, orig);
	w_payload(w, n, caplen);
	w_zero(w, (4 - caplen % 4) % 4);
	block_end(w, b);
}

/* A block the reader does not know (or need): skipped. */
static void other_block(struct wbuf *w, uint32_t type, size_t body)
{
	size_t b = block_start(w, type);

	w_payload(w, 99, body);
	w_zero(w, (4 - body % 4) % 4);
	block_end(w, b);
}

/* SHB, one Ethernet interface in µs, three EPBs (caplen 5 needs padding). */
static void ng_basic(struct wbuf *w, bool be)
{
	shb(w, be);
	idb(w, 1, 65535, -1, false, 0);
	epb(w, 0, (uint64_t)TS_SEC * 1000000 + 764999, 60, 60, 0);
	epb(w, 0, (uint64_t)(TS_SEC + 1) * 1000000 + 999999, 5, 1514, 1);
	epb(w, 0, (uint64_t)(TS_SEC + 2) * 1000000, 0, 40, 2);
}

static void check_basic(const struct result *res)
{
	if (res->ret != 0)
		fail_msg("pcapng: %d %s", res->ret, res->err);
	assert_int_equal(res->n, 3);
	assert_int_equal(res->pkts[0].ts_ms, TS_SEC * 1000ull + 764);
	assert_int_equal(res->pkts[0].caplen, 60);
	assert_int_equal(res->pkts[0].len, 60);
	assert_int_equal(res->pkts[0].linktype, 1);
	assert_true(res->pkts[0].pattern_of[0]);
	assert_int_equal(res->pkts[1].ts_ms, (TS_SEC + 1) * 1000ull + 999);
	assert_int_equal(res->pkts[1].caplen, 5);
	assert_int_equal(res->pkts[1].len, 1514);
	assert_true(res->pkts[1].pattern_of[1]);
	assert_int_equal(res->pkts[2].ts_ms, (TS_SEC + 2) * 1000ull);
	assert_int_equal(res->pkts[2].caplen, 0);
	assert_int_equal(res->pkts[2].len, 40);
}

static void test_pcapng_basic(void **state)
{
	struct wbuf w = { 0 };
	struct result res;

	(void)state;
	ng_basic(&w, false);
	write_file(tpath("basic.pcapng"), w.b, w.len);
	read_pcapng(tpath("basic.pcapng"), &res);
	check_basic(&res);
	result_free(&res);
	w_free(&w);
}

/* A big-endian section (the byte order opposite to this host's). */
static void test_pcapng_big_endian(void **state)
{
	struct wbuf w = { 0 };
	struct result res;

	(void)state;
	ng_basic(&w, true);
	assert_int_equal(w.b[8], 0x1a); /* the byte-order magic as written */
	write_file(tpath("be.pcapng"), w.b, w.len);
	read_pcapng(tpath("be.pcapng"), &res);
	check_basic(&res);
	result_free(&res);
	w_free(&w);
}

static void test_pcapng_gzip(void **state)
{
	struct wbuf w = { 0 };
	struct result res;

	(void)state;
	ng_basic(&w, true);
	write_gz(tpath("basic.pcapng.gz"), w.b, w.len);
	read_pcapng(tpath("basic.pcapng.gz"), &res);
	check_basic(&res);
	result_free(&res);
	w_free(&w);
}

/* Several interfaces with different link types; each packet carries its own. */
static void test_pcapng_interfaces(void **state)
{
	static const unsigned int types[] = { 1, 0, 101, 113, 276, 228 };
	struct wbuf w = { 0 };
	struct result res;
	uint32_t i;
	int be;

	(void)state;
	for (be = 0; be < 2; be++) {
		shb(&w, be);
		for (i = 0; i < 6; i++)
			idb(&w, types[i], 0, -1, false, 0);
		for (i = 0; i < 12; i++)
			epb(&w, (5 * i) % 6, (uint64_t)TS_SEC * 1000000 + i * 1000, 20 + i, 20 + i,
			    i);
		write_file(tpath("ifaces.pcapng"), w.b, w.len);
		read_pcapng(tpath("ifaces.pcapng"), &res);
		assert_int_equal(res.ret, 0);
		assert_int_equal(res.n, 12);
		for (i = 0; i < 12; i++) {
			assert_int_equal(res.pkts[i].linktype, types[(5 * i) % 6]);
			assert_int_equal(res.pkts[i].ts_ms, TS_SEC * 1000ull + i);
			assert_int_equal(res.pkts[i].caplen, 20 + i);
			assert_true(res.pkts[i].pattern_of[i]);
		}
		result_free(&res);
		w_free(&w);
	}
}

/* if_tsresol: powers of 10 and of 2, per interface. */
static void test_pcapng_tsresol(void **state)
{
	static const struct {
		int resol;
		uint64_t ticks, ms;
	} cases[] = {
		{ 6, (uint64_t)TS_SEC * 1000000 + 123999, TS_SEC * 1000ull + 123 },
		{ 9, (uint64_t)TS_SEC * 1000000000 + 123999999, TS_SEC * 1000ull + 123 },
		{ 3, (uint64_t)TS_SEC * 1000 + 5, TS_SEC * 1000ull + 5 },
		{ 0, TS_SEC, TS_SEC * 1000ull },
		{ 1, (uint64_t)TS_SEC * 10 + 9, TS_SEC * 1000ull + 900 },
		{ 4, 12345, 1234 },
		/* Powers of 2: 2^-10 s ticks, 2^-20, 2^-30, 2^0. */
		{ 0x80 | 10, ((uint64_t)TS_SEC << 10) + 512, TS_SEC * 1000ull + 500 },
		{ 0x80 | 20, ((uint64_t)TS_SEC << 20) + (1 << 19) + 1, TS_SEC * 1000ull + 500 },
		{ 0x80 | 30, ((uint64_t)TS_SEC << 30) + (1u << 30) - 1, TS_SEC * 1000ull + 999 },
		{ 0x80, TS_SEC, TS_SEC * 1000ull },
		/* 2^-3 s: 1 tick = 125 ms. */
		{ 0x80 | 3, 3, 375 },
		/* 10^-19 and 2^-63: the finest resolutions a 64-bit count can hold. */
		{ 19, UINT64_MAX, 1844 },
		{ 0x80 | 63, UINT64_MAX, 1999 },
	};
	struct wbuf w = { 0 };
	struct result res;
	size_t i;

	(void)state;
	shb(&w, false);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		idb(&w, 1, 0, cases[i].resol, false, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		epb(&w, (uint32_t)i, cases[i].ticks, 14, 14, (uint32_t)i);
	write_file(tpath("tsresol.pcapng"), w.b, w.len);
	read_pcapng(tpath("tsresol.pcapng"), &res);
	if (res.ret)
		fail_msg("pcapng: %d %s", res.ret, res.err);
	assert_int_equal(res.n, sizeof(cases) / sizeof(cases[0]));
	for (i = 0; i < res.n; i++)
		if (res.pkts[i].ts_ms != cases[i].ms)
			fail_msg("if_tsresol 0x%02x, %llu ticks: %llu ms, expected %llu",
				 cases[i].resol, (unsigned long long)cases[i].ticks,
				 (unsigned long long)res.pkts[i].ts_ms,
				 (unsigned long long)cases[i].ms);
	result_free(&res);
	w_free(&w);
}

/* if_tsoffset (seconds, signed), in both byte orders, with if_tsresol. */
static void test_pcapng_tsoffset(void **state)
{
	struct wbuf w = { 0 };
	struct result res;
	int be;

	(void)state;
	for (be = 0; be < 2; be++) {
		shb(&w, be);
		idb(&w, 1, 0, -1, true, TS_SEC);
		idb(&w, 1, 0, 9, true, 1000);
		idb(&w, 1, 0, 3, true, -10);
		idb(&w, 1, 0, 0x80 | 10, true, 0x100000000ll);
		epb(&w, 0, 1500000, 10, 10, 0);
		epb(&w, 1, 2999999999ull, 10, 10, 1);
		epb(&w, 2, 20001, 10, 10, 2);
		epb(&w, 3, 1024 + 256, 10, 10, 3);
		write_file(tpath("tsoff.pcapng"), w.b, w.len);
		read_pcapng(tpath("tsoff.pcapng"), &res);
		if (res.ret)
			fail_msg("pcapng: %d %s", res.ret, res.err);
		assert_int_equal(res.n, 4);
		assert_int_equal(res.pkts[0].ts_ms, TS_SEC * 1000ull + 1500);
		assert_int_equal(res.pkts[1].ts_ms, 1000000ull + 2999);
		assert_int_equal(res.pkts[2].ts_ms, 20001ull - 10000);
		assert_int_equal(res.pkts[3].ts_ms, 0x100000000ull * 1000 + 1250);
		result_free(&res);
		w_free(&w);
	}
}

/* Simple Packet Blocks: interface 0, no timestamp, caplen = min(orig, stored, snaplen). */
static void test_pcapng_spb(void **state)
{
	struct wbuf w = { 0 };
	struct result res;
	int be;

	(void)state;
	for (be = 0; be < 2; be++) {
		shb(&w, be);
		idb(&w, 101, 0, -1, false, 0);
		spb(&w, 100, 100, 0);
		spb(&w, 1500, 64, 1); /* stored less than on the wire */
		spb(&w, 30, 32, 2);   /* padding beyond the original length */
		write_file(tpath("spb.pcapng"), w.b, w.len);
		read_pcapng(tpath("spb.pcapng"), &res);
		if (res.ret)
			fail_msg("pcapng: %d %s", res.ret, res.err);
		assert_int_equal(res.n, 3);
		assert_int_equal(res.pkts[0].caplen, 100);
		assert_int_equal(res.pkts[0].len, 100);
		assert_int_equal(res.pkts[0].linktype, 101);
		assert_int_equal(res.pkts[0].ts_ms, 0);
		assert_true(res.pkts[0].pattern_of[0]);
		assert_int_equal(res.pkts[1].caplen, 64);
		assert_int_equal(res.pkts[1].len, 1500);
		assert_true(res.pkts[1].pattern_of[1]);
		assert_int_equal(res.pkts[2].caplen, 30);
		assert_int_equal(res.pkts[2].len, 30);
		assert_true(res.pkts[2].pattern_of[2]);
		result_free(&res);
		w_free(&w);
	}
	/* With a snaplen, the stored bytes beyond it are not captured data. */
	shb(&w, false);
	idb(&w, 1, 48, -1, false, 0);
	spb(&w, 100, 64, 3);
	write_file(tpath("spb.pcapng"), w.b, w.len);
	read_pcapng(tpath("spb.pcapng"), &res);
	assert_int_equal(res.n, 1);
	assert_int_equal(res.pkts[0].caplen, 48);
	assert_int_equal(res.pkts[0].len, 100);
	result_free(&res);
	w_free(&w);
}

static void test_pcapng_obsolete_pb(void **state)
{
	struct wbuf w = { 0 };
	struct result res;
	int be;

	(void)state;
	for (be = 0; be < 2; be++) {
		shb(&w, be);
		idb(&w, 1, 0, -1, false, 0);
		idb(&w, 113, 0, 9, false, 0);
		pb(&w, 1, (uint64_t)TS_SEC * 1000000000 + 5000000, 33, 99, 0);
		pb(&w, 0, (uint64_t)TS_SEC * 1000000 + 7000, 20, 20, 1);
		write_file(tpath("pb.pcapng"), w.b, w.len);
		read_pcapng(tpath("pb.pcapng"), &res);
		if (res.ret)
			fail_msg("pcapng: %d %s", res.ret, res.err);
		assert_int_equal(res.n, 2);
		assert_int_equal(res.pkts[0].linktype, 113);
		assert_int_equal(res.pkts[0].ts_ms, TS_SEC * 1000ull + 5);
		assert_int_equal(res.pkts[0].caplen, 33);
		assert_int_equal(res.pkts[0].len, 99);
		assert_true(res.pkts[0].pattern_of[0]);
		assert_int_equal(res.pkts[1].linktype, 1);
		assert_int_equal(res.pkts[1].ts_ms, TS_SEC * 1000ull + 7);
		assert_true(res.pkts[1].pattern_of[1]);
		result_free(&res);
		w_free(&w);
	}
}

/* Name resolution, statistics, decryption secrets and custom blocks are skipped. */
static void test_pcapng_other_blocks_skipped(void **state)
{
	struct wbuf w = { 0 };
	struct result res;

	(void)state;
	shb(&w, true);
	other_block(&w, 4, 30); /* NRB */
	idb(&w, 1, 0, -1, false, 0);
	other_block(&w, 0x0a, 0); /* DSB, empty */
	epb(&w, 0, 1000, 10, 10, 0);
	other_block(&w, 5, 24);		 /* ISB */
	other_block(&w, 0x40000bad, 17); /* custom */
	epb(&w, 0, 2000, 11, 11, 1);
	write_file(tpath("other.pcapng"), w.b, w.len);
	read_pcapng(tpath("other.pcapng"), &res);
	if (res.ret)
		fail_msg("pcapng: %d %s", res.ret, res.err);
	assert_int_equal(res.n, 2);
	assert_true(res.pkts[0].pattern_of[0]);
	assert_true(res.pkts[1].pattern_of[1]);
	assert_int_equal(res.pkts[1].ts_ms, 2);
	result_free(&res);
	w_free(&w);
}

/* A second section in the other byte order, with its own interfaces. */
static void test_pcapng_two_sections(void **state)
{
	struct wbuf w = { 0 };
	struct result res;

	(void)state;
	shb(&w, false);
	idb(&w, 1, 0, -1, false, 0);
	epb(&w, 0, 1000000, 10, 10, 0);
	shb(&w, true);
	idb(&w, 229, 0, 3, false, 0);
	epb(&w, 0, 1234, 12, 12, 1);
	shb(&w, false);
	idb(&w, 0, 0, -1, false, 0);
	epb(&w, 0, 5000000, 14, 14, 2);
	write_file(tpath("sections.pcapng"), w.b, w.len);
	read_pcapng(tpath("sections.pcapng"), &res);
	if (res.ret)
		fail_msg("pcapng: %d %s", res.ret, res.err);
	assert_int_equal(res.n, 3);
	assert_int_equal(res.pkts[0].linktype, 1);
	assert_int_equal(res.pkts[0].ts_ms, 1000);
	assert_int_equal(res.pkts[1].linktype, 229);
	assert_int_equal(res.pkts[1].ts_ms, 1234);
	assert_true(res.pkts[1].pattern_of[1]);
	assert_int_equal(res.pkts[2].linktype, 0);
	assert_int_equal(res.pkts[2].ts_ms, 5000);
	result_free(&res);
	w_free(&w);
}

/* An interface declared in an earlier section does not exist in the next one. */
static void test_pcapng_section_resets_interfaces(void **state)
{
	struct wbuf w = { 0 };
	struct result res;

	(void)state;
	shb(&w, false);
	idb(&w, 1, 0, -1, false, 0);
	idb(&w, 1, 0, -1, false, 0);
	epb(&w, 1, 1000000, 10, 10, 0);
	shb(&w, false);
	idb(&w, 1, 0, -1, false, 0);
	epb(&w, 1, 1000000, 10, 10, 1);
	write_file(tpath("reset.pcapng"), w.b, w.len);
	read_pcapng(tpath("reset.pcapng"), &res);
	assert_int_equal(res.n, 1);
	assert_int_equal(res.ret, -EBADMSG);
	result_free(&res);
	w_free(&w);
}

static void test_pcapng_header_only(void **state)
{
	struct wbuf w = { 0 };
	struct result res;

	(void)state;
	shb(&w, true);
	write_file(tpath("shb.pcapng"), w.b, w.len);
	read_pcapng(tpath("shb.pcapng"), &res);
	assert_int_equal(res.ret, 0);
	assert_int_equal(res.n, 0);
	result_free(&res);
	idb(&w, 1, 0, -1, false, 0);
	write_file(tpath("idb.pcapng"), w.b, w.len);
	read_pcapng(tpath("idb.pcapng"), &res);
	assert_int_equal(res.ret, 0);
	assert_int_equal(res.n, 0);
	result_free(&res);
	w_free(&w);
}

static void test_pcapng_not_pcapng(void **state)
{
	struct wbuf w = { 0 };
	char err[512];

	(void)state;
	write_file(tpath("empty"), "", 0);
	open_pcapng_fails(tpath("empty"), err, sizeof(err));
	pcap_three(&w, false, false);
	write_file(tpath("classic.pcap"), w.b, w.len);
	open_pcapng_fails(tpath("classic.pcap"), err, sizeof(err));
	w_free(&w);
	/* Starts like a section header, but the byte-order magic is wrong. */
	shb(&w, false);
	w.b[8] ^= 0x01;
	write_file(tpath("badbom.pcapng"), w.b, w.len);
	open_pcapng_fails(tpath("badbom.pcapng"), err, sizeof(err));
	w_free(&w);
	/* A section header cut short. */
	shb(&w, false);
	write_file(tpath("shortshb.pcapng"), w.b, 10);
	open_pcapng_fails(tpath("shortshb.pcapng"), err, sizeof(err));
	write_file(tpath("shortshb.pcapng"), w.b, w.len - 4);
	open_pcapng_fails(tpath("shortshb.pcapng"), err, sizeof(err));
	w_free(&w);
}

/* A damaged file: the packets before the damage, then -EBADMSG with the block's offset. */
static void expect_damage(const struct wbuf *w, size_t good, size_t offset, const char *what)
{
	struct result res;
	char off[64];

	write_file(tpath("damaged.pcapng"), w->b, w->len);
	read_pcapng(tpath("damaged.pcapng"), &res);
	if (res.n != good || res.ret != -EBADMSG)
		fail_msg("%s: %zu packets and %d (%s), expected %zu and -EBADMSG", what, res.n,
			 res.ret, res.err, good);
	snprintf(off, sizeof(off), "offset %zu", offset);
	if (!strstr(res.err, off))
		fail_msg("%s: \"%s\" does not name %s", what, res.err, off);
	result_free(&res);
}

static void test_pcapng_damaged_blocks(void **state)
{
	struct wbuf w = { 0 };
	size_t good_end, cut;
	char what[64];

	(void)state;
	shb(&w, false);
	idb(&w, 1, 0, -1, false, 0);
	epb(&w, 0, 1000, 100, 100, 0);
	epb(&w, 0, 2000, 100, 100, 1);
	good_end = w.len;
	epb(&w, 0, 3000, 100, 100, 2);

	/* Cut at every point inside the third EPB. */
	for (cut = good_end + 1; cut < w.len; cut++) {
		struct wbuf c = { .b = w.b, .len = cut };

		snprintf(what, sizeof(what), "cut at %zu", cut);
		expect_damage(&c, 2, good_end, what);
	}
	/* Trailing length different from the leading one. */
	w_set32(&w, w.len - 4, (uint32_t)(w.len - good_end + 4));
	expect_damage(&w, 2, good_end, "length mismatch");
	w_set32(&w, w.len - 4, (uint32_t)(w.len - good_end));
	/* Leading length not a multiple of 4, and below 12. */
	w_set32(&w, good_end + 4, 150);
	expect_damage(&w, 2, good_end, "length 150");
	w_set32(&w, good_end + 4, 8);
	expect_damage(&w, 2, good_end, "length 8");
	/* Far beyond any packet: refused, not allocated. */
	w_set32(&w, good_end + 4, 0xfffffff0u);
	expect_damage(&w, 2, good_end, "length 0xfffffff0");
	w_set32(&w, good_end + 4, (uint32_t)(w.len - good_end));
	/* A captured length beyond the block. */
	w_set32(&w, good_end + 20, 200);
	expect_damage(&w, 2, good_end, "caplen beyond the block");
	w_set32(&w, good_end + 20, 100);
	/* An undeclared interface. */
	w_set32(&w, good_end + 8, 1);
	expect_damage(&w, 2, good_end, "undeclared interface");
	w_free(&w);
}

/* A captured length above 262144 ends the file, as for libpcap; 262144 itself is fine. */
static void test_pcapng_caplen_limit(void **state)
{
	struct wbuf w = { 0 };
	struct result res;
	size_t off;

	(void)state;
	shb(&w, false);
	idb(&w, 1, 0, -1, false, 0);
	epb(&w, 0, 1000, 262144, 262144, 0);
	off = w.len;
	epb(&w, 0, 2000, 262145, 262145, 1);
	write_file(tpath("big.pcapng"), w.b, w.len);
	read_pcapng(tpath("big.pcapng"), &res);
	assert_int_equal(res.n, 1);
	assert_int_equal(res.pkts[0].caplen, 262144);
	assert_true(res.pkts[0].pattern_of[0]);
	assert_int_equal(res.ret, -EBADMSG);
	result_free(&res);
	/* A packet block before any interface. */
	w_free(&w);
	shb(&w, true);
	off = w.len;
	epb(&w, 0, 1000, 10, 10, 0);
	expect_damage(&w, 0, off, "no interface");
	w_free(&w);
}

static void test_pcapng_gzip_truncated(void **state)
{
	struct wbuf w = { 0 };
	struct result res;
	uint8_t *gz;
	size_t len;
	uint32_t n;

	(void)state;
	shb(&w, false);
	idb(&w, 1, 0, -1, false, 0);
	for (n = 0; n < 64; n++)
		epb(&w, 0, n * 1000, 1000 + n * 50, 1000 + n * 50, n);
	write_gz(tpath("full.gz"), w.b, w.len);
	gz = read_whole(tpath("full.gz"), &len);
	write_file(tpath("cut.gz"), gz, len / 2);
	read_pcapng(tpath("cut.gz"), &res);
	assert_true(res.n > 0 && res.n < 64);
	for (n = 0; n < res.n; n++)
		assert_true(res.pkts[n].pattern_of[n]);
	assert_int_equal(res.ret, -EBADMSG);
	result_free(&res);
	free(gz);
	w_free(&w);
}

/* As for classic pcap: a gzip pcapng whose compressed data ends on a block boundary. */
static void test_pcapng_gzip_truncated_at_block_boundary(void **state)
{
	struct wbuf w = { 0 };
	struct result res;
	size_t len, half, cut;
	uint8_t *gz;
	char err[512];
	uint32_t n;
	int ret;
	gzFile g;

	(void)state;
	shb(&w, false);
	idb(&w, 1, 0, -1, false, 0);
	for (n = 0; n < 10; n++)
		epb(&w, 0, n * 1000, 300, 300, n);
	half = w.len;
	for (; n < 20; n++)
		epb(&w, 0, n * 1000, 300, 300, n);
	g = gzopen(tpath("flushed.gz"), "wb");
	assert_non_null(g);
	assert_int_equal(gzwrite(g, w.b, (unsigned int)half), (int)half);
	assert_int_equal(gzflush(g, Z_FULL_FLUSH), Z_OK);
	cut = (size_t)gzoffset(g);
	assert_int_equal(gzwrite(g, w.b + half, (unsigned int)(w.len - half)), (int)(w.len - half));
	assert_int_equal(gzclose(g), Z_OK);
	w_free(&w);
	gz = read_whole(tpath("flushed.gz"), &len);
	assert_true(cut > 10 && cut < len);
	write_file(tpath("cut.gz"), gz, cut);
	free(gz);

	read_pcapng(tpath("cut.gz"), &res);
	n = (uint32_t)res.n;
	ret = res.ret;
	snprintf(err, sizeof(err), "%s", res.err);
	result_free(&res);
	assert_int_equal(n, 10);
	if (ret == 0)
		fail_msg(
			"a gzip pcapng cut after packet 10 reads as a complete file of 10 packets");
	assert_int_equal(ret, -EBADMSG);
	expect_contains(err, "after packet 10");
}

/* Many blocks of every size through the stdio stream, plain and gzip. */
static void test_pcapng_many_blocks(void **state)
{
	struct wbuf w = { 0 };
	struct pcapng_reader *r;
	struct input_file in;
	struct packet p;
	char err[256];
	uint32_t n, count, caplen;
	int ret, pass;

	(void)state;
	shb(&w, true);
	idb(&w, 1, 0, 9, false, 0);
	for (n = 0; n < 2000; n++) {
		caplen = n % 101 == 0 ? 100000 + n : (n * 53) % 1600;
		epb(&w, 0, (uint64_t)n * 1000000, caplen, caplen + 1, n);
	}
	write_file(tpath("many.pcapng"), w.b, w.len);
	write_gz(tpath("many.pcapng.gz"), w.b, w.len);
	for (pass = 0; pass < 2; pass++) {
		open_input(&in, tpath(pass ? "many.pcapng.gz" : "many.pcapng"));
		r = pcapng_open(input_stream(&in), err, sizeof(err));
		assert_non_null(r);
		for (count = 0; (ret = pcapng_next(r, &p, err, sizeof(err))) == 1; count++) {
			caplen = count % 101 == 0 ? 100000 + count : (count * 53) % 1600;
			if (p.caplen != caplen || p.len != caplen + 1 || p.ts_ms != count ||
			    !payload_ok(count, p.data, p.caplen))
				fail_msg("pass %d, packet %u wrong", pass, count);
		}
		assert_int_equal(ret, 0);
		assert_int_equal(count, 2000);
		pcapng_close(r);
		input_close(&in);
	}
	w_free(&w);
}

/*
 * if_tsoffset is a signed 64-bit count of seconds: a crafted file can hold
 * any value. Converting it to milliseconds must not be undefined behaviour
 * (signed overflow): the result is the unsigned 64-bit arithmetic that the
 * rest of the timestamp path uses. Run last: under UBSan with
 * -fno-sanitize-recover a failure here ends the binary.
 */
static void test_pcapng_huge_tsoffset(void **state)
{
	static const int64_t offsets[] = { INT64_MAX, INT64_MIN, INT64_MAX / 1000 + 1,
					   -(INT64_MAX / 1000) - 2 };
	const size_t n = sizeof(offsets) / sizeof(offsets[0]);
	uint64_t ts[sizeof(offsets) / sizeof(offsets[0])];
	struct pcapng_reader *r;
	struct wbuf w = { 0 };
	struct packet p;
	char err[512];
	size_t i, got = 0;
	FILE *fp;
	int ret;

	(void)state;
	shb(&w, false);
	for (i = 0; i < n; i++)
		idb(&w, 1, 0, 3, true, offsets[i]);
	for (i = 0; i < n; i++)
		epb(&w, (uint32_t)i, 5, 10, 10, 0);
	/* From memory, so that nothing is left behind if a sanitizer ends the binary. */
	fp = fmemopen(w.b, w.len, "rb");
	assert_non_null(fp);
	r = pcapng_open(fp, err, sizeof(err));
	assert_non_null(r);
	while (got < n && (ret = pcapng_next(r, &p, err, sizeof(err))) == 1)
		ts[got++] = p.ts_ms;
	ret = pcapng_next(r, &p, err, sizeof(err));
	pcapng_close(r);
	fclose(fp);
	w_free(&w);
	assert_int_equal(ret, 0);
	assert_int_equal(got, n);
	for (i = 0; i < n; i++)
		assert_int_equal(ts[i], (uint64_t)offsets[i] * 1000u + 5u);
}

/*
 * A mapped file cut while it is read: the records before the cut, then
 * -EBADMSG saying the file shrank; never SIGBUS on the pages past the new end.
 * Cut at a record boundary too: that must not read as a clean end.
 */
static void test_pcap_file_shrinks_while_read(void **state)
{
	enum { N = 4000, CAPLEN = 1000, REC = 16 + CAPLEN };
	const char *path = tpath("shrinks.pcap");
	struct pcapfile_reader *r;
	struct wbuf w = { 0 };
	struct input_file in;
	struct packet p;
	char err[512];
	size_t got, cuts[2] = { 24 + REC * (N / 2) + REC / 2, 24 + REC * (N / 2) };
	int ret, k;
	uint32_t i;

	(void)state;
	pcap_header(&w, MAGIC_USEC, 2, 4, 1);
	for (i = 0; i < N; i++)
		pcap_record(&w, TS_SEC + i, 0, CAPLEN, CAPLEN, i);
	for (k = 0; k < 2; k++) {
		write_file(path, w.b, w.len);
		open_input(&in, path);
		r = pcapfile_open(&in, &ret, err, sizeof(err));
		assert_non_null(r);
		for (got = 0; got < 10; got++)
			assert_int_equal(pcapfile_next(r, &p, err, sizeof(err)), 1);
		assert_int_equal(truncate(path, (off_t)cuts[k]), 0);
		while ((ret = pcapfile_next(r, &p, err, sizeof(err))) == 1) {
			assert_true(payload_ok((uint32_t)got, p.data, p.caplen));
			got++;
		}
		assert_int_equal(ret, -EBADMSG);
		expect_contains(err, "shrank");
		assert_true(got <= N / 2);
		pcapfile_close(r);
		input_close(&in);
	}
	w_free(&w);
}

#define T(f) cmocka_unit_test_setup_teardown(f, make_tmpdir, remove_tmpdir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_input_missing_and_directory),
		T(test_input_empty_file),
		T(test_input_plain),
		T(test_input_gzip),
		T(test_input_detected_by_magic),
		T(test_input_gzip_two_members),
		T(test_input_gzip_corrupt),
		T(test_input_gzip_truncated),
		T(test_input_stream),
		T(test_input_pipe),
		cmocka_unit_test(test_pcap_magic),
		T(test_pcap_usec_both_orders),
		T(test_pcap_nsec_both_orders),
		T(test_pcap_timestamp_truncation),
		T(test_pcap_empty_file),
		T(test_pcap_short_header),
		T(test_pcap_header_only),
		T(test_pcap_linktype),
		T(test_pcap_versions),
		T(test_pcap_caplen_limit),
		T(test_pcap_truncated_record),
		T(test_pcap_many_records),
		T(test_pcap_file_shrinks_while_read),
		T(test_pcap_gzip),
		T(test_pcap_gzip_truncated_mid_record),
		T(test_pcap_gzip_truncated_at_record_boundary),
		T(test_pcapng_basic),
		T(test_pcapng_big_endian),
		T(test_pcapng_gzip),
		T(test_pcapng_interfaces),
		T(test_pcapng_tsresol),
		T(test_pcapng_tsoffset),
		T(test_pcapng_spb),
		T(test_pcapng_obsolete_pb),
		T(test_pcapng_other_blocks_skipped),
		T(test_pcapng_two_sections),
		T(test_pcapng_section_resets_interfaces),
		T(test_pcapng_header_only),
		T(test_pcapng_not_pcapng),
		T(test_pcapng_damaged_blocks),
		T(test_pcapng_caplen_limit),
		T(test_pcapng_gzip_truncated),
		T(test_pcapng_gzip_truncated_at_block_boundary),
		T(test_pcapng_many_blocks),
		cmocka_unit_test(test_pcapng_huge_tsoffset),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
