"""Attacks on sign-in and sign-out (issue 13, items 2 and 3), against the real app, a
real PostGIS and real signed session cookies: an attacker's link or page, not a unit
test of a helper."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.auth_helpers import ORIGIN, anonymous_client, client_for, create_user, sign_in


@pytest.fixture(scope="module")
def app(database):
    from app import app as dash_app

    return dash_app


@pytest.fixture(autouse=True)
def fast_delay(monkeypatch):
    monkeypatch.setenv("CHIPAO_LOGIN_DELAY_STEP", "0.01")


def _signouts(username: str) -> int:
    from queries.db import owner

    with owner() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_log WHERE username = :u "
                                 "AND action = 'signout'"), {"u": username}).scalar_one()


# ── item 2: the redirect after signing in never leaves the site ──────────────
# Browsers drop tab/CR/LF anywhere in a URL, read '\' as '/', strip leading spaces and
# fold full-width slashes (in host names): each of these would land on another site.
EVIL_NEXT = [
    "/\t/evil.example", "/%09/evil.example", "/\n/evil.example", "/%0a/evil.example",
    "/\r/evil.example", "/%0d%0a/evil.example", "/ /evil.example", "/%20/evil.example",
    "//evil.example", "///evil.example", "/%2f/evil.example", "/%2F%2Fevil.example",
    "/\\evil.example", "/%5cevil.example", "\\/evil.example", "https://evil.example/",
    "http:evil.example", "javascript:alert(1)", "evil.example", " /x", "\t//evil.example",
    "/\u00a0/evil.example", "/\u3000/evil.example", "/\uff0f/evil.example",
    "/\uff3cevil.example", "/\u200b/evil.example", "/\x00/evil.example", "/%00/x",
    "/logout", "/login?next=//evil.example",
]


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_no_open_redirect_after_signing_in(app, target):
    """GET /login?next=… for a signed-in user and POST /login next=… both go home."""
    username, password = create_user("executive")
    client = anonymous_client(app.server)
    r = sign_in(client, username, password, next_path=target)
    assert r.status_code == 302 and r.headers["Location"] == "/", (target, r.headers["Location"])
    r = client.get("/login", query_string={"next": target})  # signed in: redirects at once
    assert r.status_code == 302 and r.headers["Location"] == "/", (target, r.headers["Location"])


def test_raw_encoded_tab_in_the_login_url(app):
    """The exact request of the report: the query string as an attacker writes it."""
    username, password = create_user("executive")
    client = client_for(app.server, username, password)
    r = client.get("/login?next=/%09/evil.example")
    assert r.status_code == 302 and r.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/map?round=2566", "/households/TH50010101-0001",
                                    "/plans?round=2565&area=TH50", "/?lang=en#x"])
def test_local_next_still_works(app, target):
    username, password = create_user("province", areas=("TH50",))
    r = sign_in(anonymous_client(app.server), username, password, next_path=target)
    assert r.status_code == 302 and r.headers["Location"] == target


# ── item 3: signing out takes a POST with the session's CSRF token ───────────
def test_cross_site_get_does_not_sign_out(app):
    """`<img src=https://chipao/logout>` on another site: the session lives on."""
    username, password = create_user("province", areas=("TH50",))
    client = client_for(app.server, username, password)
    r = client.get("/logout", headers={"Referer": "https://evil.example/page", "Origin": ""})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert _signouts(username) == 0


def test_sign_out_post_without_the_token_is_refused(app):
    """A cross-site form can POST same-site-looking data but cannot know the token."""
    username, password = create_user("province", areas=("TH50",))
    client = client_for(app.server, username, password)
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"csrf": "guessed"}).status_code == 403
    assert client.get("/").status_code == 200 and _signouts(username) == 0


def test_sign_out_post_from_another_origin_is_refused(app):
    username, password = create_user("province", areas=("TH50",))
    client = client_for(app.server, username, password)
    token = client.get_cookie("_csrf_token").value
    r = client.post("/logout", data={"csrf": token},
                    headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert client.get("/").status_code == 200 and _signouts(username) == 0


def test_sign_out_button_is_a_form_with_the_token(app):
    """The navigation renders a POST form whose hidden field is the session's token,
    and submitting it signs out."""
    username, password = create_user("province", areas=("TH50",))
    client = client_for(app.server, username, password)
    token = client.get_cookie("_csrf_token").value
    form = _find(client.get("/_dash-layout").get_json(), "shell-signout-form")
    assert form is not None and form["props"]["method"] == "POST"
    assert form["props"]["action"] == "/logout"
    assert _find(form, "shell-signout-csrf")["props"] == {
        "id": "shell-signout-csrf", "type": "hidden", "name": "csrf", "value": token}
    r = client.post("/logout", data={"csrf": token}, headers={"Origin": ORIGIN})
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert client.get("/").status_code == 302 and _signouts(username) == 1


def _find(node, cid):
    """The component with this id in a Dash layout tree (JSON)."""
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == cid:
            return node
        node = list(node.get("props", {}).values())
    if isinstance(node, list):
        for child in node:
            found = _find(child, cid)
            if found is not None:
                return found
    return None
