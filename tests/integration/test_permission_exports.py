"""The permission matrix of every export, for every role, in and out of scope.

Exports are found, not listed: every Flask route under the download prefixes
(``/export/…``, ``/briefs/…``) and every Dash callback that writes a ``dcc.Download``
(found in the layouts the pages really render, and by the ``*-download`` naming). Each
one found must have an attack case below — a new export without one fails
:func:`test_every_export_has_an_attack_case`, so none is forgotten.

For each export × role × area (in the role's scope, outside it):
- a role the export's page refuses: 403, a ``refused`` audit row, no file;
- an allowed role: the file, and an audit row (``export``) for it;
- a personal export (household rows) outside the user's scope: no household of that
  area in the answer, and an audit row (the refusal or the export of 0 rows).
Real app, real PostGIS, real sessions (the permission store of tests/factory.py)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass

import dash
import pytest
from sqlalchemy import text

from chipao.domain.scope import RECORD_ROLES, Role, Scope
from chipao.web import auth
from chipao.web.jobs import seal
from tests.auth_helpers import client_for, page_body
from tests.factory import IN_TAMBON, OUT_TAMBON, ROLE_AREAS, house_id, permission_store

ROUND_BE = 2566
_ROLES: dict[str, str] = {}  # username → role, of the permission store's accounts


@pytest.fixture(scope="module")
def accounts(app):
    from queries.db import owner

    with permission_store() as accounts:
        _ROLES.update({username: role for role, (username, _pw) in accounts.items()})
        with owner() as conn:  # the store's plan items untouched since mid-2023: stalled
            conn.execute(text("UPDATE plan_item SET updated_at = '2023-06-01 09:00+07'"))
        yield accounts


@pytest.fixture(scope="module")
def clients(app, accounts):
    clients = {role: client_for(app.server, *accounts[role]) for role in ROLE_AREAS}
    clients["province"].get("/")  # Dash builds its callback map on a first request
    return clients


# ── finding every export ─────────────────────────────────────────────────────
def download_routes(server) -> set[str]:
    return {r.rule for r in server.url_map.iter_rules()
            if r.rule.startswith(auth.DOWNLOAD_PREFIXES)}


def _download_ids(node, found: set[str]) -> None:
    if isinstance(node, list):
        for n in node:
            _download_ids(n, found)
    elif isinstance(node, dict):
        if node.get("type") == "Download" and isinstance(node.get("props"), dict):
            found.add(node["props"].get("id"))
        for v in node.values():
            _download_ids(v, found)


def download_callbacks(app, clients) -> set[str]:
    """Outputs (callback_map keys) of every callback that writes a dcc.Download: the
    Download components of every page as rendered for a role that may open it, and any
    output named like one."""
    ids: set[str] = set()
    for entry in dash.page_registry.values():
        page = auth.page_for_path(entry["path"])
        role = "admin" if page == "/admin" else "province"
        if page is None or "<" in entry["path"]:
            continue
        r = clients[role].post_callback(page_body(entry["path"]))
        assert r.status_code == 200, (entry["path"], r.status_code)
        _download_ids(r.get_json(), ids)
    out = set()
    for output in app.callback_map:
        parts = output[2:-2].split("...") if output.startswith("..") else [output]
        for part in parts:
            cid, _, prop = part.split("@")[0].rpartition(".")
            if prop == "data" and (cid in ids or cid.endswith("-download")
                                   or "-download-" in cid):
                out.add(output)
    return out


# ── how each export is attacked ──────────────────────────────────────────────
@dataclass
class Case:
    page: str
    personal: bool  # serves household rows (scope applies); else aggregates
    request: Callable  # (app, client, tambon, username) -> response


def _map_query(tambon: str) -> str:
    return f"?round={ROUND_BE}&level=3&area={tambon[:6]}&sel={tambon}"


def _get(path: str) -> Callable:
    return lambda app, client, tambon, _u: client.get(path + _map_query(tambon))


def _body(app, output: str, values: dict) -> dict:
    spec = app.callback_map[output]
    deps = [{"id": d["id"], "property": d["property"], "value": values.get(
        f"{d['id']}.{d['property']}", values.get(d["id"]))}
        for d in spec["inputs"] + spec.get("state", [])]
    n = len(spec["inputs"])
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    outs = [dict(zip(("id", "property"), p.split("@")[0].rsplit(".", 1), strict=True))
            for p in parts]
    trigger = next(d for d in deps[:n] if d["value"] is not None)
    return {"output": output, "outputs": outs if len(outs) > 1 else outs[0],
            "inputs": deps[:n], "state": deps[n:],
            "changedPropIds": [f"{trigger['id']}.{trigger['property']}"]}


def _callback(output: str, values: Callable[[str, str], dict]) -> Callable:
    """A callback request; `values(tambon, username)` gives its inputs and states."""
    def run(app, client, tambon, username):
        return client.post_callback(_body(app, output, values(tambon, username)))
    return run


def _plan_store(tambon: str, username: str) -> dict:
    """A planner result, as the centres page keeps it in the browser: sealed by the
    server for the user who ran it (an unsealed one is refused: test_centres_plan_export)."""
    role = _ROLES[username]
    return seal(_plan_result(tambon), Scope(username, Role(role), ROLE_AREAS[role]))


def _plan_result(tambon: str) -> dict:
    return {"year": ROUND_BE, "area": tambon[:4], "distance": 10, "n": 1,
            "only_without": False, "before": 10, "total": 20, "after": 15, "added": 5,
            "share_before": 0.5, "share_after": 0.75, "demand_cells": 3, "candidates": 3,
            "seconds": 0.1,
            "sites": [{"rank": 1, "pcode": tambon, "name_th": "ตำบล", "name_en": "Tambon",
                       "district_th": "อำเภอ", "district_en": "District", "lon": 98.98,
                       "lat": 18.79, "gain": 5, "cumulative": 5, "coverage": 0.75,
                       "has_centre": False}]}


_BRIEFS: dict[str, str] = {}  # username → the job id of a brief that user started


def _brief(app, client, tambon, username):
    """The owner's brief fetched by the owner (in scope) and by everyone else (out)."""
    if tambon == IN_TAMBON:
        job = _BRIEFS.get(username)
        if job is None:
            job = _BRIEFS[username] = _start_brief(app, client, tambon)
        return client.get(f"/briefs/{job}.pdf")
    other = next(iter(set(_BRIEFS) - {username}), None) or "0" * 32
    return client.get(f"/briefs/{_BRIEFS.get(other, other)}.pdf")


