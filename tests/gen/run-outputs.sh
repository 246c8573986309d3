#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run-outputs.sh NASOONE PCAPGEN RULES_DIR [CORPUS_PCAPS]
#
# The outputs built on the consumer interface, on every generated capture
# (and the corpus when given and present):
#  - formats: --format csv and json read back (outputs.py) equal the
#    nasoone format's expected report, row for row in the same order;
#  - expiry: with idle and active timeouts on the capture's clock, the
#    report is unchanged, and the flow log's ended rows sum to its
#    packets and bytes, with -j 1 and -j 4;
#  - bounded reports: with -G (rotation) and --max-flows (the cap) the
#    reports of all periods, merged per 4-tuple, equal the one report.
# Ends with "N passed, N failed".
set -u

bin=${1:?usage: run-outputs.sh NASOONE PCAPGEN RULES_DIR [CORPUS_PCAPS]}
pcapgen=${2:?pcapgen}
rules=${3:?rules dir}
corpus=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
py="python3 $here/outputs.py"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

verdict() {
	if [ -z "$2" ]; then
		echo "[$1] PASS"
		passed=$((passed + 1))
	else
		echo "[$1] FAIL: $2"
		failed=$((failed + 1))
	fi
}

# Totals of a nasoone report: "packets bytes".
report_sums() {
	awk -F'; ' 'NR > 1 { p += $9; b += $8 } END { printf "%d %d\n", p, b }' "$1"
}

check_capture() {
	local path=$1 name=$2 ref=$tmp/ref why fmt j

	rm -f "$tmp"/*
	if ! "$bin" -r "$path" -w "$ref" 2>/dev/null && [ ! -s "$ref" ]; then
		return # a capture nasoone refuses has no report to compare
	fi
	why=
	for fmt in csv json; do
		"$bin" -r "$path" -w "$tmp/out.$fmt" --format "$fmt" 2>/dev/null
		$py "$fmt" "$tmp/out.$fmt" >"$tmp/back.$fmt" 2>"$tmp/err" || why="$fmt: $(cat "$tmp/err")"
		[ -n "$why" ] || cmp -s "$ref" "$tmp/back.$fmt" || why="$fmt read back differs"
		[ -z "$why" ] || break
	done
	verdict "formats $name" "$why"

	why=
	for j in 1 4; do
		rm -f "$tmp/exp" "$tmp/log"
		# Planned for j + 1 CPUs: j counters really run on a file, even on 2 CPUs.
		NASOONE_CPUS=$((j + 1)) "$bin" -r "$path" -j $j -w "$tmp/exp" --idle-timeout 1 \
			--active-timeout 2 --flow-log "$tmp/log" 2>"$tmp/exp.err"
		if [ ! -s "$tmp/exp" ]; then
			why="-j $j: no report: $(grep -m 1 '^nasoone:' "$tmp/exp.err")"
		elif ! cmp -s "$ref" "$tmp/exp"; then
			# The first differing lines (< plain report, > with expiry), to see why.
			why="-j $j: the report changed with expiry: $(diff "$ref" "$tmp/exp" 2>&1 |
				grep '^[<>]' | head -n 4 | tr '\n' '|')"
		elif [ "$($py sums "$tmp/log" | cut -d' ' -f1,2)" != "$(report_sums "$ref")" ]; then
			why="-j $j: flow log $($py sums "$tmp/log") against report $(report_sums "$ref")"
		fi
		[ -z "$why" ] || break
	done
	verdict "expiry $name" "$why"

	why=
	rows=$(($(wc -l <"$ref") - 1))
	mkdir -p "$tmp/rot" "$tmp/cap"
	"$bin" -r "$path" -w "$tmp/rot/r-%s" -G 1 2>/dev/null
	"$bin" -r "$path" -w "$tmp/cap/r" --max-flows $((rows / 3 + 1)) 2>/dev/null
	for d in rot cap; do
		$py merge "$tmp/$d"/* | sort >"$tmp/merged" 2>"$tmp/err"
		if ! sort "$ref" | cmp -s - "$tmp/merged"; then
			why="$d: the merged reports ($(ls "$tmp/$d" | wc -l) files) differ from the report"
			break
		fi
	done
	# The cap is seen when a counter folds a batch (4096 packets): only larger captures must split.
	if [ -z "$why" ] && [ "$rows" -gt 12288 ] && [ "$(ls "$tmp/cap" | wc -l)" -lt 3 ]; then
		why="the cap of $((rows / 3 + 1)) rows did not begin a second report"
	fi
	verdict "bounded $name" "$why"
	rm -rf "$tmp/rot" "$tmp/cap"
}

while IFS=$'\t' read -r file _rest; do
	case $file in '#'* | '') continue ;; esac
	check_capture "$rules/$file" "$file"
done <"$rules/MANIFEST"

# Larger captures: several seconds of traffic, thousands of rows.
"$pcapgen" mix --packets 200000 --flows 20000 --seed 11 "$tmp/../mix-$$.pcap" >/dev/null
check_capture "$tmp/../mix-$$.pcap" mix-20k
rm -f "$tmp/../mix-$$.pcap"

if [ -n "$corpus" ]; then
	if [ -d "$corpus" ]; then
		for f in "$corpus"/*.pcap*; do
			check_capture "$f" "corpus/${f##*/}"
		done
	else
		echo "run-outputs.sh: $corpus is absent: corpus captures skipped"
	fi
fi

echo "outputs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
