"""The household list and record pages through the real app: signed-in sessions,
Dash callback requests as the browser sends them (forged ones included), exports,
and headless Chromium from a list link to a household's record."""

from __future__ import annotations

import base64
import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from pages import household_ids as rec_ids
from pages import households_ids as hh_ids
from queries import aggregates
from queries.db import owner
from tests import factory
from tests.auth_helpers import client_for, create_user, login, page_body
from tests.factory import isolated_store

TAMBON, DISTRICT = "TH500101", "TH5001"


@pytest.fixture(scope="module")
def store(database):
    with isolated_store("chipao_test_hhp") as url:
        with owner() as conn:
            data = factory.households_build(conn, seed=11)
            aggregates.refresh(conn)  # the map page reads these
        yield {"url": url, **data}


@pytest.fixture(scope="module")
def app(store):
    from app import app as dash_app

    return dash_app


@pytest.fixture(scope="module")
def users(store):
    return {
        "tambon": create_user("tambon", areas=(TAMBON,)),
        "district": create_user("district", areas=(DISTRICT,)),
        "province10": create_user("province", areas=("TH10",)),
        "executive": create_user("executive"),
    }


def sql(query: str, **params):
    with owner() as conn:
        return conn.execute(text(query), params).scalar_one()


def _all(query: str, **params) -> list[tuple]:
    with owner() as conn:
        return [tuple(r) for r in conn.execute(text(query), params)]


def audit_rows(username: str, action: str) -> list[dict]:
    with owner() as conn:
        rows = conn.execute(text("SELECT action, target, details FROM audit_log WHERE "
                                 "username = :u AND action = :a ORDER BY audit_id"),
                            {"u": username, "a": action}).mappings()
        return [dict(r) for r in rows]


def render(client, pathname: str, search: str = "") -> str:
    response = client.post_callback(page_body(pathname + search))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return json.dumps(response.get_json(), ensure_ascii=False)


def get_rows(client, request: dict, query: dict):
    body = {
        "output": "..hh-grid.getRowsResponse...hh-count.children...hh-message.children..",
        "outputs": [{"id": hh_ids.GRID, "property": "getRowsResponse"},
                    {"id": hh_ids.COUNT, "property": "children"},
                    {"id": hh_ids.MESSAGE, "property": "children"}],
        "inputs": [{"id": hh_ids.GRID, "property": "getRowsRequest", "value": request}],
        "state": [{"id": hh_ids.QUERY, "property": "data", "value": query}],
        "changedPropIds": [f"{hh_ids.GRID}.getRowsRequest"],
    }
    response = client.post_callback(body)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def export(client, fmt: str, query: dict, request: dict | None = None):
    trigger = {"csv": hh_ids.EXPORT_CSV, "xlsx": hh_ids.EXPORT_XLSX}[fmt]
    body = {
        "output": "..hh-download.data...hh-export-msg.children..",
        "outputs": [{"id": hh_ids.DOWNLOAD, "property": "data"},
                    {"id": hh_ids.EXPORT_MSG, "property": "children"}],
        "inputs": [{"id": hh_ids.EXPORT_CSV, "property": "n_clicks",
                    "value": 1 if fmt == "csv" else None},
                   {"id": hh_ids.EXPORT_XLSX, "property": "n_clicks",
                    "value": 1 if fmt == "xlsx" else None}],
        "state": [{"id": hh_ids.QUERY, "property": "data", "value": query},
                  {"id": hh_ids.GRID, "property": "getRowsRequest", "value": request}],
        "changedPropIds": [f"{trigger}.n_clicks"],
    }
    response = client.post_callback(body)
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:500]
    return response.get_json()["response"] if response.status_code == 200 else {}


