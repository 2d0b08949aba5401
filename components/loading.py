"""One busy indicator for every step that may take longer than ~300 ms: a page being
drawn, a map redrawn. The content stays in view (dimmed) under a spinner that says
what is happening, announced to screen readers (role=status); quick steps show
nothing (delay_show)."""

from __future__ import annotations

from dash import dcc, html

from components.i18n import Lang, t

DELAY_MS = 300


def busy(children, targets: dict[str, str | list[str]], lang: Lang,
         component_id: str | None = None, class_name: str = "") -> dcc.Loading:
    """Wrap `children`; the spinner shows while a callback updates one of `targets`
    ({component id: property}) for longer than DELAY_MS. The targets must lie inside
    `children`: dcc.Loading watches its own descendants only (a sibling never shows
    it). `class_name` is added to the wrapper (to tell one indicator from another)."""
    spinner = html.Div([html.Span(className="spinner-border text-primary", **{"aria-hidden": "true"}),
                        html.Span(t("loading", lang), className="busy-text")],
                       className="busy-indicator", role="status")
    kwargs = {"id": component_id} if component_id else {}
    return dcc.Loading(children, target_components=targets, delay_show=DELAY_MS,
                       custom_spinner=spinner, overlay_style={"visibility": "visible",
                                                              "opacity": 0.55},
                       parent_className=f"busy-parent {class_name}".strip(), **kwargs)
