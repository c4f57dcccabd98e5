"""The `searchsvc` command: migrate, serve, load, seed, and a private development database."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

from pydantic import ValidationError

from . import db, ingest
from .settings import PROJECT_DIR, Settings


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]).upper()
        sys.exit(f"searchsvc: bad setting {field}: {error['msg']}")


def cmd_migrate(args: argparse.Namespace) -> None:
    applied = db.migrate(_settings(), rollback=args.rollback)
    verb = "rolled back" if args.rollback else "applied"
    print(f"{verb}: {', '.join(applied) if applied else 'nothing'}")


def cmd_serve(args: argparse.Namespace) -> None:
    from aiohttp import web

    from .app import create_app

    settings = _settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # SIGTERM/SIGINT: stop listening, let requests in flight finish (bounded), close the pool, exit 0
    web.run_app(
        create_app(settings), host=args.host or settings.host, port=args.port or settings.port,
        shutdown_timeout=settings.shutdown_timeout_s, print=None,
    )


async def _load(paths: list[Path]) -> int:
    conn = await db.connect(_settings())
    failed = 0
    try:
        for path in paths:
            counts = ingest.LoadCounts()
            rejects: list[str] = []
            started = time.monotonic()
            with open(path, newline="", encoding="utf-8-sig") as stream:
                try:
                    header, rows = ingest.csv_rows(stream, counts, rejects)
                except ingest.RowError as exc:
                    print(f"{path}: {exc}", file=sys.stderr)
                    failed += 1
                    continue
                async with conn.transaction():
                    counts.inserted, counts.updated = await ingest.upsert(conn, header, rows)
            for reject in rejects[:20]:
                print(f"{path}: rejected {reject}", file=sys.stderr)
            print(
                f"{path}: read {counts.read}, inserted {counts.inserted}, updated {counts.updated}, "
                f"unchanged {counts.unchanged}, rejected {counts.rejected} "
                f"in {time.monotonic() - started:.1f} s"
            )
    finally:
        await conn.close()
    return failed


def cmd_load(args: argparse.Namespace) -> None:
    sys.exit(1 if asyncio.run(_load(args.files)) else 0)


async def _seed_database(rows: int, seed: int, if_empty: bool) -> None:
    from . import seed as seeding

    conn = await db.connect(_settings())
    try:
        if if_empty and await conn.fetchval("SELECT EXISTS (SELECT 1 FROM instrument)"):
            print("instrument table is not empty: not seeding")
            return
        started = time.monotonic()
        async with conn.transaction():
            inserted, updated = await ingest.upsert(conn, seeding.COLUMNS, seeding.generate(rows, seed))
        await conn.execute("ANALYZE instrument")
        print(f"seeded {inserted} listings ({updated} updated) in {time.monotonic() - started:.1f} s")
    finally:
        await conn.close()


def cmd_seed(args: argparse.Namespace) -> None:
    from . import seed as seeding

    if args.out:
        written = seeding.write_csv(args.out, args.rows, args.seed)
        print(f"wrote {written} listings to {args.out}")
    else:
        asyncio.run(_seed_database(args.rows, args.seed, args.if_empty))


def cmd_devdb(args: argparse.Namespace) -> None:
    from .devdb import DEFAULT_DATABASE, Cluster

    cluster = Cluster(Path(args.dir))
    if args.action == "start":
        cluster.start()
        cluster.create_database(DEFAULT_DATABASE)
        print(cluster.url())
    elif args.action == "stop":
        cluster.stop()
    elif args.action == "url":
        print(cluster.url())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="searchsvc", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="apply pending migrations from migrations/ (DATABASE_URL)")
    p.add_argument("--rollback", action="store_true", help="roll back the last applied migration instead")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("serve", help="run the development server (production: gunicorn, ops/gunicorn.conf.py)")
    p.add_argument("--host", help="address to bind (default: HOST setting)")
    p.add_argument("--port", type=int, help="port to listen on (default: PORT setting)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("load", help="upsert listings from scraper CSV files, on link")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE.csv")
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("seed", help="generate realistic listings into the database or a CSV file")
    p.add_argument("--rows", type=int, default=20_000, help="how many listings (default 20000)")
    p.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same rows")
    p.add_argument("--out", type=Path, help="write CSV here instead of loading the database")
    p.add_argument("--if-empty", action="store_true", help="load only when the table has no rows")
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser("devdb", help="a private PostgreSQL cluster for development (as `make run` uses)")
    p.add_argument("action", choices=["start", "stop", "url"])
    p.add_argument("--dir", default=str(PROJECT_DIR / ".data"), help="cluster folder (default .data/)")
    p.set_defaults(func=cmd_devdb)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
