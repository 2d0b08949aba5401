"""Download links beside a table, chart or map (plans, centres): CSV/XLSX of a table,
PNG/SVG of a chart (drawn in the browser by Plotly with the figure's own title and
source, named after what it shows: assets/50-meeting.js) or of a map (the server's
static image). Layout only: the pages give the hrefs; hidden in print and in
presentation mode (assets/50-meeting.css). The words are the exports' own (Thai first)."""

from __future__ import annotations

from dash import html

from components.i18n import Lang

WORDS = {
    "download": ("ดาวน์โหลด", "Download"),
    "csv": ("CSV", "CSV"),
    "xlsx": ("XLSX", "XLSX"),
    "png": ("PNG", "PNG"),
    "svg": ("SVG", "SVG"),
    "present": ("โหมดนำเสนอ", "Present"),
    "agency_need": ("ความต้องการ", "Need"),
    "agency_need_file": ("หน่วยงาน×ความต้องการ", "agency-needs"),
    "steps_file": ("9ขั้นตอน", "9-steps"),
    "stalled_file": ("พื้นที่งานหยุดนิ่ง", "stalled-areas"),
    "stalled_households_file": ("ครัวเรือนงานหยุดนิ่ง", "stalled-households"),
    "gaps_file": ("ช่องว่างบริการ", "service-gaps"),
    "plan_file": ("จุดตั้งศูนย์ใหม่", "new-centres"),
    "present_keys_plans": ("← → พื้นที่ถัดไป · ↑ ↓ ตัวชี้วัด · F เต็มจอ · Esc ออก",
                           "← → next area · ↑ ↓ measure · F full screen · Esc leaves"),
    "present_keys": ("F เต็มจอ · Esc ออก", "F full screen · Esc leaves"),
}


def word(key: str, lang: Lang) -> str:
    th, en = WORDS[key]
    return en if lang == "en" else th


def table_links(link_id: str, hrefs: dict[str, str], lang: Lang) -> html.Div:
    """"Download: CSV XLSX" for one table; ids `<link_id>-csv`, `<link_id>-xlsx`."""
    return html.Div([
        html.Span(word("download", lang) + ":", className="small text-muted me-1"),
        *(html.A(word(fmt, lang), href=href, id=f"{link_id}-{fmt}", download="",
                 className="btn btn-sm btn-outline-secondary me-1")
          for fmt, href in hrefs.items()),
    ], className="export-links d-flex align-items-center my-1", id=link_id)


def chart_links(graph_id: str, filename: str, lang: Lang) -> html.Div:
    """PNG and SVG of a Plotly chart (`graph_id`), saved as `filename`.png|svg with the
    figure's title, legend and source inside it (assets/50-meeting.js draws it)."""
    return html.Div([
        html.Span(word("download", lang) + ":", className="small text-muted me-1"),
        *(html.Button(word(fmt, lang), id=f"{graph_id}-{fmt}", type="button",
                      className="btn btn-sm btn-outline-secondary me-1 chart-download",
                      **{"data-graph": graph_id, "data-format": fmt, "data-filename": filename})
          for fmt in ("png", "svg")),
    ], className="export-links d-flex align-items-center my-1", id=f"{graph_id}-downloads")