# ── the list ─────────────────────────────────────────────────────────────────
def test_list_page_and_rows_match_the_store(app, users):
    client = client_for(app.server, *users["district"])
    page = render(client, "/households", f"?area={DISTRICT}&dim=health")
    assert hh_ids.GRID in page and "รายการครัวเรือน" in page
    expected = sql("SELECT count(*) FROM household_round WHERE round_id = 2 "
                   "AND tambon_pcode LIKE 'TH5001%' AND dims_failed & 1 <> 0")
    out = get_rows(client, {"startRow": 0, "endRow": 100,
                            "sortModel": [{"colId": "score", "sort": "desc"}]},
                   {"area": DISTRICT, "dim": "health", "round": "2566"})
    rows = out[hh_ids.GRID]["getRowsResponse"]
    assert rows["rowCount"] == expected == len(rows["rowData"])
    scores = [float(r["score"]) for r in rows["rowData"]]
    assert scores == sorted(scores, reverse=True)
    assert all(r["house_id"].startswith("[5001") for r in rows["rowData"])
    assert out[hh_ids.COUNT]["children"] == f"{expected:,} ครัวเรือน"
    views = audit_rows(users["district"][0], "household_list")
    assert views and views[-1]["details"]["params"] == {"area": DISTRICT, "round": "2566",
                                                         "dim": "health"}


def test_pages_in_english_when_chosen(app, users):
    client = client_for(app.server, *users["tambon"])
    client.set_cookie("chipao_lang", "en")
    page = render(client, "/households", f"?area={TAMBON}")
    assert "Household list" in page and "Test tambon TH500101" in page
    assert "Basic Minimum Needs" in page  # the round's source, in English
    record = render(client, f"/households/{TAMBON[2:]}0003")
    assert "Family notebook" in record and "Indicator results by survey round" in record
    rows = get_rows(client, {"startRow": 0, "endRow": 5}, {"area": TAMBON})
    assert rows[hh_ids.COUNT]["children"] == f"{factory.PER_TAMBON} households"


def test_area_picker_lists_the_scope(app, users):
    client = client_for(app.server, *users["district"])
    page = render(client, "/households")
    for pcode in ("TH5001", "TH500101", "TH500102", "TH500103"):
        assert f"{hh_ids.PICK}{pcode}" in page
    assert f"{hh_ids.PICK}TH5002" not in page and f"{hh_ids.PICK}TH1001" not in page


def test_a_tambon_officer_with_one_tambon_lands_on_its_list(app, users):
    client = client_for(app.server, *users["tambon"])
    page = render(client, "/households")
    assert hh_ids.PICKER not in page and hh_ids.GRID in page
    assert TAMBON in page
    rows = get_rows(client, {"startRow": 0, "endRow": 5}, {"area": TAMBON})
    assert rows[hh_ids.COUNT]["children"].startswith(f"{factory.PER_TAMBON}")


def test_search_by_name_and_house_id(app, users):
    client = client_for(app.server, *users["district"])
    q = {"q": "สมชาย", "round": "2566"}
    rows = get_rows(client, {"startRow": 0, "endRow": 500}, q)[hh_ids.GRID]["getRowsResponse"]
    expected = sql("""SELECT count(*) FROM household_round r WHERE round_id = 2
        AND tambon_pcode LIKE 'TH5001%' AND EXISTS (SELECT 1 FROM member m
        WHERE m.house_id = r.house_id AND m.first_name || ' ' || m.last_name ILIKE '%สมชาย%')""")
    assert rows["rowCount"] == expected > 0
    assert audit_rows(users["district"][0], "household_search")[-1]["details"]["params"]["q"] == "สมชาย"
    rows = get_rows(client, {"startRow": 0, "endRow": 100},
                    {"q": "5001020", "round": "2566"})[hh_ids.GRID]["getRowsResponse"]
    assert rows["rowCount"] == factory.PER_TAMBON
    # Another province's houses are not found by a search over the scope.
    rows = get_rows(client, {"startRow": 0, "endRow": 100},
                    {"q": "1001", "round": "2566"})[hh_ids.GRID]["getRowsResponse"]
    assert rows["rowCount"] == 0


