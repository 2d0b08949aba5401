"""Static choropleths drawn on the server (geopandas + matplotlib) as SVG or PNG: for
the PDF brief, the print stylesheet and the map downloads.

No browser, no WebGL, no tiles: the geometry comes from PostGIS (queries.areas.
area_shapes), the colours from the caller (the map's own classes, components/
choropleth.py), and the text is set in the Sarabun font the app serves
(assets/fonts). matplotlib ≥ 3.11 shapes text with libraqm, so Thai vowels and tone
marks sit where they belong; SVG output turns text into paths, so an SVG looks the
same on a machine without Thai fonts.

Two forms: ``bare`` (map, labels, north arrow and scale bar only; the brief sets
title and legend in HTML as real text) and the full figure (title, subtitle, legend,
source and attribution inside the image) for downloads.
"""

from __future__ import annotations

import hashlib
import io
import math
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot-free imports below
import geopandas as gpd  # noqa: E402
import shapely  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib import patheffects as pe  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import FancyArrow, Patch, Rectangle  # noqa: E402
from sqlalchemy import Connection  # noqa: E402

from queries.areas import area_shapes  # noqa: E402

FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
FONT_FAMILY = "Chipao Sarabun"
SYMBOL_FALLBACK = "DejaVu Sans"  # ships inside matplotlib itself
WEIGHTS = (400, 600, 700)
PROJECTED_CRS = "EPSG:32647"  # UTM 47N: metres, so the scale bar is true across Thailand
ATTRIBUTION_TH = "ขอบเขตการปกครอง: OCHA / กรมแผนที่ทหาร (Royal Thai Survey Department)"
ATTRIBUTION_EN = "Boundaries: OCHA / Royal Thai Survey Department"
NO_DATA = "#d9d9d9"
FONT_BUILD = b"5"  # change when the merged font changes (it names the cached file)
LABEL_LIMIT = 80  # more areas than this: no labels (they would overlap into a blur)

_font_lock = threading.Lock()
_font_paths: dict[int, Path] = {}


def sarabun_ttf(weight: int = 400) -> Path:
    """Sarabun of one weight as a single TrueType file (the Thai and Latin WOFF2 subsets
    the app serves, merged once per machine into the temp directory): matplotlib and
    WeasyPrint both read it, and it is what the PDF embeds."""
    with _font_lock:
        if weight in _font_paths and _font_paths[weight].exists():
            return _font_paths[weight]
        from fontTools.merge import Merger
        from fontTools.ttLib import TTFont

        sources = [FONT_DIR / f"sarabun-{s}-{weight}-normal.woff2" for s in ("thai", "latin")]
        digest = hashlib.sha256(FONT_BUILD + b"".join(p.read_bytes() for p in sources)
                                ).hexdigest()[:12]
        out_dir = Path(tempfile.gettempdir()) / "chipao-fonts"
        out = out_dir / f"chipao-sarabun-{weight}-{digest}.ttf"
        if not out.exists():
            out_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory() as tmp:
                plain = []
                for src in sources:
                    font = TTFont(src)
                    font.flavor = None
                    path = Path(tmp) / (src.stem + ".ttf")
                    font.save(path)
                    plain.append(str(path))
                merged = Merger().merge(plain)
                names = merged["name"]
                for rec in list(names.names):  # one family name that nothing else uses
                    if rec.nameID in (1, 16):
                        names.setName(FONT_FAMILY, rec.nameID, rec.platformID,
                                      rec.platEncID, rec.langID)
                    if rec.nameID in (4,):
                        names.setName(f"{FONT_FAMILY} {weight}", rec.nameID, rec.platformID,
                                      rec.platEncID, rec.langID)
                _own_sara_aa_for_sara_am(merged)
                part = out.with_suffix(".part")
                merged.save(part)
                part.replace(out)  # atomic: parallel workers never read half a file
        _font_paths[weight] = out
        return out


