// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel side of nasoone: parse each frame with the same parser as
 * userspace (include/nasoone/parse.h) and add it to its directional
 * 4-tuple in this CPU's flow map. The programs never drop, redirect or
 * change a packet: they only watch.
 *
 * Programs (the ABI is include/nasoone/flow.h):
 *   nasoone_xdp, nasoone_tc_ingress, nasoone_tc_egress   entry points
 *   nasoone_xdp_account, nasoone_tc_account              slot NN_PROG_ACCOUNT
 *
 * An entry point counts NN_STAT_SEEN; while paused it counts NN_STAT_PAUSED
 * and stops. With a filter (use_filter) it tail-calls slot NN_PROG_FILTER,
 * the program userspace translates from the pcap expression, which
 * tail-calls NN_PROG_ACCOUNT on accept and just returns on reject. An
 * empty filter slot falls through to accounting, as does no filter at all.
 *
 * Wire length, the bytes and packets added to a flow:
 *   XDP: bytes = bpf_xdp_get_buff_len(), the whole frame from the Ethernet
 *        header, all buffers of a multi-buffer frame (the programs are
 *        xdp.frags; the headers the parser reads are in the first buffer);
 *        packets = 1.
 *   TC:  segs  = skb->gso_segs for a GSO/GRO skb (> 1), else 1;
 *        hdr   = the headers every further segment repeats: from the
 *                Ethernet header to the end of the TCP header (data offset
 *                * 4) or of the 8-byte UDP header;
 *        vlan  = 4 if the VLAN tag was moved into skb metadata (it was, or
 *                will be, on the wire), else 0;
 *        bytes = skb->len + (segs - 1) * hdr + segs * vlan; packets = segs.
 *        skb->len starts at the Ethernet header on both hooks. For a
 *        tunnelled GSO skb (VXLAN, Geneve) hdr stops at the outer
 *        TCP/UDP header: the inner headers of later segments are missed.
 *   Neither counts the FCS, like the original length of a pcap record.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "nasoone/parse.h"

/*
 * TC verdict: -1 is TCX_NEXT for tcx links and TC_ACT_UNSPEC for a
 * cls_bpf filter in direct-action mode, the same "no opinion" in both:
 * later programs and filters still run, and the packet passes when none
 * decides. TC_ACT_OK (= TCX_PASS) would end the chain and skip them.
 */
#define NN_TC_CONTINUE (-1)

/*
 * A TC skb may hold only part of its headers in the linear data that a
 * program can read; when the parse finds the ports missing there, this
 * many bytes (or the whole skb if shorter) are pulled in and it parses
 * again.
 */
#define NN_TC_PULL_BYTES 256

/* Set by userspace between __open() and __load(): a filter is in use. */
const volatile __u32 use_filter = 0;
/* Set likewise when a capture is replayed: time and length come from it. */
const volatile __u32 replay = 0;

/* Written by userspace at any time through the skeleton's bss. */
volatile __u32 paused;
/*
 * Replay only: the capture record's time in ms since the epoch, as the file
 * path has it; replayed flows keep times in ms (a 64-bit ns count would not
 * hold every time a pcapng file can give).
 */
volatile __u64 replay_ts_ms;
/* Replay only: the frame's original length in the capture (the copy may be cut). */
volatile __u32 replay_len;

#ifdef NN_BENCH_NEW_FLOWS
/*
 * Only in the benchmark's own build (tests/bench/bench.mk), never in
 * nasoone: every packet xors a counter, masked, into the key's source
 * address. With mask ~0 the repeat loop of BPF_PROG_TEST_RUN inserts a new
 * flow at every run; with mask 0 the same instructions hit one flow, which
 * measures what the counter itself costs.
 */
__u32 nn_bench_mask SEC(".data.bench") = 0;
__u32 nn_bench_seq SEC(".data.bench") = 0;

static __always_inline void nn_bench_vary(struct nn_flow_key *key)
{
	__u32 a;

	__builtin_memcpy(&a, &key->saddr[12], 4); /* the IPv4 address, or an IPv6 one's end */
	a ^= nn_bench_seq++ & nn_bench_mask;
	__builtin_memcpy(&key->saddr[12], &a, 4);
}
#endif

