"""Pure functions turning request parameters into parameterised SQL (no I/O here).

Values always travel as bound `$n` arguments; the only text pasted into SQL comes from the
constants and whitelists of this module.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any

from . import query, recency, tsquery
from .params import ListParams, SearchParams


# Generic plans: statements whose plan does not depend on their values (Query.generic_plan) run on
# connections planning each statement once (db: the generic pools, plan_cache_mode
# force_generic_plan), instead of planning it with its values every time as every other statement
# is (db.connection_settings): the word look-up (primary-key and trigram look-ups in search_word),
# did-you-mean, and the relevance page, whose shape search_page already chose from the words' counts
# (which tiers, probed or read through the GIN index). Planning the page cost 0.6-1.8 ms a search at
# 1M; over 200 searches (ops/bench/plan_mode) 175 were faster with generic plans, mean -6%, the worst
# 1.4x slower (ops/bench/EXPLAIN.md, session 3). Lists and other sorts keep custom plans: their
# LIMIT, OFFSET and category values decide between index and sort. Separate connections, not SET
# LOCAL: that took a transaction, 3 more round trips per statement (EXPLAIN.md, session 4).
@dataclass(frozen=True)
class Query:
    text: str
    args: tuple[Any, ...] = ()
    generic_plan: bool = False  # run on connections that plan it once, without its values: see above


LISTING_COLUMNS = "id, name, price, link, image, location, category, expiration, publish, website"
# What ranking reads of each candidate (the window order: publish, id, name's word count); the page's
# own rows are read whole at the end, by id: 51 rows, not every candidate of every tier
RANK_COLUMNS = "id, name, publish"

# (parameter, SQL template): `{}` becomes the next `$n`, bound to the parameter's value.
CATEGORY_CLAUSE = "searchsvc_fold(category) = searchsvc_fold({})"
FILTERS: tuple[tuple[str, str], ...] = (
    ("category", CATEGORY_CLAUSE),
    ("website", "lower(website) = ANY({}::text[])"),
    ("min_price", "price >= {}"),
    ("max_price", "price <= {}"),
)
NOT_EXPIRED = "(expiration IS NULL OR expiration >= CURRENT_DATE)"

SORTS: dict[str, str] = {
    "id": "id",
    "price_asc": "price ASC NULLS LAST, id",
    "price_desc": "price DESC NULLS LAST, id",
    "newest": "publish DESC NULLS LAST, id DESC",
    "oldest": "publish ASC NULLS LAST, id",
}


def _bind(value: Any, param: str) -> Any:
    if param == "website":
        return [website.lower() for website in value]
    return value


def _filter_values(params: ListParams) -> list[tuple[str, str, Any]]:
    """(parameter, SQL template, value) of each filter `params` sets."""
    return [(param, template, value) for param, template in FILTERS if (value := getattr(params, param)) not in (None, ())]


def where_clauses(params: ListParams, args: list[Any], skip: tuple[str, ...] = ()) -> list[str]:
    """The filter conditions of `params` (but those named in `skip`), appending their values to `args`."""
    clauses = []
    for param, template, value in _filter_values(params):
        if param in skip:
            continue
        args.append(_bind(value, param))
        clauses.append(template.format(f"${len(args)}"))
    if not params.include_expired:
        clauses.append(NOT_EXPIRED)
    return clauses


def _where(clauses: list[str]) -> str:
    return " AND ".join(clauses) if clauses else "TRUE"


def _order(params: ListParams) -> str:
    return SORTS.get(params.sort, SORTS["id"])


LIST_SQL = """
SELECT {columns}
FROM instrument
WHERE {where}
ORDER BY {order}
LIMIT {limit} OFFSET {offset}
"""

# Id order (the default): the page's ids come from an index-only scan of a narrow index (0010,
# or 0011 for a category), skipping rows there, and only those rows are then read from the
# table; the caller may pass a known `start_id` (the id of an earlier page's first row) so that
# a deep page skips fewer rows. One text for every page.
LIST_BY_ID_SQL = """
SELECT {columns}
FROM instrument
WHERE id = ANY (ARRAY(
    SELECT id FROM instrument WHERE {where} AND id >= {start} ORDER BY id OFFSET {skip} LIMIT {limit}
))
ORDER BY id
"""

FIRST_ID = -2147483648  # below every `serial` id: "start from the beginning"

# Counts stop at a cap ($n, so the text is the same for every cap): past it the caller
# takes the planner's estimate instead (see ESTIMATE_SQL).
COUNT_SQL = "SELECT count(*) FROM (SELECT 1 FROM instrument WHERE {where} LIMIT {cap}) AS capped"

# The planner's row estimate for the same condition: costs a plan, not a scan.
ESTIMATE_SQL = "EXPLAIN (FORMAT JSON) SELECT 1 FROM instrument WHERE {where}"


def list_page(params: ListParams, start_id: int = FIRST_ID, skip: int | None = None) -> Query:
    """One page of listings, filtered and ordered, with one extra row to tell if more exist.

    In id order the page begins `skip` matching rows after `start_id` (default: the page's
    offset from the beginning); other orders use OFFSET.
    """
    args: list[Any] = []
    where = filtered_where(params, args)
    offset = (params.page - 1) * params.page_size if skip is None else skip
    if params.sort == "id":
        args += [start_id, offset, params.page_size + 1]
        text = LIST_BY_ID_SQL.format(
            columns=LISTING_COLUMNS, where=where,
            start=f"${len(args) - 2}", skip=f"${len(args) - 1}", limit=f"${len(args)}",
        )
        return Query(text, tuple(args))
    args += [params.page_size + 1, offset]
    text = LIST_SQL.format(
        columns=LISTING_COLUMNS, where=where, order=_order(params),
        limit=f"${len(args) - 1}", offset=f"${len(args)}",
    )
    return Query(text, tuple(args))


def list_count(params: ListParams, cap: int) -> Query:
    """How many rows match `params` (list or search), counting no further than `cap`."""
    args: list[Any] = []
    where = filtered_where(params, args)
    args.append(cap)
    return Query(COUNT_SQL.format(where=where, cap=f"${len(args)}"), tuple(args))


def count_estimate(params: ListParams) -> Query:
    """The planner's estimate of how many rows match `params` (list or search): EXPLAIN, no scan."""
    args: list[Any] = []
    return Query(ESTIMATE_SQL.format(where=filtered_where(params, args)), tuple(args))


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its wildcards escaped, accent- and case-folded in SQL."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Search: the typed words are looked up first (sql_words.WORD_EXPANSION_SQL: their literal and
# stemmed lexemes, synonyms, and near spellings of words that match nothing); query.tiers() turns
# them into one tsquery per rank tier. A row matches when it is in some tier, or when its name
# contains the typed text (the old backend's guarantee: a last, substring-only tier).
SUBSTRING_MATCH = "searchsvc_fold(name) LIKE searchsvc_fold({like})"
# A text with no run of 3 letters or digits ('""', "!!", "st", "x -x") gives the trigram index
# nothing selective to look up: its substring matches would cost a scan of every name (seconds at
# 1M listings), so they are looked for among the newest SHORT_TEXT_PROBE_ROWS listings only.
NEWEST_SUBSTRING_MATCH = (
    "(" + SUBSTRING_MATCH + " AND id IN "
    "(SELECT id FROM instrument ORDER BY {tier_order} LIMIT {rows}))"
)
_TRIGRAM_WORD = re.compile(r"[^\W_]{3}")


