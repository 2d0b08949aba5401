"""Every figure the map shows equals an independent computation with pandas over the
household_round rows (read directly as the owner), on the same synthetic data: counts,
shares, target poor, Alkire–Foster H, A, M0 and contributions for several k, ranks,
change between rounds, the area profile, suppression and bounds; plus the URL state."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from chipao.domain.scope import PUBLIC, SYSTEM
from queries import mpi
from tests import factory

K_VALUES = (0.2, 1 / 3, 0.5, 1.0)
VIEWS = [(1, None), (2, None), (2, "TH50"), (3, None), (3, "TH50"), (3, "TH5001")]
PCODE_LEN = {1: 4, 2: 6, 3: 8}


@pytest.fixture(scope="module")
def map_store(database):
    """The map tests' own store (tests/factory.py)."""
    with factory.map_store() as url:
        yield url


# ── the independent computation ──────────────────────────────────────────────
@pytest.fixture(scope="module")
def ref(map_store):
    """Household rows with one 0/1 column per indicator and dimension, recomputed from
    the `failed` bit set and the catalogue (not from the stored dims/score columns)."""
    from queries.db import owner

    with owner() as conn:
        hr = pd.read_sql(text("SELECT house_id, round_id, tambon_pcode, welfare_card, failed, "
                              "not_applicable FROM household_round"), conn)
        inds = pd.read_sql(text("SELECT code, bit, weight, dimension_code FROM indicator "
                                "ORDER BY bit"), conn)
        rounds = dict(conn.execute(text("SELECT year_be, round_id FROM survey_round")).all())
        catalogue = mpi.load_catalogue(conn)
    failed = hr["failed"].to_numpy(dtype=np.int64)
    not_applicable = hr["not_applicable"].to_numpy(dtype=np.int64)
    for r in inds.itertuples():
        hr[f"f_{r.code}"] = ((failed >> r.bit) & 1).astype(bool)
        hr[f"na_{r.code}"] = ((not_applicable >> r.bit) & 1).astype(bool)
    for dim, group in inds.groupby("dimension_code"):
        hr[f"d_{dim}"] = hr[[f"f_{c}" for c in group["code"]]].any(axis=1)
    dims = sorted(inds["dimension_code"].unique())
    hr["poor"] = hr[[f"d_{d}" for d in dims]].any(axis=1)
    hr["c"] = sum(hr[f"f_{r.code}"] * r.weight for r in inds.itertuples())
    return {"hr": hr, "inds": inds, "rounds": rounds, "catalogue": catalogue}


def _subset(ref, round_id: int, level: int, parent: str | None) -> pd.core.groupby.DataFrameGroupBy:
    hr = ref["hr"]
    hr = hr[hr["round_id"] == round_id]
    if parent:
        hr = hr[hr["tambon_pcode"].str.startswith(parent)]
    return hr.assign(area=hr["tambon_pcode"].str[:PCODE_LEN[level]])


def _subject_flag(df: pd.DataFrame, subject: str) -> pd.Series:
    kind, _, code = subject.partition(":")
    return df["poor"] if kind == "overall" else df[f"{'d' if kind == 'dim' else 'f'}_{code}"]


def expected(ref, round_id: int, level: int, parent: str | None, subject: str, measure: str,
             k: float = 1 / 3) -> dict[str, float | None]:
    df = _subset(ref, round_id, level, parent)
    out: dict[str, float | None] = {}
    for area, g in df.groupby("area"):
        n = len(g)
        if measure in ("count", "share"):
            deprived = _subject_flag(g, subject).sum()
            out[area] = float(deprived) if measure == "count" else deprived / n
            continue
        if measure == "target_poor":
            out[area] = float((g["poor"] & g["welfare_card"].fillna(False)).sum())
            continue
        poor = g["c"] >= k - 1e-6
        q = poor.sum()
        total_c = g.loc[poor, "c"].sum()
        if measure == "H":
            out[area] = q / n
        elif measure == "A":
            out[area] = total_c / q if q else None
        elif measure == "M0":
            out[area] = total_c / n
        elif measure == "contribution":
            codes = [i.code for i in ref["catalogue"].indicators_of(subject)]
            weights = dict(zip(ref["inds"]["code"], ref["inds"]["weight"], strict=True))
            part = sum(weights[c] * (g[f"f_{c}"] & poor).sum() for c in codes)
            out[area] = part / total_c if q else None
    return out


