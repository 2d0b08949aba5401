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


# ── browser fixtures ─────────────────────────────────────────────────────────
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def live_server(database) -> Iterator[str]:
    """The real dashboard, served by waitress in a thread against the test database."""
    import socket
    import threading

    from waitress.server import create_server

    from app import app  # imported after the database fixture set the environment

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = create_server(app.server, host="127.0.0.1", port=port, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser context and page that records console errors in page.errors."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="th-TH")
    pg = context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: m.type == "error" and pg.errors.append(m.text))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()
