"""`facets=`: counts per category and website for the current query, each ignoring its own filter."""

import asyncio
from datetime import date
from decimal import Decimal

import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from searchsvc.app import create_app
from searchsvc.settings import Settings

from .conftest import fresh_database, insert, listing

PAGE_KEYS = ["next", "previous", "count", "total_pages", "current_page", "results"]

ROWS = [
    listing(1, name="Fender Stratocaster", category="guitarras", website="hispasonic", price=Decimal("900")),
    listing(2, name="Gibson Les Paul", category="guitarras", website="hispasonic", price=Decimal("1500")),
    listing(3, name="Fender Telecaster", category="guitarras", website="reverb", price=Decimal("750.50")),
    listing(4, name="Guitarra clásica", category="guitarras", website="hispasonic", price=None),
    listing(5, name="Fender Jazz Bass", category="bajos", website="reverb", price=Decimal("650")),
    listing(6, name="Bajo Yamaha", category="bajos", website="reverb", price=Decimal("120")),
    listing(7, name="Korg Minilogue", category="teclados", website="soundmarket", price=Decimal("400")),
    listing(8, name="Fender Mustang", category="guitarras", website="guitarristas", price=Decimal("10"),
            expiration=date(2020, 1, 1)),  # expired: counted nowhere
]


@pytest.fixture(scope="module")
def facet_database(pg_server, template_url):
    for url in fresh_database(pg_server, template_url):
        asyncio.run(insert(url, ROWS))
        yield url


@pytest.fixture
async def facet_client(aiohttp_client, facet_database):
    return await aiohttp_client(await create_app(Settings(database_url=facet_database, pool_min_size=1, pool_max_size=4)))


async def _get(client, path: str) -> dict:
    resp = await client.get(path)
    assert resp.status == 200, await resp.text()
    return await resp.json()


def _counts(values: list[dict]) -> dict[str, int]:
    return {v["value"]: v["count"] for v in values}


async def test_list_facets_count_every_live_listing(facet_client):
    body = await _get(facet_client, "/listInstrument?facets=category,website")
    assert list(body)[:6] == PAGE_KEYS  # the old frontend's keys stay first
    assert body["count"] == 7
    assert body["facets"]["category"] == [
        {"value": "guitarras", "count": 4}, {"value": "bajos", "count": 2}, {"value": "teclados", "count": 1},
    ]
    assert _counts(body["facets"]["website"]) == {"hispasonic": 3, "reverb": 3, "soundmarket": 1}
    assert body["facets"]["price"] == {"min": "120.00", "max": "1500.00"}
    assert body["facets_timed_out"] == []


async def test_a_facet_ignores_its_own_filter_but_not_the_others(facet_client):
    body = await _get(facet_client, "/listInstrument?facets=category,website&category=bajos")
    assert {r["id"] for r in body["results"]} == {5, 6}
    # the other categories keep their counts, so the user can switch to them
    assert _counts(body["facets"]["category"]) == {"guitarras": 4, "bajos": 2, "teclados": 1}
    assert _counts(body["facets"]["website"]) == {"reverb": 2}  # narrowed by the category

    body = await _get(facet_client, "/listInstrument?facets=category,website&website=reverb")
    assert _counts(body["facets"]["website"]) == {"hispasonic": 3, "reverb": 3, "soundmarket": 1}
    assert _counts(body["facets"]["category"]) == {"guitarras": 1, "bajos": 2}


async def test_search_facets_follow_the_text_and_price_range_ignores_price_filters(facet_client):
    body = await _get(facet_client, "/searchInstrument?name=fender&facets=category&maxPrice=700")
    assert [r["id"] for r in body["results"]] == [5]
    assert _counts(body["facets"]["category"]) == {"bajos": 1}  # within the price filter
    assert "website" not in body["facets"]
    assert body["facets"]["price"] == {"min": "650.00", "max": "900.00"}  # every live fender, any price


async def test_search_counts_both_facets_of_the_matching_listings(facet_client):
    body = await _get(facet_client, "/searchInstrument?name=fender&facets=website,category")
    assert list(body["facets"]) == ["website", "category", "price"]
    assert body["facets"]["category"] == [{"value": "guitarras", "count": 2}, {"value": "bajos", "count": 1}]
    assert body["facets"]["website"] == [{"value": "reverb", "count": 2}, {"value": "hispasonic", "count": 1}]
    assert body["facets"]["price"] == {"min": "650.00", "max": "900.00"}


async def test_price_alone_and_an_empty_result(facet_client):
    body = await _get(facet_client, "/searchInstrument?name=theremin&facets=price,category")
    assert body["count"] == 0
    assert body["facets"] == {"category": [], "price": {"min": None, "max": None}}


async def test_no_facets_key_unless_asked(facet_client):
    body = await _get(facet_client, "/listInstrument")
    assert list(body)[:6] == PAGE_KEYS
    assert "facets" not in body and "facets_timed_out" not in body and "did_you_mean" not in body


