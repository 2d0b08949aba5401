"""Plan-progress widgets: funnel, horizon bars, agency matrix, the 9-step table and map
legend, target/pace chart, stalled-work tables and the plan-item status form.

Presentation only (no SQL): the page passes rows from queries.plans. Figures are plain
dicts in Plotly's JSON schema (the theme's fonts and margins): building
graph_objects validates every property and cost more than all the page's queries
together at full scale. Every id starts
with ``plans-``; the status form's ids are pattern-matching dicts keyed by item, so a
page may hold several forms (pages/plans_household.py has the callback).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.i18n import (
    Lang,
    display_year,
    fmt_date,
    fmt_int,
    fmt_pct,
    fmt_suppressed,
    month_names,
    pick,
    t,
)
from components.theme import CATEGORICAL, FONT, NO_DATA, TOOLBAR_PX, chart_title

# Ids of what this component draws on /plans; pages/plans_ids.py re-exports them
AGENCY_TABLE = "plans-agency-table"
HORIZON_TABLE = "plans-horizon-table"
STALLED_AREAS = "plans-stalled-areas"
STALLED_HOUSEHOLDS = "plans-stalled-households"
STEPS_AREA = "plans-steps-area"
STEPS_LEGEND = "plans-steps-legend"
TARGETS_TABLE = "plans-targets-table"

STATUS_COLORS = {"done": "#009E73", "in_progress": "#0072B2", "not_started": "#E69F00",
                 "cancelled": "#767676"}
# Text on a status badge: black on the light green and orange (6.1:1, 9.3:1), white on
# the blue and grey (5.2:1, 4.5:1), so every badge reads at WCAG AA.
STATUS_TEXT = {"done": "#000000", "in_progress": "#ffffff", "not_started": "#000000",
               "cancelled": "#ffffff"}
# ColorBrewer YlGnBu (9 classes): one colour per step reached; grey for none.
STEP_COLORS = ["#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8",
               "#253494", "#081d58"]
STEP_SYMBOL = {"done": "✓", "in_progress": "◐", "not_started": "·"}
STEP_STATUS_VALUE = {"not_started": 0, "in_progress": 1, "done": 2}


def suppressed_mark() -> str:
    """What a suppressed small count shows (public viewers): "<5"."""
    return fmt_suppressed()


def _count(n: int | None, lang: Lang | None = None) -> str:
    return suppressed_mark() if n is None else fmt_int(n)


def _date(d: date | None, lang: Lang | None = None) -> str:
    return fmt_date(d, lang)


def figure_layout(title: str, height: int, **extra) -> dict:
    """components.theme.base_layout as a plain dict, with a title."""
    layout = {
        "font": {"family": FONT, "size": 14, "color": "#212529"},
        "margin": {"l": 10, "r": 10, "t": TOOLBAR_PX + 40, "b": 10}, "height": height,
        "paper_bgcolor": "white", "plot_bgcolor": "white",
        "legend": {"orientation": "h", "y": -0.15}, "separators": ".,",
        "title": chart_title(title, 15),
    }
    layout.update(extra)
    return layout


# ── funnel ───────────────────────────────────────────────────────────────────
FUNNEL_INSIDE = 0.35  # stages narrower than this share of the first get their text beside


def funnel_figure(stages: Sequence[tuple[str, int | None]], title: str, lang: Lang) -> dict:
    """Stages (label, count) from target households down; text gives count and share of
    the first stage (None = suppressed or not yet known)."""
    base = stages[0][1] if stages else None
    labels = [label for label, _ in stages]
    values = [n or 0 for _, n in stages]
    texts, positions = [], []
    for _, n in stages:
        share = n / base if n is not None and base else None
        texts.append(f"{_count(n, lang)} ({fmt_pct(share)})" if n is not None
                     else t("plans.not_known", lang))
        # Inside a narrow bar Plotly shrinks the text until nobody can read it: the
        # last stages (those who left poverty, the outcome) are often a few per cent.
        positions.append("inside" if share is not None and share >= FUNNEL_INSIDE else "outside")
    widest = max(values, default=0) or 1
    trace = {"type": "funnel", "y": labels, "x": values, "text": texts, "textinfo": "text",
             "textposition": positions, "textfont": {"size": 14},
             "insidetextfont": {"color": "#ffffff"}, "outsidetextfont": {"color": "#212529"},
             "constraintext": "none", "cliponaxis": False,
             "marker": {"color": CATEGORICAL[0]},
             "hovertemplate": "%{y}: %{text}<extra></extra>",
             "connector": {"fillcolor": "#e9ecef"}}
    # room on the right for a label beside the narrowest bar (funnels are centred)
    layout = figure_layout(title, 330, yaxis={"automargin": True},
                           xaxis={"range": [-widest * 0.62, widest * 0.62], "visible": False},
                           uniformtext={"minsize": 12, "mode": "show"})
    return {"data": [trace], "layout": layout}


# ── horizons ─────────────────────────────────────────────────────────────────
def horizon_figure(rows: Sequence[dict], title: str, lang: Lang) -> dict:
    """Stacked bars: items of each horizon by status."""
    names = [t(f"plans.horizon.{r['horizon']}", lang) for r in rows]
    data = [{"type": "bar", "orientation": "h", "y": names, "x": [r[status] or 0 for r in rows],
             "name": t(f"plans.status.{status}", lang),
             "marker": {"color": STATUS_COLORS[status]},
             "hovertemplate": "%{y}: %{x:,}<extra>%{fullData.name}</extra>"}
            for status in ("done", "in_progress", "not_started", "cancelled")]
    return {"data": data, "layout": figure_layout(
        title, 260, barmode="stack", xaxis={"tickformat": ",", "gridcolor": "#e9ecef"},
        yaxis={"autorange": "reversed", "automargin": True})}


def horizon_table(rows: Sequence[dict], lang: Lang) -> dbc.Table:
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in (
        "plans.col.horizon", "plans.col.items", "plans.status.done", "plans.col.open",
        "plans.col.overdue", "plans.col.median_days")]))
    body = []
    for r in rows:
        open_ = None if r["not_started"] is None or r["in_progress"] is None \
            else r["not_started"] + r["in_progress"]
        body.append(html.Tr([
            html.Td(t(f"plans.horizon.{r['horizon']}", lang)),
            html.Td(_count(r["items"], lang)),
            html.Td(_count(r["done"], lang)),
            html.Td(_count(open_, lang)),
            html.Td(_count(r["overdue"], lang)),
            html.Td("–" if r["median_days"] is None else f"{r['median_days']:,.0f}"),
        ]))
    return dbc.Table([head, html.Tbody(body)], size="sm", striped=True,
                     className="table-compact plans-numeric", id=HORIZON_TABLE)


# ── agencies ─────────────────────────────────────────────────────────────────
def agency_heatmap(matrix: Sequence[dict], agencies: Sequence[dict], categories: Sequence[dict],
                   title: str, lang: Lang) -> dict:
    """Open items per agency × category (colour), with done / open / overdue on hover."""
    cells = {(c["agency_code"], c["category_code"]): c for c in matrix}
    z, hover = [], []
    for a in agencies:
        row_z, row_h = [], []
        for c in categories:
            cell = cells.get((a["code"], c["code"]))
            row_z.append(None if cell is None else cell["open"])
            row_h.append("–" if cell is None else t("plans.cell", lang).format(
                done=_count(cell["done"], lang), open=_count(cell["open"], lang),
                overdue=_count(cell["overdue"], lang)))
        z.append(row_z)
        hover.append(row_h)
    trace = {"type": "heatmap", "z": z,
             "x": [pick(c["name_th"], c["name_en"], lang) for c in categories],
             "y": [pick(a["name_th"], a["name_en"], lang) for a in agencies],
             "text": hover, "hovertemplate": "%{y}<br>%{x}<br>%{text}<extra></extra>",
             "colorscale": "YlOrRd", "reversescale": True,  # more open items: darker
             "colorbar": {"title": {"text": t("plans.col.open", lang)}},
             "xgap": 1, "ygap": 1}
    return {"data": [trace], "layout": figure_layout(
        title, 520, xaxis={"tickangle": -35, "automargin": True},
        yaxis={"autorange": "reversed", "automargin": True})}


def agency_totals_table(matrix: Sequence[dict], agencies: Sequence[dict], lang: Lang) -> dbc.Table:
    totals: dict[str, dict] = {}
    for cell in matrix:
        tot = totals.setdefault(cell["agency_code"], {"done": 0, "open": 0, "overdue": 0})
        for k in tot:
            tot[k] += cell[k] or 0
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in (
        "plans.col.agency", "plans.status.done", "plans.col.open", "plans.col.overdue")]))
    body = [html.Tr([html.Td(pick(a["name_th"], a["name_en"], lang)),
                     *(html.Td(fmt_int(totals.get(a["code"], {}).get(k, 0)))
                       for k in ("done", "open", "overdue"))])
            for a in agencies]
    return dbc.Table([head, html.Tbody(body)], size="sm", striped=True,
                     className="table-compact plans-numeric", id=AGENCY_TABLE)


# ── the 9-step process ───────────────────────────────────────────────────────
def steps_matrix_figure(areas: Sequence[dict], steps: Sequence[dict], title: str,
                        lang: Lang) -> dict:
    """Areas × the nine steps, coloured by status; start and completion dates on hover.
    (A figure: 77 provinces × 9 steps as table cells weighed ~240 kB of page JSON.)"""
    z, dates = [], []
    for a in areas:
        row_z, row_d = [], []
        for s in steps:
            step = a["steps"].get(s["step_no"])
            status = step["status"] if step else "not_started"
            row_z.append(STEP_STATUS_VALUE[status])
            row_d.append([_date(step["started_on"]) if step else "–",
                          _date(step["completed_on"]) if step else "–"])
        z.append(row_z)
        dates.append(row_d)
    colors = [STATUS_COLORS["cancelled"], STATUS_COLORS["in_progress"], STATUS_COLORS["done"]]
    labels = [t(f"plans.step_status.{k}", lang) for k in STEP_STATUS_VALUE]
    trace = {"type": "heatmap", "z": z, "zmin": -0.5, "zmax": 2.5, "xgap": 2, "ygap": 2,
             "x": [f"{s['step_no']}. {pick(s['name_th'], s['name_en'], lang)}" for s in steps],
             "y": [pick(a["name_th"], a["name_en"], lang) for a in areas],
             "customdata": dates,
             "colorscale": [[0, colors[0]], [1 / 3, colors[0]], [1 / 3, colors[1]],
                            [2 / 3, colors[1]], [2 / 3, colors[2]], [1, colors[2]]],
             "colorbar": {"tickvals": [0, 1, 2], "ticktext": labels, "thickness": 12},
             "hovertemplate": (f"%{{y}}<br>%{{x}}<br>{t('plans.started', lang)} "
                               f"%{{customdata[0]}} · {t('plans.completed', lang)} "
                               f"%{{customdata[1]}}<extra></extra>")}
    return {"data": [trace], "layout": figure_layout(
        title, 160 + 18 * len(areas), xaxis={"tickangle": -30, "automargin": True},
        yaxis={"autorange": "reversed", "automargin": True, "dtick": 1})}


def area_steps_table(steps: Sequence[dict], lang: Lang) -> dbc.Table:
    """One area's nine steps with status and dates."""
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in (
        "plans.col.step", "plans.col.status", "plans.started", "plans.completed")]))
    body = [html.Tr([html.Td(f"{s['step_no']}. {pick(s['name_th'], s['name_en'], lang)}"),
                     html.Td(f"{STEP_SYMBOL[s['status']]} {t('plans.step_status.' + s['status'], lang)}",
                             className=f"step-{s['status']}"),
                     html.Td(_date(s["started_on"])), html.Td(_date(s["completed_on"]))])
            for s in steps]
    return dbc.Table([head, html.Tbody(body)], size="sm", striped=True,
                     className="table-compact", id=STEPS_AREA)


