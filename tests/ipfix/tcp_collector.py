#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A minimal IPFIX-over-TCP collector for tests/ipfix (test_tcp).

  tcp_collector.py HOST PORT MESSAGES DOWN_S

Takes one connection, reads MESSAGES data messages, then closes it and its
listening socket (connections are refused) for DOWN_S seconds; then listens
again and reads a second session to its end. Every session must begin with
a template set before any data set. Prints "records N" (data records over
both sessions, counted by the templates' record lengths), "session2 N" and
"sessions 2".
"""
import socket
import struct
import sys
import time


def read_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def template_lengths(body):
    """Template set body: {template id: record length}."""
    out, off = {}, 0
    while off + 4 <= len(body):
        tid, count = struct.unpack_from("!HH", body, off)
        off += 4
        length = 0
        for _ in range(count):
            ie, flen = struct.unpack_from("!HH", body, off)
            if ie & 0x8000:
                off += 4  # enterprise number
            off += 4
            length += flen
        out[tid] = length
    return out


def session(conn, limit):
    """Read messages until limit data messages (None: to the end); records read."""
    templates, records, messages = {}, 0, 0
    while limit is None or messages < limit:
        head = read_exact(conn, 16)
        if head is None:
            break
        version, length, _, _, _ = struct.unpack("!HHIII", head)
        if version != 10 or length < 16:
            sys.exit("bad message header %r" % head)
        body = read_exact(conn, length - 16)
        if body is None:
            break
        off, data = 0, False
        while off + 4 <= len(body):
            sid, slen = struct.unpack_from("!HH", body, off)
            if sid == 2:
                templates.update(template_lengths(body[off + 4:off + slen]))
            elif sid >= 256:
                if sid not in templates:
                    sys.exit("data set %d before its template in this session" % sid)
                records += (slen - 4) // templates[sid]
                data = True
            off += slen
        messages += data
    return records


def main():
    host, port, first, down = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    total = 0
    for n in (1, 2):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((host, port))
        ls.listen(1)
        print("listening", file=sys.stderr, flush=True)
        conn, _ = ls.accept()
        got = session(conn, first if n == 1 else None)
        total += got
        conn.close()
        ls.close()
        print("session%d %d" % (n, got), flush=True)
        if n == 1:
            time.sleep(down)
    print("records %d" % total)
    print("sessions 2", flush=True)


if __name__ == "__main__":
    main()
