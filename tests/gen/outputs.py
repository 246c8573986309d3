#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Helpers of run-outputs.sh: read nasoone's other formats back as the
nasoone format, merge several reports per 4-tuple, sum a flow log.

  outputs.py csv FILE      CSV (RFC 4180) -> nasoone rows, header included
  outputs.py json FILE     JSON Lines -> nasoone rows, header included
  outputs.py merge FILE..  reports of successive periods -> one row per
                           4-tuple (sums, earliest first, latest last), unsorted
  outputs.py sums FILE     a JSON Lines flow log -> "packets bytes rows"
"""
import csv
import json
import sys

HEADER = ("source ip; source port; destination ip; destination port; protocols; "
          "first; last; bytes; packets")
PROTOS = {"[TCP]": {"TCP"}, "[UDP]": {"UDP"}, "[TCP, UDP]": {"TCP", "UDP"}}


def protos_text(names):
    return "[" + ", ".join(p for p in ("TCP", "UDP") if p in names) + "]"


def from_csv(path):
    with open(path, newline="") as f:
        data = f.read()
    if "\n" in data.replace("\r\n", ""):
        sys.exit("%s: a record does not end with CRLF" % path)
    rows = list(csv.reader(data.splitlines()))
    expect = ["source ip", "source port", "destination ip", "destination port",
              "protocols", "first", "last", "bytes", "packets"]
    if rows[0] != expect:
        sys.exit("%s: unexpected CSV header %r" % (path, rows[0]))
    print(HEADER)
    for r in rows[1:]:
        print("; ".join(r))


def from_json(path):
    print(HEADER)
    keys = ["source_ip", "source_port", "destination_ip", "destination_port",
            "protocols", "first", "last", "bytes", "packets"]
    with open(path) as f:
        for line in f:
            o = json.loads(line)
            if list(o) != keys:
                sys.exit("%s: unexpected fields %r" % (path, list(o)))
            for k in ("source_port", "destination_port", "first", "last", "bytes", "packets"):
                if not isinstance(o[k], int):
                    sys.exit("%s: %s is not a number" % (path, k))
            print("; ".join([o["source_ip"], str(o["source_port"]), o["destination_ip"],
                             str(o["destination_port"]), protos_text(o["protocols"]),
                             str(o["first"]), str(o["last"]), str(o["bytes"]),
                             str(o["packets"])]))


def merge(paths):
    rows = {}
    for path in paths:
        with open(path) as f:
            lines = f.read().splitlines()
        if not lines or lines[0] != HEADER:
            sys.exit("%s: not a nasoone report" % path)
        for line in lines[1:]:
            sa, sp, da, dp, pr, first, last, b, p = line.split("; ")
            key = (sa, sp, da, dp)
            first, last, b, p = int(first), int(last), int(b), int(p)
            if key in rows:
                o = rows[key]
                rows[key] = (o[0] | PROTOS[pr], min(o[1], first), max(o[2], last),
                             o[3] + b, o[4] + p)
            else:
                rows[key] = (set(PROTOS[pr]), first, last, b, p)
    print(HEADER)
    for key, (pr, first, last, b, p) in rows.items():
        print("; ".join(list(key) + [protos_text(pr), str(first), str(last), str(b), str(p)]))


def sums(path):
    packets = nbytes = n = 0
    with open(path) as f:
        for line in f:
            o = json.loads(line)
            if o.get("end") not in ("idle", "active", "forced", "evicted"):
                sys.exit("%s: a record without an end reason: %s" % (path, line.strip()))
            packets += o["packets"]
            nbytes += o["bytes"]
            n += 1
    print(packets, nbytes, n)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    {"csv": lambda: from_csv(args[0]), "json": lambda: from_json(args[0]),
     "merge": lambda: merge(args), "sums": lambda: sums(args[0])}[cmd]()


if __name__ == "__main__":
    main()
