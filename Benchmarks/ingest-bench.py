#!/usr/bin/env python3
"""Correlator ingest benchmark (issue 6): a real vigil-correlator (release build, the shipped rule
pack, SQLite WAL with every index) on 127.0.0.1, fed over mutual TLS by several concurrent sensor
clients, each with its own certificate.

Phases, in one run:
  1. throughput: each client posts gzip NDJSON batches back to back; events/s = events / wall time.
  2. raw SQLite: the same rows (read back from the correlator's store) bulk-inserted with Python's
     sqlite3 (C, prepared statement, executemany, one transaction per batch) into a fresh file with
     the same schema, indexes and PRAGMAs: the ceiling of the storage engine alone.
  3. latency: clients post on a fixed schedule at --rate events/s in total; a batch's latency is
     measured from its scheduled send time (no coordinated omission) to the answer. The correlator
     answers after the batch is committed and its detection-rule incidents are stored, so this is
     the ingest-to-incident latency of detection rules. Afterwards the query API must list the
     incidents (checked).

Events are the project's golden fixtures (every dataset: flows, DNS, HTTP, TLS, SSH, nginx, sshd,
auditd, MySQL, PostgreSQL, API gateway), re-stamped with fresh ids, increasing times in the last
hour, the sending sensor's observer.id and source addresses spread over 10.0.0.0/16.

Usage: python3 Benchmarks/ingest-bench.py [--binary PATH] [--events 400000] [--clients 4]
       [--batch 1000] [--rate 50000] [--seconds 10]
Talks only to 127.0.0.1. Results are printed and written to Benchmarks/results/ingest.txt. KEEP=1
keeps the store, PKI and config (the temporary directory is printed).
"""

import argparse
import glob
import gzip
import http.client
import json
import os
import re
import shutil
import sqlite3
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def templates():
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "Tests/Fixtures/expected/*.ndjson"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    out.append(json.loads(line))
    return out


def make_batches(tpls, sensor, count, batch, start_us, step_us, offset):
    """Gzip NDJSON bodies for one sensor: `count` events in batches of `batch`."""
    bodies = []
    n = 0
    while n < count:
        lines = []
        for _ in range(min(batch, count - n)):
            k = offset + n
            e = dict(tpls[k % len(tpls)])
            e["@timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime((start_us + k * step_us) // 1_000_000)) + ".%06dZ" % ((start_us + k * step_us) % 1_000_000)
            e["event.id"] = "%s-%012x" % (sensor, k)
            e["observer.id"] = sensor
            if "source.ip" in e:
                e["source.ip"] = "10.0.%d.%d" % ((k >> 8) & 255, k & 255)
            e.pop("event.end", None)
            e.pop("event.start", None)
            lines.append(json.dumps(e, separators=(",", ":"), ensure_ascii=False))
            n += 1
        bodies.append(gzip.compress(("\n".join(lines) + "\n").encode(), compresslevel=1))
    return bodies


class Client:
    def __init__(self, port, pki, sensor):
        ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
        ctx.load_cert_chain(os.path.join(pki, "sensors", sensor + ".crt"), os.path.join(pki, "sensors", sensor + ".key"))
        ctx.check_hostname = False
        self.conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=120)

    def post(self, body):
        self.conn.request("POST", "/v1/events", body=body, headers={
            "Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"})
        r = self.conn.getresponse()
        answer = json.loads(r.read())
        if r.status != 200:
            raise RuntimeError("HTTP %d: %s" % (r.status, answer))
        return answer


def run_clients(port, pki, sensors, per_sensor_bodies, schedule=None):
    """Posts every sensor's bodies on its own thread; returns (accepted, rejected, latencies_s)."""
    results = {}
    errors = []

    def worker(sensor, bodies):
        try:
            c = Client(port, pki, sensor)
            accepted = rejected = 0
            lat = []
            for i, body in enumerate(bodies):
                if schedule is not None:
                    due = schedule(sensor, i)
                    delay = due - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    a = c.post(body)
                    lat.append(time.perf_counter() - due)
                else:
                    a = c.post(body)
                accepted += a["accepted"]
                rejected += a["rejected"]
            results[sensor] = (accepted, rejected, lat)
        except Exception as e:  # reported below
            errors.append("%s: %s" % (sensor, e))

    threads = [threading.Thread(target=worker, args=(s, per_sensor_bodies[s])) for s in sensors]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError("; ".join(errors))
    accepted = sum(r[0] for r in results.values())
    rejected = sum(r[1] for r in results.values())
    lat = [x for r in results.values() for x in r[2]]
    return accepted, rejected, lat


