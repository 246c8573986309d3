/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IPFIX (RFC 7011) message encoding: templates for IPv4 and IPv6 flows and
 * data records of ended rows, in network byte order. Pure: no I/O, no
 * clock (the caller gives the export time), so that tests can check every
 * byte. The transport is export.c.
 */
#ifndef NASOONE_IPFIX_H
#define NASOONE_IPFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nasoone.h"

#define IPFIX_VERSION	      10
#define IPFIX_HEADER_LEN      16
#define IPFIX_SET_HEADER_LEN  4
#define IPFIX_TEMPLATE_SET_ID 2
#define IPFIX_TEMPLATE_IPV4   256
#define IPFIX_TEMPLATE_IPV6   257
#define IPFIX_MESSAGE_MAX     65535 /* the header's length field */
#define IPFIX_MESSAGE_MIN     256   /* room for both templates and a record of each family */

/* Information elements (IANA "IPFIX Information Elements"). */
#define IPFIX_IE_OCTET_DELTA	    1
#define IPFIX_IE_PACKET_DELTA	    2
#define IPFIX_IE_PROTOCOL	    4
#define IPFIX_IE_SOURCE_PORT	    7
#define IPFIX_IE_SOURCE_IPV4	    8
#define IPFIX_IE_INGRESS_INTERFACE  10
#define IPFIX_IE_DESTINATION_PORT   11
#define IPFIX_IE_DESTINATION_IPV4   12
#define IPFIX_IE_SOURCE_IPV6	    27
#define IPFIX_IE_DESTINATION_IPV6   28
#define IPFIX_IE_FLOW_END_REASON    136
#define IPFIX_IE_FLOW_START_MS	    152
#define IPFIX_IE_FLOW_END_MS	    153
#define IPFIX_IE_LAYER2_OCTET_DELTA 352

struct ipfix_encoder {
	uint32_t domain;   /* observationDomainId of every message */
	uint32_t ifindex;  /* ingressInterface; 0: unknown, left out of the templates */
	size_t max_len;	   /* longest message, within the path MTU */
	uint32_t sequence; /* data records sent before the message being built (mod 2^32) */
	/* The data message being built. */
	uint8_t buf[IPFIX_MESSAGE_MAX];
	size_t len;	     /* 0: no message begun */
	size_t set_at;	     /* offset of the open data set's header, 0: none open */
	uint16_t set_id;     /* its template */
	uint32_t records;    /* records in the message */
	uint32_t export_sec; /* its export time */
};

/* A new encoder; max_len is clamped to [IPFIX_MESSAGE_MIN, IPFIX_MESSAGE_MAX]. */
void ipfix_init(struct ipfix_encoder *e, uint32_t domain, uint32_t ifindex, size_t max_len);
/* Length of one data record of a family (4 or 6) under this encoder's templates. */
size_t ipfix_record_len(const struct ipfix_encoder *e, uint8_t family);
/*
 * A message with the template set of both templates into buf (size bytes,
 * at least IPFIX_MESSAGE_MIN): its length. It carries the sequence number
 * of the next data message, as RFC 7011 3.1 asks of a message without data.
 */
size_t ipfix_templates(const struct ipfix_encoder *e, uint32_t export_sec, uint8_t *buf,
		       size_t size);
/*
 * Add the record of an ended row to the message being built (begun with
 * export_sec when none is). 0, or -ENOSPC when the message is full: send
 * ipfix_finish()'s message, then add the row again.
 */
int ipfix_add(struct ipfix_encoder *e, const struct nasoone_flow *flow, uint32_t export_sec);
/* Records in the message being built (0: nothing to finish). */
static inline uint32_t ipfix_pending(const struct ipfix_encoder *e)
{
	return e->records;
}
/*
 * Close the message being built: *msg points to it (valid until the next
 * ipfix_add), its length is returned, and the sequence number moves on by
 * its records. 0 when no record was added.
 */
size_t ipfix_finish(struct ipfix_encoder *e, const uint8_t **msg);
/* The protocolIdentifier of a row: its key's protocol, else what its protocol bits say. */
uint8_t ipfix_protocol(const struct nasoone_flow *flow);

#endif /* NASOONE_IPFIX_H */
