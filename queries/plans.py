"""Plan progress: the aggregate rebuild, the reads of the /plans page, the stalled-work
list and the plan-item status update (every SQL statement about plans lives here).

Definitions (also stated on the page):
- A survey round *starts* on 1 January of its year (Gregorian = B.E. − 543); the first
  round has no start (it takes everything earlier). The work on a round's households
  goes on for years (visits, follow-ups), so a visit counts for every round that had
  started by its date.
- The funnel counts programme-target households surveyed in the round: visited (≥ 1
  visit since the round started), analysed (such a visit recorded a poverty type), with
  a plan of the round, plan completed (≥ 1 non-cancelled item, all of them done), left
  poverty (had a plan, poor in the round, not poor in the next round). Each stage is a
  condition on its own, counted among the target households.
- Overdue: not started / in progress and due before the as-of date. Idle days: as-of
  date minus the date of the item's last change (``updated_at``, Bangkok time).
- The as-of date is the day of the rebuild (``plan_refresh``). Overdue and idle days
  move with the calendar, so the rebuild runs daily; status updates through the
  dashboard mark their tambon stale until then. A household import rebuilds only the
  figures that count households (``refresh_plans(incremental=True)``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from time import perf_counter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text

from chipao.domain.pcodes import PCODE_LENGTH, pcode_level
from chipao.domain.scope import Scope
from queries import audit, rollup
from queries.sql import sql
from queries.suppression import suppress

TZ = ZoneInfo("Asia/Bangkok")
HORIZONS = ("urgent", "medium", "long")
STATUSES = ("not_started", "in_progress", "done", "cancelled")
OPEN_STATUSES = ("not_started", "in_progress")
MAX_IDLE_DAYS = 730
MAX_NOTE_LENGTH = 1000
# Which status may follow which. Leaving a final state needs a note saying why.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "not_started": ("in_progress", "done", "cancelled"),
    "in_progress": ("done", "cancelled"),
    "done": ("in_progress",),  # reopened: the work turned out unfinished
    "cancelled": ("not_started",),  # reinstated
}
NOTE_REQUIRED = {("done", "in_progress"), ("cancelled", "not_started")}
FUNNEL_STAGES = ("target", "visited", "analysed", "with_plan", "plans_done", "left_poverty")
AGG_TABLES = ("agg_plan_area", "agg_plan_item", "agg_plan_horizon", "agg_plan_stalled",
              "agg_plan_monthly", "agg_plan_target")


def bangkok_today() -> date:
    return datetime.now(TZ).date()


# ── the rebuild ──────────────────────────────────────────────────────────────
# The statements are files in queries/sql/plans/ (one per step, run in this order by
# refresh_plans); `rounds_cte` is the survey rounds with their start dates, shared by two.
_ROUNDS = sql("plans/rounds_cte")
_FUNNEL_TAMBON = sql("plans/funnel_tambon")
_ITEMS_TAMBON = sql("plans/items_tambon")
_ITEM_KEYS = ("round_id", "horizon", "category_code", "agency_code", "status")
_AREA_TAMBON = sql("plans/area_tambon")
_AREA_VALUES = ("target", "visited", "analysed", "with_plan", "plans_done", "left_poverty",
                "items", "items_active", "items_done", "items_overdue")
_HORIZON = sql("plans/horizon")  # median days to completion, every level in one pass
_IDLE_TAMBON = sql("plans/idle_tambon")  # idle days of open items and households per tambon
_STALLED_LEVEL = sql("plans/stalled_level")
_FIRST = sql("plans/first_contacts")
_MONTHLY = sql("plans/monthly")
_TARGET_PROVINCES = sql("plans/target_provinces")
_TARGET_COUNTRY = sql("plans/target_country")


def _funnel_statements(incremental: bool) -> tuple[str, str]:
    """The funnel's and the area rows' statements, for every tambon or (incremental)
    for pg_temp.touched_tambon's (queries/rollup.py)."""
    where = rollup.tambon_filter
    funnel = _FUNNEL_TAMBON.format(
        rounds=_ROUNDS, where_visit=where(incremental, "v.tambon_pcode"),
        where_plan=where(incremental, "p.tambon_pcode"),
        where_household=where(incremental, "h.tambon_pcode"))
    area = _AREA_TAMBON.format(rounds=_ROUNDS, where_item=where(incremental, "pcode"))
    return funnel, area


