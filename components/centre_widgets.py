"""Pieces of the centres page (no SQL): the centre and suggested-site map layers, the
bivariate poverty × distance classes and legend, and the gap, plan and household
tables with their CSV export."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

import dash_bootstrap_components as dbc
import numpy as np
from dash import html

from components.formatting import fmt_datetime, fmt_km
from components.i18n import Lang, fmt_date, fmt_int, fmt_pct, pick, round_label, service_label, t
from components.theme import NO_DATA

# Ids of what this component draws on /centres; pages/centres_ids.py re-exports them
GAP_TABLE = "centres-gap-table"
HOUSEHOLDS_TABLE = "centres-households-table"
LEGEND_BIVARIATE = "centres-legend-bivariate"
PLAN_TABLE = "centres-plan-table"

# Okabe–Ito colours, readable by colour-blind viewers, on either map.
STATUS_COLOURS = {"open": "#0072B2", "planned": "#009E73", "closed": "#595959"}
SUGGESTED_COLOUR = "#000000"
# Joshua Stevens' 3×3 bivariate scheme (pink–teal → dark blue), chosen because its two
# hues stay apart for the common forms of colour blindness. Index = 3·poverty + distance
# class, each 0 (low) … 2 (high).
BIVARIATE = ["#e8e8e8", "#ace4e4", "#5ac8c8",
             "#dfb0d6", "#a5add3", "#5698b9",
             "#be64ac", "#8c62aa", "#3b4994"]
INSUFFICIENT = -1


# ── map layers ───────────────────────────────────────────────────────────────
def _services(services: Sequence[str] | None, lang: Lang | None = None) -> str:
    return ", ".join(service_label(s, lang) for s in (services or [])) or "–"


def _point(lon: float, lat: float, color: str, label: str, size: float = 1.0) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"color": color, "label": label, "size": size}}


def centres_points(rows: list[dict], lang: Lang) -> list[dict]:
    """Centres as GeoJSON points coloured by status (the map component's point layer);
    name, tambon, opening date and services in the hover (one line each)."""
    features = []
    for r in rows:
        opened = fmt_date(r.get("opened_on"), lang)
        label = "\n".join([
            pick(r["name_th"], r["name_en"] or r["name_th"], lang),
            f"{t('centres.hover.tambon', lang)}: {pick(r['tambon_th'], r['tambon_en'], lang)}"
            f" ({r['tambon_pcode']})",
            f"{t('centres.status', lang)}: {t('centres.status.' + r['status'], lang)}",
            f"{t('centres.hover.opened', lang)}: {opened}",
            f"{t('centres.hover.services', lang)}: {_services(r['services'], lang)}"])
        features.append(_point(r["lon"], r["lat"], STATUS_COLOURS.get(r["status"], "#595959"),
                               label))
    return features


def sites_points(sites: list[dict], lang: Lang) -> list[dict]:
    """Suggested sites (black, larger), numbered in the hover."""
    return [_point(s["lon"], s["lat"], SUGGESTED_COLOUR,
                   f"{s['rank']}. {pick(s['name_th'], s['name_en'], lang)} ({s['pcode']})\n"
                   f"{t('centres.plan.col.new', lang)}: {fmt_int(s['gain'])}", size=1.8)
            for s in sites]


def points_legend(lang: Lang, with_sites: bool) -> html.Div:
    rows = [html.Div([html.Span(className="centres-dot", style={"background": c}),
                      html.Span(t(f"centres.status.{s}", lang))], className="legend-row")
            for s, c in STATUS_COLOURS.items()]
    if with_sites:
        rows.append(html.Div([html.Span(className="centres-dot centres-dot-large",
                                        style={"background": SUGGESTED_COLOUR}),
                              html.Span(t("centres.legend.suggested", lang))],
                             className="legend-row"))
    return html.Div([html.Div(t("centres.legend.centres", lang), className="legend-title"),
                     *rows], className="map-legend mt-2")


# ── bivariate classes ────────────────────────────────────────────────────────
def tertile_breaks(values: Sequence[float | None]) -> tuple[float, float] | None:
    """The two breaks splitting the values into thirds (None: no values)."""
    data = np.array([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if not data.size:
        return None
    low, high = np.quantile(data, [1 / 3, 2 / 3])
    return float(low), float(high)


def distance_class(mean_km: float | None, distance_km: float) -> int | None:
    """0: under half the distance, 1: up to the distance, 2: at or beyond it."""
    if mean_km is None:
        return None
    return 0 if mean_km < distance_km / 2 else 1 if mean_km < distance_km else 2


def bivariate_index(poverty: Sequence[float | None], mean_km: Sequence[float | None],
                    distance_km: float, insufficient: Sequence[bool]
                    ) -> tuple[list[int | None], tuple[float, float] | None]:
    """Class index 0–8 per area (3·poverty tertile + distance class), −1 for too few
    households, None for no data; and the poverty tertile breaks used."""
    breaks = tertile_breaks([p for p, few in zip(poverty, insufficient, strict=True) if not few])
    out: list[int | None] = []
    for p, km, few in zip(poverty, mean_km, insufficient, strict=True):
        if few:
            out.append(INSUFFICIENT)
            continue
        d = distance_class(km, distance_km)
        if p is None or d is None or breaks is None:
            out.append(None)
            continue
        pc = 0 if p <= breaks[0] else 1 if p <= breaks[1] else 2
        out.append(3 * pc + d)
    return out, breaks


def bivariate_legend(lang: Lang, breaks: tuple[float, float] | None, distance_km: float,
                     min_households: int) -> html.Div:
    """The 3×3 key: poverty up, distance right, with the class limits in words."""
    dist_labels = [f"< {distance_km / 2:g}", f"{distance_km / 2:g}–{distance_km:g}",
                   f"≥ {distance_km:g}"]
    if breaks:
        pov_labels = [f"≤ {fmt_pct(breaks[0])}", f"{fmt_pct(breaks[0])}–{fmt_pct(breaks[1])}",
                      f"> {fmt_pct(breaks[1])}"]
    else:
        pov_labels = ["–", "–", "–"]
    grid = []
    for pc in (2, 1, 0):  # high poverty on top
        cells = [html.Td(pov_labels[pc], className="bivar-label")]
        cells += [html.Td(className="bivar-cell", style={"background": BIVARIATE[3 * pc + d]},
                          title=f"{pov_labels[pc]} · {dist_labels[d]} km") for d in range(3)]
        grid.append(html.Tr(cells))
    grid.append(html.Tr([html.Td()] + [html.Td(lbl, className="bivar-label bivar-x")
                                       for lbl in dist_labels]))
    return html.Div([
        html.Div(t("centres.map_title.bivariate", lang), className="legend-title"),
        html.Div(f"↑ {t('centres.legend.poverty_axis', lang)}", className="bivar-axis"),
        html.Table(html.Tbody(grid), className="bivar-grid"),
        html.Div(f"→ {t('centres.legend.distance_axis', lang)} (km)", className="bivar-axis"),
        html.Div([html.Span(className="legend-swatch", style={"background": NO_DATA}),
                  html.Span(t("centres.legend.too_few", lang).replace("{n}",
                                                                      str(min_households)))],
                 className="legend-row mt-1"),
    ], className="map-legend", id=LEGEND_BIVARIATE)


# ── tables ───────────────────────────────────────────────────────────────────
def gap_columns(distance_km: int, lang: Lang, level: int) -> list[tuple[str, str]]:
    d = str(distance_km)
    cols = [("rank", t("col.rank", lang)),
            ("pcode", "P-code"), ("name", t("centres.col.area", lang)),
            ("in", t("centres.col.in", lang)), ("poor", t("centres.col.poor", lang)),
            ("poor_beyond", t("centres.col.beyond", lang).replace("{d}", d)),
            ("share_beyond", t("centres.col.share_beyond", lang)),
            ("gap_km", t("centres.col.gap", lang)), ("mean_km", t("centres.col.mean_km", lang)),
            ("open_centres", t("centres.col.centres", lang)),
            ("poverty_share", t("centres.col.poverty", lang))]
    return cols if level > 1 else [c for c in cols if c[0] != "in"]


def gap_rows(rows: list[dict], lang: Lang) -> list[dict]:
    """Table/CSV rows: numbers rounded for people (shares in %)."""
    out = []
    for r in rows:
        out.append({
            "rank": r["rank"], "pcode": r["pcode"], "name": pick(r["name_th"], r["name_en"], lang),
            "in": pick(r.get("parent_th") or "", r.get("parent_en") or "", lang),
            "poor": r["poor"], "poor_beyond": r["poor_beyond"],
            "share_beyond": None if r["share_beyond"] is None else round(100 * r["share_beyond"], 1),
            "gap_km": None if r["gap_km"] is None else round(r["gap_km"]),
            "mean_km": None if r["mean_km"] is None else round(r["mean_km"], 1),
            "open_centres": int(r["open_centres"] or 0),
            "poverty_share": None if r["poverty_share"] is None else round(100 * r["poverty_share"], 1),
        })
    return out


def gap_table(rows: list[dict], distance_km: int, lang: Lang, level: int) -> dbc.Table:
    cols = gap_columns(distance_km, lang, level)
    numeric = {"rank", "poor", "poor_beyond", "share_beyond", "gap_km", "mean_km",
               "open_centres", "poverty_share"}

    def cell(key, value):
        if value is None:
            text = "–"
        elif key in ("poor", "poor_beyond", "gap_km"):
            text = fmt_int(value)
        else:
            text = str(value)
        return html.Td(text, className="text-end" if key in numeric else None)

    head = html.Thead(html.Tr([html.Th(h, className="text-end" if k in numeric else None)
                               for k, h in cols]))
    body = html.Tbody([html.Tr([cell(k, r.get(k)) for k, _ in cols]) for r in gap_rows(rows, lang)])
    return dbc.Table([head, body], striped=True, hover=True, size="sm", responsive=True,
                     className="table-compact", id=GAP_TABLE)


def plan_table(sites: list[dict], lang: Lang) -> dbc.Table:
    head = html.Thead(html.Tr([
        html.Th(t("centres.plan.col.rank", lang)), html.Th(t("centres.plan.col.tambon", lang)),
        html.Th(t("centres.plan.col.district", lang)),
        html.Th(t("centres.plan.col.new", lang), className="text-end"),
        html.Th(t("centres.plan.col.cumulative", lang), className="text-end"),
        html.Th(t("centres.plan.col.coverage", lang), className="text-end"),
        html.Th(t("centres.plan.col.has_centre", lang))]))
    body = html.Tbody([html.Tr([
        html.Td(s["rank"]),
        html.Td(f"{pick(s['name_th'], s['name_en'], lang)} ({s['pcode']})"),
        html.Td(pick(s["district_th"], s["district_en"], lang)),
        html.Td(fmt_int(s["gain"]), className="text-end"),
        html.Td(fmt_int(s["cumulative"]), className="text-end"),
        html.Td(fmt_pct(s["coverage"]), className="text-end"),
        html.Td("✓" if s["has_centre"] else ""),
    ]) for s in sites])
    return dbc.Table([head, body], striped=True, hover=True, size="sm", responsive=True,
                     className="table-compact", id=PLAN_TABLE)


def plan_export(plan: dict, lang: Lang) -> tuple[list[tuple[str, str]], list[dict], list]:
    """Columns, rows and source notes (with the data date) of the suggested sites, for
    chipao.exports."""
    columns = [("rank", t("centres.plan.col.rank", lang)), ("pcode", "P-code"),
               ("tambon", t("centres.plan.col.tambon", lang)),
               ("district", t("centres.plan.col.district", lang)),
               ("gain", t("centres.plan.col.new", lang)),
               ("cumulative", t("centres.plan.col.cumulative", lang)),
               ("coverage_pct", t("centres.plan.col.coverage", lang)),
               ("has_centre", t("centres.plan.col.has_centre", lang)),
               ("lon", "lon"), ("lat", "lat")]

    def count(v):
        return None if v is None else int(v)

    rows = [{"rank": int(s["rank"]), "pcode": str(s["pcode"]),
             "tambon": str(pick(s["name_th"], s["name_en"], lang)),
             "district": str(pick(s["district_th"], s["district_en"], lang)),
             "gain": count(s["gain"]), "cumulative": count(s["cumulative"]),
             "coverage_pct": None if s["coverage"] is None else round(100 * float(s["coverage"]), 1),
             "has_centre": bool(s["has_centre"]),
             "lon": round(float(s["lon"]), 5), "lat": round(float(s["lat"]), 5)}
            for s in plan["sites"]]
    d = int(plan["distance"])
    notes = [(t("centres.plan.title", lang), t("centres.plan.intro", lang).replace("{d}", str(d))),
             (t("centres.col.area", lang), str(plan["area"])),
             (t("shell.round", lang), round_label(int(plan["year"]), lang)),
             (t("centres.distance", lang), str(d)),
             (t("centres.plan.n", lang), str(int(plan["n"]))),
             (t("centres.plan.only_without", lang),
              t("hh.yes", lang) if plan.get("only_without") else t("hh.no", lang)),
             (t("centres.plan.summary_label", lang), t("centres.plan.summary", lang)
              .replace("{d}", str(d)).replace("{before}", fmt_int(plan["before"]))
              .replace("{after}", fmt_int(plan["after"])).replace("{added}", fmt_int(plan["added"]))),
             (t("exports.data_date", lang), fmt_datetime(
                 datetime.fromisoformat(plan["refreshed_at"]) if plan.get("refreshed_at")
                 else None, lang)),
             (t("source", lang), t("centres.plan.note", lang))]
    return columns, rows, notes


def households_table(rows: list[dict], lang: Lang) -> dbc.Table:
    head = html.Thead(html.Tr([
        html.Th(t("centres.plan.col.house", lang)), html.Th(t("centres.plan.col.tambon", lang)),
        html.Th(t("centres.plan.col.village", lang), className="text-end"),
        html.Th(t("centres.plan.col.site_km", lang), className="text-end"),
        html.Th(t("centres.plan.col.nearest_km", lang), className="text-end")]))
    body = html.Tbody([html.Tr([
        html.Td(r["house_id"]),
        html.Td(f"{pick(r['tambon_th'], r['tambon_en'], lang)} ({r['tambon_pcode']})"),
        html.Td(r["village_no"], className="text-end"),
        html.Td(fmt_km(r["site_m"], metres=True), className="text-end"),
        html.Td(fmt_km(r["nearest_m"], metres=True) if r["nearest_m"] is not None else "–",
                className="text-end"),
    ]) for r in rows])
    return dbc.Table([head, body], striped=True, size="sm", responsive=True,
                     className="table-compact", id=HOUSEHOLDS_TABLE)
