/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcapgen: deterministic capture files for the tests and the benchmark.
 *
 * Every capture is written together with the report it must produce. The
 * report comes from the generator's own record of which frames it built
 * to be counted and as what 4-tuple, never from parsing the frames back:
 * a parser bug therefore cannot hide in both the tool and its expected files.
 */
#ifndef PCAPGEN_H
#define PCAPGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 2023-01-01 00:00:00 UTC: the base of every generated timestamp. */
#define GEN_BASE_SEC 1672531200ULL
#define NSEC	     1000000000ULL
#define MSEC	     1000000ULL /* ns per ms */
#define GEN_BASE_NS  (GEN_BASE_SEC * NSEC)

#define GEN_TCP	     1u
#define GEN_UDP	     2u

/* LINKTYPE_ values (https://www.tcpdump.org/linktypes.html). */
#define LT_NULL	    0
#define LT_ETHERNET 1
#define LT_RAW12    12
#define LT_RAW14    14
#define LT_RAW	    101
#define LT_80211    105
#define LT_LOOP	    108
#define LT_SLL	    113
#define LT_IPV4	    228
#define LT_IPV6	    229
#define LT_SLL2	    276

#define die(...)    gen_die(__FILE__, __LINE__, __VA_ARGS__)
__attribute__((noreturn, format(printf, 3, 4))) void gen_die(const char *file, int line,
							     const char *fmt, ...);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);

/* splitmix64: tiny, fast and the same everywhere. */
struct rng {
	uint64_t s;
};
static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static inline uint64_t rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}
/* Uniform in [0, n); the modulo bias is irrelevant for test data. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}
static inline double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

/* ---- the expected report ---- */

/* Directional 4-tuple; family 4 keeps the address in the first 4 bytes. */
struct gen_key {
	uint8_t family;
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
};

struct gen_row {
	struct gen_key key;
	unsigned protos;
	uint64_t first, last, bytes, packets;
};

struct gen_report {
	struct gen_row *rows;
	size_t n, cap;
};

void report_add(struct gen_report *r, const struct gen_key *k, unsigned proto, uint64_t ms,
		uint64_t len);
void report_sort(struct gen_report *r);
/* The report line of one row (with the newline); returns its length. */
int report_format(char *buf, size_t size, const struct gen_key *k, unsigned protos, uint64_t first,
		  uint64_t last, uint64_t bytes, uint64_t packets);
int key_cmp(const struct gen_key *a, const struct gen_key *b);
extern const char report_header[];
/* Sorts and writes header + rows to path. */
void report_write(struct gen_report *r, const char *path);
void report_free(struct gen_report *r);

/* Parses "10.0.0.1" or "2001:db8::1" (dies on a typo in a scenario). */
void key_set(struct gen_key *k, const char *src, uint16_t sport, const char *dst, uint16_t dport);
int addr_parse(const char *text, uint8_t out[16]); /* returns 4 or 6 */

/* ---- frames ---- */

#define FRAME_MAX 9216

struct frame {
	uint8_t b[FRAME_MAX];
	size_t len;
};

/* An IPv6 extension header in a chain built by fr_ip6(). */
struct ext {
	uint8_t type; /* 0, 43, 60, 44, 51, 135 ... */
	uint16_t frag_off;
	bool more;
	uint32_t ident;
};

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

void fr_init(struct frame *f);
void fr_bytes(struct frame *f, const void *p, size_t n);
void fr_u8(struct frame *f, unsigned v);
void fr_be16(struct frame *f, unsigned v);
void fr_be32(struct frame *f, uint32_t v);
void fr_le32(struct frame *f, uint32_t v);
void fr_fill(struct frame *f, size_t n);
void fr_pad(struct frame *f, size_t min);
void fr_eth(struct frame *f, int ntags, const uint16_t *tpids, uint16_t type);
void fr_sll(struct frame *f, uint16_t type);
void fr_sll2(struct frame *f, uint16_t type);
/* Link header for an IP packet of version v on linktype lt, default choices. */
void fr_link(struct frame *f, uint32_t lt, int v);
size_t fr_ip4(struct frame *f, const uint8_t *src, const uint8_t *dst, uint8_t proto, uint16_t id,
	      uint16_t frag, const uint8_t *opt, size_t optlen);
/* Fills total length (-1: to the end of the frame) and the checksum. */
void fr_ip4_len(struct frame *f, size_t off, int totlen);
size_t fr_ip6(struct frame *f, const uint8_t *src, const uint8_t *dst, const struct ext *ext,
	      int next, uint8_t proto);
void fr_ip6_len(struct frame *f, size_t off, int paylen);
void fr_tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t flags, size_t payload);
void fr_tcp_seq(struct frame *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		uint8_t flags, size_t payload);
void fr_udp(struct frame *f, uint16_t sport, uint16_t dport, size_t payload);

