/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/input.h"

/* Small enough to stay in the L2 cache between the kernel's copy and ours. */
#define STREAM_BUFFER (128u << 10)
#define GZIP_BUFFER   (256u << 10)

int input_open(struct input_file *in, const char *path)
{
	unsigned char magic[2];
	struct stat st;
	int err;

	memset(in, 0, sizeof(*in));
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
	in->size = (uint64_t)st.st_size;
	in->regular = S_ISREG(st.st_mode);
	posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (pread(in->fd, magic, sizeof(magic), 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		in->gz = gzdopen(in->fd, "rb");
		if (!in->gz) {
			err = -ENOMEM;
			goto fail;
		}
		gzbuffer(in->gz, GZIP_BUFFER);
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

	if (in->gz) {
		int zerr = Z_OK;

		n = gzread(in->gz, buf, size > INT32_MAX ? INT32_MAX : (unsigned int)size);
		/*
		 * A cut or damaged stream reads as an I/O error, so the reader
		 * reports where; zlib signals a stream cut short with 0 and an error.
		 */
		if (n == 0)
			gzerror(in->gz, &zerr);
		return n < 0 || (zerr != Z_OK && zerr != Z_STREAM_END) ? -EIO : n;
	}
	do {
		n = read(in->fd, buf, size);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

int input_rewind(struct input_file *in)
{
	if (in->gz)
		return gzrewind(in->gz) ? -EIO : 0;
	return lseek(in->fd, 0, SEEK_SET) < 0 ? -errno : 0;
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
	off_t pos;

	if (in->gz)
		return (uint64_t)gzoffset(in->gz);
	pos = lseek(in->fd, 0, SEEK_CUR);
	return pos > 0 ? (uint64_t)pos : 0;
}

void input_close(struct input_file *in)
{
	if (in->fp)
		fclose(in->fp);
	if (in->gz)
		gzclose(in->gz); /* closes fd too */
	else if (in->fd >= 0)
		close(in->fd);
	memset(in, 0, sizeof(*in));
	in->fd = -1;
}
