"""The OpenAPI 3.1 description of the service, served at /openapi.json and rendered at /docs.

It is derived, not written: query parameters come from the pydantic models that validate
requests (ListParams, SearchParams, SuggestParams), response schemas from the models that
shape answers, paths and summaries from the application's router and handler docstrings,
and the limits from the running settings. `OPERATIONS` only says which model goes with which
route; tests fail when a route or a query parameter the handlers read is missing here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, PydanticOmit, models_json_schema

from . import __version__, db, docs_page
from .models import ListingPage, Problem
from .params import MAX_PAGE, ListParams, SearchParams
from .settings import Settings
from .suggest import SuggestionList, SuggestParams
from .validation import MAX_ITEMS, NewListing
from .writes import WriteResult

routes = web.RouteTableDef()

REF = "#/components/schemas/{model}"
JSON = "application/json"


@dataclass(frozen=True)
class Operation:
    """Which models document one route: its query parameters, request body and answers."""

    query: type[BaseModel] | None = None
    responses: dict[int, type[BaseModel] | dict[str, Any]] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    tag: str = "search"
    security: bool = False


_ERRORS = {400: Problem, 414: Problem, 503: Problem}
_STATUS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"status": {"type": "string"}, "reason": {"type": "string"}},
    "required": ["status"],
}

# (method, path without trailing slash) -> what documents it. Paths come from the router.
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/listInstrument"): Operation(ListParams, {200: ListingPage, 404: Problem, **_ERRORS}),
    ("GET", "/searchInstrument"): Operation(SearchParams, {200: ListingPage, 404: Problem, **_ERRORS}),
    ("GET", "/suggest"): Operation(SuggestParams, {200: SuggestionList, **_ERRORS}),
    ("POST", "/addInstrument"): Operation(
        None,
        {200: WriteResult, 201: WriteResult, 400: Problem, 401: Problem, 413: Problem, 414: Problem, 503: Problem},
        body={"oneOf": [
            {"$ref": REF.format(model="NewListing")},
            {"type": "array", "items": {"$ref": REF.format(model="NewListing")}, "maxItems": MAX_ITEMS},
        ]},
        tag="write", security=True,
    ),
    ("GET", "/healthz"): Operation(None, {200: _STATUS_SCHEMA}, tag="operations"),
    ("GET", "/readyz"): Operation(None, {200: _STATUS_SCHEMA, 503: _STATUS_SCHEMA}, tag="operations"),
    ("GET", "/metrics"): Operation(None, {200: {"type": "string"}}, tag="operations"),
    ("GET", "/openapi.json"): Operation(None, {200: {"type": "object"}}, tag="documentation"),
    ("GET", "/docs"): Operation(None, {200: {"type": "string"}}, tag="documentation"),
}
_TEXT_ROUTES = {"/metrics": "text/plain", "/docs": "text/html"}
TAGS = [
    {"name": "search", "description": "What the site's frontend calls: listings, search and suggestions."},
    {"name": "write", "description": "Adding listings (scrapers), with a write token."},
    {"name": "operations", "description": "Liveness, readiness and Prometheus metrics."},
    {"name": "documentation", "description": "This description, as JSON and as a page."},
]

# Settings that shape what a client may send or receive, listed in the description.
CLIENT_SETTINGS = (
    "page_size", "max_result_depth", "max_query_words", "max_query_string_length", "max_body_bytes",
    "statement_timeout_ms", "facet_timeout_ms", "count_exact_limit", "pool_acquire_timeout_s", "cors_allow_origins",
)


class _QuerySchema(GenerateJsonSchema):
    """Leaves out fields that cannot come from a query string (arbitrary Python types)."""

    def handle_invalid_for_json_schema(self, schema: Any, error_info: str) -> JsonSchemaValue:
        raise PydanticOmit


def query_parameter_names(model: type[BaseModel]) -> list[str]:
    """The query-string names of `model`'s fields; `exclude=True` fields are internal, not parameters."""
    return [field.alias or name for name, field in model.model_fields.items() if not field.exclude]