@pytest.mark.parametrize(("request_", "query"), [
    ({"startRow": 0, "endRow": 100, "sortModel": [{"colId": "national_id", "sort": "asc"}]},
     {"area": TAMBON}),
    ({"startRow": 0, "endRow": 100, "filterModel": {"house_id": {
        "filterType": "text", "type": "contains", "filter": "'; DROP TABLE member; --"}}},
     {"area": TAMBON}),
    ({"startRow": 0, "endRow": 100}, {"area": TAMBON, "dim": "health') OR (1=1"}),
    ({"startRow": 0, "endRow": 100}, {"area": "TH100101"}),  # another province's tambon
    ({"startRow": 0, "endRow": 100}, {"area": "TH500102"}),  # the neighbouring tambon
])
def test_forged_callback_payloads_are_refused_and_logged(app, users, request_, query):
    username, password = users["tambon"]
    client = client_for(app.server, username, password)
    before = len(audit_rows(username, "refused"))
    out = get_rows(client, request_, query)
    assert out[hh_ids.GRID]["getRowsResponse"] == {"rowData": [], "rowCount": 0}
    message = json.dumps(out[hh_ids.MESSAGE], ensure_ascii=False)
    assert "คำขอถูกปฏิเสธ" in message and hh_ids.REFUSED in message
    refused = audit_rows(username, "refused")
    assert len(refused) == before + 1
    assert refused[-1]["details"]["where"] == "households.get_rows"


def test_out_of_scope_list_page_is_refused(app, users):
    username, password = users["tambon"]
    client = client_for(app.server, username, password)
    before = len(audit_rows(username, "refused"))
    page = render(client, "/households", "?area=TH5002")
    assert hh_ids.REFUSED in page and "นอกขอบเขต" in page
    assert len(audit_rows(username, "refused")) == before + 1


def test_roles_without_records_cannot_call_the_list(app, users):
    client = client_for(app.server, *users["executive"])
    body = {"output": f"{hh_ids.COUNT}.children", "outputs": {"id": hh_ids.COUNT, "property": "children"},
            "inputs": [{"id": hh_ids.GRID, "property": "getRowsRequest",
                        "value": {"startRow": 0, "endRow": 10}}],
            "state": [{"id": hh_ids.QUERY, "property": "data", "value": {"area": TAMBON}}],
            "changedPropIds": []}
    assert client.post_callback(body).status_code == 403


# ── exports ──────────────────────────────────────────────────────────────────
def test_csv_export_matches_the_list_and_is_audited(app, users):
    username, password = users["district"]
    client = client_for(app.server, username, password)
    query = {"area": DISTRICT, "welfare": "yes", "round": "2566"}
    request = {"startRow": 0, "endRow": 100, "sortModel": [{"colId": "house_id", "sort": "asc"}],
               "filterModel": {"size": {"filterType": "number", "type": "greaterThan",
                                        "filter": 2}}}
    out = export(client, "csv", query, request)
    data = out[hh_ids.DOWNLOAD]["data"]
    assert data["filename"] == "households_TH5001_2566.csv"
    raw = base64.b64decode(data["content"])
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("รหัสบ้าน,รหัสตำบล,ตำบล,หมู่ที่,จำนวนสมาชิก,บัตรสวัสดิการ")
    expected = sql("SELECT count(*) FROM household_round WHERE round_id = 2 AND "
                   "tambon_pcode LIKE 'TH5001%' AND welfare_card AND size > 2")
    assert len(lines) - 1 == expected > 0
    ids = [line.split(",")[0] for line in lines[1:]]
    assert ids == sorted(ids)
    assert not re.search(r"\d{13}", raw.decode("utf-8-sig"))  # no national IDs
    logged = audit_rows(username, "export")[-1]
    assert logged["details"]["rows"] == expected and logged["details"]["format"] == "csv"
    assert logged["details"]["params"] == {"area": DISTRICT, "round": "2566", "welfare": "yes"}
    assert logged["details"]["filters"][0]["column"] == "size"


