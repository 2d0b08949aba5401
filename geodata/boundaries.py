"""Read, check, repair and simplify province / district / tambon boundaries.

Input is the HDX COD-AB layout: one layer per level with ``ADMn_PCODE``, ``ADMn_TH``,
``ADMn_EN`` and the parent's ``ADM(n-1)_PCODE``, as a folder of GeoJSON files, a
GeoPackage, one zip of Shapefiles or a folder of zips (see docs/boundaries.md).

The import is all-or-nothing: any rejected feature (or unreadable level) blocks it,
because a hierarchy with holes must never replace a complete one. Everything found
is collected in a :class:`BoundaryReport` so the user can fix all problems at once.
No SQL here: :func:`queries.areas.replace_boundaries` writes the result.
"""

from __future__ import annotations

import re
import time
import zipfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from rich.console import Console
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from chipao.domain.boundaries import (
    BoundaryReport,
    BoundarySet,
)
from chipao.domain.pcodes import AREA_RE, LEVEL_NAMES, LEVELS
from chipao.settings import default_boundaries_dir
from geodata.serve import invalidate_geometry_cache
from queries.areas import AreaInUseError, replace_boundaries
from queries.db import owner

# Display simplification tolerance per level, in degrees (0.001° ≈ 110 m). Provinces are
# drawn at national zoom, tambons down to district zoom. The HDX copies in
# ../shared/geodata are already simplified, so little goes there; full-resolution
# COD-AB loses most of its vertices. Measurements: docs/boundaries.md.
DISPLAY_TOLERANCE: dict[int, float] = {1: 0.005, 2: 0.002, 3: 0.001}
# Lon/lat envelope of Thailand with a margin: features outside it mean a wrong CRS.
THAILAND_BOUNDS = (96.5, 4.5, 106.5, 21.0)
# Features beyond this wider box cannot be Thai boundaries in lon/lat: rejected (a file
# in projected metres without a CRS would otherwise pass as EPSG:4326).
FAR_MARGIN = 5.0
_FILE_GROUPS = ((".geojson", ".json"), (".gpkg",), (".zip",), (".shp",))
_OTHER_HDX_LAYERS = re.compile(r"admbnd[lpt]")  # boundary lines, points, tables
_LEVEL_IN_NAME = re.compile(r"adm([0-9])(?![0-9])")


class BoundaryError(ValueError):
    """The source cannot be read as boundaries at all (missing, ambiguous, unknown format)."""


# ── finding the three layers ─────────────────────────────────────────────────
@dataclass(frozen=True)
class _Layer:
    path: str  # what GDAL opens: a file or a /vsizip/ path
    layer: str | None
    name: str  # file or layer name the level is read from
    label: str  # for messages
    encoding: str | None = None


def level_of(name: str) -> int | None:
    """Level (1–3) named by a file or layer name such as 'tha_admbnda_adm2_rtsd_20190221'."""
    lowered = Path(name).name.lower()
    if _OTHER_HDX_LAYERS.search(lowered):
        return None
    levels = {int(m) for m in _LEVEL_IN_NAME.findall(lowered)}
    return levels.pop() if len(levels) == 1 and levels <= set(LEVELS) else None


def _gpkg_layers(path: str, label: str) -> list[_Layer]:
    out = []
    for name, geometry_type in pyogrio.list_layers(path):
        if geometry_type and "polygon" not in str(geometry_type).lower() \
                and str(geometry_type).lower() != "unknown":
            continue  # lines, points: not areas
        out.append(_Layer(path, str(name), str(name), f"{label}:{name}"))
    return out


def _zip_layers(path: Path) -> list[_Layer]:
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.namelist() if not m.endswith("/")]
    except zipfile.BadZipFile as err:
        raise BoundaryError(f"{path.name}: not a readable zip file ({err})") from err
    lowered = {m.lower() for m in members}
    out: list[_Layer] = []
    for member in members:
        suffix = Path(member).suffix.lower()
        vsi = f"/vsizip/{path.resolve()}/{member}"
        label = f"{path.name}:{member}"
        if suffix == ".shp":
            has_cpg = member[:-4].lower() + ".cpg" in lowered
            out.append(_Layer(vsi, None, member, label, None if has_cpg else "utf-8"))
        elif suffix in (".geojson", ".json"):
            out.append(_Layer(vsi, None, member, label))
        elif suffix == ".gpkg":
            out.extend(_gpkg_layers(vsi, label))
    return out


