"""GET /suggest (search-box completions) and the `did_you_mean` of searches."""

import asyncio
from datetime import date

import asyncpg
import pytest

from searchsvc.app import create_app
from searchsvc.settings import Settings

from .conftest import assert_rejected, fresh_database, insert, listing

NAMES = [
    "Fender Stratocaster American", "Guitarra Fender Stratocaster", "Fender Stratocaster de 1985",
    "Fender Telecaster", "Fender Telecaster Deluxe",
    "Batería Pearl Export", "Bateria Yamaha Stage", "batería electrónica Roland", "Piano Yamaha P-45",
    "Korg Minilogue XD", "Korg Minilogue", "Korg Minilogue bass",
    "Gibson Les Paul", "Gibson Les Paul Standard", "Epiphone Les Paul", "Guitarra de estudio", "Bajo de 5 cuerdas",
]
EXPIRED = ["Gibson Firebird"] * 5 + ["Fender Mustang"] * 3


async def _load(url: str) -> None:
    rows = [listing(n, name=name) for n, name in enumerate(NAMES)]
    rows += [listing(100 + n, name=name, expiration=date(2020, 1, 1)) for n, name in enumerate(EXPIRED)]
    await insert(url, rows)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SELECT searchsvc_refresh_suggestions()")
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def suggest_database(pg_server, template_url):
    for url in fresh_database(pg_server, template_url):
        asyncio.run(_load(url))
        yield url


@pytest.fixture
async def suggest_client(aiohttp_client, suggest_database):
    return await aiohttp_client(await create_app(Settings(database_url=suggest_database, pool_min_size=1, pool_max_size=4)))


async def _suggest(client, q: str, **params) -> list[tuple[str, int]]:
    resp = await client.get("/suggest", params={"q": q, **params})
    assert resp.status == 200, await resp.text()
    assert resp.headers["Cache-Control"] == "public, max-age=300"  # every keystroke: let browsers keep it
    body = await resp.json()
    assert body["query"] == q.strip()
    return [(s["text"], s["count"]) for s in body["suggestions"]]


async def test_completes_a_prefix_with_words_and_phrases_most_listings_first(suggest_client):
    assert await _suggest(suggest_client, "fe") == [
        ("fender", 5), ("fender stratocaster", 3),  # "fender telecaster" has 2 listings: too rare a phrase
    ]
    assert await _suggest(suggest_client, "fender st") == [("fender stratocaster", 3)]
    assert await _suggest(suggest_client, "k") == [("korg", 3), ("korg minilogue", 3)]
    assert await _suggest(suggest_client, "les") == [("les paul", 3)]  # "les" alone is a stop word


async def test_accents_and_case_do_not_matter_and_the_usual_spelling_is_shown(suggest_client):
    expected = [("batería", 3)]  # "Bateria" and "batería" are one word; most sellers write the accent
    assert await _suggest(suggest_client, "BATER") == expected
    assert await _suggest(suggest_client, "baterí") == expected


async def test_near_matches_follow_completions(suggest_client):
    found = await _suggest(suggest_client, "stratocastr")
    assert found[0] == ("stratocaster", 3)
    found = await _suggest(suggest_client, "minilo")  # a completion: the exact prefix
    assert found[0] == ("minilogue", 3)
    assert ("minilogue", 3) in await _suggest(suggest_client, "minilgue")  # a typo


async def test_expired_listings_stop_words_and_numbers_are_not_suggested(suggest_client):
    assert await _suggest(suggest_client, "firebird") == []
    assert await _suggest(suggest_client, "gibson") == [("gibson", 2)]  # the 5 expired ones do not count
    assert await _suggest(suggest_client, "de") == []
    assert await _suggest(suggest_client, "19") == []


async def test_limit_and_typed_text_without_words(suggest_client):
    assert await _suggest(suggest_client, "f", limit="1") == [("fender", 5)]
    assert len(await _suggest(suggest_client, "fender", limit="50")) == 2
    assert await _suggest(suggest_client, "¿?!") == []


@pytest.mark.parametrize("query, field", [
    ("", "q"), ("q=", "q"), ("q=%20%20", "q"), ("q=" + "x" * 101, "q"),
    ("q=fender&limit=0", "limit"), ("q=fender&limit=51", "limit"), ("q=fender&limit=ten", "limit"),
])
async def test_invalid_parameters_are_400_naming_the_field(suggest_client, query, field):
    await assert_rejected(await suggest_client.get(f"/suggest?{query}"), field)


