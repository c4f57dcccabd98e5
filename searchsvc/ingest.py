"""Bulk upsert of listings: validated rows are COPied into a staging table and merged on `link`.

Used by `searchsvc load` (CSV files, streamed), by POST /addInstrument (a few hundred items)
and by `searchsvc seed`. The connection is passed in (db.py owns connecting); this module holds
the SQL of the merge, the snapshot expiry and the purge. Rows from files and from HTTP pass the
same checks (validation.validate_row / validate_listing) first; `upsert` takes rows that are
already clean (the seeder's, the tests').
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Callable, Iterable, Iterator, Sequence, TextIO

from .validation import CHECKS, FIELDS, NewListing, validate_row, with_website

COLUMNS = FIELDS
LOAD_WORK_MEM = "256MB"  # for the load's sorts and hashes: one session, for the length of a load

STAGING_SQL = """
CREATE TEMP TABLE IF NOT EXISTS instrument_staging (
    line bigint NOT NULL,
    rejected boolean NOT NULL DEFAULT false,
    name varchar(500), price numeric(10, 2), link varchar(1000), website varchar(500),
    image varchar(1000), location varchar(500), category varchar(200),
    expiration date, publish date
) ON COMMIT DROP
"""

# The newest row of each link (highest line), as the merge and the dry run read it.
STAGED_SOURCE = """(
    SELECT DISTINCT ON (link) {columns}
    FROM instrument_staging
    WHERE NOT rejected
    ORDER BY link, line DESC
)"""

# A literal batch (HTTP writes): the same shape, from arrays bound as $1..$10.
ARRAY_SOURCE = """(
    SELECT DISTINCT ON (link) {columns}
    FROM unnest($1::bigint[], $2::text[], $3::numeric[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::text[], $9::date[], $10::date[])
         AS s(line, name, price, link, website, image, location, category, expiration, publish)
    ORDER BY link, line DESC
)"""

# Existing links get the `update` columns rewritten, and only when one of them differs: an
# unchanged row keeps its tuple (no dead row, no index churn, not even a row lock). New links are
# inserted whole, in link order; ON CONFLICT covers a writer inserting the same link meanwhile.
# Only new links draw an id from the sequence, so daily reloads do not use up the serial ids.
# {source}, {columns}, {update_set*}, {changed_*} come from the constants and COLUMNS only.
MERGE_SQL = """
WITH source AS MATERIALIZED {source},
changed AS (
    UPDATE instrument AS i SET {update_set_staged}
    FROM source AS s
    WHERE i.link = s.link AND ({changed_existing}) IS DISTINCT FROM ({changed_staged})
    RETURNING 1
),
added AS (
    INSERT INTO instrument AS i ({columns})
    SELECT {columns} FROM source AS s
    WHERE NOT EXISTS (SELECT 1 FROM instrument AS e WHERE e.link = s.link)
    {insert_order}
    ON CONFLICT (link) DO UPDATE SET {update_set}
    WHERE ({changed_existing}) IS DISTINCT FROM ({changed_new})
    RETURNING (xmax = 0) AS inserted
)
SELECT (SELECT count(*) FROM source) AS links,
       (SELECT count(*) FROM added WHERE inserted) AS inserted,
       (SELECT count(*) FROM changed) + (SELECT count(*) FROM added WHERE NOT inserted) AS updated
"""

# HTTP batches first take a transaction lock per link, in one global order (whether the row
# exists yet or not): two writers of overlapping batches then queue instead of deadlocking on
# rows. The two-key form keeps these locks apart from any single-key advisory lock.
LINK_LOCK_CLASS = 0x5EA4
WRITE_LOCK_TIMEOUT_MS = 500  # longest an HTTP write waits for a row another writer holds
LOCK_LINKS_SQL = """
SELECT pg_advisory_xact_lock($2::integer, key)
FROM (SELECT DISTINCT hashtext(link) AS key FROM unnest($1::text[]) AS link) AS keys
ORDER BY key
"""

# What a merge would do, without doing it (`load --dry-run`).
DRY_RUN_SQL = """
SELECT count(*) AS links,
       count(*) FILTER (WHERE i.id IS NULL) AS inserted,
       count(*) FILTER (WHERE i.id IS NOT NULL
                        AND ({changed_existing}) IS DISTINCT FROM ({changed_staged})) AS updated
FROM {source} AS s
LEFT JOIN instrument AS i ON i.link = s.link
"""

# Snapshot sync: live listings of the website that the file no longer names expire yesterday,
# so they leave the results today but stay in the table (purge removes them later).
MISSING_FROM_SNAPSHOT = """
FROM instrument AS i
WHERE lower(i.website) = $1
  AND (i.expiration IS NULL OR i.expiration >= CURRENT_DATE)
  AND NOT EXISTS (SELECT 1 FROM instrument_staging AS s WHERE s.link = i.link)
"""
EXPIRE_MISSING_SQL = "UPDATE instrument AS i SET expiration = CURRENT_DATE - 1 WHERE i.id IN (SELECT i.id "
EXPIRE_MISSING_SQL += MISSING_FROM_SNAPSHOT + ")"
COUNT_MISSING_SQL = "SELECT count(*) " + MISSING_FROM_SNAPSHOT

# The first load into an empty table (a new install, a rebuilt database) builds the secondary
# indexes once from the loaded rows, as pg_restore does, instead of updating them a row at a time:
# a 1M-row first load spends most of its time there otherwise (ops/bench/load.md). The table is
# locked ACCESS EXCLUSIVE first (DROP INDEX needs that lock anyway; taking it at once avoids a
# lock upgrade that could deadlock with a session that has read the table and then writes):
# writers and readers of `instrument` wait until the load commits. Everything happens in the
# load's transaction, so a failed or killed load leaves the table empty with every index there.
# (only a role owning the table may drop its indexes; any other loads the usual way)
EMPTY_TABLE_SQL = """
SELECT NOT EXISTS (SELECT 1 FROM instrument) AND pg_has_role(relowner, 'USAGE')
FROM pg_class WHERE oid = 'instrument'::regclass
"""
LOCK_EMPTY_TABLE_SQL = "LOCK TABLE instrument IN ACCESS EXCLUSIVE MODE"
INDEX_BUILD_MEM = "512MB"  # maintenance_work_mem of the index builds (SET LOCAL: this load only)

# What the merge comes to on an empty table that nobody else can write: every link is new. A plain
# insert skips the merge's per-row conflict checks and RETURNING rows (~15% of the insert's CPU).
FIRST_LOAD_SQL = """
INSERT INTO instrument ({columns})
SELECT {columns} FROM {source} AS s
"""

# The indexes to build after the insert, as the catalog defines them now (future migrations are
# followed by themselves). Kept in place: the primary key, unique indexes (the merge's
# ON CONFLICT (link) needs `link`'s), any index behind a constraint, invalid indexes (a failed
# CREATE INDEX CONCURRENTLY: rebuilding one would quietly make it valid), and what
# pg_get_indexdef does not carry: an index in its own tablespace, with a comment or CLUSTER mark.
SECONDARY_INDEXES_SQL = """
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name,
       pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index AS i
JOIN pg_class AS c ON c.oid = i.indexrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE i.indrelid = 'instrument'::regclass
  AND i.indisvalid AND i.indisready
  AND NOT i.indisprimary AND NOT i.indisunique AND NOT i.indisexclusion
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS k WHERE k.conindid = i.indexrelid)
  AND c.reltablespace = 0 AND NOT i.indisclustered AND obj_description(c.oid, 'pg_class') IS NULL
