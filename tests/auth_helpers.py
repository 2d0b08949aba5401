"""Sign-in helpers for every test module (real users, real sessions, nothing mocked).

    from tests.auth_helpers import create_user, client_for, login

    def test_x(database):
        username, password = create_user("province", areas=("TH50",))
        client = client_for(app.server, username, password)   # Flask test client
        client.get("/households")                              # as that user
        client.post_callback({...})                            # a Dash callback request

    def test_y(page, live_server):                            # Playwright
        username, password = create_user("tambon", areas=("TH500101",))
        login(page, live_server, username, password)

Areas a user is scoped to must exist: `create_user` adds any missing ones (and their
parents) as small synthetic squares with the real P-codes and names, so the tests do
not depend on the full boundary import; areas already present are left untouched.
"""

from __future__ import annotations

import itertools
import json
import os
from typing import Any

from sqlalchemy import text

from bench.signin import CALLBACK_PATH, CSRF_COOKIE, browser_login, login_form, page_body  # noqa: F401

# Real names for the P-codes the tests use most; others get a generated name.
KNOWN_AREAS: dict[str, tuple[str, str]] = {
    "TH10": ("กรุงเทพมหานคร", "Bangkok"),
    "TH1001": ("พระนคร", "Phra Nakhon"),
    "TH100101": ("พระบรมมหาราชวัง", "Phraborom Maharatchawang"),
    "TH50": ("เชียงใหม่", "Chiang Mai"),
    "TH5001": ("เมืองเชียงใหม่", "Mueang Chiang Mai"),
    "TH500101": ("ศรีภูมิ", "Si Phum"),
    "TH500102": ("พระสิงห์", "Phra Sing"),
}
_seq = itertools.count(1)


def _square(pcode: str) -> str:
    """A small valid square inside Thailand, distinct per P-code (WKT)."""
    n = int(pcode[2:].ljust(6, "0"))
    x = 98.0 + (n % 997) * 0.007
    y = 6.0 + (n // 997 % 1000) * 0.012
    d = 0.005 if len(pcode) == 8 else 0.006
    return (f"MULTIPOLYGON((({x} {y},{x + d} {y},{x + d} {y + d},{x} {y + d},{x} {y})))")


def ensure_areas(conn, pcodes) -> None:
    """Insert the missing areas among `pcodes` and their ancestors (owner connection)."""
    wanted: list[str] = []
    for pcode in pcodes:
        for n in range(4, len(pcode) + 1, 2):
            if pcode[:n] not in wanted:
                wanted.append(pcode[:n])
    present = set(conn.execute(text("SELECT pcode FROM area WHERE pcode = ANY(:p)"),
                               {"p": wanted}).scalars())
    for pcode in wanted:
        if pcode in present:
            continue
        level = (len(pcode) - 2) // 2
        th, en = KNOWN_AREAS.get(pcode, (f"พื้นที่ทดสอบ {pcode}", f"Test area {pcode}"))
        conn.execute(text("""
            INSERT INTO area (pcode, level, parent_pcode, name_th, name_en, geom, geom_display,
                              label_point, area_km2)
            SELECT :p, :lvl, :parent, :th, :en, g, g, ST_PointOnSurface(g), 1.0
            FROM (SELECT ST_GeomFromText(:wkt, 4326) AS g) s
            ON CONFLICT (pcode) DO NOTHING
        """), {"p": pcode, "lvl": level, "parent": pcode[:-2] if level > 1 else None,
               "th": th, "en": en, "wkt": _square(pcode)})


def create_user(role: str, areas: tuple[str, ...] | list[str] = (), username: str | None = None,
                display_name: str = "", is_demo: bool = False) -> tuple[str, str]:
    """Create a user (as the owner role, through queries.users); returns (username, password).

    Needs the `database` fixture to be active. The username is unique per call unless
    given."""
    from chipao.domain.passwords import generate_password, hash_password
    from chipao.domain.scope import SYSTEM, Role
    from queries import users
    from queries.db import owner

    username = username or f"t{os.getpid()}-{role}-{next(_seq)}"
    password = generate_password()
    with owner() as conn:
        ensure_areas(conn, areas)
        users.create_user(conn, SYSTEM, username, Role(role), hash_password(password),
                          tuple(areas), display_name or username, is_demo)
    return username, password


# ── Flask test client ────────────────────────────────────────────────────────
ORIGIN = "http://localhost"


def _client(flask_app):
    client = flask_app.test_client()
    client.environ_base["HTTP_ORIGIN"] = ORIGIN  # a browser names the page's origin
    return client


def sign_in(client, username: str, password: str, next_path: str = "/"):
    """POST the sign-in form with a fresh CSRF token; returns the response."""
    html = client.get("/login").get_data(as_text=True)
    return client.post("/login", data=login_form(html, username, password, next_path))


def sign_out(client):
    """POST the sign-out form as the navigation's button does (with the CSRF token)."""
    cookie = client.get_cookie(CSRF_COOKIE)
    return client.post("/logout", data={"csrf": cookie.value if cookie else ""})


def anonymous_client(flask_app):
    """A test client that is not signed in (but behaves like a same-origin browser)."""
    client = _client(flask_app)
    client.post_callback = lambda body, **kw: _post_callback(client, body, **kw)  # type: ignore[attr-defined]
    return client


def client_for(flask_app, username: str, password: str):
    """A Flask test client signed in as this user. Its `post_callback(body)` sends a
    Dash callback request the way the renderer does (JSON + the CSRF header)."""
    client = anonymous_client(flask_app)
    response = sign_in(client, username, password)
    if response.status_code != 302:
        raise AssertionError(f"sign-in of {username} failed: HTTP {response.status_code}")
    return client


def _post_callback(client, body: dict[str, Any], **kwargs):
    cookie = client.get_cookie(CSRF_COOKIE)
    headers = {"X-CSRFToken": cookie.value if cookie else "", **kwargs.pop("headers", {})}
    return client.post(CALLBACK_PATH, data=json.dumps(body),
                       content_type="application/json", headers=headers, **kwargs)


def callback_body(output_id: str, prop: str = "children", inputs: list[dict] | None = None,
                  state: list[dict] | None = None) -> dict:
    """A minimal single-output callback request body, as the Dash renderer sends it."""
    return {"output": f"{output_id}.{prop}", "outputs": {"id": output_id, "property": prop},
            "inputs": inputs or [], "state": state or [], "changedPropIds": []}


# ── Playwright ───────────────────────────────────────────────────────────────
login = browser_login  # sign in through the real form in the browser (bench/signin.py)