def trigram_selective(text: str) -> bool:
    """Can the trigram index look up a substring of `text` (does it hold 3 letters or digits in a row)?"""
    return _TRIGRAM_WORD.search(text) is not None

# Within a tier: newest first, in windows of RANK_WINDOW rows; inside a window, short names
# first (the typed words are most of the title), then newer, then id. Ordering a whole tier by
# name length first could not stop early: short titles rarely hold the common words, so the scan
# would cross most of the table (ops/bench/EXPLAIN.md: 170-670 ms at 1M).
RANK_WINDOW = 60  # a first page of 50 (+1 to know a next one exists) reads one window
# Relevance order goes this deep (20 pages of 50, as Meilisearch's maxTotalHits or Algolia's
# paginationLimitedTo): deeper pages would rank and discard every earlier row each time.
RELEVANCE_MAX_DEPTH = 1000
# Within a day, ids in shuffled blocks of 16 (migration 0017), not in id order: ids follow
# insertion, scrapers load one marketplace after another, and a probe of the day's first-loaded
# listings judged every search by one shop (at 5M `piano digital` found almost no keyboards among a
# guitar shop's newest 5,000 and read all its matches through the GIN index: 236 -> 3.4 ms page
# query; EXPLAIN.md, session 6). The shuffle is a bijection of the ids: a total order, stable pages.
TIER_ORDER = "publish DESC NULLS LAST, searchsvc_shuffle(id)"
WINDOW_ORDER = "searchsvc_name_words(name), publish DESC NULLS LAST, id"
# How a tier finds its newest rows:
# - probe: walk the newest PROBE_ROWS listings in TIER_ORDER (instrument_publish_shuffle_idx, 0017)
#   and keep the matches; when the tier is common (`guitarra`: a quarter of the table) the page
#   is full after a few hundred rows. When the probe finds some matches but too few (at least
#   WALK_MIN_SHARE of the depth: `fender` in one category and price range, 45 in the newest
#   5,000), the walk goes on, up to WALK_FACTOR x the probe's rows, stopping when the page is
#   full (~7,000 rows, 20 ms, where the GIN fallback ANDed bitmaps of 120k, 300k and 360k rows:
#   130 ms). The walk keeps the probe's matches and goes on after the probe's last listing
#   (after_probe: its date and id, from the index alone), in two index scans in rank order: that
#   day and older ones (passing over the probe's rows of that day), then undated listings; it used
#   to start again from the newest and read the probe's 5,000 rows twice (`korg` page 3: 25 ->
#   14-19 ms, `minilogue` 28 -> 24-26 ms; ops/bench/EXPLAIN.md, session 5). Only when the walk
#   does not fill the page either, or the probe found almost nothing, does the tier fall back to
#   its GIN index (few matches among the newest listings: few matches at all, usually; a lone word
#   that search_word counts as common is walked whatever its probe found: _walk_min).
# - small: a tier that search_word says is too rare for the probe to fill the page, and (without
#   filters) cheaper to read whole than to walk past (_small_tier_rows), goes straight to the GIN index; the
#   planner cannot tell how rare a combination of words is (it multiplies their frequencies),
#   search_word's counts bound it.
# `(publish + 0)` hides the rank-order index from the planner, so the fallback reads the GIN index.
PROBE_ROWS = 5000  # at least; PROBE_DENSITY x the depth for deeper pages
PROBE_DENSITY = 20  # so the probe fills the page whenever 1 listing in 20 matches
WALK_FACTOR = 8  # the probe and the walk read at most this many times the probe's rows in all
WALK_MIN_SHARE = 0.25  # ... and only after a probe that found this share of the depth (twice the density it needs)
SMALL_TIER_ROWS = 2000
GIN_ORDER = "(publish + 0) DESC NULLS LAST, searchsvc_shuffle(id)"

# The probe and, when it found some matches but too few, the walk on from its last listing: CTEs
# named with a prefix ({p}), so that the phrase tier's (RECENT_PHRASE_SQL) can sit beside a tier's.
PROBE_WALK_SQL = """
        {p}probe AS MATERIALIZED (
            SELECT {columns}
            FROM (SELECT * FROM instrument ORDER BY {tier_order} LIMIT {probe_rows}) AS recent
            WHERE {match} AND {filters}
            LIMIT {depth}
        ),
        {p}after_probe AS MATERIALIZED (
            SELECT publish, searchsvc_shuffle(id) AS shuffle FROM instrument ORDER BY {tier_order} OFFSET {probe_rows} - 1 LIMIT 1
        ),
        {p}walk AS MATERIALIZED (
            SELECT * FROM (
                SELECT {columns} FROM {p}probe
                UNION ALL
                SELECT {columns}
                FROM (
                    SELECT * FROM (
                        (SELECT * FROM instrument
                         WHERE publish <= (SELECT publish FROM {p}after_probe)
                           AND (publish < (SELECT publish FROM {p}after_probe) OR searchsvc_shuffle(id) > (SELECT shuffle FROM {p}after_probe))
                         ORDER BY {tier_order})
                        UNION ALL
                        (SELECT * FROM instrument
                         WHERE publish IS NULL AND ((SELECT publish FROM {p}after_probe) IS NOT NULL OR searchsvc_shuffle(id) > (SELECT shuffle FROM {p}after_probe))
                         ORDER BY {tier_order})
                    ) AS older  -- a subquery, not `(...) UNION ALL (...) LIMIT`: that one got a sort of 185,000 rows
                    LIMIT {walk_rows}
                ) AS recent
                WHERE {match} AND {filters}
            ) AS walked
            WHERE (SELECT count(*) FROM {p}probe) BETWEEN {walk_min} AND {depth} - 1
            LIMIT {depth}
        )"""

