"""GET /searchInstrument: the old backend's substring guarantee, relevance order, validation."""

import pytest

from .conftest import assert_rejected, expanded_search, fetch, insert, listing


async def _links(client, query: str) -> list[str]:
    resp = await client.get(f"/searchInstrument/?{query}")
    assert resp.status == 200, await resp.text()
    return [r["link"].rsplit("/", 1)[1] for r in (await resp.json())["results"]]


async def test_every_name_containing_the_text_is_found(client, database_url):
    names = [
        "Guitarra Fender Stratocaster", "FENDER jazz bass", "Amplificador Fender-Twin", "Telecaster (fender)",
        "Fenderson drums", "Gibson Les Paul", "Pedal Boss DS-1", "xxFENDERxx vintage",
    ]
    await insert(database_url, [listing(n, name=name) for n, name in enumerate(names)])
    found = await _links(client, "name=fender")
    expected = {str(n) for n, name in enumerate(names) if "fender" in name.lower()}
    assert expected <= set(found)
    assert "5" not in found and "6" not in found


async def test_substring_with_like_wildcards_is_literal(client, database_url):
    await insert(database_url, [
        listing(1, name="Oferta 100% original"), listing(2, name="Oferta 1000 original"), listing(3, name="Pedal axb"),
    ])
    assert await _links(client, "name=100%25") == ["1"]
    assert await _links(client, "name=a_b") == []


async def test_whole_words_rank_above_partial_matches(client, database_url):
    await insert(database_url, [
        listing(1, name="Fenderson bass amp"),
        listing(2, name="Guitarra Fender Stratocaster"),
        listing(3, name="Stratocaster copy, not a Fender"),
        listing(4, name="Fender"),
    ])
    found = await _links(client, "name=fender stratocaster")
    assert found[0] == "2"  # the phrase itself
    assert found[1] == "3"  # both words, not as a phrase
    assert await _links(client, "name=fender") in (["4", "2", "3", "1"], ["4", "3", "2", "1"])


async def test_search_filters_combine_with_the_text(client, database_url):
    from decimal import Decimal

    await insert(database_url, [
        listing(1, name="Korg Minilogue", category="teclados", price=Decimal("400")),
        listing(2, name="Korg Minilogue XD", category="sintetizadores", price=Decimal("550")),
        listing(3, name="Korg Minilogue", category="teclados", price=Decimal("900")),
    ])
    assert sorted(await _links(client, "name=minilogue&category=Teclados")) == ["1", "3"]
    assert await _links(client, "name=minilogue&category=teclados&maxPrice=500") == ["1"]
    assert await _links(client, "name=minilogue&minPrice=500&maxPrice=Infinity&sort=price_asc") == ["2", "3"]


async def test_search_pages_keep_the_name_in_neighbour_urls(client, database_url):
    from yarl import URL

    await insert(database_url, [listing(n, name=f"Bajo Yamaha {n}") for n in range(60)])
    body = await (await client.get("/searchInstrument/?name=bajo")).json()
    assert body["count"] == 60 and body["total_pages"] == 2
    assert dict(URL(body["next"]).query) == {"name": "bajo", "page": "2"}
    assert (await client.get("/searchInstrument/?name=bajo&page=3")).status == 404


@pytest.mark.parametrize("query", ["", "name=", "name=%20%20", "name=" + "x" * 501])
async def test_missing_blank_or_overlong_name_is_400(client, query):
    await assert_rejected(await client.get(f"/searchInstrument?{query}"), "name")


@pytest.mark.parametrize("text", ["'", '"', "&|!", "a:*", "<->", "\\", "%00", "😀🎸", "drop table instrument;--"])
async def test_odd_text_is_searched_never_an_error(client, database_url, text):
    await insert(database_url, [listing(1, name="Guitarra")])
    resp = await client.get("/searchInstrument", params={"name": text})
    assert resp.status == 200, await resp.text()


