"""What a listing must look like to be stored: one model for HTTP writes and CSV loads alike.

Both paths hand raw values (JSON values or CSV text) to `validate_listing` and get back either
a clean `NewListing` or the list of (field, reason) problems. No I/O here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit


# The listing columns a writer may set, in table order; `link` is the key of every upsert.
FIELDS = ("name", "price", "link", "website", "image", "location", "category", "expiration", "publish")
# Column widths of the instrument table (varchar(n) counts characters, as len() does).
LIMITS = {"name": 500, "link": 1000, "website": 500, "image": 1000, "location": 500, "category": 200}
PRICE_LIMIT = Decimal("100000000")  # numeric(10, 2) holds less than this
MAX_ITEMS = 1000  # items in one POST /addInstrument

# Characters PostgreSQL or UTF-8 cannot store (NUL, lone surrogates) and other control characters.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACES = re.compile(r"\s+")
_CURRENCY = re.compile(r"^(?:€|EUR|\$|USD|£|GBP)?\s*(.*?)\s*(?:€|EUR|\$|USD|£|GBP)?$", re.IGNORECASE)
# Accepted price shapes: 1250 | 1250.5 | 1250,50 | 1.250 | 1,250 | 1.250,50 | 1,250.50 | 1.250.000
_PLAIN = re.compile(r"\d+")
_DECIMAL = re.compile(r"(\d+)[.,](\d{1,2})")
_GROUPED = re.compile(r"\d{1,3}(?:([.,])\d{3})+")
_GROUPED_DECIMAL = re.compile(r"(\d{1,3}(?:([.,])\d{3})+)([.,])(\d{1,2})")


def clean_text(value: str) -> str:
    """Control characters become spaces, runs of spaces one space, ends trimmed."""
    if _CONTROL.search(value):
        value = _CONTROL.sub(" ", value)
    if "  " in value or (value.isascii() is False and _SPACES.search(value)):
        value = _SPACES.sub(" ", value)
    return value.strip()


def fold(text: str) -> str:
    """Lower case without accents, as the database's searchsvc_fold() compares categories."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def parse_price(value: Any) -> Decimal | None:
    """A price from a JSON number or text such as `1250`, `1.250,50`, `1,250.50`, `€ 1.250`."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("must be a number or a price text such as 1.250,50")
    if isinstance(value, (int, float, Decimal)):
        price = Decimal(str(value))
        if not price.is_finite():
            raise ValueError("must be a finite number")
    elif isinstance(value, str):
        text = value.strip()
        if text == "":
            return None
        price = _price_text(text)
    else:
        raise ValueError("must be a number or a price text such as 1.250,50")
    if price < 0:
        raise ValueError("must not be negative")
    if price >= PRICE_LIMIT:
        raise ValueError(f"must be less than {PRICE_LIMIT}")
    cents = price.quantize(Decimal("0.01"))
    if cents != price:
        raise ValueError("has more than two decimals")
    return cents


def _price_text(text: str) -> Decimal:
    if text.isdigit() and text.isascii():
        return Decimal(text)
    if m := _DECIMAL.fullmatch(text):  # the common shapes first: the currency pattern is slower
        return Decimal(f"{m.group(1)}.{m.group(2)}")
    match = _CURRENCY.fullmatch(text)
    number = match.group(1) if match else text
    if _PLAIN.fullmatch(number):
        return Decimal(number)
    if m := _DECIMAL.fullmatch(number):
        # one separator: three digits after it group thousands (`1.250`), one or two are decimals
        return Decimal(f"{m.group(1)}.{m.group(2)}")
    if m := _GROUPED.fullmatch(number):
        return Decimal(number.replace(m.group(1), ""))
    if (m := _GROUPED_DECIMAL.fullmatch(number)) and m.group(2) != m.group(3):
        return Decimal(f"{m.group(1).replace(m.group(2), '')}.{m.group(4)}")
    raise ValueError(f"not a price: {text[:40]!r} (expected e.g. 1250, 1250.50, 1.250,50 or 1,250.50)")


def parse_date(value: Any) -> date | None:
    """An ISO date, or an ISO date-time (with its zone) taken as the date it names."""
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    if not isinstance(value, str):
        raise ValueError("must be an ISO date such as 2024-03-01")
    text = value.strip()
    if text == "":
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise ValueError(
            f"not an ISO date: {text[:40]!r} (expected 2024-03-01 or 2024-03-01T10:22:00-05:00)"
        ) from None


# http(s)://host[:port][/path][?query][#fragment], no spaces; host letters, digits, dots, dashes
# (IDN hosts as typed, too), or a bracketed IPv6 address. A regular expression: urlsplit() costs
# several times more, and a load checks a million links.
_HTTP_URL = re.compile(r"(?i:https?)://(?:[^\s/?#@:\[\]]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?(?:[/?#]\S*)?")


def is_http_url(text: str) -> bool:
    return _HTTP_URL.fullmatch(text) is not None


def website_from_link(link: str) -> str:
    """The marketplace name a link points to: the label before the top-level domain.

    `https://www.hispasonic.com/x` -> `hispasonic`, `https://es.reverb.com/x` -> `reverb`.
    """
    host = (urlsplit(link).hostname or "").rstrip(".")
    labels = host.split(".")
    return labels[-2] if len(labels) >= 2 else host


def _text(value: Any, field: str) -> str | None:
    if value is None:
        if field in REQUIRED:
            raise ValueError("is required")
        return None
    if not isinstance(value, str):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        else:
            raise ValueError("must be a string")
    if field == "name":
        value = clean_text(value)
    elif _CONTROL.search(value):
        value = _CONTROL.sub("", value).strip()
    else:
        value = value.strip()
    if value == "":
        if field in REQUIRED:
            raise ValueError("is required")
        return None
    if len(value) > LIMITS[field]:
        raise ValueError(f"is longer than {LIMITS[field]} characters")
    if field == "link" and not is_http_url(value):
        raise ValueError("must be an http:// or https:// URL")
    if field == "category":
        return value.lower() if value.isascii() else fold(value)
    if field == "website":
        return value.lower()
    return value


REQUIRED = ("name", "link")
# field -> checker turning a raw value into the stored one (or raising ValueError with the reason)
CHECKS: dict[str, Callable[[Any], Any]] = {
    **{field: partial(_text, field=field) for field in LIMITS},
    "price": parse_price,
    "expiration": parse_date,
    "publish": parse_date,
}
_CHECK_ORDER = tuple((field, CHECKS[field]) for field in FIELDS)


@dataclass(frozen=True, slots=True)
class NewListing:
    """A listing as a scraper sends it, checked and normalised; `link` identifies it."""

    name: str
    link: str
    price: Decimal | None = None
    website: str | None = None
    image: str | None = None
    location: str | None = None
    category: str | None = None
    expiration: date | None = None
    publish: date | None = None

    def row(self, default_website: str | None = None) -> tuple[Any, ...]:
        """Values in FIELDS order; a missing website is `default_website`, else the link's host."""
        return with_website(tuple(getattr(self, field) for field in FIELDS), default_website)


