"""A search within a category reads its words keyed by the category (migration 0019, searchsvc/tsquery.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from searchsvc import tsquery
from searchsvc.app import create_app
from searchsvc.settings import Settings
from searchsvc.validation import fold

from .conftest import expanded_search, fetch, insert, listing


@pytest.mark.parametrize("text, indexable", [
    ("'fender'", ("'fender'", True)),
    ("'strat':*", ("'strat':*", True)),
    ("('korg' | 'korgs') & 'minilogue'", ("(('korg' | 'korgs') & 'minilogue')", True)),
    # a phrase: the words anywhere; a weight: any weight; the tier's own condition then checks rows
    ("('fender':A <-> 'stratocaster':A*)", ("('fender' & 'stratocaster':*)", False)),
    ("'a' <2> 'b'", ("('a' & 'b')", False)),
    # a negation matches almost anything: it drops out, and an OR holding one matches anything
    ("('stratocaster' & 'fender') & !(('stratocaster':A <-> 'fender':A))", ("('stratocaster' & 'fender')", False)),
    ("'minilogue' & !'xd'", ("'minilogue'", False)),
    ("'a' | !'b'", None),
    ("!'a'", None),
    ("'it''s' & 'a\\\\b'", ("('it''s' & 'a\\\\b')", True)),  # quoted lexemes pass through as quoted
])
def test_a_tier_is_looked_up_by_its_plain_words(text, indexable):
    assert tsquery.indexable(text) == indexable


@pytest.mark.parametrize("text", ["'a' &", "('a'", "a", "'a' 'b'", "'a' & 'b')"])
def test_what_is_not_a_tsquery_text_is_refused(text):
    with pytest.raises(ValueError):
        tsquery.indexable(text)


CATEGORIES = ["Teclados", "TECLADOS", "Téclados", "Sintetizadores", "it's \\ & co: 1", "IT'S \\ & CO: 1", "teclado", None]


async def test_the_keyed_words_match_exactly_the_words_within_the_folded_category(database_url):
    """For every category (accents, case, quotes, backslashes, `&`, colons) and tsquery shape, the
    keyed look-up finds every listing the words and category find, and only those when the query
    is plain words."""
    names = ["Korg Minilogue XD", "Minilogue Korg", "korg monologue", "Roland Juno", "Fender Rhodes teclado"]
    rows = [listing(n, name=name, category=category) for n, (name, category) in enumerate(
        (name, category) for name in names for category in CATEGORIES)]
    await insert(database_url, rows)
    queries = [
        "'minilogue'", "'korg' & 'minilogue'", "'korg' <-> 'minilogue'", "'minilogue' & !'xd'",
        "'mini':*", "'roland' | 'rhodes'", "'minilogue':A", "'korg' & !('korg' <-> 'minilogue')",
    ]
    checked = 0
    for text in queries:
        loose, exact = tsquery.indexable(text)
        for category in {c for c in CATEGORIES if c is not None}:
            found = await fetch(database_url, """
                SELECT array_agg(id ORDER BY id) FILTER (WHERE searchsvc_category_words(category, search_vector)
                                                         @@ searchsvc_category_query($1, $3::tsquery)) AS keyed,
                       array_agg(id ORDER BY id) FILTER (WHERE search_vector @@ $2::tsquery
                                                         AND searchsvc_fold(category) = searchsvc_fold($1)) AS matching
                FROM instrument""", category, text, loose)
            keyed, matching = set(found[0]["keyed"] or ()), set(found[0]["matching"] or ())
            assert matching <= keyed, (text, category)
            assert keyed == matching or not exact, (text, category)
            checked += bool(matching)
    assert checked >= 10  # the queries and categories do find listings


async def test_no_category_and_word_spell_another_pair(database_url):
    rows = await fetch(database_url, """
        SELECT searchsvc_category_words('a:b', 'c') @@ searchsvc_category_query('a', $$'b:c'$$) AS a,
               searchsvc_category_words('a', $$'b:c'$$) @@ searchsvc_category_query('a:b', 'c') AS b,
               searchsvc_category_words('a', $$'b:c'$$) @@ searchsvc_category_query('A', $$'b:c'$$) AS same""")
    assert (rows[0]["a"], rows[0]["b"], rows[0]["same"]) == (False, False, True)


@pytest.mark.parametrize("path", ["one pass", "read whole", "probe, then the index"])
async def test_a_search_within_a_category_ranks_alike_on_every_path(aiohttp_client, database_url, monkeypatch, path):
    """The GIN reads of a category search use the keyed words: the same listings, in the same order,
    whichever way its tiers are read, phrase first, exclusions and other categories left out."""
    from searchsvc import sql_search

    rows = [
        listing(n, name=name, category=category, publish=date(2024, 1, 1) + timedelta(days=n))
        for n, (name, category) in enumerate([
            ("Korg Minilogue", "Teclados"), ("Minilogue Korg usado", "TECLADOS"), ("Korg Minilogue XD", "téclados"),
            ("Korg Minilogue", "Sintetizadores"), ("Korg Minilogue bag", None), ("Minilogue", "Teclados"),
            ("Korg Minilogues pack", "teclados"), ("Korg Monologue", "Teclados"),
        ])
    ] + [listing(100 + n, name=f"Yamaha P{n}", category="Teclados") for n in range(40)]
    await insert(database_url, rows)
    if path == "one pass":
        monkeypatch.setattr(sql_search, "_small_tier_rows", lambda *_: 10**9)
    elif path == "read whole":
        monkeypatch.setattr(sql_search, "_small_tier_rows", lambda *_: 10**9)
        monkeypatch.setattr(sql_search, "_one_pass", lambda *_: False)
    else:
        monkeypatch.setattr(sql_search, "_small_tier_rows", lambda *_: -1)
        monkeypatch.setattr(sql_search, "_one_pass", lambda *_: False)
        monkeypatch.setattr(sql_search, "PROBE_ROWS", 5)  # the newest 5 (Yamahas): the probe finds none
        monkeypatch.setattr(sql_search, "PROBE_DENSITY", 0)
    params = await expanded_search(database_url, "korg minilogue", category="teclados")
    assert "searchsvc_category_words(category, search_vector) @@" in sql_search.search_page(params).text
    client = await aiohttp_client(await create_app(Settings(database_url=database_url, pool_min_size=1, pool_max_size=2)))

    async def results(text: str, **filters: str) -> list[dict]:
        resp = await client.get("/searchInstrument/", params={"name": text, **filters})
        assert resp.status == 200, await resp.text()
        return (await resp.json())["results"]

    for text, expected in [
        ("korg minilogue", 4), ("minilogue -xd", 4), ('"korg minilogue"', 2), ("minilogue", 5), ("fender", 0),
    ]:
        within = [r["name"] for r in await results(text, category="Teclados")]
        # the search without a category (search_vector alone), its rows of that category kept
        everywhere = [r["name"] for r in await results(text) if fold(r["category"] or "") == "teclados"]
        assert within == everywhere and len(within) == expected, text
        if expected:  # counted (not known from a short page), within the category
            resp = await client.get("/searchInstrument/", params={"name": text, "category": "Teclados", "page_size": 1})
            body = await resp.json()
            assert (body["count"], body["count_exact"]) == (expected, True), text


@pytest.mark.parametrize("word, share_in_category, read_whole", [
    ("fender", None, True),  # not among the category's common words: rarer than the least of them (0.26%)
    ("korg", 0.00855, False),  # 8,550 of 1M in the category: walking the newest finds a page sooner
    ("roland", 0.0012, True),  # 1,200: fewer than reading them whole costs walks
])
def test_a_word_common_in_the_table_but_rare_in_the_category_is_read_from_its_keys(word, share_in_category, read_whole):
    """`fender` in Teclados (117,000 of 1M listings, none there): the probe of the newest listings
    found nothing, then the index; ANALYZE's counts of the category's words say to read it at once."""
    from searchsvc import query, sql_search
    from searchsvc.params import SearchParams

    listings = 1_000_000
    lexemes = query.WordLexemes((word,), (word,), (word,), (), (), 117_000, 117_000, 117_000, 0)
    shares = {"yamaha": 0.0378} | ({word: share_in_category} if share_in_category else {})
    expansion = query.Expansion({word: lexemes}, listings, category=query.CategoryWords(shares, 0.0026, listings))
    text = sql_search.search_page(SearchParams(name=word, category="Teclados").with_expansion(expansion)).text
    first_tier = text.split("UNION ALL")[0]
    assert ("probe AS MATERIALIZED" not in first_tier) == read_whole
    assert "searchsvc_category_words(category, search_vector) @@" in text


@pytest.mark.parametrize("share_in_category, walked", [
    (0.0118, True),  # `moog` in Sintetizadores: 11,800 there, spread over the newest as over the category
    (None, False),  # not among the category's common words: few there, read whole from the keys
    (0.0030, False),  # 3,000 there: reading them costs less than walking to their newest
])
def test_a_word_common_in_its_category_is_walked_not_read_whole(share_in_category, walked):
    """A filtered tier under listings x depth / probe rows (12,000 at 1M) was read whole: `moog` in
    Sintetizadores read 11,794 listings and rechecked each (125-145 ms; walked 5-13)."""
    from searchsvc import query, sql_search
    from searchsvc.params import SearchParams

    listings = 1_000_000
    lexemes = query.WordLexemes(("moog",), ("moog",), ("moog",), (), (), 11_907, 11_907, 11_907, 0)
    shares = {"yamaha": 0.0378} | ({"moog": share_in_category} if share_in_category else {})
    expansion = query.Expansion(
        {"moog": lexemes}, listings, substring_in_words=True, category=query.CategoryWords(shares, 0.0026, listings),
    )
    text = sql_search.search_page(SearchParams(name="moog", category="Sintetizadores").with_expansion(expansion)).text
    assert ("probe AS MATERIALIZED" in text.split("\n    UNION ALL\n")[0]) == walked
    priced = SearchParams(name="moog", category="Sintetizadores", max_price=500).with_expansion(expansion)
    assert "probe AS MATERIALIZED" not in sql_search.search_page(priced).text.split("\n    UNION ALL\n")[0]


async def test_the_word_look_up_brings_the_category_words_analyze_counted(database_url):
    """The look-up of a search with a category reads the category's common words and their shares
    from the statistics of migration 0019's index (after ANALYZE), and only that category's."""
    rows = [listing(n, name="Yamaha P45", category="Teclados") for n in range(60)]
    rows += [listing(100 + n, name="Fender Jazz Bass", category="Bajos") for n in range(30)]
    rows += [listing(200 + n, name=f"Cosa {n}", category="Otros") for n in range(30)]
    ids = await insert(database_url, rows)  # and ANALYZE
    expansion = (await expanded_search(database_url, "yamaha", category="TECLADOS")).expansion
    words = expansion.category
    assert words is not None and words.listings == 120
    assert words.at_most("yamaha") == 60 and set(words.shares) == set(
        (await fetch(database_url, "SELECT tsvector_to_array(search_vector) AS w FROM instrument WHERE id = $1", ids[0]))[0]["w"]
    )  # Teclados' words, no other category's
    assert words.at_most("fender") <= words.at_most("yamaha")  # the least share listed anywhere: 30 or fewer
    assert (await expanded_search(database_url, "yamaha")).expansion.category is None  # no category asked


@pytest.mark.parametrize("sort", ["newest", "price_asc"])
async def test_other_orders_within_a_category_list_the_same_listings(aiohttp_client, database_url, sort):
    """Sorted by date or price, a search within a category (its words keyed by the category, and
    tested as stored) lists what the search without it lists of that category, in the same order."""
    from decimal import Decimal

    rows = [
        listing(n, name=name, category=category, price=Decimal(100 + 7 * (n % 13)), publish=date(2024, 1, 1) + timedelta(days=n))
        for n, (name, category) in enumerate(
            [("Korg Minilogue", c) for c in ("Teclados", "TECLADOS", "Sintetizadores", None, "téclados")] * 3
            + [("Korg Monologue", "Teclados"), ("Minilogue bag", "Otros")]
        )
    ]
    await insert(database_url, rows)
    client = await aiohttp_client(await create_app(Settings(database_url=database_url, pool_min_size=1, pool_max_size=2)))

    async def names(**params: str) -> list[tuple[str, str]]:
        resp = await client.get("/searchInstrument/", params={"name": "minilogue", "sort": sort, **params})
        assert resp.status == 200, await resp.text()
        return [(r["link"], r["category"]) for r in (await resp.json())["results"]]

    within = await names(category="teclados")
    assert within == [r for r in await names() if fold(r[1] or "") == "teclados"] and len(within) == 9


async def test_a_category_of_any_characters_is_searched_by_its_keys(aiohttp_client, database_url):
    """Quotes, backslashes, `&`, colons and accents in a category reach the keyed words as values:
    the same listings as the category's folded name, never an error."""
    odd = "It's \\ & Co: 1"
    await insert(database_url, [
        listing(1, name="Korg Minilogue", category=odd), listing(2, name="Korg Minilogue", category="it's \\ & co: 1"),
        listing(3, name="Korg Minilogue", category="It's"), listing(4, name="Korg Minilogue XD", category=odd),
        listing(5, name="Yamaha P45", category=odd),
    ])
    client = await aiohttp_client(await create_app(Settings(database_url=database_url, pool_min_size=1, pool_max_size=2)))
    for text, expected in [("minilogue", ["1", "2", "4"]), ("korg minilogue -xd", ["1", "2"]), ('"minilogue xd"', ["4"])]:
        resp = await client.get("/searchInstrument/", params={"name": text, "category": "IT'S \\ & CO: 1", "page_size": 2})
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        assert (body["count"], body["count_exact"]) == (len(expected), True), text
        links = [r["link"].rsplit("/", 1)[1] for r in body["results"]]
        assert set(links) <= set(expected) and len(links) == min(2, len(expected)), text


