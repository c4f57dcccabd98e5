"""POST /addInstrument: authenticated upsert of one listing or a batch, each item validated alone."""

from __future__ import annotations

import orjson
from aiohttp import web
from pydantic import BaseModel

from . import auth, cache, db, ingest, metrics
from .errors import problem
from .validation import MAX_ITEMS, validate_listing

routes = web.RouteTableDef()


class Rejection(BaseModel):
    index: int  # position in the posted array (0 for a single object)
    field: str  # "" when the item itself is wrong (not an object)
    reason: str


class WriteResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: list[Rejection]


class BodyTooLarge(Exception):
    pass


async def _read_body(request: web.Request, limit: int) -> bytes:
    """The request body, refusing (before reading it all) one larger than `limit` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge()
    chunks, size = [], 0
    while chunk := await request.content.read(65536):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


@routes.post("/addInstrument")
@routes.post("/addInstrument/")
async def add_instruments(request: web.Request) -> web.Response:
    """Upsert one listing (a JSON object) or up to MAX_ITEMS (an array) on `link`; needs a write token."""
    settings = request.app[db.SETTINGS]
    pool = request.app[db.POOL]  # the primary: writes never go to a replica
    timeout = settings.pool_acquire_timeout_s
    token = auth.bearer_token(request.headers.get("Authorization"))
    writer = await db.read(pool, timeout, lambda conn: auth.verify(conn, token)) if token else None
    if writer is None:
        challenge = 'Bearer realm="searchsvc"' + (', error="invalid_token"' if token else "")
        detail = "A valid write token is required: Authorization: Bearer <token>."
        return problem(401, detail, **{"WWW-Authenticate": challenge})

    limit = settings.max_body_bytes
    try:
        body = await _read_body(request, limit)
    except BodyTooLarge:
        return problem(413, f"Request body is larger than {limit} bytes; send fewer listings per request.")
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return problem(400, f"Request body is not valid JSON: {exc}")
    if isinstance(document, dict):
        items = [document]
    elif isinstance(document, list):
        items = document
    else:
        return problem(400, "Request body must be a JSON object (one listing) or an array of listings.")
    if len(items) > MAX_ITEMS:
        return problem(413, f"At most {MAX_ITEMS} listings per request; this one has {len(items)}.")

    valid, rejected = [], []
    for index, item in enumerate(items):
        listing, problems = validate_listing(item)
        if listing is None:
            rejected += [Rejection(index=index, field=field, reason=reason) for field, reason in problems]
        else:
            valid.append(listing)

    async def write(conn) -> tuple[int, int]:
        return await ingest.write_listings(conn, valid)

    created, updated = await db.write(pool, timeout, write) if valid else (0, 0)
    if created or updated:  # read your writes: not waiting for the change notification
        request.app[cache.RESPONSES].clear()
    distinct = len({listing.link for listing in valid})
    result = WriteResult(created=created, updated=updated, unchanged=distinct - created - updated, rejected=rejected)
    metrics.count_ingested(
        "api", inserted=created, updated=updated, unchanged=result.unchanged, rejected=len(items) - len(valid)
    )
    return web.Response(
        status=201 if created else 200, body=result.model_dump_json(), content_type="application/json"
    )
