"""Alkire–Foster A, M0 and contributions equal the exact value (rational arithmetic over
the households' failed indicators and the catalogue's nested weights, computed here
independently) to 1e-12, on the map and in the side panel alike (issue 10: they
differed in the 8th digit, one reading a float4 score as text, the other as float8)."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

import pytest
from sqlalchemy import text

from chipao.domain.scope import SYSTEM
from queries import mpi
from tests import factory

TOL = 1e-12
K_VALUES = (Fraction(1, 5), Fraction(1, 3), Fraction(8, 15), Fraction(1))


@pytest.fixture(scope="module")
def store(database):
    with factory.map_store() as url:
        yield url


@pytest.fixture(scope="module")
def exact(store):
    """Per round and area (every level): households, and for each household its exact
    score c = Σ of the failed indicators' weights, a dimension's 1/5 split equally."""
    from queries.db import owner

    with owner() as conn:
        dims = conn.execute(text("SELECT code FROM dimension")).scalars().all()
        inds = conn.execute(text("SELECT code, bit, dimension_code FROM indicator")).all()
        rows = conn.execute(text("SELECT round_id, tambon_pcode, failed FROM household_round")).all()
        catalogue = mpi.load_catalogue(conn)
    per_dim = defaultdict(int)
    for ind in inds:
        per_dim[ind.dimension_code] += 1
    weight = {ind.bit: Fraction(1, len(dims)) / per_dim[ind.dimension_code] for ind in inds}
    areas: dict[tuple[int, str], list[tuple[Fraction, int]]] = defaultdict(list)
    for r in rows:
        c = sum((w for bit, w in weight.items() if r.failed >> bit & 1), Fraction(0))
        for pcode in ("TH", r.tambon_pcode[:4], r.tambon_pcode[:6], r.tambon_pcode):
            areas[(r.round_id, pcode)].append((c, r.failed))
    return {"areas": areas, "weight": weight, "catalogue": catalogue}


def _want(households, weight, k: Fraction, bits: list[int]) -> dict:
    poor = [(c, f) for c, f in households if c >= k]
    total = sum((c for c, _ in poor), Fraction(0))
    out = {"M0": total / len(households), "A": total / len(poor) if poor else None}
    part = sum((weight[b] for _, f in poor for b in bits if f >> b & 1), Fraction(0))
    out["contribution"] = part / total if total else None
    return out


def _close(got, want, where: str) -> None:
    if want is None:
        assert got is None, where
    else:
        assert got is not None and abs(got - float(want)) <= TOL, (where, got, float(want))


def test_map_and_panel_equal_the_exact_value(exact):
    from queries.db import owner

    catalogue, weight = exact["catalogue"], exact["weight"]
    dim = catalogue.dimensions[0].code
    bits = [i.bit for i in catalogue.indicators_of(f"dim:{dim}")]
    checked = 0
    with owner() as conn:
        for k in K_VALUES:
            for level, parent in ((1, None), (2, "TH50"), (3, "TH5001")):
                views = {m: mpi.map_values(conn, SYSTEM, catalogue, round_id=1, level=level,
                                           parent=parent, subject=f"dim:{dim}", measure=m,
                                           k=float(k))
                         for m in ("A", "M0", "contribution")}
                for fig in views["A"].areas:
                    households = exact["areas"].get((1, fig.pcode))
                    if not households:
                        continue
                    want = _want(households, weight, k, bits)
                    profile = mpi.area_profile(conn, SYSTEM, catalogue, fig.pcode, round_id=1,
                                               previous_round_id=None, k=float(k))
                    panel_contribution = next(d["contribution"] for d in profile["dimensions"]
                                              if d["code"] == dim)
                    for m, panel in (("A", profile["af"]["A"]), ("M0", profile["af"]["M0"]),
                                     ("contribution", panel_contribution)):
                        on_map = next(a.value for a in views[m].areas if a.pcode == fig.pcode)
                        where = f"{m} {fig.pcode} k={k}"
                        _close(on_map, want[m], "map " + where)
                        _close(panel, want[m], "panel " + where)
                        checked += 1
    assert checked > 50