def raw_sqlite(store, batch):
    """Bulk-inserts the store's own rows into a fresh file with the same schema; rows/s."""
    src = sqlite3.connect("file:%s?mode=ro" % store, uri=True)
    schema = [r[0] for r in src.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name IN ('events', 'rule_hits') AND sql IS NOT NULL "
        "ORDER BY type = 'index', name")]
    rows = src.execute(
        "SELECT event_id, time, dataset, observer, source_ip, destination_ip, host, user, ingested, json "
        "FROM events ORDER BY rowid").fetchall()
    hits = src.execute("SELECT rule_id, time, event_rowid FROM rule_hits ORDER BY event_rowid").fetchall()
    src.close()
    path = store + ".raw"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "wal_autocheckpoint=10000"):
        db.execute("PRAGMA " + pragma)
    for sql in schema:
        db.execute(sql)
    by_event = {}
    for h in hits:
        by_event.setdefault(h[2], []).append(h)
    t0 = time.perf_counter()
    rowid = 0
    for i in range(0, len(rows), batch):
        chunk = rows[i:i + batch]
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO events (event_id, time, dataset, observer, source_ip, destination_ip, host, user, "
            "ingested, json) VALUES (?,?,?,?,?,?,?,?,?,?)", chunk)
        chunk_hits = [h for r in range(rowid + 1, rowid + len(chunk) + 1) for h in by_event.get(r, [])]
        if chunk_hits:
            db.executemany("INSERT INTO rule_hits (rule_id, time, event_rowid) VALUES (?,?,?)", chunk_hits)
        db.execute("COMMIT")
        rowid += len(chunk)
    elapsed = time.perf_counter() - t0
    db.close()
    return len(rows), elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build-bench/release/vigil-correlator"))
    ap.add_argument("--events", type=int, default=400_000, help="throughput phase, in total")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--rate", type=int, default=50_000, help="latency phase, events/s in total")
    ap.add_argument("--seconds", type=int, default=10, help="latency phase duration")
    args = ap.parse_args()
    if not os.path.exists(args.binary):
        print("building vigil-correlator (release)...", file=sys.stderr)
        subprocess.run(["swift", "build", "-c", "release", "--product", "vigil-correlator", "--scratch-path",
                        os.path.join(ROOT, ".build-bench")], cwd=ROOT, check=True)

    work = tempfile.mkdtemp(prefix="vigil-ingest-bench-")
    sensors = ["bench-%d" % i for i in range(args.clients)]
    pki = os.path.join(work, "pki")
    cmd = ["bash", os.path.join(ROOT, "deploy/pki/make-pki.sh"), pki]
    for s in sensors:
        cmd += ["--sensor", s]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = os.path.join(work, "vigil.db")
    config = os.path.join(work, "correlator.yaml")
    with open(config, "w") as f:
        f.write("listen: 127.0.0.1:0\napi:\n  listen: 127.0.0.1:0\ntls:\n"
                "  certificate: %s/correlator.crt\n  key: %s/correlator.key\n  client_ca: %s/ca.crt\n"
                "store: %s\nrules: %s/rules\n" % (pki, pki, pki, store, ROOT))
    proc = subprocess.Popen([args.binary, "--config", config], stderr=subprocess.PIPE, text=True)
    port = api_port = None
    log = ""
    deadline = time.time() + 60
    while (port is None or api_port is None) and time.time() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        log += line
        m = re.search(r"vigil-correlator: listening on [0-9.]+:(\d+)", line)
        if m:
            port = int(m.group(1))
        m = re.search(r"vigil-correlator: query API on [0-9.]+:(\d+)", line)
        if m:
            api_port = int(m.group(1))
    if port is None or api_port is None:
        proc.kill()
        sys.exit("vigil-correlator did not start:\n" + log)
    threading.Thread(target=lambda: proc.stderr.read(), daemon=True).start()

    tpls = templates()
    now_us = int(time.time() * 1_000_000)
    per = args.events // args.clients
    step = 3_600_000_000 // max(per, 1)
    report = []

    def say(text):
        print(text)
        report.append(text)

    try:
        say("vigil-correlator ingest benchmark: %d clients (mutual TLS, gzip NDJSON, batches of %d), "
            "%d template events from the golden fixtures, the shipped rule pack" % (args.clients, args.batch, len(tpls)))
        bodies = {s: make_batches(tpls, s, per, args.batch, now_us - 3_600_000_000, step, 0) for s in sensors}
        raw_bytes = sum(len(gzip.decompress(b)) for b in bodies[sensors[0]]) * args.clients
        t0 = time.perf_counter()
        accepted, rejected, _ = run_clients(port, pki, sensors, bodies)
        elapsed = time.perf_counter() - t0
        assert accepted == per * args.clients and rejected == 0, (accepted, rejected)
        ingest_rate = accepted / elapsed
        say("throughput: %d events in %.2f s = %.0f events/s (%.1f MB/s of NDJSON)" % (
            accepted, elapsed, ingest_rate, raw_bytes / elapsed / 1e6))

        rows, raw_elapsed = raw_sqlite(store, args.batch)
        raw_rate = rows / raw_elapsed
        say("raw SQLite bulk insert of the same %d rows (same schema, indexes, WAL, synchronous=FULL, "
            "batches of %d): %.2f s = %.0f rows/s" % (rows, args.batch, raw_elapsed, raw_rate))
        say("ingest / raw insert: %.0f %%" % (100 * ingest_rate / raw_rate))

        # Latency at a fixed rate: each client sends its share on a schedule.
        batches_per_client = args.rate * args.seconds // args.batch // args.clients
        interval = args.batch * args.clients / args.rate
        latency_start = now_us
        lat_bodies = {s: make_batches(tpls, s, batches_per_client * args.batch, args.batch, latency_start,
                                      1_000_000 // max(args.rate // args.clients, 1), 10_000_000) for s in sensors}
        base = time.perf_counter() + 0.5
        offsets = {s: i * interval / args.clients for i, s in enumerate(sensors)}
        accepted, rejected, lat = run_clients(
            port, pki, sensors, lat_bodies, schedule=lambda s, i: base + offsets[s] + i * interval)
        lat.sort()
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
        say("latency at %d events/s for %d s (%d batches): p50 %.1f ms, p99 %.1f ms, max %.1f ms "
            "(scheduled send to answer; detection incidents are stored before the answer)" % (
                args.rate, args.seconds, len(lat), p(0.5), p(0.99), lat[-1] * 1000))

        # The incidents are there for an analyst to query.
        token = subprocess.run([args.binary, "token", "create", "--store", store, "--name", "bench"],
                               capture_output=True, text=True, check=True).stdout.strip()
        ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
        ctx.check_hostname = False
        c = http.client.HTTPSConnection("127.0.0.1", api_port, context=ctx, timeout=60)
        c.request("GET", "/v1/incidents?limit=1000", headers={"Authorization": "Bearer " + token})
        incidents = json.loads(c.getresponse().read())["incidents"]
        c.request("GET", "/metrics", headers={"Authorization": "Bearer " + token})
        metrics = c.getresponse().read().decode()
        hits = sum(float(l.split()[-1]) for l in metrics.splitlines() if l.startswith("vigil_rule_hits_total"))
        say("incidents listed by the query API afterwards: %d (rule hits counted by /metrics: %.0f)" % (
            len(incidents), hits))
        assert incidents, "no incident raised"
        say("store: %.0f MB for %d events" % (os.path.getsize(store) / 1e6, rows + accepted))
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        if os.environ.get("KEEP"):
            print("kept the store, PKI and config in %s" % work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(ROOT, "Benchmarks/results"), exist_ok=True)
    with open(os.path.join(ROOT, "Benchmarks/results/ingest.txt"), "w") as f:
        f.write("\n".join(report) + "\n")


if __name__ == "__main__":
    main()