/*
 * One CPU's flows; userspace creates the real maps with this layout.
 * Sizes, not __type(): clang emits only a forward declaration for a struct
 * reached through a map definition nested in another, and libbpf cannot
 * size a forward declaration.
 */
struct flows_inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NN_FLOWS_PER_CPU);
	__uint(key_size, sizeof(struct nn_flow_key));
	__uint(value_size, sizeof(struct nn_flow_val));
};

/* The same for IPv4 flows, with the short key. */
struct flows_inner4 {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NN_FLOWS_PER_CPU);
	__uint(key_size, sizeof(struct nn_flow_key4));
	__uint(value_size, sizeof(struct nn_flow_val));
};

/* IPv6 flows (and the layout of every flow key userspace sees). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, NN_MAX_CPUS);
	__type(key, __u32);
	__array(values, struct flows_inner);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, NN_MAX_CPUS);
	__type(key, __u32);
	__array(values, struct flows_inner4);
} flows4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, NN_OVERFLOW_RING_BYTES);
} overflow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NN_FRAG_ENTRIES);
	__type(key, struct nn_frag_key);
	__type(value, struct nn_frag_val);
} frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NN_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void nn_stat_add(__u32 stat, __u64 packets)
{
	__u64 *cnt = bpf_map_lookup_elem(&stats, &stat);

	if (cnt)
		*cnt += packets; /* this CPU's slot: no other CPU writes it */
}

/* NN_SKIP_NOT_IP (-1) .. NN_SKIP_PROTO (-4) to their stats, in order. */
static __always_inline void nn_stat_skip(int verdict, __u64 packets)
{
	nn_stat_add(NN_STAT_SKIP_NOT_IP - 1 - verdict, packets);
}

static __always_inline __u32 nn_proto_bit(__u8 l4proto)
{
	return l4proto == NN_IPPROTO_TCP ? NN_PROTO_TCP : NN_PROTO_UDP;
}

/* The datagram a fragment belongs to: (family, addresses, protocol, id). */
static __always_inline void nn_frag_key_of(const struct nn_pkt *pkt, struct nn_frag_key *fk)
{
	__builtin_memcpy(fk->saddr, pkt->key.saddr, sizeof(fk->saddr));
	__builtin_memcpy(fk->daddr, pkt->key.daddr, sizeof(fk->daddr));
	fk->id = pkt->frag_id;
	fk->proto = pkt->frag_proto;
	fk->family = pkt->key.family;
}

/* A first fragment: its datagram's later fragments count in its flow. */
static __always_inline void nn_frag_remember(const struct nn_pkt *pkt, __u64 ts, __u32 proto)
{
	struct nn_frag_key fk = {}; /* zeroed: the padding is hashed too */
	struct nn_frag_val fv = {};

	nn_frag_key_of(pkt, &fk);
	fv.key = pkt->key;
	fv.ts_ns = ts;
	fv.protos = proto;
	/* The most recent first fragment wins; the LRU evicts the oldest. */
	bpf_map_update_elem(&frags, &fk, &fv, BPF_ANY);
}

/*
 * A later fragment: take the flow key and protocol of its datagram's first
 * fragment, if that was seen at most NN_FRAG_TTL_NS before. Returns 0 when
 * found, -1 otherwise.
 */
static __always_inline int nn_frag_find(struct nn_pkt *pkt, __u64 ts, __u32 *proto)
{
	struct nn_frag_key fk = {};
	struct nn_frag_val *fv;

	nn_frag_key_of(pkt, &fk);
	fv = bpf_map_lookup_elem(&frags, &fk);
	if (!fv)
		return -1;
	/* Replayed time may go backwards: only a later packet makes an entry old
	 * (user/capture/frag.c). */
	if (ts > fv->ts_ns && ts - fv->ts_ns > (replay ? NN_FRAG_TTL_MS : NN_FRAG_TTL_NS))
		return -1;
	pkt->key = fv->key;
	*proto = fv->protos;
	return 0;
}

