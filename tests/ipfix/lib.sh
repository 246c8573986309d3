# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Collectors for the IPFIX tests (sourced by run.sh after tests/e2e/lib.sh).
# collect_begin DIR [NS] starts, on the loopback of namespace NS (or this
# one): nfcapd (nfdump) on port $NF_PORT, repeating every packet to nfacctd
# (pmacct, print plugin to CSV) on $ACCT_PORT, and tcpdump capturing the
# export. collect_end DIR stops them and leaves DIR/nfdump.json,
# DIR/pmacct.csv and DIR/ipfix.json (tshark's IPFIX dissector).

export TZ=UTC # the collectors print local time; compare.py reads UTC

# free_udp_port: a UDP port nobody uses on 127.0.0.1 now.
free_udp_port()
{
	python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# udp_listening NS PORT
udp_listening()
{
	local inns=()

	[ -n "$1" ] && inns=(ip netns exec "$1")
	"${inns[@]}" ss -Huln "sport = :$2" 2>/dev/null | grep -q .
}

# COLLECT_BUFFER: the collectors' and tcpdump's socket buffers (bytes);
# run.sh raises net.core.rmem_max to allow them.
COLLECT_BUFFER=${COLLECT_BUFFER:-67108864}

# collect_begin DIR [NS] [NFCAPD_BUFFER]
collect_begin()
{
	local d=$1 ns=${2:-} buf=${3:-$COLLECT_BUFFER} inns=() i

	[ -n "$ns" ] && inns=(ip netns exec "$ns")
	COLLECT_NS=$ns
	NF_PORT=$(free_udp_port)
	ACCT_PORT=$(free_udp_port)
	while [ "$ACCT_PORT" = "$NF_PORT" ]; do ACCT_PORT=$(free_udp_port); done
	mkdir -p "$d/nf"
	# nfacctd writes its rows once, when it stops. Written every second by a
	# forked writer, they can be written again by a stop that falls on a
	# write: the likely way a report's 5 rows once came out as 10 records.
	cat >"$d/nfacctd.conf" <<EOF
daemonize: false
nfacctd_ip: 127.0.0.1
nfacctd_port: $ACCT_PORT
timestamps_secs: false
timestamps_utc: true
nfacctd_pipe_size: $COLLECT_BUFFER
plugins: print[p]
print_output[p]: csv
print_output_file[p]: $d/pmacct.csv
print_output_file_append[p]: true
print_refresh_time[p]: 86400
aggregate[p]: src_host, dst_host, src_port, dst_port, proto, timestamp_start, timestamp_end
EOF
	ACCT_PID="" TD_PID=""
	if [ -n "${COLLECT_LIGHT:-}" ]; then
		# nfcapd alone: the flood's sequence numbers, nothing repeated or captured
		"${inns[@]}" nfcapd -w "$d/nf" -p "$NF_PORT" -b 127.0.0.1 -t 3600 ${buf:+-B "$buf"} \
			</dev/null >"$d/nfcapd.log" 2>&1 &
		NF_PID=$!
		bg_started $NF_PID
		for i in $(seq 100); do
			udp_listening "$ns" "$NF_PORT" && return 0
			sleep 0.1
		done
	else
		"${inns[@]}" nfacctd -f "$d/nfacctd.conf" </dev/null >"$d/nfacctd.log" 2>&1 &
		ACCT_PID=$!
		bg_started $ACCT_PID
		"${inns[@]}" nfcapd -w "$d/nf" -p "$NF_PORT" -b 127.0.0.1 -t 3600 ${buf:+-B "$buf"} \
			-R "127.0.0.1/$ACCT_PORT" </dev/null >"$d/nfcapd.log" 2>&1 &
		NF_PID=$!
		bg_started $NF_PID
		"${inns[@]}" tcpdump -i lo -n -U --immediate-mode -B $((COLLECT_BUFFER / 1024)) -w "$d/export.pcap" "udp port $NF_PORT" \
			</dev/null >/dev/null 2>"$d/tcpdump.err" &
		TD_PID=$!
		bg_started $TD_PID
		for i in $(seq 100); do
			udp_listening "$ns" "$NF_PORT" && udp_listening "$ns" "$ACCT_PORT" &&
				grep -q 'listening on' "$d/tcpdump.err" && return 0
			sleep 0.1
		done
	fi
	echo "collectors did not start: $(tail -n 2 "$d/nfcapd.log" "$d/nfacctd.log" "$d/tcpdump.err")" >>"$DETAIL"
	return 1
}

# collect_end DIR: stop the collectors (they write what they hold), read it back.
collect_end()
{
	local d=$1

	sleep 0.3 # the last datagrams through nfcapd's repeater
	[ -n "$TD_PID" ] && kill -INT "$TD_PID" 2>/dev/null
	kill -TERM "$NF_PID" 2>/dev/null
	wait_pid "$NF_PID" 60
	if [ -n "$ACCT_PID" ]; then
		sleep 0.2
		kill -INT "$ACCT_PID" 2>/dev/null
		wait_pid "$ACCT_PID" 20
	fi
	[ -n "$TD_PID" ] && wait_pid "$TD_PID" 10
	nfdump -R "$d/nf" -I >"$d/nfdump.stat" 2>&1
	[ -n "${COLLECT_LIGHT:-}" ] && return 0
	nfdump -R "$d/nf" -o json >"$d/nfdump.json" 2>"$d/nfdump.err"
	[ -f "$d/pmacct.csv" ] || : >"$d/pmacct.csv"
	tshark -r "$d/export.pcap" -d "udp.port==$NF_PORT,cflow" -T json -J cflow \
		>"$d/ipfix.json" 2>"$d/tshark.err"
}

# oracle CAPTURE OUT: tshark's view of every packet of CAPTURE (compare.py --oracle).
oracle()
{
	# shellcheck disable=SC2046 # the -e options are words
	tshark -r "$1" -n -o ip.defragment:FALSE -o ipv6.defragment:FALSE -T fields \
		-E occurrence=f $(python3 "$IPFIX_DIR/compare.py" oracle-fields) >"$2" 2>/dev/null
}

# compare DIR [ARGS...]: compare.py check on DIR's files and nasoone's report.
compare()
{
	local d=$1

	shift
	python3 "$IPFIX_DIR/compare.py" check --report "$d/report.txt" --nfdump "$d/nfdump.json" \
		--pmacct "$d/pmacct.csv" --ipfix "$d/ipfix.json" "$@" >"$d/compare.out"
}

# export_line ERRFILE: nasoone's "export: ..." statistics line.
export_line()
{
	grep -m 1 '^export: ' "$1"
}
