"""The permission matrix and the walls behind it, on a real PostGIS with real sessions.

The matrix is built from chipao.web.auth.PAGE_ROLES and the pages actually registered, so
it grows as pages are added: every role × every page (its URL, its layout request and
one of its callbacks) × an in-scope and an out-of-scope area."""

from __future__ import annotations

import json
import os
import re

import dash
import pytest
from sqlalchemy import text

from chipao import settings
from chipao.domain.scope import Role, Scope
from chipao.web import auth
from pages import admin_ids
from tests.auth_helpers import anonymous_client, client_for, page_body
from tests.factory import (
    IN_TAMBON,
    OUT_TAMBON,
    ROLE_AREAS,
    house_id,
    permission_store,
    surname,
)

RLS_TABLES = ("household", "household_round", "member", "household_plan", "plan_item",
              "visit")


@pytest.fixture(scope="module")
def accounts(app):
    with permission_store() as accounts:
        yield accounts


@pytest.fixture(scope="module")
def clients(app, accounts):
    return {role: client_for(app.server, *accounts[role]) for role in ROLE_AREAS}


def registered_pages() -> dict[str, str]:
    """PAGE_ROLES entry → a concrete URL, for every page registered with Dash."""
    pages = {}
    for p in dash.page_registry.values():
        url = re.sub(r"<[^>]+>", house_id(IN_TAMBON, 1), p.get("path_template") or p["path"])
        key = auth.page_for_path(url)
        if key is not None:
            pages.setdefault(key, url)
    return pages


def _json_body(value) -> dict:
    return {"id": value["id"], "property": value["property"], "value": None}


def _callback_body(output: str, spec: dict) -> dict:
    """A request for the server callback `output`, every input and state empty."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    outputs = [dict(zip(("id", "property"), p.split("@")[0].rsplit(".", 1), strict=True))
               for p in parts]
    return {"output": output, "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [_json_body(i) for i in spec.get("inputs", [])],
            "state": [_json_body(s) for s in spec.get("state", [])], "changedPropIds": []}


def representative_callback(app, page: str) -> dict | None:
    """A request body for one server callback whose outputs belong to `page`."""
    for output, spec in app.callback_map.items():
        if "{" in output:
            continue  # pattern-matching ids need wildcard-shaped values
        if auth.callback_pages({"output": output}) - {auth.SHARED} != {page}:
            continue
        return _callback_body(output, spec)
    return None


def _query(tambon: str) -> str:
    return f"?area={tambon}&tambon={tambon}&house={house_id(tambon, 1)}"


# ── the matrix ───────────────────────────────────────────────────────────────
@pytest.mark.parametrize("role", list(ROLE_AREAS))
def test_permission_matrix(app, clients, role):
    client = clients[role]
    client.get("/")  # Dash builds its callback map on a first request
    pages = registered_pages()
    assert "/" in pages and "/admin" in pages
    problems = []
    for page, url in sorted(pages.items()):
        allowed = Role(role) in auth.PAGE_ROLES[page]
        for tambon in (IN_TAMBON, OUT_TAMBON):
            r = client.get(url + _query(tambon))
            if r.status_code != (200 if allowed else 403):
                problems.append(f"GET {url} ({tambon}): {r.status_code}")
            r = client.post_callback(page_body(url + _query(tambon)))
            got = r.status_code
            if (got == 403) == allowed or got == 401:
                problems.append(f"layout {url} ({tambon}): {got}")
            if got == 200 and surname(OUT_TAMBON) in json.dumps(r.get_json(), ensure_ascii=False):
                problems.append(f"layout {url} ({tambon}) shows an out-of-scope name")
        body = representative_callback(app, page)
        if body is not None:
            got = client.post_callback(body).status_code
            if (got == 403) == allowed or got == 401:
                problems.append(f"callback {body['output']}: {got}")
    assert problems == [], "\n".join(problems)


def test_the_matrix_can_fail(app, clients, accounts):
    """A record page's layout request for a national role is refused, and logged once."""
    from queries.db import owner

    client = clients["executive"]
    r = client.post_callback(page_body("/households"))
    assert r.status_code == 403
    r = client.get("/admin")
    assert r.status_code == 403 and "ไม่มีสิทธิ์" in r.get_data(as_text=True)
    with owner() as conn:
        rows = conn.execute(text(
            "SELECT target, details->>'reason' FROM audit_log WHERE action = 'refused' "
            "AND username = :u ORDER BY audit_id"), {"u": accounts["executive"][0]}).all()
    assert [tuple(r) for r in rows][-2:] == [("/_dash-update-component", "callback"),
                                             ("/admin", "page")]