/* The flow did not fit in this CPU's map: hand it to userspace whole. */
static __always_inline void nn_ring_add(const struct nn_flow_key *key, __u64 ts, __u64 bytes,
					__u64 ip_bytes, __u32 packets, __u32 proto, __u32 cpu)
{
	struct nn_overflow *rec;

	rec = bpf_ringbuf_reserve(&overflow, sizeof(*rec), 0);
	if (!rec) {
		nn_stat_add(NN_STAT_UNATTRIBUTED, packets);
		return;
	}
	/* Ring memory is not zeroed: set every field, padding included. */
	rec->key = *key;
	rec->ts_ns = ts;
	rec->bytes = bytes;
	rec->ip_bytes = ip_bytes;
	rec->packets = packets;
	rec->protos = proto;
	rec->cpu = cpu;
	rec->pad = 0;
	/* Wake the reader now: it swaps the full map early. */
	bpf_ringbuf_submit(rec, BPF_RB_FORCE_WAKEUP);
	nn_stat_add(NN_STAT_COUNTED, packets);
	nn_stat_add(NN_STAT_OVERFLOW, packets);
}

/*
 * Add to the flow in map (this CPU's map of the flow's family) under
 * map_key: 0, or -1 when it cannot (no map, or the map is full).
 */
static __always_inline int nn_map_add(void *map, const void *map_key, __u64 ts, __u64 bytes,
				      __u64 ip_bytes, __u32 packets, __u32 proto)
{
	struct nn_flow_val *val;

	if (!map)
		return -1; /* userspace has not filled this CPU's slot */
	val = bpf_map_lookup_elem(map, map_key);
	if (val) {
		/*
		 * Only programs on this CPU touch this map, and they do not
		 * nest (XDP and TC run in softirq or with BH off): plain
		 * read-modify-write, no atomics.
		 */
		val->bytes += bytes;
		val->ip_bytes += ip_bytes;
		val->packets += packets;
		val->protos |= proto;
		if (ts > val->last_ns)
			val->last_ns = ts;
		if (ts < val->first_ns)
			val->first_ns = ts; /* replayed time may go backwards */
	} else {
		struct nn_flow_val init = {
			.first_ns = ts,
			.last_ns = ts,
			.bytes = bytes,
			.ip_bytes = ip_bytes,
			.packets = packets,
			.protos = proto,
		};

		/* -E2BIG: the map is full (-EEXIST cannot happen on one CPU). */
		if (bpf_map_update_elem(map, map_key, &init, BPF_NOEXIST)) {
			nn_stat_add(NN_STAT_MAP_FULL, packets);
			return -1;
		}
	}
	return 0;
}

/* Add to the flow key in this CPU's map, or to the ring when it cannot. */
static __always_inline void nn_flow_add(const struct nn_flow_key *key, __u64 ts, __u64 bytes,
					__u64 ip_bytes, __u32 packets, __u32 proto)
{
	__u32 cpu = bpf_get_smp_processor_id();
	int ret;

	if (key->family == NN_FAMILY_IPV4) {
		struct nn_flow_key4 key4;

		__builtin_memcpy(key4.saddr, &key->saddr[12], 4);
		__builtin_memcpy(key4.daddr, &key->daddr[12], 4);
		key4.sport = key->sport;
		key4.dport = key->dport;
		key4.proto = key->pad[NN_KEY_PROTO];
		key4.pad[0] = key4.pad[1] = key4.pad[2] = 0; /* hashed too */
		ret = nn_map_add(bpf_map_lookup_elem(&flows4, &cpu), &key4, ts, bytes, ip_bytes,
				 packets, proto);
		/*
		 * Keeps the compiler from merging the two families' map calls
		 * into one: the verifier inlines a lookup only when one call
		 * always sees the same kind of map.
		 */
		asm volatile("%0 += 0" : "+r"(ret)::"memory");
	} else {
		ret = nn_map_add(bpf_map_lookup_elem(&flows, &cpu), key, ts, bytes, ip_bytes,
				 packets, proto);
		asm volatile("%0 |= 0" : "+r"(ret)::"memory");
	}
	if (ret) {
		nn_ring_add(key, ts, bytes, ip_bytes, packets, proto, cpu);
		return;
	}
	nn_stat_add(NN_STAT_COUNTED, packets);
}

