"""Migrations apply on an empty database, roll back one by one to nothing, and apply again."""

import asyncio

import asyncpg

from searchsvc import db
from searchsvc.settings import Settings


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r["tablename"] for r in rows if not r["tablename"].startswith("_yoyo") and r["tablename"] != "yoyo_lock"}
    finally:
        await conn.close()


def test_every_migration_rolls_back_and_reapplies(database_url):
    settings = Settings(database_url=database_url)
    assert db.pending_migrations(settings) == []  # the fixture database is fully migrated
    applied_tables = asyncio.run(_tables(database_url))
    assert "instrument" in applied_tables

    rolled_back = []
    while step := db.migrate(settings, rollback=True):
        rolled_back += step
    assert rolled_back[-1] == "0001.instrument"
    assert asyncio.run(_tables(database_url)) == set()
    assert len(db.pending_migrations(settings)) == len(rolled_back)

    assert db.migrate(settings) == list(reversed(rolled_back))
    assert asyncio.run(_tables(database_url)) == applied_tables
    assert db.migrate(settings) == []  # idempotent
