"""The response cache: repeated reads are answered from memory, and never outlive a change."""

import asyncio
import time

import asyncpg
import pytest

from searchsvc import cache, metrics
from searchsvc.app import create_app

from .conftest import fetch, insert, listing, write_token

SEARCH = "/searchInstrument/?name=fender"


@pytest.fixture
async def cached_client(aiohttp_client, settings):
    """A client of an app whose cache is on (long TTL: only a change can refresh it), once it listens."""
    app = await create_app(settings.model_copy(update={"response_cache_ttl_s": 600, "word_cache_ttl_s": 600}))
    client = await aiohttp_client(app)
    await _until(lambda: app[cache.RESPONSES].enabled)
    return client


async def _until(condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if await condition() if asyncio.iscoroutinefunction(condition) else condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def _change(client, change) -> None:
    """Run `change` (a coroutine changing rows) and wait until the worker has heard of it."""
    responses = client.app[cache.RESPONSES]
    before = responses.generation
    await change
    await _until(lambda: responses.generation > before)


async def _names(client, path: str = SEARCH) -> tuple[list[str], str | None]:
    resp = await client.get(path)
    assert resp.status == 200
    return [r["name"] for r in (await resp.json())["results"]], resp.headers.get("X-Cache")


async def test_a_repeated_read_is_answered_from_memory_with_the_same_body(cached_client, database_url):
    await _change(cached_client, insert(database_url, [listing(1, name="Fender Jazz Bass"), listing(2, name="Fender Telecaster")]))
    for path in (SEARCH, "/listInstrument?category=guitarras", "/suggest?q=fen"):
        first = await cached_client.get(path)
        again = await cached_client.get(path)
        assert (first.status, again.status) == (200, 200)
        assert (first.headers["X-Cache"], again.headers["X-Cache"]) == ("miss", "hit"), path
        assert await first.read() == await again.read()
        assert again.headers["Content-Type"] == first.headers["Content-Type"]
    suggest = await cached_client.get("/suggest?q=fen")
    assert suggest.headers["Cache-Control"].startswith("public")  # kept with the body


async def test_a_change_by_anyone_empties_the_cache(cached_client, database_url):
    await _change(cached_client, insert(database_url, [listing(1, name="Fender Jazz Bass")]))
    assert (await _names(cached_client))[0] == ["Fender Jazz Bass"]
    assert (await _names(cached_client))[1] == "hit"
    # another process (a load, psql) adds a listing: the notification reaches the worker
    await insert(database_url, [listing(2, name="Fender Telecaster")])

    async def shows_it():
        return "Fender Telecaster" in (await _names(cached_client))[0]

    await _until(shows_it)  # well before the 600 s TTL
    await fetch(database_url, "UPDATE instrument SET expiration = CURRENT_DATE - 1 WHERE name = 'Fender Telecaster'")

    async def hides_it():
        return "Fender Telecaster" not in (await _names(cached_client))[0]

    await _until(hides_it)


async def test_the_writer_reads_its_own_write_at_once(cached_client, database_url):
    token = await write_token(database_url)
    await _change(cached_client, insert(database_url, [listing(1, name="Fender Jazz Bass")]))
    await _names(cached_client)
    assert (await _names(cached_client))[1] == "hit"
    item = {"name": "Fender Mustang", "link": "https://reverb.com/item/9", "website": "reverb"}
    resp = await cached_client.post("/addInstrument", json=item, headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 201
    names, hit = await _names(cached_client)  # the very next read, no waiting
    assert "Fender Mustang" in names and hit == "miss"


async def test_answers_expire_after_the_ttl(aiohttp_client, settings, database_url):
    await insert(database_url, [listing(1, name="Fender Jazz Bass")])
    app = await create_app(settings.model_copy(update={"response_cache_ttl_s": 0.3}))
    client = await aiohttp_client(app)
    await _until(lambda: app[cache.RESPONSES].enabled)
    assert [(await _names(client))[1] for _ in range(2)] == ["miss", "hit"]
    await asyncio.sleep(0.4)
    assert (await _names(client))[1] == "miss"


async def test_page_links_follow_the_host_the_client_asked(cached_client, database_url):
    await _change(cached_client, insert(database_url, [listing(n) for n in range(60)]))
    for host in ("a.example", "b.example", "a.example"):
        resp = await cached_client.get("/listInstrument", headers={"Host": host})
        assert (await resp.json())["next"].startswith(f"http://{host}/listInstrument")


async def test_without_the_change_notifications_nothing_is_cached(cached_client, database_url):
    await _change(cached_client, insert(database_url, [listing(1, name="Fender Jazz Bass")]))
    await _names(cached_client)
    responses = cached_client.app[cache.RESPONSES]
    await fetch(database_url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'searchsvc-listen'")
    await _until(lambda: not responses.enabled)
    # a change nobody hears about: it shows at once, since nothing is served from memory now
    await insert(database_url, [listing(2, name="Fender Telecaster")])
    names, hit = await _names(cached_client)
    assert "Fender Telecaster" in names and hit is None
    await _until(lambda: responses.enabled, seconds=15)  # it reconnects by itself
    assert [(await _names(cached_client))[1] for _ in range(2)] == ["miss", "hit"]


async def test_errors_are_not_kept(cached_client):
    for _ in range(2):
        resp = await cached_client.get("/searchInstrument/?name=fender&minPrice=abc")
        assert resp.status == 400 and "X-Cache" not in resp.headers
        resp = await cached_client.get("/searchInstrument/?name=fender&page=2")
        assert resp.status == 404 and "X-Cache" not in resp.headers


def test_memory_stays_within_its_bound():
    responses = cache.ResponseCache(ttl_s=60, max_bytes=100_000)
    responses.listening = True
    for n in range(1000):
        answer = cache.Answer(time.monotonic(), b"x" * 1000, (), None)
        responses.put((f"http://x/searchInstrument/?name={n}", None), responses.generation, answer)
    assert responses.size <= 100_000 and 50 <= len(responses) < 100
    assert responses.get(("http://x/searchInstrument/?name=999", None)) is not None  # the newest stay
    assert responses.get(("http://x/searchInstrument/?name=0", None)) is None


async def test_a_new_synonym_reaches_searches_the_worker_has_seen(cached_client, database_url):
    await _change(cached_client, insert(database_url, [listing(1, name="Pastilla Seymour Duncan")]))
    assert (await _names(cached_client, "/searchInstrument/?name=pickup"))[0] == []
    # the same words in another request (page size): the word look-up is remembered too
    assert (await _names(cached_client, "/searchInstrument/?name=pickup&page_size=10"))[0] == []
    await _change(cached_client, fetch(
        database_url, "INSERT INTO search_synonym (grp, term) VALUES ('pickup', 'pastilla'), ('pickup', 'pickup')"
    ))
    names, hit = await _names(cached_client, "/searchInstrument/?name=pickup&page_size=20")
    assert names == ["Pastilla Seymour Duncan"] and hit == "miss"


async def test_with_answers_not_cached_the_words_are_looked_up_once_per_change(aiohttp_client, settings, database_url):
    app = await create_app(settings.model_copy(update={"response_cache_ttl_s": 0, "word_cache_ttl_s": 600}))
    client = await aiohttp_client(app)
    await _until(lambda: app[cache.RESPONSES].derived_enabled)

    def look_ups() -> float:
        return metrics.REGISTRY.get_sample_value(
            "searchsvc_db_query_duration_seconds_count", {"kind": "word_expansion"}
        ) or 0.0

    await _change(client, insert(database_url, [listing(1, name="Pastilla Seymour Duncan")]))
    before = look_ups()
    for path in ("/searchInstrument/?name=pickup", "/searchInstrument/?name=pickup", "/searchInstrument/?name=pickup&page_size=10"):
        assert await _names(client, path) == ([], None)  # every answer computed anew (no X-Cache) ...
    assert look_ups() - before == 1  # ... from one look-up of the word
    await _change(client, fetch(
        database_url, "INSERT INTO search_synonym (grp, term) VALUES ('pickup', 'pastilla'), ('pickup', 'pickup')"
    ))
    assert await _names(client, "/searchInstrument/?name=pickup") == (["Pastilla Seymour Duncan"], None)
    assert look_ups() - before == 2


async def test_did_you_mean_follows_the_data(cached_client, database_url):
    rows = [listing(n, name=name) for n, name in enumerate(["Gibson Les Paul", "Gibson SG", "Fender Jazz Bass"])]
    await _change(cached_client, insert(database_url, rows))
    await _change(cached_client, fetch(database_url, "SELECT searchsvc_refresh_suggestions()"))

    async def did_you_mean(page_size: int) -> str | None:
        resp = await cached_client.get(f"/searchInstrument/?name=gibsn&page_size={page_size}")
        return (await resp.json())["did_you_mean"]

    assert [await did_you_mean(10), await did_you_mean(20)] == ["gibson", "gibson"]
    # every Gibson expires: correcting to "gibson" would now find nothing
    await _change(cached_client, fetch(database_url, "UPDATE instrument SET expiration = CURRENT_DATE - 1 WHERE name LIKE 'Gibson%'"))
    assert await did_you_mean(30) is None


async def test_concurrent_requests_for_one_url_cost_one_computation(cached_client, database_url):
    await _change(cached_client, insert(database_url, [listing(1, name="Fender Jazz Bass")]))
    blocker = await asyncpg.connect(database_url)
    try:
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("LOCK TABLE instrument IN ACCESS EXCLUSIVE MODE")  # every read waits
        requests = [asyncio.ensure_future(cached_client.get(SEARCH)) for _ in range(6)]
        await asyncio.sleep(0.5)  # all six have arrived while the first one's query waits
        await transaction.rollback()
        responses = await asyncio.gather(*requests)
    finally:
        await blocker.close()
    assert sorted(r.headers["X-Cache"] for r in responses) == ["hit"] * 5 + ["miss"]
    bodies = {await r.read() for r in responses}
    assert len(bodies) == 1 and b"Fender Jazz Bass" in bodies.pop()
