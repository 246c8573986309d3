# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Attach and detach, live on a veth in a namespace of our own:
#  (a) SIGINT: the final report is written, exit status 0, and then nothing
#      is left attached;
#  (b) SIGKILL: nothing is left attached within a second (the attachments
#      are bpf_links owned by the process: XDP link, tcx links);
#  (c) without privileges (user nobody, no capabilities) --mode auto says
#      that eBPF cannot run and why, and if libpcap cannot capture either,
#      fails with one clear error line;
#  (d) --mode xdp / --mode tc without privileges fail clearly (exit status
#      1, one line about permission) and never fall back to libpcap.
#
# "Nothing attached" is checked on what this test's nasoone attached: the
# bpf_links it holds (read from /proc/PID/fdinfo while it runs, their
# programs named nasoone_*) must be gone from `bpftool link show`, their
# programs unloaded, `ip -d link show dev vethA` must show no XDP program
# and `bpftool net show dev vethA` no program at all (it names none; only
# this nasoone attaches in this namespace). (Not every nasoone_*
# link of the machine: other nasoone processes may be running.)

# shellcheck disable=SC2034 # run_tests (lib.sh) reads it
ALL_TESTS="test_lifecycle_signals test_lifecycle_unprivileged test_lifecycle_netlink"

# links_of PID: "LINK_ID PROG_ID TYPE" for each bpf_link PID holds.
links_of()
{
	local f

	for f in /proc/"$1"/fdinfo/*; do
		awk '/^link_type:/ { t = $2 } /^link_id:/ { l = $2 } /^prog_id:/ { p = $2 }
			END { if (l != "") print l, p, t }' "$f" 2>/dev/null
	done
}

# prog_name ID: the name of program ID, empty when there is none.
prog_name()
{
	bpftool prog show id "$1" 2>/dev/null | sed -n 's/^[0-9]*: [a-z_]*  *name \([^ ]*\) .*/\1/p'
}

# attached_why LINKS: what is still attached or loaded, empty when nothing.
attached_why()
{
	local links=$1 ids why="" l p

	ids=$(bpftool link show 2>/dev/null | sed -n 's/^\([0-9]*\): .*/\1/p')
	while read -r l p _; do
		[ -n "$l" ] || continue
		grep -qx "$l" <<<"$ids" && why+="${why:+; }link $l still in bpftool link show"
		[ -n "$(prog_name "$p")" ] && why+="${why:+; }program $p ($(prog_name "$p")) still loaded"
	done <<<"$links"
	ip -n "$NS_A" -d link show dev vethA | grep -q xdp &&
		why+="${why:+; }ip -d link show dev vethA shows XDP"
	# It lists XDP programs and TC filters (not tcx links) by id, as
	# "vethA(IFINDEX) driver id N": in our namespace, only nasoone's.
	ip netns exec "$NS_A" bpftool net show dev vethA 2>/dev/null | grep -q 'vethA(' &&
		why+="${why:+; }bpftool net show dev vethA lists a program"
	echo "$why"
}

