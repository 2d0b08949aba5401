"""The /plans page: server-side render per role (with its time), callbacks (navigation,
exports, the status form), and a headless Chromium smoke test."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from components.i18n import fmt_date
from queries import plans
from queries.db import owner
from tests.auth_helpers import callback_body, client_for, create_user, login, page_body
from tests.factory import isolated_store, plans_areas, plans_build

AS_OF = plans.bangkok_today()


@pytest.fixture(scope="module")
def store(database):
    with isolated_store("chipao_test_plans_page") as url:
        with owner() as conn:
            plans_areas(conn)
            ids = plans_build(conn, AS_OF)
            plans.refresh_plans(conn, AS_OF)
        from geodata.serve import invalidate_geometry_cache

        invalidate_geometry_cache()
        yield {"url": url, **ids}
        invalidate_geometry_cache()


def _render(client, search: str) -> dict:
    response = client.post_callback(page_body(f"/plans{search}"))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()


def _ids(node, found=None) -> set:
    found = set() if found is None else found
    if isinstance(node, dict):
        if "id" in node.get("props", {}) and isinstance(node["props"]["id"], str):
            found.add(node["props"]["id"])
        for value in node.values():
            _ids(value, found)
    elif isinstance(node, list):
        for value in node:
            _ids(value, found)
    return found


def test_page_renders_for_each_role(store, app_server):
    executive = client_for(app_server, *create_user("executive"))
    officer = client_for(app_server, *create_user("tambon", areas=("TH100101",)))
    for client, search in ((executive, "?round=2565"), (executive, "?level=2&area=TH10&measure=done"),
                           (executive, "?area=TH100101&days=200"), (officer, "?round=2565&days=1")):
        payload = _render(client, search)
        ids = _ids(payload)
        assert {"plans-funnel", "plans-map", "plans-horizons", "plans-agency-matrix",
                "plans-steps-map", "plans-targets-table", "plans-stalled-areas"} <= ids, search
        text_dump = json.dumps(payload, ensure_ascii=False)
        assert fmt_date(AS_OF, "th") in text_dump  # every figure says as of when, in B.E.
    # household rows: the officer sees its tambon's, the executive none
    assert "plans-stalled-households" in _ids(_render(officer, "?round=2565&days=1"))
    assert "plans-stalled-households" not in _ids(_render(executive, "?round=2565"))


def test_bad_parameters_give_a_message(store, app_server):
    client = client_for(app_server, *create_user("executive"))
    payload = _render(client, "?area=XX&days=0")
    dump = json.dumps(payload, ensure_ascii=False)
    assert "area=" in dump and "days=" in dump and "plans-funnel" not in _ids(payload)


def test_navigation_callback(store, app_server):
    client = client_for(app_server, *create_user("executive"))
    body = callback_body("plans-nav", "search", inputs=[
        {"id": {"chipao_map": "event", "map": "plans-map"}, "property": "data",
         "value": {"kind": "click", "pcode": "TH10", "n": 1}},
        {"id": {"chipao_map": "event", "map": "plans-steps-map"}, "property": "data",
         "value": None},
        {"id": "plans-measure", "property": "value", "value": "plan"},
        {"id": "plans-days", "property": "value", "value": 30},
    ], state=[{"id": "plans-state", "property": "data",
               "value": {"level": "1", "measure": "plan", "round": "2565", "days": "30"}}])
    body["changedPropIds"] = ['{"chipao_map":"event","map":"plans-map"}.data']
    response = client.post_callback(body)
    assert response.status_code == 200
    search = response.get_json()["response"]["plans-nav"]["search"]
    assert "area=TH10" in search and "level=2" in search and "round=2565" in search


def test_household_export_is_scoped_and_audited(store, app_server):
    username, password = create_user("tambon", areas=("TH100101",))
    client = client_for(app_server, username, password)
    response = client.get("/export/plans/stalled_households.csv?level=1&area=TH&round=2565&days=1")
    assert response.status_code == 200
    content = response.get_data().decode("utf-8")
    assert content.startswith("\ufeffรหัสบ้าน,ตำบล")
    lines = content.strip().splitlines()[1:]
    with owner() as conn:
        tambon = conn.execute(text("SELECT name_th FROM area WHERE pcode = 'TH100101'")
                              ).scalar_one()
        row = conn.execute(text("SELECT details FROM audit_log WHERE action = 'export' "
                                "AND username = :u"), {"u": username}).scalar_one()
    assert lines and all(f",{tambon}," in line for line in lines)
    assert row["rows"] == len(lines) and row["what"] == "stalled_households"
    # an executive gets no household export
    executive = client_for(app_server, *create_user("executive"))
    assert executive.get("/export/plans/stalled_households.csv?round=2565").status_code == 403


def test_status_form_callback_refuses_and_saves(store, app_server):
    username, password = create_user("tambon", areas=("TH100101",))
    client = client_for(app_server, username, password)
    item = store["open_item"]

    def save(status: str, on: str, note: str = ""):
        ids = {k: {"type": f"plans-item-{k}", "item": item} for k in
               ("message", "summary", "status", "note", "save", "date-day", "date-month",
                "date-year")}
        outputs = [{"id": ids[k], "property": p} for k, p in (
            ("message", "children"), ("summary", "children"), ("status", "options"),
            ("status", "value"), ("note", "value"))]
        def key(o: dict) -> str:  # the renderer names pattern outputs by their wildcard
            wild = {**o["id"], "item": ["MATCH"]}
            return f"{json.dumps(wild, separators=(',', ':'), sort_keys=True)}.{o['property']}"

        body = {"output": ".." + "...".join(key(o) for o in outputs) + "..",
                "outputs": outputs,
                "inputs": [{"id": ids["save"], "property": "n_clicks", "value": 1}],
                "state": [{"id": ids["save"], "property": "id", "value": ids["save"]},
                          {"id": ids["status"], "property": "value", "value": status},
                          *({"id": ids[f"date-{part}"], "property": "value", "value": v}
                            for part, v in zip(("day", "month", "year"), on, strict=True)),
                          {"id": ids["note"], "property": "value", "value": note}],
                "changedPropIds": [json.dumps(ids["save"], separators=(",", ":"), sort_keys=True)
                                   + ".n_clicks"]}
        response = client.post_callback(body)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return json.dumps(response.get_json(), ensure_ascii=False)

    future = (AS_OF.toordinal() + 3)
    from datetime import date

    def parts(d: date) -> tuple[int, int, int]:
        return d.day, d.month, d.year

    refused = save("done", parts(date.fromordinal(future)))
    assert "อนาคต" in refused
    assert fmt_date(date.fromordinal(future), "th") in refused  # the date as the reader writes it
    assert "plans-item-date-invalid" not in refused
    assert "ไม่มีวันนี้" in save("done", (31, 2, AS_OF.year))  # 31 February: a message
    saved = save("in_progress", parts(AS_OF), "เริ่มแล้ว")
    assert "plans-item-saved" in saved
    # the form now stands on the saved status, so saving again changes nothing
    response = json.loads(saved)["response"]
    status = next(v for k, v in response.items() if "plans-item-status" in k)
    assert status["value"] == "in_progress", response
    assert "มีสถานะ" in save("in_progress", parts(AS_OF))
    with owner() as conn:
        assert conn.execute(text("SELECT status FROM plan_item WHERE item_id = :i"),
                            {"i": item}).scalar_one() == "in_progress"


@pytest.mark.browser
def test_browser_smoke(store, live_server, page):
    from playwright.sync_api import expect

    username, password = create_user("tambon", areas=("TH100101",))
    login(page, live_server, username, password, next_path="/plans?round=2565")
    page.goto(f"{live_server}/plans?round=2565&days=1")
    page.wait_for_selector("#plans-funnel .js-plotly-plot", timeout=20_000)
    page.wait_for_selector(".chipao-map[data-map-ready='1']:has(#plans-map)", timeout=20_000)
    page.wait_for_selector(".chipao-map[data-map-ready='1']:has(#plans-steps-map)")
    # every drawn area carries a colour (feature-state), the legend sits in the map's frame
    fills = page.evaluate("""() => { const m = window.chipaoMaps['plans-map'];
        return m.areas().map(p => (m.featureState(p) || {}).fill); }""")
    assert fills and all(fills)
    assert page.locator(".chipao-map:has(#plans-map) #plans-map-legend").count() == 1
    assert fmt_date(AS_OF, "th") in page.locator("#plans-as-of").inner_text()
    assert page.locator("#plans-stalled-households table tbody tr").count() >= 1
    page.get_by_label("ร้อยละรายการในแผนที่เสร็จ").check()
    page.wait_for_url("**measure=done**", timeout=10_000)
    expect(page.locator("#plans-map-legend")).to_contain_text("ร้อยละรายการในแผนที่เสร็จ",
                                                              timeout=10_000)
    # a household's items and the status form
    with owner() as conn:
        house = conn.execute(text("""SELECT house_id FROM plan_item WHERE tambon_pcode = 'TH100101'
                                     AND status = 'not_started' ORDER BY item_id DESC LIMIT 1""")
                             ).scalar_one()
    page.goto(f"{live_server}/plans/household?house={house}")
    expect(page.locator(".plans-item").first).to_be_visible(timeout=20_000)
    assert page.locator(".plans-item").count() >= 1
    assert page.errors == [], page.errors


def test_default_round_is_the_latest_and_a_fallback_says_so(store, app_server):
    """One rule on every page (queries/rounds.py): no ?round means the latest round; a
    round without plans shows the latest round with plans, says so, and neither
    redirects nor moves the header's round selector."""
    client = client_for(app_server, *create_user("executive"))
    with owner() as conn:
        conn.execute(text("INSERT INTO survey_round (round_id, year_be, label_th, label_en) "
                          "VALUES (3, 2567, 'รอบ 2567', 'Round 2567')"))
    try:
        payload = _render(client, "")
        ids = _ids(payload)
        dump = json.dumps(payload, ensure_ascii=False)
        assert "plans-default-round" not in ids  # no redirect to another round
        assert "plans-round-note" in ids and "plans-funnel" in ids
        assert "พ.ศ. 2567 ยังไม่มีแผนพัฒนาครัวเรือน — แสดง พ.ศ. 2566" in dump
        store_data = _find(payload, "plans-state")["props"]["data"]
        assert "round" not in store_data  # links keep the user's round (the latest)
        # a round with plans, asked for: no note
        assert "plans-round-note" not in _ids(_render(client, "?round=2565"))
    finally:
        with owner() as conn:
            conn.execute(text("DELETE FROM survey_round WHERE round_id = 3"))


