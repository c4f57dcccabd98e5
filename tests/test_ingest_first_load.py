"""A load into an empty table builds the secondary indexes after the insert (ingest._lock_if_empty):
the same answers as a load through the usual path, the same indexes afterwards, nothing changed
when it fails or is killed, and the usual path whenever the table holds a row."""

import asyncio
import csv
import io
import subprocess
from pathlib import Path

import asyncpg
import pytest

from searchsvc import cli, ingest, seed
from searchsvc.app import create_app
from searchsvc.settings import Settings

from .conftest import fetch, fresh_database, insert, listing
from .test_ingest import HEADER, kill_load
from .test_tokens import run_cli

INDEXES_SQL = """
SELECT c.relname, c.oid::bigint, pg_get_indexdef(c.oid)
FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
WHERE i.indrelid = 'instrument'::regclass
ORDER BY c.relname
"""

# what the triggers, the suggestion refresh and the table itself hold after a load
DERIVED = {
    "instrument": "SELECT id, name, price, link, website, image, location, category, expiration, publish, "
                  "search_vector FROM instrument ORDER BY id",
    "search_word": "SELECT word, ndoc FROM search_word ORDER BY word",
    "instrument_facet_count": "SELECT category, website, expiration, listings FROM instrument_facet_count "
                              "ORDER BY category, website, expiration",
    "search_suggestion": "SELECT folded, phrase, words, listings FROM search_suggestion ORDER BY folded",
}

READS = [
    "/listInstrument?facets=category,website,price",
    "/listInstrument?category=Guitarras&sort=price_desc&page=2",
    "/listInstrument?sort=oldest",
    "/searchInstrument?name=guitarra&facets=category,website",
    "/searchInstrument?name=fendr stratocastr",
    "/searchInstrument?name=drums&sort=newest",
    "/searchInstrument?name=teclado&category=Teclados",
    "/suggest?q=gui",
]


async def _indexes(url: str) -> list[tuple]:
    """(name, oid, definition) of every index of instrument: a rebuilt index has a new oid."""
    return [tuple(r) for r in await fetch(url, INDEXES_SQL)]


def indexes(url: str) -> list[tuple]:
    return asyncio.run(_indexes(url))


async def _load(url: str, text: str, **options) -> ingest.LoadReport:
    conn = await asyncpg.connect(url)
    try:
        report = await ingest.load_csv(conn, io.StringIO(text), ingest.LoadOptions(**options), lambda *_: None)
        await cli._after_load(conn)
    finally:
        await conn.close()
    return report


async def _answers(aiohttp_client, url: str) -> list:
    client = await aiohttp_client(await create_app(Settings(database_url=url, pool_min_size=1, pool_max_size=2,
                                                            response_cache_ttl_s=0)))
    answers = []
    for path in READS:
        resp = await client.get(path)
        # (page links name this client's own address)
        answers.append((path, resp.status, (await resp.text()).replace(str(client.make_url("")), "/")))
    await client.close()
    assert [status for _, status, _ in answers] == [200] * len(READS)
    return answers


@pytest.fixture(scope="module")
def listings_csv() -> str:
    text = io.StringIO()
    seed.write_csv(text, 400, seed=3)
    rows = list(csv.reader(io.StringIO(text.getvalue())))
    # a link again with another name (the last line wins) and a row the validation rejects
    again = dict(zip(rows[0], rows[5]), name="Guitarra Fender Stratocaster rebajada")
    out = io.StringIO()
    csv.writer(out).writerows([*rows, [again[c] for c in rows[0]], ["Broken", "x", "https://x.test/1", *[""] * 6]])
    return out.getvalue()


@pytest.fixture
def other_database(pg_server, template_url):
    yield from fresh_database(pg_server, template_url)


async def test_a_first_load_builds_the_indexes_after_and_answers_like_the_usual_path(
    database_url, other_database, listings_csv, monkeypatch, aiohttp_client, capsys
):
    before = await _indexes(database_url)
    first = await _load(database_url, listings_csv)
    after = await _indexes(database_url)
    secondary = [name for name, _, _ in before if name not in ("instrument_pkey", "instrument_link_key")]
    assert first.indexes_built == len(secondary) >= 9
    assert [(n, d) for n, _, d in after] == [(n, d) for n, _, d in before]  # same names and definitions
    rebuilt = {n for (n, old, _), (_, new, _) in zip(before, after) if old != new}
    assert rebuilt == set(secondary)  # kept: the primary key and link's unique index (ON CONFLICT)

    usual_before = await _indexes(other_database)
    with monkeypatch.context() as patch:  # the same rows through the usual, row-by-row path
        patch.setattr(ingest, "EMPTY_TABLE_SQL", "SELECT false")
        usual = await _load(other_database, listings_csv)
    assert usual.indexes_built == 0 and await _indexes(other_database) == usual_before
    assert (first.inserted, first.rejected, first.duplicates) == (usual.inserted, usual.rejected, usual.duplicates)
    assert (first.inserted, first.rejected, first.duplicates) == (400, 1, 1)
    for name, sql in DERIVED.items():
        assert await fetch(database_url, sql) == await fetch(other_database, sql), name
    assert await _answers(aiohttp_client, database_url) == await _answers(aiohttp_client, other_database)


