/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"

#define PLAIN_BUFFER (1u << 20)
#define GZIP_BUFFER  (256u << 10)

static ssize_t gz_cookie_read(void *cookie, char *buf, size_t size)
{
	int n = gzread(cookie, buf, size > INT32_MAX ? INT32_MAX : (unsigned int)size);
	int zerr;

	if (n >= 0)
		return n;
	/* A cut or damaged stream reads as an I/O error: the reader reports where. */
	gzerror(cookie, &zerr);
	errno = zerr == Z_MEM_ERROR ? ENOMEM : EIO;
	return -1;
}

static int gz_cookie_close(void *cookie)
{
	(void)cookie; /* gzclose() is called by input_close() */
	return 0;
}

static int open_gzip(struct input_file *in, int fd)
{
	static const cookie_io_functions_t io = { .read = gz_cookie_read,
						  .close = gz_cookie_close };

	in->gz = gzdopen(fd, "rb");
	if (!in->gz)
		return -ENOMEM;
	gzbuffer(in->gz, GZIP_BUFFER);
	in->fp = fopencookie(in->gz, "rb", io);
	if (!in->fp) {
		gzclose(in->gz);
		in->gz = NULL;
		return -ENOMEM;
	}
	return 0;
}

int input_open(struct input_file *in, const char *path)
{
	unsigned char magic[2];
	struct stat st;
	ssize_t n;
	int fd, err;

	memset(in, 0, sizeof(*in));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto fail;
	}
	in->size = (uint64_t)st.st_size;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	n = pread(fd, magic, sizeof(magic), 0);
	if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
		return open_gzip(in, fd) ? (close(fd), -ENOMEM) : 0;

	in->fp = fdopen(fd, "rb");
	if (!in->fp) {
		err = -errno;
		goto fail;
	}
	in->buffer = malloc(PLAIN_BUFFER);
	if (in->buffer)
		setvbuf(in->fp, in->buffer, _IOFBF, PLAIN_BUFFER);
	return 0;
fail:
	close(fd);
	return err;
}

uint64_t input_position(struct input_file *in)
{
	off_t pos;

	if (in->gz)
		return (uint64_t)gzoffset(in->gz);
	pos = in->fp ? ftello(in->fp) : 0;
	return pos > 0 ? (uint64_t)pos : 0;
}

void input_close(struct input_file *in)
{
	if (in->fp)
		fclose(in->fp);
	if (in->gz)
		gzclose(in->gz);
	free(in->buffer);
	memset(in, 0, sizeof(*in));
}
