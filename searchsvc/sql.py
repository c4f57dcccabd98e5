"""Pure functions turning request parameters into parameterised SQL (no I/O here).

Lists, counts and estimates, and what a search's page (sql_search), counts and facets (sql_facets)
share: the filters, the match of a search, its words keyed by the category. Values always travel
as bound `$n` arguments; the only text pasted into SQL comes from the constants and whitelists of
the sql modules.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Sequence

from . import prices, query, tsquery
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
    # a shorter statement to try first, whose rows are this one's when it gives a full page (a search
    # page's first tier alone: sql_search.search_page)
    first_try: "Query | None" = None
    # its rows carry `matched`, the count of every listing matching the request (a search page whose
    # tiers are read in one candidate pass: sql_search.search_page): no count statement needed
    counted: bool = False


_PLACEHOLDER = re.compile(r"\$(\d+)\b")


def only_used(text: str, args: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
    """A statement cut from a larger one (`text` holds some of its placeholders): its placeholders
    renumbered in order, and the values they use (a value no placeholder uses would have no type)."""
    renumbered, used = _renumbered(text)
    return renumbered, tuple(args[n - 1] for n in used)


@functools.lru_cache(maxsize=512)
def _renumbered(text: str) -> tuple[str, tuple[int, ...]]:
    # a statement's text holds no values, so searches of the same shape share it (the regex over a
    # first try's 5.7 kB took ~40 us a search)
    used = sorted({int(number) for number in _PLACEHOLDER.findall(text)})
    new_number = {old: new for new, old in enumerate(used, 1)}
    return _PLACEHOLDER.sub(lambda m: f"${new_number[int(m.group(1))]}", text), tuple(used)


# price and dates as the response writes them: numeric(10, 2) as text has its two decimals, dates are
# ISO (db.connection_settings pins DateStyle). PostgreSQL formats them for less than asyncpg's Decimal
# and date objects plus Python's formatting cost: -0.18 ms of the service's CPU per 51-row page
# (ops/bench/RESULTS.md, session 17)
LISTING_COLUMNS = (
    "id, name, price::text AS price_text, link, image, location, category, "
    "expiration::text AS expiration_text, publish::text AS publish_text, website"
)
# What ranking reads of each candidate (the window order: publish, id, name's word count); the page's
# own rows are read whole at the end, by id: 51 rows, not every candidate of every tier
RANK_COLUMNS = "id, name, publish"

# A generic plan does not know its parameters, so it cannot fold a function of them, such as
# searchsvc_fold($1), into a constant as a custom plan does: it computes it again for every row it
# tests, 3-12 us a row for the folded category, the folded LIKE pattern and the category's keyed
# query (`moog` in Sintetizadores rechecks 11,794 listings: 224 -> 84 ms a page at 1M, ops/bench/
# EXPLAIN.md, session 13). Statements planned generically (`once`) compute them as scalar subqueries,
# InitPlans run once a statement; the others keep the functions, whose constants their custom plans
# estimate from the statistics (a subquery's value is unknown to the planner).
def of_values(expression: str, once: bool) -> str:
    """`expression`, a function of the statement's parameters, computed once a statement when `once`."""
    return f"(SELECT {expression})" if once else expression


def category_clause(placeholder: str, once: bool = False) -> str:
    """Listings of the category bound to `placeholder`, accent- and case-folded."""
    return f"searchsvc_fold(category) = {of_values(f'searchsvc_fold({placeholder})', once)}"


# (parameter, SQL template): `{}` becomes the next `$n`, bound to the parameter's value; `None`:
# the category (category_clause).
FILTERS: tuple[tuple[str, str | None], ...] = (
    ("category", None),
    ("website", "lower(website) = ANY({}::text[])"),
    ("min_price", "price >= {}"),
    ("max_price", "price <= {}"),
)
NOT_EXPIRED = "(expiration IS NULL OR expiration >= CURRENT_DATE)"
PRICE_FILTERS = ("min_price", "max_price")
# The price range as no index answers it, tested on each listing a read finds by other means (a
# search's GIN reads: alone, or beside the range's blocks, prices.tested)
TESTED_PRICE = {"min_price": "price + 0 >= {}", "max_price": "price + 0 <= {}"}
# The blocks of prices covering the range (prices.price_blocks), as the search's GIN indexes (words,
# keyed words, trigrams) key each listing's price (migrations 0020-0021): asked in the same index scan
PRICE_BLOCKS_MATCH = "searchsvc_price_blocks(price) && {}::integer[]"

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


