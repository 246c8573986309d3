# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Full maps: with --map-entries 64, a capture of 100 000 flows (300 000
# packets) overflows every per-CPU flow map at once; the packets that find
# their map full go through the overflow ring. The XDP and TC replays must
# still give the report of --mode pcap byte for byte, with 0 packets
# unattributed and a non-zero overflow count in the eBPF statistics line.

# shellcheck disable=SC2034 # run_tests (lib.sh) reads it
ALL_TESTS="test_mapfull"

test_mapfull()
{
	local t=mapfull cap m why ref got over unat cap_n

	need_bpf "$t" || return 0
	make_tmp && trap cleanup EXIT
	cap=$TMP/flows.pcap
	if ! "$PCAPGEN" mix --packets 300000 --flows 100000 --seed 5 "$cap" >/dev/null 2>"$TMP/gen.err"; then
		fail "$t" "pcapgen mix failed: $(head -n 1 "$TMP/gen.err")"
		return
	fi
	replay "$TMP/pcap" "$cap" pcap
	if [ $rc -ne 0 ] || ! is_report "$TMP/pcap.txt"; then
		fail "$t" "--mode pcap: $(status_text $rc): $(first_error "$TMP/pcap")"
		return
	fi
	ref=$(stat_counts "$TMP/pcap.err")
	for m in xdp tc; do
		why=""
		replay "$TMP/$m" "$cap" $m --map-entries 64
		got=$(stat_counts "$TMP/$m.err")
		over=$(ebpf_stat "$TMP/$m.err" overflow)
		unat=$(ebpf_stat "$TMP/$m.err" unattributed)
		cap_n=$(ebpf_stat "$TMP/$m.err" capacity)
		if [ $rc -ne 0 ]; then
			why="$(status_text $rc): $(first_error "$TMP/$m")"
		elif ! same_file "$TMP/pcap.txt" "$TMP/$m.txt" "(< pcap, > $m):"; then
			why="report differs from --mode pcap's: $(rows "$TMP/$m.txt") rows and $(report_packets "$TMP/$m.txt") packets, pcap's $(rows "$TMP/pcap.txt") and $(report_packets "$TMP/pcap.txt"); statistics: '$got' received/counted"
		elif [ "$got" != "$ref" ]; then
			why="received/counted '$got', pcap's '$ref'"
		elif [ -z "$unat" ]; then
			why="no 'eBPF: ...' statistics line"
		elif [ "$unat" != 0 ] || ! grep -q ' 0 unattributed' "$TMP/$m.err"; then
			why="$unat packets unattributed, expected 0"
		elif [ "$over" -eq 0 ]; then
			why="0 packets through the overflow ring with 64-entry maps and 100000 flows"
		elif [ "$cap_n" != 64 ]; then
			why="the statistics give $cap_n flows per CPU map, --map-entries was 64"
		fi
		[ -n "$why" ] && grep '^eBPF: ' "$TMP/$m.err" >>"$DETAIL"
		verdict "$t $m --map-entries 64" "$why"
	done
}