@pytest.mark.parametrize("sort", ["relevance", "id", "price_asc", "newest"])
async def test_text_without_letters_finds_recent_names_containing_it(client, database_url, sort):
    await insert(database_url, [listing(1, name="¡¡Chollo!! Fender Jazz Bass"), listing(2, name="Fender Jazz Bass")])
    assert await _links(client, f"name=!!&sort={sort}") == ["1"]


def test_text_without_a_trigram_is_not_looked_up_in_the_whole_table():
    from multidict import MultiDict

    from searchsvc import sql, sql_search
    from searchsvc.params import SearchParams, parse

    for text in ['""', "!!", "¿?"]:
        params = parse(SearchParams, MultiDict({"name": text, "sort": "id"}))
        page, count = sql_search.search_page(params), sql.search_count(params, 1000)
        for query in (page, count):
            assert f"ORDER BY {sql.TIER_ORDER} LIMIT 1000" in query.text, text  # the rank index: newest first
    params = parse(SearchParams, MultiDict({"name": "!!fender", "sort": "id"}))
    assert "LIMIT 1000)" not in sql_search.search_page(params).text


async def test_total_pages_never_points_past_the_deepest_page_served(client, database_url):
    from searchsvc.sql_search import RELEVANCE_MAX_DEPTH

    rows = RELEVANCE_MAX_DEPTH + 10
    await insert(database_url, [listing(n, name=f"Bajo Yamaha {n}") for n in range(rows)])
    body = await (await client.get("/searchInstrument/?name=bajo&page_size=100")).json()
    assert body["total_pages"] == RELEVANCE_MAX_DEPTH // 100
    last = await client.get(f"/searchInstrument/?name=bajo&page_size=100&page={body['total_pages']}")
    assert last.status == 200 and len((await last.json())["results"]) == 100
    assert (await client.get(f"/searchInstrument/?name=bajo&page_size=100&page={body['total_pages'] + 1}")).status == 404


@pytest.mark.parametrize("sort", ["relevance", "price_asc", "newest"])
async def test_a_word_and_its_own_exclusion_match_only_the_literal_text(client, database_url, sort):
    await insert(database_url, [
        listing(1, name="Fender Jazz Bass"), listing(2, name="Bass fender -fender edition"), listing(3, name="Jazz"),
    ])
    assert await _links(client, f"name=fender%20-fender&sort={sort}") == ["2"]
    # and no word condition the planner could not see is empty (a 2 s walk of a sort index at 1M)
    from searchsvc import sql_search
    from searchsvc.params import SearchParams

    assert "@@" not in sql_search.search_page(SearchParams(name="fender -fender", sort=sort)).text


async def test_a_word_glued_to_digits_is_found_by_its_unaccented_spelling(client, database_url):
    # `Año2020edición` is one token of letters and digits: its lexeme keeps the accents, the folded
    # name does not; no word is close enough to `ano2020` to be its typo: only the substring finds it
    await insert(database_url, [listing(1, name="Calendario Año2020edición Yamaha"), listing(2, name="Yamaha ano 2020")])
    assert await _links(client, "name=ano2020") == ["1"]


async def test_a_one_word_search_skips_the_substring_tier_only_when_no_other_word_holds_the_text(client, database_url):
    from searchsvc import sql, sql_search

    await insert(database_url, [
        listing(1, name="Korg Minilogue"), listing(2, name="Minilogue-XD bass"), listing(3, name="Roland Juno"),
    ])
    assert sorted(await _links(client, "name=minilogue")) == ["1", "2"]
    await insert(database_url, [listing(4, name="Korg xminilogue clone")])
    assert sorted(await _links(client, "name=minilogue")) == ["1", "2", "4"]

    async def page_and_count_text(name: str) -> str:
        params = await expanded_search(database_url, name)
        return sql_search.search_page(params).text + sql.search_count(params, 1000).text

    assert "LIKE" in await page_and_count_text("minilogue")  # `xminilogue` holds it
    assert "LIKE" not in await page_and_count_text("juno")  # only the word itself


