#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Alert latency on a live capture: send one UDP datagram from each of
COUNT new source ports to HOST:PORT, a second apart, and time how long each
takes to show up as an alert line of nasoone's standard error (ERRFILE),
polled every 2 ms. Prints one "latency_ms SPORT MS" line per datagram and
"missing SPORT" for one that raised no alert within 10 s."""
import socket
import sys
import time

host, port, errfile, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
for i in range(count):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(("", 0))
    sport = s.getsockname()[1]
    needle = ":%d > " % sport
    sent = time.monotonic()
    s.sendto(b"alert me", (host, port))
    s.close()
    found = None
    while time.monotonic() - sent < 10:
        with open(errfile, encoding="utf-8", errors="replace") as f:
            if any("alert" in line and needle in line for line in f):
                found = time.monotonic()
                break
        time.sleep(0.002)
    if found is None:
        print("missing %d" % sport, flush=True)
    else:
        print("latency_ms %d %.1f" % (sport, (found - sent) * 1000), flush=True)
    time.sleep(1)