def test_xlsx_export_has_thai_headers_and_a_source_sheet(app, users):
    client = client_for(app.server, *users["tambon"])
    out = export(client, "xlsx", {"area": TAMBON, "round": "2566"}, None)
    wb = load_workbook(io.BytesIO(base64.b64decode(out[hh_ids.DOWNLOAD]["data"]["content"])))
    table = wb.worksheets[0]
    header = [c.value for c in next(table.iter_rows(max_row=1))]
    assert header[:3] == ["รหัสบ้าน", "รหัสตำบล", "ตำบล"] and "หัวหน้าครัวเรือน" in header
    assert table.max_row - 1 == factory.PER_TAMBON
    notes = dict((r[0].value, r[1].value) for r in wb.worksheets[1].iter_rows())
    assert notes["รอบการสำรวจ"] == "พ.ศ. 2566" and "จปฐ" in notes["ที่มา"]


def test_xlsx_source_sheet_reads_as_people_read_filters(app, users):
    """No URL parameters or Python reprs: area name, filters, sort in words."""
    client = client_for(app.server, *users["tambon"])
    last = {"sortModel": [{"colId": "score", "sort": "desc"}],
            "filterModel": {"size": {"filterType": "number", "type": "greaterThan", "filter": 2}}}
    out = export(client, "xlsx", {"area": TAMBON, "round": "2566", "dim": "income",
                                  "welfare": "yes"}, last)
    wb = load_workbook(io.BytesIO(base64.b64decode(out[hh_ids.DOWNLOAD]["data"]["content"])))
    rows = [(r[0].value, r[1].value) for r in wb.worksheets[1].iter_rows()]
    text_all = " ".join(f"{a} {b}" for a, b in rows)
    assert "area=" not in text_all and "{'" not in text_all and "round=" not in text_all
    notes = dict(rows)
    assert notes["พื้นที่"].endswith(f"({TAMBON})") and " / " in notes["พื้นที่"]
    assert notes["ขาดแคลนมิติ"] == "รายได้ / Income"
    assert notes["บัตรสวัสดิการแห่งรัฐ"] == "มี / Yes"
    assert notes["เรียงตาม"] == "คะแนน AF / AF score มาก → น้อย (high → low)"
    assert notes["ตัวกรองคอลัมน์: จำนวนสมาชิก / Members"] == "> 2"


def test_forged_export_is_refused(app, users):
    username, password = users["tambon"]
    client = client_for(app.server, username, password)
    before = len(audit_rows(username, "refused"))
    out = export(client, "csv", {"area": "TH5002", "round": "2566"})
    assert hh_ids.DOWNLOAD not in out
    assert "คำขอถูกปฏิเสธ" in json.dumps(out, ensure_ascii=False)
    assert len(audit_rows(username, "refused")) == before + 1
    assert audit_rows(username, "export") == [] or all(
        e["details"]["params"].get("area") != "TH5002" for e in audit_rows(username, "export"))


# ── the record ───────────────────────────────────────────────────────────────
def test_record_page_is_audited_once_per_view(app, users):
    username, password = users["tambon"]
    client = client_for(app.server, username, password)
    house = f"{TAMBON[2:]}0003"
    before = len(audit_rows(username, "household_view"))
    page = render(client, f"/households/{house}")
    assert "rec-house-id" in page and house in page and "rec-indicators" in page
    views = audit_rows(username, "household_view")
    assert len(views) == before + 1 and views[-1]["target"] == house
    # The masked national ID of the head shows its last 4 digits only.
    nid = sql("SELECT national_id FROM member WHERE house_id = :h AND seq = 1", h=house)
    assert f"•••••••••{nid[-4:]}" in page and nid not in page


