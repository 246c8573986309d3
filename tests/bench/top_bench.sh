#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The cost of `nasoone top` (make bench-top, part of make bench):
#  1. CPU per refresh at 100k and 1M rows (tests/bench/top_bench.c): the
#     snapshot's wall time, and the view model's CPU time for a flow table
#     of idle rows, of rows that all changed, and in the per-host summary;
#     the goal is <= 20 ms of model CPU per refresh at 1M rows.
#  2. The packet rate of a file read with and without the view (in tmux,
#     refreshing every 0.5 s and every 0.1 s), best of $RUNS rounds of the three
#     in turn.
#
# usage: top_bench.sh NASOONE PCAPGEN TOP_BENCH [DIR]
set -euo pipefail

nasoone=$1 pcapgen=$2 top_bench=$3 dir=${4:-.output/bench-top}
RUNS=${RUNS:-3}
mkdir -p "$dir"
dir=$(realpath "$dir")
nasoone=$(realpath "$nasoone")

gen() { # name packets flows
	local f=$dir/$1.pcap
	[ -s "$f" ] || nice -n 10 "$pcapgen" mix --packets "$2" --flows "$3" --seed 1 --snaplen 96 \
		"$f" >/dev/null
	echo "$f"
}

echo "nasoone top: one refresh (median of 9; snapshot = library, wall; model = the view, CPU)"
for c in "top-100k 1000000 100000" "top-1m 3000000 1000000"; do
	read -r name packets flows <<<"$c"
	f=$(gen "$name" "$packets" "$flows")
	"$top_bench" "$f" 9 | sed "s/^/  $name  /"
done

now() { date +%s.%N; }
f=$(gen top-rate 6000000 10000)
# The smaller of two times.
min_t() {
	if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi
}
plain() {
	local t0 t1
	t0=$(now)
	"$nasoone" -r "$f" -w /dev/null -j 2 >/dev/null 2>&1
	t1=$(now)
	echo "$t1 - $t0" | bc -l
}
sock=nasoone-top-bench-$$
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"' EXIT
in_view() { # refresh seconds
	rm -f "$dir/times"
	tmux -L "$sock" new-session -d -s b -x 160 -y 50 \
		"t0=\$(date +%s.%N); $nasoone top -r $f -w /dev/null -j 2 -d $1 --exit-at-end 2>/dev/null; echo \$t0 \$(date +%s.%N) >$dir/times"
	while [ ! -s "$dir/times" ]; do sleep 0.05; done
	read -r t0 t1 <"$dir/times"
	echo "$t1 - $t0" | bc -l
}
n=$("$nasoone" -r "$f" -w /dev/null 2>&1 | sed -n 's/^\([0-9]*\) packets received.*/\1/p')
# Rounds of the three contenders in turn, so that the machine's noise falls on all of them.
t_plain="" t_view="" t_fast=""
for _ in $(seq "$RUNS"); do
	t_plain=$(min_t "$t_plain" "$(plain)")
	t_view=$(min_t "$t_view" "$(in_view 0.5)")
	t_fast=$(min_t "$t_fast" "$(in_view 0.1)")
done
rate() { echo "$n / $1 / 1000000" | bc -l; }
printf 'nasoone top: packet rate of a file (%d packets, 10k rows, -j 2, best of %d)\n' "$n" "$RUNS"
printf '  %-26s %7.2f Mpps\n' "nasoone -r" "$(rate "$t_plain")"
printf '  %-26s %7.2f Mpps  (%.2f of nasoone -r)\n' "nasoone top -r, -d 0.5" "$(rate "$t_view")" \
	"$(echo "$t_plain / $t_view" | bc -l)"
printf '  %-26s %7.2f Mpps  (%.2f of nasoone -r)\n' "nasoone top -r, -d 0.1" "$(rate "$t_fast")" \
	"$(echo "$t_plain / $t_fast" | bc -l)"
