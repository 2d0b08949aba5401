"""Household CSV import on a real PostGIS: good files load with the right counts and
bitmasks, re-imports change nothing, bad files are refused with the right reasons and
line numbers and leave the store exactly as it was."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from chipao.domain.households import HouseholdFileError
from chipao.ingest.household_csv import (
    import_file,
    read_household_csv,
)
from queries import households_load as hl
from queries.db import owner
from tests.factory import insert_test_areas, isolated_store

CODES = ["H1", "H2", "H3", "H4", "E1", "E2", "E3", "E4", "I1", "I2", "I3",
         "L1", "L2", "L3", "L4", "A1", "A2"]
HEADER = ["house_id", "tambon_pcode", "village_no", "survey_year", "household_size",
          "welfare_card", "lat", "lon", *CODES]
ALL_MET = {c: "1" for c in CODES}


def row(house: str, tambon: str = "TH100101", year: str = "2566", **values: str) -> dict:
    base = {"house_id": house, "tambon_pcode": tambon, "village_no": "1", "survey_year": year,
            "household_size": "3", "welfare_card": "", "lat": "", "lon": "", **ALL_MET}
    base.update(values)
    return base


def write(path: Path, rows: list[dict], header: list[str] = HEADER, encoding: str = "utf-8",
          newline: str = "\n") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator=newline,
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def store(database) -> Iterator[str]:
    with isolated_store("chipao_test_hhimport") as url:
        with owner() as conn:
            insert_test_areas(conn, {"TH10": {"TH1001": 2}, "TH50": {"TH5001": 2}},
                              origin=(100.0, 14.0), size=0.05)
        yield url


@pytest.fixture
def empty(store) -> Iterator[None]:
    with owner() as conn:
        hl.delete_household_data(conn)
    yield


@pytest.fixture
def catalogue(store):
    with owner() as conn:
        return hl.read_catalogue(conn)


def snapshot() -> dict[str, list[tuple]]:
    """Every household-data table's rows, with xmin: a rewritten row shows up even
    when its values are equal."""
    queries = {
        "household": "SELECT xmin::text, house_id, tambon_pcode, village_no, "
                     "ST_AsText(location), programme_target FROM household ORDER BY house_id",
        "household_round": "SELECT xmin::text, * FROM household_round ORDER BY house_id, round_id",
        "village": "SELECT xmin::text, * FROM village ORDER BY 2, 3",
        "survey_round": "SELECT xmin::text, * FROM survey_round ORDER BY round_id",
        "agg_area_count": "SELECT * FROM agg_area_count ORDER BY round_id, level, measure, pcode",
    }
    with owner() as conn:
        return {t: [tuple(r) for r in conn.execute(text(q))] for t, q in queries.items()}


def expected_results(values: dict[str, str], conn) -> dict:
    """Bit sets and score computed independently, from the stored catalogue."""
    cat = conn.execute(text("""SELECT i.code, i.bit, i.weight, d.sort FROM indicator i
                               JOIN dimension d ON d.code = i.dimension_code""")).all()
    failed = na = dims = 0
    score = 0.0
    for code, bit, weight, sort in cat:
        v = values[code].strip().upper()
        if v in ("", "NA", "-"):
            na |= 1 << bit
        elif v == "0":
            failed |= 1 << bit
            dims |= 1 << sort
            score += weight
    return {"failed": failed, "not_applicable": na, "dims_failed": dims,
            "n_dims_failed": bin(dims).count("1"), "score": score}


# ── good files ───────────────────────────────────────────────────────────────
GOOD = [
    row("1001-0001", welfare_card="1", lat="14.01", lon="100.01", H1="NA", E1="-", E2="",
        I1="0", I3="0", L2="0", A2=""),
    row("1001-0002", tambon="TH100102", village_no="2", household_size="2", H1="NA", A1="",
        A2="", E1="", E2="", E3=""),
    row("5001-0001", tambon="TH500101", village_no="12", welfare_card="0", H2="0", E4="0",
        A2=""),
    row("1001-0001", year="2567", welfare_card="1", lat="14.01", lon="100.01", H1="NA",
        E1="-", E2="", I3="0", A2=""),
]


def test_good_file_loads_with_exact_counts_and_bitmasks(empty, tmp_path):
    path = write(tmp_path / "good.csv", GOOD)
    result = import_file(path)
    assert result.ok and not result.rejects
    assert (result.households_inserted, result.rounds_inserted) == (3, 4)
    assert sorted(result.survey_rounds_created) == [2566, 2567]
    assert result.villages_created == 3
    with owner() as conn:
        stored = {(r.house_id, r.year_be): r for r in conn.execute(text("""
            SELECT r.*, s.year_be FROM household_round r JOIN survey_round s USING (round_id)
        """))}
        assert len(stored) == 4
        for source in GOOD:
            got = stored[(source["house_id"], int(source["survey_year"]))]
            want = expected_results(source, conn)
            assert got.failed == want["failed"]
            assert got.not_applicable == want["not_applicable"]
            assert got.dims_failed == want["dims_failed"]
            assert got.n_dims_failed == want["n_dims_failed"]
            assert got.score == pytest.approx(want["score"], abs=1e-6)
            assert got.size == int(source["household_size"])
            assert got.welfare_card == {"1": True, "0": False, "": None}[source["welfare_card"]]
            assert got.tambon_pcode == source["tambon_pcode"]
        homes = {r[0]: r[1:] for r in conn.execute(text(
            "SELECT house_id, village_no, ST_X(location), ST_Y(location), programme_target "
            "FROM household"))}
        assert homes["1001-0001"] == (1, 100.01, 14.01, False)
        assert homes["5001-0001"] == (12, None, None, False)
        labels = conn.execute(text("SELECT year_be, label_th, label_en FROM survey_round "
                                   "ORDER BY year_be")).all()
        assert labels == [(2566, "จปฐ. 2566", "BMN 2566"), (2567, "จปฐ. 2567", "BMN 2567")]
        # aggregates were rebuilt in the same transaction
        surveyed = conn.execute(text("""
            SELECT households FROM agg_area_count a JOIN survey_round s USING (round_id)
            WHERE s.year_be = 2566 AND level = 0 AND measure = 'surveyed'""")).scalar_one()
        assert surveyed == 3


def test_reimport_changes_nothing_and_a_change_updates_one_row(empty, tmp_path):
    path = write(tmp_path / "good.csv", GOOD)
    assert import_file(path).ok
    before = snapshot()
    again = import_file(path)
    assert again.ok
    assert (again.households_inserted, again.households_updated) == (0, 0)
    assert (again.rounds_inserted, again.rounds_updated) == (0, 0)
    assert snapshot() == before  # no row rewritten (xmin unchanged), aggregates equal

    changed = [dict(r) for r in GOOD]
    changed[2]["H2"] = "1"  # 5001-0001 now meets H2
    result = import_file(write(tmp_path / "changed.csv", changed))
    assert (result.rounds_inserted, result.rounds_updated) == (0, 1)
    assert result.households_updated == 0
    with owner() as conn:
        failed = conn.execute(text(
            "SELECT failed FROM household_round WHERE house_id = '5001-0001'")).scalar_one()
        assert failed == expected_results(changed[2], conn)["failed"]


def test_blank_location_keeps_the_stored_one(empty, tmp_path):
    assert import_file(write(tmp_path / "a.csv", GOOD)).ok
    later = [row("1001-0001", year="2568")]  # no lat/lon this time
    assert import_file(write(tmp_path / "b.csv", later)).ok
    with owner() as conn:
        where = conn.execute(text("SELECT ST_AsText(location) FROM household "
                                  "WHERE house_id = '1001-0001'")).scalar_one()
    assert where == "POINT(100.01 14.01)"


# ── bad files: reasons, line numbers, and an unchanged store ─────────────────
@pytest.fixture
def preloaded(empty, tmp_path) -> dict:
    """A store holding the good file, so 'unchanged' means something."""
    assert import_file(write(tmp_path / "base.csv", GOOD)).ok
    return snapshot()


def _refused(path: Path, preloaded: dict, tmp_path: Path):
    report = tmp_path / "rejects.csv"
    result = import_file(path, report_path=report)
    assert not result.ok and result.rows_loaded == 0
    assert snapshot() == preloaded
    return result, report


def test_unknown_pcode(preloaded, tmp_path):
    rows = [row("1001-0003"), row("9999-0001", tambon="TH999999"), row("1001-0004")]
    result, report = _refused(write(tmp_path / "bad.csv", rows), preloaded, tmp_path)
    assert [(r.line, r.house_id, r.column) for r in result.rejects] == \
        [(3, "9999-0001", "tambon_pcode")]
    assert "unknown tambon P-code TH999999" in result.rejects[0].reason
    raw = report.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    lines = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert lines[0] == ["line", "house_id", "column", "reason"]
    assert lines[1][:3] == ["3", "9999-0001", "tambon_pcode"]


def test_missing_column(preloaded, tmp_path):
    header = [c for c in HEADER if c != "I3"]
    path = write(tmp_path / "no_i3.csv", [row("1001-0003")], header=header)
    with owner() as conn:
        catalogue = hl.read_catalogue(conn)
    with pytest.raises(HouseholdFileError, match="required column.*I3"):
        read_household_csv(path, catalogue)
    result = import_file(path)
    assert not result.ok and "I3" in result.message
    assert snapshot() == preloaded


def test_duplicate_house_id(preloaded, tmp_path):
    rows = [row("1001-0003"), row("1001-0004"), row("1001-0003")]
    result, _ = _refused(write(tmp_path / "dup.csv", rows), preloaded, tmp_path)
    assert [(r.line, r.column) for r in result.rejects] == [(4, "house_id")]
    assert "duplicate of line 2" in result.rejects[0].reason


def test_non_numeric_size(preloaded, tmp_path):
    rows = [row("1001-0003"), row("1001-0004", household_size="three")]
    result, _ = _refused(write(tmp_path / "size.csv", rows), preloaded, tmp_path)
    assert [(r.line, r.house_id, r.column) for r in result.rejects] == \
        [(3, "1001-0004", "household_size")]
    assert "not a whole number: 'three'" in result.rejects[0].reason


def test_truncated_file(preloaded, tmp_path):
    path = write(tmp_path / "cut.csv", [row("1001-0003"), row("1001-0004"), row("1001-0005")])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 20])  # the last line loses its tail (and newline)
    result, _ = _refused(path, preloaded, tmp_path)
    assert [r.line for r in result.rejects] == [4]
    assert "incomplete" in result.rejects[0].reason


def test_wrong_field_count_in_the_middle_and_blank_lines(preloaded, tmp_path):
    path = write(tmp_path / "fields.csv", [row("1001-0003"), row("1001-0004")])
    lines = path.read_text().splitlines()
    lines[1] += ",extra"  # line 2: one field too many
    lines.insert(2, "")  # line 3 blank: skipped, but it still counts as a line
    lines.append(",".join(row("1001-0005", village_no="0").values()))  # line 5
    path.write_text("\n".join(lines) + "\n")
    result, _ = _refused(path, preloaded, tmp_path)
    assert [(r.line, r.column) for r in result.rejects] == [(2, ""), (5, "village_no")]
    assert "wrong number of fields" in result.rejects[0].reason


def test_tis620_file(empty, tmp_path):
    header = [*HEADER, "หมายเหตุ"]
    rows = [row("1001-0003") | {"หมายเหตุ": "บ้านไม้ชั้นเดียว ริมคลอง"},
            row("1001-0004", tambon="TH100102") | {"หมายเหตุ": "ผู้สูงอายุอยู่ลำพัง"}]
    path = write(tmp_path / "tis.csv", rows, header=header, encoding="cp874", newline="\r\n")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    with owner() as conn:
        parsed = read_household_csv(path, hl.read_catalogue(conn))
    assert parsed.encoding == "TIS-620/Windows-874"
    assert parsed.warnings == ["unknown column(s) ignored: หมายเหตุ"]
    assert parsed.rows["line"].tolist() == [2, 3]
    result = import_file(path)
    assert result.ok and result.households_inserted == 2


def test_tis620_house_id_is_rejected_readably(preloaded, tmp_path):
    rows = [row("1001-0003"), row("บ้าน-0001")]
    path = write(tmp_path / "tis_id.csv", rows, encoding="cp874")
    result, _ = _refused(path, preloaded, tmp_path)
    assert [(r.line, r.house_id, r.column) for r in result.rejects] == \
        [(3, "บ้าน-0001", "house_id")]


def test_undecodable_bytes_are_refused(preloaded, tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\n\xff\xfe\xfd\xdb\x80,1\n")
    result = import_file(path)
    assert not result.ok and "neither UTF-8 nor TIS-620" in result.message
    assert snapshot() == preloaded


def test_house_stored_in_another_tambon(preloaded, tmp_path):
    rows = [row("1001-0003"), row("1001-0001", tambon="TH100102", year="2568")]
    result, _ = _refused(write(tmp_path / "moved.csv", rows), preloaded, tmp_path)
    assert [(r.line, r.house_id, r.column) for r in result.rejects] == \
        [(3, "1001-0001", "tambon_pcode")]
    assert "stored in tambon TH100101" in result.rejects[0].reason


def test_house_in_two_tambons_within_the_file(preloaded, tmp_path):
    rows = [row("1001-0009"), row("1001-0009", tambon="TH100102", year="2567")]
    result, _ = _refused(write(tmp_path / "two.csv", rows), preloaded, tmp_path)
    assert [(r.line, r.column) for r in result.rejects] == [(3, "tambon_pcode")]
    assert "TH100101 on line 2" in result.rejects[0].reason


def test_accept_partial_loads_the_good_rows(preloaded, tmp_path):
    rows = [row("1001-0003"), row("1001-0004", survey_year="1999"), row("1001-0005"),
            row("1001-0001", tambon="TH100102", year="2568")]  # stored elsewhere
    report = tmp_path / "partial.rejects.csv"
    result = import_file(write(tmp_path / "partial.csv", rows), accept_partial=True,
                         report_path=report)
    assert result.ok
    assert sorted(r.line for r in result.rejects) == [3, 5]
    assert (result.households_inserted, result.rounds_inserted) == (2, 2)
    with owner() as conn:
        ids = conn.execute(text("SELECT house_id FROM household ORDER BY 1")).scalars().all()
    assert ids == ["1001-0001", "1001-0002", "1001-0003", "1001-0005", "5001-0001"]
    assert len(report.read_text(encoding="utf-8-sig").splitlines()) == 3


# ── row validation (no database writes) ──────────────────────────────────────
@pytest.mark.parametrize(("values", "column", "reason"), [
    ({"house_id": "ab"}, "house_id", "4–20 letters"),
    ({"house_id": "1001 0001"}, "house_id", "4–20 letters"),
    ({"tambon_pcode": "TH1001"}, "tambon_pcode", "not a tambon P-code"),
    ({"village_no": "0"}, "village_no", "village_no must be a village number 1–99"),
    ({"village_no": "1.5"}, "village_no", "not a whole number"),
    ({"survey_year": "2023"}, "survey_year", "B.E. 2566?"),
    ({"household_size": "61"}, "household_size", "1–60"),
    ({"household_size": ""}, "household_size", "missing"),
    ({"welfare_card": "yes"}, "welfare_card", "1, 0 or blank"),
    ({"lat": "14.0"}, "lon", "given together"),
    ({"lat": "1.0", "lon": "100.0"}, "lat", "outside Thailand"),
    ({"lat": "100.5", "lon": "14.0"}, "lat", "lat first?"),
    ({"I3": "x"}, "I3", "must be 1 (met), 0 (failed)"),
    ({"H2": "2"}, "H2", "must be 1 (met), 0 (failed)"),
])
def test_row_checks(catalogue, tmp_path, values, column, reason):
    path = write(tmp_path / "one.csv", [row("1001-0001"), row("1001-0002", **values)])
    parsed = read_household_csv(path, catalogue)
    assert [(r.line, r.column) for r in parsed.rejects] == [(3, column)]
    assert reason in parsed.rejects[0].reason
    assert parsed.rows["house_id"].tolist() == ["1001-0001"]


def test_forgiving_spellings(catalogue, tmp_path):
    """BOM, CRLF, quoted fields, padded cells, lower-case codes and bare DOPA codes."""
    header = [h.lower() if h in CODES else h for h in HEADER] + ["note"]
    rows = [row(" 1001-0001 ", tambon="th100101") | {"note": "has, a comma"},
            row("1001-0002", tambon="100102", I3=" NA ") | {"note": "two\nlines"},
            row("1001-0003", tambon="TH500101")]
    path = tmp_path / "bom.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({(k.lower() if k in CODES else k): v for k, v in r.items()})
    parsed = read_household_csv(path, catalogue)
    assert not parsed.rejects
    assert parsed.encoding == "UTF-8 (BOM)"
    assert parsed.rows["house_id"].tolist() == ["1001-0001", "1001-0002", "1001-0003"]
    assert parsed.rows["tambon_pcode"].tolist() == ["TH100101", "TH100102", "TH500101"]
    assert parsed.rows["line"].tolist() == [2, 3, 5]  # the quoted newline spans line 4


def test_documented_example_is_valid(catalogue, tmp_path):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "household-csv.md").read_text()
    example = doc.split("```csv\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.csv"
    path.write_text(example, encoding="utf-8")
    parsed = read_household_csv(path, catalogue)
    assert not parsed.rejects and len(parsed.rows) == 2


def test_header_only_file_loads_nothing(preloaded, tmp_path):
    result = import_file(write(tmp_path / "empty.csv", []))
    assert result.ok and result.rows_loaded == 0 and not result.rejects
    assert snapshot() == preloaded


def test_trailing_empty_column_and_empty_rows(catalogue, tmp_path):
    """Spreadsheet exports: an unnamed trailing column and rows of empty cells."""
    path = write(tmp_path / "excel.csv", [row("1001-0001"), row("1001-0002")])
    lines = [line + "," for line in path.read_text().splitlines()]
    lines.insert(2, "," * len(HEADER))  # line 3: only empty cells
    path.write_text("\r\n".join(lines) + "\r\n")
    parsed = read_household_csv(path, catalogue)
    assert not parsed.rejects
    assert parsed.warnings == ["unknown column(s) ignored: (unnamed)"]
    assert parsed.rows["line"].tolist() == [2, 4]
