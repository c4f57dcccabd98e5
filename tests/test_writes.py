"""POST /addInstrument: bearer tokens, one item or a batch, each item validated alone, upsert on link."""

import asyncio
from datetime import date
from decimal import Decimal

import asyncpg
import pytest
from aiohttp import web

from searchsvc.app import create_app
from searchsvc.settings import Settings

from .conftest import fetch, insert, listing, write_token


async def _rows(database_url: str) -> list[asyncpg.Record]:
    return await fetch(database_url, "SELECT xmin::text AS xmin, ctid::text AS ctid, * FROM instrument ORDER BY link")


@pytest.fixture
async def token(database_url) -> str:
    return await write_token(database_url)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ITEM = {"name": "Fender Stratocaster", "link": "https://reverb.com/item/1", "price": "1.250,50",
        "website": "reverb", "category": "Guitarras Eléctricas", "publish": "2024-03-01T10:22:00-05:00"}


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer ", "Basic c2NyYXBlcjpwdw==", "Bearer ssk_0000"])
async def test_no_or_malformed_token_is_401_and_writes_nothing(client, database_url, token, header):
    headers = {} if header is None else {"Authorization": header}
    resp = await client.post("/addInstrument", json=ITEM, headers=headers)
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert "token" in (await resp.json())["detail"]
    assert await _rows(database_url) == []


async def test_wrong_secret_of_a_real_key_is_401(client, database_url, token):
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    resp = await client.post("/addInstrument", json=ITEM, headers=_auth(forged))
    assert resp.status == 401 and 'error="invalid_token"' in resp.headers["WWW-Authenticate"]
    assert await _rows(database_url) == []


async def test_one_object_is_created_normalised(client, database_url, token):
    resp = await client.post("/addInstrument", json=ITEM, headers=_auth(token))
    assert resp.status == 201
    assert await resp.json() == {"created": 1, "updated": 0, "unchanged": 0, "rejected": []}
    [row] = await _rows(database_url)
    assert (row["name"], row["price"], row["category"], row["publish"], row["website"]) == (
        "Fender Stratocaster", Decimal("1250.50"), "guitarras electricas", date(2024, 3, 1), "reverb",
    )
    # the same item again: nothing new, nothing rewritten
    again = await client.post("/addInstrument/", json=ITEM, headers=_auth(token))
    assert again.status == 200
    assert await again.json() == {"created": 0, "updated": 0, "unchanged": 1, "rejected": []}
    [same] = await _rows(database_url)
    assert (same["xmin"], same["ctid"]) == (row["xmin"], row["ctid"])


async def test_a_price_drop_shows_at_once(client, database_url, token):
    await client.post("/addInstrument", json=ITEM, headers=_auth(token))
    resp = await client.post("/addInstrument", json={**ITEM, "price": 999}, headers=_auth(token))
    assert resp.status == 200
    assert (await resp.json())["updated"] == 1
    [result] = (await (await client.get("/listInstrument")).json())["results"]
    assert result["price"] == "999.00"


async def test_bad_items_are_reported_and_never_block_the_good_ones(client, database_url, token):
    items = [
        {"name": "Good one", "link": "https://hispasonic.com/a/1", "price": 100},
        {"name": "No link"},
        {"name": "Bad price", "link": "https://hispasonic.com/a/2", "price": "cheap", "publish": "01/02/2024"},
        "not an object",
        {"name": "x" * 501, "link": "ftp://hispasonic.com/a/3"},
        {"name": "Good two", "link": "https://www.soundmarket.es/a/4", "publish": "2024-03-01"},
    ]
    resp = await client.post("/addInstrument", json=items, headers=_auth(token))
    assert resp.status == 201
    body = await resp.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (2, 0, 0)
    rejected = [(r["index"], r["field"]) for r in body["rejected"]]
    assert rejected == [(1, "link"), (2, "price"), (2, "publish"), (3, ""), (4, "name"), (4, "link")]
    assert all(r["reason"] for r in body["rejected"])
    rows = await _rows(database_url)
    assert [(r["link"], r["website"]) for r in rows] == [
        ("https://hispasonic.com/a/1", "hispasonic"),  # no website given: the link's host names it
        ("https://www.soundmarket.es/a/4", "soundmarket"),
    ]


