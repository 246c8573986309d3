#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run-oracle.sh ORACLE RULES_DIR CORRUPT_DIR
#
# Cross-checks pcapgen's own expected reports against the tshark oracle
# (oracle.py of the shared corpus). Rules captures: the oracle must read the
# whole file (exit 0) and print exactly NAME.expected. Damaged captures: an
# empty NAME.expected needs oracle exit 1 and no output, any other exit 3
# and the same rows. Files whose MANIFEST / README entry gives a reason
# instead of "yes" are cases where tshark departs from the rules; they are
# listed as EXCLUDED with that reason.
set -u

oracle=${1:?usage: run-oracle.sh ORACLE RULES_DIR CORRUPT_DIR}
rules=${2:?rules dir}
corrupt=${3:?corrupt dir}

if [ ! -f "$oracle" ]; then
	echo "SKIPPED: oracle $oracle not found"
	exit 0
fi
if ! command -v tshark >/dev/null 2>&1; then
	echo "SKIPPED: tshark not found (apt-get install tshark)"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
excluded=0

check() {
	local name=$1 path=$2 want=$3 exp why=
	local base=${path##*/}

	exp=${path%/*}/${base%%.*}.expected
	python3 "$oracle" "$path" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		why="oracle exit $rc, expected $want: $(tail -n 1 "$tmp/err")"
	elif ! cmp -s "$tmp/out" "$exp"; then
		why="oracle report differs from ${exp##*/}"
	fi
	if [ -z "$why" ]; then
		echo "[$name] PASS"
		passed=$((passed + 1))
	else
		echo "[$name] FAIL: $why"
		diff "$exp" "$tmp/out" | head -n 8 | sed 's/^/    /'
		failed=$((failed + 1))
	fi
}

while IFS=$'\t' read -r file why _covers; do
	case $file in '#'* | '') continue ;; esac
	if [ "$why" != yes ]; then
		echo "[rules/$file] EXCLUDED: $why"
		excluded=$((excluded + 1))
		continue
	fi
	check "rules/$file" "$rules/$file" 0
done <"$rules/MANIFEST"

while IFS=$'\t' read -r file _exit why _what; do
	case $file in '#'* | '') continue ;; esac
	if [ "$why" != yes ]; then
		echo "[corrupt/$file] EXCLUDED: $why"
		excluded=$((excluded + 1))
		continue
	fi
	base=${file##*/}
	if [ -s "$corrupt/${base%%.*}.expected" ]; then
		check "corrupt/$file" "$corrupt/$file" 3
	else
		check "corrupt/$file" "$corrupt/$file" 1
	fi
done <"$corrupt/README"

echo "$excluded excluded (tshark departs from the rules there, see the reasons above)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
