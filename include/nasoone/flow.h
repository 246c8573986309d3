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
	__u8 pad[3]; /* always zero */
};
_Static_assert(sizeof(struct nn_flow_key) == 40, "flow key ABI");

/* Per-flow counters as the kernel keeps them (times in ns, see bpf/). */
struct nn_flow_val {
	__u64 first_ns;
	__u64 last_ns;
	__u64 bytes;
	__u64 packets;
	__u32 protos; /* NN_PROTO_* bits */
	__u32 pad;
};
_Static_assert(sizeof(struct nn_flow_val) == 40, "flow value ABI");

#endif /* NASOONE_FLOW_H */
