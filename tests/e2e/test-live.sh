# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Live capture against tcpdump: two namespaces of our own joined by a veth
# pair (vethA 10.200.0.1/24 fd00:200::1/64, vethB .2 ::2; GRO, TSO and GSO
# off). In namespace A, `nasoone -i vethA --mode M -w REPORT -t 1` (M = xdp,
# tc, pcap) runs next to `tcpdump -i vethA -w cap.pcap`. traffic.py sends a
# fixed mix both ways, started from each side: TCP connections with data
# both directions, UDP datagrams and their echoes, some of them IP
# fragments, over IPv4 and IPv6. Then both get SIGINT, and the live report
# must match `nasoone -r cap.pcap --mode pcap`: the same rows (4-tuples),
# protocols, bytes and packets, first and last within 5 ms. Rows end after
# a second idle: the flow log (--flow-log) must hand each packet out once.

# shellcheck disable=SC2034 # run_tests (lib.sh) reads it
ALL_TESTS="test_live"

# The rows the traffic makes: per side that starts it and per family,
# 3 TCP connections and 1 UDP socket, each seen both ways.
LIVE_ROWS=32

# live_compare REF LIVE: the rows of LIVE against those of REF; the
# differences go to $DETAIL.
live_compare()
{
	awk -F'; ' -v tol=5 '
		function abs(x) { return x < 0 ? -x : x }
		FNR == 1 { next }
		NR == FNR {
			k = $1 "; " $2 "; " $3 "; " $4
			ref[k] = $0; p[k] = $5; f[k] = $6; l[k] = $7; b[k] = $8; n[k] = $9
			next
		}
		{
			k = $1 "; " $2 "; " $3 "; " $4
			seen[k] = 1
			if (!(k in ref)) {
				print "only live: " $0; bad = 1
			} else if ($5 != p[k] || $8 != b[k] || $9 != n[k] ||
				   abs($6 - f[k]) > tol || abs($7 - l[k]) > tol) {
				print "live: " $0; print "pcap: " ref[k]; bad = 1
			}
		}
		END {
			for (k in ref)
				if (!(k in seen)) { print "only pcap: " ref[k]; bad = 1 }
			exit bad
		}' "$1" "$2" >>"$DETAIL"
}

# live_one MODE: live_run, then whatever it left running is killed (not
# to be attached still when the next mode starts).
live_one()
{
	local tpid="" npid="" pid

	live_run "$1"
	for pid in $npid $tpid; do
		kill_wait "$pid"
	done
}