/* A plain packet: link + IP (no options) + TCP/UDP + payload bytes. */
struct pkt {
	const char *src, *dst;
	uint8_t proto; /* 6 or 17 */
	uint16_t sport, dport;
};
/* Builds p (reversed when rev) on linktype lt; fills key when not NULL. */
void fr_pkt(struct frame *f, uint32_t lt, const struct pkt *p, bool rev, size_t payload,
	    struct gen_key *key);

/* The same with TCP flags and sequence numbers of the caller's choice. */
void fr_pkt_tcp(struct frame *f, uint32_t lt, const struct pkt *p, bool rev, uint8_t flags,
		uint32_t seq, uint32_t ack, size_t payload, struct gen_key *key);

/* ---- capture files ---- */

enum cap_kind {
	CAP_PCAP,
	CAP_PCAPNG,
};

/* How cap_save() writes the bytes. */
enum cap_out {
	OUT_PLAIN,
	OUT_GZIP,
};

struct cap;

/* Classic pcap: nsec picks magic a1b23c4d, be big-endian fields. */
struct cap *cap_pcap(bool nsec, bool be, uint32_t linktype, uint32_t snaplen);
/* pcapng section (SHB); add interfaces with cap_iface(). */
struct cap *cap_pcapng(bool be);
/*
 * tsresol: -1 = no option (microseconds), else the if_tsresol byte;
 * tsoffset: seconds, 0 = no option.
 */
int cap_iface(struct cap *c, uint32_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset);
uint32_t cap_linktype(struct cap *c, int iface);

/*
 * Writes one packet record (pcapng: an Enhanced Packet Block). caplen 0
 * means the whole frame, len 0 means caplen. When key is set the frame
 * counts for it with proto. Returns the millisecond timestamp written.
 */
uint64_t cap_frame(struct cap *c, int iface, uint64_t t_ns, const struct frame *f, uint32_t caplen,
		   uint32_t len, const struct gen_key *key, unsigned proto);
/*
 * pcapng Enhanced Packet Block with a raw 64-bit timestamp in the
 * interface's units (times that no 64-bit ns count since 1970 can hold).
 */
uint64_t cap_frame_units(struct cap *c, int iface, uint64_t units, const struct frame *f,
			 const struct gen_key *key, unsigned proto);
/* pcapng obsolete Packet Block (type 2), the whole frame. */
uint64_t cap_pb(struct cap *c, int iface, uint64_t t_ns, const struct frame *f,
		const struct gen_key *key, unsigned proto);
/* Classic pcap record with raw timestamp fields (out-of-range tests). */
uint64_t cap_frame_raw(struct cap *c, uint32_t sec, uint32_t frac, const struct frame *f,
		       const struct gen_key *key, unsigned proto);
/* pcapng Simple Packet Block: interface 0, no timestamp (0 ms). */
void cap_spb(struct cap *c, const struct frame *f, const struct gen_key *key, unsigned proto);
/* pcapng blocks that a reader must skip. */
void cap_nrb(struct cap *c);
void cap_isb(struct cap *c, int iface, uint64_t t_ns);
void cap_block(struct cap *c, uint32_t type, const void *body, size_t n);
/* Bytes outside any record (damage); nothing written after them counts. */
void cap_damage(struct cap *c, const void *p, size_t n);
size_t cap_size(const struct cap *c);
const uint8_t *cap_bytes(const struct cap *c);

/* cap_save() cut for OUT_GZIP: about half the stream, inside a record. */
#define GZ_CUT_MIDDLE (SIZE_MAX - 1)

/*
 * Writes the file and its expected report (expected may be NULL), then
 * frees c. cut: keep only that many bytes of the file as written (SIZE_MAX:
 * all), of the compressed stream for OUT_GZIP. Records not complete in the
 * readable part do not count.
 */
void cap_save(struct cap *c, const char *path, enum cap_out out, size_t cut, const char *expected);
/* Frees c without writing (a scenario replayed for another copy). */
void cap_free(struct cap *c);

/* ---- subcommands ---- */

void gen_sample(const char *path, const char *expected);
/* Keys that collide under the unkeyed hash of nasoone <= 0.1 (collide.c). */
int gen_collide(int argc, char **argv);
struct cap *sample_cap(void);
void gen_rules(const char *dir);
void gen_corrupt(const char *dir);
int gen_mix(int argc, char **argv);

/* dir/name into buf (dies when it does not fit); returns buf. */
const char *path_join(char *buf, size_t size, const char *dir, const char *name);
void write_text(const char *path, const char *text);
void make_dir(const char *dir);

#endif /* PCAPGEN_H */
