"""Sections of a household's record (the family notebook). No SQL: everything comes
from queries.household_record.HouseholdRecord; personal identifiers are masked
here unless a break-the-glass reveal supplied them."""

from __future__ import annotations

from datetime import date
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from chipao.domain.household_record import HouseholdRecord, change, indicator_status
from chipao.domain.privacy import mask_name, mask_national_id
from chipao.domain.scope import Scope
from components import map_view as mv
from components.i18n import STRINGS, Lang, fmt_date, fmt_int, pick, round_label, t
from components.theme import CATEGORICAL

# Ids of what this component draws on the household record page; pages/household_ids.py re-exports them
ANALYSIS = "rec-analysis"
AREA = "rec-area"
CENTRE = "rec-centre"
CENTRE_DISTANCE = "rec-centre-distance"
HOUSE_ID = "rec-house-id"
INDICATORS = "rec-indicators"
LEFT_POVERTY = "rec-left-poverty"
MAP = "rec-map"
MEMBERS_TABLE = "rec-members-table"
PLAN = "rec-plan"
POOR_BADGE = "rec-poor-badge"
SCORE = "rec-score"
UPDATE_PLAN = "rec-update-plan"
VISITS = "rec-visits"

HOUSE_COLOUR, CENTRE_COLOUR = CATEGORICAL[0], CATEGORICAL[1]
# blue for met, dark vermillion (bold) for failed: a pair colour-blind readers tell apart,
# each ≥ 5.6:1 on the table's light rows (assets/30-households.css); the words say it too
STATUS_CLASS = {"met": "status-met", "failed": "status-failed fw-semibold", "na": "text-muted"}
STATUS_MARK = {"met": "✓", "failed": "✗", "na": "–"}
CHANGE_MARK = {"improved": "▲", "worsened": "▼", "same": "="}
PLAN_BADGE = {"not_started": "secondary", "in_progress": "primary", "done": "success",
              "cancelled": "light"}
AGE_GROUPS = ((0, 5), (6, 14), (15, 59), (60, None))  # as the BMN indicators group people


def _label(prefix: str, code: str | None, lang: Lang) -> str:  # prefix: "ptype."
    """A code's label when one is defined ('ptype.chronic'), else the code made readable."""
    if code is None:
        return t("rec.unknown", lang)
    key = prefix + code
    return t(key, lang) if key in STRINGS else code.replace("_", " ")


def age_group(birth_year_be: int | None, reference_year_be: int, lang: Lang) -> str:
    if birth_year_be is None:
        return t("rec.unknown", lang)
    age = reference_year_be - birth_year_be
    for lo, hi in AGE_GROUPS:
        if hi is None or age <= hi:
            span = f"{lo}+" if hi is None else f"{lo}–{hi}"
            return f"{span} {t('age.years', lang)}" if age >= lo else t("rec.unknown", lang)
    return t("rec.unknown", lang)


def reference_year(rec: HouseholdRecord) -> int:
    """Ages are given as at the latest survey round (the year the indicators describe)."""
    return rec.latest["year_be"] if rec.latest else date.today().year + 543


