#!/usr/bin/env python3
"""Sensor agent benchmark (issue 8): real `vigil-sensor` and `vigil-correlator` processes (release
builds), mutual TLS on 127.0.0.1, a throwaway PKI from deploy/pki/make-pki.sh.

  shipping  an nginx access log of N lines (make-access-log.py) tailed by the sensor:
            (a) correlator down: the sensor fills its spool (time and rate of tail + decode +
                Inspect + spool); then the correlator starts, with the rule pack rules/ and
                without, and the spool is shipped: pure shipping + ingest events/s, measured from
                the first stored event to the N-th (wall clock, polled) and from the store's own
                `ingested` column;
            (b) correlator up from the start: from sensor start to N events in the store (tail,
                Inspect, spool, ship, ingest end to end).
            The sensor's CPU seconds (/proc/<pid>/stat utime+stime) and peak RSS (VmHWM) per phase.
  capture   a mixed capture (make-capture.py: HTTP, DNS, TLS, SSH at a 1500-byte MTU) replayed on
            lo with tcpreplay at increasing rates into a sensor capturing lo with no BPF filter,
            shipping to a running correlator; a fresh sensor per rate. Per rate: tcpreplay's actual
            rate, packets sent vs the sensor's vigil_sensor_captured_total, its
            vigil_sensor_kernel_dropped_total, the kernel's backlog drops (/proc/net/softnet_stat),
            the sensor's CPU and VmHWM.

Usage: python3 Benchmarks/sensor-bench.py [shipping] [capture] [--no-build]
       env: SENSOR_EVENTS (200000), CAPTURE_PACKETS (600000),
            RATES ("50,100,200,400,800,1000,top": Mbps, "top" = --topspeed),
            SHIP_CONNECTIONS (shipping.connections; unset: the default 2) with SHIP_TAG,
            CAPTURE_SNAPLEN / CAPTURE_BUFFER_MIB / CAPTURE_IMMEDIATE (the profile's capture.snaplen /
            buffer_mib / immediate; unset: the defaults) with CAPTURE_TAG (" snaplen 2048": names the results section), KEEP=1 keeps the
            stores and spools in Benchmarks/data/sensor-bench/
Needs root for the capture part (and tcpreplay: apt-get install -y tcpreplay). Talks only to
127.0.0.1 / lo. Data in Benchmarks/data/ (git-ignored); results in Benchmarks/results/sensor.txt
(each part rewrites its own section).
"""

import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "Benchmarks")
DATA = os.path.join(BENCH, "data")
WORK = os.path.join(DATA, "sensor-bench")
BUILD = os.path.join(ROOT, ".build-bench")
RESULTS = os.path.join(BENCH, "results", "sensor.txt")
CLK_TCK = os.sysconf("SC_CLK_TCK")
SENSOR_ID = "bench-sensor"

report = []


def say(text=""):
    print(text, flush=True)
    report.append(text)


def busy_seconds():
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / CLK_TCK


