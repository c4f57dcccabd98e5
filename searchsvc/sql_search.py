"""The relevance page of a search: its tiers, best first, each reading its newest matches, ranked in windows.

Pure functions (no I/O) turning SearchParams, with their word look-up (sql_words), into the one
parameterised statement of a page (search_page). What lists, counts and facets share with it (the
filters, the match, the words keyed by category) is in sql.py. Each rule for how a tier reads its
rows (probe, walk, GIN index, publish spans) names the measurements behind it in
ops/bench/EXPLAIN.md.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from . import prices, query, recency, tsquery
from .params import SearchParams
from .sql import (
    LIST_SQL, LISTING_COLUMNS, PRICE_BLOCKS_MATCH, PRICE_FILTERS, RANK_COLUMNS, SHORT_TEXT_PROBE_ROWS, SMALL_TIER_ROWS,
    TIER_ORDER, TSQUERY_CHECK, TSQUERY_MATCH, Query, and_all, bind_next, category_clause, filter_values, filtered_where,
    category_bound, category_listed, holding_words, keyed_words, like_pattern, only_used, order_by, price_clauses, price_share_of, rare_in_category,
    search_tiers, substring_in_words, substring_match, trigram_selective, where_clauses, wider_match, within_category,
    words_holding, words_or_substring,
)

# Within a tier: newest first, in windows of RANK_WINDOW rows; inside a window, short names
# first (the typed words are most of the title), then newer, then id. Ordering a whole tier by
# name length first could not stop early: short titles rarely hold the common words, so the scan
# would cross most of the table (ops/bench/EXPLAIN.md: 170-670 ms at 1M).
RANK_WINDOW = 60  # a first page of 50 (+1 to know a next one exists) reads one window
# Relevance order goes this deep (20 pages of 50, as Meilisearch's maxTotalHits or Algolia's
# paginationLimitedTo): deeper pages would rank and discard every earlier row each time.
RELEVANCE_MAX_DEPTH = 1000
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
# ... and only after a probe that found this share of the depth (1.2x the density the walk needs): at 0.25
# (2x) a probe of 41 for page 3's 180 (`fender` in Guitarras under 500) fell to the GIN fallback, which
# ANDs the price index's 333,000 rows: 83-92 -> 20-36 ms at 0.15 (EXPLAIN.md, session 11)
WALK_MIN_SHARE = 0.15
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

PROBE_ONLY_NEWEST_SQL = """
        newest AS (
            SELECT {columns}
            FROM (SELECT * FROM instrument ORDER BY {tier_order} LIMIT {short_probe_rows}) AS recent
            WHERE {match} AND {filters}
            LIMIT {depth}
        )"""

# A tier's newest rows from one read of `source`: the GIN index (small) or the one candidate pass (below)
NEWEST_OF_SQL = """
        newest AS (
            SELECT {{columns}} FROM {source}
            WHERE {where}
            ORDER BY {order} LIMIT {{depth}}
        )"""
SMALL_NEWEST_SQL = NEWEST_OF_SQL.format(source="instrument", where="{gin_where}", order="{gin_order}")

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
            WHERE {gin_match} AND searchsvc_publish_blocks(publish) && {span}::integer[] AND {span_filters}
            ORDER BY {gin_order} LIMIT {depth}
        ),
        newest AS (
            SELECT * FROM span WHERE (SELECT count(*) FROM span) >= {depth}
            UNION ALL
            (SELECT {columns} FROM instrument
             WHERE {gin_where} AND (SELECT count(*) FROM span) < {depth}
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

# Every row of a page read in one candidate pass carries the candidates' count (computed once: an
# uncorrelated subquery), when they are exactly the search's matches (the keyed words may match more,
# sql.keyed_words): the count statement it saves read the same listings again through the indexes;
# of the 1,824 locust searches, 76 full pages that ran one no longer do (909 of the 2,967 ms their
# service's capped counts take at 1M; ops/bench/EXPLAIN.md, session 15)
CANDIDATES_COUNT = "(SELECT count(*) FROM candidates) AS matched"

CANDIDATE_NEWEST_SQL = NEWEST_OF_SQL.format(source="candidates", where="{match}", order="{tier_order}")

TIER_SQL = """(
    WITH {newest}
    SELECT {columns}
    FROM (
        SELECT {columns}, (row_number() OVER (ORDER BY {tier_order}) - 1) / {window} AS rank_window
        FROM newest
    ) AS windowed
    ORDER BY rank_window, {window_order}
)"""

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
            WHERE search_vector @@ {words}::tsquery AND searchsvc_publish_blocks(publish) && {span}::integer[] AND {span_filters}
        ),
        phrase_span AS MATERIALIZED (
            SELECT {columns} FROM phrase_words
            WHERE {match}
            ORDER BY {tier_order} LIMIT {depth}
        ),
        phrase_wide AS MATERIALIZED (
            SELECT {columns} FROM instrument
            WHERE {match} AND searchsvc_publish_blocks(publish) && {wide_span}::integer[] AND {span_filters}
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
            WHERE {span_where} AND searchsvc_publish_blocks(publish) && {wide_span}::integer[]
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
            WHERE {span_where} AND searchsvc_publish_blocks(publish) && {span}::integer[]
            ORDER BY {gin_order} LIMIT {depth}
        ),
        newest AS (
            SELECT * FROM in_span WHERE (SELECT count(*) FROM in_span) >= {depth}
            UNION ALL
            SELECT * FROM (""" + PROBED_ROWS + """
            ) AS probed
            WHERE (SELECT count(*) FROM in_span) < {depth}
        )"""
