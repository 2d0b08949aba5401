"""The household list grid (dash-ag-grid, infinite row model) and how its rows are
shown. No SQL: rows come from queries/households.py.

Only the columns the server allow-lists (chipao/domain/household_filters.py) are sortable or
carry a column filter, so the grid never offers what the server would refuse.
"""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag

from chipao.domain.household_filters import NUMBER_OPS, SORT_COLUMNS, TEXT_OPS
from chipao.domain.privacy import mask_name
from chipao.domain.scope import Scope
from components.i18n import Lang, fmt_date, pick, t

BLOCK = 100  # rows per getRows request (AG Grid cacheBlockSize)


def _number_filter(**extra: Any) -> dict:
    return {"filter": "agNumberColumnFilter",
            "filterParams": {"filterOptions": sorted(NUMBER_OPS), "maxNumConditions": 2,
                             "buttons": ["apply", "reset"], "closeOnApply": True, **extra}}


def column_defs(lang: Lang, show_tambon: bool, may_see_names: bool) -> list[dict]:
    cols: list[dict] = [
        {"field": "house_id", "headerName": t("hh.col.house_id", lang), "cellRenderer": "markdown",
         "filter": "agTextColumnFilter", "pinned": "left", "width": 140,
         "filterParams": {"filterOptions": sorted(TEXT_OPS), "maxNumConditions": 1,
                          "buttons": ["apply", "reset"], "closeOnApply": True}},
    ]
    if may_see_names:
        cols.append({"field": "head", "headerName": t("hh.col.head", lang), "width": 170})
    if show_tambon:
        cols.append({"field": "tambon", "headerName": t("hh.col.tambon", lang), "width": 150})
    cols += [
        {"field": "village_no", "headerName": t("hh.col.village", lang), "width": 105,
         **_number_filter()},
        {"field": "size", "headerName": t("hh.col.size", lang), "width": 120, **_number_filter()},
        {"field": "welfare_card", "headerName": t("hh.col.welfare", lang), "width": 115},
        {"field": "dims", "headerName": t("hh.col.dims", lang), "flex": 1, "minWidth": 200,
         "tooltipField": "dims"},
        {"field": "n_dims_failed", "headerName": t("hh.col.n_dims", lang), "width": 120,
         **_number_filter()},
        {"field": "score", "headerName": t("hh.col.score", lang), "width": 110,
         **_number_filter()},
        {"field": "poor", "headerName": t("hh.col.poor", lang), "width": 105},
        {"field": "plan", "headerName": t("hh.col.plan", lang), "width": 165},
        {"field": "last_visit", "headerName": t("hh.col.last_visit", lang), "width": 120},
    ]
    for col in cols:
        col["sortable"] = col["field"] in SORT_COLUMNS
        col.setdefault("filter", False)
    return cols


def household_grid(grid_id: str, lang: Lang, show_tambon: bool, may_see_names: bool) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id,
        rowModelType="infinite",
        columnDefs=column_defs(lang, show_tambon, may_see_names),
        defaultColDef={"resizable": True, "sortable": False, "minWidth": 80,
                       "wrapHeaderText": True, "autoHeaderHeight": True},
        dashGridOptions={
            "cacheBlockSize": BLOCK, "maxBlocksInCache": 20, "infiniteInitialRowCount": BLOCK,
            "maxConcurrentDatasourceRequests": 1, "rowBuffer": 10, "blockLoadDebounceMillis": 80,
            "multiSortKey": "ctrl", "animateRows": False,
            "localeText": {"loadingOoo": t("loading", lang), "noRowsToShow": t("hh.grid.no_rows", lang)},
        },
        getRowId="params.data.house_id_raw",
        style={"height": "62vh", "width": "100%"},
        className="ag-theme-alpine hh-grid",
    )


def row_for_grid(row: dict, lang: Lang, scope: Scope, dims_names: dict[int, str],
                 round_year: int) -> dict:
    """A stored list row as the grid shows it (names masked as the role requires)."""
    hid = row["house_id"]
    dims = [name for sort, name in sorted(dims_names.items()) if row["dims_failed"] & (1 << sort)]
    return {
        "house_id_raw": hid,
        "house_id": f"[{hid}](/households/{hid}?round={round_year})",
        "tambon": pick(row["tambon_th"], row["tambon_en"], lang),
        "village_no": row["village_no"],
        "size": row["size"],
        "welfare_card": {True: t("hh.yes", lang), False: t("hh.no", lang)}.get(
            row["welfare_card"], t("rec.unknown", lang)),
        "dims": ", ".join(dims) or "–",
        "n_dims_failed": row["n_dims_failed"],
        "score": f"{row['score']:.3f}",
        "poor": t("hh.yes", lang) if row["poor"] else t("hh.no", lang),
        "plan": plan_summary(row, lang),
        "last_visit": fmt_date(row["last_visit"], lang),
        "head": mask_name(row["first_name"], row["last_name"], scope) if row["first_name"] else "–",
    }


def plan_summary(row: dict, lang: Lang) -> str:
    state = t(f"plan.{row['plan_state']}", lang)
    return state if row["plan_total"] == 0 else f"{state} ({row['n_done']}/{row['plan_total']})"


# ── exports (Thai column names; no national IDs) ─────────────────────────────
_EXPORT = (
    ("house_id", "hh.col.house_id"), ("tambon_pcode", "hh.col.tambon_pcode"), ("tambon", "hh.col.tambon"),
    ("village_no", "hh.col.village"), ("size", "hh.col.size"), ("welfare_card", "hh.col.welfare"),
    ("dims", "hh.col.dims"), ("n_dims_failed", "hh.col.n_dims"), ("score", "hh.col.score"),
    ("poor", "hh.col.poor"), ("plan", "hh.col.plan"), ("plan_done", "hh.col.plan_done"),
    ("plan_total", "hh.col.plan_total"),
    ("last_visit", "hh.col.last_visit"), ("head", "hh.col.head"), ("round", "hh.col.round"),
)


def export_columns() -> list[tuple[str, str]]:
    return [(key, t(label, "th")) for key, label in _EXPORT]


def row_for_export(row: dict, scope: Scope, catalogue, round_year: int) -> dict:
    """A list row for a file: Thai values, names masked exactly as on screen."""
    dims = [d.name_th for d in catalogue.dims_of(row["dims_failed"])]
    return {
        "house_id": row["house_id"], "tambon_pcode": row["tambon_pcode"],
        "tambon": row["tambon_th"], "village_no": row["village_no"], "size": row["size"],
        "welfare_card": t({True: "hh.yes", False: "hh.no"}.get(row["welfare_card"], "rec.unknown"), "th"),
        "dims": ", ".join(dims), "n_dims_failed": row["n_dims_failed"],
        "score": round(row["score"], 4), "poor": t("hh.export.poor" if row["poor"] else "hh.export.not_poor", "th"),
        "plan": t(f"plan.{row['plan_state']}", "th"),
        "plan_done": row["n_done"], "plan_total": row["plan_total"],
        "last_visit": row["last_visit"],
        "head": (mask_name(row["first_name"], row["last_name"], scope)
                 if row["first_name"] else ""),
        "round": round_year,
    }
