# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Privileges dropped once the capture is open (-Z nobody), in every mode:
# reading a file (libpcap, and replayed through XDP and TC), and live on a
# veth in namespaces of our own through libpcap, XDP, TC (tcx links) and TC
# through netlink cls_bpf (forced with NASOONE_TC_NETLINK=1). While nasoone
# runs, /proc/PID/status of every thread must show nobody's uid and gid, no
# supplementary groups, no-new-privs and only the capabilities left needed
# (none; cap_net_admin for netlink, to detach) in every set, bounding set
# included; and the counting stays exact: the report holds the expected
# rows. Live, also: the interface is promiscuous while nasoone runs, and
# the statistics mean the same in every mode (received = counted + skipped
# + filtered + paused + dropped; the ICMP errors the filter refuses are
# filtered in libpcap too). Then as systemd runs nasoone@.service: started
# as a user with the unit's four capabilities as ambient ones, it keeps
# none once open.

# shellcheck disable=SC2034 # run_tests (lib.sh) reads it
ALL_TESTS="test_privs_file test_privs_live test_privs_unit"

CAP_NET_ADMIN_MASK=0000000000001000
NO_CAPS=0000000000000000
PRIV_DATAGRAMS=20

# creds_why PID CAPS [BOUNDING]: "" when every thread of PID runs as
# nobody with exactly CAPS (16 hex digits) in its permitted and effective
# sets, and in its bounding set (or BOUNDING), nothing inheritable or
# ambient, no groups and no-new-privs; else what differs.
creds_why()
{
	local pid=$1 caps=$2 bnd=${3:-$2} uid gid st task

	uid=$(id -u nobody)
	gid=$(id -g nobody)
	if [ ! -r /proc/"$pid"/status ]; then
		echo "process $pid is gone"
		return
	fi
	for st in /proc/"$pid"/status /proc/"$pid"/task/*/status; do
		[ -r "$st" ] || continue
		task=${st%/status}
		task=${task##*/}
		awk -v uid="$uid" -v gid="$gid" -v caps="$caps" -v bnd="$bnd" -v task="$task" '
			/^Uid:/ && ($2 != uid || $3 != uid || $4 != uid || $5 != uid) { print task ": " $0 }
			/^Gid:/ && ($2 != gid || $3 != gid || $4 != gid || $5 != gid) { print task ": " $0 }
			/^Groups:/ && NF > 1 { print task ": " $0 }
			/^Cap(Prm|Eff):/ && $2 != caps { print task ": " $0 " (want " caps ")" }
			/^CapBnd:/ && $2 != bnd { print task ": " $0 " (want " bnd ")" }
			/^Cap(Inh|Amb):/ && $2 != "0000000000000000" { print task ": " $0 }
			/^NoNewPrivs:/ && $2 != 1 { print task ": " $0 }
		' "$st"
	done | head -n 3 | tr '\n' ';'
}

# stats_add_up ERRFILE: received = counted + skipped + filtered + paused + dropped.
stats_add_up()
{
	awk '
		/packets? received,/ { r = $1; c = $4; s = $6; f = $8 }
		/packets? dropped,/ { d = $1; p = $8 }
		END { exit !(r != "" && r == c + s + f + p + d) }' "$1"
}

# file_run D M: nasoone -r D/mix.pcap --mode M -Z nobody on a terminal of
# its own (script(1)), its pid in D/pid, the key p typed before it starts:
# the capture is paused at once, whatever the speed of the reading. It
# resumes (key r) once D/resume exists.
file_run()
{
	local d=$1 m=$2

	rm -f "$d/pid" "$d/resume" "$d/r.txt"
	{
		printf p
		while [ ! -e "$d/resume" ]; do sleep 0.05; done
		printf r
		while [ -s "$d/pid" ] && kill -0 "$(cat "$d/pid")" 2>/dev/null; do sleep 0.05; done
	} | script -q -e -c "echo \$\$ >'$d/pid'; exec '$NASOONE' -r '$d/mix.pcap' --mode $m -w '$d/r.txt' -Z nobody -j 1 2>'$d/$m.err'" /dev/null >/dev/null
}