@pytest.mark.parametrize("house", ["5001020001", "1001010001", "99999999", "x' OR 1=1"])
def test_record_out_of_scope_is_refused_and_logged(app, users, house):
    username, password = users["tambon"]
    client = client_for(app.server, username, password)
    before = len(audit_rows(username, "refused"))
    page = render(client, f"/households/{house}")
    assert rec_ids.REFUSED in page and "ไม่" in page
    assert rec_ids.MEMBERS not in page
    assert len(audit_rows(username, "refused")) == before + 1


def test_reveal_needs_a_reason_and_is_audited(app, users):
    username, password = users["tambon"]
    client = client_for(app.server, username, password)
    house = f"{TAMBON[2:]}0006"

    def call(reason):
        body = {"output": f"{rec_ids.REVEALED}.children",
                "outputs": {"id": rec_ids.REVEALED, "property": "children"},
                "inputs": [{"id": rec_ids.REVEAL_CONFIRM, "property": "n_clicks", "value": 1}],
                "state": [{"id": rec_ids.REVEAL_REASON, "property": "value", "value": reason},
                          {"id": rec_ids.HOUSE, "property": "data", "value": house}],
                "changedPropIds": [f"{rec_ids.REVEAL_CONFIRM}.n_clicks"]}
        return json.dumps(client.post_callback(body).get_json(), ensure_ascii=False)

    assert rec_ids.REVEAL_ERROR in call("")
    shown = call("เยี่ยมบ้านเพื่อจัดทำแผน")
    nid = sql("SELECT national_id FROM member WHERE house_id = :h AND seq = 1", h=house)
    assert nid in shown
    assert audit_rows(username, "reveal_identifier")[-1]["target"] == house


# ── headless Chromium ────────────────────────────────────────────────────────
@pytest.mark.browser
def test_browser_from_list_link_to_household_record(app, users, page, live_server):
    username, password = users["tambon"]
    login(page, live_server, username, password, next_path=f"/households?area={TAMBON}")
    page.wait_for_selector(f"#{hh_ids.GRID} .ag-row a", timeout=20_000)
    expected = factory.PER_TAMBON
    page.wait_for_function(
        f"() => document.querySelector('#{hh_ids.COUNT}').textContent.includes('{expected}')")
    # Filter by a dimension: the URL and the count follow.
    health = sql("SELECT count(*) FROM household_round WHERE round_id = 2 AND tambon_pcode = :t "
                 "AND dims_failed & 1 <> 0", t=TAMBON)
    page.click(f"#{hh_ids.DIM}")
    page.click("label.dash-dropdown-option:has(input[value='health'])")
    page.wait_for_url(re.compile(r"dim=health"), timeout=15_000)
    page.wait_for_function(
        f"() => document.querySelector('#{hh_ids.COUNT}') && "
        f"document.querySelector('#{hh_ids.COUNT}').textContent === '{health:,} ครัวเรือน'",
        timeout=15_000)
    link = page.locator(f"#{hh_ids.GRID} .ag-row a").first
    house = link.inner_text()
    link.click()
    page.wait_for_selector("#rec-house-id", timeout=20_000)
    assert page.inner_text("#rec-house-id") == house
    assert page.locator("#rec-indicators tr").count() > 17
    # filtered by a failed dimension: poor, said in words and in the colour-blind-safe
    # vermillion (not poor is blue), never red against green
    badge = page.locator("#rec-poor-badge")
    assert badge.inner_text() == "ยากจนตามเกณฑ์ TPMAP"
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(163, 58, 0)"
    assert page.locator("#rec-members-table tbody tr").count() == sql(
        "SELECT count(*) FROM member WHERE house_id = :h", h=house)
    assert audit_rows(username, "household_view")[-1]["target"] == house
    assert page.errors == [], "\n".join(page.errors)


