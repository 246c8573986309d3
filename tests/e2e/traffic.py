#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Traffic for the live end-to-end tests (tests/e2e/test-live.sh).

  traffic.py serve V4 V6
      TCP echo on port 5001 and UDP echo on port 5002, on both addresses;
      prints "ready" once listening, then serves until killed.
  traffic.py client V4 V6 SEED
      toward such a server, on each address: three TCP connections that send
      data the server echoes (so data flows both ways), UDP datagrams and
      their echoes, one of them larger than the MTU (IP fragments both
      ways). The sizes come from SEED: the same mix every run.

Exit status 0 when every byte and datagram came back, 1 otherwise.
"""
import random
import socket
import sys
import threading

TCP_PORT = 5001
UDP_PORT = 5002


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def tcp_echo(conn):
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)


def tcp_server(addr):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, TCP_PORT))
    s.listen(16)
    return s


def tcp_accept(s):
    while True:
        conn, _ = s.accept()
        threading.Thread(target=tcp_echo, args=(conn,), daemon=True).start()


def udp_server(addr):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.bind((addr, UDP_PORT))
    return s


def udp_echo(s):
    while True:
        data, peer = s.recvfrom(65536)
        s.sendto(data, peer)


def serve(addrs):
    threads = []
    for addr in addrs:
        t = tcp_server(addr)
        u = udp_server(addr)
        threads.append(threading.Thread(target=tcp_accept, args=(t,), daemon=True))
        threads.append(threading.Thread(target=udp_echo, args=(u,), daemon=True))
    for t in threads:
        t.start()
    print("ready", flush=True)
    threading.Event().wait()


def tcp_session(addr, size, chunk):
    payload = bytes((i * 7) & 0xFF for i in range(size))
    got = bytearray()
    with socket.create_connection((addr, TCP_PORT), timeout=5) as s:
        sent = 0
        while sent < size:
            s.sendall(payload[sent:sent + chunk])
            sent += chunk
            # Read back what is there, so neither side's buffers fill up.
            s.setblocking(False)
            try:
                while True:
                    data = s.recv(65536)
                    if not data:
                        break
                    got += data
            except BlockingIOError:
                pass
            s.settimeout(5)
        s.shutdown(socket.SHUT_WR)
        while True:
            data = s.recv(65536)
            if not data:
                break
            got += data
    return bytes(got) == payload


def udp_exchange(addr, sizes):
    ok = True
    with socket.socket(family(addr), socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        for n, size in enumerate(sizes):
            data = bytes([n & 0xFF]) * size
            s.sendto(data, (addr, UDP_PORT))
            try:
                back, _ = s.recvfrom(65536)
                ok = ok and back == data
            except socket.timeout:
                ok = False
    return ok


def client(addrs, seed):
    rnd = random.Random(seed)
    ok = True
    for addr in addrs:
        for size in (rnd.randint(100, 2000), rnd.randint(20000, 40000), rnd.randint(100000, 150000)):
            ok = tcp_session(addr, size, rnd.choice((512, 1400, 4096))) and ok
        sizes = [rnd.randint(1, 1400) for _ in range(12)] + [3000]
        ok = udp_exchange(addr, sizes) and ok
    return ok


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2:4])
    elif len(sys.argv) == 5 and sys.argv[1] == "client":
        sys.exit(0 if client(sys.argv[2:4], int(sys.argv[4])) else 1)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
