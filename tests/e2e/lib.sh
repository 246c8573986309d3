# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers of the end-to-end tests, sourced by run.sh before each
# tests/e2e/test-*.sh file (not run on its own).
#
# A test file sets ALL_TESTS to the names of its test functions. run_tests
# calls each one in a subshell of its own, so the traps a test sets (to
# delete its namespaces, kill what it started, remove its temporary
# folder) run when it ends, however it ends. A test reports one verdict
# or several with pass / fail / skip, which print
#   [name] PASS
#   [name] FAIL: why            (then the lines of $DETAIL, indented)
#   [name] SKIPPED: why
# and append the verdict to $E2E_RESULTS, which run.sh counts.
#
# From run.sh: NASOONE, PCAPGEN (absolute paths), OUTDIR (a folder for the
# logs and the files of failed tests), E2E_GEN (this run's generated
# captures), E2E_DIR, REPO_ROOT, E2E_RESULTS.

HEADER='source ip; source port; destination ip; destination port; protocols; first; last; bytes; packets'

# The limit of one nasoone run on a file, in seconds.
LIMIT=${E2E_TIMEOUT:-120}

# -- verdicts ---------------------------------------------------------------

# A file of details that fail prints under the FAIL line (then empties).
DETAIL=/dev/null

pass()
{
	echo "[$1] PASS"
	echo PASS >>"$E2E_RESULTS"
}

# fail NAME WHY: also keeps the test's files (those under 10 MB in $TMP:
# reports, stderr, captures) in $OUTDIR/failures/NAME for a look later.
fail()
{
	local keep

	echo "[$1] FAIL: $2"
	if [ "$DETAIL" != /dev/null ] && [ -s "$DETAIL" ]; then
		head -n 20 "$DETAIL" | sed 's/^/    /'
		: >"$DETAIL"
	fi
	if [ -n "${TMP:-}" ] && [ -d "$TMP" ]; then
		keep=$OUTDIR/failures/$(printf %s "$1" | tr -c 'A-Za-z0-9._-' _)
		rm -rf "$keep" && mkdir -p "$keep" &&
			find "$TMP" -type f -size -10M -exec cp {} "$keep/" \; 2>/dev/null
		echo "    (files kept in $keep)"
	fi
	echo FAIL >>"$E2E_RESULTS"
}

# skip NAME WHY
skip()
{
	echo "[$1] SKIPPED: $2"
	echo SKIPPED >>"$E2E_RESULTS"
}

# verdict NAME WHY: PASS when WHY is empty, else FAIL with WHY.
verdict()
{
	if [ -z "$2" ]; then
		pass "$1"
	else
		fail "$1" "$2"
	fi
}

# run_tests: each function of $ALL_TESTS in its own subshell. A function
# that ends without a verdict (an unexpected exit) is a failure.
run_tests()
{
	local t before after rc

	for t in $ALL_TESTS; do
		before=$(wc -l <"$E2E_RESULTS")
		(
			trap 'exit 130' INT TERM
			"$t"
		)
		rc=$?
		after=$(wc -l <"$E2E_RESULTS")
		if [ "$after" -eq "$before" ]; then
			fail "$t" "ended with status $rc without a verdict"
		fi
		[ $rc -eq 130 ] && return 130
	done
	return 0
}

# -- prerequisites ----------------------------------------------------------
# Each returns 0 when the prerequisite holds; otherwise it prints the
# SKIPPED verdict of NAME and returns 1, so a test can say
#   need_root "$t" || return 0

# has_cap N: bit N is set in this process's effective capabilities.
has_cap()
{
	local eff

	eff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
	[ -n "$eff" ] && (((0x$eff >> $1) & 1))
}

need_root()
{
	if [ "$(id -u)" -ne 0 ]; then
		skip "$1" "not root (needs root for network namespaces and live capture)"
		return 1
	fi
	# CAP_NET_ADMIN 12, CAP_SYS_ADMIN 21, CAP_BPF 39.
	if ! has_cap 12 || ! has_cap 21; then
		skip "$1" "root without CAP_NET_ADMIN and CAP_SYS_ADMIN (a container?)"
		return 1
	fi
	return 0
}

# need_bpf NAME: loading XDP/TC programs needs CAP_BPF (or CAP_SYS_ADMIN)
# and CAP_NET_ADMIN.
need_bpf()
{
	if ! { has_cap 39 || has_cap 21; } || ! has_cap 12; then
		skip "$1" "no CAP_BPF/CAP_SYS_ADMIN and CAP_NET_ADMIN: cannot load eBPF programs (run as root)"
		return 1
	fi
	return 0
}

# need_perfmon NAME: the translated filters read packets at variable
# offsets, which the verifier allows with CAP_PERFMON (or CAP_SYS_ADMIN).
need_perfmon()
{
	if ! has_cap 38 && ! has_cap 21; then
		skip "$1" "no CAP_PERFMON/CAP_SYS_ADMIN: the kernel refuses the translated filters (run as root)"
		return 1
	fi
	return 0
}

