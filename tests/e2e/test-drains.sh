# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# No loss across drains: a `pcapgen mix` capture of about a million packets
# on 50 000 flows, replayed through the eBPF program with --drain-ms 1, so
# that the drain threads swap the per-CPU maps back to back while packets
# flow. The report must be the one of --mode pcap byte for byte, and the
# statistics must agree on the packets received and counted.
#
# Then the XDP replay again while its threads are moved from CPU to CPU
# every few milliseconds (taskset): packets of one flow land in the maps of
# different CPUs, and must still add up.
#
# E2E_DRAIN_PACKETS changes the number of packets (default 1500000). The
# capture keeps 128 bytes of each frame (their original lengths are in the
# records), so that it stays near 150 MB.

# shellcheck disable=SC2034 # run_tests (lib.sh) reads it
ALL_TESTS="test_drains"

# replay_migrating PREFIX FILE ARGS...: replay FILE with --mode xdp while
# every thread of nasoone is moved to the other one of CPUs 0 and 1 every
# 5 ms; as replay, and the number of moves in $moves.
replay_migrating()
{
	local prefix=$1 file=$2 pid cpu=0

	shift 2
	rm -f "$prefix.txt"
	"$NASOONE" -r "$file" --mode xdp -w "$prefix.txt" "$@" </dev/null >"$prefix.out" 2>"$prefix.err" &
	pid=$!
	bg_started $pid
	moves=0
	while kill -0 $pid 2>/dev/null; do
		taskset -a -p -c $cpu $pid >/dev/null 2>&1 && moves=$((moves + 1))
		cpu=$((1 - cpu))
		sleep 0.005
	done
	wait $pid
	rc=$?
}

test_drains()
{
	local t=drains packets=${E2E_DRAIN_PACKETS:-1500000} cap m why ref got

	need_bpf "$t" || return 0
	make_tmp && trap cleanup EXIT
	cap=$TMP/mix.pcap
	if ! "$PCAPGEN" mix --packets "$packets" --flows 50000 --seed 11 --snaplen 128 "$cap" \
		>/dev/null 2>"$TMP/gen.err"; then
		fail "$t" "pcapgen mix failed: $(head -n 1 "$TMP/gen.err")"
		return
	fi
	replay "$TMP/pcap" "$cap" pcap
	if [ $rc -ne 0 ] || ! is_report "$TMP/pcap.txt"; then
		fail "$t" "--mode pcap: $(status_text $rc): $(first_error "$TMP/pcap")"
		return
	fi
	ref=$(stat_counts "$TMP/pcap.err")
	if [ "$ref" != "$packets $packets" ] || [ "$(rows "$TMP/pcap.txt")" -lt 40000 ]; then
		fail "$t" "--mode pcap: '$ref' received/counted and $(rows "$TMP/pcap.txt") rows: not the capture made"
		return
	fi
	for m in xdp tc migrate; do
		why=""
		if [ $m = migrate ]; then
			if [ "$(nproc)" -lt 2 ] || ! command -v taskset >/dev/null; then
				skip "$t xdp with CPU migrations" "needs 2 CPUs and taskset"
				continue
			fi
			replay_migrating "$TMP/$m" "$cap" --drain-ms 1
		else
			replay "$TMP/$m" "$cap" $m --drain-ms 1
		fi
		got=$(stat_counts "$TMP/$m.err")
		if [ $rc -ne 0 ]; then
			why="$(status_text $rc): $(first_error "$TMP/$m")"
		elif ! same_file "$TMP/pcap.txt" "$TMP/$m.txt" "(< pcap, > $m):"; then
			why="report differs from --mode pcap's: $(rows "$TMP/$m.txt") rows and $(report_packets "$TMP/$m.txt") packets, pcap's $(rows "$TMP/pcap.txt") and $(report_packets "$TMP/pcap.txt"); statistics: '$got' received/counted"
		elif [ "$got" != "$ref" ]; then
			why="received/counted '$got', pcap's '$ref'"
		elif [ -z "$(ebpf_stat "$TMP/$m.err" unattributed)" ]; then
			why="no 'eBPF: ...' statistics line"
		elif [ "$(ebpf_stat "$TMP/$m.err" unattributed)" != 0 ]; then
			why="$(ebpf_stat "$TMP/$m.err" unattributed) packets unattributed"
		fi
		if [ $m = migrate ]; then
			verdict "$t xdp --drain-ms 1, threads moved between CPUs $moves times" "$why"
		else
			verdict "$t $m --drain-ms 1 ($packets packets)" "$why"
		fi
	done
}
