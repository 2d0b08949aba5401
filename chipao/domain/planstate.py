"""The /plans page's state, as it travels in the URL (pure Python, no SQL, no Dash).

``/plans?level=2&area=TH50&measure=plan&round=2566&days=30`` — the same conventions as
the poverty map (/map): ``area`` is the area in focus (the map draws the areas inside
it; none = Thailand), ``level`` which areas are drawn (1 provinces, 2 districts, 3
tambons; by default the level just below ``area``), ``sel`` a tambon picked on a
tambon map (the panels then describe it). ``measure`` colours the progress map
(MEASURES), ``round`` is the survey round by B.E. year, ``days`` the idle time after
which open plan items count as stalled.

Parsing checks the syntax; whether the area and round exist is checked by the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

# The URL conventions (P-codes, years, query parsing) are the poverty map's.
from chipao.domain.mapstate import YEAR_RE, MapParamError, query_params
from chipao.domain.pcodes import AREA_RE, pcode_level

# measure -> (numerator, denominator) in queries.plans.area_values rows
MEASURES: dict[str, tuple[str, str]] = {
    "plan": ("with_plan", "target"),  # share of target households with a plan
    "done": ("items_done", "items_active"),  # share of (non-cancelled) plan items done
    "visited": ("visited", "target"),  # share of target households visited
}
DEFAULT_MEASURE = "plan"
DEFAULT_DAYS = 30
MAX_DAYS = 730
class PlanParamError(MapParamError):
    """Invalid URL parameters; ``problems`` holds (Thai, English) pairs for the page."""


@dataclass(frozen=True)
class PlanState:
    level: int = 1
    area: str | None = None
    sel: str | None = None
    measure: str = DEFAULT_MEASURE
    round: int | None = None
    days: int = DEFAULT_DAYS

    @property
    def focus(self) -> str:
        """The area every panel describes."""
        return self.sel or self.area or "TH"

    @property
    def geometry_key(self) -> str:
        return f"{self.level}:{self.area or 'TH'}"

    def drill(self, pcode: str) -> PlanState:
        """After a click on `pcode`: the areas inside it, or a tambon selected."""
        level = pcode_level(pcode)
        if level >= 3:
            return replace(self, sel=pcode)
        return replace(self, area=pcode, level=level + 1, sel=None)

    def up_to(self, pcode: str | None) -> PlanState:
        area = None if not pcode or pcode == "TH" else pcode
        return replace(self, area=area, level=pcode_level(area) + 1, sel=None)

    def params(self) -> dict[str, str]:
        # the country is written out (area=TH): without an area the page opens at the
        # user's own area (pages/plans.py), so zooming out must say where to
        out = {"level": str(self.level), "area": self.area or "TH"}
        if self.sel:
            out["sel"] = self.sel
        out["measure"] = self.measure
        if self.round is not None:
            out["round"] = str(self.round)
        out["days"] = str(self.days)
        return out

    def query(self) -> str:
        return "?" + urlencode(self.params())


def parse_state(search: str | Mapping[str, object] | None) -> PlanState:
    """Read a PlanState; raises PlanParamError listing every bad parameter."""
    p = query_params(search)
    problems: list[tuple[str, str]] = []
    area = p.get("area") or None
    sel = p.get("sel") or None
    if area == "TH":
        area = None
    if area is not None and not AREA_RE.match(area):
        problems.append((f"area={area!r}: รหัสพื้นที่ไม่ถูกต้อง", f"area={area!r} is not a P-code"))
        area = None
    if area is not None and pcode_level(area) == 3:
        # a tambon has nothing inside it: its district's tambons, it selected
        area, sel = area[:6], area
    min_level = pcode_level(area) + 1
    level = min_level
    if p.get("level"):
        if p["level"] in {"1", "2", "3"} and int(p["level"]) >= min_level:
            level = int(p["level"])
        else:
            problems.append((f"level={p['level']!r}: ใช้ {min_level} ถึง 3",
                             f"level={p['level']!r}: use {min_level} to 3"))
    if sel is not None and (not AREA_RE.match(sel) or pcode_level(sel) != level
                            or (area and not sel.startswith(area))):
        problems.append((f"sel={sel!r}: ไม่ใช่พื้นที่บนแผนที่นี้",
                         f"sel={sel!r} is not one of the areas drawn on this map"))
        sel = None
    measure = p.get("measure") or DEFAULT_MEASURE
    if measure not in MEASURES:
        problems.append((f"measure={measure!r}: ใช้ {', '.join(MEASURES)}",
                         f"measure={measure!r}: use {', '.join(MEASURES)}"))
        measure = DEFAULT_MEASURE
    year = None
    if p.get("round"):
        if YEAR_RE.match(p["round"]):
            year = int(p["round"])
        else:
            problems.append((f"round={p['round']!r}: ใช้ปี พ.ศ. เช่น 2566",
                             f"round={p['round']!r}: use a B.E. year such as 2566"))
    days = DEFAULT_DAYS
    if p.get("days"):
        raw = p["days"]
        if raw.isdigit() and 1 <= int(raw) <= MAX_DAYS:
            days = int(raw)
        else:
            problems.append((f"days={raw!r}: ใช้ 1 ถึง {MAX_DAYS} วัน",
                             f"days={raw!r}: use 1 to {MAX_DAYS} days"))
    if problems:
        raise PlanParamError(problems)
    return PlanState(level=level, area=area, sel=sel, measure=measure, round=year, days=days)
