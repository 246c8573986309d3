#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# IPFIX export against real collectors: nfdump's nfcapd and pmacct's
# nfacctd, started here on loopback (nfcapd repeats what it receives to
# nfacctd, so one export feeds both), and tshark's IPFIX dissector on a
# capture of the export.
#
#   tests/ipfix/run.sh NASOONE PCAPGEN OUTDIR [CORPUS_PCAPS]
#
# For every generated capture, every corpus capture (when CORPUS_PCAPS
# exists), an XDP replay and a live veth run: the collectors' records,
# summed per directional 4-tuple, have the report's packets, first and last
# and protocols; their bytes are the IP octets (by tshark on the input);
# IE 352 has the report's bytes. Then timeouts (idle, active: several
# records per flow, still summing to the report), a flood of 1M flows (no
# sequence gap at nfcapd), and TCP export with a collector that goes away
# and comes back. Ends with "N passed, N failed, N skipped".
# Needs root for tcpdump on loopback, XDP and namespaces; nfdump, pmacct,
# tshark, tcpdump, python3 (make deps installs them).
set -u

if [ $# -lt 3 ]; then
	echo "usage: $0 NASOONE PCAPGEN OUTDIR [CORPUS_PCAPS]" >&2
	exit 2
fi
mkdir -p "$3" || exit 2
NASOONE=$(realpath "$1")
PCAPGEN=$(realpath "$2")
OUTDIR=$(realpath "$3")
CORPUS=${4:-}
IPFIX_DIR=$(dirname "$(realpath "$0")")
E2E_DIR=$(realpath "$IPFIX_DIR/../e2e")
E2E_RESULTS=$(mktemp "$OUTDIR/results.XXXXXX") || exit 2
E2E_GEN=$(mktemp -d "$OUTDIR/gen.XXXXXX") || exit 2
# Collectors take an export's bursts only with socket buffers larger than
# the default (README "IPFIX export"): the cap is raised for this run.
RMEM_MAX_WAS=
if [ "$(id -u)" -eq 0 ] && [ "$(sysctl -n net.core.rmem_max)" -lt 268435456 ]; then
	RMEM_MAX_WAS=$(sysctl -n net.core.rmem_max)
	sysctl -qw net.core.rmem_max=268435456
fi
trap 'rm -rf "$E2E_RESULTS" "$E2E_GEN"; [ -n "$RMEM_MAX_WAS" ] && sysctl -qw net.core.rmem_max=$RMEM_MAX_WAS' EXIT
trap 'exit 130' INT TERM
export NASOONE PCAPGEN OUTDIR CORPUS IPFIX_DIR E2E_DIR E2E_RESULTS E2E_GEN
rm -rf "$OUTDIR/failures"

bash -c 'set -u; . "$1"; . "$2"; . "$3"; run_tests' run.sh "$E2E_DIR/lib.sh" \
	"$IPFIX_DIR/lib.sh" "$IPFIX_DIR/tests.sh" 2>&1 | tee "$OUTDIR/ipfix.log"
[ "${PIPESTATUS[0]}" -eq 130 ] && exit 130

passed=$(grep -c '^PASS$' "$E2E_RESULTS")
failed=$(grep -c '^FAIL$' "$E2E_RESULTS")
skipped=$(grep -c '^SKIPPED$' "$E2E_RESULTS")
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