START_OUTPUT = ("..map-brief-job.data...map-brief-poll.disabled...map-brief-result.children..."
                "map-brief-box.style..")


def _output_key(app, start: str) -> str:
    return next(k for k in app.callback_map if k.startswith(start))


def _start_brief(app, client, tambon) -> str:
    r = client.post_callback(_body(app, START_OUTPUT, {"map-brief": 1, "shell-url": f"?round={ROUND_BE}"
                                                                 f"&area={tambon[:4]}"}))
    if r.status_code != 200:
        return "refused"
    job = r.get_json()["response"]["map-brief-job"]["data"]
    assert job, r.get_json()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # the job's state as the page polls it
        poll = client.post_callback(_body(app, _output_key(app, "..map-brief-progress.value"), {"map-brief-poll": 1,
                                                             "map-brief-job": job}))
        shown = poll.get_data(as_text=True)
        assert poll.status_code == 200 and "map-brief-error" not in shown, shown[:300]
        if "map-brief-download" in shown:
            return job
        time.sleep(0.5)
    raise AssertionError("the brief did not finish in 120 s")


def _hh_query(tambon: str, _username: str) -> dict:
    return {"hh-export-csv": 1, "hh-query": {"area": tambon, "round": ROUND_BE},
            "hh-grid": {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}}


def _plans_query(tambon: str) -> str:
    return f"?area={tambon[:6]}&sel={tambon}&round={ROUND_BE}&level=3&days=1"


CASES: dict[str, Case] = {
    "/export/map.<fmt>": Case("/map", False, lambda a, c, t, u: c.get(
        "/export/map.png" + _map_query(t))),
    "/export/ranking.<fmt>": Case("/map", False, lambda a, c, t, u: c.get(
        "/export/ranking.csv" + _map_query(t))),
    "/export/profile.<fmt>": Case("/map", False, lambda a, c, t, u: c.get(
        "/export/profile.xlsx" + _map_query(t))),
    "/briefs/<job_id>.pdf": Case("/map", False, _brief),
    "/export/overview.<fmt>": Case("/", False, lambda a, c, t, u: c.get(
        f"/export/overview.csv?round={ROUND_BE}")),
    "/export/provinces.<fmt>": Case("/", False, lambda a, c, t, u: c.get(
        f"/export/provinces.xlsx?round={ROUND_BE}")),
    "/export/dimensions.<fmt>": Case("/", False, lambda a, c, t, u: c.get(
        f"/export/dimensions.png?round={ROUND_BE}")),
    "/export/trend.<fmt>": Case("/", False, lambda a, c, t, u: c.get(
        "/export/trend.csv" + _map_query(t))),
    "..hh-download.data...hh-export-msg.children..": Case(
        "/households", True, _callback("..hh-download.data...hh-export-msg.children..",
                                       _hh_query)),
    "/export/plans/<table>.<fmt>": Case("/plans", True, lambda a, c, t, u: c.get(
        "/export/plans/stalled_households.csv" + _plans_query(t))),
    "/export/plans/map.<fmt>": Case("/plans", False, lambda a, c, t, u: c.get(
        "/export/plans/map.png" + _plans_query(t))),
    "/export/centres/map.<fmt>": Case("/centres", False, lambda a, c, t, u: c.get(
        f"/export/centres/map.png?round={ROUND_BE}&area={t[:6]}&d=10&level=3&view=poverty")),
    "/export/centres/gaps.<fmt>": Case("/centres", False, lambda a, c, t, u: c.get(
        f"/export/centres/gaps.xlsx?round={ROUND_BE}&area={t[:6]}&d=10&level=3&sort=beyond")),
    "centres-plan-download.data": Case("/centres", False, _callback(
        "centres-plan-download.data",
        lambda t, u: {"centres-plan-export-csv": 1, "centres-plan-store": _plan_store(t, u)})),
    "admin-download.data": Case("/admin", False, _callback(
        "admin-download.data", lambda _t, _u: {"admin-export": 1})),
}


