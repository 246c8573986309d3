#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# What the libpcap live path's user-space filter costs (not a test). Since
# the filter runs in user space (so that "received" counts every packet the
# interface saw and "filtered" the ones the filter refused), every packet
# crosses to user space, also those the filter refuses. Two namespaces of
# our own joined by a veth pair (vethA in A, vethB in B; IPv6 off);
# trafgen in B sends $PPS x $SECS 60-byte UDP/IPv4 frames to vethA at $PPS
# per second while `nasoone -i vethA --mode pcap` runs in A, with no filter,
# with a filter that passes everything (udp) and one that refuses
# everything (tcp). Prints the CPU seconds nasoone used (user + system,
# from /proc at its exit) and what it counted. With NASOONE_BASELINE=BIN,
# the same runs of an older build (one whose filter ran in the kernel)
# alternate with this one's, ROUNDS rounds, the least CPU of each kept.
#
# usage: pcap_filter.sh NASOONE [DIR]
#   environment: NASOONE_BASELINE, PF_PPS (100000), PF_SECONDS (5), PF_ROUNDS (3)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=netns.sh
. "$(dirname "$0")/netns.sh"

if [ $# -lt 1 ]; then
	echo "usage: $0 NASOONE [DIR]" >&2
	exit 2
fi
nasoone=$(readlink -f "$1")
dir=${2:-.output/bench-pcap-filter}
base=${NASOONE_BASELINE:+$(readlink -f "$NASOONE_BASELINE")}
PPS=${PF_PPS:-100000}
SECS=${PF_SECONDS:-5}
ROUNDS=${PF_ROUNDS:-3}
bench_require pcap_filter.sh "network namespaces, capture" "iproute2 netsniff-ng gawk" \
	ip trafgen awk

NS_A=nnpf-a-$$
NS_B=nnpf-b-$$
MAC_A=02:00:00:00:02:0a
MAC_B=02:00:00:00:02:0b
npid="" tpid=""
cleanup()
{
	for p in $npid $tpid; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	bench_pair_down "$NS_A" "$NS_B"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$dir"
dir=$(readlink -f "$dir")
bench_pair_up "$NS_A" "$NS_B" $MAC_A $MAC_B 10.202.0
cfg=$dir/udp64.cfg
bench_udp_frames "$cfg" 64 $MAC_A $MAC_B 10.202.0

# run BIN FILTER: "CPU-seconds received counted filtered" of one run.
run()
{
	local bin=$1 filter=$2 err=$dir/err ticks cpu i

	rm -f "$dir/report.txt"
	# shellcheck disable=SC2086 # the filter is words, or none
	ip netns exec "$NS_A" "$bin" -i vethA --mode pcap -w "$dir/report.txt" $filter \
		</dev/null >/dev/null 2>"$err" &
	npid=$!
	for ((i = 0; i < 50; i++)); do
		grep -q '^nasoone: libpcap' "$err" && break
		sleep 0.1
	done
	# One sender (-P 1): -n counts per CPU, so this is the whole count.
	ip netns exec "$NS_B" trafgen -i "$cfg" -o vethB -P 1 -b "${PPS}pps" -n $((PPS * SECS)) \
		-q >/dev/null 2>&1 &
	tpid=$!
	wait $tpid || true
	tpid=""
	sleep 0.5
	# utime + stime of every thread, in clock ticks, just before it stops.
	ticks=$(awk '{ t += $14 + $15 } END { print t }' /proc/$npid/task/*/stat 2>/dev/null)
	kill -INT $npid
	wait $npid || true
	npid=""
	cpu=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }')
	echo "$cpu $(sed -n 's/^\([0-9]*\) packets\{0,1\} received, \([0-9]*\) counted, [0-9]* skipped, \([0-9]*\) filtered.*/\1 \2 \3/p' "$err")" \
		"$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped.*/\1/p' "$err")"
}

printf 'libpcap live on a veth pair, %d 60-byte UDP/IPv4 frames at %d/s, least CPU of %d rounds\n' \
	$((PPS * SECS)) "$PPS" "$ROUNDS"
printf '%-9s %-11s %8s %10s %10s %10s %8s\n' build filter "CPU s" received counted filtered dropped
declare -A best line
builds="this"
[ -n "$base" ] && builds="this baseline"
for ((r = 0; r < ROUNDS; r++)); do
	for f in none udp tcp; do
		for b in $builds; do
			bin=$nasoone
			[ "$b" = baseline ] && bin=$base
			filter=$f
			[ $f = none ] && filter=""
			read -r cpu rx counted filtered dropped < <(run "$bin" "$filter")
			k=$b-$f
			if [ -z "${best[$k]:-}" ] || awk -v a="$cpu" -v b="${best[$k]}" 'BEGIN { exit !(a < b) }'; then
				best[$k]=$cpu
				line[$k]=$(printf '%-9s %-11s %8s %10s %10s %10s %8s' "$b" "$f" "$cpu" "${rx:-?}" \
					"${counted:-?}" "${filtered:-?}" "${dropped:-?}")
			fi
		done
	done
done
for f in none udp tcp; do
	for b in $builds; do
		echo "${line[$b-$f]}"
	done
done
