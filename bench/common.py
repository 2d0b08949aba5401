"""Set-up shared by the benchmarks: point the settings at a database of the local
cluster (created and migrated if needed) or at the configured store."""

from __future__ import annotations

import os

from bench.signin import browser_login as login  # noqa: F401  (re-exported for the benchmarks)


def use_database(name: str) -> dict[str, str]:
    """A database of the project-managed cluster, migrated, with the reference tables."""
    from chipao import settings
    from chipao.cli import localdb

    localdb.start()
    localdb.ensure_database(name)
    urls = {"owner": localdb.url_for(name), "app": localdb.url_for(name, role=settings.APP_ROLE)}
    os.environ["DATABASE_URL"] = urls["owner"]
    os.environ["CHIPAO_APP_DATABASE_URL"] = urls["app"]
    _prepare()
    return urls


def use_local_store() -> None:
    """The store `make db` uses: DATABASE_URL if set, else the local cluster's `chipao`."""
    from chipao.cli import localdb

    if not os.environ.get("DATABASE_URL"):
        localdb.start()
    _prepare()


def _prepare() -> None:
    from chipao import settings

    os.environ.setdefault("CHIPAO_SECRET_KEY", "bench-secret-key-not-for-production")
    settings.reload()
    from queries import db, migrate
    from queries.reference_data import load_catalogue, load_reference_tables

    db.dispose_all()
    migrate.upgrade()
    with db.owner() as conn:
        load_catalogue(conn)
        load_reference_tables(conn)


def store_arguments(parser) -> None:
    """--households / --database: which store a benchmark measures (see choose_store)."""
    parser.add_argument("--households", type=int, help="own bench database with N demo households")
    parser.add_argument("--database", help="another database of the local cluster")


def choose_store(args, bench_db: str) -> None:
    """The benchmark's own database `bench_db` with --households demo households, or
    --database of the local cluster, else the store `make db` uses."""
    name = bench_db if args.households else args.database
    if name:
        use_database(name)
    else:
        use_local_store()
    if args.households:
        ensure_demo(args.households)


def ensure_demo(households: int, rebuild: bool = False) -> None:
    """Load `households` demo households (with boundaries) unless the store holds exactly
    that many already."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    from sqlalchemy import text

    from queries.db import owner

    with owner() as conn:
        have = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
    if have == households and not rebuild:
        print(f"bench store holds {have:,} households: reused", file=sys.stderr)
        return
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "chipao", "demo", "--replace", "--households",
                    str(households)], check=True, cwd=Path(__file__).resolve().parent.parent,
                   env=os.environ.copy())
    print(f"loaded {households:,} demo households in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)


def create_user(role: str, areas: tuple[str, ...] = ()) -> tuple[str, str]:
    """A fresh user of the bench store (the areas must exist); returns (username, password)."""
    import secrets

    from chipao.domain.passwords import generate_password, hash_password
    from chipao.domain.scope import SYSTEM, Role
    from queries import users
    from queries.db import owner

    username = f"bench-{role}-{secrets.token_hex(4)}"
    password = generate_password()
    with owner() as conn:
        users.create_user(conn, SYSTEM, username, Role(role), hash_password(password),
                          tuple(areas), username, False)
    return username, password
