"""What a request asks for: frozen models built from the query string, and search-text cleaning."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Literal, Mapping

from pydantic import (
    BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, ValidationInfo, field_validator, model_validator,
)

from .query import Expansion
from .settings import Settings

NAME_MAX_LENGTH = 500
MAX_PAGE = 10_000_000  # deeper than any table we hold; keeps OFFSET in range
PRICE_LIMIT = Decimal("100000000")  # numeric(10,2) holds less than this
# The settings' defaults; views pass the configured values to parse().
MAX_RESULT_DEPTH: int = Settings.model_fields["max_result_depth"].default
MAX_QUERY_WORDS: int = Settings.model_fields["max_query_words"].default
Sort = Literal["relevance", "id", "price_asc", "price_desc", "newest", "oldest"]
Facet = Literal["category", "website", "price"]  # the whitelist of `facets`


class InvalidPage(Exception):
    """A page that is not a positive integer or lies past the last one (answered 404, as before)."""


class ParamError(Exception):
    """One or more query parameters are invalid; each entry names the parameter."""

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


def _price(value: str | None, allow_infinity: bool) -> Decimal | None:
    if value is None or value.strip() == "":
        return None
    text = value.strip()
    if allow_infinity and text.lower() in {"infinity", "inf", "+infinity", "+inf"}:
        return None
    try:
        price = Decimal(text)
    except InvalidOperation:
        raise ValueError("must be a number") from None
    if not price.is_finite():
        raise ValueError("must be a finite number")
    if abs(price) >= PRICE_LIMIT:
        raise ValueError(f"must be less than {PRICE_LIMIT}")
    return price


def clean_search_text(text: str) -> str:
    """Normalise user search text: NFC, no control characters, single spaces."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    return re.sub(r"\s+", " ", text).strip()


class ListParams(BaseModel):
    """Filters, ordering and paging shared by both endpoints."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    page: int = Field(1, ge=1, description="Page number, from 1")
    page_size: int = Field(50, ge=1, le=100, description="Results per page")
    category: str | None = Field(
        None, max_length=200, description="Category, matched ignoring case and accents (`Guitarras` finds `guitarras`)"
    )
    website: tuple[str, ...] = Field((), description="Marketplace; repeat to allow several (`website=reverb&website=hispasonic`)")
    min_price: Decimal | None = Field(None, alias="minPrice", description="Lowest price (a decimal); excludes listings without a price")
    max_price: Decimal | None = Field(
        None, alias="maxPrice", description="Highest price (a decimal, or `Infinity` for none); excludes listings without a price"
    )
    sort: Sort = Field("id", description="Order of the results; nulls last")
    include_expired: bool = Field(False, description="Include listings whose expiration date has passed")
    facets: tuple[Facet, ...] = Field(
        (), description="Counts per value for the current query (`facets=category,website,price`, or repeated)"
    )

    @field_validator("category", mode="before")
    @classmethod
    def _clean_category(cls, value: object) -> object:
        # NUL and other control characters can never match stored text (and PostgreSQL rejects NUL)
        return clean_search_text(value) if isinstance(value, str) else value

    @field_validator("website", mode="before")
    @classmethod
    def _clean_websites(cls, value: object) -> object:
        if isinstance(value, (list, tuple)):
            cleaned = (clean_search_text(v) if isinstance(v, str) else v for v in value)
            return tuple(dict.fromkeys(v for v in cleaned if v != ""))
        return value

    @field_validator("category")
    @classmethod
    def _blank_category_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _price_range(self) -> "ListParams":
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError("minPrice must not be greater than maxPrice")
        return self


class SearchParams(ListParams):
    """A name search: the list filters plus the text typed into the search box."""

    name: str = Field(
        min_length=1, max_length=NAME_MAX_LENGTH,
        description='The search text: every word must match (accents, case, stems, prefixes, typos and synonyms '
        'forgiven); `"les paul"` for a phrase, `-word` to exclude',
    )
    sort: Sort = Field("relevance", description="Order of the results; `relevance` puts the best match first")
    highlight: bool = Field(False, description="Add `name_highlighted` to each result: the name HTML-escaped, matched words in `<mark>`")
    # The typed words' lexemes, synonyms and near spellings: not a query parameter, looked up once
    # per request (views, sql_words.word_expansion) so that page, count and facets share them.
    _expansion: tuple[str, Expansion] | None = PrivateAttr(None)  # (the name it was looked up for, it)

    @property
    def expansion(self) -> Expansion | None:
        """The looked-up lexemes, unless a copy changed the name since (then: none)."""
        # from pydantic's private dict directly: `self._expansion` goes through BaseModel.__getattr__,
        # 7.5 us an access, and a search with facets asks for the expansion dozens of times
        looked_up = self.__pydantic_private__["_expansion"]
        return looked_up[1] if looked_up and looked_up[0] == self.name else None

    def with_expansion(self, expansion: Expansion) -> "SearchParams":
        """A copy of these parameters carrying the looked-up lexemes of the search words."""
        copy = self.model_copy()
        copy._expansion = (self.name, expansion)
        return copy

    @field_validator("name", mode="before")
    @classmethod
    def _clean_name(cls, value: str) -> str:
        cleaned = clean_search_text(value) if isinstance(value, str) else value
        if cleaned == "":
            raise ValueError("must not be blank")
        return cleaned

    @field_validator("name")
    @classmethod
    def _few_enough_words(cls, value: str, info: ValidationInfo) -> str:
        limit = (info.context or {}).get("max_words", MAX_QUERY_WORDS)
        if len(value.split()) > limit:
            raise ValueError(f"must have at most {limit} words")
        return value


def _page(query: Mapping[str, str]) -> int:
    raw = last_value(query, "page")  # a repeated page: the last one counts, as for every other key
    if raw is None or raw == "":
        return 1
    try:
        page = int(raw)
    except ValueError:
        raise InvalidPage() from None
    if not 1 <= page <= MAX_PAGE:
        raise InvalidPage()
    return page


def query_values(query, key: str) -> list[str]:
    """Every value of `key` in a query string multidict (or a plain mapping), in order."""
    return query.getall(key, []) if hasattr(query, "getall") else ([query[key]] if key in query else [])


def last_value(query, key: str) -> str | None:
    """The last value of a repeated key, as Django's QueryDict.get() gives it."""
    values = query_values(query, key)
    return values[-1] if values else None