def steps_legend(steps: Sequence[dict], lang: Lang) -> html.Div:
    rows = [html.Div([html.Span(className="legend-swatch", style={"background": NO_DATA}),
                      html.Span(t("plans.no_step_done", lang))], className="legend-row")]
    for s, color in zip(steps, STEP_COLORS, strict=False):
        rows.append(html.Div([html.Span(className="legend-swatch", style={"background": color}),
                              html.Span(f"{s['step_no']}. {pick(s['name_th'], s['name_en'], lang)}")],
                             className="legend-row"))
    return html.Div([html.Div(t("plans.steps_legend", lang), className="legend-title"), *rows],
                    className="map-legend", id=STEPS_LEGEND)


# ── targets and pace ─────────────────────────────────────────────────────────
def pace_figure(visits: Sequence[tuple[date, int]], plans: Sequence[tuple[date, int]],
                target: int | None, projection: Sequence[tuple[date, int]] | None,
                title: str, lang: Lang) -> dict:
    """Cumulative target households first visited / first given a plan, the target
    line and the projection at the current pace (dashed)."""
    def line(points, name: str, style: dict) -> dict:
        return {"type": "scatter", "mode": "lines", "name": name, "line": style,
                "x": [m.isoformat() for m, _ in points], "y": [n for _, n in points]}

    data = [line(visits, t("plans.stage.visited", lang), {"color": CATEGORICAL[5]}),
            line(plans, t("plans.stage.with_plan", lang), {"color": CATEGORICAL[0], "width": 3})]
    if projection:
        data.append(line(projection, t("plans.projection", lang),
                         {"color": CATEGORICAL[0], "dash": "dash"}))
    shapes, notes = [], []
    if target:
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
                       "y0": target, "y1": target,
                       "line": {"color": CATEGORICAL[1], "dash": "dot"}})
        notes.append({"xref": "paper", "x": 0, "xanchor": "left", "yref": "y", "y": target,
                      "yanchor": "bottom", "showarrow": False,
                      "text": f"{t('plans.target', lang)} {fmt_int(target)}"})
    return {"data": data, "layout": figure_layout(
        title, 320, shapes=shapes, annotations=notes,
        yaxis={"tickformat": ",", "gridcolor": "#e9ecef", "rangemode": "tozero"})}


