"""Publish-date blocks (migration 0018, searchsvc/recency.py): a tier's newest matches read from a span of days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from searchsvc import query, recency, sql_search
from searchsvc.app import create_app
from searchsvc.settings import Settings

from .conftest import expanded_search, fetch, insert, listing
from .test_search_quality import walked_rows


async def test_a_span_holds_exactly_the_days_from_its_first_on(database_url):
    """The database's blocks of a date and the blocks Python asks for agree at every boundary."""
    firsts = [date(2000, 1, 1), date(2026, 10, 11), date(2026, 10, 16), date(2024, 1, 1), date(2179, 6, 6)]
    probes = [
        first + timedelta(days=delta) for first in firsts
        for delta in (-4097, -513, -65, -9, -8, -1, 0, 1, 7, 8, 63, 64, 511, 4096, 40000)
    ] + [date(1950, 1, 1), date(2300, 1, 1)]
    for first in firsts:
        rows = await fetch(
            database_url, "SELECT d, searchsvc_publish_blocks(d) && $1::integer[] AS inside FROM unnest($2::date[]) AS d",
            list(recency.span(first)), probes + [None],
        )
        inside = {r["d"]: r["inside"] for r in rows}
        # dates before 2000 count as its first day, after 2179-06-06 as that day: the order is kept
        expected = {d: recency.day_number(d) >= recency.day_number(first) for d in probes}
        assert {d: inside[d] for d in probes} == expected, first
        assert inside[None] is False  # an undated listing is in no span: it ranks after every dated one


def test_the_statistics_give_the_day_the_newest_share_starts():
    # 10% on Oct 31, 5% on Oct 30; 80% spread over three histogram buckets; 5% undated
    stats = recency.PublishStats("{2026-10-31,2026-10-30};{0.1,0.05};{2026-01-01,2026-05-01,2026-09-01,2026-10-29};0.05")
    assert stats.newest_from(0.05) == date(2026, 10, 31)
    assert stats.newest_from(0.1) == date(2026, 10, 31)
    assert stats.newest_from(0.12) == date(2026, 10, 30)
    # the last bucket (Sep 1 - Oct 29) holds 26.7%: from its start on, 15% + 26.7%
    assert stats.newest_from(0.3) == date(2026, 9, 1)
    assert stats.newest_from(0.5) == date(2026, 5, 1)
    assert stats.newest_from(0.94) == date(2026, 1, 1)
    assert stats.newest_from(0.96) is None  # more than all dated listings: no span
    assert recency.stats_from_text(None) is None


