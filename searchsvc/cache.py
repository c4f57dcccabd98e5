"""Whole answers of the read endpoints, kept by each worker until the data behind them changes.

Search traffic repeats itself: the same first-page searches, category pages and keystrokes of
popular words arrive again and again, and each costs the database milliseconds. A worker keeps
the answers it gave (200s only) and serves them again, byte for byte, until one of three things:

- the data changes: migration 0013 notifies the channel `searchsvc_changed` when any statement
  that changes listings, synonyms or suggestions commits, whoever ran it (the API, a load, a
  purge, psql). Each worker LISTENs on its own connection to the primary and empties its cache
  on every notification. A write through this worker empties it at once, without waiting for
  the notification, so a client reads its own writes;
- `response_cache_ttl_s` passes (`word_cache_ttl_s` for the derived values below): what no
  notification can reach (a replica still replaying the change, an exact count finished after the
  page was kept) is at most that old;
- the day changes: listings expire by date, so the date is part of the key.

The same rules keep values derived from the data that requests share below the whole answer,
for `word_cache_ttl_s` rather than `response_cache_ttl_s`, so that they stay on when the answers
are not cached: a search's word expansion (the typed words' lexemes, synonyms, near spellings and
their counts: one query of ~0.8 ms of the database, about half of what a common one-word search
costs it) is looked up once per change for each set of words, whatever the filters, page or sort
around them; likewise the did-you-mean look-ups (`remembered`). A search engine keeps its term
dictionary in memory for the same reason: far fewer words than URLs are asked for.

While the notification connection is down (not yet connected, lost, the database restarting)
nothing is cached or served from the cache; the worker reconnects by itself. An answer that was
being computed while a change arrived is not kept (the cache's generation moved on).

The key is the whole request URL: answers hold links to their other pages, built from the
request's scheme, host and query string. Memory is bounded by `response_cache_max_mb` per
worker (least recently used answers go first).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Any, AsyncIterator, Awaitable, Callable, Hashable

from aiohttp import web

from . import db, metrics

log = logging.getLogger(__name__)

CHANNEL = "searchsvc_changed"  # migration 0013's triggers notify it
KEPT_HEADERS = ("Content-Type", "Cache-Control")
RECONNECT_MAX_S = 30.0
ENTRY_OVERHEAD = 200  # bytes an entry costs beyond its key and body (tuple, headers, OrderedDict slot)
MAX_DERIVED = 10_000  # derived values kept (a word expansion: ~1.6 kB measured, plus its key: ~20 MB per worker at most)


@dataclass(frozen=True)
class Answer:
    stored: float
    body: bytes
    headers: tuple[tuple[str, str], ...]
    count: int | None  # the matches it reported, for the request log


class ResponseCache:
    """Answers by key, least recently used first out, forgotten together on `clear()`."""

    def __init__(self, ttl_s: float, max_bytes: int, derived_ttl_s: float = 0.0):
        self.ttl_s = ttl_s
        self.derived_ttl_s = derived_ttl_s
        self.max_bytes = max_bytes
        self.listening = False  # the notification connection is up: answers can be kept
        self.generation = 0  # moves on at every clear()
        self.size = 0
        self._answers: OrderedDict[Hashable, Answer] = OrderedDict()
        self._derived: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self.computing: dict[Hashable, asyncio.Future[Answer | None]] = {}  # answers being computed, by key

    @property
    def enabled(self) -> bool:
        return self.listening and self.ttl_s > 0

    @property
    def derived_enabled(self) -> bool:
        return self.listening and self.derived_ttl_s > 0

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: Hashable) -> Answer | None:
        answer = self._answers.get(key)
        if answer is None:
            return None
        if time.monotonic() - answer.stored > self.ttl_s:
            self._drop(key)
            return None
        self._answers.move_to_end(key)
        return answer

    def put(self, key: Hashable, generation: int, answer: Answer) -> None:
        """Keep an answer, unless the data changed since it was read (`generation` is stale)."""
        if not self.enabled or generation != self.generation or len(answer.body) > self.max_bytes // 4:
            return
        if key in self._answers:
            self._drop(key)
        self._answers[key] = answer
        self.size += _cost(key, answer.body)
        while self.size > self.max_bytes:
            self._drop(next(iter(self._answers)))

    async def remembered(self, key: Hashable, compute: Callable[[], Awaitable[Any]]) -> Any:
        """`await compute()`, or its value kept since the data last changed (not kept if it changed meanwhile)."""
        value = self.recall(key)
        if value is None:
            generation = self.generation
            value = await compute()
            self.keep(key, generation, value)
        return value

    def recall(self, key: Hashable) -> Any:
        """A derived value kept since the data last changed (None: none, or the derived values are off)."""
        entry = self._derived.get(key)
        if entry is None or not self.derived_enabled:
            return None
        if time.monotonic() - entry[0] > self.derived_ttl_s:
            del self._derived[key]
            return None
        self._derived.move_to_end(key)
        return entry[1]

    def keep(self, key: Hashable, generation: int, value: Any) -> None:
        """Keep a derived value read at `generation`, unless the data changed since."""
        if not self.derived_enabled or generation != self.generation:
            return
        self._derived[key] = (time.monotonic(), value)
        self._derived.move_to_end(key)
        if len(self._derived) > MAX_DERIVED:
            self._derived.popitem(last=False)

    def clear(self) -> None:
        self._answers.clear()
        self._derived.clear()
        self.size = 0
        self.generation += 1

    def _drop(self, key: Hashable) -> None:
        self.size -= _cost(key, self._answers.pop(key).body)


def _cost(key: Hashable, body: bytes) -> int:
    return len(body) + len(key[0]) + ENTRY_OVERHEAD


RESPONSES = web.AppKey("responses", ResponseCache)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _response(answer: Answer, request: web.Request) -> web.Response:
    if answer.count is not None:
        request[metrics.RESULT_COUNT] = answer.count
    response = web.Response(body=answer.body, headers=answer.headers)
    response.headers["X-Cache"] = "hit"
    return response


def cached(handler: Handler) -> Handler:
    """Serve a GET handler's 200 answers from the worker's cache while they are current.

    Requests for a URL whose answer is being computed wait for it instead of computing it too
    (after a change empties the cache, a popular search arriving 8 times at once costs the
    database one query, not 8); if that computation fails, each computes its own.
    """

    @functools.wraps(handler)
    async def serve(request: web.Request) -> web.StreamResponse:
        cache = request.app[RESPONSES]
        if not cache.enabled:
            return await handler(request)
        key = (str(request.url), date.today())
        answer = cache.get(key)
        if answer is None and key in cache.computing:
            answer = await asyncio.shield(cache.computing[key])
        if answer is not None:
            metrics.RESPONSE_CACHE.labels("hit").inc()
            return _response(answer, request)
        metrics.RESPONSE_CACHE.labels("miss").inc()
        generation = cache.generation
        computed: asyncio.Future[Answer | None] = asyncio.get_running_loop().create_future()
        cache.computing.setdefault(key, computed)
        answer = None
        try:
            response = await handler(request)
            if response.status == 200 and isinstance(response, web.Response) and isinstance(response.body, bytes):
                headers = tuple((name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers)
                answer = Answer(time.monotonic(), response.body, headers, request.get(metrics.RESULT_COUNT))
                cache.put(key, generation, answer)
            response.headers["X-Cache"] = "miss"
            return response
        finally:
            computed.set_result(answer)
            if cache.computing.get(key) is computed:
                del cache.computing[key]

    return serve


async def _listen(settings, cache: ResponseCache) -> None:
    """Keep a connection LISTENing on CHANNEL; cache only while it is up."""
    delay = 1.0
    while True:
        conn = None
        try:
            conn = await db.connect(settings, name="searchsvc-listen")
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(CHANNEL, lambda *_notification: cache.clear())
            cache.clear()  # whatever changed while nobody listened
            cache.listening, delay = True, 1.0
            log.info("caches on: listening for changes")
            await lost.wait()
            log.warning("lost the change notifications: nothing is cached until reconnected")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # database down or restarting: retry, answering uncached meanwhile
            log.warning("cannot listen for changes (%s): nothing is cached; retrying in %.0f s", exc, delay)
        finally:
            cache.listening = False
            cache.clear()
            if conn is not None and not conn.is_closed():
                conn.terminate()
        await asyncio.sleep(delay)
        delay = min(2 * delay, RECONNECT_MAX_S)


async def cache_ctx(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: the worker's response cache and the connection that keeps it current."""
    settings = app[db.SETTINGS]
    cache = app[RESPONSES] = ResponseCache(
        settings.response_cache_ttl_s, settings.response_cache_max_mb * 2**20, settings.word_cache_ttl_s
    )
    listener = asyncio.create_task(_listen(settings, cache)) if cache.ttl_s > 0 or cache.derived_ttl_s > 0 else None
    yield
    if listener is not None:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
