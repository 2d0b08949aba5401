"""Household survey files: encoding detection, parsing and row validation.

Pure Python/pandas (no SQL). The format is documented in docs/household-csv.md: one
row per household per survey round; the indicator columns are the codes of the
catalogue stored in the database, passed in as a `Catalogue`.

Validation works on whole columns (vectorised), so a file of millions of rows is
checked in seconds; only the rejected rows are looked at one by one, to word their
reasons. Line numbers are the file's own (header = line 1).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console

from chipao.domain.households import (
    Catalogue,
    HouseholdFileError,
    ParsedFile,
    Reject,
)
from chipao.domain.pcodes import TAMBON_PATTERN
from chipao.ingest import reject_report
from queries import households_load
from queries.db import owner

REQUIRED = ("house_id", "tambon_pcode", "village_no", "survey_year", "household_size")
OPTIONAL = ("welfare_card", "lat", "lon", "programme_target")
# Tokens that mean "not applicable" in an indicator column (compared case-insensitively).
NA_TOKENS = ("", "NA", "N/A", "-")
# lat_min, lat_max, lon_min, lon_max: Thailand's bounding box
THAI_BBOX = (5.5, 20.6, 97.3, 105.7)
HOUSE_ID_PATTERN = r"[0-9A-Za-z-]{4,20}"
MAX_REPORTED_VALUE = 40  # characters of a bad value quoted in a reason
SCAN_CHUNK = 1 << 24  # bytes per step when scanning a file


# ── encoding ─────────────────────────────────────────────────────────────────
def detect_encoding(data: bytes) -> str:
    """'utf-8-sig', 'utf-8' or 'cp874' (TIS-620 / Windows-874).

    Strict UTF-8 first (a Thai UTF-8 file never decodes by accident as cp874 text that
    passes the check below, and the reverse is vanishingly rare); otherwise the bytes
    must decode as cp874 and their non-ASCII characters must be mostly Thai letters.
    """
    if data.startswith(codecs.BOM_UTF8):
        _check_decodes(data[3:], "utf-8", "UTF-8 (with BOM)")
        return "utf-8-sig"
    try:
        _check_decodes(data, "utf-8", "UTF-8")
        return "utf-8"
    except HouseholdFileError:
        pass
    try:
        _check_decodes(data, "cp874", "Windows-874")
    except HouseholdFileError:
        raise HouseholdFileError(
            "the file is neither UTF-8 nor TIS-620/Windows-874 text; save it as "
            "'CSV UTF-8' (ไฟล์ต้องเป็น UTF-8 หรือ TIS-620)"
        ) from None
    high = np.frombuffer(data, dtype=np.uint8)
    high = high[high >= 0x80]
    # Thai letters, vowels, tone marks and digits: 0xA1–0xFB in TIS-620 / cp874
    thai_share = float(np.mean((high >= 0xA1) & (high <= 0xFB))) if high.size else 1.0
    if thai_share < 0.8:
        raise HouseholdFileError(
            "the file is not UTF-8 and does not look like Thai TIS-620/Windows-874 text "
            f"(only {thai_share:.0%} of its non-ASCII bytes are Thai characters)"
        )
    return "cp874"


def _check_decodes(data: bytes, codec: str, label: str) -> None:
    decoder = codecs.getincrementaldecoder(codec)("strict")
    try:
        for start in range(0, len(data), SCAN_CHUNK):
            decoder.decode(data[start:start + SCAN_CHUNK], final=False)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise HouseholdFileError(f"not valid {label}: {exc.reason}") from None


ENCODING_LABEL = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "cp874": "TIS-620/Windows-874"}


# ── lines and fields ─────────────────────────────────────────────────────────
@dataclass
class _Layout:
    header: list[str]
    record_lines: np.ndarray  # line number of every good record, in order
    bad: list[tuple[int, int]]  # (line, number of fields) with the wrong field count
    skip: list[int]  # 0-based physical lines for pandas to skip (bad and blank)
    quoted: bool  # the file uses quotes: records are read with the csv module


def _scan_unquoted(data: bytes, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Per physical line from `start`: number of commas and content length (no CR/LF)."""
    commas, lengths = [], []
    pos, carry_commas, line_start = start, 0, start
    n = len(data)
    while pos < n:
        end = min(n, pos + SCAN_CHUNK)
        chunk = np.frombuffer(data, dtype=np.uint8, count=end - pos, offset=pos)
        nl = np.flatnonzero(chunk == 10)
        comma_pos = np.flatnonzero(chunk == 44)
        if nl.size:
            per_line = np.diff(np.searchsorted(comma_pos, nl, side="left"), prepend=0)
            per_line[0] += carry_commas
            commas.append(per_line)
            ends = nl + pos
            starts = np.concatenate(([line_start], ends[:-1] + 1))
            length = ends - starts
            has_cr = np.zeros(len(ends), dtype=bool)
            nonempty = length > 0
            has_cr[nonempty] = np.frombuffer(data, dtype=np.uint8)[ends[nonempty] - 1] == 13
            lengths.append(length - has_cr)
            carry_commas = int(comma_pos.size - np.searchsorted(comma_pos, nl[-1]))
            line_start = int(ends[-1]) + 1
        else:
            carry_commas += int(comma_pos.size)
        pos = end
    if line_start < n:  # last line without a newline
        tail = data[line_start:].rstrip(b"\r")
        commas.append(np.array([carry_commas]))
        lengths.append(np.array([len(tail)]))
    if not commas:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(commas), np.concatenate(lengths)


