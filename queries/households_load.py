"""Loading household data: the catalogue a file is checked against, the household
importer (COPY into staging, then upserts), and bulk COPY helpers for the demo's
members, plans, visits, centres, process steps and targets.

Bulk data goes in with binary COPY encoded by numpy: rows are grouped by byte layout
(text lengths, NULL cells), each group becomes one numpy record array, and millions
of rows cost about a second to encode (pandas' to_csv takes ~2 s per million).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from chipao.domain.demo import DemoData, DemoInputs
from chipao.domain.households import Catalogue, IndicatorSpec, ParsedFile, Reject
from queries import aggregates
from queries.bulk import Col, _table_rows, bulk_mode, copy_binary, copy_csv, pg_array
from queries.sql import sql

Progress = Callable[[str, int, int], None]  # (phase, done, total)

# Batches at least this large (and larger than what the tables hold) are loaded with
# foreign keys and secondary indexes dropped and rebuilt once at the end, in the same
# transaction: a per-row foreign-key check locks a parent row and costs more than the
# insert itself (PostgreSQL manual, "Populating a Database").
BULK_MIN_ROWS = 200_000
HOUSEHOLD_TABLES = (
    "household_nearest_centre", "plan_item_event", "plan_item", "household_plan", "visit",
    "member", "household_round", "household",
)


# ── reading what a file is checked against ───────────────────────────────────
def read_catalogue(conn: Connection) -> Catalogue:
    rows = conn.execute(text("""
        SELECT i.code, i.bit, i.weight, i.dimension_code, d.sort, i.applies_to
        FROM indicator i JOIN dimension d ON d.code = i.dimension_code
        ORDER BY i.bit
    """)).all()
    tambons = conn.execute(text("SELECT pcode FROM area WHERE level = 3")).scalars().all()
    return Catalogue(
        indicators=tuple(IndicatorSpec(code=r[0], bit=r[1], weight=r[2], dimension=r[3],
                                       dimension_sort=r[4], applies_to=r[5]) for r in rows),
        tambons=frozenset(tambons),
    )


# ── the household importer ───────────────────────────────────────────────────
@dataclass
class ImportResult:
    loaded: bool
    rows_read: int = 0
    rows_loaded: int = 0
    rejects: list[Reject] = field(default_factory=list)
    households_inserted: int = 0
    households_updated: int = 0
    rounds_inserted: int = 0
    rounds_updated: int = 0
    villages_created: int = 0
    survey_rounds_created: list[int] = field(default_factory=list)
    seconds: float = 0.0
    encoding: str = ""
    warnings: list[str] = field(default_factory=list)
    message: str = ""
    refreshed_tambons: int | None = None  # aggregates rebuilt for these many (None: all)

    @property
    def ok(self) -> bool:
        return self.loaded

    @property
    def rejected_rows(self) -> int:
        return len({r.line for r in self.rejects})

    @property
    def households_per_second(self) -> float:
        return self.households_inserted / self.seconds if self.seconds else 0.0

    @classmethod
    def refused(cls, message: str) -> ImportResult:
        return cls(loaded=False, message=message)

    def summary(self) -> str:
        if self.message and not self.loaded:
            return f"nothing loaded: {self.message}"
        if not self.loaded:
            return (f"nothing loaded: {self.rejected_rows:,} of {self.rows_read:,} rows rejected "
                    "(all-or-nothing; use --accept-partial to load the good rows)")
        unchanged = self.rows_loaded - self.rounds_inserted - self.rounds_updated
        return (f"loaded {self.rows_loaded:,} household-round rows in {self.seconds:.1f} s: "
                f"households {self.households_inserted:,} new, {self.households_updated:,} "
                f"updated; rounds {self.rounds_inserted:,} new, {self.rounds_updated:,} updated, "
                f"{unchanged:,} unchanged"
                + (f"; {self.rejected_rows:,} rows rejected" if self.rejects else "")
                + (f"; figures rebuilt for the {self.refreshed_tambons:,} "
                   f"tambon{'s' if self.refreshed_tambons > 1 else ''} touched and the areas "
                   "above" if self.refreshed_tambons else ""))


_STAGE_DDL = """
DROP TABLE IF EXISTS pg_temp.stage_round, pg_temp.stage_household;
CREATE TEMP TABLE stage_round (
    line int, house_id text, tambon_pcode text, round_id smallint, size smallint,
    welfare_card boolean, failed int, not_applicable int, dims_failed smallint,
    n_dims_failed smallint, score real
) ON COMMIT DROP;
CREATE TEMP TABLE stage_household (
    line int, house_id text, tambon_pcode text, village_no smallint,
    location geometry(Point, 4326), programme_target boolean
) ON COMMIT DROP;
"""


def _latest_per_household(rows: pd.DataFrame) -> np.ndarray:
    """Positions of each household's latest-round row (its village, location, flag)."""
    key = rows["house_key"].to_numpy() if "house_key" in rows \
        else pd.factorize(rows["house_id"].to_numpy())[0]
    order = np.argsort(rows["survey_year"].to_numpy(), kind="stable")
    latest = ~pd.Series(key[order]).duplicated(keep="last").to_numpy()
    return np.sort(order[latest])