def wait_until(condition, seconds, interval=0.2):
    """Polls `condition` every `interval` for at most `seconds`; returns its last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_signals():
    # The shell that started us may ignore SIGTERM/SIGINT; children inherit ignored signals.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


class Proc:
    """A child process with its stderr in a log file; stopped with SIGTERM, then SIGKILL."""
    live = []

    def __init__(self, name, args, log):
        self.name = name
        self.log_path = log
        self.log_file = open(log, "w")
        self.p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log_file,
                                  preexec_fn=default_signals)
        self.started = time.monotonic()
        Proc.live.append(self)

    @property
    def pid(self):
        return self.p.pid

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def cpu(self):
        """utime + stime in seconds (0 once gone)."""
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError):
            return 0.0

    def status(self, key):
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for line in f:
                    if line.startswith(key + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def hwm_mb(self):
        return self.status("VmHWM") / 1024

    def stop(self, timeout=20):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                print("%s: no exit %d s after SIGTERM: SIGKILL" % (self.name, timeout), file=sys.stderr)
                self.p.kill()
                self.p.wait(timeout=10)
        self.log_file.close()
        if self in Proc.live:
            Proc.live.remove(self)
        return self.p.returncode


def metrics(path):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("#"):
                    continue
                parts = line.split()
                if len(parts) == 2:
                    out[parts[0].split("{")[0]] = float(parts[1])
    except OSError:
        pass
    return out


def build(products):
    for product in products:
        print("building %s (release, %s)..." % (product, BUILD), file=sys.stderr, flush=True)
        subprocess.run(["swift", "build", "-c", "release", "--product", product, "--scratch-path", BUILD],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def binary(name):
    return os.path.join(BUILD, "release", name)


def make_pki():
    pki = os.path.join(WORK, "pki")
    subprocess.run(["bash", os.path.join(ROOT, "deploy/pki/make-pki.sh"), pki, "--sensor", SENSOR_ID],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return pki


class Correlator:
    def __init__(self, pki, port, tag, rules):
        self.store = os.path.join(WORK, "store-%s.db" % tag)
        for suffix in ("", "-wal", "-shm", ".timeline-head"):
            if os.path.exists(self.store + suffix):
                os.remove(self.store + suffix)
        config = os.path.join(WORK, "correlator-%s.yaml" % tag)
        with open(config, "w") as f:
            f.write("listen: 127.0.0.1:%d\napi:\n  listen: 127.0.0.1:0\ntls:\n"
                    "  certificate: %s/correlator.crt\n  key: %s/correlator.key\n  client_ca: %s/ca.crt\n"
                    "store: %s\n" % (port, pki, pki, pki, self.store))
            if rules:
                f.write("rules: %s/rules\n" % ROOT)
        self.proc = Proc("vigil-correlator", [binary("vigil-correlator"), "--config", config],
                         os.path.join(WORK, "correlator-%s.log" % tag))
        if not wait_until(lambda: "listening on" in self.proc.log() or self.proc.p.poll() is not None, 60):
            raise RuntimeError("vigil-correlator did not start:\n" + self.proc.log())
        if self.proc.p.poll() is not None:
            raise RuntimeError("vigil-correlator exited:\n" + self.proc.log())

    def query(self, sql):
        try:
            db = sqlite3.connect("file:%s?mode=ro" % self.store, uri=True, timeout=10)
            try:
                return db.execute(sql).fetchone()
            finally:
                db.close()
        except sqlite3.Error:
            return None

    def count(self, dataset=None):
        where = " WHERE dataset = '%s'" % dataset if dataset else ""
        row = self.query("SELECT count(*) FROM events" + where)
        return row[0] if row else 0

    def stop(self):
        return self.proc.stop()


class Sensor:
    def __init__(self, pki, port, tag, profile):
        self.state = os.path.join(WORK, "state-%s" % tag)
        shutil.rmtree(self.state, ignore_errors=True)
        profile_path = os.path.join(WORK, "profile-%s.yaml" % tag)
        with open(profile_path, "w") as f:
            f.write(profile)
        config = os.path.join(WORK, "sensor-%s.yaml" % tag)
        with open(config, "w") as f:
            f.write("profile: %s\ncorrelator:\n  url: https://127.0.0.1:%d\n  ca: %s/ca.crt\n"
                    "  certificate: %s/sensors/%s.crt\n  key: %s/sensors/%s.key\nstate_dir: %s\n"
                    "spool:\n  max_mib: 4096\n  min_free_mib: 0\nmetrics:\n  interval_seconds: 1\n"
                    % (profile_path, port, pki, pki, SENSOR_ID, pki, SENSOR_ID, self.state))
            if os.environ.get("SHIP_CONNECTIONS"):
                f.write("shipping:\n  connections: %s\n" % os.environ["SHIP_CONNECTIONS"])
        self.metrics_path = os.path.join(self.state, "vigil-sensor.prom")
        self.proc = Proc("vigil-sensor", [binary("vigil-sensor"), "--config", config],
                         os.path.join(WORK, "sensor-%s.log" % tag))

    def metrics(self):
        return metrics(self.metrics_path)

    def spooled(self):
        """Lines appended to the spool so far, read from the spool itself (its AUTOINCREMENT counter):
        the metrics file lags while a heartbeat to an unreachable correlator is pending."""
        path = os.path.join(self.state, "spool.db")
        if not os.path.exists(path):
            return 0
        try:
            db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
            try:
                row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'spool'").fetchone()
                return row[0] if row else 0
            finally:
                db.close()
        except sqlite3.Error:
            return 0

    def metric(self, name):
        return self.metrics().get(name, 0)

    def stop(self):
        return self.proc.stop()


def log_profile(access_log):
    return ("kind: bench-node\nlabels:\n  department: 大数据管理局\n  data_classification: important\n"
            "logs:\n  - format: nginx\n    path: %s\n" % access_log)


def access_log(n):
    path = os.path.join(DATA, "access-%d.log" % n)
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(BENCH, "make-access-log.py"), "--lines", str(n), "--out", path],
                       check=True)
    return path


def rate_from_ingested(correlator, n):
    """Events/s between the first and the last stored event by the correlator's own clock (the first
    batch's events excluded from the count: its commit time is the start)."""
    row = correlator.query("SELECT min(ingested), max(ingested), count(*) FROM events WHERE dataset = 'web.access'")
    if not row or row[2] == 0:
        return None, None
    first, last, count = row
    scale = 1e6 if last > 1e14 else 1e3 if last > 1e11 else 1.0
    first_batch = correlator.query(
        "SELECT count(*) FROM events WHERE dataset = 'web.access' AND ingested = %d" % first)[0]
    span = (last - first) / scale
    return (count - first_batch) / span if span > 0 else None, span


