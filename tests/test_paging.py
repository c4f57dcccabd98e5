"""Counting and deep pages: `count_exact`, the estimated count above the limit, and pages that
start from a remembered anchor yet hold the same rows as OFFSET would give."""

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import asyncpg
import pytest

from searchsvc import cache, db, paging, query, sql, sql_words, sql_search
from searchsvc.app import create_app
from searchsvc.params import ListParams, SearchParams

from .conftest import insert, listing


@pytest.fixture
async def capped_client(aiohttp_client, settings):
    """The app with a count limit so low that the small fixtures exceed it (no background counts)."""
    return await aiohttp_client(await create_app(
        settings.model_copy(update={"count_exact_limit": 10, "exact_count_ttl_s": 0})
    ))


@pytest.fixture
async def counting_client(aiohttp_client, settings):
    """The app with a low count limit and background exact counts."""
    return await aiohttp_client(await create_app(
        settings.model_copy(update={"count_exact_limit": 10, "exact_count_ttl_s": 300})
    ))


def varied(n: int) -> dict:
    """Listings with repeated prices and dates (ties the sorts must break by id), some expired or unpriced."""
    return listing(
        n, name=f"Fender {n}" if n % 2 else f"Yamaha {n}",
        price=None if n % 11 == 0 else Decimal(n * 37 % 9 * 100),
        publish=None if n % 13 == 0 else date(2026, 1, 1) + timedelta(days=n % 5),
        expiration=date(2020, 1, 1) if n % 7 == 0 else None,
        category="bajos" if n % 3 == 0 else "guitarras",
    )


async def test_small_results_are_counted_exactly(client, database_url):
    await insert(database_url, [listing(n) for n in range(120)])
    first = await (await client.get("/listInstrument")).json()
    assert (first["count"], first["total_pages"], first["count_exact"]) == (120, 3, True)
    last = await (await client.get("/listInstrument?page=3")).json()
    assert (last["count"], last["count_exact"], len(last["results"])) == (120, True, 20)
    search = await (await client.get("/searchInstrument/?name=listing&category=guitarras")).json()
    assert (search["count"], search["count_exact"]) == (120, True)