@pytest.mark.parametrize("word, share_in_category, keyed", [
    ("fender", None, True),  # not among the category's common words: under 0.26%, rare
    ("guitarra", 0.2, False),  # a fifth of all listings: testing each against the keys would cost 4 us
])
def test_counts_and_other_sorts_use_the_keys_only_for_words_rare_in_the_category(word, share_in_category, keyed):
    """A keyed test costs 4 us a listing, a stored `@@` a fraction of that: counts and other sorts
    ask the keys only where the category holds few (sort=newest of `guitarra` in Guitarras: 6.9 ->
    54 ms with the keys); other sorts also test the stored words first, counts only the keys."""
    from searchsvc import query, sql, sql_search
    from searchsvc.params import SearchParams

    listings = 1_000_000
    # as a prefix it stands for itself only (else `fender:*`, whose count the statistics cannot bound)
    lexemes = query.WordLexemes((word,), (word,), (word,), (), (), 117_000, 117_000, 117_000, 0, prefix_words=(word,))
    shares = {"yamaha": 0.0378} | ({word: share_in_category} if share_in_category else {})
    expansion = query.Expansion(
        {word: lexemes}, listings, substring_in_words=True, category=query.CategoryWords(shares, 0.0026, listings),
    )
    params = SearchParams(name=word, category="Teclados").with_expansion(expansion)
    count = sql.search_count(params, 1001).text
    by_date = sql_search.search_page(params.model_copy(update={"sort": "newest"})).text
    assert ("searchsvc_category_words(category, search_vector) @@" in count) == keyed
    assert ("searchsvc_fold(category) = searchsvc_fold(" in count) != keyed  # the keys hold the category
    assert ("searchsvc_category_words(category, search_vector) @@" in by_date) == keyed
    assert "search_vector @@ $" in by_date and "searchsvc_fold(category) = searchsvc_fold(" in by_date


