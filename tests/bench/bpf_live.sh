#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The live eBPF benchmark (not a test): does nasoone count every packet
# that reaches the interface? Two network namespaces of our own joined by
# a veth pair (vethA 10.201.0.1/24 in A, vethB .2 in B; GRO, GSO and TSO
# off, IPv6 off so that nothing else is on the wire). trafgen in B sends
# 64-byte UDP/IPv4 frames (60 bytes without the FCS) of $FLOWS flows (one
# source port each) to vethA for $SECS seconds, as fast as it can and at
# the fixed rates of $RATES, while `nasoone -i vethA --mode M -t 1` runs
# in A, for M in xdp, tc and pcap, one run each.
#
# The frames go to a host address that A does not have, with forwarding
# off: A drops them after nasoone has seen them and sends nothing back.
#
# Columns: offered = the packets vethB sent (its tx_packets), kpps = the
# same per second, trafgen = trafgen's own count ("?" when it printed
# none: it does not after a failed flush of its ring at exit), at vethA =
# its rx_packets, counted / received / dropped / if drop = nasoone's
# statistics at exit; veth drop = drops the veth pair counted (vethB
# tx_dropped + vethA rx_dropped): frames trafgen handed to vethB that
# never reached any hook, so not in "offered".
#
# Two more runs give the floor, as rate only: "none" with nothing
# attached to vethA, "xdp-pass" with an XDP program that only returns
# XDP_PASS ($LIVE_XDP_FLOOR, an object file; skipped without it). On a
# veth the sender's CPU mostly runs the receive path too, so the hook's cost
# lowers the offered rate more than it causes drops.
#
# trafgen stops after $SECS seconds with SIGINT; what is still running in
# namespace B after 3 s more is killed, and the counters are read once
# vethB has stopped sending.
#
# usage: bpf_live.sh NASOONE [DIR]
#   environment: LIVE_SECONDS (5), LIVE_FLOWS (256),
#                LIVE_RATES ("max 300000pps 100000pps": trafgen -b rates,
#                each sent by one trafgen process; max: one process per
#                CPU, no limit), LIVE_MODES ("none xdp-pass xdp tc pcap"),
#                LIVE_XDP_FLOOR (the XDP_PASS object)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=netns.sh
. "$(dirname "$0")/netns.sh"

