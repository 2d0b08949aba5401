"""Attacks on row-level security as the dashboard's own database role (issue 13,
items 4 and 5): raw SQL on a `chipao_app` connection, as SQL injection anywhere in the
app would run it — no application code between the attacker and the policies."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.factory import (
    IN_TAMBON,
    OTHER_TAMBON_SAME_DISTRICT,
    OUT_TAMBON,
    PERM_LAYOUT,
    permission_store,
)

PERSONAL = ("household", "household_round", "member", "household_plan", "plan_item",
            "plan_item_event", "visit", "household_nearest_centre")
HOUSEHOLDS = {tambon: n for tambon, n, _ in PERM_LAYOUT}


@pytest.fixture(scope="module")
def accounts(database):
    with permission_store() as accounts:
        yield accounts


@pytest.fixture(scope="module")
def app_engine(accounts):
    from queries.db import database

    engine = create_engine(database().app_url)
    yield engine
    engine.dispose()


def _households(conn) -> int:
    return conn.execute(text("SELECT count(*) FROM household")).scalar_one()


def _by_tambon(conn) -> dict[str, int]:
    return dict(conn.execute(text(
        "SELECT tambon_pcode, count(*) FROM household GROUP BY 1")).all())


def _system_token(areas: list[str], role: str = "province", minutes: float = 15) -> str:
    """A session opened by the owner role for a scope with these areas (as the command
    line's scopes are), returning its token."""
    from datetime import timedelta

    from chipao.domain.scope import SYSTEM, Role
    from queries.db import owner
    from queries.sessions import open_session

    with owner() as conn:
        return open_session(conn, SYSTEM, user_id=None, username="attack", role=Role(role),
                            areas=tuple(areas), lifetime=timedelta(minutes=minutes))


def _as(conn, token: str | None) -> None:
    conn.execute(text("SELECT set_config('chipao.session', :t, true)"), {"t": token or ""})


# ── item 4: an empty or malformed element of the scope list matches nothing ──
@pytest.mark.parametrize(("areas", "visible"), [
    (["TH500101", ""], {IN_TAMBON}), ([""], set()), (["", "TH500101"], {IN_TAMBON}),
    (["TH500101", "", "TH100101"], {IN_TAMBON, OUT_TAMBON}), ([], set()), ([",", ","], set()),
    ([" "], set()), (["TH"], set()), (["TH5"], set()), (["T"], set()), ([" TH50"], set()),
    (["TH50 "], set()), (["TH50\t"], set()), (["TH50%"], set()), (["TH50.*"], set()),
    (["TH500101000"], set()), (["TH5001011"], set()), (["th50"], set()), (["TH50;TH10"], set()),
    (["TH50,TH10"], set()), (["TH5001"], {IN_TAMBON, OTHER_TAMBON_SAME_DISTRICT}),
])
def test_scope_elements_must_be_area_pcodes(app_engine, areas, visible):
    """Whatever areas a session holds, only area P-codes count (enforced in SQL)."""
    token = _system_token(areas)
    with app_engine.begin() as conn:
        _as(conn, token)
        assert set(_by_tambon(conn)) <= visible
        for table in PERSONAL:
            rows = conn.execute(text(
                f"SELECT DISTINCT tambon_pcode FROM {table}")).scalars().all()  # noqa: S608
            assert set(rows) <= visible, (areas, table, rows)
        assert _households(conn) == sum(HOUSEHOLDS[t] for t in visible), areas


def test_policies_read_the_scope_once_per_query(app_engine):
    """The scope function is an InitPlan (once per query), not a per-row call."""
    with app_engine.begin() as conn:
        _as(conn, _system_token(["TH50"]))
        plan = "\n".join(conn.execute(text(
            "EXPLAIN SELECT count(*) FROM member WHERE tambon_pcode LIKE 'TH%'")).scalars())
    assert "InitPlan" in plan and "ANY ($0)" in plan, plan


# ── item 5: the app role cannot talk its way to a wider scope ────────────────
def _personal_rows(conn) -> int:
    return sum(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
               for t in PERSONAL)


TRICKS = [
    "SELECT set_config('chipao.scope', 'TH', false)",
    "SELECT set_config('chipao.scope', 'TH50,TH10', true)",
    "SET chipao.scope = 'TH'",
    "SELECT set_config('chipao.session', 'TH', true)",
    "SELECT set_config('chipao.session', '', true)",
    "SELECT set_config('chipao.user', 'admin', true)",
    "SELECT set_config('chipao.role', 'province', true)",
    "SELECT set_config('chipao.areas', 'TH', true)",
    "RESET ALL",
    "SET row_security = on",
]


@pytest.mark.parametrize("trick", TRICKS)
def test_no_token_no_personal_rows_whatever_the_settings(app_engine, trick):
    with app_engine.begin() as conn:
        conn.execute(text(trick))
        assert conn.execute(text("SELECT current_user")).scalar() == "chipao_app"
        assert _personal_rows(conn) == 0, trick
        assert conn.execute(text("SELECT chipao_scope_areas()")).scalar() == []


@pytest.mark.parametrize("statement", [
    "SET ROLE chipao_owner", "SET ROLE postgres", "SET SESSION AUTHORIZATION postgres",
    "SELECT set_config('role', 'chipao_owner', false)",
    "SELECT * FROM app_session", "SELECT count(*) FROM app_session",
    "INSERT INTO app_session (token_hash, username, role, areas, expires_at) "
    "VALUES (sha256('x'), 'x', 'province', '{TH}', now() + interval '1 day')",
    "UPDATE app_session SET expires_at = now() + interval '1 year'",
    "DELETE FROM app_session",
    "SELECT chipao_session_row()",
    "SELECT chipao_scope_areas('TH')", "SELECT chipao_scope_areas(VARIADIC ARRAY['TH'])",
    "SELECT chipao_session_user(1)",
    "INSERT INTO user_scope (user_id, pcode) SELECT user_id, 'TH10' FROM app_user LIMIT 1",
    "UPDATE app_user SET role = 'province'",
    "ALTER FUNCTION chipao_scope_areas() SECURITY INVOKER",
    "CREATE OR REPLACE FUNCTION chipao_scope_areas() RETURNS text[] LANGUAGE sql "
    "AS $$ SELECT ARRAY['TH10'] $$",
    "ALTER POLICY app_scope ON household USING (true)",
    "ALTER TABLE household DISABLE ROW LEVEL SECURITY",
])
def test_app_role_cannot_touch_sessions_or_policies(app_engine, statement):
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError), app_engine.begin() as conn:
        conn.execute(text(statement))


