/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "capture/byteorder.h"
#include "capture/pcapng.h"

#define BT_SHB		 0x0A0D0D0Au
#define BT_IDB		 1u
#define BT_PB		 2u /* obsolete Packet Block */
#define BT_SPB		 3u
#define BT_EPB		 6u

#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define BLOCK_MAX	 (CAPLEN_MAX + 65536u) /* packet plus generous options */
#define MAX_INTERFACES	 65536u

#define OPT_END		 0
#define OPT_IF_TSRESOL	 9
#define OPT_IF_TSOFFSET	 14

struct interface {
	int linktype;
	uint32_t snaplen;
	uint64_t units_per_sec; /* 10^n or 2^n ticks per second */
	int64_t offset_sec;	/* if_tsoffset */
};

struct pcapng_reader {
	FILE *fp;
	bool swap;
	uint8_t *block;
	uint64_t offset; /* file offset of the current block */
	uint64_t packets;
	struct interface *ifaces;
	uint32_t nifaces;
};

/* Ticks to ms, truncating, without overflow for any 64-bit tick count. */
static uint64_t ticks_to_ms(const struct interface *ifc, uint64_t ticks)
{
	unsigned __int128 ms = (unsigned __int128)ticks * 1000 / ifc->units_per_sec;

	return (uint64_t)ms + (uint64_t)ifc->offset_sec * 1000u; /* wraps for negative offsets */
}

static int bad(struct pcapng_reader *r, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "offset %llu (after packet %llu): %s", (unsigned long long)r->offset,
		 (unsigned long long)r->packets, what);
	return -EBADMSG;
}