def _take(column: pd.Series, pick: np.ndarray):
    """Rows of a column, keeping a categorical categorical (its values encode once)."""
    return column.array.take(pick) if isinstance(column.dtype, pd.CategoricalDtype) \
        else column.to_numpy()[pick]


def _household_cols(rows: pd.DataFrame, pick: np.ndarray) -> list[Col]:
    return [
        Col("house_id", "text", _take(rows["house_id"], pick)),
        Col("tambon_pcode", "text", _take(rows["tambon_pcode"], pick)),
        Col("village_no", "int2", rows["village_no"].to_numpy()[pick]),
        Col("location", "point", (rows["lon"].to_numpy()[pick], rows["lat"].to_numpy()[pick])),
        Col("programme_target", "bool", rows["programme_target"].to_numpy()[pick]),
    ]


def _round_cols(rows: pd.DataFrame, round_ids: dict[int, int]) -> list[Col]:
    years = rows["survey_year"].to_numpy()
    lookup = np.zeros(max(round_ids) + 1, dtype=np.int16)
    for year, rid in round_ids.items():
        lookup[year] = rid
    return [
        Col("house_id", "text", rows["house_id"].array),
        Col("round_id", "int2", lookup[years]),
        Col("tambon_pcode", "text", rows["tambon_pcode"].array),
        Col("size", "int2", rows["household_size"].to_numpy()),
        Col("welfare_card", "bool", rows["welfare_card"].to_numpy()),
        Col("failed", "int4", rows["failed"].to_numpy()),
        Col("not_applicable", "int4", rows["not_applicable"].to_numpy()),
        Col("dims_failed", "int2", rows["dims_failed"].to_numpy()),
        Col("n_dims_failed", "int2", rows["n_dims_failed"].to_numpy()),
        Col("score", "float4", rows["score"].to_numpy()),
    ]


def _stored_tambon_conflicts(conn: Connection) -> list[Reject]:
    """Staged rows whose house is already stored in another tambon."""
    rows = conn.execute(text("""
        WITH moved AS (
            SELECT s.house_id, h.tambon_pcode AS stored
            FROM stage_household s JOIN household h USING (house_id)
            WHERE h.tambon_pcode <> s.tambon_pcode
        )
        SELECT r.line, r.house_id, r.tambon_pcode, m.stored
        FROM stage_round r JOIN moved m USING (house_id)
        ORDER BY r.line
    """)).all()
    return [Reject(line, house, "tambon_pcode",
                   f"house {house} is stored in tambon {stored}, not {tambon} "
                   "(a house cannot move to another tambon by import)")
            for line, house, tambon, stored in rows]


_UPSERT_HOUSEHOLDS = sql("households_load/upsert_households")

_UPSERT_ROUNDS = sql("households_load/upsert_rounds")