def _file_layers(path: Path) -> list[_Layer]:
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        return [_Layer(str(path), None, path.name, path.name)]
    if suffix == ".shp":
        # Without a .cpg GDAL assumes Latin-1; HDX Shapefiles are UTF-8.
        encoding = None if path.with_suffix(".cpg").exists() else "utf-8"
        return [_Layer(str(path), None, path.name, path.name, encoding)]
    if suffix == ".gpkg":
        return _gpkg_layers(str(path), path.name)
    if suffix == ".zip":
        return _zip_layers(path)
    raise BoundaryError(f"{path.name}: unsupported format (expected a folder of GeoJSON, "
                        ".gpkg, .zip of Shapefiles, or .shp)")


def find_layers(source: Path) -> dict[int, _Layer]:
    """The layer for each level found in `source` (levels not found are absent)."""
    if not source.exists():
        raise BoundaryError(f"{source}: no such file or folder")
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.is_file())
        for suffixes in _FILE_GROUPS:
            # A GeoPackage or zip may hold every level whatever its name; single-layer
            # files must name their level.
            chosen = [p for p in files if p.suffix.lower() in suffixes
                      and (suffixes in ((".gpkg",), (".zip",)) or level_of(p.name))]
            if chosen:
                break
        else:
            raise BoundaryError(f"{source}: no GeoJSON, GeoPackage, zip or Shapefile named "
                                "like tha_admbnda_adm1/adm2/adm3 found")
        layers = [layer for p in chosen for layer in _file_layers(p)]
    else:
        layers = _file_layers(source)
    by_level: dict[int, list[_Layer]] = {}
    for layer in layers:
        level = level_of(layer.name)
        if level:
            by_level.setdefault(level, []).append(layer)
    found = {}
    for level, candidates in by_level.items():
        if len(candidates) > 1:  # HDX names its polygon layers 'admbnda'
            candidates = [c for c in candidates if "admbnda" in c.name.lower()] or candidates
        if len(candidates) > 1:
            names = ", ".join(c.label for c in candidates)
            raise BoundaryError(f"several {LEVEL_NAMES[level]} layers in {source}: {names}; "
                                "keep only one")
        found[level] = candidates[0]
    if not found:
        raise BoundaryError(f"{source}: no layer named like tha_admbnda_adm1/adm2/adm3 found")
    return found


# ── reading one level ────────────────────────────────────────────────────────
def _clean(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "").map(lambda v: str(v).strip())


def _read_level(layer: _Layer, level: int, report: BoundaryReport) -> gpd.GeoDataFrame | None:
    """The layer as columns pcode, parent_pcode, name_th, name_en, geometry (EPSG:4326)."""
    kwargs = {"encoding": layer.encoding} if layer.encoding else {}
    try:
        raw = pyogrio.read_dataframe(layer.path, layer=layer.layer, **kwargs)
    except Exception as err:  # GDAL says why (corrupt file, unreadable layer)
        report.add("error", f"cannot read: {err}", level, where=layer.label)
        return None
    columns = {str(c).upper(): c for c in raw.columns}
    wanted = {"pcode": f"ADM{level}_PCODE", "name_th": f"ADM{level}_TH",
              "name_en": f"ADM{level}_EN"}
    if level > 1:
        wanted["parent_pcode"] = f"ADM{level - 1}_PCODE"
    missing = [col for col in wanted.values() if col not in columns]
    for col in missing:
        report.add("error", f"missing column {col} (columns present: "
                   f"{', '.join(map(str, raw.columns))})", level, where=layer.label)
    if missing:
        return None
    report.features[level] = len(raw)
    frame = {key: _clean(raw[columns[col]]) for key, col in wanted.items()}
    frame["pcode"] = frame["pcode"].str.upper()
    if level > 1:
        frame["parent_pcode"] = frame["parent_pcode"].str.upper()
    else:
        frame["parent_pcode"] = pd.Series([""] * len(raw), dtype=object)
    df = gpd.GeoDataFrame(frame, geometry=raw.geometry.values, crs=raw.crs)
    if df.crs is None:
        report.add("warning", "no coordinate reference system: assumed EPSG:4326", level,
                   where=layer.label)
        df = df.set_crs(4326)
    elif not df.crs.equals("EPSG:4326", ignore_axis_order=True):
        report.add("note", f"reprojected from {df.crs.to_string()} to EPSG:4326", level,
                   where=layer.label)
        df = df.to_crs(4326)
    return df


