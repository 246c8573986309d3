/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/byteorder.h"
#include "capture/mapguard.h"
#include "capture/pcapfile.h"
#include "capture/pcapng.h"

#define MAGIC_USEC     0xa1b2c3d4u
#define MAGIC_NSEC     0xa1b23c4du
#define FILE_HDR       24
#define REC_HDR	       16
#define CHUNK	       (256u << 10) /* read size: stays in cache until parsed */
#define MAP_WINDOW     (32u << 20)  /* mapped at once; far above one record */
#define PREFETCH_AHEAD (8u << 10)
#define SIZE_CHECK     (64u << 10) /* a mapped file's size is looked at once per this much */

/*
 * Regular uncompressed files are mapped, a window at a time: records are
 * then parsed in the page cache itself, with no copy at all. Compressed
 * files and pipes are read into buf. A mapped file that shrinks while it
 * is read ends the reading as a damaged file does: its size is looked at
 * every SIZE_CHECK bytes, and a load past its new end (SIGBUS) is caught
 * by the map guard.
 */
struct pcapfile_reader {
	struct input_file *in;
	bool mapped;
	int guard;		/* map guard slot, when mapped */
	const atomic_bool *cut; /* its flag: a load faulted past the end of the file */
	size_t page;		/* the system's page size */
	uint64_t map_off;	/* file offset of buf[0] when mapped */
	uint64_t size_checked;	/* the file was known to hold this many bytes */
	bool swap;
	bool nsec;
	int linktype;
	uint8_t *buf; /* CHUNK + one largest record, or the mapped window */
	size_t size;
	size_t pos, end;   /* unread bytes are buf[pos..end) */
	uint64_t offset;   /* file offset of buf[pos] */
	size_t prefetched; /* buf[..prefetched) was asked into the cache */
	uint64_t packets;
	bool eof;
};

bool pcapfile_magic(const uint8_t magic[4])
{
	uint32_t m;

	memcpy(&m, magic, 4);
	return m == MAGIC_USEC || m == MAGIC_NSEC || m == __builtin_bswap32(MAGIC_USEC) ||
	       m == __builtin_bswap32(MAGIC_NSEC);
}

/* Map the window that starts at the page of the next unread byte. */
static int remap(struct pcapfile_reader *r)
{
	uint64_t next = r->map_off + r->pos, off = next & ~(uint64_t)(r->page - 1), len;
	uint64_t file_end = r->in->start + r->in->size;
	void *map;

	if (r->map_off + r->end >= file_end)
		return 0; /* the window already reaches the end of the file */
	len = file_end - off < MAP_WINDOW ? file_end - off : MAP_WINDOW;
	map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, r->in->fd, (off_t)off);
	if (map == MAP_FAILED)
		return -errno;
	madvise(map, len, MADV_SEQUENTIAL);
	mapguard_set(r->guard, map, len);
	if (r->buf)
		munmap(r->buf, r->end);
	r->buf = map;
	r->prefetched = 0;
	r->map_off = off;
	r->pos = next - off;
	r->end = len;
	return 1;
}

/*
 * Walking records is a chain of dependent loads (each header gives the next
 * record's place), which stalls on every cache miss. Asking for the bytes
 * a few KiB ahead turns that into a stream the memory system overlaps.
 */
static void prefetch_ahead(struct pcapfile_reader *r)
{
	size_t limit = r->pos + PREFETCH_AHEAD < r->end ? r->pos + PREFETCH_AHEAD : r->end;

	if (r->prefetched < r->pos)
		r->prefetched = r->pos;
	for (; r->prefetched < limit; r->prefetched += 64)
		__builtin_prefetch(r->buf + r->prefetched);
}

/*
 * Mapped: true when the file no longer holds the bytes up to offset upto
 * (a load faulted past its end, or its size went below the size at open).
 */
static bool shrank(struct pcapfile_reader *r, uint64_t upto)
{
	struct stat st;

	if (atomic_load_explicit(r->cut, memory_order_relaxed))
		return true;
	if (upto <= r->size_checked)
		return false;
	if (fstat(r->in->fd, &st) || (uint64_t)st.st_size < r->in->start + r->in->size)
		return true;
	r->size_checked = upto + SIZE_CHECK;
	return false;
}

/*
 * Load one byte of every page of a record past its first (which its header
 * is in), so that a fault, then a cut, shows before the record is used.
 */
static inline void touch_pages(const struct pcapfile_reader *r, const uint8_t *p, size_t len)
{
	const volatile uint8_t *v = p;
	size_t off;

	if (((uintptr_t)p & (r->page - 1)) + len <= r->page)
		return; /* within the header's page */
	for (off = r->page - ((uintptr_t)p & (r->page - 1)); off < len; off += r->page)
		(void)v[off];
}

static void shrank_message(struct pcapfile_reader *r, char *err, size_t errlen)
{
	struct stat st;
	long long now = fstat(r->in->fd, &st) ? -1 : (long long)st.st_size;

	snprintf(err, errlen,
		 "packet %llu (offset %llu): the file shrank while it was read "
		 "(%llu bytes at the start, %lld now)",
		 (unsigned long long)r->packets + 1, (unsigned long long)r->offset,
		 (unsigned long long)(r->in->start + r->in->size), now);
}