def test_every_export_has_an_attack_case(app, clients):
    found = download_routes(app.server) | download_callbacks(app, clients)
    assert {"/export/map.<fmt>", "/briefs/<job_id>.pdf", "/export/plans/<table>.<fmt>"} <= found
    missing = found - set(CASES)
    assert not missing, f"exports without an attack case in this file: {sorted(missing)}"
    gone = set(CASES) - found
    assert not gone, f"attack cases for exports that no longer exist: {sorted(gone)}"


def test_a_route_under_the_download_prefixes_without_a_page_is_refused(app, clients):
    """A download route registered without a page (a forgotten one) is closed."""
    server = app.server
    if "orphan_export" not in server.view_functions:
        server.view_functions["orphan_export"] = lambda: "secret rows"
        server.url_map.add(server.url_rule_class("/export/orphan.csv", endpoint="orphan_export",
                                                 methods=["GET"]))
    for role in ROLE_AREAS:
        r = clients[role].get("/export/orphan.csv")
        assert r.status_code == 403 and b"secret" not in r.data, role


# ── the matrix ───────────────────────────────────────────────────────────────
def _audit_rows(username: str) -> list[tuple[str, str | None]]:
    from queries.db import owner

    with owner() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT action, target FROM audit_log WHERE username = :u ORDER BY audit_id"),
            {"u": username})]


def _file_of(r) -> str:
    """The downloaded content (a route's body, or a Download's data), as text."""
    if not r.is_json:
        return r.get_data().decode("utf-8", "replace")
    data = r.get_json()
    out = []
    for value in (data.get("response") or {}).values():
        d = value.get("data") if isinstance(value, dict) else None
        if isinstance(d, dict) and "content" in d:
            c = d["content"]
            out.append(base64.b64decode(c).decode("utf-8", "replace") if d.get("base64") else c)
    return "\n".join(out)


def _in_scope(role: str, tambon: str) -> bool:
    return any(tambon.startswith(a) for a in ROLE_AREAS[role])


@pytest.mark.parametrize("role", list(ROLE_AREAS))
def test_export_matrix(app, clients, accounts, role):
    client, username = clients[role], accounts[role][0]
    problems = []
    for name, case in CASES.items():
        allowed = Role(role) in auth.PAGE_ROLES[case.page]
        for tambon in (IN_TAMBON, OUT_TAMBON):
            before = len(_audit_rows(username))
            r = case.request(app, client, tambon, username)
            rows = _audit_rows(username)[before:]
            where = f"{name} as {role} ({tambon})"
            content = _file_of(r) if r.status_code == 200 else ""
            if not allowed:
                if r.status_code != 403:
                    problems.append(f"{where}: {r.status_code}, expected 403")
                if ("refused", auth.CALLBACK_PATH if r.request.path == auth.CALLBACK_PATH
                        else r.request.path) not in rows:
                    problems.append(f"{where}: refusal not audited ({rows})")
                continue
            if case.personal and not _in_scope(role, tambon):
                if house_id(OUT_TAMBON, 1)[:-3] in content:
                    problems.append(f"{where}: out-of-scope households in the file")
                if r.status_code not in (200, 204, 400, 403, 404) or not rows:
                    problems.append(f"{where}: {r.status_code}, audit {rows}")
                continue
            if name == "/briefs/<job_id>.pdf" and tambon == OUT_TAMBON:
                # another user's brief: never handed out, and the attempt leaves a trace
                if r.status_code != 404 or content or ("refused", r.request.path) not in rows:
                    problems.append(f"{where}: {r.status_code}, audit {rows}")
                continue
            if r.status_code != 200 or not content:
                problems.append(f"{where}: {r.status_code}, no file "
                                f"({r.get_data(as_text=True)[:200]!r})")
            elif not any(action == "export" for action, _ in rows):
                problems.append(f"{where}: export not audited ({rows})")
            if case.personal and Role(role) in RECORD_ROLES and house_id(IN_TAMBON, 1)[:-3] \
                    not in content:
                problems.append(f"{where}: the in-scope households are missing")
    assert problems == [], "\n".join(problems)