# ── validation and repair ────────────────────────────────────────────────────
def _polygon_parts(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom] if not geom.is_empty else []
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _polygon_parts(g)]
    return []


def repair_geometry(geom: BaseGeometry | None) -> tuple[MultiPolygon | None, str | None]:
    """(MultiPolygon, None) when fine; (MultiPolygon, reason) when repaired;
    (None, reason) when it cannot be used. Only polygonal parts are kept."""
    if geom is None or geom.is_empty:
        return None, "no geometry"
    if shapely.has_z(geom):
        geom = shapely.force_2d(geom)
    if geom.geom_type not in ("Polygon", "MultiPolygon", "GeometryCollection"):
        return None, f"not a polygon ({geom.geom_type})"
    reason = None
    if not geom.is_valid:
        why = shapely.is_valid_reason(geom)
        geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
        reason = f"invalid geometry ({why}) repaired with make_valid"
    elif geom.geom_type == "GeometryCollection":
        reason = "non-polygonal parts dropped"
    parts = _polygon_parts(geom)
    result = MultiPolygon(parts) if parts else None
    if result is not None and not result.is_valid:  # parts that touch along an edge
        result = shapely.union_all(parts)
        result = result if isinstance(result, MultiPolygon) else MultiPolygon(_polygon_parts(result))
    if result is None or result.is_empty or result.area <= 0 or not result.is_valid:
        why = reason or f"invalid geometry ({shapely.is_valid_reason(geom)})"
        return None, f"{why.removesuffix(' repaired with make_valid')} could not be repaired"
    return result, reason


def _validate_level(df: gpd.GeoDataFrame, level: int, where: str, report: BoundaryReport,
                    parents_ok: set[str] | None, parents_seen: set[str]) -> gpd.GeoDataFrame:
    """Accepted rows of one level; every rejection and repair goes to the report."""
    name = LEVEL_NAMES[level]
    parent_name = LEVEL_NAMES.get(level - 1, "")
    counts = Counter(df["pcode"])
    keep = np.ones(len(df), dtype=bool)
    geoms: list[BaseGeometry | None] = []
    rows = zip(df["pcode"], df["parent_pcode"], df["name_th"], df["name_en"], df.geometry,
               strict=True)
    for i, (pcode, parent, name_th, name_en, geom) in enumerate(rows):
        label = pcode or f"feature #{i + 1}"
        reasons = []
        if not pcode:
            reasons.append(f"empty P-code (ADM{level}_PCODE)")
        elif not AREA_RE.match(pcode) or len(pcode) != 2 + 2 * level:
            reasons.append(f"P-code {pcode!r} is not a {name} P-code (TH + {2 * level} digits)")
        elif counts[pcode] > 1:
            reasons.append(f"duplicate P-code ({counts[pcode]} features)")
        if not name_th:
            reasons.append(f"empty Thai name (ADM{level}_TH)")
        if not name_en:
            reasons.append(f"empty English name (ADM{level}_EN)")
        if level > 1 and pcode and AREA_RE.match(pcode):
            if parent != pcode[:-2]:
                reasons.append(f"parent P-code {parent!r} (ADM{level - 1}_PCODE) does not "
                               f"match the P-code's prefix {pcode[:-2]}")
            elif parents_ok is not None and parent not in parents_ok:
                state = "was rejected" if parent in parents_seen else \
                    f"is missing from the {parent_name} layer"
                reasons.append(f"parent {parent_name} {parent} {state}")
        fixed, why = repair_geometry(geom)
        if fixed is None:
            reasons.append(why or "unusable geometry")
        else:
            reasons += _coordinate_problems(fixed.bounds)
        if fixed is not None and why and not reasons:
            report.add("repaired", why, level, label, where)
        for reason in reasons:
            report.add("rejected", reason, level, label, where)
        keep[i] = not reasons
        geoms.append(fixed)
    out = df.loc[keep].copy()
    out = out.set_geometry(gpd.GeoSeries([g for g, k in zip(geoms, keep, strict=True) if k],
                                         index=out.index, crs=4326))
    return out.reset_index(drop=True)


