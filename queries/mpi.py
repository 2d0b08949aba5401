"""Figures for the poverty map: per-area values for a level, the Alkire–Foster
measures for any cut-off k, rankings, change between rounds, the selected area's
profile and the bounds to zoom to.

Everything comes from the aggregate tables (agg_area_count, agg_area_score), never
from household rows, so a national tambon map costs the same with 4 million
households as with 4 thousand. Definitions: docs/measures.md.

Alkire–Foster from agg_area_score (households per area and deprivation score c, with
the number failing each indicator): for a cut-off k, q = Σ households with c ≥ k,
H = q / n, A = Σ c·households / q over c ≥ k, M0 = H·A, and the censored headcount
of indicator j is Σ ind_fail[j] over c ≥ k, so the contribution of a set S of
indicators is Σ_{j∈S} w_j·censored_j / Σ c·households.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, text

from chipao.domain.rates import min_households, too_few, too_few_mask
from chipao.domain.scope import Scope
from queries import suppression as sdc
from queries.catalogue import Catalogue, Indicator, load_catalogue  # noqa: F401 (pages call mpi.load_catalogue)

# Scores are stored as 4-byte floats (7 significant digits): a household whose score
# equals k exactly must count as poor, so k is lowered by this tolerance. Scores are
# sums of catalogue weights, far coarser than this (1/60 apart with the default
# catalogue), so no other household is affected. The stored score only identifies
# the poor: every figure (A, M0, contributions) sums the catalogue's weights over the
# exact censored counts instead (Σ c over the poor = Σ_j w_j · censored_j), so the map
# and the side panel agree with the exact value to 1e-12 (not to the 8th digit).
K_TOLERANCE = 1e-6
COUNT_MEASURES = frozenset({"count", "share", "target_poor"})
AF_MEASURES = frozenset({"H", "A", "M0", "contribution"})
RATES = frozenset({"share", "H", "A", "M0", "contribution"})


def count_measure_name(subject: str, measure: str) -> str:
    """The agg_area_count measure behind a count/share/target-poor figure."""
    if measure == "target_poor":
        return "target_poor"
    return "poor" if subject == "overall" else subject  # 'dim:<code>' / 'ind:<code>'


# ── raw aggregates for the areas of one level ────────────────────────────────
# The subtree of a parent is a P-code range (P-codes are their children's prefixes,
# followed by digits only, so the range holds under any collation), which the primary
# keys can scan; starts_with() could not use them.
_IN_PARENT = "pcode BETWEEN :lo AND :hi"

_AREAS = text("""
    SELECT coalesce(array_agg(a.pcode ORDER BY a.pcode), '{}'),
           coalesce(array_agg(a.name_th ORDER BY a.pcode), '{}'),
           coalesce(array_agg(a.name_en ORDER BY a.pcode), '{}'),
           coalesce(array_agg(coalesce(p.name_th, '') ORDER BY a.pcode), '{}'),
           coalesce(array_agg(coalesce(p.name_en, '') ORDER BY a.pcode), '{}')
    FROM area a LEFT JOIN area p ON p.pcode = a.parent_pcode
    WHERE a.level = :level AND a.pcode BETWEEN :lo AND :hi
""")

# Every measure of one round, level and subtree, one row per measure with arrays: the
# 7,425 tambons arrive as arrays, not as 330,000 rows (row-by-row fetching cost more
# than the query).
_COUNTS = text(f"""
    SELECT measure, array_agg(pcode ORDER BY pcode) AS pcodes,
           array_agg(households ORDER BY pcode) AS households
    FROM agg_area_count
    WHERE round_id = :round AND level = :level AND measure = ANY(:measures)
      AND {_IN_PARENT}
    GROUP BY measure
""")  # noqa: S608 - fixed fragment


def count_measures(catalogue: Catalogue) -> list[str]:
    """Every agg_area_count measure the map and panel read. Naming them lets the primary
    key (round, level, measure, pcode) seek each measure's P-code range directly."""
    return ["surveyed", "poor", "target_poor", "welfare_card", "left_poverty", "new_poor",
            "people", "poor_people", "target_poor_people",
            *[f"dim:{d.code}" for d in catalogue.dimensions],
            *[f"{p}:{i.code}" for i in catalogue.indicators for p in ("ind", "na")]]


