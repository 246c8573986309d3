# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# The IPFIX tests (run by run.sh with tests/e2e/lib.sh and lib.sh).

# shellcheck disable=SC2034 # run_tests (tests/e2e/lib.sh) reads it
ALL_TESTS=${IPFIX_ONLY:-"test_generated test_corpus test_timeouts test_xdp_replay test_live test_tcp test_tcp_slow test_udp_refused test_flood"}

# export_file NAME CAPTURE [ARGS...]: nasoone -r CAPTURE exporting to the
# collectors, then compare.py on what they hold; one verdict.
export_file()
{
	local name=$1 cap=$2 d=$TMP/$(printf %s "$1" | tr -c 'A-Za-z0-9._-' _)

	shift 2
	rm -rf "$d"
	if ! collect_begin "$d"; then
		fail "$name" "the collectors did not start"
		return
	fi
	nas "$d/nas" -r "$cap" -w "$d/report.txt" --export "127.0.0.1:$NF_PORT" "$@"
	collect_end "$d"
	if [ ! -f "$d/report.txt" ]; then
		skip "$name" "nasoone cannot read it: $(first_error "$d/nas")"
		return
	fi
	if ! grep -q ' 0 records not sent$' "$d/nas.err"; then
		fail "$name" "not everything was sent: $(export_line "$d/nas.err")"
		return
	fi
	oracle "$cap" "$d/oracle.tsv"
	if compare "$d" --oracle "$d/oracle.tsv"; then
		pass "$name"
		echo "    $(cat "$d/compare.out")"
		# rows, and rows where tshark's IP octets could be compared
		sed -n 's/^\([0-9]*\) rows; .*nfcapd IP octets checked on \([0-9]*\) rows.*/\1 \2/p' \
			"$d/compare.out" >>"$TMP/coverage"
	else
		cat "$d/compare.out" >>"$DETAIL"
		fail "$name" "the collectors' records differ from the report"
	fi
}

