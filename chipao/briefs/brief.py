"""The committee brief: one PDF per area (country, province or district) and survey
round, Thai by default, English on request — HTML + CSS paged media laid out by
WeasyPrint (Pango shapes and breaks Thai with libthai), with the app's Sarabun font
embedded and the maps drawn on the server (geodata/static_map.py).

Every figure comes from the same queries functions the pages use (mpi.area_profile,
mpi.map_values, plans.*, centres.*) with the reader's scope, so suppression for public
viewers is the pages' own, and nothing personal is read: the brief touches aggregate
tables only. A brief is cached per (area, round, options, scope, data version) and
every build or cached hand-out is audited. Sections: docs/briefs.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import jinja2
from markupsafe import Markup

from chipao import settings
from chipao.domain.pcodes import pcode_level
from chipao.domain.scope import Scope
from components.choropleth import classify
from components.formatting import TZ, be_datetime, format_k, legend_formatter
from components.i18n import Lang, fmt_int, fmt_pct, pick, round_label, t
from geodata import static_map as sm
from queries import audit, mpi
from queries import centres as centres_q
from queries import plans as plans_q
from queries.briefs import data_state
from queries.db import scoped
from queries.rounds import SurveyRound, list_rounds, previous_round, resolve_round
from queries.trend import area_trend

TEMPLATES = Path(__file__).resolve().parent / "templates"
CLASS_METHODS = ("quantiles", "fisher_jenks", "equal_interval")
COVERAGE_KM = 10  # the centres page's default distance
TOP_GAPS = 10
# Maps go into the PDF as 180-dpi PNG: WeasyPrint draws an SVG map by re-parsing every
# glyph and ring (seconds per map on this machine), a PNG in milliseconds; at 220 dpi
# the print is sharp on an office printer (docs/performance.md).
MAP_FORMAT = "png"
MAP_DPI = 180
Progress = Callable[[int, str], None]




def _round(rounds: list[SurveyRound], year: int | None) -> SurveyRound | None:
    """The brief's round by the pages' rule (queries.rounds); None for an unknown year."""
    try:
        return resolve_round(rounds, year or None)
    except ValueError:
        return None


class BriefError(ValueError):
    """An area or round the brief cannot be made for; the message says why."""


@dataclass(frozen=True)
class BriefOptions:
    area: str = "TH"  # 'TH', a province (TH50) or a district (TH5001)
    year: int | None = None  # B.E.; None: the latest round
    k: float = 1 / 3
    classes: str = "quantiles"
    lang: Lang = "th"

    def check(self) -> None:
        if not (self.area == "TH" or (pcode_level(self.area) in (1, 2)
                                      and self.area[2:].isdigit())):
            raise BriefError(f"{self.area!r}: a brief is for Thailand (TH), a province "
                             "(TH + 2 digits) or a district (TH + 4 digits)")
        if not 0 < self.k <= 1:
            raise BriefError(f"k must lie in (0, 1], not {self.k}")
        if self.classes not in CLASS_METHODS:
            raise BriefError(f"classes must be one of {', '.join(CLASS_METHODS)}")
        if self.lang not in ("th", "en"):
            raise BriefError("lang must be th or en")


@dataclass(frozen=True)
class Brief:
    pdf: bytes
    filename: str
    cached: bool
    seconds: float
    key: str


# ── formatting ───────────────────────────────────────────────────────────────
def _change(now, before, pct: bool = False, digits: int = 0) -> str:
    if now is None or before is None:
        return "–"
    if pct:
        return f"{100 * (now - before):+.1f} pp"
    if digits:
        return f"{now - before:+.{digits}f}"
    return f"{int(round(now - before)):+,}"


def _m0(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


# ── the figures ──────────────────────────────────────────────────────────────
def _headline(p: dict, prev: dict | None, k: float, lang: Lang, has_prev: bool) -> list[dict]:
    af, afb = p["af"], p["af_before"]
    rows = [
        (t("brief.surveyed", lang), fmt_int(p["surveyed"]), fmt_int(p["surveyed_before"]),
         _change(p["surveyed"], p["surveyed_before"]), "surveyed"),
        (t("brief.surveyed_people", lang), fmt_int(p["people"]),
         fmt_int(prev["people"]) if prev else "–",
         _change(p["people"], prev["people"] if prev else None), "people"),
        (t("brief.poor", lang), fmt_int(p["poor"]), fmt_int(p["poor_before"]),
         _change(p["poor"], p["poor_before"]), "poor"),
        (t("brief.poor_share", lang), fmt_pct(p["poor_share"]), fmt_pct(p["poor_share_before"]),
         _change(p["poor_share"], p["poor_share_before"], pct=True), "poor_share"),
        (t("brief.poor_people", lang), fmt_int(p["poor_people"]), fmt_int(p["poor_people_before"]),
         _change(p["poor_people"], p["poor_people_before"]), "poor_people"),
        (t("brief.target_poor", lang), fmt_int(p["target_poor"]),
         fmt_int(prev["target_poor"]) if prev else "–",
         _change(p["target_poor"], prev["target_poor"] if prev else None), "target_poor"),
        (f"H (k = {format_k(k)})", fmt_pct(af["H"]), fmt_pct(afb["H"]),
         _change(af["H"], afb["H"], pct=True), "H"),
        ("A", fmt_pct(af["A"]), fmt_pct(afb["A"]), _change(af["A"], afb["A"], pct=True), "A"),
        ("M0 = H × A", _m0(af["M0"]), _m0(afb["M0"]), _change(af["M0"], afb["M0"], digits=3),
         "M0"),
    ]
    if has_prev:
        rows += [(t("brief.left_poverty", lang), fmt_int(p["left_poverty"]), "", "", "left_poverty"),
                 (t("brief.new_poor", lang), fmt_int(p["new_poor"]), "", "", "new_poor")]
    return [dict(zip(("label", "now", "before", "change", "key"), r, strict=True)) for r in rows]


def _legend(classes, fmt, lang: Lang) -> list[dict]:
    out, lower = [], classes.lower
    for bound, color in zip(classes.bins, classes.colors, strict=True):
        out.append({"color": color, "label": f"{fmt(lower)} – {fmt(bound)}"})
        lower = bound
    out.append({"color": sm.NO_DATA, "label": t("brief.too_few_map", lang)})
    return out


def _map_figure(frame, values: mpi.MapValues, opts: BriefOptions, title: str,
                width_in: float) -> dict:
    """One choropleth (bare SVG, labels drawn) and its legend for the HTML."""
    vals = [a.value for a in values.areas]
    with warnings.catch_warnings():  # "not enough unique values": fewer classes is right
        warnings.simplefilter("ignore", UserWarning)
        classes = classify(vals, opts.classes)
    fmt = legend_formatter(values.measure, False)
    bins = classes.bins
    colors: dict[str, str | None] = {}
    for a in values.areas:
        if a.value is None or a.insufficient:
            colors[a.pcode] = None
            continue
        i = next((n for n, b in enumerate(bins) if a.value <= b), len(bins) - 1)
        colors[a.pcode] = classes.colors[i]
    spec = sm.MapSpec(colors, lang=opts.lang, labels=True)
    image = sm.render(frame, spec, MAP_FORMAT, bare=True, width_in=width_in, dpi=MAP_DPI)
    return {"title": title, "svg": _img(image, MAP_FORMAT),
            "legend": _legend(classes, fmt, opts.lang)}


def _img(image: bytes, fmt: str = "svg") -> Markup:
    """An image as an <img> with a data URI: WeasyPrint lays it out as one replaced box
    (inline SVG would join the HTML tree and slow the layout down)."""
    data = base64.b64encode(image).decode("ascii")
    mime = "image/svg+xml" if fmt == "svg" else "image/png"
    return Markup(f'<img src="data:{mime};base64,{data}" alt="">')



def _trend_chart(trend: list[dict], lang: Lang) -> Markup | None:
    """A small line chart of the poor share over the rounds (SVG, text as paths)."""
    if len(trend) < 2:
        return None
    from matplotlib.figure import Figure

    font = sm.register_fonts()
    fig = Figure(figsize=(6.2, 2.0), dpi=100)
    ax = fig.add_axes((0.09, 0.2, 0.88, 0.72))
    years = [r["year"] for r in trend]
    share = [None if r["poor_share"] is None else 100 * r["poor_share"] for r in trend]
    h = [None if r["H"] is None else 100 * r["H"] for r in trend]
    ax.plot(years, share, marker="o", color="#0072B2", label=t("brief.poor_share", lang))
    ax.plot(years, h, marker="s", color="#D55E00", label="H")
    ax.set_xticks(years, [str(y) for y in years], fontfamily=font, fontsize=8)
    ax.tick_params(labelsize=8)
    for label in ax.get_yticklabels():
        label.set_fontfamily(font)
    ax.set_ylabel("%", fontfamily=font, fontsize=8)
    ax.grid(axis="y", color="#e9ecef")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(prop={"family": font, "size": 8}, frameon=False, loc="best")
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return _img(buf.getvalue())


def _ranking(values: mpi.MapValues, lang: Lang) -> list[dict]:
    ranked = sorted((a for a in values.areas if a.rank), key=lambda a: (a.rank, a.pcode))
    rest = [a for a in values.areas if not a.rank]
    return [{"rank": a.rank or "–", "name": pick(a.name_th, a.name_en, lang),
             "value": fmt_pct(a.value), "surveyed": fmt_int(a.surveyed),
             "note": t("map.too_few_short", lang) if a.insufficient else ""}
            for a in ranked + rest]


def _plans(conn, scope: Scope, round_id: int, pcode: str, lang: Lang) -> dict:
    cat = plans_q.catalogue(conn)
    funnel = plans_q.funnel(conn, scope, round_id, pcode)
    stages = [{"label": t(f"plans.stage.{s}", lang), "value": fmt_int(funnel.get(s))}
              for s in plans_q.FUNNEL_STAGES]
    horizons = [{"label": t(f"plans.horizon.{h['horizon']}", lang),
                 **{s: fmt_int(h.get(s)) for s in plans_q.STATUSES},
                 "items": fmt_int(h["items"]), "overdue": fmt_int(h["overdue"]),
                 "median_days": "–" if h["median_days"] is None else f"{h['median_days']:.0f}"}
                for h in plans_q.horizons(conn, scope, round_id, pcode)]
    agencies = {a["code"]: pick(a["name_th"], a["name_en"], lang) for a in cat["agencies"]}
    categories = {c["code"]: pick(c["name_th"], c["name_en"], lang) for c in cat["categories"]}
    matrix = [{"agency": agencies.get(m["agency_code"], m["agency_code"]),
               "category": categories.get(m["category_code"], m["category_code"]),
               "done": fmt_int(m["done"]), "open": fmt_int(m["open"]),
               "overdue": fmt_int(m["overdue"])}
              for m in plans_q.agency_matrix(conn, scope, round_id, pcode)]
    steps = [] if pcode == "TH" else [
        {"no": s["step_no"], "name": pick(s["name_th"], s["name_en"], lang),
         "status": t(f"plans.step_status.{s['status']}", lang),
         "done": s["completed_on"].isoformat() if s["completed_on"] else ""}
        for s in plans_q.area_steps(conn, scope, pcode)]
    return {"funnel": stages, "horizons": horizons, "matrix": matrix, "steps": steps,
            "n_items": fmt_int(funnel.get("items")), "overdue": fmt_int(funnel.get("items_overdue")),
            "active": fmt_int(funnel.get("items_active")), "done": fmt_int(funnel.get("items_done")),
            "has_any": bool(funnel.get("items") or funnel.get("target")),
            "statuses": [t(f"plans.status.{s}", lang) for s in plans_q.STATUSES],
            "status_keys": list(plans_q.STATUSES)}


def _centres(conn, scope: Scope, round_id: int, pcode: str, child_level: int,
             lang: Lang) -> dict:
    summary = centres_q.coverage_summary(conn, scope, round_id, pcode, COVERAGE_KM)
    gaps = centres_q.coverage_by_area(conn, scope, round_id, child_level, pcode, COVERAGE_KM,
                                      sort="beyond", limit=TOP_GAPS)
    network = centres_q.network_counts(conn, scope, pcode)
    return {
        "distance": COVERAGE_KM, "network": network,
        "located": fmt_int(summary["located"]), "poor": fmt_int(summary["poor"]),
        "within": fmt_int(summary["poor_within"]), "beyond": fmt_int(summary["poor_beyond"]),
        "share_within": fmt_pct(summary["share_within"]),
        "mean_km": "–" if summary["mean_km"] is None else f"{summary['mean_km']:.1f}",
        "has_any": bool(summary["located"]),
        "gaps": [{"rank": g["rank"], "name": pick(g["name_th"], g["name_en"], lang),
                  "beyond": fmt_int(g["poor_beyond"]), "poor": fmt_int(g["poor"]),
                  "share_beyond": fmt_pct(g["share_beyond"]),
                  "centres": fmt_int(g["open_centres"] or 0)}
                 for g in gaps if g["poor_beyond"]],
    }


def collect(conn, scope: Scope, opts: BriefOptions, generated_at: datetime,
            progress: Progress) -> dict:
    """Everything the template prints, read with the reader's scope."""
    lang = opts.lang
    rounds = list_rounds(conn)
    if not rounds:
        raise BriefError("the store holds no survey round")
    current = _round(rounds, opts.year)
    if current is None:
        raise BriefError(f"no survey round B.E. {opts.year}; rounds: "
                         + ", ".join(str(r.year_be) for r in rounds))
    prev = previous_round(rounds, current)
    info = mpi.area_name(conn, opts.area)
    if info is None:
        raise BriefError(f"no area with P-code {opts.area}")
    catalogue = mpi.load_catalogue(conn)
    level = info["level"]
    child_level = level + 1
    parent = None if opts.area == "TH" else opts.area
    refreshed_at, _version = data_state(conn)
    progress(10, "headline")
    profile = mpi.area_profile(conn, scope, catalogue, opts.area, round_id=current.round_id,
                               previous_round_id=prev.round_id if prev else None, k=opts.k)
    prev_profile = mpi.area_profile(conn, scope, catalogue, opts.area, round_id=prev.round_id,
                                    previous_round_id=None, k=opts.k) if prev else None
    trend = area_trend(conn, scope, catalogue, opts.area, k=opts.k, rounds=rounds)
    progress(20, "maps")
    frame = sm.shapes_frame(conn, child_level, parent)
    overall = mpi.map_values(conn, scope, catalogue, round_id=current.round_id,
                             level=child_level, parent=parent, subject="overall",
                             measure="share", k=opts.k)
    maps = [_map_figure(frame, overall, opts, t("brief.overall_map", lang), 6.6)]
    for n, d in enumerate(catalogue.dimensions):
        progress(25 + 8 * n, f"map {d.code}")
        values = mpi.map_values(conn, scope, catalogue, round_id=current.round_id,
                                level=child_level, parent=parent, subject=f"dim:{d.code}",
                                measure="share", k=opts.k)
        maps.append(_map_figure(frame, values, opts, pick(d.name_th, d.name_en, lang), 3.3))
    progress(70, "plans")
    # plan progress and centre coverage are not open to public viewers (their pages
    # refuse the role), and their tables' margins would give small counts away
    public = scope.suppress_small_counts
    plans = None if public else _plans(conn, scope, current.round_id, opts.area, lang)
    centres = None if public else _centres(conn, scope, current.round_id, opts.area,
                                           child_level, lang)
    name = pick(info["name_th"], info["name_en"], lang)
    kind = {0: "brief.national_brief", 1: "brief.province_brief", 2: "brief.district_brief"}[level]
    source = pick(current.source_th, current.source_en, lang)
    data_date = be_datetime(refreshed_at, lang) if refreshed_at else "–"
    filters = (f"k = {format_k(opts.k)} · {t('map.classes', lang)}: "
               f"{t('map.classes.' + opts.classes, lang)}")
    return {
        "lang": lang, "t": lambda key: t(key, lang),
        "name": name, "name_th": info["name_th"], "pcode": opts.area, "kind": t(kind, lang),
        "round": round_label(current.year_be, lang), "year": current.year_be,
        "previous": round_label(prev.year_be, lang) if prev else None,
        "data_date": data_date, "source": source, "attribution": pick(
            sm.ATTRIBUTION_TH, sm.ATTRIBUTION_EN, lang),
        "filters": filters, "k": format_k(opts.k),
        "generated_by": scope.username, "role": str(scope.role),
        "generated_at": be_datetime(generated_at, lang),
        "headline": _headline(profile, prev_profile, opts.k, lang, prev is not None),
        "trend": [{**r, "surveyed": fmt_int(r["surveyed"]), "poor": fmt_int(r["poor"]),
                   "poor_share": fmt_pct(r["poor_share"]),
                   "poor_people": fmt_int(r["poor_people"]),
                   "target_poor": fmt_int(r["target_poor"]), "H": fmt_pct(r["H"]),
                   "M0": _m0(r["M0"])} for r in trend],
        "trend_chart": _trend_chart(trend, lang),
        "maps": maps, "child_level": t(f"map.level.{child_level}", lang),
        "ranking": _ranking(overall, lang),
        "dimensions": [{"name": pick(d["name_th"], d["name_en"], lang),
                        "deprived": fmt_int(d["deprived"]), "share": fmt_pct(d["share"]),
                        "change": _change(d["share"], d["share_before"], pct=True),
                        "contribution": fmt_pct(d["contribution"])}
                       for d in profile["dimensions"]],
        "indicators": [{"code": i["code"], "text": pick(i["text_th"], i["text_en"], lang),
                        "deprived": fmt_int(i["deprived"]), "share": fmt_pct(i["share"]),
                        "contribution": fmt_pct(i["contribution"])}
                       for i in profile["indicators"]],
        "plans": plans, "centres": centres,
        "suppressed_note": t("brief.suppressed", lang).replace(
            "{n}", str(settings.current().disclosure.suppress_below)) if scope.suppress_small_counts else "",
        "font": {wt: sm.sarabun_ttf(wt).as_uri() for wt in sm.WEIGHTS},
        "css": Markup((TEMPLATES / "brief.css").read_text(encoding="utf-8")),
    }


