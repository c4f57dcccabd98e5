"""A search's price range: how many listings it holds (prices.py), and how the page's index reads filter by it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from searchsvc import prices, query, sql, sql_search
from searchsvc.params import SearchParams
from searchsvc.prices import PriceStats

from .conftest import expanded_search, fetch, insert, listing


async def test_the_look_up_knows_what_share_of_the_listings_a_price_range_holds(database_url):
    # 300 listings from 5 to 1,500 in steps of 5, 100 more at 99 (a most common price), 20 without a price
    prices = [Decimal(5 * n) for n in range(1, 301)] + [Decimal(99)] * 100 + [None] * 20
    await insert(database_url, [listing(n, name=f"Guitarra {n}", price=price) for n, price in enumerate(prices)])
    stats = (await expanded_search(database_url, "guitarra")).expansion.prices
    assert stats is not None
    for low, high in [(None, 98), (99, 99), (None, 200), (100, 500), (500, None), (1400, 3000), (2000, None)]:
        low_d, high_d = (None if v is None else Decimal(v) for v in (low, high))
        real = sum(1 for p in prices if p is not None and (low is None or p >= low) and (high is None or p <= high))
        assert stats.share(low_d, high_d) == pytest.approx(real / len(prices), abs=0.02), (low, high)


# pg_stats' text for 1M listings priced evenly from 0 to 10,000 (100 buckets), none without a price
EVEN = PriceStats("{};{};{" + ",".join(str(100 * i) for i in range(101)) + "};0")


@pytest.mark.parametrize("bound, low, high, tested", [
    (11_433, 500, None, True),  # the range's 950,000 listings' blocks: 19 ms; 570 reads for nothing: 1.4
    (1_000, None, 9_000, True),
    (300_000, None, 50, False),  # 5,000 in the range: 0.1 ms of blocks against 298,500 reads for nothing
    (30_000, 100, 1_000, False),  # 90,000 in the range: 1.8 ms of blocks against 27,300 reads (65 ms)
])
def test_a_gin_read_tests_the_price_only_when_the_range_holds_more_listings_than_reading_them_costs(bound, low, high, tested):
    """Asking the words' index for the range's price blocks costs ~0.02 us a listing in the range,
    testing the price of each listing the words give 2.4 us: `fender stratocaster` in 100-500 at 1M
    (22,597 listings, 1,420 in the range) reads the blocks; a word of few listings tests each."""
    lexemes = query.WordLexemes(("zork",), ("zork",), ("zork",), (), (), bound, bound, bound, 0)
    expansion = query.Expansion({"zork": lexemes}, 1_000_000, substring_in_words=True, prices=EVEN)
    filters = {"min_price": low, "max_price": high}
    text = sql_search.search_page(SearchParams(name="zork", **filters).with_expansion(expansion)).text
    expected = prices.tested(bound, 1_000_000, EVEN.share(low, high))
    assert expected == tested
    first_tier = text.split("\n    UNION ALL\n")[0]  # (later tiers hold other listings, read by their own bounds)
    # the tier's read through the GIN index tests the exact bounds on the listings it reads (the probe
    # of the newest listings, when there is one, tests `price >= $n` on those it walks)
    gin_reads = [line for line in first_tier.splitlines() if "price + 0 " in line]
    assert gin_reads
    for line in gin_reads:
        assert ("searchsvc_price_blocks(price) &&" in line) != tested
        assert "price >= " not in line and "price <= " not in line  # never the price index's bitmap
    # so does its count (and facets): where the range is tested on each listing, not the price index's
    # bitmap beside the words' (`ukelele` from 1,000 to 3,000 at 1M: 55 -> 6 ms)
    count = sql.list_count(SearchParams(name="zork", **filters).with_expansion(expansion), 1001).text
    assert ("searchsvc_price_blocks(price) &&" in count) != tested
    if tested:
        assert "price + 0 " in count and "price >= " not in count and "price <= " not in count


# prices around every block edge, a cent either side, none, and beyond the blocks' top
EDGE_PRICES = sorted({
    Decimal(v) for base in (0, 9, 10, 99, 100, 499, 500, 509, 510, 999, 1000, 2999, 3000, 9999, 10000, 99998, 99999, 100000)
    for v in (base, base + Decimal("0.01"), base + Decimal("0.99"), max(base - Decimal("0.01"), 0))
} | {Decimal("250.50"), Decimal("12345.67"), Decimal("99999999.99")})


async def test_a_price_ranges_blocks_hold_every_listing_in_the_range_and_little_else(database_url):
    """The words' index keys each price by migration 0020's searchsvc_price_blocks(); a search asks it
    for prices.price_blocks() of its range. Every price in the range must be in them (else a listing
    is lost), and what else is lies in the same blocks of 10 euros as the bounds (then tested apart)."""
    from searchsvc.prices import PRICE_BLOCK_TOP, price_blocks

    ranges = [(100, 500), (500, None), (None, 200), (1000, 3000), (300, 1000), (Decimal("99.99"), Decimal("100.5")),
              (0, 0), (9, 10), (12345, 12345), (99999, None), (150000, None), (None, Decimal("0.5")), (7, 99998)]
    rows = await fetch(
        database_url,
        "SELECT p AS price, r AS range, searchsvc_price_blocks(p) && ($2::integer[][])[r:r][1:$3] AS in_blocks "
        "FROM unnest($1::numeric[]) AS p, generate_series(1, $4) AS r",
        EDGE_PRICES, *_blocks_matrix([price_blocks(*(None if v is None else Decimal(v) for v in r)) for r in ranges]),
    )
    for row in rows:
        low, high = ranges[row["range"] - 1]
        price = row["price"]
        in_range = (low is None or price >= Decimal(low)) and (high is None or price <= Decimal(high))
        # the whole euros from the low bound's block of 10 to the end of the high bound's
        first = 0 if low is None else min(int(Decimal(low)), PRICE_BLOCK_TOP) // 10 * 10
        last = PRICE_BLOCK_TOP if high is None else min(int(Decimal(high)), PRICE_BLOCK_TOP) // 10 * 10 + 9
        assert row["in_blocks"] == (first <= min(int(price), PRICE_BLOCK_TOP) <= last), (low, high, price)
        assert not in_range or row["in_blocks"], (low, high, price)
    assert len(price_blocks(Decimal(100), Decimal(500))) == 5  # 100-199, ..., 400-499 and 500-509
    assert len(price_blocks(Decimal(500), None)) <= 23


def _blocks_matrix(lists: list[list[int]]) -> tuple[list[list[int]], int, int]:
    """The lists as one rectangular array (padded with a key no price has), its width, its height."""
    width = max(map(len, lists))
    return [keys + [-1] * (width - len(keys)) for keys in lists], width, len(lists)


@pytest.mark.parametrize("tested", [True, False])
async def test_both_ways_of_reading_a_price_range_find_the_listings_in_it(aiohttp_client, database_url, monkeypatch, tested):
    from searchsvc.app import create_app
    from searchsvc.settings import Settings

    names = ["Pearl Export", "Pearl Roadshow", "Bateria Pearl", "Tama Pearl", "Pearl", "Superpearl"]  # (the last: its substring)
    listed = [Decimal(p) for p in ("99.99", "100", "250.50", "500", "500.01", "300")]
    await insert(database_url, [listing(n, name=name, price=price) for n, (name, price) in enumerate(zip(names, listed))])
    monkeypatch.setattr(prices, "tested", lambda *_: tested)
    monkeypatch.setattr(sql_search, "_small_tier_rows", lambda *_: 10**9)  # read through the GIN index
    client = await aiohttp_client(await create_app(Settings(database_url=database_url, pool_min_size=1, pool_max_size=2)))
    for filters, expected in [
        ({"minPrice": "100", "maxPrice": "500"}, {"1", "2", "3", "5"}),
        ({"minPrice": "500"}, {"3", "4"}),
        ({"maxPrice": "100"}, {"0", "1"}),
    ]:
        resp = await client.get("/searchInstrument/", params={"name": "pearl", **filters})
        assert resp.status == 200, await resp.text()
        assert {r["link"].rsplit("/", 1)[1] for r in (await resp.json())["results"]} == expected, filters


async def test_every_shape_of_search_page_with_a_price_range_is_a_statement_the_database_accepts(database_url):
    """Each read of a page chooses its own price test, and the blocks are bound only when a read asks
    for them: a value bound that no read uses has no type and the database refuses the statement
    (`moog` under 200 at 1M answered 500 so while writing this). Every shape of page, run."""
    import asyncpg

    from searchsvc import db
    from searchsvc.settings import Settings

    publish = query.PublishStats("{};{};{2026-01-01,2026-06-01,2026-11-01};0")
    conn = await asyncpg.connect(database_url, server_settings=db.connection_settings(Settings(database_url=database_url), True))
    try:
        for bound in (None, 40, 3_000, 30_000, 300_000):
            for name in ("zork", "zork blip", "zork-1 blip"):
                words = {word: query.WordLexemes((word,), (word,), (word,), (), (), bound, bound, bound, 0)
                         for word in query.parse(name).words}
                for substring_in_words in (True, False):
                    expansion = query.Expansion(
                        words, 1_000_000, substring_in_words=substring_in_words, prices=EVEN, publish=publish,
                        phrase_listings=None if bound is None else bound // 4,
                    )
                    for category in (None, "Teclados"):
                        for low, high in ((None, 50), (100, 500), (500, None), (9_000, 9_500)):
                            params = SearchParams(name=name, category=category, min_price=low, max_price=high)
                            page = sql_search.search_page(params.with_expansion(expansion))
                            await conn.fetch(page.text, *page.args)  # (raises when a value has no type)
    finally:
        await conn.close()


@pytest.mark.parametrize("tested", [True, False])
async def test_a_search_counts_the_listings_in_its_price_range_either_way(aiohttp_client, database_url, monkeypatch, tested):
    """The count of a search within a range (sql.list_count), and its facets, ask its indexes (the
    words', and the trigram index for names holding the text) for the range's blocks too, unless
    testing each listing costs less: both count the same listings, edges included."""
    from searchsvc import sql
    from searchsvc.app import create_app
    from searchsvc.settings import Settings

    listed = [Decimal(p) for p in ("99.99", "100", "109.99", "250.50", "500", "500.01", "9999", "100000")] + [None]
    names = [f"Roland Juno {n}" for n in range(len(listed) - 1)] + ["Roland Superjuno"]  # (found by its name's substring)
    listed[-1] = Decimal("250")
    await insert(database_url, [listing(n, name=name, price=price) for n, (name, price) in enumerate(zip(names, listed))])
    await insert(database_url, [listing(len(listed), name="Roland Juno sin precio", price=None)])
    monkeypatch.setattr(prices, "tested", lambda *_: tested)
    client = await aiohttp_client(await create_app(Settings(
        database_url=database_url, pool_min_size=1, pool_max_size=2, response_cache_ttl_s=0, count_estimate_ttl_s=0,
    )))
    for low, high in [("100", "500"), ("500", None), (None, "100"), ("9999", None), ("110", "250")]:
        expected = sum(1 for p in listed if p is not None and (low is None or p >= Decimal(low)) and (high is None or p <= Decimal(high)))
        filters = {key: value for key, value in (("minPrice", low), ("maxPrice", high)) if value is not None}
        params = (await expanded_search(database_url, "juno", **filters))
        assert ("searchsvc_price_blocks" in sql.list_count(params, 1001).text) != tested
        resp = await client.get("/searchInstrument/", params={"name": "juno", "page_size": "1", "facets": "category", **filters})
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        assert (body["count"], body["count_exact"]) == (expected, True), (low, high)
        assert body["facets"]["category"] == [{"value": "guitarras", "count": expected}], (low, high)  # (the same way)


@pytest.mark.parametrize("since", ["2026-10-20", "2026-10-31"])  # a span that holds the page, one that falls short
async def test_a_price_range_read_from_a_span_of_recent_days_finds_the_newest_listings_in_it(
    aiohttp_client, database_url, monkeypatch, since,
):
    """A search with a price range alone reads a tier's newest from a span of recent days, as without
    filters (its listings in the range expected at the range's share), and the whole tier only when the
    span falls short: the same page as reading the whole tier."""
    from datetime import date, timedelta

    from searchsvc import recency
    from searchsvc.app import create_app
    from searchsvc.settings import Settings

    day = date(2026, 11, 1)
    rows = [  # 20 a day for 30 days, priced 20-980 (a span of 12 days holds 60+ of each range, one of 2 days not)
        listing(n, name=f"Pearl Export {n}", price=Decimal(40 * (n % 25) + 20), publish=day - timedelta(days=n // 20))
        for n in range(600)
    ]
    await insert(database_url, rows)
    monkeypatch.setattr(sql_search, "_small_tier_rows", lambda *_: 10**9)  # tiers read through the GIN index
    monkeypatch.setattr(sql_search, "_one_pass", lambda *_: False)
    client = await aiohttp_client(await create_app(Settings(
        database_url=database_url, pool_min_size=1, pool_max_size=2, response_cache_ttl_s=0,
    )))

    async def pages(span) -> list:
        monkeypatch.setattr(sql_search, "_publish_span", lambda *_: span)
        got = []
        for filters in ({"minPrice": "100", "maxPrice": "500"}, {"minPrice": "700"}, {"maxPrice": "300"}):
            resp = await client.get("/searchInstrument/", params={"name": "pearl", "page_size": "10", **filters})
            assert resp.status == 200, await resp.text()
            got.append([r["id"] for r in (await resp.json())["results"]])
        return got

    spanned = await pages(recency.span(date.fromisoformat(since)))
    assert spanned == await pages(None)
    assert all(len(ids) == 10 for ids in spanned)
