"""An attacker with a public viewer's view tries to recover suppressed counts (issue 13,
item 9), on a store of synthetic households over a real province/district/tambon
hierarchy with many small areas.

The attacker collects everything the public map and overview show — every level,
every focus area, every measure and subject, both rounds, the change map, the area
profiles, the overview — then turns rates back into counts (share × surveyed,
H × surveyed), change maps into counts (before + change) and tries every margin
equation of the hierarchy (parent − visible children) for every round and measure,
and for the Alkire–Foster counts at several cut-offs. The test asserts:

- every count the attacker learns is the true count and none is a small count;
- every small count is hidden, in every view alike;
- no margin equation holds exactly one unknown (the subtraction attack fails), and,
  with linear algebra over all the equations at once, no hidden cell is determined
  (its column is not in the row space: removing it keeps the rank).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from sqlalchemy import text

from chipao.domain.scope import PUBLIC
from queries import mpi, overview
from queries import suppression as sdc
from queries.db import owner, scoped
from tests import factory
from tests.factory import insert_test_areas, isolated_store

# Provinces → districts → tambons: small tambons, so many counts are below 5.
LAYOUT = {"TH10": {"TH1001": 4, "TH1002": 3, "TH1003": 2},
          "TH40": {"TH4001": 5, "TH4002": 1},
          "TH50": {"TH5001": 6, "TH5002": 3, "TH5003": 4}}
HOUSEHOLDS = 1400
K_VALUES = (1 / 3, 0.5)
LIMIT = 5


@pytest.fixture(scope="module")
def store(database):
    sdc.clear_cache()
    mpi.table_cache.clear()
    with isolated_store("chipao_test_disclosure") as url:
        with owner() as conn:
            tambons = insert_test_areas(conn, LAYOUT, size=0.05)
            factory.map_load(conn, tambons, HOUSEHOLDS, seed=5, sparse_tambons=4)
        yield url
    sdc.clear_cache()
    mpi.table_cache.clear()


@pytest.fixture(scope="module")
def truth(store):
    """The stored counts (as the owner): {(round, measure, pcode): households}."""
    with owner() as conn:
        rows = conn.execute(text("SELECT round_id, measure, pcode, households "
                                 "FROM agg_area_count")).all()
        rounds = [r for (r,) in conn.execute(text("SELECT round_id FROM survey_round "
                                                  "ORDER BY year_be"))]
    return {(r, m, p): n for r, m, p, n in rows}, rounds


class Attacker:
    """What a public viewer learns: {(round, measure, pcode): count}, with every source."""

    def __init__(self) -> None:
        self.known: dict[tuple, float] = {}
        self.hidden_seen: set[tuple] = set()  # cells some view showed as hidden
        self.rates: list[tuple] = []  # (round, measure, pcode, rate, denominator measure)
        self.changes: list[tuple] = []  # (measure, pcode, now round, then round, change)

    def learn(self, cell: tuple, value: float | None) -> None:
        if value is None:
            self.hidden_seen.add(cell)
            return
        old = self.known.setdefault(cell, value)
        assert abs(old - value) < 1e-6, f"two views disagree on {cell}: {old} vs {value}"

    def derive(self) -> None:
        """Rates and changes back into counts, until nothing new is learnt."""
        while True:
            before = len(self.known)
            for r, m, p, rate, denominator in self.rates:
                d = self.known.get((r, denominator, p))
                if d is not None:
                    self.learn((r, m, p), round(rate * d, 6))
            for m, p, now, then, change in self.changes:
                if (then, m, p) in self.known:
                    self.learn((now, m, p), self.known[(then, m, p)] + change)
                if (now, m, p) in self.known:
                    self.learn((then, m, p), self.known[(now, m, p)] - change)
            if len(self.known) == before:
                return


def _views():
    yield 1, None
    yield 2, None
    for province in LAYOUT:
        yield 2, province
        yield 3, province
    yield 3, None
    for districts in LAYOUT.values():
        for district in districts:
            yield 3, district


@pytest.fixture(scope="module")
def attacker(store, truth):
    _, rounds = truth
    a = Attacker()
    with scoped(PUBLIC) as conn:  # the app role, as the public pages read
        catalogue = mpi.load_catalogue(conn)
        subjects = ["overall", *[f"dim:{d.code}" for d in catalogue.dimensions],
                    *[f"ind:{i.code}" for i in catalogue.indicators]]
        for level, parent in _views():
            for subject in subjects:
                for rid in rounds:
                    for measure in ("count", "share", "target_poor"):
                        name = mpi.count_measure_name(subject, measure)
                        v = mpi.map_values(conn, PUBLIC, catalogue, round_id=rid, level=level,
                                           parent=parent, subject=subject, measure=measure)
                        for f in v.areas:
                            a.learn((rid, "surveyed", f.pcode), f.surveyed)
                            if measure == "share":
                                if f.value is not None:
                                    a.rates.append((rid, name, f.pcode, f.value, "surveyed"))
                            else:
                                a.learn((rid, name, f.pcode), f.value)
                # the change map: round − previous round
                v = mpi.map_values(conn, PUBLIC, catalogue, round_id=rounds[-1], level=level,
                                   parent=parent, subject=subject, measure="count",
                                   compare_round_id=rounds[0])
                name = mpi.count_measure_name(subject, "count")
                for f in v.areas:
                    if f.value is not None:
                        a.changes.append((name, f.pcode, rounds[-1], rounds[0], f.value))
                        a.learn((rounds[-1], name, f.pcode), f.current)
                        a.learn((rounds[0], name, f.pcode), f.before)
        pcodes = ["TH", *conn.execute(text("SELECT pcode FROM area ORDER BY pcode")).scalars()]
        for rid, prev in ((rounds[-1], rounds[0]), (rounds[0], None)):
            for pcode in pcodes:
                prof = mpi.area_profile(conn, PUBLIC, catalogue, pcode, round_id=rid,
                                        previous_round_id=prev)
                for key in ("surveyed", "poor", "target_poor", "welfare_card"):
                    a.learn((rid, key, pcode), prof[key])
                if prev is not None:
                    a.learn((rid, "left_poverty", pcode), prof["left_poverty"])
                    a.learn((rid, "new_poor", pcode), prof["new_poor"])
                    a.learn((prev, "surveyed", pcode), prof["surveyed_before"])
                    a.learn((prev, "poor", pcode), prof["poor_before"])
                    if prof["poor_share_before"] is not None:
                        a.rates.append((prev, "poor", pcode, prof["poor_share_before"],
                                        "surveyed"))
                for d in prof["dimensions"]:
                    a.learn((rid, f"dim:{d['code']}", pcode), d["deprived"])
                for i in prof["indicators"]:
                    a.learn((rid, f"ind:{i['code']}", pcode), i["deprived"])
                    a.learn((rid, f"na:{i['code']}", pcode), i["not_applicable"])
                for key, rate in (("poor", prof["poor_share"]),):
                    if rate is not None:
                        a.rates.append((rid, key, pcode, rate, "surveyed"))
        for rid, prev in ((rounds[-1], rounds[0]), (rounds[0], None)):
            for m, n in overview.national_counts(conn, PUBLIC, rid).items():
                a.learn((rid, m, "TH"), n)
            for d in overview.dimension_counts(conn, PUBLIC, rid):
                a.learn((rid, f"dim:{d['code']}", "TH"), d["deprived"])
            for p in overview.top_provinces(conn, PUBLIC, rid, prev):
                a.learn((rid, "poor", p["pcode"]), p["poor"])
                a.learn((rid, "surveyed", p["pcode"]), p["surveyed"])
                if p["change"] is not None and prev is not None:
                    a.changes.append(("poor", p["pcode"], rid, prev, p["change"]))
    a.derive()
    return a


def _families(pcodes) -> dict[str, list[str]]:
    children: dict[str, list[str]] = defaultdict(list)
    for p in pcodes:
        parent = sdc.parent_of(p)
        if parent is not None:
            children[parent].append(p)
    return children


def _determined(unknowns: list, equations: list[list]) -> list:
    """Unknowns whose value follows from the equations (each a list of unknowns with
    coefficient ±1 after the knowns are moved to the other side)."""
    if not unknowns or not equations:
        return []
    col = {u: j for j, u in enumerate(unknowns)}
    a = np.zeros((len(equations), len(unknowns)))
    for i, eq in enumerate(equations):
        for sign, u in eq:
            a[i, col[u]] = sign
    full = np.linalg.matrix_rank(a)
    return [u for u, j in col.items() if np.linalg.matrix_rank(np.delete(a, j, axis=1)) < full]


def _check_margins(values: dict[str, float], known: dict[str, float], where: str) -> int:
    """The attack on one measure of one round: returns the number of hidden cells."""
    families = _families(values)
    hidden = [p for p in values if p not in known]
    equations = []
    for parent, kids in families.items():
        unknown = [(1, parent)] * (parent not in known) + [(-1, k) for k in kids
                                                           if k not in known]
        assert len(unknown) != 1, (
            f"{where}: {unknown[0][1]} = {parent} − visible children is recoverable")
        if unknown:
            equations.append(unknown)
    determined = _determined(hidden, equations)
    assert not determined, f"{where}: determined by the margins: {determined}"
    return len(hidden)


def test_what_the_public_sees_is_true_and_never_small(truth, attacker):
    counts, _ = truth
    surveyed = {(r, p): n for (r, m, p), n in counts.items() if m == "surveyed"}
    assert attacker.known
    for (r, m, p), value in attacker.known.items():
        assert (r, m, p) in counts, (r, m, p)
        assert value == pytest.approx(counts[(r, m, p)], abs=1e-6), (r, m, p)
        assert not sdc.is_primary(value, surveyed.get((r, p), 0), LIMIT), (r, m, p, value)


def test_every_small_count_is_hidden_in_every_view(truth, attacker):
    counts, _ = truth
    surveyed = {(r, p): n for (r, m, p), n in counts.items() if m == "surveyed"}
    small = [c for c, n in counts.items() if sdc.is_primary(n, surveyed[(c[0], c[2])], LIMIT)]
    assert len(small) > 100, "the store should have many small counts"
    leaked = [c for c in small if c in attacker.known]
    assert not leaked, leaked[:10]
    assert set(small) & attacker.hidden_seen  # and the views did report them hidden


def test_subtraction_and_linear_algebra_recover_no_hidden_count(truth, attacker):
    counts, rounds = truth
    by: dict[tuple, dict[str, float]] = defaultdict(dict)
    for (r, m, p), n in counts.items():
        by[(r, m)][p] = n
    hidden_total = 0
    for (r, m), values in by.items():
        if m in ("located", "in_previous"):  # stored, never shown
            continue
        known = {p: attacker.known[(r, m, p)] for p in values if (r, m, p) in attacker.known}
        hidden_total += _check_margins(values, known, f"round {r} {m}")
    assert hidden_total > 100


@pytest.mark.parametrize("k", K_VALUES)
def test_alkire_foster_counts_are_protected_at_every_cut_off(store, truth, k):
    """q(k) = H × surveyed for every map view of H, A and M0 at this k: the same attack."""
    counts, rounds = truth
    with owner() as conn:
        q_true = {(r, p): float(n) for r, p, n in conn.execute(text(
            "SELECT round_id, pcode, coalesce(sum(households) FILTER (WHERE score >= :k), 0) "
            "FROM agg_area_score GROUP BY round_id, pcode"), {"k": k - mpi.K_TOLERANCE})}
    with scoped(PUBLIC) as conn:
        catalogue = mpi.load_catalogue(conn)
        for rid in rounds:
            known: dict[str, float] = {}
            shown: dict[str, set] = defaultdict(set)
            for level, parent in _views():
                views = {m: mpi.map_values(conn, PUBLIC, catalogue, round_id=rid, level=level,
                                           parent=parent, subject="overall", measure=m, k=k)
                         for m in ("H", "A", "M0")}
                for h, a_, m0 in zip(*(v.areas for v in views.values()), strict=True):
                    shown[h.pcode].add(h.value is None)  # (A is undefined where q = 0)
                    if h.value is None:
                        assert a_.value is None and m0.value is None, h.pcode
                    if h.value is not None and h.surveyed is not None:
                        known[h.pcode] = round(h.value * h.surveyed, 6)
                    if a_.value is not None and m0.value is not None and h.surveyed:
                        # A = I/q and M0 = I/n: q = M0·n/A
                        known.setdefault(h.pcode, round(m0.value * h.surveyed / a_.value, 6))
            pcodes = ["TH", *conn.execute(text("SELECT pcode FROM area")).scalars()]
            for pcode in pcodes:  # the side panel of every area, the country included
                prof = mpi.area_profile(conn, PUBLIC, catalogue, pcode, round_id=rid,
                                        previous_round_id=None, k=k)
                shown[pcode].add(prof["af"]["poor"] is None)
                if prof["af"]["poor"] is not None:
                    known[pcode] = float(prof["af"]["poor"])
                elif prof["af"]["H"] is not None and prof["surveyed"]:
                    known[pcode] = round(prof["af"]["H"] * prof["surveyed"], 6)
            values = {p: n or 0.0 for (r, p), n in q_true.items() if r == rid}
            surveyed = {p: counts[(rid, "surveyed", p)] for p in values}
            for p, v in known.items():
                assert v == pytest.approx(values[p], abs=1e-4)
                assert not sdc.is_primary(v, surveyed[p], LIMIT), (p, v)
            small = [p for p, n in values.items() if sdc.is_primary(n, surveyed[p], LIMIT)]
            assert not set(small) & set(known)
            assert all(len(flags) == 1 for flags in shown.values()), "views disagree"
            _check_margins(values, known, f"round {rid} q(k={k:.3f})")


def test_changes_show_only_where_both_rounds_are_visible(attacker):
    """A change map cell is shown only with both rounds' counts (which the margins test
    then checks); a change beside a hidden round would give that round back."""
    assert attacker.changes
    for m, p, r_now, r_then, _change in attacker.changes:
        assert (r_now, m, p) in attacker.known and (r_then, m, p) in attacker.known


def test_complementary_rule_on_a_hand_made_hierarchy():
    """The rule itself: one small tambon makes its smallest non-zero sibling hidden too,
    and a district with a single hidden cell hides a sibling district."""
    counts = {"TH": 100, "TH10": 100, "TH1001": 60, "TH1002": 40,
              "TH100101": 3, "TH100102": 20, "TH100103": 37, "TH100201": 40}
    surveyed = {p: 100 for p in counts}
    hidden = sdc.pattern(counts, surveyed, LIMIT)
    assert {"TH100101", "TH100102"} <= hidden  # 3 is small; 20 is its complement
    assert "TH100103" not in hidden
    assert _check_margins(counts, {p: n for p, n in counts.items() if p not in hidden},
                          "hand-made") >= 2
    # a district whose only tambon is small: the district is hidden, then a sibling
    counts = {"TH": 50, "TH10": 50, "TH1001": 2, "TH1002": 48, "TH100101": 2,
              "TH100201": 48}
    hidden = sdc.pattern(counts, {p: 100 for p in counts}, LIMIT)
    assert {"TH100101", "TH1001", "TH1002"} <= hidden
    _check_margins(counts, {p: n for p, n in counts.items() if p not in hidden}, "chain")
