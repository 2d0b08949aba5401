"""The greedy maximal-coverage planner (pure numpy/scipy): coverage sets against a
brute-force haversine, the lazy greedy against plain greedy, greedy against the
exhaustive optimum on tiny cases ((1 − 1/e) guarantee), and coverage never lowered."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import sparse

from chipao.domain import coverage_planner as cp


def _random_case(seed: int, n_demand: int = 60, n_sites: int = 12, span: float = 0.6):
    rng = np.random.default_rng(seed)
    d_lon = 100 + rng.random(n_demand) * span
    d_lat = 15 + rng.random(n_demand) * span
    s_lon = 100 + rng.random(n_sites) * span
    s_lat = 15 + rng.random(n_sites) * span
    weights = rng.integers(1, 20, n_demand)
    return d_lon, d_lat, weights, s_lon, s_lat


def _naive_greedy(matrix: np.ndarray, weights: np.ndarray, n: int) -> list[tuple[int, int]]:
    """Textbook greedy, written independently: every step rescans every site."""
    covered = np.zeros(matrix.shape[1], dtype=bool)
    chosen = []
    for _ in range(n):
        gains = [int(weights[matrix[i] & ~covered].sum()) for i in range(matrix.shape[0])]
        best = max(range(len(gains)), key=lambda i: (gains[i], -i))
        if gains[best] <= 0:
            break
        chosen.append((best, gains[best]))
        covered |= matrix[best]
    return chosen


def _covered(matrix: np.ndarray, weights: np.ndarray, sites) -> int:
    mask = np.zeros(matrix.shape[1], dtype=bool)
    for s in sites:
        mask |= matrix[s]
    return int(weights[mask].sum())


def test_coverage_matrix_equals_haversine():
    d_lon, d_lat, _, s_lon, s_lat = _random_case(1, 300, 40)
    for distance in (2_000.0, 10_000.0, 25_000.0):
        m = cp.coverage_matrix(d_lon, d_lat, s_lon, s_lat, distance).toarray()
        want = np.array([cp.great_circle_m(s_lon[i], s_lat[i], d_lon, d_lat) < distance
                         for i in range(len(s_lon))])
        assert (m == want).all()
        assert m.any() and not m.all()


def test_chord_orders_like_the_great_circle():
    arcs = np.array([0.0, 1.0, 500.0, 10_000.0, 50_000.0, 1e6])
    chords = np.array([cp.chord(a) for a in arcs])
    assert (np.diff(chords) > 0).all() and chords[0] == 0
    # a chord is shorter than its arc by ~ a³ / (24 R²): 13 cm at 50 km
    assert 50_000.0 - cp.chord(50_000.0) == pytest.approx(50_000.0 ** 3 / (24 * cp.EARTH_RADIUS_M ** 2),
                                                          rel=1e-3)


@pytest.mark.parametrize("seed", range(25))
def test_lazy_greedy_equals_plain_greedy(seed):
    d_lon, d_lat, w, s_lon, s_lat = _random_case(seed)
    matrix = cp.coverage_matrix(d_lon, d_lat, s_lon, s_lat, 12_000.0)
    result = cp.greedy_max_coverage(matrix, w, 8)
    naive = _naive_greedy(matrix.toarray(), w, 8)
    assert [(s.index, s.gain) for s in result.sites] == naive


def test_ties_go_to_the_lower_index_and_duplicates_add_nothing():
    # sites 0 and 1 cover the same demand; site 2 covers less
    matrix = sparse.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0]], dtype=bool))
    result = cp.greedy_max_coverage(matrix, [5, 5, 3, 100], 3)
    assert [(s.index, s.gain, s.cumulative) for s in result.sites] == [(0, 10, 10), (2, 3, 13)]
    assert result.demand_total == 113 and result.covered == 13  # demand 3: nobody reaches it
    assert result.covered_by_site.tolist() == [0, 0, 1, -1]


@pytest.mark.parametrize("seed", range(30))
def test_greedy_meets_its_guarantee_against_the_exhaustive_best(seed):
    d_lon, d_lat, w, s_lon, s_lat = _random_case(100 + seed, n_demand=25, n_sites=9, span=0.4)
    matrix = cp.coverage_matrix(d_lon, d_lat, s_lon, s_lat, 9_000.0)
    dense = matrix.toarray()
    for n in (1, 2, 3, 4):
        greedy = cp.greedy_max_coverage(matrix, w, n)
        best = max(_covered(dense, w, c) for c in itertools.combinations(range(9), n))
        got = _covered(dense, w, [s.index for s in greedy.sites])
        assert got == greedy.covered
        assert best >= got >= (1 - 1 / math.e) * best
        if n == 1:
            assert got == best  # one site: greedy is exact


@pytest.mark.parametrize("seed", range(10))
def test_coverage_never_goes_down(seed):
    d_lon, d_lat, w, s_lon, s_lat = _random_case(200 + seed, 200, 30, 1.0)
    matrix = cp.coverage_matrix(d_lon, d_lat, s_lon, s_lat, 15_000.0)
    result = cp.greedy_max_coverage(matrix, w, 30)
    gains = [s.gain for s in result.sites]
    cumulative = [s.cumulative for s in result.sites]
    assert all(g > 0 for g in gains) and gains == sorted(gains, reverse=True)  # submodular
    assert cumulative == list(itertools.accumulate(gains))
    assert cumulative[-1] <= result.demand_total
    # each demand point is credited to exactly one chosen site, one that reaches it
    dense = matrix.toarray()
    for j, k in enumerate(result.covered_by_site):
        if k >= 0:
            assert dense[result.sites[k].index, j]
    # asking for more sites never covers less
    fewer = cp.greedy_max_coverage(matrix, w, 5)
    assert fewer.covered <= result.covered


def test_empty_inputs_and_progress():
    empty = cp.plan_sites(np.array([]), np.array([]), np.array([], dtype=int),
                          np.array([100.0]), np.array([15.0]), 10_000.0, 5)
    assert empty.sites == [] and empty.covered == 0
    steps = []
    d_lon, d_lat, w, s_lon, s_lat = _random_case(3)
    result = cp.plan_sites(d_lon, d_lat, w, s_lon, s_lat, 12_000.0, 4,
                           progress=lambda i, n: steps.append((i, n)))
    assert steps == [(i, 4) for i in range(1, len(result.sites) + 1)]
