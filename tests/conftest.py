"""Test fixtures: a real PostGIS database per test session (in the project-managed
local cluster unless TEST_DATABASE_URL points elsewhere), migrated and seeded with
the reference tables. Nothing here is mocked."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from chipao import config, localdb

TEST_DB = f"chipao_test_{os.getpid()}"


@pytest.fixture(scope="session")
def database() -> Iterator[dict[str, str]]:
    """A fresh, migrated database for this test session; yields its owner/app URLs."""
    localdb.start()
    localdb.drop_database(TEST_DB)
    localdb.ensure_database(TEST_DB)
    urls = {
        "owner": localdb.url_for(TEST_DB),
        "app": localdb.url_for(TEST_DB, role=config.APP_ROLE),
    }
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "CHIPAO_APP_DATABASE_URL")}
    os.environ["DATABASE_URL"] = urls["owner"]
    os.environ["CHIPAO_APP_DATABASE_URL"] = urls["app"]
    os.environ.setdefault("CHIPAO_SECRET_KEY", "test-secret-key-not-for-production")
    config.settings.cache_clear()
    from queries import db, migrate
    from queries.reference_data import load_catalogue, load_reference_tables

    db.dispose_all()
    migrate.upgrade(urls["owner"])
    with db.owner() as conn:
        load_catalogue(conn)
        load_reference_tables(conn)
    yield urls
    db.dispose_all()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    config.settings.cache_clear()
    localdb.drop_database(TEST_DB)