static int parse_idb(struct pcapng_reader *r, const uint8_t *body, uint32_t len, char *err,
		     size_t errlen)
{
	struct interface ifc = { .units_per_sec = 1000000 };
	struct interface *grown;
	uint32_t pos = 8, i;

	if (len < 8)
		return bad(r, err, errlen, "interface description block too short");
	if (r->nifaces >= MAX_INTERFACES)
		return bad(r, err, errlen, "too many interfaces");
	ifc.linktype = load_u16(body, r->swap);
	ifc.snaplen = load_u32(body + 4, r->swap);
	while (pos + 4 <= len) {
		uint16_t code = load_u16(body + pos, r->swap),
			 olen = load_u16(body + pos + 2, r->swap);
		const uint8_t *val = body + pos + 4;

		if (code == OPT_END || pos + 4 + olen > len)
			break;
		if (code == OPT_IF_TSRESOL && olen >= 1) {
			uint8_t res = val[0];

			/* High bit: a negative power of two; else a negative power of ten. */
			if ((res & 0x80 && (res & 0x7f) > 63) || (!(res & 0x80) && res > 19))
				return bad(r, err, errlen, "unsupported if_tsresol");
			ifc.units_per_sec = 1;
			for (i = 0; i < (res & 0x7fu); i++)
				ifc.units_per_sec *= res & 0x80 ? 2 : 10;
		} else if (code == OPT_IF_TSOFFSET && olen >= 8) {
			uint64_t v;

			/* A 64-bit value in the section's byte order. */
			memcpy(&v, val, 8);
			ifc.offset_sec = (int64_t)(r->swap ? __builtin_bswap64(v) : v);
		}
		pos += 4 + ((olen + 3u) & ~3u);
	}
	grown = realloc(r->ifaces, (r->nifaces + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	r->ifaces = grown;
	r->ifaces[r->nifaces++] = ifc;
	return 0;
}

/* Read one whole block into r->block. 1, 0 at a clean end, or -errno. */
static int read_block(struct pcapng_reader *r, uint32_t *type, uint32_t *len, char *err,
		      size_t errlen)
{
	uint8_t head[12];
	size_t n;

	n = fread(head, 1, 8, r->fp);
	if (n == 0 && feof(r->fp))
		return 0;
	if (n < 8)
		return ferror(r->fp) ? bad(r, err, errlen, "read error (damaged compressed data?)")
				     : bad(r, err, errlen, "file truncated inside a block header");
	memcpy(type, head, 4);
	if (*type == BT_SHB) {
		/* The section header decides the byte order of everything after it. */
		uint32_t magic;

		if (fread(head + 8, 1, 4, r->fp) != 4)
			return bad(r, err, errlen, "file truncated inside a section header");
		memcpy(&magic, head + 8, 4);
		if (magic == BYTE_ORDER_MAGIC)
			r->swap = false;
		else if (magic == __builtin_bswap32(BYTE_ORDER_MAGIC))
			r->swap = true;
		else
			return bad(r, err, errlen, "bad byte-order magic in section header");
		free(r->ifaces); /* a new section starts a new interface list */
		r->ifaces = NULL;
		r->nifaces = 0;
	}
	*type = load_u32(head, r->swap);
	*len = load_u32(head + 4, r->swap);
	if (*len < 12 || *len % 4 || *len > BLOCK_MAX)
		return bad(r, err, errlen, "bad block length");
	memcpy(r->block, head, *type == BT_SHB ? 12 : 8);
	n = *type == BT_SHB ? 12 : 8;
	if (fread(r->block + n, 1, *len - n, r->fp) != *len - n)
		return ferror(r->fp) ? bad(r, err, errlen, "read error (damaged compressed data?)")
				     : bad(r, err, errlen, "file truncated inside a block");
	if (load_u32(r->block + *len - 4, r->swap) != *len)
		return bad(r, err, errlen, "block lengths do not match");
	return 1;
}

struct pcapng_reader *pcapng_open(FILE *fp, char *err, size_t errlen)
{
	struct pcapng_reader *r = calloc(1, sizeof(*r));
	uint32_t type = 0, len = 0;

	if (!r || !(r->block = malloc(BLOCK_MAX))) {
		free(r);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->fp = fp;
	if (read_block(r, &type, &len, err, errlen) != 1 || type != BT_SHB) {
		if (type != BT_SHB)
			snprintf(err, errlen, "not a pcapng file");
		pcapng_close(r);
		return NULL;
	}
	r->offset += len;
	return r;
}

void pcapng_close(struct pcapng_reader *r)
{
	if (!r)
		return;
	free(r->block);
	free(r->ifaces);
	free(r);
}

int pcapng_next(struct pcapng_reader *r, struct packet *p, char *err, size_t errlen)
{
	const struct interface *ifc;
	uint32_t type, len, ifindex, caplen, orig, hdr;
	uint64_t ticks;
	int ret;

	for (;;) {
		ret = read_block(r, &type, &len, err, errlen);
		if (ret <= 0)
			return ret;
		if (type == BT_IDB) {
			ret = parse_idb(r, r->block + 8, len - 12, err, errlen);
			if (ret)
				return ret;
		}
		if (type == BT_EPB || type == BT_PB || type == BT_SPB)
			break;
		r->offset += len;
	}

	if (type == BT_SPB) {
		/* No interface id and no timestamp: interface 0, time 0 (as libpcap). */
		hdr = 4;
		ifindex = 0;
		ticks = 0;
		orig = len >= 16 ? load_u32(r->block + 8, r->swap) : 0;
		caplen = len - 12 - hdr;
		if (orig < caplen)
			caplen = orig;
	} else {
		hdr = 20;
		if (len < 12 + hdr)
			return bad(r, err, errlen, "packet block too short");
		ifindex = type == BT_PB ? load_u16(r->block + 8, r->swap)
					: load_u32(r->block + 8, r->swap);
		ticks = (uint64_t)load_u32(r->block + 12, r->swap) << 32 |
			load_u32(r->block + 16, r->swap);
		caplen = load_u32(r->block + 20, r->swap);
		orig = load_u32(r->block + 24, r->swap);
	}
	if (len < 12 + hdr)
		return bad(r, err, errlen, "packet block too short");
	if (ifindex >= r->nifaces)
		return bad(r, err, errlen, "packet for an undeclared interface");
	if (caplen > CAPLEN_MAX || caplen > len - 12 - hdr)
		return bad(r, err, errlen, "invalid captured length");
	ifc = &r->ifaces[ifindex];
	if (type == BT_SPB && ifc->snaplen && caplen > ifc->snaplen)
		caplen = ifc->snaplen;
	p->data = r->block + 8 + hdr;
	p->caplen = caplen;
	p->len = orig;
	p->linktype = ifc->linktype;
	p->ts_ms = ticks_to_ms(ifc, ticks);
	r->offset += len;
	r->packets++;
	return 1;
}