def _layout(data: bytes, encoding: str) -> _Layout:
    body_start = 3 if encoding == "utf-8-sig" else 0
    first_nl = data.find(b"\n", body_start)
    header_bytes = data[body_start:] if first_nl < 0 else data[body_start:first_nl]
    header_text = header_bytes.decode("cp874" if encoding == "cp874" else "utf-8").strip("\r")
    if not header_text.strip():
        raise HouseholdFileError("the file is empty or its first line (the header) is blank")
    header = next(csv.reader([header_text]))
    n_fields = len(header)
    quoted = b'"' in data
    if not quoted:
        commas, lengths = _scan_unquoted(data, body_start if first_nl < 0 else first_nl + 1)
        commas, lengths = commas.astype(np.int64), lengths.astype(np.int64)
        if first_nl < 0:
            commas, lengths = commas[:0], lengths[:0]
        line_no = np.arange(2, 2 + len(commas))
        blank = lengths == 0
        bad = ~blank & (commas + 1 != n_fields)
        good = ~blank & ~bad
        return _Layout(
            header=header,
            record_lines=line_no[good],
            bad=list(zip(line_no[bad].tolist(), (commas[bad] + 1).tolist(), strict=True)),
            skip=(line_no[blank | bad] - 1).tolist(),
            quoted=False,
        )
    # Quoted fields may hold commas and newlines: let the csv module find the records.
    return _Layout(header=header, record_lines=np.zeros(0, dtype=np.int64), bad=[], skip=[],
                   quoted=True)