async def test_above_the_limit_the_count_is_an_estimate(capped_client, database_url):
    await insert(database_url, [listing(n) for n in range(120)])
    body = await (await capped_client.get("/listInstrument")).json()
    assert body["count_exact"] is False
    assert 60 <= body["count"] <= 240  # the planner's estimate of 120 rows, not the limit
    assert body["total_pages"] == -(-body["count"] // 50)
    assert len(body["results"]) == 50 and body["next"] is not None


async def test_an_estimate_never_contradicts_the_rows_seen(capped_client, database_url):
    await insert(database_url, [listing(n) for n in range(120)])
    second = await (await capped_client.get("/listInstrument?page=2")).json()
    assert second["count"] >= 101 and second["total_pages"] >= 3  # page 2 plus one more row exist
    last = await (await capped_client.get("/listInstrument?page=3")).json()
    assert (last["count"], last["count_exact"], last["total_pages"]) == (120, True, 3)  # the last page knows


async def test_search_above_the_limit_is_estimated(capped_client, database_url, monkeypatch):
    # (as many matches as a table of millions holds: not read in one candidate pass, which counts them)
    monkeypatch.setattr(sql_search, "_one_pass", lambda *_: False)
    await insert(database_url, [listing(n, name=f"Fender {n}") for n in range(60)])
    body = await (await capped_client.get("/searchInstrument/?name=fender")).json()
    assert body["count_exact"] is False and body["count"] >= 51


async def test_a_search_estimate_follows_its_words(capped_client, database_url, monkeypatch):
    """The relevance page runs with a generic plan; the estimate (EXPLAIN of the bound words) still
    sees how common each word is."""
    monkeypatch.setattr(sql_search, "_one_pass", lambda *_: False)  # (not read in one pass, which counts)
    await insert(database_url, [listing(n, name=f"Fender {n}" if n % 4 else f"Gibson {n}") for n in range(400)])
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("ANALYZE instrument")
    finally:
        await conn.close()
    fender = await (await capped_client.get("/searchInstrument/?name=fender")).json()
    gibson = await (await capped_client.get("/searchInstrument/?name=gibson")).json()
    assert fender["count_exact"] is False and gibson["count_exact"] is False
    assert 150 <= fender["count"] <= 600 and 50 <= gibson["count"] <= 200  # 300 and 100 match
    assert fender["count"] > gibson["count"]


async def test_a_relevance_search_runs_on_generic_plan_connections(client):
    """The word look-up and the relevance page are planned once per connection (sql.Query.generic_plan):
    the app runs them on its generic-plan pool, and every other statement with plans made for its values."""
    params = SearchParams(name="fender stratocaster")
    asked = [sql_words.word_expansion(query.parse(params.name)), sql_search.search_page(params)]
    assert [statement.generic_plan for statement in asked] == [True, True]
    others = [sql_search.search_page(SearchParams(name="fender", sort="price_asc")), sql.list_page(ListParams())]
    assert [statement.generic_plan for statement in others] == [False, False]
    reads = client.server.app[db.READS]
    mode = "SELECT current_setting('plan_cache_mode')"
    assert await db.fetchval(reads, sql.Query(mode, generic_plan=True)) == "force_generic_plan"
    assert await db.fetchval(reads, sql.Query(mode)) == "force_custom_plan"


async def test_a_relevance_page_is_counted_with_plans_made_for_the_counts_values(client, database_url, monkeypatch):
    """A generic plan of a count, which knows neither the words nor the price range, ANDed the price
    index's whole range to a few hundred listings of the words (129 ms where its own plan took 15):
    the counts of a page planned generically run on a custom-plan connection (paging.fetch_page)."""
    await insert(database_url, [listing(n, name=f"Fender Stratocaster {n}") for n in range(60)])
    monkeypatch.setattr(sql_search, "_one_pass", lambda *_: False)  # (read in one pass, the page counts)
    # the count reports the plan mode it ran under: 600 with plans made for its values, else nothing
    mode = "SELECT CASE current_setting('plan_cache_mode') WHEN 'force_custom_plan' THEN 600 ELSE 0 END"
    monkeypatch.setattr(sql, "list_count", lambda params, cap: sql.Query(mode))
    monkeypatch.setattr(paging, "plan_rows", lambda plan: 1)  # the planner expects few: counted at once
    body = await (await client.get("/searchInstrument/?name=fender&page_size=10")).json()
    assert (body["count"], body["count_exact"]) == (600, True)


async def test_a_count_under_the_limit_is_made_once_for_every_page_of_its_filter(
    aiohttp_client, settings, database_url, monkeypatch,
):
    """A capped count that stays under COUNT_EXACT_LIMIT is exact: the worker keeps it with the other
    values derived from the data, so paging on does not count the same filter again, until the data changes."""
    from .test_cache import _until

    app = await create_app(settings.model_copy(update={"word_cache_ttl_s": 600}))
    client = await aiohttp_client(app)
    await _until(lambda: app[cache.RESPONSES].derived_enabled)
    await insert(database_url, [listing(n, name=f"Fender Stratocaster {n}") for n in range(35)])
    capped, list_count = [], sql.list_count

    def counting(params, cap):
        capped.append(cap)
        return list_count(params, cap)

    monkeypatch.setattr(sql, "list_count", counting)
    monkeypatch.setattr(paging, "plan_rows", lambda plan: 35)  # under the limit: counted at once
    monkeypatch.setattr(sql_search, "_one_pass", lambda *_: False)  # (read in one pass, the page counts)

    async def count(page: int) -> tuple[int, bool]:
        body = await (await client.get(f"/searchInstrument/?name=fender&page_size=10&page={page}")).json()
        return body["count"], body["count_exact"]

    assert [await count(page) for page in (1, 2, 3)] == [(35, True)] * 3
    assert [cap for cap in capped if cap != paging.EXACT_COUNT_CAP] == [1001]  # once, for page 1
    generation = app[cache.RESPONSES].generation
    await insert(database_url, [listing(n, name=f"Fender Jazzmaster {n}") for n in range(35, 40)])
    await _until(lambda: app[cache.RESPONSES].generation > generation)  # the change was heard
    assert await count(2) == (40, True)


async def test_reads_run_with_the_configured_work_mem(aiohttp_client, settings):
    """Big bitmaps (a word with a price ceiling at 5M listings) stay exact only with enough work_mem."""
    client = await aiohttp_client(await create_app(settings.model_copy(update={"work_mem_mb": 48})))
    reads, setting = client.server.app[db.READS], "SELECT current_setting('work_mem')"
    assert [await db.fetchval(reads, sql.Query(setting, generic_plan=generic)) for generic in (True, False)] == ["48MB"] * 2


@pytest.mark.parametrize("page", ["4", "1000"])
async def test_past_the_end_is_404_with_an_estimated_count(capped_client, database_url, page):
    await insert(database_url, [listing(n) for n in range(120)])
    resp = await capped_client.get(f"/listInstrument?page={page}")
    assert resp.status == 404
    assert await resp.json() == {"detail": "Invalid page."}


async def _offset_ids(database_url: str, order: str, where: str, limit: int, offset: int) -> list[int]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            f"SELECT id FROM instrument WHERE {where} ORDER BY {order} LIMIT $1 OFFSET $2", limit, offset
        )
    finally:
        await conn.close()
    return [row["id"] for row in rows]


