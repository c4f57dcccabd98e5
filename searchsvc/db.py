"""The connection pool and the few functions that run a Query; the only module importing asyncpg."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, TypeVar

import asyncpg
from aiohttp import web
from yarl import URL

from . import metrics
from .settings import Settings
from .sql import Query
from .suggest import SIMILARITY_THRESHOLD

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", asyncpg.Pool)

Record = asyncpg.Record


class DatabaseUnavailable(Exception):
    """The database could not answer in time (down, overloaded, or the query was cut)."""


def connection_settings(settings: Settings, generic_plans: bool = False) -> dict[str, str]:
    """Session settings of a pool's connections; `generic_plans` for the statements of sql.Query.generic_plan."""
    return {
        "statement_timeout": str(settings.statement_timeout_ms),
        "work_mem": f"{settings.work_mem_mb}MB",
        "DateStyle": "ISO",  # dates as text are YYYY-MM-DD (sql.LISTING_COLUMNS)
        "jit": "off",  # JIT compilation costs more than our short queries take
        # concurrent requests already keep every core busy; parallel workers only add start-up cost
        "max_parallel_workers_per_gather": "0",
        # asyncpg prepares each statement once per connection (texts are stable); a generic plan
        # would ignore how common the searched word or category is, so plan with the values,
        # except on the generic pools, for statements whose plan does not depend on them (sql.Query)
        "plan_cache_mode": "force_generic_plan" if generic_plans else "force_custom_plan",
        "pg_trgm.similarity_threshold": SIMILARITY_THRESHOLD,  # the extension's default, made explicit
        "application_name": "searchsvc",
    }


async def create_pool(
    settings: Settings, dsn: str | None = None, min_size: int | None = None, generic_plans: bool = False
) -> asyncpg.Pool:
    """A pool on `dsn` (default the primary); an unreachable database does not stop start-up.

    When the database cannot be reached now, the pool starts empty (min_size 0) and
    connects on first use, so the service comes up and recovers by itself when it returns.
    """
    dsn = dsn or settings.database_url
    min_size = settings.pool_min_size if min_size is None else min_size
    try:
        return await asyncpg.create_pool(
            dsn,
            min_size=min_size,
            max_size=settings.pool_max_size,
            server_settings=connection_settings(settings, generic_plans),
            command_timeout=settings.statement_timeout_ms / 1000 + 1,
            timeout=settings.pool_acquire_timeout_s,  # connecting counts against the same wait
            reset=_reset_if_in_transaction,
        )
    except _UNAVAILABLE as exc:
        if min_size == 0:
            raise
        log.warning("database %s unreachable at start-up (%s): connecting on first use", safe_url(dsn), exc)
        return await create_pool(settings, dsn, min_size=0, generic_plans=generic_plans)