def test_the_generic_page_computes_its_parameters_folded_once_the_count_with_their_values():
    """A generic plan cannot fold searchsvc_fold($n) or the category's keyed query into constants: it
    computed them for every listing it tested (`moog` in Sintetizadores, 11,794 rechecks: 224 -> 84 ms
    at 1M). The relevance page computes them in subqueries, once (sql.of_values); a count, planned with
    its values, keeps the functions, which its plan folds into constants it has statistics for."""
    import re

    from searchsvc import query, sql, sql_search
    from searchsvc.params import SearchParams

    listings = 1_000_000
    lexemes = query.WordLexemes(("fender",), ("fender",), ("fender",), (), (), 117_000, 117_000, 117_000, 0)
    expansion = query.Expansion(
        {"fender": lexemes}, listings, category=query.CategoryWords({"yamaha": 0.0378}, 0.0026, listings),
    )
    params = SearchParams(name="fender", category="Teclados", max_price=500).with_expansion(expansion)
    of_parameters = re.compile(r"(\(SELECT )?searchsvc_(?:fold|category_query)\(\$")
    page, count = sql_search.search_page(params), sql.search_count(params, 1001)
    assert page.generic_plan and not count.generic_plan
    # the category (filters, keyed words), the substring's pattern
    assert len(computed := of_parameters.findall(page.text)) >= 3 and set(computed) == {"(SELECT "}
    assert len(computed := of_parameters.findall(count.text)) >= 2 and set(computed) == {""}


