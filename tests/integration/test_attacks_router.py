"""Attacks on the page router (issue 13, item 1): a forged `/_dash-update-component`
request for Dash's page router (`_pages_content`) naming a page the role is refused.

Dash passes a callback's inputs by position (names in the request are ignored), so
every forgery below puts the refused path where Dash reads it — under another
property name, another id, in `state` instead of `inputs`, with extra slashes — for
every registered page × every role, through every callback that renders page content
(found in Dash's callback map, so a new one is covered too)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from chipao.domain.scope import Role
from chipao.web import auth
from tests.auth_helpers import client_for, page_body
from tests.factory import IN_TAMBON, ROLE_AREAS, permission_store
from tests.integration.test_permissions import registered_pages


@pytest.fixture(scope="module")
def accounts(app):
    with permission_store() as accounts:
        yield accounts


@pytest.fixture(scope="module")
def clients(app, accounts):
    clients = {role: client_for(app.server, *accounts[role]) for role in ROLE_AREAS}
    clients["executive"].get("/")  # Dash builds its callback map on a first request
    return clients


def content_callbacks(app) -> list[tuple[str, dict]]:
    """Every callback that renders a page's layout (writes the page container)."""
    found = [(out, spec) for out, spec in app.callback_map.items()
             if auth.ROUTER_OUTPUT in out]
    assert found, "the page router is not in the callback map"
    return found


def forgeries(output: str, spec: dict, path: str, search: str) -> dict[str, dict]:
    """Request bodies that Dash would route to `path`, however they name the inputs."""
    declared = spec["inputs"] + spec["state"]
    at = {i: d for i, d in enumerate(declared)}

    def values(forged_path: str) -> list:
        out = []
        for d in at.values():
            value = forged_path if d["property"] in ("pathname", "href") else (
                search if d["property"] == "search" else None)
            out.append(value)
        return out

    def body(items: list[dict], split: int | None = None) -> dict:
        split = len(spec["inputs"]) if split is None else split
        return {"output": output, "outputs": [{"id": "_pages_content", "property": "children"},
                                              {"id": "_pages_store", "property": "data"}],
                "inputs": items[:split], "state": items[split:], "changedPropIds": []}

    vals = values(path)
    names = [(d["id"], d["property"]) for d in declared]
    return {
        "honest": body([{"id": i, "property": p, "value": v} for (i, p), v in zip(names, vals, strict=True)]),
        # the report's request: the path sent as `href` (no input is called pathname)
        "renamed-href": body([{"id": i, "property": "href" if p == "pathname" else p,
                               "value": v} for (i, p), v in zip(names, vals, strict=True)]),
        # a decoy: a later input *called* pathname says "/"
        "decoy": body([{"id": "_pages_location", "property": "search" if p == "pathname"
                        else "pathname", "value": v if p == "pathname" else "/"}
                       for (i, p), v in zip(names, vals, strict=True)]),
        "swapped-names": body([{"id": i, "property": p, "value": v}
                               for (i, p), v in zip(reversed(names), vals, strict=True)]),
        "other-ids": body([{"id": "shell-url", "property": "value", "value": v} for v in vals]),
        "in-state": body([{"id": "x", "property": "y", "value": v} for v in vals], split=0),
        "slashes": body([{"id": i, "property": p, "value": v.replace(path, f"//{path}/")
                          if isinstance(v, str) and p == "pathname" else v}
                         for (i, p), v in zip(names, vals, strict=True)]),
    }


def _refusals(username: str) -> int:
    from queries.db import owner

    with owner() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_log WHERE username = :u "
                                 "AND action = 'refused'"), {"u": username}).scalar_one()


@pytest.mark.parametrize("role", list(ROLE_AREAS))
def test_router_forgeries_every_page_every_role(app, clients, accounts, role):
    client, username = clients[role], accounts[role][0]
    problems = []
    for output, spec in content_callbacks(app):
        for page, url in sorted(registered_pages().items()):
            allowed = Role(role) in auth.PAGE_ROLES[page]
            path = url.split("?")[0]
            for name, body in forgeries(output, spec, path, f"?area={IN_TAMBON}&round=2566").items():
                before = _refusals(username)
                r = client.post_callback(body)
                if allowed:
                    # the honest request renders; a forged one may also be refused as
                    # malformed (400, chipao.web.request_checks), never as forbidden
                    ok = {200} if name in ("honest", "slashes") else {200, 400}
                    if r.status_code not in ok:
                        problems.append(f"{name} {url}: {r.status_code} (allowed)")
                    continue
                if r.status_code != 403:
                    problems.append(f"{name} {url}: {r.status_code}, "
                                    f"{len(r.get_data())} bytes (refused page)")
                elif _refusals(username) != before + 1:
                    problems.append(f"{name} {url}: refused but not audited")
    assert problems == [], "\n".join(problems)


def test_router_forgery_is_audited_with_the_page(app, clients, accounts):
    """The reported attack: a public viewer asks the router for /centres by `href`."""
    client, username = clients["public"], accounts["public"][0]
    output, spec = content_callbacks(app)[0]
    body = forgeries(output, spec, "/centres", "")["renamed-href"]
    r = client.post_callback(body)
    assert r.status_code == 403 and "centres-" not in r.get_data(as_text=True)
    from queries.db import owner

    with owner() as conn:
        details = conn.execute(text(
            "SELECT details FROM audit_log WHERE username = :u AND action = 'refused' "
            "ORDER BY audit_id DESC LIMIT 1"), {"u": username}).scalar_one()
    assert details["page"] == "/centres" and details["reason"] == "callback"


@pytest.mark.parametrize("inputs", [
    [],  # nothing where Dash expects the path
    [{"id": "_pages_location", "property": "pathname", "value": "/"}],  # one short
    [{"id": "_pages_location", "property": "pathname", "value": "/"}] * 3,  # one too many
    [{"id": "_pages_location", "property": "pathname", "value": ["/centres"]},
     {"id": "_pages_location", "property": "search", "value": ""}],  # not text
    [{"id": "_pages_location", "property": "pathname", "value": {"p": "/centres"}},
     {"id": "_pages_location", "property": "search", "value": ""}],
    ["/centres", ""],  # not objects
])
def test_router_requests_dash_cannot_map_are_refused(app, clients, inputs):
    body = page_body("/") | {"inputs": inputs}
    r = clients["public"].post_callback(body)
    assert r.status_code == 400, r.get_data(as_text=True)[:200]


def test_unknown_callback_output_is_refused(app, clients):
    body = page_body("/") | {"output": "..centres-x.children..._pages_store.data.."}
    assert clients["province"].post_callback(body).status_code == 400


def test_allowed_router_request_renders_the_page(app, clients):
    """The honest request still works (and is what the browser sends)."""
    r = clients["province"].post_callback(page_body("/centres"))
    assert r.status_code == 200 and "centres-" in json.dumps(r.get_json())
