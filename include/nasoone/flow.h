/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ABI shared by the BPF program and userspace: the flow key, the
 * per-flow value and the limits of the parser. Only fixed-width types,
 * explicit padding and stated sizes: the kernel compares hash keys byte
 * for byte, so every byte of a key must be defined.
 */
#ifndef NASOONE_FLOW_H
#define NASOONE_FLOW_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define NN_FAMILY_IPV4 4
#define NN_FAMILY_IPV6 6

/* Protocol bits of a flow value. */
#define NN_PROTO_TCP 0x1
#define NN_PROTO_UDP 0x2

/* Parser bounds: more VLAN tags or IPv6 extension headers are not counted. */
#define NN_MAX_VLAN_TAGS 4
#define NN_MAX_IPV6_EXT	 16

/*
 * Directional 4-tuple. IPv4 addresses are stored v4-mapped
 * (::ffff:a.b.c.d, RFC 4291 2.5.5.2) so that a byte compare of the 16
 * address bytes orders addresses numerically; family tells an IPv4 packet
 * from an IPv6 packet that carries a v4-mapped address.
 */
struct nn_flow_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__be16 sport; /* network byte order, as on the wire */
	__be16 dport;
	__u8 family; /* NN_FAMILY_IPV4 or NN_FAMILY_IPV6 */
	/*
	 * pad[NN_KEY_PROTO] is the IP protocol (6 or 17): an IPFIX flow key
	 * includes it, so TCP and UDP of one 4-tuple are counted apart (the
	 * report merges them). The others are zero in a table.
	 */
	__u8 pad[3];
};
#define NN_KEY_PROTO 1
_Static_assert(sizeof(struct nn_flow_key) == 40, "flow key ABI");

/*
 * The key of an IPv4 flow in the kernel's IPv4 maps ("flows4"): the hash
 * of 12 bytes costs less than that of 40 (jhash2 of 3 words against 10).
 * Userspace turns it back into a struct nn_flow_key (v4-mapped).
 */
struct nn_flow_key4 {
	__u8 saddr[4];
	__u8 daddr[4];
	__be16 sport;
	__be16 dport;
	__u8 proto; /* the key's pad[NN_KEY_PROTO]: TCP and UDP of a 4-tuple apart */
	__u8 pad[3];
};
_Static_assert(sizeof(struct nn_flow_key4) == 16, "IPv4 flow key ABI");

/* An IPv4 map's key as the rest of nasoone has it: v4-mapped addresses, family 4. */
static inline void nn_flow_key_from4(struct nn_flow_key *key, const struct nn_flow_key4 *k4)
{
	__builtin_memset(key, 0, sizeof(*key));
	key->saddr[10] = key->saddr[11] = key->daddr[10] = key->daddr[11] = 0xff;
	__builtin_memcpy(&key->saddr[12], k4->saddr, 4);
	__builtin_memcpy(&key->daddr[12], k4->daddr, 4);
	key->sport = k4->sport;
	key->dport = k4->dport;
	key->family = NN_FAMILY_IPV4;
	key->pad[NN_KEY_PROTO] = k4->proto;
}

/* Per-flow counters as the kernel keeps them (times in ns; in ms for a replay, see bpf/). */
struct nn_flow_val {
	__u64 first_ns;
	__u64 last_ns;
	__u64 bytes;
	__u64 packets;
	__u32 protos; /* NN_PROTO_* bits */
	__u32 pad;
	__u64 ip_bytes; /* IP octets (IP header and payload) */
};
_Static_assert(sizeof(struct nn_flow_val) == 48, "flow value ABI");

/*
 * The eBPF path. Each CPU counts into its own hash maps, one for IPv4
 * (struct nn_flow_key4 keys, found through the ARRAY_OF_MAPS "flows4") and
 * one for IPv6 (struct nn_flow_key, "flows"), at index
 * bpf_get_smp_processor_id(); userspace swaps fresh maps into a CPU's
 * slots and drains the retired ones. A
 * packet whose flow cannot be inserted (map full) goes to the ring buffer
 * "overflow" as a struct nn_overflow; only when that fails too it is
 * counted in NN_STAT_UNATTRIBUTED.
 */
#define NN_MAX_CPUS	       256 /* size of the outer map (userspace sets it to the CPU count) */
#define NN_FLOWS_PER_CPU       65536	 /* default entries of one CPU's map */
#define NN_OVERFLOW_RING_BYTES (4 << 20) /* default size of the overflow ring */
#define NN_FRAG_ENTRIES	       4096	 /* LRU of datagrams whose first fragment was seen */
#define NN_FRAG_TTL_NS	       60000000000ull
#define NN_FRAG_TTL_MS	       60000ull /* the same, for a replay (times in ms) */

/* Indexes of the per-CPU "stats" array (__u64 each), in wire packets. */
enum nn_stat {
	NN_STAT_SEEN,	       /* every packet the program saw */
	NN_STAT_PAUSED,	       /* seen while paused, not counted */
	NN_STAT_FILTER_PASSED, /* accepted by the in-kernel filter (or no filter) */
	NN_STAT_COUNTED,       /* added to a flow: in a map or through the ring */
	NN_STAT_OVERFLOW,      /* of those, sent through the overflow ring */
	NN_STAT_UNATTRIBUTED,  /* counted nowhere: map and ring both full (should stay 0) */
	NN_STAT_SKIP_NOT_IP,   /* one counter per NN_SKIP_* verdict */
	NN_STAT_SKIP_TRUNCATED,
	NN_STAT_SKIP_MALFORMED,
	NN_STAT_SKIP_PROTO,
	NN_STAT_SKIP_FRAGMENT, /* non-first fragment whose first fragment is unknown */
	NN_STAT_MAP_FULL,      /* insertions refused by a full map (asks for an early swap) */
	NN_STAT_MAX,
};

/* A packet (or TC GSO packet) that did not fit in its CPU's map. */
struct nn_overflow {
	struct nn_flow_key key;
	__u64 ts_ns;
	__u64 bytes;
	__u32 packets;
	__u32 protos;
	__u32 cpu;
	__u32 pad;
	__u64 ip_bytes;
};
_Static_assert(sizeof(struct nn_overflow) == 80, "overflow record ABI");

/* A datagram whose first fragment was seen: (addresses, protocol, id). */
struct nn_frag_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 id;
	__u8 proto;
	__u8 family;
	__u8 pad[2];
};
_Static_assert(sizeof(struct nn_frag_key) == 40, "fragment key ABI");

struct nn_frag_val {
	struct nn_flow_key key;
	__u64 ts_ns;
	__u32 protos;
	__u32 pad;
};
_Static_assert(sizeof(struct nn_frag_val) == 56, "fragment value ABI");

/* Slots of the PROG_ARRAYs "xdp_progs" and "tc_progs" (tail calls). */
#define NN_PROG_FILTER	0 /* the translated pcap filter; on accept it calls NN_PROG_ACCOUNT */
#define NN_PROG_ACCOUNT 1

#endif /* NASOONE_FLOW_H */