async def test_several_words_skip_the_substring_tier_only_when_no_longer_word_ends_the_first_or_begins_the_last(
    client, database_url,
):
    """`korg minilogue` inside a name: between the spaces only those words; the first may end a
    longer word and the last begin one, so only such words (in search_word) make the substring tier
    worth reading (at 1M it was 15-26 ms of trigram index for a search with few results)."""
    from searchsvc import sql, sql_search

    await insert(database_url, [
        listing(1, name="Korg Minilogue XD"), listing(2, name="Körg minilogues pack"), listing(3, name="Roland Juno"),
        listing(4, name="Calendario Año2020 Yamaha"),
    ])

    async def page_and_count_text(name: str) -> str:
        params = await expanded_search(database_url, name)
        return sql_search.search_page(params).text + sql.search_count(params, 1000).text

    assert sorted(await _links(client, "name=korg minilogue")) == ["1", "2"]
    assert "LIKE" not in await page_and_count_text("korg minilogue")  # `minilogues` begins with the last: a prefix
    # a last word of one letter is no prefix: `minilogue x` is inside "Minilogue XD" only as a substring
    assert "LIKE" in await page_and_count_text("minilogue x")
    assert await _links(client, "name=minilogue x") == ["1"]
    # a word glued to digits keeps its accents as a lexeme: only the folded name holds `ano2020`
    assert await _links(client, "name=ano2020 yamaha") == ["4"]
    assert "LIKE" in await page_and_count_text("ano2020 yamaha")
    await insert(database_url, [listing(5, name="Microkorg minilogue bundle")])  # ends with the first word
    assert "LIKE" in await page_and_count_text("korg minilogue")
    assert sorted(await _links(client, "name=korg minilogue")) == ["1", "2", "5"]


async def test_names_holding_the_text_inside_a_longer_word_are_found_through_that_word(client, database_url):
    """`moog` inside "Minimoog": no word of the search matches such a name, its text does (the old
    backend's substring guarantee). The few indexed words holding the text (query.Expansion.
    substring_words: `micromoog`, `minimoog`) are read through the words' index beside the search's
    own (sql.holding_words): in the page, its count and facets, in every sort, within a category and
    a price range, whether the category holds few or many of the words. Found by the words they are
    in, not by the trigram index: where those words grow, so do the answers."""
    rows = [
        listing(1, name="Moog Sub 37", category="Sintetizadores", price=900),
        listing(2, name="Minimoog Model D", category="Sintetizadores", price=2500),
        listing(3, name="Micromoog vintage", category="Sintetizadores", price=300),
        listing(4, name="Roland Juno moo g", category="Sintetizadores", price=700),
        listing(5, name="Minimoog poster", category="Teclados", price=20),
        listing(6, name="Moog Grandmother", category="sintetizadores", price=800),
    ]
    rows += [listing(100 + n, name=f"Korg Minilogue {n}", category="Sintetizadores", price=400) for n in range(30)]
    await insert(database_url, rows)
    params = await expanded_search(database_url, "moog")
    assert params.expansion.substring_words == ("micromoog", "minimoog")
    searches = [
        ("name=moog", {"1", "2", "3", "5", "6"}),
        ("name=MOOG&category=Sintetizadores", {"1", "2", "3", "6"}),
        ("name=moog&category=Sintetizadores&minPrice=500", {"1", "2", "6"}),
        ("name=moog&minPrice=100&maxPrice=1000", {"1", "3", "6"}),
        ("name=moog&category=Teclados", {"5"}),
    ]
    for search, expected in searches:
        for sort in ("relevance", "price_asc", "newest"):
            resp = await client.get(f"/searchInstrument/?{search}&sort={sort}&facets=website")
            body = await resp.json()
            assert resp.status == 200, body
            assert {r["link"].rsplit("/", 1)[1] for r in body["results"]} == expected, (search, sort)
            assert body["count"] == len(expected), (search, sort)
            assert sum(f["count"] for f in body["facets"]["website"]) == len(expected), (search, sort)
    # a word holding the text that no listing held before: the look-up finds it, the search too
    await insert(database_url, [listing(7, name="Supermoogy pedal", category="Efectos", price=150)])
    assert "supermoogy" in (await expanded_search(database_url, "moog")).expansion.substring_words  # (and its stems)
    assert {"1", "2", "3", "5", "6", "7"} == set(await _links(client, "name=moog"))


