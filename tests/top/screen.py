#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Reads screens of `nasoone top` captured with `tmux capture-pane -p`.

  screen.py rows SCREEN            the table's rows as report rows (raw numbers,
                                   all columns on screen), one a line
  screen.py report-rows REPORT [FILTER]
                                   the rows of a report in the same form,
                                   those matching FILTER (the view's language)
  screen.py totals SCREEN          "rows N shown N packets P bytes B"
  screen.py report-totals REPORT   the same computed from a report
  screen.py order SCREEN COLUMN [reverse]
                                   exit 0 when the rows are in COLUMN's order
  screen.py hosts SCREEN | report-hosts REPORT
                                   the per-host summary: "ip rows sent sent_pkts recv recv_pkts"
  screen.py widest SCREEN          the length of the longest line
  screen.py shown SCREEN           the table's rows in the order on screen (source
                                   sport destination dport bytes)
  screen.py by-bytes REPORT FROM COUNT
                                   rows FROM..FROM+COUNT of the report ordered as the
                                   view's default (bytes, largest first; ties in the
                                   report's order), in the form of shown
"""
import ipaddress
import re
import sys

HEADER = ("source ip; source port; destination ip; destination port; protocols; "
          "first; last; bytes; packets")
PROTOS = {"[TCP]": "TCP", "[UDP]": "UDP", "[TCP, UDP]": "TCP,UDP", "[]": "-"}
PROTO_ORDER = {"TCP": 1, "UDP": 2, "TCP,UDP": 3, "-": 0}
COLUMNS = ["source", "sport", "destination", "dport", "proto", "first", "last",
           "bytes", "packets", "bytes/s", "pkts/s", "peak", "age"]
HOST_COLUMNS = ["host", "rows", "sent", "sent_pkts", "recv", "recv_pkts", "sent/s", "recv/s"]


def lines(path):
    with open(path) as f:
        return [l.rstrip("\n") for l in f]


def table(path):
    """(column names, rows as lists of words) of the table on a screen."""
    ls = lines(path)
    for i, l in enumerate(ls):
        words = l.split()
        if words and words[0].rstrip("v^") in ("source", "host"):
            names = [w[:-1] if w[-1] in "v^" and w[:-1] in COLUMNS + HOST_COLUMNS else w
                     for w in words]
            rows = []
            for r in ls[i + 1:]:
                w = r.split()
                if len(w) != len(names):
                    break
                rows.append(w)
            return names, rows
    sys.exit("no table on the screen " + path)


def report(path):
    ls = lines(path)
    if not ls or ls[0] != HEADER:
        sys.exit(path + " is not a report")
    return [l.split("; ") for l in ls[1:]]


def addr_key(a):
    ip = ipaddress.ip_address(a)
    return (ip.version, int(ip))


def in_term(r, term):
    """The view's filter language, on a report row [src, sport, dst, dport, proto, ...]."""
    src, sport, dst, dport, proto = r[:5]
    t = term.lower()
    if t in ("tcp", "udp"):
        return t.upper() in PROTOS[proto]
    if re.fullmatch(r":?\d+", t):
        return t.lstrip(":") in (sport, dport)
    try:
        net = ipaddress.ip_network(t, strict=False)
        return any(ipaddress.ip_address(a) in net for a in (src, dst))
    except ValueError:
        return t in src.lower() or t in dst.lower()


def report_rows(path, flt=""):
    words = flt.split()
    words = [w for w in words if w != "port"]
    out = []
    for r in report(path):
        if all(in_term(r, w) for w in words):
            out.append(" ".join([r[0], r[1], r[2], r[3], PROTOS[r[4]]] + r[5:9]))
    return sorted(out)


def screen_rows(path):
    names, rows = table(path)
    want = ["source", "sport", "destination", "dport", "proto", "first", "last", "bytes",
            "packets"]
    idx = [names.index(n) for n in want]
    return sorted(" ".join(r[i] for i in idx) for r in rows)


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "rows":
        print("\n".join(screen_rows(path)))
    elif cmd == "report-rows":
        print("\n".join(report_rows(path, sys.argv[3] if len(sys.argv) > 3 else "")))
    elif cmd == "totals":
        for l in lines(path):
            m = re.match(r"rows (\d+)  shown (\d+)  packets (\d+)  bytes (\d+)", l)
            if m:
                print("rows %s shown %s packets %s bytes %s" % m.groups())
                return
        sys.exit("no totals on the screen")
    elif cmd == "report-totals":
        rs = report(path)
        p = sum(int(r[8]) for r in rs)
        b = sum(int(r[7]) for r in rs)
        print("rows %d shown %d packets %d bytes %d" % (len(rs), len(rs), p, b))
    elif cmd == "order":
        col = sys.argv[3]
        rev = len(sys.argv) > 4
        names, rows = table(path)
        i = names.index(col)
        conv = {"source": addr_key, "destination": addr_key, "host": addr_key,
                "proto": PROTO_ORDER.get}.get(col, float)
        vals = [conv(r[i]) for r in rows]
        # Amounts, last and the rates: largest first; the others ascending.
        desc = col in ("last", "bytes", "packets", "bytes/s", "pkts/s", "peak", "rows",
                       "sent", "sent_pkts", "recv", "recv_pkts", "sent/s", "recv/s")
        if rev:
            desc = not desc
        ok = all((a >= b) if desc else (a <= b) for a, b in zip(vals, vals[1:]))
        if len(rows) < 2 or not ok:
            sys.exit("%s: %d rows, not in order: %s" % (col, len(rows), vals[:8]))
    elif cmd == "hosts":
        names, rows = table(path)
        idx = [names.index(n) for n in HOST_COLUMNS[:6]]
        print("\n".join(sorted(" ".join(r[i] for i in idx) for r in rows)))
    elif cmd == "report-hosts":
        h = {}
        for r in report(path):
            for a, out in ((r[0], True), (r[2], False)):
                e = h.setdefault(a, [0, 0, 0, 0, 0])
                e[0] += 1
                k = 1 if out else 3
                e[k] += int(r[7])
                e[k + 1] += int(r[8])
        print("\n".join(sorted("%s %d %d %d %d %d" % (a, *v) for a, v in h.items())))
    elif cmd == "shown":
        names, rows = table(path)
        idx = [names.index(n) for n in ("source", "sport", "destination", "dport", "bytes")]
        print("\n".join(" ".join(r[i] for i in idx) for r in rows))
    elif cmd == "by-bytes":
        rs = sorted(report(path), key=lambda r: -int(r[7]))
        a, n = int(sys.argv[3]), int(sys.argv[4])
        print("\n".join(" ".join((r[0], r[1], r[2], r[3], r[7])) for r in rs[a:a + n]))
    elif cmd == "widest":
        print(max(len(l) for l in lines(path)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
