"""The map page's state, as it travels in the URL (pure Python, no SQL, no Dash).

``/map?level=2&area=TH50&subject=dim:health&measure=share&k=0.3333&round=2566
&classes=quantiles&compare=2565&sel=TH5001`` — every view is a URL, so a shared
link reproduces it and the browser's back button steps through the views.

- ``area``: the area in focus (the map shows areas *inside* it); none = Thailand.
- ``level``: which areas are drawn (1 provinces, 2 districts, 3 tambons); by default
  the level just below ``area``, so ``level=3`` without ``area`` draws all 7,425
  tambons of the country. ``level=4`` draws the villages (points) of ``area``, a
  district or a tambon (which then stays the area).
- ``sel``: an area drawn on the map whose figures the side panel shows (a tambon
  clicked on a tambon map); without it the panel shows ``area``.
- ``subject``: ``overall``, ``dim:<dimension code>`` or ``ind:<indicator code>``.
- ``measure``: see MEASURES; ``k`` the Alkire–Foster cut-off in (0, 1].
- ``round`` / ``compare``: survey rounds by Buddhist-era year; with ``compare`` the
  map shows round − compare.

Parsing checks the syntax only; whether an area, code or round exists is checked
against the store by the page (:func:`check_against`), with the same error type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from urllib.parse import parse_qs, urlencode

from chipao.domain.pcodes import AREA_RE, pcode_level

MEASURES = ("count", "share", "target_poor", "H", "A", "M0", "contribution")
# Measures over all indicators whatever the subject (the subject is kept in the URL
# but does not change the figure; the page says so).
OVERALL_ONLY = frozenset({"target_poor", "H", "A", "M0"})
# Measures that need the Alkire–Foster cut-off k.
AF_MEASURES = frozenset({"H", "A", "M0", "contribution"})
# Measures that are rates: unstable, hence not coloured, in areas with few households.
RATES = frozenset({"share", "H", "A", "M0", "contribution"})
CLASS_METHODS = ("quantiles", "fisher_jenks", "equal_interval")
DEFAULT_K = 1 / 3
DEFAULT_MEASURE = "share"
DEFAULT_CLASSES = "quantiles"
SUBJECT_RE = re.compile(r"^(overall|dim:[a-z_]{2,20}|ind:[A-Z][A-Z0-9_]{0,15})$")
YEAR_RE = re.compile(r"^\d{4}$")
VILLAGE_LEVEL = 4  # villages of a district or tambon, drawn as points


class MapParamError(ValueError):
    """One or more URL parameters are invalid; ``problems`` lists them (English and
    Thai), ready to show on the page."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(en for _th, en in problems))


@dataclass(frozen=True)
class MapState:
    level: int = 1
    area: str | None = None
    sel: str | None = None
    subject: str = "overall"
    measure: str = DEFAULT_MEASURE
    k: float = DEFAULT_K
    round: int | None = None
    classes: str = DEFAULT_CLASSES
    compare: int | None = None

    @property
    def parent(self) -> str | None:
        """The geometry's subtree: the focus area (None for the whole country)."""
        return self.area

    @property
    def geometry_key(self) -> str:
        """Which GeoJSON the map holds; values alone change while it stays the same."""
        return f"{self.level}:{self.area or 'TH'}"

    @property
    def focus(self) -> str:
        """The area the side panel describes."""
        return self.sel or self.area or "TH"

    @property
    def subject_kind(self) -> str:
        return self.subject.split(":", 1)[0]

    @property
    def subject_code(self) -> str | None:
        return self.subject.split(":", 1)[1] if ":" in self.subject else None

    @property
    def uses_k(self) -> bool:
        return self.measure in AF_MEASURES

    @property
    def uses_subject(self) -> bool:
        return self.measure not in OVERALL_ONLY

    def drill(self, pcode: str) -> MapState:
        """The view after a click on `pcode`: the areas inside it, or (for a tambon,
        which has nothing inside) the same map with the tambon selected."""
        level = pcode_level(pcode)
        if level >= 3:
            return replace(self, sel=pcode)
        return replace(self, area=pcode, level=level + 1, sel=None)

    def up_to(self, pcode: str | None) -> MapState:
        """The view of a breadcrumb entry (None or 'TH': the country)."""
        area = None if not pcode or pcode == "TH" else pcode
        return replace(self, area=area, level=pcode_level(area) + 1, sel=None)

    def query(self) -> str:
        return "?" + urlencode(self.params())

    def params(self) -> dict[str, str]:
        """Every parameter, defaults included: a link keeps meaning the same view when
        a default changes later."""
        out = {"level": str(self.level)}
        if self.area:
            out["area"] = self.area
        if self.sel:
            out["sel"] = self.sel
        out.update(subject=self.subject, measure=self.measure, k=format_k(self.k),
                   classes=self.classes)
        if self.round is not None:
            out["round"] = str(self.round)
        if self.compare is not None:
            out["compare"] = str(self.compare)
        return out