def _values(ref, round_id, level, parent, subject, measure, k=1 / 3, compare=None, scope=SYSTEM):
    from queries.db import owner

    with owner() as conn:
        return mpi.map_values(conn, scope, ref["catalogue"], round_id=round_id, level=level,
                              parent=parent, subject=subject, measure=measure, k=k,
                              compare_round_id=compare)


def _assert_same(got: mpi.MapValues, want: dict[str, float | None], where: str) -> None:
    by_code = {a.pcode: a.value for a in got.areas}
    for pcode, value in want.items():
        assert pcode in by_code, f"{where}: {pcode} missing"
        if value is None:
            assert by_code[pcode] is None, f"{where}: {pcode} should be undefined"
        else:
            assert by_code[pcode] == pytest.approx(value, rel=1e-5, abs=1e-9), f"{where}: {pcode}"
    # areas without households have no value
    for pcode, value in by_code.items():
        if pcode not in want:
            assert value is None, f"{where}: {pcode} has no households but a value"


# ── counts, shares, target poor ──────────────────────────────────────────────
def test_count_and_share_match_pandas(ref):
    subjects = ["overall", *[f"dim:{d.code}" for d in ref["catalogue"].dimensions],
                *[f"ind:{i.code}" for i in ref["catalogue"].indicators]]
    for round_id in ref["rounds"].values():
        for level, parent in VIEWS:
            for subject in subjects:
                for measure in ("count", "share"):
                    got = _values(ref, round_id, level, parent, subject, measure)
                    want = expected(ref, round_id, level, parent, subject, measure)
                    _assert_same(got, want, f"{measure} {subject} r{round_id} L{level} {parent}")


def test_target_poor_matches_pandas(ref):
    for round_id in ref["rounds"].values():
        for level, parent in VIEWS:
            got = _values(ref, round_id, level, parent, "overall", "target_poor")
            _assert_same(got, expected(ref, round_id, level, parent, "overall", "target_poor"),
                         f"target_poor L{level}")


# ── Alkire–Foster ────────────────────────────────────────────────────────────
@pytest.mark.parametrize("k", K_VALUES)
def test_alkire_foster_h_a_m0_match_pandas(ref, k):
    for round_id in ref["rounds"].values():
        for level, parent in VIEWS:
            for measure in ("H", "A", "M0"):
                got = _values(ref, round_id, level, parent, "overall", measure, k)
                want = expected(ref, round_id, level, parent, "overall", measure, k)
                _assert_same(got, want, f"{measure} k={k} L{level} {parent}")


@pytest.mark.parametrize("k", K_VALUES)
def test_contributions_match_pandas_and_add_up(ref, k):
    cat = ref["catalogue"]
    round_id = max(ref["rounds"].values())
    for level, parent in [(1, None), (3, "TH5001")]:
        totals: dict[str, float] = {}
        for d in cat.dimensions:
            got = _values(ref, round_id, level, parent, f"dim:{d.code}", "contribution", k)
            _assert_same(got, expected(ref, round_id, level, parent, f"dim:{d.code}",
                                       "contribution", k), f"contribution {d.code} k={k}")
            for a in got.areas:
                if a.value is not None:
                    totals[a.pcode] = totals.get(a.pcode, 0) + a.value
        for pcode, total in totals.items():  # the dimensions' contributions add up to 1
            assert total == pytest.approx(1, abs=1e-5), pcode
        for i in cat.indicators[::4]:
            got = _values(ref, round_id, level, parent, f"ind:{i.code}", "contribution", k)
            _assert_same(got, expected(ref, round_id, level, parent, f"ind:{i.code}",
                                       "contribution", k), f"contribution {i.code} k={k}")