def _read_quoted(data: bytes, encoding: str, header: list[str],
                 usecols: list[int]) -> tuple[pd.DataFrame, np.ndarray, list[tuple[int, int]]]:
    text = data.decode(encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    rows, lines, bad = [], [], []
    n_fields = len(header)
    prev_end = reader.line_num
    for rec in reader:
        line = prev_end + 1
        prev_end = reader.line_num
        if not any(field.strip() for field in rec):  # blank line, or only empty cells
            continue
        if len(rec) != n_fields:
            bad.append((line, len(rec)))
            continue
        rows.append([rec[i] for i in usecols])
        lines.append(line)
    frame = pd.DataFrame(rows, columns=[header[i] for i in usecols], dtype=object)
    return frame, np.asarray(lines, dtype=np.int64), bad


# ── reading a file ───────────────────────────────────────────────────────────
def _normalise_header(raw: list[str], catalogue: Catalogue) -> tuple[list[str], list[str]]:
    """Known columns in their canonical spelling; unknown ones kept as they are."""
    fixed = {c: c for c in (*REQUIRED, *OPTIONAL)}
    codes = {c.upper(): c for c in catalogue.codes}
    names, unknown = [], []
    for col in raw:
        key = col.strip().lstrip("\ufeff")
        if key.lower() in fixed:
            names.append(fixed[key.lower()])
        elif key.upper() in codes:
            names.append(codes[key.upper()])
        else:
            while key in names:  # unknown columns are ignored; just keep names unique
                key += "_"
            names.append(key)
            unknown.append(key)
    seen: set[str] = set()
    dupes = [n for n in names if n in seen or seen.add(n)]
    if dupes:
        raise HouseholdFileError(f"column(s) appear twice in the header: {', '.join(dupes)}")
    missing = [c for c in (*REQUIRED, *catalogue.codes) if c not in names]
    if missing:
        raise HouseholdFileError(
            f"required column(s) missing: {', '.join(missing)} (ไม่พบคอลัมน์ที่ต้องมี). "
            f"Expected {', '.join(REQUIRED)}, optional {', '.join(OPTIONAL)}, then one column "
            f"per indicator: {', '.join(catalogue.codes)}"
        )
    return names, unknown


def read_household_csv(path: str | Path, catalogue: Catalogue,
                       status: Callable[[str], None] | None = None) -> ParsedFile:
    """Read, decode and validate a household file. Raises HouseholdFileError when the
    whole file is refused; row problems become `Reject`s in the result."""
    say = status or (lambda _msg: None)
    data = Path(path).read_bytes()
    if not data.strip():
        raise HouseholdFileError("the file is empty")
    say("detecting the encoding")
    encoding = detect_encoding(data)
    layout = _layout(data, encoding)
    names, unknown = _normalise_header(layout.header, catalogue)
    warnings = []
    if unknown:
        shown = [u.rstrip("_") or "(unnamed)" for u in unknown]
        warnings.append(f"unknown column(s) ignored: {', '.join(shown)}")
    known = [i for i, n in enumerate(names) if n not in unknown]
    say("reading rows")
    if layout.quoted:
        frame, lines, bad = _read_quoted(data, encoding, names, known)
    else:
        frame = pd.read_csv(
            io.BytesIO(data), encoding=encoding, header=0, names=names,
            usecols=[names[i] for i in known], skiprows=layout.skip,
            dtype={c: str for c in ("house_id", "tambon_pcode") if c in names},
            na_values={c: ([""] if c in ("house_id", "tambon_pcode")
                           else [*NA_TOKENS, "na", "n/a", "Na", "N/a"])
                       for c in names if c not in unknown},
            keep_default_na=False, skip_blank_lines=False, engine="c", low_memory=False,
        )
        lines, bad = layout.record_lines, layout.bad
        if len(frame) != len(lines):  # cannot happen without quotes; be safe anyway
            frame, lines, bad = _read_quoted(data, encoding, names, known)
    # Spreadsheet exports may end with rows of empty cells: skip them like blank lines.
    empty = frame.isna().all(axis=1).to_numpy()
    if empty.any():
        frame, lines = frame.loc[~empty].reset_index(drop=True), lines[~empty]
    last_line = _last_line(data)
    line_rejects = [Reject(line, "", "", _field_count_reason(n, len(names), line == last_line))
                    for line, n in bad]
    say("validating rows")
    parsed = validate_frame(frame, catalogue, lines=lines, encoding=ENCODING_LABEL[encoding],
                            source=str(path))
    parsed.rejects = sorted(line_rejects + parsed.rejects, key=lambda r: r.line)
    parsed.rows_read += len(bad)
    parsed.warnings = warnings + parsed.warnings
    return parsed


def _last_line(data: bytes) -> int:
    body = data.rstrip(b"\r\n")
    return body.count(b"\n") + 1


def _field_count_reason(found: int, expected: int, last: bool) -> str:
    if last and found < expected:
        return (f"last line is incomplete (file truncated?): {found} of {expected} fields "
                "(บรรทัดสุดท้ายไม่ครบ)")
    return f"wrong number of fields: {found}, expected {expected} (จำนวนช่องไม่ถูกต้อง)"


# ── validation (vectorised) ──────────────────────────────────────────────────
class _Checks:
    """Collects per-row problems as boolean masks with a reason builder each."""

    def __init__(self, frame: pd.DataFrame, lines: np.ndarray, house_at: Callable[[int], str]):
        self.frame, self.lines, self.house_at = frame, lines, house_at
        self.bad = np.zeros(len(frame), dtype=bool)
        self.rejects: list[Reject] = []

    def add(self, mask: np.ndarray, column: str, reason: Callable[[int], str]) -> None:
        idx = np.flatnonzero(mask)
        if not idx.size:
            return
        self.bad[idx] = True
        for i in idx.tolist():
            self.rejects.append(Reject(int(self.lines[i]), self.house_at(i), column, reason(i)))


def _show(value: object) -> str:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return repr(text[:MAX_REPORTED_VALUE])


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series)