def parse(
    model: type[ListParams], query, *, page_size: int = 50,
    max_depth: int = MAX_RESULT_DEPTH, max_words: int = MAX_QUERY_WORDS,
) -> ListParams:
    """Build `model` from a query string multidict; raise InvalidPage or ParamError."""
    errors: list[dict[str, str]] = []
    raw: dict[str, object] = {"page": _page(query), "page_size": page_size}
    for field, allow_inf in (("minPrice", False), ("maxPrice", True)):
        try:
            raw[field] = _price(last_value(query, field), allow_inf)
        except ValueError as exc:
            errors.append({"field": field, "message": str(exc)})
    for key in ("category", "sort", "page_size", "name", "highlight"):
        value = last_value(query, key)
        if value is not None:
            raw[key] = value
    if "name" in model.model_fields and "name" not in raw:
        errors.append({"field": "name", "message": "is required"})
    raw["website"] = tuple(query_values(query, "website"))  # cleaned by ListParams._clean_websites
    facets = [f.strip() for v in query_values(query, "facets") for f in v.split(",")]
    raw["facets"] = tuple(dict.fromkeys(f for f in facets if f))
    include_expired = last_value(query, "include_expired")
    if include_expired is not None:
        raw["include_expired"] = include_expired
    if errors:
        raise ParamError(errors)
    try:
        params = model.model_validate(raw, context={"max_words": max_words})
    except ValidationError as exc:
        raise ParamError(_pydantic_errors(exc)) from None
    if params.page * params.page_size > max_depth:
        raise ParamError([{
            "field": "page",
            "message": f"page × page_size must be at most {max_depth}: narrow the search instead of paging this deep",
        }])
    return params


_FIELD_NAMES = {"min_price": "minPrice", "max_price": "maxPrice"}


def _pydantic_errors(exc: ValidationError) -> list[dict[str, str]]:
    errors = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"]]
        field = _FIELD_NAMES.get(loc[0], loc[0]) if loc else "minPrice"  # model level: the price range
        message = error["msg"].removeprefix("Value error, ")
        errors.append({"field": field, "message": message})
    return errors