def filter_values(params: ListParams) -> list[tuple[str, str | None, Any]]:
    """(parameter, SQL template, value) of each filter `params` sets."""
    return [(param, template, value) for param, template in FILTERS if (value := getattr(params, param)) not in (None, ())]


def where_clauses(
    params: ListParams, args: list[Any], skip: tuple[str, ...] = (), once: bool = False, tested: tuple[str, ...] = (),
) -> list[str]:
    """The filter conditions of `params` (but those named in `skip`), appending their values to `args`;
    `once`: for a generic plan (of_values); `tested`: price filters written as no index answers them
    (TESTED_PRICE)."""
    clauses = []
    for param, template, value in filter_values(params):
        if param in skip:
            continue
        placeholder = bind_next(args, _bind(value, param))
        template = TESTED_PRICE[param] if param in tested else template
        clauses.append(category_clause(placeholder, once) if template is None else template.format(placeholder))
    if not params.include_expired:
        clauses.append(NOT_EXPIRED)
    return clauses


def price_clauses(params: ListParams, args: list[Any]) -> tuple[list[str], list[str]]:
    """The price range's conditions as the price index answers them, and as tested on each listing
    read (TESTED_PRICE), of the same values, appended to `args` once."""
    indexed, tested = [], []
    for param, template, value in filter_values(params):
        if param in PRICE_FILTERS:
            placeholder = bind_next(args, value)
            indexed.append(template.format(placeholder))
            tested.append(TESTED_PRICE[param].format(placeholder))
    return indexed, tested


def and_all(clauses: list[str]) -> str:
    """The conditions ANDed (TRUE when there are none)."""
    return " AND ".join(clauses) if clauses else "TRUE"


def order_by(params: ListParams) -> str:
    """The ORDER BY of a list (or a search in another order than relevance), from the SORTS whitelist."""
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
        columns=LISTING_COLUMNS, where=where, order=order_by(params),
        limit=f"${len(args) - 1}", offset=f"${len(args)}",
    )
    return Query(text, tuple(args))


def list_count(params: ListParams, cap: int) -> Query:
    """How many rows match `params` (list or search), counting no further than `cap`.

    A search counts a price range with its blocks too (migrations 0020-0021), unless testing each
    listing costs less: its words' index (and trigram index) then yields the listings in the range's
    blocks, where the planner ANDed the price index's bitmap of the whole range or read every listing
    of the words (`guitarra clasica` in Bajos 1000-3000: 105 -> 15 ms at 1M; ops/bench/EXPLAIN.md,
    session 14). Not in the estimate: the planner would take the blocks and the bounds for
    independent conditions.
    """
    args: list[Any] = []
    where = filtered_where(params, args, blocks=True)
    args.append(cap)
    return Query(COUNT_SQL.format(where=where, cap=f"${len(args)}"), tuple(args))


def price_share_of(params: SearchParams) -> float | None:
    """About what share of all listings the search's price range holds (None: no range, or no statistics)."""
    stats = params.expansion.prices if params.expansion is not None else None
    if stats is None or (params.min_price is None and params.max_price is None):
        return None
    return stats.share(params.min_price, params.max_price)


def _counted_by_blocks(params: SearchParams) -> bool:
    """Does a count of the search ask its indexes for the price range's blocks (prices.tested)?"""
    tiers = search_tiers(params)
    share = price_share_of(params)
    listings = params.expansion.listings if params.expansion is not None else None
    return share is not None and not prices.tested(tiers.any_bound if tiers else None, listings, share)


def count_estimate(params: ListParams) -> Query:
    """The planner's estimate of how many rows match `params` (list or search): EXPLAIN, no scan."""
    args: list[Any] = []
    return Query(ESTIMATE_SQL.format(where=filtered_where(params, args, estimate=True)), tuple(args))


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its wildcards escaped, accent- and case-folded in SQL."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Search: the typed words are looked up first (sql_words.WORD_EXPANSION_SQL: their literal and
# stemmed lexemes, synonyms, and near spellings of words that match nothing); query.tiers() turns
# them into one tsquery per rank tier. A row matches when it is in some tier, or when its name
# contains the typed text (the old backend's guarantee: a last, substring-only tier).
def substring_match(like: str, once: bool = False) -> str:
    """Names holding the text whose LIKE pattern (like_pattern) is bound to `like`, accent- and case-folded."""
    return f"searchsvc_fold(name) LIKE {of_values(f'searchsvc_fold({like})', once)}"