# export_each PREFIX "ARGS" CAPTURE...: export_file "PREFIX NAME" CAPTURE ARGS for
# each capture, two at a time (collectors, tshark and nfdump mostly wait on
# each other), each pair's lines printed in order once it is done. Each job
# has its own DETAIL and stops its own collectors if it ends early.
export_each()
{
	local prefix=$1 args=$2 n=0 pids=() outs=()

	shift 2
	while [ $# -gt 0 ] || [ ${#pids[@]} -gt 0 ]; do
		if [ $# -gt 0 ] && [ ${#pids[@]} -lt 2 ]; then
			n=$((n + 1))
			outs+=("$TMP/job.$n")
			# shellcheck disable=SC2030,SC2086 # DETAIL is the job's own; args are words
			(
				trap '[ ${#BG_PIDS[@]} -eq 0 ] || kill "${BG_PIDS[@]}" 2>/dev/null' EXIT
				DETAIL=$TMP/job.$n.detail
				: >"$DETAIL"
				export_file "$prefix ${1##*/}" "$1" $args
			) >"$TMP/job.$n" 2>&1 &
			pids+=($!)
			shift
			continue
		fi
		# The older job first, so that the lines keep the captures' order.
		wait "${pids[0]}"
		cat "${outs[0]}"
		rm -f "${outs[0]}" "${outs[0]}.detail"
		pids=("${pids[@]:1}")
		outs=("${outs[@]:1}")
	done
}

test_generated()
{
	local t=generated dir

	need_tools "$t" nfcapd nfdump nfacctd tshark tcpdump python3 || return 0
	need_root "$t" || return 0
	make_tmp && trap cleanup EXIT
	dir=$(gen_rules) || {
		fail "$t" "pcapgen rules failed"
		return
	}
	# Two counters on each file (planned for 3 CPUs, so even on 2 CPUs).
	# shellcheck disable=SC2046 # one word per capture
	NASOONE_CPUS=3 export_each gen "-j 2" $(captures_in "$dir")
	coverage "gen: IP octets"
}

# coverage NAME: most rows had tshark's IP octets to compare with (some
# rows, as of later fragments, tshark attributes otherwise).
coverage()
{
	local n c

	read -r n c < <(awk '{ n += $1; c += $2 } END { print n + 0, c + 0 }' "$TMP/coverage" 2>/dev/null)
	if [ "${n:-0}" -gt 0 ] && [ $((c * 10)) -ge $((n * 9)) ]; then
		pass "$1"
		echo "    tshark's IP octets compared on $c of $n rows"
	else
		fail "$1" "tshark's IP octets compared on only ${c:-0} of ${n:-0} rows (want 90%)"
	fi
}

test_corpus()
{
	local t=corpus

	if [ -z "$CORPUS" ] || [ ! -d "$CORPUS" ]; then
		skip "$t" "no corpus folder (${CORPUS:-none given})"
		return
	fi
	need_tools "$t" nfcapd nfdump nfacctd tshark tcpdump python3 || return 0
	need_root "$t" || return 0
	make_tmp && trap cleanup EXIT
	# shellcheck disable=SC2046 # one word per capture
	export_each corpus "" $(captures_in "$CORPUS")
	coverage "corpus: IP octets"
}

# Idle and active timeouts, live on the loopback of a namespace of our own:
# a flow longer than the active timeout comes as several records with
# delta counts, a flow with a pause longer than the idle timeout as two,
# and all records still sum to the report; end reasons as IPFIX says.
test_timeouts()
{
	local t=timeouts d npid reasons records

	need_tools "$t" ip nfcapd nfdump nfacctd tshark tcpdump python3 || return 0
	need_root "$t" || return 0
	make_tmp && trap cleanup EXIT
	if ! ns_pair timeouts; then
		fail "$t" "cannot set up the namespaces"
		return
	fi
	d=$TMP/timeouts
	if ! collect_begin "$d" "$NS_A"; then
		fail "$t" "the collectors did not start"
		return
	fi
	ip netns exec "$NS_A" "$NASOONE" -i lo --mode pcap -w "$d/report.txt" -t 1 \
		--idle-timeout 1 --active-timeout 2 --export "127.0.0.1:$NF_PORT" \
		udp portrange 30000-30099 </dev/null >"$d/nas.out" 2>"$d/nas.err" &
	npid=$!
	bg_started $npid
	wait_for "$d/nas.err" '^nasoone: libpcap' 10
	# Port 30000: a datagram every 0.1 s for 5 s (active timeout); 30001: two
	# datagrams 3 s apart (idle timeout); 30002..30049: one datagram each.
	ip netns exec "$NS_A" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(50):
    if i == 0 or i == 30:
        s.sendto(b"b" * 30, ("127.0.0.1", 30001))
    s.sendto(b"a" * 20, ("127.0.0.1", 30000))
    if i >= 2:
        s.sendto(b"c" * 40, ("127.0.0.1", 30000 + i))
    time.sleep(0.1)
' 2>/dev/null
	sleep 1.5
	kill -INT $npid
	wait_pid $npid 15
	collect_end "$d"
	reasons=$(python3 - "$d/ipfix.json" <<'EOF'
import json, os, sys
sys.path.insert(0, os.environ["IPFIX_DIR"])
from compare import ipfix_records
n = {}
text = open(sys.argv[1]).read().strip()
for pkt in json.loads(text) if text else []:
    for r in ipfix_records(pkt["_source"]["layers"]):
        n[r["cflow.flow_end_reason"]] = n.get(r["cflow.flow_end_reason"], 0) + 1
print(" ".join("%s:%d" % kv for kv in sorted(n.items())))
EOF
)
	records=$(python3 -c 'import json,sys; print(sum(1 for r in json.load(open(sys.argv[1])) if r.get("dst_port") in (30000, 30001)))' "$d/nfdump.json" 2>/dev/null)
	if ! grep -q ' 0 records not sent$' "$d/nas.err"; then
		fail "$t" "not everything was sent: $(export_line "$d/nas.err")"
	elif ! compare "$d"; then
		cat "$d/compare.out" >>"$DETAIL"
		fail "$t" "the records of expired flows do not sum to the report"
	elif ! grep -q '1:' <<<"$reasons" || ! grep -q '2:' <<<"$reasons"; then
		fail "$t" "want idle (1) and active (2) end reasons, tshark reads: $reasons"
	elif [ "${records:-0}" -lt 4 ]; then
		fail "$t" "the long flow and the paused flow came as ${records:-0} records, want at least 4"
	else
		pass "$t"
		echo "    $(cat "$d/compare.out"); end reasons $reasons; ports 30000-1 in $records records"
	fi
}

# An XDP replay: the in-kernel program counts, the export is the same.
test_xdp_replay()
{
	local t="xdp replay" dir cap

	need_tools "$t" nfcapd nfdump nfacctd tshark tcpdump python3 || return 0
	need_root "$t" && need_bpf "$t" || return 0
	make_tmp && trap cleanup EXIT
	dir=$(gen_rules) || {
		fail "$t" "pcapgen rules failed"
		return
	}
	for cap in "$dir/sample.pcap" "$dir/pcap-us-le.pcap" "$dir/ipv6-ext.pcap" \
		"$dir/frag-ipv4.pcap"; do
		export_file "xdp ${cap##*/}" "$cap" --mode xdp
	done
}

# Live on a veth pair (tests/e2e/test-live.sh's traffic): nasoone in
# namespace A exports to collectors on A's loopback; the records match the
# live report, the IP octets those of tcpdump's capture, ingressInterface
# is vethA's index.
test_live()
{
	local t=live m d npid tpid crc ifindex ins

	need_root "$t" && need_tools "$t" ip ethtool tcpdump python3 nfcapd nfacctd tshark || return 0
	make_tmp && trap cleanup EXIT
	if ! ns_pair ipfix; then
		fail "$t" "cannot set up the namespaces and the veth pair"
		return
	fi
	ip netns exec "$NS_A" python3 "$E2E_DIR/traffic.py" serve 10.200.0.1 fd00:200::1 \
		>"$TMP/server-a.log" 2>&1 &
	bg_started $!
	if ! wait_for "$TMP/server-a.log" '^ready' 10; then
		fail "$t" "the traffic server did not start"
		return
	fi
	ifindex=$(ip netns exec "$NS_A" cat /sys/class/net/vethA/ifindex)
	for m in pcap xdp; do
		if [ $m = xdp ] && ! need_bpf "live $m"; then
			continue
		fi
		d=$TMP/live-$m
		if ! collect_begin "$d" "$NS_A"; then
			fail "live $m" "the collectors did not start"
			continue
		fi
		ip netns exec "$NS_A" tcpdump -i vethA -n -U --immediate-mode -w "$d/cap.pcap" </dev/null \
			>/dev/null 2>"$d/cap.err" &
		tpid=$!
		bg_started $tpid
		wait_for "$d/cap.err" 'listening on' 10
		ip netns exec "$NS_A" "$NASOONE" -i vethA --mode $m -w "$d/report.txt" -t 1 \
			--export "127.0.0.1:$NF_PORT" </dev/null >"$d/nas.out" 2>"$d/nas.err" &
		npid=$!
		bg_started $npid
		if ! wait_for "$d/nas.err" '^nasoone: \(eBPF\|libpcap\)' 10; then
			fail "live $m" "nasoone did not start: $(head -n 1 "$d/nas.err")"
			collect_end "$d"
			continue
		fi
		ip netns exec "$NS_B" python3 "$E2E_DIR/traffic.py" client 10.200.0.1 fd00:200::1 3 \
			>"$d/client.log" 2>&1
		crc=$?
		sleep 0.5
		kill -INT $npid $tpid
		wait_pid $npid 15
		wait_pid $tpid 10
		collect_end "$d"
		oracle "$d/cap.pcap" "$d/oracle.tsv"
		ins=$(python3 -c 'import json,sys; print(sorted(set(r["input_snmp"] for r in json.load(open(sys.argv[1])))))' "$d/nfdump.json")
		if [ $crc -ne 0 ]; then
			fail "live $m" "the traffic did not all come back"
		elif ! grep -q ' 0 records not sent$' "$d/nas.err"; then
			fail "live $m" "not everything was sent: $(export_line "$d/nas.err")"
		elif ! compare "$d" --oracle "$d/oracle.tsv"; then
			cat "$d/compare.out" >>"$DETAIL"
			fail "live $m" "the collectors' records differ from the live report"
		elif [ "$ins" != "[$ifindex]" ]; then
			fail "live $m" "ingressInterface $ins, vethA is $ifindex"
		else
			pass "live $m"
			echo "    $(cat "$d/compare.out"); ingressInterface $ifindex"
		fi
	done
}

# TCP: a collector (tcp_collector.py) that takes a few messages, goes away
# (closes, refuses), and comes back. nasoone says so once each way, counts
# what it could not send, and sends again once it is back; everything the
# collector received plus what was counted as not sent is every record.
test_tcp()
{
	local t="tcp reconnect" d port npid cpid got second unsent said flows

	need_root "$t" && need_tools "$t" ip python3 || return 0
	make_tmp && trap cleanup EXIT
	if ! ns_pair tcp; then
		fail "$t" "cannot set up the namespaces"
		return
	fi
	d=$TMP/tcp
	mkdir -p "$d"
	port=4739
	ip netns exec "$NS_A" python3 "$IPFIX_DIR/tcp_collector.py" 127.0.0.1 $port 3 2 \
		>"$d/collector.out" 2>"$d/collector.err" &
	cpid=$!
	bg_started $cpid
	wait_for "$d/collector.err" '^listening' 10
	ip netns exec "$NS_A" "$NASOONE" -i lo --mode pcap -w "$d/report.txt" -t 1 \
		--idle-timeout 1 --active-timeout 1 --export "tcp://127.0.0.1:$port" udp \
		</dev/null >"$d/nas.out" 2>"$d/nas.err" &
	npid=$!
	bg_started $npid
	wait_for "$d/nas.err" '^nasoone: libpcap' 10
	# New UDP flows for 9 s: 20 a second, each of one datagram.
	ip netns exec "$NS_A" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(180):
    s.sendto(b"x" * 10, ("127.0.0.1", 20000 + i))
    time.sleep(0.05)
' 2>/dev/null
	sleep 2.5
	kill -INT $npid
	wait_pid $npid 15
	wait_pid $cpid 10
	got=$(sed -n 's/^records \([0-9]*\)$/\1/p' "$d/collector.out")
	second=$(sed -n 's/^session2 \([0-9]*\)$/\1/p' "$d/collector.out")
	unsent=$(sed -n 's/^export: .*, \([0-9]*\) records not sent$/\1/p' "$d/nas.err")
	said=$(grep -c '^nasoone: export to tcp://127.0.0.1:4739: ' "$d/nas.err")
	flows=$(rows "$d/report.txt")
	printf 'collector: %s\nnasoone: %s\n' "$(tr '\n' ' ' <"$d/collector.out")" \
		"$(grep export "$d/nas.err")" >>"$DETAIL"
	# Records in flight when the collector closed are lost unseen (IPFIX over
	# TCP cannot tell): at most a message or two, 20 records each here.
	if [ -z "$got" ] || [ -z "$unsent" ]; then
		fail "$t" "no counts (collector: '$got', nasoone: '$(export_line "$d/nas.err")')"
	elif ! grep -q '^sessions 2$' "$d/collector.out" || [ "${second:-0}" -eq 0 ]; then
		fail "$t" "nasoone did not send again after the collector came back"
	elif [ $((got + unsent)) -gt "$flows" ] || [ $((got + unsent + 60)) -lt "$flows" ]; then
		fail "$t" "received $got + not sent $unsent, for $flows flows"
	elif [ "$said" -ne 2 ]; then
		fail "$t" "want one notice of the trouble and one of the return, got $said"
	else
		: >"$DETAIL"
		pass "$t"
		echo "    $flows flows: the collector received $got ($second after it came back), $unsent counted as not sent"
	fi
}

# TCP to a collector that takes the connection and never reads: the queue
# fills, the exporter says once that the collector is slow, what does not
# fit is counted as not sent, the stop waits a bounded time, and the report
# is the one without export.
test_tcp_slow()
{
	local t="tcp slow collector" d port cpid records unsent said

	need_root "$t" && need_tools "$t" python3 || return 0
	make_tmp && trap cleanup EXIT
	d=$TMP/slow
	mkdir -p "$d"
	"$PCAPGEN" mix --packets 300000 --flows 200000 --seed 5 "$TMP/mix.pcap" >/dev/null
	port=$(free_udp_port)
	python3 -c '
import socket, sys, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1]))); ls.listen(1)
print("listening", file=sys.stderr, flush=True)
conn, _ = ls.accept()
time.sleep(30)
' "$port" 2>"$d/collector.err" &
	cpid=$!
	bg_started $cpid
	wait_for "$d/collector.err" '^listening' 10
	nas "$d/nas" -r "$TMP/mix.pcap" -w "$d/report.txt" --export "tcp://127.0.0.1:$port"
	"$NASOONE" -r "$TMP/mix.pcap" -w "$d/plain.txt" 2>/dev/null
	records=$(sed -n 's/^export: \([0-9]*\) records .*/\1/p' "$d/nas.err")
	unsent=$(sed -n 's/^export: .*, \([0-9]*\) records not sent$/\1/p' "$d/nas.err")
	said=$(grep -c '^nasoone: export to tcp://.*: the collector is slow' "$d/nas.err")
	if [ $rc -ne 0 ]; then
		fail "$t" "nasoone $(status_text $rc): $(first_error "$d/nas")"
	elif ! cmp -s "$d/report.txt" "$d/plain.txt"; then
		fail "$t" "the report differs from the one without export"
	elif [ "${unsent:-0}" -eq 0 ] || [ "$said" -ne 1 ]; then
		fail "$t" "want records counted as not sent and one notice: $(export_line "$d/nas.err"), $said notices"
	elif [ $((records + unsent)) -ne "$(sed -n 's/.* \([0-9]*\) rows$/\1/p' "$d/nas.err")" ]; then
		fail "$t" "sent $records + not sent $unsent is not every row: $(grep ' rows$' "$d/nas.err")"
	else
		pass "$t"
		echo "    $(export_line "$d/nas.err")"
	fi
}