def import_households(conn: Connection, parsed: ParsedFile, accept_partial: bool = False, *,
                      refresh: bool = True, progress: Progress | None = None) -> ImportResult:
    """Load the good rows of a parsed file in the caller's transaction.

    All-or-nothing by default: any rejected row (in the file, or a house already stored
    in another tambon) means nothing is written. Rows go by COPY into temporary staging
    tables, then `INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE <values differ>`, so
    importing the same file twice changes nothing. Into an empty store (first import,
    demo) the rows are COPied straight into the tables instead: nothing can conflict
    there, and that is several times faster. Missing survey rounds and villages are
    created. Aggregates are rebuilt afterwards unless `refresh` is False."""
    started = time.perf_counter()
    say = progress or (lambda *_a: None)
    result = ImportResult(loaded=False, rows_read=parsed.rows_read, rejects=list(parsed.rejects),
                          encoding=parsed.encoding, warnings=list(parsed.warnings))
    if result.rejects and not accept_partial:
        result.seconds = time.perf_counter() - started
        return result
    rows = parsed.rows
    if rows.empty:  # nothing good to load (e.g. a header-only file, or all rejected)
        result.loaded = True
        result.seconds = time.perf_counter() - started
        return result
    # Everything below is undone if stored households turn out to conflict.
    savepoint = conn.begin_nested()
    # One importer at a time; readers are not blocked (SHARE ROW EXCLUSIVE).
    conn.execute(text("LOCK TABLE household, household_round IN SHARE ROW EXCLUSIVE MODE"))
    conn.execute(text("SET LOCAL work_mem = '256MB'"))
    empty_store = not conn.execute(text("SELECT EXISTS (SELECT 1 FROM household)")).scalar_one()
    years = sorted({int(y) for y in rows["survey_year"].unique()})
    round_ids, result.survey_rounds_created = _ensure_rounds(conn, years)

    if not empty_store:
        for statement in _STAGE_DDL.split(";"):
            if statement.strip():
                conn.execute(text(statement))
        pick = _latest_per_household(rows)
        copy_binary(conn, "stage_household",
                    [Col("line", "int4", rows["line"].to_numpy()[pick]),
                     *_household_cols(rows, pick)], say, "staging households")
        copy_binary(conn, "stage_round", [Col("line", "int4", rows["line"].to_numpy()),
                                          *_round_cols(rows, round_ids)],
                    say, "staging survey rows")
        conn.execute(text("ANALYZE stage_household"))
        conn.execute(text("ANALYZE stage_round"))
        say("checking stored households", 0, 1)
        conflicts = _stored_tambon_conflicts(conn)
        if conflicts:
            result.rejects = sorted(result.rejects + conflicts, key=lambda r: r.line)
            if not accept_partial:
                savepoint.rollback()
                result.survey_rounds_created = []
                result.seconds = time.perf_counter() - started
                return result
            bad = sorted({r.house_id for r in conflicts})
            conn.execute(text("DELETE FROM stage_round WHERE house_id = ANY (:h)"), {"h": bad})
            conn.execute(text("DELETE FROM stage_household WHERE house_id = ANY (:h)"), {"h": bad})
            rows = rows.loc[~rows["house_id"].isin(bad)]

    say("creating villages", 0, 1)
    villages = rows[["tambon_pcode", "village_no"]].drop_duplicates()
    result.villages_created = conn.execute(text("""
        INSERT INTO village (tambon_pcode, village_no)
        SELECT * FROM unnest(CAST(:t AS text[]), CAST(:v AS smallint[]))
        ON CONFLICT DO NOTHING
    """), {"t": villages["tambon_pcode"].tolist(),
           "v": villages["village_no"].astype(int).tolist()}).rowcount

    # Direct COPY needs bulk mode (it lifts FORCE ROW LEVEL SECURITY for the load).
    bulk = empty_store or (len(rows) >= BULK_MIN_ROWS
                           and len(rows) > _table_rows(conn, "household_round"))
    say("preparing tables", 0, 1)
    with bulk_mode(conn, ("household_round", "household"), enabled=bulk):
        if empty_store:
            say("finding latest rows", 0, 1)
            pick = _latest_per_household(rows)
            result.households_inserted = copy_binary(
                conn, "household", _household_cols(rows, pick), say, "saving households")
            result.rounds_inserted = copy_binary(
                conn, "household_round", _round_cols(rows, round_ids), say,
                "saving survey results")
        else:
            say("saving households", 0, 1)
            result.households_inserted, result.households_updated = conn.execute(
                text(_UPSERT_HOUSEHOLDS), {"has_target": parsed.has_programme_target}).one()
            say("saving survey results", 0, 1)
            result.rounds_inserted, result.rounds_updated = conn.execute(
                text(_UPSERT_ROUNDS)).one()
        if bulk:
            say("rebuilding indexes and keys", 0, 1)
    savepoint.commit()
    if bulk:
        conn.execute(text("ANALYZE household"))
        conn.execute(text("ANALYZE household_round"))
    result.rows_loaded = len(rows)
    result.loaded = True
    result.seconds = time.perf_counter() - started
    if refresh and (result.rounds_inserted or result.rounds_updated or result.households_updated):
        say("rebuilding aggregates", 0, 1)
        # A first or bulk load touches most tambons, and a round added before a stored
        # one changes every tambon's "previous round": rebuild everything then.
        touched = None if bulk or _round_inserted_before(conn, result.survey_rounds_created) \
            else rows["tambon_pcode"].unique().tolist()
        result.refreshed_tambons = aggregates.refresh(conn, touched)
    return result