def _text(series: pd.Series) -> np.ndarray:
    """Object array of strings, '' where missing (not stripped); a writable copy."""
    return np.array(series.astype(object).to_numpy(dtype=object, na_value=""), dtype=object)


def _stripped(values: np.ndarray) -> np.ndarray:
    return pd.Series(values, dtype=object).str.strip().to_numpy(dtype=object)


def _keyed(series: pd.Series, normalise: Callable[[pd.Series], pd.Series]
           ) -> tuple[np.ndarray, pd.Index]:
    """(int32 code per row, distinct normalised values) of a text column. Each distinct
    value is normalised and checked once, however many rows repeat it."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy().astype(np.int64)
        uniques = np.asarray(series.cat.categories, dtype=object)
    else:
        codes, uniques = pd.factorize(series.to_numpy(dtype=object, na_value=""))
    if (codes < 0).any() or not len(uniques):  # missing cells: the empty string
        uniques = np.append(uniques, "").astype(object)
        codes = np.where(codes < 0, len(uniques) - 1, codes)
    norm = normalise(pd.Series(uniques, dtype=object).astype(str).str.strip())
    remap, names = pd.factorize(norm.to_numpy(dtype=object))
    return remap[codes].astype(np.int32), pd.Index(names, dtype=object)


def _tambon_spelling(values: pd.Series) -> pd.Series:
    """Upper case; the bare 6-digit DOPA code gets its 'TH'."""
    upper = values.str.upper()
    return upper.where(~upper.str.fullmatch(r"[0-9]{6}"), "TH" + upper)


def _numeric(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(float values with NaN where missing or unreadable, mask of missing cells)."""
    if _is_numeric(series):
        values = np.array(series.to_numpy(dtype=np.float64, na_value=np.nan))  # own copy
        return values, np.isnan(values)
    text = pd.Series(_stripped(_text(series)), dtype=object)
    missing = text.str.upper().isin(NA_TOKENS).to_numpy()
    values = pd.to_numeric(text.where(~missing, None), errors="coerce")
    return np.array(values.to_numpy(dtype=np.float64, na_value=np.nan)), missing


def _integers(checks: _Checks, col: str, lo: int, hi: int, what: str) -> np.ndarray:
    """int16 values (0 where bad) after rejecting missing, fractional or out-of-range ones."""
    raw = checks.frame[col]
    values, missing = _numeric(raw)
    unreadable = np.isnan(values) & ~missing
    checks.add(missing, col, lambda i: f"{col} is missing (ไม่มีค่า)")
    checks.add(unreadable, col, lambda i: f"{col} is not a whole number: {_show(raw.iat[i])}")
    with np.errstate(invalid="ignore"):
        fractional = ~np.isnan(values) & (values != np.floor(values))
        out_of_range = ~np.isnan(values) & ~fractional & ((values < lo) | (values > hi))
    checks.add(fractional, col, lambda i: f"{col} is not a whole number: {_show(raw.iat[i])}")
    if col == "survey_year":
        def reason(i: int) -> str:
            v = int(values[i])
            hint = f" (B.E. {v + 543}?)" if 1957 <= v <= 2157 else ""
            return f"survey_year must be a Buddhist-era year {lo}–{hi}, got {v}{hint}"
    else:
        def reason(i: int) -> str:
            return f"{col} must be {what} {lo}–{hi}, got {_show(raw.iat[i])}"
    checks.add(out_of_range, col, reason)
    bad = np.isnan(values) | fractional | out_of_range
    values[bad] = 0
    return values.astype(np.int16)


def _flag(checks: _Checks, col: str, default: float) -> np.ndarray:
    """float32: 1, 0, or `default` where blank (bad values are rejected)."""
    if col not in checks.frame:
        return np.full(len(checks.frame), default, dtype=np.float32)
    raw = checks.frame[col]
    values, missing = _numeric(raw)
    bad = ~missing & ~np.isin(values, (0.0, 1.0))
    checks.add(bad, col, lambda i: f"{col} must be 1, 0 or blank, got {_show(raw.iat[i])}")
    values[missing | bad] = default
    return values.astype(np.float32)


