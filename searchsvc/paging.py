"""One page of results and its count, with as little database work as the answer allows.

Counting: the page is read first, with one extra row. Without that extra row the page is the
last one and the count is known exactly (offset + rows), with no count query at all. Otherwise
the planner's estimate decides: above `count_exact_limit` it is the answer (`count_exact`
false: an exact count of 241k matches costs more than the page); at or below it the rows are
counted, stopping at the limit. A page that has no rows is past the end (404), whichever way
the count was obtained; an estimate is never below the rows already seen. Estimates change only
when the table is analysed, so each worker reuses one for `count_estimate_ttl_s`.

Deep pages in id order: each worker remembers, for a while (`page_anchor_ttl_s`), the id at
which a deep page of a given filter started; a later deep page of the same filter skips from
the nearest remembered id below it instead of from the first row. The first visit pays one
index-only scan of the narrow (id, expiration) index; the next ones skip at most the distance
to the nearest remembered page.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Hashable, Sequence

from aiohttp import web

from . import db, sql
from .params import ListParams, SearchParams

ANCHOR_MIN_OFFSET = 1000  # shallower pages are cheap to reach from the first row
ANCHORS_PER_FILTER = 100
ANCHOR_FILTERS = 1000


@dataclass(frozen=True)
class Page:
    rows: Sequence[db.Record]  # up to page_size + 1: the extra row only says that more exist
    count: int
    count_exact: bool


class PageAnchors:
    """Where deep pages start, per filter: {offset: id of the row at that offset}, kept `ttl_s`."""

    def __init__(self, ttl_s: float, filters: int = ANCHOR_FILTERS, per_filter: int = ANCHORS_PER_FILTER):
        self.ttl_s = ttl_s
        self.filters = filters
        self.per_filter = per_filter
        self._anchors: OrderedDict[Hashable, tuple[float, dict[int, int]]] = OrderedDict()

    def nearest(self, key: Hashable, offset: int) -> tuple[int, int]:
        """(offset, id) of the nearest remembered start at or before `offset`, else (0, FIRST_ID)."""
        entry = self._anchors.get(key)
        if entry is None:
            return 0, sql.FIRST_ID
        if time.monotonic() - entry[0] > self.ttl_s:
            del self._anchors[key]
            return 0, sql.FIRST_ID
        self._anchors.move_to_end(key)
        best = max((o for o in entry[1] if o <= offset), default=None)
        return (0, sql.FIRST_ID) if best is None else (best, entry[1][best])

    def remember(self, key: Hashable, offset: int, ident: int) -> None:
        if self.ttl_s <= 0 or offset < ANCHOR_MIN_OFFSET:
            return
        entry = self._anchors.get(key)
        if entry is None:
            entry = self._anchors[key] = (time.monotonic(), {})
            if len(self._anchors) > self.filters:
                self._anchors.popitem(last=False)
        anchors = entry[1]
        anchors[offset] = ident
        if len(anchors) > self.per_filter:
            del anchors[next(iter(anchors))]


class Estimates:
    """Planner estimates per filter (EXPLAIN text and arguments), reused for `ttl_s`."""

    def __init__(self, ttl_s: float, size: int = 10_000):
        self.ttl_s = ttl_s
        self.size = size
        self._estimates: OrderedDict[Hashable, tuple[float, int]] = OrderedDict()

    def get(self, key: Hashable) -> int | None:
        entry = self._estimates.get(key)
        if entry is None or time.monotonic() - entry[0] > self.ttl_s:
            return None
        return entry[1]

    def put(self, key: Hashable, estimate: int) -> None:
        if self.ttl_s <= 0:
            return
        self._estimates[key] = (time.monotonic(), estimate)
        self._estimates.move_to_end(key)
        if len(self._estimates) > self.size:
            self._estimates.popitem(last=False)


@dataclass(frozen=True)
class PageMemory:
    """What a worker remembers between requests to spare the database: anchors and estimates."""

    anchors: PageAnchors
    estimates: Estimates

    @classmethod
    def create(cls, anchor_ttl_s: float, estimate_ttl_s: float) -> "PageMemory":
        return cls(PageAnchors(anchor_ttl_s), Estimates(estimate_ttl_s))


PAGE_MEMORY = web.AppKey("page_memory", PageMemory)


def _hashable(value: Any) -> Hashable:
    return tuple(_hashable(v) for v in value) if isinstance(value, (list, tuple)) else value


def query_key(query: sql.Query) -> Hashable:
    return query.text, _hashable(query.args)


def page_query(params: ListParams, anchors: PageAnchors | None) -> tuple[sql.Query, Hashable | None]:
    """The SQL of a list page, started from a remembered anchor when one helps; and its anchor key."""
    if isinstance(params, SearchParams) or params.sort != "id" or anchors is None:
        return sql.list_page(params), None
    key = query_key(sql.list_count(params, 0))  # the filter alone: the same for every page
    offset = (params.page - 1) * params.page_size
    anchor_offset, start_id = anchors.nearest(key, offset)
    return sql.list_page(params, start_id, offset - anchor_offset), key


def plan_rows(plan: Any) -> int:
    """The top node's row estimate from EXPLAIN (FORMAT JSON) output (text or decoded)."""
    if isinstance(plan, (str, bytes)):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


async def fetch_page(
    pools: Any, params: ListParams, page: sql.Query, *, count_limit: int, timeout: float,
    memory: PageMemory | None = None, anchor_key: Hashable | None = None,
) -> Page:
    """The page's rows and the count of all matches (exact, or estimated above `count_limit`)."""
    offset = (params.page - 1) * params.page_size

    async def work(conn) -> Page:
        rows = await conn.fetch(page.text, *page.args)
        if len(rows) <= params.page_size:  # the last page (or past the end): nothing left to count
            return Page(rows, offset + len(rows) if rows else 0, True)
        seen = offset + len(rows)  # at least this many match
        estimate_query = sql.count_estimate(params)
        estimate_key = query_key(estimate_query)
        estimate = memory.estimates.get(estimate_key) if memory else None
        if estimate is None:
            estimate = plan_rows(await conn.fetchval(estimate_query.text, *estimate_query.args))
            if memory:
                memory.estimates.put(estimate_key, estimate)
        if estimate > count_limit:
            return Page(rows, max(estimate, seen), False)
        count_query = sql.list_count(params, count_limit + 1)
        counted = await conn.fetchval(count_query.text, *count_query.args)
        if counted <= count_limit:
            return Page(rows, max(counted, seen), True)
        return Page(rows, max(estimate, counted, seen), False)

    result = await db.read(pools, timeout, work)
    if memory is not None and anchor_key is not None and result.rows:
        memory.anchors.remember(anchor_key, offset, result.rows[0]["id"])
    return result
