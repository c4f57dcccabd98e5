"""A PostgreSQL cluster of a test's own, which the test may stop, restart or replicate freely."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Any

import asyncpg

from searchsvc import db
from searchsvc.devdb import DEFAULT_DATABASE, Cluster
from searchsvc.settings import Settings

from .conftest import insert


def migrated_cluster(rows: list[dict[str, Any]], prefix: str = "searchsvc-faults-") -> tuple[Cluster, str]:
    """A started cluster with a migrated `searchsvc` database holding `rows`, and its URL."""
    cluster = Cluster(Path(tempfile.mkdtemp(prefix=prefix)))
    try:
        cluster.start()
        cluster.create_database(DEFAULT_DATABASE)
        url = cluster.url(DEFAULT_DATABASE)
        db.migrate(Settings(database_url=url))
        asyncio.run(insert(url, rows))
    except BaseException:
        cluster.destroy()
        raise
    return cluster, url


def remove(*clusters: Cluster) -> None:
    for cluster in clusters:
        cluster.destroy()
        shutil.rmtree(cluster.datadir, ignore_errors=True)


class TableLock:
    """Holds ACCESS EXCLUSIVE on `table` (a constant of the tests) from another session, so reads of it wait."""

    def __init__(self, url: str, table: str = "instrument"):
        self.url = url
        self.table = table
        self.conn: asyncpg.Connection | None = None

    async def __aenter__(self) -> "TableLock":
        self.conn = await asyncpg.connect(self.url)
        await self.conn.execute(f"BEGIN; LOCK TABLE {self.table} IN ACCESS EXCLUSIVE MODE")
        return self

    async def waiting_queries(self) -> int:
        """How many searchsvc queries are waiting for the lock now."""
        assert self.conn is not None
        return await self.conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'searchsvc' AND wait_event_type = 'Lock'"
        )

    async def wait_for_waiters(self, count: int = 1) -> None:
        while await self.waiting_queries() < count:
            await asyncio.sleep(0.02)

    async def __aexit__(self, *exc: object) -> None:
        assert self.conn is not None
        await self.conn.execute("ROLLBACK")
        await self.conn.close()


class RowLock(TableLock):
    """Holds one listing's row lock (FOR UPDATE) from another session, so writes of it wait."""

    def __init__(self, url: str, link: str):
        super().__init__(url)
        self.link = link

    async def __aenter__(self) -> "RowLock":
        self.conn = await asyncpg.connect(self.url)
        await self.conn.execute("BEGIN")
        await self.conn.execute("SELECT 1 FROM instrument WHERE link = $1 FOR UPDATE", self.link)
        return self
