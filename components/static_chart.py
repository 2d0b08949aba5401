"""Charts drawn on the server as PNG or SVG for downloads: the chart with its title,
subtitle (area, round), legend, source and boundary attribution inside the image, set
in the Sarabun the app ships (the caller passes the font families that
geodata.static_map.register_fonts made known to matplotlib), so a picture
forwarded out of Chipao still says what it counts, for which round, from which source.

Plain data in (categories, series), bytes out. No SQL."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from matplotlib.figure import Figure


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str
    labels: Sequence[str] = ()  # printed at each point or bar (e.g. "23.4%")


@dataclass
class ChartSpec:
    kind: str  # "line" or "bar"
    categories: Sequence[str]
    series: Sequence[Series]
    title: str
    subtitle: str = ""
    y_title: str = ""
    source: str = ""
    attribution: str = ""
    notes: Sequence[str] = field(default_factory=tuple)


def render(spec: ChartSpec, font: list[str], fmt: str = "png", dpi: int = 150) -> bytes:
    if spec.kind not in ("line", "bar") or fmt not in ("png", "svg"):
        raise ValueError(f"cannot draw a {spec.kind} chart as {fmt}")
    fig = Figure(figsize=(9.0, 5.6), dpi=dpi)
    ax = fig.add_axes((0.09, 0.24, 0.88, 0.58))
    x = list(range(len(spec.categories)))
    n = max(1, len(spec.series))
    width = 0.8 / n
    for i, s in enumerate(spec.series):
        ys = [float("nan") if v is None else v for v in s.values]
        if spec.kind == "line":
            ax.plot(x, ys, marker="o", linewidth=2.2, color=s.color, label=s.name)
            points = zip(x, ys, strict=True)
        else:
            xs = [p - 0.4 + width * (i + 0.5) for p in x]
            ax.bar(xs, [0 if v != v else v for v in ys], width=width * 0.95, color=s.color,
                   label=s.name)
            points = zip(xs, ys, strict=True)
        for (px, py), label in zip(points, s.labels, strict=False):
            if label and py == py:
                ax.annotate(label, (px, py), textcoords="offset points", xytext=(0, 5),
                            ha="center", fontsize=7.5, family=font, color="#212529")
    ax.set_xticks(x, list(spec.categories), family=font, fontsize=9)
    for label in ax.get_yticklabels():
        label.set_fontfamily(font)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_ylabel(spec.y_title, family=font, fontsize=9)
    ax.set_ylim(bottom=0)
    ax.margins(y=0.15)
    ax.grid(axis="y", color="#e9ecef")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(prop={"family": font, "size": 8.5}, frameon=False, loc="upper left",
              bbox_to_anchor=(0, -0.1), ncol=min(3, n))
    fig.text(0.02, 0.975, spec.title, fontsize=13, family=font, weight="bold", va="top")
    fig.text(0.02, 0.905, spec.subtitle, fontsize=9, family=font, va="top", color="#495057")
    footer = [*spec.notes, "  ·  ".join(s for s in (spec.source, spec.attribution) if s)]
    fig.text(0.02, 0.015, "\n".join(f for f in footer if f), fontsize=7, family=font,
             va="bottom", color="#495057", wrap=True)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()