async def test_the_statistics_read_with_the_word_look_up_match_the_table(database_url):
    rows = [listing(n, name=f"Fender {n}", publish=date(2026, 1, 1) + timedelta(days=n // 10)) for n in range(1000)]
    await insert(database_url, rows)  # analyzed: 100 days of 10 listings
    stats = (await expanded_search(database_url, "fender")).expansion.publish
    for share in (0.05, 0.2, 0.5):
        since = stats.newest_from(share)
        newer = (await fetch(database_url, "SELECT count(*) FROM instrument WHERE publish >= $1", since))[0][0]
        assert share * 1000 <= newer <= share * 1000 + 10  # the day from which that share starts


@pytest.fixture
async def pages(aiohttp_client, database_url, monkeypatch):
    """The search's pages 1 and 2 as names, read as on a big table (small tiers, no one pass)."""
    monkeypatch.setattr(sql_search, "_small_tier_rows", lambda *_: 10**9)
    monkeypatch.setattr(sql_search, "_one_pass", lambda *_: False)
    client = await aiohttp_client(await create_app(Settings(database_url=database_url, pool_min_size=1, pool_max_size=2)))

    async def read(name: str) -> list[list[str]]:
        found = []
        for page in (1, 2):
            resp = await client.get("/searchInstrument/", params={"name": name, "page": str(page)})
            found.append([r["name"] for r in (await resp.json())["results"]])
        return found

    return read


@pytest.mark.parametrize("layout", [
    "even",  # a third of the listings of every day hold the word: the newest days hold the page
    "old",  # the word's listings are older than the span the statistics give: read whole after it
])
async def test_a_tier_read_from_its_newest_days_ranks_as_the_whole_tier(pages, database_url, monkeypatch, layout):
    start = date(2020, 1, 1)
    if layout == "even":
        rows = [listing(n, name=f"Fender Stratocaster {n}" if n % 3 == 0 else f"Yamaha Pacifica {n}",
                        publish=start + timedelta(days=n)) for n in range(600)]
    else:
        rows = [listing(n, name=f"Fender Stratocaster {n}", publish=start + timedelta(days=n)) for n in range(150)] + [
            listing(n, name=f"Yamaha Pacifica {n}", publish=start + timedelta(days=n)) for n in range(150, 600)]
    rows += [listing(n, name=f"Fender Jazzmaster {n}", publish=None) for n in range(600, 610)]  # undated: last
    await insert(database_url, rows)
    monkeypatch.setattr(sql_search, "SPAN_MAX_SHARE", 0.0)  # no span: every tier read whole
    whole = await pages("fender")
    monkeypatch.setattr(sql_search, "SPAN_MAX_SHARE", 1.0)  # a span whatever its share of this small table
    assert "span AS MATERIALIZED" in sql_search.search_page(await expanded_search(database_url, "fender")).text
    span = await walked_rows(database_url, "fender", cte="span")
    assert span == [60] if layout == "even" else sum(span) < 60  # the page from the span / too few: read whole
    assert await pages("fender") == whole
    found = whole[0] + whole[1]
    expected_newest = "Fender Stratocaster 597" if layout == "even" else "Fender Stratocaster 149"
    assert found[0] == expected_newest and len(found) == 100


def test_only_tiers_a_probe_cannot_fill_nor_filtered_ones_get_a_span():
    """A rare tier (read whole) and a lone word the newest listings hold too few of (walked) get a
    span; a common word (the probe fills the page) and a filtered search (the filters thin a span
    out unpredictably) do not."""
    from multidict import MultiDict

    from searchsvc.params import SearchParams, parse

    stats = recency.PublishStats("{};{};{2020-01-01,2026-10-31};0")
    lexemes = query.WordLexemes(("minilogue",), ("minilogu",), ("minilog",), (), (), 7943, 7943, 7943, 0)
    common = query.WordLexemes(("guitarra",), ("guitarr",), ("guitarra",), (), (), 240_000, 240_000, 240_000, 0)

    def spans(qs: dict[str, str], words: dict[str, query.WordLexemes], known=stats) -> bool:
        params = parse(SearchParams, MultiDict(qs))
        page = sql_search.search_page(params.with_expansion(query.Expansion(words, 1_000_000, True, known)))
        return "span AS MATERIALIZED" in page.text

    assert spans({"name": "minilogue"}, {"minilogue": lexemes})
    assert not spans({"name": "guitarra"}, {"guitarra": common})
    assert not spans({"name": "minilogue", "category": "Teclados"}, {"minilogue": lexemes})
    assert not spans({"name": "minilogue"}, {"minilogue": lexemes}, known=None)  # never analyzed


def test_a_phrase_is_read_from_the_newest_days_unless_the_newest_listings_hold_pages_of_it():
    """Two words: the phrase among the newest listings comes from their days' span, except when the
    rarer word is so common that the probe fills the page after a fraction of its listings."""
    from multidict import MultiDict

    from searchsvc.params import SearchParams, parse

    stats = recency.PublishStats("{};{};{2020-01-01,2026-10-31};0")

    def word(text: str, ndoc: int) -> query.WordLexemes:
        return query.WordLexemes((text,), (text,), (text,), (), (), ndoc, ndoc, ndoc, 0)

    def reads(first: tuple[str, int], second: tuple[str, int], phrase: int | None = None, listings: int = 1_000_000) -> str:
        params = parse(SearchParams, MultiDict({"name": f"{first[0]} {second[0]}"}))
        words = {first[0]: word(*first), second[0]: word(*second)}
        expansion = query.Expansion(words, listings, False, stats, phrase_listings=phrase)
        page = sql_search.search_page(params.with_expansion(expansion)).text
        return "span" if "phrase_span AS MATERIALIZED" in page else "probe" if "phrase_probe AS MATERIALIZED" in page else "-"

    # 30,000 listings hold `stratocaster`: 150 among the newest 5,000, under 5 pages of 60
    assert reads(("fender", 118_000), ("stratocaster", 30_000)) == "span"
    # 175,000 hold `electrica`: ~880 among the newest 5,000, the probe stops early
    assert reads(("guitarra", 240_000), ("electrica", 175_000)) == "probe"
    assert reads(("guitarra", 240_000), ("electrica", 175_000), phrase=92_000) == "probe"  # ~460 phrases there
    # ... but if only 3,000 names hold `bajo fender`, the newest 5,000 hold 15 of them: the probe would walk on
    assert reads(("bajo", 72_000), ("fender", 118_000), phrase=3_000) == "span"
    assert reads(("bajo", 72_000), ("fender", 118_000)) == "probe"
    # 100,000 listings: the walk's span (8 x 5,000) would pass 15% of them; the phrase is still read from
    # the newest days, the wider span cut at 15%
    assert reads(("fender", 11_800), ("stratocaster", 3_000), listings=100_000) == "span"
    # 20,000: the newest 5,000 alone are a quarter of the table (probed, however rare the phrase)
    assert reads(("fender", 10_000), ("stratocaster", 6_000), phrase=10, listings=20_000) == "probe"


async def test_the_word_look_up_counts_the_names_holding_two_words_as_a_phrase(database_url):
    """Two typed words: how many names hold them in that order, from the suggestions' phrases."""
    await insert(database_url, [listing(n, name=f"Bajo Fender Jazz {n}") for n in range(4)] + [
        listing(4 + n, name=f"Fender bajo {n}") for n in range(3)])
    await fetch(database_url, "SELECT searchsvc_refresh_suggestions()")
    assert (await expanded_search(database_url, "bajo fender")).expansion.phrase_listings == 4
    assert (await expanded_search(database_url, "FENDER Bajo")).expansion.phrase_listings == 3
    assert (await expanded_search(database_url, "jazz bajo")).expansion.phrase_listings is None  # no name holds it
    # a word that matches nothing counts as its near spellings
    assert (await expanded_search(database_url, "bajo fendr")).expansion.phrase_listings == 4
    assert (await expanded_search(database_url, "bajo fender jazz")).expansion.phrase_listings is None  # not two words
