#!/usr/bin/env python3
"""Tail-and-decode lag: does `vigil analyze --log nginx:F --follow` keep up with a log growing at
RATE lines/s?

A writer appends realistic nginx combined lines to a fresh file at a steady RATE (in 10 ms batches,
like a busy server's buffered access log) for SECONDS, while vigil follows it with a checkpoint.
Every 100 ms the script compares the file size with the checkpointed offset (bytes vigil has decoded
and committed); lag = unread bytes / bytes-per-second written. At the end it measures catch-up: the
time from the writer's last line until every line is in vigil's output.

The checkpoint is committed once a second, so sampled lag includes up to ~1 s of commit interval;
the catch-up time is the honest "how far behind" number.

    python3 Benchmarks/tail-lag.py --vigil .build-bench/release/vigil --rate 50000 --seconds 10
"""
import argparse
import json
import os
import random
import signal
import subprocess
import tempfile
import time

AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "curl/7.88.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0",
]
PATHS = ["/", "/index.html", "/api/v1/items", "/static/app.js", "/search", "/login"]


def line(i, rng):
    ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    path = rng.choice(PATHS)
    query = f"?id={i}&page={rng.randrange(50)}" if rng.random() < 0.4 else f"?n={i}"
    status = rng.choice([200, 200, 200, 304, 404, 500])
    return (f'{ip} - - [23/Nov/2026:10:00:00 +0000] "GET {path}{query} HTTP/1.1" {status} '
            f'{rng.randrange(100, 20000)} "-" "{rng.choice(AGENTS)}"\n')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--rate", type=int, default=50000)
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as d:
        log, ckpt, out = (os.path.join(d, n) for n in ("access.log", "tail.json", "out.ndjson"))
        open(log, "w").close()
        proc = subprocess.Popen([args.vigil, "analyze", "--log", f"nginx:{log}", "--follow", "--checkpoint", ckpt,
                                 "--output", out, "--quiet", "--observer-id", "bench"])
        time.sleep(0.5)
        fd = os.open(log, os.O_WRONLY | os.O_APPEND)
        batch = max(1, args.rate // 100)
        written, lags, start = 0, [], time.time()
        next_sample = start
        total = int(args.rate * args.seconds)
        while written < total:
            target = min(total, int((time.time() - start) * args.rate) + batch)
            data = "".join(line(i, rng) for i in range(written, target)).encode()
            os.write(fd, data)
            written = target
            now = time.time()
            if now >= next_sample:
                next_sample = now + 0.1
                try:
                    offset = json.load(open(ckpt))["cursors"][0]["offset"]
                except (OSError, ValueError, IndexError, KeyError):
                    offset = 0
                size = os.fstat(fd).st_size
                rate_bytes = size / max(now - start, 1e-3)
                lags.append((size - offset) / rate_bytes)
            time.sleep(0.01)
        end_write = time.time()
        os.close(fd)
        while True:
            with open(out, "rb") as f:
                n = sum(1 for _ in f)
            if n >= total or time.time() - end_write > 60:
                break
            time.sleep(0.02)
        caught_up = time.time() - end_write
        proc.send_signal(signal.SIGTERM)
        proc.wait()
        size = os.path.getsize(log)
        lags.sort()
        print(f"lines {total} ({size / 1e6:.1f} MB) at {total / (end_write - start):.0f} lines/s for "
              f"{end_write - start:.1f} s; output {n} events")
        print(f"checkpoint lag (includes the 1 s commit interval): median {lags[len(lags) // 2]:.2f} s, "
              f"p95 {lags[int(len(lags) * 0.95)]:.2f} s, max {lags[-1]:.2f} s")
        print(f"caught up {caught_up:.2f} s after the last line was written")


if __name__ == "__main__":
    main()