async def _did_you_mean(client, name: str) -> str | None:
    resp = await client.get("/searchInstrument", params={"name": name})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert "did_you_mean" in body  # always there on searches
    return body["did_you_mean"]


async def test_did_you_mean_corrects_each_misspelt_word(suggest_client):
    # (offered when a search finds fewer than 3 listings: there are 2 of each)
    assert await _did_you_mean(suggest_client, "fendr telecastr") == "fender telecaster"
    assert await _did_you_mean(suggest_client, "gibsn les paull") == "gibson les paul"
    assert await _did_you_mean(suggest_client, "BATERIA yamha") == "BATERIA yamaha"  # the rest as typed


async def test_did_you_mean_is_null_for_good_or_hopeless_queries(suggest_client):
    assert await _did_you_mean(suggest_client, "fender stratocaster") is None
    assert await _did_you_mean(suggest_client, "fender telecaster") is None  # 2 results, every word right
    assert await _did_you_mean(suggest_client, "korg") is None  # three results: not "very few"
    assert await _did_you_mean(suggest_client, "xylophone quartz") is None
    assert await _did_you_mean(suggest_client, "de la") is None


async def test_did_you_mean_keeps_filters_and_excluded_words(suggest_client):
    # with the filter no listing matches even when corrected: nothing to offer
    resp = await suggest_client.get("/searchInstrument", params={"name": "fendr", "category": "teclados"})
    assert (await resp.json())["did_you_mean"] is None
    assert await _did_you_mean(suggest_client, 'minilgue -xd') == "minilogue -xd"
    assert await _did_you_mean(suggest_client, '"les paull" gibsn') == '"les paul" gibson'
    # every Stratocaster is a Fender: the corrected search would find nothing either
    assert await _did_you_mean(suggest_client, "stratocastr -fender") is None


async def test_the_corrected_search_is_counted_from_the_category_keys(suggest_client, monkeypatch):
    """The probe of a correction is counted as its page would be, from its own word look-up: within a
    category where its words are rare, from the category's keys. Counted without the look-up it walked
    the whole category testing each listing: 0.2-0.6 s at 1M for `fendr stratocastr` in Bajos, cut
    after FACET_TIMEOUT_MS on every request (EXPLAIN.md, session 12)."""
    from searchsvc import db

    ran = []
    fetch_within = db.fetch_within

    async def recording(pool, query, *args, **kwargs):
        ran.append(query.text)
        return await fetch_within(pool, query, *args, **kwargs)

    monkeypatch.setattr(db, "fetch_within", recording)
    found = await suggest_client.get("/searchInstrument", params={"name": "fendr telecastr", "category": "Guitarras"})
    assert (await found.json())["did_you_mean"] == "fender telecaster"  # both are guitarras
    none = await suggest_client.get("/searchInstrument", params={"name": "fendr telecastr", "category": "Teclados"})
    assert (await none.json())["did_you_mean"] is None  # no Fender Telecaster among the keyboards
    probes = [text for text in ran if "count(*)" in text]
    assert len(probes) == 2
    assert "searchsvc_category_words(category, search_vector) @@" in probes[1]  # rare there: the keys


async def test_list_responses_have_no_did_you_mean(suggest_client):
    resp = await suggest_client.get("/listInstrument")
    assert "did_you_mean" not in await resp.json()


def _suggestion_count(url: str) -> int:
    async def count() -> int:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetchval("SELECT count(*) FROM search_suggestion")
        finally:
            await conn.close()

    return asyncio.run(count())


def test_load_and_suggest_refresh_rebuild_the_suggestions(database_url, monkeypatch, tmp_path, capsys):
    from searchsvc import cli

    monkeypatch.setenv("DATABASE_URL", database_url)
    cli.main(["seed", "--rows", "300", "--out", str(tmp_path / "listings.csv")])
    with pytest.raises(SystemExit) as exit_:
        cli.main(["load", str(tmp_path / "listings.csv")])
    assert exit_.value.code == 0
    kept = _suggestion_count(database_url)
    assert kept > 0 and f"suggestions refreshed: {kept} words and phrases" in capsys.readouterr().out

    asyncio.run(_truncate(database_url))
    cli.main(["suggest-refresh"])
    assert _suggestion_count(database_url) == 0  # rebuilt from what is there now


async def _truncate(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DELETE FROM instrument")
    finally:
        await conn.close()
