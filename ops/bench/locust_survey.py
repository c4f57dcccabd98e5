#!/usr/bin/env python3
"""The searches the locust users make (ops/locust/locustfile.py: every query, alone, within each
category, with each price range), each asked twice in a row of a running service over one kept-alive
connection (so both reach the same worker); the second answer is timed (its words are then looked up
already) and the slowest are listed. Run it against a
service whose response cache is off (RESPONSE_CACHE_TTL_S=0), else the second answer is the cache's:

    .venv/bin/python ops/bench/locust_survey.py --base http://127.0.0.1:8091 [--pages 1,2] [--out survey.json]

Sequential requests, no load: what one user waits, not what the machine sustains. 1,824 searches a
page, ~2-3 minutes at 1M (EXPLAIN.md, session 12).

With `--load N`, N users (threads, one kept-alive connection each) ask those searches in a random
order (`--seed`) for `--duration` seconds, each answer timed: what the machine sustains when every
request is a different search (the words looked up, pages read and counted anew, as in real
traffic), where run.py's scenarios repeat one URL each (RESULTS.md, session 15):

    .venv/bin/python ops/bench/locust_survey.py --base http://127.0.0.1:8091 --load 8 --duration 45

It does not touch the database: run `searchsvc prewarm` against the service's database first (run.py
does), or the first searches may read from the disk (RESULTS.md, session 17).
"""

from __future__ import annotations

import argparse
import ast
import itertools
import json
import random
import statistics
import threading
import time
from collections import Counter
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode, urlsplit

LOCUSTFILE = Path(__file__).resolve().parents[1] / "locust" / "locustfile.py"


def locust_constants() -> dict[str, list]:
    """QUERIES, CATEGORIES and PRICE_RANGES as the locustfile defines them (read, not imported: no locust needed)."""
    wanted = {"QUERIES", "CATEGORIES", "PRICE_RANGES"}
    found = {}
    for node in ast.parse(LOCUSTFILE.read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and getattr(node.targets[0], "id", None) in wanted:
            found[node.targets[0].id] = ast.literal_eval(node.value)
    return found


def searches(pages: list[int]) -> list[str]:
    """The query strings: every query x (no category, each category) x (no price, each range) x page."""
    c = locust_constants()
    out = []
    for text, category, (low, high), page in itertools.product(
        c["QUERIES"], [None] + c["CATEGORIES"], [(None, None)] + c["PRICE_RANGES"], pages,
    ):
        values = {"name": text, "category": category, "minPrice": low, "maxPrice": high, "page": page if page > 1 else None}
        out.append(urlencode({k: v for k, v in values.items() if v is not None}))
    return out


def timed(conn: HTTPConnection, path: str) -> tuple[float, int]:
    """One GET on the kept-alive connection: (ms, status)."""
    started = time.perf_counter()
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    return (time.perf_counter() - started) * 1000, resp.status


def under_load(base, paths: list[str], users: int, duration: float, seed: int) -> list[tuple[float, int, str]]:
    """`users` threads asking random `paths` for `duration` seconds: [(ms, status, path)]."""
    results: list[tuple[float, int, str]] = []
    deadline = time.monotonic() + duration

    def user(number: int) -> None:
        pick = random.Random(seed + number).choice
        conn = HTTPConnection(base.hostname, base.port or 80, timeout=30)
        while time.monotonic() < deadline:
            path = pick(paths)
            ms, status = timed(conn, path)
            results.append((ms, status, path))  # (list.append is atomic)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8080")
    parser.add_argument("--pages", default="1", help="comma-separated pages of each search (default 1)")
    parser.add_argument("--slowest", type=int, default=30)
    parser.add_argument("--out", help="write [ms, status, query string] of every search here (JSON)")
    parser.add_argument("--load", type=int, default=0, help="users asking random searches at once (0: one at a time)")
    parser.add_argument("--duration", type=float, default=45.0, help="seconds of --load")
    parser.add_argument("--seed", type=int, default=7, help="of --load's random order")
    args = parser.parse_args()
    base = urlsplit(args.base)
    prefix = f"{base.path.rstrip('/')}/searchInstrument/?"
    query_strings = searches([int(p) for p in args.pages.split(",")])
    results = []
    if args.load:
        results = under_load(base, [prefix + qs for qs in query_strings], args.load, args.duration, args.seed)
        print(f"{args.load} users, {args.duration:.0f} s: {len(results) / args.duration:.0f} requests/s")
    else:
        conn = HTTPConnection(base.hostname, base.port or 80, timeout=30)
        for qs in query_strings:
            timed(conn, prefix + qs)  # first: looks the words up, fills the worker's memory
            ms, status = timed(conn, prefix + qs)
            results.append((ms, status, qs))
    times = sorted(ms for ms, _, _ in results)
    n = len(times)
    print(f"{n} searches: median {statistics.median(times):.1f} ms, p90 {times[int(0.9 * n)]:.1f}, "
          f"p99 {times[int(0.99 * n)]:.1f}, max {times[-1]:.1f}; statuses "
          f"{dict(sorted(Counter(status for _, status, _ in results).items()))}")
    for ms, status, qs in sorted(results, reverse=True)[: args.slowest]:
        print(f"{ms:8.1f} ms  {status}  {qs}")
    if args.out:
        Path(args.out).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