def _coordinate_problems(bounds: tuple[float, float, float, float]) -> list[str]:
    """Why a feature's coordinates cannot be Thai boundaries in longitude/latitude."""
    xmin, ymin, xmax, ymax = bounds
    where = f"(x {xmin:,.2f} … {xmax:,.2f}, y {ymin:,.2f} … {ymax:,.2f})"
    if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
        return [f"coordinates {where} are not longitude/latitude degrees (beyond ±180/±90): "
                "the file is probably in a projected system (e.g. metres, UTM 47N) without "
                "saying so — reproject it to EPSG:4326 or add its coordinate reference system"]
    bx0, by0, bx1, by1 = THAILAND_BOUNDS
    if xmax < bx0 - FAR_MARGIN or xmin > bx1 + FAR_MARGIN or ymax < by0 - FAR_MARGIN \
            or ymin > by1 + FAR_MARGIN:
        return [f"coordinates {where} are far outside Thailand (lon {bx0}–{bx1}, lat "
                f"{by0}–{by1}): is the coordinate reference system (or the axis order) right?"]
    return []


def _check_level(df: gpd.GeoDataFrame, level: int, where: str, report: BoundaryReport) -> None:
    """Warnings that do not block the import: extent and coverage cleanliness."""
    if df.empty:
        return
    xmin, ymin, xmax, ymax = df.total_bounds
    bx0, by0, bx1, by1 = THAILAND_BOUNDS
    if xmin < bx0 or ymin < by0 or xmax > bx1 or ymax > by1:
        report.add("warning", f"features reach outside Thailand (bounds {xmin:.2f}, {ymin:.2f}, "
                   f"{xmax:.2f}, {ymax:.2f}): is the coordinate reference system right?",
                   level, where=where)
    edges = shapely.coverage_invalid_edges(np.asarray(df.geometry.values), gap_width=0.0)
    bad = df["pcode"][~shapely.is_empty(edges)].tolist()
    if bad:
        report.add("warning", f"{len(bad)} {LEVEL_NAMES[level]}s' borders do not match their "
                   f"neighbours' exactly (overlap or unshared vertices), e.g. "
                   f"{', '.join(bad[:10])}: display borders there may show slivers",
                   level, where=where)


def validate(frames: Mapping[int, gpd.GeoDataFrame | None], where: Mapping[int, str],
             report: BoundaryReport) -> dict[int, gpd.GeoDataFrame]:
    """Check and repair every level, parents first; return the accepted rows per level."""
    accepted: dict[int, gpd.GeoDataFrame] = {}
    for level in LEVELS:
        df = frames.get(level)
        if df is None:
            continue
        parent = accepted.get(level - 1)
        parents_ok = set(parent["pcode"]) if parent is not None else None
        seen = frames.get(level - 1)
        parents_seen = set(seen["pcode"]) if seen is not None else set()
        if level == 1:
            parents_ok = None
        ok = _validate_level(df, level, where.get(level, ""), report, parents_ok, parents_seen)
        _check_level(ok, level, where.get(level, ""), report)
        accepted[level] = ok
        report.accepted[level] = len(ok)
    for level in (1, 2):  # parents without children leave holes in the map below them
        if level in accepted and level + 1 in accepted:
            with_children = set(accepted[level + 1]["parent_pcode"])
            for pcode in sorted(set(accepted[level]["pcode"]) - with_children):
                report.add("warning", f"has no {LEVEL_NAMES[level + 1]}s", level, pcode,
                           where.get(level + 1, ""))
    return accepted


# ── display geometry ─────────────────────────────────────────────────────────
def _as_multi(geoms: np.ndarray) -> np.ndarray:
    return np.array([g if isinstance(g, MultiPolygon) else MultiPolygon(_polygon_parts(g))
                     for g in geoms], dtype=object)