async def test_a_snapshot_into_an_empty_table_takes_the_first_load_path(database_url):
    report = await _load(database_url, HEADER + "Fender Strat,100,https://reverb.com/item/1,reverb,guitarras,,\n",
                         snapshot=True, website="reverb")
    assert (report.inserted, report.expired) == (1, 0) and report.indexes_built >= 9


async def test_a_table_with_rows_loads_the_usual_way(database_url):
    await insert(database_url, [listing(1)])
    before = await _indexes(database_url)
    report = await _load(database_url, HEADER + "Fender Strat,100,https://reverb.com/item/1,reverb,guitarras,,\n")
    assert (report.inserted, report.indexes_built) == (1, 0)
    assert await _indexes(database_url) == before  # not one index rebuilt


async def test_a_table_filled_while_the_load_waits_for_its_lock_loads_the_usual_way(database_url):
    writer = await asyncpg.connect(database_url)
    try:
        transaction = writer.transaction()
        await transaction.start()
        await writer.execute("INSERT INTO instrument (name, link, website) VALUES ('Korg', 'https://x.test/k', 'x')")
        load = asyncio.create_task(_load(database_url, HEADER + "Fender,1,https://x.test/f,x,,,\n"))
        # (asked on a connection of its own: inside a transaction, pg_stat_activity stays as first read)
        while not await fetch(database_url, "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                            "AND datname = current_database()"):
            assert not load.done(), "the load did not wait for the writer"
            await asyncio.sleep(0.05)
        await transaction.commit()  # the load sees the table was filled meanwhile
        report = await load
    finally:
        await writer.close()
    assert (report.inserted, report.indexes_built) == (1, 0)
    assert len(await fetch(database_url, "SELECT id FROM instrument")) == 2


@pytest.fixture
def env_db(database_url, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def test_dry_run_and_strict_leave_an_empty_table_and_its_indexes_as_they_were(env_db, tmp_path, capsys):
    before = indexes(env_db)
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "Fender Strat,100,https://reverb.com/item/1,reverb,guitarras,,\n")
    code, out, _ = run_cli(capsys, "load", "--dry-run", str(good))
    assert code == 0 and "inserted 1" in out and "indexes built" not in out
    bad = tmp_path / "bad.csv"
    bad.write_text(good.read_text() + "Gibson,cheap,https://reverb.com/item/2,reverb,,,\n")
    code, out, err = run_cli(capsys, "load", "--strict", str(bad))
    assert code == 1 and "line 3: price" in err and "indexes built" not in out
    assert indexes(env_db) == before
    assert asyncio.run(fetch(env_db, "SELECT id FROM instrument")) == []
    code, out, _ = run_cli(capsys, "load", str(good))
    assert code == 0 and "the table was empty: " in out and "indexes built after the insert" in out


# --- killed while the indexes are gone -------------------------------------------------------------

@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("first-load") / "big.csv"
    with open(path, "w") as out:
        out.write(HEADER)
        out.writelines(f"Guitarra número {n},{n}.50,https://reverb.com/item/{n},reverb,guitarras,2024-03-01,\n"
                       for n in range(60_000))
    return path


PHASES = {
    "insert": "SELECT 1 FROM pg_stat_activity WHERE application_name = 'searchsvc-cli' AND state = 'active' "
              "AND query LIKE '%INSERT INTO instrument%FROM instrument_staging%'",
    "index build": "SELECT 1 FROM pg_stat_progress_create_index p JOIN pg_stat_activity a USING (pid) "
                   "WHERE a.application_name = 'searchsvc-cli'",
}


async def _wait_for(url: str, phase: str, loader: subprocess.Popen) -> None:
    conn = await asyncpg.connect(url)
    try:
        while not await conn.fetch(PHASES[phase]):
            assert loader.poll() is None, "the loader finished before it could be killed: make the file bigger"
            await asyncio.sleep(0.02)
    finally:
        await conn.close()


@pytest.mark.parametrize("phase", ["insert", "index build"])
def test_a_first_load_killed_halfway_leaves_the_table_empty_with_every_index(env_db, big_csv, phase):
    before = indexes(env_db)
    kill_load(env_db, [str(big_csv)], lambda loader: _wait_for(env_db, phase, loader))
    assert indexes(env_db) == before  # the very same indexes (same oids), none missing
    for table in ("instrument", "search_word", "instrument_facet_count"):
        assert asyncio.run(fetch(env_db, f"SELECT 1 FROM {table}")) == [], table