MET, FAILED, NOT_APPLICABLE = 1, 0, -1


def _indicator(checks: _Checks, code: str) -> np.ndarray:
    """int8 codes: 1 met, 0 failed, -1 not applicable (bad cells count as NA, rejected)."""
    raw = checks.frame[code]
    if _is_numeric(raw):
        values = raw.to_numpy(na_value=np.nan)
        na = np.isnan(values) if values.dtype.kind == "f" else np.zeros(len(values), dtype=bool)
        bad = ~na & (values != 0) & (values != 1)
        met = values == 1
    else:
        text = pd.Series(_stripped(_text(raw)), dtype=object)
        na = text.str.upper().isin(NA_TOKENS).to_numpy()
        met = np.array((text == "1").to_numpy(dtype=bool))  # writable
        bad = ~na & ~met & (text != "0").to_numpy(dtype=bool)
        if bad.any():  # '1.0', '0.0' and the like are fine too
            numbers = pd.to_numeric(text[bad], errors="coerce").to_numpy(dtype=np.float64)
            ok = np.isin(numbers, (0.0, 1.0))
            where = np.flatnonzero(bad)
            met[where[ok]] = numbers[ok] == 1
            bad[where[ok]] = False
    checks.add(bad, code,
               lambda i: f"{code} must be 1 (met), 0 (failed) or blank/NA/- (not applicable), "
                         f"got {_show(raw.iat[i])}")
    codes = np.where(met, MET, FAILED).astype(np.int8)
    codes[na | bad] = NOT_APPLICABLE
    return codes


def _coordinate(checks: _Checks, col: str) -> np.ndarray:
    raw = checks.frame[col]
    values, missing = _numeric(raw)
    bad = np.isnan(values) & ~missing
    checks.add(bad, col, lambda i: f"{col} is not a number: {_show(raw.iat[i])}")
    return values