async def test_a_substring_held_by_words_whose_stored_form_keeps_its_accents_is_found(client, database_url):
    """A token of letters and digits keeps its accents as a lexeme (`año2020edición`), where the folded
    name does not: the words holding `2020edicion` are looked for by their folded form too."""
    await insert(database_url, [
        listing(1, name="Calendario Año2020edición Yamaha"), listing(2, name="Yamaha 2020 edicion"),
        listing(3, name="Libro 2020edicionES"),
    ])
    params = await expanded_search(database_url, "2020edicion")
    assert "año2020edición" in params.expansion.substring_words
    assert sorted(await _links(client, "name=2020edicion")) == ["1", "3"]
    assert sorted(await _links(client, "name=2020edicion&sort=price_asc")) == ["1", "3"]


async def test_a_search_through_the_words_holding_its_text_is_estimated_as_the_planner_sees_names(database_url):
    """The planner cannot see into the test sql.words_holding makes of each listing (a function, a third of
    the rows to it): the estimate that decides whether to count asks for the words or the names
    holding the text, as it estimates them from its statistics; the count itself reads the words."""
    from searchsvc import sql

    await insert(database_url, [listing(n, name=f"Moog Sub {n}") for n in range(30)] + [listing(99, name="Minimoog")])
    params = await expanded_search(database_url, "moog")
    assert sql.holding_words(params) == "'minimoog'"
    estimate, count = sql.count_estimate(params), sql.search_count(params, 1001)
    assert "ts_match_vq" not in estimate.text and "'minimoog'" not in estimate.args
    assert "ts_match_vq" in count.text
    assert (await fetch(database_url, count.text, *count.args))[0][0] == 31


def test_too_many_words_holding_the_text_are_left_to_the_trigram_index():
    from searchsvc import query, sql
    from searchsvc.params import SearchParams

    rows = [{
        "word": "les", "literal": ["les"], "spanish": [], "english": [], "synonyms": "[]", "fuzzy": [], "prefix_words": None,
        "literal_ndoc": 5, "prefix_ndoc": 5, "forgiving_ndoc": 5, "fuzzy_ndoc": 0, "listings": 100, "publish_stats": None,
        "price_stats": None, "category_floor": None, "category_words": None, "category_shares": None,
        "substring_words": [f"word{n}les" for n in range(count)],
    } for count in (query.SUBSTRING_WORDS_MAX, query.SUBSTRING_WORDS_MAX + 1)]
    few, many = (query.expansion_from_rows([row]) for row in rows)
    assert len(few.substring_words) == query.SUBSTRING_WORDS_MAX and not few.substring_in_words
    assert many.substring_words is None and not many.substring_in_words
    assert sql.holding_words(SearchParams(name="les").with_expansion(few)).count("|") == query.SUBSTRING_WORDS_MAX - 1
    assert sql.holding_words(SearchParams(name="les").with_expansion(many)) is None


