"""One page of results and its count, with as little database work as the answer allows.

Counting: the page is read first, with one extra row. Without that extra row the page is the
last one and the count is known exactly (offset + rows), with no count query at all. Otherwise
the planner's estimate decides: above `count_exact_limit` it is the answer (`count_exact`
false: an exact count of 241k matches costs more than the page); at or below it the rows are
counted, stopping at the limit. A page that has no rows is past the end (404), whichever way
the count was obtained; an estimate is never below the rows already seen. Estimates change only
when the table is analysed, so each worker reuses one for `count_estimate_ttl_s`.

Popular filters and searches get exact counts anyway: when a page of a filter the worker has
already answered with an estimate (within `exact_count_ttl_s`) answers with one again, the worker
counts that filter exactly in the background (one count at a time per worker, cut after
`exact_count_timeout_ms`) and answers the same filter with that count, `count_exact` true, for
`exact_count_ttl_s`. The planner's estimate of a search can be 2-3x too high (its words' lexemes
are counted as if independent), so this is what keeps `total_pages` honest for the searches
people repeat. A filter asked once is never counted: under traffic of ever-new searches,
counting each (up to a second of a core) would keep both cores busy with counts nobody reads.

Deep pages in id order: each worker remembers, for a while (`page_anchor_ttl_s`), the id at
which a deep page of a given filter started; a later deep page of the same filter skips from
the nearest remembered id below it instead of from the first row. The first visit pays one
index-only scan of the narrow (id, expiration) index; the next ones skip at most the distance
to the nearest remembered page.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, Hashable, Sequence

from aiohttp import web

from . import cache, db, sql
from .params import ListParams, SearchParams
from .settings import FACET_CUT_RETRY_S

log = logging.getLogger(__name__)

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


class Counts:
    """Counts per filter (estimated or exact, or facet rows; keyed by query text and arguments), reused for `ttl_s`."""

    def __init__(self, ttl_s: float, size: int = 10_000):
        self.ttl_s = ttl_s
        self.size = size
        self._counts: OrderedDict[Hashable, tuple[float, int]] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        entry = self._counts.get(key)
        if entry is None or time.monotonic() - entry[0] > self.ttl_s:
            return None
        return entry[1]

    def put(self, key: Hashable, count: Any) -> None:
        if self.ttl_s <= 0:
            return
        self._counts[key] = (time.monotonic(), count)
        self._counts.move_to_end(key)
        if len(self._counts) > self.size:
            self._counts.popitem(last=False)


@dataclass
class PageMemory:
    """What a worker remembers between requests to spare the database: anchors and counts."""

    anchors: PageAnchors
    estimates: Counts
    exact: Counts
    exact_timeout_ms: int = 1000
    _counting: asyncio.Task | None = None
    _estimated: Counts = field(default_factory=lambda: Counts(0))  # filters answered with an estimate once
    _too_slow: Counts = field(default_factory=lambda: Counts(0))  # filters whose exact count was cut by its limit
    # facet counts per query and filters: complete answers for `facet_ttl_s`; answers with a facet cut
    # by its time limit for FACET_CUT_RETRY_S at most (counting them again at once would keep a core
    # busy with counts that end cut: the facets of `guitarra`, 400,000 rows at 1M listings)
    facets: Counts = field(default_factory=lambda: Counts(0))
    facets_cut: Counts = field(default_factory=lambda: Counts(0))
    _running: dict[Hashable, asyncio.Future] = field(default_factory=dict)

    @classmethod
    def create(
        cls, anchor_ttl_s: float, estimate_ttl_s: float, exact_ttl_s: float = 0, exact_timeout_ms: int = 1000,
        facet_ttl_s: float = 0,
    ) -> "PageMemory":
        return cls(
            PageAnchors(anchor_ttl_s), Counts(estimate_ttl_s), Counts(exact_ttl_s), exact_timeout_ms,
            facets=Counts(facet_ttl_s, size=1_000),
            facets_cut=Counts(min(facet_ttl_s, FACET_CUT_RETRY_S), size=1_000),
            _estimated=Counts(exact_ttl_s), _too_slow=Counts(exact_ttl_s),
        )

    async def once(self, key: Hashable, work: Callable[[], Awaitable[Any]]) -> Any:
        """The result of `work()`, shared by every request asking for `key` while it runs.

        Eight concurrent requests for the same facets would otherwise each start the same
        200 ms counts, all slowed by one another past their timeout, none of them kept.
        """
        running = self._running.get(key)
        if running is None:
            running = self._running[key] = asyncio.ensure_future(work())
            running.add_done_callback(lambda _done: self._running.pop(key, None))
        return await asyncio.shield(running)  # one waiter leaving (client gone) stops nobody else

    def count_later(self, pools: Any, query: sql.Query, key: Hashable, timeout: float) -> None:
        """Count `query` exactly in the background when it is asked a second time, unless a count
        is running, counts are off, or its count was cut by the time limit within the TTL (tried on
        every request, the counts of `guitarra` at 5M listings, 2 s each, kept a core busy to be cut)."""
        if self.exact.ttl_s <= 0 or (self._counting is not None and not self._counting.done()):
            return
        if self._too_slow.get(key) is not None:
            return
        if self._estimated.get(key) is None:  # the first time: remember it was asked
            self._estimated.put(key, True)
            return
        self._counting = asyncio.create_task(self._count(pools, query, key, timeout))

    async def _count(self, pools: Any, query: sql.Query, key: Hashable, timeout: float) -> None:
        try:
            self.exact.put(key, (await db.fetch_within(pools, query, self.exact_timeout_ms, timeout))[0][0])
        except Exception as exc:  # too slow or unreachable: requests keep the estimate
            if isinstance(exc, db.QueryCut):  # too slow: not tried again for a while
                self._too_slow.put(key, True)
            log.info("background count gave up: %s", exc)

    async def settle(self) -> None:
        """Wait for the background count, if one is running."""
        if self._counting is not None:
            await asyncio.gather(self._counting, return_exceptions=True)


PAGE_MEMORY = web.AppKey("page_memory", PageMemory)
EXACT_COUNT_CAP = 100_000_000  # "no cap": the same statement text as the capped count


async def memory_ctx(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context (after the pool's): the worker's page memory; a background count ends first."""
    settings = app[db.SETTINGS]
    memory = app[PAGE_MEMORY] = PageMemory.create(
        settings.page_anchor_ttl_s, settings.count_estimate_ttl_s,
        settings.exact_count_ttl_s, settings.exact_count_timeout_ms, settings.facet_cache_ttl_s,
    )
    yield
    if memory._counting is not None:
        memory._counting.cancel()
        await memory.settle()


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
    memory: PageMemory | None = None, anchor_key: Hashable | None = None, derived: cache.ResponseCache | None = None,
) -> Page:
    """The page's rows and the count of all matches (exact, or estimated above `count_limit`).

    A count under `count_limit` is exact: kept with the values `derived` from the data (until it
    changes), every page of the same filter reuses it instead of counting again.

    The counts are planned with their values, also after a page planned without them (generic_plan:
    a relevance page, whose shape its words' counts chose already): a count's plan depends on them. On
    a generic-plan connection the capped count of `guitarra clasica` in Bajos 300-1000 ANDed the price
    index's 395,594 listings to the 336 of its words (129 ms; planned with its values 15 ms; at 1M,
    ops/bench/EXPLAIN.md, session 13). So such a page's count statements, when one runs (the estimate
    and exact counts are often remembered), take a connection of the custom-plan pool; other pages
    count on their own connection.
    """
    offset = (params.page - 1) * params.page_size

    async def with_counts(rows: Sequence[db.Record], value_of: Callable[[sql.Query], Awaitable[Any]]) -> Page:
        """The page of `rows` with the count of all matches; `value_of(query)` runs a count's statement."""
        if len(rows) <= params.page_size:  # the last page (or past the end): nothing left to count
            return Page(rows, offset + len(rows) if rows else 0, True)
        if page.counted:  # the page's statement counted them (sql.Query.counted)
            return Page(rows, rows[0]["matched"], True)
        seen = offset + len(rows)  # at least this many match
        exact_query = sql.list_count(params, EXACT_COUNT_CAP)
        exact_key = query_key(exact_query)
        # counted under count_limit since the data last changed, or exactly in the background (for
        # EXACT_COUNT_TTL_S)
        exact = derived.recall(("count", exact_key)) if derived is not None else None
        if exact is None and memory:
            exact = memory.exact.get(exact_key)
        if exact is not None:
            return Page(rows, max(exact, seen), True)
        generation = derived.generation if derived is not None else 0  # (kept only if the data did not change meanwhile)
        estimate_query = sql.count_estimate(params)
        estimate_key = query_key(estimate_query)
        estimate = memory.estimates.get(estimate_key) if memory else None
        if estimate is None:
            estimate = plan_rows(await value_of(estimate_query))
            if memory:
                memory.estimates.put(estimate_key, estimate)
        if estimate <= count_limit:
            counted = await value_of(sql.list_count(params, count_limit + 1))
            if counted <= count_limit:
                if derived is not None:
                    derived.keep(("count", exact_key), generation, counted)
                return Page(rows, max(counted, seen), True)
            seen = max(seen, counted)
        if memory:
            memory.count_later(pools, exact_query, exact_key, timeout)
        return Page(rows, max(estimate, seen), False)

    if page.generic_plan:  # each count statement, when one runs, on a custom-plan connection
        rows = await db.fetch(pools, page, timeout)
        result = await with_counts(rows, lambda query: db.fetchval(pools, query, timeout))
    else:
        async def page_and_counts(conn) -> Page:
            rows = await conn.fetch(page.text, *page.args)
            return await with_counts(rows, lambda query: conn.fetchval(query.text, *query.args))

        result = await db.read(pools, timeout, page_and_counts)
    if memory is not None and anchor_key is not None and result.rows:
        memory.anchors.remember(anchor_key, offset, result.rows[0]["id"])
    return result
