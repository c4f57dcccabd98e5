"""One middleware turning exceptions into JSON answers; plus CORS for reads."""

from __future__ import annotations

import logging
import re
import uuid

from aiohttp import web

from .db import SETTINGS, DatabaseUnavailable
from .models import Problem
from .params import InvalidPage, ParamError

log = logging.getLogger(__name__)

REQUEST_ID = web.RequestKey("request_id", str)
# A client's X-Request-ID is kept when it is 1-200 visible ASCII characters; anything else is replaced.
_REQUEST_ID_FORMAT = re.compile(r"[\x21-\x7e]{1,200}")
RETRY_AFTER_S = "5"


def problem(status: int, detail: str, errors: list[dict[str, str]] | None = None, **headers: str) -> web.Response:
    body = Problem(detail=detail, errors=errors).model_dump_json(exclude_none=True)
    return web.Response(status=status, body=body, content_type="application/json", headers=headers)


class QueryStringTooLong(Exception):
    """The query string passes `max_query_string_length`; `field` is its longest parameter."""

    def __init__(self, length: int, limit: int, field: str):
        super().__init__(f"Query string too long: {length} characters, at most {limit}.")
        self.field = field


def _check_query_string(request: web.Request) -> None:
    raw = request.rel_url.raw_query_string
    limit = request.app[SETTINGS].max_query_string_length
    if len(raw) > limit:
        longest = max(raw.split("&"), key=len).split("=", 1)[0][:100]
        raise QueryStringTooLong(len(raw), limit, longest)


def request_id_of(request: web.Request) -> str:
    """The client's X-Request-ID when it is safe to echo and log, else a new random id."""
    given = request.headers.get("X-Request-ID", "")
    return given if _REQUEST_ID_FORMAT.fullmatch(given) else uuid.uuid4().hex


@web.middleware
async def error_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Map every failure to a JSON answer; log unexpected ones once, with the request id."""
    request_id = request_id_of(request)
    request[REQUEST_ID] = request_id
    try:
        _check_query_string(request)
        response = await handler(request)
    except QueryStringTooLong as exc:
        response = problem(414, str(exc), [{"field": exc.field, "message": "query string too long"}])
    except InvalidPage:
        response = problem(404, "Invalid page.")
    except ParamError as exc:
        response = problem(400, f"Invalid parameter: {exc}", exc.errors)
    except DatabaseUnavailable as exc:
        response = problem(503, f"Service unavailable: {exc}", **{"Retry-After": RETRY_AFTER_S})
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        detail = "Not found." if exc.status == 404 else exc.reason
        if exc.status == 413:
            detail = f"Request body too large: at most {request.app[SETTINGS].max_body_bytes} bytes."
        response = problem(exc.status, detail, **{k: v for k, v in exc.headers.items() if k == "Allow"})
    except Exception:
        log.exception(
            "unhandled error, request_id=%s %s %s", request_id, request.method, request.path_qs,
            extra={"request_id": request_id},  # a field of the JSON log line (observability.JsonFormatter)
        )
        response = problem(500, f"Internal server error (request id {request_id}).")
    response.headers["X-Request-ID"] = request_id
    return response


def _allowed_origin(request: web.Request) -> str | None:
    allowed = request.app[SETTINGS].cors_allow_origins
    origin = request.headers.get("Origin")
    if "*" in allowed:
        return "*"
    if origin and origin in allowed:
        return origin
    return None


@web.middleware
async def cors_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Let browsers read the API from the allowed origins; answer preflight requests."""
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        response: web.StreamResponse = web.Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, X-Request-ID"
        response.headers["Access-Control-Max-Age"] = "86400"
    else:
        response = await handler(request)
    origin = _allowed_origin(request)
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        if origin != "*":
            response.headers["Vary"] = "Origin"
    return response