@pytest.mark.parametrize("filters, where", [
    ("", sql.NOT_EXPIRED),
    ("&category=guitarras&minPrice=100", f"searchsvc_fold(category) = 'guitarras' AND price >= 100 AND {sql.NOT_EXPIRED}"),
])
async def test_deep_pages_hold_the_rows_offset_gives_under_every_sort(
    client, database_url, monkeypatch, filters, where
):
    monkeypatch.setattr(paging, "ANCHOR_MIN_OFFSET", 0)  # let these small pages start from anchors
    await insert(database_url, [varied(n) for n in range(150)])
    size = 7
    for sort, order in sql.SORTS.items():
        # out of order, so later pages start from anchors that earlier visits left
        for page in (9, 4, 10, 5, 1, 12, 2):
            resp = await client.get(f"/listInstrument?sort={sort}&page={page}&page_size={size}{filters}")
            expected = await _offset_ids(database_url, order, where, size, (page - 1) * size)
            if not expected:
                assert resp.status == 404, (sort, page)
                continue
            body = await resp.json()
            assert [r["id"] for r in body["results"]] == expected, (sort, page)


async def test_page_after_the_last_is_404_even_with_anchors(client, database_url, monkeypatch):
    monkeypatch.setattr(paging, "ANCHOR_MIN_OFFSET", 0)
    await insert(database_url, [listing(n) for n in range(30)])
    assert (await client.get("/listInstrument?page_size=10&page=3")).status == 200
    assert (await client.get("/listInstrument?page_size=10&page=4")).status == 404
    assert (await client.get("/listInstrument?page_size=10&page=40")).status == 404


def test_id_order_pages_share_one_sql_text_and_bind_where_they_start():
    first = sql.list_page(ListParams(page=1))
    deep = sql.list_page(ListParams(page=2000), start_id=99_000, skip=50)
    assert first.text == deep.text  # one prepared statement per connection for every page
    assert first.args == (sql.FIRST_ID, 0, 51)
    assert deep.args == (99_000, 50, 51)
    assert "OFFSET $2 LIMIT $3" in deep.text


def test_anchors_give_the_nearest_start_before_an_offset_and_expire():
    anchors = paging.PageAnchors(ttl_s=60)
    anchors.remember("k", 5000, 5100)
    anchors.remember("k", 2000, 2050)
    assert anchors.nearest("k", 4999) == (2000, 2050)
    assert anchors.nearest("k", 7000) == (5000, 5100)
    assert anchors.nearest("k", 1999) == (0, sql.FIRST_ID)
    assert anchors.nearest("other", 7000) == (0, sql.FIRST_ID)
    expired = paging.PageAnchors(ttl_s=0)
    expired.remember("k", 5000, 5100)
    assert expired.nearest("k", 7000) == (0, sql.FIRST_ID)


async def test_a_filter_asked_again_is_then_counted_exactly(counting_client, database_url, monkeypatch):
    monkeypatch.setattr(sql_search, "_one_pass", lambda *_: False)  # (read in one pass, the page counts)
    await insert(database_url, [listing(n, name=f"Fender {n}") for n in range(120)])
    first = await (await counting_client.get("/searchInstrument/?name=fender")).json()
    assert first["count_exact"] is False
    await counting_client.app[paging.PAGE_MEMORY].settle()
    # asked once, it was not counted (a one-off search costs no background count)
    second = await (await counting_client.get("/searchInstrument/?name=fender&page=2")).json()
    assert second["count_exact"] is False
    await counting_client.app[paging.PAGE_MEMORY].settle()  # asked again: the background count
    again = await (await counting_client.get("/searchInstrument/?name=fender")).json()
    assert (again["count"], again["total_pages"], again["count_exact"]) == (120, 3, True)
    other = await (await counting_client.get("/searchInstrument/?name=fender&category=guitarras")).json()
    assert other["count_exact"] is False  # another filter: its own count, not this one