def validate_frame(frame: pd.DataFrame, catalogue: Catalogue, lines: Iterable[int] | None = None,
                   encoding: str = "", source: str = "") -> ParsedFile:
    """Validate a frame in the file layout (columns named as in the CSV; values as
    strings or numbers, text columns may be categorical) and compute the per-round
    results of the good rows.

    Used for CSV files and, directly, for the demo generator's frames (so both go
    through the same checks and the same importer)."""
    n = len(frame)
    line_arr = (np.arange(2, n + 2, dtype=np.int64) if lines is None
                else np.asarray(lines, dtype=np.int64))
    house_key, house_names = _keyed(frame["house_id"], lambda s: s)
    checks = _Checks(frame, line_arr, lambda i: house_names[house_key[i]])
    warnings: list[str] = []

    name_ok = np.asarray(house_names.str.fullmatch(HOUSE_ID_PATTERN), dtype=bool)
    id_ok = name_ok[house_key]
    missing_id = np.asarray(house_names == "", dtype=bool)[house_key]
    checks.add(missing_id, "house_id", lambda i: "house_id is missing (ไม่มีรหัสบ้าน)")
    checks.add(~id_ok & ~missing_id, "house_id",
               lambda i: "house_id must be 4–20 letters, digits or '-', got "
                         f"{_show(house_names[house_key[i]])}")

    tambon_key, tambon_names = _keyed(frame["tambon_pcode"], _tambon_spelling)
    shaped = np.asarray(tambon_names.str.fullmatch(TAMBON_PATTERN), dtype=bool)[tambon_key]
    known = np.asarray(tambon_names.isin(catalogue.tambons), dtype=bool)[tambon_key]
    empty = np.asarray(tambon_names == "", dtype=bool)[tambon_key]
    checks.add(empty, "tambon_pcode", lambda i: "tambon_pcode is missing (ไม่มีรหัสตำบล)")
    checks.add(~shaped & ~empty, "tambon_pcode",
               lambda i: f"not a tambon P-code (TH + 6 digits): "
                         f"{_show(tambon_names[tambon_key[i]])}")
    checks.add(shaped & ~known, "tambon_pcode",
               lambda i: f"unknown tambon P-code {tambon_names[tambon_key[i]]} "
                         "(ไม่พบรหัสตำบลในข้อมูลขอบเขต)")

    village = _integers(checks, "village_no", 1, 99, "a village number")
    year = _integers(checks, "survey_year", 2500, 2700, "a year")
    year_ok = year != 0
    size = _integers(checks, "household_size", 1, 60, "a number of members")
    welfare = _flag(checks, "welfare_card", np.nan)
    target = _flag(checks, "programme_target", 0.0)

    has_lat, has_lon = "lat" in frame, "lon" in frame
    if has_lat != has_lon:
        warnings.append("only one of lat/lon is present: locations ignored")
    if has_lat and has_lon:
        lat = _coordinate(checks, "lat")
        lon = _coordinate(checks, "lon")
        one = np.isnan(lat) != np.isnan(lon)
        checks.add(one & np.isnan(lat), "lat",
                   lambda i: "lat and lon must be given together or both left blank")
        checks.add(one & np.isnan(lon), "lon",
                   lambda i: "lat and lon must be given together or both left blank")
        lat_min, lat_max, lon_min, lon_max = THAI_BBOX
        with np.errstate(invalid="ignore"):
            outside = ~np.isnan(lat) & ~np.isnan(lon) & (
                (lat < lat_min) | (lat > lat_max) | (lon < lon_min) | (lon > lon_max))
        checks.add(outside, "lat",
                   lambda i: f"location {lat[i]:.6f}, {lon[i]:.6f} is outside Thailand "
                             f"(lat {lat_min}–{lat_max}, lon {lon_min}–{lon_max}; "
                             "WGS84 degrees, lat first?)")
        lat[one | outside], lon[one | outside] = np.nan, np.nan
    else:
        lat = lon = np.full(n, np.nan)

    ind_values = {spec.code: _indicator(checks, spec.code) for spec in catalogue.indicators}

    # Within-file consistency, over rows whose key columns are readable.
    keyed = id_ok & year_ok
    _duplicates(checks, house_key, year, keyed)
    _tambon_conflicts(checks, house_key, tambon_key, tambon_names, keyed & shaped)

    good = ~checks.bad
    pick = slice(None) if good.all() else good  # no copies for a clean frame
    results = compute_results({c: v[pick] for c, v in ind_values.items()}, catalogue)
    del ind_values
    columns = {
        "line": line_arr[pick].astype(np.int32),
        "house_id": pd.Categorical.from_codes(house_key[pick], categories=house_names),
        "tambon_pcode": pd.Categorical.from_codes(tambon_key[pick], categories=tambon_names),
        "village_no": village[pick],
        "survey_year": year[pick],
        "household_size": size[pick],
        "welfare_card": welfare[pick],
        "lat": lat[pick],
        "lon": lon[pick],
        "programme_target": target[pick].astype(bool),
        "house_key": house_key[pick],  # an integer per house, for grouping rows
        **results,
    }
    rows = pd.DataFrame(columns, copy=False)
    rejects = sorted(checks.rejects, key=lambda r: r.line)
    return ParsedFile(rows=rows, rejects=rejects, encoding=encoding, warnings=warnings,
                      rows_read=n, has_programme_target="programme_target" in frame,
                      source=source)


def _first_positions(key: np.ndarray, size: int) -> np.ndarray:
    """For each row, the position of the first row with the same key (keys < size)."""
    first = np.full(size, len(key), dtype=np.int64)
    np.minimum.at(first, key, np.arange(len(key), dtype=np.int64))
    return first[key]


def _duplicates(checks: _Checks, house_key: np.ndarray, year: np.ndarray,
                keyed: np.ndarray) -> None:
    """The same (house, survey year) again: later rows are rejected, naming the first."""
    idx = np.flatnonzero(keyed)
    if not idx.size:
        return
    offset = year[idx].astype(np.int64) - 2500  # valid years: 0…200
    lookup = np.cumsum(np.bincount(offset, minlength=201) > 0) - 1  # dense year codes
    key = house_key[idx].astype(np.int64) * (lookup[-1] + 1) + lookup[offset]
    first = _first_positions(key, int(key.max()) + 1)
    dup = first != np.arange(idx.size)
    if not dup.any():
        return
    mask = np.zeros(len(house_key), dtype=bool)
    mask[idx[dup]] = True
    first_line = dict(zip(idx[dup].tolist(), checks.lines[idx[first[dup]]].tolist(), strict=True))
    checks.add(mask, "house_id",
               lambda i: f"duplicate of line {first_line[i]}: house {checks.house_at(i)} "
                         f"appears twice for survey year {int(year[i])} (ซ้ำ)")