# The file paths, paused right after start to look at the credentials.
test_privs_file()
{
	local t m d pid why spid

	need_root "privs file" && need_tools "privs file" script || return 0
	make_tmp && trap cleanup EXIT
	if ! id nobody >/dev/null 2>&1; then
		skip "privs file" "no user nobody"
		return 0
	fi
	d=$TMP/file
	mkdir -p "$d" && chown nobody "$d"
	if ! "$PCAPGEN" mix --packets 100000 --flows 2000 --seed 7 --expected "$d/expected.txt" \
		"$d/mix.pcap" >/dev/null 2>"$d/gen.err"; then
		fail "privs file" "pcapgen mix failed: $(head -n 1 "$d/gen.err")"
		return
	fi
	for m in pcap xdp tc; do
		t="privs file $m"
		if [ $m != pcap ] && ! need_bpf "$t"; then
			continue
		fi
		file_run "$d" $m &
		spid=$!
		bg_started $spid
		if ! wait_for "$d/$m.err" '^nasoone: paused' 10 || [ ! -s "$d/pid" ]; then
			touch "$d/resume"
			wait_pid $spid 30 || kill_wait $spid
			fail "$t" "not paused by the key p: $(head -n 1 "$d/$m.err")"
			continue
		fi
		pid=$(cat "$d/pid")
		why=$(creds_why "$pid" $NO_CAPS)
		touch "$d/resume"
		wait_pid $spid 60
		if [ -n "$why" ]; then
			fail "$t" "credentials while running: $why"
		elif [ $rc -ne 0 ]; then
			fail "$t" "$(status_text $rc): $(first_error "$d/$m")"
		elif ! cmp -s <(tail -n +2 "$d/r.txt" | sort) <(tail -n +2 "$d/expected.txt" | sort); then
			fail "$t" "the report differs from pcapgen's expected rows"
		elif [ "$(stat -c %U "$d/r.txt")" != nobody ]; then
			fail "$t" "the report is not nobody's: $(stat -c %U "$d/r.txt")"
		elif ! grep -q '^nasoone: resumed' "$d/$m.err" || ! stats_add_up "$d/$m.err"; then
			fail "$t" "not resumed, or received is not counted + skipped + filtered + paused + dropped"
		else
			pass "$t"
		fi
	done
}

# traffic_b: PRIV_DATAGRAMS datagrams from vethB, 10.200.0.2:7001.. to 10.200.0.1:6001..
traffic_b()
{
	ip netns exec "$NS_B" python3 -c '
import socket, sys
for i in range(1, int(sys.argv[1]) + 1):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.200.0.2", 7000 + i))
    s.sendto(b"nasoone-privs", ("10.200.0.1", 6000 + i))
    s.close()
' "$PRIV_DATAGRAMS"
}

# The rows the datagrams make: 4-tuple, protocols and packets (bytes and times vary by path).
expected_live_rows()
{
	local i

	for ((i = 1; i <= PRIV_DATAGRAMS; i++)); do
		echo "10.200.0.2; $((7000 + i)); 10.200.0.1; $((6000 + i)); [UDP]; 1"
	done | sort
}

# no_promisc_why MODE: "" when -p leaves vethA non-promiscuous in MODE, else why.
no_promisc_why()
{
	local d=$TMP/nopromisc-$1 pid flags why=""

	mkdir -p "$d" && chown nobody "$d"
	ip netns exec "$NS_A" "$NASOONE" -i vethA --mode "$1" -p -w "$d/r.txt" -t 1 -v \
		</dev/null >/dev/null 2>"$d/err" &
	pid=$!
	bg_started $pid
	if ! wait_for "$d/err" '^nasoone: running as' 10; then
		why="did not start: $(head -n 1 "$d/err")"
	else
		flags=$(ip netns exec "$NS_A" cat /sys/class/net/vethA/flags)
		((flags & 0x100)) && why="vethA promiscuous with -p (flags $flags)"
	fi
	kill -INT $pid 2>/dev/null
	wait_pid $pid 15
	echo "$why"
}

