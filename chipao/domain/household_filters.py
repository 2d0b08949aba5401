"""Household-list requests, validated before any SQL is built.

Two inputs reach the household list: URL parameters (``/households?area=…&dim=…``,
also kept in a dcc.Store that a client could forge) and AG Grid's
``getRowsRequest`` (startRow, endRow, sortModel, filterModel). Both are parsed here
against allow-lists into frozen dataclasses; anything else raises ``Refused`` with
a message the user can read. queries/households.py turns the result into bound SQL.
No SQL here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from chipao.domain.pcodes import DISTRICT_OR_TAMBON_RE

HOUSE_ID_RE = re.compile(r"^[0-9A-Za-z-]{1,20}$")  # the schema's house ID alphabet
FULL_HOUSE_ID_RE = re.compile(r"^[0-9A-Za-z-]{4,20}$")
# Names: Thai and Latin letters, spaces, dot, apostrophe, hyphen; at least 3 characters
# (a trigram index needs three to narrow anything down).
NAME_RE = re.compile(r"^[\u0E00-\u0E7FA-Za-z][\u0E00-\u0E7FA-Za-z .'-]{2,59}$")
CODE_RE = re.compile(r"^[A-Za-z0-9_]{1,20}$")
PLAN_STATES = ("none", "not_started", "in_progress", "done")
YES_NO = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
MAX_BLOCK = 1000  # rows per getRows request
MAX_SORT = 3

# Grid columns that may be sorted, and those that may be filtered with AG Grid's own
# column filters (type, bounds, value type). Everything else is refused.
SORT_COLUMNS = frozenset({"house_id", "tambon", "village_no", "size", "welfare_card",
                          "n_dims_failed", "score", "last_visit"})
NUMBER_FILTERS: dict[str, tuple[float, float, type]] = {
    "village_no": (1, 99, int), "size": (1, 60, int),
    "n_dims_failed": (0, 15, int), "score": (0.0, 1.0, float),
}
TEXT_FILTERS = frozenset({"house_id"})
NUMBER_OPS = frozenset({"equals", "notEqual", "lessThan", "lessThanOrEqual", "greaterThan",
                        "greaterThanOrEqual", "inRange"})
TEXT_OPS = frozenset({"equals", "startsWith", "contains"})


class Refused(ValueError):
    """A request outside the allow-lists or outside the user's scope."""

    def __init__(self, th: str, en: str, **details: Any) -> None:
        super().__init__(en)
        self.th, self.en, self.details = th, en, details

    def text(self, lang: str = "th") -> str:
        return self.en if lang == "en" else self.th


def _scalar(name: str, value: Any) -> str | None:
    """A parameter as text; None when absent. Lists, dicts and the like are refused."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Refused(f"ค่าพารามิเตอร์ {name} ไม่ถูกต้อง", f"Invalid value for parameter {name!r}",
                      parameter=name)
    return str(value).strip() or None


def _bad(name: str, value: str) -> Refused:
    return Refused(f"ค่าพารามิเตอร์ {name} ไม่ถูกต้อง: {value[:40]!r}",
                   f"Invalid value for parameter {name!r}: {value[:40]!r}",
                   parameter=name, value=value[:100])


def _int(name: str, value: str | None, lo: int, hi: int) -> int | None:
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]{1,4}", value) or not lo <= int(value) <= hi:
        raise _bad(name, value)
    return int(value)


def _float(name: str, value: str | None, lo: float, hi: float) -> float | None:
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]{1,2}(\.[0-9]{1,6})?|\.[0-9]{1,6}", value):
        raise _bad(name, value)
    x = float(value)
    if not lo <= x <= hi:
        raise _bad(name, value)
    return x


def _choice(name: str, value: str | None, allowed: Mapping[str, Any] | tuple[str, ...]) -> Any:
    if value is None:
        return None
    key = value.lower()
    if key not in allowed:
        raise _bad(name, value)
    return allowed[key] if isinstance(allowed, Mapping) else key


@dataclass(frozen=True)
class ListParams:
    """What the user asked for: the area, the round and the list filters."""

    area: str | None = None  # district or tambon P-code
    village: int | None = None  # หมู่ที่ (needs a tambon)
    round: int | None = None  # survey round, Buddhist-era year; None = latest
    q: str | None = None  # house-ID prefix or (roles allowed) a member's name
    dim: str | None = None  # dimension code failed
    ind: str | None = None  # indicator code failed
    dims: int | None = None  # at least this many dimensions failed
    k: float | None = None  # Alkire–Foster score at least k
    plan: str | None = None  # plan status (PLAN_STATES)
    visited: bool | None = None
    welfare: bool | None = None  # holds a state welfare card

    @property
    def q_kind(self) -> str | None:
        """'house_id' for a house-ID prefix, 'name' for a member's name."""
        if self.q is None:
            return None
        return "house_id" if HOUSE_ID_RE.match(self.q) else "name"

    def as_params(self) -> dict[str, str]:
        """The URL parameters (and audit details) that reproduce this request."""
        out: dict[str, str] = {}
        for key, value in asdict(self).items():
            if value is None:
                continue
            out[key] = ("yes" if value else "no") if isinstance(value, bool) else str(value)
        return out


