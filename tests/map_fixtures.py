"""Synthetic survey results for the map tests and the map benchmark.

Households with deprivation results in two survey rounds, generated with numpy from
a seed (deterministic), varying by region, tambon and indicator, and loaded with COPY
as the owner; then the aggregate tables are rebuilt. The tests compare what the map
shows with figures computed independently from the household_round rows this loads.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

ROUNDS = ((1, 2565), (2, 2566))
# Base failure rate of each indicator, by bit (17 TPMAP indicators).
BASE_RATES = np.array([0.04, 0.06, 0.04, 0.16, 0.06, 0.03, 0.08, 0.06, 0.10, 0.12, 0.18,
                       0.07, 0.05, 0.06, 0.09, 0.05, 0.04])
VILLAGES_PER_TAMBON = 5


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    bit: int
    dim_sort: int
    weight: float
    member_specific: bool


def catalogue_specs(conn: Connection) -> list[IndicatorSpec]:
    rows = conn.execute(text(
        "SELECT i.code, i.bit, d.sort, i.weight, i.applies_to IS NOT NULL "
        "FROM indicator i JOIN dimension d ON d.code = i.dimension_code ORDER BY i.bit")).all()
    return [IndicatorSpec(*r) for r in rows]


def _region_factor(pcodes: np.ndarray) -> np.ndarray:
    """Higher deprivation in the north-east and the deep south, lower around Bangkok."""
    prov = np.array([int(p[2:4]) for p in pcodes])
    factor = np.ones(len(pcodes))
    factor[(prov >= 30) & (prov < 50)] = 1.6
    factor[(prov >= 50) & (prov < 70)] = 1.2
    factor[prov >= 90] = 1.4
    factor[prov < 20] = 0.6
    return factor


def generate(tambons: list[str], n: int, specs: list[IndicatorSpec], seed: int = 7,
             rounds: tuple[tuple[int, int], ...] = ROUNDS,
             sparse_tambons: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(households, household_round) frames. The last `sparse_tambons` tambons get only
    a handful of households (too few for a stable rate)."""
    rng = np.random.default_rng(seed)
    tambons_arr = np.array(tambons)
    t_effect = _region_factor(tambons_arr) * np.exp(rng.normal(0, 0.45, len(tambons)))
    dense = len(tambons) - sparse_tambons
    idx = rng.integers(0, max(dense, 1), n)
    if sparse_tambons:
        few = np.repeat(np.arange(dense, len(tambons)), 3)[: n // 4]
        idx[: len(few)] = few
    house_id = np.char.add(f"S{seed % 10}", np.char.zfill(np.arange(n).astype(str), 9))
    households = pd.DataFrame({
        "house_id": house_id,
        "tambon_pcode": tambons_arr[idx],
        "village_no": 1 + rng.integers(0, VILLAGES_PER_TAMBON, n),
    })
    bits = np.array([s.bit for s in specs])
    weights = np.array([s.weight for s in specs])
    sorts = np.array([s.dim_sort for s in specs])
    member = np.array([s.member_specific for s in specs])
    base = BASE_RATES[bits % len(BASE_RATES)]
    p = np.minimum(0.9, base[None, :] * t_effect[idx][:, None])
    not_app = member[None, :] & (rng.random((n, len(specs))) < 0.55)
    size = 1 + rng.integers(0, 8, n)
    frames = []
    fails = None
    for i, (round_id, _year) in enumerate(rounds):
        u = rng.random((n, len(specs)))
        if fails is None:
            fails = u < p
        else:  # a later round: some recover, a few newly fail
            fails = np.where(fails, u >= 0.3 + 0.05 * i, u < p * 0.35)
        fails &= ~not_app
        failed = (fails.astype(np.int64) << bits).sum(axis=1)
        na = (not_app.astype(np.int64) << bits).sum(axis=1)
        dims = np.zeros(n, dtype=np.int64)
        for s in np.unique(sorts):
            dims |= fails[:, sorts == s].any(axis=1).astype(np.int64) << s
        n_dims = sum((dims >> s) & 1 for s in np.unique(sorts))
        score = (fails * weights[None, :]).sum(axis=1).astype(np.float32)
        card = rng.random(n) < 0.2 + 0.35 * (dims != 0)
        frames.append(pd.DataFrame({
            "house_id": house_id, "round_id": round_id, "tambon_pcode": households["tambon_pcode"],
            "size": size, "welfare_card": card, "failed": failed, "not_applicable": na,
            "dims_failed": dims, "n_dims_failed": n_dims, "score": score,
        }))
    return households, pd.concat(frames, ignore_index=True)


def _copy(conn: Connection, table: str, frame: pd.DataFrame, chunk: int = 500_000) -> None:
    """COPY through a temporary table (COPY FROM refuses tables with row-level
    security, even for their owner)."""
    dbapi = conn.connection.driver_connection
    cols = ", ".join(frame.columns)
    with dbapi.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE copy_{table} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
        with cur.copy(f"COPY copy_{table} ({cols}) FROM STDIN (FORMAT csv)") as cp:
            for start in range(0, len(frame), chunk):
                buf = io.StringIO()
                frame.iloc[start:start + chunk].to_csv(buf, header=False, index=False,
                                                        float_format="%.9g")
                cp.write(buf.getvalue())
        # table and columns come from this module's own frames, never from input
        cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM copy_{table}")  # noqa: S608


def load(conn: Connection, tambons: list[str], n: int, seed: int = 7,
         sparse_tambons: int = 0, refresh: bool = True) -> dict[str, int]:
    """Insert rounds, villages, households and results (owner connection) and rebuild
    the aggregates. Returns row counts."""
    from queries import aggregates

    specs = catalogue_specs(conn)
    for round_id, year in ROUNDS:
        conn.execute(text(
            "INSERT INTO survey_round (round_id, year_be, label_th, label_en) "
            "VALUES (:r, :y, :th, :en) ON CONFLICT DO NOTHING"),
            {"r": round_id, "y": year, "th": f"รอบปี {year}", "en": f"Round {year}"})
    households, results = generate(tambons, n, specs, seed=seed, sparse_tambons=sparse_tambons)
    villages = pd.DataFrame(
        [(t, v) for t in tambons for v in range(1, VILLAGES_PER_TAMBON + 1)],
        columns=["tambon_pcode", "village_no"])
    _copy(conn, "village", villages)
    _copy(conn, "household", households)
    _copy(conn, "household_round", results)
    if refresh:
        aggregates.refresh(conn)
    return {"households": len(households), "household_round": len(results)}


# ── the map tests' store ─────────────────────────────────────────────────────
# Provinces → districts → number of tambons. TH77 has boundaries but no households;
# the last tambon surveyed (TH400102) has only 3 households a round.
LAYOUT = {"TH10": {"TH1001": 2, "TH1002": 1}, "TH40": {"TH4001": 2},
          "TH50": {"TH5001": 3, "TH5002": 2}, "TH77": {"TH7701": 1}}
HOUSEHOLDS = 3000


@contextmanager
def map_store() -> Iterator[str]:
    """A database of its own with the LAYOUT areas and HOUSEHOLDS synthetic households
    in two rounds (aggregates rebuilt); the geometry cache is cleared on the way in and
    out, since other test modules serve other areas. Use it in a module-scoped fixture
    (after the session's `database` fixture)."""
    from geodata.serve import invalidate_geometry_cache
    from queries.db import owner
    from tests.support_store import insert_test_areas, isolated_store

    with isolated_store("chipao_map") as url:
        invalidate_geometry_cache()
        with owner() as conn:
            tambons = insert_test_areas(conn, LAYOUT, size=0.1)
            surveyed = [t for t in tambons if not t.startswith("TH77")]
            surveyed.remove("TH400102")
            load(conn, [*surveyed, "TH400102"], HOUSEHOLDS, seed=11, sparse_tambons=1)
        try:
            yield url
        finally:
            invalidate_geometry_cache()