@pytest.mark.browser
def test_browser_from_map_click_to_household_record(app, users, page, live_server):
    """The map's tambon panel links to the tambon's households (issue 4's path)."""
    username, password = users["tambon"]
    login(page, live_server, username, password, next_path=f"/map?area={TAMBON}")
    page.wait_for_selector("#map-households-link", timeout=30_000)
    page.click("#map-households-link")
    page.wait_for_url(re.compile(rf"/households\?area={TAMBON}"), timeout=15_000)
    page.wait_for_selector(f"#{hh_ids.GRID} .ag-row a", timeout=20_000)
    link = page.locator(f"#{hh_ids.GRID} .ag-row a").first
    house = link.inner_text()
    link.click()
    page.wait_for_selector("#rec-house-id", timeout=20_000)
    assert page.inner_text("#rec-house-id") == house
    assert audit_rows(username, "household_view")[-1]["target"] == house


@pytest.mark.browser
def test_print_gives_every_loaded_row_stamped_as_personal_data(app, users, page, live_server,
                                                                tmp_path):
    """Ctrl+P of a household list: a plain table of every row the grid loaded (the grid
    itself draws only the rows in view), no controls, and on every page the stamp that
    says what the list is, that it is personal data, who retrieved it; Thai in Sarabun."""
    import subprocess

    username, password = users["tambon"]
    login(page, live_server, username, password, next_path="/households")
    page.goto(f"{live_server}/households?area={TAMBON}&round=2566&dim=health")
    houses = {r[0] for r in _all(
        "SELECT house_id FROM household_round WHERE round_id = 2 AND tambon_pcode = :t "
        "AND dims_failed & 1 <> 0", t=TAMBON)}
    page.wait_for_function(
        f"() => document.querySelector('#{hh_ids.COUNT}') && "
        f"document.querySelector('#{hh_ids.COUNT}').textContent === '{len(houses):,} ครัวเรือน'")
    page.emulate_media(media="print")
    page.wait_for_selector(f"#{hh_ids.PRINT_TABLE}[data-rows='{len(houses)}']", state="attached")
    for hidden in (".shell-navbar", f"#{hh_ids.GRID}", f"#{hh_ids.FILTERS}",
                   f"#{hh_ids.EXPORT_CSV}", f"#{hh_ids.PRESENT}", f"#{hh_ids.RESET}"):
        assert not page.is_visible(hidden), hidden
    stamp = page.locator(f"#{hh_ids.PRINT_STAMP}")
    for words in ("ตำบลทดสอบ TH500101", "พ.ศ. 2566", "สุขภาพ", "ห้ามส่งต่อ", username):
        assert words in stamp.inner_text(), words
    pdf = tmp_path / "households.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert {h for h in houses if h in text} == houses  # every row, none cut off
    assert "รหัสบ้าน" in text and "มิติที่ขาดแคลน" in text  # the grid's column headers
    assert text.count("ห้ามส่งต่อ") >= text.count("\x0c") >= 1  # the stamp on every page
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True,
                           text=True).stdout
    assert "Sarabun" in fonts
    # what was printed had been served, and logged, as the list's rows
    served = audit_rows(username, "household_list")[-1]
    assert served["details"]["start"] == 0 and served["details"]["total"] == len(houses)
    assert page.errors == [], "\n".join(page.errors)


@pytest.mark.browser
def test_presentation_mode_shows_the_list_without_controls(app, users, page, live_server):
    username, password = users["tambon"]
    login(page, live_server, username, password, next_path=f"/households?area={TAMBON}")
    link = page.locator(f"#{hh_ids.PRESENT}")
    assert "present=1" in link.get_attribute("href")
    link.click()
    page.wait_for_function("() => document.documentElement.classList.contains('present')")
    page.wait_for_selector(f"#{hh_ids.GRID} .ag-row a", timeout=20_000)
    for hidden in (".shell-navbar", f"#{hh_ids.FILTERS}", f"#{hh_ids.EXPORT_CSV}",
                   f"#{hh_ids.Q}", f"#{hh_ids.PRESENT}"):
        assert not page.is_visible(hidden), hidden
    grid = page.locator(f"#{hh_ids.GRID}").bounding_box()
    assert grid["y"] + grid["height"] <= 768 + 1 and grid["height"] >= 450, grid
    assert page.errors == [], "\n".join(page.errors)
