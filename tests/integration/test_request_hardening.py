"""Attacks on the request layer and the audit trail (issue 13, items 6, 7, 8, 12), through
the real app with real sessions on a real PostGIS:

- bulk paging of the household grid from any start row is audited block by block and
  stopped by a per-user limit shared by every worker (it is read from the store);
- control characters (a NUL byte) anywhere in a request: 400 with a message, and the
  refusal is in the audit log with the value escaped;
- every audit row carries user, role, scope, time, IP, user agent, what and rows;
- malformed requests (forged ids, unknown callbacks, wrong arity, repeated
  parameters, encoded slashes, 100,000-deep JSON, random payload shapes): 400/404
  with a short message, logged, never a 500.
"""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import text

from chipao import settings as config
from pages import admin_ids as ids
from queries import aggregates
from queries.db import owner
from tests import factory
from tests.auth_helpers import callback_body, client_for, create_user, page_body
from tests.factory import isolated_store

TAMBON, DISTRICT, PROVINCE = "TH500101", "TH5001", "TH50"
AGENT = "Mozilla/5.0 (attack-test)"


@pytest.fixture(scope="module")
def store(database):
    with isolated_store("chipao_test_hardening") as url:
        with owner() as conn:
            data = factory.households_build(conn, seed=13)
            aggregates.refresh(conn)
        yield {"url": url, **data}


@pytest.fixture(scope="module")
def app(store):
    from app import app as dash_app

    return dash_app


@pytest.fixture(scope="module")
def users(store):
    return {"tambon": create_user("tambon", areas=(TAMBON,)),
            "province": create_user("province", areas=(PROVINCE,))}


def client(app, users, role: str):
    c = client_for(app.server, *users[role])
    c.environ_base["HTTP_USER_AGENT"] = AGENT
    c.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    return c


def audit(username: str, action: str | None = None) -> list[dict]:
    with owner() as conn:
        rows = conn.execute(text(
            "SELECT * FROM audit_log WHERE username = :u AND (CAST(:a AS text) IS NULL OR action = :a) "
            "ORDER BY audit_id"), {"u": username, "a": action}).mappings()
        return [dict(r) for r in rows]


def rows_body(request: dict, query: dict) -> dict:
    return {
        "output": "..hh-grid.getRowsResponse...hh-count.children...hh-message.children..",
        "outputs": [{"id": "hh-grid", "property": "getRowsResponse"},
                    {"id": "hh-count", "property": "children"},
                    {"id": "hh-message", "property": "children"}],
        "inputs": [{"id": "hh-grid", "property": "getRowsRequest", "value": request}],
        "state": [{"id": "hh-query", "property": "data", "value": query}],
        "changedPropIds": ["hh-grid.getRowsRequest"],
    }


