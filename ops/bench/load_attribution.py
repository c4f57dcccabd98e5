#!/usr/bin/env python3
"""Where a first load spends backend CPU: merge the same staged rows into an empty table with
all migrations, then without the statement triggers, GIN indexes and other btrees (each dropped
inside a transaction that is rolled back). Use a scratch database only.

    .venv/bin/python ops/bench/load_attribution.py postgresql://.../scratch /tmp/ingest-100k.csv
"""
import asyncio, csv, os, sys, time, asyncpg
from pathlib import Path
from searchsvc import ingest
TICKS = os.sysconf("SC_CLK_TCK")
def cpu(pid):
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICKS
URL = sys.argv[1]; PATH = sys.argv[2]
async def once(label, setup=()):
    conn = await asyncpg.connect(URL)
    pid = await conn.fetchval("SELECT pg_backend_pid()")
    await conn.execute("TRUNCATE instrument")
    tr = conn.transaction(); await tr.start()
    for s in setup: await conn.execute(s)
    await conn.execute("SET LOCAL work_mem='128MB'")
    rep = ingest.LoadReport()
    f = open(PATH, newline="", encoding="utf-8-sig"); r = csv.reader(f); h = ingest.read_header(r)
    c0, t0 = cpu(pid), time.monotonic()
    await ingest._stage(conn, ingest.staged_records(f, h, r, ingest.LoadOptions(), rep, lambda *a: None, None), ["line", "rejected", *ingest.COLUMNS])
    c1, t1 = cpu(pid), time.monotonic()
    row = await conn.fetchrow(ingest.merge_sql(sorted(h)))
    c2, t2 = cpu(pid), time.monotonic()
    await tr.rollback(); await conn.close()
    print(f"{label:40s} stage wall {t1-t0:6.1f} backend cpu {c1-c0:5.1f} | merge wall {t2-t1:6.1f} backend cpu {c2-c1:6.1f}  {dict(row)}", flush=True)
GIN = ["DROP INDEX IF EXISTS instrument_name_trgm_idx", "DROP INDEX IF EXISTS instrument_search_vector_idx"]
TRIG = ["ALTER TABLE instrument DISABLE TRIGGER USER"]
BTREE = ["DROP INDEX IF EXISTS instrument_category_id_idx", "DROP INDEX IF EXISTS instrument_category_idx", "DROP INDEX IF EXISTS instrument_live_id_idx", "DROP INDEX IF EXISTS instrument_price_idx", "DROP INDEX IF EXISTS instrument_publish_idx", "DROP INDEX IF EXISTS instrument_publish_shuffle_idx", "DROP INDEX IF EXISTS instrument_website_idx"]
async def main():
    await once("all migrations")
    await once("no search_word triggers", TRIG)
    await once("no triggers, no GIN", TRIG + GIN)
    await once("no triggers, no GIN, no other btree", TRIG + GIN + BTREE)
asyncio.run(main())