# The probe's rows when it filled the page, else the walk's when it did, else the GIN index's
PROBED_ROWS = """
            SELECT * FROM {p}probe WHERE (SELECT count(*) FROM {p}probe) >= {depth}
            UNION ALL
            SELECT * FROM {p}walk WHERE (SELECT count(*) FROM {p}walk) >= {depth}
            UNION ALL
            (SELECT {columns} FROM instrument
             WHERE {gin_where} AND (SELECT count(*) FROM {p}probe) < {depth}
               AND (SELECT count(*) FROM {p}walk) < {depth}
             ORDER BY {gin_order} LIMIT {depth})"""
PROBED_NEWEST_SQL = PROBE_WALK_SQL + """,
        newest AS (""" + PROBED_ROWS + """
        )"""

# A substring of 1-2 characters has no trigram: its substring-only matches are looked for among
# the newest SHORT_TEXT_PROBE_ROWS listings only (a full scan would find "zq" nowhere in seconds).
SHORT_TEXT_PROBE_ROWS = 1000
PROBE_ONLY_NEWEST_SQL = """
        newest AS (
            SELECT {columns}
            FROM (SELECT * FROM instrument ORDER BY {tier_order} LIMIT {short_probe_rows}) AS recent
            WHERE {match} AND {filters}
            LIMIT {depth}
        )"""

SMALL_NEWEST_SQL = """
        newest AS (
            SELECT {columns} FROM instrument
            WHERE {gin_where}
            ORDER BY {gin_order} LIMIT {depth}
        )"""

# A small tier holding thousands of listings (`st` at 1M: 3,572) fetched them all from the table to
# keep its newest `depth` (6-9 ms). Its GIN index scan can also check the publish date's blocks
# (migration 0018, recency.py): the span asks for the tier's matches published since the day from
# which the newest SPAN_SAFETY x depth x listings / bound listings start (the bound says the tier
# then holds about SPAN_SAFETY x depth of them), and reads only those (`st` 8.5 -> 0.75 ms at 1M;
# ops/bench/EXPLAIN.md, session 8). When the span holds `depth` rows they are the tier's newest
# (every listing outside it is older); when it holds fewer, the tier is read whole as before. Only
# for spans of at most SPAN_MAX_SHARE of the table (13 tiers at 1M: spans of 5-16% were 1.1-6x
# faster than the whole read, of 19-23% as slow or slower) and without filters (they thin the tier
# out unpredictably: a short span, then both reads).
SPAN_SAFETY = 2
SPAN_MAX_SHARE = 0.15
SPAN_NEWEST_SQL = """
        span AS MATERIALIZED (
            SELECT {columns} FROM instrument
            WHERE {match} AND searchsvc_publish_blocks(publish) && {span}::integer[] AND {filters}
            ORDER BY {gin_order} LIMIT {depth}
        ),
        newest AS (
            SELECT * FROM span WHERE (SELECT count(*) FROM span) >= {depth}
            UNION ALL
            (SELECT {columns} FROM instrument
             WHERE {match} AND {filters} AND (SELECT count(*) FROM span) < {depth}
             ORDER BY {gin_order} LIMIT {depth})
        )"""

# When every tier is small and the typed text has 3+ characters (the trigram index serves the
# substring part), one pass reads all candidates (any tier, or the substring) with the filters,
# and the tiers are picked from them: the filters' indexes and the GIN index are read once, not
# once per tier (`minilogue&category=Teclados`: 3 category bitmaps of 90,000 rows become 1).
CANDIDATES_SQL = """WITH candidates AS MATERIALIZED (
    SELECT {columns}, search_vector
    FROM instrument
    WHERE {match} AND {filters}
)"""

CANDIDATE_NEWEST_SQL = """
        newest AS (
            SELECT {columns} FROM candidates
            WHERE {match}
            ORDER BY {tier_order} LIMIT {depth}
        )"""

TIER_SQL = """(
    WITH {newest}
    SELECT {columns}
    FROM (
        SELECT {columns}, (row_number() OVER (ORDER BY {tier_order}) - 1) / {window} AS rank_window
        FROM newest
    ) AS windowed
    ORDER BY rank_window, {window_order}
)"""

TSQUERY_MATCH = "search_vector @@ {tsquery}::tsquery"

# With a category, the GIN reads (a tier read whole, the probe's fallback, the one candidate pass)
# look the words up within the category (migration 0019: each lexeme keyed by its listing's folded
# category), not as the category's key and the words' keys of one scan: that scan leapfrogged
# between two long posting lists to find what the category does not hold (`fender` in Teclados,
# 117,000 listings and none there: 10-16 ms a tier at 1M; `minilogue` in Teclados 2.4 ms; ops/bench/
# EXPLAIN.md, session 9). That index knows no positions or weights: it is asked the tier's plain
# words (tsquery.indexable), and the tier's own condition then checks the rows when those words
# match more (a phrase, a weight, an exclusion).
# Beside the keyed words, the words' own test of each row is written as the function behind `@@`,
# which no index answers: as `@@`, the generic plan (which does not know how rare the words are)
# took it and the category filter to the category-first GIN index instead, the very scan the keyed
# words avoid (`fender` in Teclados, its forgiving tier: 14.6 ms instead of 0.2).
TSQUERY_CHECK = "ts_match_vq(search_vector, {tsquery}::tsquery)"
CATEGORY_WORDS_MATCH = (
    "searchsvc_category_words(category, search_vector) @@ searchsvc_category_query({category}, {tsquery}::tsquery)"
)

