/* SPDX-License-Identifier: GPL-2.0-only */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/report.h"

/* "00" .. "99": two digits per division, half the divisions of one a digit. */
static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930"
	"31323334353637383940414243444546474849505152535455565758596061"
	"62636465666768697071727374757677787980818283848586878889909192"
	"93949596979899";

static const uint64_t powers_of_ten[20] = {
	1ull,
	10ull,
	100ull,
	1000ull,
	10000ull,
	100000ull,
	1000000ull,
	10000000ull,
	100000000ull,
	1000000000ull,
	10000000000ull,
	100000000000ull,
	1000000000000ull,
	10000000000000ull,
	100000000000000ull,
	1000000000000000ull,
	10000000000000000ull,
	100000000000000000ull,
	1000000000000000000ull,
	10000000000000000000ull,
};

/* Decimal digits of v: from its bit length (log10(2) ~ 1233 / 4096), then one comparison. */
static unsigned int decimal_digits(uint64_t v)
{
	unsigned int t = (64 - (unsigned int)__builtin_clzll(v | 1)) * 1233 >> 12;

	return t + (v >= powers_of_ten[t]);
}

static void put_pair(char *at, uint32_t d)
{
	memcpy(at, digit_pairs + 2 * d, 2);
}

/* Four digits, zeros included: two independent divisions, not a chain. */
static void put4(char *at, uint32_t v)
{
	put_pair(at, v / 100);
	put_pair(at + 2, v % 100);
}

/*
 * Written from the last digit back, straight into place, in groups of
 * eight digits and four (independent 32-bit divisions): a millisecond
 * time has 13 digits, the most common number of a row.
 */
static char *put_u64(char *p, uint64_t v)
{
	unsigned int n = v ? decimal_digits(v) : 1;
	char *end = p + n;
	uint32_t low;

	while (v >= 100000000) {
		low = (uint32_t)(v % 100000000);
		v /= 100000000;
		put4(end - 8, low / 10000);
		put4(end - 4, low % 10000);
		end -= 8;
	}
	low = (uint32_t)v;
	if (low >= 10000) {
		put4(end - 4, low % 10000);
		low /= 10000;
		end -= 4;
	}
	if (low >= 100) {
		put_pair(end - 2, low % 100);
		low /= 100;
		end -= 2;
	}
	if (low >= 10)
		put_pair(end - 2, low);
	else
		end[-1] = (char)('0' + low);
	return p + n;
}

static char *put_str(char *p, const char *s, size_t len)
{
	memcpy(p, s, len);
	return p + len;
}

/*
 * An octet's decimal text, built in a register (a byte array read back
 * four bytes at a time would stall on store forwarding): four bytes are
 * stored, len of them kept.
 */
static char *put_octet(char *p, uint8_t o)
{
	unsigned int len = 1 + (o >= 10) + (o >= 100);
	uint32_t text = (uint32_t)('0' + o / 100) | (uint32_t)('0' + o / 10 % 10) << 8 |
			(uint32_t)('0' + o % 10) << 16;

	text >>= 8 * (3 - len);
	memcpy(p, &text, 4);
	return p + len;
}

static char *put_dotted(char *p, const uint8_t *a)
{
	p = put_octet(p, a[0]);
	*p++ = '.';
	p = put_octet(p, a[1]);
	*p++ = '.';
	p = put_octet(p, a[2]);
	*p++ = '.';
	return put_octet(p, a[3]);
}

static char *put_hex16(char *p, unsigned int w)
{
	static const char hex[] = "0123456789abcdef";
	unsigned int shift = w >= 0x1000 ? 12 : w >= 0x100 ? 8 : w >= 0x10 ? 4 : 0;

	for (;; shift -= 4) {
		*p++ = hex[(w >> shift) & 0xf];
		if (!shift)
			return p;
	}
}

