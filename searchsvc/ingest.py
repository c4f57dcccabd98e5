"""Bulk upsert of listings: rows are COPied into a staging table and merged on `link`.

The connection is passed in (db.py owns the pool); this module holds the SQL of the merge.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Iterator, Sequence

COLUMNS = ("name", "price", "link", "website", "image", "location", "category", "expiration", "publish")
REQUIRED = ("name", "link", "website")

STAGING_SQL = """
CREATE TEMP TABLE IF NOT EXISTS instrument_staging (
    line bigint NOT NULL,
    name varchar(500), price numeric(10, 2), link varchar(1000), website varchar(500),
    image varchar(1000), location varchar(500), category varchar(200),
    expiration date, publish date
) ON COMMIT DROP
"""

# {insert_columns}/{update_set}/{changed_*} come from COLUMNS only (a whitelist), never from input.
MERGE_SQL = """
WITH merged AS (
    INSERT INTO instrument AS i ({insert_columns})
    SELECT DISTINCT ON (link) {insert_columns}
    FROM instrument_staging
    ORDER BY link, line DESC
    ON CONFLICT (link) DO UPDATE SET {update_set}
    WHERE ({changed_existing}) IS DISTINCT FROM ({changed_new})
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted,
       count(*) FILTER (WHERE NOT inserted) AS updated
FROM merged
"""


@dataclass
class LoadCounts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: int = 0

    @property
    def unchanged(self) -> int:
        return self.read - self.rejected - self.inserted - self.updated


class RowError(ValueError):
    """A row that cannot be loaded; the message names the field."""


def merge_sql(columns: Sequence[str]) -> str:
    """The upsert for a file naming `columns`: only those columns are written on update."""
    unknown = set(columns) - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown columns: {sorted(unknown)}")
    ordered = [c for c in COLUMNS if c in columns]
    updated = [c for c in ordered if c != "link"]
    return MERGE_SQL.format(
        insert_columns=", ".join(ordered),
        update_set=", ".join(f"{c} = EXCLUDED.{c}" for c in updated),
        changed_existing=", ".join(f"i.{c}" for c in updated),
        changed_new=", ".join(f"EXCLUDED.{c}" for c in updated),
    )


async def upsert(conn, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> tuple[int, int]:
    """Upsert `rows` (values for `columns`, in that order) inside the caller's transaction.

    Returns (inserted, updated). Within the rows, the last one for a link wins.
    """
    ordered = [c for c in COLUMNS if c in columns]
    positions = [list(columns).index(c) for c in ordered]
    await conn.execute(STAGING_SQL)
    await conn.execute("TRUNCATE instrument_staging")
    records = ((line, *(row[p] for p in positions)) for line, row in enumerate(rows))
    await conn.copy_records_to_table("instrument_staging", records=records, columns=["line", *ordered])
    result = await conn.fetchrow(merge_sql(ordered))
    return result["inserted"], result["updated"]


def parse_price(text: str) -> Decimal | None:
    if text.strip() == "":
        return None
    try:
        price = Decimal(text.strip())
    except InvalidOperation:
        raise RowError(f"price: not a number: {text[:40]!r}") from None
    if not price.is_finite() or price < 0 or price >= Decimal("100000000"):
        raise RowError(f"price: out of range: {text[:40]!r}")
    return price.quantize(Decimal("0.01"))


def parse_date(text: str, field: str) -> date | None:
    if text.strip() == "":
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise RowError(f"{field}: not an ISO date: {text[:40]!r}") from None


LIMITS = {"name": 500, "link": 1000, "website": 500, "image": 1000, "location": 500, "category": 200}


def parse_row(header: Sequence[str], values: Sequence[str]) -> tuple[Any, ...]:
    """Typed values of one CSV row, in `header` order; RowError names the field at fault."""
    if len(values) != len(header):
        raise RowError(f"row has {len(values)} fields, header has {len(header)}")
    out: list[Any] = []
    for column, text in zip(header, values):
        if column == "price":
            out.append(parse_price(text))
        elif column in ("expiration", "publish"):
            out.append(parse_date(text, column))
        else:
            value = text.strip()
            if len(value) > LIMITS[column]:
                raise RowError(f"{column}: longer than {LIMITS[column]} characters")
            if column in REQUIRED and not value:
                raise RowError(f"{column}: required")
            out.append(value or None)
    return tuple(out)


def read_header(reader: Iterator[list[str]]) -> list[str]:
    header = [h.strip().lower() for h in next(reader, [])]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise RowError(f"header: unknown columns {unknown}; known: {', '.join(COLUMNS)}")
    if len(set(header)) != len(header):
        raise RowError("header: a column is named twice")
    missing = [c for c in ("name", "link") if c not in header]
    if missing:
        raise RowError(f"header: missing required columns {missing}")
    return header


def csv_rows(stream: io.TextIOBase, counts: LoadCounts, rejects: list[str]) -> tuple[list[str], Iterator[tuple]]:
    """(header, iterator of parsed rows); bad rows are counted and described in `rejects`."""
    reader = csv.reader(stream)
    header = read_header(reader)

    def rows() -> Iterator[tuple]:
        for values in reader:
            if not values:
                continue
            counts.read += 1
            try:
                yield parse_row(header, values)
            except RowError as exc:
                counts.rejected += 1
                rejects.append(f"line {reader.line_num}: {exc}")

    return header, rows()
