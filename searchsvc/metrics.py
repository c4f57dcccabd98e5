"""What the service counts: Prometheus metrics, importable from any layer (db, ingest, views).

Metrics are per process by nature, so they live here at module level, in this module's own
registry. Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR (in the process
environment: prometheus_client reads it at import time) and every worker writes its values to
files there, which a scrape of any worker adds up; without it a scrape sees one worker only.

For the ingest paths (`searchsvc load`, POST /addInstrument, ...): report loaded rows with
`count_ingested("api", inserted=..., updated=..., unchanged=..., rejected=...)`.
"""

from __future__ import annotations

import shutil
import time
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Iterator

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, multiprocess
from prometheus_client import values

REGISTRY = CollectorRegistry(auto_describe=True)
MULTIPROCESS = values.ValueClass is not values.MutexValue
if not MULTIPROCESS:
    ProcessCollector(registry=REGISTRY)  # memory, CPU, open files of this process

# Set by a handler: how many listings matched the request (the `count` of a page).
RESULT_COUNT = web.RequestKey("result_count", int)
# The `kind` label of query latency: the request's route template unless code sets another.
QUERY_KIND: ContextVar[str] = ContextVar("searchsvc_query_kind", default="other")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "searchsvc_http_requests", "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"], registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "searchsvc_http_request_duration_seconds", "Time to answer an HTTP request, by route template, method and status.",
    ["route", "method", "status"], buckets=LATENCY_BUCKETS, registry=REGISTRY,
)
QUERY_SECONDS = Histogram(
    "searchsvc_db_query_duration_seconds", "Time a database query ran once it had a connection, by kind.",
    ["kind"], buckets=LATENCY_BUCKETS, registry=REGISTRY,
)
RESPONSE_CACHE = Counter(
    "searchsvc_response_cache_lookups", "Read requests answered from the worker's response cache (hit) or not (miss).",
    ["result"], registry=REGISTRY,
)
POOL_SIZE = Gauge(
    "searchsvc_db_pool_size", "Open database connections (summed over workers).",
    ["pool"], registry=REGISTRY, multiprocess_mode="livesum",
)
POOL_IN_USE = Gauge(
    "searchsvc_db_pool_in_use", "Database connections lent to a query right now (summed over workers).",
    ["pool"], registry=REGISTRY, multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "searchsvc_db_pool_waiting", "Queries waiting for a free database connection, any pool (summed over workers).",
    registry=REGISTRY, multiprocess_mode="livesum",
)
INGEST_ROWS = Counter(
    "searchsvc_ingest_rows", "Listing rows received by an ingest path, by source and outcome.",
    ["source", "outcome"], registry=REGISTRY,
)
INGEST_OUTCOMES = ("inserted", "updated", "unchanged", "rejected")


def count_ingested(source: str, **outcomes: int) -> None:
    """Add loaded rows: source is "cli" or "api"; outcomes among inserted/updated/unchanged/rejected."""
    for outcome, rows in outcomes.items():
        if outcome not in INGEST_OUTCOMES:
            raise ValueError(f"unknown ingest outcome {outcome!r}")
        if rows:
            INGEST_ROWS.labels(source, outcome).inc(rows)


@contextmanager
def waiting_for_connection() -> Iterator[None]:
    """Count the caller among those waiting for a pool connection while the block runs."""
    POOL_WAITING.inc()
    try:
        yield
    finally:
        POOL_WAITING.dec()


@contextmanager
def query_kind(kind: str) -> Iterator[None]:
    """Label the queries run inside the block with `kind` (a fixed name, e.g. "facets") instead of the route."""
    token = QUERY_KIND.set(kind)
    try:
        yield
    finally:
        QUERY_KIND.reset(token)


@contextmanager
def timed_query() -> Iterator[None]:
    """Observe how long the block (queries on a held connection) takes, labelled by QUERY_KIND."""
    started = time.perf_counter()
    try:
        yield
    finally:
        QUERY_SECONDS.labels(QUERY_KIND.get()).observe(time.perf_counter() - started)


def record_pool(pool: str, size: int, idle: int) -> None:
    """Record a pool's open and idle connections (asyncpg's get_size/get_idle_size); pool: "primary", ..."""
    POOL_SIZE.labels(pool).set(size)
    POOL_IN_USE.labels(pool).set(size - idle)


def registry_to_scrape(multiproc_dir: Path | None) -> CollectorRegistry:
    """The registry a scrape reads: every worker's files in multiprocess mode, else this process."""
    if not MULTIPROCESS or multiproc_dir is None:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(multiproc_dir))
    return registry


def reset_multiprocess_dir(path: Path) -> None:
    """Empty the multiprocess folder before workers start (gunicorn `on_starting`): old runs' files lie."""
    path.mkdir(parents=True, exist_ok=True)
    for entry in path.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def worker_exited(pid: int, multiproc_dir: Path | None) -> None:
    """Drop a dead worker's live gauges (gunicorn `child_exit`); its counters keep counting in the sum."""
    if MULTIPROCESS and multiproc_dir is not None:
        multiprocess.mark_process_dead(pid, str(multiproc_dir))