def _round_inserted_before(conn: Connection, created: list[int]) -> bool:
    """Whether a round just created is older than a round stored before."""
    if not created:
        return False
    latest_before = conn.execute(text(
        "SELECT max(year_be) FROM survey_round WHERE NOT year_be = ANY (:c)"),
        {"c": created}).scalar_one()
    return latest_before is not None and min(created) < latest_before


def _ensure_rounds(conn: Connection, years: list[int]) -> tuple[dict[int, int], list[int]]:
    """Round ids of the years, creating missing rounds (round_id = year − 2500 keeps the
    ids in year order). Returns ({year: round_id}, years created)."""
    created = []
    for year in years:
        n = conn.execute(text("""
            INSERT INTO survey_round (round_id, year_be, label_th, label_en)
            VALUES (:id, :year, :th, :en) ON CONFLICT (year_be) DO NOTHING
        """), {"id": year - 2500, "year": year, "th": f"จปฐ. {year}", "en": f"BMN {year}"}).rowcount
        if n:
            created.append(year)
    ids = dict(conn.execute(text("SELECT year_be, round_id FROM survey_round "
                                 "WHERE year_be = ANY (:y)"), {"y": years}).all())
    return ids, created


def household_data_exists(conn: Connection) -> bool:
    return bool(conn.execute(text(
        "SELECT EXISTS (SELECT 1 FROM household) OR EXISTS (SELECT 1 FROM centre)")).scalar_one())


def delete_household_data(conn: Connection) -> None:
    """Remove households and everything about them, centres, process steps, targets,
    survey rounds, villages and aggregates. The audit log, users, areas and the
    catalogue stay."""
    conn.execute(text("""
        TRUNCATE household_nearest_centre, plan_item_event, plan_item, household_plan, visit,
                 member, household_round, household, centre, area_process_step,
                 province_target, agg_area_count, agg_area_score, village, survey_round
    """))


def read_demo_inputs(conn: Connection) -> DemoInputs:
    """Areas, catalogue, plan categories and agencies, for chipao.ingest.demo.generate."""
    tambons = pd.DataFrame(conn.execute(text("""
        SELECT pcode, name_th, name_en, area_km2, ST_AsBinary(geom) AS wkb
        FROM area WHERE level = 3 ORDER BY pcode
    """)).all(), columns=["pcode", "name_th", "name_en", "area_km2", "wkb"])
    tambons["geom"] = shapely.from_wkb(tambons.pop("wkb").map(bytes).to_numpy())
    levels = conn.execute(text("SELECT level, pcode FROM area WHERE level < 3 ORDER BY pcode")).all()
    categories = pd.DataFrame(conn.execute(text(
        "SELECT code, horizon FROM plan_category ORDER BY sort")).all(), columns=["code", "horizon"])
    agencies = conn.execute(text("SELECT code FROM agency ORDER BY sort")).scalars().all()
    return DemoInputs(tambons=tambons, districts=[p for lv, p in levels if lv == 2],
                      provinces=[p for lv, p in levels if lv == 1],
                      catalogue=read_catalogue(conn), categories=categories,
                      agencies=list(agencies))


def _reserve_ids(conn: Connection, table: str, column: str, n: int) -> int:
    """First of n consecutive ids taken from the column's sequence."""
    if n == 0:
        return 1
    return conn.execute(text("""
        SELECT setval(pg_get_serial_sequence(:t, :c),
                      nextval(pg_get_serial_sequence(:t, :c)) + :n - 1) - :n + 1
    """), {"t": table, "c": column, "n": n}).scalar_one()


