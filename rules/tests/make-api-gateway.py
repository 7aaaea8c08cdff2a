#!/usr/bin/env python3
"""Writes the gateway logs of the data-exchange correlation cases (run from anywhere):

    python3 rules/tests/make-api-gateway.py

Each line has the exact shape of nginx's `log_format gateway escape=json` (see
Tests/Fixtures/logs/README.md and api-gateway.jsonl): same keys in the same order, status,
body_bytes_sent and request_time as JSON numbers, the rest strings, "" for a missing value.
`uri` is nginx's $uri (no query string), so personal data only reaches the log in path
parameters (GET /api/v1/citizens/<ID>, /api/v1/citizens/by-mobile/<mobile>). The IDs and
mobiles come from Tests/Fixtures/logs/gen-pii.py (synthetic, checksum-valid).

api-many-citizens-positive: dept-civil-affairs-012 looks up 180 IDs and 30 mobiles (210 distinct
  values) in 42 minutes; dept-health-001 makes 20 lookups alongside.
api-many-citizens-negative: dept-tax-007 makes 220 lookups of only 190 distinct citizens in 55
  minutes (30 repeats); dept-health-001 looks up 40 other citizens in the same hour (230 distinct
  in all, but per consumer at most 190); 20 calls without a consumer id (refused with 401 by the
  gateway) carry 20 more IDs and belong to no consumer.
api-quota-positive: dept-tax-007 calls the vehicles dataset 310 times in 52 minutes.
api-quota-negative: dept-tax-007 calls it 290 times in 58 minutes, plus 20 GET /healthz (not
  under /api/); dept-health-001 makes 40 calls in the same hour.
"""
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "..", "Tests", "Fixtures", "logs", "gen-pii.py")
START = datetime(2026, 11, 23, 18, 0, 0, tzinfo=timezone.utc)


def pii(seed, n):
    out = subprocess.run([sys.executable, GEN, "values", str(seed), str(n)], check=True,
                         capture_output=True, text=True).stdout.split()
    ids = [l.split(",")[1] for l in out if l.startswith("id_card,")]
    mobiles = [l.split(",")[1] for l in out if l.startswith("mobile,")]
    assert len(set(ids)) == n and len(set(mobiles)) == n, "gen-pii.py repeated a value"
    return ids, mobiles


def line(t, addr, consumer, method, uri, status, body, rtime, records):
    # Same key order and value types as nginx writes them (json.dumps keeps UTF-8 as \u escapes,
    # which nginx would not do, so only ASCII values are used).
    fields = [
        ("time_iso8601", json.dumps(t.strftime("%Y-%m-%dT%H:%M:%S+00:00"))),
        ("remote_addr", json.dumps(addr)),
        ("consumer_id", json.dumps(consumer)),
        ("request_method", json.dumps(method)),
        ("uri", json.dumps(uri)),
        ("status", str(status)),
        ("body_bytes_sent", str(body)),
        ("request_time", f"{rtime:.3f}"),
        ("record_count", json.dumps(records)),
    ]
    return "{" + ",".join(f'"{k}":{v}' for k, v in fields) + "}\n"


def lookup(t, addr, consumer, value, kind="id"):
    uri = f"/api/v1/citizens/{value}" if kind == "id" else f"/api/v1/citizens/by-mobile/{value}"
    if not consumer:
        return line(t, addr, "", "GET", uri, 401, 34, 0.0, "")
    return line(t, addr, consumer, "GET", uri, 200, 188, 0.002, "1")


def write(case, lines):
    lines.sort(key=lambda x: x[0])
    path = os.path.join(HERE, case, "gateway.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(text for _, text in lines)
    print(f"{path}: {len(lines)} lines, {os.path.getsize(path)} bytes")


def many_citizens():
    ids, mobiles = pii(20261204, 250)
    pos = []
    values = [(v, "id") for v in ids[:180]] + [(m, "mobile") for m in mobiles[:30]]
    for i, (v, kind) in enumerate(values):
        t = START + timedelta(seconds=12 * i)
        pos.append((t, lookup(t, "10.20.3.14", "dept-civil-affairs-012", v, kind)))
    for i in range(20):
        t = START + timedelta(seconds=7 + 120 * i)
        pos.append((t, lookup(t, "10.20.5.31", "dept-health-001", ids[200 + i])))
    write("api-many-citizens-positive", pos)

    ids, _ = pii(20261205, 250)
    neg = []
    tax = ids[:190] + ids[:30]  # 30 citizens looked up twice
    for i, v in enumerate(tax):
        t = START + timedelta(seconds=15 * i)
        neg.append((t, lookup(t, "10.20.4.8", "dept-tax-007", v)))
    for i in range(40):
        t = START + timedelta(seconds=11 + 80 * i)
        neg.append((t, lookup(t, "10.20.5.31", "dept-health-001", ids[190 + i])))
    for i in range(20):
        t = START + timedelta(seconds=29 + 150 * i)
        neg.append((t, lookup(t, "10.20.9.200", "", ids[230 + i])))
    write("api-many-citizens-negative", neg)


def dataset_call(t, addr, consumer):
    return line(t, addr, consumer, "GET", "/api/v1/datasets/vehicles", 200, 2992, 0.002, "100")


def quota():
    pos = []
    for i in range(310):
        t = START + timedelta(seconds=10 * i)
        pos.append((t, dataset_call(t, "10.20.4.8", "dept-tax-007")))
    write("api-quota-positive", pos)

    neg = []
    for i in range(290):
        t = START + timedelta(seconds=12 * i)
        neg.append((t, dataset_call(t, "10.20.4.8", "dept-tax-007")))
    for i in range(20):
        t = START + timedelta(seconds=5 + 170 * i)
        neg.append((t, line(t, "10.20.4.8", "dept-tax-007", "GET", "/healthz", 404, 22, 0.0, "")))
    for i in range(40):
        t = START + timedelta(seconds=3 + 85 * i)
        neg.append((t, dataset_call(t, "10.20.5.31", "dept-health-001")))
    write("api-quota-negative", neg)


if __name__ == "__main__":
    many_citizens()
    quota()