def test_m0_is_h_times_a(ref):
    round_id = max(ref["rounds"].values())
    h = _values(ref, round_id, 2, None, "overall", "H")
    a = _values(ref, round_id, 2, None, "overall", "A")
    m0 = _values(ref, round_id, 2, None, "overall", "M0")
    for x, y, z in zip(h.areas, a.areas, m0.areas, strict=True):
        if y.value is not None:
            assert z.value == pytest.approx(x.value * y.value, rel=1e-9)


# ── ranks, few households, change, suppression ───────────────────────────────
def test_ranks_among_peers_and_too_few_households(ref):
    from chipao.settings import current

    round_id = max(ref["rounds"].values())
    got = _values(ref, round_id, 3, None, "overall", "share")
    df = _subset(ref, round_id, 3, None)
    sizes = df.groupby("area").size()
    few = {p for p, n in sizes.items() if n < current().disclosure.min_households}
    assert few, "the fixture has a tambon with too few households"
    for a in got.areas:
        assert a.insufficient == (a.pcode in few)
    values = pd.Series({a.pcode: a.value for a in got.areas
                        if a.value is not None and not a.insufficient})
    want = values.rank(method="min", ascending=False).astype(int)
    assert {a.pcode: a.rank for a in got.areas if a.rank} == want.to_dict()
    assert got.ranked == len(want)
    assert all(a.rank is None for a in got.areas if a.pcode in few)
    # counts are exact whatever the number of households: no insufficient mark
    counts = _values(ref, round_id, 3, None, "overall", "count")
    assert not any(a.insufficient for a in counts.areas)


@pytest.mark.parametrize("measure", ["share", "M0", "count"])
def test_change_between_rounds(ref, measure):
    first, second = sorted(ref["rounds"].values())
    got = _values(ref, second, 1, None, "dim:income" if measure != "M0" else "overall",
                  measure, compare=first)
    subject = "dim:income" if measure != "M0" else "overall"
    now = expected(ref, second, 1, None, subject, measure)
    then = expected(ref, first, 1, None, subject, measure)
    assert got.compare
    for a in got.areas:
        if a.pcode not in now:  # never surveyed
            assert a.value is None
            continue
        assert a.value == pytest.approx(now[a.pcode] - then[a.pcode], rel=1e-5, abs=1e-9)
        assert a.current == pytest.approx(now[a.pcode], rel=1e-5)
        assert a.before == pytest.approx(then[a.pcode], rel=1e-5)


def test_public_viewers_do_not_see_small_counts(ref):
    round_id = max(ref["rounds"].values())
    seen_small = 0
    for subject in ["overall", *[f"ind:{i.code}" for i in ref["catalogue"].indicators]]:
        want = expected(ref, round_id, 3, None, subject, "count")
        counts = _values(ref, round_id, 3, None, subject, "count", scope=PUBLIC)
        shares = _values(ref, round_id, 3, None, subject, "share", scope=PUBLIC)
        for a, s in zip(counts.areas, shares.areas, strict=True):
            n = want.get(a.pcode)
            if n is not None and 0 < n < 5:
                seen_small += 1
                assert a.value is None and s.value is None, (subject, a.pcode)
            elif n is not None and a.surveyed and a.surveyed >= 5:
                # shown as it is, unless hidden as a complementary cell (test_disclosure.py)
                assert a.value in (n, None)
    assert seen_small, "the fixture should have areas with 1-4 deprived households"