def load_demo_data(conn: Connection, data: DemoData, parsed: ParsedFile, *,
                   progress: Progress | None = None, release: bool = False) -> dict:
    """Load a chipao.domain.demo.DemoData whose survey rows were validated into `parsed`
    (by chipao.ingest.demo.load): households through the household importer, the rest
    by COPY, then rebuild the aggregates. `release` drops each of data's frames once
    loaded (memory at full scale)."""
    say = progress or (lambda *_a: None)
    result = import_households(conn, parsed, refresh=False, progress=progress)
    del parsed
    round_ids = dict(conn.execute(text("SELECT year_be, round_id FROM survey_round")).all())

    m = data.members
    n_members = len(m)
    plans, items, events = data.plans, data.items, data.events
    plan0 = _reserve_ids(conn, "household_plan", "plan_id", len(plans))
    item0 = _reserve_ids(conn, "plan_item", "item_id", len(items))
    with bulk_mode(conn, ("member", "household_plan", "plan_item", "plan_item_event", "visit")):
        copy_binary(conn, "member", [
            Col("house_id", "text", m["house_id"]), Col("tambon_pcode", "text", m["tambon_pcode"]),
            Col("seq", "int2", m["seq"].to_numpy()),
            Col("national_id", "text", m["national_id"].to_numpy().astype("S13")),
            Col("first_name", "text", m["first_name"]), Col("last_name", "text", m["last_name"]),
            Col("sex", "text", m["sex"]), Col("birth_year_be", "int2", m["birth_year_be"].to_numpy()),
            Col("relation", "text", m["relation"]), Col("disability", "bool", m["disability"].to_numpy()),
        ], progress, "saving members")
        if release:
            data.members = m = None
        copy_binary(conn, "household_plan", [
            Col("plan_id", "int8", plans["plan_no"].to_numpy() + plan0 - 1),
            Col("house_id", "text", plans["house_id"].to_numpy()),
            Col("tambon_pcode", "text", plans["tambon_pcode"].to_numpy()),
            Col("round_id", "int2", plans["survey_year"].map(round_ids).to_numpy()),
            Col("created_on", "date", plans["created_on"].to_numpy()),
        ], progress, "saving plans")
        copy_binary(conn, "plan_item", [
            Col("item_id", "int8", items["item_no"].to_numpy() + item0 - 1),
            Col("plan_id", "int8", items["plan_no"].to_numpy() + plan0 - 1),
            *[Col(c, "text", items[c].to_numpy()) for c in
              ("house_id", "tambon_pcode", "horizon", "category_code", "agency_code", "status")],
            *[Col(c, "date", items[c].to_numpy()) for c in
              ("created_on", "due_on", "started_on", "completed_on")],
            Col("updated_at", "timestamptz", items["updated_at"].to_numpy()),
        ], progress, "saving plan items")
        copy_binary(conn, "plan_item_event", [
            Col("item_id", "int8", events["item_no"].to_numpy() + item0 - 1),
            *[Col(c, "text", events[c].to_numpy()) for c in
              ("tambon_pcode", "username", "old_status", "new_status")],
            Col("at", "timestamptz", events["at"].to_numpy()),
            Col("on_date", "date", events["on_date"].to_numpy()),
        ], progress, "saving item events")
        visits = data.visits.assign(causes=pg_array(data.visits["causes"]),
                                    needs=pg_array(data.visits["needs"]))
        copy_csv(conn, "visit", visits, progress, "saving visits")
        say("rebuilding indexes and keys", 0, 1)
    say("rebuilding indexes and keys", 1, 1)
    c = data.centres
    centres = pd.DataFrame({
        "code": c["code"], "name_th": c["name_th"], "name_en": c["name_en"],
        "tambon_pcode": c["tambon_pcode"],
        "location": [f"SRID=4326;POINT({x:.6f} {y:.6f})" for x, y in zip(c["lon"], c["lat"],
                                                                        strict=True)],
        "opened_on": c["opened_on"], "status": c["status"], "services": pg_array(c["services"]),
    })
    copy_csv(conn, "centre", centres, progress, "saving centres")
    s = data.steps
    copy_binary(conn, "area_process_step", [
        Col("pcode", "text", s["pcode"].to_numpy()), Col("step_no", "int2", s["step_no"].to_numpy()),
        Col("status", "text", s["status"].to_numpy()),
        Col("started_on", "date", s["started_on"].to_numpy()),
        Col("completed_on", "date", s["completed_on"].to_numpy()),
    ], progress, "saving the 9-step process")
    t = data.targets
    copy_binary(conn, "province_target", [
        Col("province_pcode", "text", t["province_pcode"].to_numpy()),
        Col("target_households", "int4", t["target_households"].to_numpy()),
    ], progress, "saving province targets")
    for table in ("member", "household_plan", "plan_item", "plan_item_event", "visit", "centre"):
        conn.execute(text(f"ANALYZE {table}"))
    say("rebuilding aggregates", 0, 1)
    aggregates.refresh(conn)
    say("rebuilding aggregates", 1, 1)
    return {
        "households": result.households_inserted, "rows": result.rounds_inserted,
        "import_seconds": result.seconds,
        "households_per_second": result.households_per_second,
        "members": n_members, "plans": len(plans), "items": len(items), "events": len(events),
        "visits": len(data.visits), "centres": len(centres), "steps": len(s),
        "targets": int(t["target_households"].sum()),
    }
