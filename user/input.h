/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Opening a capture file as a stdio stream: plain files through a large
 * buffer, gzip-compressed files (detected by their magic bytes, not their
 * name) decompressed on the fly by zlib, so any size reads in bounded memory.
 */
#ifndef NASOONE_INPUT_H
#define NASOONE_INPUT_H

#include <stdint.h>
#include <stdio.h>
#include <zlib.h>

struct input_file {
	FILE *fp;
	gzFile gz;     /* set for compressed files: fp reads through it */
	uint64_t size; /* of the file on disk */
	char *buffer;  /* stdio buffer of a plain file */
};

/* 0, or -errno (-ENOENT, -EACCES, -EISDIR, ...). */
int input_open(struct input_file *in, const char *path);
/* Bytes of the file on disk consumed so far (compressed bytes for gzip). */
uint64_t input_position(struct input_file *in);
void input_close(struct input_file *in);

#endif /* NASOONE_INPUT_H */
