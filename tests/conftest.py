"""Test fixtures: a real PostGIS database per test session in the project-managed
local cluster (started if needed), migrated and seeded with the reference tables, and
the real dashboard served to headless Chromium. Nothing here is mocked."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from chipao.cli import localdb


@pytest.fixture(scope="session")
def database() -> Iterator[dict[str, str]]:
    """A fresh, migrated database for this test session; yields its owner/app URLs."""
    from tests.factory import isolated_store

    localdb.start()
    os.environ.setdefault("CHIPAO_SECRET_KEY", "test-secret-key-not-for-production")
    with isolated_store("chipao_test") as url:
        yield {"owner": url, "app": os.environ["CHIPAO_APP_DATABASE_URL"]}


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


# Fonts the browser may use besides the app's own: Latin-only families (no Thai glyph),
# whatever this machine has installed. A user's machine may have no Thai font at all,
# so every browser test runs like that; Thai must come from assets/fonts (Sarabun).
LATIN_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation")


def latin_only_fontconfig(directory) -> str:
    """Write a fontconfig file that knows only LATIN_FONT_DIRS; returns its path."""
    import pathlib

    directory = pathlib.Path(directory)
    dirs = "".join(f"<dir>{d}</dir>" for d in LATIN_FONT_DIRS if os.path.isdir(d))
    conf = directory / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
                    f"<fontconfig>{dirs}<cachedir>{directory / 'cache'}</cachedir>"
                    "</fontconfig>\n", encoding="utf-8")
    return str(conf)


@pytest.fixture(scope="session")
def fontconfig_file(tmp_path_factory) -> str:
    return latin_only_fontconfig(tmp_path_factory.mktemp("fontconfig"))


@pytest.fixture(scope="session")
def browser(fontconfig_file):
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "FONTCONFIG_FILE": fontconfig_file}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                              env=env)
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
