"""Every CSV writer escapes cells that start like a formula (CSV injection) and writes
UTF-8 with a BOM (Thai in Excel): the row writer of the page exports and the reject
report use the one module (chipao/domain/exports.py)."""

from __future__ import annotations

import csv
import io

from chipao.domain.exports import csv_text
from chipao.domain.households import Reject
from chipao.ingest.reject_report import write_reject_report


def _read(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_row_csv_escapes_formulas_and_keeps_numbers_and_thai():
    text = csv_text(["ชื่อ", "n"], [["=HYPERLINK(\"x\")", -3], ["@SUM(A1)", "-2.5"],
                                   ["สมชาย", None], ["+1+1", 4]])
    assert "\r\n" in text
    assert _read(text) == [["ชื่อ", "n"], ["'=HYPERLINK(\"x\")", "-3"], ["'@SUM(A1)", "-2.5"],
                           ["สมชาย", ""], ["'+1+1", "4"]]


def test_reject_report_escapes_the_bad_values_it_quotes(tmp_path):
    path = write_reject_report([Reject(2, "=1+2", "house_id", "4–20 letters or digits")],
                               tmp_path / "r.csv", id_field="house_id")
    rows = _read(path.read_text(encoding="utf-8"))
    assert rows == [["line", "house_id", "column", "reason"],
                    ["2", "'=1+2", "house_id", "4–20 letters or digits"]]