# need_tools NAME TOOL...
need_tools()
{
	local name=$1 tool

	shift
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			skip "$name" "$tool not found (install it: apt-get install $(tool_package "$tool"))"
			return 1
		fi
	done
	return 0
}

tool_package()
{
	case $1 in
	ip) echo iproute2 ;;
	setpriv) echo util-linux ;;
	script) echo bsdutils ;;
	*) echo "$1" ;;
	esac
}

# -- temporary files and background processes ------------------------------

# make_tmp: a fresh folder in $TMP, removed by cleanup (set the trap with
# `trap cleanup EXIT` after make_tmp).
make_tmp()
{
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/nasoone-e2e.XXXXXX") || return 1
	chmod 755 "$TMP"
	DETAIL=$TMP/detail
	: >"$DETAIL"
	BG_PIDS=()
	NAMESPACES=()
}

# bg_started PID: cleanup kills it (by its process id) if it still runs.
bg_started()
{
	BG_PIDS+=("$1")
}

# cleanup: kill what the test started, delete its namespaces (their veths
# and whatever is attached to them go with them), remove $TMP.
cleanup()
{
	local pid ns

	for pid in "${BG_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in "${BG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done 2>/dev/null
	for ns in "${NAMESPACES[@]}"; do
		ip netns pids "$ns" 2>/dev/null | while read -r pid; do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns delete "$ns" 2>/dev/null
	done
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
	return 0
}

# -- running nasoone ----------------------------------------------------------

# nas PREFIX ARGS...: run nasoone, stdin from /dev/null, with a time limit;
# stdout in PREFIX.out, stderr in PREFIX.err, the exit status in $rc.
nas()
{
	local prefix=$1

	shift
	timeout -k 5 "$LIMIT" "$NASOONE" "$@" </dev/null >"$prefix.out" 2>"$prefix.err"
	rc=$?
	return $rc
}

# replay PREFIX FILE MODE [ARGS...]: nasoone -r FILE --mode MODE, the report
# in PREFIX.txt (removed first), see nas; returns the exit status too.
replay()
{
	local prefix=$1 file=$2 mode=$3

	shift 3
	rm -f "$prefix.txt"
	nas "$prefix" -r "$file" --mode "$mode" -w "$prefix.txt" "$@"
}

# replay_both PREFIX FILE [ARGS...]: replay FILE with --mode xdp and
# --mode tc at the same time (loading the programs takes most of a
# replay's time, on one CPU each): PREFIX-xdp and PREFIX-tc, the exit
# statuses in $rc_xdp and $rc_tc.
replay_both()
{
	local prefix=$1 file=$2 pid

	shift 2
	replay "$prefix-xdp" "$file" xdp "$@" &
	pid=$!
	replay "$prefix-tc" "$file" tc "$@"
	rc_tc=$rc
	wait $pid
	rc_xdp=$?
}

# status_text RC: an exit status in words.
status_text()
{
	if [ "$1" -eq 124 ]; then
		echo "timed out after ${LIMIT}s"
	elif [ "$1" -gt 128 ]; then
		echo "killed by signal $(($1 - 128))"
	else
		echo "exit status $1"
	fi
}

# first_error PREFIX: the first line of PREFIX.err starting "nasoone: "
# that is not the capture path line, or the first line.
first_error()
{
	local line

	line=$(grep '^nasoone: ' "$1.err" | grep -v '^nasoone: eBPF: \|^nasoone: libpcap' | head -n 1)
	[ -n "$line" ] || line=$(head -n 1 "$1.err")
	echo "$line"
}

# same_file A B [LABEL]: both missing, or both present with the same
# bytes; else LABEL and the first lines of the difference go to $DETAIL.
same_file()
{
	if [ ! -e "$1" ] && [ ! -e "$2" ]; then
		return 0
	fi
	[ -e "$1" ] && [ -e "$2" ] && cmp -s "$1" "$2" && return 0
	[ -n "${3:-}" ] && echo "$3" >>"$DETAIL"
	if [ ! -e "$1" ] || [ ! -e "$2" ]; then
		echo "only one of ${1##*/} and ${2##*/} exists" >>"$DETAIL"
	else
		diff "$1" "$2" | head -n 8 >>"$DETAIL"
	fi
	return 1
}

# is_report FILE: the header, then rows of nine fields.
is_report()
{
	[ "$(head -n 1 "$1")" = "$HEADER" ] &&
		tail -n +2 "$1" | awk -F'; ' 'NF != 9 { bad = 1 } END { exit bad }'
}

# rows FILE: the number of rows of a report.
rows()
{
	echo $(($(wc -l <"$1") - 1))
}

# report_packets FILE: the packets of all rows of a report.
report_packets()
{
	awk -F'; ' 'NR > 1 { n += $9 } END { print n + 0 }' "$1"
}

# stat_counts ERRFILE: "received counted" from the statistics line.
stat_counts()
{
	sed -n 's/^\([0-9]*\) packets received, \([0-9]*\) counted, .*/\1 \2/p' "$1" | tail -n 1
}

# ebpf_stat ERRFILE FIELD: overflow, unattributed, fill or capacity from
# "eBPF: N packets through the overflow ring, N unattributed, at most N of
# N flows in one CPU map, N ns program run time"; empty without that line.
ebpf_stat()
{
	local re='^eBPF: \([0-9]*\) packets through the overflow ring, \([0-9]*\) unattributed, at most \([0-9]*\) of \([0-9]*\) flows in one CPU map'
	local n

	case $2 in
	overflow) n=1 ;;
	unattributed) n=2 ;;
	fill) n=3 ;;
	capacity) n=4 ;;
	esac
	sed -n "s/$re.*/\\$n/p" "$1" | tail -n 1
}