def assert_refused(response, codes=(400,)) -> dict:
    assert response.status_code in codes, (response.status_code,
                                           response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert body and body.get("message"), body  # a short message, no traceback
    assert "Traceback" not in response.get_data(as_text=True)
    return body


# ── item 6: every block is audited; paging is rate-limited per user ──────────
def test_paging_from_any_start_row_is_audited_with_its_rows(app, users):
    username = users["province"][0]
    c = client(app, users, "province")
    before = len(audit(username))
    served = 0
    for start in (1, 31, 61, 91, 121):  # never row 0: the old audit only saw that one
        r = c.post_callback(rows_body({"startRow": start, "endRow": start + 30},
                                      {"area": DISTRICT}))
        assert r.status_code == 200
        served += len(r.get_json()["response"]["hh-grid"]["getRowsResponse"]["rowData"])
    rows = audit(username)[before:]
    blocks = [r for r in rows if r["action"] == "household_list"]
    assert len(blocks) == 5
    assert served > 0 and sum(r["rows"] for r in blocks) == served
    assert [r["details"]["start"] for r in blocks] == [1, 31, 61, 91, 121]


def test_bulk_paging_hits_a_limit_shared_by_every_worker(app, users, monkeypatch):
    monkeypatch.setenv("CHIPAO_PAGING_ROWS", "100")
    monkeypatch.setenv("CHIPAO_PAGING_WINDOW_S", "3600")
    config.reload()
    try:
        username, password = create_user("province", areas=(PROVINCE,))
        # two sessions of one user stand for two gunicorn workers: the count is in the store
        workers = [client_for(app.server, username, password) for _ in range(2)]
        answers = []
        for i, start in enumerate(range(0, 200, 25)):
            r = workers[i % 2].post_callback(rows_body({"startRow": start, "endRow": start + 25},
                                                       {"area": DISTRICT}))
            assert r.status_code == 200
            answers.append(r.get_json()["response"])
        got = [len(a["hh-grid"]["getRowsResponse"]["rowData"]) for a in answers]
        assert sum(got) == 100 and got[4:] == [0, 0, 0, 0]  # the fifth block is refused
        message = json.dumps(answers[4]["hh-message"], ensure_ascii=False)
        assert "hh-paging-limit" in message and "100" in message
        refused = audit(username, "refused")
        assert refused and refused[-1]["details"]["reason"] == "paging_limit"
        assert sum(r["rows"] for r in audit(username, "household_list")) == 100
    finally:
        config.reload()


# ── item 7: control characters ───────────────────────────────────────────────
@pytest.mark.parametrize("query", [{"area": "TH100101\u0000"}, {"area": TAMBON, "q": "a\x1bb"}])
def test_nul_byte_in_a_callback_is_a_400_and_audited_escaped(app, users, query):
    username = users["tambon"][0]
    c = client(app, users, "tambon")
    r = c.post_callback(rows_body({"startRow": 0, "endRow": 100}, query))
    body = assert_refused(r)
    assert "Control characters" in body["message"]
    row = audit(username, "refused")[-1]
    assert row["details"]["reason"] == "control_character"
    value = row["details"]["value"]
    assert "\\x00" in value or "\\x1b" in value
    assert "\x00" not in json.dumps(row["details"]) and row["ip"] == "192.0.2.7"


@pytest.mark.parametrize("url", ["/households?area=TH500101%00", "/map?area=TH50%0d%0aX: y",
                                 "/households%00"])
def test_control_characters_in_the_url_are_a_400(app, users, url):
    username = users["tambon"][0]
    r = client(app, users, "tambon").get(url)
    assert_refused(r)
    assert audit(username, "refused")[-1]["details"]["reason"] == "control_character"


def test_nul_in_the_sign_in_form_is_refused_without_logging_the_password(app, users):
    c = app.server.test_client()
    c.environ_base["HTTP_ORIGIN"] = "http://localhost"
    c.get("/login")
    r = c.post("/login", data={"username": "someone", "password": "secret\x00pw"})
    assert_refused(r)
    with owner() as conn:
        details = conn.execute(text("SELECT details FROM audit_log ORDER BY audit_id DESC "
                                    "LIMIT 1")).scalar_one()
    assert details["field"] == "password" and "secret" not in json.dumps(details)


def test_audit_record_escapes_nul_whatever_the_caller(store):
    from chipao.domain.scope import SYSTEM
    from queries import audit as audit_q

    with owner() as conn:
        audit_q.record(conn, SYSTEM, "refused", "x\x00y", {"k\x00": ["v\x00"]})
        row = conn.execute(text("SELECT target, details FROM audit_log ORDER BY audit_id DESC "
                                "LIMIT 1")).one()
    assert row.target == "x\\x00y" and row.details == {"k\\x00": ["v\\x00"]}


# ── item 8: every audit row says who, from where, with what, how much ────────
def test_every_audit_row_has_the_request_context(app, users, store):
    username = users["tambon"][0]
    c = client(app, users, "tambon")
    before = len(audit(username))
    house = next(h for h, t in store["houses"].items() if t == TAMBON)
    assert c.post_callback(page_body(f"/households/{house}")).status_code == 200
    assert c.post_callback(rows_body({"startRow": 0, "endRow": 100},
                                     {"area": TAMBON})).status_code == 200
    c.post_callback(rows_body({"startRow": 0, "endRow": 100}, {"area": "TH100101"}))  # refused
    export = {"output": "..hh-download.data...hh-export-msg.children..",
              "outputs": [{"id": "hh-download", "property": "data"},
                          {"id": "hh-export-msg", "property": "children"}],
              "inputs": [{"id": "hh-export-csv", "property": "n_clicks", "value": 1},
                         {"id": "hh-export-xlsx", "property": "n_clicks", "value": None}],
              "state": [{"id": "hh-query", "property": "data", "value": {"area": TAMBON}},
                        {"id": "hh-grid", "property": "getRowsRequest", "value": None}],
              "changedPropIds": ["hh-export-csv.n_clicks"]}
    assert c.post_callback(export).status_code == 200
    rows = audit(username)[before:]
    assert {"household_view", "household_list", "refused", "export"} <= {r["action"] for r in rows}
    for r in rows:
        assert r["username"] == username and r["role"] == "tambon" and r["at"] is not None
        assert r["ip"] == "192.0.2.7" and r["user_agent"] == AGENT, r
        assert r["scope"] == TAMBON and r["action"] and r["target"] is not None or \
            r["action"] == "refused"
    served = {r["action"]: r["rows"] for r in rows}
    assert served["household_view"] == 1 and served["household_list"] > 0
    assert served["export"] == served["household_list"]


def test_admin_audit_viewer_shows_the_new_columns(app, users):
    client(app, users, "tambon").post_callback(rows_body({"startRow": 0, "endRow": 10},
                                                         {"area": TAMBON}))
    username, password = create_user("admin")
    c = client_for(app.server, username, password)
    body = callback_body(ids.LOG, inputs=[
        {"id": ids.APPLY, "property": "n_clicks", "value": 1},
        {"id": ids.USER, "property": "value", "value": users["tambon"][0]},
        {"id": ids.ACTION, "property": "value", "value": None},
        {"id": ids.DATE_FROM, "property": "value", "value": None},
        {"id": ids.DATE_TO, "property": "value", "value": None}])
    body["output"] = f"..{ids.LOG}.children...{ids.COUNT}.children.."
    body["outputs"] = [{"id": ids.LOG, "property": "children"},
                       {"id": ids.COUNT, "property": "children"}]
    r = c.post_callback(body)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    html = json.dumps(r.get_json(), ensure_ascii=False)
    for label in ("User agent", "โปรแกรมที่ใช้", "ขอบเขต", "จำนวนแถว"):
        if label in html:
            break
    else:
        pytest.fail("the audit table has no user-agent/scope/rows columns")
    assert AGENT in html or "192.0.2.7" in html


# ── item 12: malformed requests are a 400/404, never a 500 ───────────────────
def item_save_body(app, item_id) -> dict:
    """The plan-item save callback's request as the renderer sends it, for `item_id`,
    built from the callback the app registered (whatever its states are today)."""
    key = next(k for k, cb in app.callback_map.items()
               if any("plans-item-save" in i["id"] for i in cb["inputs"]))
    cb = app.callback_map[key]

    def concrete(spec: str) -> dict:
        return {**json.loads(spec), "item": item_id}

    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
               for part in key[2:-2].split("...")]
    save = concrete(cb["inputs"][0]["id"])
    values = {"id": save, "value": "done"}
    return {"output": key,
            "outputs": [{"id": concrete(o["id"]), "property": o["property"]} for o in outputs],
            "inputs": [{"id": save, "property": "n_clicks", "value": 1}],
            "state": [{"id": concrete(st["id"]), "property": st["property"],
                       "value": values.get(st["property"])} for st in cb["state"]],
            "changedPropIds": [f"{json.dumps(save)}.n_clicks"]}


