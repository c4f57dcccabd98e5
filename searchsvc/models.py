"""Response models: they build themselves from database rows and serialise to JSON."""

from __future__ import annotations

from datetime import date
from typing import Any, Mapping, Sequence

from pydantic import BaseModel, Field


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

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Listing":
        price = row["price"]
        return cls.model_construct(
            id=row["id"], name=row["name"],
            price=None if price is None else f"{price:.2f}",
            link=row["link"], image=row["image"], location=row["location"],
            category=row["category"], expiration=row["expiration"], publish=row["publish"],
            website=row["website"],
        )


class ListingPage(BaseModel):
    """One page of results, shaped like the old Django REST Framework pagination."""

    next: str | None
    previous: str | None
    count: int
    total_pages: int
    current_page: int
    results: list[Listing]

    @classmethod
    def build(
        cls, rows: Sequence[Mapping[str, Any]], *, count: int, page: int, page_size: int,
        next_url: str | None, previous_url: str | None,
    ) -> "ListingPage":
        return cls.model_construct(
            next=next_url, previous=previous_url, count=count,
            total_pages=total_pages(count, page_size), current_page=page,
            results=[Listing.from_row(row) for row in rows[:page_size]],
        )


class Problem(BaseModel):
    """An error answer: `detail` for people, `errors` naming each bad parameter."""

    detail: str
    errors: list[dict[str, str]] | None = None


def total_pages(count: int, page_size: int) -> int:
    return max(1, -(-count // page_size))