def test_forged_callback_ids_cannot_hide_their_page(app, clients):
    """`output` (what Dash dispatches on) and `outputs` are both checked."""
    client = clients["executive"]
    forged = {"output": "admin-log.children", "outputs": {"id": "overview-x", "property": "y"},
              "inputs": [], "state": []}
    assert client.post_callback(forged).status_code == 403
    forged = {"output": "..shell-url.search...admin-count.children..",
              "outputs": [{"id": "shell-url", "property": "search"}], "inputs": [], "state": []}
    assert client.post_callback(forged).status_code == 403


# ── anonymous visitors ───────────────────────────────────────────────────────
def _concrete(rule) -> str:
    samples = {"level": "1", "parent_pcode": "TH50", "filename": "x.css", "path": "households",
               "package_name": "dash", "fingerprinted_path": "x.js"}
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: samples.get(m.group(1), "x"), rule.rule)


def test_unauthenticated_requests_are_refused_everywhere(app, accounts):
    client = anonymous_client(app.server)
    client.get("/login")  # a session with a CSRF token: only the sign-in is missing
    checked = 0
    for rule in app.server.url_map.iter_rules():
        path = _concrete(rule)
        if path.startswith(auth.OPEN_PREFIXES) or path in auth.OPEN_PATHS:
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            r = client.open(path, method=method, json={} if method == "POST" else None)
            assert r.status_code in (302, 401), f"{method} {path}: {r.status_code}"
            if r.status_code == 302:
                assert r.headers["Location"].startswith("/login")
            checked += 1
    for url in registered_pages().values():
        assert client.get(url).status_code == 302
        assert client.post_callback(page_body(url)).status_code == 401
        checked += 2
    shell = {"output": "shell-collapse.is_open", "outputs": {"id": "shell-collapse",
             "property": "is_open"}, "inputs": [], "state": []}
    assert client.post_callback(shell).status_code == 401
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/_dash-dependencies").status_code == 401
    assert checked > 10


@pytest.fixture
def public_aggregates():
    os.environ["CHIPAO_PUBLIC_AGGREGATES"] = "1"
    settings.reload()
    try:
        yield
    finally:
        os.environ.pop("CHIPAO_PUBLIC_AGGREGATES", None)
        settings.reload()


def test_public_aggregates_open_the_overview_and_map_only(app, accounts, public_aggregates):
    client = anonymous_client(app.server)
    assert client.get("/").status_code == 200
    assert client.get("/map").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    for url in ("/households", "/admin", "/plans", "/centres", f"/household/{house_id(IN_TAMBON, 1)}"):
        r = client.get(url)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login"), url
    assert client.post_callback(page_body("/")).status_code == 200
    for url in ("/households", "/admin"):
        assert client.post_callback(page_body(url)).status_code == 401
    assert client.get("/geo/1.geojson").status_code not in (401, 403)
    admin_cb = representative_callback(app, "/admin")
    assert admin_cb is not None and client.post_callback(admin_cb).status_code == 401
    unknown = {"output": "whatever-x.children", "outputs": {"id": "whatever-x",
               "property": "children"}, "inputs": [], "state": []}
    assert client.post_callback(unknown).status_code == 401


def _layout_text(client, url: str) -> str:
    r = client.post_callback(page_body(url))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return json.dumps(r.get_json(), ensure_ascii=False)


def test_small_counts_are_suppressed_for_public_viewers(app, clients, public_aggregates):
    """3 poor households in the whole country: '<5' for the public, the number for others."""
    url = "/?round=2566"
    public = _layout_text(clients["public"], url)
    anonymous = anonymous_client(app.server)
    anonymous.get("/")
    anon = _layout_text(anonymous, url)
    executive = _layout_text(clients["executive"], url)
    assert "<5" in public and "<5" in anon
    assert "<5" not in executive
    assert re.search(r'"children": "3"', executive)
    assert not re.search(r'"children": "3"', public)


