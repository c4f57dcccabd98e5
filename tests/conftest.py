"""Test harness: a real PostgreSQL (TEST_DATABASE_URL, or a throwaway cluster) and the real app.

The schema is migrated once per session into a template database; each test that needs data
gets a fresh copy of it (CREATE DATABASE ... TEMPLATE is a file copy: a few tens of ms).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import asyncpg
import pytest
from yarl import URL

from searchsvc import auth, cli, db, ingest
from searchsvc.app import create_app
from searchsvc.devdb import Cluster
from searchsvc.settings import Settings

TEMPLATE = "searchsvc_test_template"
# Every app built in the tests answers from the database, not from its response cache: a test
# that changes rows and reads again must not race the change notification, and one that repeats a
# request to compare two code paths must run both. tests/test_cache.py turns the caches on.
os.environ["RESPONSE_CACHE_TTL_S"] = "0"
os.environ["WORD_CACHE_TTL_S"] = "0"
_counter = itertools.count()


def _with_database(url: str, name: str) -> str:
    return str(URL(url).with_path(f"/{name}"))


async def _admin(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(_with_database(url, "postgres"))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of a PostgreSQL server the tests may create databases on."""
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
        return
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="searchsvc-test-")))
    cluster.start()
    try:
        yield cluster.url("postgres")
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def template_url(pg_server: str) -> str:
    """A database migrated to the latest schema, copied for each test."""
    asyncio.run(_admin(pg_server, f'DROP DATABASE IF EXISTS "{TEMPLATE}"', f'CREATE DATABASE "{TEMPLATE}"'))
    url = _with_database(pg_server, TEMPLATE)
    db.migrate(Settings(database_url=url))
    return url


def fresh_database(pg_server: str, template_url: str) -> Iterator[str]:
    name = f"searchsvc_test_{os.getpid()}_{next(_counter)}"
    asyncio.run(_admin(pg_server, f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"'))
    try:
        yield _with_database(pg_server, name)
    finally:
        asyncio.run(_admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def database_url(pg_server: str, template_url: str) -> Iterator[str]:
    """A fresh, migrated, empty database for one test."""
    yield from fresh_database(pg_server, template_url)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, pool_min_size=1, pool_max_size=4)


@pytest.fixture
async def client(aiohttp_client, settings: Settings):
    """A test client of the real application on the test's database."""
    return await aiohttp_client(await create_app(settings))


def listing(n: int, **fields: Any) -> dict[str, Any]:
    """A listing with plausible defaults; `fields` override them."""
    row: dict[str, Any] = {
        "name": f"Listing {n}",
        "price": Decimal("100.00"),
        "link": f"https://example.test/item/{n}",
        "website": "hispasonic",
        "image": f"https://example.test/img/{n}.jpg",
        "location": "Madrid",
        "category": "guitarras",
        "expiration": None,
        "publish": date(2026, 1, 1),
    }
    row.update(fields)
    return row


async def insert(database_url: str, rows: list[dict[str, Any]]) -> list[int]:
    """Insert listings through the loader; return their ids in the given order."""
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await ingest.upsert(conn, ingest.COLUMNS, [tuple(r[c] for c in ingest.COLUMNS) for r in rows])
        ids = {r["link"]: r["id"] for r in await conn.fetch("SELECT id, link FROM instrument")}
        await conn.execute("ANALYZE instrument")
    finally:
        await conn.close()
    return [ids[r["link"]] for r in rows]


async def expanded_search(url: str, name: str, **filters: str):
    """SearchParams for `name` (and `filters`) carrying the word look-up the service makes (views._expanded)."""
    from multidict import MultiDict

    from searchsvc import query, sql_words
    from searchsvc.params import SearchParams, parse

    params = parse(SearchParams, MultiDict(name=name, **filters))
    text = query.parse(params.name)
    lookup = sql_words.word_expansion(text, params.name, params.category)
    return params.with_expansion(await sql_words.look_up(text, lookup, lambda q: fetch(url, q.text, *q.args)))


async def fetch(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    """Rows of one query on its own connection (to look at the table behind the service's back)."""
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def write_token(url: str, name: str = "scraper") -> str:
    """A fresh write token for POST /addInstrument, created in the database at `url`."""
    conn = await asyncpg.connect(url)
    try:
        return await auth.create_token(conn, name)
    finally:
        await conn.close()


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `searchsvc argv...` run in this process."""
    capsys.readouterr()
    try:
        cli.main(list(argv))
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return (code if isinstance(code, int) else 1 if code else 0), out, err


async def assert_rejected(resp, field: str) -> None:
    """`resp` is a 400 whose body names `field`, and only it, as the bad parameter."""
    assert resp.status == 400
    body = await resp.json()
    assert field in body["detail"]
    assert [e["field"] for e in body["errors"]] == [field]
