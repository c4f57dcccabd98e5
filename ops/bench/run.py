"""Benchmark searchsvc as production runs it, one command:

    .venv/bin/python ops/bench/run.py --rows 1000000 --concurrency 8 --duration 20

1. a private PostgreSQL cluster (--dir, default .data/bench) with pg_stat_statements, and in it
   a database `bench_<rows>` migrated and seeded with `searchsvc seed --rows N` (reused when it
   already holds N listings), vacuumed so that index-only scans read no table pages, and read
   into memory (`searchsvc prewarm`: a page cache emptied since the last run is not the service);
2. gunicorn with ops/gunicorn.conf.py (aiohttp uvloop workers) on 127.0.0.1:--port;
3. each scenario, then the mix, driven by wrk (ops/bench/deps.sh installs it) at --concurrency
   open connections for --duration seconds;
4. the database time of each scenario, without load: the statements PostgreSQL ran per request
   (pg_stat_statements over --db-samples sequential requests: every query, facets and
   suggestions included) and EXPLAIN ANALYZE of the page query that searchsvc.sql builds from
   the parsed parameters;
5. one table: scenario, req/s, p50, p95, p99, errors, share of answers from the response cache,
   db ms/request, page query ms.

Each worker caches answers until the data changes (searchsvc/cache.py), so a scenario that repeats
one URL is answered from memory after its first request. `--unique-share 1` makes every request
new to the cache (a `_fresh` parameter the service ignores): the cost of a query nobody asked
recently. `--unique-share 0.3`: 30% such requests. The db time column is always measured with
requests new to the cache. Either way the words of a search are looked up once per change of the
data and worker (WORD_CACHE_TTL_S); `--word-cache-ttl 0` adds their look-up to every request.

Raw wrk output goes to ops/bench/out/ (ignored by git). The load generator shares the cores
with the service and the database: figures are for the whole machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from multidict import MultiDict
from yarl import URL

PROJECT_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_DIR))

from searchsvc import paging, params as request_params, sql, sql_search, sql_words  # noqa: E402
from searchsvc import query as search_text  # noqa: E402
from searchsvc.devdb import Cluster  # noqa: E402
from searchsvc.settings import Settings  # noqa: E402

OUT_DIR = PROJECT_DIR / "ops" / "bench" / "out"
METRICS_DIR = OUT_DIR / "metrics"
LUA = Path(__file__).with_name("wrk_report.lua")
BIN = Path(sys.executable).parent


@dataclass
class Scenario:
    name: str
    path: str
    weight: int = 0  # share of the mix (0: not in it)
    needs_key: str | None = None  # a response key that shows the feature exists
    result: dict = field(default_factory=dict)


def scenarios() -> list[Scenario]:
    """The scenarios, with their weights in the mix (percent: mostly first-page searches and
    suggestions while typing, some filters and paging). DEEP pages are resolved per database."""
    return [
        Scenario("list page 1", "/listInstrument", 5),
        Scenario("list page DEEP", "/listInstrument?page=DEEP", 1),
        Scenario("list category+price p3", "/listInstrument?category=Guitarras&minPrice=100&maxPrice=500&page=3", 6),
        Scenario("search guitarra", "/searchInstrument/?name=guitarra", 14),
        Scenario("search fender stratocaster", "/searchInstrument/?name=fender%20stratocaster", 10),
        # the same words in the other order: no phrase match (session 6; until then 14% went to the line above)
        Scenario("search stratocaster fender", "/searchInstrument/?name=stratocaster%20fender", 4),
        Scenario("search minilogue+Teclados", "/searchInstrument/?name=minilogue&category=Teclados", 8),
        Scenario("search no match", "/searchInstrument/?name=zqxjvw%20wqpfk", 3),
        Scenario(
            "search highlight+facets",
            "/searchInstrument/?name=fender&highlight=true&facets=category,website", 8, needs_key="facets",
        ),
        Scenario("search typo fendr stratocastr", "/searchInstrument/?name=fendr%20stratocastr", 5),
        Scenario("search 2-letter prefix st", "/searchInstrument/?name=st", 2),
        Scenario("search 1-word prefix strato", "/searchInstrument/?name=strato", 6),
        Scenario("suggest str", "/suggest?q=str", 26, needs_key="suggestions"),
        Scenario("search guitarra page DEEP", "/searchInstrument/?name=guitarra&page=DEEP", 2),
        # not in the mix (session 11): a one-word search of a brand of ~7,600 listings at 1M, and page 20
        # (the deepest relevance page) of one of ~30,000: both were read whole, 17-26 and 82-93 ms
        Scenario("search mid-size word mesa", "/searchInstrument/?name=mesa"),
        Scenario("search korg page 20", "/searchInstrument/?name=korg&page=20"),
        Scenario("healthz (no database)", "/healthz"),
    ]


def resolve_deep_pages(args: argparse.Namespace, chosen: list[Scenario]) -> None:
    """DEEP becomes page 2000, or at a smaller size the deepest of 2000, 1000, 500... that exists
    (`total_pages` may be an estimate)."""
    for scenario in chosen:
        if "DEEP" not in scenario.path:
            continue
        page = 2000
        while page > 2 and get(args, scenario.path.replace("DEEP", str(page)))[0] != 200:
            page //= 2
        scenario.path = scenario.path.replace("DEEP", str(page))
        scenario.name = scenario.name.replace("DEEP", str(page))


# ---- database -----------------------------------------------------------------------------

PG_CONF = (
    "\n# searchsvc benchmark\n"
    "shared_preload_libraries = 'pg_stat_statements'\n"
    "pg_stat_statements.track_planning = on\n"
    "pg_stat_statements.max = 5000\n"
)


def prepare_cluster(datadir: Path) -> Cluster:
    cluster = Cluster(datadir)
    if not cluster.initialised():
        cluster.init()
    conf = cluster.pgdata / "postgresql.conf"
    if "pg_stat_statements" not in conf.read_text():
        cluster.stop()
        with open(conf, "a") as stream:
            stream.write(PG_CONF)
    cluster.start()
    return cluster


def run_cli(database_url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}
    print(f"$ searchsvc {' '.join(args)}", flush=True)
    subprocess.run([str(BIN / "searchsvc"), *args], env=env, check=True)


async def database_value(url: str, *statements: str) -> object:
    """Run `statements` on a connection of their own; the first column of the last one's first row."""
    conn = await asyncpg.connect(url)
    try:
        for statement in statements[:-1]:
            await conn.execute(statement)
        return await conn.fetchval(statements[-1])
    finally:
        await conn.close()