def _query_parameters(model: type[BaseModel], settings: Settings) -> list[dict[str, Any]]:
    """One OpenAPI parameter per field of `model`, named as the query string spells it."""
    schema = model.model_json_schema(
        by_alias=True, mode="validation", ref_template=REF, schema_generator=_QuerySchema
    )
    definitions = schema.get("$defs", {})
    required = set(schema.get("required", []))
    parameters = []
    for name in query_parameter_names(model):
        prop = _inline(schema["properties"][name], definitions)
        prop.pop("title", None)
        description = prop.pop("description", None)
        prop = _not_null(prop)
        if prop.get("default") in (None, [], ()):
            prop.pop("default", None)
        if name == "page_size":
            prop["default"] = settings.page_size
        if name == "page":
            prop["maximum"] = MAX_PAGE
            description = (
                f"{description or 'Page number, from 1'}. Past the last page: 404. "
                f"`page` × `page_size` above {settings.max_result_depth} (MAX_RESULT_DEPTH): 400."
            )
        if name == "name" and model is SearchParams:
            description = f"{description or 'The search text'} (at most {settings.max_query_words} words: MAX_QUERY_WORDS)."
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        if prop.get("type") == "array":
            parameter["style"], parameter["explode"] = "form", True
        parameters.append(parameter)
    return parameters


def _inline(schema: Any, definitions: dict[str, Any]) -> Any:
    """`schema` with local $refs replaced by their definitions (query parameters are flat)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref", "")
        if ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in definitions:
            return _inline(definitions[ref.rsplit("/", 1)[1]], definitions)
        return {key: _inline(value, definitions) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inline(item, definitions) for item in schema]
    return schema


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter is absent, never null: drop the null alternative."""
    options = schema.get("anyOf")
    if options:
        kept = [option for option in options if option.get("type") != "null"]
        rest = {key: value for key, value in schema.items() if key != "anyOf"}
        return {**kept[0], **rest} if len(kept) == 1 else {**rest, "anyOf": kept}
    return schema


def _component_schemas() -> dict[str, Any]:
    models = sorted(
        {m for op in OPERATIONS.values() for m in op.responses.values() if isinstance(m, type)},
        key=lambda m: m.__name__,
    )
    _, top = models_json_schema([(model, "serialization") for model in models], ref_template=REF)
    schemas = dict(top.get("$defs", {}))
    body = TypeAdapter(NewListing).json_schema(ref_template=REF, mode="validation")
    body["description"] = (
        "A listing as a scraper sends it. Prices may be text such as \"1.250,50 €\"; a missing "
        "`website` is taken from the link's host. Each item is validated alone: bad items are "
        "reported in `rejected`, the others are stored."
    )
    schemas["NewListing"] = body
    return schemas


def _response(status: int, shape: type[BaseModel] | dict[str, Any], path: str) -> dict[str, Any]:
    schema = {"$ref": REF.format(model=shape.__name__)} if isinstance(shape, type) else shape
    media = _TEXT_ROUTES.get(path, JSON) if status < 300 else JSON
    headers: dict[str, Any] = {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}}
    if status == 503 and shape is Problem:
        headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
    descriptions = {
        200: "OK", 201: "Created (at least one new listing)", 400: "A parameter is invalid; `errors` names it",
        401: "Missing or invalid write token", 404: "Page past the last one, or not a positive integer",
        413: "Request body too large", 414: "Query string too long",
        503: "The database cannot answer in time (down, overloaded, or the query was cut); retry later",
    }
    return {"description": descriptions.get(status, "Answer"), "headers": headers, "content": {media: {"schema": schema}}}


def _documented_routes(app: web.Application) -> dict[tuple[str, str], web.AbstractRoute]:
    """The app's routes by (method, path without trailing slash), HEAD and OPTIONS left out."""
    found: dict[tuple[str, str], web.AbstractRoute] = {}
    for route in app.router.routes():
        if route.method in {"HEAD", "OPTIONS", "*"} or route.resource is None:
            continue
        path = route.resource.canonical.rstrip("/") or "/"
        found.setdefault((route.method, path), route)
    return found


