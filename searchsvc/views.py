"""Handlers and routes: query string -> params -> SQL -> rows -> models -> JSON."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from yarl import URL

import orjson

from . import cache, db, metrics, paging, query, sql, sql_facets, sql_search, sql_words, suggest
from .models import ListingPage, add_highlights, facet_counts, total_pages
from .params import InvalidPage, ListParams, SearchParams, parse
from .settings import Settings

routes = web.RouteTableDef()


def page_url(url: URL, page: int) -> str:
    """The URL of another page, all other parameters kept (page 1 drops `page`, as DRF did)."""
    if page == 1:
        return str(url.without_query_params("page")) if "page" in url.query else str(url)
    return str(url.update_query(page=str(page)))


def json_response(model) -> web.Response:
    """`model` as JSON: a pydantic model, or JSON-ready data (a page: orjson, 5x faster than pydantic)."""
    body = orjson.dumps(model) if isinstance(model, dict) else model.model_dump_json().encode()
    return web.Response(body=body, content_type="application/json")


async def _page(request: web.Request, params: ListParams, result: paging.Page) -> web.Response:
    """The answer for a page of `params` whose rows and count are `result`."""
    settings = request.app[db.SETTINGS]
    count, rows = result.count, result.rows
    request[metrics.RESULT_COUNT] = count
    if not rows and params.page > 1:  # past the end, whether the count is exact or estimated
        raise InvalidPage()
    url = request.url
    has_next = len(rows) > params.page_size
    page = ListingPage.build(
        rows, count=count, page=params.page, page_size=params.page_size,
        next_url=page_url(url, params.page + 1) if has_next else None,
        previous_url=page_url(url, params.page - 1) if params.page > 1 else None,
        count_exact=result.count_exact, max_pages=_max_pages(params, settings),
    )
    if isinstance(params, SearchParams) and params.highlight:
        add_highlights(page["results"], params.name, params.expansion)
    page.update(await _page_extras(request, params, count))
    return json_response(page)


async def _fetch_page(request: web.Request, params: ListParams, page_query: sql.Query, anchor_key=None) -> paging.Page:
    settings = request.app[db.SETTINGS]
    return await paging.fetch_page(
        request.app[db.READS], params, page_query, count_limit=settings.count_exact_limit,
        timeout=settings.pool_acquire_timeout_s, memory=request.app[paging.PAGE_MEMORY], anchor_key=anchor_key,
        derived=request.app[cache.RESPONSES],
    )


async def _whole_search_page(request: web.Request, params: SearchParams) -> paging.Page:
    """A search page read by sql_search.search_page: its shorter first try when it has one and that
    gives a full page (the same rows), else the whole statement."""
    page = sql_search.search_page(params)
    if page.first_try is not None:
        result = await _fetch_page(request, params, page.first_try)
        if len(result.rows) > params.page_size:  # (a short one counted nothing: paging.fetch_page)
            return result
    return await _fetch_page(request, params, page)


async def _search_page(request: web.Request, params: SearchParams) -> paging.Page:
    """A search page: after the first, of one word, from its first tier's nearest remembered window start
    (sql_search.windows_from), learning the starts of the windows it reads; else, or when the derived
    values are off, the walk there would be too long or the tier does not reach the page's end, read
    whole (sql_search.search_page, built only then)."""
    responses = request.app[cache.RESPONSES]
    key = sql_search.window_starts_key(params)
    if key is None or not responses.derived_enabled:
        return await _whole_search_page(request, params)
    key, generation = ("window starts", key, date.today()), responses.generation
    starts: dict[int, int] = responses.recall(key) or {}
    offset = (params.page - 1) * params.page_size
    start = max((position for position in starts if position <= offset), default=0)
    windows = sql_search.windows_from(params, start, starts.get(start))
    result = None if windows is None else await _fetch_page(request, params, windows)
    if result is None or not result.rows:
        return await _whole_search_page(request, params)
    window = sql_search.RANK_WINDOW
    ends = {start + (number + 1) * window: ident for number, ident in enumerate(result.rows[0]["window_ends"])}
    responses.keep(key, generation, {**starts, **ends})
    return result


def _max_pages(params: ListParams, settings: Settings) -> int:
    """The deepest page a request like this can get (so `total_pages` never points past it)."""
    if isinstance(params, SearchParams):  # relevance results go RELEVANCE_MAX_DEPTH deep, in every sort
        return total_pages(sql_search.RELEVANCE_MAX_DEPTH, params.page_size)
    return max(1, settings.max_result_depth // params.page_size)


async def _page_extras(request: web.Request, params: ListParams, count: int) -> dict[str, Any]:
    """The optional keys of a page: `facets` when asked for, `did_you_mean` on every search."""
    settings, extras = request.app[db.SETTINGS], {}
    if params.facets:
        queries = sql_facets.facet_queries(params)
        memory, key = request.app[paging.PAGE_MEMORY], tuple(map(paging.query_key, queries.values()))
        results = memory.facets.get(key) or memory.facets_cut.get(key)
        if results is None:
            async def count_facets() -> dict:
                with metrics.query_kind("facets"):
                    counted = await db.fetch_each_within(
                        request.app[db.READS], queries, settings.facet_timeout_ms, settings.pool_acquire_timeout_s,
                    )
                complete = all(rows is not None for rows in counted.values())
                (memory.facets if complete else memory.facets_cut).put(key, counted)  # a cut one is tried again sooner
                return counted

            results = await memory.once(("facets", key), count_facets)
        extras["facets"], extras["facets_timed_out"] = facet_counts(sql_facets.facet_rows(params, dict(results)))
    if isinstance(params, SearchParams):
        with metrics.query_kind("did_you_mean"):
            extras["did_you_mean"] = await _did_you_mean(request, params, count) if count < suggest.DID_YOU_MEAN_BELOW else None
    return extras


async def _did_you_mean(request: web.Request, params: SearchParams, count: int) -> str | None:
    """The search text with typos replaced by close frequent words, when that finds listings; else None."""
    query = suggest.corrections(params.name)
    if query is None:
        return None
    try:
        rows = await _fetch_remembered(request, query)
        corrected = suggest.corrected_text(params.name, rows)
        if corrected is None:
            return None
        corrected_params = await _expanded(request, suggest.corrected_search(params, corrected))
        found = await _fetch_remembered(request, suggest.probe(corrected_params))
    except (db.DatabaseUnavailable, db.QueryCut):  # an extra: the page answers without it
        return None
    return corrected if found[0][0] > 0 else None


async def _fetch_remembered(request: web.Request, statement: sql.Query) -> list:
    """Rows of `statement` (cut after FACET_TIMEOUT_MS), from the worker's memory when it ran since the
    data last changed."""
    settings = request.app[db.SETTINGS]
    return await request.app[cache.RESPONSES].remembered(
        ("rows", paging.query_key(statement)),
        lambda: db.fetch_within(request.app[db.READS], statement, settings.facet_timeout_ms, settings.pool_acquire_timeout_s),
    )


def _parse_limits(settings: Settings) -> dict[str, int]:
    return {
        "page_size": settings.page_size, "max_depth": settings.max_result_depth,
        "max_words": settings.max_query_words,
    }


@routes.get("/listInstrument")
@routes.get("/listInstrument/")
@cache.cached
async def list_instruments(request: web.Request) -> web.Response:
    """All live listings, filtered by category and price, in id order (or `sort`)."""
    params = parse(ListParams, request.query, **_parse_limits(request.app[db.SETTINGS]))
    page_query, anchor_key = paging.page_query(params, request.app[paging.PAGE_MEMORY].anchors)
    return await _page(request, params, await _fetch_page(request, params, page_query, anchor_key))


@routes.get("/searchInstrument")
@routes.get("/searchInstrument/")
@cache.cached
async def search_instruments(request: web.Request) -> web.Response:
    """Listings whose name matches `name`, best first, with the same filters as the list."""
    params = parse(SearchParams, request.query, **_parse_limits(request.app[db.SETTINGS]))
    params = await _expanded(request, params)
    return await _page(request, params, await _search_page(request, params))


async def _expanded(request: web.Request, params: SearchParams) -> SearchParams:
    """`params` with the typed words' lexemes, synonyms and near spellings (one short query)."""
    text = query.parse(params.name)
    if not text.all_words:
        return params
    statement = sql_words.word_expansion(text, params.name, params.category)

    async def look_up() -> query.Expansion:
        reads, timeout = request.app[db.READS], request.app[db.SETTINGS].pool_acquire_timeout_s
        with metrics.query_kind("word_expansion"):
            return await sql_words.look_up(
                text, statement, lambda q: db.fetch(reads, q, timeout), lambda q: _phrase_rows(request, q),
            )

    # these words are looked up once per change of the data, whatever the page, filters or sort
    return params.with_expansion(await request.app[cache.RESPONSES].remembered(paging.query_key(statement), look_up))