# A text with no run of 3 letters or digits ('""', "!!", "st", "x -x") gives the trigram index
# nothing selective to look up: its substring matches would cost a scan of every name (seconds at
# 1M listings), so they are looked for among the newest SHORT_TEXT_PROBE_ROWS listings only.
NEWEST_SUBSTRING_MATCH = "({substring} AND id IN (SELECT id FROM instrument ORDER BY {tier_order} LIMIT {rows}))"
_TRIGRAM_WORD = re.compile(r"[^\W_]{3}")


def trigram_selective(text: str) -> bool:
    """Can the trigram index look up a substring of `text` (does it hold 3 letters or digits in a row)?"""
    return _TRIGRAM_WORD.search(text) is not None

# Within a day, ids in shuffled blocks of 16 (migration 0017), not in id order: ids follow
# insertion, scrapers load one marketplace after another, and a probe of the day's first-loaded
# listings judged every search by one shop (at 5M `piano digital` found almost no keyboards among a
# guitar shop's newest 5,000 and read all its matches through the GIN index: 236 -> 3.4 ms page
# query; EXPLAIN.md, session 6). The shuffle is a bijection of the ids: a total order, stable pages.
TIER_ORDER = "publish DESC NULLS LAST, searchsvc_shuffle(id)"

SMALL_TIER_ROWS = 2000

# A substring of 1-2 characters has no trigram: its substring-only matches are looked for among
# the newest SHORT_TEXT_PROBE_ROWS listings only (a full scan would find "zq" nowhere in seconds).
SHORT_TEXT_PROBE_ROWS = 1000
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
CATEGORY_WORDS_MATCH = "searchsvc_category_words(category, search_vector) @@ {query}"
CATEGORY_QUERY = "searchsvc_category_query({category}, {tsquery}::tsquery)"


def words_or_substring(words: str, like: str, category: str | None = None, once: bool = False, blocks: str | None = None) -> str:
    """`words` or the name holding the text (`like`); `category`: the words are keyed by it (they
    hold its condition), so a name holding the text must be of it too; `blocks`: a price range's
    blocks (PRICE_BLOCKS_MATCH), asked by each arm of the OR from its own index (migrations 0020-0021).

    A bitmap read of the two rechecks every listing on a page the trigram index gave (it is lossy),
    testing the arms in the order written: the cheaper first. Keyed words cost 13-25 us a listing
    to test (they are computed from the stored words), the substring 4-8 (folding name and
    category); stored words 0.3 (ops/bench/EXPLAIN.md, session 13)."""
    within = "" if blocks is None else f" AND {blocks}"
    if category is None:
        return f"(({words}{within}) OR ({substring_match(like, once)}{within}))"
    return f"(({substring_match(like, once)} AND {category_clause(category, once)}{within}) OR ({words}{within}))"


def words_holding(words: str, any_match: str, like: str, once: bool = False) -> str:
    """The match of a search whose substring-only names hold one of a few indexed words (holding_words):
    `words`, a GIN read of its words or of those (wider_match; exact, no recheck), then each listing
    tested as stored: its words (`any_match`'s placeholder; ts_match_vq, which no index answers: see
    TSQUERY_CHECK; 0.3 us), else its name holding the text (`like`'s placeholder; 4-8 us, for the few).
    Through the trigram index instead (words_or_substring), every listing whose name holds the text
    was rechecked, keyed words and folded name: `moog` in Sintetizadores over 500 read its 10,139
    listings in 100 ms at 1M (ops/bench/EXPLAIN.md, session 16)."""
    return f"{words} AND (ts_match_vq(search_vector, {any_match}::tsquery) OR {substring_match(like, once)})"


def holding_words(params: SearchParams) -> str | None:
    """The tsquery text (`'minimoog'`) of the indexed words through which names hold the search text
    without matching its words (query.Expansion.substring_words); None: no such word (no substring
    tier), or too many or not known (the trigram index then finds the names)."""
    words = params.expansion.substring_words if params.expansion is not None else None
    return " | ".join(map(query.quote, words)) if words else None


