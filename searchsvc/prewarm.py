"""Reading the service's tables and indexes into memory before searches meet them cold (`searchsvc prewarm`).

A search reads a few hundred scattered pages of its words' GIN indexes and of the table. From memory
that takes a few ms; from a disk it can take seconds. At 1M listings, with the page cache emptied
(`echo 1 > /proc/sys/vm/drop_caches`), 8 users asking different searches had 5-11 statements of
0.7-2 s in their first seconds, in one of three runs three 503s (cut at STATEMENT_TIMEOUT_MS, 2 s),
and p99 245-304 ms. After `prewarm` (3 s) none, p99 162-186 ms (ops/bench/RESULTS.md, session 17).
Run it after the database server starts, or whenever its memory was given to something else.

pg_prewarm's 'read' mode reads each relation's blocks through the operating system's page cache,
which can hold more than shared_buffers. Migration 0022 creates the extension where it may.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# every table a search, a suggestion or a facet reads (with their indexes and TOAST tables)
TABLES = ("instrument", "search_word", "search_synonym", "search_suggestion", "instrument_facet_count")

INSTALLED_SQL = "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_prewarm')"

PREWARM_SQL = """
WITH tables AS (
    SELECT to_regclass(name) AS oid FROM unnest($1::text[]) AS name
), relations AS (
    SELECT oid FROM tables WHERE oid IS NOT NULL
    UNION
    SELECT reltoastrelid FROM pg_class WHERE oid IN (SELECT oid FROM tables) AND reltoastrelid <> 0
)
SELECT c.relname AS relation, pg_prewarm(c.oid, 'read') AS blocks,
       current_setting('block_size')::bigint AS block_size
FROM pg_class AS c
WHERE c.oid IN (SELECT oid FROM relations UNION SELECT indexrelid FROM pg_index WHERE indrelid IN (SELECT oid FROM relations))
ORDER BY blocks DESC, relation
"""


class PrewarmUnavailable(Exception):
    """The database has no pg_prewarm extension."""


@dataclass(frozen=True)
class Prewarmed:
    relation: str
    blocks: int
    bytes: int


async def prewarm(conn: Any) -> list[Prewarmed]:
    """Read every relation of TABLES (and their indexes) into the page cache; what was read, largest first."""
    if not await conn.fetchval(INSTALLED_SQL):
        raise PrewarmUnavailable(
            "the pg_prewarm extension is not installed in this database: migration 0022 creates it when "
            "the migrating role may (a superuser: CREATE EXTENSION pg_prewarm)"
        )
    rows = await conn.fetch(PREWARM_SQL, list(TABLES))
    return [Prewarmed(row["relation"], row["blocks"], row["blocks"] * row["block_size"]) for row in rows]