PUBLISH_ORDER_SQL = (  # how closely the heap follows `publish`: |pg_stats correlation|, 0..1
    "SELECT coalesce(abs(correlation), 0) FROM pg_stats WHERE tablename = 'instrument' AND attname = 'publish'"
)
RANK_INDEX = "instrument_publish_shuffle_idx"  # sql.TIER_ORDER (migration 0017)
RANK_ORDER_SQL = (  # the publish correlation, or 0 when the last CLUSTER used another index
    f"SELECT CASE WHEN (SELECT indisclustered FROM pg_index WHERE indexrelid = '{RANK_INDEX}'::regclass) "
    f"THEN ({PUBLISH_ORDER_SQL}) ELSE 0 END"
)


def prepare_database(cluster: Cluster, rows: int, keep_order: bool = False) -> tuple[str, float]:
    """The database of `rows` generated listings (seeded when new), and its heap's publish correlation."""
    name = f"bench_{rows}"
    cluster.create_database(name)
    url = cluster.url(name)
    run_cli(url, "migrate")
    have = asyncio.run(database_value(url, "SELECT count(*) FROM instrument"))
    if have == 0:
        started = time.monotonic()
        run_cli(url, "seed", "--rows", str(rows))
        print(f"seeded {rows} listings in {time.monotonic() - started:.0f} s", flush=True)
    elif have != rows:
        sys.exit(f"database {name} holds {have} listings, not {rows}: drop it or pick another --dir")
    # Daily loads write listings in publish order; `searchsvc seed` shuffles the dates, which makes
    # every newest-first probe a random heap read (ops/bench/EXPLAIN.md, "Physical order"). A table
    # clustered before migration 0017 is in date order but not in the new rank order within a day.
    if not keep_order and asyncio.run(database_value(url, "ANALYZE instrument (publish)", RANK_ORDER_SQL)) < 0.9:
        started = time.monotonic()
        print(f"CLUSTER instrument USING {RANK_INDEX} (the order daily loads write) ...", flush=True)
        asyncio.run(database_value(url, f"CLUSTER instrument USING {RANK_INDEX}", "SELECT 1"))
        print(f"clustered in {time.monotonic() - started:.0f} s", flush=True)
    # VACUUM (ANALYZE): index-only scans read no table pages, and the correlation below is current
    order = asyncio.run(database_value(
        url, "VACUUM (ANALYZE) instrument", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", PUBLISH_ORDER_SQL,
    ))
    return url, order