Problems = list[tuple[str, str]]


def validate_row(raw: Any) -> tuple[tuple[Any, ...] | None, Problems]:
    """(values in FIELDS order, []) when `raw` is a valid listing, else (None, [(field, reason), ...]).

    `raw` maps field names to JSON values or CSV text; other keys are ignored, absent ones are null.
    The loader calls this for every row, so it stays lean: no objects beyond the tuple.
    """
    if type(raw) is not dict and not isinstance(raw, Mapping):
        return None, [("", "must be a JSON object")]
    get = raw.get
    values: list[Any] = []
    problems: Problems = []
    for field, check in _CHECK_ORDER:
        try:
            values.append(check(get(field)))
        except ValueError as exc:
            problems.append((field, str(exc)))
    if problems:
        return None, problems
    return tuple(values), []


def validate_listing(raw: Any) -> tuple[NewListing | None, Problems]:
    """(listing, []) when `raw` is a valid listing, else (None, [(field, reason), ...])."""
    values, problems = validate_row(raw)
    if values is None:
        return None, problems
    return NewListing(**dict(zip(FIELDS, values))), []


def with_website(values: tuple[Any, ...], default_website: str | None = None) -> tuple[Any, ...]:
    """`values` (FIELDS order) with a missing website filled: `default_website`, else the link's host."""
    if values[3] is not None:
        return values
    website = default_website or website_from_link(values[2])
    return (*values[:3], website, *values[4:])