# Several words: the first tier is the words as one phrase. Looking for it through the GIN index
# rechecks, in the table, every listing holding all the words (the index has no positions): 22,600
# for `stratocaster fender` at 1M, ~100 ms, to find almost none (people type words in any order).
# So the phrase tier takes its matches among the newest listings only (the probe's rows; it reads
# the rank-order index and stops when the page is full), and the later tiers, which no longer
# exclude the phrase, skip the listings it took: an older exact phrase ranks with the literal
# matches instead of above them (ops/bench/EXPLAIN.md, session 6).
RECENT_PHRASE_SQL = "WITH" + PROBE_WALK_SQL.replace("{p}", "phrase_") + """,
        recent_phrase AS MATERIALIZED (
            SELECT * FROM phrase_probe WHERE (SELECT count(*) FROM phrase_probe) NOT BETWEEN {walk_min} AND {depth} - 1
            UNION ALL
            SELECT * FROM phrase_walk
        )"""
# The same newest listings as publish spans, when the statistics give them (recency.py): the days
# holding the probe's newest PROBE_ROWS listings, and, when those hold some of the phrase but not
# a page, the walk's WALK_FACTOR x as many. The GIN index gives the listings of those days holding
# all the words, and only those are rechecked for the phrase, instead of testing every newest
# listing (at 1M, `stratocaster fender`, no phrase among the newest: 2.8 -> 0.5 ms; `fender
# stratocaster` 2.2 -> 0.7; ops/bench/EXPLAIN.md, session 8).
# The span's listings holding all the words (what the GIN index gives; the phrase is then checked on
# them) are kept, with their words: when the literal tier's words are the phrase's, its newest rows
# are among them whenever the span holds a page of them (SPAN_WORDS_NEWEST_SQL).
RECENT_PHRASE_SPAN_SQL = """WITH
        phrase_words AS MATERIALIZED (
            SELECT {columns}, search_vector FROM instrument
            WHERE search_vector @@ {words}::tsquery AND searchsvc_publish_blocks(publish) && {span}::integer[] AND {filters}
        ),
        phrase_span AS MATERIALIZED (
            SELECT {columns} FROM phrase_words
            WHERE {match}
            ORDER BY {tier_order} LIMIT {depth}
        ),
        phrase_wide AS MATERIALIZED (
            SELECT {columns} FROM instrument
            WHERE {match} AND searchsvc_publish_blocks(publish) && {wide_span}::integer[] AND {filters}
              AND (SELECT count(*) FROM phrase_span) BETWEEN {walk_min} AND {depth} - 1
            ORDER BY {gin_order} LIMIT {depth}
        ),
        recent_phrase AS MATERIALIZED (
            SELECT * FROM phrase_span WHERE (SELECT count(*) FROM phrase_span) NOT BETWEEN {walk_min} AND {depth} - 1
            UNION ALL
            SELECT * FROM phrase_wide
        )"""
NOT_RECENT_PHRASE = "id NOT IN (SELECT id FROM recent_phrase)"
# The literal tier after a phrase read from its span, when both have the same words: the span's
# listings holding them (phrase_words) are all of the tier's listings published since the span's
# first day, and every other listing of the tier is older; so when they hold a page of the tier
# (after the phrase's rows), that is its newest page, and the probe is never run. Two words in the
# other order than typed find no phrase and are then a page of the span (at 1M, `stratocaster
# fender`: 141 such listings in the newest 5,000 listings' days, where the probe walked 2,676 to
# find 60; ops/bench/EXPLAIN.md, session 10). When they hold less than a page but the walk's wider
# span (WALK_FACTOR times as many listings) is expected to hold one, the GIN index gives the tier's
# listings in that span instead of a probe that would walk on (`bateria pearl`: 38 in the span, the
# probe and walk read 10,000 listings); only when that falls short too is the tier probed.
SPAN_WORDS_NEWEST_SQL = PROBE_WALK_SQL + """,
        in_span AS MATERIALIZED (
            SELECT {columns} FROM phrase_words
            WHERE {match}
            ORDER BY {tier_order} LIMIT {depth}
        ),
        in_wide AS MATERIALIZED (
            SELECT {columns} FROM instrument
            WHERE {gin_where} AND searchsvc_publish_blocks(publish) && {wide_span}::integer[]
              AND (SELECT count(*) FROM in_span) < {depth} AND (SELECT count(*) FROM in_span) * {walk_factor} >= {depth}
            ORDER BY {gin_order} LIMIT {depth}
        ),
        newest AS (
            SELECT * FROM in_span WHERE (SELECT count(*) FROM in_span) >= {depth}
            UNION ALL
            SELECT * FROM in_wide WHERE (SELECT count(*) FROM in_wide) >= {depth}
            UNION ALL
            SELECT * FROM (""" + PROBED_ROWS + """
            ) AS probed
            WHERE (SELECT count(*) FROM in_span) < {depth} AND (SELECT count(*) FROM in_wide) < {depth}
        )"""
# A tier of several words whose typed phrase matches nothing (a typo: `fendr stratocastr`), when its
# listings in the days of the newest probe rows cost less to read through the GIN index than the probe
# is expected to walk (_span_first): those are its newest whenever they hold a page; otherwise probed.
SPAN_FIRST_NEWEST_SQL = PROBE_WALK_SQL + """,
        in_span AS MATERIALIZED (
            SELECT {columns} FROM instrument
            WHERE {gin_where} AND searchsvc_publish_blocks(publish) && {span}::integer[]
            ORDER BY {gin_order} LIMIT {depth}
        ),
        newest AS (
            SELECT * FROM in_span WHERE (SELECT count(*) FROM in_span) >= {depth}
            UNION ALL
            SELECT * FROM (""" + PROBED_ROWS + """
            ) AS probed
            WHERE (SELECT count(*) FROM in_span) < {depth}
        )"""
SUBSTRING_ONLY_MATCH = "searchsvc_fold(name) LIKE searchsvc_fold({like}) AND NOT (search_vector @@ {any}::tsquery)"

# Tiers in rank order; the Append runs them one after the other and LIMIT stops it as soon as
# the page is full, so a later tier (typos, substrings) costs nothing when earlier ones fill it.
# (Parallel query, which could interleave them, is off on our connections: db.connection_settings.)
# The tiers carry RANK_COLUMNS only; the page's rows are then read whole by primary key, in rank
# order (guitarra page 15: 780 candidates sorted twice with every column took 11.5 ms, 6.6-9.6
# narrow; ops/bench/EXPLAIN.md, session 5).
SEARCH_TIERS_SQL = """{candidates}
SELECT {columns}
FROM unnest(ARRAY(
    SELECT id
    FROM (
{tiers}
    ) AS ranked
    LIMIT {limit} OFFSET {offset}
)) WITH ORDINALITY AS page (id, position)
JOIN instrument USING (id)
ORDER BY page.position
"""