async def test_a_count_cut_by_its_time_limit_is_not_tried_again_at_once(aiohttp_client, settings, database_url):
    client = await aiohttp_client(await create_app(
        settings.model_copy(update={"exact_count_ttl_s": 300, "exact_count_timeout_ms": 50})
    ))
    memory, reads = client.app[paging.PAGE_MEMORY], client.app[db.READS]
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE SEQUENCE count_attempts")
        # a count slower than its limit (as `guitarra`'s at 5M listings): each attempt is numbered, then sleeps
        slow = sql.Query("SELECT CASE WHEN nextval('count_attempts') > 0 THEN (SELECT count(*) FROM pg_sleep(0.5)) END")
        for _ in range(4):  # the filter asked again and again, as a popular search's pages are
            memory.count_later(reads, slow, "filter", 3.0)
            await memory.settle()
        assert await conn.fetchval("SELECT last_value FROM count_attempts") == 1
        assert memory.exact.get("filter") is None  # its pages keep the estimate
    finally:
        await conn.close()


def test_estimates_are_reused_until_they_expire():
    estimates = paging.Counts(ttl_s=60)
    estimates.put(("sql", (1, ("a", "b"))), 5000)
    assert estimates.get(("sql", (1, ("a", "b")))) == 5000
    assert estimates.get(("sql", (2, ("a", "b")))) is None
    off = paging.Counts(ttl_s=0)
    off.put("k", 5000)
    assert off.get("k") is None


async def test_concurrent_requests_for_the_same_work_share_one_run():
    memory = paging.PageMemory.create(anchor_ttl_s=60, estimate_ttl_s=60)
    runs = []

    async def facets():
        runs.append(1)
        await asyncio.sleep(0.05)
        return {"category": ["guitarras"]}

    waiting = [asyncio.ensure_future(memory.once("fender facets", facets)) for _ in range(6)]
    await asyncio.sleep(0.01)
    waiting[0].cancel()  # one client leaves: the others still get the answer
    results = await asyncio.gather(*waiting[1:])
    assert runs == [1] and results == [{"category": ["guitarras"]}] * 5
    assert await memory.once("fender facets", facets) == {"category": ["guitarras"]}
    assert runs == [1, 1]  # finished work is not kept: that is the facet cache's job


async def test_a_search_read_in_one_candidate_pass_is_counted_exactly_by_its_page(capped_client, database_url, monkeypatch):
    """A page whose tiers are read in one candidate pass (few matches, or a filter that leaves few)
    counts its candidates in the same statement (sql.Query.counted): the count is exact above the
    limit too, and no count statement runs. Words keyed by the category, a substring-only match and a
    price range included; a page with more candidates than are matches (keyed words matching more
    than the words: here a phrase) counts as before."""
    rows = [listing(n, name=f"Fender Jazz Bass {n}", category="Bajos", price=Decimal(100 + n)) for n in range(30)]
    rows += [listing(100 + n, name=f"Fender Jazz Bass {n}", category="Guitarras") for n in range(5)]
    rows += [listing(200, name="Precision-fender jazz bass", category="Bajos", price=Decimal(120))]
    rows += [listing(201, name="Bass jazz fender", category="Bajos", price=Decimal(300))]
    await insert(database_url, rows)
    counts = []
    real_list_count = sql.list_count
    monkeypatch.setattr(sql, "list_count", lambda *a: counts.append(a) or real_list_count(*a))
    for query_string, expected in [
        ("name=fender jazz bass&category=Bajos", 32),  # (`precision-fender` holds `fender` as a word too)
        ("name=jazz bass&category=bajos&minPrice=110&maxPrice=300", 22),
        ("name=fender&category=Bajos&page_size=10&page=2", 32),
    ]:
        body = await (await capped_client.get(f"/searchInstrument/?{query_string}")).json()
        assert (body["count"], body["count_exact"]) == (expected, True), query_string
    assert counts == []
    body = await (await capped_client.get('/searchInstrument/?name="fender jazz"&category=Bajos&page_size=10')).json()
    assert body["count_exact"] is False and counts  # its count statement ran: above the limit, estimated