# ---- service ------------------------------------------------------------------------------

def start_service(args: argparse.Namespace, database_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BIND": f"127.0.0.1:{args.port}",
        "LOG_LEVEL": args.log_level,
        "POOL_MIN_SIZE": str(min(args.pool_max, 2)),
        "POOL_MAX_SIZE": str(args.pool_max),
        "PROMETHEUS_MULTIPROC_DIR": str(METRICS_DIR),  # /metrics sums the workers: cache hit counts
    }
    if args.response_cache_ttl is not None:
        env["RESPONSE_CACHE_TTL_S"] = str(args.response_cache_ttl)
    if args.exact_count_ttl is not None:
        env["EXACT_COUNT_TTL_S"] = str(args.exact_count_ttl)
    if args.word_cache_ttl is not None:
        env["WORD_CACHE_TTL_S"] = str(args.word_cache_ttl)
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    log = open(OUT_DIR / "gunicorn.log", "w")
    service = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(PROJECT_DIR / "ops" / "gunicorn.conf.py"), "searchsvc.app:create_app"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_DIR, start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            get(args, "/healthz")
            return service
        except OSError:
            if service.poll() is not None:
                sys.exit(f"gunicorn exited, see {OUT_DIR / 'gunicorn.log'}")
            time.sleep(0.2)
    stop_service(service)
    sys.exit("the service did not answer /healthz within 30 s")


def stop_service(service: subprocess.Popen) -> None:
    if service.poll() is None:
        os.killpg(service.pid, signal.SIGTERM)
        try:
            service.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(service.pid, signal.SIGKILL)