def format_k(k: float) -> str:
    """k for the URL and the screen: 4 decimals ('0.3333' for 1/3)."""
    return f"{k:.4f}".rstrip("0").rstrip(".") if k != 1 else "1"


def parse_k(raw: str) -> float:
    """A decimal ('0.3333') or a fraction ('1/3') in (0, 1]; ValueError otherwise."""
    raw = raw.strip()
    try:
        value = float(Fraction(raw)) if "/" in raw else float(raw)
    except (ValueError, ZeroDivisionError):
        raise ValueError(raw) from None
    if not (0 < value <= 1):  # also rejects NaN
        raise ValueError(raw)
    # 0.3333 and 1/3 select the same households (scores are multiples of 1/60), but
    # the URL's four decimals should read back as the default cut-off.
    return DEFAULT_K if abs(value - DEFAULT_K) < 5e-5 else value


def query_params(search: str | Mapping[str, object] | None) -> dict[str, str]:
    """The last value of each parameter, from '?a=1&b=2' or a mapping (Dash pages
    pass the query as keyword arguments)."""
    if search is None:
        return {}
    if isinstance(search, Mapping):
        out = {}
        for key, value in search.items():
            if isinstance(value, list | tuple):
                value = value[-1] if value else ""
            out[str(key)] = "" if value is None else str(value)
        return out
    return {k: v[-1] for k, v in parse_qs(search.lstrip("?"), keep_blank_values=True).items()}


def home_params(search: str | Mapping[str, object] | None,
                home: str | None) -> tuple[dict[str, str], bool]:
    """The parameters with the user's own area (Scope.home_area) as ``area`` when the
    address names neither an area nor a level — a provincial, district or tambon user
    opens at home; any ``area``/``level`` (``level=1``: the country) is their choice.
    Returns (params, whether home was applied)."""
    p = query_params(search)
    if home and not p.get("area") and not p.get("level"):
        return {**p, "area": home}, True
    return p, False


KNOWN_PARAMS = frozenset({"level", "area", "sel", "subject", "measure", "k", "round",
                          "classes", "compare"})


