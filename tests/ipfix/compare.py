#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Compare what collectors received from nasoone's IPFIX export with its report.

  compare.py check --report REPORT [--nfdump JSON] [--pmacct CSV]
                   [--ipfix JSON] [--oracle TSV] [--stats FILE]
      REPORT   nasoone's report (the "a; b; c" format)
      JSON     `nfdump -o json` of what nfcapd stored
      CSV      the CSV of nfacctd's print plugin
      --ipfix  `tshark -T json -J cflow` of a capture of the export
      --oracle `tshark -T fields` of the input capture (see ORACLE_FIELDS):
               the IP octets of every packet, by tshark's dissectors
  Per directional 4-tuple (the report's row): packets, first and last (ms)
  of the collectors' records summed equal the report's; their protocols
  are the row's; their bytes equal the IP octets (the oracle's, where
  tshark sees the same packets as nasoone: same frames and frame bytes);
  IE 352 (layer2OctetDeltaCount) read by tshark equals the report's bytes.
  Prints one summary line; differences go to stdout, exit 1 if any.

  compare.py oracle-fields
      prints the -e options for the oracle's tshark run.
"""
import argparse
import calendar
import csv
import datetime
import ipaddress
import json
import sys

ORACLE_FIELDS = [
    "frame.len", "frame.protocols", "ip.src", "ip.dst", "ip.len", "ipv6.src", "ipv6.dst",
    "ipv6.plen", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
    "ip.id", "ip.frag_offset", "ip.proto", "ipv6.fraghdr.ident", "ipv6.fraghdr.offset",
    "ipv6.fraghdr.nxt",
]
PROTO = {"6": "TCP", "17": "UDP", "tcp": "TCP", "udp": "UDP"}


def addr(a):
    return ipaddress.ip_address(a.strip()).compressed


def ms_of(text):
    """ISO-like local time (the tests run with TZ=UTC), to ms since the epoch."""
    text = text.strip().replace("T", " ")
    if text.startswith("0000-00-00"):
        return 0  # pmacct's way of writing time 0
    if "." not in text:
        text += ".0"
    d = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f")
    return calendar.timegm(d.timetuple()) * 1000 + d.microsecond // 1000


def read_report(path):
    rows = {}
    with open(path) as f:
        next(f)
        for line in f:
            v = line.rstrip("\n").split("; ")
            key = (addr(v[0]), int(v[1]), addr(v[2]), int(v[3]))
            protos = set(p.strip() for p in v[4].strip("[]").split(",") if p.strip())
            rows[key] = {"protos": protos, "first": int(v[5]), "last": int(v[6]),
                         "bytes": int(v[7]), "packets": int(v[8])}
    return rows


class Sums:
    """Records of a collector, summed per directional 4-tuple."""

    def __init__(self):
        self.rows = {}
        self.records = 0

    def add(self, key, proto, packets, octets, first, last):
        self.records += 1
        r = self.rows.setdefault(key, {"protos": set(), "packets": 0, "bytes": 0,
                                       "first": first, "last": last, "records": 0})
        r["protos"].add(PROTO.get(str(proto).lower(), str(proto)))
        r["packets"] += packets
        r["bytes"] += octets
        r["first"] = min(r["first"], first)
        r["last"] = max(r["last"], last)
        r["records"] += 1


def read_nfdump(path):
    s = Sums()
    with open(path) as f:
        text = f.read().replace("No matching flows", "").strip()
    for rec in json.loads(text) if text else []:
        if rec.get("type") != "FLOW":
            continue
        sa = rec.get("src4_addr") or rec.get("src6_addr")
        da = rec.get("dst4_addr") or rec.get("dst6_addr")
        s.add((addr(sa), int(rec["src_port"]), addr(da), int(rec["dst_port"])), rec["proto"],
              int(rec["in_packets"]), int(rec["in_bytes"]), ms_of(rec["first"]),
              ms_of(rec["last"]))
    return s


def read_pmacct(path):
    s = Sums()
    with open(path) as f:
        for rec in csv.DictReader(f):
            if rec.get("SRC_IP") in (None, "SRC_IP"):
                continue  # a header again: the plugin appends one per purge
            s.add((addr(rec["SRC_IP"]), int(rec["SRC_PORT"]), addr(rec["DST_IP"]),
                   int(rec["DST_PORT"])), rec["PROTOCOL"], int(rec["PACKETS"]),
                  int(rec["BYTES"]), ms_of(rec["TIMESTAMP_START"]), ms_of(rec["TIMESTAMP_END"]))
    return s


def ipfix_records(obj):
    """Every flow record dict in tshark's JSON of the cflow dissector."""
    if isinstance(obj, dict):
        if "cflow.layer2_octet_delta_count" in obj:
            yield obj
            return
        for v in obj.values():
            yield from ipfix_records(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from ipfix_records(v)


def read_ipfix(path):
    rows = {}
    with open(path) as f:
        text = f.read().strip()
    for pkt in json.loads(text) if text else []:
        for r in ipfix_records(pkt["_source"]["layers"]):
            sa = r.get("cflow.srcaddr") or r.get("cflow.srcaddrv6")
            da = r.get("cflow.dstaddr") or r.get("cflow.dstaddrv6")
            key = (addr(sa), int(r["cflow.srcport"]), addr(da), int(r["cflow.dstport"]))
            v = rows.setdefault(key, {"l2": 0, "octets": 0, "packets": 0})
            v["l2"] += int(r["cflow.layer2_octet_delta_count"])
            v["octets"] += int(r["cflow.octets"])
            v["packets"] += int(r["cflow.packets"])
    return rows


def read_oracle(path):
    """Per 4-tuple: frames, frame bytes and IP octets of the packets whose
    first IP header carries TCP or UDP directly (what nasoone counts), and
    of the later fragments of a datagram whose first fragment was seen."""
    rows, datagrams = {}, {}
    with open(path) as f:
        for line in f:
            v = dict(zip(ORACLE_FIELDS, line.rstrip("\n").split("\t")))
            layers = v["frame.protocols"].split(":")
            ips = [i for i, p in enumerate(layers) if p in ("ip", "ipv6")]
            if not ips:
                continue
            i = ips[0]
            nxt = [p for p in layers[i + 1:] if not p.startswith("ipv6.")]
            v4 = layers[i] == "ip"
            try:
                src = addr(v["ip.src"] if v4 else v["ipv6.src"])
                dst = addr(v["ip.dst"] if v4 else v["ipv6.dst"])
                octets = int(v["ip.len"]) if v4 else int(v["ipv6.plen"]) + 40
                if v4:
                    frag = (src, dst, v["ip.id"], v["ip.proto"], int(v["ip.frag_offset"] or 0))
                elif v["ipv6.fraghdr.ident"]:
                    frag = (src, dst, v["ipv6.fraghdr.ident"], v["ipv6.fraghdr.nxt"],
                            int(v["ipv6.fraghdr.offset"] or 0))
                else:
                    frag = None
                if frag and frag[4] > 0:
                    key = datagrams.get(frag[:4])  # a later fragment: its datagram's flow
                    if key is None:
                        continue
                elif nxt and nxt[0] in ("tcp", "udp"):
                    t = nxt[0]
                    key = (src, int(v[t + ".srcport"]), dst, int(v[t + ".dstport"]))
                    if frag:
                        datagrams[frag[:4]] = key
                else:
                    continue
            except (ValueError, KeyError):
                continue
            r = rows.setdefault(key, {"frames": 0, "bytes": 0, "octets": 0})
            r["frames"] += 1
            r["bytes"] += int(v["frame.len"])
            r["octets"] += octets
    return rows


def check(a):
    report = read_report(a.report)
    bad = []
    summary = ["%d rows" % len(report)]

    def diff(what, key, got, want):
        bad.append("%s %s: %s, report %s" % (what, key, got, want))

    collectors = []
    if a.nfdump:
        collectors.append(("nfcapd", read_nfdump(a.nfdump)))
    if a.pmacct:
        collectors.append(("nfacctd", read_pmacct(a.pmacct)))
    oracle = read_oracle(a.oracle) if a.oracle else None
    for name, s in collectors:
        for key in sorted(set(report) | set(s.rows)):
            r, c = report.get(key), s.rows.get(key)
            if not c or not r:
                bad.append("%s: %s only in the %s" % (name, key, "report" if r else "collector"))
                continue
            for f in ("packets", "first", "last", "protos"):
                if name == "nfacctd" and f in ("first", "last") and r[f] == 0:
                    continue  # pmacct takes a time of 0 for "unset" and puts the arrival time
                if c[f] != r[f]:
                    diff("%s %s" % (name, f), key, c[f], r[f])
        summary.append("%s %d records" % (name, s.records))
        if oracle is not None:
            checked = 0
            for key, r in report.items():
                o, c = oracle.get(key), s.rows.get(key)
                if not o or not c or o["frames"] != r["packets"] or o["bytes"] != r["bytes"]:
                    continue  # tshark does not see the same packets: no oracle here
                checked += 1
                if c["bytes"] != o["octets"]:
                    diff("%s bytes (IP octets)" % name, key, c["bytes"], o["octets"])
            summary.append("%s IP octets checked on %d rows" % (name, checked))
    if a.ipfix:
        x = read_ipfix(a.ipfix)
        for key in sorted(set(report) | set(x)):
            r, v = report.get(key), x.get(key)
            if not r or not v:
                bad.append("tshark IPFIX: %s only in the %s" % (key, "report" if r else "export"))
                continue
            if v["l2"] != r["bytes"]:
                diff("IE 352 layer2OctetDeltaCount", key, v["l2"], r["bytes"])
            if v["packets"] != r["packets"]:
                diff("tshark IPFIX packets", key, v["packets"], r["packets"])
            for name, s in collectors:
                if key in s.rows and s.rows[key]["bytes"] != v["octets"]:
                    diff("%s bytes vs IE 1" % name, key, s.rows[key]["bytes"], v["octets"])
        summary.append("IE 352 on %d rows" % len(x))
    if a.expect_records is not None:
        for name, s in collectors:
            if s.records != a.expect_records:
                bad.append("%s: %d records, want %d" % (name, s.records, a.expect_records))
    print("; ".join(summary))
    for line in bad[:20]:
        print("  " + line)
    if len(bad) > 20:
        print("  ... %d differences in all" % len(bad))
    return 1 if bad else 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("--report", required=True)
    c.add_argument("--nfdump")
    c.add_argument("--pmacct")
    c.add_argument("--ipfix")
    c.add_argument("--oracle")
    c.add_argument("--expect-records", type=int)
    sub.add_parser("oracle-fields")
    a = p.parse_args()
    if a.cmd == "oracle-fields":
        print(" ".join("-e " + f for f in ORACLE_FIELDS))
        return 0
    return check(a)


if __name__ == "__main__":
    sys.exit(main())