def _own_sara_aa_for_sara_am(font) -> None:
    """HarfBuzz draws SARA AM (ำ) as NIKHAHIT + SARA AA. A PDF maps each glyph to one
    text, so the shared SARA AA glyph made "สำรวจ" copy out of the PDF as "สารวจ".
    A SARA AA after a NIKHAHIT (possibly with a tone mark between: HarfBuzz moves the
    NIKHAHIT before it) becomes its own copy of the outline, which only SARA AM uses:
    the PDF's text layer then reads back what was written (tests/test_brief.py)."""
    from fontTools.ttLib.tables import otTables as ot

    cmap = font.getBestCmap()
    aa, nikhahit = cmap.get(0x0E32), cmap.get(0x0E4D)
    if not aa or not nikhahit or "glyf" not in font or "GSUB" not in font:
        return
    copy = aa + ".am"
    if copy in font.getGlyphOrder():
        return
    font.setGlyphOrder([*font.getGlyphOrder(), copy])
    font["glyf"].glyphs[copy] = font["glyf"][aa]
    font["hmtx"].metrics[copy] = font["hmtx"].metrics[aa]
    font["maxp"].numGlyphs = len(font.getGlyphOrder())
    if "post" in font and hasattr(font["post"], "extraNames"):
        font["post"].extraNames.append(copy)
    marks = sorted(g for g, c in font["GDEF"].table.GlyphClassDef.classDefs.items()
                   if c == 3) if "GDEF" in font else []

    def coverage(glyphs):
        c = ot.Coverage()
        c.glyphs = sorted(glyphs, key=font.getGlyphID)
        return c

    gsub = font["GSUB"].table
    single = ot.Lookup()
    single.LookupType, single.LookupFlag = 1, 0
    sub = ot.SingleSubst()
    sub.mapping = {aa: copy}
    single.SubTable, single.SubTableCount = [sub], 1
    gsub.LookupList.Lookup.append(single)
    single_index = len(gsub.LookupList.Lookup) - 1
    chain = ot.Lookup()
    chain.LookupType, chain.LookupFlag = 6, 0
    chain.SubTable = []
    # glyph sets before the SARA AA, in text order: NIKHAHIT, or NIKHAHIT + a mark
    for before in ([[nikhahit]], [[nikhahit], marks]) if marks else ([[nikhahit]],):
        rule = ot.ChainContextSubst()
        rule.Format = 3
        # backtrack coverages run from the glyph nearest the input outwards
        rule.BacktrackCoverage = [coverage(g) for g in reversed(before)]
        rule.BacktrackGlyphCount = len(rule.BacktrackCoverage)
        rule.InputCoverage, rule.InputGlyphCount = [coverage([aa])], 1
        rule.LookAheadCoverage, rule.LookAheadGlyphCount = [], 0
        record = ot.SubstLookupRecord()
        record.SequenceIndex, record.LookupListIndex = 0, single_index
        rule.SubstLookupRecord, rule.SubstCount = [record], 1
        chain.SubTable.append(rule)
    chain.SubTableCount = len(chain.SubTable)
    gsub.LookupList.Lookup.append(chain)
    gsub.LookupList.LookupCount = len(gsub.LookupList.Lookup)
    chain_index = len(gsub.LookupList.Lookup) - 1
    for record in gsub.FeatureList.FeatureRecord:
        if record.FeatureTag == "ccmp":
            record.Feature.LookupListIndex.append(chain_index)
            record.Feature.LookupCount = len(record.Feature.LookupListIndex)


_registered = False


def register_fonts() -> list[str]:
    """Make Sarabun known to matplotlib (once per process); returns the family list to
    set text in: Sarabun first, then matplotlib's own DejaVu Sans for the symbols Sarabun
    lacks (→, ≥, …), so no glyph is ever drawn as a box."""
    global _registered
    if not _registered:
        for w in WEIGHTS:
            font_manager.fontManager.addfont(str(sarabun_ttf(w)))
        _registered = True
    return [FONT_FAMILY, SYMBOL_FALLBACK]


@dataclass(frozen=True)
class LegendEntry:
    color: str
    label: str
    point: bool = False  # a dot (the points layer) rather than an area's swatch


@dataclass(frozen=True)
class MapPoint:
    """A point drawn over the areas (e.g. a centre), in degrees (WGS 84)."""

    lon: float
    lat: float
    color: str


@dataclass
class MapSpec:
    """What to draw: one colour per area (None: no data, drawn grey), legend entries
    in order, and the words around the map (empty for the bare form)."""

    colors: dict[str, str | None]
    legend: Sequence[LegendEntry] = ()
    title: str = ""
    subtitle: str = ""  # round, measure, k, classes: what the colours count
    legend_title: str = ""
    source: str = ""
    attribution: str = ATTRIBUTION_TH
    lang: str = "th"
    labels: bool = True
    highlight: Sequence[str] = field(default_factory=tuple)
    points: Sequence[MapPoint] = ()  # drawn over the areas, white-edged


def shapes_frame(conn: Connection, level: int, parent: str | None) -> gpd.GeoDataFrame:
    """The areas of `level` inside `parent` from PostGIS, in metres (UTM 47N)."""
    rows = area_shapes(conn, level, parent)
    frame = gpd.GeoDataFrame(
        {"pcode": [r["pcode"] for r in rows], "name_th": [r["name_th"] for r in rows],
         "name_en": [r["name_en"] for r in rows]},
        geometry=shapely.from_wkb([r["wkb"] for r in rows]), crs="EPSG:4326")
    frame["label_point"] = gpd.GeoSeries(
        shapely.points([r["label_lon"] for r in rows], [r["label_lat"] for r in rows]),
        crs="EPSG:4326").to_crs(PROJECTED_CRS)
    frame = frame.to_crs(PROJECTED_CRS)
    frame["geometry"] = print_simplified(frame.geometry.values)
    return frame


