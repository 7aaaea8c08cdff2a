#!/usr/bin/env python3
"""Appends a bundled log to a live log file with its timestamps moved to the present.

The evidence the project recorded (Tests/Fixtures/logs, rules/tests/*) carries the times it was
made; a live correlator looks at the last hours. This keeps the spacing between lines and moves
the newest line to `--end` seconds ago (default 5), so correlation windows (five failed logins in a
minute …) fire as they did when the evidence was recorded.

  replay-evidence.py nginx|syslog|postgres SOURCE DEST [--end SECONDS]
"""
import argparse, re, sys
from datetime import datetime, timedelta, timezone

FORMATS = {
    # [23/Nov/2026:17:44:49 +0000]
    "nginx": (re.compile(r"\[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\]"), "%d/%b/%Y:%H:%M:%S %z",
              lambda t: "[" + t.strftime("%d/%b/%Y:%H:%M:%S +0000") + "]"),
    # Nov 23 17:50:10 (RFC 3164: no year, no zone; read as UTC like the sensor's default utc_offset)
    "syslog": (re.compile(r"^(\w{3} [ \d]\d \d{2}:\d{2}:\d{2})"), "%b %d %H:%M:%S",
               lambda t: t.strftime("%b ") + f"{t.day:>2}" + t.strftime(" %H:%M:%S")),
    # 2026-11-23 17:45:20.378 UTC
    "postgres": (re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}) UTC"), "%Y-%m-%d %H:%M:%S.%f",
                 lambda t: t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"),
}

parser = argparse.ArgumentParser()
parser.add_argument("format", choices=FORMATS)
parser.add_argument("source")
parser.add_argument("dest")
parser.add_argument("--end", type=float, default=5.0)
args = parser.parse_args()
pattern, layout, render = FORMATS[args.format]


def parse(text):
    t = datetime.strptime(text, layout)
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    if args.format == "syslog":
        t = t.replace(year=datetime.now(timezone.utc).year)
    return t.astimezone(timezone.utc)


lines = open(args.source, encoding="utf-8").read().splitlines()
times = [parse(m.group(1)) for m in (pattern.search(line) for line in lines) if m]
if not times:
    sys.exit(f"replay-evidence: {args.source}: no {args.format} timestamps")
shift = datetime.now(timezone.utc) - timedelta(seconds=args.end) - max(times)
out = []
for line in lines:
    m = pattern.search(line)
    if m:
        new = render(parse(m.group(1)) + shift)
        start, end = m.span(1) if args.format != "nginx" else m.span(0)
        line = line[:start] + new + line[end:]
    out.append(line + "\n")
with open(args.dest, "a", encoding="utf-8") as f:
    f.writelines(out)
print(f"replay-evidence: {len(out)} lines of {args.source} -> {args.dest} (shifted by {shift})", file=sys.stderr)