async def _phrase_rows(request: web.Request, statement: sql.Query) -> list | None:
    """The rows of sql_words.phrase_listings; None when cut after FACET_TIMEOUT_MS: they only decide
    how the page is read."""
    settings = request.app[db.SETTINGS]
    try:
        return await db.fetch_within(request.app[db.READS], statement, settings.facet_timeout_ms, settings.pool_acquire_timeout_s)
    except (db.DatabaseUnavailable, db.QueryCut):
        return None


@routes.get("/suggest")
@routes.get("/suggest/")
@cache.cached
async def suggest_completions(request: web.Request) -> web.Response:
    """Completions of the text typed in the search box: frequent words and phrases, with live listings."""
    params = suggest.parse(request.query)
    reads, timeout = request.app[db.READS], request.app[db.SETTINGS].pool_acquire_timeout_s
    rows = await db.fetch(reads, suggest.completions(params), timeout) if params.typed else []
    near = suggest.near_matches(params, found=len(rows)) if params.typed else None
    if near is not None:  # a typo, or a rare prefix: fill up with close spellings
        rows += await db.fetch(reads, near, timeout)
    response = json_response(suggest.SuggestionList.build(params, rows))
    response.headers["Cache-Control"] = f"public, max-age={suggest.CACHE_MAX_AGE_S}"
    return response