# -- generated captures ---------------------------------------------------------

# gen_rules / gen_corrupt: `pcapgen rules|corrupt` into $E2E_GEN (a folder
# of this run) the first time; the folder name is echoed.
gen_rules()
{
	gen_dir rules MANIFEST
}

gen_corrupt()
{
	gen_dir corrupt README
}

gen_dir()
{
	local dir=$E2E_GEN/$1

	if [ ! -f "$dir/$2" ]; then
		rm -rf "$dir"
		"$PCAPGEN" "$1" "$dir" >/dev/null || return 1
	fi
	echo "$dir"
}

# captures_in DIR: its capture files, one a line.
captures_in()
{
	ls "$1"/*.pcap "$1"/*.pcapng "$1"/*.pcap.gz "$1"/*.pcapng.gz 2>/dev/null | sort
}

# linktype FILE: the link type of a plain classic pcap file (either byte
# order), empty for anything else.
linktype()
{
	python3 - "$1" <<'EOF'
import struct, sys
with open(sys.argv[1], "rb") as f:
    h = f.read(24)
if len(h) == 24:
    for end in "<>":
        magic, = struct.unpack(end + "I", h[:4])
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            print(struct.unpack(end + "I", h[20:24])[0] & 0x0fffffff)
            break
EOF
}

# -- network namespaces -----------------------------------------------------------

# ns_pair TAG: namespaces $NS_A and $NS_B (nasoone-e2e-$$-TAG-a/-b) joined
# by vethA (10.200.0.1/24, fd00:200::1/64) and vethB (.2, ::2), with GRO,
# TSO and GSO off on both ends. Both are deleted by cleanup.
ns_pair()
{
	local tag=$1 ns end

	NS_A=nasoone-e2e-$$-$tag-a
	NS_B=nasoone-e2e-$$-$tag-b
	for ns in "$NS_A" "$NS_B"; do
		ip netns add "$ns" || return 1
		NAMESPACES+=("$ns")
		ip -n "$ns" link set lo up || return 1
	done
	ip -n "$NS_A" link add vethA type veth peer name vethB netns "$NS_B" || return 1
	ip -n "$NS_A" addr add 10.200.0.1/24 dev vethA &&
		ip -n "$NS_A" addr add fd00:200::1/64 dev vethA nodad &&
		ip -n "$NS_B" addr add 10.200.0.2/24 dev vethB &&
		ip -n "$NS_B" addr add fd00:200::2/64 dev vethB nodad || return 1
	for end in "$NS_A vethA" "$NS_B vethB"; do
		set -- $end
		ip netns exec "$1" ethtool -K "$2" gro off tso off gso off >/dev/null 2>&1 || return 1
		ip -n "$1" link set "$2" up || return 1
	done
	# Both ends up and the link ready (veth carrier comes with the peer).
	ip netns exec "$NS_A" ping -c 1 -W 2 10.200.0.2 >/dev/null 2>&1 || true
	return 0
}

# kernel_refuses ERRFILE: nasoone could not attach because this kernel or
# driver does not support it (XDP on a veth, or tcx links before 6.6),
# rather than for a fault of its own.
kernel_refuses()
{
	grep -qi 'cannot attach .*: \(operation not supported\|invalid argument\)' "$1"
}

# wait_for FILE REGEX SECONDS: until a line of FILE matches (0) or the time
# is up (1).
wait_for()
{
	local i

	for ((i = 0; i < $3 * 20; i++)); do
		grep -q -e "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# kill_wait PID: SIGKILL to a child, and wait for it (quietly: no
# "Killed" notice); its status in $rc.
kill_wait()
{
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	rc=$?
}

# wait_pid PID SECONDS: until PID (a child) ends; its status in $rc, or 1
# with rc=124 if it still runs.
wait_pid()
{
	local i

	for ((i = 0; i < $2 * 20; i++)); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1" 2>/dev/null
			rc=$?
			return 0
		fi
		sleep 0.05
	done
	rc=124
	return 1
}
