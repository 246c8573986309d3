#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The consumer interface's costs, measured side by side in this one run:
#  - snapshots (snap_bench, public API): the longest a counter stopped for
#    a snapshot step while another thread took snapshots back to back, what
#    one snapshot of every row costs, and the time of the read with
#    snapshots against without, at 1k, 100k and 1M rows;
#  - expiry and the flow log: the time of `-r FILE` with timeouts of 1 s
#    (capture time) and --flow-log against plain;
#  - the keyed hash: a capture crafted to collide under the old unkeyed
#    hash (pcapgen collide) against the same shape with random keys;
#  - with NASOONE_BASELINE=/path/to/an/older/nasoone: its time next to ours
#    on each capture (plain -r FILE -w /dev/null), for regressions.
#
# usage: consumers.sh NASOONE SNAP_BENCH PCAPGEN DIR
set -euo pipefail

nasoone=$1 snap=$2 pcapgen=$3 dir=$4
RUNS=${RUNS:-3}
mkdir -p "$dir"

best_time() {
	local best="" t0 t1 t
	for _ in $(seq "$RUNS"); do
		t0=$(date +%s.%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s.%N)
		t=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
	done
	echo "$best"
}

captures=("mix-1k 1000000 1000" "mix-100k 10000000 100000" "mix-1m 2000000 1000000")
printf '%-9s %8s | %9s %12s %13s %12s %9s %7s\n' capture rows snapshots "stall max ms" \
	"snap ms (run)" "snap ms (all)" "floor ms" "time x"
for c in "${captures[@]}"; do
	read -r name packets flows <<<"$c"
	file=$dir/$name.pcap
	[ -s "$file" ] || "$pcapgen" mix --packets "$packets" --flows "$flows" --seed 1 "$file" >/dev/null
	read -r rows taken stall worst all floor ratio <<<"$("$snap" "$file")"
	printf '%-9s %8d | %9d %12.3f %13.1f %12.1f %9.1f %7.2f\n' "$name" "$rows" "$taken" \
		"$stall" "$worst" "$all" "$floor" "$ratio"
done

echo
printf '%-9s | %9s %13s %7s%s\n' capture "plain s" "expiry+log s" ratio \
	"${NASOONE_BASELINE:+   baseline s  ours/base}"
for c in "${captures[@]}"; do
	read -r name _ <<<"$c"
	file=$dir/$name.pcap
	t_plain=$(best_time "$nasoone" -r "$file" -w /dev/null)
	t_exp=$(best_time "$nasoone" -r "$file" -w /dev/null --idle-timeout 1 --active-timeout 1 \
		--flow-log /dev/null --force)
	line=$(printf '%-9s | %9.3f %13.3f %7.2f' "$name" "$t_plain" "$t_exp" \
		"$(echo "$t_exp / $t_plain" | bc -l)")
	if [ -n "${NASOONE_BASELINE:-}" ]; then
		t_base=$(best_time "$NASOONE_BASELINE" -r "$file" -w /dev/null)
		line+=$(printf '   %10.3f %10.2f' "$t_base" "$(echo "$t_plain / $t_base" | bc -l)")
	fi
	echo "$line"
done

echo
printf '%-22s | %9s %9s %7s\n' "colliding keys" "crafted s" "random s" ratio
for n in 20000 40000; do
	"$pcapgen" collide --packets $n "$dir/collide-$n.pcap"
	"$pcapgen" collide --random --packets $n "$dir/random-$n.pcap"
	t_c=$(best_time "$nasoone" -r "$dir/collide-$n.pcap" -w /dev/null)
	t_r=$(best_time "$nasoone" -r "$dir/random-$n.pcap" -w /dev/null)
	printf '%-22s | %9.3f %9.3f %7.2f\n' "$n flows, one /64" "$t_c" "$t_r" \
		"$(echo "$t_c / $t_r" | bc -l)"
done