ORDER BY c.relname
"""

PURGE_BATCH_SQL = """
DELETE FROM instrument
WHERE id >= $1 AND id < $2 AND expiration < $3
RETURNING website
"""


def _merge_parts(update: Sequence[str]) -> dict[str, str]:
    unknown = set(update) - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown columns: {sorted(unknown)}")
    written = [c for c in COLUMNS if c in update and c != "link"]
    return {
        "columns": ", ".join(COLUMNS),
        "update_set": ", ".join(f"{c} = EXCLUDED.{c}" for c in written),
        "update_set_staged": ", ".join(f"{c} = s.{c}" for c in written),
        "changed_existing": ", ".join(f"i.{c}" for c in written),
        "changed_new": ", ".join(f"EXCLUDED.{c}" for c in written),
        "changed_staged": ", ".join(f"s.{c}" for c in written),
    }


def merge_sql(update: Sequence[str], source: str = STAGED_SOURCE) -> str:
    """The upsert from `source`: new links get every column, existing ones only `update`."""
    parts = _merge_parts(update)
    # A staged source comes out of its DISTINCT ON already in link order; sorting a million rows
    # again would only cost time. A literal batch is small: sort it to be sure.
    order = "" if source is STAGED_SOURCE else "ORDER BY link"
    return MERGE_SQL.format(source=source.format(columns=parts["columns"]), insert_order=order, **parts)


def first_load_sql() -> str:
    columns = ", ".join(COLUMNS)
    return FIRST_LOAD_SQL.format(columns=columns, source=STAGED_SOURCE.format(columns=columns))


def dry_run_sql(update: Sequence[str]) -> str:
    parts = _merge_parts(update)
    return DRY_RUN_SQL.format(source=STAGED_SOURCE.format(columns=parts["columns"]), **parts)


async def _stage(conn, records: Iterable[tuple[Any, ...]], columns: Sequence[str]) -> None:
    await conn.execute(STAGING_SQL)
    await conn.execute("TRUNCATE instrument_staging")
    await conn.copy_records_to_table("instrument_staging", records=records, columns=list(columns))


async def upsert(conn, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> tuple[int, int]:
    """Upsert already-clean `rows` (values for `columns`) inside the caller's transaction.

    Returns (inserted, updated). Within the rows, the last one for a link wins.
    """
    positions = [list(columns).index(c) for c in COLUMNS if c in columns]
    ordered = [c for c in COLUMNS if c in columns]
    records = ((line, *(row[p] for p in positions)) for line, row in enumerate(rows))
    await _stage(conn, records, ["line", *ordered])
    result = await conn.fetchrow(merge_sql(ordered))
    return result["inserted"], result["updated"]


async def write_listings(conn, listings: Sequence[NewListing]) -> tuple[int, int]:
    """Upsert validated listings (HTTP writes) inside the caller's transaction; every field is written.

    Returns (inserted, updated); within `listings`, the last one for a link wins.
    """
    rows = [listing.row() for listing in listings]
    if not rows:
        return 0, 0
    arrays = [list(range(len(rows))), *(list(column) for column in zip(*rows))]
    await conn.execute(LOCK_LINKS_SQL, arrays[3], LINK_LOCK_CLASS)
    # A running load may hold these rows for minutes. Give up before PostgreSQL's deadlock check
    # (deadlock_timeout, 1 s by default) could pick the load as its victim and undo all of it.
    await conn.execute(f"SET LOCAL lock_timeout = '{WRITE_LOCK_TIMEOUT_MS}ms'")
    result = await conn.fetchrow(merge_sql(COLUMNS, ARRAY_SOURCE), *arrays)
    return result["inserted"], result["updated"]


# ---------------------------------------------------------------------------------------------
# CSV files


class LoadError(Exception):
    """The file cannot be loaded at all (bad header, unreadable, or a bad row under --strict)."""


@dataclass(frozen=True)
class LoadOptions:
    strict: bool = False  # one bad row aborts the file
    dry_run: bool = False  # validate and count, write nothing
    snapshot: bool = False  # the file is the whole current list of `website`
    website: str | None = None  # website of rows without one (required with snapshot)


@dataclass
class LoadReport:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    expired: int = 0
    rejected: int = 0
    duplicates: int = 0  # rows superseded by a later row with the same link
    seconds: float = 0.0
    indexes_built: int = 0  # the table was empty: secondary indexes built after the insert
    index_seconds: float = 0.0  # of `seconds`, the time those builds took

    def summary(self) -> str:
        rate = self.read / self.seconds if self.seconds > 0 else 0.0
        text = (
            f"read {self.read}, inserted {self.inserted}, updated {self.updated}, "
            f"unchanged {self.unchanged}, expired {self.expired}, rejected {self.rejected}"
        )
        if self.duplicates:
            text += f", duplicates {self.duplicates}"
        return text + f" in {self.seconds:.1f} s ({rate:,.0f} rows/s)"


# (line, field, reason) of one rejected row
RejectSink = Callable[[int, str, str], None]
Progress = Callable[[int, int], None]  # (rows read, rows rejected)


def read_header(reader: Iterator[list[str]]) -> list[str]:
    header = [h.strip().lower() for h in next(reader, [])]
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise LoadError(f"header: unknown columns {unknown}; known: {', '.join(COLUMNS)}")
    if len(set(header)) != len(header):
        raise LoadError("header: a column is named twice")
    missing = [c for c in ("name", "link") if c not in header]
    if missing:
        raise LoadError(f"header: missing required columns {missing}")
    return header


def _row_problems(header: Sequence[str], values: list[str], options: LoadOptions):
    """(clean row or None, problems, link to keep alive under --snapshot)."""
    if len(values) != len(header):
        return None, [("", f"has {len(values)} fields, the header has {len(header)}")], None
    raw = dict(zip(header, values))
    row, problems = validate_row(raw)
    if row is not None and options.snapshot and row[3] not in (None, options.website):
        row, problems = None, [("website", f"is {row[3]!r} in a snapshot of {options.website!r}")]
    if row is not None:
        return with_website(row, options.website), [], None
    seen = None
    if options.snapshot and not any(f == "link" for f, _ in problems):
        seen = CHECKS["link"](raw.get("link"))
    return None, problems, seen


def staged_records(
    stream: TextIO, header: list[str], reader, options: LoadOptions, report: LoadReport,
    reject: RejectSink, progress: Progress | None, progress_every: int = 50_000,
) -> Iterator[tuple[Any, ...]]:
    """Staging records of the valid rows, reading the file as COPY asks for them (bounded memory)."""
    previous_line = reader.line_num
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line, previous_line = previous_line + 1, reader.line_num
            report.read += 1
            report.rejected += 1
            reject(line, "", f"unreadable CSV: {exc}")
            if options.strict:
                raise LoadError(f"line {line}: unreadable CSV: {exc}") from None
            continue
        line, previous_line = previous_line + 1, reader.line_num
        if not values:
            continue
        report.read += 1
        row, problems, seen = _row_problems(header, values, options)
        if row is not None:
            yield (line, False, *row)
        else:
            report.rejected += 1
            for field_name, reason in problems:
                reject(line, field_name, reason)
            if options.strict:
                field_name, reason = problems[0]
                raise LoadError(f"line {line}: {field_name + ': ' if field_name else ''}{reason}")
            if seen is not None:
                yield (line, True, None, None, seen, None, None, None, None, None, None)
        if progress is not None and report.read % progress_every == 0:
            progress(report.read, report.rejected)


async def _lock_if_empty(conn) -> bool:
    """Whether `instrument` is empty; if it is, it stays locked (ACCESS EXCLUSIVE) until the load ends."""
    if not await conn.fetchval(EMPTY_TABLE_SQL):  # a daily load: no lock taken at all
        return False
    savepoint = conn.transaction()
    await savepoint.start()
    await conn.execute(LOCK_EMPTY_TABLE_SQL)
    # look again under the lock (each statement sees what has committed, READ COMMITTED): another
    # load may have filled the table while this one waited
    if await conn.fetchval(EMPTY_TABLE_SQL):
        await savepoint.commit()  # the lock now belongs to the load's transaction
        return True
    await savepoint.rollback()  # rolling back to the savepoint releases the lock at once
    return False


async def _drop_secondary_indexes(conn) -> list[str]:
    """Drop the indexes built after an empty-table insert; their definitions, to build them again."""
    indexes = await conn.fetch(SECONDARY_INDEXES_SQL)
    for index in indexes:
        await conn.execute(f"DROP INDEX {index['name']}")  # a name from the catalog, quoted there
    return [index["definition"] for index in indexes]


async def _build_indexes(conn, definitions: Sequence[str]) -> None:
    await conn.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEM}'")
    for definition in definitions:
        await conn.execute(definition)


async def load_csv(
    conn, stream: TextIO, options: LoadOptions, reject: RejectSink, progress: Progress | None = None
) -> LoadReport:
    """Validate and upsert one CSV file in one transaction; the report counts what happened.

    Any failure (bad header, a bad row under `strict`, a lost connection) leaves the table as it was.
    Into an empty table, the secondary indexes are dropped and built again after the insert.
    """
    if options.snapshot and not options.website:
        raise LoadError("--snapshot needs --website NAME: the marketplace the file lists completely")
    if options.website:
        options = replace(options, website=options.website.strip().lower())
    started = time.monotonic()
    reader = csv.reader(stream)
    header = read_header(reader)
    report = LoadReport()
    update = set(header) | ({"website"} if options.website else set()) | ({"expiration"} if options.snapshot else set())
    transaction = conn.transaction()
    await transaction.start()
    try:
        # sorting a million links for DISTINCT ON is much faster in memory than on disk
        await conn.execute(f"SET LOCAL work_mem = '{LOAD_WORK_MEM}'")
        records = staged_records(stream, header, reader, options, report, reject, progress)
        await _stage(conn, records, ["line", "rejected", *COLUMNS])
        if options.dry_run:
            counts = await conn.fetchrow(dry_run_sql(sorted(update)))
        elif await _lock_if_empty(conn):
            definitions = await _drop_secondary_indexes(conn)
            inserted = int((await conn.execute(first_load_sql())).split()[-1])
            counts = {"links": inserted, "inserted": inserted, "updated": 0}
            building = time.monotonic()
            await _build_indexes(conn, definitions)
            report.indexes_built, report.index_seconds = len(definitions), time.monotonic() - building
        else:
            counts = await conn.fetchrow(merge_sql(sorted(update)))
        report.inserted, report.updated = counts["inserted"], counts["updated"]
        report.unchanged = counts["links"] - report.inserted - report.updated
        report.duplicates = report.read - report.rejected - counts["links"]
        if options.snapshot:
            if options.dry_run:
                report.expired = await conn.fetchval(COUNT_MISSING_SQL, options.website)
            else:
                status = await conn.execute(EXPIRE_MISSING_SQL, options.website)
                report.expired = int(status.split()[-1])
    except BaseException:
        try:
            await transaction.rollback()
        except Exception:  # the connection is gone: the server rolls back on its own
            pass
        raise
    if options.dry_run:
        await transaction.rollback()
    else:
        await transaction.commit()
    if progress is not None:
        progress(report.read, report.rejected)
    report.seconds = time.monotonic() - started
    return report


class RejectsFile:
    """Rejected rows as CSV (line, field, reason), created on the first one."""

    def __init__(self, path):
        self.path = path
        self._file: TextIO | None = None
        self._writer = None

    def __call__(self, line: int, field_name: str, reason: str) -> None:
        if self._writer is None:
            self._file = open(self.path, "w", newline="", encoding="utf-8")
            self._writer = csv.writer(self._file)
            self._writer.writerow(["line", "field", "reason"])
        self._writer.writerow([line, field_name, reason])

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


# ---------------------------------------------------------------------------------------------
# Purge


async def purge_expired(conn, before: date, batch_ids: int = 20_000, report=None) -> dict[str, int]:
    """Delete listings whose expiration is before `before`, walking the ids in short transactions.

    Returns the number removed per website; `report(removed_so_far)` is called after each batch.
    """
    removed: dict[str, int] = {}
    low, high = await conn.fetchrow("SELECT min(id), max(id) FROM instrument WHERE expiration < $1", before)
    if low is None:
        return removed
    total = 0
    for start in range(low, high + 1, batch_ids):
        rows = await conn.fetch(PURGE_BATCH_SQL, start, start + batch_ids, before)
        for row in rows:
            removed[row["website"]] = removed.get(row["website"], 0) + 1
        total += len(rows)
        if report is not None and rows:
            report(total)
    return removed
