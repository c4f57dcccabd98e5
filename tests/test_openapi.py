"""GET /openapi.json and /docs: derived from the models and router, complete, and self-contained."""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

import jsonschema
import pytest
from aiohttp import web
from multidict import MultiDictProxy

from searchsvc import openapi
from searchsvc.app import create_app
from searchsvc.settings import Settings

# a plausible value for each query parameter, so that every handler reads its whole query
EXAMPLES = {
    "name": "fender", "q": "fen", "page": "1", "page_size": "10", "limit": "5", "category": "guitarras",
    "website": "reverb", "minPrice": "10", "maxPrice": "Infinity", "facets": "category",
}


async def _spec(client) -> dict[str, Any]:
    resp = await client.get("/openapi.json")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    return await resp.json()


def _example(parameter: dict[str, Any]) -> str:
    if parameter["name"] in EXAMPLES:
        return EXAMPLES[parameter["name"]]
    schema = parameter["schema"]
    if "enum" in schema:
        return str(schema["enum"][-1])
    if schema.get("type") == "boolean":
        return "true"
    if schema.get("type") == "integer":
        return str(schema.get("minimum", 1))
    raise AssertionError(f"add an example for {parameter['name']}")


def _comparable(body: bytes) -> Any:
    """An answer without what depends on the URL itself (neighbour page links)."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if isinstance(data, dict):
        data.pop("next", None)
        data.pop("previous", None)
    return data


class RecordingQuery(MultiDictProxy):
    """The request's query string, noting every key a handler looks up."""

    seen: set[str]

    def __init__(self, query, seen: set[str]):
        super().__init__(query)
        self.seen = seen

    def get(self, key, default=None):
        self.seen.add(key)
        return super().get(key, default)

    def getone(self, key, default=...):
        self.seen.add(key)
        return super().getone(key) if default is ... else super().getone(key, default)

    def getall(self, key, default=...):
        self.seen.add(key)
        return super().getall(key) if default is ... else super().getall(key, default)

    def __getitem__(self, key):
        self.seen.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.seen.add(key)
        return super().__contains__(key)


@pytest.fixture
def recorded_keys(monkeypatch) -> Iterator[set[str]]:
    """Every query-string key read by any handler while the test runs."""
    seen: set[str] = set()
    monkeypatch.setattr(web.BaseRequest, "query", property(lambda request: RecordingQuery(request.rel_url.query, seen)))
    yield seen


async def test_every_route_of_the_app_is_described(client):
    spec = await _spec(client)
    app_routes = {
        (route.method, route.resource.canonical.rstrip("/"))
        for route in client.server.app.router.routes()
        if route.method not in {"HEAD", "OPTIONS"}
    }
    described = {(method.upper(), path) for path, methods in spec["paths"].items() for method in methods}
    assert described == app_routes
    # each has a declared shape (responses and parameters), not a placeholder
    assert set(openapi.OPERATIONS) == app_routes, "add the new route to openapi.OPERATIONS"
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            assert operation["summary"] and "default" not in operation["responses"], (method, path)


async def test_every_query_parameter_a_handler_reads_is_described(client, recorded_keys):
    spec = await _spec(client)
    for path, methods in spec["paths"].items():
        if "get" not in methods:
            continue
        parameters = methods["get"].get("parameters", [])
        documented = {p["name"] for p in parameters}
        recorded_keys.clear()
        query = [(p["name"], _example(p)) for p in parameters]
        resp = await client.get(path, params=query)
        assert resp.status == 200, (path, await resp.text())
        baseline = _comparable(await resp.read())
        assert documented - recorded_keys == set(), f"{path} describes parameters it never reads"
        # a key looked at but not described must not change the answer (shared parsing peeks at it)
        for key in sorted(recorded_keys - documented):
            resp = await client.get(path, params=[*query, (key, "true")])
            assert (resp.status, _comparable(await resp.read())) == (200, baseline), (
                f"{path} accepts `{key}`, which its description lacks"
            )
        for parameter in parameters:
            assert parameter.get("description"), f"{path}: describe `{parameter['name']}`"


async def test_schemas_are_valid_json_schema_and_match_real_answers(client, database_url):
    from .conftest import insert, listing

    await insert(database_url, [listing(1, name="Fender Jazz Bass")])
    spec = await _spec(client)
    assert spec["openapi"].startswith("3.1")
    schemas = spec["components"]["schemas"]
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)
    registry_spec = {"components": spec["components"]}

    def validate(instance: Any, schema: dict[str, Any]) -> None:
        jsonschema.validate(instance, {**schema, **registry_spec}, cls=jsonschema.Draft202012Validator)

    page_schema = {"$ref": "#/components/schemas/ListingPage"}
    for url in ("/searchInstrument/?name=fender&highlight=true&facets=category,price", "/listInstrument"):
        resp = await client.get(url)
        assert resp.status == 200
        validate(await resp.json(), page_schema)
    resp = await client.get("/searchInstrument/?name=")
    assert resp.status == 400
    validate(await resp.json(), {"$ref": "#/components/schemas/Problem"})


async def test_limits_follow_the_running_settings(aiohttp_client, database_url):
    settings = Settings(database_url=database_url, max_query_words=7, max_result_depth=1000, page_size=20)
    client = await aiohttp_client(await create_app(settings))
    spec = await _spec(client)
    parameters = {p["name"]: p for p in spec["paths"]["/searchInstrument"]["get"]["parameters"]}
    assert "at most 7 words" in parameters["name"]["description"]
    assert "above 1000" in parameters["page"]["description"]
    assert parameters["page_size"]["schema"]["default"] == 20
    for name in openapi.CLIENT_SETTINGS:
        assert f"`{name.upper()}`" in spec["info"]["description"]


async def test_every_setting_is_in_the_description_and_no_secret_is(aiohttp_client, database_url):
    secret_url = database_url.replace("postgres@", "postgres:s3cret-pw@")
    client = await aiohttp_client(await create_app(Settings(database_url=secret_url)))
    resp = await client.get("/openapi.json")
    assert "s3cret-pw" not in await resp.text()
    reference = (await resp.json())["info"]["x-settings"]
    for name, field_info in Settings.model_fields.items():
        assert reference[name.upper()]["description"], f"setting {name.upper()} lacks a description"
    assert set(openapi.CLIENT_SETTINGS) <= set(Settings.model_fields)


async def test_docs_page_renders_the_description_without_the_internet(client):
    resp = await client.get("/docs")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/html")
    page = await resp.text()
    assert 'fetch("openapi.json")' in page
    # nothing fetched from elsewhere: no external script, style, font or image, and a policy forbidding it
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    policy = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