# ── the area profile ─────────────────────────────────────────────────────────
@pytest.mark.parametrize("pcode", ["TH", "TH50", "TH5001", "TH500101"])
def test_area_profile_matches_pandas(ref, pcode):
    from queries.db import owner

    first, second = sorted(ref["rounds"].values())
    k = 0.25
    with owner() as conn:
        prof = mpi.area_profile(conn, SYSTEM, ref["catalogue"], pcode, round_id=second,
                                previous_round_id=first, k=k)
    hr = ref["hr"]
    now = hr[(hr["round_id"] == second) & hr["tambon_pcode"].str.startswith(
        "" if pcode == "TH" else pcode)]
    before = hr[(hr["round_id"] == first) & hr["tambon_pcode"].str.startswith(
        "" if pcode == "TH" else pcode)]
    assert prof["surveyed"] == len(now)
    assert prof["surveyed_before"] == len(before)
    assert prof["poor"] == now["poor"].sum()
    assert prof["poor_share"] == pytest.approx(now["poor"].mean())
    assert prof["poor_share_before"] == pytest.approx(before["poor"].mean())
    assert prof["target_poor"] == (now["poor"] & now["welfare_card"].fillna(False)).sum()
    poor = now["c"] >= k - 1e-6
    assert prof["af"]["H"] == pytest.approx(poor.mean())
    assert prof["af"]["A"] == pytest.approx(now.loc[poor, "c"].mean(), rel=1e-5)
    assert prof["af"]["M0"] == pytest.approx(now.loc[poor, "c"].sum() / len(now), rel=1e-5)
    merged = now.merge(before[["house_id", "poor"]], on="house_id", suffixes=("", "_b"))
    assert prof["left_poverty"] == (merged["poor_b"] & ~merged["poor"]).sum()
    assert prof["new_poor"] == (~merged["poor_b"] & merged["poor"]).sum()
    total_c = now.loc[poor, "c"].sum()
    weights = dict(zip(ref["inds"]["code"], ref["inds"]["weight"], strict=True))
    for d in prof["dimensions"]:
        assert d["deprived"] == now[f"d_{d['code']}"].sum()
        assert d["share"] == pytest.approx(now[f"d_{d['code']}"].mean())
        assert d["share_before"] == pytest.approx(before[f"d_{d['code']}"].mean())
        codes = [i.code for i in ref["catalogue"].indicators_of(f"dim:{d['code']}")]
        want = sum(weights[c] * (now[f"f_{c}"] & poor).sum() for c in codes) / total_c
        assert d["contribution"] == pytest.approx(want, rel=1e-5)
    for i in prof["indicators"]:
        assert i["deprived"] == now[f"f_{i['code']}"].sum()
        assert i["not_applicable"] == now[f"na_{i['code']}"].sum()
    assert math.isclose(sum(d["contribution"] for d in prof["dimensions"]), 1, abs_tol=1e-5)


def test_unknown_area_profile_is_none(ref):
    from queries.db import owner

    with owner() as conn:
        assert mpi.area_profile(conn, SYSTEM, ref["catalogue"], "TH99", round_id=1,
                                previous_round_id=None) is None


# ── bounds and lookups ───────────────────────────────────────────────────────
def test_area_bounds_and_lookups(map_store):
    from queries.db import owner

    with owner() as conn:
        row = conn.execute(text(
            "SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) FROM "
            "(SELECT ST_Collect(geom_display) g FROM area WHERE level = 3 "
            "AND pcode LIKE 'TH50%') s")).one()
        assert mpi.area_bounds(conn, 3, "TH50") == pytest.approx(tuple(row))
        assert mpi.area_bounds(conn, 3, "TH88") is None
        assert mpi.existing_areas(conn, ["TH50", "TH99", "TH5001"]) == {"TH50", "TH5001"}
        assert [a["pcode"] for a in mpi.area_list(conn, 2, "TH50")] == ["TH5001", "TH5002"]
        assert mpi.has_welfare_card_data(conn, 1)


def test_area_without_households_has_no_value(ref):
    """Areas present in the boundaries but never surveyed: drawn, not coloured."""
    got = _values(ref, max(ref["rounds"].values()), 1, None, "overall", "share")
    assert {a.pcode for a in got.areas} == set(factory.MAP_LAYOUT)
    empty = [a for a in got.areas if a.surveyed is None]
    assert [a.pcode for a in empty] == ["TH77"]
    assert empty[0].value is None and empty[0].rank is None








def test_k_tolerance_is_far_below_score_spacing(ref):
    """Scores are sums of weights: distinct scores are far more than the tolerance
    apart, so lowering k by it only catches float32 rounding of scores equal to k."""
    c = np.unique(np.round(ref["hr"]["c"].to_numpy(), 9))
    assert np.diff(c).min() > 100 * mpi.K_TOLERANCE