def _find(node, wanted: str):
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == wanted:
            return node
        for value in node.values():
            found = _find(value, wanted)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _find(value, wanted)
            if found is not None:
                return found
    return None


@pytest.mark.browser
def test_plan_items_flow_from_the_notebook(store, live_server, page):
    """Notebook → item form → save "done" → the form stands on "done" (a second Save
    changes nothing) → back to the household; dates in B.E. with Thai month names."""
    from playwright.sync_api import expect

    username, password = create_user("tambon", areas=("TH100101",))
    with owner() as conn:
        house, item = conn.execute(text(
            """SELECT house_id, item_id FROM plan_item WHERE tambon_pcode = 'TH100101'
               AND status = 'in_progress' ORDER BY item_id LIMIT 1""")).one()
    login(page, live_server, username, password, next_path=f"/households/{house}")
    page.goto(f"{live_server}/households/{house}")
    link = page.locator(f"#rec-update-{item}")
    expect(link).to_be_visible(timeout=20_000)
    link.click()
    page.wait_for_url(f"**/plans/household?house={house}&item={item}", timeout=10_000)
    card = page.locator(".plans-item-chosen .plans-item")
    expect(card).to_be_visible(timeout=20_000)
    # the date selects show today in B.E. with a Thai month name
    expect(card.locator(".date-year")).to_contain_text(str(AS_OF.year + 543))
    expect(card.locator(".date-month")).to_contain_text(fmt_date(AS_OF, "th").split()[1])
    # choose "done" and save
    status = card.locator(".plans-item-status")
    status.click()
    page.click("label.dash-dropdown-option:has(input[value='done'])")
    card.get_by_role("button", name="บันทึก").click()
    expect(card.get_by_role("status")).to_contain_text("บันทึกแล้ว", timeout=10_000)
    expect(status).to_contain_text("เสร็จแล้ว (สถานะปัจจุบัน)")
    # saving again does not reopen the item
    card.get_by_role("button", name="บันทึก").click()
    expect(card.get_by_role("status")).to_contain_text("มีสถานะ", timeout=10_000)
    with owner() as conn:
        assert conn.execute(text("SELECT status FROM plan_item WHERE item_id = :i"),
                            {"i": item}).scalar_one() == "done"
    page.locator("#plans-household-back").click()
    page.wait_for_url(f"**/households/{house}", timeout=10_000)
    expect(page.locator(f"#rec-item-{item}")).to_contain_text("เสร็จสิ้น", timeout=20_000)


def test_a_committee_opens_at_its_own_area_and_may_zoom_out(store, app_server):
    client = client_for(app_server, *create_user("province", areas=("TH10",)))
    payload = _render(client, "?round=2565")
    assert _find(payload, "plans-state")["props"]["data"]["area"] == "TH10"
    crumbs = json.dumps(_find(payload, "plans-breadcrumb"), ensure_ascii=False)
    assert "area=TH&" in crumbs  # the country link says so (else it would open TH10 again)
    payload = _render(client, "?round=2565&area=TH")
    assert _find(payload, "plans-state")["props"]["data"]["area"] == "TH"
    # executives keep the national view
    payload = _render(client_for(app_server, *create_user("executive")), "?round=2565")
    assert _find(payload, "plans-state")["props"]["data"]["area"] == "TH"