def test_shadowing_with_temporary_objects_does_not_help(app_engine):
    """The definer functions name their tables by schema and search pg_temp last."""
    token = _system_token([IN_TAMBON])
    with app_engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE app_session (LIKE household)"))
        conn.execute(text("CREATE TEMP TABLE user_scope (user_id int, pcode text)"))
        conn.execute(text("CREATE FUNCTION pg_temp.sha256(bytea) RETURNS bytea LANGUAGE sql "
                          "AS $$ SELECT '\\x00'::bytea $$"))
        _as(conn, token)
        assert set(_by_tambon(conn)) == {IN_TAMBON}
        _as(conn, "forged")
        assert _households(conn) == 0


def test_a_tambon_officer_token_shows_that_tambon_only(app_engine, accounts, app):
    """Signed in through the real form: the session's token (as the dashboard holds
    it) on a raw app-role connection shows the officer's tambon and nothing else."""
    token = _web_token(app, *accounts["tambon"])
    with app_engine.begin() as conn:
        _as(conn, token)
        assert set(_by_tambon(conn)) == {IN_TAMBON}
        assert _households(conn) == HOUSEHOLDS[IN_TAMBON]
        for table in PERSONAL:
            rows = set(conn.execute(text(
                f"SELECT DISTINCT tambon_pcode FROM {table}")).scalars())  # noqa: S608
            assert rows <= {IN_TAMBON}, table
        # and no setting widens it
        conn.execute(text("SELECT set_config('chipao.scope', 'TH', true)"))
        assert set(_by_tambon(conn)) == {IN_TAMBON}
        # nor writes outside it
        n = conn.execute(text("UPDATE plan_item SET note = 'x' WHERE tambon_pcode = :t"),
                         {"t": OUT_TAMBON}).rowcount
        assert n == 0