async def _reset_if_in_transaction(conn: asyncpg.Connection) -> None:
    """On release to the pool: asyncpg's default runs RESET ALL & co., one more round trip per
    request; the service changes no session state (per-statement limits are client-side:
    fetch_within), so only an unfinished transaction needs undoing."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


def safe_url(dsn: str) -> str:
    """`dsn` without its password, for logs."""
    url = URL(dsn)
    return str(url.with_password(None)) if url.password else dsn


@dataclass
class Replica:
    """A read-only streaming replica; `down_until` keeps a failing one out of rotation for a while."""

    url: str
    pool: asyncpg.Pool
    down_until: float = 0.0


class Pools:
    """The primary pool and the replicas' pools: reads rotate over the replicas in service.

    Each server also has a twin pool whose connections use generic plans (`generic`, keyed by the
    server's pool), for the statements that ask for them (sql.Query.generic_plan).
    """

    def __init__(
        self, primary: asyncpg.Pool, replicas: list[Replica], retry_after_s: float,
        generic: dict[asyncpg.Pool, asyncpg.Pool] | None = None,
    ):
        self.primary = primary
        self.replicas = replicas
        self.retry_after_s = retry_after_s
        self.generic = generic or {}
        self._turn = 0

    def planning(self, pool: asyncpg.Pool, generic_plan: bool) -> asyncpg.Pool:
        """`pool`, or its generic-plan twin when `generic_plan` (and it has one)."""
        return self.generic.get(pool, pool) if generic_plan else pool

    def next_replica(self) -> Replica | None:
        """The next replica in round-robin order that is in service, or None (read the primary)."""
        now = time.monotonic()
        for _ in range(len(self.replicas)):
            replica = self.replicas[self._turn % len(self.replicas)]
            self._turn += 1
            if replica.down_until <= now:
                return replica
        return None

    def take_out(self, replica: Replica, exc: BaseException) -> None:
        replica.down_until = time.monotonic() + self.retry_after_s
        log.warning(
            "replica %s out of rotation for %.0f s: %s", safe_url(replica.url), self.retry_after_s,
            _describe(exc) if not str(exc) else exc,
        )


READS = web.AppKey("reads", Pools)


async def close_pool(pool: asyncpg.Pool, timeout: float = 5.0) -> None:
    """Close gracefully; a database that no longer answers must not hold up shutdown."""
    try:
        await asyncio.wait_for(pool.close(), timeout)
    except (asyncio.TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        pool.terminate()


async def pool_ctx(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: the pools live as long as the application."""
    settings = app[SETTINGS]
    urls = settings.database_replica_urls
    # at once: an unreachable database costs each pool its connect timeout, not their sum; two
    # pools per server, custom plans (the default) and generic plans (sql.Query.generic_plan)
    created = await asyncio.gather(*(
        create_pool(settings, url, generic_plans=generic) for url in [None, *urls] for generic in (False, True)
    ))
    custom, generic = created[0::2], created[1::2]
    app[POOL], *replica_pools = custom
    replicas = [Replica(url, pool) for url, pool in zip(urls, replica_pools)]
    app[READS] = Pools(app[POOL], replicas, settings.replica_retry_s, dict(zip(custom, generic)))
    yield
    for pool in created:
        await close_pool(pool)


# A replica failing this way is taken out of rotation and the read retried on the primary.
_CONNECTION_LOST = (
    OSError,
    asyncio.TimeoutError,  # no connection in time, or a cut network leaving a query unanswered
    asyncpg.PostgresConnectionError,  # includes ConnectionDoesNotExistError
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.InterfaceError,  # connection closed under us
)
_UNAVAILABLE = _CONNECTION_LOST + (
    asyncpg.QueryCanceledError,  # statement_timeout
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections, out of memory or disk
)


class NoConnectionInTime(asyncio.TimeoutError):
    """The pool had no connection to give (all busy, or the database not answering) in time."""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncpg.QueryCanceledError):
        return "query took too long"
    if isinstance(exc, NoConnectionInTime):
        return "no database connection free in time"
    if isinstance(exc, asyncio.TimeoutError):
        return "database did not answer in time"
    return "database unreachable"


T = TypeVar("T")


