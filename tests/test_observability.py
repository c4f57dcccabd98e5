"""Liveness, readiness, /metrics, the JSON request log, and start-up refusing a bad setting."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from searchsvc import db, observability
from searchsvc.app import create_app
from searchsvc.devdb import free_port
from searchsvc.settings import Settings

from .conftest import _admin, _with_database, insert, listing, write_token

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a Prometheus exposition, keyed by (name, labels)."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def scrape(client) -> dict[tuple[str, frozenset], float]:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return samples(await response.text())


def access_lines(caplog) -> list[dict]:
    """The request log lines, as the JSON the process writes."""
    formatter = observability.JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "searchsvc.access"]


async def test_healthz_answers_while_the_database_is_down(aiohttp_client):
    settings = Settings(
        database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere",
        pool_min_size=1, pool_acquire_timeout_s=0.5,
    )
    client = await aiohttp_client(await create_app(settings))

    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}

    response = await client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["status"] == "unavailable"
    assert "unreachable" in body["reason"]


async def test_readyz_reports_a_pending_migration(client, settings):
    response = await client.get("/readyz")
    assert response.status == 200
    assert await response.json() == {"status": "ready"}

    [rolled_back] = db.migrate(settings, rollback=True)

    response = await client.get("/readyz")
    assert response.status == 503
    assert await response.json() == {"status": "unavailable", "reason": f"migrations pending: {rolled_back}"}


async def test_readyz_on_a_database_never_migrated(aiohttp_client, pg_server):
    name = f"searchsvc_test_empty_{os.getpid()}"
    await _admin(pg_server, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    settings = Settings(database_url=_with_database(pg_server, name), pool_min_size=0)
    client = await aiohttp_client(await create_app(settings))
    response = await client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["reason"] == "migrations not applied"
    await client.close()
    await _admin(pg_server, f'DROP DATABASE "{name}" WITH (FORCE)')


async def test_metrics_count_requests_by_route_template(client):
    before = await scrape(client)
    for _ in range(2):
        assert (await client.get("/listInstrument?category=guitarras")).status == 200
    assert (await client.get("/no/such/page/4711")).status == 404
    after = await scrape(client)

    def delta(name, **labels):
        key = (name, frozenset(labels.items()))
        return after.get(key, 0) - before.get(key, 0)

    ok = {"route": "/listInstrument", "method": "GET", "status": "200"}
    assert delta("searchsvc_http_requests_total", **ok) == 2
    assert delta("searchsvc_http_request_duration_seconds_count", **ok) == 2
    assert delta("searchsvc_http_request_duration_seconds_bucket", **ok, le="+Inf") == 2
    assert delta("searchsvc_http_requests_total", route="unmatched", method="GET", status="404") == 1
    # the raw URL never becomes a label value: label cardinality stays bounded
    assert not any("4711" in value for _, labels in after for _, value in labels)

    for pool in ("primary", "primary_generic"):  # and the twin pool of generic-plan statements
        assert after[("searchsvc_db_pool_size", frozenset({("pool", pool)}))] >= 1
        assert ("searchsvc_db_pool_in_use", frozenset({("pool", pool)})) in after
    assert delta("searchsvc_db_query_duration_seconds_count", kind="/listInstrument") >= 2  # labelled by route

    assert (await client.get("/readyz")).status == 200
    after = await scrape(client)
    assert delta("searchsvc_db_query_duration_seconds_count", kind="readyz") == 2  # named, not the route


async def test_each_request_logs_one_json_line_and_echoes_the_request_id(client, database_url, caplog):
    await insert(database_url, [listing(1, category="bajos"), listing(2, category="bajos"), listing(3)])
    caplog.set_level(logging.INFO, logger="searchsvc.access")

    response = await client.get("/listInstrument?category=bajos", headers={"X-Request-ID": "req-abc-123"})
    assert response.status == 200
    assert response.headers["X-Request-ID"] == "req-abc-123"

    [line] = access_lines(caplog)
    assert line["request_id"] == "req-abc-123"
    assert (line["method"], line["path"], line["route"], line["status"]) == ("GET", "/listInstrument", "/listInstrument", 200)
    assert line["result_count"] == 2
    assert line["duration_ms"] >= 0
    assert line["time"].endswith("+00:00")

    caplog.clear()
    response = await client.get("/searchInstrument?name=")
    assert response.status == 400
    [line] = access_lines(caplog)
    assert len(line["request_id"]) >= 16
    assert response.headers["X-Request-ID"] == line["request_id"]  # generated, and echoed back
    assert line["status"] == 400


@pytest.mark.parametrize("given", ["a" * 201, "two words", "caf\u00e9", "\udcff\udcfeabc"])
async def test_an_unsafe_request_id_is_replaced_and_still_logged(client, caplog, given):
    caplog.set_level(logging.INFO, logger="searchsvc.access")
    raw = given.encode("utf-8", "surrogateescape")
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: " + raw + b"\r\nConnection: close\r\n\r\n")
    answer = await reader.read()
    writer.close()
    head = answer.split(b"\r\n\r\n")[0].decode("latin-1").splitlines()
    assert head[0] == "HTTP/1.1 200 OK"
    [echoed] = [line.split(": ", 1)[1] for line in head if line.lower().startswith("x-request-id:")]
    assert re.fullmatch(r"[0-9a-f]{32}", echoed)  # a fresh id, not the client's
    [line] = access_lines(caplog)
    assert line["request_id"] == echoed


async def test_an_unexpected_error_is_logged_once_with_the_request_id(aiohttp_client, settings, caplog):
    async def broken(request: web.Request) -> web.Response:
        raise ZeroDivisionError("a bug")

    app = await create_app(settings)
    app.router.add_get("/broken", broken)
    client = await aiohttp_client(app)
    caplog.set_level(logging.INFO)

    response = await client.get("/broken", headers={"X-Request-ID": "req-bug-1"})
    assert response.status == 500
    body = await response.text()
    assert "req-bug-1" in body
    assert "Traceback" not in body and "ZeroDivisionError" not in body

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    line = observability.JsonFormatter().format(errors[0])
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["request_id"] == "req-bug-1"
    assert "ZeroDivisionError: a bug" in entry["exception"]
    assert [a["status"] for a in access_lines(caplog)] == [500]


async def test_create_app_refuses_a_bad_setting_in_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)  # no .env file
    monkeypatch.setenv("POOL_MAX_SIZE", "many")
    with pytest.raises(SystemExit) as stopped:
        await create_app()
    assert stopped.value.code == 3  # gunicorn: "worker failed to boot", no respawn loop
    assert capsys.readouterr().err.splitlines() == [
        "searchsvc: bad setting POOL_MAX_SIZE: Input should be a valid integer, unable to parse string as an integer"
    ]


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "searchsvc.cli", "serve"],
        [sys.executable, "-m", "gunicorn", "--config", "ops/gunicorn.conf.py", "searchsvc.app:create_app"],
    ],
    ids=["searchsvc serve", "gunicorn"],
)
def test_serving_refuses_a_bad_setting_in_one_line(command, tmp_path):
    command = [os.path.join(PROJECT, c) if c.startswith("ops/") else c for c in command]
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": PROJECT, "LOG_LEVEL": "LOUD"}  # no other setting
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "searchsvc: bad setting LOG_LEVEL: Value error, must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
    ]


def test_gunicorn_workers_add_up_their_metrics(database_url, tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR (as in the image), a scrape of any worker counts every worker's requests."""
    port = free_port()
    env = {
        "PATH": os.environ["PATH"], "PYTHONPATH": PROJECT, "DATABASE_URL": database_url,
        "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "POOL_MIN_SIZE": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "HOME": str(tmp_path),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", f"{PROJECT}/ops/gunicorn.conf.py", "searchsvc.app:create_app"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{base}/healthz", server)
        primary_pool = ("searchsvc_db_pool_size", frozenset({("pool", "primary")}))
        # each worker reports its pool (1 connection) once started: a scrape of one worker sees both
        _wait_until(lambda: _scrape_url(f"{base}/metrics").get(primary_pool) == 2, server)
        for _ in range(20):
            with urllib.request.urlopen(f"{base}/listInstrument?page_size=1") as response:
                assert response.status == 200
        ok = ("searchsvc_http_requests_total", frozenset({"route": "/listInstrument", "method": "GET", "status": "200"}.items()))
        for _ in range(3):  # each scrape is answered by whichever worker accepts it
            assert _scrape_url(f"{base}/metrics")[ok] == 20
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=60)
    assert server.returncode == 0, stderr
    assert all(json.loads(line)["level"] for line in stderr.splitlines())  # every log line is JSON


