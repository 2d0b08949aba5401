"""Small-count suppression for public viewers — primary and complementary, in one place.

A public viewer must not learn any count below the threshold (CHIPAO_SUPPRESS_BELOW,
default 5), neither as shown nor by arithmetic on what is shown. Counts of one measure
add up the area hierarchy (country = Σ provinces, province = Σ districts, district =
Σ tambons), so hiding small cells alone is not enough: a district's count minus its
visible tambons' counts gives back a hidden tambon's count exactly.

The rule, per round and per measure (each measure has its own margins):

- **primary**: a cell is hidden when 0 < count < threshold, or when its area has
  0 < households surveyed < threshold (then every count of the area is small);
- **complementary**: every margin equation `parent = Σ children` must hold either no
  hidden cell or at least two. Where exactly one is hidden, the smallest non-zero
  visible child is hidden as well (or, when there is none, the parent), and the
  affected equations are checked again, up and down the hierarchy, until none has a
  single hidden cell.

Why that suffices: each cell is in at most two equations (as a child of its parent,
as the parent of its children) and those equations form a tree; in a tree-shaped
system where every equation has 0 or ≥ 2 unknowns, no unknown is a linear
combination of the knowns (peel the tree from its leaves: every equation's
multiplier must be 0); tests/integration/test_disclosure.py checks it with linear
algebra.

Derived figures follow from their cells:

- a rate is hidden when its numerator or its denominator is (share = n / surveyed,
  H = q / surveyed, A, M0 and contributions when q or surveyed is): a visible rate with
  a visible denominator would give the numerator back;
- a change between rounds is hidden when either round's figure is;
- Alkire–Foster counts q(k) (households with score ≥ k) are a measure of their own
  for each k; their pattern is computed the same way, on demand, from the scores.

The hiding patterns of the stored count measures are computed with the aggregates
(:func:`refresh`, inside the importing transaction) into ``agg_area_suppressed``;
every reader a public viewer can reach (queries/mpi.py, queries/overview.py) asks
:func:`hidden_cells` / :func:`af_hidden` which cells to hide. The union of two safe
patterns is safe (a union of sets of size 0 or ≥ 2 has size 0 or ≥ 2), which is why
rates may hide a cell where either of their counts is hidden.

Pages a public viewer cannot open (plans, centres) still use :func:`suppress` for a
primary rule on their own numbers; RLS gives the public scope no personal rows.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from chipao.domain.scope import Scope
from chipao.settings import current

COUNTRY = "TH"


def threshold() -> int:
    return current().disclosure.suppress_below


def suppress(n: int | None, scope: Scope) -> int | None:
    """Primary rule only: None when the count must not be shown to this scope
    (1 ≤ n < threshold). For pages the public cannot open."""
    if n is None or not scope.suppress_small_counts:
        return n
    return None if 0 < n < threshold() else n


def share(n: int | None, total: int | None, scope: Scope) -> float | None:
    """n / total, or None when either count is suppressed or the total is zero."""
    n, total = suppress(n, scope), suppress(total, scope)
    if n is None or not total:
        return None
    return n / total


# ── the pattern ──────────────────────────────────────────────────────────────
def parent_of(pcode: str) -> str | None:
    """TH → None; a province (TH50) → TH; others drop their last two digits."""
    if pcode == COUNTRY:
        return None
    return COUNTRY if len(pcode) <= 4 else pcode[:-2]


def is_primary(n: float, surveyed: float, limit: int) -> bool:
    return (0 < n < limit) or (0 < surveyed < limit)


def complementary(counts: Mapping[str, float], primary: Iterable[str]) -> set[str]:
    """Every cell to hide for one measure: `primary` plus complementary cells, so that
    no margin equation parent = Σ children holds exactly one hidden cell.

    `counts` holds the measure for every area of every level, the country ('TH')
    included; areas missing from it count as 0 (no households)."""
    primary = set(primary)
    codes, area_parent, area_level = areas_of(set(counts) | primary)
    hidden = complementary_arrays(
        np.zeros(len(codes), dtype=np.int64), np.arange(len(codes)),
        np.array([float(counts.get(p, 0)) for p in codes]),
        np.array([p in primary for p in codes], dtype=bool), area_parent, area_level)
    return {p for p, h in zip(codes, hidden.tolist(), strict=True) if h}


def areas_of(pcodes: Iterable[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Sorted distinct P-codes with their parent's position (−1: none) and level."""
    codes = sorted(set(pcodes))
    at = {p: i for i, p in enumerate(codes)}
    parent = np.array([at.get(parent_of(p), -1) if p != COUNTRY else -1 for p in codes],
                      dtype=np.int64)
    level = np.array([0 if p == COUNTRY else (len(p) - 2) // 2 for p in codes], dtype=np.int64)
    return codes, parent, level


def complementary_arrays(group: np.ndarray, area: np.ndarray, counts: np.ndarray,
                         primary: np.ndarray, area_parent: np.ndarray,
                         area_level: np.ndarray) -> np.ndarray:
    """The rule of :func:`complementary`, set-based over many measures at once.

    One row per cell: `group` (0…G−1: a round and measure), `area` (the cell's position
    in the sorted P-codes of :func:`areas_of`, whose `area_parent` and `area_level`
    describe the hierarchy), `counts` and `primary` (bool). Returns the hidden mask.

    Equations of one level (a parent and its children) share no cell, so all of them
    are settled together — the one-at-a-time rule in a particular order: sweep the
    levels from the tambons up and back down until no equation holds exactly one hidden
    cell. Every step is an array operation; no loop runs per cell."""
    n = len(area)
    hidden = primary.astype(bool).copy()
    if n == 0:
        return hidden
    groups, areas = int(group.max()) + 1, len(area_parent)
    row_of = np.full(groups * areas, -1, dtype=np.int64)  # (group, area) → row
    row_of[group * areas + area] = np.arange(n)
    up = area_parent[area]
    parent = np.where(up >= 0, row_of[group * areas + np.maximum(up, 0)], -1)
    parent[up < 0] = -1  # (−1 also where the parent is not stored: a zero nobody shows)
    # children ordered smallest first (count, then P-code: areas are sorted by P-code)
    order = np.lexsort((area, counts))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    big = np.int64(n + 1)
    level = area_level[area]
    levels = list(range(int(level.max()), 0, -1))
    kids_at = {lv: np.flatnonzero((level == lv) & (parent >= 0)) for lv in levels}
    sweep = levels + levels[::-1][1:]
    while True:
        changed = False
        for lv in sweep:
            kids = kids_at[lv]
            if kids.size == 0:
                continue
            eq, slot = np.unique(parent[kids], return_inverse=True)  # one per parent
            unknown = np.bincount(slot, weights=hidden[kids], minlength=eq.size) + hidden[eq]
            single = unknown == 1
            if not single.any():
                continue
            in_single = single[slot]
            # the smallest non-zero visible child of each such equation …
            ok = in_single & ~hidden[kids] & (counts[kids] > 0)
            best = np.full(eq.size, big)
            np.minimum.at(best, slot[ok], rank[kids[ok]])
            # … else the parent, when visible; else the smallest visible child
            use_parent = single & (best == big) & ~hidden[eq]
            rest = single & (best == big) & hidden[eq]
            if rest.any():
                ok0 = rest[slot] & ~hidden[kids]
                np.minimum.at(best, slot[ok0], rank[kids[ok0]])
            hidden[order[best[single & ~use_parent & (best < big)]]] = True
            hidden[eq[use_parent]] = True
            changed = True
        if not changed:
            return hidden


def rollup(tambon_counts: Mapping[str, float]) -> dict[str, float]:
    """Tambon counts summed to districts, provinces and the country."""
    out: dict[str, float] = defaultdict(float)
    for pcode, n in tambon_counts.items():
        p: str | None = pcode
        while p is not None:
            out[p] += n
            p = parent_of(p)
    return dict(out)


def pattern(counts: Mapping[str, float], surveyed: Mapping[str, float],
            limit: int | None = None) -> set[str]:
    """Primary + complementary cells of one measure (all levels)."""
    limit = threshold() if limit is None else limit
    primary = [p for p, n in counts.items() if is_primary(n, surveyed.get(p, 0), limit)]
    return complementary(counts, primary)


# ── stored patterns of the count measures (rebuilt with the aggregates) ──────
_LEVEL = "(length(pcode) - 2) / 2"


def refresh(conn: Connection) -> None:
    """Recompute agg_area_suppressed from agg_area_count (owner role, inside the
    importing transaction, after the counts)."""
    limit = threshold()
    conn.execute(text("DELETE FROM agg_area_suppressed"))
    rows = conn.execute(text(
        "SELECT round_id, measure, pcode, households FROM agg_area_count")).all()
    if not rows:
        return
    frame = pd.DataFrame(dict(zip(("round_id", "measure", "pcode", "n"),  # by column: fast
                                  (list(c) for c in zip(*rows, strict=True)), strict=True)))
    group = pd.factorize(pd.MultiIndex.from_frame(frame[["round_id", "measure"]]))[0]
    area, codes = pd.factorize(frame["pcode"], sort=True)  # P-code order (ASCII)
    _, area_parent, area_level = areas_of(codes.tolist())
    counts = frame["n"].to_numpy(dtype=np.float64)
    surveyed = frame.loc[frame["measure"] == "surveyed", ["round_id", "pcode", "n"]]
    base = frame[["round_id", "pcode"]].merge(surveyed, how="left", on=["round_id", "pcode"])
    base = base["n"].fillna(0).to_numpy(dtype=np.float64)
    primary = ((counts > 0) & (counts < limit)) | ((base > 0) & (base < limit))
    hidden = complementary_arrays(group.astype(np.int64), area.astype(np.int64), counts,
                                  primary, area_parent, area_level)
    out = frame.loc[hidden, ["round_id", "measure", "pcode"]].assign(
        level=area_level[area[hidden]], is_primary=primary[hidden])
    # COPY: a national import hides ~10^5–10^6 cells (faster than one huge INSERT)
    cursor = conn.connection.dbapi_connection.cursor()
    with cursor.copy("COPY agg_area_suppressed (round_id, level, measure, pcode, is_primary) "
                     "FROM STDIN") as copy:
        for row in out[["round_id", "level", "measure", "pcode", "is_primary"]].itertuples(
                index=False, name=None):
            copy.write_row(row)


_VERSION = text("SELECT xmin::text FROM agg_area_count WHERE round_id = :r AND level = 0 "
                "AND measure = 'surveyed' AND pcode = 'TH'")
_cache: dict[tuple, object] = {}
_lock = threading.Lock()
_CACHE_MAX = 64


def _cached(key: tuple, build):
    with _lock:
        if key in _cache:
            return _cache[key]
    value = build()
    with _lock:
        if len(_cache) >= _CACHE_MAX:
            _cache.pop(next(iter(_cache)))
        _cache[key] = value
    return value


def _version_key(conn: Connection, round_id: int) -> tuple:
    return (conn.engine.url.render_as_string(hide_password=True), round_id,
            conn.execute(_VERSION, {"r": round_id}).scalar())


def hidden_cells(conn: Connection, scope: Scope, round_id: int | None
                 ) -> Mapping[str, frozenset[str]]:
    """{measure: P-codes hidden from this scope} for one round (empty for scopes that
    see every count). Cached per process until the aggregates change."""
    if round_id is None or not scope.suppress_small_counts:
        return {}

    def build() -> dict[str, frozenset[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for measure, pcode in conn.execute(text(
                "SELECT measure, pcode FROM agg_area_suppressed WHERE round_id = :r"),
                {"r": round_id}):
            out[measure].add(pcode)
        return {m: frozenset(p) for m, p in out.items()}

    return _cached(("cells", *_version_key(conn, round_id)), build)


def is_hidden(cells: Mapping[str, frozenset[str]], measure: str, pcode: str) -> bool:
    return pcode in cells.get(measure, ())


def visible(n: int | None, cells: Mapping[str, frozenset[str]], measure: str,
            pcode: str) -> int | None:
    """The count, or None when hidden from the viewer."""
    return None if n is None or is_hidden(cells, measure, pcode) else n


def rate(n: float | None, total: float | None, cells: Mapping[str, frozenset[str]],
         measure: str, pcode: str, total_measure: str = "surveyed") -> float | None:
    """n / total, or None when either count is hidden or the total is zero."""
    if n is None or not total or is_hidden(cells, measure, pcode) or \
            is_hidden(cells, total_measure, pcode):
        return None
    return n / total


def mask(cells: Mapping[str, frozenset[str]], measures: Iterable[str],
         pcodes: list[str]) -> np.ndarray:
    """Boolean array over `pcodes`: hidden in any of `measures`."""
    hidden = set().union(*(cells.get(m, frozenset()) for m in measures))
    return np.fromiter((p in hidden for p in pcodes), dtype=bool, count=len(pcodes))


# ── Alkire–Foster counts for a cut-off k (computed on demand) ────────────────
def af_hidden(conn: Connection, scope: Scope, round_id: int | None, k_key: float,
              tambon_q: Mapping[str, float] | None = None) -> frozenset[str]:
    """Areas (all levels) whose Alkire–Foster figures at cut-off k are hidden from this
    scope: the pattern of q(k) = households with score ≥ k, united with that of the
    households surveyed. `k_key` identifies the cut-off (the lowest stored score ≥ k);
    `tambon_q` gives q per tambon (computed by the caller from the national scores)."""
    if round_id is None or not scope.suppress_small_counts:
        return frozenset()

    def build() -> frozenset[str]:
        assert tambon_q is not None, "the first call for a cut-off needs the tambon counts"
        surveyed_t = dict(conn.execute(text(
            "SELECT pcode, households FROM agg_area_count WHERE round_id = :r AND level = 3 "
            "AND measure = 'surveyed'"), {"r": round_id}).all())
        surveyed = rollup(surveyed_t)
        q = rollup({p: tambon_q.get(p, 0) for p in surveyed_t})
        cells = hidden_cells(conn, scope, round_id)
        return frozenset(pattern(q, surveyed) | cells.get("surveyed", frozenset()))

    return _cached(("af", *_version_key(conn, round_id), round(k_key, 9)), build)


def clear_cache() -> None:
    with _lock:
        _cache.clear()
