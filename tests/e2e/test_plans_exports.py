"""Downloads of /plans (pages/plans_exports.py): every plan table as CSV and XLSX equals
the table or chart the page shows for the same view; XLSX has the filter sheet; personal
rows only for record roles; every download audited; charts carry title and source and
are named after what they show; the map's print image is a real picture."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from components.i18n import fmt_date
from queries import plans
from queries.db import owner
from tests.auth_helpers import client_for, create_user
from tests.e2e.test_plans_page import _render
from tests.factory import isolated_store, plans_areas, plans_build

AS_OF = plans.bangkok_today()
VIEW = "?round=2565&days=1&level=1&area=TH"


@pytest.fixture(scope="module")
def store(database):
    with isolated_store("chipao_test_plans_exports") as url:
        with owner() as conn:
            plans_areas(conn)
            plans_build(conn, AS_OF)
            plans.refresh_plans(conn, AS_OF)
        from geodata.serve import invalidate_geometry_cache

        invalidate_geometry_cache()
        yield url
        invalidate_geometry_cache()


def _node(tree, node_id):
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == node_id:
            return tree
        for v in tree.values():
            found = _node(v, node_id)
            if found is not None:
                return found
    elif isinstance(tree, list):
        for v in tree:
            found = _node(v, node_id)
            if found is not None:
                return found
    return None


def _text(node) -> str:
    if node is None:
        return ""
    if isinstance(node, str | int | float):
        return str(node)
    if isinstance(node, list):
        return "".join(_text(n) for n in node)
    return _text(node.get("props", {}).get("children"))


def _body_rows(table) -> list[list[str]]:
    """The cell texts of every body row of a table shown on the page."""
    rows = []

    def walk(n):
        if isinstance(n, dict):
            if n.get("type") == "Tbody":
                for tr in n["props"]["children"]:
                    tds = tr["props"]["children"]
                    rows.append([_text(td) for td in tds if td is not None])
                return
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)
    walk(table)
    return rows


def _norm(value: str) -> str:
    value = str(value).strip().replace(",", "")
    value = "" if value in ("–", "-") else value.removesuffix("%")
    try:
        return str(float(value))  # 40 in the file is the page's 40.0%
    except ValueError:
        return value


def _csv(client, table: str, view: str = VIEW) -> list[list[str]]:
    response = client.get(f"/export/plans/{table}.csv{view}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # BOM: Excel reads the Thai
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_tables_equal_what_the_page_shows(store, app_server):
    officer = client_for(app_server, *create_user("tambon", areas=("TH100101",)))
    page = _render(officer, VIEW)
    for table, node_id, skip_pcode in (("horizons", "plans-horizon-table", False),
                                       ("agencies", "plans-agency-table", False),
                                       ("targets", "plans-targets-table", True),
                                       ("stalled_areas", "plans-stalled-areas", True),
                                       ("stalled_households", "plans-stalled-households", False)):
        shown = _body_rows(_node(page, node_id))
        rows = _csv(officer, table)
        header, body = rows[0], rows[1:]
        assert header[0 if not skip_pcode else 1] in json.dumps(page, ensure_ascii=False)
        assert shown, table
        got = [[_norm(c) for c in (r[1:] if skip_pcode else r)] for r in body]
        assert got == [[_norm(c) for c in r] for r in shown], table
    # the funnel and the agency × needs matrix are charts: rows equal their traces
    funnel = _node(page, "plans-funnel")["props"]["figure"]["data"][0]
    rows = _csv(officer, "funnel")[1:]
    assert [r[0] for r in rows] == funnel["y"]
    assert [int(r[1]) for r in rows] == funnel["x"]
    heat = _node(page, "plans-agency-matrix")["props"]["figure"]["data"][0]
    shown_cells = {(y, x) for y, row in zip(heat["y"], heat["z"], strict=True)
                   for x, z in zip(heat["x"], row, strict=True) if z is not None}
    rows = _csv(officer, "agency_matrix")[1:]
    assert {(r[0], r[1]) for r in rows} == shown_cells and rows
    steps = _node(page, "plans-steps-matrix")["props"]["figure"]["data"][0]
    rows = _csv(officer, "steps")[1:]
    assert len(rows) == len(steps["y"]) * len(steps["x"])
    assert [r[1] for r in rows[::len(steps["x"])]] == steps["y"]


def test_xlsx_has_the_filter_sheet_and_dates_as_shown(store, app_server):
    officer = client_for(app_server, *create_user("tambon", areas=("TH100101",)))
    response = officer.get(f"/export/plans/stalled_households.xlsx{VIEW}")
    assert response.status_code == 200
    name = unquote(response.headers["Content-Disposition"].split("UTF-8''")[1])
    assert name.endswith("-2565-ครัวเรือนงานหยุดนิ่ง.xlsx"), name
    book = load_workbook(io.BytesIO(response.get_data()))
    assert len(book.sheetnames) == 2
    notes = dict(book.worksheets[1].iter_rows(values_only=True))
    values = list(notes.values())
    assert any("2565" in str(v) for v in values)
    assert fmt_date(AS_OF, "th") in values  # the data date, as the page says it
    assert any(str(v).startswith("ไม่เคลื่อนไหว") for v in notes)  # the idle-days filter
    sheet = list(book.worksheets[0].iter_rows(values_only=True))
    assert sheet[0][0] == "รหัสบ้าน" and len(sheet) > 1
    # dates as the page shows them (Buddhist era)
    assert all(str(r[5]).split()[-1].isdigit() and int(str(r[5]).split()[-1]) > 2500
               for r in sheet[1:] if r[5] not in (None, "–"))


def test_roles_and_audit(store, app_server):
    executive = client_for(app_server, *create_user("executive"))
    assert executive.get(f"/export/plans/funnel.xlsx{VIEW}").status_code == 200
    # no personal rows for a role without records: refused and the refusal audited
    assert executive.get(f"/export/plans/stalled_households.csv{VIEW}").status_code == 403
    admin_user = create_user("admin")
    admin = client_for(app_server, *admin_user)
    assert admin.get(f"/export/plans/funnel.csv{VIEW}").status_code == 403
    with owner() as conn:
        refused = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'refused' "
                                    "AND username = :u AND target LIKE '/export/plans/%'"),
                               {"u": admin_user[0]}).scalar_one()
        exports = conn.execute(text("SELECT target, details FROM audit_log WHERE "
                                    "action = 'export' AND target = 'plans:funnel'")).all()
    assert refused == 1 and exports and exports[-1].details["format"] in ("xlsx", "csv")
    assert executive.get(f"/export/plans/nothing.csv{VIEW}").status_code == 404
    assert executive.get("/export/plans/funnel.csv?days=0").status_code == 400


def test_suppressed_counts_stay_withheld(store):
    """A scope that suppresses small counts gets the withheld mark, never the count."""
    from chipao.domain.planstate import parse_state
    from chipao.domain.scope import PUBLIC
    from pages import plans as page
    from pages import plans_exports as ex
    from queries.db import scoped

    state = parse_state({"round": "2565", "days": "1", "level": "1"})
    with scoped(PUBLIC) as conn:
        data = page.load_data(conn, PUBLIC, state, "th")
    seen = [v for name in ("funnel", "horizons", "stalled_areas", "targets")
            for r in ex.TABLES[name](state, data, "th").rows for v in r.values()]
    assert all(not (isinstance(v, int) and 0 < v < 5) for v in seen)
    assert "<5" in seen


def test_map_images_and_chart_names(store, app_server):
    officer = client_for(app_server, *create_user("tambon", areas=("TH100101",)))
    page = _render(officer, VIEW)
    for fmt in ("png", "svg"):
        response = officer.get(f"/export/plans/map.{fmt}{VIEW}")
        assert response.status_code == 200
        name = unquote(response.headers["Content-Disposition"].split("UTF-8''")[1])
        assert name.startswith("ประเทศไทย-2565-") and name.endswith(f".{fmt}"), name
    png = officer.get(f"/export/plans/map.png{VIEW}&map=steps&purpose=print").get_data()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    graph = _node(page, "plans-funnel")["props"]
    name = graph["config"]["toImageButtonOptions"]["filename"]
    assert name == "ประเทศไทย-2565-ลำดับขั้นการช่วยเหลือครัวเรือนเป้าหมาย", name
    title = graph["figure"]["layout"]["title"]["text"]
    assert "2565" in title and "ที่มา" in title  # round and source inside the figure
    buttons = _node(page, "plans-funnel-png")["props"]
    assert buttons["data-filename"] == name and buttons["data-format"] == "png"