@pytest.mark.parametrize("item_id", ["1 OR 1=1", None, [1], {"a": 1}, -3, True, "9" * 40])
def test_plan_item_save_with_a_forged_id_is_a_400(app, users, item_id):
    username = users["tambon"][0]
    before = len(audit(username, "refused"))
    r = client(app, users, "tambon").post_callback(item_save_body(app, item_id))
    assert_refused(r)
    assert len(audit(username, "refused")) == before + 1


def test_plan_item_save_with_a_good_id_still_works(app, users, store):
    with owner() as conn:
        item = conn.execute(text("SELECT item_id FROM plan_item WHERE tambon_pcode = :t "
                                 "ORDER BY item_id LIMIT 1"), {"t": TAMBON}).scalar_one()
    r = client(app, users, "tambon").post_callback(item_save_body(app, item))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]


def test_unknown_callback_output_is_a_404(app, users):
    r = client(app, users, "tambon").post_callback(callback_body("map-nothing-here"))
    assert_refused(r, codes=(400, 404))  # (the guard answers 400 first on main)


@pytest.mark.parametrize("inputs", [[], [{"id": "hh-grid", "property": "getRowsRequest",
                                          "value": {}}] * 2, "x", [None],
                                    [{"id": "hh-other", "property": "getRowsRequest"}]])
