"""Response models: they build themselves from database rows and serialise to JSON."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any, Mapping, Sequence

from pydantic import BaseModel, Field

from .query import Expansion, highlighter
from .query import parse as parse_search_text


class Listing(BaseModel):
    """One instrument listing as the frontend receives it (keys in the old backend's order)."""

    id: int
    name: str
    price: str | None = Field(description='Two decimals as a string, e.g. "1250.00"')
    link: str
    image: str | None
    location: str | None
    category: str | None
    expiration: date | None
    publish: date | None
    website: str
    name_highlighted: str | None = Field(
        None, description="Only with `highlight=true`: the name HTML-escaped, matched words in <mark>...</mark>"
    )


def listing_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """One listing as JSON-ready data, with Listing's keys in its order (price and dates arrive as text:
    sql.LISTING_COLUMNS)."""
    return {
        "id": row["id"], "name": row["name"], "price": row["price_text"],
        "link": row["link"], "image": row["image"], "location": row["location"],
        "category": row["category"], "expiration": row["expiration_text"], "publish": row["publish_text"],
        "website": row["website"],
    }


def add_highlights(results: list[dict[str, Any]], name: str, expansion: Expansion | None) -> None:
    """Give each result `name_highlighted`: its name HTML-escaped, the words `name` matched in <mark>."""
    mark = highlighter(parse_search_text(name), expansion or Expansion())
    for result in results:
        result["name_highlighted"] = mark(result["name"])


class ListingPage(BaseModel):
    """One page of results, shaped like the old Django REST Framework pagination."""

    next: str | None
    previous: str | None
    count: int
    total_pages: int
    current_page: int
    results: list[Listing]
    count_exact: bool = Field(
        True, description="false when `count` (and so `total_pages`) is the planner's estimate, not a count"
    )
    # facets and facets_timed_out only with `facets=`; did_you_mean on every search, never on lists
    facets: dict[str, Any] | None = Field(None, description=(
        "With `facets=`: {facet: [{value, count}, ...] (top 50, each facet ignoring its own filter), "
        "price: {min, max} (ignoring the price filters)}; a facet cut by its time limit is null"
    ))
    facets_timed_out: list[str] | None = Field(None, description="With `facets=`: the facets cut by FACET_TIMEOUT_MS")
    did_you_mean: str | None = Field(None, description=(
        "Searches only, always present: a corrected query when this one finds fewer than 3 listings, else null"
    ))

    @classmethod
    def build(
        cls, rows: Sequence[Mapping[str, Any]], *, count: int, page: int, page_size: int,
        next_url: str | None, previous_url: str | None, count_exact: bool = True, max_pages: int | None = None,
    ) -> dict[str, Any]:
        """The page as JSON-ready data in this model's key order (add extras as keys; orjson encodes it).

        `max_pages` caps `total_pages` at the deepest page that can be served (the depth rules).
        The model documents the shape; building 50 Listing models took 475 us a page, these
        dicts 50 us (ops/bench/RESULTS.md).
        """
        return {
            "next": next_url, "previous": previous_url, "count": count,
            "total_pages": min(total_pages(count, page_size), max_pages or sys.maxsize), "current_page": page,
            "results": [listing_json(row) for row in rows[:page_size]],
            "count_exact": count_exact,
        }


def facet_counts(results: Mapping[str, Sequence[Mapping[str, Any]] | None]) -> tuple[dict[str, Any], list[str]]:
    """(the `facets` object, the facets cut by their time limit) from each facet's rows (None: cut)."""
    facets: dict[str, Any] = {}
    for facet, rows in results.items():
        if rows is None:
            facets[facet] = None
        elif facet == "price":
            low, high = (rows[0]["min"], rows[0]["max"]) if rows else (None, None)
            facets[facet] = {
                "min": None if low is None else f"{low:.2f}", "max": None if high is None else f"{high:.2f}",
            }
        else:
            facets[facet] = [{"value": row["value"], "count": row["count"]} for row in rows]
    return facets, [facet for facet, rows in results.items() if rows is None]


class Problem(BaseModel):
    """An error answer: `detail` for people, `errors` naming each bad parameter."""

    detail: str
    errors: list[dict[str, str]] | None = None


def total_pages(count: int, page_size: int) -> int:
    return max(1, -(-count // page_size))
