"""Faults against real PostgreSQL processes: the server stopped and restarted, slow queries,
an exhausted pool, and SIGTERM during a request. Each test uses a cluster of its own module."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import aiohttp
import pytest

from searchsvc.app import create_app
from searchsvc.devdb import Cluster, free_port
from searchsvc.settings import PROJECT_DIR, Settings

from .conftest import listing, write_token
from .throwaway import RowLock, TableLock, migrated_cluster, remove

ROWS = [listing(n, name=f"Guitarra Fender {n}") for n in range(5)]
# a bound for "answers instead of hanging": far above every timeout configured below
NO_HANG_S = 15


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[tuple[Cluster, str]]:
    cluster, url = migrated_cluster(ROWS)
    yield cluster, url
    remove(cluster)


def _settings(url: str, **overrides) -> Settings:
    values = {"database_url": url, "pool_min_size": 1, "pool_max_size": 2, "pool_acquire_timeout_s": 1.0}
    return Settings(**{**values, **overrides})


async def _get(client, path: str) -> tuple[int, dict, dict]:
    resp = await asyncio.wait_for(client.get(path), NO_HANG_S)
    return resp.status, dict(resp.headers), await resp.json()


def _assert_unavailable(status: int, headers: dict, body: dict, reason: str) -> None:
    assert status == 503, body
    assert int(headers["Retry-After"]) > 0
    assert headers["Content-Type"].startswith("application/json")
    assert reason in body["detail"]


async def test_database_stopped_then_started_again(aiohttp_client, own_cluster):
    cluster, url = own_cluster
    client = await aiohttp_client(await create_app(_settings(url)))
    status, _, body = await _get(client, "/listInstrument")
    assert status == 200 and body["count"] == len(ROWS)

    cluster.stop()
    try:
        for path in ("/listInstrument", "/searchInstrument/?name=fender", "/listInstrument?page=2"):
            _assert_unavailable(*await _get(client, path), "database")
        status, _, body = await _get(client, "/readyz")
        assert status == 503 and body["status"] != "ready"
        status, _, _ = await _get(client, "/healthz")
        assert status == 200  # alive, only not ready
    finally:
        cluster.start()

    # the same app, no restart: answers again as soon as the database does
    status, _, body = await _get(client, "/searchInstrument/?name=fender")
    assert status == 200 and body["count"] == len(ROWS)
    status, _, body = await _get(client, "/readyz")
    assert status == 200


async def test_service_starts_while_the_database_is_down(aiohttp_client, own_cluster):
    cluster, url = own_cluster
    cluster.stop()
    try:
        client = await aiohttp_client(await create_app(_settings(url, pool_min_size=2)))
        _assert_unavailable(*await _get(client, "/listInstrument"), "database")
        assert (await _get(client, "/healthz"))[0] == 200
    finally:
        cluster.start()
    status, _, body = await _get(client, "/listInstrument")
    assert status == 200 and body["count"] == len(ROWS)


async def test_slow_query_is_cut_and_the_connection_reused(aiohttp_client, own_cluster):
    _, url = own_cluster
    # one connection only: the request after the cut query must run on that same connection
    client = await aiohttp_client(await create_app(_settings(url, statement_timeout_ms=100, pool_max_size=1)))
    async with TableLock(url):
        _assert_unavailable(*await _get(client, "/listInstrument"), "took too long")
        _assert_unavailable(*await _get(client, "/searchInstrument?name=fender"), "took too long")
    status, _, body = await _get(client, "/listInstrument")
    assert status == 200 and body["count"] == len(ROWS)


async def test_exhausted_pool_queues_briefly_then_answers_503(aiohttp_client, own_cluster):
    _, url = own_cluster
    settings = _settings(url, statement_timeout_ms=30_000, pool_max_size=1, pool_acquire_timeout_s=0.3)
    client = await aiohttp_client(await create_app(settings))
    async with TableLock(url) as lock:
        holder = asyncio.ensure_future(client.get("/listInstrument"))  # takes the only connection, waits
        await asyncio.wait_for(lock.wait_for_waiters(1), NO_HANG_S)
        _assert_unavailable(*await _get(client, "/listInstrument?category=Bajos"), "no database connection")
        assert not holder.done()
    first = await asyncio.wait_for(holder, NO_HANG_S)
    assert first.status == 200 and (await first.json())["count"] == len(ROWS)


async def test_a_did_you_mean_that_cannot_finish_is_left_out_not_waited_for(aiohttp_client, own_cluster):
    """The correction look-up is an extra: cut after FACET_TIMEOUT_MS (its statement cancelled), the
    search still answers, without a correction, and the look-up's connection serves the next request."""
    _, url = own_cluster
    client = await aiohttp_client(await create_app(_settings(url, facet_timeout_ms=300, pool_max_size=1)))
    async with TableLock(url, "search_suggestion"):
        status, _, body = await _get(client, "/searchInstrument?name=qqqzzz")
        assert status == 200 and body["count"] == 0 and body["did_you_mean"] is None
        # two words: how often they meet as a phrase (the suggestions' counts) is cut too
        status, _, body = await _get(client, "/searchInstrument?name=fender%20guitarra")
        assert status == 200 and body["did_you_mean"] is None
    status, _, body = await _get(client, "/searchInstrument?name=guitarra")
    assert status == 200 and body["count"] == len(ROWS)