# ── header ───────────────────────────────────────────────────────────────────
def header(rec: HouseholdRecord, lang: Lang) -> html.Div:
    names = [pick(a["name_th"], a["name_en"], lang) for a in rec.areas]
    village = f"{t('hh.col.village', lang)} {rec.village_no}" + (
        f" ({rec.village_name})" if rec.village_name else "")
    latest = rec.latest
    badges = []
    if latest is not None:
        poor = latest["dims_failed"] != 0
        # Okabe–Ito vermillion / blue (as the indicator marks): the two read apart for
        # every kind of colour vision, and the word says it anyway
        badges.append(dbc.Badge(t("rec.poor" if poor else "rec.not_poor", lang),
                                className="me-1 " + ("badge-poor" if poor else "badge-not-poor"),
                                id=POOR_BADGE))
    if rec.left_poverty:
        badges.append(dbc.Badge(t("rec.left_poverty", lang), color="success", className="me-1",
                                id=LEFT_POVERTY))
        # a page tooltip (Sarabun), not a title attribute (a system font, maybe no Thai)
        badges.append(dbc.Tooltip(t("rec.left_poverty_note", lang), target="rec-left-poverty"))
    if latest is not None and latest["welfare_card"]:
        badges.append(dbc.Badge(t("hh.filter.welfare", lang), color="info", className="me-1"))
    if rec.programme_target:
        badges.append(dbc.Badge(t("rec.programme", lang), color="warning", text_color="dark"))
    facts = []
    if latest is not None:
        facts = [
            html.Div([html.Span(f"{t('rec.score', lang)}: ", className="text-muted"),
                      html.Strong(f"{latest['score']:.3f}", id=SCORE),
                      html.Span(f" · {round_label(latest['year_be'], lang)}", className="text-muted")]),
            html.Div([html.Span(f"{t('hh.col.size', lang)}: ", className="text-muted"),
                      html.Strong(fmt_int(latest["size"])),
                      html.Span(f" · {t('hh.col.dims', lang)}: ", className="text-muted"),
                      html.Strong(fmt_int(latest["n_dims_failed"]))]),
        ]
    return html.Div([
        html.H1([t("rec.title", lang), " · ", html.Span(rec.house_id, id=HOUSE_ID)],
                className="page-title"),
        html.Div(" › ".join([*names, village]), className="page-subtitle", id=AREA),
        html.Div(badges, className="my-2"),
        *facts,
    ])


# ── location ─────────────────────────────────────────────────────────────────
def _point(lon: float, lat: float, color: str, label: str, size: float) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"color": color, "label": label, "size": size}}


def location_map(rec: HouseholdRecord, geometry_url: str, lang: Lang) -> html.Div | None:
    """The household (and its nearest centre) as points over its tambon, outlined, on the
    map component; `geometry_url` is the tambons of its district (geodata.serve)."""
    if rec.lat is None or rec.lon is None:
        return None
    centre = rec.nearest_centre
    points = [_point(rec.lon, rec.lat, HOUSE_COLOUR, rec.house_id, 2.2)]
    lons, lats = [rec.lon], [rec.lat]
    if centre is not None:
        points.append(_point(centre["lon"], centre["lat"], CENTRE_COLOUR,
                             f"{t('rec.nearest', lang)}: "
                             f"{pick(centre['name_th'], centre['name_en'] or '', lang)}", 2.0))
        lons.append(centre["lon"])
        lats.append(centre["lat"])
    pad = 0.01
    bounds = (min(lons) - pad, min(lats) - pad, max(lons) + pad, max(lats) + pad)
    tambon = rec.tambon_pcode
    spec = mv.map_spec(geometry_url, [tambon], level=3, bounds=bounds, measure_label="",
                       rank_label="", lang=lang,
                       points={"type": "FeatureCollection", "features": points})
    values = mv.map_values(geometry_url, f"rec:{rec.house_id}", [0], ["#f1f3f5"], [""],
                           selected=tambon)
    return mv.map_view("rec-map", label=t("rec.location", lang), keys_help=t("map.keys", lang),
                       height=320, spec=spec, values=values)


def location_block(rec: HouseholdRecord, lang: Lang, geometry_url: str) -> html.Div:
    located = location_map(rec, geometry_url, lang)
    centre = rec.nearest_centre
    if centre is None:
        centre_text = t("rec.no_centre", lang)
    else:
        km = centre["distance_m"] / 1000
        centre_text = [html.Span(f"{t('rec.nearest', lang)}: "),
                       html.Strong(pick(centre["name_th"], centre["name_en"] or "", lang)),
                       html.Span(f" · {t('rec.distance', lang)} "),
                       html.Strong(f"{km:,.1f} km", id=CENTRE_DISTANCE)]
    body: list = []
    if located is None:
        body.append(html.Div(t("rec.no_location", lang), className="text-muted", id=MAP))
    else:
        body.append(located)
        body.append(html.Div(t("rec.map_note", lang), className="figure-note"))
    body.append(html.Div(centre_text, className="mt-1", id=CENTRE))
    return html.Div(body)