def _words_or_substring(words: str, like: str, category: str | None = None) -> str:
    """`words` or the name holding the text (`like`); `category`: the words are keyed by it (they
    hold its condition), so a name holding the text must be of it too."""
    substring = SUBSTRING_MATCH.format(like=like)
    if category is not None:
        substring = f"({substring} AND {CATEGORY_CLAUSE.format(category)})"
    return f"({words} OR {substring})"


def _within_category(params: SearchParams) -> query.CategoryWords | None:
    """ANALYZE's counts of the searched category's words (None: no category, or never analyzed)."""
    return params.expansion.category if params.expansion is not None and params.category is not None else None


def _search_tiers(params: SearchParams) -> query.Tiers | None:
    """The word tiers of the search, or None when no word can match (none typed, or `x -x`)."""
    return _tiers(params.name, params.expansion)


@functools.lru_cache(maxsize=256)
def _tiers(name: str, expansion: query.Expansion | None) -> query.Tiers | None:
    # one request builds its page, counts and facets from the same text and expansion (Expansion
    # hashes by identity): parse and build the tiers once, not once per query
    text = query.parse(name)
    if set(text.words) & set(text.excluded):
        # a word and its own exclusion: no listing can match the words, only the literal text
        # (the planner cannot tell `'x' & !'x'` is empty and would walk a sort index over every row)
        return None
    return query.tiers(text, expansion or query.Expansion())


def _substring_in_words(params: SearchParams) -> bool:
    """Does every name containing the search text match its words (no substring-only matches)?"""
    return params.expansion is not None and params.expansion.substring_in_words


def _search_match(params: SearchParams, args: list[Any]) -> tuple[str, bool]:
    """What a search matches, for counts and facets: any tier, or the name containing the text; and
    whether that condition holds the category's own (the filters then leave it out).

    A text without 3 letters or digits in a row counts its word matches only (no index serves
    such a substring: the page looks for substring-only matches among the newest listings), or,
    with no words at all, its substring matches among the newest listings. A text whose
    substring matches all match its words (_substring_in_words) counts its word matches only.
    With a category, words that are plain words (no phrase, weight or exclusion) are counted
    within it (CATEGORY_WORDS_MATCH): one index key each, whose statistics also give the planner's
    estimate per category, where the words' share times the category's share assumed the brand as
    common in every category (`fender` in Teclados: 17,048 estimated, none there).
    """
    tiers = _search_tiers(params)
    selective = trigram_selective(params.name)
    within = _within_category(params)
    # only where rare (KEYED_MAX_SHARE): a listing tested against the keyed words (the planner walking
    # an order index, a sequential count) computes them, 4 us, where `@@` reads a stored column
    # (sort=newest of `guitarra` in Guitarras: 6.9 -> 54 ms, sort=price_asc of `fender` there 14 -> 99);
    # where rare the planner reads the keys (sort=newest of `fender` in Teclados: 665-765 -> 0.03 ms)
    rare = tiers is not None and within is not None and _rare_in_category(
        tiers.any_match, within, max(SMALL_TIER_ROWS, int(KEYED_MAX_SHARE * within.listings))) is not None
    loose = tsquery.indexable(tiers.any_match) if rare else None
    keyed = category = None
    if loose is not None and loose[1]:  # plain words: the keys alone are the condition
        category = _bind_next(args, params.category)
        keyed = _keyed_words(tiers.any_match, category, args)[0]
    if tiers is not None and (not selective or _substring_in_words(params)):
        return (keyed, True) if keyed else (TSQUERY_MATCH.format(tsquery=_bind_next(args, tiers.any_match)), False)
    like = _bind_next(args, like_pattern(params.name))
    if tiers is None:
        if not selective:
            return NEWEST_SUBSTRING_MATCH.format(like=like, rows=SHORT_TEXT_PROBE_ROWS, tier_order=TIER_ORDER), False
        return SUBSTRING_MATCH.format(like=like), False
    if keyed:
        return _words_or_substring(keyed, like, category), True
    return _words_or_substring(TSQUERY_MATCH.format(tsquery=_bind_next(args, tiers.any_match)), like), False


def filtered_where(params: ListParams, args: list[Any], ordered: bool = False) -> str:
    """The whole WHERE condition of a list or search request (text match and filters).

    Facets and counts reuse it so they always agree with the page. `ordered`: for a page in another
    order than relevance, which the planner may read by walking that order's index and testing each
    listing: the words and the category are then also tested as they are stored, which costs less
    than the keyed words and comes first (cheaper conditions run first; `korg` in Teclados by date:
    20 ms, the keyed words alone 91), where counts keep only the keyed words (they estimate alone).
    """
    clauses, skip = [], ()
    if isinstance(params, SearchParams):
        match, holds_category = _search_match(params, args)
        if holds_category and ordered:
            match, holds_category = f"{match} AND {TSQUERY_MATCH.format(tsquery=_bind_next(args, _search_tiers(params).any_match))}", False
        clauses.append(match)
        skip = ("category",) if holds_category else ()
    return _where(clauses + where_clauses(params, args, skip))


def _small_tier_rows(listings: int | None, depth: int, probe_rows: int, filtered: bool) -> int:
    """A tier holding at most this many listings is read whole through the GIN index, not probed.

    Only when the probe is not expected to fill the page (fewer than `depth` of the tier among the
    `probe_rows` newest listings): a probe that fills it stops early and costs less. Without
    filters, also only when reading the tier costs less than walking on: the walk finds `depth` of
    a tier of n rows after about depth x listings / n listings, reading the tier costs its n rows
    (about as much per row: a heap fetch and a test), so below sqrt(depth x listings) rows.
    Reading every tier the probe could not fill read all 26,000 `korg` listings from page 3 on:
    100 ms, where the walk reads ~6,300: 20 ms (ops/bench/EXPLAIN.md, session 4). With a
    category, price or website filter only part of the tier qualifies, so a walk goes further than
    that and the category-first GIN index reads only the category's part: no second condition.
    """
    listings = listings or 0
    rows = listings * depth // probe_rows
    return max(SMALL_TIER_ROWS, rows if filtered else min(rows, math.isqrt(listings * depth)))


