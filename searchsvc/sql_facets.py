"""Pure functions building the facet queries of a list or search request (no I/O here).

Each facet reuses the page's own WHERE (`sql.filtered_where`) as a subquery, with the facet's own
filter removed so that the other values keep their counts (a category facet filtered to
"bajos" would otherwise only ever show "bajos"). Lists filtered by nothing but category and
website read the same counts from a rollup kept exact by triggers (instrument_facet_count).
Facet names come from params.Facet, a whitelist; the grouped column comes from FACET_COLUMNS
below, never from the request.
"""

from __future__ import annotations

from typing import Any

from .params import ListParams, SearchParams
from .sql import FILTERS, Query, filtered_where, where_clauses

FACET_LIMIT = 50  # values per facet, most frequent first

# facet -> (column grouped on, parameters that facet ignores)
FACET_COLUMNS: dict[str, tuple[str, dict[str, Any]]] = {
    "category": ("category", {"category": None}),
    "website": ("website", {"website": ()}),
}
PRICE_IGNORES: dict[str, Any] = {"min_price": None, "max_price": None}

VALUE_COUNTS_SQL = """
SELECT filtered.value, count(*) AS count
FROM (SELECT {column} AS value FROM instrument WHERE {where}) AS filtered
WHERE filtered.value IS NOT NULL
GROUP BY filtered.value
ORDER BY count DESC, filtered.value
LIMIT {limit}
"""

ROLLUP_FILTERS = {"category", "website"}  # the columns of instrument_facet_count, with expiration
# The same counts from instrument_facet_count (migration 0006), for lists filtered only by
# category and website: that table has the columns those filters (and the expiry one) name.
ROLLUP_COUNTS_SQL = """
SELECT {column} AS value, sum(listings)::bigint AS count
FROM instrument_facet_count
WHERE {where} AND {column} IS NOT NULL
GROUP BY {column}
HAVING sum(listings) > 0
ORDER BY count DESC, value
LIMIT {limit}
"""

# Category and website in one pass over the matching rows, when neither is filtered (both facets
# then count the same rows): the usual case of a search, whose matching rows are the costly part.
BOTH_KEY = "category+website"
BOTH_COUNTS_SQL = """
SELECT facet, value, count
FROM (
    SELECT CASE WHEN GROUPING(filtered.category) = 0 THEN 'category' ELSE 'website' END AS facet,
           coalesce(filtered.category, filtered.website) AS value,
           count(*) AS count,
           row_number() OVER (
               PARTITION BY GROUPING(filtered.category)
               ORDER BY coalesce(filtered.category, filtered.website) IS NULL, count(*) DESC,
                        coalesce(filtered.category, filtered.website)
           ) AS position
    FROM (SELECT category, website FROM instrument WHERE {where}) AS filtered
    GROUP BY GROUPING SETS ((filtered.category), (filtered.website))
) AS counted
WHERE value IS NOT NULL AND position <= {limit}
ORDER BY facet, count DESC, value
"""

PRICE_RANGE_SQL = """
SELECT min(filtered.price) AS min, max(filtered.price) AS max
FROM (SELECT price FROM instrument WHERE {where}) AS filtered
"""


def value_counts(params: ListParams, facet: str) -> Query:
    """How many listings of the current query have each value of `facet`, ignoring its own filter."""
    column, ignored = FACET_COLUMNS[facet]
    args: list[Any] = []
    others = params.model_copy(update=ignored)
    if _rollup_answers(others):
        where = " AND ".join(where_clauses(others, args)) or "TRUE"
        return Query(ROLLUP_COUNTS_SQL.format(column=column, where=where, limit=FACET_LIMIT), tuple(args))
    where = filtered_where(others, args, blocks=True)
    return Query(VALUE_COUNTS_SQL.format(column=column, where=where, limit=FACET_LIMIT), tuple(args))


def _rollup_answers(params: ListParams) -> bool:
    """Whether instrument_facet_count holds the answer: a list with no filter but category and website."""
    return not isinstance(params, SearchParams) and all(
        getattr(params, param) in (None, ()) for param, _ in FILTERS if param not in ROLLUP_FILTERS
    )


def price_range(params: ListParams) -> Query:
    """The lowest and highest price of the current query, ignoring the price filters."""
    args: list[Any] = []
    where = filtered_where(params.model_copy(update=PRICE_IGNORES), args)
    return Query(PRICE_RANGE_SQL.format(where=where), tuple(args))


def both_counts(params: ListParams) -> Query | None:
    """Category and website counts in one query, when that is cheaper and gives the same answer."""
    asked = set(params.facets)
    if not {"category", "website"} <= asked or params.category is not None or params.website:
        return None
    if _rollup_answers(params):
        return None  # the rollup answers each in a few milliseconds
    args: list[Any] = []
    where = filtered_where(params, args, blocks=True)
    return Query(BOTH_COUNTS_SQL.format(where=where, limit=FACET_LIMIT), tuple(args))


def facet_queries(params: ListParams) -> dict[str, Query]:
    """The queries answering `params.facets`: one per facet, or BOTH_KEY for category and website."""
    both = both_counts(params)
    queries = {BOTH_KEY: both} if both is not None else {
        facet: value_counts(params, facet) for facet in params.facets if facet in FACET_COLUMNS
    }
    if params.facets:
        queries["price"] = price_range(params)
    return queries


def facet_rows(params: ListParams, results: dict[str, Any]) -> dict[str, Any]:
    """Each asked facet's rows (None: cut by its time limit) from the results of facet_queries, in the order asked."""
    if BOTH_KEY in results:
        rows = results[BOTH_KEY]
        for facet in ("category", "website"):
            results[facet] = None if rows is None else [row for row in rows if row["facet"] == facet]
    ordered = {facet: results[facet] for facet in params.facets if facet in FACET_COLUMNS}
    ordered["price"] = results["price"]
    return ordered
