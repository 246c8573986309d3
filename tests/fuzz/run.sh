#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs the libFuzzer targets built by tests/fuzz/fuzz.mk.
#
#   run.sh ci DIR SECONDS TARGET...        regression inputs, then a short run of each
#   run.sh campaign DIR SECONDS TARGET...  a long run of each, at nice 19, one after another
#
# DIR is $(OUTPUT)/fuzz (binaries, seeds/TARGET, corpus/TARGET, artifacts,
# logs). A run passes when libFuzzer found nothing; every regression input
# is one test. Ends with "N passed, N failed".
set -u

mode=$1 dir=$2 seconds=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
mkdir -p "$dir/artifacts" "$dir/logs"

# The figures of a run from libFuzzer's log: execs, last cov/ft, corpus size.
summary() {
	local log=$1 execs cov
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[^ ]+' "$log" | tail -1)
	echo "execs ${execs:-?}, ${cov:-no coverage line}"
}

for t in "$@"; do
	bin=$dir/fuzz_$t
	# Regression inputs: each must run through without a finding.
	if [ "$mode" = ci ] && [ -d "$here/regressions/$t" ]; then
		for f in "$here/regressions/$t"/*; do
			[ -f "$f" ] || continue
			if "$bin" "$f" >"$dir/logs/regression.log" 2>&1; then
				pass=$((pass + 1))
			else
				fail=$((fail + 1))
				echo "[fuzz $t] FAIL regression input $f"
				tail -40 "$dir/logs/regression.log"
			fi
		done
	fi
	mkdir -p "$dir/corpus/$t"
	log=$dir/logs/$t-$mode.log
	nice_cmd=()
	[ "$mode" = campaign ] && nice_cmd=(nice -n 19)
	printf '  %-8s %s (%ss)\n' FUZZ "$t" "$seconds"
	"${nice_cmd[@]}" "$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/artifacts/$t-" \
		"$dir/corpus/$t" "$dir/seeds/$t" >"$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		echo "[fuzz $t] ok: $(summary "$log")"
	else
		fail=$((fail + 1))
		echo "[fuzz $t] FAIL (exit $rc): $(summary "$log"); log $log"
		grep -E -A30 '^==[0-9]+==|SUMMARY|check failed|deadly signal' "$log" | head -60
		ls "$dir/artifacts/$t-"* 2>/dev/null | sed 's/^/  input: /'
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