WALK_DENSE = 2  # a lone word expected WALK_DENSE x the depth times within the walk's rows is walked whatever its probe found


def _walk_min(bound: int | None, listings: int | None, depth: int, probe_rows: int, filtered: bool, one_word: bool) -> int:
    """How many matches a tier's probe must find for the walk to go on (fewer: the GIN index is read).

    Usually WALK_MIN_SHARE of the depth: the probe samples the tier's density. But the newest
    listings can be a biased sample: before migration 0017 the rank order within a day was
    insertion order, scrapers load one marketplace after another, and at 5M the newest 5,000 were
    one guitar shop's, with 4 `korg` among them: the GIN fallback read all 132,000 `korg` listings
    (400-730 ms). TIER_ORDER now shuffles a day's ids, but a word can still be rare among the newest
    listings and common in the table (a model no longer sold). So a search of one word that
    search_word says is common enough to fill the page within the walk's rows is walked whatever
    the probe found (in id order, `korg` at 5M: 462 -> 11 ms, `roland` page 5: 735 -> 21;
    ops/bench/EXPLAIN.md, session 6). Not with several words (their bound is the rarest word's
    count, not how often they meet: walking `gibson roland` read 40,000 rows for nothing, 48 ->
    168 ms at 1M) nor with filters (the bound says nothing of their share).
    """
    share = math.ceil(WALK_MIN_SHARE * depth)
    if filtered or not one_word or not bound or not listings:
        return share
    expected = bound * WALK_FACTOR * probe_rows / listings
    return 0 if expected >= WALK_DENSE * depth else share


def _probe_falls_short(bound: int | None, listings: int | None, depth: int, probe_rows: int) -> bool:
    """Does search_word's bound say the probe of the newest `probe_rows` will not fill the page?

    Such a tier is walked on (`minilogue` at 1M: 7,943 listings, ~7,500 rows walked, 15 ms) or read
    whole; a lone word's bound is tight, so its publish span is the cheaper read (SPAN_NEWEST_SQL).
    """
    return bool(bound and listings) and bound * probe_rows < depth * listings


def _publish_span(expansion: query.Expansion | None, bound: int | None, depth: int) -> tuple[int, ...] | None:
    """The publish blocks a tier's newest `depth` rows are expected in (SPAN_SAFETY times over); None: no span."""
    if expansion is None or expansion.publish is None or not bound:
        return None
    share = SPAN_SAFETY * depth / bound
    since = expansion.publish.newest_from(share) if share <= SPAN_MAX_SHARE else None
    return None if since is None else recency.span(since)


RECENT_SPAN_MAX_PAGES = 4


def _recent_spans(
    expansion: query.Expansion | None, listings: int | None, probe_rows: int, bound: int | None, depth: int,
) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """The publish spans of the probe's newest listings and of the walk's (RECENT_PHRASE_SPAN_SQL); None: probe them.

    Not when the phrase's rarer word is so common that the probe's listings hold over
    RECENT_SPAN_MAX_PAGES pages of it: the probe then stops after a fraction of them, where the span
    reads every listing of its days holding the words (at 1M, `guitarra electrica`, ~880 expected:
    1.9 ms probed, 4.2 from its span; `bajo electrico`, ~280: 2.5 and 3.2; `guitarra acustica`,
    ~180: 4.4 and 2.0; EXPLAIN.md, session 8). Unless the words are known to meet as a phrase too
    rarely for the probe to fill the page (expansion.phrase_listings): it would walk on, 8 times as
    far (`bajo fender`, 3,093 listings of 72,254 holding `bajo`: 21-27 -> 4.5-5.1 ms at 1M; EXPLAIN.md,
    session 10).
    """
    if expansion is None or expansion.publish is None or not listings or bound is None:
        return None
    share = probe_rows / listings
    if share > SPAN_MAX_SHARE:  # a small table: the probe alone covers much of it
        return None
    phrase = expansion.phrase_listings
    if bound * share > RECENT_SPAN_MAX_PAGES * depth and (phrase is None or phrase * share >= depth):
        return None
    # the walk's span, at most SPAN_MAX_SHARE of the table (below ~270,000 listings the walk would go
    # further: older exact phrases then rank with the literal matches a little sooner)
    near, wide = (expansion.publish.newest_from(s) for s in (share, min(WALK_FACTOR * share, SPAN_MAX_SHARE)))
    return None if near is None or wide is None else (recency.span(near), recency.span(wide))


def _span_first(
    expansion: query.Expansion | None, listings: int | None, probe_rows: int, bound: int | None, depth: int,
) -> tuple[int, ...] | None:
    """The publish span of the newest `probe_rows` listings, when a tier of several words costs less to
    read there (SPAN_FIRST_NEWEST_SQL) than to probe; None: probe it.

    The span holds at most `bound` x its share of the tier's listings, each read through the index
    costing CATEGORY_READ_COST probed ones; the probe reads about depth x listings / n listings for a
    tier of n, and n is at least the names holding the words as a phrase (expansion.phrase_listings,
    for a typo its nearest spelling's: `fender stratocaster`, 12,679 at 1M, where the typo's tier is
    bounded by 61,408: its 2,576 newest listings probed for 60 matches, ~140 in the span; EXPLAIN.md,
    session 10).
    """
    if expansion is None or expansion.publish is None or not listings or not bound or not expansion.phrase_listings:
        return None
    share = probe_rows / listings
    if share > SPAN_MAX_SHARE:  # a small table: the probe alone covers much of it
        return None
    if CATEGORY_READ_COST * bound * share > depth * listings / expansion.phrase_listings:
        return None
    since = expansion.publish.newest_from(share)
    return None if since is None else recency.span(since)


def _bind_next(args: list[Any], value: Any) -> str:
    """Append `value` to `args`; its placeholder (`$n`)."""
    args.append(value)
    return f"${len(args)}"


def _keyed_words(tsquery_text: str, category: str | None, args: list[Any]) -> tuple[str, bool] | None:
    """A GIN read's condition for `tsquery_text` within `category` (CATEGORY_WORDS_MATCH), and whether
    it is the whole condition (else the words' own must check the rows); None: no category, or no
    plain words to look up."""
    loose = tsquery.indexable(tsquery_text) if category is not None else None
    if loose is None:
        return None
    text, exact = loose
    return CATEGORY_WORDS_MATCH.format(category=category, tsquery=_bind_next(args, text)), exact


