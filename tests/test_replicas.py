"""Read scaling: a real streaming replica (pg_basebackup -R of a throwaway primary) serves reads,
writes and readiness checks stay on the primary, and a replica that dies is taken out of
rotation with reads falling back to the primary, never a 5xx."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Iterator

import asyncpg
import pytest

from searchsvc import db
from searchsvc.app import create_app
from searchsvc.devdb import DEFAULT_DATABASE, Cluster
from searchsvc.settings import Settings

from .conftest import insert, listing, write_token
from .throwaway import migrated_cluster, remove

ROWS = [listing(n, name=f"Guitarra Fender {n}") for n in range(3)]
RETRY_S = 0.3


@pytest.fixture(scope="module")
def primary_and_replica() -> Iterator[tuple[Cluster, Cluster]]:
    primary, _ = migrated_cluster(ROWS, prefix="searchsvc-primary-")
    try:
        replica = primary.replica(Path(tempfile.mkdtemp(prefix="searchsvc-replica-")))
        replica.start()
    except BaseException:
        remove(primary)
        raise
    yield primary, replica
    remove(replica, primary)


async def _replay(replica: Cluster, paused: bool) -> None:
    """Pause or resume applying the primary's changes on the replica (it then lags visibly)."""
    conn = await asyncpg.connect(replica.url(DEFAULT_DATABASE))
    try:
        await conn.execute("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")
    finally:
        await conn.close()


async def _wait_replayed(primary: Cluster, replica: Cluster) -> None:
    source = await asyncpg.connect(primary.url(DEFAULT_DATABASE))
    target = await asyncpg.connect(replica.url(DEFAULT_DATABASE))
    try:
        # the insert position, not pg_current_wal_lsn() (written so far): the test clusters run with
        # synchronous_commit off, so a commit just answered may not be written yet
        lsn = await source.fetchval("SELECT pg_current_wal_insert_lsn()")
        for _ in range(300):
            if await target.fetchval("SELECT pg_last_wal_replay_lsn() >= $1", lsn):
                return
            await asyncio.sleep(0.05)
        raise AssertionError("replica did not catch up")
    finally:
        await source.close()
        await target.close()


def _settings(primary: Cluster, replica: Cluster) -> Settings:
    return Settings(
        database_url=primary.url(DEFAULT_DATABASE), database_replica_urls=[replica.url(DEFAULT_DATABASE)],
        replica_retry_s=RETRY_S, pool_min_size=1, pool_max_size=2, pool_acquire_timeout_s=2,
    )


async def _found(client, name: str) -> int:
    resp = await client.get("/searchInstrument/", params={"name": name})
    assert resp.status == 200, await resp.text()
    return (await resp.json())["count"]


async def test_reads_use_the_replica_and_fall_back_to_the_primary_when_it_dies(aiohttp_client, primary_and_replica):
    primary, replica = primary_and_replica
    client = await aiohttp_client(await create_app(_settings(primary, replica)))
    await _replay(replica, paused=True)
    try:
        await insert(primary.url(DEFAULT_DATABASE), [listing(100, name="Korg Minilogue")])
        # the paused replica has not seen the new listing: reads are served there
        assert await _found(client, "minilogue") == 0
        assert (await (await client.get("/listInstrument")).json())["count"] == len(ROWS)
        assert (await client.get("/readyz")).status == 200

        replica.stop("immediate")
        # the replica is gone: the same reads now come from the primary, which has the listing
        assert await _found(client, "minilogue") == 1
        assert await _found(client, "minilogue") == 1
        assert (await (await client.get("/listInstrument")).json())["count"] == len(ROWS) + 1
        assert (await client.get("/readyz")).status == 200
    finally:
        replica.start()
    await _wait_replayed(primary, replica)

    # back after replica_retry_s: the replica serves reads again (paused, it misses the next listing)
    await _replay(replica, paused=True)
    try:
        await insert(primary.url(DEFAULT_DATABASE), [listing(101, name="Korg Monologue")])
        await asyncio.sleep(RETRY_S * 2)
        assert await _found(client, "monologue") == 0
        assert await _found(client, "minilogue") == 1
    finally:
        await _replay(replica, paused=False)


async def test_writes_go_to_the_primary(aiohttp_client, primary_and_replica):
    primary, replica = primary_and_replica
    token = await write_token(primary.url(DEFAULT_DATABASE), "replica-test")
    client = await aiohttp_client(await create_app(_settings(primary, replica)))
    new = {"name": "Roland Juno-106", "price": "1500", "link": "https://example.test/item/juno", "website": "reverb"}
    resp = await client.post("/addInstrument", json=new, headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 201, await resp.text()
    await _wait_replayed(primary, replica)
    assert await _found(client, "juno") == 1


def test_reads_rotate_over_replicas_in_service():
    primary, first, second = object(), db.Replica("a", object()), db.Replica("b", object())
    pools = db.Pools(primary, [first, second], retry_after_s=3600)  # type: ignore[arg-type]
    assert [pools.next_replica() for _ in range(4)] == [first, second, first, second]
    pools.take_out(first, OSError("refused"))
    assert [pools.next_replica() for _ in range(3)] == [second, second, second]
    pools.take_out(second, OSError("refused"))
    assert pools.next_replica() is None  # every replica out: read the primary
    first.down_until = 0.0  # its time out of rotation is over
    assert pools.next_replica() is first


def test_replica_urls_come_comma_separated_or_as_a_json_list(monkeypatch):
    from pydantic import ValidationError

    monkeypatch.setenv("DATABASE_REPLICA_URLS", "postgresql://r1/searchsvc, postgresql://r2/searchsvc")
    assert Settings().database_replica_urls == ["postgresql://r1/searchsvc", "postgresql://r2/searchsvc"]
    monkeypatch.setenv("DATABASE_REPLICA_URLS", '["postgresql://r1/searchsvc"]')
    assert Settings().database_replica_urls == ["postgresql://r1/searchsvc"]
    monkeypatch.setenv("DATABASE_REPLICA_URLS", "")
    assert Settings().database_replica_urls == []
    monkeypatch.setenv("DATABASE_REPLICA_URLS", "mysql://r1/searchsvc")
    with pytest.raises(ValidationError, match="DATABASE_REPLICA_URLS|database_replica_urls"):
        Settings()
