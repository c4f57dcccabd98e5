"""The `searchsvc` command: migrate, serve, load, seed, prewarm, and a private development database."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import date
from pathlib import Path

from . import db, ingest
from .settings import PROJECT_DIR, settings_or_exit


def cmd_migrate(args: argparse.Namespace) -> None:
    applied = db.migrate(settings_or_exit(), rollback=args.rollback)
    verb = "rolled back" if args.rollback else "applied"
    print(f"{verb}: {', '.join(applied) if applied else 'nothing'}")


def cmd_serve(args: argparse.Namespace) -> None:
    from aiohttp import web

    from .app import create_app
    from .observability import configure_logging

    settings = settings_or_exit()
    configure_logging(settings.log_level)  # one JSON line per record, as under gunicorn
    # SIGTERM/SIGINT: stop listening, let requests in flight finish (bounded), close the pool, exit 0
    web.run_app(
        create_app(settings), host=args.host or settings.host, port=args.port or settings.port,
        shutdown_timeout=settings.shutdown_timeout_s,
        access_log=None,  # observability.request_log_middleware writes the request log
    )


def _progress(path: Path):
    """A progress line on stderr, redrawn in place, when stderr is a terminal; else None."""
    if not sys.stderr.isatty():
        return None
    started = time.monotonic()

    def show(read: int, rejected: int) -> None:
        rate = read / max(time.monotonic() - started, 1e-6)
        print(f"\r{path}: {read:,} rows read, {rejected:,} rejected ({rate:,.0f} rows/s)", end="", file=sys.stderr)

    return show


async def _load(args: argparse.Namespace) -> int:
    """Load each file in its own transaction; the number of files that failed."""
    options = ingest.LoadOptions(strict=args.strict, dry_run=args.dry_run, snapshot=args.snapshot, website=args.website)
    conn = await db.connect(settings_or_exit())
    failed = changed = 0
    try:
        for path in args.files:
            rejects_path = args.rejects or path.with_name(path.name + ".rejects")
            rejects = ingest.RejectsFile(rejects_path)
            progress = _progress(path)
            try:
                with open(path, newline="", encoding="utf-8-sig") as stream:
                    report = await ingest.load_csv(conn, stream, options, rejects, progress)
            except (ingest.LoadError, OSError, UnicodeDecodeError) as exc:
                if progress:
                    print(file=sys.stderr)
                print(f"{path}: not loaded, nothing written: {exc}", file=sys.stderr)
                failed += 1
                continue
            finally:
                rejects.close()
            if progress:
                print(file=sys.stderr)
            dry = " (dry run: nothing written)" if args.dry_run else ""
            print(f"{path}: {report.summary()}{dry}")
            if report.indexes_built:
                print(f"{path}: the table was empty: {report.indexes_built} indexes built after the insert, "
                      f"in {report.index_seconds:.1f} s of the above")
            if report.rejected:
                print(f"{path}: {report.rejected} rejected rows listed in {rejects_path}", file=sys.stderr)
            if not args.dry_run:
                changed += report.inserted + report.updated + report.expired
        if changed:
            await _after_load(conn)
    finally:
        await conn.close()
    return failed


async def _after_load(conn) -> None:
    """The one place where what is derived from the listings catches up after a load."""
    await conn.execute("ANALYZE instrument")
    await _refresh_suggestions(conn)


async def _refresh_suggestions(conn) -> None:
    from . import suggest

    started = time.monotonic()
    kept = await conn.fetchval(suggest.REFRESH_SQL)
    print(f"suggestions refreshed: {kept} words and phrases in {time.monotonic() - started:.1f} s")


def cmd_suggest_refresh(args: argparse.Namespace) -> None:
    async def refresh() -> None:
        conn = await db.connect(settings_or_exit())
        try:
            await _refresh_suggestions(conn)
        finally:
            await conn.close()

    asyncio.run(refresh())


async def _prewarm() -> None:
    from . import prewarm

    conn = await db.connect(settings_or_exit())
    try:
        started = time.monotonic()
        try:
            read = await prewarm.prewarm(conn)
        except prewarm.PrewarmUnavailable as exc:
            print(f"searchsvc prewarm: {exc}", file=sys.stderr)
            sys.exit(1)
    finally:
        await conn.close()
    for relation in read:
        if relation.bytes >= 2**20:  # (the smaller ones are counted in the total)
            print(f"{relation.relation}: {relation.bytes / 2**20:,.0f} MB")
    total = sum(relation.bytes for relation in read) / 2**20
    print(f"prewarmed {len(read)} tables and indexes, {total:,.0f} MB, in {time.monotonic() - started:.1f} s")


def cmd_prewarm(args: argparse.Namespace) -> None:
    asyncio.run(_prewarm())


def cmd_load(args: argparse.Namespace) -> None:
    if args.snapshot and not args.website:
        sys.exit("searchsvc load: --snapshot needs --website NAME (the marketplace the file lists completely)")
    if args.rejects and len(args.files) > 1:
        sys.exit("searchsvc load: --rejects names one file's rejects: load one file at a time with it")
    sys.exit(1 if asyncio.run(_load(args)) else 0)


async def _purge(before: date) -> None:
    conn = await db.connect(settings_or_exit())
    try:
        def report(total: int) -> None:
            print(f"removed {total} so far", file=sys.stderr)

        removed = await ingest.purge_expired(conn, before, report=report if sys.stderr.isatty() else None)
    finally:
        await conn.close()
    per_site = ", ".join(f"{site} {count}" for site, count in sorted(removed.items()))
    print(f"removed {sum(removed.values())} listings expired before {before}" + (f" ({per_site})" if per_site else ""))


def cmd_purge(args: argparse.Namespace) -> None:
    if args.expired_before > date.today():
        sys.exit("searchsvc purge: --expired-before must not be after today (those listings still show)")
    asyncio.run(_purge(args.expired_before))


async def _token(args: argparse.Namespace) -> int:
    from . import auth

    conn = await db.connect(settings_or_exit())
    try:
        if args.action == "create":
            try:
                token = await auth.create_token(conn, args.name)
            except (ValueError, auth.TokenNameTaken) as exc:
                print(f"searchsvc token: {'an active token is already named ' if isinstance(exc, auth.TokenNameTaken) else ''}{exc}", file=sys.stderr)
                return 1
            print(token)
            print(f"token {args.name!r} created; it is shown only this once", file=sys.stderr)
        elif args.action == "list":
            print("name\tkey_id\tcreated\tlast_used\trevoked")
            for row in await auth.list_tokens(conn):
                cells = [row["name"], row["key_id"], row["created_at"], row["last_used_at"], row["revoked_at"]]
                print("\t".join("-" if c is None else str(c)[:19] if not isinstance(c, str) else c for c in cells))
        else:
            revoked = await auth.revoke_token(conn, args.name)
            if not revoked:
                print(f"searchsvc token: no active token named or with key id {args.name!r}", file=sys.stderr)
                return 1
            for row in revoked:
                print(f"revoked {row['name']} ({row['key_id']})")
    finally:
        await conn.close()
    return 0


def cmd_token(args: argparse.Namespace) -> None:
    if args.action in ("create", "revoke") and not args.name:
        sys.exit(f"searchsvc token {args.action}: give --name NAME")
    sys.exit(asyncio.run(_token(args)))


async def _seed_database(rows: int, seed: int, if_empty: bool) -> None:
    from . import seed as seeding

    conn = await db.connect(settings_or_exit())
    try:
        if if_empty and await conn.fetchval("SELECT EXISTS (SELECT 1 FROM instrument)"):
            print("instrument table is not empty: not seeding")
            return
        started = time.monotonic()
        async with conn.transaction():
            inserted, updated = await ingest.upsert(conn, seeding.COLUMNS, seeding.generate(rows, seed))
        print(f"seeded {inserted} listings ({updated} updated) in {time.monotonic() - started:.1f} s")
        await _after_load(conn)
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

    p = sub.add_parser(
        "load", help="validate and upsert listings from scraper CSV files, on link (one transaction per file)"
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE.csv",
                   help="header row naming any of: " + ", ".join(ingest.COLUMNS) + " (name and link required)")
    p.add_argument("--rejects", type=Path, metavar="PATH",
                   help="where rejected rows go, as CSV line,field,reason (default FILE.csv.rejects)")
    p.add_argument("--strict", action="store_true", help="one bad row aborts the file: nothing written")
    p.add_argument("--dry-run", action="store_true", help="validate and count what would change; write nothing")
    p.add_argument("--website", metavar="NAME", help="website of rows without one (else the link's host name)")
    p.add_argument("--snapshot", action="store_true",
                   help="the file lists ALL current listings of --website: the ones missing expire yesterday")
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("purge", help="delete listings that expired before a date, in batches")
    p.add_argument("--expired-before", required=True, type=date.fromisoformat, metavar="YYYY-MM-DD")
    p.set_defaults(func=cmd_purge)

    p = sub.add_parser("token", help="write tokens for POST /addInstrument: create (printed once), list, revoke")
    p.add_argument("action", choices=["create", "list", "revoke"])
    p.add_argument("--name", help="who the token is for (create), or the name or key id to revoke")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("seed", help="generate realistic listings into the database or a CSV file")
    p.add_argument("--rows", type=int, default=20_000, help="how many listings (default 20000)")
    p.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same rows")
    p.add_argument("--out", type=Path, help="write CSV here instead of loading the database")
    p.add_argument("--if-empty", action="store_true", help="load only when the table has no rows")
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser(
        "suggest-refresh", help="rebuild the /suggest and did-you-mean words from the live listings (load and seed do it)"
    )
    p.set_defaults(func=cmd_suggest_refresh)

    p = sub.add_parser(
        "prewarm", help="read the tables and indexes searches use into memory (after the database starts cold)"
    )
    p.set_defaults(func=cmd_prewarm)

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
