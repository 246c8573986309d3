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