def shipping(n, pki):
    log = access_log(n)
    say("## shipping%s: %d nginx lines (%s, %.0f MB), one sensor, one correlator, 127.0.0.1, mutual TLS" % (
        os.environ.get("SHIP_TAG", ""), n, os.path.relpath(log, ROOT), os.path.getsize(log) / 1e6))
    say("sensor: batches of 2 000 events / 4 MiB, %s connections%s, metrics every 1 s" % (
        os.environ.get("SHIP_CONNECTIONS", "2"), "" if os.environ.get("SHIP_CONNECTIONS") else " (the default)"))
    rows = []
    for rules in (True, False):
        tag = "a-rules" if rules else "a-norules"
        port = free_port()
        sensor = Sensor(pki, port, tag, log_profile(log))
        correlator = None
        try:
            t0 = time.monotonic()
            busy0 = busy_seconds()
            if not wait_until(lambda: sensor.spooled() >= n, 600, 0.05):
                raise RuntimeError("spool not filled: %s\n%s" % (sensor.metrics(), sensor.proc.log()[-3000:]))
            fill = time.monotonic() - t0
            cpu_fill = sensor.proc.cpu()
            hwm_fill = sensor.proc.hwm_mb()
            other_fill = busy_seconds() - busy0 - cpu_fill
            spool_db = os.path.join(sensor.state, "spool.db")
            spool_mb = sum(os.path.getsize(spool_db + s) for s in ("", "-wal") if os.path.exists(spool_db + s)) / 1e6
            if not wait_until(lambda: sensor.metric("vigil_sensor_spooled_total") >= n, 60):
                raise RuntimeError("metrics: spooled_total %s" % sensor.metric("vigil_sensor_spooled_total"))
            spool_bytes = sensor.metric("vigil_sensor_spool_bytes")
            say("(a) %s: spool filled with %d events in %.2f s (from process start) = %.0f events/s; "
                "sensor CPU %.2f s, VmHWM %.0f MB; spool %.0f MB of lines, %.0f MB on disk; everything else on the box: "
                "%.1f CPU s" % (tag, n, fill, n / fill, cpu_fill, hwm_fill, spool_bytes / 1e6, spool_mb, other_fill))
            correlator = Correlator(pki, port, tag, rules)
            t_up = time.monotonic()
            if not wait_until(lambda: correlator.count("web.access") > 0, 600, 0.05):
                raise RuntimeError("nothing shipped:\n" + sensor.proc.log()[-3000:])
            t_first = time.monotonic()
            cpu_first = sensor.proc.cpu()
            ccpu_first = correlator.proc.cpu()
            busy_first = busy_seconds()
            if not wait_until(lambda: correlator.count("web.access") >= n, 900, 0.2):
                raise RuntimeError("store has %d of %d" % (correlator.count("web.access"), n))
            t_done = time.monotonic()
            cpu_done = sensor.proc.cpu()
            ccpu_done = correlator.proc.cpu()
            other = busy_seconds() - busy_first - (cpu_done - cpu_first) - (ccpu_done - ccpu_first)
            wait_until(lambda: sensor.metric("vigil_sensor_spool_events") == 0, 10)
            m = sensor.metrics()
            distinct = correlator.query("SELECT count(DISTINCT event_id) FROM events WHERE dataset = 'web.access'")[0]
            by_ingested, span = rate_from_ingested(correlator, n)
            wall = t_done - t_first
            say("    correlator %s rules: first event stored %.2f s after it started (the sensor's retry "
                "backoff); then %d events in %.2f s = %.0f events/s (store's ingested column: %s); "
                "sensor CPU %.2f s (%.0f %% of a core), correlator CPU %.2f s; sensor VmHWM %.0f MB; "
                "stored %d distinct; spool_events %d, shipping_failures %d, duplicates %d; "
                "everything else on the box: %.1f CPU s" % (
                    "with" if rules else "without", t_first - t_up, n, wall, n / wall,
                    "%.0f events/s over %.2f s" % (by_ingested, span) if by_ingested else "n/a",
                    cpu_done - cpu_first, 100 * (cpu_done - cpu_first) / wall, ccpu_done - ccpu_first,
                    sensor.proc.hwm_mb(), distinct, m.get("vigil_sensor_spool_events", -1),
                    m.get("vigil_sensor_shipping_failures_total", -1), m.get("vigil_sensor_duplicates_total", -1), other))
            rows.append(("(a) spool → correlator, %s rules" % ("with" if rules else "no"), n / wall, by_ingested,
                         cpu_done - cpu_first, sensor.proc.hwm_mb(), other))
            if tag == "a-rules":
                rows.insert(0, ("(a) tail + Inspect + spool (correlator down)", n / fill, None, cpu_fill, hwm_fill,
                                other_fill))
        finally:
            sensor.stop()
            if correlator:
                correlator.stop()

    # (b) correlator up from the start, with rules.
    port = free_port()
    correlator = Correlator(pki, port, "b", True)
    sensor = None
    try:
        t0 = time.monotonic()
        busy0 = busy_seconds()
        ccpu0 = correlator.proc.cpu()
        sensor = Sensor(pki, port, "b", log_profile(log))
        if not wait_until(lambda: correlator.count("web.access") >= n, 900, 0.2):
            raise RuntimeError("store has %d of %d" % (correlator.count("web.access"), n))
        wall = time.monotonic() - t0
        cpu = sensor.proc.cpu()
        ccpu = correlator.proc.cpu() - ccpu0
        other = busy_seconds() - busy0 - cpu - ccpu
        by_ingested, span = rate_from_ingested(correlator, n)
        m = sensor.metrics()
        say("(b) correlator up (with rules): sensor start → %d events in the store in %.2f s = %.0f events/s "
            "end to end (store's ingested column: %s); sensor CPU %.2f s (%.0f %% of a core), "
            "correlator CPU %.2f s, sensor VmHWM %.0f MB; shipping_failures %d; everything else on the box: %.1f CPU s" % (
                n, wall, n / wall, "%.0f events/s over %.2f s" % (by_ingested, span) if by_ingested else "n/a",
                cpu, 100 * cpu / wall, ccpu, sensor.proc.hwm_mb(), m.get("vigil_sensor_shipping_failures_total", -1),
                other))
        rows.append(("(b) end to end, correlator up, rules", n / wall, by_ingested, cpu, sensor.proc.hwm_mb(), other))
    finally:
        if sensor:
            sensor.stop()
        correlator.stop()
    say()
    say("| run | events/s (wall) | events/s (ingested column) | sensor CPU s | sensor VmHWM MB | other CPU s |")
    say("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, rate, by_ingested, cpu, hwm, other in rows:
        say("| %s | %.0f | %s | %.2f | %.0f | %.1f |" % (
            name, rate, "%.0f" % by_ingested if by_ingested else "—", cpu, hwm, other))


def softnet_dropped():
    total = 0
    with open("/proc/net/softnet_stat") as f:
        for line in f:
            total += int(line.split()[1], 16)
    return total


def capture(packets, rates, pki):
    if os.geteuid() != 0:
        say("## capture: skipped (needs root)")
        return
    tcpreplay = shutil.which("tcpreplay")
    if not tcpreplay:
        raise SystemExit("tcpreplay is missing: apt-get install -y tcpreplay")
    pcap = os.path.join(DATA, "replay-%d.pcap" % packets)
    if not os.path.exists(pcap):
        subprocess.run([sys.executable, os.path.join(BENCH, "make-capture.py"), "--packets", str(packets),
                        "--out", pcap], check=True)
    say("## capture%s: tcpreplay on lo of %s (%d packets, %.0f MB); sensor capturing lo, no BPF filter, "
        "snaplen %s, buffer_mib %s, immediate %s, shipping to a correlator (rules/) on the same 2 cores" % (
            os.environ.get("CAPTURE_TAG", ""), os.path.relpath(pcap, ROOT), packets, os.path.getsize(pcap) / 1e6,
            os.environ.get("CAPTURE_SNAPLEN", "65535 (default)"), os.environ.get("CAPTURE_BUFFER_MIB", "32 (default)"),
            os.environ.get("CAPTURE_IMMEDIATE", "false (default)")))
    version = subprocess.run([tcpreplay, "--version"], capture_output=True, text=True)
    say("tcpreplay: " + (version.stdout + version.stderr).splitlines()[0])
    port = free_port()
    correlator = Correlator(pki, port, "capture", True)
    profile = ("kind: bench-node\nlabels:\n  department: 大数据管理局\n  data_classification: important\n"
               "capture:\n  interface: lo\n")
    for key in ("snaplen", "buffer_mib", "immediate"):
        if os.environ.get("CAPTURE_" + key.upper()):
            profile += "  %s: %s\n" % (key, os.environ["CAPTURE_" + key.upper()])
    rows = []
    try:
        for rate in rates:
            tag = "capture-%s" % rate
            sensor = Sensor(pki, port, tag, profile)
            try:
                if not wait_until(lambda: "capturing on lo" in sensor.proc.log(), 30):
                    raise RuntimeError("sensor did not start capturing:\n" + sensor.proc.log())
                time.sleep(1.0)  # the handle is activated after the log line
                base = sensor.metric("vigil_sensor_captured_total")
                cpu0 = sensor.proc.cpu()
                soft0 = softnet_dropped()
                busy0 = busy_seconds()
                ccpu0 = correlator.proc.cpu()
                children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                args = [tcpreplay, "--intf1=lo"] + (["--topspeed"] if rate == "top" else ["--mbps=%s" % rate]) + [pcap]
                out = subprocess.run(args, capture_output=True, text=True, timeout=900)
                text = out.stdout + out.stderr
                sent = int(re.search(r"Actual: (\d+) packets", text).group(1))
                rated = re.search(r"Rated: [\d.]+ Bps, ([\d.]+) Mbps, ([\d.]+) pps", text)
                elapsed = float(re.search(r"sent in ([\d.]+) seconds", text).group(1))
                failed = int(re.search(r"Failed packets:\s+(\d+)", text).group(1))
                busy = busy_seconds() - busy0
                ccpu = correlator.proc.cpu() - ccpu0
                children = resource.getrusage(resource.RUSAGE_CHILDREN)
                tcpreplay_cpu = (children.ru_utime + children.ru_stime) - (children0.ru_utime + children0.ru_stime)
                cpu = sensor.proc.cpu() - cpu0  # during the replay
                other = busy - ccpu - tcpreplay_cpu - cpu
                # Until the sensor has taken everything in (the metrics file is written every second).
                last = [-1]

                def settled():
                    c = sensor.metric("vigil_sensor_captured_total")
                    done = c == last[0] and c > base
                    last[0] = c
                    return done
                wait_until(settled, 120, 1.5)
                soft = softnet_dropped() - soft0
                m = sensor.metrics()
                captured = m.get("vigil_sensor_captured_total", 0) - base
                dropped = m.get("vigil_sensor_kernel_dropped_total", 0)
                cpu_after = sensor.proc.cpu() - cpu0 - cpu  # the rest of the work, after the replay
                hwm = sensor.proc.hwm_mb()
                events = m.get("vigil_sensor_events_total", 0)
                say("%s: tcpreplay %d packets in %.2f s = %s Mbps, %s pps (failed %d); sensor captured %d "
                    "(%+d vs sent), kernel_dropped %d, softnet backlog drops %d, events %d, decode_errors %d; "
                    "sensor CPU %.2f s during the replay (%.0f %% of a core) + %.2f s after it, VmHWM %.0f MB; "
                    "during the replay the box was "
                    "busy %.0f %% of its %d cores (correlator %.1f CPU s, tcpreplay %.1f, everything else %.1f)" % (
                        "--topspeed" if rate == "top" else "--mbps=%s" % rate, sent, elapsed, rated.group(1),
                        rated.group(2), failed, captured, captured - sent, dropped, soft, events,
                        m.get("vigil_sensor_decode_errors_total", 0), cpu, 100 * cpu / elapsed, cpu_after, hwm,
                        100 * busy / elapsed / os.cpu_count(), os.cpu_count(), ccpu, tcpreplay_cpu, other))
                rows.append((rate, float(rated.group(1)), float(rated.group(2)), sent, captured, dropped, soft, cpu,
                             100 * cpu / elapsed, hwm, other))
            finally:
                sensor.stop()
    finally:
        correlator.stop()
    say()
    say("| requested | actual Mbps | actual pps | sent | captured | kernel_dropped | softnet drops | sensor CPU s "
        "(replay) | CPU % | VmHWM MB | other CPU s |")
    say("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        say("| %s | %.0f | %.0f | %d | %d | %d | %d | %.2f | %.0f | %.0f | %.1f |" % (
            "topspeed" if r[0] == "top" else r[0] + " Mbps", *r[1:]))
    clean = [r for r in rows if r[5] == 0 and r[4] >= r[3]]
    if clean:
        best = max(clean, key=lambda r: r[1])
        say("highest rate with 0 kernel drops and every packet captured: %.0f Mbps actual (%.0f pps), "
            "sensor CPU %.0f %% of a core, VmHWM %.0f MB" % (best[1], best[2], best[8], best[9]))
    else:
        say("no rate ran without kernel drops")


