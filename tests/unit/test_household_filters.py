"""Household list and grid request parsing (forged parameters refused), the record's
rules and the export writers — no database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chipao.domain.household_filters import (
    ListParams,
    Refused,
    parse_grid_request,
    parse_list_params,
)
from chipao.domain.household_record import indicator_status, left_poverty
from queries import households as hh

TAMBON = "TH500101"






















# ── refusals ─────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("params", [
    {"area": "TH5001'; DROP TABLE household; --"},
    {"area": TAMBON, "dim": "health' OR '1'='1"},
    {"area": TAMBON, "ind": "H1; SELECT 1"},
    {"area": TAMBON, "k": "0.2 OR 1=1"},
    {"area": TAMBON, "plan": "done' --"},
    {"area": TAMBON, "visited": "maybe"},
    {"area": TAMBON, "q": "1' OR '1'='1"},
    {"area": TAMBON, "q": "x%"},
    {"area": TAMBON, "village": "1 OR 1=1"},
    {"area": TAMBON, "round": "2566; --"},
    {"area": ["TH500101"]},
    {"village": "1"},
])
def test_forged_list_parameters_are_refused(params):
    with pytest.raises(Refused):
        parse_list_params(params)


@pytest.mark.parametrize("request_", [
    {"startRow": 0, "endRow": 100, "sortModel": [{"colId": "first_name", "sort": "asc"}]},
    {"startRow": 0, "endRow": 100, "sortModel": [{"colId": "score; DROP TABLE x", "sort": "asc"}]},
    {"startRow": 0, "endRow": 100, "sortModel": [{"colId": "score", "sort": "asc, 1"}]},
    {"startRow": 0, "endRow": 100, "filterModel": {"national_id": {
        "filterType": "text", "type": "equals", "filter": "1"}}},
    {"startRow": 0, "endRow": 100, "filterModel": {"house_id": {
        "filterType": "text", "type": "contains", "filter": "1' OR '1'='1"}}},
    {"startRow": 0, "endRow": 100, "filterModel": {"size": {
        "filterType": "number", "type": "equals", "filter": "1; SELECT pg_sleep(5)"}}},
    {"startRow": 0, "endRow": 100, "filterModel": {"size": {
        "filterType": "number", "type": "blank"}}},
    {"startRow": 0, "endRow": 100000},
    {"startRow": -5, "endRow": 10},
    {"startRow": "0", "endRow": 100},
    "not a request",
])
def test_forged_grid_requests_are_refused(request_):
    with pytest.raises(Refused):
        parse_grid_request(request_)




def test_indicator_status_and_left_poverty_rules():
    row = {"failed": 0b0101, "not_applicable": 0b0010}
    assert [indicator_status(row, b) for b in range(4)] == ["failed", "na", "failed", "met"]
    assert left_poverty([{"failed": 3}, {"failed": 0}])
    assert not left_poverty([{"failed": 0}, {"failed": 0}])
    assert not left_poverty([{"failed": 0}])
    assert not left_poverty([{"failed": 0}, {"failed": 1}])


def test_plan_state_rule():
    assert hh.plan_state(0, 0, 0) == "none"
    assert hh.plan_state(2, 0, 0) == "not_started"
    assert hh.plan_state(1, 0, 1) == "in_progress"
    assert hh.plan_state(0, 1, 0) == "in_progress"
    assert hh.plan_state(0, 0, 3) == "done"


def test_params_round_trip():
    p = parse_list_params({"area": "th500101", "village": "2", "dim": "Health", "ind": "i3",
                           "k": "0.33", "plan": "DONE", "visited": "no", "welfare": "1",
                           "q": "  สมชาย   ใจดี ", "unknown": "ignored"})
    assert p == ListParams(area=TAMBON, village=2, dim="health", ind="I3", k=0.33, plan="done",
                           visited=False, welfare=True, q="สมชาย ใจดี")
    assert parse_list_params(p.as_params()) == p
    assert p.q_kind == "name" and replace(p, q="5001").q_kind == "house_id"


def test_exports_bom_thai_headers_and_no_formulas():
    from io import BytesIO

    from openpyxl import load_workbook

    from chipao.domain.exports import to_csv_bytes, to_xlsx_bytes

    cols = [("a", "รหัสบ้าน"), ("b", "หมายเหตุ")]
    rows = [{"a": "5001", "b": "=HYPERLINK(\"http://x\")"}, {"a": "-3", "b": None}]
    raw = to_csv_bytes(cols, rows)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines() == [
        "รหัสบ้าน,หมายเหตุ", "5001,\"'=HYPERLINK(\"\"http://x\"\")\"", "-3,"]
    sheet = load_workbook(BytesIO(to_xlsx_bytes(cols, rows))).worksheets[0]
    assert [c.value for c in sheet[1]] == ["รหัสบ้าน", "หมายเหตุ"]
    assert sheet["B2"].value.startswith("'=") and sheet["A3"].value == "-3"


