#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The unit nasoone@.service as installed by `make install DESTDIR=STAGE`:
# systemd-analyze verify accepts it (ExecStart, the man page it names, every
# setting), and it holds what the README promises: a user of its own,
# NoNewPrivileges, ProtectSystem=strict, a state directory for the report,
# and no capability beyond the four that opening a capture needs.
#
#   tests/systemd/test_unit.sh STAGE PREFIX UNITDIR

set -u

if [ $# -ne 3 ]; then
	echo "usage: $0 STAGE PREFIX UNITDIR" >&2
	exit 2
fi
STAGE=$(realpath "$1")
PREFIX=$2
UNIT=$STAGE$3/nasoone@.service
passed=0
failed=0
skipped=0

pass() { echo "[$1] PASS"; passed=$((passed + 1)); }
fail() { echo "[$1] FAIL: $2"; failed=$((failed + 1)); }
skip() { echo "[$1] SKIPPED: $2"; skipped=$((skipped + 1)); }

t="installed"
if [ -f "$UNIT" ] && grep -q "^ExecStart=$PREFIX/bin/nasoone " "$UNIT"; then
	pass $t
else
	fail $t "no $UNIT with ExecStart=$PREFIX/bin/nasoone"
fi

# The settings, one by one (a missing one would still verify).
t="settings"
why=""
for want in '^DynamicUser=yes$' '^User=nasoone$' '^NoNewPrivileges=yes$' '^ProtectSystem=strict$' \
	'^StateDirectory=nasoone$' '^ExecStart=.* -w /var/lib/nasoone/%I\.txt ' \
	'^CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_NET_RAW$' \
	'^AmbientCapabilities=CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_NET_RAW$'; do
	grep -q -e "$want" "$UNIT" 2>/dev/null || why="$why no '$want';"
done
if [ -z "$why" ]; then
	pass $t
else
	fail $t "$why"
fi

# systemd-analyze verify, on an instance, against the staged tree: the
# binary named by ExecStart must exist, so the staged path is substituted
# in a copy, and man(1) looks in the staged man pages.
t="systemd-analyze-verify"
if ! command -v systemd-analyze >/dev/null; then
	skip $t "no systemd-analyze (apt-get install systemd)"
else
	work=$(mktemp -d) || exit 1
	trap 'rm -rf "$work"' EXIT
	sed "s|^ExecStart=$PREFIX/bin/nasoone|ExecStart=$STAGE$PREFIX/bin/nasoone|" "$UNIT" >"$work/nasoone@.service"
	if (cd "$work" && MANPATH=$STAGE$PREFIX/share/man: systemd-analyze verify nasoone@eth0.service) >"$work/out" 2>&1 &&
		[ ! -s "$work/out" ]; then
		pass $t
	else
		fail $t "$(head -n 3 "$work/out" | tr '\n' ' ')"
	fi
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