def _summary(handler: Any) -> tuple[str, str]:
    doc = (getattr(handler, "__doc__", None) or "").strip()
    first, _, rest = doc.partition("\n")
    return first.strip(), rest.strip()


def _description(settings: Settings) -> str:
    limits = "\n".join(
        f"- `{name.upper()}` = {getattr(settings, name)!r}: {Settings.model_fields[name].description}"
        for name in CLIENT_SETTINGS
    )
    return (
        "Ranked, typo-tolerant search over second-hand musical-instrument listings, compatible with "
        "the first backend's `/listInstrument` and `/searchInstrument` (both also answer with a "
        "trailing slash). Every error is JSON: `detail` for people, `errors` naming each bad "
        "parameter. A 503 carries `Retry-After`.\n\nLimits and settings in force on this server:\n"
        + limits
    )


def settings_reference() -> dict[str, dict[str, Any]]:
    """Every setting by environment variable: its default and meaning (never the values in force,
    which may hold secrets; the client-visible ones are in the description)."""
    reference = {}
    for name, field_info in Settings.model_fields.items():
        default = field_info.default
        reference[name.upper()] = {
            "default": str(default) if isinstance(default, Path) or default is None else default,
            "description": field_info.description or "",
        }
    return reference


def build(app: web.Application) -> dict[str, Any]:
    """The OpenAPI document of `app`, as its router, models and settings make it."""
    settings = app[db.SETTINGS]
    paths: dict[str, dict[str, Any]] = {}
    tag_names = [tag["name"] for tag in TAGS]

    def order(item: tuple[tuple[str, str], web.AbstractRoute]) -> tuple[int, str]:
        tag = OPERATIONS.get(item[0], Operation(tag="other")).tag
        return (tag_names.index(tag) if tag in tag_names else len(tag_names)), item[0][1]

    for (method, path), route in sorted(_documented_routes(app).items(), key=order):
        operation = OPERATIONS.get((method, path), Operation(tag="other"))
        summary, details = _summary(route.handler)
        entry: dict[str, Any] = {
            "operationId": getattr(route.handler, "__name__", f"{method.lower()}{path.replace('/', '_')}"),
            "summary": summary or f"{method} {path}",
            "tags": [operation.tag],
            "responses": {
                str(status): _response(status, shape, path) for status, shape in sorted(operation.responses.items())
            } or {"default": {"description": "Answer"}},
        }
        if details:
            entry["description"] = details
        if operation.query is not None:
            entry["parameters"] = _query_parameters(operation.query, settings)
        if operation.body is not None:
            entry["requestBody"] = {"required": True, "content": {JSON: {"schema": operation.body}}}
        if operation.security:
            entry["security"] = [{"bearerToken": []}]
        paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "searchsvc", "version": __version__, "description": _description(settings),
            "x-settings": settings_reference(),
        },
        "tags": TAGS,
        "paths": paths,
        "components": {
            "schemas": _component_schemas(),
            "headers": {
                "X-Request-ID": {
                    "description": "The request's id (the client's X-Request-ID, or a new one); logs carry it.",
                    "schema": {"type": "string"},
                },
                "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "string"}},
            },
            "securitySchemes": {
                "bearerToken": {"type": "http", "scheme": "bearer", "description": "A write token."}
            },
        },
    }


@routes.get("/openapi.json")
async def openapi_json(request: web.Request) -> web.Response:
    """This description of the API (OpenAPI 3.1)."""
    return web.json_response(build(request.app))


# The page reads /openapi.json from the same server: nothing is loaded from elsewhere.
DOCS_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'"


@routes.get("/docs")
async def docs(request: web.Request) -> web.Response:
    """The API description rendered for people, with a form to try each read endpoint."""
    return web.Response(
        text=docs_page.HTML, content_type="text/html",
        headers={"Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-cache"},
    )
