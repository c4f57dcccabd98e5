"""Handlers and routes: query string -> params -> SQL -> rows -> models -> JSON."""

from __future__ import annotations

from aiohttp import web
from yarl import URL

from . import db, metrics, sql
from .models import ListingPage, total_pages
from .params import InvalidPage, ListParams, SearchParams, parse
from .settings import Settings

routes = web.RouteTableDef()


def page_url(url: URL, page: int) -> str:
    """The URL of another page, all other parameters kept (page 1 drops `page`, as DRF did)."""
    if page == 1:
        return str(url.without_query_params("page")) if "page" in url.query else str(url)
    return str(url.update_query(page=str(page)))


def json_response(model) -> web.Response:
    return web.Response(body=model.model_dump_json(), content_type="application/json")


async def _page(request: web.Request, params: ListParams, page_query: sql.Query, count_query: sql.Query) -> web.Response:
    count, rows = await db.fetch_page(
        request.app[db.READS], page_query, count_query, request.app[db.SETTINGS].pool_acquire_timeout_s
    )
    request[metrics.RESULT_COUNT] = count
    if params.page > total_pages(count, params.page_size):
        raise InvalidPage()
    url = request.url
    has_next = len(rows) > params.page_size
    page = ListingPage.build(
        rows, count=count, page=params.page, page_size=params.page_size,
        next_url=page_url(url, params.page + 1) if has_next else None,
        previous_url=page_url(url, params.page - 1) if params.page > 1 else None,
    )
    return json_response(page)


def _parse_limits(settings: Settings) -> dict[str, int]:
    return {
        "page_size": settings.page_size, "max_depth": settings.max_result_depth,
        "max_words": settings.max_query_words,
    }


@routes.get("/listInstrument")
@routes.get("/listInstrument/")
async def list_instruments(request: web.Request) -> web.Response:
    """All live listings, filtered by category and price, in id order (or `sort`)."""
    params = parse(ListParams, request.query, **_parse_limits(request.app[db.SETTINGS]))
    return await _page(request, params, sql.list_page(params), sql.list_count(params))


@routes.get("/searchInstrument")
@routes.get("/searchInstrument/")
async def search_instruments(request: web.Request) -> web.Response:
    """Listings whose name matches `name`, best first, with the same filters as the list."""
    params = parse(SearchParams, request.query, **_parse_limits(request.app[db.SETTINGS]))
    return await _page(request, params, sql.search_page(params), sql.search_count(params))
