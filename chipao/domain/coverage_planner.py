"""Where to open the next centres: greedy maximal coverage (pure numpy/scipy, no SQL).

The classic location-allocation heuristic for the maximal covering location problem
(Church & ReVelle 1974): repeatedly open the candidate site that covers the most
still-uncovered demand. Coverage is a monotone submodular function, so greedy is
within a factor (1 − 1/e) ≈ 0.632 of the best possible choice of N sites (Nemhauser,
Wolsey & Fisher 1978), and in practice much closer.

Demand points are poor households not yet within the distance of an open centre,
aggregated to ~1 km cells (queries.centres.planner_inputs); candidate sites are tambon
populated centroids. Distances are great-circle metres on a sphere of the Earth's mean
radius, computed as straight-line (chord) distances between points on that sphere,
which order exactly like great-circle distances, so a k-d tree answers "which demand
points lie within D of this site" without projecting (within 0.5 % of the spheroid).

The greedy step is "lazy" (CELF, Leskovec et al. 2007): a site's gain can only
shrink as others open, so stale gains in a heap are upper bounds and only the top one
needs recomputing. Ties go to the lower candidate index, exactly as in plain greedy.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
Progress = Callable[[int, int], None]  # (sites chosen, sites asked for)


def to_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Points on a sphere of the Earth's mean radius, in metres (n × 3)."""
    lon_r, lat_r = np.radians(np.asarray(lon, float)), np.radians(np.asarray(lat, float))
    cos_lat = np.cos(lat_r)
    return EARTH_RADIUS_M * np.column_stack(
        (cos_lat * np.cos(lon_r), cos_lat * np.sin(lon_r), np.sin(lat_r)))


def chord(distance_m: float) -> float:
    """Straight-line length of a great-circle arc of `distance_m` metres."""
    return 2 * EARTH_RADIUS_M * np.sin(min(distance_m, np.pi * EARTH_RADIUS_M) / (2 * EARTH_RADIUS_M))


def great_circle_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Haversine distance in metres (same sphere as the planner)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def coverage_matrix(demand_lon: np.ndarray, demand_lat: np.ndarray, site_lon: np.ndarray,
                    site_lat: np.ndarray, distance_m: float) -> sparse.csr_matrix:
    """Boolean sites × demand matrix: True where the demand point lies strictly within
    `distance_m` (great circle) of the site."""
    n_sites, n_demand = len(site_lon), len(demand_lon)
    if not n_sites or not n_demand:
        return sparse.csr_matrix((n_sites, n_demand), dtype=bool)
    sites = cKDTree(to_xyz(site_lon, site_lat))
    demand = cKDTree(to_xyz(demand_lon, demand_lat))
    radius = chord(distance_m)
    pairs = sites.sparse_distance_matrix(demand, radius, output_type="ndarray")
    pairs = pairs[pairs["v"] < radius]
    return sparse.csr_matrix(
        (np.ones(len(pairs), dtype=bool), (pairs["i"], pairs["j"])),
        shape=(n_sites, n_demand))


@dataclass(frozen=True)
class ChosenSite:
    index: int  # candidate index
    gain: int  # demand newly covered by this site (given the sites before it)
    cumulative: int  # demand covered by the new sites so far


@dataclass
class PlanResult:
    sites: list[ChosenSite] = field(default_factory=list)
    demand_total: int = 0  # uncovered demand the plan started from
    covered_by_site: np.ndarray | None = None  # demand point -> position in sites, −1 none

    @property
    def covered(self) -> int:
        return self.sites[-1].cumulative if self.sites else 0


def greedy_max_coverage(matrix: sparse.csr_matrix, weights: Sequence[int] | np.ndarray,
                        n_sites: int, progress: Progress | None = None) -> PlanResult:
    """Choose up to `n_sites` rows of `matrix` (sites × demand, boolean) greedily,
    maximising the total weight of covered demand. Stops early when no site adds any
    coverage. Equal gains go to the lower index, exactly as plain greedy does."""
    w = np.asarray(weights, dtype=np.int64)
    matrix = sparse.csr_matrix(matrix, dtype=bool)
    indptr, indices = matrix.indptr, matrix.indices
    result = PlanResult(demand_total=int(w.sum()),
                        covered_by_site=np.full(len(w), -1, dtype=np.int32))
    covered = np.zeros(len(w), dtype=bool)

    def gain(i: int) -> int:
        cols = indices[indptr[i]:indptr[i + 1]]
        return int(w[cols][~covered[cols]].sum())

    initial = matrix.astype(np.int64) @ w if matrix.shape[0] else np.zeros(0, np.int64)
    heap = [(-int(g), i) for i, g in enumerate(initial) if g > 0]
    heapq.heapify(heap)
    total = 0
    while heap and len(result.sites) < n_sites:
        _, i = heapq.heappop(heap)
        g = gain(i)
        if g <= 0:
            continue
        # Every other stale gain is an upper bound of its true gain: if this fresh gain
        # still beats the best stale one (ties: lower index), it is the true maximum.
        if heap and (-g, i) > heap[0]:
            heapq.heappush(heap, (-g, i))
            continue
        cols = indices[indptr[i]:indptr[i + 1]]
        new = cols[~covered[cols]]
        covered[new] = True
        result.covered_by_site[new] = len(result.sites)
        total += g
        result.sites.append(ChosenSite(index=i, gain=g, cumulative=total))
        if progress:
            progress(len(result.sites), n_sites)
    return result


def plan_sites(demand_lon: np.ndarray, demand_lat: np.ndarray, weights: np.ndarray,
               site_lon: np.ndarray, site_lat: np.ndarray, distance_m: float, n_sites: int,
               progress: Progress | None = None) -> PlanResult:
    """Greedy maximal coverage of weighted demand points by `n_sites` of the candidate
    sites, within `distance_m`."""
    matrix = coverage_matrix(demand_lon, demand_lat, site_lon, site_lat, distance_m)
    return greedy_max_coverage(matrix, weights, n_sites, progress)