def print_simplified(geoms, parts: float = 1500.0):
    """Coverage-simplified to about 1/`parts` of the extent (~0.1 mm on an A4 map):
    invisible in print, shared borders kept, and a fraction of the vertices (a
    renderer parses every one)."""
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    tolerance = max(maxx - minx, maxy - miny) / parts
    if tolerance <= 0:
        return geoms
    simplified = shapely.coverage_simplify(geoms, tolerance)
    empty = shapely.is_empty(simplified)  # tiny islands may vanish: keep the originals
    return [o if e else g for g, o, e in zip(simplified, geoms, empty, strict=True)]


def _nice_length(metres: float) -> float:
    """1, 2 or 5 × 10^n metres, at most `metres`."""
    if metres <= 0:
        return 0
    power = 10 ** math.floor(math.log10(metres))
    return max(m * power for m in (1, 2, 5) if m * power <= metres)


def _scale_bar(ax, bounds: tuple[float, float, float, float], font: list[str]) -> None:
    minx, miny, maxx, maxy = bounds
    length = _nice_length((maxx - minx) / 4)
    if not length:
        return
    x0, y0 = minx + (maxx - minx) * 0.04, miny + (maxy - miny) * 0.03
    h = (maxy - miny) * 0.008
    ax.add_patch(Rectangle((x0, y0), length / 2, h, facecolor="#212529", edgecolor="#212529",
                           lw=0.6, zorder=5))
    ax.add_patch(Rectangle((x0 + length / 2, y0), length / 2, h, facecolor="white",
                           edgecolor="#212529", lw=0.6, zorder=5))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(x0 + length, y0 + 2.2 * h, label, fontsize=7, family=font, ha="right",
            va="bottom", zorder=5, path_effects=[pe.withStroke(linewidth=2, foreground="white")])


def _north_arrow(ax, bounds: tuple[float, float, float, float], font: list[str]) -> None:
    minx, miny, maxx, maxy = bounds
    size = (maxy - miny) * 0.06
    x, y = maxx - (maxx - minx) * 0.05, maxy - (maxy - miny) * 0.05 - size
    ax.add_patch(FancyArrow(x, y, 0, size, width=size * 0.12, head_width=size * 0.4,
                            head_length=size * 0.45, length_includes_head=True,
                            color="#212529", zorder=5))
    ax.text(x, y - size * 0.1, "N", fontsize=8, family=font, ha="center", va="top",
            weight="bold", zorder=5)


def _label_size(n: int) -> float:
    return 7.5 if n <= 15 else 6.5 if n <= 30 else 5.5 if n <= 50 else 4.5


