"""Controls of the poverty map and the words around its figures (no SQL).

Subject (overall, a dimension or an indicator), measure, cut-off k, classification,
areas shown and round comparison; plus each measure's label, unit, number format
and the short definition printed next to the map (docs/measures.md is the long one).
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from chipao.domain.mapstate import CLASS_METHODS, MEASURES, MapState
from chipao.domain.pcodes import pcode_level
from components.formatting import format_k
from components.forms import labelled_group
from components.i18n import Lang, pick, round_label, t

# Ids of what this component draws on /map; pages/map_ids.py re-exports them
CLASSES = "map-classes"
COMPARE = "map-compare"
K = "map-k"
LEVEL = "map-level"
MEASURE = "map-measure"
SUBJECT = "map-subject"
CONTROLS = "map-controls"

LEVEL_KEYS = {1: "map.level.1", 2: "map.level.2", 3: "map.level.3", 4: "map.level.4"}


# ── numbers ──────────────────────────────────────────────────────────────────
# ── words ────────────────────────────────────────────────────────────────────
def subject_label(state_subject: str, catalogue, lang: Lang) -> str:
    kind, _, code = state_subject.partition(":")
    if kind == "dim":
        d = catalogue.dimension(code)
        return f"{t('map.dimension', lang)}: {pick(d.name_th, d.name_en, lang)}" if d else code
    if kind == "ind":
        i = catalogue.indicator(code)
        return f"{t('map.indicator', lang)} {code}: {pick(i.text_th, i.text_en, lang)}" if i else code
    return t("map.subject.overall", lang)


def figure_title(state: MapState, catalogue, lang: Lang, compare_year: int | None = None) -> str:
    """What the map counts, e.g. 'Share of households deprived — Dimension: Health'."""
    measure = t(f"map.measure.{state.measure}", lang)
    if state.uses_k:
        measure += f" (k = {format_k(state.k)})"
    parts = [measure]
    if state.uses_subject:
        parts.append(subject_label(state.subject, catalogue, lang))
    else:
        parts.append(t("map.all_indicators", lang))
    title = " — ".join(parts)
    if compare_year is not None:
        title = f"{t('map.change', lang)}: {title}"
    return title


def definition(state: MapState, lang: Lang) -> str:
    """The short note printed next to the figure so nobody misreads it."""
    note = t(f"map.def.{state.measure}", lang)
    if state.measure in ("count", "share"):
        rule = {"overall": "map.def.rule_overall", "dim": "map.def.rule_dim",
                "ind": "map.def.rule_ind"}[state.subject_kind]
        note = f"{t(rule, lang)} {note}"
    if state.uses_k:
        note += " " + t("map.def.af_rule", lang).replace("{k}", format_k(state.k))
    return note


# ── controls ─────────────────────────────────────────────────────────────────
def subject_options(catalogue, lang: Lang) -> list[dict]:
    """Overall, then each dimension followed by its indicators (indented)."""
    options = [{"label": t("map.subject.overall", lang), "value": "overall"}]
    for d in catalogue.dimensions:
        options.append({"label": f"{t('map.dimension', lang)}: {pick(d.name_th, d.name_en, lang)}",
                        "value": f"dim:{d.code}"})
        for i in catalogue.indicators:
            if i.dimension == d.code:
                # the whole wording in the label: a title tooltip would be drawn in a
                # system font, which may have no Thai
                options.append({"label": f"\u2003{i.code} {pick(i.text_th, i.text_en, lang)}",
                                "value": f"ind:{i.code}"})
    return options


def level_options(area_level: int, lang: Lang, villages: bool = False) -> list[dict]:
    """The levels below the area; `villages` adds the village level (4), which the page
    offers under a district or tambon to the users who may see its villages."""
    levels = [*range(area_level + 1, 4), *([4] if villages and area_level >= 2 else [])]
    return [{"label": t(LEVEL_KEYS[lv], lang), "value": lv} for lv in levels]


def compare_options(round_years: list[int], current: int | None, lang: Lang) -> list[dict]:
    options = [{"label": t("map.compare.none", lang), "value": "none"}]
    options += [{"label": round_label(y, lang), "value": str(y)}
                for y in round_years if y != current]
    return options


def _field(label: str, control, label_for: str, hint: str | None = None,
           group: bool = False) -> html.Div:
    if group:  # radios: the visible label names the group (components/forms.py)
        children = labelled_group(label, control, f"{label_for}-group", label_class="map-control-label")
    else:
        children = [dbc.Label(label, html_for=label_for, className="map-control-label"), control]
    if hint:
        children.append(html.Div(hint, className="map-control-hint"))
    return html.Div(children, className="map-control")


def controls(state: MapState, catalogue, round_years: list[int], lang: Lang,
             villages: bool = False) -> html.Div:
    """The control bar; values follow `state` (the page keeps them in step with the URL)."""
    area_level = pcode_level(state.area)
    return html.Div(
        [
            _field(t("map.subject", lang), dcc.Dropdown(
                id=SUBJECT, options=subject_options(catalogue, lang), value=state.subject,
                clearable=False, searchable=True, className="map-subject",
                disabled=not state.uses_subject), "map-subject"),
            _field(t("map.measure", lang), dcc.Dropdown(
                id=MEASURE,
                options=[{"label": t(f"map.measure.{m}", lang), "value": m} for m in MEASURES],
                value=state.measure, clearable=False, searchable=False), "map-measure"),
            _field(t("map.k", lang), dcc.Input(
                id=K, type="number", min=0.01, max=1, step="any",
                value=round(state.k, 4), debounce=True, disabled=not state.uses_k,
                className="form-control form-control-sm map-k"), "map-k",
                t("map.k_hint", lang)),
            _field(t("map.level", lang), dbc.RadioItems(  # plain inputs and labels (Dash's own nests them)
                id=LEVEL, options=level_options(area_level, lang, villages), value=state.level,
                inline=True, className="map-level"), "map-level", group=True),
            _field(t("map.classes", lang), dcc.Dropdown(
                id=CLASSES,
                options=[{"label": t(f"map.classes.{c}", lang), "value": c}
                         for c in CLASS_METHODS],
                value=state.classes, clearable=False, searchable=False), "map-classes"),
            _field(t("map.compare", lang), dcc.Dropdown(
                id=COMPARE, options=compare_options(round_years, state.round, lang),
                value=str(state.compare) if state.compare else "none", clearable=False,
                searchable=False), "map-compare"),
        ],
        className="map-controls", id=CONTROLS,
    )