def add_display_geometry(bset: BoundarySet,
                         tolerances: Mapping[int, float] | None = None) -> None:
    """Per level: coverage-simplified display geometry (neighbours keep one shared
    border, so no slivers or gaps appear between them) and a label point inside it."""
    tolerances = {**DISPLAY_TOLERANCE, **(tolerances or {})}
    for level, df in bset.frames.items():
        geoms = np.asarray(df.geometry.values, dtype=object)
        if len(geoms) == 0:
            df["geom_display"] = gpd.GeoSeries([], crs=4326)
            df["label_point"] = gpd.GeoSeries([], crs=4326)
            continue
        simple = shapely.coverage_simplify(geoms, tolerances[level]) \
            if tolerances[level] > 0 else geoms.copy()
        bad = ~shapely.is_valid(simple) | shapely.is_empty(simple) | (shapely.area(simple) <= 0)
        if bad.any():
            simple[bad] = geoms[bad]
            report_codes = ", ".join(df["pcode"][bad].tolist()[:10])
            bset.report.add("warning", f"{int(bad.sum())} display geometries kept unsimplified "
                            f"(simplification made them invalid), e.g. {report_codes}", level)
        simple = _as_multi(simple)
        df["geom_display"] = gpd.GeoSeries(simple, index=df.index, crs=4326)
        df["label_point"] = gpd.GeoSeries(shapely.point_on_surface(simple), index=df.index,
                                          crs=4326)


# ── entry points ─────────────────────────────────────────────────────────────
def read_boundaries(source: Path, *, simplify: bool = True,
                    tolerances: Mapping[int, float] | None = None) -> BoundarySet:
    """Read the three levels from `source`, validate and repair them, and (by default)
    add display geometry. Raises BoundaryError when `source` holds no boundary layers;
    every other problem is in the returned set's report (check ``report.ok``)."""
    source = Path(source)
    layers = find_layers(source)
    report = BoundaryReport(str(source))
    raw: dict[int, gpd.GeoDataFrame | None] = {}
    for level in LEVELS:
        layer = layers.get(level)
        if layer is None:
            report.add("error", f"no {LEVEL_NAMES[level]} layer found (a file or layer named "
                       f"like tha_admbnda_adm{level})", level, where=str(source))
            continue
        raw[level] = _read_level(layer, level, report)
    where = {level: layer.label for level, layer in layers.items()}
    bset = BoundarySet(str(source), validate(raw, where, report), report)
    if simplify:
        add_display_geometry(bset, tolerances)
    return bset


def import_boundaries(source: Path | None = None, progress: bool = True) -> BoundaryReport:
    """Read, check and simplify boundaries, then replace the store's areas in one
    transaction. Prints progress and the report (unless progress=False) and returns the
    BoundaryReport; ``report.ok`` is False when nothing was changed."""
    console = Console(quiet=not progress)
    source = Path(source) if source else default_boundaries_dir()
    started = time.perf_counter()
    with console.status(f"reading boundaries from {source} …"):
        try:
            bset = read_boundaries(source)
        except BoundaryError as err:
            report = BoundaryReport(str(source))
            report.add("error", str(err))
            report.print(console)
            return report
    report = bset.report
    console.print(f"read and checked {sum(report.features.values()):,} features "
                  f"in {time.perf_counter() - started:.1f} s")
    if not report.ok:
        report.print(console)
        console.print("[red]import refused: the store was not changed[/red]")
        return report
    with console.status("loading into the store (one transaction) …"):
        try:
            with owner() as conn:
                report.loaded = replace_boundaries(conn, bset)
        except AreaInUseError as err:
            report.add("error", str(err))
            report.print(console)
            console.print("[red]import refused: the store was not changed[/red]")
            return report
    invalidate_geometry_cache()
    report.print(console)
    stored = ", ".join(f"{report.loaded[k]:,} {k}" for k in
                       ("inserted", "updated", "unchanged", "deleted"))
    console.print(f"[green]stored[/green] ({stored}) in {time.perf_counter() - started:.1f} s")
    return report