def _tambon_conflicts(checks: _Checks, house_key: np.ndarray, tambon_key: np.ndarray,
                      tambon_names: pd.Index, keyed: np.ndarray) -> None:
    """A house in two tambons: rows whose tambon differs from its first row's."""
    idx = np.flatnonzero(keyed)
    if not idx.size:
        return
    first = idx[_first_positions(house_key[idx], int(house_key.max()) + 1)]
    conflict = tambon_key[idx] != tambon_key[first]
    if not conflict.any():
        return
    mask = np.zeros(len(house_key), dtype=bool)
    mask[idx[conflict]] = True
    ref = dict(zip(idx[conflict].tolist(), first[conflict].tolist(), strict=True))
    checks.add(mask, "tambon_pcode",
               lambda i: f"house {checks.house_at(i)} is in tambon "
                         f"{tambon_names[tambon_key[ref[i]]]} on line {checks.lines[ref[i]]} "
                         f"but in {tambon_names[tambon_key[i]]} here (บ้านเดียวกันต่างตำบล)")


def compute_results(values: dict[str, np.ndarray], catalogue: Catalogue) -> dict[str, np.ndarray]:
    """Bit sets and the Alkire–Foster score from indicator codes (1 met, 0 failed,
    -1 not applicable). Not-applicable indicators count as not failed."""
    n = len(next(iter(values.values()))) if values else 0
    failed = np.zeros(n, dtype=np.int32)
    not_applicable = np.zeros(n, dtype=np.int32)
    dims = np.zeros(n, dtype=np.int16)
    score = np.zeros(n, dtype=np.float64)
    for spec in catalogue.indicators:
        v = values[spec.code]
        fails = v == FAILED
        failed |= fails.astype(np.int32) << spec.bit
        not_applicable |= (v == NOT_APPLICABLE).astype(np.int32) << spec.bit
        dims |= fails.astype(np.int16) << spec.dimension_sort
        score += spec.weight * fails
    n_dims = np.zeros(n, dtype=np.int16)
    for sort in {spec.dimension_sort for spec in catalogue.indicators}:
        n_dims += (dims >> sort) & 1
    return {
        "failed": failed, "not_applicable": not_applicable, "dims_failed": dims,
        "n_dims_failed": n_dims, "score": score.astype(np.float32),
    }


# ── reject report ────────────────────────────────────────────────────────────
def write_reject_report(rejects: Iterable[Reject], path: str | Path) -> Path:
    return reject_report.write_reject_report(rejects, path, id_field="house_id")


def import_file(path: str | Path, accept_partial: bool = False,
                report_path: str | Path | None = None):
    """Read, validate and load a household file in one owner transaction, with
    progress on the terminal. Returns queries.households_load.ImportResult."""
    console = Console(stderr=True)
    path = Path(path)
    with console.status(f"importing {path.name}") as status, owner() as conn:
        def say(msg: str) -> None:
            status.update(f"{path.name}: {msg}")

        catalogue = households_load.read_catalogue(conn)
        try:
            parsed = read_household_csv(path, catalogue, status=say)
        except HouseholdFileError as exc:
            console.print(f"[red]refused:[/] {path}: {exc}")
            return households_load.ImportResult.refused(str(exc))
        console.print(f"{path.name}: {parsed.rows_read:,} rows read, encoding {parsed.encoding}")
        for w in parsed.warnings:
            console.print(f"[yellow]warning:[/] {w}")
        result = households_load.import_households(
            conn, parsed, accept_partial=accept_partial,
            progress=lambda phase, _done, _total: say(phase))
    if result.rejects:
        report = write_reject_report(result.rejects, report_path or reject_report.default_report_path(path))
        console.print(f"[yellow]{result.rejected_rows:,} row(s) rejected[/] "
                      f"({len(result.rejects):,} problems): report written to {report}")
    console.print(result.summary())
    return result