_SCORES = text(f"""
    SELECT coalesce(array_agg(pcode ORDER BY pcode, score), '{{}}'),
           coalesce(array_agg(score ORDER BY pcode, score), '{{}}'),
           coalesce(array_agg(households ORDER BY pcode, score), '{{}}'),
           coalesce(string_agg(array_to_string(ind_fail, ','), ',' ORDER BY pcode, score), '')
    FROM agg_area_score
    WHERE round_id = :round AND level = :level AND {_IN_PARENT}
""")  # noqa: S608 - fixed fragment

# Every rebuild re-inserts the aggregate rows, so the transaction id that wrote the
# country's row identifies the data a cached copy was read from.
_VERSIONS = text("""
    SELECT (SELECT xmin::text FROM agg_area_count
            WHERE round_id = :round AND level = 0 AND measure = 'surveyed' AND pcode = 'TH'),
           (SELECT xmin::text FROM agg_area_score
            WHERE round_id = :round AND level = 0 AND pcode = 'TH' ORDER BY score LIMIT 1)
""")


def subtree(parent: str | None) -> dict[str, str]:
    """Bound parameters lo/hi selecting the P-codes inside `parent` (None: all)."""
    base = parent or "TH"
    return {"lo": base, "hi": base + "9" * 8}


@dataclass(frozen=True)
class Raw:
    """The stored numbers behind one area's figure in one round."""

    surveyed: int | None = None
    n: float | None = None  # households counted, or (AF) poor households
    intensity_sum: float | None = None  # AF: Σ c over the poor
    subject_sum: float | None = None  # AF: Σ w_j·censored_j over the subject's indicators


# Boundary imports insert or update area rows: their count and newest writer change.
# bumped by a trigger on every write to area (migration 0012)
_AREA_VERSION = text("SELECT version::text FROM data_version WHERE kind = 'boundaries'")


@dataclass(frozen=True)
class AreaList:
    areas: list[dict]

    @property
    def nbytes(self) -> int:
        return 200 * len(self.areas)


def area_list(conn: Connection, level: int, parent: str | None) -> list[dict]:
    """The areas drawn on a map of `level` inside `parent`, ordered by P-code:
    [{pcode, name_th, name_en, parent_th, parent_en}] (cached until the boundaries
    change)."""
    key = _key(conn, "areas", level, parent, conn.execute(_AREA_VERSION).scalar())
    cached = table_cache.get(key)
    if cached is None:
        columns = conn.execute(_AREAS, {"level": level, **subtree(parent)}).one()
        cached = AreaList([{"pcode": p, "name_th": a, "name_en": b, "parent_th": c,
                            "parent_en": d} for p, a, b, c, d in zip(*columns, strict=True)])
        table_cache.put(key, cached)
    return cached.areas


@dataclass(frozen=True)
class CountTable:
    """agg_area_count of one round, level and subtree: areas × measures (−1: no row)."""

    pcodes: tuple[str, ...]
    measures: dict[str, int]  # measure -> column
    counts: np.ndarray  # int64, areas × measures

    def column(self, measure: str) -> np.ndarray:
        col = self.measures.get(measure)
        return self.counts[:, col] if col is not None else np.full(len(self.pcodes), -1)

    @property
    def nbytes(self) -> int:
        return self.counts.nbytes + 16 * len(self.pcodes)


@dataclass(frozen=True)
class ScoreTable:
    """agg_area_score rows of one round, level and subtree, as arrays: enough to
    compute every Alkire–Foster figure for any k and subject without SQL."""

    pcodes: tuple[str, ...]  # distinct areas, sorted
    area: np.ndarray  # row -> index into pcodes
    score: np.ndarray  # float64
    households: np.ndarray  # int64
    ind_fail: np.ndarray  # rows × bits, int64

    @property
    def nbytes(self) -> int:
        return self.area.nbytes + self.score.nbytes + self.households.nbytes + \
            self.ind_fail.nbytes


