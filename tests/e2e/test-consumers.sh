# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# The consumer interface on the eBPF path: a capture replayed through XDP
# and TC with idle and active timeouts gives the report of --mode pcap,
# and the rows that ended (--flow-log) sum to its packets and bytes;
# rotation (-G) and the row cap (--max-flows) split it into reports that,
# merged per 4-tuple, are that report again. Every packet counted is
# handed out exactly once, whatever ended when.

# shellcheck disable=SC2034 # run_tests (lib.sh) reads it
ALL_TESTS="test_replay_consumers"

# sums FILE: "packets bytes" of a report.
report_sums()
{
	awk -F'; ' 'NR > 1 { p += $9; b += $8 } END { printf "%d %d\n", p, b }' "$1"
}

consumers_one()
{
	local file=$1 m=$2 name="consumers $m ${1##*/}" d=$TMP/$m-${1##*/} got

	mkdir -p "$d/rot" "$d/cap"
	replay "$d/exp" "$file" "$m" --idle-timeout 1 --active-timeout 2 --flow-log "$d/log"
	if [ $rc -ne 0 ]; then
		fail "$name" "nasoone $(status_text $rc): $(first_error "$d/exp")"
		return
	fi
	if ! cmp -s "$TMP/ref.txt" "$d/exp.txt"; then
		diff "$TMP/ref.txt" "$d/exp.txt" | head -n 6 >>"$DETAIL"
		fail "$name" "the report with expiry differs from --mode pcap's"
		return
	fi
	got=$(python3 "$REPO_ROOT/tests/gen/outputs.py" sums "$d/log" | cut -d' ' -f1,2)
	if [ "$got" != "$(report_sums "$TMP/ref.txt")" ]; then
		fail "$name" "the ended rows sum to $got, the report to $(report_sums "$TMP/ref.txt")"
		return
	fi
	nas "$d/g" -r "$file" --mode "$m" -w "$d/rot/r-%s" -G 1
	nas "$d/c" -r "$file" --mode "$m" -w "$d/cap/r" --max-flows $(($(rows "$TMP/ref.txt") / 3 + 1))
	for sub in rot cap; do
		python3 "$REPO_ROOT/tests/gen/outputs.py" merge "$d/$sub"/* | sort >"$d/merged"
		if ! sort "$TMP/ref.txt" | cmp -s - "$d/merged"; then
			fail "$name" "$sub: the $(ls "$d/$sub" | wc -l) reports merged differ from the report"
			return
		fi
	done
	pass "$name"
}

test_replay_consumers()
{
	local t=consumers file m

	need_root "$t" && need_bpf "$t" && need_tools "$t" python3 || return 0
	make_tmp && trap cleanup EXIT
	file=$TMP/mix.pcap
	"$PCAPGEN" mix --packets 100000 --flows 30000 --seed 5 "$file" >/dev/null
	replay "$TMP/ref" "$file" pcap
	for m in xdp tc; do
		consumers_one "$file" "$m"
	done
}