def render(frame: gpd.GeoDataFrame, spec: MapSpec, fmt: str = "svg", *, bare: bool = False,
           width_in: float = 7.0, height_in: float | None = None, dpi: int = 200) -> bytes:
    """The choropleth as SVG or PNG bytes. `bare` leaves out title, legend and footer
    (set them around the image in HTML)."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"format must be svg or png, not {fmt!r}")
    font = register_fonts()
    if frame.empty:
        raise ValueError("no areas to draw")
    minx, miny, maxx, maxy = frame.total_bounds
    pad = max(maxx - minx, maxy - miny) * 0.04
    bounds = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    aspect = (bounds[3] - bounds[1]) / max(bounds[2] - bounds[0], 1)
    map_w = width_in if bare else width_in * 0.70
    map_h = min(max(map_w * aspect, 2.5), 9.0)
    if height_in is None:
        height_in = map_h if bare else map_h + 1.3
    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    fig.patch.set_facecolor("white")
    if bare:
        ax = fig.add_axes((0, 0, 1, 1))
    else:
        top = 1 - 0.75 / height_in
        bottom = 0.55 / height_in
        ax = fig.add_axes((0.01, bottom, 0.69, top - bottom))
    ax.set_axis_off()
    colors = [spec.colors.get(p) or NO_DATA for p in frame["pcode"]]
    many = len(frame) > 2000  # borders of thousands of tambons are a grey blur
    frame.plot(ax=ax, color=colors, edgecolor="white", linewidth=0 if many else 0.5)
    if spec.highlight:
        sel = frame[frame["pcode"].isin(list(spec.highlight))]
        if not sel.empty:
            sel.boundary.plot(ax=ax, color="#212529", linewidth=1.6)
    if spec.points:
        xy = gpd.GeoSeries(shapely.points([p.lon for p in spec.points],
                                          [p.lat for p in spec.points]),
                           crs="EPSG:4326").to_crs(frame.crs)
        ax.scatter(xy.x, xy.y, s=16 if len(spec.points) < 300 else 6,
                   c=[p.color for p in spec.points], edgecolors="white", linewidths=0.5,
                   zorder=5)
    ax.set_xlim(bounds[0], bounds[2])
    ax.set_ylim(bounds[1], bounds[3])
    ax.set_aspect("equal")
    if spec.labels and len(frame) <= LABEL_LIMIT:
        size = _label_size(len(frame))
        names = frame["name_en" if spec.lang == "en" else "name_th"]
        # A white halo keeps names readable on dark classes, but in SVG it turns every
        # glyph into its own path (10× the bytes, and slow to lay out in a PDF): SVG
        # labels sit on a translucent white box instead (glyphs stay shared <use>s).
        halo = [pe.withStroke(linewidth=1.8, foreground="white")] if fmt == "png" else None
        backing = None if halo else {"facecolor": "white", "alpha": 0.65, "edgecolor": "none",
                                     "pad": 0.6, "boxstyle": "round,pad=0.15"}
        for name, point in zip(names, frame["label_point"], strict=True):
            ax.text(point.x, point.y, _short_name(name, spec.lang), fontsize=size, family=font,
                    ha="center", va="center", color="#212529", zorder=4,
                    path_effects=halo, bbox=backing)
    _north_arrow(ax, bounds, font)
    _scale_bar(ax, bounds, font)
    if not bare:
        _frame_text(fig, spec, font, height_in)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, facecolor="white",
                metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


# Administrative prefixes repeat on every label; the map's title already says what the
# areas are (the brief's tables keep the full names).
_PREFIXES_TH = ("อำเภอ", "เขต", "ตำบล", "แขวง", "จังหวัด")


def _short_name(name: str, lang: str) -> str:
    if lang == "en":
        return name
    for prefix in _PREFIXES_TH:
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix):].strip()
    return name


def _frame_text(fig: Figure, spec: MapSpec, font: list[str], height_in: float) -> None:
    """Title and subtitle above, legend at the right, source and attribution below."""
    line = 1 / height_in  # one inch in figure units (vertical)
    # a long title or subtitle wraps: each line block starts below the one above it,
    # and the map and legend start below both (measured, not guessed)
    renderer = FigureCanvasAgg(fig).get_renderer()

    def bottom(text) -> float:
        return text.get_window_extent(renderer).y0 / fig.bbox.height

    title = fig.text(0.02, 1 - 0.12 * line, spec.title, fontsize=13, family=font,
                     weight="bold", va="top", ha="left", wrap=True)
    subtitle = fig.text(0.02, min(1 - 0.45 * line, bottom(title) - 0.05 * line), spec.subtitle,
                        fontsize=9, family=font, va="top", ha="left", color="#495057",
                        wrap=True)
    header = bottom(subtitle) - 0.08 * line if spec.subtitle else bottom(title) - 0.08 * line
    for ax in fig.axes:
        box = ax.get_position()
        if box.y1 > header:  # shrink the map from the top; its aspect keeps it whole
            ax.set_position((box.x0, box.y0, box.width, header - box.y0))
    handles = [Line2D([], [], marker="o", linestyle="", markersize=6, markerfacecolor=e.color,
                      markeredgecolor="white", label=e.label) if e.point else
               Patch(facecolor=e.color, edgecolor="#6c757d", linewidth=0.4, label=e.label)
               for e in spec.legend]
    if handles:
        legend = fig.legend(handles=handles, loc="upper left",
                            bbox_to_anchor=(0.71, min(1 - 0.9 * line, header)),
                            frameon=False, title=spec.legend_title or None,
                            prop={"family": font, "size": 8.5},
                            title_fontproperties={"family": font, "size": 9, "weight": "bold"},
                            alignment="left")
        legend.get_title().set_wrap(True)
    footer = "  ·  ".join(s for s in (spec.source, spec.attribution) if s)
    fig.text(0.02, 0.12 * line, footer, fontsize=7, family=font, va="bottom", ha="left",
             color="#495057", wrap=True)


def file_name(*parts: str, ext: str) -> str:
    """A download's name from what it shows, e.g. เชียงใหม่-2567-รายได้.png (characters
    that file systems refuse become '_')."""
    bad = '\\/:*?"<>|\0'
    cleaned = ["".join("_" if c in bad else c for c in str(p)).strip().replace(" ", "_")
               for p in parts if p]
    return "-".join(cleaned) + "." + ext