/* Make at least need bytes available at buf[pos]: 1, 0 at the end of the data, or -errno. */
static int fill(struct pcapfile_reader *r, size_t need)
{
	ssize_t n;
	int ret;

	while (r->end - r->pos < need) {
		if (r->mapped) {
			ret = remap(r);
			if (ret <= 0)
				return ret;
			continue;
		}
		if (r->eof)
			return 0;
		if (r->pos) {
			memmove(r->buf, r->buf + r->pos, r->end - r->pos);
			r->end -= r->pos;
			r->pos = 0;
		}
		n = input_read(r->in, r->buf + r->end, r->size - r->end);
		if (n < 0)
			return (int)n;
		if (n == 0)
			r->eof = true;
		r->end += (size_t)n;
	}
	return 1;
}

struct pcapfile_reader *pcapfile_open(struct input_file *in, int *ret, char *err, size_t errlen)
{
	struct pcapfile_reader *r = calloc(1, sizeof(*r));
	uint32_t magic, major, minor;
	const uint8_t *h;

	*ret = -ENOMEM;
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->in = in;
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	r->guard = in->regular && !in->gz && in->size > 0 ? mapguard_acquire() : -1;
	r->mapped = r->guard >= 0; /* without a guard, reading is safe, mapping is not */
	r->cut = r->mapped ? mapguard_flag(r->guard) : NULL;
	r->map_off = in->start; /* standard input may start inside the file */
	if (!r->mapped) {
		r->size = CHUNK + REC_HDR + CAPLEN_MAX;
		r->buf = malloc(r->size);
		if (!r->buf) {
			free(r);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
	}
	*ret = fill(r, FILE_HDR);
	if (*ret <= 0) {
		snprintf(err, errlen,
			 *ret ? "read error (damaged compressed data?)"
			      : "file too short for a pcap header");
		goto fail;
	}
	h = r->buf + r->pos; /* past a page-aligned start when mapped */
	memcpy(&magic, h, 4);
	r->swap = magic == __builtin_bswap32(MAGIC_USEC) || magic == __builtin_bswap32(MAGIC_NSEC);
	r->nsec = load_u32(h, r->swap) == MAGIC_NSEC;
	major = load_u16(h + 4, r->swap);
	minor = load_u16(h + 6, r->swap);
	if (major != 2 || minor > 4) {
		snprintf(err, errlen, "unsupported pcap version %u.%u", major, minor);
		*ret = -EBADMSG;
		goto fail;
	}
	/* The low 26 bits are the link type; the upper bits say how FCS is carried. */
	r->linktype = (int)(load_u32(h + 20, r->swap) & 0x03ffffff);
	if (r->mapped && shrank(r, r->map_off + r->pos + FILE_HDR)) {
		shrank_message(r, err, errlen);
		*ret = -EBADMSG;
		goto fail;
	}
	r->pos += FILE_HDR;
	r->offset = FILE_HDR;
	*ret = 0;
	return r;
fail:
	if (*ret == 0)
		*ret = -EBADMSG;
	pcapfile_close(r);
	return NULL;
}

int pcapfile_next(struct pcapfile_reader *r, struct packet *p, char *err, size_t errlen)
{
	const uint8_t *h;
	uint32_t caplen, sec, frac;
	int ret;

	ret = fill(r, REC_HDR);
	if (ret <= 0) {
		if (ret < 0 || r->end > r->pos)
			goto truncated;
		return 0;
	}
	h = r->buf + r->pos;
	caplen = load_u32(h + 8, r->swap);
	if (caplen > CAPLEN_MAX) {
		snprintf(err, errlen,
			 "packet %llu (offset %llu): invalid captured length %u, above %u",
			 (unsigned long long)r->packets + 1, (unsigned long long)r->offset, caplen,
			 CAPLEN_MAX);
		return -EBADMSG;
	}
	ret = fill(r, REC_HDR + caplen);
	if (ret <= 0)
		goto truncated;
	h = r->buf + r->pos;
	if (r->mapped) {
		uint64_t end = r->map_off + r->pos + REC_HDR + caplen;

		/* One flag load and one compare per record; fstat once per SIZE_CHECK bytes. */
		touch_pages(r, h, REC_HDR + caplen);
		if (atomic_load_explicit(r->cut, memory_order_relaxed) ||
		    (end > r->size_checked && shrank(r, end)))
			goto cut;
	}
	sec = load_u32(h, r->swap);
	frac = load_u32(h + 4, r->swap);
	p->ts_ms = (uint64_t)sec * 1000 + frac / (r->nsec ? 1000000 : 1000);
	p->caplen = caplen;
	p->len = load_u32(h + 12, r->swap);
	p->data = h + REC_HDR;
	p->linktype = r->linktype;
	r->pos += REC_HDR + caplen;
	r->offset += REC_HDR + caplen;
	if (r->mapped)
		prefetch_ahead(r);
	r->packets++;
	return 1;
cut:
	shrank_message(r, err, errlen);
	return -EBADMSG;
truncated:
	snprintf(err, errlen, "packet %llu (offset %llu): %s", (unsigned long long)r->packets + 1,
		 (unsigned long long)r->offset,
		 ret < 0 ? "read error (damaged compressed data?)"
			 : "file truncated in the middle of a record");
	return -EBADMSG;
}

uint64_t pcapfile_offset(const struct pcapfile_reader *r)
{
	return r->offset;
}

bool pcapfile_swapped(const struct pcapfile_reader *r)
{
	return r->swap;
}

int pcapfile_linktype(const struct pcapfile_reader *r)
{
	return r->linktype;
}

void pcapfile_close(struct pcapfile_reader *r)
{
	if (!r)
		return;
	if (r->mapped) {
		mapguard_release(r->guard);
		if (r->buf)
			munmap(r->buf, r->end);
	} else {
		free(r->buf);
	}
	free(r);
}