SUBSTRING_ONLY_MATCH = "{substring} AND NOT (search_vector @@ {any}::tsquery)"

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


# Pages after the first of one word (`guitarra` page 15: the probe walks 4,500 newest listings for the
# 780 matches of 13 windows and ranks them all, 6 ms at 1M, to show 50):
# the first tier's rows come in TIER_ORDER and are ranked in windows of RANK_WINDOW, so a page needs
# only the windows it shows, and a window's rows are the tier's next RANK_WINDOW after the last row of
# the window before. Each worker remembers, per search, the id of the row that ends each window it
# has read (the next window's start), with the other values derived from the data (cache.py: forgotten
# on every change, day and word_cache_ttl_s); a deeper page walks on from the nearest start at or
# before it (the walk's scans after a listing, PROBE_WALK_SQL) and ranks only its own windows. When
# the tier runs out before the page's last window (a later tier would follow) or the start's listing
# is gone, the statement gives no rows and the page is read whole (search_page). Only for one word
# without filters (its count, search_word's, is then close to the tier's), and only while the walk to
# the page's last window is expected to pass at most WINDOWS_WALK_MAX listings: `guitarra` (1 listing
# in 6) from any start; `korg` (1 in 34) page 20 from the newest (34,000: as long as its whole read)
# and any page from a start a few pages before; a rare word's deep page only from a start before it
# (paging forward), else read whole and nothing learned.
WINDOWS_WALK_MAX = WALK_FACTOR * PROBE_ROWS
WINDOWS_WALK_SAFETY = 2  # the walk stops after this many times the listings expected (then: read whole)
FROM_NEWEST = "SELECT * FROM instrument ORDER BY {tier_order}"
# (the start's own day is a scan of its own, so that the index scan starts at the listing: as
# `publish <= day AND (publish < day OR shuffle > s)` it passed over the ~4,000 listings of the day
# before it, 2 of the 3 ms at 1M)
FROM_AFTER = """(SELECT * FROM instrument
                 WHERE publish = (SELECT publish FROM after) AND searchsvc_shuffle(id) > (SELECT shuffle FROM after)
                 ORDER BY {tier_order} LIMIT {walk_rows})
                UNION ALL
                (SELECT * FROM instrument WHERE publish < (SELECT publish FROM after) ORDER BY {tier_order})
                UNION ALL
                (SELECT * FROM instrument
                 WHERE publish IS NULL AND ((SELECT publish FROM after) IS NOT NULL OR searchsvc_shuffle(id) > (SELECT shuffle FROM after))
                 ORDER BY {tier_order})"""
AFTER_CTE = """after AS MATERIALIZED (
        SELECT publish, searchsvc_shuffle(id) AS shuffle FROM instrument WHERE id = {after}
    ),
    """
WINDOWS_FROM_SQL = """WITH {after_cte}tier AS MATERIALIZED (
        SELECT {columns}
        FROM (
            SELECT * FROM (
                {older}
            ) AS older
            LIMIT {walk_rows}
        ) AS recent
        WHERE {match} AND {filters}
        LIMIT {need}
    ),
    windowed AS MATERIALIZED (
        SELECT {columns}, row_number() OVER (ORDER BY {tier_order}) AS n FROM tier
    )
SELECT {listing_columns},
       CASE WHEN page.position = 1 THEN ARRAY(SELECT id FROM windowed WHERE n % {window} = 0 ORDER BY n) END AS window_ends
FROM unnest(ARRAY(
    SELECT id FROM windowed
    WHERE (SELECT count(*) FROM tier) = {need}
    ORDER BY (n - 1) / {window}, {window_order}
    LIMIT {limit} OFFSET {offset}
)) WITH ORDINALITY AS page (id, position)
JOIN instrument USING (id)
ORDER BY page.position
"""


