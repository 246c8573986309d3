# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# The tests of `nasoone top` (run by tests/top/run.sh after lib.sh files).

ALL_TESTS="t_screen_equals_report t_sort_keys t_scroll t_filter t_hosts t_quit_writes_report
t_signals t_resize t_no_terminal t_not_a_report t_follow_report t_live_pcap t_live_tc
t_live_xdp t_follow_live_report"
if [ -n "${TOP_ONLY:-}" ]; then
	ALL_TESTS=$(for t in $ALL_TESTS; do case $t in *"$TOP_ONLY"*) echo "$t" ;; esac; done)
fi

# raw_view W H FILE ARGS...: the view of FILE, read to its end, numbers raw.
raw_view()
{
	local w=$1 h=$2 f=$3

	shift 3
	view "$w" "$h" "$NASOONE" top -r "$f" "$@" &&
		wait_screen ' - finished - ' 30 &&
		keys n &&
		wait_screen '^rows [0-9]*  shown [0-9]*  packets [0-9]*  bytes [0-9]*  ' 5 &&
		settle # the rows below the header may still be redrawn in the other format
}

# bad WHY: the reason of the verdict, when it is the first one.
bad()
{
	[ -n "$why" ] || why=$1
}

# same_text A B LABEL: equal files, else the difference in $DETAIL.
same_text()
{
	cmp -s "$1" "$2" && return 0
	echo "$3:" >>"$DETAIL"
	diff "$1" "$2" | head -n 10 >>"$DETAIL"
	return 1
}