CATEGORY_READ_COST = 4  # a listing read whole through the index costs ~4 walked ones (3.4 vs 0.9 us at 1M)
KEYED_MAX_SHARE = 0.01  # counts, facets and other sorts look a search's words up within its category below this share


def _bounds(
    tiers: query.Tiers | None, within: query.CategoryWords | None, depth: int,
) -> tuple[tuple[int | None, ...], int | None]:
    """At most how many listings each tier holds, and all of them together (None: unknown).

    Within a category (`within`: ANALYZE's counts of its words), a tier whose words
    ANALYZE counts as rare in the category (migration 0019; query.CategoryWords) is bounded by that
    count: a word common in the table can be rare in the category (`fender` in Teclados: 117,000
    listings, none there; `korg` in Guitarras), and its tier is then read from the keyed words
    (0.1-0.3 ms at 1M) rather than probed among the newest listings for nothing (6-22 ms). Rare:
    fewer than reading them whole costs walks, sqrt(depth x listings / CATEGORY_READ_COST) (3,873
    at 1M); `korg` in Teclados (8,550) read whole took 29-37 ms, walked 6.5 (EXPLAIN.md, session 9).
    """
    if tiers is None:
        return (), None
    if within is None:
        return tiers.bounds, tiers.any_bound

    few = max(SMALL_TIER_ROWS, math.isqrt(within.listings * depth // CATEGORY_READ_COST))

    def rare(text: str, bound: int | None) -> int | None:
        in_category = _rare_in_category(text, within, few)
        return bound if in_category is None or (bound is not None and bound <= in_category) else in_category

    return tuple(rare(text, bound) for text, bound in zip(tiers.queries, tiers.bounds)), rare(tiers.any_match, tiers.any_bound)


def _rare_in_category(text: str, within: query.CategoryWords, few: int) -> int | None:
    """At most how many listings of the category match `text`, when ANALYZE's counts say at most `few`; else None."""
    bound = tsquery.bound(text, lambda word: None if word.prefix else within.at_most(word.lexeme))
    return bound if bound is not None and bound <= few else None


def _one_pass(any_bound: int | None, small_rows: int) -> bool:
    """Are all the tiers' rows together (at most `any_bound`) few enough to read them in one candidate pass?"""
    return any_bound is not None and any_bound <= small_rows


def search_page(params: SearchParams) -> Query:
    """One page of name-search results in relevance (or the requested) order.

    Relevance: the tiers (query.tiers, then substring-only matches) are concatenated best first;
    each reads its newest rows up to the page's depth (probe, GIN, or one shared candidate
    pass: see above) and ranks them in windows (TIER_SQL).
    """
    args: list[Any] = []
    offset = (params.page - 1) * params.page_size
    # every sort of a search shows its first RELEVANCE_MAX_DEPTH rows only
    limit_rows = max(0, min(params.page_size + 1, RELEVANCE_MAX_DEPTH - offset))
    if params.sort != "relevance":  # a search in another order is a filtered list: the match is one more condition
        where = filtered_where(params, args, ordered=True)
        args += [limit_rows, offset]
        text = LIST_SQL.format(
            columns=LISTING_COLUMNS, where=where, order=_order(params),
            limit=f"${len(args) - 1}", offset=f"${len(args)}",
        )
        return Query(text, tuple(args))
    clauses = where_clauses(params, args)
    filters = _where(clauses)
    # the category's value is the first one the filters bind (FILTERS): the keyed words use it, and
    # then hold the category's condition (beside them, the generic plan ANDed the category's whole
    # posting list from the category-first index: `casio` in Teclados 20 -> 30-42 ms at 1M)
    category = "$1" if params.category is not None else None
    keyed_filters = _where([c for c in clauses if c != CATEGORY_CLAUSE.format(category)]) if category else filters
    depth = min(offset + params.page_size + 1, RELEVANCE_MAX_DEPTH)
    windows_depth = -(-depth // RANK_WINDOW) * RANK_WINDOW  # whole windows: the same order on every page
    args += [limit_rows, offset, windows_depth]
    limit, offset_arg, depth_arg = (f"${len(args) - 2}", f"${len(args) - 1}", f"${len(args)}")
    probe_rows = max(PROBE_ROWS, PROBE_DENSITY * windows_depth)
    tiers = _search_tiers(params)
    # (match condition, how to read it: "small" through an index, "probe" then the GIN index,
    # "probe only" for a substring too short for the trigram index)
    listings = params.expansion.listings if params.expansion else None
    filtered = bool(_filter_values(params))
    small_rows = _small_tier_rows(listings, windows_depth, probe_rows, filtered)
    one_word = len(query.parse(params.name).words) == 1
    # the last tier: names containing the text that no word tier matched (none when
    # _substring_in_words); the trigram index answers a substring of 3+ characters, a shorter one
    # can only be probed. Its values are bound only when the text uses them (an unused $n has no type).
    substring_read = "small" if trigram_selective(params.name) else "probe only"
    substring_tier = tiers is None or not _substring_in_words(params)
    bounds, any_bound = _bounds(tiers, _within_category(params), windows_depth)
    tier_reads = ["small" if b is not None and b <= small_rows else "probe" for b in bounds]
    one_pass = (
        all(read == "small" for read in tier_reads + ([substring_read] if substring_tier else []))
        and _one_pass(any_bound, small_rows)
    )
    # several words: the phrase tier looks among the newest listings only (RECENT_PHRASE_SQL), unless
    # its words are so rare that rechecking every listing holding them costs less than a probe
    recent_phrase = (
        not one_pass and tiers is not None and tiers.after_recent_phrase is not None
        and (bounds[0] is None or bounds[0] > min(small_rows, SMALL_TIER_ROWS))
    )
    tier_queries = (tiers.queries[:1] + tiers.after_recent_phrase) if recent_phrase else tiers.queries if tiers else ()
    # (match, the whole condition of its GIN read, read, walk_min: for a probe, see _walk_min; spans:
    # the placeholders of a tier's span, see SPAN_NEWEST_SQL, or of the phrase tier's two, see
    # RECENT_PHRASE_SPAN_SQL)
    matches: list[tuple[str, str, str, int, tuple[str, ...]]] = []
    # the plain words of a phrase read from its spans (RECENT_PHRASE_SPAN_SQL), and the spans' placeholders
    phrase_words, phrase_spans = None, ()
    for number, (tier_text, bound, read) in enumerate(zip(tier_queries, bounds, tier_reads)):
        # with a category, the GIN reads' condition (a phrase tier among the newest is no GIN read); the
        # words' own condition is bound only when a read uses it (an unused placeholder has no type)
        keyed = None
        if read in ("small", "probe") and not one_pass and not (recent_phrase and number == 0):
            keyed = _keyed_words(tier_text, category, args)
        if keyed is not None and keyed[1] and read == "small":
            match = gin_match = keyed[0]
        else:
            tier_arg = _bind_next(args, tier_text)
            match = TSQUERY_MATCH.format(tsquery=tier_arg)
            gin_match = match if keyed is None else keyed[0] if keyed[1] else f"{keyed[0]} AND {TSQUERY_CHECK.format(tsquery=tier_arg)}"
        spans: tuple[str, ...] = ()
        if recent_phrase and number == 0:
            read, blocks = "recent", _recent_spans(params.expansion, listings, probe_rows, bound, windows_depth)
            if blocks:
                phrase_words = tsquery.indexable(tier_text)[0]
                read, spans = "recent span", tuple(_bind_next(args, value) for value in (*map(list, blocks), phrase_words))
                phrase_spans = spans
        elif recent_phrase:
            match, gin_match = (f"{m} AND {NOT_RECENT_PHRASE}" for m in (match, gin_match))
            loose = tsquery.indexable(tier_text) if number == 1 and phrase_words is not None else None
            if read == "probe" and loose is not None and loose[0] == phrase_words:
                read, spans = "span words", phrase_spans  # its listings in the phrase's spans first (SPAN_WORDS_NEWEST_SQL)
        if read == "probe" and not one_word and not recent_phrase and bounds[0] == 0:  # the typed phrase matches nothing
            blocks = _span_first(params.expansion, listings, probe_rows, bound, windows_depth)
            if blocks:
                read, spans = "span first", (_bind_next(args, list(blocks)),)
        if not one_pass and not filtered and (read == "small" or read == "probe" and one_word and _probe_falls_short(
                bound, listings, windows_depth, probe_rows)):
            blocks = _publish_span(params.expansion, bound, windows_depth)
            if blocks:
                read, spans = "span", (_bind_next(args, list(blocks)),)
        walk_min = _walk_min(bound, listings, windows_depth, probe_rows, filtered, one_word)
        matches.append((match, f"{gin_match} AND {keyed_filters if keyed else filters}", read, walk_min, spans))
    like = any_match = None
    if tiers is None:
        like = _bind_next(args, like_pattern(params.name))
        substring = SUBSTRING_MATCH.format(like=like)
        matches.append((substring, f"{substring} AND {filters}", substring_read, 0, ()))
    elif substring_tier:
        like, any_match = _bind_next(args, like_pattern(params.name)), _bind_next(args, tiers.any_match)
        substring = SUBSTRING_ONLY_MATCH.format(like=like, any=any_match)
        matches.append((substring, f"{substring} AND {filters}", substring_read, 0, ()))
    candidates = ""
    if one_pass:
        # (the keyed words may match more: each tier then checks its own condition on the candidates)
        keyed = _keyed_words(tiers.any_match, category, args)
        if keyed is None:
            words = TSQUERY_MATCH.format(tsquery=any_match or _bind_next(args, tiers.any_match))
        else:
            words = keyed[0]
        match = words if like is None else _words_or_substring(words, like, category if keyed else None)
        candidates = CANDIDATES_SQL.format(
            columns=RANK_COLUMNS, match=match, filters=filters if keyed is None else keyed_filters,
        )
    parts = []
    probe_arg = walk_arg = walk_min_arg = None
    templates = {
        "small": SMALL_NEWEST_SQL, "span": SPAN_NEWEST_SQL, "probe": PROBED_NEWEST_SQL,
        "probe only": PROBE_ONLY_NEWEST_SQL, "recent": "newest AS (SELECT * FROM recent_phrase)",
        "recent span": "newest AS (SELECT * FROM recent_phrase)", "span words": SPAN_WORDS_NEWEST_SQL,
        "span first": SPAN_FIRST_NEWEST_SQL,
    }
    for match, gin_where, read, walk_min, spans in matches:
        probed = read in ("probe", "recent", "span words", "span first")
        if probed and probe_arg is None:
            probe_arg, walk_arg = _bind_next(args, probe_rows), _bind_next(args, (WALK_FACTOR - 1) * probe_rows)
        if probed or read == "recent span":  # each its own: a lone common word walks whatever its probe found
            walk_min_arg = _bind_next(args, walk_min)
        span, wide_span, words = (*spans, None, None, None)[:3]
        values = dict(
            columns=RANK_COLUMNS, match=match, gin_where=gin_where, filters=filters, tier_order=TIER_ORDER, p="",
            probe_rows=probe_arg, short_probe_rows=SHORT_TEXT_PROBE_ROWS, gin_order=GIN_ORDER, depth=depth_arg,
            walk_rows=walk_arg, walk_min=walk_min_arg, span=span, wide_span=wide_span, words=words, walk_factor=WALK_FACTOR,
        )
        if read == "recent":
            candidates = RECENT_PHRASE_SQL.format(**values)
        elif read == "recent span":
            candidates = RECENT_PHRASE_SPAN_SQL.format(**values)
        newest = (CANDIDATE_NEWEST_SQL if one_pass else templates[read]).format(**values)
        parts.append(TIER_SQL.format(
            columns=RANK_COLUMNS, newest=newest.strip(), tier_order=TIER_ORDER,
            window=RANK_WINDOW, window_order=WINDOW_ORDER,
        ))
    text = SEARCH_TIERS_SQL.format(
        candidates=candidates, columns=LISTING_COLUMNS, tiers="\n    UNION ALL\n".join(parts),
        limit=limit, offset=offset_arg,
    )
    return Query(text, tuple(args), generic_plan=True)  # its counts run on the same connection


def search_count(params: SearchParams, cap: int) -> Query:
    """How many rows match the search, counting no further than `cap`."""
    return list_count(params, cap)
