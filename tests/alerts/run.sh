#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Alerts, the configuration file and the modes, tested through the command:
#   tests/alerts/run.sh NASOONE PCAPGEN OUTDIR
# Exact alert lines for generated captures (the file path and an XDP replay
# give the same), every flow alerted once by an all-matching rule, the exec
# action's environment (no shell), notify-send replaced by a stub on PATH,
# log files, configuration errors as FILE:LINE, --print-config and the
# command line over the file, the summary and detailed modes, and a live
# run on a veth pair with the alert latency measured (root only).
# Ends with "N passed, N failed".

set -u
NASOONE=$(realpath "$1")
PCAPGEN=$(realpath "$2")
OUTDIR=$(realpath -m "$3")
E2E_DIR=$(cd "$(dirname "$0")/../e2e" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUTDIR"
E2E_RESULTS=$OUTDIR/results
: >"$E2E_RESULTS"
export NASOONE PCAPGEN OUTDIR E2E_RESULTS
# shellcheck source=../e2e/lib.sh disable=SC2154 # rc: set by nas (lib.sh)
. "$E2E_DIR/lib.sh"
export TZ=UTC

SAMPLE=$OUTDIR/sample.pcap
MIX=$OUTDIR/mix.pcap
"$PCAPGEN" sample "$SAMPLE" >/dev/null || exit 1
[ -s "$MIX" ] || "$PCAPGEN" mix --packets 100000 --flows 20000 --seed 9 "$MIX" >/dev/null || exit 1

# The rules of the exact-lines test: the article's [alert], then one of each kind.
write_rules()
{
	cat >"$1" <<'EOF'
# The article's config.toml, as it is
[general]
mode = "report"

[alert]
ip = "192.168.1.31"
port = 80
notify = no

[alert dns6]
host = 2001:db8:100::/48   # either address
port = 53
proto = udp
on = flow
notify = no

[alert multicast]
dst = 224.0.0.0/4
on = flow
notify = no

[alert heavy]
bytes = 10k
window = 10
notify = no
EOF
}

# alert_lines ERRFILE: the alert lines, sorted, the measured part of a threshold line left out
# (a threshold is seen at a feed, whose time depends on the run).
alert_lines()
{
	grep ' alert ' "$1" | sed -e 's/^[^ ]* \(alert [^:]*: threshold [^(]*\) (.*/\1/' -e 's/ *$//' | sort
}

EXPECTED_SAMPLE="2023-01-01T00:00:01.124Z alert multicast: new flow udp 192.168.1.31:5353 > 224.0.0.251:5353
2023-01-01T00:00:01.623Z alert multicast: new flow udp 192.168.1.31:49321 > 239.255.255.250:1900
2023-01-01T00:00:02.623Z alert default: first packet tcp 192.168.1.31:44120 > 93.184.216.34:80
2023-01-01T00:00:00.128Z alert dns6: new flow udp [2001:db8:100::20]:41390 > [2001:db8:100::1]:53
2023-01-01T00:00:00.146Z alert dns6: new flow udp [2001:db8:100::1]:53 > [2001:db8:100::20]:41390
alert heavy: threshold tcp 140.82.112.22:443 > 192.168.1.20:53673
alert heavy: threshold tcp 192.168.1.10:22 > 192.168.1.31:38722
alert heavy: threshold tcp 93.184.216.34:80 > 192.168.1.31:44120
alert heavy: threshold tcp [2606:4700::6810:84e5]:443 > [2001:db8:100::20]:50412
alert heavy: threshold udp [2001:db8:100::20]:58530 > [2a00:1450:4001:82b::200e]:443
alert heavy: threshold udp [2a00:1450:4001:82b::200e]:443 > [2001:db8:100::20]:58530"

test_exact_lines()
{
	local t=exact_lines mode want got

	make_tmp && trap cleanup EXIT
	write_rules "$TMP/rules.toml"
	want=$(printf '%s\n' "$EXPECTED_SAMPLE" | sort)
	for mode in pcap xdp tc; do
		if [ $mode != pcap ] && ! need_bpf "$t-$mode"; then
			continue
		fi
		nas "$TMP/$mode" --config "$TMP/rules.toml" -r "$SAMPLE" -w /dev/null --mode $mode
		got=$(alert_lines "$TMP/$mode.err")
		if [ "$rc" -ne 0 ]; then
			cp "$TMP/$mode.err" "$DETAIL"
			fail "$t-$mode" "exit status $rc"
		elif [ "$got" != "$want" ]; then
			diff <(echo "$want") <(echo "$got") >"$DETAIL"
			fail "$t-$mode" "the alert lines differ from the expected ones"
		elif ! grep -qx '11 alerts' "$TMP/$mode.err"; then
			fail "$t-$mode" "the statistics do not count 11 alerts"
		else
			pass "$t-$mode"
		fi
	done
}

# A rule that matches every flow, on = flow: one alert per row of the report, on every path.
test_every_flow_once()
{
	local t=every_flow_once mode rows alerts lines

	make_tmp && trap cleanup EXIT
	printf '[alert all]\non = flow\nstderr = no\nlog = %s/LOG\nnotify = no\n' "$TMP" >"$TMP/all.toml"
	for mode in pcap xdp; do
		if [ $mode = xdp ] && ! need_bpf "$t-xdp"; then
			continue
		fi
		sed "s|LOG|$mode.log|" "$TMP/all.toml" >"$TMP/$mode.toml"
		# The replay on one CPU: a flow whose packets a moved thread sent through two CPU
		# maps may be first seen in the later one's drain, with a later first time (README).
		(
			[ $mode = xdp ] && taskset -pc 0 $BASHPID >/dev/null
			nas "$TMP/$mode" --config "$TMP/$mode.toml" -r "$MIX" -w "$TMP/$mode.report" \
				--mode $mode -j 2
		)
		rc=$?
		rows=$(($(wc -l <"$TMP/$mode.report") - 1))
		lines=$(sort -u "$TMP/$mode.log" | wc -l)
		alerts=$(sed -n 's/^\([0-9]*\) alerts$/\1/p' "$TMP/$mode.err")
		if [ "$rc" -ne 0 ] || [ "$rows" -ne "$lines" ] || [ "${alerts:-0}" -ne "$rows" ]; then
			fail "$t-$mode" "status $rc, $rows rows, $lines distinct log lines, ${alerts:-no} alerts counted"
		else
			pass "$t-$mode"
		fi
	done
	# The two paths say the same.
	if [ -s "$TMP/xdp.log" ] && ! cmp -s <(sort "$TMP/pcap.log") <(sort "$TMP/xdp.log"); then
		fail "$t-same" "the log lines of the file path and the XDP replay differ"
	elif [ -s "$TMP/xdp.log" ]; then
		pass "$t-same"
	fi
}

test_exec_environment()
{
	local t=exec_environment want

	make_tmp && trap cleanup EXIT
	# Commands run as the user nasoone dropped to (as root: nasoone or nobody).
	mkdir "$TMP/out" && chmod 1777 "$TMP/out"
	cat >"$TMP/record.sh" <<EOF
#!/bin/sh
env | grep '^NASOONE_' | sort >"$TMP/out/env.\$NASOONE_SPORT"
printf '%s\n' "\$@" >"$TMP/out/args.\$NASOONE_SPORT"
EOF
	chmod +x "$TMP/record.sh"
	cat >"$TMP/exec.toml" <<EOF
[alert web]
ip = 192.168.1.31
dport = 80
stderr = no
notify = no
exec = "$TMP/record.sh one ;touch $TMP/out/PWNED \$NASOONE_SRC"
EOF
	cd "$TMP/out" || return 1
	NASOONE_STALE=1 nas "$TMP/run" --config "$TMP/exec.toml" -r "$SAMPLE" -w /dev/null
	want="NASOONE_BYTES=1755
NASOONE_DPORT=80
NASOONE_DST=93.184.216.34
NASOONE_EVENT=first packet
NASOONE_FAMILY=4
NASOONE_LINE=2023-01-01T00:00:02.623Z alert web: first packet tcp 192.168.1.31:44120 > 93.184.216.34:80
NASOONE_PACKETS=14
NASOONE_PROTO=tcp
NASOONE_RULE=web
NASOONE_SPORT=44120
NASOONE_SRC=192.168.1.31
NASOONE_TIME=2023-01-01T00:00:02.623Z"
	if [ ! -f "$TMP/out/env.44120" ]; then
		fail $t "the command did not run"
	elif [ "$(grep -v -e '^NASOONE_BYTES' -e '^NASOONE_PACKETS' "$TMP/out/env.44120")" != \
		"$(echo "$want" | grep -v -e '^NASOONE_BYTES' -e '^NASOONE_PACKETS')" ]; then
		diff <(echo "$want") "$TMP/out/env.44120" >"$DETAIL"
		fail $t "the environment differs"
	elif [ -e "$TMP/out/PWNED" ] || [ "$(cat "$TMP/out/args.44120")" != "one
;touch
$TMP/out/PWNED
\$NASOONE_SRC" ]; then
		cat "$TMP/out/args.44120" >"$DETAIL"
		fail $t "the command line went through a shell"
	else
		pass $t
	fi
}

test_notify_stub()
{
	local t=notify_stub n

	make_tmp && trap cleanup EXIT
	mkdir "$TMP/bin" "$TMP/out" && chmod 1777 "$TMP/out"
	# One write a call: two notifications at once must not mix their lines.
	printf '#!/bin/sh\nline=$(printf "%%s|" "$@")\necho "$line" >>"%s/notified"\n' "$TMP/out" \
		>"$TMP/bin/notify-send"
	chmod +x "$TMP/bin/notify-send"
	printf '[alert mc]\ndst = 224.0.0.0/4\non = flow\nstderr = no\nnotify = yes\n' >"$TMP/n.toml"
	PATH=$TMP/bin:$PATH DBUS_SESSION_BUS_ADDRESS=unix:path=$TMP/bus \
		nas "$TMP/bus" --config "$TMP/n.toml" -r "$SAMPLE" -w /dev/null
	n=$(grep -c '^-a|nasoone|nasoone alert mc|20..-..-..T.*alert mc: new flow udp .* > 2\(24\|39\)\.' \
		"$TMP/out/notified" 2>/dev/null)
	if [ "$rc" -ne 0 ] || [ "${n:-0}" -ne 2 ]; then
		cat "$TMP/out/notified" >"$DETAIL" 2>/dev/null
		fail "$t-bus" "notify-send ran ${n:-0} times as expected, not 2 (status $rc)"
	else
		pass "$t-bus"
	fi
	rm -f "$TMP/out/notified"
	PATH=$TMP/bin:$PATH XDG_RUNTIME_DIR=$TMP/none nas "$TMP/nobus" --config "$TMP/n.toml" \
		-r "$SAMPLE" -w /dev/null </dev/null
	n=$(grep -c 'no session bus' "$TMP/nobus.err")
	if [ -e "$TMP/out/notified" ] || [ "$n" -ne 1 ]; then
		fail "$t-no-bus" "without a session bus: said $n times (not once), or notify-send ran"
	else
		pass "$t-no-bus"
	fi
}

# config_error NAME 'FILE CONTENT' 'EXPECTED LINE' [ARGS...]
config_error()
{
	local name=$1 content=$2 want=$3

	shift 3
	printf '%b' "$content" >"$TMP/c.toml"
	cd "$TMP" || return 1
	nas "$TMP/e" --config c.toml -r "$SAMPLE" -w /dev/null "$@"
	if [ "$rc" -ne 2 ] || [ "$(cat "$TMP/e.err")" != "$want" ]; then
		{
			echo "status $rc, stderr:"
			cat "$TMP/e.err"
			echo "expected: $want"
		} >"$DETAIL"
		fail "config_error-$name" "not one FILE:LINE line and status 2"
	else
		pass "config_error-$name"
	fi
}

test_config_errors()
{
	make_tmp && trap cleanup EXIT
	config_error unknown-section '[general]\n\n[bogus]\nx = 1\n' \
		'c.toml:3: unknown section [bogus]: use [general] or [alert NAME]'
	config_error unknown-key '# comment\n[general]\ncolour = red\n' \
		"c.toml:3: unknown key 'colour' in [general]"
	config_error bad-value '[general]\nthreads = many\n' \
		"c.toml:2: invalid -j value 'many': expected an integer from 0 to 64"
	config_error bad-flag '[general]\nforce = perhaps\n' \
		"c.toml:2: bad value 'perhaps' for force: use yes or no"
	config_error duplicate-rule '[alert a]\nport = 1\n\n[alert b]\nport = 2\n[alert a]\nport = 3\n' \
		"c.toml:6: duplicate rule name 'a' (first at line 1)"
	config_error duplicate-empty-rule '[alert a]\nport = 1\n[alert a]\n' \
		"c.toml:3: duplicate rule name 'a' (first at line 1)"
	config_error unknown-empty-section '[general]\n[colours]\n' \
		'c.toml:2: unknown section [colours]: use [general] or [alert NAME]'
	config_error bad-cidr '[alert a]\nsrc = 10.0.0.0/33\n' \
		"c.toml:2: bad address '10.0.0.0/33' for src: expected an IPv4 or IPv6 address, optionally /prefix"
	config_error bad-port '[alert a]\n\nport = 65536\n' \
		"c.toml:3: bad port '65536' for port: expected 0-65535 or a range LOW-HIGH"
	config_error unknown-rule-key '[alert a]\nsource = 1.2.3.4\n' \
		"c.toml:2: unknown key 'source' in [alert a]"
	config_error no-equals '[general]\njust words\n' \
		'c.toml:2: not a [section] header nor a key = value line'
	config_error unterminated '[alert a]\nexec = "/bin/true\n' \
		'c.toml:2: exec: unterminated quoted string'
	config_error threshold-alone '[general]\n[alert t]\non = threshold\n' \
		'c.toml:2: [alert t]: on = threshold needs bytes, packets or rate'
	config_error bad-mode '[general]\nmode = fast\n' \
		"c.toml:2: unknown mode 'fast': use auto, xdp, tc or pcap (the path), or summary, detailed or report (what is shown)"
	config_error not-in-file '[general]\nhelp = yes\n' \
		"c.toml:2: unknown key 'help' in [general]"
	config_error before-section 'interval = 5\n' \
		"c.toml:1: 'interval' before any [section]: put it under [general]"
}

test_print_config()
{
	local t=print_config out again

	make_tmp && trap cleanup EXIT
	printf '[general]\ninterval = 5\nthreads = 2   # a comment\nfilter = "udp or tcp"\nwrite = "%s/r.txt"\n\n[alert "a-b"]\nhost = 2001:db8::1/64\nrepeat = 0.5\nexec = "/bin/echo hi"\n' \
		"$TMP" >"$TMP/p.toml"
	nas "$TMP/p" --config "$TMP/p.toml" -t 7 --print-config
	out=$(cat "$TMP/p.out")
	if [ "$rc" -ne 0 ] || ! grep -qx 'interval = "7"' "$TMP/p.out" ||
		! grep -qx 'threads = "2"' "$TMP/p.out" ||
		! grep -qx 'filter = "udp or tcp"' "$TMP/p.out" ||
		! grep -qx '\[alert a-b\]' "$TMP/p.out" || ! grep -qx 'host = 2001:db8::/64' "$TMP/p.out" ||
		! grep -qx 'repeat = 0.5' "$TMP/p.out" || [ -e "$TMP/r.txt" ]; then
		cp "$TMP/p.out" "$DETAIL"
		fail "$t-override" "the effective configuration is not the file under the command line"
	else
		pass "$t-override"
	fi
	# What it prints reads back as the same configuration.
	cp "$TMP/p.out" "$TMP/again.toml"
	nas "$TMP/q" --config "$TMP/again.toml" --print-config
	again=$(cat "$TMP/q.out")
	if [ "$rc" -ne 0 ] || [ "$again" != "$out" ]; then
		diff <(echo "$out") <(echo "$again") >"$DETAIL"
		cat "$TMP/q.err" >>"$DETAIL"
		fail "$t-round-trip" "the printed configuration does not read back the same"
	else
		pass "$t-round-trip"
	fi
	# mode is both what is shown and the capture path: neither replaces the other.
	printf '[general]\nmode = summary\n' >"$TMP/m.toml"
	nas "$TMP/m" --config "$TMP/m.toml" --mode xdp --print-config
	verdict "$t-two-modes" "$(grep -qx 'mode = "summary"' "$TMP/m.out" &&
		grep -qx 'mode = "xdp"' "$TMP/m.out" || echo "status $rc: $(cat "$TMP/m.out")")"
	# The sample file that make install installs reads.
	nas "$TMP/sample" --config "$HERE/../../etc/nasoone.toml" --print-config
	verdict "$t-sample-file" "$([ "$rc" -eq 0 ] && grep -qx '\[alert big-transfer\]' "$TMP/sample.out" ||
		echo "status $rc: $(head -1 "$TMP/sample.err")")"
	# The command line beats the file for -r against the file's interface.
	printf '[general]\ninterface = no-such-device0\n' >"$TMP/i.toml"
	nas "$TMP/i" --config "$TMP/i.toml" -r "$SAMPLE" -w "$TMP/i.report"
	verdict "$t-read-over-interface" \
		"$([ "$rc" -eq 0 ] && [ "$(wc -l <"$TMP/i.report")" -eq 22 ] || echo "status $rc")"
}

