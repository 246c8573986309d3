# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# Sourced by the live benchmarks: a veth pair between two network
# namespaces of their own.

# bench_pair_up NS_A NS_B MAC_A MAC_B NET: namespaces NS_A and NS_B (IPv6
# and forwarding off, so that nothing else is on the wire), joined by vethA
# (MAC_A, NET.1/24, in NS_A) and vethB (MAC_B, NET.2/24, in NS_B), both up.
# Deleting NS_A deletes the pair.
bench_pair_up()
{
	local a=$1 b=$2 mac_a=$3 mac_b=$4 net=$5 ns

	ip netns add "$a"
	ip netns add "$b"
	for ns in "$a" "$b"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 net.ipv4.ip_forward=0
		ip -n "$ns" link set lo up
	done
	ip -n "$a" link add vethA address "$mac_a" type veth peer name vethB address "$mac_b" netns "$b"
	ip -n "$a" addr add "$net.1/24" dev vethA
	ip -n "$b" addr add "$net.2/24" dev vethB
	ip -n "$a" link set vethA up
	ip -n "$b" link set vethB up
}

# bench_require SCRIPT WHY PACKAGES TOOL...: exit 1 with one line unless
# this is root (WHY: what needs it) and every TOOL is there (PACKAGES: the
# Debian packages that bring them).
bench_require()
{
	local script=$1 why=$2 packages=$3 tool

	shift 3
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null; then
			echo "$script: $tool is missing (apt-get install $packages)" >&2
			exit 1
		fi
	done
	if [ "$(id -u)" != 0 ]; then
		echo "$script: needs root ($why)" >&2
		exit 1
	fi
}

# bench_pair_down NS_A NS_B: remove both namespaces (and with A the veth pair).
bench_pair_down()
{
	ip netns del "$1" 2>/dev/null || true
	ip netns del "$2" 2>/dev/null || true
}

# bench_udp_frames FILE COUNT MAC_A MAC_B NET: a trafgen configuration of
# COUNT 60-byte UDP/IPv4 frames from vethB (MAC_B) to vethA (MAC_A), one per
# source port from 20000 on: 14 + 20 + 8 + 18 bytes.
bench_udp_frames()
{
	local file=$1 count=$2 mac_a=$3 mac_b=$4 net=$5 i

	for ((i = 0; i < count; i++)); do
		printf '{ eth(da=%s, sa=%s, type=0x0800), ipv4(saddr=%s.2, daddr=%s.3, ttl=64), udp(sport=%d, dport=9), fill(0x00, 18) }\n' \
			"$mac_a" "$mac_b" "$net" "$net" $((20000 + i))
	done >"$file"
}
