#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The cost of alert rules: the offline rate of `nasoone -r FILE -w /dev/null`
# on a generated capture of 100k flows with 0, 10 and 100 rules, side by
# side in this one run (each figure the best of $RUNS, the contenders
# interleaved so that the machine's noise falls on all of them). Rules are
# matched once per flow and looked at again only when a flow changes, so
# the goal is >= 0.8 of the rate without rules at 100 rules.
#
# usage: alerts.sh NASOONE PCAPGEN [DIR]
set -euo pipefail

nasoone=$1 pcapgen=$2 dir=${3:-.output/bench}
RUNS=${RUNS:-7}
PACKETS=${ALERT_BENCH_PACKETS:-4000000}
mkdir -p "$dir"
# 100k flows; a snap length of 96 keeps the file small and the reading cheap, so
# that counting (and the alerts) weigh more of the total.
file=$dir/mix-100k-s96.pcap
[ -s "$file" ] || "$pcapgen" mix --packets "$PACKETS" --flows 100000 --seed 1 --snaplen 96 \
	"$file" >/dev/null

# rules N: N rules of every kind -- CIDRs of both families, ports and ranges,
# protocols, first packet, new flow, byte and packet thresholds -- each
# matching a small share of the flows (as alert rules do), or none; the
# actions write a line to a log file.
rules()
{
	local i
	echo "[general]"
	for ((i = 0; i < $1; i++)); do
		echo "[alert r$i]"
		case $((i % 5)) in
		0) echo "src = 10.$((i % 256)).0.0/16" ;;
		1) echo "dport = $((8000 + i))" && echo "proto = tcp" ;;
		2) echo "host = 2001:db8:c:$(printf %x $((i % 256)))00::/56" && echo "on = flow" ;;
		3) echo "dst = 198.18.0.$((i % 100))" && echo "bytes = 1M" && echo "window = 10" ;;
		4) echo "sport = $((1000 + i * 500))-$((1499 + i * 500))" && echo "packets = 100" &&
			echo "window = 5" ;;
		esac
		echo "stderr = no"
		echo "notify = no"
		echo "log = \"$dir/alerts-bench.log\""
	done
}
for n in 10 100; do
	rules $n >"$dir/rules-$n.toml"
done

# Best (smallest) wall time and CPU time (user + system) of each, the three interleaved;
# -Z root: the alert log lies in this folder, which the user privileges drop to cannot write.
declare -A wall cpu
for _ in $(seq "$RUNS"); do
	for n in 0 10 100; do
		args=()
		[ "$n" -gt 0 ] && args=(--config "$dir/rules-$n.toml")
		: >"$dir/alerts-bench.log"
		read -r w u s < <(/usr/bin/time -f '%e %U %S' "$nasoone" -r "$file" -w /dev/null -j 2 -Z root \
			"${args[@]}" 2>&1 >/dev/null | tail -n 1)
		c=$(echo "$u + $s" | bc -l)
		if [ -z "${wall[$n]:-}" ] || [ "$(echo "$w < ${wall[$n]}" | bc -l)" = 1 ]; then
			wall[$n]=$w
		fi
		if [ -z "${cpu[$n]:-}" ] || [ "$(echo "$c < ${cpu[$n]}" | bc -l)" = 1 ]; then
			cpu[$n]=$c
		fi
	done
done
alerts=$(wc -l <"$dir/alerts-bench.log")
packets=$("$nasoone" -r "$file" -w /dev/null -j 2 2>&1 | sed -n 's/^\([0-9]*\) packets received.*/\1/p')
rate() { echo "$packets / $1 / 1000000" | bc -l; }
printf '%-14s %9s | %12s %12s %12s | %6s %6s | %s\n' capture packets "0 rules" "10 rules" \
	"100 rules" "10/0" "100/0" "CPU time 0/10/100 rules"
printf '%-14s %9d | %7.2f Mpps %7.2f Mpps %7.2f Mpps | %6.2f %6.2f | %.2f/%.2f/%.2f s\n' \
	mix-100k-s96 "$packets" "$(rate "${wall[0]}")" "$(rate "${wall[10]}")" "$(rate "${wall[100]}")" \
	"$(echo "${wall[0]} / ${wall[10]}" | bc -l)" "$(echo "${wall[0]} / ${wall[100]}" | bc -l)" \
	"${cpu[0]}" "${cpu[10]}" "${cpu[100]}"
echo "(alerts raised by the 100 rules: $alerts; rates from the best wall time of $RUNS runs)"
