"""Writing tables to files people open in Excel — the one home of CSV/XLSX writing:
CSV in UTF-8 with a byte-order mark (so Excel on Windows reads Thai correctly) and XLSX
via openpyxl, both with the column names given (Thai for the household exports). Every
writer escapes cells that start like a formula (CSV injection). No SQL here."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

BOM = "\ufeff"
# Cells that start like a formula are shown as text in spreadsheets (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Column = tuple[str, str]  # (key in the row dict, header)


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class _Rows:
    """A csv.writer whose every cell goes through the formula escape."""

    def __init__(self, out) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n")

    def writerow(self, values: Iterable[Any]) -> None:
        self._writer.writerow([_cell(v) for v in values])


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text (BOM first, CRLF line ends) of a header and rows of plain values;
    values are written as csv does (None empty), formula-like cells escaped."""
    buf = io.StringIO()
    buf.write(BOM)
    writer = _Rows(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return buf.getvalue()


def write_csv_file(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """csv_text written to a file (UTF-8 with BOM)."""
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = _Rows(f)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
    return path


def to_csv_bytes(columns: Sequence[Column], rows: Iterable[dict[str, Any]]) -> bytes:
    """CSV with a header row, UTF-8 with BOM, CRLF line ends (RFC 4180)."""
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([header for _, header in columns])
    for row in rows:
        writer.writerow([_text(_cell(row.get(key))) for key, _ in columns])
    return buf.getvalue().encode("utf-8")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))
    return str(value)


def to_xlsx_bytes(columns: Sequence[Column], rows: Iterable[dict[str, Any]],
                  sheet_title: str = "data", notes: Sequence[tuple[str, str]] = ()) -> bytes:
    """An XLSX workbook: the table on the first sheet (bold header, frozen first row)
    and, when given, a second sheet of (label, value) notes saying what the table is."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title[:31])
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for _, title in columns:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in rows:
        ws.append([_xlsx_value(_cell(row.get(key))) for key, _ in columns])
    if notes:
        info = wb.create_sheet("ที่มา (source)")
        for label, value in notes:
            info.append([label, value])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date | int | float | str) or value is None:
        return value
    return str(value)
