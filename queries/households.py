"""Household lists of an area: paging, sorting, filtering, search and exports.

Two walls: `list_context` checks the user's scope covers the area (and refuses
anything off the allow-lists) before any household row is read; every query then
runs in `scoped(scope)`, where PostgreSQL's row-level security hides other areas.
SQL is SQLAlchemy Core built from fixed column objects: every value the user sent is
a bound parameter, and sort/filter columns come from the allow-lists of
chipao/domain/household_filters.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    REAL,
    Boolean,
    ColumnElement,
    Connection,
    Date,
    Integer,
    Select,
    SmallInteger,
    Text,
    and_,
    cast,
    column,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    table,
    true,
)

from chipao.domain.household_filters import (
    ColumnFilter,
    Condition,
    GridRequest,
    ListParams,
    Refused,
)
from chipao.domain.scope import Scope
from chipao.settings import current
from queries import areas
from queries.audit import paging_rows, record
from queries.catalogue import Catalogue, load_catalogue
from queries.db import scoped
from queries.rounds import SurveyRound, list_rounds, resolve_round
from queries.suppression import suppress

EXPORT_CAP = 100_000  # rows per export file

# ── tables (only the columns used here) ──────────────────────────────────────
_hr = table("household_round", column("house_id", Text), column("round_id", SmallInteger),
            column("tambon_pcode", Text), column("size", SmallInteger),
            column("welfare_card", Boolean), column("failed", Integer),
            column("not_applicable", Integer), column("dims_failed", SmallInteger),
            column("n_dims_failed", SmallInteger), column("score", REAL))
_hh = table("household", column("house_id", Text), column("tambon_pcode", Text),
            column("village_no", SmallInteger))
_mem = table("member", column("house_id", Text), column("seq", SmallInteger),
             column("first_name", Text), column("last_name", Text), column("relation", Text))
_item = table("plan_item", column("house_id", Text), column("tambon_pcode", Text),
              column("status", Text))
_visit = table("visit", column("house_id", Text), column("tambon_pcode", Text),
               column("visited_on", Date))
_area = table("area", column("pcode", Text), column("name_th", Text), column("name_en", Text))

R = _hr.alias("r")
H = _hh.alias("h")


# ── context ──────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class ListContext:
    """A checked list request: build it with `list_context` (which enforces scope)."""

    params: ListParams
    round: SurveyRound
    catalogue: Catalogue
    area: dict | None  # the district or tambon (None: a search over the whole scope)
    tambons: tuple[str, ...]  # tambons of the area (a district's children, or the tambon)
    scope_areas: tuple[str, ...]  # the scope the request was checked against

    @property
    def level(self) -> int | None:
        return self.area["level"] if self.area else None


def refuse_out_of_scope(pcode: str) -> Refused:
    return Refused(
        "พื้นที่นี้อยู่นอกขอบเขตที่ท่านมีสิทธิ์เข้าถึง — คำขอถูกปฏิเสธและบันทึกไว้แล้ว",
        "This area is outside your scope — the request was refused and logged",
        area=pcode)


def require_records(scope: Scope) -> None:
    if not scope.may_see_records:
        raise Refused("บทบาทของท่านไม่มีสิทธิ์ดูข้อมูลรายครัวเรือน",
                      "Your role may not see household records", role=str(scope.role))


def list_context(conn: Connection, scope: Scope, params: ListParams) -> ListContext:
    """Check a list request against the user's scope and the stored catalogue.

    The application's wall: refuses (Refused) a role without household records, an
    area outside the scope, a province (lists are per district or tambon), an unknown
    area, village, round, dimension or indicator, and a name search for a role that
    may not see names.
    """
    require_records(scope)
    area: dict | None = None
    tambons: tuple[str, ...] = ()
    if params.area is not None:
        if not scope.covers(params.area):
            raise refuse_out_of_scope(params.area)
        area = areas.get_area(conn, params.area)
        if area is None or area["level"] not in (2, 3):
            raise Refused("ไม่พบอำเภอหรือตำบลนี้", "No such district or tambon", area=params.area)
        tambons = ((params.area,) if area["level"] == 3
                   else tuple(a["pcode"] for a in areas.children(conn, params.area)))
    elif params.q is None:
        raise Refused("เลือกอำเภอหรือตำบล หรือพิมพ์คำค้น", "Choose a district or tambon, or search")
    if params.village is not None and params.village not in {
            v["village_no"] for v in villages(conn, scope, params.area)}:
        raise Refused("ไม่พบหมู่บ้านนี้ในตำบล", "No such village in this tambon",
                      village=params.village)
    if params.q_kind == "name" and not scope.may_see_names:
        raise Refused("บทบาทของท่านค้นหาด้วยชื่อไม่ได้", "Your role may not search by name")
    try:
        current = resolve_round(list_rounds(conn), params.round)
    except ValueError as err:
        raise Refused(f"ไม่พบรอบการสำรวจ {params.round}", str(err), round=params.round) from None
    if current is None:
        raise Refused("ยังไม่มีข้อมูลการสำรวจ", "No survey data yet")
    catalogue = load_catalogue(conn)
    if params.dim is not None and catalogue.dimension(params.dim) is None:
        raise Refused(f"ไม่รู้จักมิติ {params.dim!r}", f"Unknown dimension {params.dim!r}")
    if params.ind is not None and catalogue.indicator(params.ind) is None:
        raise Refused(f"ไม่รู้จักตัวชี้วัด {params.ind!r}", f"Unknown indicator {params.ind!r}")
    return ListContext(params, current, catalogue, area, tambons, scope.areas)


def _check(scope: Scope, ctx: ListContext) -> None:
    """Re-check the scope at every query (a context never outlives its user's rights)."""
    require_records(scope)
    if ctx.scope_areas != scope.areas or (ctx.area and not scope.covers(ctx.area["pcode"])):
        raise refuse_out_of_scope(ctx.area["pcode"] if ctx.area else "")


def villages(conn: Connection, scope: Scope, tambon: str | None) -> list[dict]:
    """Villages (หมู่ที่) of a tambon in the scope: [{village_no, name_th}]."""
    if tambon is None or len(tambon) != 8 or not scope.covers(tambon):
        return []
    v = table("village", column("tambon_pcode", Text), column("village_no", SmallInteger),
              column("name_th", Text))
    rows = conn.execute(select(v.c.village_no, v.c.name_th).where(v.c.tambon_pcode == tambon)
                        .order_by(v.c.village_no))
    return [dict(r._mapping) for r in rows]


# ── conditions ───────────────────────────────────────────────────────────────
def area_terms(ctx: ListContext, col: ColumnElement) -> list[ColumnElement]:
    """The request's area as conditions on a table's tambon column. Repeated inside
    the plan and visit subqueries so the planner can read those tables by tambon
    (one hash join) instead of probing them once per household."""
    if ctx.area is None:  # a search over the whole scope (RLS applies the same rule)
        return [or_(*[col.startswith(a, autoescape=True) for a in ctx.scope_areas])
                if ctx.scope_areas else false()]
    if len(ctx.tambons) == 1:
        return [col == ctx.tambons[0]]
    return [col.in_(ctx.tambons) if ctx.tambons else false()]


def _plan_exists(ctx: ListContext, *statuses: str) -> ColumnElement:
    i = _item.alias("i")
    return exists(select(literal(1)).where(i.c.house_id == R.c.house_id,
                                           i.c.status.in_(statuses),
                                           *area_terms(ctx, i.c.tambon_pcode)))


def plan_state_condition(ctx: ListContext, state: str) -> ColumnElement:
    """Plan status over the household's plan items (cancelled items do not count):
    none = no items; not_started = items, none started; in_progress = some started or
    done and some still open; done = every item done."""
    active = _plan_exists(ctx, "not_started", "in_progress", "done")
    progress = _plan_exists(ctx, "in_progress", "done")
    open_ = _plan_exists(ctx, "not_started", "in_progress")
    return {
        "none": not_(active),
        "not_started": and_(active, not_(progress)),
        "in_progress": and_(progress, open_),
        "done": and_(active, not_(open_)),
    }[state]


def plan_state(n_not_started: int, n_in_progress: int, n_done: int) -> str:
    """The same rule in Python, for display."""
    if n_not_started + n_in_progress + n_done == 0:
        return "none"
    if n_in_progress + n_done == 0:
        return "not_started"
    return "in_progress" if n_not_started + n_in_progress else "done"


def _last_visits(ctx: ListContext):
    """Latest visit per household of the area, for sorting by it (one grouped read of
    the area's visits rather than one probe per household)."""
    v = _visit.alias("vs")
    return (select(v.c.house_id, func.max(v.c.visited_on).label("last_visit"))
            .where(*area_terms(ctx, v.c.tambon_pcode)).group_by(v.c.house_id).subquery("lvs"))


def _prefix(col: ColumnElement, prefix: str) -> ColumnElement:
    """Prefix match with the text_pattern_ops operators, so an index serves it in any
    collation and in generic (prepared) plans. House IDs are ASCII below '~'."""
    return and_(col.op("~>=~")(prefix), col.op("~<~")(prefix + "~"))


_GRID_COLUMNS = {"village_no": H.c.village_no, "size": R.c.size,
                 "n_dims_failed": R.c.n_dims_failed, "score": R.c.score, "house_id": H.c.house_id}


def _grid_condition(f: ColumnFilter, c: Condition) -> ColumnElement:
    col = _GRID_COLUMNS[f.column]  # the parser allowed only these columns

    def val(x: Any) -> ColumnElement:
        return cast(literal(x), REAL) if f.column == "score" else literal(x)

    if f.kind == "text":
        return {"equals": lambda: col == c.value,
                "startsWith": lambda: _prefix(col, str(c.value)),
                "contains": lambda: col.contains(str(c.value), autoescape=True)}[c.op]()
    return {
        "equals": lambda: col == val(c.value), "notEqual": lambda: col != val(c.value),
        "lessThan": lambda: col < val(c.value), "lessThanOrEqual": lambda: col <= val(c.value),
        "greaterThan": lambda: col > val(c.value),
        "greaterThanOrEqual": lambda: col >= val(c.value),
        "inRange": lambda: col.between(val(c.value), val(c.value_to)),
    }[c.op]()


def _conditions(ctx: ListContext, grid_filters: tuple[ColumnFilter, ...]) -> tuple[list, bool]:
    """WHERE terms for a request, and whether they need the household table."""
    p, cat = ctx.params, ctx.catalogue
    terms: list[ColumnElement] = [R.c.round_id == ctx.round.round_id,
                                  *area_terms(ctx, R.c.tambon_pcode)]
    needs_h = False
    if p.village is not None:
        terms.append(H.c.village_no == p.village)
        needs_h = True
    if p.q_kind == "house_id":
        terms.append(_prefix(H.c.house_id, p.q))
        needs_h = True
    elif p.q_kind == "name":
        # Members matching the name within the caller's scope (migration 0004: a
        # trigram search the RLS-bound role could not run on the index itself).
        found = func.chipao_member_search(f"%{p.q}%").table_valued("house_id").alias("found")
        terms.append(R.c.house_id.in_(select(found.c.house_id)))
    if p.dim is not None:
        terms.append(R.c.dims_failed.op("&")(1 << cat.dimension(p.dim).sort) != 0)
    if p.ind is not None:
        terms.append(R.c.failed.op("&")(1 << cat.indicator(p.ind).bit) != 0)
    if p.dims is not None:
        terms.append(R.c.n_dims_failed >= p.dims)
    if p.k is not None:  # compare as real, as stored: 0.7 must match a stored 0.7
        terms.append(R.c.score >= cast(literal(p.k), REAL))
    if p.plan is not None:
        terms.append(plan_state_condition(ctx, p.plan))
    if p.visited is not None:
        v = _visit.alias("v")
        seen = exists(select(literal(1)).where(v.c.house_id == R.c.house_id,
                                               *area_terms(ctx, v.c.tambon_pcode)))
        terms.append(seen if p.visited else not_(seen))
    if p.welfare is not None:
        terms.append(R.c.welfare_card.is_(True) if p.welfare else R.c.welfare_card.is_not(True))
    for f in grid_filters:
        parts = [_grid_condition(f, c) for c in f.conditions]
        terms.append(and_(*parts) if f.join == "AND" else or_(*parts))
        needs_h = needs_h or f.column in ("village_no", "house_id")
    return terms, needs_h


def _from(needs_h: bool):
    return R.join(H, H.c.house_id == R.c.house_id) if needs_h else R


# ── list, count, export ──────────────────────────────────────────────────────
_SORT_EXPR = {
    "house_id": R.c.house_id, "tambon": R.c.tambon_pcode, "village_no": H.c.village_no,
    "size": R.c.size, "welfare_card": R.c.welfare_card, "n_dims_failed": R.c.n_dims_failed,
    "score": R.c.score,
}
DEFAULT_SORT = (("score", True),)  # most deprived first


def page_statement(ctx: ListContext, grid: GridRequest, limit: int, offset: int) -> Select:
    """The page's households (inner query: filters, sort, limit) joined with what is
    shown for each of them only (head's name, plan counts, last visit, tambon name)."""
    terms, needs_h = _conditions(ctx, grid.filters)
    sort = grid.sort or DEFAULT_SORT
    needs_h = needs_h or any(c == "village_no" for c, _ in sort)
    source = _from(needs_h)
    last_visits = None
    if any(c == "last_visit" for c, _ in sort):
        last_visits = _last_visits(ctx)
        source = source.outerjoin(last_visits, last_visits.c.house_id == R.c.house_id)
    keys = [(last_visits.c.last_visit if c == "last_visit" else _SORT_EXPR[c]).label(f"s{i}")
            for i, (c, _) in enumerate(sort)]
    inner = (select(R.c.house_id, R.c.tambon_pcode, R.c.size, R.c.welfare_card,
                    R.c.dims_failed, R.c.n_dims_failed, R.c.score, *keys)
             .select_from(source).where(*terms))

    def ordered(cols, house):
        out = []
        for col, (_, desc) in zip(cols, sort, strict=True):
            out.append(col.desc().nulls_last() if desc else col.asc().nulls_first())
        return [*out, house.asc()]

    inner = inner.order_by(*ordered(keys, R.c.house_id)).limit(limit).offset(offset)
    p = inner.subquery("p")
    hh, m, i, v = _hh.alias("hh"), _mem.alias("hd"), _item.alias("pi"), _visit.alias("lv")
    head = (select(m.c.first_name, m.c.last_name)
            .where(m.c.house_id == p.c.house_id, m.c.relation == "head")
            .order_by(m.c.seq).limit(1).lateral("head"))
    plan = (select(*[func.count().filter(i.c.status == s).label(f"n_{s}")
                     for s in ("not_started", "in_progress", "done")])
            .where(i.c.house_id == p.c.house_id).lateral("plan"))
    visit = (select(func.max(v.c.visited_on).label("last_visit"))
             .where(v.c.house_id == p.c.house_id).lateral("visit"))
    a = _area.alias("a")
    return (
        select(p.c.house_id, p.c.tambon_pcode, a.c.name_th.label("tambon_th"),
               a.c.name_en.label("tambon_en"), hh.c.village_no, p.c.size, p.c.welfare_card,
               p.c.dims_failed, p.c.n_dims_failed, p.c.score, head.c.first_name,
               head.c.last_name, plan.c.n_not_started, plan.c.n_in_progress, plan.c.n_done,
               visit.c.last_visit)
        .select_from(p.join(hh, hh.c.house_id == p.c.house_id)
                     .join(a, a.c.pcode == p.c.tambon_pcode)
                     .outerjoin(head, true()).join(plan, true()).join(visit, true()))
        .order_by(*ordered([p.c[f"s{n}"] for n in range(len(keys))], p.c.house_id))
    )


def _row(r: Any) -> dict[str, Any]:
    row = dict(r._mapping)
    row["score"] = round(float(row["score"]), 4)
    row["poor"] = row["dims_failed"] != 0
    row["plan_state"] = plan_state(row["n_not_started"], row["n_in_progress"], row["n_done"])
    row["plan_total"] = row["n_not_started"] + row["n_in_progress"] + row["n_done"]
    return row


def select_rows(conn: Connection, ctx: ListContext, grid: GridRequest) -> list[dict]:
    """The rows of one page, without the application's scope check (row-level
    security still applies): use `page` from callbacks; tests call this directly to
    show the database's wall alone holds."""
    rows = conn.execute(page_statement(ctx, grid, grid.end - grid.start, grid.start))
    return [_row(r) for r in rows]


def count_statement(ctx: ListContext, grid_filters=()) -> Select:
    terms, needs_h = _conditions(ctx, tuple(grid_filters))
    return select(func.count()).select_from(_from(needs_h)).where(*terms)


def select_count(conn: Connection, ctx: ListContext, grid_filters=()) -> int:
    return conn.execute(count_statement(ctx, grid_filters)).scalar_one()


def page(conn: Connection, scope: Scope, ctx: ListContext, grid: GridRequest
         ) -> tuple[list[dict], int]:
    """One block of the list for AG Grid's infinite row model: (rows, total count)."""
    _check(scope, ctx)
    return select_rows(conn, ctx, grid), select_count(conn, ctx, grid.filters)


def export_rows(conn: Connection, scope: Scope, ctx: ListContext, grid: GridRequest,
                cap: int = EXPORT_CAP) -> tuple[list[dict], int]:
    """Every row of the list as the user sees it (sort and filters), up to `cap`:
    (rows, total). Rows are empty when the total exceeds the cap."""
    _check(scope, ctx)
    total = select_count(conn, ctx, grid.filters)
    if total > cap:
        return [], total
    rows = conn.execute(page_statement(ctx, grid, cap, 0))
    return [_row(r) for r in rows], total


# ── audit ────────────────────────────────────────────────────────────────────
def audit_list(conn: Connection, scope: Scope, ctx: ListContext, grid: GridRequest,
               total: int, served: int) -> None:
    """Every block of a list served (scrolling included), with its row range and the
    rows it held: the log accounts for every household row that left the store."""
    action = "household_search" if ctx.params.q else "household_list"
    record(conn, scope, action, ctx.params.area,
           {"params": ctx.params.as_params(), "round": ctx.round.year_be, **grid.describe(),
            "start": grid.start, "end": grid.end, "total": total}, rows=served)


class PagingLimit(PermissionError):
    """This user paged through more household rows than the window allows."""

    def __init__(self, served: int, limit: int, seconds: int):
        super().__init__(f"{served} rows paged in {seconds} s (limit {limit})")
        self.served, self.limit, self.seconds = served, limit, seconds


def check_paging(conn: Connection, scope: Scope, grid: GridRequest) -> None:
    """Refuse a block that would take the user past CHIPAO_PAGING_ROWS household rows in
    CHIPAO_PAGING_WINDOW_S seconds. Counted from the audit log, so the limit is shared by
    every worker and process; bulk reading goes through the (capped, audited) export."""
    cfg = current().disclosure
    served = paging_rows(conn, scope, cfg.paging_window_s)
    if served + (grid.end - grid.start) > cfg.paging_rows:
        raise PagingLimit(served, cfg.paging_rows, cfg.paging_window_s)


def audit_export(conn: Connection, scope: Scope, ctx: ListContext, grid: GridRequest,
                 fmt: str, rows: int) -> None:
    record(conn, scope, "export", ctx.params.area,
           {"what": "household_list", "format": fmt, "rows": rows,
            "params": ctx.params.as_params(), "round": ctx.round.year_be, **grid.describe()},
           rows=rows)


def record_refusal(scope: Scope, refused: Refused, where: str,
                   payload: dict[str, Any] | None = None) -> None:
    """Audit a refused request, in a transaction of its own (the refused one rolled back)."""
    with scoped(scope) as conn:
        record(conn, scope, "refused", str(refused.details.get("area") or
                                           refused.details.get("house_id") or "") or None,
               {"where": where, "reason": refused.en, **refused.details,
                "payload": _clip(payload)})


def record_paging_refusal(scope: Scope, limit: PagingLimit, payload: dict[str, Any]) -> None:
    with scoped(scope) as conn:
        record(conn, scope, "refused", None,
               {"where": "households.get_rows", "reason": "paging_limit",
                "served": limit.served, "limit": limit.limit, "window_s": limit.seconds,
                "payload": _clip(payload)})


def _clip(payload: Any, limit: int = 2000) -> Any:
    """Keep forged payloads in the log, but not unbounded."""
    if payload is None:
        return None
    text = json.dumps(payload, ensure_ascii=False, default=str)
    return payload if len(text) <= limit else text[:limit] + "…"


# ── the area picker (no personal data) ───────────────────────────────────────
def scope_list_areas(conn: Connection, scope: Scope) -> list[dict]:
    """Districts and tambons the user may list: [{pcode, level, name_th, name_en,
    parent_pcode}], districts first within each province."""
    out: list[dict] = []
    for pcode in scope.areas if scope.may_see_records else ():
        a = areas.get_area(conn, pcode)
        if a is None:
            continue
        if a["level"] == 1:
            for d in areas.children(conn, pcode):
                out.append(d)
                out.extend(areas.children(conn, d["pcode"]))
        elif a["level"] == 2:
            out.append(a)
            out.extend(areas.children(conn, pcode))
        else:
            out.append(a)
    return out


def area_household_counts(conn: Connection, scope: Scope, round_id: int,
                          pcodes: list[str]) -> dict[str, int | None]:
    """Households surveyed per area in a round, from the aggregate table (small counts
    suppressed for a public scope)."""
    if not pcodes:
        return {}
    c = table("agg_area_count", column("round_id", SmallInteger), column("measure", Text),
              column("pcode", Text), column("households", Integer))
    rows = conn.execute(select(c.c.pcode, c.c.households).where(
        c.c.round_id == round_id, c.c.measure == "surveyed", c.c.pcode.in_(pcodes)))
    return {p: suppress(n, scope) for p, n in rows}