def wider_match(any_match: str, holding: str | None) -> str:
    """The tsquery text a GIN read asks for `any_match` or the `holding` words (holding_words)."""
    return any_match if holding is None else f"({any_match}) | {holding}"


def within_category(params: SearchParams) -> query.CategoryWords | None:
    """ANALYZE's counts of the searched category's words (None: no category, or never analyzed)."""
    return params.expansion.category if params.expansion is not None and params.category is not None else None


def search_tiers(params: SearchParams) -> query.Tiers | None:
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


def substring_in_words(params: SearchParams) -> bool:
    """Does every name containing the search text match its words (no substring-only matches)?"""
    return params.expansion is not None and params.expansion.substring_in_words


def _words_only(params: SearchParams) -> bool:
    """Do counts and facets match the search by its words alone (no substring through the trigram index)?"""
    return search_tiers(params) is not None and (not trigram_selective(params.name) or substring_in_words(params))


def _search_match(params: SearchParams, args: list[Any], blocks: bool = False, estimate: bool = False) -> tuple[str, bool]:
    """What a search matches, for counts and facets: any tier, or the name containing the text; and
    whether that condition holds the category's own (the filters then leave it out).

    A text without 3 letters or digits in a row counts its word matches only (no index serves
    such a substring: the page looks for substring-only matches among the newest listings), or,
    with no words at all, its substring matches among the newest listings. A text whose
    substring matches all match its words (substring_in_words) counts its word matches only; one
    whose substring-only matches hold one of a few indexed words (holding_words) reads those words
    beside its own through the words' index (words_holding), not the trigram index.
    With a category, words that are plain words (no phrase, weight or exclusion) are counted
    within it (CATEGORY_WORDS_MATCH): one index key each, whose statistics also give the planner's
    estimate per category, where the words' share times the category's share assumed the brand as
    common in every category (`fender` in Teclados: 17,048 estimated, none there). `blocks`: each
    index read also asks for the price range's blocks (list_count). `estimate`: for the planner's
    estimate only (count_estimate): the names holding the text as the trigram index finds them, as
    the planner estimates them from its statistics (it cannot see into words_holding's test: it took a
    third of the words, and `pedal delay`, ~2,500 estimated, ran a capped count of 11 ms at 1M).
    """
    tiers = search_tiers(params)
    selective = trigram_selective(params.name)
    within = within_category(params)
    # only where rare (KEYED_MAX_SHARE): a listing tested against the keyed words (the planner walking
    # an order index, a sequential count) computes them, 4 us, where `@@` reads a stored column
    # (sort=newest of `guitarra` in Guitarras: 6.9 -> 54 ms, sort=price_asc of `fender` there 14 -> 99);
    # where rare the planner reads the keys (sort=newest of `fender` in Teclados: 665-765 -> 0.03 ms)
    rare = tiers is not None and within is not None and rare_in_category(
        tiers.any_match, within, max(SMALL_TIER_ROWS, int(KEYED_MAX_SHARE * within.listings))) is not None
    loose = tsquery.indexable(tiers.any_match) if rare else None
    # the names holding the text other than as its words, when a few words hold it so (holding_words)
    holding = holding_words(params) if tiers is not None and selective and not estimate else None
    keyed = category = None
    if loose is not None and loose[1]:  # plain words: the keys alone are the condition
        category = bind_next(args, params.category)
        keyed = keyed_words(wider_match(tiers.any_match, holding), category, args)[0]

    def price_blocks() -> str | None:  # (`blocks`: the range's blocks, bound where a branch uses them)
        return PRICE_BLOCKS_MATCH.format(bind_next(args, prices.price_blocks(params.min_price, params.max_price))) if blocks else None

    def narrowed(match: str) -> str:  # one index's read, and the range's blocks in it
        return f"{match} AND {price_blocks()}" if blocks else match

    if _words_only(params):
        match, holds = (keyed, True) if keyed else (TSQUERY_MATCH.format(tsquery=bind_next(args, tiers.any_match)), False)
        return narrowed(match), holds
    like = bind_next(args, like_pattern(params.name))
    if tiers is None:
        if not selective:
            return NEWEST_SUBSTRING_MATCH.format(substring=substring_match(like), rows=SHORT_TEXT_PROBE_ROWS, tier_order=TIER_ORDER), False
        return narrowed(substring_match(like)), False
    if holding is not None:
        words = keyed or TSQUERY_MATCH.format(tsquery=bind_next(args, wider_match(tiers.any_match, holding)))
        any_arg = bind_next(args, tiers.any_match)
        return words_holding(narrowed(words), any_arg, like), keyed is not None
    if keyed:
        return words_or_substring(keyed, like, category, blocks=price_blocks()), True
    return words_or_substring(TSQUERY_MATCH.format(tsquery=bind_next(args, tiers.any_match)), like, blocks=price_blocks()), False