test_privs_live()
{
	local t m d pid why caps flags env_nl bytes="" b

	need_root "privs live" && need_tools "privs live" ip ethtool python3 tc || return 0
	make_tmp && trap cleanup EXIT
	if ! id nobody >/dev/null 2>&1; then
		skip "privs live" "no user nobody"
		return 0
	fi
	if ! ns_pair privs; then
		fail "privs live" "cannot set up the namespaces and the veth pair"
		return
	fi
	for m in pcap xdp tc netlink; do
		t="privs live $m"
		if [ $m != pcap ] && ! need_bpf "$t"; then
			continue
		fi
		d=$TMP/$m
		mkdir -p "$d" && chown nobody "$d"
		caps=$NO_CAPS
		env_nl=
		if [ $m = netlink ]; then
			caps=$CAP_NET_ADMIN_MASK
			env_nl=NASOONE_TC_NETLINK=1
		fi
		ip netns exec "$NS_A" env $env_nl "$NASOONE" -i vethA --mode "${m/netlink/tc}" \
			-w "$d/r.txt" -t 1 -Z nobody -v 'udp and dst host 10.200.0.1 and dst portrange 6001-6100' \
			</dev/null >/dev/null 2>"$d/err" &
		pid=$!
		bg_started $pid
		if ! wait_for "$d/err" '^nasoone: running as' 10; then
			kill_wait $pid
			if kernel_refuses "$d/err"; then
				skip "$t" "the kernel refuses the attachment: $(head -n 1 "$d/err")"
			else
				fail "$t" "did not start: $(head -n 1 "$d/err")"
			fi
			continue
		fi
		why=$(creds_why $pid $caps)
		flags=$(ip netns exec "$NS_A" cat /sys/class/net/vethA/flags)
		[ -z "$why" ] && ((!(flags & 0x100))) && why="vethA is not promiscuous while nasoone runs (flags $flags)"
		traffic_b
		sleep 0.5
		kill -INT $pid
		wait_pid $pid 15
		flags=$(ip netns exec "$NS_A" cat /sys/class/net/vethA/flags)
		if [ -n "$why" ]; then
			fail "$t" "while running: $why"
		elif [ $rc -ne 0 ]; then
			fail "$t" "$(status_text $rc): $(first_error "$d/err")"
		elif ! cmp -s <(tail -n +2 "$d/r.txt" | awk -F'; ' '{ print $1 "; " $2 "; " $3 "; " $4 "; " $5 "; " $9 }' | sort) \
			<(expected_live_rows); then
			tail -n +2 "$d/r.txt" | head -n 5 >>"$DETAIL"
			fail "$t" "the report is not the $PRIV_DATAGRAMS datagrams, one row each"
		elif b=$(tail -n +2 "$d/r.txt" | awk -F'; ' '{ n += $8 } END { print n }') &&
			[ -n "$bytes" ] && [ "$b" != "$bytes" ]; then
			fail "$t" "$b bytes in the report, $bytes in the first mode's"
		elif ((flags & 0x100)); then
			fail "$t" "vethA still promiscuous after nasoone stopped"
		elif [ $m = netlink ] && [ "$( (ip netns exec "$NS_A" tc filter show dev vethA ingress
			ip netns exec "$NS_A" tc filter show dev vethA egress) 2>/dev/null | grep -c 'handle 0x6e61')" -ne 0 ]; then
			fail "$t" "netlink filters left after SIGINT: the detach as nobody failed"
		elif ! stats_add_up "$d/err"; then
			fail "$t" "received is not counted + skipped + filtered + paused + dropped: $(grep 'received' "$d/err")"
		elif ! awk '/packets? received,/ { f = $8 } END { exit !(f > 0) }' "$d/err"; then
			# The ICMP errors vethA sends back do not pass the filter: every mode must say so.
			fail "$t" "nothing filtered: $(grep 'received' "$d/err")"
		elif [ $m != pcap ] && [ "$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)" = 0 ] &&
			! grep -q 'program run time not measured' "$d/err"; then
			fail "$t" "kernel.bpf_stats_enabled=0, but the run time is not said to be not measured"
		else
			bytes=${bytes:-$b}
			pass "$t"
		fi
	done
	for m in pcap xdp tc; do
		[ $m = pcap ] || need_bpf "privs live $m -p" || continue
		verdict "privs live $m -p" "$(no_promisc_why $m)"
	done
}

# As nasoone@.service starts it: a user of its own (nobody here) with the
# four capabilities of the unit as ambient ones, no-new-privs, a bounding
# set of those four. Once open, none is left (the bounding set stays: no
# CAP_SETPCAP to change it) and the counting is exact, in each eBPF mode.
test_privs_unit()
{
	local t m d pid why unit_caps=+bpf,+perfmon,+net_admin,+net_raw bnd

	need_root "privs unit" && need_bpf "privs unit" &&
		need_tools "privs unit" ip ethtool python3 setpriv || return 0
	make_tmp && trap cleanup EXIT
	if ! id nobody >/dev/null 2>&1 ||
		! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$NASOONE"; then
		skip "privs unit" "no user nobody, or nobody cannot run $NASOONE"
		return 0
	fi
	if ! ns_pair unit; then
		fail "privs unit" "cannot set up the namespaces and the veth pair"
		return
	fi
	# CAP_NET_ADMIN 12, CAP_NET_RAW 13, CAP_PERFMON 38, CAP_BPF 39.
	bnd=$(printf '%016x' $(((1 << 12) | (1 << 13) | (1 << 38) | (1 << 39))))
	for m in xdp tc pcap; do
		t="privs unit $m"
		d=$TMP/unit-$m
		mkdir -p "$d" && chown nobody "$d"
		ip netns exec "$NS_A" setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
			--inh-caps=$unit_caps --ambient-caps=$unit_caps --bounding-set=-all,$unit_caps \
			--no-new-privs "$NASOONE" -i vethA --mode $m -w "$d/r.txt" -t 1 --force -v \
			'udp and dst host 10.200.0.1 and dst portrange 6001-6100' \
			</dev/null >/dev/null 2>"$d/err" &
		pid=$!
		bg_started $pid
		if ! wait_for "$d/err" '^nasoone: running as' 10; then
			kill_wait $pid
			fail "$t" "did not start: $(head -n 1 "$d/err")"
			continue
		fi
		why=$(creds_why $pid $NO_CAPS "$bnd")
		traffic_b
		sleep 0.5
		kill -TERM $pid
		wait_pid $pid 15
		if [ -n "$why" ]; then
			fail "$t" "while running: $why"
		elif [ $rc -ne 0 ]; then
			fail "$t" "$(status_text $rc): $(first_error "$d/err")"
		elif ! cmp -s <(tail -n +2 "$d/r.txt" | awk -F'; ' '{ print $1 "; " $2 "; " $3 "; " $4 "; " $5 "; " $9 }' | sort) \
			<(expected_live_rows); then
			fail "$t" "the report is not the $PRIV_DATAGRAMS datagrams, one row each"
		else
			pass "$t"
		fi
	done
}