def get(args: argparse.Namespace, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{args.port}{path}", timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def availability(args: argparse.Namespace, scenario: Scenario) -> str | None:
    """None when the scenario can run; else why not (endpoint or parameter missing)."""
    status, body = get(args, scenario.path)
    if status == 404 and body.get("detail") == "Not found.":
        return "endpoint missing"
    if status != 200:
        return f"answers {status}"
    if scenario.needs_key and scenario.needs_key not in body:
        return f"no `{scenario.needs_key}` in the answer"
    return None


# ---- load ---------------------------------------------------------------------------------

def cache_lookups(args: argparse.Namespace) -> dict[str, float]:
    """{"hit": n, "miss": n} of the response cache so far, all workers (from /metrics)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    found = {"hit": 0.0, "miss": 0.0}
    for line in text.splitlines():
        if line.startswith("searchsvc_response_cache_lookups_total{"):
            result = line.split('result="', 1)[1].split('"', 1)[0]
            found[result] = found.get(result, 0.0) + float(line.rsplit(" ", 1)[1])
    return found


def hey(args: argparse.Namespace, label: str, path: str) -> dict:
    """Drive one path with hey: the same closed loop as wrk, latency percentiles per request."""
    cmd = ["hey", "-z", f"{args.duration}s", "-c", str(args.concurrency), "-t", "5", f"http://127.0.0.1:{args.port}{path}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    output_file(args, "hey", label).write_text(out)
    found = dict(re.findall(r"^\s+(\d+)% in ([0-9.]+) secs", out, re.MULTILINE))
    codes = dict(re.findall(r"^\s+\[(\d+)\]\s+(\d+) responses", out, re.MULTILINE))
    failures = out.split("Error distribution:", 1)[1] if "Error distribution:" in out else ""
    errors = sum(int(n) for n in re.findall(r"^\s+\[(\d+)\]", failures, re.MULTILINE))
    return {
        "requests": sum(int(n) for n in codes.values()),
        "rps": float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1)),
        **{f"p{p}_ms": float(found[p]) * 1000 for p in ("50", "95", "99")},
        "errors": errors, "non2xx": sum(int(n) for code, n in codes.items() if not code.startswith("2")),
    }


def drive(args: argparse.Namespace, label: str, paths: list[str]) -> dict:
    """Load `paths` (one, or the mix's weighted list); the client's figures and the cache hit share.

    With --client hey, a single path is driven by hey instead of wrk (wrk cannot vary it per
    request, so not with --unique-share): wrk's latency percentiles are not per request (8 requests
    of 400 ms among 26,000 of 0.5 ms gave it a p95 of 283 ms and a p99 of 379 ms; hey: 0.8 and
    1.3 ms). The no-database endpoint stays on wrk: it is the ceiling the mix (wrk) is compared with.
    """
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    before = cache_lookups(args)
    if args.client == "hey" and len(set(paths)) == 1 and not args.unique_share and paths[0] != "/healthz":
        result = hey(args, label, paths[0])
    else:
        result = wrk(args, label, paths)
    after = cache_lookups(args)
    hits, misses = after["hit"] - before["hit"], after["miss"] - before["miss"]
    result["cache_hits"] = 100 * hits / (hits + misses) if hits + misses else None
    return result


def wrk(args: argparse.Namespace, label: str, paths: list[str]) -> dict:
    """Drive `paths` with wrk; the figures its Lua report prints."""
    env = {**os.environ, "BENCH_PATHS": "\n".join(paths), "BENCH_UNIQUE_SHARE": str(args.unique_share)}
    cmd = [
        "wrk", f"-t{args.threads}", f"-c{args.concurrency}", f"-d{args.duration}s", "--timeout", "5s",
        "-s", str(LUA), f"http://127.0.0.1:{args.port}",
    ]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    output_file(args, "wrk", label).write_text(out)
    line = next(line for line in out.splitlines() if line.startswith("BENCH "))
    return json.loads(line[len("BENCH "):])


def output_file(args: argparse.Namespace, client: str, label: str) -> Path:
    return OUT_DIR / f"{client}-{args.rows}-{label.replace(' ', '_').replace('/', '_')}.txt"


# ---- database time ------------------------------------------------------------------------

async def statement_ms_per_request(conn: asyncpg.Connection, args: argparse.Namespace, path: str) -> float:
    """Planning + execution time of every statement the service ran, per request, without load."""
    fresh = iter(range(10**9))  # every request new to the response cache: its database cost

    def new(path: str) -> str:
        return f"{path}{'&' if '?' in path else '?'}_fresh=db{next(fresh)}"

    for _ in range(4):  # warm every worker: plans, estimates, anchors, background exact counts
        await asyncio.to_thread(get, args, new(path))
    for _ in range(100):  # let background counts finish: they are not this request's cost
        if not await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'searchsvc' AND state = 'active'"
        ):
            break
        await asyncio.sleep(0.05)
    await conn.execute("SELECT pg_stat_statements_reset()")
    for _ in range(args.db_samples):
        await asyncio.to_thread(get, args, new(path))
    total = await conn.fetchval(
        """
        SELECT coalesce(sum(total_exec_time + total_plan_time), 0)
        FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = current_database() AND query NOT LIKE '%pg_stat_statements%'
        """
    )
    return total / args.db_samples


async def page_query(conn: asyncpg.Connection, path: str) -> sql.Query | None:
    """The page SQL the service builds for `path` (list or search page, as views.py does), else None.

    A list page starts from the first row (no remembered anchor) and a search page is read whole (no
    remembered window start, views._search_windows): the cold cost of a deep page. The served
    requests use what each worker remembers, as production does: see the db ms/req column.
    """
    url = URL(path)
    query = MultiDict(url.query)
    if url.path.startswith("/listInstrument"):
        return paging.page_query(request_params.parse(request_params.ListParams, query), None)[0]
    if url.path.startswith("/searchInstrument"):
        search = request_params.parse(request_params.SearchParams, query)
        text = search_text.parse(search.name)
        if text.all_words:  # views._expanded: the typed words' lexemes, synonyms, near spellings
            lookup = sql_words.word_expansion(text, search.name, search.category)
            search = search.with_expansion(await sql_words.look_up(text, lookup, lambda q: conn.fetch(q.text, *q.args)))
        return sql_search.search_page(search)
    return None


async def explain_ms(conn: asyncpg.Connection, query: sql.Query) -> float:
    """Median of three EXPLAIN ANALYZE runs (planning + execution), in ms."""
    times = []
    for _ in range(3):
        plan = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {query.text}", *query.args)
        plan = json.loads(plan) if isinstance(plan, str) else plan
        times.append(plan[0]["Planning Time"] + plan[0]["Execution Time"])
    return sorted(times)[1]


async def database_times(args: argparse.Namespace, url: str, chosen: list[Scenario]) -> None:
    conn = await asyncpg.connect(url, server_settings={
        "jit": "off", "max_parallel_workers_per_gather": "0",  # as the service's connections
    })
    try:
        for scenario in chosen:
            scenario.result["db_ms"] = await statement_ms_per_request(conn, args, scenario.path)
            try:
                query = await page_query(conn, scenario.path)
                scenario.result["page_ms"] = None if query is None else await explain_ms(conn, query)
            except Exception as exc:  # the SQL functions changed shape: report, keep going
                print(f"{scenario.name}: no EXPLAIN ({exc})", file=sys.stderr)
                scenario.result["page_ms"] = None
    finally:
        await conn.close()


# ---- report -------------------------------------------------------------------------------

def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(rows: list[tuple[str, dict | None, str | None]]) -> str:
    head = ["scenario", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "cache hits %", "db ms/req", "page query ms"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r, skipped in rows:
        if skipped:
            lines.append(f"| {name} | skipped: {skipped} |" + " |" * (len(head) - 2))
            continue
        errors = r["errors"] + r["non2xx"]
        lines.append(
            f"| {name} | {r['rps']:.0f} | {fmt(r['p50_ms'])} | {fmt(r['p95_ms'])} | {fmt(r['p99_ms'])} "
            f"| {errors} | {fmt(r.get('cache_hits'), 0)} | {fmt(r.get('db_ms'), 2)} | {fmt(r.get('page_ms'), 2)} |"
        )
    return "\n".join(lines)


def machine() -> str:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )
    memory = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()[1].split()[1]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=PROJECT_DIR
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "searchsvc", "migrations"],
        capture_output=True, text=True, cwd=PROJECT_DIR,
    ).stdout.strip()
    return f"commit {commit}{' (+ uncommitted changes)' if dirty else ''}; {os.cpu_count()} CPUs ({model}); {memory} RAM"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="listings in the database (default 100000)")
    parser.add_argument("--concurrency", type=int, default=8, help="open connections wrk keeps busy (default 8)")
    parser.add_argument("--duration", type=int, default=20, help="seconds per scenario (default 20)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: it shares the cores)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: WEB_CONCURRENCY or one per core)")
    parser.add_argument("--pool-max", type=int, default=Settings.model_fields["pool_max_size"].default,
                        help="POOL_MAX_SIZE of each worker (default: the setting's default)")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--dir", type=Path, default=PROJECT_DIR / ".data" / "bench", help="cluster folder")
    parser.add_argument("--only", help="run the scenarios whose name contains this text (and no mix)")
    parser.add_argument("--no-mix", action="store_true", help="skip the mix")
    parser.add_argument("--mix-only", action="store_true",
                        help="only the no-database endpoint and the mix, no db times (to compare deployments)")
    parser.add_argument("--db-samples", type=int, default=20, help="sequential requests per scenario for db time")
    parser.add_argument("--log-level", default="WARNING", help="LOG_LEVEL of the service (INFO logs every request)")
    parser.add_argument("--stop-db", action="store_true", help="stop the cluster afterwards")
    parser.add_argument("--keep-order", action="store_true",
                        help="do not CLUSTER the table by publish date (default: cluster it once, as daily loads "
                        "order it; the seed shuffles dates)")
    parser.add_argument("--client", choices=("wrk", "hey"), default="wrk",
                        help="load generator of the single-URL scenarios (hey: latency percentiles per request; "
                        "the mix always uses wrk)")
    parser.add_argument("--unique-share", type=float, default=0.0,
                        help="share of requests (0-1) made new to the response cache (default 0: repeat traffic)")
    parser.add_argument("--response-cache-ttl", type=float,
                        help="RESPONSE_CACHE_TTL_S of the service (default: the setting's; 0 turns the cache off)")
    parser.add_argument("--exact-count-ttl", type=float,
                        help="EXACT_COUNT_TTL_S of the service (default: the setting's; 0: no background exact "
                        "counts, which a scenario repeating its URL with the cache off would otherwise start)")
    parser.add_argument("--word-cache-ttl", type=float,
                        help="WORD_CACHE_TTL_S of the service (default: the setting's; 0 looks the words up on every "
                        "search and ranks every page from the newest listing: the cost of words no search used since "
                        "the data last changed)")
    args = parser.parse_args(argv)
    if not shutil.which("wrk") or (args.client == "hey" and not shutil.which("hey")):
        sys.exit("wrk or hey is missing: run ops/bench/deps.sh (Debian packages `wrk`, `hey`)")

    cluster = prepare_cluster(args.dir)
    url, heap_order = prepare_database(cluster, args.rows, args.keep_order)
    # from memory, as a database in service reads it: a page cache emptied since the last run made the
    # first searches wait on the disk for seconds (searchsvc/prewarm.py)
    run_cli(url, "prewarm")
    service = start_service(args, url)
    try:
        chosen = [s for s in scenarios() if not args.only or args.only in s.name]
        resolve_deep_pages(args, chosen)
        report: list[tuple[str, dict | None, str | None]] = []
        runnable = []
        for scenario in chosen:
            skipped = availability(args, scenario)
            if skipped is None:
                runnable.append(scenario)
            report.append((scenario.name, scenario.result, skipped))
        if args.mix_only:
            runnable_alone = [s for s in runnable if s.path == "/healthz"]  # the ceiling only
            report = [row for row in report if any(row[0] == s.name for s in runnable_alone)]
        else:
            runnable_alone = runnable
            asyncio.run(database_times(args, url, runnable))
        for scenario in runnable_alone:
            print(f"running {scenario.name} ...", flush=True)
            scenario.result.update(drive(args, scenario.name, [scenario.path]))
        if not args.only and not args.no_mix:
            mix = [s for s in runnable if s.weight]
            weighted = [s.path for s in mix for _ in range(s.weight)]
            print("running the mix ...", flush=True)
            result = drive(args, "mix", weighted)
            total = sum(s.weight for s in mix)
            shares = ", ".join(f"{s.name} {100 * s.weight / total:.0f}%" for s in mix)
            report.append((f"mix ({shares})", result, None))
    finally:
        stop_service(service)
        if args.stop_db:
            cluster.stop()
    print()
    print(f"{args.rows} listings, concurrency {args.concurrency}, {args.duration} s each, "
          f"workers {args.workers or os.environ.get('WEB_CONCURRENCY') or os.cpu_count()}, pool_max {args.pool_max}, "
          f"unique share {args.unique_share}, response cache ttl {'default' if args.response_cache_ttl is None else args.response_cache_ttl}, "
          f"exact count ttl {'default' if args.exact_count_ttl is None else args.exact_count_ttl}, "
          f"word cache ttl {'default' if args.word_cache_ttl is None else args.word_cache_ttl}, "
          f"heap in publish order {heap_order:.2f} (|correlation|)")
    print(machine())
    print(table(report))
    rates = {name: r.get("rps") for name, r, skipped in report if not skipped and r}
    ceiling = next((rate for name, rate in rates.items() if name.startswith("healthz")), None)
    mix = next((rate for name, rate in rates.items() if name.startswith("mix")), None)
    if ceiling and mix:
        print(f"\nmix: {mix:.0f} req/s = {100 * mix / ceiling:.1f}% of the no-database endpoint's {ceiling:.0f} req/s")


if __name__ == "__main__":
    main()
