"""Sign-in, sessions, lockout, CSRF/origin checks, headers, audit rows and the user CLI —
against the real app, a real PostGIS and real signed session cookies."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from chipao import settings
from tests.auth_helpers import (
    ORIGIN,
    anonymous_client,
    callback_body,
    client_for,
    create_user,
    page_body,
    sign_in,
    sign_out,
)


@pytest.fixture(autouse=True)
def fast_delay(monkeypatch):
    # the growing delay after a failure is real; a small step keeps the tests quick
    monkeypatch.setenv("CHIPAO_LOGIN_FAILURE_SECONDS", "0.01")


def audit_rows(username: str, action: str | None = None) -> list[dict]:
    from queries.db import owner

    with owner() as conn:
        rows = conn.execute(text(
            "SELECT action, username, role, target, details, ip FROM audit_log "
            "WHERE username = :u AND (CAST(:a AS text) IS NULL OR action = :a) ORDER BY audit_id"),
            {"u": username, "a": action}).mappings()
        return [dict(r) for r in rows]


def user_row(username: str) -> dict:
    from queries.db import owner

    with owner() as conn:
        return dict(conn.execute(text("SELECT * FROM app_user WHERE username = :u"),
                                 {"u": username}).mappings().one())


# ── the sign-in page ─────────────────────────────────────────────────────────
def test_login_page_is_thai_first_with_csrf_and_headers(app):
    r = anonymous_client(app.server).get("/login")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert html.index("เข้าสู่ระบบ") < html.index("Sign in")
    assert re.search(r'name="csrf" value="[\w-]{20,}"', html)
    assert "/assets/01-bootstrap.min.css" in html and "02-sarabun.css" in html
    assert "<script" not in html  # nothing to allow in the CSP
    csp = r.headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp and "worker-src 'self';" in csp
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] in ("same-origin", "no-referrer")
    assert "geolocation=()" in r.headers["Permissions-Policy"]
    assert r.headers["Cache-Control"] == "no-store"


def test_dash_index_has_no_inline_script_outside_the_csp_hashes(app):
    """Dash's index page has a JSON config block (not executed) and an inline renderer
    start-up script; the CSP allows that script by its hash, nothing else inline."""
    import base64
    import hashlib

    username, password = create_user("executive")
    r = client_for(app.server, username, password).get("/")
    html = r.get_data(as_text=True)
    csp = r.headers["Content-Security-Policy"]
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", html, re.S)
    executable = [body for attrs, body in inline
                  if "application/json" not in attrs and "<![endif]" not in body
                  and not body.strip().startswith('alert("Dash v2.7+')]
    assert executable, "expected Dash's renderer start-up script"
    for body in executable:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp


# ── signing in and out ───────────────────────────────────────────────────────
def test_sign_in_sets_a_hardened_cookie_holding_only_id_version_and_token(app):
    username, password = create_user("province", areas=("TH50",))
    client = anonymous_client(app.server)
    r = sign_in(client, username, password, next_path="/map")
    assert r.status_code == 302 and r.headers["Location"] == "/map"
    cookie = next(c for c in r.headers.getlist("Set-Cookie") if c.startswith("chipao_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert "Secure" not in cookie  # plain http in development
    value = client.get_cookie("chipao_session").value
    data = app.server.session_interface.get_signing_serializer(app.server).loads(value)
    assert set(data) - {"_permanent"} == {"uid", "ver", "sid", "csrf"}  # no role, no areas
    assert len(data["sid"]) == 43 and "TH50" not in data["sid"]  # an opaque random token
    assert client.get("/").status_code == 200
    assert len(audit_rows(username, "signin")) == 1


def test_cookie_is_secure_over_https(app):
    username, password = create_user("executive")
    client = app.server.test_client()
    client.environ_base["HTTP_ORIGIN"] = "https://localhost"
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = client.post("/login", base_url="https://localhost",
                    data={"username": username, "password": password, "csrf": token})
    assert r.status_code == 302
    cookie = next(c for c in r.headers.getlist("Set-Cookie") if c.startswith("chipao_session="))
    assert "Secure" in cookie
    assert "max-age=31536000" in r.headers["Strict-Transport-Security"]


def test_wrong_password_is_refused_audited_once_and_counted(app):
    username, _ = create_user("district", areas=("TH5001",))
    client = anonymous_client(app.server)
    r = sign_in(client, username, "not-the-password")
    assert r.status_code == 401
    assert "ไม่ถูกต้อง" in r.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out
    rows = audit_rows(username)
    assert [r["action"] for r in rows] == ["signin_failed"]
    assert rows[0]["details"]["reason"] == "bad_password" and rows[0]["role"] == "district"
    assert user_row(username)["failed_logins"] == 1


def test_unknown_user_gets_the_same_answer(app):
    client = anonymous_client(app.server)
    r = sign_in(client, "nobody-here", "whatever-password")
    assert r.status_code == 401
    rows = audit_rows("nobody-here")
    assert len(rows) == 1 and rows[0]["details"] == {"reason": "unknown_user"}


def test_lockout_after_five_failures_even_with_the_right_password(app):
    from chipao.web import auth

    username, password = create_user("tambon", areas=("TH500101",))
    client = anonymous_client(app.server)
    for _ in range(auth.MAX_FAILURES):
        assert sign_in(client, username, "wrong-password-x").status_code == 401
    row = user_row(username)
    assert row["failed_logins"] == auth.MAX_FAILURES and row["locked_until"] is not None
    lock_minutes = (row["locked_until"] - row["created_at"]).total_seconds() / 60
    assert auth.LOCK_MINUTES - 1 < lock_minutes <= auth.LOCK_MINUTES + 1
    r = sign_in(client, username, password)  # right password, locked account
    assert r.status_code == 401
    assert client.get("/").status_code == 302
    failed = audit_rows(username, "signin_failed")
    assert [f["details"]["reason"] for f in failed] == ["bad_password"] * 5 + ["locked"]
    assert failed[4]["details"]["locked_until"] is not None
    assert audit_rows(username, "signin") == []


def test_lock_expires_and_a_success_resets_the_count(app):
    from queries.db import owner

    username, password = create_user("executive")
    client = anonymous_client(app.server)
    for _ in range(5):
        sign_in(client, username, "wrong-password-x")
    with owner() as conn:  # fifteen minutes later
        conn.execute(text("UPDATE app_user SET locked_until = now() - interval '1 second' "
                          "WHERE username = :u"), {"u": username})
    assert sign_in(client, username, password).status_code == 302
    row = user_row(username)
    assert row["failed_logins"] == 0 and row["locked_until"] is None


def test_failed_sign_in_is_slowed(app, monkeypatch):
    monkeypatch.setenv("CHIPAO_LOGIN_FAILURE_SECONDS", "0.3")
    username, _ = create_user("executive")
    client = anonymous_client(app.server)
    start = time.perf_counter()
    sign_in(client, username, "wrong-password-x")
    assert time.perf_counter() - start >= 0.3


def test_sign_out_ends_every_session_of_the_user(app):
    username, password = create_user("province", areas=("TH50",))
    client = client_for(app.server, username, password)
    stolen = client.get_cookie("chipao_session").value
    assert sign_out(client).status_code == 302
    assert client.get("/").status_code == 302
    replay = anonymous_client(app.server)
    replay.set_cookie("chipao_session", stolen)
    assert replay.get("/").status_code == 302  # the copied cookie is dead too
    assert len(audit_rows(username, "signout")) == 1


def test_disabled_user_loses_access_at_once(app):
    from chipao.domain.scope import SYSTEM
    from queries import users
    from queries.db import owner

    username, password = create_user("district", areas=("TH5001",))
    client = client_for(app.server, username, password)
    assert client.get("/").status_code == 200
    with owner() as conn:
        users.set_disabled(conn, SYSTEM, username, True)
    assert client.get("/").status_code == 302
    assert client.post_callback(page_body("/")).status_code == 401
    assert sign_in(anonymous_client(app.server), username, password).status_code == 401


def test_locked_user_loses_an_open_session(app):
    from queries.db import owner

    username, password = create_user("executive")
    client = client_for(app.server, username, password)
    with owner() as conn:
        conn.execute(text("UPDATE app_user SET locked_until = now() + interval '15 minutes' "
                          "WHERE username = :u"), {"u": username})
    assert client.get("/").status_code == 302


def test_next_never_leaves_the_site(app):
    username, password = create_user("executive")
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "/logout"):
        r = sign_in(anonymous_client(app.server), username, password, next_path=target)
        assert r.status_code == 302 and r.headers["Location"] == "/"


# ── CSRF and origin ──────────────────────────────────────────────────────────
def test_login_form_needs_its_csrf_token(app):
    username, password = create_user("executive")
    client = anonymous_client(app.server)
    client.get("/login")
    r = client.post("/login", data={"username": username, "password": password, "csrf": "x"})
    assert r.status_code == 400
    assert client.get("/").status_code == 302
    assert audit_rows(username, "signin") == []


def test_cross_origin_posts_are_refused(app):
    username, password = create_user("executive")
    client = client_for(app.server, username, password)
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"}):
        r = client.post_callback(page_body("/"), headers=headers)
        assert r.status_code == 403 and r.get_json()["error"] == "bad_origin"
    bare = app.server.test_client()  # no Origin, no Referer
    r = bare.post("/login", data={"username": username, "password": password})
    assert r.status_code == 403
    same = app.server.test_client()
    r = same.post("/login", data={}, headers={"Referer": f"{ORIGIN}/login"})
    assert r.status_code == 400  # passed the origin check, failed the form's token


def test_callbacks_need_the_csrf_header(app):
    username, password = create_user("executive")
    client = client_for(app.server, username, password)
    assert client.post_callback(page_body("/")).status_code == 200
    r = client.post_callback(page_body("/"), headers={"X-CSRFToken": "forged"})
    assert r.status_code == 403 and r.get_json()["error"] == "csrf"


# ── errors ───────────────────────────────────────────────────────────────────
def test_callback_errors_carry_no_traceback(app):
    username, password = create_user("executive")
    client = client_for(app.server, username, password)
    # a real callback given inputs of the wrong type: it fails inside, and says nothing
    # of where
    body = callback_body("centres-district", "options")
    body["output"] = "..centres-district.options...centres-district.value.."
    body["outputs"] = [{"id": "centres-district", "property": "options"},
                       {"id": "centres-district", "property": "value"}]
    body["inputs"] = [{"id": "centres-province", "property": "value",
                       "value": ["not", "a", "string"]}]
    body["state"] = [{"id": "centres-district", "property": "value", "value": 12345}]
    r = client.post_callback(body)
    text_ = r.get_data(as_text=True)
    assert r.status_code >= 400, text_  # it did fail
    assert "Traceback" not in text_ and 'File "' not in text_


# ── audit log integrity ──────────────────────────────────────────────────────
@pytest.mark.parametrize("role", ["owner", "app"])
def test_audit_log_rejects_update_and_delete(database, role):
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError

    url = database[role].replace("postgresql://", "postgresql+psycopg://")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_log (username, action) VALUES ('t', 'test')"))
        for sql in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log",
                    "TRUNCATE audit_log"):
            with pytest.raises(DBAPIError), engine.begin() as conn:
                conn.execute(text(sql))
    finally:
        engine.dispose()


# ── the command line ─────────────────────────────────────────────────────────
class _Run:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def cli(database, capsys, monkeypatch):
    """Run `chipao …` in this process (the real entry point, argument parsing included)."""
    import io

    from chipao.cli.main import main

    def run(*argv: str, stdin: str | None = None) -> _Run:
        capsys.readouterr()
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(argv))
        out = capsys.readouterr()
        return _Run(code, out.out, out.err)

    return run


def test_cli_entry_point_runs(database):
    env = {**os.environ, "DATABASE_URL": database["owner"],
           "CHIPAO_APP_DATABASE_URL": database["app"]}
    r = subprocess.run([sys.executable, "-m", "chipao", "user", "list"], env=env,
                       capture_output=True, text=True, timeout=120, cwd=settings.ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("username")


def test_cli_user_lifecycle(app, cli):
    from queries.db import owner
    from tests.auth_helpers import ensure_areas

    with owner() as conn:
        ensure_areas(conn, ["TH500101", "TH500102"])
    name = f"cli{os.getpid()}-officer"
    r = cli("user", "create", name, "--role", "tambon",
             "--area", "TH500101", "TH500102", "--name", "เจ้าหน้าที่ทดสอบ")
    assert r.returncode == 0, r.stderr
    password = re.search(r"password for \S+: (\S+)", r.stdout).group(1)
    client = client_for(app.server, name, password)
    assert client.get("/households").status_code == 200

    r = cli("user", "create", name, "--role", "tambon", "--area", "TH500101")
    assert r.returncode == 1 and "already exists" in r.stderr
    r = cli("user", "create", f"{name}x", "--role", "province", "--area", "TH500101")
    assert r.returncode == 1 and "province" in r.stderr
    r = cli("user", "create", f"{name}y", "--role", "executive", "--area", "TH50")
    assert r.returncode == 1

    r = cli("user", "reset-password", name, "--password-stdin",
             stdin="a-new-long-password\n")
    assert r.returncode == 0 and "password for" not in r.stdout
    assert client.get("/").status_code == 302  # the reset ended the session
    client = client_for(app.server, name, "a-new-long-password")

    assert cli("user", "disable", name).returncode == 0
    assert client.get("/").status_code == 302
    assert cli("user", "enable", name).returncode == 0
    r = cli("user", "list")
    assert r.returncode == 0 and name in r.stdout and "TH500101,TH500102" in r.stdout
    with owner() as conn:  # operator rows (role system), naming the account as target
        rows = conn.execute(text("SELECT action FROM audit_log WHERE target = :t "
                                 "AND role = 'system' ORDER BY audit_id"), {"t": name}).scalars()
        assert list(rows) == ["user_create", "user_reset_password", "user_disable",
                              "user_enable"]


def test_cli_demo_accounts_and_the_production_refusal(app, cli, tmp_path, monkeypatch):
    from chipao.web import auth
    from queries.db import owner
    from tests.auth_helpers import ensure_areas

    with owner() as conn:
        ensure_areas(conn, ["TH500101"])
    target = tmp_path / "demo_accounts.txt"
    r = cli("demo-accounts", "--file", str(target))
    assert r.returncode == 0, r.stderr
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    lines = [ln.split() for ln in target.read_text().splitlines() if ln and not ln.startswith("#")]
    roles = {ln[2] for ln in lines}
    assert roles == {"executive", "province", "district", "tambon", "public", "admin"}
    accounts = {ln[0]: ln[1] for ln in lines}
    assert accounts.keys() == {ln[0] for ln in lines}
    province_user = next(ln for ln in lines if ln[2] == "province")
    assert province_user[3] == "TH50"
    client = client_for(app.server, province_user[0], province_user[1])
    assert client.get("/households").status_code == 200

    monkeypatch.setenv("CHIPAO_PRODUCTION", "1")
    monkeypatch.setenv("CHIPAO_SECRET_KEY", "x" * 48)
    settings.reload()
    try:
        with pytest.raises(RuntimeError, match="demo account"):
            auth.check_startup()
        monkeypatch.setenv("CHIPAO_ALLOW_DEMO_ACCOUNTS", "1")
        settings.reload()
        auth.check_startup()
        monkeypatch.delenv("CHIPAO_ALLOW_DEMO_ACCOUNTS")
        settings.reload()
        assert cli("demo-accounts", "--remove").returncode == 0
        auth.check_startup()  # no demo accounts left: starts
        monkeypatch.setenv("CHIPAO_SECRET_KEY", "short")
        settings.reload()
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            auth.check_startup()
    finally:
        monkeypatch.delenv("CHIPAO_PRODUCTION")
        monkeypatch.setenv("CHIPAO_SECRET_KEY", "test-secret-key-not-for-production")
        settings.reload()


def test_request_bodies_are_limited_in_size(app):
    username, password = create_user("executive")
    client = client_for(app.server, username, password)
    saved = app.server.config["MAX_CONTENT_LENGTH"]
    assert saved == settings.current().security.max_upload_mb * 1024 * 1024
    app.server.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        r = client.post_callback({"output": "x.y", "inputs": [
            {"id": "hh-upload", "property": "contents", "value": "x" * 10_000}]})
        assert r.status_code == 413 and "Traceback" not in r.get_data(as_text=True)
    finally:
        app.server.config["MAX_CONTENT_LENGTH"] = saved


def test_personal_responses_are_not_cached_but_geometry_is(app):
    username, password = create_user("executive")
    client = client_for(app.server, username, password)
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert client.post_callback(page_body("/")).headers["Cache-Control"] == "no-store"
    geo = client.get("/geo/1.geojson")
    assert geo.status_code not in (401, 403)
    if geo.status_code == 200:
        assert "no-store" not in geo.headers.get("Cache-Control", "")