LIST_KEYS = tuple(ListParams.__dataclass_fields__)


def parse_list_params(params: Mapping[str, Any]) -> ListParams:
    """Validate URL (or stored) parameters. Unknown keys are ignored (they select
    nothing); known keys with a value outside their allow-list are refused."""
    if not isinstance(params, Mapping):
        raise Refused("คำขอไม่ถูกต้อง", "Malformed request")
    v = {key: _scalar(key, params.get(key)) for key in LIST_KEYS}
    area = v["area"]
    if area is not None:
        area = area.upper()
        if not DISTRICT_OR_TAMBON_RE.match(area):
            raise Refused("รายการครัวเรือนเปิดได้ระดับอำเภอหรือตำบล: รหัสพื้นที่ไม่ถูกต้อง",
                          "Household lists are for a district or a tambon: invalid area code",
                          parameter="area", value=area[:40])
    village = _int("village", v["village"], 1, 99)
    if village is not None and (area is None or len(area) != 8):
        raise Refused("เลือกหมู่บ้านได้เมื่อเลือกตำบลแล้ว", "A village needs a tambon",
                      parameter="village")
    q = v["q"]
    if q is not None:
        q = re.sub(r"\s+", " ", q)
        if not (HOUSE_ID_RE.match(q) or NAME_RE.match(q)):
            raise Refused(
                "คำค้นต้องเป็นรหัสบ้าน (ตัวเลข ตัวอักษร -) หรือชื่อ-สกุลอย่างน้อย 3 ตัวอักษร",
                "Search for a house ID (digits, letters, -) or a name of at least 3 letters",
                parameter="q", value=q[:60])
    for key in ("dim", "ind"):
        if v[key] is not None and not CODE_RE.match(v[key]):
            raise _bad(key, v[key])
    return ListParams(
        area=area, village=village, round=_int("round", v["round"], 2500, 2700), q=q,
        dim=v["dim"].lower() if v["dim"] else None,
        ind=v["ind"].upper() if v["ind"] else None,
        dims=_int("dims", v["dims"], 0, 15), k=_float("k", v["k"], 0.0, 1.0),
        plan=_choice("plan", v["plan"], PLAN_STATES),
        visited=_choice("visited", v["visited"], YES_NO),
        welfare=_choice("welfare", v["welfare"], YES_NO),
    )


# ── AG Grid requests ─────────────────────────────────────────────────────────
@dataclass(frozen=True)
class Condition:
    op: str
    value: float | int | str
    value_to: float | int | None = None  # inRange


@dataclass(frozen=True)
class ColumnFilter:
    column: str
    kind: str  # 'number' or 'text'
    conditions: tuple[Condition, ...]
    join: str = "AND"


@dataclass(frozen=True)
class GridRequest:
    start: int = 0
    end: int = 100
    sort: tuple[tuple[str, bool], ...] = ()  # (column, descending)
    filters: tuple[ColumnFilter, ...] = field(default=())

    def describe(self) -> dict[str, Any]:
        """For the audit log and export notes."""
        return {"sort": [f"{c} {'desc' if d else 'asc'}" for c, d in self.sort],
                "filters": [asdict(f) for f in self.filters]}


