"""GET /listInstrument: filters, pagination and the response shape the old frontend reads."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from yarl import URL

from searchsvc.app import create_app

from .conftest import assert_rejected, fetch, insert, listing

RESULT_KEYS = ["id", "name", "price", "link", "image", "location", "category", "expiration", "publish", "website"]


async def test_response_shape_field_by_field(client, database_url):
    [ident] = await insert(database_url, [listing(
        1, name="Fender Stratocaster", price=Decimal("1250"), category="guitarras",
        expiration=date(2099, 1, 2), publish=date(2026, 3, 4), location="Sevilla",
        image="https://img.test/1.jpg", website="reverb", link="https://reverb.test/1",
    )])
    resp = await client.get("/listInstrument")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    body = await resp.json()
    # the six keys of the old backend, then count_exact (tests/test_paging.py)
    assert list(body) == ["next", "previous", "count", "total_pages", "current_page", "results", "count_exact"]
    assert body["next"] is None and body["previous"] is None
    assert (body["count"], body["total_pages"], body["current_page"]) == (1, 1, 1)
    [result] = body["results"]
    assert list(result) == RESULT_KEYS
    assert result == {
        "id": ident, "name": "Fender Stratocaster", "price": "1250.00", "link": "https://reverb.test/1",
        "image": "https://img.test/1.jpg", "location": "Sevilla", "category": "guitarras",
        "expiration": "2099-01-02", "publish": "2026-03-04", "website": "reverb",
    }


async def test_dates_are_iso_whatever_the_database_datestyle(aiohttp_client, settings, database_url):
    # (the page reads dates as text: the service's connections pin DateStyle, db.connection_settings);
    # the app is made after the ALTER, so that its connections open with the database's setting
    await fetch(database_url, f'ALTER DATABASE "{URL(database_url).path.lstrip("/")}" SET DateStyle = \'SQL, DMY\'')
    await insert(database_url, [listing(
        1, name="Guitarra Fender", price=Decimal("5"), expiration=date(2099, 1, 2), publish=date(2026, 3, 4),
    )])
    client = await aiohttp_client(await create_app(settings))
    for path in ("/listInstrument", "/listInstrument?sort=newest", "/searchInstrument?name=guitarra"):
        [result] = (await (await client.get(path)).json())["results"]
        assert (result["price"], result["expiration"], result["publish"]) == ("5.00", "2099-01-02", "2026-03-04"), path


async def test_null_fields_are_null(client, database_url):
    await insert(database_url, [listing(1, price=None, image=None, location=None, category=None, publish=None)])
    [result] = (await (await client.get("/listInstrument/")).json())["results"]
    assert result["price"] is None and result["image"] is None and result["category"] is None
    assert result["publish"] is None and result["expiration"] is None


async def test_empty_table_is_one_empty_page(client):
    resp = await client.get("/listInstrument")
    assert resp.status == 200
    body = await resp.json()
    assert body == {
        "next": None, "previous": None, "count": 0, "total_pages": 1, "current_page": 1, "results": [],
        "count_exact": True,
    }


async def test_pages_of_fifty_in_id_order_with_neighbour_urls(client, database_url):
    ids = await insert(database_url, [listing(n) for n in range(120)])
    first = await (await client.get("/listInstrument?category=guitarras")).json()
    assert first["count"] == 120 and first["total_pages"] == 3
    assert [r["id"] for r in first["results"]] == sorted(ids)[:50]
    next_url = URL(first["next"])
    assert next_url.is_absolute() and next_url.path == "/listInstrument"
    assert dict(next_url.query) == {"category": "guitarras", "page": "2"}

    second = await (await client.get(next_url.path_qs)).json()
    assert [r["id"] for r in second["results"]] == sorted(ids)[50:100]
    assert dict(URL(second["previous"]).query) == {"category": "guitarras"}  # page 1 drops `page`

    last = await (await client.get("/listInstrument?category=guitarras&page=3")).json()
    assert len(last["results"]) == 20 and last["next"] is None
    assert dict(URL(last["previous"]).query) == {"category": "guitarras", "page": "2"}


@pytest.mark.parametrize("page", ["4", "0", "-1", "abc", "1.5", "99999999999999999999"])
async def test_invalid_or_past_the_end_page_is_404(client, database_url, page):
    await insert(database_url, [listing(n) for n in range(120)])
    resp = await client.get(f"/listInstrument?page={page}")
    assert resp.status == 404
    assert await resp.json() == {"detail": "Invalid page."}


async def test_page_two_of_empty_result_is_404(client):
    assert (await client.get("/listInstrument?page=2")).status == 404


async def test_category_is_case_insensitive_exact(client, database_url):
    await insert(database_url, [
        listing(1, category="guitarras"), listing(2, category="bajos"), listing(3, category="guitarras eléctricas"),
    ])
    body = await (await client.get("/listInstrument?category=Guitarras")).json()
    assert [r["link"] for r in body["results"]] == ["https://example.test/item/1"]


async def test_price_filters_combine_and_exclude_null_prices(client, database_url):
    await insert(database_url, [
        listing(1, price=Decimal("50")), listing(2, price=Decimal("100")), listing(3, price=Decimal("500")),
        listing(4, price=Decimal("500.01")), listing(5, price=None), listing(6, price=Decimal("300"), category="bajos"),
    ])

    async def names(query):
        resp = await client.get(f"/listInstrument?{query}")
        assert resp.status == 200
        return sorted(r["link"].rsplit("/", 1)[1] for r in (await resp.json())["results"])

    assert await names("minPrice=100&maxPrice=500") == ["2", "3", "6"]
    assert await names("minPrice=100&maxPrice=Infinity") == ["2", "3", "4", "6"]
    assert await names("maxPrice=100") == ["1", "2"]
    assert await names("minPrice=100&maxPrice=500&category=guitarras") == ["2", "3"]
    assert await names("minPrice=0") == ["1", "2", "3", "4", "6"]
    assert await names("minPrice=&maxPrice=") == ["1", "2", "3", "4", "5", "6"]


@pytest.mark.parametrize("query, field", [
    ("minPrice=abc", "minPrice"),
    ("maxPrice=1e999999", "maxPrice"),
    ("maxPrice=NaN", "maxPrice"),
    ("minPrice=Infinity", "minPrice"),
    ("minPrice=500&maxPrice=100", "minPrice"),
    ("category=" + "x" * 201, "category"),
    ("sort=name; DROP TABLE instrument", "sort"),
    ("page_size=1000", "page_size"),
])
async def test_invalid_parameters_are_400_naming_the_field(client, query, field):
    await assert_rejected(await client.get(f"/listInstrument?{query}"), field)


async def test_expired_listings_are_hidden_unless_asked_for(client, database_url):
    today = date.today()
    await insert(database_url, [
        listing(1, expiration=today - timedelta(days=1)), listing(2, expiration=today), listing(3),
    ])
    visible = await (await client.get("/listInstrument")).json()
    assert sorted(r["link"][-1] for r in visible["results"]) == ["2", "3"]
    everything = await (await client.get("/listInstrument?include_expired=true")).json()
    assert everything["count"] == 3


async def test_cors_allows_any_origin_by_default(client):
    resp = await client.get("/listInstrument", headers={"Origin": "https://front.example"})
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    preflight = await client.options(
        "/searchInstrument/", headers={"Origin": "https://front.example", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"


async def test_unknown_path_is_json_404(client):
    resp = await client.get("/nothing-here")
    assert resp.status == 404
    assert (await resp.json())["detail"] == "Not found."