async def test_duplicate_links_in_one_batch_last_wins(client, database_url, token):
    items = [{**ITEM, "price": 1}, {**ITEM, "price": 2}, {**ITEM, "price": 3}]
    resp = await client.post("/addInstrument", json=items, headers=_auth(token))
    assert (await resp.json())["created"] == 1
    [row] = await _rows(database_url)
    assert row["price"] == Decimal("3.00")


@pytest.mark.parametrize("body, status, words", [
    (b"{not json", 400, "not valid JSON"),
    (b"", 400, "not valid JSON"),
    (b"42", 400, "JSON object"),
    (b'"a string"', 400, "JSON object"),
    (b"null", 400, "JSON object"),
])
async def test_malformed_bodies_are_refused_whole(client, database_url, token, body, status, words):
    resp = await client.post("/addInstrument", data=body, headers={**_auth(token), "Content-Type": "application/json"})
    assert resp.status == status
    assert words in (await resp.json())["detail"]
    assert await _rows(database_url) == []


async def test_more_than_a_thousand_items_is_413(client, database_url, token):
    items = [{"name": f"n{i}", "link": f"https://reverb.com/{i}"} for i in range(1001)]
    resp = await client.post("/addInstrument", json=items, headers=_auth(token))
    assert resp.status == 413
    assert "1000" in (await resp.json())["detail"]
    assert await _rows(database_url) == []


async def test_body_over_the_size_limit_is_413(aiohttp_client, database_url, token):
    settings = Settings(database_url=database_url, pool_min_size=1, pool_max_size=2, max_body_bytes=2048)
    client = await aiohttp_client(await create_app(settings))
    items = [{"name": f"Listing number {i}", "link": f"https://reverb.com/item/{i}"} for i in range(100)]
    resp = await client.post("/addInstrument", json=items, headers=_auth(token))
    assert resp.status == 413
    assert "2048" in (await resp.json())["detail"]
    assert await _rows(database_url) == []


async def test_concurrent_writes_of_one_link_make_one_row_without_error(client, database_url, token):
    posts = [
        client.post("/addInstrument", json=[{**ITEM, "price": 100 + n}, {**ITEM, "link": f"{ITEM['link']}-{n % 2}"}],
                    headers=_auth(token))
        for n in range(8)
    ]
    responses = await asyncio.gather(*posts)
    assert {r.status for r in responses} <= {200, 201}
    bodies = [await r.json() for r in responses]
    assert sum(b["created"] for b in bodies) == 3  # the shared link and the two others, once each
    assert all(b["rejected"] == [] for b in bodies)
    rows = await _rows(database_url)
    assert [r["link"] for r in rows] == [ITEM["link"], ITEM["link"] + "-0", ITEM["link"] + "-1"]


async def test_reads_stay_public_and_writes_do_not_touch_existing_ids(client, database_url, token):
    [ident] = await insert(database_url, [listing(1, link=ITEM["link"], website="reverb")])
    resp = await client.post("/addInstrument", json=ITEM, headers=_auth(token))
    assert (await resp.json())["updated"] == 1
    listed = await (await client.get("/listInstrument")).json()
    assert [r["id"] for r in listed["results"]] == [ident]
    assert listed["results"][0]["name"] == "Fender Stratocaster"


def test_write_routes_are_registered_for_post_only():
    from searchsvc import writes

    methods = {(r.method, r.path) for r in writes.routes if isinstance(r, web.RouteDef)}
    assert methods == {("POST", "/addInstrument"), ("POST", "/addInstrument/")}


async def test_a_write_meeting_rows_a_load_holds_gives_way_with_503(client, database_url, token):
    await client.post("/addInstrument", json=ITEM, headers=_auth(token))
    loader = await asyncpg.connect(database_url)  # stands for a long load holding the row
    try:
        async with loader.transaction():
            await loader.execute("UPDATE instrument SET price = 1 WHERE link = $1", ITEM["link"])
            resp = await client.post("/addInstrument", json={**ITEM, "price": 2}, headers=_auth(token))
            assert resp.status == 503 and "Retry-After" in resp.headers
            assert "another writer" in (await resp.json())["detail"]
            # the load was not the one to give way: it still holds the row and commits
        [row] = await _rows(database_url)
        assert row["price"] == Decimal("1.00")
    finally:
        await loader.close()
    resp = await client.post("/addInstrument", json={**ITEM, "price": 2}, headers=_auth(token))
    assert resp.status == 200 and (await resp.json())["updated"] == 1