def _grid_refused(what: str, detail: Any) -> Refused:
    text = str(detail)[:80]
    return Refused(f"คำขอตารางไม่ถูกต้อง ({what}): {text}",
                   f"Invalid grid request ({what}): {text}", field=what, value=text)


def _number(column: str, raw: Any) -> int | float:
    lo, hi, kind = NUMBER_FILTERS[column]
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise _grid_refused(f"filter {column}", raw)
    try:
        x = float(raw)
    except ValueError:
        raise _grid_refused(f"filter {column}", raw) from None
    if not math.isfinite(x) or not lo <= x <= hi or (kind is int and x != int(x)):
        raise _grid_refused(f"filter {column}", raw)
    return int(x) if kind is int else x


def _condition(column: str, kind: str, model: Mapping[str, Any]) -> Condition:
    op = model.get("type")
    if kind == "number":
        if op not in NUMBER_OPS:
            raise _grid_refused(f"filter {column} type", op)
        value = _number(column, model.get("filter"))
        to = _number(column, model.get("filterTo")) if op == "inRange" else None
        return Condition(op, value, to)
    if op not in TEXT_OPS:
        raise _grid_refused(f"filter {column} type", op)
    value = model.get("filter")
    if not isinstance(value, str) or not HOUSE_ID_RE.match(value):
        raise _grid_refused(f"filter {column}", value)
    return Condition(op, value)


def _column_filter(column: str, model: Any) -> ColumnFilter:
    if column in NUMBER_FILTERS:
        kind = "number"
    elif column in TEXT_FILTERS:
        kind = "text"
    else:
        raise _grid_refused("filter column", column)
    if not isinstance(model, Mapping) or model.get("filterType") not in (None, kind):
        raise _grid_refused(f"filter {column}", model)
    if "conditions" in model or "operator" in model:  # combined: "A AND B" / "A OR B"
        join, conds = model.get("operator"), model.get("conditions")
        if join not in ("AND", "OR") or not isinstance(conds, list) or not 1 <= len(conds) <= 2:
            raise _grid_refused(f"filter {column}", model)
        if not all(isinstance(c, Mapping) for c in conds):
            raise _grid_refused(f"filter {column}", model)
        return ColumnFilter(column, kind, tuple(_condition(column, kind, c) for c in conds), join)
    return ColumnFilter(column, kind, (_condition(column, kind, model),))


def parse_grid_request(request: Any) -> GridRequest:
    """Validate AG Grid's getRowsRequest (infinite row model)."""
    if not isinstance(request, Mapping):
        raise _grid_refused("request", type(request).__name__)
    start, end = request.get("startRow", 0), request.get("endRow", 100)
    if (isinstance(start, bool) or isinstance(end, bool) or not isinstance(start, int)
            or not isinstance(end, int) or start < 0 or not 0 < end - start <= MAX_BLOCK):
        raise _grid_refused("rows", f"{start!r}–{end!r}")
    sort_model = request.get("sortModel") or []
    if not isinstance(sort_model, list) or len(sort_model) > MAX_SORT:
        raise _grid_refused("sortModel", sort_model)
    sort: list[tuple[str, bool]] = []
    for item in sort_model:
        if not isinstance(item, Mapping):
            raise _grid_refused("sortModel", item)
        col, direction = item.get("colId"), item.get("sort")
        if col not in SORT_COLUMNS:
            raise _grid_refused("sort column", col)
        if direction not in ("asc", "desc"):
            raise _grid_refused("sort direction", direction)
        if col not in {c for c, _ in sort}:
            sort.append((col, direction == "desc"))
    filter_model = request.get("filterModel") or {}
    if not isinstance(filter_model, Mapping) or len(filter_model) > len(NUMBER_FILTERS) + 1:
        raise _grid_refused("filterModel", filter_model)
    filters = tuple(_column_filter(col, model) for col, model in sorted(filter_model.items()))
    return GridRequest(start, end, tuple(sort), filters)
