#!/usr/bin/env python3
"""Writes N realistic nginx combined lines (deterministic) for whole-process log benchmarks.

    python3 Benchmarks/make-access-log.py --lines 5000000 --out Benchmarks/data/access-5m.log
"""
import argparse
import random

AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "curl/7.88.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0",
    "python-requests/2.31.0",
]
PATHS = ["/", "/index.html", "/api/v1/items", "/static/app.js", "/search", "/login", "/api/v1/person"]
REFERRERS = ["-", "https://portal.example.gov.cn/", "https://www.example.gov.cn/service?id=12"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=5_000_000)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rng = random.Random(5)
    with open(args.out, "w") as f:
        buf = []
        for i in range(args.lines):
            ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            query = f"?id={i}&page={rng.randrange(50)}" if rng.random() < 0.4 else ""
            second = i % 86400
            buf.append(
                f'{ip} - - [23/Nov/2026:{second // 3600:02}:{second // 60 % 60:02}:{second % 60:02} +0800] '
                f'"{rng.choice(["GET", "GET", "POST"])} {rng.choice(PATHS)}{query} HTTP/1.1" '
                f'{rng.choice([200, 200, 200, 304, 404, 500])} {rng.randrange(100, 20000)} '
                f'"{rng.choice(REFERRERS)}" "{rng.choice(AGENTS)}"\n')
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))


if __name__ == "__main__":
    main()