@pytest.mark.parametrize("category, shares, among_newest", [
    ("Bajos", {}, False),  # neither word among Bajos' common words: few there, read from the keys
    ("Guitarras", {"guitarra": 0.10, "electrica": 0.09}, True),  # common there: the phrase among the newest
    (None, {}, True),  # no category: the table's counts
])
def test_a_phrase_whose_words_the_category_holds_few_of_is_read_from_its_keys(category, shares, among_newest):
    """`guitarra electrica` (104,000 of 1M listings) in Bajos, where ANALYZE counts neither word among the
    common ones: its phrase tier was looked for among the newest listings with the category's key, the
    words' and the days' in one GIN scan (15 ms at 1M, for none); the keyed words hold it whole."""
    from searchsvc import query, sql_search
    from searchsvc.params import SearchParams

    listings = 1_000_000
    words = {
        word: query.WordLexemes((word,), (word,), (word,), (), (), 104_076, 104_076, 104_076, 0)
        for word in ("guitarra", "electrica")
    }
    expansion = query.Expansion(
        words, listings, phrase_listings=91_848,
        category=query.CategoryWords({"yamaha": 0.0378} | shares, 0.0026, listings) if category else None,
    )
    params = SearchParams(name="guitarra electrica", category=category).with_expansion(expansion)
    text = sql_search.search_page(params).text
    assert ("phrase_words AS MATERIALIZED" in text or "recent_phrase AS MATERIALIZED" in text) == among_newest
    assert ("searchsvc_category_words(category, search_vector) @@" in text.split("\n    UNION ALL\n")[0]) == (
        category is not None and not among_newest
    )