class _TableCache:
    """Aggregate tables kept per process, keyed by database, table, round, level,
    subtree and data version; least recently used dropped beyond a memory budget.
    Aggregates hold no personal data and no row-level security applies to them, so one
    copy serves every user (suppression is applied per user afterwards)."""

    def __init__(self, budget_bytes: int = 96 * 1024 * 1024):
        self.budget = budget_bytes
        self._items: OrderedDict[tuple, ScoreTable | CountTable | AreaList] = OrderedDict()
        self._lock = threading.Lock()
        # the shared level (Redis, through chipao.web.cache.SharedTables) when configured:
        # keys carry the database and the data version, so any worker may reuse them
        self.shared = None

    def get(self, key: tuple) -> ScoreTable | CountTable | AreaList | None:
        with self._lock:
            table = self._items.get(key)
            if table is not None:
                self._items.move_to_end(key)
                return table
        if self.shared is not None:  # another worker may have read it already
            table = self.shared.get(key)
            if table is not None:
                self._put_local(key, table)
        return table

    def put(self, key: tuple, table: ScoreTable | CountTable | AreaList) -> None:
        self._put_local(key, table)
        if self.shared is not None:
            self.shared.put(key, table)

    def _put_local(self, key: tuple, table: ScoreTable | CountTable | AreaList) -> None:
        with self._lock:
            self._items[key] = table
            self._items.move_to_end(key)
            while len(self._items) > 1 and sum(t.nbytes for t in self._items.values()) > \
                    self.budget:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


table_cache = _TableCache()


def _read_scores(conn: Connection, round_id: int, level: int, parent: str | None,
                 n_bits: int) -> ScoreTable:
    pcodes, scores, households, fails = conn.execute(
        _SCORES, {"round": round_id, "level": level, **subtree(parent)}).one()
    distinct, area = np.unique(np.asarray(pcodes, dtype=object).astype(str),
                               return_inverse=True)
    n = len(pcodes)
    ind_fail = (np.array(fails.split(","), dtype=np.int64).reshape(n, n_bits) if n
                else np.zeros((0, n_bits), dtype=np.int64))
    return ScoreTable(pcodes=tuple(distinct.tolist()), area=area.astype(np.int64),
                      score=np.asarray(scores, dtype=np.float64),
                      households=np.asarray(households, dtype=np.int64), ind_fail=ind_fail)


def _versions(conn: Connection, round_id: int) -> tuple[str | None, str | None]:
    return tuple(conn.execute(_VERSIONS, {"round": round_id}).one())


def _key(conn: Connection, *parts) -> tuple:
    return (conn.engine.url.render_as_string(hide_password=True), *parts)


def score_table(conn: Connection, round_id: int, level: int, parent: str | None,
                n_bits: int) -> ScoreTable:
    """The (cached) score rows of one round for the areas of `level` inside `parent`."""
    key = _key(conn, "score", round_id, level, parent, _versions(conn, round_id)[1], n_bits)
    table = table_cache.get(key)
    if table is None:
        table = _read_scores(conn, round_id, level, parent, n_bits)
        table_cache.put(key, table)
    return table


def count_table(conn: Connection, round_id: int, level: int, parent: str | None,
                measures: list[str]) -> CountTable:
    """The (cached) household counts of `measures` (count_measures()) of one round for
    the areas of `level` inside `parent`: a subject switch then costs no query."""
    key = _key(conn, "count", round_id, level, parent, _versions(conn, round_id)[0],
               tuple(measures))
    table = table_cache.get(key)
    if table is None:
        rows = conn.execute(_COUNTS, {"round": round_id, "level": level, "measures": measures,
                                      **subtree(parent)}).all()
        pcodes = tuple(sorted({p for r in rows for p in r.pcodes}))
        index = {p: i for i, p in enumerate(pcodes)}
        counts = np.full((len(pcodes), len(rows)), -1, dtype=np.int64)
        for col, r in enumerate(rows):
            if len(r.pcodes) == len(pcodes):  # the usual case: every area has every measure
                counts[:, col] = r.households
            else:
                counts[[index[p] for p in r.pcodes], col] = r.households
        table = CountTable(pcodes, {r.measure: col for col, r in enumerate(rows)}, counts)
        table_cache.put(key, table)
    return table


# ── figures ──────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class RoundArrays:
    """Stored numbers of one round per area, aligned with an area list (NaN: none)."""

    surveyed: np.ndarray
    n: np.ndarray  # households counted, or (Alkire–Foster) poor households
    intensity: np.ndarray  # AF: Σ c over the poor
    subject: np.ndarray  # AF: Σ w_j·censored_j over the subject's indicators


