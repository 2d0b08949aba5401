"""The centres planner's export writes only a result the server computed for this user
(issue 11): the planner's result lives in the browser (a dcc.Store) between the job and
the export, so the job seals it (chipao.web.jobs.seal) and the export refuses, and
audits, any store whose seal is missing, wrong or another user's. The file carries the
data date. Real app, real PostGIS, signed-in clients."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from chipao.domain.scope import Role, Scope
from chipao.web.jobs import seal, unseal
from components.formatting import fmt_datetime
from tests.auth_helpers import client_for
from tests.factory import IN_TAMBON, ROLE_AREAS, permission_store

EXPORT = "centres-plan-download.data"
REFRESHED = datetime(2026, 11, 30, 2, 15, tzinfo=UTC)


@pytest.fixture(scope="module")
def users(app):
    with permission_store() as accounts:
        clients = {}
        for role in ("province", "district"):
            username, password = accounts[role]
            clients[role] = (Scope(username, Role(role), ROLE_AREAS[role]),
                             client_for(app.server, username, password))
        clients["province"][1].get("/")  # Dash builds its callback map on a first request
        yield clients


def _result(area: str) -> dict:
    """A planner result as compute_plan gives it (whole floats included: 1.0 comes back
    from the browser as 1)."""
    return {"year": 2566, "area": area, "distance": 10, "n": 2, "only_without": False,
            "before": 2, "total": 3, "after": 3, "added": 1, "share_before": 2 / 3,
            "share_after": 1.0, "demand_cells": 1, "candidates": 2, "seconds": 0.04,
            "refreshed_at": REFRESHED.isoformat(),
            "sites": [{"rank": 1, "pcode": IN_TAMBON, "name_th": "ตำบลหนึ่ง", "name_en": "One",
                       "district_th": "อำเภอหนึ่ง", "district_en": "D", "lon": 100.0,
                       "lat": 14.123456789, "gain": 1, "cumulative": 1, "coverage": 1.0,
                       "has_centre": False}]}


def _export(app, client, store, button: str = "centres-plan-export-csv"):
    spec = app.callback_map[EXPORT]
    values = {button: 1, "centres-plan-store": store}
    deps = [{"id": d["id"], "property": d["property"], "value": values.get(d["id"])}
            for d in spec["inputs"] + spec["state"]]
    n = len(spec["inputs"])
    return client.post_callback({
        "output": EXPORT, "outputs": {"id": "centres-plan-download", "property": "data"},
        "inputs": deps[:n], "state": deps[n:], "changedPropIds": [f"{button}.n_clicks"]})


def _file(response) -> bytes:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    data = response.get_json()["response"]["centres-plan-download"]["data"]
    return base64.b64decode(data["content"]) if data.get("base64") else data["content"].encode()


def _refusals(username: str) -> int:
    from queries.db import owner

    with owner() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_log WHERE username = :u AND "
                                 "action = 'refused' AND target = 'centres-plan-export'"),
                            {"u": username}).scalar()


def test_a_sealed_result_is_written_as_shown(app, users):
    scope, client = users["province"]
    raw = _file(_export(app, client, seal(_result("TH50"), scope))).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(raw)))
    assert table[0][:2] == ["ลำดับ", "P-code"]
    assert table[1][:3] == ["1", IN_TAMBON, "ตำบลหนึ่ง"]
    book = load_workbook(io.BytesIO(_file(_export(app, client, seal(_result("TH50"), scope),
                                                  "centres-plan-export-xlsx"))))
    notes = {r[0]: r[1] for r in book.worksheets[1].iter_rows(values_only=True)}
    assert notes["ข้อมูล ณ"] == fmt_datetime(REFRESHED, "th")
    assert notes["รอบการสำรวจ"] == "พ.ศ. 2566"


def test_a_browser_cannot_put_its_own_figures_into_the_file(app, users):
    scope, client = users["province"]
    other, _ = users["district"]
    forged = seal(_result("TH50"), scope)
    forged["sites"][0]["gain"] = 999_005  # edited after the server sealed it
    unsealed = _result("TH50")
    for store in (forged, unsealed, {**unsealed, "seal": "0" * 64}, seal(_result("TH50"), other)):
        before = _refusals(scope.username)
        assert _export(app, client, store).status_code == 204
        assert _refusals(scope.username) == before + 1


def test_a_seal_survives_the_browsers_json(users):
    """A whole float comes back as an integer, keys in another order: still ours."""
    scope, _client = users["province"]
    sealed = seal(_result("TH50"), scope)
    back = {k: sealed[k] for k in reversed(list(sealed))}
    back["share_after"], back["sites"][0]["lon"] = 1, 100
    assert unseal(back, scope) is back
    assert unseal({**back, "n": 3}, scope) is None


@pytest.mark.parametrize("store", [[], {"seal": None}, {"seal": "x", "n": float("nan")}, "TH50"])
def test_a_malformed_store_writes_nothing(app, users, store):
    _scope, client = users["province"]
    assert _export(app, client, store).status_code in (204, 400)