async def test_a_phrase_read_from_the_keys_or_among_the_newest_gives_the_same_page(aiohttp_client, database_url, monkeypatch):
    """Whichever way the phrase tier of a category search is read (sql_search._few_in_category), the
    same listings in the same order: the phrase first, newest first, then the words in any order."""
    from searchsvc import sql_search

    day = date(2026, 11, 1)
    rows = [listing(n, name=f"Guitarra electrica {n}", category="Guitarras", publish=day - timedelta(days=n % 9))
            for n in range(60)]
    rows += [listing(100 + n, name=name, category=category, publish=day - timedelta(days=n))
             for n, (name, category) in enumerate([
                 ("Guitarra electrica bajo", "Bajos"), ("Bajo electrico y guitarra", "Bajos"),
                 ("Guitarra electrica Squier", "bajos"), ("Electrica guitarra", "Bajos"), ("Bajo Fender", "Bajos"),
             ])]
    await insert(database_url, rows)
    client = await aiohttp_client(await create_app(Settings(
        database_url=database_url, pool_min_size=1, pool_max_size=2, response_cache_ttl_s=0,
    )))

    async def answers() -> list:
        got = []
        for name in ("guitarra electrica", "electrica guitarra"):
            resp = await client.get("/searchInstrument/", params={"name": name, "category": "Bajos"})
            got.append([r["link"].rsplit("/", 1)[1] for r in (await resp.json())["results"]])
        return got

    monkeypatch.setattr(sql_search, "SMALL_TIER_ROWS", 0)  # (this table's counts would read every tier whole)
    ways = []
    for rare in (False, True):
        monkeypatch.setattr(sql_search, "_few_in_category", lambda *_: rare)
        text = sql_search.search_page(await expanded_search(database_url, "guitarra electrica", category="Bajos")).text
        ways.append("phrase_words AS MATERIALIZED" in text or "recent_phrase AS MATERIALIZED" in text)
        got = await answers()
        # the phrase (newest first), the words as typed, their stems (`electrico`); the other order, no phrase
        assert got == [["100", "102", "103", "101"], ["103", "100", "102", "101"]], (rare, got)
    assert ways == [True, False]