def parse_state(search: str | Mapping[str, object] | None) -> MapState:
    """Read a MapState from a query string; raises MapParamError listing every bad
    parameter. Unknown parameters (e.g. from other tools) are ignored."""
    p = query_params(search)
    problems: list[tuple[str, str]] = []

    def bad(th: str, en: str) -> None:
        problems.append((th, en))

    area = p.get("area") or None
    sel = p.get("sel") or None
    if area == "TH":
        area = None
    if area is not None and not AREA_RE.match(area):
        bad(f"area={area!r}: รหัสพื้นที่ (P-code) ไม่ถูกต้อง", f"area={area!r} is not a P-code")
        area = None
    villages = p.get("level") == str(VILLAGE_LEVEL)
    if villages and area is not None and pcode_level(area) == 3 and sel is None:
        pass  # the villages of a tambon: the tambon is the area
    elif area is not None and pcode_level(area) == 3 and sel in (None, area):
        # A tambon has nothing inside it: show its district's tambons, it selected
        # (links from other pages name a tambon as the area).
        area, sel = area[:6], area
    elif area is not None and pcode_level(area) == 3:
        bad(f"area={area}: เป็นตำบล ไม่มีพื้นที่ย่อย", f"area={area} is a tambon: nothing lies inside it")
        area = None
    min_level = pcode_level(area) + 1
    level = min_level
    if p.get("level"):
        if p["level"] in {"1", "2", "3"}:
            level = int(p["level"])
            if level < min_level:
                bad(f"level={level}: ต้องเป็นระดับที่อยู่ใต้ {area}",
                    f"level={level} does not lie inside {area} (use {min_level} to 3)")
                level = min_level
        elif villages and area is not None and pcode_level(area) >= 2:
            level = VILLAGE_LEVEL
        else:
            bad(f"level={p['level']!r}: ใช้ 1 (จังหวัด) 2 (อำเภอ) หรือ 3 (ตำบล) "
                "หรือ 4 (หมู่บ้าน ในอำเภอหรือตำบลที่เลือก)",
                f"level={p['level']!r}: use 1 (provinces), 2 (districts) or 3 (tambons), "
                "or 4 (villages, with a district or tambon as the area)")
    if sel is not None:
        if not AREA_RE.match(sel):
            bad(f"sel={sel!r}: รหัสพื้นที่ไม่ถูกต้อง", f"sel={sel!r} is not a P-code")
            sel = None
        elif pcode_level(sel) != level or (area and not sel.startswith(area)):
            bad(f"sel={sel}: ไม่ใช่พื้นที่ที่แสดงบนแผนที่นี้",
                f"sel={sel} is not one of the areas drawn on this map")
            sel = None
    subject = p.get("subject") or "overall"
    if not SUBJECT_RE.match(subject):
        bad(f"subject={subject!r}: ใช้ overall, dim:<มิติ> หรือ ind:<ตัวชี้วัด>",
            f"subject={subject!r}: use overall, dim:<dimension> or ind:<indicator>")
        subject = "overall"
    measure = p.get("measure") or DEFAULT_MEASURE
    if measure not in MEASURES:
        bad(f"measure={measure!r}: ไม่รู้จักตัววัดนี้ (ใช้ {', '.join(MEASURES)})",
            f"measure={measure!r} is unknown (use {', '.join(MEASURES)})")
        measure = DEFAULT_MEASURE
    elif measure == "contribution" and subject == "overall":
        bad("measure=contribution: ต้องเลือกมิติหรือตัวชี้วัด (subject=dim:… หรือ ind:…)",
            "measure=contribution needs a dimension or indicator (subject=dim:… or ind:…)")
    k = DEFAULT_K
    if p.get("k"):
        try:
            k = parse_k(p["k"])
        except ValueError:
            bad(f"k={p['k']!r}: ค่าตัดต้องอยู่ในช่วง (0, 1] เช่น 0.3333 หรือ 1/3",
                f"k={p['k']!r}: the cut-off must lie in (0, 1], e.g. 0.3333 or 1/3")
    classes = p.get("classes") or DEFAULT_CLASSES
    if classes not in CLASS_METHODS:
        bad(f"classes={classes!r}: ใช้ {', '.join(CLASS_METHODS)}",
            f"classes={classes!r}: use {', '.join(CLASS_METHODS)}")
        classes = DEFAULT_CLASSES
    years: dict[str, int | None] = {}
    for name in ("round", "compare"):
        raw = p.get(name) or None
        years[name] = None
        if raw is not None:
            if YEAR_RE.match(raw):
                years[name] = int(raw)
            else:
                bad(f"{name}={raw!r}: ใช้ปี พ.ศ. 4 หลัก เช่น 2566",
                    f"{name}={raw!r}: use a Buddhist-era year such as 2566")
    if years["compare"] is not None and years["compare"] == years["round"]:
        years["compare"] = None  # e.g. the round selector moved onto the compared round
    if problems:
        raise MapParamError(problems)
    return MapState(level=level, area=area, sel=sel, subject=subject, measure=measure, k=k,
                    round=years["round"], classes=classes, compare=years["compare"])


def check_against(state: MapState, *, areas_found: Iterable[str], dimensions: Iterable[str],
                  indicators: Iterable[str], round_years: Iterable[int]) -> None:
    """Check the names in `state` against the store: the focus and selected areas
    (their P-codes must be in `areas_found`), the subject's code and the rounds.
    Raises MapParamError listing every problem."""
    found = set(areas_found)
    problems: list[tuple[str, str]] = []
    for name, pcode in (("area", state.area), ("sel", state.sel)):
        if pcode and pcode not in found:
            problems.append((f"{name}={pcode}: ไม่พบพื้นที่รหัสนี้ในคลังข้อมูล",
                             f"{name}={pcode}: no area with this P-code in the store"))
    kind, code = state.subject_kind, state.subject_code
    if kind == "dim" and code not in set(dimensions):
        problems.append((f"subject={state.subject}: ไม่มีมิตินี้ในชุดตัวชี้วัด",
                         f"subject={state.subject}: no such dimension in the catalogue"))
    if kind == "ind" and code not in set(indicators):
        problems.append((f"subject={state.subject}: ไม่มีตัวชี้วัดนี้ในชุดตัวชี้วัด",
                         f"subject={state.subject}: no such indicator in the catalogue"))
    years = set(round_years)
    for name, year in (("round", state.round), ("compare", state.compare)):
        if year is not None and year not in years:
            problems.append((f"{name}={year}: ไม่มีรอบการสำรวจปี พ.ศ. {year}",
                             f"{name}={year}: no survey round for B.E. {year}"))
    if problems:
        raise MapParamError(problems)
