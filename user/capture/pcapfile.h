/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The classic pcap reader. Records are parsed where they lie in a large
 * read buffer: one copy (the kernel's) per byte, where libpcap's stdio
 * path makes two; that is what lets counting run faster than a bare
 * libpcap loop. Micro- and nanosecond files, both byte orders.
 */
#ifndef NASOONE_PCAPFILE_H
#define NASOONE_PCAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/input.h"
#include "capture/packet.h"

struct pcapfile_reader;

/* True when the first 4 bytes are a classic pcap magic number this reader handles. */
bool pcapfile_magic(const uint8_t magic[4]);
/* Read the file header from in; NULL with err filled (-EBADMSG in *ret) when it is not valid. */
struct pcapfile_reader *pcapfile_open(struct input_file *in, int *ret, char *err, size_t errlen);
int pcapfile_linktype(const struct pcapfile_reader *r);
/* True when the file was written in the other byte order. */
bool pcapfile_swapped(const struct pcapfile_reader *r);
/* File offset of the next record (of the uncompressed data). */
uint64_t pcapfile_offset(const struct pcapfile_reader *r);
/* 1 with a packet (valid until the next call), 0 at the end, -EBADMSG/-EIO with err filled. */
int pcapfile_next(struct pcapfile_reader *r, struct packet *p, char *err, size_t errlen);
void pcapfile_close(struct pcapfile_reader *r);

#endif /* NASOONE_PCAPFILE_H */