def _price_spread():
    """ANALYZE's view of the prices: 64% under 300 (21% under 100), a third from 300 to 1,000, 3% from
    1,000 to 3,000."""
    from searchsvc import prices

    bounds = [300 * i / 64 for i in range(64)] + [300 + 700 * i / 33 for i in range(33)] + [1000, 1666, 2333, 3000]
    return prices.PriceStats("{};{};{" + ",".join(f"{b:.2f}" for b in bounds) + "};0")


SPREAD = _price_spread()


@pytest.mark.parametrize("share_in_category, min_price, max_price, read_whole", [
    (0.006, 300, 1000, True),  # 6,000 there, a third of them in the range: reading them costs less than walking
    (0.015, 300, 1000, False),  # 15,000 there, ~5,000 in the range: walking the newest finds a page sooner
    (0.015, 1000, 3000, True),  # a narrow range of expensive ones: few to read
])
def test_a_tier_the_category_and_range_leave_few_of_is_read_whole(share_in_category, min_price, max_price, read_whole):
    """`guitarra clasica` in Bajos, 300-1000 (its stems: 70,000 of 1M listings, few in Bajos): the tier was
    probed among the newest 5,000 listings, which held one, then read through the index (7.5 + 7.9 ms at
    1M); what the category and the range let through (sql_search._qualifying) is few enough to read."""
    from searchsvc import query, sql_search
    from searchsvc.params import SearchParams

    listings = 1_000_000
    lexemes = query.WordLexemes(("ibanez",), ("ibanez",), ("ibanez",), (), (), 70_000, 70_000, 70_000, 0)
    shares = {"yamaha": 0.0378} | ({"ibanez": share_in_category} if share_in_category else {})
    expansion = query.Expansion(  # (every name holding the text matches the word: no trigram pass to weigh)
        {"ibanez": lexemes}, listings, substring_in_words=True, category=query.CategoryWords(shares, 0.0026, listings),
        prices=SPREAD,
    )
    params = SearchParams(name="ibanez", category="Bajos", min_price=min_price, max_price=max_price)
    page = sql_search.search_page(params.with_expansion(expansion))
    assert ("probe AS MATERIALIZED" not in page.text.split("\n    UNION ALL\n")[0]) == read_whole
    # probed, it is walked only when its probe finds what reading costs less than walking below (3,873
    # at 1M) as a share of the 5,000 newest listings: the range's share was the table's, not the words'
    # (`squier` in Bajos over 500: 1,917 of ~6,800 expected, walked 40,000 listings: 48-77 -> 18-29 ms)
    assert (sql_search._range_walk_min(3873, sql_search.PROBE_ROWS, listings) in page.args) == (not read_whole)


