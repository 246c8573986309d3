/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A pcapng reader for the files libpcap refuses: those whose interfaces
 * have different link types (libpcap stops at the first such interface).
 * Each packet carries its own interface's link type, if_tsresol and
 * if_tsoffset.
 */
#ifndef NASOONE_PCAPNG_H
#define NASOONE_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/packet.h"

/* Records above this captured length end the file, as they do for libpcap. */
#define CAPLEN_MAX 262144u

struct pcapng_reader;

/* Read the section header from fp (not closed by pcapng_close), or NULL with err filled. */
struct pcapng_reader *pcapng_open(FILE *fp, char *err, size_t errlen);
/* 1 with a packet, 0 at the end of the file, -EBADMSG/-EIO with err filled. */
int pcapng_next(struct pcapng_reader *r, struct packet *p, char *err, size_t errlen);
void pcapng_close(struct pcapng_reader *r);

#endif /* NASOONE_PCAPNG_H */