def test_national_roles_tokens_show_no_personal_rows(app_engine, accounts, app):
    for role in ("executive", "public", "admin"):
        with app_engine.begin() as conn:
            _as(conn, _web_token(app, *accounts[role]))
            assert _personal_rows(conn) == 0, role


def test_expired_revoked_and_signed_out_tokens_show_nothing(app_engine, accounts, app):
    from queries.db import owner

    expired = _system_token([IN_TAMBON], minutes=-1)
    revoked = _system_token([IN_TAMBON])
    with owner() as conn:
        conn.execute(text("UPDATE app_session SET revoked_at = now() "
                          "WHERE token_hash = sha256(convert_to(:t, 'UTF8'))"), {"t": revoked})
    client, token = _web_client(app, *accounts["district"])
    with app_engine.begin() as conn:
        _as(conn, token)
        assert _households(conn) == HOUSEHOLDS[IN_TAMBON] + HOUSEHOLDS[OTHER_TAMBON_SAME_DISTRICT]
    from tests.auth_helpers import sign_out

    assert sign_out(client).status_code == 302
    for dead in (expired, revoked, token):
        with app_engine.begin() as conn:
            _as(conn, dead)
            assert _personal_rows(conn) == 0


def test_disabled_or_locked_users_tokens_show_nothing(app_engine, app):
    from chipao.domain.scope import SYSTEM
    from queries import users
    from queries.db import owner
    from tests.auth_helpers import create_user

    name, pw = create_user("tambon", areas=(IN_TAMBON,))
    token = _web_token(app, name, pw)
    with owner() as conn:
        conn.execute(text("UPDATE app_user SET locked_until = now() + interval '1 hour' "
                          "WHERE username = :u"), {"u": name})
    with app_engine.begin() as conn:
        _as(conn, token)
        assert _households(conn) == 0
    with owner() as conn:
        conn.execute(text("UPDATE app_user SET locked_until = NULL WHERE username = :u"),
                     {"u": name})
        users.set_disabled(conn, SYSTEM, name, True)
    with app_engine.begin() as conn:
        _as(conn, token)
        assert _households(conn) == 0


def test_the_token_is_not_visible_to_other_app_connections(app_engine, accounts, app):
    """Another chipao_app connection (SQL injection elsewhere) reading what the server
    knows about running queries never sees a token (they travel as bound parameters)."""
    token = _web_token(app, *accounts["province"])
    with app_engine.connect() as victim, app_engine.connect() as thief:
        victim.begin()
        _as(victim, token)
        seen = " ".join(thief.execute(text(
            "SELECT coalesce(string_agg(query, ' '), '') FROM pg_stat_activity")).scalars())
        assert token not in seen
        victim.rollback()


def test_member_search_obeys_the_session(app_engine, accounts, app):
    from tests.factory import surname

    token = _web_token(app, *accounts["tambon"])
    with app_engine.begin() as conn:
        pattern = f"%{surname(OUT_TAMBON)}%"
        conn.execute(text("SELECT set_config('chipao.scope', 'TH', true)"))
        assert conn.execute(text("SELECT count(*) FROM chipao_member_search(:p)"),
                            {"p": pattern}).scalar() == 0
        _as(conn, token)
        assert conn.execute(text("SELECT count(*) FROM chipao_member_search(:p)"),
                            {"p": pattern}).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM chipao_member_search(:p)"),
                            {"p": f"%{surname(IN_TAMBON)}%"}).scalar() == HOUSEHOLDS[IN_TAMBON]