def _wait_serving(port: int, process: subprocess.Popen) -> None:
    """Until /healthz answers (under gunicorn the port is bound before the worker has booted)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("server did not start serving")


@pytest.mark.parametrize("runner", ["serve", "gunicorn"])
async def test_sigterm_finishes_the_request_in_flight_then_exits_0(own_cluster, runner):
    _, url = own_cluster
    port = free_port()
    env = {
        **os.environ, "DATABASE_URL": url, "STATEMENT_TIMEOUT_MS": "30000", "POOL_MIN_SIZE": "1",
        "SHUTDOWN_TIMEOUT_S": "20", "GRACEFUL_TIMEOUT": "20", "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": "1", "BIND": f"127.0.0.1:{port}",
    }
    if runner == "serve":
        command = [sys.executable, "-m", "searchsvc.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    else:  # as production runs it
        command = [
            str(Path(sys.executable).with_name("gunicorn")), "-c", str(PROJECT_DIR / "ops" / "gunicorn.conf.py"),
            "searchsvc.app:create_app",
        ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=PROJECT_DIR)
    try:
        await asyncio.to_thread(_wait_serving, port, server)
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
            async with TableLock(url) as lock:
                in_flight = asyncio.ensure_future(session.get("/listInstrument"))
                await asyncio.wait_for(lock.wait_for_waiters(1), NO_HANG_S)
                server.send_signal(signal.SIGTERM)
                # stops accepting: new connections are refused while the request still runs
                deadline = time.monotonic() + NO_HANG_S
                while time.monotonic() < deadline:
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=1).close()
                        await asyncio.sleep(0.05)
                    except ConnectionRefusedError:
                        break
                else:
                    raise AssertionError("still accepting connections after SIGTERM")
                assert not in_flight.done() and server.poll() is None
            resp = await asyncio.wait_for(in_flight, NO_HANG_S)
            assert resp.status == 200 and (await resp.json())["count"] == len(ROWS)
        assert await asyncio.to_thread(server.wait, NO_HANG_S) == 0
    finally:
        if server.poll() is None:
            server.kill()
        output = server.communicate()[0].decode(errors="replace")
    assert "Traceback" not in output, output


def _postgres_processes(cluster: Cluster) -> list[int]:
    """The postmaster of `cluster` and every process it started."""
    postmaster = int((cluster.pgdata / "postmaster.pid").read_text().split()[0])
    found, pending = [], [postmaster]
    while pending:
        pid = pending.pop()
        found.append(pid)
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                pending += [int(child) for child in children.read().split()]
    return found


async def test_frozen_database_answers_503_in_bounded_time_then_recovers(aiohttp_client, own_cluster):
    # SIGSTOP freezes every server process: connections stay open but nothing answers, as in a
    # network cut. Requests must not hang past the statement timeout (+1 s of client-side grace).
    cluster, url = own_cluster
    settings = _settings(url, statement_timeout_ms=500, pool_acquire_timeout_s=1.0)
    client = await aiohttp_client(await create_app(settings))
    assert (await _get(client, "/listInstrument"))[0] == 200
    processes = _postgres_processes(cluster)
    for pid in processes:
        os.kill(pid, signal.SIGSTOP)
    try:
        for path in ("/listInstrument", "/searchInstrument/?name=fender", "/listInstrument?page=2"):
            _assert_unavailable(*await _get(client, path), "database")
    finally:
        for pid in processes:
            os.kill(pid, signal.SIGCONT)
    status, _, body = await _get(client, "/listInstrument")
    assert status == 200 and body["count"] == len(ROWS)


async def _live_links(url: str, links: list[str]) -> int:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT count(*) FROM instrument WHERE link = ANY($1::text[])", links)
    finally:
        await conn.close()


async def test_a_write_cut_by_the_database_stopping_is_not_half_applied(aiohttp_client, own_cluster):

    cluster, url = own_cluster
    token = await write_token(url, "faults-test")
    client = await aiohttp_client(await create_app(_settings(url, statement_timeout_ms=30_000)))
    batch = [{"name": f"Roland TR-{n}", "link": f"https://example.test/fault/{n}", "price": "300"} for n in range(5)]
    links = [item["link"] for item in batch]
    # the batch ends with an update of a listing another session holds locked: the new rows before
    # it are written, then the transaction waits there, and the database stops under it
    existing = {**ROWS[0], "price": "999", "publish": None}
    batch.append({key: existing[key] for key in ("name", "link", "price", "website")})
    lock = RowLock(url, existing["link"])
    await lock.__aenter__()
    try:
        write = asyncio.ensure_future(
            client.post("/addInstrument", json=batch, headers={"Authorization": f"Bearer {token}"})
        )
        await asyncio.wait_for(lock.wait_for_waiters(1), NO_HANG_S)  # the batch is mid-transaction
        cluster.stop()  # fast shutdown: every session, the writer's too, is terminated
        resp = await asyncio.wait_for(write, NO_HANG_S)
        assert resp.status == 503 and "Retry-After" in resp.headers
    finally:
        assert lock.conn is not None
        lock.conn.terminate()
        cluster.start()
    assert await _live_links(url, links) == 0  # none of the batch, not some of it
    resp = await client.post("/addInstrument", json=batch, headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 201 and (await resp.json())["created"] == len(links)
    assert await _live_links(url, links) == len(links)