test_summary_mode()
{
	local t=summary_mode total sent recv

	make_tmp && trap cleanup EXIT
	printf '[general]\nmode = "summary"\n' >"$TMP/s.toml"
	nas "$TMP/s" --config "$TMP/s.toml" -r "$SAMPLE" -w "$TMP/s.report"
	total=$(awk -F'; ' 'NR > 1 { b += $8 } END { print b }' "$TMP/s.report")
	sent=$(awk '/^---/ { n++ } n == 1 && $2 ~ /^[0-9]+$/ { s += $2; r += $4 } END { print s, r }' \
		"$TMP/s.out")
	recv=${sent#* }
	sent=${sent% *}
	if [ "$rc" -ne 0 ] || ! head -1 "$TMP/s.out" | grep -q '^--- 2023-01-01 00:00:07, 15 addresses$' ||
		[ "$sent" != "$total" ] || [ "$recv" != "$total" ]; then
		head -5 "$TMP/s.out" >"$DETAIL"
		fail $t "status $rc; sent $sent and received $recv bytes, the report $total"
	else
		pass $t
	fi
}

test_detailed_mode()
{
	local t=detailed_mode counted lines

	make_tmp && trap cleanup EXIT
	nas "$TMP/d" --mode detailed -r "$SAMPLE"
	counted=$(sed -n 's/.* received, \([0-9]*\) counted.*/\1/p' "$TMP/d.err")
	lines=$(wc -l <"$TMP/d.out")
	if [ "$rc" -ne 0 ] || [ "$lines" -ne "${counted:-0}" ] ||
		! grep -qx '2023-01-01T00:00:00.186Z TCP 140.82.112.22:443 > 192.168.1.20:53673 length 60 seq 1054685789 ack 2283929099 flags \[SA\]' "$TMP/d.out" ||
		! grep -qx '2023-01-01T00:00:00.128Z UDP 192.168.1.20:51812 > 192.168.1.1:53 length 84 udp length 50' "$TMP/d.out"; then
		head -5 "$TMP/d.out" >"$DETAIL"
		fail "$t" "status $rc, $lines lines for $counted counted packets"
	else
		pass "$t"
	fi
	nas "$TMP/x" --mode detailed --mode xdp -r "$SAMPLE"
	if [ "$rc" -ne 2 ] || ! grep -q 'detailed mode shows every packet: it needs the libpcap path' "$TMP/x.err"; then
		fail "$t-ebpf-refused" "status $rc: $(head -1 "$TMP/x.err")"
	else
		pass "$t-ebpf-refused"
	fi
}

# Live on a veth pair: datagrams to 10.200.0.1:9999 from new ports, the alert's latency timed.
test_live_latency()
{
	local t=live_latency mode pid out extra

	need_root "$t" || return 0
	need_tools "$t" python3 ip || return 0
	make_tmp && trap cleanup EXIT
	ns_pair alert || {
		fail "$t" "cannot set up the namespaces"
		return 0
	}
	printf '[alert live]\ndst = 10.200.0.1\ndport = 9999\nproto = udp\nnotify = no\n' >"$TMP/l.toml"
	for mode in pcap xdp tc; do
		extra=()
		if [ $mode != pcap ]; then
			need_bpf "$t-$mode" || continue
			extra=(--drain-ms 100)
		fi
		ip netns exec "$NS_A" "$NASOONE" -i vethA --mode $mode "${extra[@]}" --config "$TMP/l.toml" \
			-w /dev/null -t 1 </dev/null >"$TMP/$mode.out" 2>"$TMP/$mode.err" &
		pid=$!
		bg_started $pid
		if ! wait_for "$TMP/$mode.err" 'nasoone: ' 10; then
			fail "$t-$mode" "nasoone did not start"
			continue
		fi
		if [ $mode != pcap ] && kernel_refuses "$TMP/$mode.err"; then
			skip "$t-$mode" "the kernel refuses $mode on a veth"
			continue
		fi
		sleep 0.5
		out=$(ip netns exec "$NS_B" python3 "$HERE/latency.py" 10.200.0.1 9999 "$TMP/$mode.err" 5)
		kill -INT $pid
		wait_pid $pid 10
		echo "$out" | sed "s/^/    $mode: /"
		if echo "$out" | grep -q missing || [ "$(echo "$out" | grep -c latency_ms)" -ne 5 ]; then
			echo "$out" >"$DETAIL"
			fail "$t-$mode" "an alert did not come"
		else
			echo "$out" | awk -v m=$mode '{ s += $3; if ($3 > x) x = $3 } END {
				printf "    %s: alert latency mean %.1f ms, max %.1f ms over %d datagrams\n", m, s / NR, x, NR }'
			pass "$t-$mode"
		fi
	done
}

# shellcheck disable=SC2034 # run_tests (lib.sh) reads it
ALL_TESTS=${ALERT_TESTS:-"test_exact_lines test_every_flow_once test_exec_environment test_notify_stub
	test_config_errors test_print_config test_summary_mode test_detailed_mode test_live_latency"}
run_tests
passed=$(grep -c '^PASS$' "$E2E_RESULTS")
failed=$(grep -c '^FAIL$' "$E2E_RESULTS")
skipped=$(grep -c '^SKIPPED$' "$E2E_RESULTS")
echo "alerts: $passed passed, $failed failed ($skipped skipped)"
[ "$failed" -eq 0 ]
