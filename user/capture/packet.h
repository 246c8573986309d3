/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef NASOONE_PACKET_H
#define NASOONE_PACKET_H

#include <stdint.h>

/* One captured frame as a source hands it over (data valid until the next one). */
struct packet {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t len;	/* original length on the wire */
	uint64_t ts_ms; /* ms since the epoch, truncated */
	int linktype;	/* LINKTYPE_/DLT_ value of its interface */
};

/* Parse a frame by its link type: an NN_* verdict from nasoone/parse.h. */
struct nn_pkt;
int packet_parse(const struct packet *p, struct nn_pkt *pkt);

#endif /* NASOONE_PACKET_H */
