#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The IPFIX export's cost: `nasoone -r FILE -w /dev/null -j 2` on the
# 1M-flow capture of bench.sh, without and with `--export` to nfcapd on
# loopback (started here, socket buffer 256 MiB), side by side in this
# run, best of $RUNS each. Prints the time ratio (goal <= 1.3), the records
# per second the exporter sustains (records over the time its callbacks
# took on the consumer thread), and what nfcapd received.
#
# usage: export.sh NASOONE PCAPGEN [DIR]
set -euo pipefail

nasoone=$1 pcapgen=$2 dir=${3:-.output/bench}
RUNS=${RUNS:-3}
mkdir -p "$dir"
if ! command -v nfcapd >/dev/null; then
	echo "export: nfcapd not found (apt-get install nfdump): skipped"
	exit 0
fi
file=$dir/mix-1m.pcap
[ -s "$file" ] || "$pcapgen" mix --packets 2000000 --flows 1000000 --seed 1 "$file" >/dev/null

tmp=$(mktemp -d)
old_rmem=""
nf_pid=""
cleanup() {
	[ -n "$nf_pid" ] && kill "$nf_pid" 2>/dev/null && wait "$nf_pid" 2>/dev/null
	[ -n "$old_rmem" ] && sysctl -qw net.core.rmem_max="$old_rmem"
	rm -rf "$tmp"
}
trap cleanup EXIT
if [ "$(id -u)" -eq 0 ]; then
	old_rmem=$(sysctl -n net.core.rmem_max)
	sysctl -qw net.core.rmem_max=268435456
fi
port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$tmp/nf"
nfcapd -w "$tmp/nf" -p "$port" -b 127.0.0.1 -t 3600 -B 268435456 >"$tmp/nfcapd.log" 2>&1 &
nf_pid=$!
for _ in $(seq 50); do ss -Huln "sport = :$port" | grep -q . && break; sleep 0.1; done

now() { date +%s.%N; }
run_best() {
	local best="" t0 t1 t
	for _ in $(seq "$RUNS"); do
		t0=$(now)
		"$@" >/dev/null 2>"$tmp/last.err"
		t1=$(now)
		t=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
	done
	echo "$best"
}

cat "$file" >/dev/null
t_plain=$(run_best "$nasoone" -r "$file" -w /dev/null -j 2)
t_export=$(run_best "$nasoone" -r "$file" -w /dev/null -j 2 --export "127.0.0.1:$port")
line=$(grep '^export: ' "$tmp/last.err" || true)
busy=$(sed -n 's/^export time: \([0-9.]*\) s .*/\1/p' "$tmp/last.err")
records=$(sed -n 's/^export: \([0-9]*\) records .*/\1/p' <<<"$line")
sleep 2
kill "$nf_pid" && wait "$nf_pid" 2>/dev/null || true
nf_pid=""
fails=$(nfdump -R "$tmp/nf" -I 2>/dev/null | sed -n 's/^Sequence failures: //p')
flows=$(nfdump -R "$tmp/nf" -I 2>/dev/null | sed -n 's/^Flows: //p')

printf '%-8s %9s | %8s %8s %6s | %9s %12s | %s\n' capture records "plain s" "export s" ratio \
	"export s" "exporter r/s" "nfcapd, all $RUNS runs"
printf '%-8s %9s | %8.3f %8.3f %6.2f | %9.3f %12.0f | %s flows of %s sent, %s sequence failures\n' \
	mix-1m "${records:-0}" "$t_plain" "$t_export" "$(echo "$t_export / $t_plain" | bc -l)" \
	"${busy:-0}" "$(echo "${records:-0} / ${busy:-1}" | bc -l)" \
	"${flows:-?}" "$((RUNS * ${records:-0}))" "${fails:-?}"
echo "  (each run is a new exporter whose sequence starts at 0: $((RUNS - 1)) failures mean none lost;"
echo "   exporter r/s: records over the time the exporter's callbacks took, encoding and sending)"
echo "  (last export run: ${line:-no export line})"