/*
 * Count a frame the parser accepted (verdict NN_COUNT or NN_FRAGMENT) as
 * packets wire packets of bytes bytes in all, l2 bytes of each before the
 * IP header.
 */
static __always_inline void nn_count(struct nn_pkt *pkt, int verdict, __u64 bytes, __u32 packets,
				     __u32 l2)
{
	__u64 ts;
	__u32 proto;

	if (replay) {
		ts = replay_ts_ms; /* the capture's time (ms), possibly 0 */
		if (replay_len)
			bytes = replay_len;
	} else {
		ts = bpf_ktime_get_boot_ns(); /* CLOCK_BOOTTIME: see user/capture/bpf_src.c */
	}
	if (verdict == NN_FRAGMENT) {
		if (nn_frag_find(pkt, ts, &proto)) {
			nn_stat_add(NN_STAT_SKIP_FRAGMENT, packets);
			return;
		}
	} else {
		proto = nn_proto_bit(pkt->l4proto);
		if (pkt->frag == NN_FRAG_FIRST)
			nn_frag_remember(pkt, ts, proto);
	}
#ifdef NN_BENCH_NEW_FLOWS
	nn_bench_vary(&pkt->key);
#endif
	nn_flow_add(&pkt->key, ts, bytes, nn_ip_octets(pkt, bytes, packets, l2), packets, proto);
}

/* Entry: count the packet; 0 when paused, so it is not accounted. */
static __always_inline int nn_enter(__u32 packets)
{
	nn_stat_add(NN_STAT_SEEN, packets);
	if (paused) {
		nn_stat_add(NN_STAT_PAUSED, packets);
		return 0;
	}
	return 1;
}

/* XDP */

static __always_inline void nn_xdp_account(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *data_end = (const __u8 *)(long)ctx->data_end;
	struct nn_pkt pkt = {}; /* zeroed: the key's padding is hashed too */
	int verdict;

	nn_stat_add(NN_STAT_FILTER_PASSED, 1);
	verdict = nn_parse_eth(data, data_end, &pkt);
	if (verdict < 0) {
		nn_stat_skip(verdict, 1);
		return;
	}
	nn_count(&pkt, verdict, bpf_xdp_get_buff_len(ctx), 1, (__u32)(pkt.l3 - data));
}

SEC("xdp.frags")
int nasoone_xdp_account(struct xdp_md *ctx)
{
	nn_xdp_account(ctx);
	return XDP_PASS;
}

/*
 * Filled by userspace, which loads only the programs its mode runs (a
 * static initializer would need every one of them loaded): the account
 * program in NN_PROG_ACCOUNT, for the filter to tail-call, and the filter
 * in NN_PROG_FILTER. The kernel lets programs
 * tail-call each other only when they match: the filter must be loaded
 * as these are, with expected_attach_type BPF_XDP and BPF_F_XDP_HAS_FRAGS
 * (what xdp.frags means; 6.18 refuses a mismatch).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32)); /* a BTF key type makes the kernel refuse the map */
	__array(values, int(struct xdp_md *));
} xdp_progs SEC(".maps");

static __always_inline int nn_xdp(struct xdp_md *ctx)
{
	if (!nn_enter(1))
		return XDP_PASS;
	if (use_filter)
		bpf_tail_call(ctx, &xdp_progs, NN_PROG_FILTER);
	/* No filter, or its slot is empty (the tail call returned). */
	nn_xdp_account(ctx);
	return XDP_PASS;
}

/*
 * xdp.frags (BPF_F_XDP_HAS_FRAGS), like nasoone_xdp_account and the
 * filter: a driver in native mode takes the program even when the MTU
 * needs several buffers (jumbo frames). The parser reads only the first
 * buffer, which holds the headers; the filter reads past it through
 * bpf_xdp_load_bytes() (user/capture/cbpf.c).
 */
