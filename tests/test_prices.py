"""A search's price range: how many listings it holds (prices.py), and how the page's index reads filter by it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from searchsvc import query, sql_search
from searchsvc.params import SearchParams
from searchsvc.prices import PriceStats

from .conftest import expanded_search, insert, listing


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
    (11_433, 500, None, True),  # the range's 950,000 listings' bitmap: 133 ms; 570 reads for nothing: 1.4
    (1_000, None, 9_000, True),
    (300_000, None, 50, False),  # 5,000 in the range: 0.7 ms of bitmap against 298,500 reads for nothing
    (30_000, 100, 1_000, False),  # 90,000 in the range: 12.6 ms of bitmap against 27,300 reads (65 ms)
])
def test_a_gin_read_tests_the_price_only_when_the_range_holds_more_listings_than_reading_them_costs(bound, low, high, tested):
    """ANDing the price index's bitmap of the range costs ~0.14 us a listing in it, testing the price
    of each listing the words give 2.4 us: `pearl` over 500 at 1M (11,433 listings, the range 536,453)
    took 77 -> 41 ms testing; `bateria` under 200 (56,000 listings, the range 182,000) keeps the bitmap."""
    lexemes = query.WordLexemes(("zork",), ("zork",), ("zork",), (), (), bound, bound, bound, 0)
    expansion = query.Expansion({"zork": lexemes}, 1_000_000, substring_in_words=True, prices=EVEN)
    filters = {"min_price": low, "max_price": high}
    text = sql_search.search_page(SearchParams(name="zork", **filters).with_expansion(expansion)).text
    expected = sql_search._price_tested(bound, 1_000_000, EVEN.share(low, high))
    assert expected == tested
    first_tier = text.split("\n    UNION ALL\n")[0]  # (later tiers hold other listings, read by their own bounds)
    assert ("price + 0 " in first_tier) == tested


@pytest.mark.parametrize("tested", [True, False])
async def test_both_ways_of_reading_a_price_range_find_the_listings_in_it(aiohttp_client, database_url, monkeypatch, tested):
    from searchsvc.app import create_app
    from searchsvc.settings import Settings

    names = ["Pearl Export", "Pearl Roadshow", "Bateria Pearl", "Tama Pearl", "Pearl", "Pearlman"]
    prices = [Decimal(p) for p in ("99.99", "100", "250.50", "500", "500.01", "300")]
    await insert(database_url, [listing(n, name=name, price=price) for n, (name, price) in enumerate(zip(names, prices))])
    monkeypatch.setattr(sql_search, "_price_tested", lambda *_: tested)
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
