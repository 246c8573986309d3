#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The file-path benchmark: packet rate of `nasoone -r FILE -w /dev/null`
# with 1 and 2 counting threads and with the default (-j 0: one per CPU
# besides the reader's), side by side with a bare libpcap loop that only
# reads every packet (the floor), on three generated captures; plus peak
# memory per flow (default threads). Figures are ratios measured in this one run: these
# machines are shared and noisy, so each figure is the best of $RUNS, the
# contenders run in turn.
#
# usage: bench.sh NASOONE PCAPGEN PCAP_FLOOR [DIR]
set -euo pipefail

nasoone=$1 pcapgen=$2 floor=$3 dir=${4:-.output/bench}
RUNS=${RUNS:-3}
mkdir -p "$dir"

# name packets flows
captures=(
	"mix-1k 1000000 1000"
	"mix-100k 10000000 100000"
	"mix-1m 2000000 1000000"
)

now() { date +%s.%N; }

# Wall time of one run of a command, in seconds.
run_time() {
	local t0 t1
	t0=$(now)
	"$@" >/dev/null 2>&1
	t1=$(now)
	echo "$t1 - $t0" | bc -l
}

# The smaller of a best so far (empty: none) and a new time.
best_of() {
	if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi
}

# Peak resident memory (KiB) of one run.
peak_kib() {
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1
}

printf '%-9s %9s %8s | %10s %10s %10s %10s | %6s %6s %6s | %9s\n' capture packets rows \
	"floor" "nasoone-j1" "nasoone-j2" "nasoone-j0" "j1/flr" "j2/flr" "j0/flr" "peak MiB"
declare -A peak rows
for c in "${captures[@]}"; do
	read -r name packets flows <<<"$c"
	file=$dir/$name.pcap
	[ -s "$file" ] || "$pcapgen" mix --packets "$packets" --flows "$flows" --seed 1 "$file" >/dev/null
	# The same page cache for every contender: dropped (when root), then read
	# once, so that the file's pages are laid out as a fresh read lays them out.
	sync
	echo 1 2>/dev/null >/proc/sys/vm/drop_caches || true
	cat "$file" >/dev/null
	n=$("$floor" "$file" | cut -d' ' -f1)
	# In turn, a run of each per round: the machine's speed drifts over
	# seconds, and each contender gets the same share of it.
	t_floor="" t_j1="" t_j2="" t_j0=""
	for _ in $(seq "$RUNS"); do
		t_floor=$(best_of "$t_floor" "$(run_time "$floor" "$file")")
		t_j1=$(best_of "$t_j1" "$(run_time "$nasoone" -r "$file" -w /dev/null -j 1)")
		t_j2=$(best_of "$t_j2" "$(run_time "$nasoone" -r "$file" -w /dev/null -j 2)")
		t_j0=$(best_of "$t_j0" "$(run_time "$nasoone" -r "$file" -w /dev/null)")
	done
	peak[$name]=$(peak_kib "$nasoone" -r "$file" -w /dev/null)
	rows[$name]=$("$nasoone" -r "$file" -j 1 2>/dev/null | tail -n +2 | wc -l)
	rate() { echo "$n / $1 / 1000000" | bc -l; }
	printf '%-9s %9d %8d | %5.2f Mpps %5.2f Mpps %5.2f Mpps %5.2f Mpps | %6.2f %6.2f %6.2f | %9.1f\n' \
		"$name" "$n" "${rows[$name]}" "$(rate "$t_floor")" "$(rate "$t_j1")" \
		"$(rate "$t_j2")" "$(rate "$t_j0")" "$(echo "$t_floor / $t_j1" | bc -l)" \
		"$(echo "$t_floor / $t_j2" | bc -l)" "$(echo "$t_floor / $t_j0" | bc -l)" \
		"$(echo "${peak[$name]} / 1024" | bc -l)"
done

# Memory per flow beyond the fixed base: the 1M-flow capture against the 1k-flow one.
extra=$(((${peak[mix-1m]} - ${peak[mix-1k]}) * 1024))
nflows=$((${rows[mix-1m]} - ${rows[mix-1k]}))
printf 'peak memory per flow beyond the base: %.1f bytes (%d extra rows)\n' \
	"$(echo "$extra / $nflows" | bc -l)" "$nflows"
