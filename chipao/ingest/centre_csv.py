"""Centre files: reading and validating a CSV of tambon social-help centres (no SQL).

The format (docs/centres.md): one row per centre, header on line 1, columns

    code, name_th, name_en, tambon_pcode, lat, lon, opened_on, status, services

`code`, `name_th`, `tambon_pcode`, `lat` and `lon` are required; `services` is a list
separated by ';'. UTF-8 (with or without BOM) or TIS-620/Windows-874, detected as for
household files. Every row is checked; problems become rejects with the file's line
number (header = line 1), the column and the reason, like the household importer's.
Checks that need the store (the point lies in its tambon) are done by
queries.centres.import_centres, in the same report.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console

from chipao.domain.centres import CentreFileError, CentreReject, CentreRow, ParsedCentres
from chipao.domain.pcodes import TAMBON_RE
from chipao.ingest import reject_report
from chipao.ingest.household_csv import (
    ENCODING_LABEL,
    THAI_BBOX,
    HouseholdFileError,
    detect_encoding,
)
from queries import centres
from queries.db import owner

REQUIRED = ("code", "name_th", "tambon_pcode", "lat", "lon")
OPTIONAL = ("name_en", "opened_on", "status", "services")
ALIASES = {"latitude": "lat", "longitude": "lon", "lng": "lon", "tambon": "tambon_pcode",
           "pcode": "tambon_pcode", "opened": "opened_on", "name": "name_th"}
CODE_RE = re.compile(r"^[0-9A-Za-z._-]{1,40}$")
STATUS_WORDS = {
    "open": "open", "opened": "open", "เปิด": "open", "เปิดแล้ว": "open", "เปิดให้บริการ": "open",
    "planned": "planned", "plan": "planned", "แผน": "planned", "วางแผน": "planned",
    "อยู่ระหว่างวางแผน": "planned", "กำลังจัดตั้ง": "planned",
    "closed": "closed", "ปิด": "closed", "ปิดแล้ว": "closed", "ยุบ": "closed",
}
MAX_NAME = 200
MAX_SERVICE = 80
MAX_SHOWN = 40  # characters of a bad value quoted in a reason
BE_OFFSET = 543


def _show(value: str) -> str:
    return repr(value[:MAX_SHOWN])


def parse_date(value: str) -> dt.date:
    """YYYY-MM-DD or DD/MM/YYYY; a year from 2400 on is Buddhist era (พ.ศ.)."""
    value = value.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    if m:
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    else:
        m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
        if not m:
            raise ValueError("use YYYY-MM-DD or DD/MM/YYYY")
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    if year >= 2400:
        year -= BE_OFFSET
    return dt.date(year, month, day)  # ValueError for 31 February and the like


def _normalise_header(raw: list[str]) -> tuple[list[str], list[str]]:
    known = {c: c for c in (*REQUIRED, *OPTIONAL)}
    names, unknown = [], []
    for col in raw:
        key = col.strip().lstrip("\ufeff").lower()
        key = ALIASES.get(key, key)
        if key in known:
            names.append(key)
        else:
            names.append(col.strip())
            unknown.append(col.strip())
    seen: set[str] = set()
    dupes = [n for n in names if n in seen or seen.add(n)]
    if dupes:
        raise CentreFileError(f"column(s) appear twice in the header: {', '.join(dupes)}")
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise CentreFileError(
            f"required column(s) missing: {', '.join(missing)} (ไม่พบคอลัมน์ที่ต้องมี). "
            f"Expected {', '.join(REQUIRED)}; optional {', '.join(OPTIONAL)}")
    return names, unknown


def _tambon(value: str) -> str:
    """Spaces, lower case and the bare 6-digit DOPA code are forgiven."""
    v = value.strip().upper()
    return "TH" + v if re.fullmatch(r"[0-9]{6}", v) else v


def read_centre_csv(path: str | Path, tambons: Iterable[str],
                    today: dt.date | None = None) -> ParsedCentres:
    """Read and validate a centre file against the stored tambon P-codes."""
    data = Path(path).read_bytes()
    return parse_centre_bytes(data, tambons, today=today, source=str(path))


def parse_centre_bytes(data: bytes, tambons: Iterable[str], today: dt.date | None = None,
                       source: str = "") -> ParsedCentres:
    if not data.strip():
        raise CentreFileError("the file is empty")
    try:
        encoding = detect_encoding(data)
    except HouseholdFileError as err:
        raise CentreFileError(str(err)) from None
    text = data.decode(encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CentreFileError("the file has no header line") from None
    if not any(h.strip() for h in header):
        raise CentreFileError("the first line (the header) is blank")
    names, unknown = _normalise_header(header)
    known_tambons = frozenset(tambons)
    today = today or dt.date.today()
    parsed = ParsedCentres(rows=[], rejects=[], encoding=ENCODING_LABEL[encoding],
                           source=source)
    if unknown:
        parsed.warnings.append(f"unknown column(s) ignored: {', '.join(unknown)}")
    first_line_of: dict[str, int] = {}
    prev_end = reader.line_num
    for record in reader:
        line = prev_end + 1
        prev_end = reader.line_num
        if not record or all(not f.strip() for f in record):
            continue
        parsed.rows_read += 1
        if len(record) != len(names):
            parsed.rejects.append(CentreReject(
                line, "", "", f"wrong number of fields: {len(record)}, expected {len(names)} "
                              "(จำนวนช่องไม่ถูกต้อง)"))
            continue
        row, problems = _check_row(dict(zip(names, record, strict=True)), line,
                                   known_tambons, today)
        code = row.get("code", "")
        if code and not problems:
            if code in first_line_of:
                problems.append(("code", f"duplicate of line {first_line_of[code]}: centre "
                                         f"{code} appears twice (รหัสซ้ำ)"))
            else:
                first_line_of[code] = line
        if problems:
            parsed.rejects += [CentreReject(line, code, col, why) for col, why in problems]
        else:
            parsed.rows.append(CentreRow(line=line, **row))
    return parsed


def _check_row(raw: dict[str, str], line: int, tambons: frozenset[str],
               today: dt.date) -> tuple[dict, list[tuple[str, str]]]:
    """Typed values of one row and its problems as (column, reason)."""
    problems: list[tuple[str, str]] = []
    out: dict = {}

    code = raw["code"].strip()
    out["code"] = code
    if not code:
        problems.append(("code", "code is missing (ไม่มีรหัสศูนย์)"))
    elif not CODE_RE.match(code):
        problems.append(("code", f"code must be 1–40 letters, digits, '.', '_' or '-', "
                                 f"got {_show(code)}"))

    name_th = raw["name_th"].strip()
    out["name_th"] = name_th
    if not name_th:
        problems.append(("name_th", "name_th is missing (ไม่มีชื่อศูนย์)"))
    elif len(name_th) > MAX_NAME:
        problems.append(("name_th", f"name_th is longer than {MAX_NAME} characters"))
    name_en = raw.get("name_en", "").strip() or None
    if name_en and len(name_en) > MAX_NAME:
        problems.append(("name_en", f"name_en is longer than {MAX_NAME} characters"))
    out["name_en"] = name_en

    tambon = _tambon(raw["tambon_pcode"])
    out["tambon_pcode"] = tambon
    if not tambon:
        problems.append(("tambon_pcode", "tambon_pcode is missing (ไม่มีรหัสตำบล)"))
    elif not TAMBON_RE.match(tambon):
        problems.append(("tambon_pcode", f"not a tambon P-code (TH + 6 digits): "
                                         f"{_show(raw['tambon_pcode'])}"))
    elif tambon not in tambons:
        problems.append(("tambon_pcode", f"unknown tambon P-code {tambon} "
                                         "(ไม่พบรหัสตำบลในข้อมูลขอบเขต)"))

    coords = {}
    for col in ("lat", "lon"):
        value = raw[col].strip()
        if not value:
            problems.append((col, f"{col} is missing: a centre needs a location (ไม่มีพิกัด)"))
            continue
        try:
            coords[col] = float(value)
        except ValueError:
            problems.append((col, f"{col} is not a number: {_show(value)}"))
            continue
        if coords[col] != coords[col] or coords[col] in (float("inf"), float("-inf")):
            problems.append((col, f"{col} is not a number: {_show(value)}"))
            del coords[col]
    if len(coords) == 2:
        lat, lon = coords["lat"], coords["lon"]
        lat_min, lat_max, lon_min, lon_max = THAI_BBOX
        if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
            swapped = lat_min <= lon <= lat_max and lon_min <= lat <= lon_max
            hint = " — lat and lon look swapped" if swapped else ""
            problems.append(("lat", f"location {lat:.6f}, {lon:.6f} is outside Thailand "
                                    f"(lat {lat_min}–{lat_max}, lon {lon_min}–{lon_max}; "
                                    f"WGS84 degrees){hint}"))
    out["lat"], out["lon"] = coords.get("lat", 0.0), coords.get("lon", 0.0)

    status_raw = raw.get("status", "").strip()
    status = STATUS_WORDS.get(status_raw.lower(), None) if status_raw else "open"
    if status is None:
        problems.append(("status", f"status must be open, planned or closed "
                                   f"(เปิด / วางแผน / ปิด), got {_show(status_raw)}"))
    out["status"] = status or "open"

    opened_raw = raw.get("opened_on", "").strip()
    opened = None
    if opened_raw:
        try:
            opened = parse_date(opened_raw)
        except ValueError as err:
            problems.append(("opened_on", f"opened_on is not a date ({err}): {_show(opened_raw)}"))
        else:
            if opened.year < 1950:
                problems.append(("opened_on", f"opened_on {opened.isoformat()} is too early"))
            elif opened > today and status == "open":
                problems.append(("opened_on", f"an open centre cannot open in the future "
                                              f"({opened.isoformat()}); use status planned"))
    out["opened_on"] = opened

    services: list[str] = []
    for item in raw.get("services", "").split(";"):
        item = " ".join(item.split())
        if not item:
            continue
        if len(item) > MAX_SERVICE:
            problems.append(("services", f"service longer than {MAX_SERVICE} characters: "
                                         f"{_show(item)}"))
        elif item not in services:
            services.append(item)
    out["services"] = tuple(services)
    return out, problems


def write_reject_report(rejects: Iterable[CentreReject], path: str | Path) -> Path:
    return reject_report.write_reject_report(rejects, path, id_field="code")


def import_file(path: str | Path, accept_partial: bool = False,
                report_path: str | Path | None = None, refresh: bool = True):
    """Read, validate and load a centre file in one owner transaction, then refresh the
    coverage figures; prints progress. Returns queries.centres.CentreImportResult."""
    console = Console(stderr=True)
    path = Path(path)
    with console.status(f"importing {path.name}") as status, owner() as conn:
        tambons = centres.tambon_pcodes(conn)
        try:
            parsed = read_centre_csv(path, tambons)
        except CentreFileError as err:
            console.print(f"[red]refused:[/] {path}: {err}")
            return centres.CentreImportResult(loaded=False, refused=str(err))
        console.print(f"{path.name}: {parsed.rows_read:,} rows read, encoding {parsed.encoding}")
        for w in parsed.warnings:
            console.print(f"[yellow]warning:[/] {w}")
        status.update(f"{path.name}: loading")
        result = centres.import_centres(conn, parsed, accept_partial=accept_partial,
                                        refresh=refresh,
                                        progress=lambda msg: status.update(f"{path.name}: {msg}"))
    if result.rejects:
        report = write_reject_report(result.rejects, report_path or reject_report.default_report_path(path))
        console.print(f"[yellow]{result.rejected_rows:,} row(s) rejected[/] "
                      f"({len(result.rejects):,} problems): report written to {report}")
    console.print(result.summary())
    return result
