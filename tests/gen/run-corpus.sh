#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run-corpus.sh NASOONE PCAPS_DIR
#
# Runs `nasoone -r FILE` on every capture of the shared corpus and compares
# standard output with NAME.expected byte for byte. The expected exit comes
# from MANIFEST.tsv (oracle exit: 0 read, 3 damaged, 1 unreadable): 0 must
# succeed; 3 must exit non-zero but still print the rows before the damage;
# 1 (empty .expected) must exit non-zero and print nothing on stdout.
set -u

bin=${1:?usage: run-corpus.sh NASOONE PCAPS_DIR}
dir=${2:?pcaps dir}
limit=${NASOONE_TIMEOUT:-300}

if [ ! -d "$dir" ]; then
	echo "SKIPPED: corpus folder $dir not found"
	exit 0
fi
if [ ! -x "$bin" ]; then
	echo "run-corpus.sh: $bin is not an executable" >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# The oracle's exit status for a capture, from the manifest or guessed.
status_of() {
	local file=$1 exp=$2 s=

	if [ -f "$dir/MANIFEST.tsv" ]; then
		s=$(awk -F'\t' -v f="$file" '$1 == f { print $6; exit }' "$dir/MANIFEST.tsv")
	fi
	case $s in
	0 | 1 | 3) echo "$s" ;;
	*) if [ ! -s "$exp" ]; then echo 1; else echo 0; fi ;;
	esac
}

shopt -s nullglob
for path in "$dir"/*.pcap*; do
	file=${path##*/}
	exp=$dir/${file%%.*}.expected
	why=
	if [ ! -f "$exp" ]; then
		echo "[$file] FAIL: ${exp##*/} missing"
		failed=$((failed + 1))
		continue
	fi
	want=$(status_of "$file" "$exp")

	timeout "$limit" "$bin" -r "$path" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 124 ]; then
		why="timed out after ${limit}s"
	elif [ $rc -ge 128 ]; then
		why="killed by signal $((rc - 128))"
	elif [ "$want" = 0 ] && [ $rc -ne 0 ]; then
		why="exit status $rc: $(head -n 1 "$tmp/err")"
	elif [ "$want" != 0 ] && [ $rc -eq 0 ]; then
		why="exit status 0 on a damaged or unreadable file"
	elif [ "$want" = 1 ] && [ -s "$tmp/out" ]; then
		why="unreadable file, but something was printed on stdout"
	elif [ "$want" != 1 ] && ! cmp -s "$tmp/out" "$exp"; then
		why="report differs from ${exp##*/}"
		if cmp -s <(sort "$tmp/out") <(sort "$exp"); then
			why="$why (same rows, other order)"
		fi
	fi
	if [ -z "$why" ]; then
		echo "[$file] PASS"
		passed=$((passed + 1))
	else
		echo "[$file] FAIL: $why"
		diff "$exp" "$tmp/out" 2>/dev/null | head -n 6 | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