# lifecycle_one MODE SIGNAL
lifecycle_one()
{
	local m=$1 sig=$2 name="lifecycle $1 SIG$2" d=$TMP/$1-$2 pid links l p names="" bad="" why i

	mkdir -p "$d"
	ip netns exec "$NS_A" "$NASOONE" -i vethA --mode "$m" -w "$d/report.txt" -t 1 \
		</dev/null >"$d/n.out" 2>"$d/n.err" &
	pid=$!
	bg_started $pid
	if ! wait_for "$d/n.err" '^nasoone: \(eBPF\|libpcap\)' 10; then
		kill_wait $pid
		cat "$d/n.err" >>"$DETAIL"
		if kernel_refuses "$d/n.err"; then
			skip "$name" "the kernel refuses the attachment: $(head -n 1 "$d/n.err")"
		else
			fail "$name" "no capture path line on stderr ($(status_text $rc))"
		fi
		return
	fi
	if grep -q '^nasoone: libpcap' "$d/n.err"; then
		kill_wait $pid
		fail "$name" "--mode $m fell back: $(grep -m 1 '^nasoone: libpcap' "$d/n.err")"
		return
	fi
	links=$(links_of $pid)
	while read -r l p _; do
		[ -n "$l" ] || continue
		names+=" $(prog_name "$p")"
		case $(prog_name "$p") in nasoone_*) ;; *) bad=1 ;; esac
	done <<<"$links"
	why=""
	if [ "$(grep -c . <<<"$links")" -lt 2 ]; then
		why="holds $(grep -c . <<<"$links") bpf_links, expected 2 (ingress, egress)"
	elif [ -n "$bad" ]; then
		why="link programs named '$names', expected nasoone_*"
	elif [ "$m" = xdp ] && ! grep -q ' xdp$' <<<"$links"; then
		why="no XDP link: $(tr '\n' ',' <<<"$links")"
	fi
	# The checks below must see the attachments while they are there.
	if [ -z "$why" ]; then
		why=$(attached_why "$links")
		l=$(awk 'NR == 1 { print $1 }' <<<"$links")
		if ! grep -q "link $l still" <<<"$why" ||
			{ [ "$m" = xdp ] && ! grep -q 'shows XDP' <<<"$why"; }; then
			why="while attached, the checks see only '$why' (test the test)"
		else
			why=""
		fi
	fi
	if [ -n "$why" ]; then
		kill_wait $pid
		fail "$name" "$why"
		return
	fi

	# A few UDP datagrams B -> A, so the final report has a row.
	for i in 1 2 3; do
		ip netns exec "$NS_B" bash -c 'echo lifecycle >/dev/udp/10.200.0.1/9' 2>/dev/null
	done
	sleep 0.2
	kill -"$sig" $pid
	wait_pid $pid 10 2>/dev/null # no "Killed" notice from bash
	if [ "$sig" = INT ]; then
		if [ $rc -ne 0 ]; then
			fail "$name" "$(status_text $rc) after SIGINT, expected 0: $(first_error "$d/n")"
			return
		fi
		if [ ! -f "$d/report.txt" ] || ! is_report "$d/report.txt" ||
			! grep -q '^10.200.0.2; [0-9]*; 10.200.0.1; 9; \[UDP\]; ' "$d/report.txt"; then
			cp "$d/report.txt" "$DETAIL" 2>/dev/null
			fail "$name" "no final report with the datagrams sent"
			return
		fi
	elif [ $rc -ne 137 ]; then
		fail "$name" "$(status_text $rc) after SIGKILL"
		return
	fi
	# Nothing attached, at once or within a second.
	for ((i = 0; i < 20; i++)); do
		why=$(attached_why "$links")
		[ -z "$why" ] && break
		sleep 0.05
	done
	verdict "$name" "${why:+after 1 s: $why}"
}

test_lifecycle_signals()
{
	local t=lifecycle m sig

	need_root "$t" && need_bpf "$t" && need_tools "$t" ip ethtool bpftool || return 0
	make_tmp && trap cleanup EXIT
	if ! ns_pair life; then
		fail "$t" "cannot set up the namespaces and the veth pair"
		return
	fi
	for m in xdp tc; do
		for sig in INT KILL; do
			lifecycle_one $m $sig
		done
	done
}

# nobody ARGS...: nasoone as user nobody without any capability, in
# namespace A, for at most 5 s (then SIGINT); stdout and stderr in
# $TMP/nobody.out and .err, the exit status in $rc.
nobody()
{
	local pid

	ip netns exec "$NS_A" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		--bounding-set=-all "$NASOONE" "$@" </dev/null >"$TMP/nobody.out" 2>"$TMP/nobody.err" &
	pid=$!
	bg_started $pid
	if ! wait_pid $pid 5; then
		kill -INT $pid
		wait_pid $pid 5 || kill_wait $pid
	fi
}

# stray_lines: lines of nobody.err that do not start with "nasoone: ".
stray_lines()
{
	grep -cv '^nasoone: ' "$TMP/nobody.err"
}