def _scrape_url(url: str) -> dict[tuple[str, frozenset], float]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return samples(response.read().decode())


def _wait_until(condition, server: subprocess.Popen, attempts: int = 300) -> None:
    """Poll `condition` (connection errors count as not yet) while the server runs."""
    for _ in range(attempts):
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited: {server.stderr.read()}")
        try:
            if condition():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("gave up waiting")


def _wait_until_up(url: str, server: subprocess.Popen) -> None:
    def answers() -> bool:
        with urllib.request.urlopen(url, timeout=1):
            return True

    _wait_until(answers, server)


async def test_metrics_count_rows_written_through_add_instrument(client, database_url):
    token = await write_token(database_url)
    await insert(database_url, [listing(1, link="https://example.test/item/kept")])
    items = [
        {"name": "Fender Jazz Bass", "link": "https://example.test/item/new", "website": "reverb"},
        {"name": "Roland Juno", "link": "https://example.test/item/kept", "website": "hispasonic", "price": "900"},
        {"name": "", "link": "https://example.test/item/bad", "website": "reverb"},
    ]
    before = await scrape(client)
    response = await client.post("/addInstrument", json=items, headers={"Authorization": f"Bearer {token}"})
    assert response.status == 201
    after = await scrape(client)

    def added(outcome):
        key = ("searchsvc_ingest_rows_total", frozenset({("source", "api"), ("outcome", outcome)}))
        return after.get(key, 0) - before.get(key, 0)

    assert (added("inserted"), added("updated"), added("rejected")) == (1, 1, 1)


def test_a_log_line_stays_json_whatever_the_text():
    record = logging.LogRecord("searchsvc.access", logging.INFO, __file__, 1, "request", (), None)
    record.path = "/undecodable-\udcff"  # what surrogateescape makes of bytes that are not UTF-8
    line = observability.JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["path"] == "/undecodable-\udcff"


async def test_query_latency_is_labelled_by_what_the_queries_do(client, database_url):
    await insert(database_url, [listing(1, name="Guitarra Fender Stratocaster"), listing(2, name="Bajo Fender")])
    before = await scrape(client)
    response = await client.get("/searchInstrument?name=fender&facets=category")
    assert response.status == 200 and (await response.json())["count"] == 2
    after = await scrape(client)

    def queries(kind):
        key = ("searchsvc_db_query_duration_seconds_count", frozenset({("kind", kind)}))
        return after.get(key, 0) - before.get(key, 0)

    assert queries("word_expansion") >= 1
    assert queries("facets") >= 1
    assert queries("/searchInstrument") >= 1  # the page itself: labelled by its route