# ── members ──────────────────────────────────────────────────────────────────
def members_table(rec: HouseholdRecord, lang: Lang, scope: Scope,
                  revealed: dict[int, dict] | None = None) -> dbc.Table:
    """Members with masked identifiers; `revealed` (seq → {first_name, last_name,
    national_id}) comes from an audited break-the-glass reveal."""
    year = reference_year(rec)
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in (
        "rec.seq", "rec.name", "rec.national_id", "rec.sex", "rec.age_group", "rec.relation")]))
    rows = []
    for m in rec.members:
        full = (revealed or {}).get(m["seq"])
        name = (f"{full['first_name']} {full['last_name']}" if full
                else mask_name(m["first_name"], m["last_name"], scope))
        nid = (full["national_id"] or "–") if full else (mask_national_id(m["national_id"]) or "–")
        rows.append(html.Tr([
            html.Td(m["seq"]), html.Td(name), html.Td(nid, className="font-monospace"),
            html.Td(t(f"sex.{m['sex']}", lang)),
            html.Td(age_group(m["birth_year_be"], year, lang)),
            html.Td(_label("rel.", m["relation"], lang)),
        ]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", striped=True, className="table-compact",
                     id=MEMBERS_TABLE)


# ── indicators by round ──────────────────────────────────────────────────────
def indicators_table(rec: HouseholdRecord, lang: Lang) -> dbc.Table:
    rounds = rec.rounds
    prev, last = (rounds[-2] if len(rounds) > 1 else None), (rounds[-1] if rounds else None)
    head = html.Thead(html.Tr(
        [html.Th(t("rec.indicator", lang))]
        + [html.Th(round_label(r["year_be"], lang), className="text-center") for r in rounds]
        + [html.Th(t("rec.change", lang), className="text-center")]))
    body = []
    for dim in rec.catalogue.dimensions:
        bit = 1 << dim.sort
        cells = []
        for r in rounds:
            deprived = bool(r["dims_failed"] & bit)
            cells.append(html.Td(t("status.deprived" if deprived else "status.not_deprived", lang),
                                 className="text-center " + STATUS_CLASS[
                                     "failed" if deprived else "met"]))
        body.append(html.Tr([html.Th(pick(dim.name_th, dim.name_en, lang), scope="row"), *cells,
                             html.Td()], className="table-light dimension-row"))
        for ind in (i for i in rec.catalogue.indicators if i.dimension == dim.code):
            statuses = [indicator_status(r, ind.bit) for r in rounds]
            delta = change(indicator_status(prev, ind.bit) if prev else None,
                           statuses[-1]) if last else None
            body.append(html.Tr(
                [html.Td(f"{ind.code} {pick(ind.text_th, ind.text_en, lang)}", className="ps-3")]
                + [html.Td(f"{STATUS_MARK[s]} {t(f'status.{s}', lang)}",
                           className="text-center " + STATUS_CLASS[s],
                           **{"data-status": s}) for s in statuses]
                + [html.Td(f"{CHANGE_MARK[delta]} {t(f'change.{delta}', lang)}" if delta else "",
                           className="text-center", **{"data-change": delta or ""})],
                id=f"rec-ind-{ind.code}"))
    body.append(html.Tr([html.Th(t("rec.score", lang), scope="row")]
                        + [html.Td(f"{r['score']:.3f}", className="text-center fw-semibold")
                           for r in rounds]
                        + [html.Td(f"{last['score'] - prev['score']:+.3f}" if prev else "",
                                   className="text-center")]))
    return dbc.Table([head, html.Tbody(body)], size="sm", bordered=True, hover=True,
                     className="table-compact", id=INDICATORS)


# ── analysis, plan, visits ───────────────────────────────────────────────────
def _unique(values: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def analysis_block(rec: HouseholdRecord, lang: Lang) -> html.Div:
    """Poverty type (latest visit that recorded one), causes and needs (every visit)."""
    if not rec.visits:
        return html.Div(t("rec.no_visits", lang), className="text-muted", id=ANALYSIS)
    ptype = next((v["poverty_type"] for v in rec.visits if v["poverty_type"]), None)
    causes = _unique([c for v in rec.visits for c in v["causes"]])
    needs = _unique([n for v in rec.visits for n in v["needs"]])
    return html.Dl([
        html.Dt(t("rec.poverty_type", lang)), html.Dd(_label("ptype.", ptype, lang)),
        html.Dt(t("rec.causes", lang)),
        html.Dd(", ".join(_label("cause.", c, lang) for c in causes) or "–"),
        html.Dt(t("rec.needs", lang)),
        html.Dd(", ".join(_label("need.", n, lang) for n in needs) or "–"),
    ], id=ANALYSIS)


def plan_update_href(house_id: str, item_id: int | None = None) -> str:
    """The plan-item form of a household (/plans/household), opened at one item."""
    return f"/plans/household?house={house_id}" + (f"&item={item_id}" if item_id else "")


def plan_block(rec: HouseholdRecord, lang: Lang, can_update: bool = False) -> html.Div:
    """The household's plan items; with `can_update` (tambon officers) each row links to
    its update form and a link opens the form of every item."""
    if not rec.plan_items:
        return html.Div(t("rec.no_plan", lang), className="text-muted", id=PLAN)
    sections = []
    for horizon in ("urgent", "medium", "long"):
        items = [i for i in rec.plan_items if i["horizon"] == horizon]
        if not items:
            continue
        head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in (
            "rec.category", "rec.agency", "rec.status", "rec.created", "rec.due",
            "rec.started", "rec.completed")] + ([html.Th("")] if can_update else [])))
        rows = [html.Tr([
            html.Td(pick(i["category_th"], i["category_en"], lang)),
            html.Td(pick(i["agency_th"], i["agency_en"], lang)),
            html.Td(dbc.Badge(t(f"plan.{i['status']}", lang), color=PLAN_BADGE[i["status"]],
                              text_color="dark" if i["status"] == "cancelled" else None)),
            html.Td(fmt_date(i["created_on"], lang)), html.Td(fmt_date(i["due_on"], lang)),
            html.Td(fmt_date(i["started_on"], lang)), html.Td(fmt_date(i["completed_on"], lang)),
            *([html.Td(dcc.Link(t("rec.update_item", lang),
                                href=plan_update_href(rec.house_id, i["item_id"]),
                                id=f"rec-update-{i['item_id']}"))] if can_update else []),
        ], id=f"rec-item-{i['item_id']}") for i in items]
        sections.append(html.Div([
            html.H3(t(f"horizon.{horizon}", lang), className="h6 mt-2"),
            dbc.Table([head, html.Tbody(rows)], size="sm", className="table-compact"),
        ], id=f"rec-plan-{horizon}"))
    plans = sorted({i["plan_year"] for i in rec.plan_items})
    note = f"{t('rec.plan_round', lang)} " + ", ".join(round_label(y, lang) for y in plans)
    update = ([dcc.Link(t("rec.update_plan", lang), href=plan_update_href(rec.house_id),
                        className="btn btn-sm btn-primary mt-1", id=UPDATE_PLAN)]
              if can_update else [])
    return html.Div([*sections, html.Div(note, className="figure-note"), *update], id=PLAN)


def visits_timeline(rec: HouseholdRecord, lang: Lang) -> html.Div:
    if not rec.visits:
        return html.Div(t("rec.no_visits", lang), className="text-muted", id=VISITS)
    items = []
    for v in rec.visits:
        details = []
        if v["poverty_type"]:
            details.append(f"{t('rec.poverty_type', lang)}: {_label('ptype', v['poverty_type'], lang)}")
        if v["causes"]:
            details.append(f"{t('rec.causes', lang)}: "
                           + ", ".join(_label("cause.", c, lang) for c in v["causes"]))
        if v["needs"]:
            details.append(f"{t('rec.needs', lang)}: "
                           + ", ".join(_label("need.", n, lang) for n in v["needs"]))
        items.append(html.Li([
            html.Div([html.Strong(fmt_date(v["visited_on"], lang)), " · ",
                      _label("visitor.", v["visitor_kind"], lang)], className="timeline-date"),
            html.Div(" · ".join(details), className="small"),
            html.Div(v["note"], className="small text-muted") if v["note"] else None,
        ], className="timeline-item", id=f"rec-visit-{v['visit_id']}"))
    return html.Ul(items, className="timeline list-unstyled", id=VISITS)
