"""Command line: ``python -m chipao <command>`` (or the ``chipao`` script).

Each command has ``--help``. Database commands use the owner role (DATABASE_URL,
or the project-managed local PostGIS when it is not set).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

console = Console(stderr=True)
COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {}


def command(name: str, help_text: str):
    """Register a command; its arguments come from an @args decorator (either order)."""
    def wrap(fn):
        COMMANDS[name] = (fn, help_text)
        return fn
    return wrap


def args(builder: Callable[[argparse.ArgumentParser], None]):
    def wrap(fn):
        fn._args = builder
        return fn
    return wrap


def _use_local_db() -> bool:
    return not os.environ.get("DATABASE_URL")


def ensure_store() -> None:
    """Start the local PostGIS when no DATABASE_URL is given, then migrate."""
    from chipao import settings
    from chipao.cli import localdb

    if _use_local_db():
        localdb.start()
        settings.reload()
    from queries import migrate
    from queries.db import owner
    from queries.reference_data import load_catalogue, load_reference_tables

    migrate.upgrade()
    with owner() as conn:
        load_catalogue(conn)
        load_reference_tables(conn)


# ── db ───────────────────────────────────────────────────────────────────────
@command("db", "Start the project-managed local PostGIS (unless DATABASE_URL is set), "
               "migrate it, and print its DATABASE_URL as the last line.")
def cmd_db(_a: argparse.Namespace) -> int:
    from chipao.settings import libpq_url
    from queries.db import database

    ensure_store()
    print(libpq_url(database().owner_url))
    return 0


@command("stop", "Stop the project-managed local PostGIS (and local redis-server).")
def cmd_stop(_a: argparse.Namespace) -> int:
    from chipao.cli import localdb, redislocal

    if _use_local_db():
        console.print("stopped" if localdb.stop() else "the local PostGIS was not running")
    else:
        console.print("DATABASE_URL points elsewhere: nothing to stop")
    if redislocal.stop():
        console.print("stopped the local redis-server")
    return 0


def ensure_redis() -> str:
    """Start the local redis-server when CHIPAO_REDIS=local (and no CHIPAO_REDIS_URL);
    return the Redis URL in use ("" for none)."""
    from chipao import settings
    from chipao.cli import redislocal

    if os.environ.get("CHIPAO_REDIS", "").lower() == "local" and \
            not os.environ.get("CHIPAO_REDIS_URL"):
        redislocal.start()
        settings.reload()
    return settings.current().services.redis_url


@command("redis", "Start the project-managed local redis-server (as CHIPAO_REDIS=local "
                  "does) and print its URL as the last line.")
def cmd_redis(_a: argparse.Namespace) -> int:
    from chipao.cli import redislocal

    print(redislocal.start())
    return 0


@args(lambda p: p.add_argument("--concurrency", type=int, default=2,
                               help="job processes (default 2)"))
@command("worker", "Run a Celery worker for background jobs (needs CHIPAO_REDIS_URL or "
                   "CHIPAO_REDIS=local).")
def cmd_worker(a: argparse.Namespace) -> int:
    if not ensure_redis():
        console.print("[red]no Redis configured: set CHIPAO_REDIS_URL or CHIPAO_REDIS=local"
                      "[/red] (without Redis, jobs run inside `chipao serve`)")
        return 2
    import app  # noqa: F401  registers the pages' background callbacks as Celery tasks
    from chipao.web.jobs import celery_app

    celery_app().worker_main(["worker", f"--concurrency={a.concurrency}", "--loglevel=INFO",
                              f"--hostname=chipao-{os.getpid()}@%h", "--without-gossip",
                              "--without-mingle"])
    return 0


@args(lambda p: p.add_argument("direction", choices=["up", "down", "current"], nargs="?",
                               default="up", help="upgrade to the latest, downgrade to empty, "
                                                  "or show the current revision"))
@command("migrate", "Apply (or revert) the Alembic migrations as the owner role.")
def cmd_migrate(a: argparse.Namespace) -> int:
    from queries import migrate

    {"up": migrate.upgrade, "down": migrate.downgrade, "current": migrate.current}[a.direction]()
    return 0


@args(lambda p: (p.add_argument("--dimensions", type=Path, help="dimensions CSV"),
                 p.add_argument("--indicators", type=Path, help="indicators CSV")))
@command("catalogue", "Load the indicator catalogue (default: the 17 TPMAP indicators).")
def cmd_catalogue(a: argparse.Namespace) -> int:
    from queries.db import owner
    from queries.reference_data import load_catalogue

    with owner() as conn:
        n = load_catalogue(conn, a.dimensions, a.indicators)
    console.print(f"catalogue loaded: {n} indicators")
    return 0


# ── imports ──────────────────────────────────────────────────────────────────
@args(lambda p: p.add_argument("source", nargs="?", type=Path,
                               help="folder of GeoJSON, a GeoPackage or zipped Shapefile "
                                    "(default: $CHIPAO_BOUNDARIES, else ../shared/geodata)"))
@command("import-boundaries", "Import province, district and tambon boundaries (HDX COD-AB layout).")
def cmd_import_boundaries(a: argparse.Namespace) -> int:
    from geodata.boundaries import import_boundaries

    report = import_boundaries(a.source)
    return 0 if report.ok else 1


@args(lambda p: (p.add_argument("file", type=Path, help="household CSV (UTF-8 or TIS-620)"),
                 p.add_argument("--accept-partial", action="store_true",
                                help="load the good rows even when some rows are rejected"),
                 p.add_argument("--report", type=Path, help="where to write the reject report")))
@command("import-households", "Import a household CSV (see docs/household-csv.md).")
def cmd_import_households(a: argparse.Namespace) -> int:
    from chipao.ingest.household_csv import import_file

    result = import_file(a.file, accept_partial=a.accept_partial, report_path=a.report)
    return 0 if result.ok else 1


@args(lambda p: (p.add_argument("--households", type=int, default=None,
                                help="number of households (full scale: 4104450)"),
                 p.add_argument("--seed", type=int, default=2565),
                 p.add_argument("--replace", action="store_true",
                                help="replace household data already in the store"),
                 p.add_argument("--if-empty", action="store_true",
                                help="do nothing when the store already holds households")))
@command("demo", "Load boundaries (if missing) and generate deterministic demo data.")
def cmd_demo(a: argparse.Namespace) -> int:
    from chipao.ingest import demo
    from queries.db import owner
    from queries.status import store_status

    with owner() as conn:
        status = store_status(conn)
    if status["areas"].get("3", 0) == 0:
        from geodata.boundaries import import_boundaries

        if not import_boundaries(None).ok:
            return 1
    if a.if_empty and status["households"] > 0:
        console.print(f"the store already holds {status['households']:,} households: demo skipped")
        return 0
    kwargs = {"seed": a.seed, "replace": a.replace}
    if a.households:
        kwargs["households"] = a.households
    demo.load_demo(**kwargs)
    return 0


@command("refresh", "Rebuild every aggregate table from the household data.")
def cmd_refresh(_a: argparse.Namespace) -> int:
    from queries import aggregates
    from queries.db import owner

    with owner() as conn:
        aggregates.refresh(conn)
    console.print("aggregates rebuilt")
    return 0


@command("status", "Print what the store holds, as one JSON object on the last line.")
def cmd_status(_a: argparse.Namespace) -> int:
    from queries.db import owner
    from queries.status import store_status

    with owner() as conn:
        print(json.dumps(store_status(conn), ensure_ascii=False))
    return 0


# ── serve ────────────────────────────────────────────────────────────────────
@args(lambda p: (p.add_argument("--host", default="127.0.0.1"),
                 p.add_argument("--port", type=int, default=8050),
                 p.add_argument("--workers", type=int, default=None,
                                help="gunicorn gthread workers (default: one waitress "
                                     "process; with CHIPAO_PRODUCTION=1, 2 x cores + 1)"),
                 p.add_argument("--threads", type=int, default=8),
                 p.add_argument("--access-log", default=None,
                                help="gunicorn access log: a file, or - for stderr"),
                 p.add_argument("--no-job-worker", action="store_true",
                                help="with Redis, do not start a Celery worker beside "
                                     "(run `chipao worker` elsewhere)"),
                 p.add_argument("--dev", action="store_true",
                                help="Dash dev tools (hot reload); never on a shared network")))
@command("serve", "Serve the dashboard (http://127.0.0.1:8050 by default).")
def cmd_serve(a: argparse.Namespace) -> int:
    from chipao.settings import current

    if current().security.production and a.dev:
        console.print("[red]--dev is refused when CHIPAO_PRODUCTION is set[/red]")
        return 2
    redis_url = ensure_redis()
    workers = a.workers
    if workers is None and current().security.production and not a.dev:
        from chipao.cli.serving import default_workers

        workers = default_workers()
    jobs = _start_job_worker() if redis_url and not a.no_job_worker else None
    try:
        _serve(a, workers)
    finally:
        if jobs is not None:
            jobs.terminate()
            jobs.wait(timeout=30)
    return 0


def _serve(a: argparse.Namespace, workers: int | None) -> None:
    from chipao.cli.memory import limit_malloc_arenas

    limit_malloc_arenas()  # before any request thread (and inherited by forked workers)
    if workers:  # production: gunicorn, several stateless worker processes
        from chipao.cli.serving import ServeOptions, serve

        console.print(f"Chipao: http://{a.host}:{a.port} (gunicorn, {workers} workers "
                      f"x {a.threads} threads)")
        serve(ServeOptions(host=a.host, port=a.port, workers=workers, threads=a.threads,
                           access_log=a.access_log))
        return
    from app import app

    console.print(f"Chipao: http://{a.host}:{a.port}")
    if a.dev:
        app.run(host=a.host, port=a.port, debug=True, dev_tools_hot_reload=True)
        return
    import gc

    from waitress import serve as waitress_serve

    # The app's long-lived objects (layouts, catalogue, geometry) never die: freeze them
    # so the collector stops rescanning them (it caused 100+ ms outliers under load).
    gc.collect()
    gc.freeze()
    waitress_serve(app.server, host=a.host, port=a.port, threads=a.threads, ident="chipao")


def _start_job_worker():
    """A `chipao worker` beside the web workers (make run with Redis), stopped with it."""
    import subprocess

    console.print("Celery worker for background jobs: started beside the web workers")
    return subprocess.Popen([sys.executable, "-m", "chipao", "worker"])


def build_parser() -> argparse.ArgumentParser:
    _load_extra_commands()
    parser = argparse.ArgumentParser(prog="chipao", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name, (fn, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if hasattr(fn, "_args"):
            fn._args(p)
        p.set_defaults(func=fn)
    return parser


def _load_extra_commands() -> None:
    """Commands that live beside the features they serve (users, centres, …)."""
    import importlib

    for module in ("chipao.cli.users", "chipao.cli.centres", "chipao.cli.plans",
                   "chipao.cli.brief"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name != module:
                raise


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    try:
        return a.func(a)
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # one clear line for users; the trace only with CHIPAO_DEBUG
        if os.environ.get("CHIPAO_DEBUG"):
            raise
        from queries.errors import NO_ROOM, UNAVAILABLE, database_out_of_room, database_unavailable

        if database_out_of_room(err):  # disk full, temp_file_limit: nothing was written
            detail = str(getattr(err, "orig", err)).splitlines()[0]
            console.print(f"[red]error:[/red] {NO_ROOM[1]} ({detail})")
            return 1
        if database_unavailable(err):
            console.print(f"[red]error:[/red] {UNAVAILABLE[1]}")
            return 1
        console.print(f"[red]error:[/red] {err}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