/*
 * RFC 5952 exactly as glibc's inet_ntop prints it (resolv/inet_ntop.c):
 * the first longest run of at least two zero words becomes "::", and
 * ::a.b.c.d and ::ffff:a.b.c.d keep the dotted form. inet_ntop formats
 * every word through sprintf, most of an IPv6 row's time otherwise.
 */
static char *put_ipv6(char *p, const uint8_t *a)
{
	unsigned int words[8];
	int i, best = -1, best_len = 0, cur = -1, cur_len = 0;

	for (i = 0; i < 8; i++) {
		words[i] = (unsigned int)a[2 * i] << 8 | a[2 * i + 1];
		if (!words[i]) {
			if (cur < 0)
				cur = i, cur_len = 0;
			if (++cur_len > best_len)
				best = cur, best_len = cur_len;
		} else {
			cur = -1;
		}
	}
	if (best_len < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff)))
			return put_dotted(p, a + 12);
		p = put_hex16(p, words[i]);
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	return p;
}

/* The address and "; ": dotted quad or RFC 5952 text, by hand. */
static char *put_addr(char *p, const uint8_t *addr, uint8_t family)
{
	p = family == NN_FAMILY_IPV4 ? put_dotted(p, addr + 12) : put_ipv6(p, addr);
	return put_str(p, "; ", 2);
}

static const char *const proto_names[] = { "[]", "[TCP]", "[UDP]", "[TCP, UDP]" };

size_t report_format_row(char *buf, const struct flow_row *row)
{
	const char *proto = proto_names[row->protos & 3];
	char *p = buf;

	p = put_addr(p, row->key.saddr, row->key.family);
	p = put_str(put_u64(p, ntohs(row->key.sport)), "; ", 2);
	p = put_addr(p, row->key.daddr, row->key.family);
	p = put_str(put_u64(p, ntohs(row->key.dport)), "; ", 2);
	p = put_str(put_str(p, proto, strlen(proto)), "; ", 2);
	p = put_str(put_u64(p, row->first_ms), "; ", 2);
	p = put_str(put_u64(p, row->last_ms), "; ", 2);
	p = put_str(put_u64(p, row->bytes), "; ", 2);
	p = put_u64(p, row->packets);
	*p++ = '\n';
	return (size_t)(p - buf);
}

/* RFC 4180: fields with a comma are quoted; records end with CRLF. */
static size_t format_csv(char *buf, const struct flow_row *row)
{
	const char *proto = proto_names[row->protos & 3];
	char *p = buf;

	p = put_addr(p, row->key.saddr, row->key.family) - 2;
	p = put_u64(put_str(p, ",", 1), ntohs(row->key.sport));
	p = put_addr(put_str(p, ",", 1), row->key.daddr, row->key.family) - 2;
	p = put_u64(put_str(p, ",", 1), ntohs(row->key.dport));
	if (strchr(proto, ','))
		p = put_str(put_str(put_str(p, ",\"", 2), proto, strlen(proto)), "\"", 1);
	else
		p = put_str(put_str(p, ",", 1), proto, strlen(proto));
	p = put_u64(put_str(p, ",", 1), row->first_ms);
	p = put_u64(put_str(p, ",", 1), row->last_ms);
	p = put_u64(put_str(p, ",", 1), row->bytes);
	p = put_u64(put_str(p, ",", 1), row->packets);
	return (size_t)(put_str(p, "\r\n", 2) - buf);
}

static const char *const end_names[] = {
	[NASOONE_END_LIVE] = "live",	 [NASOONE_END_IDLE] = "idle",
	[NASOONE_END_ACTIVE] = "active", [3] = "end",
	[NASOONE_END_FORCED] = "forced", [NASOONE_END_EVICTED] = "evicted",
};

