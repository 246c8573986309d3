#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end tests of nasoone: the eBPF paths (XDP, TC) against libpcap,
# on replayed captures and live on veth pairs in network namespaces.
#
#   tests/e2e/run.sh NASOONE PCAPGEN OUTDIR
#
# Runs every tests/e2e/test-*.sh (E2E_ONLY=WORD runs the files whose name
# contains WORD) with the helpers of lib.sh. Each test prints
# "[name] PASS|FAIL|SKIPPED: reason"; the last line is
# "N passed, N failed, N skipped", and the exit status is 1 when a test
# failed. A log of each file goes to OUTDIR, the files of each failed test
# to OUTDIR/failures/NAME; the captures are generated in a folder of the
# run, removed at the end.
# E2E_TIMEOUT bounds one nasoone run on a file (seconds, default 120).
#
# Needs: root (CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON) for everything but a
# few checks, python3, and for the live tests iproute2, ethtool, tcpdump,
# bpftool, setpriv; a test without what it needs says SKIPPED and why. No
# bpffs: nasoone pins nothing (its attachments are bpf_links it holds).
# The live tests send traffic only inside two network namespaces of their
# own (nasoone-e2e-PID-*, private addresses 10.200.0.0/24, fd00:200::/64),
# deleted at the end, also when a test fails or the run is interrupted.
set -u

if [ $# -ne 3 ]; then
	echo "usage: $0 NASOONE PCAPGEN OUTDIR" >&2
	exit 2
fi
for f in "$1" "$2"; do
	if [ ! -x "$f" ]; then
		echo "run.sh: $f is not an executable" >&2
		exit 2
	fi
done
mkdir -p "$3" || exit 2

NASOONE=$(realpath "$1")
PCAPGEN=$(realpath "$2")
OUTDIR=$(realpath "$3")
E2E_DIR=$(dirname "$(realpath "$0")")
REPO_ROOT=$(realpath "$E2E_DIR/../..")
# This run's verdicts and generated captures: its own, so that two runs
# with the same OUTDIR do not mix them up.
E2E_RESULTS=$(mktemp "$OUTDIR/results.XXXXXX") || exit 2
E2E_GEN=$(mktemp -d "$OUTDIR/gen.XXXXXX") || exit 2
trap 'rm -rf "$E2E_RESULTS" "$E2E_GEN"' EXIT
trap 'exit 130' INT TERM
export NASOONE PCAPGEN OUTDIR E2E_DIR REPO_ROOT E2E_RESULTS E2E_GEN

rm -rf "$OUTDIR/failures"
start=$SECONDS

for file in "$E2E_DIR"/test-*.sh; do
	name=${file##*/}
	case $name in *"${E2E_ONLY:-}"*) ;; *) continue ;; esac
	t0=$SECONDS
	bash -c 'set -u; . "$1"; . "$2"; run_tests' run.sh "$E2E_DIR/lib.sh" "$file" 2>&1 |
		tee "$OUTDIR/${name%.sh}.log"
	[ "${PIPESTATUS[0]}" -eq 130 ] && exit 130
	echo "# $name: $((SECONDS - t0)) s"
done

passed=$(grep -c '^PASS$' "$E2E_RESULTS")
failed=$(grep -c '^FAIL$' "$E2E_RESULTS")
skipped=$(grep -c '^SKIPPED$' "$E2E_RESULTS")
echo "# all: $((SECONDS - start)) s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