@pytest.mark.parametrize("share_in_category, category, min_price, max_price, walked", [
    (0.0118, "Sintetizadores", 300, None, True),  # 11,800 there, ~4,300 over 300: walking finds a page sooner
    (0.0118, "Sintetizadores", 1000, 3000, False),  # ~360 in a narrow range of dear ones: few to read
    (None, "Sintetizadores", 300, None, False),  # not among the category's common words: few there
    (None, None, 300, None, True),  # a range alone: ~4,300 of the word's 11,907 listings in it
])
def test_a_tier_the_range_leaves_many_of_is_walked_if_its_probe_confirms_it(
    share_in_category, category, min_price, max_price, walked,
):
    """`moog` in Sintetizadores over 500 (11,907 listings, under the 12,000 a filtered tier is read
    whole below at 1M): read whole, 8,904 listings in 42-47 ms; walked, 12. Walked only when the
    probe finds at least what reading costs less below (3,873 at 1M) as a share of its 5,000 newest
    listings: 20, not the usual 9 (the range's share is the table's, not the word's)."""
    import math

    from searchsvc import query, sql_search
    from searchsvc.params import SearchParams

    listings = 1_000_000
    lexemes = query.WordLexemes(("moog",), ("moog",), ("moog",), (), (), 11_907, 11_907, 11_907, 0)
    shares = {"yamaha": 0.0378} | ({"moog": share_in_category} if share_in_category else {})
    expansion = query.Expansion(
        {"moog": lexemes}, listings, substring_in_words=True, category=query.CategoryWords(shares, 0.0026, listings),
        prices=SPREAD,
    )
    params = SearchParams(name="moog", category=category, min_price=min_price, max_price=max_price)
    page = sql_search.search_page(params.with_expansion(expansion))
    assert ("probe AS MATERIALIZED" in page.text.split("\n    UNION ALL\n")[0]) == walked
    confirming = math.ceil(3873 * sql_search.PROBE_ROWS / listings)
    assert (confirming in page.args) == walked
    assert math.ceil(sql_search.WALK_MIN_SHARE * 60) not in page.args


@pytest.mark.parametrize("held_in_words, walked", [
    (False, True),  # names holding `zork` otherwise: one pass would recheck each through the trigram index
    (True, False),  # every name holding it matches its words: one pass reads them at the usual cost
])
def test_a_priced_tier_is_walked_sooner_when_one_pass_would_recheck_names(held_in_words, walked):
    """`boss ds-1` under 200 (11,855 listings, ~2,200 expected in the range, under the 3,873 reading
    costs less than walking below at 1M): its one candidate pass through the trigram index rechecked
    each name holding the text, 56 ms; walked, 4.5 (sql_search.RECHECKED_COST)."""
    from searchsvc import query, sql_search
    from searchsvc.params import SearchParams

    listings = 1_000_000
    lexemes = query.WordLexemes(("zork",), ("zork",), ("zork",), (), (), 11_855, 11_855, 11_855, 0)
    expansion = query.Expansion({"zork": lexemes}, listings, substring_in_words=held_in_words, prices=SPREAD)
    page = sql_search.search_page(SearchParams(name="zork", max_price=100).with_expansion(expansion))
    assert ("probe AS MATERIALIZED" in page.text.split("\n    UNION ALL\n")[0]) == walked