/* JSON Lines: one object a row, numbers as numbers, addresses as in the report. */
static size_t format_json(char *buf, const struct flow_row *row)
{
	static const char *const protos[] = { "[]", "[\"TCP\"]", "[\"UDP\"]", "[\"TCP\",\"UDP\"]" };
	const char *proto = protos[row->protos & 3];
	char *p = put_str(buf, "{\"source_ip\":\"", 14);

	p = put_addr(p, row->key.saddr, row->key.family) - 2;
	p = put_u64(put_str(p, "\",\"source_port\":", 16), ntohs(row->key.sport));
	p = put_str(p, ",\"destination_ip\":\"", 19);
	p = put_addr(p, row->key.daddr, row->key.family) - 2;
	p = put_u64(put_str(p, "\",\"destination_port\":", 21), ntohs(row->key.dport));
	p = put_str(put_str(p, ",\"protocols\":", 13), proto, strlen(proto));
	p = put_u64(put_str(p, ",\"first\":", 9), row->first_ms);
	p = put_u64(put_str(p, ",\"last\":", 8), row->last_ms);
	p = put_u64(put_str(p, ",\"bytes\":", 9), row->bytes);
	p = put_u64(put_str(p, ",\"packets\":", 11), row->packets);
	if (row->key.pad[0]) { /* a row that ended: why */
		uint8_t end = row->key.pad[0] <= NASOONE_END_EVICTED ? row->key.pad[0] : 3;

		p = put_str(p, ",\"end\":\"", 8);
		p = put_str(p, end_names[end], strlen(end_names[end]));
		p = put_str(p, "\"", 1);
	}
	return (size_t)(put_str(p, "}\n", 2) - buf);
}

size_t report_format_row_as(char *buf, const struct flow_row *row, enum nasoone_format format)
{
	switch (format) {
	case NASOONE_FORMAT_CSV:
		return format_csv(buf, row);
	case NASOONE_FORMAT_JSON:
		return format_json(buf, row);
	default:
		return report_format_row(buf, row);
	}
}

const char *report_header(enum nasoone_format format)
{
	switch (format) {
	case NASOONE_FORMAT_CSV:
		return "source ip,source port,destination ip,destination port,protocols,first,last,"
		       "bytes,packets\r\n";
	case NASOONE_FORMAT_JSON:
		return ""; /* JSON Lines: every line stands alone */
	default:
		return REPORT_HEADER;
	}
}

/* The umask, read without changing it (umask() would race with other threads' files). */
static mode_t current_umask(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	unsigned int mask = 022;
	char line[128];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Umask: %o", &mask) == 1)
			break;
	if (f)
		fclose(f);
	return (mode_t)(mask & 0777);
}

/* A missing file: its directory must exist and be writable. */
static int check_directory(const char *path)
{
	struct stat st;
	char *copy = strdup(path), *dir;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		err = -ENOENT;
	else if (access(dir, W_OK))
		err = -EACCES;
	free(copy);
	return err;
}

int report_output_set(struct report_output *out, const char *path, bool overwrite)
{
	struct stat st;
	int fd, err = 0;

	report_output_clear(out);
	out->overwrite = overwrite;
	if (!strcmp(path, "-")) {
		out->kind = REPORT_DIRECT;
		return 0;
	}
	/* O_PATH | O_NOFOLLOW: a symbolic link is seen, not followed; a FIFO does not block. */
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		if (fstat(fd, &st))
			err = -errno;
		else if (S_ISLNK(st.st_mode))
			err = -ELOOP;
		else if (S_ISREG(st.st_mode) && !overwrite)
			err = -EEXIST;
		else if (S_ISDIR(st.st_mode))
			err = -EISDIR;
		if (err || S_ISREG(st.st_mode)) {
			close(fd);
			if (err)
				return err;
			out->kind = REPORT_REGULAR;
			out->created = true;
			out->mode =
				st.st_mode & 07777; /* -F keeps the mode of the file it replaces */
		} else {
			out->kind = REPORT_DIRECT;
			out->pinned = true;
			out->pinned_fd = fd;
		}
	} else if (errno == ENOENT) {
		err = check_directory(path);
		if (err)
			return err;
		out->kind = REPORT_REGULAR;
		out->mode = 0666 & ~current_umask();
	} else {
		return -errno;
	}
	out->path = strdup(path);
	if (!out->path) {
		report_output_clear(out);
		return -ENOMEM;
	}
	return 0;
}