def figures(measure: str, r: RoundArrays, hidden: np.ndarray | None = None) -> np.ndarray:
    """Each area's figure (NaN: no households, undefined, or `hidden` from the viewer —
    queries.suppression decides which cells a public viewer may not see)."""
    s, n = r.surveyed, r.n
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure in ("count", "target_poor"):
            v = n.astype(float)
        elif measure in ("share", "H"):
            v = n / s
        elif measure == "M0":
            v = r.intensity / s
        elif measure == "A":  # undefined without poor households
            v = np.where(n > 0, r.intensity / n, np.nan)
        elif measure == "contribution":
            v = np.where((n > 0) & (r.intensity > 0), r.subject / r.intensity, np.nan)
        else:
            raise ValueError(f"unknown measure {measure!r}")
    v = np.where(s > 0, v, np.nan)
    if hidden is not None:
        v = np.where(hidden, np.nan, v)
    return v


def figure_value(measure: str, raw: Raw | None, hidden: bool = False) -> float | None:
    """One area's figure from its stored numbers, by the same rules as the map."""
    if raw is None or raw.surveyed is None or hidden:
        return None
    arrays = RoundArrays(np.array([raw.surveyed], dtype=float),
                         np.array([np.nan if raw.n is None else raw.n], dtype=float),
                         np.array([raw.intensity_sum or 0.0]), np.array([raw.subject_sum or 0.0]))
    v = figures(measure, arrays)[0]
    return None if np.isnan(v) else float(v)


def _n_bits(catalogue: Catalogue) -> int:
    return max((i.bit for i in catalogue.indicators), default=-1) + 1


def af_hidden(conn: Connection, scope: Scope, catalogue: Catalogue, round_id: int,
              k: float) -> frozenset[str]:
    """Areas whose Alkire–Foster figures at cut-off k a public viewer may not see (the
    complementary pattern of q(k), from the national tambon scores)."""
    if not scope.suppress_small_counts:
        return frozenset()
    t = score_table(conn, round_id, 3, None, _n_bits(catalogue))
    poor = t.score >= k - K_TOLERANCE
    k_key = float(t.score[poor].min()) if poor.any() else float("inf")
    q = np.bincount(t.area, weights=np.where(poor, t.households, 0), minlength=len(t.pcodes))
    return sdc.af_hidden(conn, scope, round_id, k_key, dict(zip(t.pcodes, q.tolist(),
                                                                strict=True)))


def hidden_mask(conn: Connection, scope: Scope, catalogue: Catalogue, pcodes: list[str],
                round_id: int, subject: str, measure: str, k: float) -> np.ndarray | None:
    """Which of `pcodes` a public viewer may not see for this figure (None: all visible).
    A rate hides where its numerator or its denominator is hidden."""
    if not scope.suppress_small_counts:
        return None
    if measure in AF_MEASURES:
        hidden = af_hidden(conn, scope, catalogue, round_id, k)
        return np.fromiter((p in hidden for p in pcodes), dtype=bool, count=len(pcodes))
    cells = sdc.hidden_cells(conn, scope, round_id)
    name = count_measure_name(subject, measure)
    return sdc.mask(cells, [name, "surveyed"] if measure in RATES else [name], pcodes)


