"""Read replicas against a real streaming replica of the test cluster (`pg_basebackup
-R`, hot standby on its own port): dashboard reads go to it, writes to the primary; a
user who has just saved a plan item reads the primary until the replica has replayed
that save (replay paused: the write is on the primary and not on the replica, and the
writer still sees it); a replica that goes away leaves reads on the primary, no error.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
from sqlalchemy import text

from chipao.domain.scope import SYSTEM, Role, Scope
from queries import db
from queries.db import owner, scoped, scoped_read
from queries.sessions import open_session
from tests.auth_helpers import client_for, create_user, page_body
from tests.factory import isolated_store, plans_areas, plans_build
from tests.scale_support import read_replicas, streaming_replica

pytestmark = pytest.mark.scale
AS_OF_DEFAULT = None  # set by the store: today in Bangkok


@pytest.fixture(scope="module")
def store(database):
    from queries import plans

    global AS_OF_DEFAULT
    AS_OF_DEFAULT = plans.bangkok_today()
    with isolated_store("chipao_test_replica") as url:
        with owner() as conn:
            plans_areas(conn)
            ids = plans_build(conn, AS_OF_DEFAULT)
            plans.refresh_plans(conn, AS_OF_DEFAULT)
        yield {"url": url, "db": url.rsplit("/", 1)[-1], **ids}


@pytest.fixture(scope="module")
def replica(store):  # the last test stops it
    with streaming_replica() as rep:
        rep.wait_replayed(db.wal_position())
        with read_replicas(rep.app_url(store["db"])):
            yield rep


def _on_replica(conn) -> bool:
    return conn.execute(text("SELECT pg_is_in_recovery()")).scalar_one()


def _find(node, wanted: str):
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == wanted:
            return node
        return next((f for v in node.values() if (f := _find(v, wanted)) is not None), None)
    if isinstance(node, list):
        return next((f for v in node if (f := _find(v, wanted)) is not None), None)
    return None


def _pending_shown(client) -> str:
    response = client.post_callback(page_body("/plans"))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    alert = _find(response.get_json(), "plans-pending")
    return json.dumps(alert["props"]["children"], ensure_ascii=False) if alert else ""


def _save(client, item: int, status: str) -> str:
    ids = {k: {"type": f"plans-item-{k}", "item": item} for k in
           ("message", "summary", "status", "note", "save", "date-day", "date-month",
            "date-year")}
    outputs = [{"id": ids[k], "property": p} for k, p in (
        ("message", "children"), ("summary", "children"), ("status", "options"),
        ("status", "value"), ("note", "value"))]

    def key(o: dict) -> str:
        wild = {**o["id"], "item": ["MATCH"]}
        return f"{json.dumps(wild, separators=(',', ':'), sort_keys=True)}.{o['property']}"

    day = AS_OF_DEFAULT
    body = {"output": ".." + "...".join(key(o) for o in outputs) + "..", "outputs": outputs,
            "inputs": [{"id": ids["save"], "property": "n_clicks", "value": 1}],
            "state": [{"id": ids["save"], "property": "id", "value": ids["save"]},
                      {"id": ids["status"], "property": "value", "value": status},
                      {"id": ids["date-day"], "property": "value", "value": day.day},
                      {"id": ids["date-month"], "property": "value", "value": day.month},
                      {"id": ids["date-year"], "property": "value", "value": day.year},
                      {"id": ids["note"], "property": "value", "value": ""}],
            "changedPropIds": [json.dumps(ids["save"], separators=(",", ":"), sort_keys=True)
                               + ".n_clicks"]}
    response = client.post_callback(body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def _pending_sql(url: str) -> int:
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT coalesce(sum(updates), 0) FROM plan_stale_area "
                "WHERE starts_with(tambon_pcode, 'TH100101')")).scalar_one())
    finally:
        engine.dispose()


def test_reads_go_to_the_replica_and_writes_to_the_primary(replica):
    scope = Scope("reader", Role.EXECUTIVE, ("TH",))
    with scoped_read(scope) as conn:
        assert _on_replica(conn)
        assert conn.execute(text("SELECT current_setting('chipao.user')")).scalar_one() == "reader"
    with scoped(scope) as conn:
        assert not _on_replica(conn)


def test_a_writer_sees_the_own_save_while_the_replica_lags(replica, store):
    from app import app

    writer = client_for(app.server, *create_user("tambon", areas=("TH100101",)))
    other = client_for(app.server, *create_user("tambon", areas=("TH100101",)))
    primary_url = os.environ["CHIPAO_APP_DATABASE_URL"]
    replica_url = replica.app_url(store["db"])
    before = _pending_sql(primary_url)
    # both users' sessions (opened on the primary at sign-in) must be on the replica
    # before replay stops, or the other user's reads there would see no session at all
    replica.wait_replayed(db.wal_position())
    replica.sql("SELECT pg_wal_replay_pause()")
    try:
        assert "plans-item-saved" in _save(writer, store["open_item"], "in_progress")
        now = _pending_sql(primary_url)
        assert now == before + 1  # on the primary …
        assert _pending_sql(replica_url) == before  # … not yet on the replica
        assert f"{now:,}" in _pending_shown(writer)  # the writer reads the primary
        shown_other = _pending_shown(other)  # anyone else may read the lagging replica
        assert (f"{before:,}" in shown_other) if before else shown_other == ""
    finally:
        replica.sql("SELECT pg_wal_replay_resume()")
    with owner() as conn:  # a session of its own (made on the primary, replayed below)
        token = open_session(conn, SYSTEM, user_id=None, username="w", role=Role.TAMBON,
                             areas=("TH100101",), lifetime=timedelta(minutes=5))
    lsn = db.wal_position()
    replica.wait_replayed(lsn)
    assert f"{now:,}" in _pending_shown(other)
    scope = Scope("w", Role.TAMBON, ("TH100101",), session=token)
    with scoped_read(scope, min_lsn=lsn) as conn:
        assert _on_replica(conn)  # caught up: the writer is back on the replica


def test_a_replica_that_goes_away_leaves_reads_on_the_primary(replica):
    from app import app

    client = client_for(app.server, *create_user("tambon", areas=("TH100101",)))
    assert _pending_shown(client) is not None
    assert replica.pg_ctl("-m", "immediate", "stop").returncode == 0
    scope = Scope("reader", Role.EXECUTIVE, ("TH",))
    with scoped_read(scope) as conn:  # the pooled replica connection is dead: primary
        assert not _on_replica(conn)
    response = client.post_callback(page_body("/plans"))
    assert response.status_code == 200
    assert _find(response.get_json(), "plans-breadcrumb") is not None  # the page, no error
