"""Liveness, readiness, Prometheus metrics and one JSON log line per request.

`routes` holds GET /healthz, /readyz and /metrics; `request_log_middleware` times and logs every
request; `configure_logging` makes every log record of the process one JSON line.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import orjson
from aiohttp import web
from prometheus_client.exposition import choose_encoder

from . import db, metrics
from .errors import REQUEST_ID, request_id_of
from .sql import Query

access_log = logging.getLogger("searchsvc.access")

routes = web.RouteTableDef()

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"

MIGRATIONS_TABLE_EXISTS = Query("SELECT to_regclass('_yoyo_migration') IS NOT NULL")
APPLIED_MIGRATIONS = Query("SELECT migration_id FROM _yoyo_migration")


# ---- logging ---------------------------------------------------------------------------

_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Each record as one JSON object on one line; `extra=` fields become top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        try:
            return orjson.dumps(entry, default=str).decode()
        except TypeError:  # text orjson refuses (lone surrogates from undecodable request bytes)
            return json.dumps(entry, default=str)


def configure_logging(level: str, force: bool = False) -> None:
    """Send the process's logs to stderr as JSON lines, unless logging is already set up (or force)."""
    root = logging.getLogger()
    if root.handlers and not force:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    root.setLevel(level)


# ---- per-request log line and metrics ---------------------------------------------------

def route_label(request: web.Request) -> str:
    """The matched route's template (bounded label values), never the raw URL."""
    match_info = request.match_info
    resource = match_info.route.resource if match_info is not None else None
    if resource is None or match_info.http_exception is not None:
        return UNMATCHED_ROUTE
    return resource.canonical


def _record_pool(app: web.Application) -> None:
    """Each pool's size and use: "primary", "replica1", ..., and their generic-plan twins ("primary_generic", ...)."""
    reads = app.get(db.READS)
    if reads is None:
        return
    named = [("primary", reads.primary)] + [(f"replica{n}", r.pool) for n, r in enumerate(reads.replicas, start=1)]
    for name, pool in named:
        metrics.record_pool(name, pool.get_size(), pool.get_idle_size())
        generic = reads.generic.get(pool)
        if generic is not None:
            metrics.record_pool(f"{name}_generic", generic.get_size(), generic.get_idle_size())


async def sample_pools(app: web.Application) -> None:
    """On start-up: every worker reports its pools at once, before serving its first request."""
    _record_pool(app)


@web.middleware
async def request_log_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Outermost: one JSON log line and the HTTP metrics for every request; echoes X-Request-ID."""
    started = time.perf_counter()
    status = 500
    response: web.StreamResponse | None = None
    route = route_label(request)
    metrics.QUERY_KIND.set(route)  # each request runs in its own task, so its own context
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:  # redirects pass through the error middleware as exceptions
        status = exc.status
        raise
    except asyncio.CancelledError:
        status = 499  # the client went away before the answer
        raise
    finally:
        elapsed = time.perf_counter() - started
        request_id = request.get(REQUEST_ID) or request_id_of(request)
        if response is not None and "X-Request-ID" not in response.headers and not response.prepared:
            response.headers["X-Request-ID"] = request_id
        method = request.method if request.method in KNOWN_METHODS else "other"
        metrics.HTTP_REQUESTS.labels(route, method, str(status)).inc()
        metrics.HTTP_SECONDS.labels(route, method, str(status)).observe(elapsed)
        if metrics.MULTIPROCESS:  # a scrape reads the other workers' files: keep this worker's fresh
            _record_pool(request.app)
        if access_log.isEnabledFor(logging.INFO):
            _log_request(request, request_id, route, status, elapsed)


def _log_request(request: web.Request, request_id: str, route: str, status: int, elapsed: float) -> None:
    access_log.info(
        "request",
        extra={
            "request_id": request_id,
            "method": request.method,
            "path": request.path,
            "query": request.query_string[:1000],
            "route": route,
            "status": status,
            "duration_ms": round(elapsed * 1000, 2),
            "result_count": request.get(metrics.RESULT_COUNT),
            "remote": request.headers.get("X-Forwarded-For", request.remote),
        },
    )


# ---- endpoints ----------------------------------------------------------------------------

@functools.cache  # the folder changes only with a deploy, which restarts the process
def migration_ids(folder: Path) -> frozenset[str]:
    """Ids yoyo gives the migrations in `folder`: file names without .sql/.py, rollbacks excluded."""
    ids = set()
    for path in folder.iterdir():
        if path.name.endswith((".rollback.sql", ".rollback.py")) or path.name.startswith(("_", ".")):
            continue
        if path.suffix in (".sql", ".py"):
            ids.add(path.name[: -len(path.suffix)])
    return frozenset(ids)


def _json(http_status: int, body: dict[str, str]) -> web.Response:
    return web.Response(status=http_status, body=orjson.dumps(body), content_type="application/json")


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers. Never touches the database."""
    return _json(200, {"status": "ok"})


async def _not_ready_reason(app: web.Application) -> str | None:
    settings = app[db.SETTINGS]
    pool = app.get(db.POOL)
    if pool is None:
        return "database pool not started"
    timeout = settings.pool_acquire_timeout_s
    try:
        with metrics.query_kind("readyz"):
            if not await db.fetchval(pool, MIGRATIONS_TABLE_EXISTS, timeout):
                return "migrations not applied"
            applied = {row["migration_id"] for row in await db.fetch(pool, APPLIED_MIGRATIONS, timeout)}
    except db.DatabaseUnavailable as exc:
        return str(exc)
    pending = sorted(migration_ids(settings.migrations_dir) - applied)
    if pending:
        return f"migrations pending: {', '.join(pending)}"
    return None


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """Readiness: the database answers and every migration in migrations_dir is applied."""
    reason = await _not_ready_reason(request.app)
    if reason:
        return _json(503, {"status": "unavailable", "reason": reason})
    return _json(200, {"status": "ready"})


@routes.get("/metrics")
async def metrics_endpoint(request: web.Request) -> web.Response:
    """Prometheus text exposition of the service's metrics."""
    _record_pool(request.app)
    registry = metrics.registry_to_scrape(request.app[db.SETTINGS].prometheus_multiproc_dir)
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return web.Response(body=encoder(registry), headers={"Content-Type": content_type})
