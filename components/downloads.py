"""Download links beside a table, chart or map (plans, centres): CSV/XLSX of a table,
PNG/SVG of a chart (drawn in the browser by Plotly with the figure's own title and
source, named after what it shows: assets/50-meeting.js) or of a map (the server's
static image). Layout only: the pages give the hrefs; hidden in print and in
presentation mode (assets/50-meeting.css)."""

from __future__ import annotations

from dash import html

from components.i18n import Lang, t


def word(key: str, lang: Lang) -> str:
    """The exports' own words (`downloads.*` in the catalogues)."""
    return t(f"downloads.{key}", lang)


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


def page_stamp(text: str, stamp_id: str) -> html.Div:
    """The filter and source line printed at the foot of every printed page (hidden on
    screen: assets/55-downloads.css)."""
    return html.Div(text, id=stamp_id, className="page-print-stamp")


def present_link(href: str, link_id: str, lang: Lang) -> html.A:
    """Opens the same view in presentation mode (a link a colleague can open too)."""
    return html.A(word("present", lang), href=href, id=link_id,
                  className="btn btn-sm btn-outline-primary page-present-link")