def test_background_job_identity_carries_the_starters_session(app, accounts):
    """The centres planner's job (another process, no request) reads with the scope of
    the user who started it — through that user's database session."""
    import flask

    from chipao.domain.scope import Role, Scope
    from pages import centres
    from queries.db import scoped

    _client, token = _web_client(app, *accounts["tambon"])
    with app.server.test_request_context("/centres"):
        flask.g.scope = Scope(accounts["tambon"][0], Role.TAMBON, (IN_TAMBON,), session=token)
        data = centres._request_identity(None)
    assert data["session"] == token
    job_scope = Scope(data["username"], Role(data["role"]), tuple(data["areas"]),
                      session=data["session"])  # as centres._job_identity rebuilds it
    with scoped(job_scope) as conn:
        assert set(_by_tambon(conn)) == {IN_TAMBON}
    forged = Scope(data["username"], Role.PROVINCE, ("TH10",), session=data["session"])
    with scoped(forged) as conn:  # areas in the job's data do not widen the session's
        assert set(_by_tambon(conn)) == {IN_TAMBON}


# ── helpers: a real sign-in, and the token its cookie carries ────────────────
def _web_client(app, username: str, password: str):
    from flask.sessions import SecureCookieSessionInterface

    from tests.auth_helpers import client_for

    client = client_for(app.server, username, password)
    cookie = client.get_cookie("chipao_session").value
    serializer = SecureCookieSessionInterface().get_signing_serializer(app.server)
    return client, serializer.loads(cookie)["sid"]


def _web_token(app, username: str, password: str) -> str:
    return _web_client(app, username, password)[1]


@pytest.fixture(scope="module")
def app(accounts):
    from app import app as dash_app

    return dash_app


# ── residual risk closed: the app role cannot read password hashes ───────────
@pytest.mark.parametrize("sql", [
    "SELECT password_hash FROM app_user",
    "SELECT * FROM app_user",
    "SELECT u FROM app_user u",  # the whole row as one value
    "SELECT row_to_json(u) FROM app_user u",
    "SELECT count(*) FROM app_user WHERE password_hash LIKE '$argon2%'",  # a blind oracle
    "SELECT user_id FROM app_user ORDER BY password_hash",
    "SELECT to_jsonb(app_user.*) FROM app_user",
    "COPY app_user TO STDOUT",
    "SELECT password_hash FROM (SELECT * FROM app_user) s",
    "CREATE TEMP VIEW hashes AS SELECT password_hash FROM app_user; SELECT * FROM hashes",
    "UPDATE app_user SET failed_logins = failed_logins WHERE password_hash IS NOT NULL",
])
def test_app_role_cannot_read_password_hashes(app_engine, accounts, sql):
    """As chipao_app with any session (even a signed-in one), every way of reaching the
    hash column — directly, as a whole row, as an oracle in WHERE/ORDER BY, by COPY,
    through a view — is refused by PostgreSQL's column privileges (migration 0013)."""
    from sqlalchemy.exc import ProgrammingError

    with pytest.raises(ProgrammingError, match="permission denied"), app_engine.begin() as conn:
        _as(conn, _system_token(["TH50"]))
        for statement in sql.split("; "):
            conn.execute(text(statement))


def test_app_role_still_reads_what_sign_in_needs(app_engine, accounts):
    """…while every other column stays readable (the guard reloads users per request),
    and signing in still works: the hash is checked through the owner role."""
    from app import app as dash_app
    from tests.auth_helpers import client_for

    with app_engine.begin() as conn:
        names = conn.execute(text(
            "SELECT username, role, disabled, failed_logins, locked_until, session_version "
            "FROM app_user WHERE username = :u"), {"u": accounts["tambon"][0]}).all()
        assert len(names) == 1
        assert not conn.execute(text(
            "SELECT has_column_privilege('chipao_app', 'app_user', 'password_hash', 'SELECT')"
        )).scalar()
    client = client_for(dash_app.server, *accounts["tambon"])  # raises if sign-in fails
    assert client.get("/").status_code == 200
