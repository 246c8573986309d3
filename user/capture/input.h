/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A capture file as a byte stream: plain files, or gzip-compressed files
 * (detected by their magic bytes, not their name) decompressed on the fly
 * by zlib, so any size reads in bounded memory. Pipes, FIFOs and standard
 * input ("-") read like files: the magic bytes are sniffed into a buffer
 * that the reads then consume, never by seeking. Readers take the bytes
 * directly (input_read) or as a stdio stream for libpcap (input_stream).
 */
#ifndef NASOONE_INPUT_H
#define NASOONE_INPUT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define INPUT_HEAD   16 /* raw bytes sniffed at open */
#define INPUT_REPLAY 64 /* the first bytes read, kept so that a peek can be undone */

struct input_gz; /* the decompressor of a gzip'd input */

struct input_file {
	int fd;
	struct input_gz *gz; /* set for compressed files */
	FILE *fp;	     /* made by input_stream() */
	uint64_t start;	     /* file offset of the first byte (standard input may not be at 0) */
	uint64_t size;	     /* of the file on disk, from start (0 for a pipe) */
	int regular;	     /* a regular file, which can be mapped */
	bool seekable;
	uint8_t head[INPUT_HEAD]; /* raw bytes sniffed at open, consumed first */
	size_t head_len, head_pos;
	uint64_t raw_pos; /* raw bytes consumed, from start */
	uint8_t replay[INPUT_REPLAY];
	size_t replay_len, replay_pos;
	bool replay_full; /* more was read than replay holds */
	/* When set, reads of a pipe wait for data in short polls and end (0) once it is true. */
	const atomic_bool *cancel;
};

/* 0, or -errno (-ENOENT, -EACCES, -EISDIR, ...). "-" is standard input. */
int input_open(struct input_file *in, const char *path);
/* Up to size bytes: the count, 0 at the end, -EIO on a damaged compressed stream. */
ssize_t input_read(struct input_file *in, void *buf, size_t size);
/*
 * Back to the first byte: always after reading at most INPUT_REPLAY bytes
 * (a peek at the magic), and at any point of a seekable file; else -ESPIPE.
 */
int input_rewind(struct input_file *in);
/* The file as a buffered stdio stream (for libpcap); NULL when out of memory. */
FILE *input_stream(struct input_file *in);
/* Bytes of the file on disk consumed so far (compressed bytes for gzip). */
uint64_t input_position(struct input_file *in);
void input_close(struct input_file *in);

#endif /* NASOONE_INPUT_H */