live_run()
{
	local m=$1 name="live $1" d=$TMP/$1 crc path want err sums

	mkdir -p "$d" && chmod 777 "$d"
	ip netns exec "$NS_A" tcpdump -i vethA -n -U --immediate-mode -Z root -w "$d/cap.pcap" \
		</dev/null >/dev/null 2>"$d/tcpdump.err" &
	tpid=$!
	bg_started $tpid
	if ! wait_for "$d/tcpdump.err" 'listening on' 10; then
		fail "$name" "tcpdump did not start: $(head -n 1 "$d/tcpdump.err")"
		return
	fi
	# Rows end after 1 s idle: the report still holds them all, the flow log each once.
	ip netns exec "$NS_A" "$NASOONE" -i vethA --mode "$m" -w "$d/report.txt" -t 1 \
		--idle-timeout 1 --flow-log "$d/flows.json" \
		</dev/null >"$d/nasoone.out" 2>"$d/nasoone.err" &
	npid=$!
	bg_started $npid
	if ! wait_for "$d/nasoone.err" '^nasoone: \(eBPF\|libpcap\)' 10; then
		kill -INT $tpid 2>/dev/null
		if wait_pid $npid 2; then
			err=$(head -n 1 "$d/nasoone.err")
			if kernel_refuses "$d/nasoone.err"; then
				skip "$name" "the kernel refuses the attachment: $err"
			else
				fail "$name" "nasoone $(status_text $rc) at start: $err"
			fi
		else
			fail "$name" "no capture path line on stderr after 10 s"
		fi
		return
	fi
	path=$(grep -m 1 '^nasoone: \(eBPF\|libpcap\)' "$d/nasoone.err")
	case $m in
	xdp) want='^nasoone: eBPF: XDP (\(native\|generic\)) on vethA ingress, TC (tcx link) on egress$' ;;
	tc) want='^nasoone: eBPF: TC (tcx link) on vethA ingress and egress$' ;;
	pcap) want='^nasoone: libpcap on vethA' ;;
	esac
	if ! grep -q "$want" <<<"$path"; then
		kill -INT $npid $tpid 2>/dev/null
		fail "$name" "unexpected capture path line: $path"
		return
	fi

	ip netns exec "$NS_B" python3 "$E2E_DIR/traffic.py" client 10.200.0.1 fd00:200::1 1 \
		>"$d/client-b.log" 2>&1
	crc=$?
	ip netns exec "$NS_A" python3 "$E2E_DIR/traffic.py" client 10.200.0.2 fd00:200::2 2 \
		>"$d/client-a.log" 2>&1
	crc=$((crc | $?))
	sleep 0.5
	kill -INT $npid $tpid 2>/dev/null
	wait_pid $tpid 10
	wait_pid $npid 15

	if [ $rc -ne 0 ]; then
		fail "$name" "nasoone $(status_text $rc) after SIGINT: $(grep -v '^nasoone: \(eBPF\|libpcap\)' "$d/nasoone.err" | head -n 1)"
		return
	fi
	if [ $crc -ne 0 ]; then
		cat "$d/client-b.log" "$d/client-a.log" >>"$DETAIL"
		fail "$name" "the traffic did not all come back (packets lost or changed with nasoone attached)"
		return
	fi
	if [ ! -f "$d/report.txt" ] || ! is_report "$d/report.txt"; then
		fail "$name" "no final report in $d/report.txt"
		return
	fi
	nas "$d/ref" -r "$d/cap.pcap" --mode pcap -w "$d/ref.txt"
	if [ $rc -ne 0 ]; then
		fail "$name" "nasoone -r cap.pcap --mode pcap: $(status_text $rc): $(first_error "$d/ref")"
		return
	fi
	if [ "$(rows "$d/ref.txt")" -lt $LIVE_ROWS ]; then
		fail "$name" "tcpdump's capture has $(rows "$d/ref.txt") rows, the traffic makes $LIVE_ROWS"
		return
	fi
	if live_compare "$d/ref.txt" "$d/report.txt"; then
		sums=$(python3 "$REPO_ROOT/tests/gen/outputs.py" sums "$d/flows.json" | cut -d' ' -f1,2)
		want=$(awk -F'; ' 'NR > 1 { p += $9; b += $8 } END { printf "%d %d\n", p, b }' \
			"$d/report.txt")
		if [ "$sums" = "$want" ]; then
			pass "$name"
		else
			fail "$name" "the flow log's ended rows sum to $sums, the report to $want"
		fi
	else
		fail "$name" "the live report differs from the report of tcpdump's capture ($(report_packets "$d/report.txt") packets in the live report, its statistics: '$(stat_counts "$d/nasoone.err")' received/counted; $(report_packets "$d/ref.txt") in tcpdump's)"
	fi
}

test_live()
{
	local t=live m

	need_root "$t" && need_tools "$t" ip ethtool tcpdump python3 || return 0
	make_tmp && trap cleanup EXIT
	if ! ns_pair live; then
		fail "$t" "cannot set up the namespaces and the veth pair"
		return
	fi
	ip netns exec "$NS_A" python3 "$E2E_DIR/traffic.py" serve 10.200.0.1 fd00:200::1 \
		>"$TMP/server-a.log" 2>&1 &
	bg_started $!
	ip netns exec "$NS_B" python3 "$E2E_DIR/traffic.py" serve 10.200.0.2 fd00:200::2 \
		>"$TMP/server-b.log" 2>&1 &
	bg_started $!
	if ! wait_for "$TMP/server-a.log" '^ready' 10 || ! wait_for "$TMP/server-b.log" '^ready' 10; then
		cat "$TMP/server-a.log" "$TMP/server-b.log" >>"$DETAIL"
		fail "$t" "the traffic servers did not start"
		return
	fi
	for m in xdp tc pcap; do
		if [ $m != pcap ]; then
			need_bpf "live $m" || continue
		fi
		live_one $m
	done
}