def targets_table(rows: Sequence[dict], lang: Lang, href) -> dbc.Table:
    """Target vs actual per area: target, in the store, visited, with a plan, share."""
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in (
        "plans.col.area", "plans.target", "plans.col.in_store", "plans.stage.visited",
        "plans.stage.with_plan", "plans.col.share_of_target", "plans.col.eta")]))
    body = []
    for r in rows:
        name = pick(r["name_th"], r["name_en"], lang) if r["pcode"] != "TH" else t("shell.country", lang)
        share = (r["with_plan"] / r["target_households"]
                 if r["with_plan"] is not None and r["target_households"] else None)
        body.append(html.Tr([
            html.Td(dcc.Link(name, href=href(r["pcode"])) if r["pcode"] != "TH" else html.B(name)),
            html.Td(fmt_int(r["target_households"])),
            html.Td(_count(r["in_store"], lang)),
            html.Td(_count(r["visited"], lang)),
            html.Td(_count(r["with_plan"], lang)),
            html.Td(fmt_pct(share)),
            html.Td(r.get("eta_text", "–")),
        ]))
    return dbc.Table([head, html.Tbody(body)], size="sm", striped=True, hover=True,
                     className="table-compact plans-numeric", id=TARGETS_TABLE)


# ── stalled work ─────────────────────────────────────────────────────────────
def stalled_areas_table(rows: Sequence[dict], lang: Lang, href, limit: int = 50) -> html.Div:
    if not rows:
        return html.Div(t("plans.nothing_stalled", lang), className="text-muted",
                        id=STALLED_AREAS)
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in (
        "plans.col.area", "plans.col.stalled_households", "plans.col.stalled_items",
        "plans.col.open_items")]))
    body = [html.Tr([html.Td(dcc.Link(pick(r["name_th"], r["name_en"], lang), href=href(r["pcode"]))),
                     html.Td(_count(r["households"], lang)),
                     html.Td(_count(r["items"], lang)),
                     html.Td(_count(r["open_items"], lang))])
            for r in rows[:limit]]
    return html.Div(dbc.Table([head, html.Tbody(body)], size="sm", striped=True, hover=True,
                              className="table-compact plans-numeric"), id=STALLED_AREAS)


