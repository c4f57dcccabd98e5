"""`searchsvc load` and `purge`: validation, rejects, strict and dry runs, upserts that rewrite only
what changed, snapshot expiry, one transaction per file (even when killed), and purging."""

import asyncio
import io
import os
import signal
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from searchsvc import ingest
from searchsvc.validation import parse_date, parse_price, validate_listing, website_from_link

from .conftest import fetch, insert, listing
from .test_tokens import run_cli

TODAY = date.today()
YESTERDAY = TODAY - timedelta(days=1)


# --- the validation model (shared with POST /addInstrument) --------------------------------------

@pytest.mark.parametrize("text, price", [
    ("1250", "1250.00"), ("1250.5", "1250.50"), ("1.250,50", "1250.50"), ("1,250.50", "1250.50"),
    ("€ 1.250", "1250.00"), ("1.250 €", "1250.00"), ("12,5", "12.50"), ("1.250.000", "1250000.00"),
    (" 80 ", "80.00"), ("", None), (1250.5, "1250.50"), (3, "3.00"),
])
def test_prices_people_write_are_parsed(text, price):
    assert parse_price(text) == (None if price is None else Decimal(price))


@pytest.mark.parametrize("text", [
    "abc", "-5", "1e5", "1250.555", "1,25,0", "1.250.50", "12 50", "100000000", "NaN", True, "€", "1.2.3",
])
def test_anything_else_is_not_a_price(text):
    with pytest.raises(ValueError):
        parse_price(text)


@pytest.mark.parametrize("text, day", [
    ("2024-03-01", date(2024, 3, 1)),
    ("2024-03-01T10:22:00-05:00", date(2024, 3, 1)),  # reverb: the date it names, not shifted to UTC
    ("2024-03-01T23:59:00+14:00", date(2024, 3, 1)),
    ("2024-03-01T10:22:00Z", date(2024, 3, 1)),
    ("", None),
])
def test_iso_dates_and_zoned_date_times_are_taken_as_the_date(text, day):
    assert parse_date(text) == day