# UDP to a port where nobody listens: the exporter says so once, counts
# what it could not send, and the report is complete.
test_udp_refused()
{
	local t="udp refused" d port unsent said

	need_root "$t" || return 0
	make_tmp && trap cleanup EXIT
	d=$TMP/refused
	mkdir -p "$d"
	"$PCAPGEN" mix --packets 20000 --flows 2000 --seed 3 "$TMP/mix.pcap" >/dev/null
	port=$(free_udp_port)
	nas "$d/nas" -r "$TMP/mix.pcap" -w "$d/report.txt" --export "127.0.0.1:$port"
	"$NASOONE" -r "$TMP/mix.pcap" -w "$d/plain.txt" 2>/dev/null
	unsent=$(sed -n 's/^export: .*, \([0-9]*\) records not sent$/\1/p' "$d/nas.err")
	said=$(grep -c '^nasoone: export to udp://' "$d/nas.err")
	if [ $rc -ne 0 ]; then
		fail "$t" "nasoone $(status_text $rc): $(first_error "$d/nas")"
	elif ! cmp -s "$d/report.txt" "$d/plain.txt"; then
		fail "$t" "the report differs from the one without export"
	elif [ "${unsent:-0}" -eq 0 ]; then
		fail "$t" "nothing counted as not sent: $(export_line "$d/nas.err")"
	elif [ "$said" -ne 1 ]; then
		fail "$t" "want one notice, got $said: $(grep -m 3 'export to' "$d/nas.err")"
	else
		pass "$t"
		echo "    $(export_line "$d/nas.err")"
	fi
}