def stalled_households_table(rows: Sequence[dict], lang: Lang, href) -> html.Div:
    if not rows:
        return html.Div(t("plans.nothing_stalled", lang), className="text-muted",
                        id=STALLED_HOUSEHOLDS)
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in (
        "plans.col.house", "plans.col.tambon", "plans.col.village", "plans.col.open_items",
        "plans.col.overdue", "plans.col.last_change", "plans.col.idle_days",
        "plans.col.earliest_due")]))
    body = [html.Tr([html.Td(dcc.Link(r["house_id"], href=href(r["house_id"]))),
                     html.Td(pick(r["tambon_name_th"], r["tambon_name_en"], lang)),
                     html.Td(str(r["village_no"])),
                     html.Td(fmt_int(r["open_items"]), className="text-end"),
                     html.Td(fmt_int(r["overdue_items"]), className="text-end"),
                     html.Td(_date(r["last_change"])),
                     html.Td(fmt_int(r["idle_days"]), className="text-end"),
                     html.Td(_date(r["earliest_due"]))])
            for r in rows]
    return html.Div(dbc.Table([head, html.Tbody(body)], size="sm", striped=True, hover=True,
                              className="table-compact"), id=STALLED_HOUSEHOLDS)


# ── the plan-item status form ────────────────────────────────────────────────
def item_id(kind: str, item: int) -> dict:
    """Pattern-matching id of one part of an item's form."""
    return {"type": f"plans-item-{kind}", "item": item}