async def _on_connection(pool: asyncpg.Pool, timeout: float, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    with metrics.waiting_for_connection():
        try:
            conn = await pool.acquire(timeout=timeout)
        except asyncio.TimeoutError as exc:
            raise NoConnectionInTime() from exc
    try:
        with metrics.timed_query():
            return await work(conn)
    finally:
        await pool.release(conn)


async def read(
    pools: asyncpg.Pool | Pools, timeout: float, work: Callable[[asyncpg.Connection], Awaitable[T]],
    generic_plan: bool = False,
) -> T:
    """`work` on a connection of `pools`: a replica in rotation when there is one, else the primary;
    with `generic_plan`, a connection of that server's generic-plan pool (Pools.generic).

    A replica that fails to connect or answer is taken out of rotation and the read runs on
    the primary; DatabaseUnavailable when the database cannot answer in time.
    """
    try:
        if not isinstance(pools, Pools):
            return await _on_connection(pools, timeout, work)
        replica = pools.next_replica()
        if replica is not None:
            pool = pools.planning(replica.pool, generic_plan)
            try:
                return await _on_connection(pool, timeout, work)
            except NoConnectionInTime as exc:
                if pool.get_size() == 0:  # not one connection could be made: down
                    pools.take_out(replica, exc)
                # else only busy: this read spills over to the primary, the replica stays in rotation
            except _CONNECTION_LOST as exc:
                pools.take_out(replica, exc)
            except asyncpg.TransactionRollbackError as exc:  # cancelled by a conflict with WAL replay
                log.info("replica read cancelled (%s): reading the primary", exc)
        return await _on_connection(pools.planning(pools.primary, generic_plan), timeout, work)
    except _UNAVAILABLE as exc:
        log.warning("database unavailable: %s", exc)
        raise DatabaseUnavailable(_describe(exc)) from exc


async def write(
    pool: asyncpg.Pool, timeout: float, work: Callable[[asyncpg.Connection], Awaitable[T]], attempts: int = 3
) -> T:
    """`work` in one transaction on the primary `pool`; DatabaseUnavailable when it cannot answer.

    Writers of the same links queue on per-link locks (ingest.LOCK_LINKS_SQL), but a write can
    still meet rows a running load holds (lock_timeout) or deadlock in the count tables'
    triggers; it is then run again, and after `attempts` answered as unavailable (503).
    """

    async def in_transaction(conn: asyncpg.Connection) -> T:
        async with conn.transaction():
            return await work(conn)

    for attempt in range(1, attempts + 1):
        try:
            return await read(pool, timeout, in_transaction)
        except (asyncpg.DeadlockDetectedError, asyncpg.LockNotAvailableError) as exc:
            if attempt == attempts:
                log.warning("write gave up after %d attempts: %s", attempts, exc)
                raise DatabaseUnavailable("the listings are being written by another writer (a load?)") from exc
            log.info("write attempt %d of %d met a lock (%s): running it again", attempt, attempts, exc)
            await asyncio.sleep(0.1 * attempt)
    raise AssertionError("unreachable")


async def fetch(pool: asyncpg.Pool | Pools, query: Query, timeout: float = 3.0) -> list[Record]:
    """Rows of `query`; DatabaseUnavailable when the database cannot answer."""
    return await read(pool, timeout, lambda conn: conn.fetch(query.text, *query.args), query.generic_plan)


async def fetchval(pool: asyncpg.Pool | Pools, query: Query, timeout: float = 3.0) -> Any:
    rows = await fetch(pool, query, timeout)
    return rows[0][0] if rows else None


async def connect(settings: Settings, dsn: str | None = None, name: str = "searchsvc-cli") -> asyncpg.Connection:
    """One connection outside the pools (loads, seeding, listening); no statement timeout."""
    return await asyncpg.connect(dsn or settings.database_url, server_settings={"application_name": name})


class QueryCut(Exception):
    """A statement ran past its own time limit (fetch_within) and was cancelled."""


async def _fetch_cut(conn: asyncpg.Connection, query: Query, limit_ms: int) -> list[Record]:
    # asyncpg cancels the statement on the server when the limit passes, and the connection waits
    # for the cancellation before its next statement. Not SET LOCAL statement_timeout: that took a
    # transaction, 3 more round trips per statement. The limit counts from the statement's start,
    # so time queued for a busy CPU counts too.
    try:
        return await conn.fetch(query.text, *query.args, timeout=limit_ms / 1000)
    except asyncio.TimeoutError as exc:
        raise QueryCut(f"cut after {limit_ms} ms") from exc


async def fetch_within(pool: asyncpg.Pool | Pools, query: Query, limit_ms: int, timeout: float = 3.0) -> list[Record]:
    """Rows of `query`, cancelled after `limit_ms` (QueryCut): for the extras a page answers without."""
    return await read(pool, timeout, lambda conn: _fetch_cut(conn, query, limit_ms), query.generic_plan)


async def fetch_each_within(
    pool: asyncpg.Pool | Pools, queries: dict[str, Query], limit_ms: int, timeout: float = 3.0
) -> dict[str, list[Record] | None]:
    """Rows of each query, each cut after `limit_ms`; a query cut short gives None (the rest still run)."""

    async def work(conn: asyncpg.Connection) -> dict[str, list[Record] | None]:
        results: dict[str, list[Record] | None] = {}
        for key, query in queries.items():
            try:
                results[key] = await _fetch_cut(conn, query, limit_ms)
            except (QueryCut, asyncpg.QueryCanceledError):
                results[key] = None
        return results

    return await read(pool, timeout, work)


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