# A flood of 1M flows through loopback UDP: nfcapd, with a socket buffer
# large enough, sees no sequence gap, and has every flow.
test_flood()
{
	local t="flood 1M" d flows=1000000 old buf=268435456 fails nflows

	need_tools "$t" nfcapd nfdump tcpdump python3 || return 0
	need_root "$t" || return 0
	make_tmp && trap cleanup EXIT
	d=$TMP/flood
	"$PCAPGEN" mix --packets $((flows + flows / 2)) --flows $flows --seed 11 "$TMP/flood.pcap" \
		>/dev/null
	# nfcapd -B asks for the buffer; the kernel caps it at net.core.rmem_max.
	old=$(sysctl -n net.core.rmem_max)
	trap 'sysctl -qw net.core.rmem_max='"$old"'; cleanup' EXIT
	sysctl -qw net.core.rmem_max=$buf
	COLLECT_LIGHT=1 # this subshell's collector is nfcapd alone
	if ! collect_begin "$d" "" $buf; then
		fail "$t" "the collectors did not start"
		return
	fi
	nas "$d/nas" -r "$TMP/flood.pcap" -w "$d/report.txt" --export "127.0.0.1:$NF_PORT"
	sleep 2 # nfcapd works through its buffer
	collect_end "$d"
	fails=$(sed -n 's/^Sequence failures: //p' "$d/nfdump.stat")
	nflows=$(sed -n 's/^Flows: //p' "$d/nfdump.stat")
	if [ "$(rows "$d/report.txt")" -lt $flows ]; then
		fail "$t" "the capture has $(rows "$d/report.txt") rows, want $flows"
	elif [ "$fails" != 0 ]; then
		fail "$t" "nfcapd saw $fails sequence failures ($nflows flows of $(rows "$d/report.txt"))"
	elif [ "$nflows" != "$(sed -n 's/^export: \([0-9]*\) records .*/\1/p' "$d/nas.err")" ]; then
		fail "$t" "nfcapd has $nflows flows, nasoone sent: $(export_line "$d/nas.err")"
	else
		pass "$t"
		echo "    $nflows flows, 0 sequence failures; $(export_line "$d/nas.err")"
	fi
}