t_screen_equals_report()
{
	local t=screen_equals_report why="" f name

	top_tmp || return 0
	"$PCAPGEN" sample "$TMP/sample.pcap" >/dev/null
	for f in "$(mix top-40 3000 40 3)" "$TMP/sample.pcap"; do
		name=${f##*/}
		"$NASOONE" -r "$f" -w "$TMP/r.txt" --force 2>/dev/null
		if ! raw_view 250 70 "$f"; then
			why="$name: the view did not show the finished capture"
			break
		fi
		sp rows "$TMP/screen" >"$TMP/got" && sp report-rows "$TMP/r.txt" >"$TMP/want"
		same_text "$TMP/want" "$TMP/got" "$name: rows (report < > screen)" ||
			why="$name: the rows on screen differ from the report"
		sp totals "$TMP/screen" >"$TMP/got" && sp report-totals "$TMP/r.txt" >"$TMP/want"
		same_text "$TMP/want" "$TMP/got" "$name: totals" ||
			bad "$name: the totals differ from the report"
		keys q
		wait_exit 10
		tm kill-session -t v
		[ -n "$why" ] && break
	done
	verdict "$t" "$why"
}

# sort_moved COL: until the status line names a sort column other than COL.
sort_moved()
{
	local i

	for ((i = 0; i < 50; i++)); do
		shot "$TMP/screen"
		grep -q "^connections | sort " "$TMP/screen" &&
			! grep -q "^connections | sort $1 |" "$TMP/screen" && return 0
		sleep 0.1
	done
	return 1
}

t_sort_keys()
{
	local t=sort_keys why="" f col i dir

	top_tmp || return 0
	f=$(mix top-40 3000 40 3)
	raw_view 250 70 "$f" || {
		fail "$t" "the view did not show the capture"
		return 0
	}
	# From the default (bytes), step through every column with '>', both ways.
	for ((i = 0; i < 13; i++)); do
		col=$(sed -n 's/^connections | sort \([^ ]*\) | .*/\1/p' "$TMP/screen")
		for dir in "" reverse; do
			if [ -n "$dir" ]; then
				keys R
				wait_screen "^connections | sort $col reversed |" 5 || {
					why="R did not reverse $col"
					break 2
				}
			fi
			sp order "$TMP/screen" "$col" $dir 2>>"$DETAIL" ||
				bad "the rows are not in the order of $col $dir"
		done
		keys R
		wait_screen "^connections | sort $col |" 5 && keys '>' && sort_moved "$col" || {
			bad "> did not move the sort column from $col"
			break
		}
	done
	[ "$i" -eq 13 ] && ! grep -q '^connections | sort bytes |' "$TMP/screen" &&
		bad "13 steps of > did not come back to bytes"
	verdict "$t" "$why"
}

# Scrolling a table longer than the screen: each window holds the right rows in order.
t_scroll()
{
	local t=scroll why="" f n

	top_tmp || return 0
	f=$(mix top-5k 20000 5000 7) # beyond the heap of 4096: End selects from the end
	"$NASOONE" -r "$f" -w "$TMP/r.txt" 2>/dev/null
	n=$(rows "$TMP/r.txt")
	# 220x24: 16 rows on screen.
	raw_view 220 24 "$f" || {
		fail "$t" "the view did not show the capture"
		return 0
	}
	check_window()
	{
		sp shown "$TMP/screen" >"$TMP/got"
		sp by-bytes "$TMP/r.txt" "$1" 16 >"$TMP/want"
		same_text "$TMP/want" "$TMP/got" "$2 (rows $1..)" || bad "$2: not rows $1.. in order"
	}
	check_window 0 home
	keys NPage
	sleep 0.3 && shot "$TMP/screen"
	check_window 16 "page down"
	keys NPage NPage Down Down Down
	sleep 0.3 && shot "$TMP/screen"
	check_window 48 "three pages and three rows"
	keys End
	sleep 0.3 && shot "$TMP/screen"
	check_window $((n - 16)) end
	keys PPage
	sleep 0.3 && shot "$TMP/screen"
	check_window $((n - 32)) "end, page up"
	keys Home
	sleep 0.3 && shot "$TMP/screen"
	check_window 0 "home again"
	verdict "$t" "$why"
}

t_filter()
{
	local t=filter why="" f flt a p n

	top_tmp || return 0
	f=$(mix top-40 3000 40 3)
	"$NASOONE" -r "$f" -w "$TMP/r.txt" --force 2>/dev/null
	a=$(sed -n 2p "$TMP/r.txt" | cut -d';' -f1)
	p=$(sed -n 3p "$TMP/r.txt" | cut -d' ' -f4 | tr -d ';')
	raw_view 250 70 "$f" || {
		fail "$t" "the view did not show the capture"
		return 0
	}
	for flt in "$a" "port $p" ":$p" udp tcp "198.18.0.0/16" "10.0.0.0/8 udp" "198.18.1" \
		"$a tcp" "192.0.2.0/24"; do
		keys c / "$flt" Enter
		wait_screen "| filter $flt |" 5 || {
			why="the filter '$flt' was not taken"
			break
		}
		sp report-rows "$TMP/r.txt" "$flt" >"$TMP/want"
		n=$(grep -c . "$TMP/want")
		if [ "$n" -eq 0 ]; then
			grep -q "shown 0 " "$TMP/screen" || why="'$flt': rows shown where none match"
			continue
		fi
		sp rows "$TMP/screen" >"$TMP/got"
		same_text "$TMP/want" "$TMP/got" "filter '$flt'" ||
			bad "'$flt' does not show exactly the matching rows"
		grep -q "  shown $n  " "$TMP/screen" || bad "'$flt': shown is not $n"
	done
	# A bad filter: one line, the old filter stays.
	keys / ' 10.0.0.0/99' Enter
	wait_screen 'filter: bad prefix length' 5 || bad "a bad prefix was not refused"
	verdict "$t" "$why"
}

t_hosts()
{
	local t=hosts why=""

	top_tmp || return 0
	"$PCAPGEN" sample "$TMP/sample.pcap" >/dev/null
	"$NASOONE" -r "$TMP/sample.pcap" -w "$TMP/r.txt" 2>/dev/null
	raw_view 200 60 "$TMP/sample.pcap" || {
		fail "$t" "the view did not show the capture"
		return 0
	}
	keys s
	wait_screen '^hosts | sort sent |' 5 || why="s did not switch to the per-host summary"
	sp hosts "$TMP/screen" >"$TMP/got"
	sp report-hosts "$TMP/r.txt" >"$TMP/want"
	same_text "$TMP/want" "$TMP/got" "hosts (report < > screen)" ||
		bad "the per-host summary differs from the report"
	sp order "$TMP/screen" sent 2>>"$DETAIL" || bad "hosts not in the order of sent"
	keys '<'
	wait_screen '^hosts | sort rows |' 5 && sp order "$TMP/screen" rows 2>>"$DETAIL" ||
		bad "hosts not sorted by rows"
	keys Tab
	wait_screen '^connections | ' 5 || bad "Tab did not come back to connections"
	verdict "$t" "$why"
}

t_quit_writes_report()
{
	local t=quit_writes_report why="" f

	top_tmp || return 0
	f=$(mix top-40 3000 40 3)
	"$NASOONE" -r "$f" -w "$TMP/want.txt" 2>/dev/null
	view 120 40 "$NASOONE" top -r "$f" -w "$TMP/top.txt"
	wait_screen ' - finished - ' 30 || why="the view did not finish the file"
	keys q
	wait_exit 20
	[ "$rc" = 0 ] || bad "q: exit status $rc"
	same_file "$TMP/want.txt" "$TMP/top.txt" "final report" ||
		bad "the final report differs from nasoone -w"
	a=$(alt_screen); [ "$a" = 0 ] || bad "the terminal was not restored ($a)"
	verdict "$t" "$why"
}

t_signals()
{
	local t=signals why="" f sig pid

	top_tmp || return 0
	f=$(mix top-40 3000 40 3)
	"$NASOONE" -r "$f" -w "$TMP/want.txt" 2>/dev/null
	for sig in INT TERM HUP; do
		rm -f "$TMP/top.txt"
		view 100 30 "$NASOONE" top -r "$f" -w "$TMP/top.txt"
		wait_screen ' - finished - ' 30 || why="$sig: the view did not start"
		pid=$(pgrep -P "$(tm display-message -p -t v '#{pane_pid}')" | head -n 1)
		[ -n "$pid" ] && kill -"$sig" "$pid"
		wait_exit 20
		[ "$rc" = 0 ] || bad "SIG$sig: exit status $rc"
		same_file "$TMP/want.txt" "$TMP/top.txt" "SIG$sig final report" ||
			bad "SIG$sig: no final report"
		[ "$(alt_screen)" = 0 ] || bad "SIG$sig: the terminal was not restored"
		tm kill-session -t v
	done
	verdict "$t" "$why"
}

t_resize()
{
	local t=resize why="" w

	top_tmp || return 0
	"$PCAPGEN" sample "$TMP/sample.pcap" >/dev/null
	"$NASOONE" -r "$TMP/sample.pcap" -w "$TMP/r.txt" 2>/dev/null
	view 80 24 "$NASOONE" top -r "$TMP/sample.pcap"
	wait_screen ' - finished - ' 20 || why="the view did not start"
	cp "$TMP/screen" "$TMP/screen-80x24"
	w=$(sp widest "$TMP/screen")
	[ "$w" -le 80 ] || bad "a line of $w columns at 80x24"
	[ "$(wc -l <"$TMP/screen")" -eq 24 ] || bad "not 24 lines at 80x24"
	# 21 rows, 16 on screen: header (6), column names, 16 rows, status line.
	[ "$(grep -c '^[0-9a-f:.+]* *[0-9]* [0-9a-f:.+]* *[0-9]* ' "$TMP/screen")" -eq 16 ] ||
		bad "not 16 rows at 80x24"
	grep -q '^source  *sport destination' "$TMP/screen" || bad "no column names at 80x24"
	tm resize-window -t v -x 220 -y 50
	keys n
	wait_screen '^rows 21  shown 21  packets 218  bytes 139549' 5 &&
		wait_screen 'first  *last' 5 || bad "no full columns after the resize"
	sp rows "$TMP/screen" >"$TMP/got"
	sp report-rows "$TMP/r.txt" >"$TMP/want"
	same_text "$TMP/want" "$TMP/got" "rows at 220x50" ||
		bad "after the resize the rows differ from the report"
	cp "$TMP/screen" "$TMP/screen-220x50"
	tm resize-window -t v -x 60 -y 12
	sleep 0.5
	shot "$TMP/screen"
	[ "$(sp widest "$TMP/screen")" -le 60 ] || bad "lines wider than 60 columns"
	keys q
	wait_exit 10
	[ "$rc" = 0 ] || bad "exit status $rc after resizing"
	verdict "$t" "$why"
}

t_no_terminal()
{
	local t=no_terminal why=""

	top_tmp || return 0
	"$PCAPGEN" sample "$TMP/sample.pcap" >/dev/null
	"$NASOONE" top -r "$TMP/sample.pcap" </dev/null >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[ "$rc" = 2 ] || why="exit status $rc, not 2"
	[ "$(wc -l <"$TMP/err")" = 1 ] && grep -q '^nasoone top: needs a terminal' "$TMP/err" ||
		bad "not one clear line: $(head -c 200 "$TMP/err")"
	[ -s "$TMP/out" ] && bad "something on standard output"
	verdict "$t" "$why"
}

t_not_a_report()
{
	local t=not_a_report why=""

	top_tmp || return 0
	printf 'hello\nworld\n' >"$TMP/notes.txt"
	view 100 20 "$NASOONE" top --report "$TMP/notes.txt" "2>$TMP/err"
	wait_exit 10
	[ "$rc" = 1 ] || why="exit status $rc, not 1"
	grep -q "^nasoone top: $TMP/notes.txt is not a nasoone report" "$TMP/err" ||
		bad "no clear error: $(head -c 200 "$TMP/err")"
	verdict "$t" "$why"
}

# Reports replaced by rename, as nasoone -w does: the view follows each.
t_follow_report()
{
	local t=follow_report why="" i f

	top_tmp || return 0
	"$PCAPGEN" sample "$TMP/sample.pcap" >/dev/null
	"$NASOONE" -r "$(mix top-20 2000 20 5)" -w "$TMP/r1.txt" 2>/dev/null
	"$NASOONE" -r "$(mix top-40 3000 40 3)" -w "$TMP/r2.txt" 2>/dev/null
	"$NASOONE" -r "$TMP/sample.pcap" -w "$TMP/r3.txt" 2>/dev/null
	cp "$TMP/r1.txt" "$TMP/report.txt"
	view 250 70 "$NASOONE" top --report "$TMP/report.txt" -d 0.2 "2>$TMP/err"
	wait_screen ' - following - ' 10 || why="the view did not start"
	keys n
	for i in 1 2 3 1; do
		cp "$TMP/r$i.txt" "$TMP/next.txt" && mv "$TMP/next.txt" "$TMP/report.txt"
		sp report-totals "$TMP/report.txt" >"$TMP/want"
		wait_screen "^$(cat "$TMP/want" | sed 's/^rows \([0-9]*\) shown \([0-9]*\) packets \([0-9]*\) bytes \([0-9]*\)/rows \1  shown \2  packets \3  bytes \4 /')" 5 ||
			bad "rewrite $i: the totals did not follow"
		sp rows "$TMP/screen" >"$TMP/got"
		sp report-rows "$TMP/report.txt" >"$TMP/want"
		same_text "$TMP/want" "$TMP/got" "rewrite with r$i.txt" ||
			bad "rewrite $i: rows differ from the report"
	done
	# Filters and the summary work on a report too.
	keys / udp Enter
	sp report-rows "$TMP/report.txt" udp >"$TMP/want"
	wait_screen "| filter udp |" 5 && sp rows "$TMP/screen" >"$TMP/got" &&
		same_text "$TMP/want" "$TMP/got" "udp on a report" || bad "filter on a report"
	# The report disappears: an error, the terminal back.
	rm -f "$TMP/report.txt"
	wait_exit 10
	[ "$rc" = 1 ] || bad "a vanished report: exit status $rc"
	grep -q 'cannot read the report' "$TMP/err" || bad "no error for a vanished report"
	[ "$(alt_screen)" = 0 ] || bad "the terminal was not restored after an error"
	verdict "$t" "$why"
}

# live MODE WORDS: the view on vethB of a pair, traffic from the other end.
live()
{
	local t=live_$1 mode=$1 words=$2 why="" p1 p2 q1 q2

	need_root "$t" || return 0
	[ "$mode" = pcap ] || need_bpf "$t" || return 0
	top_tmp || return 0
	ns_pair "top$mode" || {
		fail "$t" "cannot make the namespaces"
		return 0
	}
	udp_sender "$NS_A" 10.200.0.2 7000
	udp_sender "$NS_A" 10.200.0.2 7001 1000 41000 # five times the bytes/s
	view 200 50 ip netns exec "$NS_B" "$NASOONE" top -i vethB -m "$mode" -w "$TMP/live.txt" \
		-d 0.3 udp "2>$TMP/err"
	if ! wait_screen ' - running - ' 15; then
		wait_exit 5
		if kernel_refuses "$TMP/err"; then
			skip "$t" "this kernel cannot attach $mode on a veth: $(head -n 1 "$TMP/err")"
			return 0
		fi
		fail "$t" "the view did not start: $(head -n 1 "$TMP/err" 2>/dev/null)"
		return 0
	fi
	grep -q "^$words" "$TMP/screen" || why="the path line does not say $words"
	keys n
	wait_screen '^10\.200\.0\.1  *4000[0-3]  *10\.200\.0\.2  *7000 ' 10 ||
		bad "the sender's rows are not shown"
	wait_screen 'rate [1-9][0-9]* B/s' 5 || bad "no rate"
	# Sorted by bytes/s (two steps right of bytes): the faster sender first, in order.
	keys '>' '>'
	wait_screen '^connections | sort bytes/s |' 5 || bad "> > did not sort by bytes/s"
	sleep 1.5
	shot "$TMP/screen"
	sp order "$TMP/screen" bytes/s 2>>"$DETAIL" || bad "not in the order of bytes/s"
	sed -n '/^source/{n;p}' "$TMP/screen" | grep -q '^10\.200\.0\.1  *4100[0-3] ' ||
		bad "the faster sender is not first by bytes/s"
	keys R
	wait_screen '^connections | sort bytes/s reversed |' 5 &&
		sp order "$TMP/screen" bytes/s reverse 2>>"$DETAIL" || bad "bytes/s reversed"
	keys R '<' '<'
	# Pause: the state says so, counting stops, the packets seen while paused grow.
	keys p
	wait_screen ' - paused - ' 5 || bad "p did not pause"
	sleep 1.2
	shot "$TMP/s1"
	sleep 1.2
	shot "$TMP/s2"
	p1=$(sed -n 's/.*  packets \([0-9]*\)  bytes.*/\1/p' "$TMP/s1")
	p2=$(sed -n 's/.*  packets \([0-9]*\)  bytes.*/\1/p' "$TMP/s2")
	q1=$(sed -n 's/.*  paused \([0-9]*\)  .*/\1/p' "$TMP/s1")
	q2=$(sed -n 's/.*  paused \([0-9]*\)  .*/\1/p' "$TMP/s2")
	[ -n "$p1" ] && [ "$p1" = "$p2" ] || bad "counted while paused: $p1 then $p2"
	[ -n "$q1" ] && [ "${q2:-0}" -gt "$q1" ] || bad "paused count did not grow: $q1 $q2"
	keys r
	wait_screen ' - running - ' 5 || bad "r did not resume"
	sleep 1.2
	shot "$TMP/s3"
	p2=$(sed -n 's/.*  packets \([0-9]*\)  bytes.*/\1/p' "$TMP/s3")
	[ "${p2:-0}" -gt "${p1:-0}" ] || bad "no counting after resume: $p1 then $p2"
	cp "$TMP/screen" "$OUTDIR/screen-live-$mode.txt" 2>/dev/null
	keys q
	wait_exit 20
	[ "$rc" = 0 ] || bad "q: exit status $rc"
	is_report "$TMP/live.txt" && grep -q '^10\.200\.0\.1; 4000[0-3]; 10\.200\.0\.2; 7000; \[UDP\]' \
		"$TMP/live.txt" || bad "no final report with the sender's rows"
	a=$(alt_screen); [ "$a" = 0 ] || bad "the terminal was not restored ($a)"
	verdict "$t" "$why"
}

t_live_pcap()
{
	live pcap 'libpcap on vethB'
}

t_live_tc()
{
	live tc 'eBPF: TC'
}

t_live_xdp()
{
	live xdp 'eBPF: XDP'
}

# A report rewritten every second by a live nasoone: rows and packets grow on screen.
t_follow_live_report()
{
	local t=follow_live_report why="" p1 p2

	need_root "$t" || return 0
	top_tmp || return 0
	ns_pair topfollow || {
		fail "$t" "cannot make the namespaces"
		return 0
	}
	udp_sender "$NS_A" 10.200.0.2 7000
	ip netns exec "$NS_B" "$NASOONE" -i vethB -m pcap -t 1 -w "$TMP/r.txt" udp \
		</dev/null >/dev/null 2>"$TMP/writer.err" &
	bg_started $!
	wait_for "$TMP/r.txt" '^10\.200\.0\.1; ' 10 || {
		fail "$t" "the writer wrote no report: $(head -n 1 "$TMP/writer.err")"
		return 0
	}
	view 200 40 "$NASOONE" top --report "$TMP/r.txt" -d 0.2
	wait_screen ' - following - ' 5 && keys n &&
		wait_screen '^10\.200\.0\.1  *4000[0-3]  *10\.200\.0\.2  *7000 ' 5 ||
		why="the writer's rows are not shown"
	p1=$(sed -n 's/.*  packets \([0-9]*\)  bytes.*/\1/p' "$TMP/screen")
	sleep 2.5
	shot "$TMP/screen"
	p2=$(sed -n 's/.*  packets \([0-9]*\)  bytes.*/\1/p' "$TMP/screen")
	[ "${p2:-0}" -gt "${p1:-0}" ] || bad "the packets did not grow: $p1 then $p2"
	grep -q 'report read [3-9][0-9]* times\|report read [0-9][0-9]\+ times' "$TMP/screen" ||
		bad "fewer than 3 rewrites read"
	grep -q 'rate [1-9][0-9]* B/s' "$TMP/screen" || bad "no rate from the rewrites"
	keys q
	wait_exit 10
	[ "$rc" = 0 ] || bad "exit status $rc"
	verdict "$t" "$why"
}