def item_summary(item: dict, lang: Lang | None = None) -> list:
    """What the item is and where it stands (the children of its summary block)."""
    dates = [f"{t('plans.created', lang)} {_date(item['created_on'], lang)}",
             f"{t('plans.due', lang)} {_date(item['due_on'], lang)}"]
    if item.get("started_on"):
        dates.append(f"{t('plans.started', lang)} {_date(item['started_on'], lang)}")
    if item.get("completed_on"):
        dates.append(f"{t('plans.completed', lang)} {_date(item['completed_on'], lang)}")
    return [
        html.Span(t(f"plans.status.{item['status']}", lang),
                  className=f"badge me-2 status-{item['status']}",
                  style={"background": STATUS_COLORS[item["status"]],
                         "color": STATUS_TEXT[item["status"]]}),
        html.Strong(pick(item["category_th"], item["category_en"], lang)),
        html.Span(f" · {t('plans.horizon.' + item['horizon'], lang)} · "
                  f"{pick(item['agency_th'], item['agency_en'], lang)}"),
        html.Div(" · ".join(dates), className="small text-muted"),
        html.Div(item["note"], className="small") if item.get("note") else None,
    ]


def status_options(item: dict, lang: Lang | None = None) -> list[dict]:
    """The item's current status first (so the form opens on it and saving it unchanged
    changes nothing), then the statuses it may move to."""
    current = {"label": f"{t('plans.status.' + item['status'], lang)} "
                        f"({t('plans.form.current', lang)})", "value": item["status"]}
    return [current] + [{"label": t(f"plans.status.{s}", lang), "value": s}
                        for s in item["next_statuses"]]


