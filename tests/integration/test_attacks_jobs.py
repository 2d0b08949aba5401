"""Attacks on background jobs (issue 13, item 13): a user fetching a job another user
started — the centres planner, a Dash background callback — by replaying its handles
(`?cacheKey=…&job=…`), and two users asking the same question sharing one result.
Real app, real PostGIS, the real diskcache manager (a job process per run)."""

from __future__ import annotations

import pytest

from chipao.domain.scope import Role, Scope
from chipao.web import jobs
from tests.auth_helpers import client_for, create_user
from tests.factory import permission_store

PLANNER_OUTPUT = "centres-plan-store.data"


@pytest.fixture(scope="module")
def store(app):
    with permission_store() as accounts:
        yield accounts


def _planner_body(app) -> dict:
    spec = app.callback_map[PLANNER_OUTPUT]
    values = {"centres-plan-run": 1, "shell-round": 2566, "centres-distance": 10,
              "centres-plan-n": 2, "centres-plan-only-without": False}
    deps = [{"id": d["id"], "property": d["property"], "value": values.get(d["id"])}
            for d in spec["inputs"] + spec["state"]]
    n = len(spec["inputs"])
    return {"output": PLANNER_OUTPUT, "outputs": {"id": "centres-plan-store", "property": "data"},
            "inputs": deps[:n], "state": deps[n:], "changedPropIds": ["centres-plan-run.n_clicks"]}


def _start(client, body) -> dict:
    r = client.post_callback(body)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    data = r.get_json()
    assert "cacheKey" in data and "job" in data, data
    return data


def _poll(client, body, handles: dict):
    return client.post_callback(body, query_string={"cacheKey": handles["cacheKey"],
                                                    "job": handles["job"]})


def test_a_job_is_fetched_only_by_the_session_that_started_it(app, store):
    a = client_for(app.server, *create_user("province", areas=("TH50",)))
    b = client_for(app.server, *create_user("province", areas=("TH50",)))  # same scope
    executive = client_for(app.server, *store["executive"])
    a.get("/centres")
    body = _planner_body(app)
    handles = _start(a, body)
    for thief in (b, executive):
        r = _poll(thief, body, handles)
        assert r.status_code == 403 and "cacheKey" not in r.get_data(as_text=True)
        r = thief.post_callback(body, query_string={"cacheKey": handles["cacheKey"]})
        assert r.status_code == 403
        r = thief.post_callback(body, query_string={"job": handles["job"]})
        assert r.status_code == 403
    assert _poll(a, body, handles).status_code in (200, 204)  # the starter may


def test_same_question_by_two_users_is_two_jobs(app, store):
    """Cache keys carry the owner (user and scope): no shared result, no shared key."""
    body = _planner_body(app)
    a = client_for(app.server, *create_user("province", areas=("TH50",)))
    b = client_for(app.server, *create_user("province", areas=("TH50",)))
    key_a = _start(a, body)["cacheKey"].split("~")[0]
    key_b = _start(b, body)["cacheKey"].split("~")[0]
    assert key_a != key_b


def test_job_owner_differs_by_user_and_scope(app, store):
    import flask

    seen = set()
    for uid, scope in ((1, Scope("u", Role.PROVINCE, ("TH50",))),
                       (2, Scope("u", Role.PROVINCE, ("TH50",))),
                       (1, Scope("u", Role.PROVINCE, ("TH10",))),
                       (1, Scope("u", Role.EXECUTIVE))):
        with app.server.test_request_context("/"):
            flask.g.scope = scope
            flask.g.user = type("U", (), {"user_id": uid})()
            owner = jobs.current_owner()
        assert len(owner) == 64 and owner not in seen
        seen.add(owner)