@pytest.mark.parametrize("text", ["01/03/2024", "2024-13-01", "yesterday", "2024-03-01T25:00:00Z"])
def test_other_dates_are_rejected(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_listing_rules_name_the_field():
    good, problems = validate_listing({
        "name": "  Fender\tStrat  ", "link": "https://reverb.com/item/1", "category": " Guitarras Eléctricas ",
        "website": "Reverb",
    })
    assert problems == []
    assert (good.name, good.category, good.website) == ("Fender Strat", "guitarras electricas", "reverb")
    assert validate_listing({"name": "", "link": "https://x.test/1"})[1] == [("name", "is required")]
    assert validate_listing({"name": "a" * 501, "link": "https://x.test/1"})[1][0][0] == "name"
    assert validate_listing({"name": "a", "link": "mailto:a@b.c"})[1][0][0] == "link"
    assert validate_listing({"name": "a", "link": "https://x.test/" + "a" * 1000})[1][0][0] == "link"
    assert validate_listing({"name": "a", "link": "https://x.test/1", "category": "c" * 201})[1][0][0] == "category"
    assert website_from_link("https://www.hispasonic.com/anuncio/1") == "hispasonic"
    assert website_from_link("https://es.reverb.com/item/1") == "reverb"


# --- loading through the command line -------------------------------------------------------------

HEADER = "name,price,link,website,category,publish,expiration\n"


def _csv(tmp_path: Path, text: str, name: str = "listings.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


_query = fetch


def rows(url: str) -> list[tuple]:
    return [tuple(r) for r in asyncio.run(_query(
        url, "SELECT link, name, price, website, category, publish, expiration, xmin::text, ctid::text "
             "FROM instrument ORDER BY link"))]


@pytest.fixture
def env_db(database_url, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


MIXED = HEADER + (
    'Fender Strat,"1.250,50",https://reverb.com/item/1,reverb,Guitarras Eléctricas,2024-03-01T10:22:00-05:00,\n'
    "Gibson Les Paul,cheap,https://reverb.com/item/2,reverb,guitarras,2024-03-01,\n"
    "Bad link,100,ftp://reverb.com/item/3,reverb,,,\n"
    ",100,https://reverb.com/item/4,reverb,,,\n"
    '"Fender Strat, last copy",1250,https://reverb.com/item/1,reverb,guitarras,2024-03-02,\n'
    "Korg MS-20,€ 800,https://www.hispasonic.com/item/5,,sintes,2024-02-01,2030-01-01\n"
    "too,few,fields\n"
)


def test_load_reports_rejects_with_line_and_reason_and_loads_the_rest(env_db, tmp_path, capsys):
    path = _csv(tmp_path, MIXED)
    code, out, err = run_cli(capsys, "load", str(path))
    assert code == 0
    assert out.splitlines()[0].startswith(
        f"{path}: read 7, inserted 2, updated 0, unchanged 0, expired 0, rejected 4, duplicates 1 in "
    )
    assert "rows/s" in out
    assert (tmp_path / "listings.csv.rejects").read_text().splitlines() == [
        "line,field,reason",
        "3,price,\"not a price: 'cheap' (expected e.g. 1250, 1250.50, 1.250,50 or 1,250.50)\"",
        "4,link,must be an http:// or https:// URL",
        "5,name,is required",
        "8,,\"has 3 fields, the header has 7\"",
    ]
    assert [r[:7] for r in rows(env_db)] == [
        ("https://reverb.com/item/1", "Fender Strat, last copy", Decimal("1250.00"), "reverb", "guitarras",
         date(2024, 3, 2), None),  # the last line of a link wins
        ("https://www.hispasonic.com/item/5", "Korg MS-20", Decimal("800.00"), "hispasonic", "sintes",
         date(2024, 2, 1), date(2030, 1, 1)),  # no website: named after the link's host
    ]


def test_strict_aborts_the_file_at_the_first_bad_row(env_db, tmp_path, capsys):
    path = _csv(tmp_path, MIXED)
    code, out, err = run_cli(capsys, "load", "--strict", "--rejects", str(tmp_path / "bad.txt"), str(path))
    assert code == 1
    assert "nothing written" in err and "line 3: price" in err
    assert rows(env_db) == []


def test_dry_run_counts_without_writing(env_db, tmp_path, capsys):
    insert_rows = [listing(1, link="https://reverb.com/item/1", name="Old name", website="reverb")]
    asyncio.run(insert(env_db, insert_rows))
    before = rows(env_db)
    code, out, _ = run_cli(capsys, "load", "--dry-run", str(_csv(tmp_path, MIXED)))
    assert code == 0
    assert "inserted 1, updated 1, unchanged 0, expired 0, rejected 4" in out and "dry run" in out
    assert rows(env_db) == before


def test_the_same_load_twice_changes_nothing_the_second_time(env_db, tmp_path, capsys):
    path = _csv(tmp_path, HEADER + "".join(
        f"Listing {n},{n}.50,https://reverb.com/item/{n},reverb,guitarras,2024-03-01,\n" for n in range(300)
    ))
    assert run_cli(capsys, "load", str(path))[0] == 0
    first = rows(env_db)
    code, out, _ = run_cli(capsys, "load", str(path))
    assert "read 300, inserted 0, updated 0, unchanged 300, expired 0, rejected 0" in out
    assert rows(env_db) == first  # same xmin and ctid: not one row rewritten
    [seq] = asyncio.run(_query(env_db, "SELECT last_value FROM instrument_id_seq"))
    assert seq[0] == 300  # no ids drawn for links that already exist


def test_changed_fields_are_updated_and_absent_columns_left_alone(env_db, tmp_path, capsys):
    asyncio.run(insert(env_db, [
        listing(1, link="https://reverb.com/item/1", price=Decimal("1000"), category="bajos", image="i.jpg"),
        listing(2, link="https://reverb.com/item/2", price=Decimal("50"), category="bajos"),
    ]))
    before = {r[0]: r for r in rows(env_db)}
    path = _csv(tmp_path, "link,name,price\n"
                          "https://reverb.com/item/1,Listing 1,899\n"   # a price drop
                          "https://reverb.com/item/2,Listing 2,50\n")  # unchanged
    code, out, _ = run_cli(capsys, "load", str(path))
    assert "inserted 0, updated 1, unchanged 1" in out
    after = {r[0]: r for r in rows(env_db)}
    assert after["https://reverb.com/item/1"][2] == Decimal("899.00")
    assert after["https://reverb.com/item/1"][4] == "bajos"  # no category column: kept
    assert after["https://reverb.com/item/2"] == before["https://reverb.com/item/2"]
    [image] = asyncio.run(_query(env_db, "SELECT image FROM instrument WHERE link = 'https://reverb.com/item/1'"))
    assert image[0] == "i.jpg"


def test_each_file_loads_on_its_own(env_db, tmp_path, capsys):
    good = _csv(tmp_path, "name,link\nA,https://reverb.com/item/1\n", "good.csv")
    bad = _csv(tmp_path, "name,link\nB,https://reverb.com/item/2\nC,not a link\n", "bad.csv")
    code, out, err = run_cli(capsys, "load", "--strict", str(bad), str(good))
    assert code == 1  # one file failed
    assert f"{bad}: not loaded" in err and f"{good}: read 1, inserted 1" in out
    assert [r[0] for r in rows(env_db)] == ["https://reverb.com/item/1"]


@pytest.mark.parametrize("header, words", [
    ("name,link,colour\n", "unknown columns ['colour']"),
    ("name,price\n", "missing required columns ['link']"),
    ("name,link,name\n", "named twice"),
])
def test_a_bad_header_loads_nothing(env_db, tmp_path, capsys, header, words):
    code, _, err = run_cli(capsys, "load", str(_csv(tmp_path, header + "a,https://x.test/1,b\n")))
    assert code == 1 and words in err
    assert rows(env_db) == []


# --- snapshots and expiry ------------------------------------------------------------------------

async def _load(url: str, text: str, **options) -> tuple[ingest.LoadReport, list]:
    conn = await asyncpg.connect(url)
    rejects: list = []
    try:
        report = await ingest.load_csv(conn, io.StringIO(text), ingest.LoadOptions(**options),
                                       lambda *reject: rejects.append(reject))
    finally:
        await conn.close()
    return report, rejects


async def _listed(client, path: str) -> list[str]:
    body = await (await client.get(path)).json()
    return sorted(r["link"].rsplit("/", 1)[1] for r in body["results"])


async def test_snapshot_expires_what_the_marketplace_no_longer_lists(client, database_url):
    await insert(database_url, [
        listing(1, name="Fender Strat", link="https://reverb.com/r/a", website="reverb"),
        listing(2, name="Fender Jazz Bass", link="https://reverb.com/r/b", website="Reverb"),
        listing(3, name="Fender Tele", link="https://reverb.com/r/c", website="reverb", expiration=TODAY),
        listing(4, name="Fender Mustang", link="https://hispasonic.com/h/d", website="hispasonic"),
        listing(5, name="Fender Old", link="https://reverb.com/r/e", website="reverb", expiration=date(2020, 1, 1)),
    ])
    snapshot = "name,link,price\nFender Strat,https://reverb.com/r/a,90\nFender Jaguar,https://reverb.com/r/f,80\n"
    report, _ = await _load(database_url, snapshot, snapshot=True, website="reverb")
    assert (report.inserted, report.updated, report.expired) == (1, 1, 2)  # b and c expire; e already had
    expirations = {r["link"][-1]: r["expiration"] for r in await _query(
        database_url, "SELECT link, expiration FROM instrument")}
    assert expirations == {"a": None, "b": YESTERDAY, "c": YESTERDAY, "d": None, "e": date(2020, 1, 1), "f": None}

    assert await _listed(client, "/listInstrument") == ["a", "d", "f"]
    assert await _listed(client, "/searchInstrument?name=fender") == ["a", "d", "f"]
    assert await _listed(client, "/listInstrument?include_expired=true") == ["a", "b", "c", "d", "e", "f"]

    again, _ = await _load(database_url, snapshot, snapshot=True, website="reverb")
    assert (again.inserted, again.updated, again.unchanged, again.expired) == (0, 0, 2, 0)

    # a listing back in the marketplace's list is live again
    back, _ = await _load(database_url, snapshot + "Fender Jazz Bass,https://reverb.com/r/b,70\n",
                          snapshot=True, website="reverb")
    assert (back.updated, back.expired) == (1, 0)
    assert await _listed(client, "/listInstrument?website=reverb") == ["a", "b", "f"]


async def test_snapshot_keeps_listings_whose_row_was_rejected_and_refuses_other_websites(database_url):
    await insert(database_url, [listing(1, link="https://reverb.com/r/a", website="reverb"),
                                listing(2, link="https://reverb.com/r/b", website="reverb")])
    text = ("name,link,price,website\n"
            "Listing 1,https://reverb.com/r/a,not a price,reverb\n"
            "Other,https://hispasonic.com/h/x,10,hispasonic\n")
    report, rejects = await _load(database_url, text, snapshot=True, website="reverb")
    assert (report.rejected, report.expired) == (2, 1)  # only b: a is still listed, though its row was bad
    assert [(line, field) for line, field, _ in rejects] == [(2, "price"), (3, "website")]


async def test_snapshot_needs_a_website(database_url):
    with pytest.raises(ingest.LoadError, match="--website"):
        await _load(database_url, "name,link\n", snapshot=True)


def test_purge_deletes_only_listings_expired_before_the_date(env_db, capsys):
    asyncio.run(insert(env_db, [
        listing(n, expiration=date(2020, 1, 1) + timedelta(days=n), website="reverb" if n % 2 else "hispasonic")
        for n in range(10)
    ] + [listing(10, expiration=None), listing(11, expiration=TODAY + timedelta(days=3))]))
    code, out, _ = run_cli(capsys, "purge", "--expired-before", "2020-01-05")
    assert code == 0
    assert out.strip() == "removed 4 listings expired before 2020-01-05 (hispasonic 2, reverb 2)"
    left = asyncio.run(_query(env_db, "SELECT expiration FROM instrument ORDER BY expiration NULLS LAST"))
    assert [r[0] for r in left][:1] == [date(2020, 1, 5)] and len(left) == 8
    assert run_cli(capsys, "purge", "--expired-before", "2020-01-05")[1].startswith("removed 0 listings")
    future = (TODAY + timedelta(days=1)).isoformat()
    code, _, err = run_cli(capsys, "purge", "--expired-before", future)
    assert code != 0 and len(asyncio.run(_query(env_db, "SELECT id FROM instrument"))) == 8


# --- one transaction per file, even when the loader dies -------------------------------------------

async def _wait_for_loader(url: str, phase: str, loader: subprocess.Popen) -> None:
    """Wait until the loader's transaction is busy in `phase` (copy: staging rows; merge: writing)."""
    sql = {
        "copy": "SELECT 1 FROM pg_stat_progress_copy p JOIN pg_stat_activity a USING (pid) "
                "WHERE a.application_name = 'searchsvc-cli' AND p.tuples_processed > 0",
        "merge": "SELECT 1 FROM pg_stat_activity WHERE application_name = 'searchsvc-cli' "
                 "AND state = 'active' AND query LIKE '%WITH source AS MATERIALIZED%'",
    }[phase]
    conn = await asyncpg.connect(url)
    try:
        while not await conn.fetch(sql):
            assert loader.poll() is None, "the loader finished before it could be killed: make the file bigger"
            await asyncio.sleep(0.02)
    finally:
        await conn.close()


def kill_load(env_db: str, args: list[str], busy) -> None:
    """Run `searchsvc load ARGS`, SIGKILL it once `await busy(loader)` returns, and wait until the
    server has noticed the dead client (and rolled its transaction back)."""
    loader = subprocess.Popen(
        [sys.executable, "-m", "searchsvc.cli", "load", *args],
        env={**os.environ, "DATABASE_URL": env_db}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        asyncio.run(busy(loader))
        loader.send_signal(signal.SIGKILL)
    finally:
        loader.wait()
        loader.stdout.close()
        loader.stderr.close()
    assert loader.returncode == -signal.SIGKILL
    asyncio.run(_wait_gone(env_db))


async def _wait_gone(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for _ in range(600):
            if not await conn.fetch("SELECT 1 FROM pg_stat_activity WHERE application_name = 'searchsvc-cli'"):
                return
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


@pytest.mark.parametrize("phase", ["copy", "merge"])
def test_a_load_killed_halfway_leaves_the_table_as_it_was(env_db, tmp_path, phase):
    asyncio.run(insert(env_db, [
        listing(n, link=f"https://reverb.com/item/{n}", price=Decimal("5"), website="reverb") for n in range(0, 60_000, 1000)
    ]))
    before = rows(env_db)
    path = tmp_path / "big.csv"
    with open(path, "w") as out:
        out.write(HEADER)
        for n in range(60_000):
            out.write(f"Guitarra número {n},{n}.50,https://reverb.com/item/{n},reverb,guitarras,2024-03-01,\n")
    kill_load(env_db, ["--snapshot", "--website", "reverb", str(path)], lambda loader: _wait_for_loader(env_db, phase, loader))
    assert rows(env_db) == before
    assert not (tmp_path / "big.csv.rejects").exists()
