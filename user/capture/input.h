/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A capture file as a byte stream: plain files, or gzip-compressed files
 * (detected by their magic bytes, not their name) decompressed on the fly
 * by zlib, so any size reads in bounded memory. Readers take the bytes
 * directly (input_read) or as a stdio stream for libpcap (input_stream).
 */
#ifndef NASOONE_INPUT_H
#define NASOONE_INPUT_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <zlib.h>

struct input_file {
	int fd;
	gzFile gz;     /* set for compressed files */
	FILE *fp;      /* made by input_stream() */
	uint64_t size; /* of the file on disk */
	int regular;   /* a regular file, which can be mapped */
};

/* 0, or -errno (-ENOENT, -EACCES, -EISDIR, ...). */
int input_open(struct input_file *in, const char *path);
/* Up to size bytes: the count, 0 at the end, -EIO on a damaged compressed stream. */
ssize_t input_read(struct input_file *in, void *buf, size_t size);
/* Back to the first byte (after a peek at the magic). */
int input_rewind(struct input_file *in);
/* The file as a buffered stdio stream (for libpcap); NULL when out of memory. */
FILE *input_stream(struct input_file *in);
/* Bytes of the file on disk consumed so far (compressed bytes for gzip). */
uint64_t input_position(struct input_file *in);
void input_close(struct input_file *in);

#endif /* NASOONE_INPUT_H */
