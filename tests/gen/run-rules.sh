#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run-rules.sh NASOONE RULES_DIR CORRUPT_DIR
#
# Runs nasoone on every capture made by `pcapgen rules` and `pcapgen corrupt`
# and compares the report with NAME.expected byte for byte (the row order is
# defined). Rules captures must also give the same bytes with -j 1 and -j 4.
# Damaged captures must exit non-zero with exactly one line on stderr naming
# the file (the error; other lines such as statistics may be there too), and
# still report the complete records before the damage.
set -u

bin=${1:?usage: run-rules.sh NASOONE RULES_DIR CORRUPT_DIR}
rules=${2:?rules dir}
corrupt=${3:?corrupt dir}
limit=${NASOONE_TIMEOUT:-120}

if [ ! -x "$bin" ]; then
	echo "run-rules.sh: $bin is not an executable" >&2
	exit 2
fi
for f in "$rules/MANIFEST" "$corrupt/README"; do
	if [ ! -f "$f" ]; then
		echo "run-rules.sh: $f is missing (run pcapgen rules/corrupt first)" >&2
		exit 2
	fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

expected_of() {
	local base=${1##*/}

	echo "${1%/*}/${base%%.*}.expected"
}

# One nasoone run: report to $tmp/$2, stderr to $tmp/$2.err, status in $rc.
run() {
	local file=$1 out=$2

	shift 2
	rm -f "$tmp/$out" "$tmp/$out.err"
	timeout "$limit" "$bin" -r "$file" -w "$tmp/$out" "$@" >"$tmp/$out.stdout" 2>"$tmp/$out.err"
	rc=$?
}

# Why two reports differ: the first lines of the diff.
show_diff() {
	diff "$1" "$2" | head -n 8 | sed 's/^/    /'
}

verdict() {
	local name=$1 why=$2

	if [ -z "$why" ]; then
		echo "[$name] PASS"
		passed=$((passed + 1))
	else
		echo "[$name] FAIL: $why"
		[ -f "$tmp/detail" ] && cat "$tmp/detail"
		failed=$((failed + 1))
	fi
	rm -f "$tmp/detail"
}

while IFS=$'\t' read -r file _oracle _covers; do
	case $file in '#'* | '') continue ;; esac
	path=$rules/$file
	exp=$(expected_of "$path")
	why=

	run "$path" out
	if [ $rc -eq 124 ]; then
		why="timed out after ${limit}s"
	elif [ $rc -ne 0 ]; then
		why="exit status $rc: $(head -n 1 "$tmp/out.err")"
	elif [ ! -f "$tmp/out" ]; then
		why="no report written"
	elif ! cmp -s "$tmp/out" "$exp"; then
		why="report differs from ${exp##*/}"
		show_diff "$exp" "$tmp/out" >"$tmp/detail"
	else
		for j in 1 4; do
			# Planned for j + 1 CPUs: j counters really run on a file, even on 2 CPUs.
			NASOONE_CPUS=$((j + 1)) run "$path" "j$j" -j "$j"
			if [ $rc -ne 0 ] || ! cmp -s "$tmp/out" "$tmp/j$j"; then
				why="-j $j report differs from the default run (status $rc)"
				[ -f "$tmp/j$j" ] && show_diff "$tmp/out" "$tmp/j$j" >"$tmp/detail"
				break
			fi
		done
	fi
	verdict "rules/$file" "$why"
done <"$rules/MANIFEST"

while IFS=$'\t' read -r file _exit _oracle _what; do
	case $file in '#'* | '') continue ;; esac
	path=$corrupt/$file
	exp=$(expected_of "$path")
	why=

	run "$path" out
	# Statistics may go to stderr too; the error is the line naming the file.
	lines=$(grep -cF -e "$path" -e "$file" "$tmp/out.err")
	if [ $rc -eq 124 ]; then
		why="timed out after ${limit}s"
	elif [ $rc -eq 0 ]; then
		why="exit status 0, expected non-zero"
	elif [ $rc -ge 128 ]; then
		why="killed by signal $((rc - 128))"
	elif [ "$lines" -ne 1 ]; then
		why="$lines lines on stderr name the file, expected one error line"
		sed 's/^/    /' "$tmp/out.err" | head -n 5 >"$tmp/detail"
	elif [ ! -s "$exp" ]; then
		[ -s "$tmp/out" ] && why="unreadable file, but a report was written"
	elif [ ! -f "$tmp/out" ]; then
		why="no report of the records before the damage"
	elif ! cmp -s "$tmp/out" "$exp"; then
		why="report differs from ${exp##*/}"
		show_diff "$exp" "$tmp/out" >"$tmp/detail"
	fi
	verdict "corrupt/$file" "$why"
done <"$corrupt/README"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
