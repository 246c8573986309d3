# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Counting never waits for a report: live on a veth pair in namespaces of
# our own, trafgen in B sends 60-byte UDP frames with random ports (each a
# new flow: 600k flows in 3 s at 200k packets/s, a rate these machines
# hold with -t 3600) to an address vethA does not have, while `nasoone -i
# vethA -t 1` rewrites a report of up to 600k rows every second. No packet
# may be lost: libpcap drops none (ring or queue), the eBPF path leaves
# none unattributed, and every UDP frame offered is in the report.

# shellcheck disable=SC2034 # run_tests (lib.sh) reads it
ALL_TESTS="test_no_stall"

STALL_RATE=${STALL_RATE:-200000}
STALL_SECONDS=${STALL_SECONDS:-3}

stall_one()
{
	local m=$1 name="no stall $1" d=$TMP/$1 tx0 tx1 offered counted rows udp npid tpid

	mkdir -p "$d"
	ip netns exec "$NS_A" "$NASOONE" -i vethA --mode "$m" -w "$d/report.txt" -t 1 \
		</dev/null >"$d/nasoone.out" 2>"$d/nasoone.err" &
	npid=$!
	bg_started $npid
	if ! wait_for "$d/nasoone.err" '^nasoone: \(eBPF\|libpcap\)' 10; then
		fail "$name" "nasoone did not start: $(head -n 1 "$d/nasoone.err")"
		return
	fi
	tx0=$(ip netns exec "$NS_B" cat /sys/class/net/vethB/statistics/tx_packets)
	ip netns exec "$NS_B" trafgen -o vethB -i "$TMP/udp.cfg" -b "${STALL_RATE}pps" \
		-n $((STALL_RATE * STALL_SECONDS)) --no-sock-mem -Q </dev/null >"$d/trafgen.out" 2>&1 &
	tpid=$!
	bg_started $tpid
	wait_pid $tpid $((STALL_SECONDS + 20))
	sleep 1.5 # a report interval and the drains after the last frame
	tx1=$(ip netns exec "$NS_B" cat /sys/class/net/vethB/statistics/tx_packets)
	kill -INT $npid
	wait_pid $npid 30
	if [ $rc -ne 0 ]; then
		fail "$name" "nasoone $(status_text $rc): $(grep -v '^nasoone: \(eBPF\|libpcap\)' "$d/nasoone.err" | head -n 1)"
		return
	fi
	offered=$((tx1 - tx0))
	udp=$(awk -F'; ' '$3 == "10.200.0.3" { n += $9 } END { print n + 0 }' "$d/report.txt")
	rows=$(awk -F'; ' '$3 == "10.200.0.3"' "$d/report.txt" | wc -l)
	read -r _ counted <<<"$(stat_counts "$d/nasoone.err")"
	grep -h 'packets' "$d/nasoone.err" >>"$DETAIL"
	if [ "$rows" -lt 500000 ]; then
		fail "$name" "$rows flows in the report, the test needs at least 500000 ($offered frames offered)"
	elif grep -q '^[0-9]* packets dropped, [0-9]* dropped by interface' "$d/nasoone.err" &&
		! grep -q '^0 packets dropped, 0 dropped by interface' "$d/nasoone.err"; then
		fail "$name" "packets were dropped"
	elif [ "$(ebpf_stat "$d/nasoone.err" unattributed)" != "" ] &&
		[ "$(ebpf_stat "$d/nasoone.err" unattributed)" != 0 ]; then
		fail "$name" "$(ebpf_stat "$d/nasoone.err" unattributed) packets unattributed"
	elif [ "$udp" -ne $((STALL_RATE * STALL_SECONDS)) ] || [ "$offered" -lt "$udp" ]; then
		fail "$name" "$udp of $((STALL_RATE * STALL_SECONDS)) frames sent in the report ($offered offered in all)"
	else
		: >"$DETAIL"
		pass "$name"
	fi
}

test_no_stall()
{
	local t="no stall" mac m

	need_root "$t" && need_tools "$t" ip ethtool trafgen || return 0
	make_tmp && trap cleanup EXIT
	if ! ns_pair stall; then
		fail "$t" "cannot set up the namespaces and the veth pair"
		return
	fi
	mac=$(ip netns exec "$NS_A" cat /sys/class/net/vethA/address)
	printf '{ eth(da=%s, type=0x0800), ipv4(saddr=10.200.0.2, daddr=10.200.0.3, ttl=64), udp(sport=drnd(), dport=drnd()), fill(0x00, 18) }\n' \
		"$mac" >"$TMP/udp.cfg"
	for m in pcap xdp; do
		if [ $m != pcap ]; then
			need_bpf "$t $m" || continue
		fi
		stall_one $m
	done
}