test_lifecycle_unprivileged()
{
	local t="lifecycle unprivileged" m why n

	need_root "$t" && need_tools "$t" ip ethtool setpriv || return 0
	make_tmp && trap cleanup EXIT
	if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$NASOONE"; then
		skip "$t" "user nobody cannot run $NASOONE (a folder on its path is not searchable)"
		return 0
	fi
	if ! ns_pair nopriv; then
		fail "$t" "cannot set up the namespaces and the veth pair"
		return
	fi

	# (c) auto: says why eBPF cannot run; libpcap then fails for lack of
	# permission (or captures, if this system lets nobody do it).
	nobody -i vethA --mode auto -w - -t 1
	n=$(grep -c . "$TMP/nobody.err")
	why=""
	if ! grep -q 'eBPF cannot run: [^ ]' "$TMP/nobody.err"; then
		why="no line saying why eBPF cannot run"
	elif [ "$(stray_lines)" -ne 0 ]; then
		why="$(stray_lines) stderr lines not starting 'nasoone: ' (library noise?)"
	elif [ $rc -eq 0 ]; then
		grep -q '^nasoone: libpcap on vethA, because eBPF cannot run: ' "$TMP/nobody.err" ||
			why="captured, but no 'libpcap on vethA, because eBPF cannot run' line"
	elif [ $rc -ne 1 ]; then
		why="$(status_text $rc), expected 1 (or 0)"
	elif [ "$n" -gt 2 ]; then
		why="$n lines on stderr: expected why eBPF cannot run and one error line"
	elif ! grep -qi 'permi\|privileg\|CAP_\|root' "$TMP/nobody.err"; then
		why="no line about missing permission"
	fi
	[ -n "$why" ] && sed 's/^/stderr: /' "$TMP/nobody.err" >>"$DETAIL"
	verdict "$t: --mode auto says why eBPF cannot run" "$why"

	# (d) forced eBPF: a clear failure, never libpcap.
	for m in xdp tc; do
		nobody -i vethA --mode $m -w - -t 1
		n=$(grep -c . "$TMP/nobody.err")
		why=""
		if grep -q '^nasoone: libpcap' "$TMP/nobody.err"; then
			why="fell back to libpcap"
		elif [ $rc -eq 0 ] || [ $rc -eq 124 ] || [ $rc -gt 128 ]; then
			why="$(status_text $rc), expected 1"
		elif [ "$n" -ne 1 ] || [ "$(stray_lines)" -ne 0 ]; then
			why="$n lines on stderr, expected one 'nasoone: ' line"
		elif ! grep -qi 'permi\|privileg\|CAP_BPF\|CAP_NET_ADMIN\|root' "$TMP/nobody.err"; then
			why="the error does not mention permission or privilege"
		fi
		[ -n "$why" ] && sed 's/^/stderr: /' "$TMP/nobody.err" >>"$DETAIL"
		verdict "$t: --mode $m fails clearly" "$why"
	done
}

# nl_filters: nasoone's netlink cls_bpf filters on vethA (handle 0x6e61).
nl_filters()
{
	{
		ip netns exec "$NS_A" tc filter show dev vethA ingress
		ip netns exec "$NS_A" tc filter show dev vethA egress
	} 2>/dev/null | grep -c 'handle 0x6e61'
}

# The netlink cls_bpf path of kernels without tcx links (forced here with
# NASOONE_TC_NETLINK=1): both filters attached while running, removed on
# SIGINT; a SIGKILL leaves them, and the next run replaces them and
# removes them at its end.
test_lifecycle_netlink()
{
	local t="lifecycle tc netlink" d pid why=""

	need_root "$t" && need_bpf "$t" && need_tools "$t" ip ethtool tc || return 0
	make_tmp && trap cleanup EXIT
	if ! ns_pair nl; then
		fail "$t" "cannot set up the namespaces and the veth pair"
		return
	fi
	d=$TMP/netlink
	mkdir -p "$d"
	ip netns exec "$NS_A" env NASOONE_TC_NETLINK=1 "$NASOONE" -i vethA --mode tc \
		-w "$d/r1.txt" -t 1 >/dev/null 2>"$d/r1.err" &
	pid=$!
	bg_started "$pid"
	if ! wait_for "$d/r1.err" 'netlink cls_bpf' 5; then
		kill_wait "$pid"
		if kernel_refuses "$d/r1.err"; then
			skip "$t" "the kernel refuses cls_bpf: $(head -n 1 "$d/r1.err")"
		else
			fail "$t" "no 'TC (netlink cls_bpf)' line: $(head -n 1 "$d/r1.err")"
		fi
		return
	fi
	[ "$(nl_filters)" -eq 2 ] || why="not 2 filters while running"
	kill_wait "$pid"
	[ -z "$why" ] && [ "$(nl_filters)" -ne 2 ] && why="SIGKILL removed the filters?"
	ip netns exec "$NS_A" env NASOONE_TC_NETLINK=1 "$NASOONE" -i vethA --mode tc \
		-w "$d/r2.txt" -t 1 >/dev/null 2>"$d/r2.err" &
	pid=$!
	bg_started "$pid"
	wait_for "$d/r2.err" 'netlink cls_bpf' 5 || why=${why:-"the second run did not attach"}
	[ -z "$why" ] && [ "$(nl_filters)" -ne 2 ] && why="the second run did not replace the stale filters"
	ip netns exec "$NS_B" bash -c 'echo hi >/dev/udp/10.200.0.1/5000' 2>/dev/null
	sleep 0.3
	kill -INT "$pid"
	wait_pid "$pid" 5
	[ -z "$why" ] && [ "$rc" -ne 0 ] && why="SIGINT: $(status_text $rc)"
	[ -z "$why" ] && [ "$(nl_filters)" -ne 0 ] && why="filters left after SIGINT"
	[ -z "$why" ] && ! grep -q '; 5000; \[UDP\]' "$d/r2.txt" && why="the datagram is not in the report"
	verdict "$t" "$why"
}