def _align(table_pcodes: tuple[str, ...], pcodes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Row of each of `pcodes` in a sorted table, and whether it is there."""
    if not table_pcodes or not pcodes:
        return np.zeros(len(pcodes), dtype=np.int64), np.zeros(len(pcodes), dtype=bool)
    tp, ap = np.array(table_pcodes, dtype=str), np.array(pcodes, dtype=str)
    pos = np.minimum(np.searchsorted(tp, ap), len(tp) - 1)
    return pos, tp[pos] == ap


def _pick(column: np.ndarray, pos: np.ndarray, ok: np.ndarray) -> np.ndarray:
    values = np.where(ok, column[pos], -1).astype(float) if len(column) else \
        np.full(len(pos), -1.0)
    return np.where(values < 0, np.nan, values)


def weight_vector(catalogue: Catalogue, n_bits: int) -> np.ndarray:
    """The catalogue weight of each indicator bit (0 for unused bits)."""
    w = np.zeros(n_bits)
    for ind in catalogue.indicators:
        w[ind.bit] = ind.weight
    return w


def round_arrays(conn: Connection, catalogue: Catalogue, pcodes: list[str], round_id: int,
                 level: int, parent: str | None, subject: str, measure: str,
                 k: float) -> RoundArrays:
    """The stored numbers behind `measure` for the areas `pcodes` in one round."""
    if measure in COUNT_MEASURES:
        t = count_table(conn, round_id, level, parent, count_measures(catalogue))
        pos, ok = _align(t.pcodes, pcodes)
        zeros = np.zeros(len(pcodes))
        return RoundArrays(_pick(t.column("surveyed"), pos, ok),
                           _pick(t.column(count_measure_name(subject, measure)), pos, ok),
                           zeros, zeros)
    if measure not in AF_MEASURES:
        raise ValueError(f"unknown measure {measure!r}")
    n_bits = max((i.bit for i in catalogue.indicators), default=-1) + 1
    t = score_table(conn, round_id, level, parent, n_bits)
    size = len(t.pcodes)
    poor = t.score >= k - K_TOLERANCE
    hh_poor = np.where(poor, t.households, 0)
    weighted = np.zeros(len(t.score))
    if measure == "contribution":
        for ind in catalogue.indicators_of(subject):
            weighted += ind.weight * t.ind_fail[:, ind.bit]
    # Σ c of each score row's households, exactly: Σ_j w_j · (households failing j)
    c_sum = t.ind_fail.astype(np.float64) @ weight_vector(catalogue, n_bits)
    per_area = [np.bincount(t.area, weights=w, minlength=size) for w in
                (t.households, hh_poor, np.where(poor, c_sum, 0.0),
                 np.where(poor, weighted, 0.0))]
    pos, ok = _align(t.pcodes, pcodes)
    return RoundArrays(*(_pick(a, pos, ok) for a in per_area))


@dataclass
class AreaFigure:
    pcode: str
    name_th: str
    name_en: str
    value: float | None  # the figure, or its change when comparing rounds
    surveyed: int | None
    insufficient: bool  # too few households surveyed for a stable rate
    rank: int | None = None  # 1 = highest value among the ranked peers
    suppressed: bool = False  # withheld from a public viewer (a small count), not missing
    current: float | None = None  # when comparing: the figure in each round
    before: float | None = None
    parent_th: str = ""  # the district of a tambon, the province of a district
    parent_en: str = ""


@dataclass
class MapValues:
    areas: list[AreaFigure]
    ranked: int  # number of areas with a rank
    measure: str
    compare: bool
    min_households: int


def competition_ranks(values: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Rank 1 for the highest eligible value, ties sharing the best rank (1, 2, 2, 4);
    0 for the areas not ranked."""
    ranks = np.zeros(len(values), dtype=np.int64)
    vals = values[eligible]
    ranks[eligible] = np.searchsorted(np.sort(-vals), -vals, side="left") + 1
    return ranks


def _none(a: np.ndarray) -> list:
    return [None if x != x else x for x in a.tolist()]  # NaN is the one value != itself


def map_values(conn: Connection, scope: Scope, catalogue: Catalogue, *, round_id: int,
               level: int, parent: str | None, subject: str, measure: str,
               k: float = 1 / 3, compare_round_id: int | None = None) -> MapValues:
    """The figure of every area drawn (level inside parent), with ranks among them.

    With `compare_round_id` the value is the change: figure(round) − figure(compare).
    Rates of areas with fewer than CHIPAO_MIN_HOUSEHOLDS surveyed households (in
    either round) are marked insufficient and not ranked. Vectorised: a national
    tambon map is 7,425 areas."""
    areas = area_list(conn, level, parent)
    pcodes = [a["pcode"] for a in areas]
    public = scope.suppress_small_counts
    min_n = min_households()
    rate = measure in RATES
    now_raw = round_arrays(conn, catalogue, pcodes, round_id, level, parent, subject,
                           measure, k)
    now_hidden = hidden_mask(conn, scope, catalogue, pcodes, round_id, subject, measure, k)
    now = figures(measure, now_raw, now_hidden)
    # withheld from a public viewer (small or complementary cells): shown as such, not
    # as missing data
    withheld = np.zeros(len(pcodes), dtype=bool) if now_hidden is None else \
        np.asarray(now_hidden, dtype=bool)
    few = rate & too_few_mask(now_raw.surveyed, min_n)
    value, before = now, None
    if compare_round_id is not None:
        then_raw = round_arrays(conn, catalogue, pcodes, compare_round_id, level, parent,
                                subject, measure, k)
        then_hidden = hidden_mask(conn, scope, catalogue, pcodes, compare_round_id, subject,
                                  measure, k)
        before = figures(measure, then_raw, then_hidden)
        if then_hidden is not None:
            withheld = withheld | np.asarray(then_hidden, dtype=bool)
        few = few | (rate & too_few_mask(then_raw.surveyed, min_n))
        value = now - before
    ranks = competition_ranks(value, ~np.isnan(value) & ~few)
    surveyed = now_raw.surveyed
    if public:
        surveyed = np.where(sdc.mask(sdc.hidden_cells(conn, scope, round_id), ["surveyed"],
                                     pcodes), np.nan, surveyed)
    out = [AreaFigure(a["pcode"], a["name_th"], a["name_en"], v,
                      None if s is None else int(s), bool(f), r or None, suppressed=bool(h),
                      parent_th=a["parent_th"], parent_en=a["parent_en"])
           for a, v, s, f, r, h in zip(areas, _none(value), _none(surveyed), few.tolist(),
                                       ranks.tolist(), withheld.tolist(), strict=True)]
    if before is not None:
        for fig, c, b in zip(out, _none(now), _none(before), strict=True):
            fig.current, fig.before = c, b
    return MapValues(out, int((ranks > 0).sum()), measure, compare_round_id is not None, min_n)


# ── the selected area's profile ──────────────────────────────────────────────
def _profile_af_sql(n_bits: int) -> str:
    censored = ", ".join(
        f"coalesce(sum(ind_fail[{b + 1}]) FILTER (WHERE score >= :k), 0) AS c{b}"
        for b in range(n_bits))
    return f"""
        SELECT round_id, sum(households) AS surveyed,
               coalesce(sum(households) FILTER (WHERE score >= :k), 0) AS poor
               {', ' + censored if censored else ''}
        FROM agg_area_score
        WHERE round_id = ANY(:rounds) AND level = :level AND pcode = :pcode
        GROUP BY round_id
    """  # noqa: S608 - generated from integer positions only


def area_name(conn: Connection, pcode: str) -> dict | None:
    """{pcode, level, name_th, name_en}; 'TH' is the country (level 0)."""
    if pcode == "TH":
        return {"pcode": "TH", "level": 0, "name_th": "ประเทศไทย", "name_en": "Thailand"}
    row = conn.execute(text("SELECT pcode, level, name_th, name_en FROM area WHERE pcode = :p"),
                       {"p": pcode}).first()
    return dict(row._mapping) if row else None


def area_profile(conn: Connection, scope: Scope, catalogue: Catalogue, pcode: str, *,
                 round_id: int, previous_round_id: int | None, k: float = 1 / 3) -> dict | None:
    """Everything the side panel shows for one area ('TH': the country) in one round,
    with the previous round for change: households surveyed, poor (TPMAP rule),
    target poor, the members of those households (people), Alkire–Foster H/A/M0 at k,
    and per dimension and indicator the
    deprived households, their share and the contribution to M0.
    None for an unknown area."""
    info = area_name(conn, pcode)
    if info is None:
        return None
    level = info["level"]
    rounds = [round_id] + ([previous_round_id] if previous_round_id is not None else [])
    counts: dict[int, dict[str, int]] = {r: {} for r in rounds}
    # naming the measures lets the primary key (round, level, measure, pcode) find
    # the area's rows directly
    measures = count_measures(catalogue)
    for r in conn.execute(text(
            "SELECT round_id, measure, households FROM agg_area_count "
            "WHERE round_id = ANY(:rounds) AND level = :level AND measure = ANY(:measures) "
            "AND pcode = :pcode"),
            {"rounds": rounds, "level": level, "measures": measures, "pcode": pcode}):
        counts[r.round_id][r.measure] = r.households
    n_bits = max((i.bit for i in catalogue.indicators), default=-1) + 1
    af = {}
    for r in conn.execute(text(_profile_af_sql(n_bits)),
                          {"rounds": rounds, "level": level, "pcode": pcode,
                           "k": k - K_TOLERANCE}):
        row = dict(r._mapping)  # Σ c over the poor from the exact censored counts
        row["intensity_sum"] = sum(i.weight * row[f"c{i.bit}"] for i in catalogue.indicators)
        af[r.round_id] = row

    cells = {r: sdc.hidden_cells(conn, scope, r) for r in rounds}
    af_hide = {r: pcode in af_hidden(conn, scope, catalogue, r, k) for r in rounds}

    def af_figures(rid: int | None) -> dict:
        row = af.get(rid) if rid is not None else None
        if row is None:
            return {"H": None, "A": None, "M0": None, "poor": None}
        raw = Raw(row["surveyed"], row["poor"], row["intensity_sum"], 0.0)
        hide = af_hide[rid]
        return {m: figure_value(m, raw, hide) for m in ("H", "A", "M0")} | {
            "poor": None if hide else int(row["poor"])}

    def contribution(rid: int, inds: tuple[Indicator, ...]) -> float | None:
        row = af.get(rid)
        if row is None or not row["intensity_sum"] or af_hide[rid]:
            return None
        return sum(i.weight * row[f"c{i.bit}"] for i in inds) / row["intensity_sum"]

    now, before = counts[round_id], counts.get(previous_round_id, {}) if previous_round_id else {}
    prev = previous_round_id

    def count(measure: str, rid: int | None = round_id) -> int | None:
        if rid is None or rid not in counts:
            return None
        return sdc.visible(counts[rid].get(measure), cells[rid], measure, pcode)

    def rate(measure: str, rid: int | None = round_id) -> float | None:
        if rid is None or rid not in counts:
            return None
        c = counts[rid]
        return sdc.rate(c.get(measure), c.get("surveyed"), cells[rid], measure, pcode)

    def deprived(measure: str) -> dict:
        return {
            "deprived": count(measure),
            "share": rate(measure),
            "share_before": rate(measure, prev) if before else None,
        }

    dims = [{"code": d.code, "name_th": d.name_th, "name_en": d.name_en,
             **deprived(f"dim:{d.code}"),
             "contribution": contribution(round_id, catalogue.indicators_of(f"dim:{d.code}"))}
            for d in catalogue.dimensions]
    inds = [{"code": i.code, "dimension": i.dimension, "text_th": i.text_th,
             "text_en": i.text_en, **deprived(f"ind:{i.code}"),
             "not_applicable": count(f"na:{i.code}"),
             "contribution": contribution(round_id, (i,))}
            for i in catalogue.indicators]
    return {
        **info,
        "surveyed": count("surveyed"),
        "surveyed_before": count("surveyed", prev) if before else None,
        "poor": count("poor"),
        "poor_share": rate("poor"),
        "poor_before": count("poor", prev) if before else None,
        "poor_share_before": rate("poor", prev) if before else None,
        "target_poor": count("target_poor"),
        # members of the households counted (people, not households)
        "people": count("people"),
        "poor_people": count("poor_people"),
        "poor_people_before": count("poor_people", prev) if before else None,
        "target_poor_people": count("target_poor_people"),
        "welfare_card": count("welfare_card"),
        "left_poverty": count("left_poverty") if before else None,
        "new_poor": count("new_poor") if before else None,
        "af": af_figures(round_id),
        "af_before": af_figures(previous_round_id),
        "dimensions": dims,
        "indicators": inds,
        "insufficient": too_few(now.get("surveyed")),
    }


# ── lookups for the page ─────────────────────────────────────────────────────
def area_bounds(conn: Connection, level: int,
                parent: str | None) -> tuple[float, float, float, float] | None:
    """Lon/lat box of the areas drawn (display geometry), for centring the map."""
    row = conn.execute(text(f"""
        SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
        FROM (SELECT ST_Extent(geom_display) AS e FROM area
              WHERE level = :level AND {_IN_PARENT}) AS x
    """), {"level": level, **subtree(parent)}).first()  # noqa: S608 - fixed fragment
    return None if row is None or row[0] is None else tuple(float(v) for v in row)


def existing_areas(conn: Connection, pcodes: list[str]) -> set[str]:
    """Which of these P-codes are stored areas."""
    if not pcodes:
        return set()
    return set(conn.execute(text("SELECT pcode FROM area WHERE pcode = ANY(:p)"),
                            {"p": pcodes}).scalars())


def has_welfare_card_data(conn: Connection, round_id: int) -> bool:
    """Whether any household of the round has a known welfare-card flag (optional from
    the B.E. 2567 data on)."""
    n = conn.execute(text(
        "SELECT households FROM agg_area_count "
        "WHERE round_id = :r AND level = 0 AND pcode = 'TH' AND measure = 'welfare_card'"),
        {"r": round_id}).scalar()
    return bool(n)
