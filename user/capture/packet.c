/* SPDX-License-Identifier: GPL-2.0-only */
#include <string.h>

#include "nasoone/parse.h"
#include "capture/packet.h"

/*
 * Link types as libpcap reports them (DLT_) and as pcapng stores them
 * (LINKTYPE_): they agree except for raw IP, which is 12 (DLT_RAW on Linux),
 * 14 (DLT_RAW on BSD/OS) or 101 (LINKTYPE_RAW).
 */
int packet_parse(const struct packet *p, struct nn_pkt *pkt)
{
	const __u8 *data = p->data, *end = p->data + p->caplen;

	memset(pkt, 0, sizeof(*pkt));
	switch (p->linktype) {
	case 1:
		return nn_parse_eth(data, end, pkt);
	case 113:
		return nn_parse_sll(data, end, pkt);
	case 276:
		return nn_parse_sll2(data, end, pkt);
	case 0:
		return nn_parse_null(data, end, 0, pkt);
	case 108:
		return nn_parse_null(data, end, 1, pkt);
	case 12:
	case 14:
	case 101:
		return nn_parse_raw(data, end, 0, pkt);
	case 228:
		return nn_parse_raw(data, end, 4, pkt);
	case 229:
		return nn_parse_raw(data, end, 6, pkt);
	default:
		return NN_SKIP_NOT_IP; /* 802.11, PPP, NFLOG, ...: nothing counts */
	}
}
