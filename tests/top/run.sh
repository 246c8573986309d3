#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Tests of `nasoone top` as a user drives it: in tmux (send-keys,
# capture-pane, resize-window), on captures of tests/gen/pcapgen, on
# reports rewritten by rename, and live on a veth pair in private network
# namespaces in each mode (xdp, tc, pcap; the traffic comes from a sender
# inside those namespaces only). The helpers (verdicts, namespaces,
# cleanup) are those of tests/e2e/lib.sh.
#
#   tests/top/run.sh NASOONE PCAPGEN OUTDIR
#
# Ends with "N passed, N failed, N skipped"; exit status 1 when a test failed.
# TOP_ONLY=WORD runs only the tests whose name contains WORD.
set -u

if [ $# -ne 3 ]; then
	echo "usage: $0 NASOONE PCAPGEN OUTDIR" >&2
	exit 2
fi
mkdir -p "$3" || exit 2
NASOONE=$(realpath "$1")
PCAPGEN=$(realpath "$2")
OUTDIR=$(realpath "$3")
TOP_DIR=$(dirname "$(realpath "$0")")
E2E_DIR=$TOP_DIR/../e2e
E2E_RESULTS=$(mktemp "$OUTDIR/results.XXXXXX") || exit 2
E2E_GEN=$(mktemp -d "$OUTDIR/gen.XXXXXX") || exit 2
export NASOONE PCAPGEN OUTDIR TOP_DIR E2E_DIR E2E_RESULTS E2E_GEN
trap 'rm -rf "$E2E_RESULTS" "$E2E_GEN"' EXIT
trap 'exit 130' INT TERM

if ! command -v tmux >/dev/null 2>&1; then
	echo "[top] SKIPPED: tmux not found (apt-get install tmux)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

bash ${TOP_TRACE:+-x} -c 'set -u; . "$1"; . "$2"; . "$3"; run_tests' run.sh "$E2E_DIR/lib.sh" \
	"$TOP_DIR/lib.sh" "$TOP_DIR/tests.sh" 2>&1 | tee "$OUTDIR/top.log"

passed=$(grep -c '^PASS$' "$E2E_RESULTS")
failed=$(grep -c '^FAIL$' "$E2E_RESULTS")
skipped=$(grep -c '^SKIPPED$' "$E2E_RESULTS")
echo "top: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
