// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel side of nasoone: parse each frame with the same parser as
 * userspace (include/nasoone/parse.h) and add it to its directional
 * 4-tuple in the per-CPU flows map. Frames that do not count are counted
 * per verdict in the per-CPU stats array. The program never drops or
 * redirects anything: it only watches.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "nasoone/parse.h"

#define NN_FLOWS_MAX 16384

/*
 * Slots of the stats array: one per verdict that does not reach the flows
 * map. The NN_SKIP_* verdicts (-1 .. -4) use slot -verdict; a non-first
 * fragment (NN_FRAGMENT) has no ports of its own and is attributed to its
 * datagram's flow in userspace, so here it is only counted.
 */
enum nn_stat {
	NN_STAT_FRAGMENT = 0, /* NN_FRAGMENT */
	/* 1 .. 4: -NN_SKIP_NOT_IP .. -NN_SKIP_PROTO */
	NN_STAT_MAP_FULL = 5, /* NN_COUNT, but the flows map had no room for a new key */
	NN_STAT_MAX = 8,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, NN_FLOWS_MAX);
	__type(key, struct nn_flow_key);
	__type(value, struct nn_flow_val);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NN_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void nn_stat_inc(__u32 slot)
{
	__u64 *cnt = bpf_map_lookup_elem(&stats, &slot);

	if (cnt)
		(*cnt)++; /* this CPU's slot: no other CPU writes it */
}

static __always_inline __u32 nn_stat_slot(int verdict)
{
	return verdict == NN_FRAGMENT ? NN_STAT_FRAGMENT : (__u32)-verdict;
}

/*
 * Account one Ethernet frame [data, data_end). Shared by every entry point
 * (XDP now, TC later); len is the frame length to add to the flow.
 */
static __always_inline void nn_account(const __u8 *data, const __u8 *data_end, __u64 len)
{
	struct nn_pkt pkt = {}; /* zeroed: the key's padding is hashed too */
	struct nn_flow_val *val;
	__u32 proto;
	__u64 now;
	int verdict;

	verdict = nn_parse_eth(data, data_end, &pkt);
	if (verdict != NN_COUNT) {
		nn_stat_inc(nn_stat_slot(verdict));
		return;
	}
	now = bpf_ktime_get_ns();
	proto = pkt.l4proto == NN_IPPROTO_TCP ? NN_PROTO_TCP : NN_PROTO_UDP;

	val = bpf_map_lookup_elem(&flows, &pkt.key);
	if (!val) {
		struct nn_flow_val init = {
			.first_ns = now,
			.last_ns = now,
			.bytes = len,
			.packets = 1,
			.protos = proto,
		};

		if (!bpf_map_update_elem(&flows, &pkt.key, &init, BPF_NOEXIST))
			return;
		/* Another CPU may have added the key since the lookup (-EEXIST). */
		val = bpf_map_lookup_elem(&flows, &pkt.key);
		if (!val) {
			nn_stat_inc(NN_STAT_MAP_FULL);
			return;
		}
	}
	/*
	 * This CPU's copy of the value: no other CPU writes it, so plain
	 * read-modify-write is safe. It is all zero when another CPU created
	 * the key, hence the first_ns check.
	 */
	if (!val->first_ns)
		val->first_ns = now;
	val->last_ns = now;
	val->bytes += len;
	val->packets++;
	val->protos |= proto;
}

SEC("xdp")
int nasoone_xdp(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *data_end = (const __u8 *)(long)ctx->data_end;

	/* Linear part only: multi-buffer XDP is not attached (no xdp.frags). */
	nn_account(data, data_end, (__u64)(data_end - data));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
