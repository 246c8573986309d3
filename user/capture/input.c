/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "capture/input.h"

/* Small enough to stay in the L2 cache between the kernel's copy and ours. */
#define STREAM_BUFFER (128u << 10)
#define GZIP_BUFFER   (256u << 10)

/*
 * zlib's inflate on our own buffer (gzdopen would read the descriptor
 * itself, past the sniffed bytes). Concatenated members read as one
 * stream; bytes after a member that are not another member are ignored,
 * as gzread does.
 */
struct input_gz {
	z_stream z;
	uint8_t *buf;
	bool raw_eof;	 /* the compressed input is exhausted */
	bool member_end; /* a member ended: another may follow */
	bool done;
	bool failed; /* damaged or cut short: -EIO from now on */
};

/* A pipe's writer may stay silent forever: wait in short polls, so that a stop is seen. */
static bool cancelled_while_waiting(struct input_file *in)
{
	struct pollfd pfd = { .fd = in->fd, .events = POLLIN };
	int ret;

	if (!in->cancel || in->seekable)
		return false;
	while (!atomic_load(in->cancel)) {
		ret = poll(&pfd, 1, 100);
		if (ret > 0 || (ret < 0 && errno != EINTR))
			return false;
	}
	return true;
}

/* Raw bytes: the sniffed head first, then the descriptor. */
static ssize_t raw_read(struct input_file *in, void *buf, size_t size)
{
	ssize_t n;

	if (in->head_pos < in->head_len) {
		n = (ssize_t)(in->head_len - in->head_pos < size ? in->head_len - in->head_pos
								 : size);
		memcpy(buf, in->head + in->head_pos, (size_t)n);
		in->head_pos += (size_t)n;
	} else {
		if (cancelled_while_waiting(in))
			return 0;
		do {
			n = read(in->fd, buf, size);
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
	}
	in->raw_pos += (uint64_t)n;
	return n;
}

/* More compressed input behind what is left; false at the end of the input. */
static int gz_refill(struct input_file *in)
{
	struct input_gz *g = in->gz;
	ssize_t n;

	if (g->raw_eof)
		return 0;
	if (g->z.avail_in)
		memmove(g->buf, g->z.next_in, g->z.avail_in);
	n = raw_read(in, g->buf + g->z.avail_in, GZIP_BUFFER - g->z.avail_in);
	if (n < 0)
		return (int)n;
	g->z.next_in = g->buf;
	g->z.avail_in += (unsigned int)n;
	if (n == 0)
		g->raw_eof = true;
	return n > 0;
}

static ssize_t gz_read(struct input_file *in, uint8_t *buf, size_t size)
{
	struct input_gz *g = in->gz;
	unsigned int want = size > UINT_MAX ? UINT_MAX : (unsigned int)size;
	int ret;

	g->z.next_out = buf;
	g->z.avail_out = want;
	/* As gzread: the whole size, unless the stream ends or is damaged first. */
	while (g->z.avail_out && !g->done && !g->failed) {
		if (g->member_end) {
			/* Another member only if its magic follows. */
			if (g->z.avail_in < 2 && !g->raw_eof) {
				ret = gz_refill(in);
				if (ret < 0)
					return ret;
				continue;
			}
			if (g->z.avail_in < 2 || g->z.next_in[0] != 0x1f ||
			    g->z.next_in[1] != 0x8b) {
				g->done = true;
				break;
			}
			inflateReset(&g->z);
			g->member_end = false;
		}
		if (!g->z.avail_in) {
			ret = gz_refill(in);
			if (ret < 0)
				return ret;
			if (ret == 0) {
				g->failed = true; /* the input ended inside a member */
				break;
			}
		}
		ret = inflate(&g->z, Z_NO_FLUSH);
		if (ret == Z_STREAM_END)
			g->member_end = true;
		else if (ret != Z_OK && ret != Z_BUF_ERROR)
			g->failed = true;
	}
	if (g->z.avail_out < want)
		return (ssize_t)(want - g->z.avail_out); /* an error shows at the next read */
	return g->failed ? -EIO : 0;
}

static void gz_free(struct input_gz *g)
{
	if (!g)
		return;
	inflateEnd(&g->z);
	free(g->buf);
	free(g);
}

static int gz_start(struct input_file *in)
{
	struct input_gz *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	g->buf = malloc(GZIP_BUFFER);
	/* 16 + MAX_WBITS: a gzip header and trailer around the deflate data. */
	if (!g->buf || inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
		free(g->buf);
		free(g);
		return -ENOMEM;
	}
	in->gz = g;
	return 0;
}

int input_open(struct input_file *in, const char *path)
{
	struct stat st;
	off_t pos;
	ssize_t n;
	int err;

	memset(in, 0, sizeof(*in));
	if (!strcmp(path, "-"))
		in->fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
	else
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (in->fd < 0)
		return -errno;
	if (fstat(in->fd, &st)) {
		err = -errno;
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto fail;
	}
	in->regular = S_ISREG(st.st_mode);
	pos = lseek(in->fd, 0, SEEK_CUR);
	in->seekable = in->regular && pos >= 0;
	if (in->seekable) {
		in->start = (uint64_t)pos;
		in->size = (uint64_t)st.st_size > in->start ? (uint64_t)st.st_size - in->start : 0;
	}
	posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	/* Sniff with read(), never pread() or a seek: pipes cannot do either. */
	while (in->head_len < 2) {
		n = read(in->fd, in->head + in->head_len, sizeof(in->head) - in->head_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		in->head_len += (size_t)n;
	}
	if (in->head_len >= 2 && in->head[0] == 0x1f && in->head[1] == 0x8b) {
		err = gz_start(in);
		if (err)
			goto fail;
	}
	return 0;
fail:
	close(in->fd);
	in->fd = -1;
	return err;
}

ssize_t input_read(struct input_file *in, void *buf, size_t size)
{
	ssize_t n;

	if (in->replay_pos < in->replay_len) {
		n = (ssize_t)(in->replay_len - in->replay_pos < size
				      ? in->replay_len - in->replay_pos
				      : size);
		memcpy(buf, in->replay + in->replay_pos, (size_t)n);
		in->replay_pos += (size_t)n;
		return n;
	}
	n = in->gz ? gz_read(in, buf, size) : raw_read(in, buf, size);
	if (n > 0 && !in->replay_full) {
		/* Keep the first bytes, so that a peek at the magic can be undone. */
		if (in->replay_len + (size_t)n <= sizeof(in->replay)) {
			memcpy(in->replay + in->replay_len, buf, (size_t)n);
			in->replay_len += (size_t)n;
			in->replay_pos = in->replay_len;
		} else {
			in->replay_full = true;
		}
	}
	return n;
}

int input_rewind(struct input_file *in)
{
	if (!in->replay_full) {
		in->replay_pos = 0;
		return 0;
	}
	if (!in->seekable)
		return -ESPIPE;
	if (lseek(in->fd, (off_t)in->start, SEEK_SET) < 0)
		return -errno;
	in->head_len = in->head_pos = 0;
	in->raw_pos = 0;
	in->replay_len = in->replay_pos = 0;
	in->replay_full = false;
	if (in->gz) {
		struct input_gz *g = in->gz;

		inflateReset(&g->z);
		g->z.avail_in = 0;
		g->raw_eof = g->member_end = g->done = g->failed = false;
	}
	return 0;
}

static ssize_t stream_read(void *cookie, char *buf, size_t size)
{
	ssize_t n = input_read(cookie, buf, size);

	if (n < 0) {
		errno = (int)-n;
		return -1;
	}
	return n;
}

static int stream_close(void *cookie)
{
	(void)cookie; /* the descriptor belongs to input_close() */
	return 0;
}

FILE *input_stream(struct input_file *in)
{
	static const cookie_io_functions_t io = { .read = stream_read, .close = stream_close };

	if (!in->fp) {
		in->fp = fopencookie(in, "rb", io);
		if (in->fp)
			setvbuf(in->fp, NULL, _IOFBF, STREAM_BUFFER);
	}
	return in->fp;
}

uint64_t input_position(struct input_file *in)
{
	/* Compressed bytes still waiting in the decompressor's buffer are not consumed yet. */
	return in->raw_pos - (in->gz ? in->gz->z.avail_in : 0);
}

void input_close(struct input_file *in)
{
	if (in->fp)
		fclose(in->fp);
	gz_free(in->gz);
	if (in->fd >= 0)
		close(in->fd);
	memset(in, 0, sizeof(*in));
	in->fd = -1;
}