def render_html(context: dict) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(["html"]))
    return env.get_template("brief.html").render(**context)


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()


def file_name(area_name: str, year: int, lang: Lang) -> str:
    return sm.file_name(area_name, str(year), t("brief.file", lang), ext="pdf")


# ── the job ──────────────────────────────────────────────────────────────────
def cache_key(scope: Scope, opts: BriefOptions, version: str) -> str:
    """Area, round, options, what the reader may see (suppression) and the data."""
    raw = json.dumps({"opts": asdict(opts), "scope": scope.cache_key,
                      "public": scope.suppress_small_counts, "version": version},
                     sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def cache_dir() -> Path:
    return settings.current().services.cache_dir / "briefs"


def build(scope: Scope, opts: BriefOptions, progress: Progress | None = None,
          use_cache: bool = True, now: datetime | None = None) -> Brief:
    """The brief as PDF bytes: from the cache when the same (area, round, options,
    scope, data version) was built before, else built now. Audited either way."""
    opts.check()
    say = progress or (lambda *_a: None)
    started = time.perf_counter()
    say(2, "start")
    generated_at = now or datetime.now(TZ)
    with scoped(scope) as conn:
        rounds = list_rounds(conn)
        current = _round(rounds, opts.year)
        if current is None:
            raise BriefError(f"no survey round B.E. {opts.year}" if opts.year
                             else "the store holds no survey round")
        opts = BriefOptions(opts.area, current.year_be, opts.k, opts.classes, opts.lang)
        _at, version = data_state(conn)
        key = cache_key(scope, opts, version)
        path = cache_dir() / f"{key}.pdf"
        info = mpi.area_name(conn, opts.area)
        if info is None:
            raise BriefError(f"no area with P-code {opts.area}")
        name = pick(info["name_th"], info["name_en"], opts.lang)
        cached = use_cache and path.exists()
        if cached:
            pdf = path.read_bytes()
        else:
            context = collect(conn, scope, opts, generated_at, say)
            say(80, "layout")
            pdf = html_to_pdf(render_html(context))
        audit.record(conn, scope, "brief", target=opts.area,
                     details={**asdict(opts), "cached": cached, "bytes": len(pdf)})
    if not cached and use_cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(f".{time.time_ns()}.part")
        part.write_bytes(pdf)
        part.replace(path)  # atomic: a parallel reader never sees half a file
    say(100, "done")
    return Brief(pdf, file_name(name, opts.year, opts.lang), cached,
                 time.perf_counter() - started, key)