async def test_a_page_tried_from_its_first_tier_alone_is_the_whole_statements_page(aiohttp_client, database_url, monkeypatch):
    """A phrase expected to fill page 1 is read alone first (sql_search._first_try_tiers, Query.first_try):
    when it fills the page, that is the page; when it falls short, the whole statement's page is. The
    answers must be the same as reading the whole statement at once, whichever happens."""
    from datetime import date, timedelta

    from searchsvc import sql_search
    from searchsvc.app import create_app
    from searchsvc.settings import Settings

    day = date(2026, 11, 1)
    rows = [listing(n, name=f"Fender Stratocaster {n}", publish=day - timedelta(days=n % 30)) for n in range(70)]
    rows += [listing(100 + n, name=f"Stratocaster Fender {n}", publish=day) for n in range(30)]
    rows += [listing(200 + n, name=f"Fender Stratocaster Telecaster copia {n}", publish=day) for n in range(20)]
    rows += [listing(300 + n, name=f"Gibson Les Paul {n}", publish=day) for n in range(8)]
    rows += [listing(400 + n, name=f"Les Paul Gibson {n}", publish=day) for n in range(60)]
    await insert(database_url, rows)
    client = await aiohttp_client(await create_app(Settings(
        database_url=database_url, pool_min_size=1, pool_max_size=2, response_cache_ttl_s=0,
    )))

    async def answers() -> list:
        got = []
        for name in ("fender stratocaster", "gibson les paul", "stratocaster fender", "telecaster"):
            for page in ("1", "2"):
                resp = await client.get("/searchInstrument/", params={"name": name, "page_size": "20", "page": page})
                body = await resp.json()
                got.append((name, page, resp.status, body.get("count"), [r["id"] for r in body.get("results", [])]))
        return got

    tried = []
    real = sql_search.search_page

    def spied(params):
        page = real(params)
        tried.append(page.first_try is not None)
        return page

    monkeypatch.setattr(sql_search, "search_page", spied)
    whole = None
    for tiers in (0, 1, 2):  # every page of several tiers tries its first one or two
        monkeypatch.setattr(sql_search, "_first_try_tiers", lambda *_: tiers)
        got = await answers()
        whole = whole or got
        assert got == whole, tiers
    assert any(tried)



async def test_tiers_whose_typed_words_no_listing_holds_are_left_out_and_nothing_is_lost(client, database_url, monkeypatch):
    """A phrase or literal tier whose bound is 0 (query.Tiers.empty: a typed word, as typed, is in no
    listing) is left out of the statement; the pages must be those of the statement with every tier.
    The words here are typos, a prefix (`strat`: only the phrase tier, which takes prefixes, holds it),
    a stem (`guitarras`) and nothing at all."""
    import dataclasses

    from searchsvc import query, sql, sql_search

    rows = [listing(n, name=f"Fender Stratocaster {n}") for n in range(30)]
    rows += [listing(100 + n, name=f"Stratocaster Fender copia {n}") for n in range(10)]
    rows += [listing(200 + n, name=f"Guitarra clasica {n}") for n in range(12)]
    rows += [listing(300, name="Cuerdas para guitarra acustica"), listing(301, name="Fenderstrat replica")]
    await insert(database_url, rows)
    searches = ("fendr stratocastr", "fender strat", "guitarra", "guitarras", "stratocastr fender", "zqxj fender")

    async def answers() -> list:
        got = []
        for name in searches:
            for page in ("1", "2"):
                resp = await client.get("/searchInstrument/", params={"name": name, "page_size": "10", "page": page})
                body = await resp.json()
                got.append((name, page, resp.status, body.get("count"), [r["id"] for r in body.get("results", [])]))
        return got

    def every_tier(tiers: query.Tiers | None) -> query.Tiers | None:
        return tiers and dataclasses.replace(tiers, empty=())

    shorter = []  # the statement is shorter than the one with every tier
    for name in searches:
        params = await expanded_search(database_url, name)
        text = sql_search.search_page(params).text
        with monkeypatch.context() as patch:
            patch.setattr(sql_search, "search_tiers", lambda p: every_tier(sql.search_tiers(p)))
            shorter.append(len(text) < len(sql_search.search_page(params).text))
    assert shorter == [True, True, False, True, True, True]  # `guitarra`: every tier may hold listings
    sql._tiers.cache_clear()  # (the tiers of an expansion are kept: sql._tiers)
    left_out = await answers()
    real_tiers = query.tiers
    monkeypatch.setattr(query, "tiers", lambda *args: every_tier(real_tiers(*args)))
    sql._tiers.cache_clear()
    assert left_out == await answers()
    found = {name: count for name, page, _, count, _ in left_out if page == "1"}
    assert found == {
        "fendr stratocastr": 40, "fender strat": 40, "guitarra": 13, "guitarras": 13, "stratocastr fender": 40, "zqxj fender": 0,
    }, found
    sql._tiers.cache_clear()
