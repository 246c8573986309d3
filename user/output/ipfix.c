/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <string.h>

#include "output/ipfix.h"

/* One field of a template: element id and length (no enterprise elements). */
struct field {
	uint16_t id, len;
};

/* The fields of both templates, the addresses aside: in record order. */
static const struct field head4[] = {
	{ IPFIX_IE_SOURCE_IPV4, 4 },
	{ IPFIX_IE_DESTINATION_IPV4, 4 },
};
static const struct field head6[] = {
	{ IPFIX_IE_SOURCE_IPV6, 16 },
	{ IPFIX_IE_DESTINATION_IPV6, 16 },
};
static const struct field common[] = {
	{ IPFIX_IE_SOURCE_PORT, 2 },	    { IPFIX_IE_DESTINATION_PORT, 2 },
	{ IPFIX_IE_PROTOCOL, 1 },	    { IPFIX_IE_FLOW_END_REASON, 1 },
	{ IPFIX_IE_PACKET_DELTA, 8 },	    { IPFIX_IE_OCTET_DELTA, 8 },
	{ IPFIX_IE_LAYER2_OCTET_DELTA, 8 }, { IPFIX_IE_FLOW_START_MS, 8 },
	{ IPFIX_IE_FLOW_END_MS, 8 },
};
static const struct field ingress = { IPFIX_IE_INGRESS_INTERFACE, 4 };

#define COMMON_LEN (2 + 2 + 1 + 1 + 5 * 8)

static uint8_t *put8(uint8_t *p, uint8_t v)
{
	*p = v;
	return p + 1;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p = put16(p, (uint16_t)(v >> 16));
	return put16(p, (uint16_t)v);
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	p = put32(p, (uint32_t)(v >> 32));
	return put32(p, (uint32_t)v);
}

static uint8_t *put_bytes(uint8_t *p, const void *src, size_t len)
{
	memcpy(p, src, len);
	return p + len;
}

void ipfix_init(struct ipfix_encoder *e, uint32_t domain, uint32_t ifindex, size_t max_len)
{
	memset(e, 0, offsetof(struct ipfix_encoder, buf));
	e->domain = domain;
	e->ifindex = ifindex;
	if (max_len < IPFIX_MESSAGE_MIN)
		max_len = IPFIX_MESSAGE_MIN;
	if (max_len > IPFIX_MESSAGE_MAX)
		max_len = IPFIX_MESSAGE_MAX;
	e->max_len = max_len;
	e->len = e->set_at = e->records = 0;
}

size_t ipfix_record_len(const struct ipfix_encoder *e, uint8_t family)
{
	return (family == 4 ? 8 : 32) + COMMON_LEN + (e->ifindex ? 4 : 0);
}

static uint8_t *put_header(uint8_t *p, size_t len, uint32_t export_sec, uint32_t sequence,
			   uint32_t domain)
{
	p = put16(p, IPFIX_VERSION);
	p = put16(p, (uint16_t)len);
	p = put32(p, export_sec);
	p = put32(p, sequence);
	return put32(p, domain);
}

static uint8_t *put_fields(uint8_t *p, const struct field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p = put16(put16(p, f[i].id), f[i].len);
	return p;
}

static uint8_t *put_template(const struct ipfix_encoder *e, uint8_t *p, uint16_t id,
			     const struct field *head)
{
	size_t n = 2 + sizeof(common) / sizeof(common[0]) + (e->ifindex ? 1 : 0);

	p = put16(put16(p, id), (uint16_t)n);
	p = put_fields(p, head, 2);
	p = put_fields(p, common, sizeof(common) / sizeof(common[0]));
	if (e->ifindex)
		p = put_fields(p, &ingress, 1);
	return p;
}

size_t ipfix_templates(const struct ipfix_encoder *e, uint32_t export_sec, uint8_t *buf,
		       size_t size)
{
	uint8_t *p = buf + IPFIX_HEADER_LEN + IPFIX_SET_HEADER_LEN;
	size_t len;

	if (size < IPFIX_MESSAGE_MIN)
		return 0;
	p = put_template(e, p, IPFIX_TEMPLATE_IPV4, head4);
	p = put_template(e, p, IPFIX_TEMPLATE_IPV6, head6);
	len = (size_t)(p - buf);
	put16(put16(buf + IPFIX_HEADER_LEN, IPFIX_TEMPLATE_SET_ID),
	      (uint16_t)(len - IPFIX_HEADER_LEN));
	put_header(buf, len, export_sec, e->sequence, e->domain);
	return len;
}

uint8_t ipfix_protocol(const struct nasoone_flow *flow)
{
	if (flow->protocol)
		return flow->protocol;
	return flow->protos & NASOONE_PROTO_TCP ? 6 : 17;
}

static void close_set(struct ipfix_encoder *e)
{
	if (e->set_at)
		put16(e->buf + e->set_at + 2, (uint16_t)(e->len - e->set_at));
	e->set_at = 0;
}

int ipfix_add(struct ipfix_encoder *e, const struct nasoone_flow *flow, uint32_t export_sec)
{
	uint16_t set_id = flow->family == 4 ? IPFIX_TEMPLATE_IPV4 : IPFIX_TEMPLATE_IPV6;
	size_t need = ipfix_record_len(e, flow->family);
	uint8_t *p;

	if (!e->len) {
		e->len = IPFIX_HEADER_LEN;
		e->export_sec = export_sec;
	}
	if (!e->set_at || e->set_id != set_id)
		need += IPFIX_SET_HEADER_LEN;
	if (e->len + need > e->max_len)
		return -ENOSPC;
	if (!e->set_at || e->set_id != set_id) {
		close_set(e);
		e->set_at = e->len;
		e->set_id = set_id;
		put16(e->buf + e->len, set_id);
		e->len += IPFIX_SET_HEADER_LEN;
	}
	p = e->buf + e->len;
	if (flow->family == 4) {
		p = put_bytes(p, flow->saddr + 12, 4);
		p = put_bytes(p, flow->daddr + 12, 4);
	} else {
		p = put_bytes(p, flow->saddr, 16);
		p = put_bytes(p, flow->daddr, 16);
	}
	p = put_bytes(p, &flow->sport, 2); /* already in network byte order */
	p = put_bytes(p, &flow->dport, 2);
	p = put8(p, ipfix_protocol(flow));
	p = put8(p, flow->end_reason);
	p = put64(p, flow->packets);
	p = put64(p, flow->ip_bytes);
	p = put64(p, flow->bytes);
	p = put64(p, flow->first_ms);
	p = put64(p, flow->last_ms);
	if (e->ifindex)
		p = put32(p, e->ifindex);
	e->len = (size_t)(p - e->buf);
	e->records++;
	return 0;
}

size_t ipfix_finish(struct ipfix_encoder *e, const uint8_t **msg)
{
	size_t len = e->len;

	if (!e->records) {
		e->len = e->set_at = 0;
		return 0;
	}
	close_set(e);
	put_header(e->buf, len, e->export_sec, e->sequence, e->domain);
	e->sequence += e->records;
	e->records = 0;
	e->len = 0;
	*msg = e->buf;
	return len;
}