def refresh_plans(conn: Connection, as_of: date | None = None,
                  incremental: bool = False) -> dict[str, float]:
    """Rebuild every plan aggregate inside the caller's (owner) transaction, as of
    `as_of` (default: today in Bangkok). Returns seconds per step.

    `incremental` (after an import of households in pg_temp.touched_tambon): only what
    counts households — the funnel of those tambons and of the areas above them, and
    the pace and targets (whole: their rows above a tambon are not sums of tambon
    rows). Item, horizon and stalled-work figures count plan items, which an import
    does not change: they stay as of the last full rebuild (plan_refresh.as_of)."""
    as_of = as_of or bangkok_today()
    timings: dict[str, float] = {}
    started = perf_counter()

    def timed(name: str, work: Callable[[], object]) -> None:
        t0 = perf_counter()
        work()
        timings[name] = timings.get(name, 0.0) + perf_counter() - t0

    def step(name: str, sql: str, **params: Any) -> None:
        timed(name, lambda: conn.execute(text(sql), params))

    rebuilt = ("agg_plan_area", "agg_plan_monthly", "agg_plan_target") if incremental \
        else AGG_TABLES
    rollup.clear(conn, "agg_plan_area", incremental)  # all rows, or the touched areas'
    for table in rebuilt:
        if table != "agg_plan_area":
            step("clear", f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    funnel, area = _funnel_statements(incremental)
    step("funnel", funnel)
    if not incremental:  # the area rows read the items' tambon rows
        step("items", _ITEMS_TAMBON, as_of=as_of)
        timed("items", lambda: rollup.roll_up(conn, "agg_plan_item", _ITEM_KEYS,
                                              ("items", "overdue"),
                                              ("sum(items)", "sum(overdue)"), False))
    step("area", area)
    timed("area", lambda: rollup.roll_up(conn, "agg_plan_area", ["round_id"], _AREA_VALUES,
                                         [f"sum({c})" for c in _AREA_VALUES], incremental))
    if not incremental:
        step("horizon", _HORIZON)
        step("stalled", _IDLE_TAMBON, as_of=as_of, max_idle=MAX_IDLE_DAYS)
        for level in (3, 2, 1, 0):
            step("stalled", _STALLED_LEVEL, level=level, len=PCODE_LENGTH[level])
    step("pace", _FIRST)
    for level in (2, 1, 0):
        step("pace", _MONTHLY, level=level, len=PCODE_LENGTH[level])
    step("target", _TARGET_PROVINCES)
    step("target", _TARGET_COUNTRY)
    for table in rebuilt:
        step("analyze", f"ANALYZE {table}")
    conn.execute(text("DROP TABLE IF EXISTS plan_funnel_t, plan_idle_t, plan_first_t"))
    total = perf_counter() - started
    timings["total"] = total
    if incremental:
        return timings
    conn.execute(
        text("""INSERT INTO plan_refresh (singleton, as_of, refreshed_at, seconds)
                VALUES (true, :as_of, now(), :s)
                ON CONFLICT (singleton) DO UPDATE SET as_of = EXCLUDED.as_of,
                  refreshed_at = EXCLUDED.refreshed_at, seconds = EXCLUDED.seconds"""),
        {"as_of": as_of, "s": total},
    )
    # Updates committed after this transaction began are not in the figures: keep them.
    conn.execute(text("DELETE FROM plan_stale_area WHERE last_at < now()"))
    return timings


# ── small helpers ────────────────────────────────────────────────────────────
def _s(n: int | None, scope: Scope) -> int | None:
    return suppress(None if n is None else int(n), scope)


def refresh_state(conn: Connection, pcode: str = "TH") -> dict | None:
    """{as_of, refreshed_at, seconds, pending_updates, pending_areas} for the area, or
    None before the first rebuild. Pending: status updates not yet in the figures."""
    row = conn.execute(text("SELECT as_of, refreshed_at, seconds FROM plan_refresh")).first()
    if row is None:
        return None
    pending = conn.execute(
        text("SELECT coalesce(sum(updates), 0), count(*) FROM plan_stale_area "
             "WHERE starts_with(tambon_pcode, :p)"), {"p": pcode}).one()
    return {**row._mapping, "pending_updates": int(pending[0]), "pending_areas": int(pending[1])}


# ── funnel, horizons, agencies ───────────────────────────────────────────────
def funnel(conn: Connection, scope: Scope, round_id: int, pcode: str) -> dict:
    """The funnel of one area and round: {stage: count} for FUNNEL_STAGES plus
    items/items_active/items_done/items_overdue and `has_next_round`. Zeros when the
    area has no programme households."""
    row = conn.execute(
        text("""SELECT a.*, EXISTS (SELECT 1 FROM survey_round s, survey_round c
                                     WHERE c.round_id = :r AND s.year_be > c.year_be)
                        AS has_next_round
                FROM (SELECT 1) one
                LEFT JOIN agg_plan_area a ON a.round_id = :r AND a.level = :level
                     AND a.pcode = :p"""),
        {"r": round_id, "level": pcode_level(pcode), "p": pcode},
    ).mappings().one()
    has_next = bool(row["has_next_round"])
    out: dict[str, Any] = {"has_next_round": has_next}
    for key in (*FUNNEL_STAGES, "items", "items_active", "items_done", "items_overdue"):
        value = row[key] or 0
        out[key] = _s(value, scope) if key != "left_poverty" or has_next else None
    return out


def item_counts(conn: Connection, scope: Scope, round_id: int, pcode: str) -> list[dict]:
    """Plan items of the area and round by horizon, category, agency and status, with
    the overdue ones: [{horizon, category_code, agency_code, status, items, overdue}]."""
    rows = conn.execute(
        text("""SELECT horizon, category_code, agency_code, status, items, overdue
                FROM agg_plan_item WHERE round_id = :r AND level = :level AND pcode = :p"""),
        {"r": round_id, "level": pcode_level(pcode), "p": pcode},
    ).mappings()
    return [dict(r) for r in rows]


def horizons(conn: Connection, scope: Scope, round_id: int, pcode: str) -> list[dict]:
    """Per horizon: items by status, overdue, done items and median days to completion."""
    by = {h: {"horizon": h, **{s: 0 for s in STATUSES}, "items": 0, "overdue": 0,
              "done_items": 0, "median_days": None} for h in HORIZONS}
    rows = conn.execute(
        text("""SELECT horizon, status, sum(items) AS items, sum(overdue) AS overdue
                FROM agg_plan_item WHERE round_id = :r AND level = :level AND pcode = :p
                GROUP BY horizon, status"""),
        {"r": round_id, "level": pcode_level(pcode), "p": pcode},
    )
    for horizon, status, items, overdue in rows:
        h = by.setdefault(horizon, {"horizon": horizon, **{s: 0 for s in STATUSES},
                                    "items": 0, "overdue": 0, "done_items": 0,
                                    "median_days": None})
        h[status] += int(items)
        h["items"] += int(items)
        h["overdue"] += int(overdue)
    medians = conn.execute(
        text("""SELECT horizon, done_items, median_days FROM agg_plan_horizon
                WHERE round_id = :r AND level = :level AND pcode = :p"""),
        {"r": round_id, "level": pcode_level(pcode), "p": pcode},
    )
    for horizon, done_items, median in medians:
        if horizon in by:
            by[horizon]["done_items"] = int(done_items)
            # a median of fewer than the suppression threshold would reveal single items
            by[horizon]["median_days"] = (None if _s(done_items, scope) is None
                                          else float(median))
    out = []
    for h in by.values():
        out.append({k: (_s(v, scope) if k in (*STATUSES, "items", "overdue", "done_items")
                        else v) for k, v in h.items()})
    return out


def agency_matrix(conn: Connection, scope: Scope, round_id: int, pcode: str) -> list[dict]:
    """Agency × item category: [{agency_code, category_code, done, open, overdue,
    cancelled}] for cells with items, agencies and categories in catalogue order."""
    rows = conn.execute(
        text("""SELECT i.agency_code, i.category_code,
                       sum(i.items) FILTER (WHERE i.status = 'done') AS done,
                       sum(i.items) FILTER (WHERE i.status IN ('not_started', 'in_progress'))
                           AS open,
                       sum(i.overdue) AS overdue,
                       sum(i.items) FILTER (WHERE i.status = 'cancelled') AS cancelled
                FROM agg_plan_item i
                JOIN agency a ON a.code = i.agency_code
                JOIN plan_category c ON c.code = i.category_code
                WHERE i.round_id = :r AND i.level = :level AND i.pcode = :p
                GROUP BY i.agency_code, i.category_code, a.sort, c.sort
                ORDER BY a.sort, c.sort"""),
        {"r": round_id, "level": pcode_level(pcode), "p": pcode},
    ).mappings()
    return [{"agency_code": r["agency_code"], "category_code": r["category_code"],
             **{k: _s(r[k] or 0, scope) for k in ("done", "open", "overdue", "cancelled")}}
            for r in rows]


def most_unmet_agency(matrix: list[dict]) -> dict | None:
    """The agency with the most open items (ties: the most overdue), from agency_matrix
    rows: {agency_code, open, overdue, done}; None when nothing is open."""
    totals: dict[str, dict] = {}
    for cell in matrix:
        t = totals.setdefault(cell["agency_code"], {"agency_code": cell["agency_code"],
                                                    "open": 0, "overdue": 0, "done": 0})
        for k in ("open", "overdue", "done"):
            t[k] += cell[k] or 0
    ranked = sorted(totals.values(), key=lambda t: (-t["open"], -t["overdue"], t["agency_code"]))
    return ranked[0] if ranked and ranked[0]["open"] > 0 else None


def catalogue(conn: Connection) -> dict[str, list[dict]]:
    """Agencies, plan categories and the 9 steps with their names, in order."""
    return {
        "agencies": [dict(r) for r in conn.execute(text(
            "SELECT code, kind, name_th, name_en FROM agency ORDER BY sort")).mappings()],
        "categories": [dict(r) for r in conn.execute(text(
            "SELECT code, horizon, name_th, name_en FROM plan_category ORDER BY sort")).mappings()],
        "steps": [dict(r) for r in conn.execute(text(
            "SELECT step_no, name_th, name_en FROM process_step ORDER BY step_no")).mappings()],
    }


# ── maps ─────────────────────────────────────────────────────────────────────
_AREA_COUNTS = ("target", "visited", "analysed", "with_plan", "plans_done", "items_active",
                "items_done", "items_overdue")


def area_values(conn: Connection, scope: Scope, round_id: int, level: int,
                parent: str | None) -> list[dict]:
    """Every area of `level` (inside `parent`) with its funnel and item totals for the
    round (zeros where nothing is stored): [{pcode, name_th, name_en, target, visited,
    analysed, with_plan, plans_done, items_active, items_done, items_overdue}], by P-code."""
    rows = conn.execute(
        text("""SELECT a.pcode, a.name_th, a.name_en,
                       coalesce(g.target, 0), coalesce(g.visited, 0), coalesce(g.analysed, 0),
                       coalesce(g.with_plan, 0), coalesce(g.plans_done, 0),
                       coalesce(g.items_active, 0), coalesce(g.items_done, 0),
                       coalesce(g.items_overdue, 0)
                FROM area a
                LEFT JOIN agg_plan_area g ON g.round_id = :r AND g.level = a.level
                     AND g.pcode = a.pcode
                WHERE a.level = :level
                  AND (CAST(:parent AS text) IS NULL
                       OR starts_with(a.pcode, CAST(:parent AS text)))
                ORDER BY a.pcode"""),
        {"r": round_id, "level": level, "parent": parent},
    ).all()
    keys = ("pcode", "name_th", "name_en", *_AREA_COUNTS)
    out = [dict(zip(keys, r, strict=True)) for r in rows]
    if scope.suppress_small_counts:
        for r in out:
            for k in _AREA_COUNTS:
                r[k] = _s(r[k], scope)
    return out


# ── the 9-step process ───────────────────────────────────────────────────────
def area_steps(conn: Connection, scope: Scope, pcode: str) -> list[dict]:
    """The nine steps of one area: [{step_no, name_th, name_en, status, started_on,
    completed_on}] (status 'not_started' where nothing is recorded)."""
    rows = conn.execute(
        text("""SELECT s.step_no, s.name_th, s.name_en,
                       coalesce(a.status, 'not_started') AS status, a.started_on,
                       a.completed_on
                FROM process_step s
                LEFT JOIN area_process_step a ON a.step_no = s.step_no AND a.pcode = :p
                ORDER BY s.step_no"""),
        {"p": pcode},
    ).mappings()
    return [dict(r) for r in rows]


def steps_by_area(conn: Connection, scope: Scope, level: int, parent: str | None) -> list[dict]:
    """Areas of a level (province or district, inside `parent`) with the status of each
    step and the highest step done: [{pcode, name_th, name_en, highest_done,
    steps: {step_no: {status, started_on, completed_on}}}]."""
    rows = conn.execute(
        text("""SELECT a.pcode, a.name_th, a.name_en, s.step_no, s.status, s.started_on,
                       s.completed_on
                FROM area a
                LEFT JOIN area_process_step s ON s.pcode = a.pcode
                WHERE a.level = :level
                  AND (CAST(:parent AS text) IS NULL
                       OR starts_with(a.pcode, CAST(:parent AS text)))
                ORDER BY a.pcode, s.step_no"""),
        {"level": level, "parent": parent},
    )
    out: dict[str, dict] = {}
    for pcode, name_th, name_en, step_no, status, started, completed in rows:
        area = out.setdefault(pcode, {"pcode": pcode, "name_th": name_th, "name_en": name_en,
                                      "highest_done": 0, "steps": {}})
        if step_no is None:
            continue
        area["steps"][int(step_no)] = {"status": status, "started_on": started,
                                       "completed_on": completed}
        if status == "done":
            area["highest_done"] = max(area["highest_done"], int(step_no))
    return list(out.values())


# ── targets and pace ─────────────────────────────────────────────────────────
def targets(conn: Connection, scope: Scope) -> list[dict]:
    """The country (first) and every province: target households, programme-target
    households in the store, and those visited / analysed / given a plan in any round."""
    rows = conn.execute(
        text("""SELECT t.level, t.pcode, coalesce(a.name_th, '') AS name_th,
                       coalesce(a.name_en, '') AS name_en, t.target_households, t.in_store,
                       t.visited, t.analysed, t.with_plan
                FROM agg_plan_target t LEFT JOIN area a ON a.pcode = t.pcode
                ORDER BY t.level, t.pcode"""),
    ).mappings()
    counts = ("in_store", "visited", "analysed", "with_plan")
    return [{**r, **{k: _s(r[k], scope) for k in counts}} for r in rows]


def monthly(conn: Connection, scope: Scope, pcode: str) -> list[dict]:
    """Programme-target households first visited / first given a plan per month, for the
    country, a province or a district: [{month, first_visits, first_plans}]."""
    level = pcode_level(pcode)
    if level > 2:
        return []
    rows = conn.execute(
        text("""SELECT month, first_visits, first_plans FROM agg_plan_monthly
                WHERE level = :level AND pcode = :p ORDER BY month"""),
        {"level": level, "p": pcode},
    ).mappings()
    return [{"month": r["month"], "first_visits": _s(r["first_visits"], scope),
             "first_plans": _s(r["first_plans"], scope)} for r in rows]


# ── stalled work ─────────────────────────────────────────────────────────────
def stalled_areas(conn: Connection, scope: Scope, round_id: int, level: int,
                  parent: str | None, days: int, limit: int | None = None) -> list[dict]:
    """Areas of `level` (inside `parent`) with open items of the round idle for at least
    `days` days before the as-of date: [{pcode, name_th, name_en, items, households,
    open_items, open_households}], most stalled households first (at most `limit`);
    areas without stalled items are left out. The database finds the first idle_days
    element ≥ days by binary search (width_bucket), so the arrays never travel."""
    rows = conn.execute(
        text("""SELECT a.pcode, a.name_th, a.name_en, s.items_ge[f.i] AS items,
                       s.households_ge[f.i] AS households, s.items_ge[1] AS open_items,
                       s.households_ge[1] AS open_households
                FROM agg_plan_stalled s
                JOIN area a ON a.pcode = s.pcode
                -- first element ≥ days = 1 + the number of elements ≤ days − 1 (binary search)
                CROSS JOIN LATERAL (SELECT width_bucket(:days - 1, s.idle_days) + 1 AS i) f
                WHERE s.round_id = :r AND s.level = :level
                  AND (CAST(:parent AS text) IS NULL
                       OR starts_with(s.pcode, CAST(:parent AS text)))
                  AND s.items_ge[f.i] IS NOT NULL
                ORDER BY s.households_ge[f.i] DESC, s.items_ge[f.i] DESC, a.pcode
                LIMIT :limit"""),
        {"r": round_id, "level": level, "parent": parent,
         "days": min(days, MAX_IDLE_DAYS), "limit": limit},
    ).mappings()
    counts = ("items", "households", "open_items", "open_households")
    return [{**r, **{k: _s(r[k], scope) for k in counts}} for r in rows]


def stalled_totals(conn: Connection, scope: Scope, round_id: int, pcode: str,
                   days: int) -> dict:
    """{items, households, open_items, open_households} of one area (zeros if none)."""
    rows = stalled_areas(conn, scope, round_id, pcode_level(pcode),
                         pcode if pcode != "TH" else None, days)
    for r in rows:
        if r["pcode"] == pcode:
            return r
    return {"pcode": pcode, "items": 0, "households": 0, "open_items": None,
            "open_households": None}


STALLED_COLUMNS = ("house_id", "tambon_pcode", "tambon_name_th", "tambon_name_en",
                   "village_no", "open_items", "overdue_items", "last_change", "idle_days",
                   "earliest_due", "agencies")


def _ranges(column: str, n: int) -> str:
    """`column` within one of n P-code prefixes (:pre0 … with upper bounds :hi0 …), as
    index ranges with bound values, so that the planner estimates them from statistics."""
    return " OR ".join(f"({column} >= :pre{k} AND {column} < :hi{k})" for k in range(n))


def _range_params(prefixes: list[str]) -> dict[str, str]:
    # digits sort before letters: every P-code starting with the prefix lies below prefix+'A'
    out = {}
    for k, p in enumerate(prefixes):
        out[f"pre{k}"], out[f"hi{k}"] = p, p + "A"
    return out


def _scope_prefixes(scope: Scope, pcode: str) -> list[str]:
    """The parts of area `pcode` inside the scope, as P-code prefixes (an index range
    each): the area itself when the scope covers it, else the scope's areas within it."""
    if scope.covers(pcode):
        return [pcode]
    return sorted(a for a in scope.areas if a.startswith(pcode)) if scope.may_see_records else []


def stalled_households(conn: Connection, scope: Scope, round_id: int, pcode: str, days: int,
                       as_of: date, limit: int | None = 500) -> list[dict]:
    """Households of the area (inside the user's scope) whose open items of the round
    have all been idle for at least `days` days before `as_of`, longest idle first.
    Personal data: record roles only, through `scoped(scope)` so that row-level
    security applies; every row is checked against the scope again."""
    if not scope.may_see_records:
        raise PermissionError("household lists need a province, district or tambon role")
    prefixes = _scope_prefixes(scope, pcode)
    if not prefixes:
        return []
    rows = conn.execute(
        text(sql("plans/stalled_households").format(  # noqa: S608 - generated ranges
            item_ranges=_ranges("i.tambon_pcode", len(prefixes)),
            plan_ranges=_ranges("p.tambon_pcode", len(prefixes)))),
        {**_range_params(prefixes), "r": round_id, "as_of": as_of,
         "cutoff": date.fromordinal(as_of.toordinal() - days), "limit": limit},
    ).mappings()
    return [dict(r) for r in rows if scope.covers(r["tambon_pcode"])]


def record_export(conn: Connection, scope: Scope, what: str, details: dict,
                  ip: str | None = None) -> None:
    """Audit a list shown or exported from the plans page (in the reading transaction)."""
    audit.record(conn, scope, "export" if what == "export" else "household_search",
                 target="plans:stalled", details=details, ip=ip,
                 rows=details.get("rows") if isinstance(details.get("rows"), int) else None)


# ── plan items and the status update ─────────────────────────────────────────
class PlanUpdateError(ValueError):
    """A refused status update. `code` names the reason (the page translates it);
    the message says it in English for logs and the command line."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


_ITEM_COLUMNS = """
    i.item_id, i.plan_id, i.house_id, i.tambon_pcode, i.horizon, i.category_code,
    c.name_th AS category_th, c.name_en AS category_en, i.agency_code,
    g.name_th AS agency_th, g.name_en AS agency_en, i.status, i.created_on, i.due_on,
    i.started_on, i.completed_on, i.updated_at, i.note, p.round_id
"""
_ITEM_FROM = """
    FROM plan_item i
    JOIN household_plan p ON p.plan_id = i.plan_id
    JOIN plan_category c ON c.code = i.category_code
    JOIN agency g ON g.code = i.agency_code
"""


def _item_dict(row) -> dict:
    item = dict(row)
    item["next_statuses"] = list(TRANSITIONS.get(item["status"], ()))
    return item


def get_item(conn: Connection, scope: Scope, item_id: int) -> dict | None:
    """One plan item the scope may see (row-level security), with the statuses it may
    move to (`next_statuses`); None if absent or outside the scope."""
    if not scope.may_see_records:
        return None
    row = conn.execute(text(f"SELECT {_ITEM_COLUMNS} {_ITEM_FROM} WHERE i.item_id = :id"),  # noqa: S608
                       {"id": item_id}).mappings().first()
    if row is None or not scope.covers(row["tambon_pcode"]):
        return None
    return _item_dict(row)


def household_items(conn: Connection, scope: Scope, house_id: str) -> list[dict]:
    """The plan items of one household (all rounds, newest round first, then horizon
    and category), for the household record page; [] outside the scope."""
    if not scope.may_see_records:
        return []
    rows = conn.execute(
        text(f"SELECT {_ITEM_COLUMNS} {_ITEM_FROM} WHERE i.house_id = :h "  # noqa: S608
             "ORDER BY p.round_id DESC, array_position(ARRAY['urgent','medium','long'], "
             "i.horizon), c.sort, i.item_id"),
        {"h": house_id},
    ).mappings()
    return [_item_dict(r) for r in rows if scope.covers(r["tambon_pcode"])]


def _as_date(value: date | str | None) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not value:
        raise PlanUpdateError("date_missing", "a date is required")
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise PlanUpdateError("date_invalid", f"{value!r} is not a date (YYYY-MM-DD)") from None


def update_item_status(conn: Connection, scope: Scope, item_id: int, new_status: str,
                       on_date: date | str | None, note: str | None = None,
                       today: date | None = None, ip: str | None = None) -> dict:
    """Record a plan item's new status on `on_date`, with a note.

    Run it in ``scoped(scope)`` so that row-level security also guards the write. Refuses
    (PlanUpdateError, nothing written) a role other than a tambon officer, an unknown
    status, an item outside the scope, an illegal transition, a date in the future,
    before the item was created or (completion) before it was started. Writes the item,
    a plan_item_event row and an audit row, and marks the tambon stale until the next
    aggregate rebuild. Returns the updated item."""
    today = today or bangkok_today()
    if not scope.may_update_plans:
        raise PlanUpdateError("role", f"role {scope.role} may not update plan items; "
                                      "only tambon officers record progress")
    if new_status not in STATUSES:
        raise PlanUpdateError("status_unknown", f"unknown status {new_status!r}; use one of "
                              + ", ".join(STATUSES), status=new_status)
    on = _as_date(on_date)
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE_LENGTH:
        raise PlanUpdateError("note_long", f"the note is longer than {MAX_NOTE_LENGTH} characters")
    row = conn.execute(
        text(f"SELECT {_ITEM_COLUMNS} {_ITEM_FROM} WHERE i.item_id = :id "  # noqa: S608
             "FOR UPDATE OF i"), {"id": item_id}).mappings().first()
    if row is None or not scope.covers(row["tambon_pcode"]):
        raise PlanUpdateError("not_in_scope", f"plan item {item_id} is not in your area",
                              item_id=item_id)
    old = row["status"]
    if new_status == old:
        raise PlanUpdateError("same_status", f"plan item {item_id} is already {old}",
                              status=old)
    if new_status not in TRANSITIONS[old]:
        raise PlanUpdateError("transition", f"a {old} item cannot become {new_status}; "
                              f"allowed: {', '.join(TRANSITIONS[old])}",
                              old=old, new=new_status)
    if (old, new_status) in NOTE_REQUIRED and not note:
        raise PlanUpdateError("note_required", f"say why the {old} item becomes {new_status}",
                              old=old, new=new_status)
    if on > today:
        raise PlanUpdateError("date_future", f"{on.isoformat()} is in the future "
                              f"(today is {today.isoformat()})", date=on, today=today)
    if on < row["created_on"]:
        raise PlanUpdateError("date_before_created", f"{on.isoformat()} is before the item "
                              f"was created ({row['created_on'].isoformat()})",
                              date=on, created=row["created_on"])
    started, completed = row["started_on"], row["completed_on"]
    if new_status == "done":
        if started is not None and on < started:
            raise PlanUpdateError("date_before_started", f"completion {on.isoformat()} is "
                                  f"before the start ({started.isoformat()})",
                                  date=on, started=started)
        started, completed = started or on, on
    elif new_status == "in_progress":
        started, completed = started if old == "done" else (started or on), None
    elif new_status == "not_started":
        started, completed = None, None
    # cancelled keeps its dates: the event row says when it was cancelled
    conn.execute(
        text("""UPDATE plan_item SET status = :s, started_on = :st, completed_on = :co,
                       updated_at = now(), note = coalesce(:note, note)
                WHERE item_id = :id"""),
        {"s": new_status, "st": started, "co": completed, "note": note, "id": item_id},
    )
    conn.execute(
        text("""INSERT INTO plan_item_event (item_id, tambon_pcode, username, old_status,
                                             new_status, on_date, note)
                VALUES (:id, :t, :u, :old, :new, :on, :note)"""),
        {"id": item_id, "t": row["tambon_pcode"], "u": scope.username, "old": old,
         "new": new_status, "on": on, "note": note},
    )
    audit.record(conn, scope, "plan_item_update", target=f"plan_item:{item_id}",
                 details={"house_id": row["house_id"], "tambon": row["tambon_pcode"],
                          "old": old, "new": new_status, "on_date": on.isoformat()},
                 ip=ip)
    conn.execute(
        text("""INSERT INTO plan_stale_area AS s (tambon_pcode) VALUES (:t)
                ON CONFLICT (tambon_pcode) DO UPDATE
                SET last_at = now(), updates = s.updates + 1"""),
        {"t": row["tambon_pcode"]},
    )
    updated = get_item(conn, scope, item_id)
    assert updated is not None  # it was visible a moment ago, in this transaction
    return updated


def rounds_with_plans(conn: Connection) -> set[int]:
    """B.E. years of the survey rounds that have household plans (plans belong to the
    round whose survey found the household; the latest round may have none yet)."""
    return set(conn.execute(text(
        "SELECT s.year_be FROM survey_round s "
        "WHERE EXISTS (SELECT 1 FROM agg_plan_area a WHERE a.round_id = s.round_id "
        "AND a.level = 0 AND a.with_plan > 0)"
    )).scalars())
