#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The file path's filter selects exactly the frames tcpdump selects: for
# every generated capture tcpdump can read and every expression, the frames
# nasoone lets through (received - filtered) equal tcpdump's match count.
#
# usage: run-filters.sh NASOONE RULES_DIR
set -u

nasoone=$1 dir=$2
pass=0 fail=0
expressions=(ip ip6 tcp udp "port 53" "host 10.0.0.1" "vlan" "net 2001:db8::/32" "greater 500")

if ! command -v tcpdump >/dev/null; then
	echo "SKIPPED: tcpdump not found, filter comparison not run"
	echo "0 passed, 0 failed"
	exit 0
fi
for f in "$dir"/*.pcap "$dir"/*.pcapng; do
	# Only files libpcap reads to the end (not one mixing link types).
	tcpdump -r "$f" -nn >/dev/null 2>&1 || continue
	for e in "${expressions[@]}"; do
		# A filter tcpdump cannot compile for this link type is not compared.
		want=$(tcpdump -r "$f" --count "$e" 2>/dev/null) || continue
		want=${want%% *}
		stats=$("$nasoone" -r "$f" -w /dev/null $e 2>&1 >/dev/null | grep 'packets received' | tr -d ,)
		read -r received _ _ _ _ _ _ filtered _ <<<"$stats"
		got=$((${received:-0} - ${filtered:-0}))
		if [ -n "$stats" ] && [ "$got" -eq "$want" ]; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "[filter '$e' $(basename "$f")] FAIL: nasoone lets $got frames through, tcpdump $want"
		fi
	done
done
echo "[filters against tcpdump] $pass comparisons"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
