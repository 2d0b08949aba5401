"""Village (หมู่บ้าน) figures for the map's village level, from household rows.

There are no village aggregates: a village's figures are computed from the household
rows the user's row-level security shows (queries/sql/villages/figures.sql), so a user
sees the villages of their own areas only, and a role without household records
(public, executive, admin) sees none — the database, not this module, enforces it;
:func:`may_see` lets callers refuse such requests before any SQL runs. The village is
placed at the centroid of its located households (the village table holds no point).

The same statement gives the page its ranking and legend (:func:`village_values`) and
the vector tiles their class index (:func:`village_tile`, ``ST_AsMVT`` over those
figures), so a tile's classes are the legend's: the page computes the class breaks from
the values and passes them to the tile URL. Rates over fewer than CHIPAO_MIN_HOUSEHOLDS surveyed
households are "too few" (class −1, not ranked), as on the tambon map.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, text

from chipao.domain.catalogue import Catalogue
from chipao.domain.pcodes import AREA_RE
from chipao.domain.rates import min_households, too_few
from chipao.domain.scope import Scope
from queries.mpi import AF_MEASURES, K_TOLERANCE, RATES, competition_ranks, subtree
from queries.sql import sql

MEASURES = ("count", "share", "target_poor", "H", "A", "M0", "contribution")
LAYER = "villages"  # the tiles' layer name (assets/40-chipao-map.js reads it)

# the figure of one row of figures.sql, per measure (fixed fragments)
_VALUE = {
    "count": "CASE WHEN surveyed > 0 THEN n::float8 END",
    "target_poor": "CASE WHEN surveyed > 0 THEN n::float8 END",
    "share": "CASE WHEN surveyed > 0 THEN n::float8 / surveyed END",
    "H": "CASE WHEN surveyed > 0 THEN n::float8 / surveyed END",
    "M0": "CASE WHEN surveyed > 0 THEN score_sum / surveyed END",
    "A": "CASE WHEN surveyed > 0 AND n > 0 THEN score_sum / n END",
    "contribution": "CASE WHEN surveyed > 0 AND n > 0 AND score_sum > 0 "
                    "THEN subject_sum / score_sum END",
}


class VillageRequestError(ValueError):
    """A measure, subject or area the village figures cannot be computed for."""


@dataclass(frozen=True)
class VillageFigure:
    vid: str  # tambon P-code + two-digit village number: TH50010103
    tambon: str
    village_no: int
    name_th: str | None
    surveyed: int
    value: float | None
    insufficient: bool  # a rate over too few households: not coloured, not ranked
    rank: int | None
    located: int
    lon: float | None
    lat: float | None


def may_see(scope: Scope, area: str) -> bool:
    """Whether `scope` may see village figures of `area` (household records there)."""
    return bool(AREA_RE.match(area or "")) and scope.covers(area)


def _weighted(terms: list[tuple[float, int]]) -> str:
    """Σ w·(failed bit) over r as SQL (weights and bits from the catalogue, not input)."""
    if not terms:
        return "0.0"
    return "(" + " + ".join(f"{float(w)!r} * ((r.failed >> {int(b)}) & 1)"
                            for w, b in terms) + ")"


def _numerator(catalogue: Catalogue, subject: str, measure: str) -> str:
    if measure in AF_MEASURES:
        return "r.score >= :k"
    kind, _, code = subject.partition(":")
    if kind == "dim":
        dim = catalogue.dimension(code)
        if dim is None:
            raise VillageRequestError(f"unknown dimension {code!r}")
        cond = f"r.dims_failed & {1 << int(dim.sort)} <> 0"
    elif kind == "ind":
        ind = catalogue.indicator(code)
        if ind is None:
            raise VillageRequestError(f"unknown indicator {code!r}")
        cond = f"r.failed & {1 << int(ind.bit)} <> 0"
    elif subject == "overall":
        cond = "r.dims_failed <> 0"
    else:
        raise VillageRequestError(f"unknown subject {subject!r}")
    return f"{cond} AND r.welfare_card" if measure == "target_poor" else cond


def figures_sql(catalogue: Catalogue, subject: str, measure: str) -> str:
    """figures.sql for one subject and measure."""
    if measure not in MEASURES:
        raise VillageRequestError(f"unknown measure {measure!r}")
    if measure == "target_poor":
        subject = "overall"
    numerator = _numerator(catalogue, subject, measure)
    subject_terms = [(i.weight, i.bit) for i in catalogue.indicators_of(subject)]
    return sql("villages/figures").format(
        numerator=numerator,
        score=_weighted([(i.weight, i.bit) for i in catalogue.indicators]),
        subject=_weighted(subject_terms))


def _params(round_id: int, area: str, k: float) -> dict:
    return {"round": round_id, "k": k - K_TOLERANCE, **subtree(area)}


def village_values(conn: Connection, scope: Scope, catalogue: Catalogue, *, round_id: int,
                   area: str, subject: str, measure: str, k: float = 1 / 3
                   ) -> list[VillageFigure]:
    """Every village of `area` (a province, district or tambon) with households in the
    user's scope, ordered by code, with its figure and rank among them."""
    if not may_see(scope, area):
        return []
    statement = sql("villages/values").format(
        figures=figures_sql(catalogue, subject, measure), value=_VALUE[measure])
    rows = conn.execute(text(statement), _params(round_id, area, k)).all()
    rate = measure in RATES
    minimum = min_households()
    values = np.array([np.nan if r.value is None else r.value for r in rows], dtype=float)
    few = np.array([rate and too_few(r.surveyed, minimum) for r in rows], dtype=bool)
    ranks = competition_ranks(values, ~np.isnan(values) & ~few).tolist() if rows else []
    return [VillageFigure(r.vid, r.tambon_pcode, int(r.village_no), r.name_th,
                          int(r.surveyed), None if r.value is None else float(r.value),
                          bool(f), rank or None, int(r.located), r.lon, r.lat)
            for r, f, rank in zip(rows, few.tolist(), ranks, strict=True)]


def village_tile(conn: Connection, figures: list[VillageFigure], *, z: int, x: int, y: int,
                 measure: str, bins: list[float]) -> bytes:
    """The vector tile z/x/y of the villages in `figures` (village_values' answer for
    the user's scope: a tile reads no household row itself), classed by `bins`."""
    if not bins:
        raise VillageRequestError("class breaks are needed")
    if measure not in MEASURES:
        raise VillageRequestError(f"unknown measure {measure!r}")
    data = conn.execute(text(sql("villages/tile")), {
        "z": z, "x": x, "y": y, "vids": [f.vid for f in figures],
        "lons": [f.lon for f in figures], "lats": [f.lat for f in figures],
        "surveyed": [f.surveyed for f in figures], "values": [f.value for f in figures],
        "bins": [float(b) for b in bins], "top": len(bins) - 1, "rate": measure in RATES,
        "min_n": min_households()}).scalar()
    return bytes(data or b"")