def date_fields(kind: str, iid: int, value: date, first: date, last: date,
                lang: Lang | None = None) -> html.Div:
    """Day, month and year selects in the reader's calendar: Buddhist-era years and
    Thai month names in Thai, Gregorian in English (a calendar widget could only show
    Gregorian years). Ids: item_id(kind + "-day" | "-month" | "-year", iid)."""
    months = month_names(lang)
    label = t("plans.form.date", lang)
    parts = [
        dcc.Dropdown(id=item_id(f"{kind}-day", iid), options=list(range(1, 32)), value=value.day,
                     clearable=False, searchable=False, className="date-day",
                     placeholder=t("plans.form.day", lang)),
        dcc.Dropdown(id=item_id(f"{kind}-month", iid), clearable=False, searchable=False,
                     options=[{"label": m, "value": n} for n, m in enumerate(months, start=1)],
                     value=value.month, className="date-month"),
        dcc.Dropdown(id=item_id(f"{kind}-year", iid), clearable=False, searchable=False,
                     options=[{"label": str(display_year(y, lang)), "value": y}
                              for y in range(last.year, first.year - 1, -1)],
                     value=value.year, className="date-year"),
    ]
    return html.Div(parts, className="date-fields d-flex gap-1", role="group",
                    **{"aria-label": label})


def item_status_form(item: dict, lang: Lang | None = None, today: date | None = None,
                     can_update: bool = True) -> dbc.Card:
    """A plan item with a form to record its new status, date and note.

    `item` is a row of queries.plans.get_item / household_items (with `next_statuses`).
    The callback that saves it lives in pages/plans_household.py; any page may embed the
    form (the household record does). Without `can_update` the item is shown read-only."""
    iid = item["item_id"]
    today = today or date.today()
    body: list = [html.Div(item_summary(item, lang), id=item_id("summary", iid))]
    if can_update and item.get("next_statuses"):
        body.append(dbc.Row([
            dbc.Col([dbc.Label(t("plans.form.status", lang), className="small mb-0"),
                     dcc.Dropdown(id=item_id("status", iid), clearable=False, searchable=False,
                                  options=status_options(item, lang),
                                  value=item["status"], className="plans-item-status")],
                    md=3),
            dbc.Col([dbc.Label(t("plans.form.date", lang), className="small mb-0"),
                     date_fields("date", iid, today, min(item["created_on"], today), today,
                                 lang)], md=3),
            dbc.Col([dbc.Label(t("plans.form.note", lang), className="small mb-0"),
                     dbc.Input(id=item_id("note", iid), type="text", maxLength=1000,
                               placeholder=t("plans.form.note_hint", lang))], md=4),
            dbc.Col(dbc.Button(t("plans.form.save", lang), id=item_id("save", iid),
                               color="primary", size="sm", className="mt-3"), md=2),
        ], className="g-2 mt-1"))
    body.append(html.Div(id=item_id("message", iid), role="status", className="small mt-1"))
    return dbc.Card(dbc.CardBody(body), className="mb-2 plans-item",
                    id=item_id("card", iid))


def with_source(figure: dict, stamp: str) -> dict:
    """The figure with `stamp` (round, data date, source) written inside it, under its
    title (the title's margin grows to hold it), so a saved PNG/SVG says what it shows,
    for which round and from where."""
    layout = dict(figure["layout"])
    title = dict(layout.get("title") or {})
    title["text"] = (f"{title.get('text', '')}<br><span style=\"font-size:11px;color:#495057\">"
                     f"{stamp}</span>")
    margin = dict(layout.get("margin") or {})
    margin["t"] = margin.get("t", 40) + 18
    layout.update(title=title, margin=margin, height=layout["height"] + 18)
    return {**figure, "layout": layout}