int report_output_create(struct report_output *out)
{
	struct stat st;
	int fd, err;

	if (out->kind != REPORT_REGULAR || out->created)
		return 0;
	/* 0666: the umask decides, as for any new file. */
	fd = open(out->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0)
		return -errno;
	/* A valid, empty report from the start: a run killed early leaves no blank file. */
	err = report_write_fd_as(fd, NULL, 0, out->format);
	if (!err && fstat(fd, &st))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (err) {
		unlink(out->path);
		return err;
	}
	out->mode = st.st_mode & 07777;
	out->created = true;
	return 0;
}

/* A temporary file next to the target, so that rename() stays on one file system. */
static int replace_file(const char *path, mode_t mode, const struct flow_row *const *rows,
			size_t count, enum nasoone_format format)
{
	const char *base = strrchr(path, '/');
	int dirlen = base ? (int)(base - path + 1) : 0;
	size_t size = strlen(path) + 16;
	char *tmp = malloc(size);
	int fd, err;

	if (!tmp)
		return -ENOMEM;
	/* ".name.XXXXXX" in the same directory: hidden, unique, created O_EXCL. */
	snprintf(tmp, size, "%.*s.%s.XXXXXX", dirlen, path, base ? base + 1 : path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = report_write_fd_as(fd, rows, count, format);
	if (!err && fchmod(fd, mode))
		err = -errno;
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
out:
	free(tmp);
	return err;
}

/* A new file (a rotated report): the mode the umask gives. */
int report_replace(const char *path, const struct flow_row *const *rows, size_t count,
		   enum nasoone_format format)
{
	return replace_file(path, 0666 & ~current_umask(), rows, count, format);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/*
 * Open the file held since set time for writing. Its name must still be
 * that file (else -ESTALE: never write to what replaced it, and do not wait
 * forever on a FIFO nobody can open any more). /proc/self/fd reopens the
 * held file itself; without /proc, the name is opened and checked again.
 */
static int open_pinned(const struct report_output *out)
{
	struct stat pinned, now;
	char proc[64];
	int fd;

	if (fstat(out->pinned_fd, &pinned) || lstat(out->path, &now))
		return -errno;
	if (!same_file(&pinned, &now))
		return -ESTALE;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", out->pinned_fd);
	fd = open(proc, O_WRONLY | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : -errno;
	fd = open(out->path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &now) || !same_file(&pinned, &now)) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

int report_output_write(struct report_output *out, const struct flow_row *const *rows, size_t count,
			bool final)
{
	int fd, err;

	switch (out->kind) {
	case REPORT_REGULAR:
		return replace_file(out->path, out->mode ? out->mode : 0666 & ~current_umask(),
				    rows, count, out->format);
	case REPORT_DIRECT:
		if (!final)
			return 0;
		if (!out->path)
			return report_write_fd_as(STDOUT_FILENO, rows, count, out->format);
		fd = out->pinned ? open_pinned(out) : -EBADF;
		if (fd < 0)
			return fd;
		err = report_write_fd_as(fd, rows, count, out->format);
		close(fd);
		return err;
	default:
		return 0;
	}
}

bool report_output_is_file(const struct report_output *out, const struct stat *st)
{
	struct stat mine;

	if (out->pinned ? fstat(out->pinned_fd, &mine) : !out->path || stat(out->path, &mine))
		return false; /* standard output, or a file that does not exist yet */
	return same_file(&mine, st);
}

void report_output_clear(struct report_output *out)
{
	free(out->path);
	if (out->pinned)
		close(out->pinned_fd);
	out->path = NULL;
	out->kind = REPORT_NONE;
	out->created = false;
	out->pinned = false;
	out->mode = 0;
}
