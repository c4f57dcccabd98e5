"""Pure functions building the facet queries of a list or search request (no I/O here).

Each facet reuses the page's own WHERE (`sql.filtered_where`) as a subquery, with the facet's own
filter removed so that the other values keep their counts (a category facet filtered to
"bajos" would otherwise only ever show "bajos"). Facet names come from params.FACETS, a whitelist;
the grouped column comes from FACET_COLUMNS below, never from the request.
"""

from __future__ import annotations

from typing import Any

from .params import ListParams
from .sql import Query, filtered_where

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

PRICE_RANGE_SQL = """
SELECT min(filtered.price) AS min, max(filtered.price) AS max
FROM (SELECT price FROM instrument WHERE {where}) AS filtered
"""


def value_counts(params: ListParams, facet: str) -> Query:
    """How many listings of the current query have each value of `facet`, ignoring its own filter."""
    column, ignored = FACET_COLUMNS[facet]
    args: list[Any] = []
    where = filtered_where(params.model_copy(update=ignored), args)
    return Query(VALUE_COUNTS_SQL.format(column=column, where=where, limit=FACET_LIMIT), tuple(args))


def price_range(params: ListParams) -> Query:
    """The lowest and highest price of the current query, ignoring the price filters."""
    args: list[Any] = []
    where = filtered_where(params.model_copy(update=PRICE_IGNORES), args)
    return Query(PRICE_RANGE_SQL.format(where=where), tuple(args))


def facet_queries(params: ListParams) -> dict[str, Query]:
    """One query per facet asked for in `params.facets`, in the order asked; `price` always last."""
    queries = {facet: value_counts(params, facet) for facet in params.facets if facet in FACET_COLUMNS}
    if params.facets:
        queries["price"] = price_range(params)
    return queries