if [ $# -lt 1 ]; then
	echo "usage: $0 NASOONE [DIR]" >&2
	exit 2
fi
nasoone=$(readlink -f "$1")
dir=${2:-.output/bench-live}
SECS=${LIVE_SECONDS:-5}
FLOWS=${LIVE_FLOWS:-256}
RATES=${LIVE_RATES:-"max 300000pps 100000pps"}
MODES=${LIVE_MODES:-"none xdp-pass xdp tc pcap"}
XDP_FLOOR=${LIVE_XDP_FLOOR:-}

bench_require bpf_live.sh "network namespaces, eBPF" "iproute2 ethtool netsniff-ng gawk" \
	ip ethtool trafgen awk

NS_A=nnbench-a-$$
NS_B=nnbench-b-$$
MAC_A=02:00:00:00:01:0a
MAC_B=02:00:00:00:01:0b
npid=""

# stop_b: every process in namespace B (trafgen and its children) gets
# SIGINT, again each second, and SIGKILL after 3 s. Prints how many had to
# be killed.
stop_b()
{
	local i pids killed=0

	for ((i = 0; i < 60; i++)); do
		pids=$(ip netns pids "$NS_B" 2>/dev/null) || break
		[ -z "$pids" ] && break
		# shellcheck disable=SC2086 # one PID per word
		if ((i == 30)); then
			killed=$(wc -w <<<"$pids")
			kill -KILL $pids 2>/dev/null || true
		elif ((i % 10 == 0)); then
			kill -INT $pids 2>/dev/null || true
		fi
		sleep 0.1
	done
	echo "$killed"
}

cleanup()
{
	if [ -n "$npid" ]; then
		kill -KILL "$npid" 2>/dev/null || true
		wait "$npid" 2>/dev/null || true
	fi
	if ip netns pids "$NS_B" >/dev/null 2>&1; then
		stop_b >/dev/null
	fi
	bench_pair_down "$NS_A" "$NS_B"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$dir"
dir=$(readlink -f "$dir")

bench_pair_up "$NS_A" "$NS_B" $MAC_A $MAC_B 10.201.0
ip netns exec "$NS_A" ethtool -K vethA gro off gso off tso off >/dev/null
ip netns exec "$NS_B" ethtool -K vethB gro off gso off tso off >/dev/null

# $FLOWS packets, one per source port, sent round robin.
cfg=$dir/udp64.cfg
bench_udp_frames "$cfg" "$FLOWS" $MAC_A $MAC_B 10.201.0

stat_of() # NS DEV COUNTER
{
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}

# snapshot: "offered at-vethA veth-drops"
snapshot()
{
	echo "$(stat_of "$NS_B" vethB tx_packets) $(stat_of "$NS_A" vethA rx_packets)" \
		"$(($(stat_of "$NS_B" vethB tx_dropped) + $(stat_of "$NS_A" vethA rx_dropped)))"
}

# settle: wait (at most 5 s) until vethB has sent nothing for half a second.
settle()
{
	local i prev now

	prev=$(stat_of "$NS_B" vethB tx_packets)
	for ((i = 0; i < 10; i++)); do
		sleep 0.5
		now=$(stat_of "$NS_B" vethB tx_packets)
		[ "$now" = "$prev" ] && return 0
		prev=$now
	done
	return 1
}

# wait_for FILE PATTERN SECONDS: PATTERN in FILE while nasoone runs.
wait_for()
{
	local i

	for ((i = 0; i < $3 * 10; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$npid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# field FILE TEXT: the number before TEXT in nasoone's statistics.
field()
{
	sed -n "s/.*\b\([0-9][0-9]*\) $2.*/\1/p" "$1" | head -n 1
}

printf 'live capture on a veth pair: 60-byte UDP/IPv4 frames (64 with FCS), %d flows, %d s a run, %d CPUs\n' \
	"$FLOWS" "$SECS" "$(nproc)"
printf '%-9s %-8s %9s %6s %9s %9s %9s %7s %9s %8s %8s %5s\n' rate mode offered kpps \
	trafgen "at vethA" counted "%" received dropped "if drop" veth
printf '%-9s %-8s %9s %6s %9s %9s %9s %7s %9s %8s %8s %5s\n' "" "" "" "" "" "" "" \
	"" "" "" "" drop
short="" notes="" vdrop=""
for rate in $RATES; do
	for m in $MODES; do
		d=$dir/$rate-$m
		mkdir -p "$d"
		if [ "$rate" = max ]; then
			tg_opt=(-P "$(nproc)")
		else
			tg_opt=(-P 1 -b "$rate")
		fi
		case $m in
		none) ;;
		xdp-pass)
			if [ -z "$XDP_FLOOR" ]; then
				continue
			fi
			ip -n "$NS_A" link set dev vethA xdpdrv obj "$XDP_FLOOR" sec xdp
			;;
		*)
			ip netns exec "$NS_A" "$nasoone" -i vethA --mode "$m" -w "$d/report.txt" --force \
				-t 1 </dev/null >"$d/nasoone.out" 2>"$d/nasoone.err" &
			npid=$!
			if ! wait_for "$d/nasoone.err" '^nasoone: \(eBPF\|libpcap\)' 10; then
				echo "bpf_live.sh: nasoone --mode $m did not start:" >&2
				cat "$d/nasoone.err" >&2
				exit 1
			fi
			;;
		esac

		read -r tx0 rx0 drop0 <<<"$(snapshot)"
		ip netns exec "$NS_B" trafgen -o vethB -i "$cfg" "${tg_opt[@]}" --no-sock-mem -Q \
			</dev/null >"$d/trafgen.out" 2>&1 &
		tpid=$!
		sleep "$SECS"
		killed=$(stop_b)
		wait "$tpid" || true
		if [ "$killed" != 0 ]; then
			notes+="  $rate/$m: $killed trafgen process(es) ignored SIGINT for 3 s and were killed\n"
		fi
		settle || notes+="  $rate/$m: vethB still sending 5 s after trafgen ended\n"
		sleep 0.5 # what is queued reaches nasoone
		read -r tx1 rx1 drop1 <<<"$(snapshot)"
		offered=$((tx1 - tx0))
		tg=$(sed -n 's/^[[:space:]]*\([0-9][0-9]*\) packets outgoing.*/\1/p' "$d/trafgen.out" | tail -n 1)
		kpps=$((offered / SECS / 1000))

		case $m in
		none | xdp-pass)
			[ "$m" = xdp-pass ] && ip -n "$NS_A" link set dev vethA xdpdrv off
			printf '%-9s %-8s %9d %6d %9s %9d %9s %7s %9s %8s %8s %5d\n' "$rate" "$m" \
				"$offered" "$kpps" "${tg:-?}" $((rx1 - rx0)) - - - - - $((drop1 - drop0))
			continue
			;;
		esac
		kill -INT "$npid"
		if ! wait "$npid"; then
			echo "bpf_live.sh: nasoone --mode $m failed:" >&2
			cat "$d/nasoone.err" >&2
			exit 1
		fi
		npid=""
		counted=$(field "$d/nasoone.err" counted)
		received=$(field "$d/nasoone.err" 'packets received')
		dropped=$(field "$d/nasoone.err" 'packets dropped')
		ifdrop=$(field "$d/nasoone.err" 'dropped by interface')
		pct=$(awk -v c="$counted" -v o="$offered" 'BEGIN { printf "%.2f", o ? 100 * c / o : 0 }')
		printf '%-9s %-8s %9d %6d %9s %9d %9d %7s %9d %8d %8d %5d\n' "$rate" "$m" "$offered" \
			"$kpps" "${tg:-?}" $((rx1 - rx0)) "$counted" "$pct" "$received" "$dropped" \
			"$ifdrop" $((drop1 - drop0))
		if [ "$m" != pcap ] && [ "$counted" -ne "$offered" ]; then
			short="$short $rate/$m"
		fi
		if [ "$m" != pcap ] && [ $((drop1 - drop0)) -ne 0 ]; then
			vdrop="$vdrop $rate/$m"
		fi
	done
done
if [ -n "$notes" ]; then
	printf 'notes:\n%b' "$notes"
fi
if [ -z "$short" ]; then
	echo "eBPF modes: every offered packet counted (100%) in every run"
else
	echo "eBPF modes did NOT count 100% of the offered packets in:$short"
fi
if [ -n "$vdrop" ]; then
	echo "the veth pair itself dropped frames before any hook (not offered, not seen) in:$vdrop"
fi
