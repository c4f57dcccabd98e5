"""Gunicorn settings for production: `gunicorn -c ops/gunicorn.conf.py searchsvc.app:create_app`.

Environment:
  BIND                    address(es) to listen on, comma-separated (default 0.0.0.0:8080)
  WEB_CONCURRENCY         worker processes (default: one per CPU core, see below)
  GRACEFUL_TIMEOUT        seconds a worker may finish its requests after SIGTERM (default 20)
  TIMEOUT                 seconds of silence before the master kills a stuck worker (default 30)
  GUNICORN_ACCESS_LOG     "-" to write gunicorn's own access log to stdout (default off: the
                          service logs one JSON line per request itself)
The service's settings (DATABASE_URL, POOL_MAX_SIZE, ...) are read by each worker from the
environment, see the README.

Worker count and pool size were chosen from measurements on 2 cores (ops/bench/RESULTS.md):
one aiohttp worker per core keeps both cores busy (each worker is one event loop; more workers
than cores only add context switches and idle connections), and PostgreSQL runs on the same
cores. A pool of 4-8 connections per worker is enough for a few ms queries at 1,000+ req/s:
every database round trip is short, so a request rarely waits for a connection. Each worker
has two such pools per server: one planning statements with their values, one with generic plans
(searchsvc.sql.Query.generic_plan); POOL_MAX_SIZE bounds each.
"""

import multiprocessing
import os

bind = [address.strip() for address in os.environ.get("BIND", "0.0.0.0:8080").split(",") if address.strip()]

# aiohttp's worker on uvloop: the app factory `searchsvc.app:create_app` is awaited per worker,
# so each worker opens its own pool (no connection crosses a fork).
worker_class = "aiohttp.GunicornUVLoopWebWorker"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())

graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "20"))
timeout = int(os.environ.get("TIMEOUT", "30"))
keepalive = 75  # behind a proxy that reuses connections (nginx keepalive), keep them open

# Do not import the app in the master: each worker builds its own (pool, event loop).
preload_app = False

accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "searchsvc"


# ---- settings check and multi-process metrics (observability, issue 5) ----------------------
from searchsvc.settings import settings_or_exit  # noqa: E402

# A bad setting stops gunicorn here, in the master, with one line naming it: no worker boots.
_settings = settings_or_exit()

# gunicorn's own messages as JSON lines too, like the service's (searchsvc.observability).
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "searchsvc.observability.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"handlers": ["stderr"], "level": _settings.log_level},
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


def on_starting(server):
    """Metrics of an earlier run must not count: empty PROMETHEUS_MULTIPROC_DIR before workers start."""
    if _settings.prometheus_multiproc_dir is not None:
        from searchsvc import metrics

        metrics.reset_multiprocess_dir(_settings.prometheus_multiproc_dir)


def child_exit(server, worker):
    """A dead worker's gauges (pool size, in use) leave the sums; its counters stay counted."""
    if _settings.prometheus_multiproc_dir is not None:
        from searchsvc import metrics

        metrics.worker_exited(worker.pid, _settings.prometheus_multiproc_dir)