def write_results(sections):
    """Replaces this run's sections (## headings) in results/sensor.txt, keeping the others."""
    old = {}
    order = []
    if os.path.exists(RESULTS):
        current = None
        with open(RESULTS) as f:
            for line in f:
                if line.startswith("## "):
                    current = line.split(":")[0].strip()
                    order.append(current)
                    old[current] = []
                if current:
                    old[current].append(line.rstrip("\n"))
    new = {}
    current = None
    for line in report:
        if line.startswith("## "):
            current = line.split(":")[0].strip()
            new[current] = []
            if current not in order:
                order.append(current)
        if current:
            new[current].append(line)
    merged = {**old, **new}
    with open(RESULTS, "w") as f:
        for key in order:
            f.write("\n".join(merged[key]).rstrip("\n") + "\n\n")


def main():
    args = sys.argv[1:]
    no_build = "--no-build" in args
    parts = [a for a in args if not a.startswith("--")] or ["shipping", "capture"]
    unknown = [a for a in args if a not in ("shipping", "capture", "--no-build")]
    if unknown:
        sys.exit("sensor-bench.py: unknown %s\n%s" % (" ".join(unknown), __doc__))
    n = int(os.environ.get("SENSOR_EVENTS", "200000"))
    packets = int(os.environ.get("CAPTURE_PACKETS", "600000"))
    rates = os.environ.get("RATES", "50,100,200,400,800,1000,top").split(",")
    if not no_build:
        build(["vigil-correlator", "vigil-sensor"])
    os.makedirs(WORK, exist_ok=True)
    shutil.rmtree(os.path.join(WORK, "pki"), ignore_errors=True)
    pki = make_pki()
    say("## run: %s, %d cores, %s" % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.cpu_count(),
                                       " ".join(parts)))
    try:
        if "shipping" in parts:
            shipping(n, pki)
            say()
        if "capture" in parts:
            capture(packets, rates, pki)
    finally:
        for p in list(Proc.live):
            p.stop(timeout=10)
        os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
        write_results(report)
        if not os.environ.get("KEEP"):
            # Stores and spools are hundreds of MB; the logs and configs stay for a look afterwards.
            for name in os.listdir(WORK):
                path = os.path.join(WORK, name)
                if name.startswith("store-"):
                    os.remove(path)
                elif name.startswith("state-"):
                    shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
