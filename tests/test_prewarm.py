"""`searchsvc prewarm`: every table and index a search reads, read whole into memory (pg_prewarm)."""

import asyncio

import asyncpg

from searchsvc import prewarm

from .conftest import fetch, insert, listing, run_cli


def _prewarmed(url: str) -> list[prewarm.Prewarmed]:
    async def run():
        conn = await asyncpg.connect(url)
        try:
            return await prewarm.prewarm(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


def test_prewarm_reads_every_table_and_index_searches_use_whole(database_url):
    asyncio.run(insert(database_url, [listing(n, name=f"Guitarra Fender {n}") for n in range(300)]))
    read = {relation.relation: relation for relation in _prewarmed(database_url)}

    indexes = asyncio.run(fetch(database_url, "SELECT indexname FROM pg_indexes WHERE tablename = ANY($1)", list(prewarm.TABLES)))
    assert set(prewarm.TABLES) | {row["indexname"] for row in indexes} <= set(read)
    [toast] = asyncio.run(fetch(database_url, "SELECT reltoastrelid::regclass::text AS name FROM pg_class WHERE relname = 'instrument'"))
    assert toast["name"].split(".")[-1] in read  # (long values live there)
    # whole: as many blocks as the relation has
    sizes = asyncio.run(fetch(
        database_url, "SELECT relname, pg_relation_size(oid) AS size FROM pg_class WHERE relname = ANY($1)", list(read),
    ))
    for row in sizes:
        assert read[row["relname"]].bytes == row["size"], row["relname"]
    assert read["instrument"].bytes > 0


def test_the_command_reports_what_it_read(database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    asyncio.run(insert(database_url, [listing(n) for n in range(50)]))
    code, out, _ = run_cli(capsys, "prewarm")
    assert code == 0
    assert out.splitlines()[-1].startswith(f"prewarmed {len(_prewarmed(database_url))} tables and indexes")


def test_without_the_extension_the_command_says_what_is_missing(database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    asyncio.run(fetch(database_url, "DROP EXTENSION pg_prewarm"))
    code, out, err = run_cli(capsys, "prewarm")
    assert code == 1 and out == ""
    assert "pg_prewarm extension is not installed" in err
