"""The application factory: the one place that wires settings, pool, middlewares and routes."""

from __future__ import annotations

from aiohttp import web

from . import cache, db, errors, observability, openapi, paging, views, writes
from .settings import Settings, settings_or_exit


async def create_app(settings: Settings | None = None) -> web.Application:
    """Build the service; gunicorn's target is `searchsvc.app:create_app`."""
    # exit code 3 is gunicorn's "worker failed to boot": the master stops instead of respawning
    settings = settings or settings_or_exit(exit_code=3)
    observability.configure_logging(settings.log_level)
    app = web.Application(
        middlewares=[observability.request_log_middleware, errors.cors_middleware, errors.error_middleware],
        client_max_size=settings.max_body_bytes,
        # read request lines well past the query string limit, so that a long one gets our JSON
        # 414 naming its longest parameter rather than the HTTP parser's bare 400
        handler_args={"max_line_size": 4 * settings.max_query_string_length + 2048},
    )
    app[db.SETTINGS] = settings
    app.cleanup_ctx.append(db.pool_ctx)
    app.cleanup_ctx.append(paging.memory_ctx)  # after the pool: cleaned up before it
    app.cleanup_ctx.append(cache.cache_ctx)
    app.add_routes(views.routes)
    app.add_routes(observability.routes)
    app.on_startup.append(observability.sample_pools)  # runs after the cleanup contexts opened the pools
    app.add_routes(writes.routes)
    app.add_routes(openapi.routes)
    return app