def test_wrong_number_or_kind_of_inputs_is_a_400(app, users, inputs):
    body = rows_body({"startRow": 0, "endRow": 100}, {"area": TAMBON}) | {"inputs": inputs}
    assert_refused(client(app, users, "tambon").post_callback(body))


def test_repeated_query_parameters_are_a_400(app, users):
    c = client(app, users, "province")
    assert_refused(c.get("/centres?area=TH50&area=TH10"))
    assert_refused(c.post_callback(page_body("/centres?area=TH50&area=TH10")))
    assert c.post_callback(page_body("/centres?area=TH50")).status_code == 200


@pytest.mark.parametrize("path", ["/_dash-component-suites/dash/..%2f..%2fapp.py",
                                  "/_dash-component-suites/dash%2fdcc/dash_core_components.js",
                                  "/_dash-component-suites/dash/deps%5c..%5capp.py"])
def test_encoded_slashes_under_component_suites_are_a_404(app, path):
    r = app.server.test_client().get(path)
    assert r.status_code == 404, (r.status_code, r.get_data(as_text=True)[:200])


def test_deeply_nested_json_is_a_400(app, users):
    c = client(app, users, "tambon")
    cookie = c.get_cookie("_csrf_token")
    deep = "[" * 100_000 + "]" * 100_000
    r = c.post("/_dash-update-component", data=deep, content_type="application/json",
               headers={"X-CSRFToken": cookie.value})
    assert_refused(r)
    nested = rows_body({"startRow": 0, "endRow": 100}, {"area": TAMBON})
    inner: list = []
    nested["state"][0]["value"]["x"] = inner
    for _ in range(200):
        inner.append([])
        inner = inner[0]
    assert_refused(c.post_callback(nested))


def _shapes(rng: random.Random, depth: int = 0):
    pick = rng.randrange(8 if depth < 4 else 6)
    if pick == 6:
        return [_shapes(rng, depth + 1) for _ in range(rng.randrange(3))]
    if pick == 7:
        return {rng.choice(["id", "property", "value", "type", "item"]): _shapes(rng, depth + 1)
                for _ in range(rng.randrange(4))}
    return [None, True, rng.randint(-5, 10**6), "x" * rng.randrange(4), "TH50\u0000",
            1.5][pick]


def test_fuzzed_callback_payloads_never_give_a_500(app, users):
    """Random shapes in every part of real callback bodies (grid rows, plan-item save,
    the page router, the map): whatever the answer, never a 500."""
    rng = random.Random(20261201)
    c = client(app, users, "tambon")
    bases = [rows_body({"startRow": 0, "endRow": 100}, {"area": TAMBON}), item_save_body(app, 1),
             page_body(f"/households?area={TAMBON}"), page_body("/map?level=2&area=TH50")]
    statuses = set()
    for _ in range(150):
        body = json.loads(json.dumps(rng.choice(bases)))
        for _ in range(rng.randint(1, 3)):
            part = rng.choice(["inputs", "state", "outputs", "output", "changedPropIds"])
            if part in ("inputs", "state") and isinstance(body.get(part), list) \
                    and body[part] and rng.random() < 0.7:
                entry = rng.choice(body[part])
                entry[rng.choice(["id", "property", "value"])] = _shapes(rng)
            else:
                body[part] = _shapes(rng)
        r = c.post_callback(body)
        statuses.add(r.status_code)
        assert r.status_code < 500, (r.status_code, json.dumps(body)[:300],
                                     r.get_data(as_text=True)[:300])
    assert statuses & {400, 404}  # the fuzzer did reach the refusals