def filtered_where(
    params: ListParams, args: list[Any], ordered: bool = False, blocks: bool = False, estimate: bool = False,
) -> str:
    """The whole WHERE condition of a list or search request (text match and filters).

    Facets and counts reuse it so they always agree with the page. `ordered`: for a page in another
    order than relevance, which the planner may read by walking that order's index and testing each
    listing: the words and the category are then also tested as they are stored, which costs less
    than the keyed words and comes first (cheaper conditions run first; `korg` in Teclados by date:
    20 ms, the keyed words alone 91), where counts keep only the keyed words (they estimate alone).
    `estimate`: for the planner's estimate only (count_estimate, _search_match).
    `blocks`: a search's indexes are also asked for its price range's blocks (list_count, facets),
    or, where they find few listings, the range is tested on each (prices.tested) and not read from
    the price's own index beside them: `ukelele` from 1,000 to 3,000 (1,117 listings, none in the
    range) was counted by ANDing the price index's 251,940 listings, 55 ms at 1M; tested, 6
    (EXPLAIN.md, session 16).
    """
    clauses, skip, tested = [], (), ()
    if isinstance(params, SearchParams):
        by_blocks = blocks and _counted_by_blocks(params)
        match, holds_category = _search_match(params, args, by_blocks, estimate)
        if holds_category and ordered:
            if _words_only(params):
                match = f"{match} AND {TSQUERY_MATCH.format(tsquery=bind_next(args, search_tiers(params).any_match))}"
            holds_category = False  # (a name holding the text matches no words: the category is tested as stored)
        clauses.append(match)
        skip = ("category",) if holds_category else ()
        tested = PRICE_FILTERS if blocks and not by_blocks else ()
    return and_all(clauses + where_clauses(params, args, skip, tested=tested))


def bind_next(args: list[Any], value: Any) -> str:
    """Append `value` to `args`; its placeholder (`$n`)."""
    args.append(value)
    return f"${len(args)}"


def keyed_words(tsquery_text: str, category: str | None, args: list[Any], once: bool = False) -> tuple[str, bool] | None:
    """A GIN read's condition for `tsquery_text` within `category` (CATEGORY_WORDS_MATCH), and whether
    it is the whole condition (else the words' own must check the rows); None: no category, or no
    plain words to look up. `once`: for a generic plan (of_values)."""
    loose = tsquery.indexable(tsquery_text) if category is not None else None
    if loose is None:
        return None
    text, exact = loose
    keyed_query = of_values(CATEGORY_QUERY.format(category=category, tsquery=bind_next(args, text)), once)
    return CATEGORY_WORDS_MATCH.format(query=keyed_query), exact


KEYED_MAX_SHARE = 0.01  # counts, facets and other sorts look a search's words up within its category below this share


def category_bound(text: str, within: query.CategoryWords) -> int | None:
    """At most how many listings of the category match `text`, by ANALYZE's counts (None: unknown)."""
    return tsquery.bound(text, lambda word: None if word.prefix else within.at_most(word.lexeme))


def category_listed(text: str, within: query.CategoryWords) -> int | None:
    """How many listings of the category match `text` by the counts ANALYZE lists for its common words,
    a word it does not list counting as none (None: unknown, a prefix)."""
    return tsquery.bound(text, lambda word: None if word.prefix else within.listed(word.lexeme))


def rare_in_category(text: str, within: query.CategoryWords, few: int) -> int | None:
    """At most how many listings of the category match `text`, when ANALYZE's counts say at most `few`; else None."""
    bound = category_bound(text, within)
    return bound if bound is not None and bound <= few else None


def search_count(params: SearchParams, cap: int) -> Query:
    """How many rows match the search, counting no further than `cap`."""
    return list_count(params, cap)
