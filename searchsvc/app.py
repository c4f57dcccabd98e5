"""The application factory: the one place that wires settings, pool, middlewares and routes."""

from __future__ import annotations

from aiohttp import web

from . import db, errors, views
from .settings import Settings


async def create_app(settings: Settings | None = None) -> web.Application:
    """Build the service; gunicorn's target is `searchsvc.app:create_app`."""
    settings = settings or Settings()
    app = web.Application(middlewares=[errors.cors_middleware, errors.error_middleware])
    app[db.SETTINGS] = settings
    app.cleanup_ctx.append(db.pool_ctx)
    app.add_routes(views.routes)
    return app