@pytest.mark.parametrize("facets", ["name", "category,id", "category;DROP TABLE instrument"])
async def test_unknown_facet_is_400_naming_facets(facet_client, facets):
    resp = await facet_client.get("/listInstrument", params={"facets": facets})
    assert resp.status == 400
    body = await resp.json()
    assert "facets" in body["detail"]
    assert {e["field"] for e in body["errors"]} == {"facets"}


BULK_SQL = """
INSERT INTO instrument (name, link, website, price, category)
SELECT 'Guitarra modelo ' || n, 'https://example.test/bulk/' || n,
       (ARRAY['hispasonic', 'reverb', 'soundmarket'])[1 + n % 3], n % 1000,
       (ARRAY['guitarras', 'bajos', 'teclados', 'baterias'])[1 + n % 4]
FROM generate_series(1, 20000) AS n
"""


async def test_a_facet_over_its_time_limit_is_reported_and_the_page_still_answers(aiohttp_client, database_url):
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(BULK_SQL)
        await conn.execute("ANALYZE instrument")
    finally:
        await conn.close()
    # grouping 20,000 rows takes milliseconds: far over a 1 ms limit
    settings = Settings(database_url=database_url, pool_min_size=1, pool_max_size=2, facet_timeout_ms=1)
    client = await aiohttp_client(await create_app(settings))
    # (a price filter: counted from the listings themselves, not from the rollup of migration 0006)
    body = await _get(client, "/listInstrument?facets=category,website&page_size=5&minPrice=0")
    assert body["count"] == 20000 and len(body["results"]) == 5
    assert body["facets"]["category"] is None and body["facets"]["website"] is None
    # (min/max price may still make it: the price index answers it in a few probes)
    assert body["facets_timed_out"] == [name for name, value in body["facets"].items() if value is None]
    assert body["facets_timed_out"][:2] == ["category", "website"]

    # asked again at once, the same cut answer comes back without counting again (a broad search's
    # facets at 1M listings would otherwise keep a core busy with counts that end cut)
    counted = await _facet_counts_run(client)
    again = await _get(client, "/listInstrument?facets=category,website&page_size=5&minPrice=0")
    assert again["facets_timed_out"] == body["facets_timed_out"]
    assert await _facet_counts_run(client) == counted


async def _facet_counts_run(client) -> float:
    """How many times facet counts went to the database (the service's /metrics)."""
    resp = await client.get("/metrics")
    wanted = ("searchsvc_db_query_duration_seconds_count", frozenset({("kind", "facets")}))
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(await resp.text()) for s in family.samples
    }.get(wanted, 0.0)


async def test_list_facets_stay_exact_through_updates_deletes_and_expiry(client, database_url):
    await insert(database_url, [
        listing(1), listing(2), listing(3, category="bajos", website="reverb"),
    ])
    # the loader moves listing 2 to basses on reverb; a 4th arrives already expired; listing 3 goes
    await insert(database_url, [
        listing(2, category="bajos", website="reverb"), listing(4, category="teclados", expiration=date(2020, 1, 1)),
    ])
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("DELETE FROM instrument WHERE link = $1", listing(3)["link"])
        rollup = await conn.fetch("SELECT category, website, expiration, listings FROM instrument_facet_count")
        actual = await conn.fetch(
            "SELECT category, website, expiration, count(*) AS listings FROM instrument GROUP BY 1, 2, 3"
        )
    finally:
        await conn.close()
    assert sorted(map(tuple, rollup)) == sorted(map(tuple, actual))

    body = await _get(client, "/listInstrument?facets=category,website")
    assert _counts(body["facets"]["category"]) == {"guitarras": 1, "bajos": 1}
    assert _counts(body["facets"]["website"]) == {"hispasonic": 1, "reverb": 1}
    body = await _get(client, "/listInstrument?facets=category&include_expired=true&website=hispasonic")
    assert _counts(body["facets"]["category"]) == {"guitarras": 1, "teclados": 1}


@pytest.mark.parametrize("ttl, facet_queries", [(60.0, 1), (0.0, 2)])
async def test_a_worker_reuses_facet_counts_for_the_same_query(aiohttp_client, database_url, ttl, facet_queries):
    from .test_observability import scrape

    await insert(database_url, [listing(1, name="Bajo Fender", category="bajos"), listing(2, name="Bajo Ibanez")])
    settings = Settings(database_url=database_url, pool_min_size=1, pool_max_size=2, facet_cache_ttl_s=ttl)
    client = await aiohttp_client(await create_app(settings))
    key = ("searchsvc_db_query_duration_seconds_count", frozenset({("kind", "facets")}))
    before = (await scrape(client)).get(key, 0)
    answers = [await (await client.get("/searchInstrument?name=bajo&facets=category")).json() for _ in range(2)]
    assert answers[0]["facets"] == answers[1]["facets"]
    assert answers[0]["facets"]["category"] == [{"value": "bajos", "count": 1}, {"value": "guitarras", "count": 1}]
    assert (await scrape(client)).get(key, 0) - before == facet_queries
