"""Soak test: the locust mix (ops/locust/locustfile.py) against the service for a fixed time.

    .venv/bin/python ops/soak.py --minutes 10 --users 100 --rows 100000 [--record ops/bench/SOAK.md]

Without --url it prepares a database of --rows generated listings (the benchmark's cluster and
database, reused when present: see ops/bench/run.py) and starts the service as production runs
it (gunicorn, ops/gunicorn.conf.py). With --url it soaks a service already running; give
--pid (the gunicorn master's) to have its memory measured too.

It reports the error rate, latency percentiles and requests/s (locust's figures over the whole
run), the service's 5xx count, and the memory of the service (RSS of the gunicorn master and
its workers) at the start of the load, every --sample-s seconds, and at the end. Locust needs
the [ops] extra: `.venv/bin/pip install -e '.[ops]'`. Only loopback addresses are accepted.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OUT_DIR = PROJECT_DIR / "ops" / "bench" / "out"
LOCUSTFILE = PROJECT_DIR / "ops" / "locust" / "locustfile.py"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _bench_module():
    """ops/bench/run.py, whose database preparation and gunicorn start-up the soak reuses."""
    spec = importlib.util.spec_from_file_location("searchsvc_bench_run", PROJECT_DIR / "ops" / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


# ---- memory of a process tree, from /proc ------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss(pid: int) -> dict[int, int]:
    """RSS in KiB of `pid` and every descendant."""
    sizes, pending = {}, [pid]
    while pending:
        current = pending.pop()
        sizes[current] = _rss_kib(current)
        pending += _children(current)
    return sizes


@dataclass
class MemorySample:
    elapsed_s: float
    processes: int
    total_mib: float


class MemoryWatch(threading.Thread):
    """Samples the service's RSS every `every_s` seconds until stopped."""

    def __init__(self, pid: int, every_s: float):
        super().__init__(daemon=True)
        self.pid, self.every_s = pid, every_s
        self.samples: list[MemorySample] = []
        self._stop_event = threading.Event()
        self._began = time.monotonic()

    def sample(self) -> MemorySample:
        sizes = tree_rss(self.pid)
        taken = MemorySample(time.monotonic() - self._began, len(sizes), sum(sizes.values()) / 1024)
        self.samples.append(taken)
        return taken

    def run(self) -> None:
        self.sample()
        while not self._stop_event.wait(self.every_s):
            self.sample()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(10)
        self.sample()


# ---- locust --------------------------------------------------------------------------------


def run_locust(args: argparse.Namespace, url: str, prefix: Path) -> int:
    command = [
        str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--host", url,
        "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{int(args.minutes * 60)}s",
        "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10",
    ]
    print("$", " ".join(command), flush=True)
    with open(prefix.with_suffix(".log"), "w") as log:
        return subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_DIR).returncode


def aggregated(prefix: Path) -> dict[str, str]:
    with open(f"{prefix}_stats.csv", newline="") as stream:
        for row in csv.DictReader(stream):
            if row["Name"] == "Aggregated":
                return row
    raise RuntimeError("locust wrote no aggregated statistics")


def failures_by_status(prefix: Path) -> dict[str, int]:
    """Failure counts by kind (e.g. 'HTTPError 503' or a locust assertion message)."""
    counts: dict[str, int] = {}
    path = Path(f"{prefix}_failures.csv")
    if path.exists():
        with open(path, newline="") as stream:
            for row in csv.DictReader(stream):
                counts[row["Error"][:80]] = counts.get(row["Error"][:80], 0) + int(row["Occurrences"])
    return counts


def endpoint_rows(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="") as stream:
        return [row for row in csv.DictReader(stream) if row["Name"] != "Aggregated"]


# ---- report --------------------------------------------------------------------------------