SEC("xdp.frags")
int nasoone_xdp(struct xdp_md *ctx)
{
	return nn_xdp(ctx);
}

/* TC */

/* Wire packets in an skb: a GSO/GRO skb stands for gso_segs frames. */
static __always_inline __u32 nn_tc_packets(const struct __sk_buff *skb)
{
	__u32 segs = skb->gso_segs;

	return segs > 1 ? segs : 1;
}

/* Wire bytes of an skb (see the top of this file). */
static __always_inline __u64 nn_tc_bytes(const struct __sk_buff *skb, const struct nn_pkt *pkt,
					 const __u8 *data, const __u8 *data_end, __u32 segs)
{
	__u64 bytes = skb->len;
	__u32 hdr;

	if (skb->vlan_present)
		bytes += 4 * (__u64)segs;
	/* NN_FRAGMENT has no transport header; a GSO fragment never occurs. */
	if (segs <= 1 || !pkt->l4)
		return bytes;
	hdr = (__u32)(pkt->l4 - data);
	if (pkt->l4proto == NN_IPPROTO_UDP)
		hdr += 8;
	else if (pkt->l4 + 13 <= data_end) /* the verifier wants this check */
		hdr += (__u32)(pkt->l4[12] >> 4) * 4;
	else
		hdr += 20; /* cannot happen for a GSO skb: assume no options */
	return bytes + (__u64)(segs - 1) * hdr;
}

static __always_inline void nn_tc_account(struct __sk_buff *skb)
{
	__u32 packets = nn_tc_packets(skb);
	struct nn_pkt pkt = {}; /* zeroed: the key's padding is hashed too */
	const __u8 *data, *data_end;
	__u32 len;
	int verdict;

	nn_stat_add(NN_STAT_FILTER_PASSED, packets);
	data = (const __u8 *)(long)skb->data;
	data_end = (const __u8 *)(long)skb->data_end;
	verdict = nn_parse_eth(data, data_end, &pkt);
	/*
	 * Only the linear part of an skb is readable, and some drivers leave
	 * headers in page fragments: pull more in and parse again. Rare, so
	 * the common path never pays for a pull (which may copy the head).
	 */
	if (verdict == NN_SKIP_TRUNCATED && data_end - data < skb->len) {
		len = skb->len < NN_TC_PULL_BYTES ? skb->len : NN_TC_PULL_BYTES;
		if (!bpf_skb_pull_data(skb, len)) {
			/* The pull invalidates every packet pointer: load them again. */
			data = (const __u8 *)(long)skb->data;
			data_end = (const __u8 *)(long)skb->data_end;
			__builtin_memset(&pkt, 0, sizeof(pkt));
			verdict = nn_parse_eth(data, data_end, &pkt);
		}
	}
	if (verdict < 0) {
		nn_stat_skip(verdict, packets);
		return;
	}
	/* A VLAN tag the driver took out is on the wire all the same. */
	nn_count(&pkt, verdict, nn_tc_bytes(skb, &pkt, data, data_end, packets), packets,
		 (__u32)(pkt.l3 - data) + (skb->vlan_present ? 4 : 0));
}

SEC("tc")
int nasoone_tc_account(struct __sk_buff *skb)
{
	nn_tc_account(skb);
	return NN_TC_CONTINUE;
}

/* Filled like xdp_progs. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct __sk_buff *));
} tc_progs SEC(".maps");

static __always_inline int nn_tc(struct __sk_buff *skb)
{
	if (!nn_enter(nn_tc_packets(skb)))
		return NN_TC_CONTINUE;
	if (use_filter)
		bpf_tail_call(skb, &tc_progs, NN_PROG_FILTER);
	/* No filter, or its slot is empty (the tail call returned). */
	nn_tc_account(skb);
	return NN_TC_CONTINUE;
}

/* Ingress and egress are the same program; two names for two hooks. */
SEC("tc")
int nasoone_tc_ingress(struct __sk_buff *skb)
{
	return nn_tc(skb);
}

SEC("tc")
int nasoone_tc_egress(struct __sk_buff *skb)
{
	return nn_tc(skb);
}

char LICENSE[] SEC("license") = "GPL";
