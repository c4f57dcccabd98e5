"""The application factory: the one place that wires settings, pool, middlewares and routes."""

from __future__ import annotations

from aiohttp import web

from . import db, errors, observability, views
from .settings import Settings, settings_or_exit


async def create_app(settings: Settings | None = None) -> web.Application:
    """Build the service; gunicorn's target is `searchsvc.app:create_app`."""
    # exit code 3 is gunicorn's "worker failed to boot": the master stops instead of respawning
    settings = settings or settings_or_exit(exit_code=3)
    observability.configure_logging(settings.log_level)
    app = web.Application(
        middlewares=[observability.request_log_middleware, errors.cors_middleware, errors.error_middleware]
    )
    app[db.SETTINGS] = settings
    app.cleanup_ctx.append(db.pool_ctx)
    app.add_routes(views.routes)
    app.add_routes(observability.routes)
    return app