# ── the second wall: row-level security on its own ───────────────────────────
def test_row_level_security_alone_hides_other_provinces(app, accounts):
    """As chipao_app with the scope of Chiang Mai, raw SQL (no application check at all)
    sees Chiang Mai's rows and nothing of Bangkok's, and cannot write there."""
    from sqlalchemy.exc import DBAPIError

    from queries.db import scoped

    province = Scope("rls-test", Role.PROVINCE, ("TH50",))
    with scoped(province) as conn:
        assert conn.execute(text("SELECT current_user")).scalar() == settings.APP_ROLE
        for table in RLS_TABLES:
            mine = conn.execute(text(f"SELECT count(*) FROM {table} "  # noqa: S608
                                     "WHERE tambon_pcode LIKE 'TH50%'")).scalar()
            theirs = conn.execute(text(f"SELECT count(*) FROM {table} "  # noqa: S608
                                       "WHERE tambon_pcode LIKE 'TH10%'")).scalar()
            assert mine > 0 and theirs == 0, table
        n = conn.execute(text("UPDATE plan_item SET note = 'x' WHERE tambon_pcode = :t"),
                         {"t": OUT_TAMBON}).rowcount
        assert n == 0
        # the scope cannot be widened from inside: the setting is per transaction and
        # a forged value in a payload never reaches it; even a raw attempt only lasts
        # the transaction that made it
    with pytest.raises(DBAPIError), scoped(province) as conn:
        conn.execute(text("INSERT INTO visit (house_id, tambon_pcode, visited_on, visitor_kind) "
                          "VALUES (:h, :t, '2023-01-01', 'official')"),
                     {"h": house_id(OUT_TAMBON, 1), "t": OUT_TAMBON})
    for role in (Role.EXECUTIVE, Role.PUBLIC, Role.ADMIN):
        with scoped(Scope("rls-test", role, ("TH",))) as conn:
            for table in RLS_TABLES:
                n = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
                assert n == 0, (role, table)


def test_scope_comes_from_the_server_session_only(app, clients):
    """A URL or payload naming another area changes nothing: the request's scope is
    built from the user's row in the store."""
    import flask

    client = clients["province"]
    with client:
        client.get("/?area=TH10&scope=TH10&role=admin")
        assert flask.g.scope.areas == ("TH50",) and flask.g.scope.role == Role.PROVINCE
        assert flask.g.allowed_paths == auth.allowed_paths(Role.PROVINCE)
    with client:
        body = page_body("/households?area=TH10")
        body["state"] = [{"id": "session-store", "property": "data",
                          "value": {"role": "admin", "areas": ["TH"]}}]
        client.post_callback(body)
        assert flask.g.scope.areas == ("TH50",)


def test_current_scope_is_strict_without_a_signed_in_request(app):
    from chipao.web.session import NotSignedIn, current_scope

    with pytest.raises(NotSignedIn):
        current_scope()
    with app.server.test_request_context("/"), pytest.raises(NotSignedIn):
        current_scope()


# ── break-the-glass reveal of identifiers ───────────────────────────────────
def _audit(username: str, action: str) -> list[dict]:
    from queries.db import owner

    with owner() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT target, details FROM audit_log WHERE username = :u AND action = :a "
            "ORDER BY audit_id"), {"u": username, "a": action}).mappings()]


def test_reveal_in_scope_is_audited_once(app, accounts):
    from chipao.web.privacy import reveal
    from queries.db import scoped
    from tests.factory import national_id

    username = accounts["district"][0]
    scope = Scope(username, Role.DISTRICT, ("TH5001",))
    with scoped(scope) as conn:
        shown = reveal(conn, scope, house_id(IN_TAMBON, 2), "ติดตามเยี่ยมบ้าน", "10.0.0.1")
    assert [m["national_id"] for m in shown["members"]] == [national_id(IN_TAMBON, 2, 1),
                                                            national_id(IN_TAMBON, 2, 2)]
    rows = _audit(username, "reveal_identifier")
    assert len(rows) == 1 and rows[0]["target"] == house_id(IN_TAMBON, 2)
    assert rows[0]["details"] == {"reason": "ติดตามเยี่ยมบ้าน", "members": 2}


