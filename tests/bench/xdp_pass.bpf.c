// SPDX-License-Identifier: GPL-2.0-only
/*
 * The floor of tests/bench/bpf_live.sh: an XDP program that only lets every
 * frame pass, to tell what any XDP program costs the veth path from what
 * nasoone_xdp costs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
