"""The connection pool and the few functions that run a Query; the only module importing asyncpg."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, AsyncIterator

import asyncpg
from aiohttp import web

from .settings import Settings
from .sql import Query

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", asyncpg.Pool)

Record = asyncpg.Record


class DatabaseUnavailable(Exception):
    """The database could not answer in time (down, overloaded, or the query was cut)."""


def connection_settings(settings: Settings) -> dict[str, str]:
    return {
        "statement_timeout": str(settings.statement_timeout_ms),
        "jit": "off",  # JIT compilation costs more than our short queries take
        "application_name": "searchsvc",
    }


async def create_pool(settings: Settings, dsn: str | None = None) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn or settings.database_url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        server_settings=connection_settings(settings),
        command_timeout=settings.statement_timeout_ms / 1000 + 1,
    )


async def pool_ctx(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: the pool lives as long as the application."""
    app[POOL] = await create_pool(app[SETTINGS])
    yield
    await app[POOL].close()


_UNAVAILABLE = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.QueryCanceledError,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,
    asyncpg.AdminShutdownError,
)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncpg.QueryCanceledError):
        return "query took too long"
    if isinstance(exc, asyncio.TimeoutError):
        return "no database connection free in time"
    return "database unreachable"


async def fetch(pool: asyncpg.Pool, query: Query, timeout: float = 3.0) -> list[Record]:
    """Rows of `query`; DatabaseUnavailable when the database cannot answer."""
    try:
        async with pool.acquire(timeout=timeout) as conn:
            return await conn.fetch(query.text, *query.args)
    except _UNAVAILABLE as exc:
        log.warning("database unavailable: %s", exc)
        raise DatabaseUnavailable(_describe(exc)) from exc


async def fetchval(pool: asyncpg.Pool, query: Query, timeout: float = 3.0) -> Any:
    rows = await fetch(pool, query, timeout)
    return rows[0][0] if rows else None


async def fetch_page(
    pool: asyncpg.Pool, page: Query, count: Query, timeout: float = 3.0
) -> tuple[int, list[Record]]:
    """(matching row count, page rows), both read in one snapshot on one connection."""
    try:
        async with pool.acquire(timeout=timeout) as conn:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                total = await conn.fetchval(count.text, *count.args)
                rows = await conn.fetch(page.text, *page.args)
            return total, rows
    except _UNAVAILABLE as exc:
        log.warning("database unavailable: %s", exc)
        raise DatabaseUnavailable(_describe(exc)) from exc


async def connect(settings: Settings, dsn: str | None = None) -> asyncpg.Connection:
    """One connection for command-line work (loads, seeding); no statement timeout."""
    return await asyncpg.connect(dsn or settings.database_url, server_settings={"application_name": "searchsvc-cli"})


def migrate(settings: Settings, rollback: bool = False) -> list[str]:
    """Apply pending migrations (or roll back the last applied one); return their ids."""
    from yoyo import get_backend, read_migrations

    backend = get_backend(settings.database_url)
    try:
        migrations = read_migrations(str(settings.migrations_dir))
        with backend.lock():
            if rollback:
                chosen = backend.to_rollback(migrations)[:1]
                backend.rollback_migrations(chosen)
            else:
                chosen = backend.to_apply(migrations)
                backend.apply_migrations(chosen)
        return [m.id for m in chosen]
    finally:
        backend.connection.close()


def pending_migrations(settings: Settings) -> list[str]:
    from yoyo import get_backend, read_migrations

    backend = get_backend(settings.database_url)
    try:
        return [m.id for m in backend.to_apply(read_migrations(str(settings.migrations_dir)))]
    finally:
        backend.connection.close()