def git_commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=PROJECT_DIR)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, cwd=PROJECT_DIR)
    return out.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def report(args: argparse.Namespace, stats: dict[str, str], rows: list[dict[str, str]],
           failures: dict[str, int], memory: list[MemorySample], command: str) -> str:
    requests_, failed = int(stats["Request Count"]), int(stats["Failure Count"])
    lines = [
        f"### Soak {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC: {args.minutes:g} min, {args.users} users",
        "",
        f"- command: `{command}`",
        f"- commit {git_commit()}; machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        "locust, gunicorn and PostgreSQL share the cores",
        f"- data: {args.rows:,} generated listings" if not args.url else f"- service: {args.url}",
        f"- requests {requests_:,}, failed {failed:,} (error rate {100 * failed / max(requests_, 1):.3f} %), "
        f"{float(stats['Requests/s']):.1f} req/s",
        f"- latency ms: p50 {stats['50%']}, p95 {stats['95%']}, p99 {stats['99%']}, p99.9 {stats['99.9%']}, "
        f"max {float(stats['Max Response Time']):.0f}",
    ]
    if failures:
        lines.append("- failures: " + "; ".join(f"{kind} × {count}" for kind, count in failures.items()))
    if memory:
        first, last = memory[0], memory[-1]
        peak = max(memory, key=lambda s: s.total_mib)
        lines.append(
            f"- service memory (RSS, gunicorn master + workers, {last.processes} processes): "
            f"start {first.total_mib:.1f} MiB, end {last.total_mib:.1f} MiB "
            f"({last.total_mib - first.total_mib:+.1f} MiB), peak {peak.total_mib:.1f} MiB at {peak.elapsed_s:.0f} s"
        )
        step = max(1, len(memory) // 10)
        lines.append("- RSS over time: " + ", ".join(
            f"{s.elapsed_s:.0f}s {s.total_mib:.0f} MiB" for s in memory[::step]
        ))
    lines += ["", "| request | count | failed | p50 ms | p95 ms | p99 ms | req/s |", "|---|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(
            f"| {row['Type']} {row['Name']} | {row['Request Count']} | {row['Failure Count']} | {row['50%']} | "
            f"{row['95%']} | {row['99%']} | {float(row['Requests/s']):.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10, help="how long the load lasts (default 10)")
    parser.add_argument("--users", type=int, default=100, help="simulated users (default 100)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second (default 10)")
    parser.add_argument("--rows", type=int, default=100_000, help="listings in the database (default 100000)")
    parser.add_argument("--dir", type=Path, default=PROJECT_DIR / ".data" / "bench", help="cluster folder (shared with the benchmark)")
    parser.add_argument("--port", type=int, default=8098)
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: one per core)")
    parser.add_argument("--pool-max", type=int, default=10, help="POOL_MAX_SIZE of each worker")
    parser.add_argument("--response-cache-ttl", type=float,
                        help="RESPONSE_CACHE_TTL_S of the service (default: the setting's; 0 turns the cache off)")
    parser.add_argument("--url", help="soak this running service instead of starting one")
    parser.add_argument("--pid", type=int, help="with --url: the gunicorn master's pid, to measure its memory")
    parser.add_argument("--sample-s", type=float, default=15, help="seconds between memory samples (default 15)")
    parser.add_argument("--record", type=Path, help="append the report to this markdown file")
    parser.add_argument("--stop-db", action="store_true", help="stop the cluster afterwards")
    args = parser.parse_args(argv)
    if not shutil.which(str(BIN / "locust")):
        sys.exit("locust is missing: .venv/bin/pip install -e '.[ops]'")
    if args.url and urlsplit(args.url).hostname not in LOOPBACK:
        sys.exit("only services on this machine (loopback) may be soaked")
    command = "ops/soak.py " + " ".join(argv if argv is not None else sys.argv[1:])

    bench = service = cluster = None
    if args.url:
        url, pid = args.url.rstrip("/"), args.pid
    else:
        bench = _bench_module()
        cluster = bench.prepare_cluster(args.dir)
        database_url, _heap_order = bench.prepare_database(cluster, args.rows)
        service_args = argparse.Namespace(
            port=args.port, log_level="WARNING", pool_max=args.pool_max, workers=args.workers,
            response_cache_ttl=args.response_cache_ttl,
        )
        service = bench.start_service(service_args, database_url)
        url, pid = f"http://127.0.0.1:{args.port}", service.pid
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    prefix = OUT_DIR / f"soak-{dt.datetime.now():%Y%m%d-%H%M%S}"
    watch = MemoryWatch(pid, args.sample_s) if pid else None
    try:
        if watch:
            watch.start()
        code = run_locust(args, url, prefix)
        if watch:
            watch.stop()
    finally:
        if service is not None:
            bench.stop_service(service)
        if cluster is not None and args.stop_db:
            cluster.stop()
    text = report(args, aggregated(prefix), endpoint_rows(prefix), failures_by_status(prefix),
                  watch.samples if watch else [], command)
    print(text)
    if args.record:
        with open(args.record, "a") as stream:
            stream.write("\n" + text)
    return code


if __name__ == "__main__":
    sys.exit(main())