@pytest.mark.parametrize("role, areas, house, reason, problem", [
    ("district", ("TH5001",), house_id(OUT_TAMBON, 1), "ติดตามเยี่ยมบ้าน", "scope"),
    ("tambon", (IN_TAMBON,), house_id("TH500102", 1), "ติดตามเยี่ยมบ้าน", "scope"),
    ("province", ("TH50",), house_id(IN_TAMBON, 1), "  ", "reason"),
    ("executive", (), house_id(IN_TAMBON, 1), "ติดตามเยี่ยมบ้าน", "role"),
    ("admin", (), house_id(IN_TAMBON, 1), "ติดตามเยี่ยมบ้าน", "role"),
])
def test_reveal_is_refused_and_the_refusal_logged(app, accounts, role, areas, house, reason,
                                                  problem):
    from chipao.domain.privacy import RevealRefused
    from chipao.web.privacy import reveal
    from queries.db import scoped

    username = accounts[role][0]
    scope = Scope(username, Role(role), areas)
    before = len(_audit(username, "reveal_refused"))
    shown_before = len(_audit(username, "reveal_identifier"))
    with pytest.raises(RevealRefused), scoped(scope) as conn:
        reveal(conn, scope, house, reason)
    rows = _audit(username, "reveal_refused")
    assert len(rows) == before + 1 and rows[-1]["details"]["problem"] == problem
    assert len(_audit(username, "reveal_identifier")) == shown_before


# ── the audit-log page ───────────────────────────────────────────────────────
def test_admin_page_filters_and_exports_the_log(app, clients, accounts):
    import base64
    import csv
    import io

    from queries.db import owner

    admin = clients["admin"]
    target = accounts["tambon"][0]
    body = representative_callback(app, "/admin")
    assert body["output"] == "..admin-log.children...admin-count.children.."
    values = {"admin-user": target, "admin-action": "signin"}
    for item in body["inputs"]:
        item["value"] = values.get(item["id"]) if item["property"] != "n_clicks" else 1
    r = admin.post_callback(body)
    assert r.status_code == 200
    shown = json.dumps(r.get_json(), ensure_ascii=False)
    assert target in shown and "signin" in shown and accounts["district"][0] not in shown

    export = {"output": "admin-download.data", "outputs": {"id": "admin-download",
              "property": "data"},
              "inputs": [{"id": "admin-export", "property": "n_clicks", "value": 1}],
              "state": [{"id": "admin-user", "property": "value", "value": target},
                        {"id": "admin-action", "property": "value", "value": None},
                        {"id": admin_ids.DATE_FROM, "property": "value", "value": None},
                        {"id": admin_ids.DATE_TO, "property": "value", "value": None}],
              "changedPropIds": ["admin-export.n_clicks"]}
    r = admin.post_callback(export)
    assert r.status_code == 200
    data = r.get_json()["response"]["admin-download"]["data"]
    content = data["content"]
    if data.get("base64"):
        content = base64.b64decode(content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(content.lstrip("\ufeff"))))
    assert rows[0][:4] == ["at", "username", "role", "action"]
    assert {r[1] for r in rows[1:]} == {target}
    with owner() as conn:
        n = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'export' "
                              "AND username = :u AND target = 'audit_log'"),
                         {"u": accounts["admin"][0]}).scalar()
    assert n == 1
    for role in ("province", "executive", "public"):
        assert clients[role].post_callback(export).status_code == 403


def test_audit_queries_check_the_role_themselves(app, accounts):
    from queries import audit_log
    from queries.db import scoped

    scope = Scope(accounts["province"][0], Role.PROVINCE, ("TH50",))
    with pytest.raises(PermissionError), scoped(scope) as conn:
        audit_log.search(conn, scope, audit_log.AuditFilter())



@pytest.mark.parametrize("role", list(ROLE_AREAS))
def test_every_callback_for_every_role(app, clients, role):
    """Not one callback per page: every callback the app registers. A role its page
    refuses gets 403 before the callback runs; a role it allows is never refused and
    never gets a 500, whatever the (empty) inputs — a clientside callback, which the
    server cannot run, is a 400."""
    client = clients[role]
    client.get("/")
    problems, covered = [], set()
    for output, spec in app.callback_map.items():
        if "{" in output:
            continue  # pattern-matching ids need wildcard-shaped values
        pages = auth.callback_pages({"output": output}) - {auth.SHARED}
        if len(pages) != 1:
            continue  # the frame's own callbacks (shell-*): every signed-in role
        (page,) = pages
        covered.add(page)
        allowed = Role(role) in auth.PAGE_ROLES[page]
        got = client.post_callback(_callback_body(output, spec)).status_code
        if not allowed and got != 403:
            problems.append(f"{output} ({page}): {got}, expected 403")
        if allowed and got in (401, 403, 500):
            problems.append(f"{output} ({page}): {got}")
    # the test sees every page that has callbacks (it cannot pass by seeing none)
    assert covered == {p for p in auth.PAGE_ROLES if representative_callback(app, p)}
    assert {"/", "/map", "/households", "/centres", "/plans", "/admin"} <= covered, covered
    assert problems == [], "\n".join(problems)
