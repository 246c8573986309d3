# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# tmux helpers of the `nasoone top` tests (sourced after tests/e2e/lib.sh).
# Each test runs the view in a session of a tmux server of its own
# (socket nasoone-top-PID), killed by top_cleanup.

SCREEN_PY=$TOP_DIR/screen.py

# top_tmp: make_tmp, a tmux server of this test, and the cleanup trap.
top_tmp()
{
	make_tmp || return 1
	TMUX_SOCK=nasoone-top-$BASHPID
	trap top_cleanup EXIT
}

top_cleanup()
{
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	# The socket file can outlive its server: remove it too.
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TMUX_SOCK"
	cleanup
}

tm()
{
	tmux -L "$TMUX_SOCK" "$@"
}

# view W H CMD...: run CMD in a new session "v" of W x H; when it ends its
# exit status goes to $TMP/status and the pane stays (a shell sleeps).
view()
{
	local w=$1 h=$2

	shift 2
	rm -f "$TMP/status"
	tm new-session -d -s v -x "$w" -y "$h" \
		"$*; echo \$? >$TMP/status; exec sleep 600" || return 1
	tm set-option -t v status off >/dev/null
	tm resize-window -t v -x "$w" -y "$h" 2>/dev/null
	return 0
}

# shot FILE: the screen now into FILE.
shot()
{
	tm capture-pane -p -t v >"$1"
}

# keys KEY...: tmux send-keys (names as tmux knows them: Up, NPage, Enter).
keys()
{
	tm send-keys -t v "$@"
}

# wait_screen REGEX SECONDS [FILE]: until the screen has a line matching
# REGEX (0, the screen in FILE or $TMP/screen) or the time is up (1).
wait_screen()
{
	local file=${3:-$TMP/screen} i

	for ((i = 0; i < $2 * 10; i++)); do
		shot "$file"
		grep -q -e "$1" "$file" && return 0
		sleep 0.1
	done
	cp "$file" "$TMP/screen.timeout" 2>/dev/null
	return 1
}

# settle [FILE]: until two captures 0.2 s apart are the same (the view has
# finished redrawing), the last one in FILE or $TMP/screen; 1 after 5 s.
settle()
{
	local file=${1:-$TMP/screen} i

	shot "$file"
	for ((i = 0; i < 25; i++)); do
		sleep 0.2
		shot "$file.next"
		if cmp -s "$file" "$file.next"; then
			rm -f "$file.next"
			return 0
		fi
		mv "$file.next" "$file"
	done
	return 1
}

# wait_exit SECONDS: until the view ends; its status in $rc (124 if it runs on).
wait_exit()
{
	local i

	for ((i = 0; i < $1 * 10; i++)); do
		if [ -s "$TMP/status" ]; then
			rc=$(cat "$TMP/status")
			return 0
		fi
		sleep 0.1
	done
	rc=124
	return 1
}

# alt_screen: 1 while the pane shows the alternate screen (a full-screen
# program), 0 when the terminal is back. tmux reads the pane's output on its
# own time: it gets up to 2 s to see the program's last bytes.
alt_screen()
{
	local i a

	for ((i = 0; i < 20; i++)); do
		a=$(tm display-message -p -t v '#{alternate_on}')
		[ "$a" = 0 ] && break
		sleep 0.1
	done
	echo "$a"
}

# mix NAME PACKETS FLOWS SEED: a generated capture in $E2E_GEN (once).
mix()
{
	local f=$E2E_GEN/$1.pcap

	[ -s "$f" ] || "$PCAPGEN" mix --packets "$2" --flows "$3" --seed "$4" "$f" >/dev/null
	echo "$f"
}

# rows_of SCREEN / totals_of SCREEN etc.: see screen.py.
sp()
{
	python3 "$SCREEN_PY" "$@"
}

# udp_sender NS DST PORT [SIZE [FIRST_PORT]]: datagrams of SIZE bytes (200)
# from NS to DST:PORT, from source ports FIRST_PORT (40000) to FIRST_PORT+3,
# about 400 a second, until killed (cleanup kills it).
udp_sender()
{
	ip netns exec "$1" python3 - "$2" "$3" "${4:-200}" "${5:-40000}" <<'EOF' &
import socket, sys, time
dst, port, size, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
socks = []
for i in range(4):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", first + i))
    socks.append(s)
while True:
    for s in socks:
        try:
            s.sendto(b"x" * size, (dst, port))
        except OSError:
            pass
    time.sleep(0.01)
EOF
	bg_started $!
}
