"""Pure functions turning request parameters into parameterised SQL (no I/O here).

Values always travel as bound `$n` arguments; the only text pasted into SQL comes from the
constants and whitelists of this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .params import ListParams, SearchParams


@dataclass(frozen=True)
class Query:
    text: str
    args: tuple[Any, ...] = ()


LISTING_COLUMNS = "id, name, price, link, image, location, category, expiration, publish, website"

# (parameter, SQL template): `{}` becomes the next `$n`, bound to the parameter's value.
FILTERS: tuple[tuple[str, str], ...] = (
    ("category", "searchsvc_fold(category) = searchsvc_fold({})"),
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


def where_clauses(params: ListParams, args: list[Any]) -> list[str]:
    """The filter conditions of `params`, appending their values to `args`."""
    clauses = []
    for param, template in FILTERS:
        value = getattr(params, param)
        if value is None or value == ():
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

COUNT_SQL = "SELECT count(*) FROM instrument WHERE {where}"


def list_page(params: ListParams) -> Query:
    """One page of listings, filtered and ordered, with one extra row to tell if more exist."""
    args: list[Any] = []
    where = filtered_where(params, args)
    args += [params.page_size + 1, (params.page - 1) * params.page_size]
    text = LIST_SQL.format(
        columns=LISTING_COLUMNS, where=where, order=_order(params),
        limit=f"${len(args) - 1}", offset=f"${len(args)}",
    )
    return Query(text, tuple(args))


def list_count(params: ListParams) -> Query:
    args: list[Any] = []
    return Query(COUNT_SQL.format(where=filtered_where(params, args)), tuple(args))


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its wildcards escaped, accent- and case-folded in SQL."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# $1 is the search text, $2 its LIKE pattern. A row matches when all its words match
# (literally or by a Spanish/English stem) or when the name contains the text (the old
# backend's guarantee). Phrase matches come first, then all-words-literal, then the rest.
SEARCH_MATCH = """(
    search_vector @@ plainto_tsquery('searchsvc_simple', $1)
    OR search_vector @@ plainto_tsquery('searchsvc_es', $1)
    OR search_vector @@ plainto_tsquery('searchsvc_en', $1)
    OR searchsvc_fold(name) LIKE searchsvc_fold($2)
)"""

SEARCH_SQL = """
SELECT {columns}
FROM instrument
WHERE {where}
ORDER BY {order}
LIMIT {limit} OFFSET {offset}
"""

RELEVANCE_ORDER = """
    (search_vector @@ phraseto_tsquery('searchsvc_simple', $1)) DESC,
    (search_vector @@ plainto_tsquery('searchsvc_simple', $1)) DESC,
    ts_rank(search_vector, plainto_tsquery('searchsvc_simple', $1), 1) DESC,
    publish DESC NULLS LAST,
    id
"""



def filtered_where(params: ListParams, args: list[Any]) -> str:
    """The whole WHERE condition of a list or search request (text match and filters).

    Facets and counts reuse it so they always agree with the page.
    """
    clauses = []
    if isinstance(params, SearchParams):
        args += [params.name, like_pattern(params.name)]
        clauses.append(SEARCH_MATCH)
    return _where(clauses + where_clauses(params, args))


def search_page(params: SearchParams) -> Query:
    """One page of name-search results in relevance (or the requested) order."""
    args: list[Any] = []
    where = filtered_where(params, args)
    args += [params.page_size + 1, (params.page - 1) * params.page_size]
    order = RELEVANCE_ORDER if params.sort == "relevance" else _order(params)
    text = SEARCH_SQL.format(
        columns=LISTING_COLUMNS, where=where, order=order,
        limit=f"${len(args) - 1}", offset=f"${len(args)}",
    )
    return Query(text, tuple(args))


def search_count(params: SearchParams) -> Query:
    args: list[Any] = []
    return Query(COUNT_SQL.format(where=filtered_where(params, args)), tuple(args))