def _depths(params: SearchParams) -> tuple[int, int, int, int]:
    """A relevance page's offset, its rows (one more than shown, to know a next page exists; none past
    RELEVANCE_MAX_DEPTH), the depth it ranks to, and that depth in whole windows."""
    offset = (params.page - 1) * params.page_size
    limit_rows = max(0, min(params.page_size + 1, RELEVANCE_MAX_DEPTH - offset))
    depth = min(offset + params.page_size + 1, RELEVANCE_MAX_DEPTH)
    return offset, limit_rows, depth, -(-depth // RANK_WINDOW) * RANK_WINDOW


def window_starts_key(params: SearchParams) -> tuple[Any, ...] | None:
    """What identifies a search's first tier (its query; no filters), when its pages after the first are
    read from remembered window starts (windows_from); None when they are read whole."""
    if params.sort != "relevance" or params.page == 1 or filter_values(params) or params.expansion is None:
        return None
    tiers = search_tiers(params)
    if tiers is None or not tiers.bounds or len(query.parse(params.name).words) != 1:
        return None
    _, limit_rows, _, _ = _depths(params)
    if not limit_rows or not tiers.bounds[0] or not params.expansion.listings:
        return None
    return tiers.queries[0], params.include_expired


def windows_from(params: SearchParams, start: int, after: int | None) -> Query | None:
    """The page from the first tier's window at position `start` on, that window starting after the
    listing `after` (None: `start` is 0, the newest); no rows when the tier ends before the page's
    last window. The first row carries `window_ends`: the ids ending the windows read, in order (the
    window at start + (i + 1) x RANK_WINDOW starts after window_ends[i]). None when the walk there
    is expected to pass over WINDOWS_WALK_MAX listings, or the page's windows reach past half the
    tier's bound (window_starts_key must have said yes)."""
    offset, limit_rows, _, _ = _depths(params)
    need = -(-(offset + limit_rows - start) // RANK_WINDOW) * RANK_WINDOW
    tiers = search_tiers(params)
    expected = need * params.expansion.listings // tiers.bounds[0]  # listings walked
    if expected > WINDOWS_WALK_MAX or start + need > tiers.bounds[0] // WINDOWS_WALK_SAFETY:
        return None  # too long a walk; or the tier (bound: expired listings too) may end first: read twice
    args: list[Any] = []
    filters = and_all(where_clauses(params, args, once=True))
    match = TSQUERY_MATCH.format(tsquery=bind_next(args, tiers.queries[0]))
    values = dict(
        columns=RANK_COLUMNS, listing_columns=LISTING_COLUMNS, tier_order=TIER_ORDER, match=match, filters=filters,
        walk_rows=bind_next(args, max(PROBE_ROWS, WINDOWS_WALK_SAFETY * expected)), need=bind_next(args, need),
        window=RANK_WINDOW, window_order=WINDOW_ORDER, limit=bind_next(args, limit_rows),
        offset=bind_next(args, offset - start),
    )
    after_cte = "" if after is None else AFTER_CTE.format(after=bind_next(args, after))
    older = FROM_NEWEST if after is None else FROM_AFTER
    text = WINDOWS_FROM_SQL.format(after_cte=after_cte, older=older.format(**values), **values)
    return Query(text, tuple(args), generic_plan=True)


READ_COST = 4  # a listing read whole through the index costs ~4 walked ones (3.4 vs 0.9 us at 1M)


# A listing read in one candidate pass through the trigram index (a text no few words hold:
# sql.holding_words) costs ~18 us, its name and the keyed words rechecked: ~20 walked ones (`boss
# ds-1` in Efectos under 200: 5,628 listings in 102-109 ms at 1M, walked 5.8; EXPLAIN.md, session 16)
RECHECKED_COST = 20


def _small_tier_rows(listings: int | None, depth: int, probe_rows: int, filtered: bool) -> int:
    """A tier holding at most this many listings is read whole through the GIN index, not probed.

    Only when the probe is not expected to fill the page (fewer than `depth` of the tier among the
    `probe_rows` newest listings): a probe that fills it stops early and costs less. Without
    filters, also only when reading the tier costs less than walking on: the walk finds `depth` of
    a tier of n rows after about depth x listings / n listings, reading the tier costs its n rows
    at READ_COST walked ones each (a heap fetch out of rank order), so below
    sqrt(depth x listings / READ_COST) rows. Reading every tier the probe could not fill read all
    26,000 `korg` listings from page 3 on: 100 ms, where the walk reads ~6,300: 20 ms
    (ops/bench/EXPLAIN.md, session 4); without READ_COST, one word of 6,500-7,600 listings (`mesa`,
    `elektron`) was read whole on page 1 (17-26 ms at 1M, walked 1.4-2.2) and words of 30,000 on
    page 20 (`korg` 82-93 -> 6-10 ms; EXPLAIN.md, session 11). With a
    category, price or website filter only part of the tier qualifies, so a walk goes further than
    that and the category-first GIN index reads only the category's part: no second condition.
    """
    listings = listings or 0
    rows = listings * depth // probe_rows
    return max(SMALL_TIER_ROWS, rows if filtered else min(rows, math.isqrt(int(listings * depth / READ_COST))))


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


def _probe_share(expansion: query.Expansion | None, listings: int | None, probe_rows: int) -> float | None:
    """The share of the table the probe's newest `probe_rows` listings are, when their days can be asked
    of the GIN index instead (the publish statistics are known and the table is big enough); else None."""
    if expansion is None or expansion.publish is None or not listings:
        return None
    share = probe_rows / listings
    return None if share > SPAN_MAX_SHARE else share  # a small table: the probe alone covers much of it


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
    share = _probe_share(expansion, listings, probe_rows)
    if share is None or bound is None:
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
    costing READ_COST probed ones; the probe reads about depth x listings / n listings for a
    tier of n, and n is at least the names holding the words as a phrase (expansion.phrase_listings,
    for a typo its nearest spelling's: `fender stratocaster`, 12,679 at 1M, where the typo's tier is
    bounded by 61,408: its 2,576 newest listings probed for 60 matches, ~140 in the span; EXPLAIN.md,
    session 10).
    """
    share = _probe_share(expansion, listings, probe_rows)
    if share is None or not bound or not expansion.phrase_listings:
        return None
    if READ_COST * bound * share > depth * listings / expansion.phrase_listings:
        return None
    since = expansion.publish.newest_from(share)
    return None if since is None else recency.span(since)




def _bounds(
    tiers: query.Tiers | None, within: query.CategoryWords | None, depth: int,
) -> tuple[tuple[int | None, ...], int | None]:
    """At most how many listings each tier holds, and all of them together (None: unknown).

    Within a category (`within`: ANALYZE's counts of its words), a tier whose words
    ANALYZE counts as rare in the category (migration 0019; query.CategoryWords) is bounded by that
    count: a word common in the table can be rare in the category (`fender` in Teclados: 117,000
    listings, none there; `korg` in Guitarras), and its tier is then read from the keyed words
    (0.1-0.3 ms at 1M) rather than probed among the newest listings for nothing (6-22 ms). Rare:
    fewer than reading them whole costs walks, sqrt(depth x listings / READ_COST) (3,873
    at 1M); `korg` in Teclados (8,550) read whole took 29-37 ms, walked 6.5 (EXPLAIN.md, session 9).
    """
    if tiers is None:
        return (), None
    if within is None:
        return tiers.bounds, tiers.any_bound

    few = max(SMALL_TIER_ROWS, math.isqrt(int(within.listings * depth / READ_COST)))

    def rare(text: str, bound: int | None) -> int | None:
        in_category = rare_in_category(text, within, few)
        return bound if in_category is None or (bound is not None and bound <= in_category) else in_category

    return tuple(rare(text, bound) for text, bound in zip(tiers.queries, tiers.bounds)), rare(tiers.any_match, tiers.any_bound)


def _qualifying(text: str, bound: int, within: query.CategoryWords | None, price_share: float | None) -> int:
    """At most how many of a tier's `bound` listings the filters are expected to let through: within a
    category, ANALYZE's counts of its words there bound them (sql.category_bound, uncapped), and a
    price range keeps its share of those. A tier of more listings than a filtered search reads whole
    (_small_tier_rows) is still read whole when this is under what reading costs less than walking
    (the unfiltered rule): `guitarra clasica` in Bajos 300-1000 probed the newest 5,000 listings for
    one, then read its 60 through the index (7.5 + 7.9 ms at 1M). The 321 locust searches this
    changes: 2.5 -> 0.8 s in all, same page ids (ops/bench/EXPLAIN.md, session 15)."""
    if within is not None:
        in_category = category_bound(text, within)
        if in_category is not None:
            bound = min(bound, in_category)
    return int(bound * price_share) if price_share is not None else bound


def _few_in_category(
    within: query.CategoryWords | None, bound: int | None, table_bound: int | None, small_rows: int,
) -> bool:
    """Does the category hold few of a tier's words (ANALYZE's counts of its words bound the tier below
    the table's count, and few enough to read whole)? A phrase tier is then read whole from the words
    keyed by the category, not among the table's newest listings: that GIN scan asked for the category's
    key, the words' and the newest days' together, all long posting lists, to find the few listings
    holding them all (`guitarra electrica` in Bajos at 1M: 15 ms of index for none; the 325 locust
    searches this changes: 13-14.5 -> 5.6-6.3 ms median, ops/bench/EXPLAIN.md session 15)."""
    return within is not None and bound is not None and table_bound is not None and bound < table_bound and bound <= small_rows


def _first_tier_fills(tight: bool, bounds: tuple[int | None, ...], depth: int) -> bool:
    """Is the first tier expected to fill the page by itself (SPAN_SAFETY times over), so that the later
    tiers never run and one candidate pass would read them for nothing? Only for a `tight` bound (one
    word, no filters: search_word's count is the tier's, expired listings aside). At 1M, `pearl`
    (11,433 listings) page 12 read its tiers' 10,080 candidates, 40-42 ms, its own tier 5.7-12;
    `elektron` page 5 22-25 -> 4.4-4.8, `reverb` page 20 44-64 -> 11 (EXPLAIN.md, session 11)."""
    return tight and bool(bounds) and bounds[0] is not None and bounds[0] >= SPAN_SAFETY * depth


# A statement of several tiers costs the executor's start-up of every tier's plan, run or not: 0.3-0.5
# ms of postgres for two words whose phrase tier fills the page (`fender stratocaster` at 1M: 1.62 ->
# 1.17 ms with the phrase tier alone; served, postgres 2.0-2.4 -> 1.2-1.5 ms a request). Of the locust
# users' searches without filters, every one whose phrase search_suggestion counts in 1,000+ listings,
# and its words as many, filled page 1 from its phrase tier among the newest, as did every one word
# whose own tier _first_tier_fills; every other phrase whose words 1,000+ listings hold filled it from
# the phrase and its words in any order, the first two tiers (EXPLAIN.md, session 14). Those pages try
# those tiers alone first (Query.first_try, views).
FIRST_TRY_PHRASE_LISTINGS = 1_000


def _first_try_tiers(
    params: SearchParams, recent_phrase: bool, one_word: bool, bounds: tuple[int | None, ...], depth: int,
) -> int:
    """How many of its first tiers are expected to fill page 1 of a search without filters by
    themselves (0: not expected): the page tries them alone first (Query.first_try; views) and runs
    the whole statement only when they fall short (the same rows either way: the tiers come in order).
    `recent_phrase`: the first tier is the phrase among the newest listings."""
    if params.page != 1 or not bounds or bounds[0] is None:
        return 0
    if one_word:
        return 1 if _first_tier_fills(True, bounds, depth) else 0
    if not recent_phrase or bounds[0] < FIRST_TRY_PHRASE_LISTINGS:
        return 0
    phrase = params.expansion.phrase_listings if params.expansion is not None else None
    return 1 if phrase is not None and phrase >= FIRST_TRY_PHRASE_LISTINGS else 2


def _common_in_category(text: str, within: query.CategoryWords, rows: int) -> bool:
    """Do ANALYZE's counts of the category's common words (migration 0019) put more than `rows` of
    its listings in tier `text` (words it does not list count as none)? Then its newest are found by walking the newest listings, as without
    filters: `moog` in Sintetizadores (11,794 there, under the 12,000 a filtered tier is read whole
    below at 1M) read all of them and rechecked each for the substring, 125-145 ms; walked 5-13 ms
    (ops/bench/EXPLAIN.md, session 13). A word the counts do not list (rare there) is read whole
    from the category's keys as before (`amplificador` in Baterias: 0.6 ms; walked 7)."""
    listed = category_listed(text, within)
    return listed is not None and listed > rows


def _common_in_range(text: str, bound: int, within: query.CategoryWords | None, price_share: float | None, rows: int) -> bool:
    """Are more than `rows` of a tier's (at most `bound`) listings expected within the search's price range
    (its share of the table) and category (ANALYZE's counts of the words it lists; a word it does not
    list: too few to say)? A tier of at most listings x depth / probe rows (12,000 at 1M) was read
    whole whatever the filters: `moog` in Sintetizadores over 500 read 8,904 listings (42-47 ms at 1M),
    `nord stage` over 500 6,409 (31-41), where walking the newest found a page in 3.8-12. The range's
    share is the table's, not the words' (nord stages are dear): when the probe finds fewer than the
    rule expects, the tier is read whole after it (walk_min), 6-9 -> 16-22 ms for `nord stage` from 100
    to 1000. The 30 locust searches this changes: 579 -> 384 ms in all (ops/bench/EXPLAIN.md, session 16).
    `rows`: below it reading costs less than walking; fewer where one candidate pass would recheck
    every name holding the text (RECHECKED_COST: `boss ds-1` under 200, ~2,200 expected, 56 -> 4.5 ms)."""
    if price_share is None:
        return False
    if within is not None:
        listed = category_listed(text, within)
        if listed is None:
            return False
        bound = min(bound, listed)
    return bound * price_share > rows


def _range_walk_min(rows: int, probe_rows: int, listings: int) -> int:
    """How many matches the probe of a tier expected in a price range must find for the walk to go on:
    as many as `rows` (below which reading the tier whole costs less than walking) make among the
    probe's listings. The range's share is the table's, not the words': a few dear listings among
    many words walked 40,000 listings before reading the tier (`zildjian` in Baterias over 500, 1,381
    of ~4,500 expected: 22 -> 46 ms at 1M; `squier` in Bajos over 500, 1,917 of ~6,800: 48-77 ms);
    read after the probe, 22 and 18-29 (ops/bench/EXPLAIN.md, session 16)."""
    return math.ceil(rows * probe_rows / listings)


def _one_pass(any_bound: int | None, small_rows: int) -> bool:
    """Are all the tiers' rows together (at most `any_bound`) few enough to read them in one candidate pass?"""
    return any_bound is not None and any_bound <= small_rows


PRICE_BLOCKS_ARG = "$price_blocks"  # in a read's filters until search_page binds the blocks (no `$n`: not a parameter)


class TierRead(NamedTuple):
    """How search_page reads one tier (or the substring-only matches)."""

    match: str  # the tier's condition on a listing
    gin_match: str  # the same as its GIN read asks it (the keyed words within a category)
    gin_filters: str  # the filters of its GIN read (prices.tested: the price by its blocks or by listing)
    span_filters: str  # the same of its read within a span of days (fewer listings)
    read: str  # "small", "probe", "span", ... (search_page's templates)
    walk_min: int = 0  # for a probe: see _walk_min
    # the placeholders of a tier's span (SPAN_NEWEST_SQL), or of the phrase tier's two (RECENT_PHRASE_SPAN_SQL)
    spans: tuple[str, ...] = ()


def search_page(params: SearchParams) -> Query:
    """One page of name-search results in relevance (or the requested) order.

    Relevance: the tiers (query.tiers, then substring-only matches) are concatenated best first;
    each reads its newest rows up to the page's depth (probe, GIN, or one shared candidate
    pass: see above) and ranks them in windows (TIER_SQL).
    """
    args: list[Any] = []
    # every sort of a search shows its first RELEVANCE_MAX_DEPTH rows only; whole windows: the same order on every page
    offset, limit_rows, depth, windows_depth = _depths(params)
    if params.sort != "relevance":  # a search in another order is a filtered list: the match is one more condition
        where = filtered_where(params, args, ordered=True)
        args += [limit_rows, offset]
        text = LIST_SQL.format(
            columns=LISTING_COLUMNS, where=where, order=order_by(params),
            limit=f"${len(args) - 1}", offset=f"${len(args)}",
        )
        return Query(text, tuple(args))
    # (planned generically: values computed from the parameters are computed `once`, sql.of_values)
    clauses = where_clauses(params, args, skip=PRICE_FILTERS, once=True)
    indexed_price, tested_price = price_clauses(params, args)
    filters = and_all(clauses + indexed_price)
    # the category's value is the first one the filters bind (FILTERS): the keyed words use it, and
    # then hold the category's condition (beside them, the generic plan ANDed the category's whole
    # posting list from the category-first index: `casio` in Teclados 20 -> 30-42 ms at 1M)
    category = "$1" if params.category is not None else None
    keyed_clauses = [c for c in clauses if c != category_clause(category, once=True)] if category else clauses
    args += [limit_rows, offset, windows_depth]
    limit, offset_arg, depth_arg = (f"${len(args) - 2}", f"${len(args) - 1}", f"${len(args)}")
    probe_rows = max(PROBE_ROWS, PROBE_DENSITY * windows_depth)
    tiers = search_tiers(params)
    # (match condition, how to read it: "small" through an index, "probe" then the GIN index,
    # "probe only" for a substring too short for the trigram index)
    listings = params.expansion.listings if params.expansion else None
    filter_names = [param for param, _, _ in filter_values(params)]
    filtered = bool(filter_names)
    price_share = price_share_of(params)

    def read_blocks(rows: int | None, recheck_us: float = 0.0) -> str | None:
        """The price range's blocks a GIN read of at most `rows` listings asks its index for, beside
        testing the bounds on each listing it reads (None: the test alone costs less, prices.tested)."""
        if not tested_price or prices.tested(rows, listings, price_share, recheck_us):
            return None
        return PRICE_BLOCKS_MATCH.format(PRICE_BLOCKS_ARG)  # (bound below if a read uses it)

    def read_filters(keyed: bool, rows: int | None, recheck_us: float = 0.0) -> str:
        """The filters of a GIN read of at most `rows` listings; `keyed`: its words hold the category."""
        blocks = read_blocks(rows, recheck_us)
        return and_all((keyed_clauses if keyed else clauses) + ([blocks] if blocks else []) + tested_price)

    small_rows = _small_tier_rows(listings, windows_depth, probe_rows, filtered)
    one_word = len(query.parse(params.name).words) == 1
    # with a price range alone, a tier's listings in the range are expected at the range's share of
    # its own (the table's share: a word's prices can spread otherwise, and then its span falls short
    # and the tier is read whole after it); its newest are read from a span of days as without filters
    priced_only = price_share is not None and set(filter_names) <= set(PRICE_FILTERS)
    in_range = price_share if priced_only else 1.0

    def expected(bound: int | None) -> int | None:
        return None if bound is None else int(bound * in_range)

    # the last tier: names containing the text that no word tier matched (none when
    # substring_in_words); the trigram index answers a substring of 3+ characters, a shorter one
    # can only be probed. Its values are bound only when the text uses them (an unused $n has no type).
    substring_read = "small" if trigram_selective(params.name) else "probe only"
    substring_tier = tiers is None or not substring_in_words(params)
    holding = holding_words(params) if tiers is not None else None
    in_category = within_category(params)
    bounds, any_bound = _bounds(tiers, in_category, windows_depth)
    # with a category alone, a tier the category's own counts call common is walked when the rule
    # without filters would walk it (its listings are spread over the newest as over the category)
    within = in_category if filter_names == ["category"] else None
    read_rows = _small_tier_rows(listings, windows_depth, probe_rows, False)  # (the rule without filters)
    # (one candidate pass through the trigram index would recheck every name holding the text: reading
    # then costs RECHECKED_COST walked listings a listing, and walking pays off sooner)
    rechecked = substring_tier and holding is None and substring_read == "small" and bool(listings)
    range_rows = math.isqrt(int(listings * windows_depth / RECHECKED_COST)) if rechecked else read_rows
    # a filtered tier whose category and range are expected to let through more than reading costs
    # less than walking is probed (_qualifying for a tier of more listings than a filtered one is read
    # whole below; with a price range, _common_in_range for fewer); with a price range, walked only if
    # its probe confirms it (range_walk_min)
    many = [
        b is not None and (
            (b > small_rows and _qualifying(text, b, in_category, price_share) > read_rows)
            or (b <= small_rows and _common_in_range(text, b, in_category, price_share, range_rows)))
        for text, b in zip(tiers.queries if tiers else (), bounds)
    ]
    tier_reads = [
        "probe" if b is None or many_in_range or (within is not None and _common_in_category(text, within, read_rows))
        else "small"
        for text, b, many_in_range in zip(tiers.queries if tiers else (), bounds, many)
    ]
    confirmed = [m and price_share is not None and bool(listings) for m in many]
    one_pass = (
        all(read == "small" for read in tier_reads + ([substring_read] if substring_tier else []))
        and _one_pass(any_bound, small_rows)
        and not _first_tier_fills(one_word and (not filtered or priced_only), tuple(map(expected, bounds)), windows_depth)
    )
    # several words: the phrase tier looks among the newest listings only (RECENT_PHRASE_SQL), unless
    # its words are so rare that rechecking every listing holding them costs less than a probe
    recent_phrase = (
        not one_pass and tiers is not None and tiers.after_recent_phrase is not None
        and (bounds[0] is None or bounds[0] > min(small_rows, SMALL_TIER_ROWS))
        and not _few_in_category(in_category, bounds[0], tiers.bounds[0], small_rows)
    )
    tier_queries = (tiers.queries[:1] + tiers.after_recent_phrase) if recent_phrase else tiers.queries if tiers else ()
    matches: list[TierRead] = []
    # the plain words of a phrase read from its spans (RECENT_PHRASE_SPAN_SQL), and the spans' placeholders
    phrase_words, phrase_spans = None, ()
    for number, (tier_text, bound, read) in enumerate(zip(tier_queries, bounds, tier_reads)):
        # with a category, the GIN reads' condition (a phrase tier among the newest is no GIN read); the
        # words' own condition is bound only when a read uses it (an unused placeholder has no type)
        keyed = None
        if read in ("small", "probe") and not one_pass and not (recent_phrase and number == 0):
            keyed = keyed_words(tier_text, category, args, once=True)
        if keyed is not None and keyed[1] and read == "small":
            match = gin_match = keyed[0]
        else:
            tier_arg = bind_next(args, tier_text)
            match = TSQUERY_MATCH.format(tsquery=tier_arg)
            gin_match = match if keyed is None else keyed[0] if keyed[1] else f"{keyed[0]} AND {TSQUERY_CHECK.format(tsquery=tier_arg)}"
        spans: tuple[str, ...] = ()
        if recent_phrase and number == 0:
            read, blocks = "recent", _recent_spans(params.expansion, listings, probe_rows, bound, windows_depth)
            if blocks:
                phrase_words = tsquery.indexable(tier_text)[0]
                read, spans = "recent span", tuple(bind_next(args, value) for value in (*map(list, blocks), phrase_words))
                phrase_spans = spans
        elif recent_phrase:
            match, gin_match = (f"{m} AND {NOT_RECENT_PHRASE}" for m in (match, gin_match))
            loose = tsquery.indexable(tier_text) if number == 1 and phrase_words is not None else None
            if read == "probe" and loose is not None and loose[0] == phrase_words:
                read, spans = "span words", phrase_spans  # its listings in the phrase's spans first (SPAN_WORDS_NEWEST_SQL)
        if read == "probe" and not one_word and not recent_phrase and bounds[0] == 0:  # the typed phrase matches nothing
            blocks = _span_first(params.expansion, listings, probe_rows, bound, windows_depth)
            if blocks:
                read, spans = "span first", (bind_next(args, list(blocks)),)
        if not one_pass and (not filtered or priced_only) and (read == "small" or read == "probe" and one_word and _probe_falls_short(
                expected(bound), listings, windows_depth, probe_rows)):
            blocks = _publish_span(params.expansion, expected(bound), windows_depth)
            if blocks:
                read, spans = "span", (bind_next(args, list(blocks)),)
        walk_min = _walk_min(bound, listings, windows_depth, probe_rows, filtered, one_word)
        if read == "probe" and confirmed[number]:
            walk_min = max(walk_min, _range_walk_min(range_rows, probe_rows, listings))
        # a span read holds the tier's listings of at most WALK_FACTOR x the probe's listings' days
        span_rows = None if bound is None or not listings else bound * WALK_FACTOR * probe_rows // listings
        matches.append(TierRead(
            match, gin_match, read_filters(bool(keyed), bound), read_filters(bool(keyed), span_rows), read, walk_min, spans,
        ))
    like = any_match = None
    if tiers is None:
        like = bind_next(args, like_pattern(params.name))
        substring = substring_match(like, once=True)
        matches.append(TierRead(substring, substring, read_filters(False, None), filters, substring_read))
    elif substring_tier:
        like, any_match = bind_next(args, like_pattern(params.name)), bind_next(args, tiers.any_match)
        substring = SUBSTRING_ONLY_MATCH.format(substring=substring_match(like, once=True), any=any_match)
        if holding is not None:  # (read through the words holding the text: sql.words_holding)
            substring = f"{TSQUERY_MATCH.format(tsquery=bind_next(args, holding))} AND {substring}"
        matches.append(TierRead(substring, substring, read_filters(False, None), filters, substring_read))
    candidates = ""
    counted = False  # the candidates are exactly the listings the search matches: their count is the count
    if one_pass:
        # (the keyed words may match more: each tier then checks its own condition on the candidates)
        keyed = keyed_words(wider_match(tiers.any_match, holding), category, args, once=True)
        if keyed is None:
            words = TSQUERY_MATCH.format(tsquery=any_match if any_match and holding is None else bind_next(
                args, wider_match(tiers.any_match, holding)))
        else:
            words = keyed[0]
        if like is None:
            match, read = words, read_filters(keyed is not None, any_bound)
        elif holding is not None:  # the words or the words holding the text, then each listing tested
            match, read = words_holding(words, any_match, like, once=True), read_filters(keyed is not None, any_bound)
        else:  # each arm of the OR asks its own index for the range's blocks
            # (with the keyed words, the trigram index's pages are rechecked: words_or_substring)
            blocks = read_blocks(any_bound, prices.FOLDED_RECHECK_US if keyed is not None else 0.0)
            match = words_or_substring(words, like, category if keyed else None, once=True, blocks=blocks)
            read = and_all((keyed_clauses if keyed else clauses) + tested_price)
        candidates = CANDIDATES_SQL.format(columns=RANK_COLUMNS, match=match, filters=read)
        # (words_holding tests each candidate's own words: they are the matches whatever the keyed words match)
        counted = keyed is None or keyed[1] or holding is not None
    parts = []
    probe_arg = walk_arg = walk_min_arg = None
    templates = {
        "small": SMALL_NEWEST_SQL, "span": SPAN_NEWEST_SQL, "probe": PROBED_NEWEST_SQL,
        "probe only": PROBE_ONLY_NEWEST_SQL, "recent": "newest AS (SELECT * FROM recent_phrase)",
        "recent span": "newest AS (SELECT * FROM recent_phrase)", "span words": SPAN_WORDS_NEWEST_SQL,
        "span first": SPAN_FIRST_NEWEST_SQL,
    }
    # a tier that holds no listing for sure (query.Tiers.empty: the typed words' own lexemes are in no
    # listing, as `fendr stratocastr`'s first two) is left out: its plan's start-up cost is all it adds
    empty = tiers.empty if tiers is not None else ()
    # (every tier empty and no substring tier: the last one stays, a statement of no tiers is no statement)
    numbers = [n for n in range(len(matches)) if not (n < len(empty) and empty[n])] or [len(matches) - 1]
    for number in numbers:
        tier = matches[number]
        read = tier.read
        probed = read in ("probe", "recent", "span words", "span first")
        if probed and probe_arg is None:
            probe_arg, walk_arg = bind_next(args, probe_rows), bind_next(args, (WALK_FACTOR - 1) * probe_rows)
        if probed or read == "recent span":  # each its own: a lone common word walks whatever its probe found
            walk_min_arg = bind_next(args, tier.walk_min)
        span, wide_span, words = (*tier.spans, None, None, None)[:3]
        values = dict(
            columns=RANK_COLUMNS, match=tier.match, gin_match=tier.gin_match, filters=filters,
            gin_where=f"{tier.gin_match} AND {tier.gin_filters}",
            tier_order=TIER_ORDER, p="", span_where=f"{tier.gin_match} AND {tier.span_filters}", span_filters=tier.span_filters,
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
    columns = f"{LISTING_COLUMNS}, {CANDIDATES_COUNT}" if counted else LISTING_COLUMNS

    def statement(tiers: list[str]) -> str:
        return SEARCH_TIERS_SQL.format(
            candidates=candidates, columns=columns, tiers="\n    UNION ALL\n".join(tiers), limit=limit, offset=offset_arg,
        )

    text = statement(parts)
    if PRICE_BLOCKS_ARG in text:  # (a placeholder no read uses would have no type)
        text = text.replace(PRICE_BLOCKS_ARG, bind_next(args, prices.price_blocks(params.min_price, params.max_price)))
    # (tried first only without filters, so without the price's blocks)
    first_tiers = 0 if filtered else _first_try_tiers(params, recent_phrase, one_word, bounds, windows_depth)
    first_parts = [part for number, part in zip(numbers, parts) if number < first_tiers]
    first_try = (
        Query(*only_used(statement(first_parts), args), generic_plan=True, counted=counted)
        if 0 < len(first_parts) < len(parts) else None
    )
    if len(numbers) < len(matches):  # (the values only the tiers left out use are unbound)
        text, args = only_used(text, args)
    # (its counts are planned with their values: paging.fetch_page)
    return Query(text, tuple(args), generic_plan=True, first_try=first_try, counted=counted)
