"""Deterministic demo data at Thailand's scale (pure numpy/pandas; no SQL here).

`generate(households, seed)` builds every table's rows from the seed alone (same seed,
inputs and size ⇒ identical frames); `load(conn, data)` writes them through the real
household importer and the COPY helpers of queries.households_load; `load_demo()` does
both with progress bars. Calibrated to ../shared/reference/public_figures.md:

- all demo households belong to the 4,104,450-household programme; provinces get
  households in proportion to a per-province target (targets add up to 4,104,450);
  every tambon gets some, and 1–15 villages;
- round-1 poverty (TPMAP union rule) ≈ 25–30 % nationally, ≈ 10 % in Bangkok,
  ≈ 45–55 % in Mae Hong Son, Nan and the deep South; later rounds improve by about a
  fifth, with some new poor; households whose plan items were completed leave poverty
  more often;
- indicator applicability follows the generated members (H1 needs a newborn, E1 a
  child 3–5, …); income indicators fail most;
- welfare card ≈ 40 % of households, ≈ 30 % of the poor;
- visits, analyses and plans for a share of round-1 poor households; tambon
  social-help centres in ~40 % of tambons with one province left without any;
  the 9-step process for every province and district.
"""

from __future__ import annotations

import time
from datetime import date

import numpy as np
import pandas as pd
import shapely
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from chipao.domain.demo import DemoData, DemoError, DemoInputs
from chipao.ingest.household_csv import validate_frame
from queries import households_load as hl
from queries.db import owner

PROGRAMME_TARGET = 4_104_450
DEFAULT_HOUSEHOLDS = 300_000  # `chipao demo` loads in about a minute on 2 cores
DEFAULT_ROUNDS = (2565, 2566, 2567)
AS_OF = date(2026, 11, 25)
LOCATED_SHARE = 0.85

# ── calibration ──────────────────────────────────────────────────────────────
# Round-1 poor share (fails any indicator) of programme households, by region
# (first digit of the province P-code), with named provinces overriding it.
REGION_POOR = {"1": 0.19, "2": 0.17, "3": 0.33, "4": 0.31, "5": 0.31, "6": 0.29,
               "7": 0.22, "8": 0.23, "9": 0.24}
PROVINCE_POOR = {"TH10": 0.10, "TH58": 0.52, "TH55": 0.50, "TH94": 0.50, "TH95": 0.47,
                 "TH96": 0.52, "TH63": 0.40, "TH57": 0.36, "TH50": 0.33, "TH31": 0.36}
# Relative number of programme households per tambon, by region (population × need).
REGION_DENSITY = {"1": 1.0, "2": 0.9, "3": 1.25, "4": 1.2, "5": 1.1, "6": 1.0,
                  "7": 0.9, "8": 0.9, "9": 1.0}
BANGKOK_DENSITY = 2.0  # Bangkok's khwaeng are few but populous
# How often a poor household fails an indicator relative to the others (among the
# applicable ones). Unknown codes (a revised catalogue) get 1.
INDICATOR_PROPENSITY = {"I3": 7.0, "I1": 4.0, "I2": 6.0, "E3": 1.5, "E4": 1.2, "E1": 1.0,
                        "E2": 0.6, "H1": 1.5, "H2": 0.6, "H3": 0.4, "H4": 1.0, "L1": 1.0,
                        "L2": 0.7, "L3": 0.7, "L4": 0.8, "A1": 1.5, "A2": 2.0}
REGION_INDICATOR = {  # regional emphasis: water in the Northeast, literacy in the North…
    "3": {"L2": 1.8, "L3": 1.8}, "4": {"L2": 1.6, "L3": 1.6},
    "5": {"E4": 1.6, "L1": 1.3}, "6": {"E4": 1.4},
    "deep_south": {"E2": 1.8, "E3": 1.8, "E4": 1.6, "I1": 1.3},
    "bangkok": {"L1": 1.8, "L4": 1.3, "I3": 0.8},
}
DEEP_SOUTH = ("TH94", "TH95", "TH96")
# Who an indicator concerns (indicator.applies_to) → age range at the survey (or flag).
APPLIES_AGES = {"newborn": (0, 0), "age_3_5": (3, 5), "age_6_14": (6, 14),
                "lower_secondary_graduate": (15, 17), "age_15_59": (15, 59),
                "age_60_plus": (60, 200), "elderly": (60, 200)}
SIZE_P = np.array([0.16, 0.25, 0.23, 0.17, 0.10, 0.05, 0.02, 0.01, 0.01])  # sizes 1–9
MISSING_IN_ROUND = 0.025  # share of households not surveyed in a later round
DEEP_SHARE, DEEP_EXTRA = 0.15, 4.0  # ~15 % of the poor fail ~4 more indicators
CHUNK = 262_144  # households drawn per step (a constant: results depend on the seed only)

# Visits, analyses and plans, as shares of round-1 poor households.
VISITED, ANALYSED, PLANNED = 0.80, 0.70, 0.55
POVERTY_TYPES = (("chronic", 0.40), ("vulnerable", 0.30), ("new_poor", 0.20),
                 ("temporary", 0.10))
CAUSES = ("low_income", "debt", "unemployment", "illness", "disability",
          "elderly_dependency", "no_land", "disaster", "low_education", "family_breakdown")
NEEDS = ("cash_assistance", "job", "vocational_training", "health_care", "housing_repair",
         "education", "land", "care_services", "rights_registration")
# Plan categories → the agencies that plausibly carry them (first is the most likely).
CATEGORY_AGENCIES = {
    "consumer_goods": ("msdhs", "interior", "local_gov", "defence"),
    "relief_money": ("msdhs", "local_gov", "opm"),
    "access_rights": ("msdhs", "interior", "public_health", "opm"),
    "health_care": ("public_health", "local_gov", "msdhs"),
    "job_training": ("labour", "agriculture", "higher_education", "culture"),
    "employment": ("labour", "commerce", "tourism_sports", "agriculture"),
    "education_support": ("education", "higher_education", "local_gov"),
    "environment": ("local_gov", "interior", "defence", "msdhs"),
    "housing_repair": ("msdhs", "defence", "local_gov", "interior"),
    "farm_land": ("agriculture", "interior"),
    "local_plan": ("local_gov", "interior", "culture"),
}
# Plan categories suited to each failed dimension.
DIMENSION_CATEGORIES = {
    "income": ("job_training", "employment", "relief_money", "farm_land", "consumer_goods"),
    "living": ("housing_repair", "environment", "local_plan"),
    "education": ("education_support",),
    "health": ("health_care", "consumer_goods"),
    "access": ("access_rights", "relief_money"),
}
HORIZON_DAYS = {"urgent": (15, 90), "medium": (120, 365), "long": (365, 1095)}
HORIZON_DONE = {"urgent": 0.88, "medium": 0.70, "long": 0.52}
SERVICES = (("counselling", 0.8), ("welfare_registration", 0.85), ("elderly_care", 0.6),
            ("disability_support", 0.45), ("child_care", 0.4), ("job_referral", 0.35),
            ("emergency_relief", 0.55), ("legal_aid", 0.25))
REGION_CENTRES = {"1": 0.50, "2": 0.50, "3": 0.38, "4": 0.38, "5": 0.34, "6": 0.36,
                  "7": 0.40, "8": 0.42, "9": 0.36}
STEP_DAYS = np.array([45, 60, 90, 180, 150, 180, 240, 300, 240])  # the 9 steps, at pace 1

# Synthetic Thai names from syllables (no real person's name is intended).
FIRST_PREFIX = ("สม", "สุ", "ประ", "วิ", "บุญ", "ทอง", "ศรี", "กิต", "อนุ", "ชัย", "พร", "วัน",
                "จันทร์", "กาญ", "นิ", "อรุณ", "สาย", "แสง", "ดวง", "รุ่ง", "เพ็ญ", "มณี", "ธนา",
                "ปิ", "ณัฐ", "ศุภ", "อภิ", "พิ", "ธีร", "วร")
MALE_SUFFIX = ("ชาย", "ศักดิ์", "ชัย", "พงษ์", "เดช", "วุฒิ", "ชาติ", "ศร", "กร", "พล", "ภพ",
               "นนท์", "มา", "เกียรติ", "สิทธิ์")
FEMALE_SUFFIX = ("ศรี", "ดา", "ลี", "พร", "วรรณ", "นภา", "มาลี", "จิต", "รัตน์", "ณี", "ทิพย์",
                 "เพ็ญ", "ใจ", "นา", "ภา")
SURNAME_1 = ("แก้ว", "ทอง", "ศรี", "บุญ", "สุข", "ใจ", "มั่น", "วงศ์", "จันทร์", "พรหม", "อินทร์",
             "คำ", "แสง", "เพชร", "นาค", "ทรัพย์", "สิทธิ์", "ชัย", "รุ่ง", "เจริญ")
SURNAME_2 = ("มณี", "สุข", "ประเสริฐ", "ดี", "งาม", "เจริญ", "สวัสดิ์", "ศรี", "วัฒน์", "ทอง",
             "พันธ์", "แก้ว", "รักษ์", "ใส", "บุตร")
SURNAME_3 = ("", "", "", "วงศ์", "กุล", "สกุล", "ชัย", "พงศ์", "ธรรม", "ศักดิ์", "รัตน์")
RELATIONS = ("head", "spouse", "child", "parent", "grandchild", "relative", "other")


def return_freed_memory() -> None:
    """Have glibc give large freed blocks back to the OS (mmap for ≥ 1 MiB allocations).

    By default glibc raises its mmap threshold after each large free, so the generator's
    many short-lived arrays end up on the heap and the process keeps their memory: at
    full scale that was gigabytes of resident memory holding nothing. No-op elsewhere."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


# ── small helpers ────────────────────────────────────────────────────────────
def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to `weights` adding up to exactly `total`."""
    quota = weights / weights.sum() * total
    out = np.floor(quota).astype(np.int64)
    rest = total - int(out.sum())
    if rest:
        order = np.argsort(-(quota - out), kind="stable")
        out[order[:rest]] += 1
    return out


def _logit(p):
    return np.log(p / (1 - p))


def _expit(x):
    return 1 / (1 + np.exp(-x))


def _days(start: np.ndarray, offset) -> np.ndarray:
    return start + np.asarray(offset).astype("timedelta64[D]")


def _day_count(delta: np.ndarray) -> np.ndarray:
    """Whole days in a time difference, whatever the datetime unit of its operands."""
    return (np.asarray(delta) // np.timedelta64(1, "D")).astype(int)


def _weighted_digit_sum(values: np.ndarray, width: int, top_weight: int) -> np.ndarray:
    """Σ dᵢ·wᵢ over the `width` digits of each value, weights falling from `top_weight`."""
    total = np.zeros(len(values), dtype=np.int64)
    rest = values.astype(np.int64)
    for weight in range(top_weight - width + 1, top_weight + 1):  # last digit first
        total += (rest % 10) * weight
        rest //= 10
    return total


def national_id_check_digit(twelve: np.ndarray) -> np.ndarray:
    """Thai national-ID check digit of 12-digit numbers: (11 − Σ dᵢ·(14−i) mod 11) mod 10."""
    return (11 - _weighted_digit_sum(twelve, 12, 13) % 11) % 10


def _region(province: str) -> str:
    return province[2]


def sample_points(geoms: np.ndarray, which: np.ndarray, rng: np.random.Generator,
                  decimals: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Random points inside geoms[which[i]] (rejection sampling in each bounding box,
    vectorised with shapely.contains_xy). Rounded to `decimals` (~0.1 m)."""
    bounds = shapely.bounds(geoms)
    x = np.full(len(which), np.nan)
    y = np.full(len(which), np.nan)
    todo = np.arange(len(which))
    for _ in range(200):
        if not todo.size:
            break
        b = bounds[which[todo]]
        xs = np.round(b[:, 0] + rng.random(todo.size) * (b[:, 2] - b[:, 0]), decimals)
        ys = np.round(b[:, 1] + rng.random(todo.size) * (b[:, 3] - b[:, 1]), decimals)
        inside = shapely.contains_xy(geoms[which[todo]], xs, ys)
        x[todo[inside]], y[todo[inside]] = xs[inside], ys[inside]
        todo = todo[~inside]
    if todo.size:  # slivers: fall back to a point on the surface
        pts = shapely.point_on_surface(geoms[which[todo]])
        x[todo], y[todo] = shapely.get_x(pts), shapely.get_y(pts)
    return x, y


# ── the generator ────────────────────────────────────────────────────────────
def generate(households: int = DEFAULT_HOUSEHOLDS, seed: int = 2565, *, inputs: DemoInputs,
             rounds: tuple[int, ...] = DEFAULT_ROUNDS, as_of: date = AS_OF) -> DemoData:
    """Every demo table's rows, from the seed alone."""
    tambons = inputs.tambons.sort_values("pcode").reset_index(drop=True)
    n_tambons = len(tambons)
    if n_tambons == 0:
        raise DemoError("no tambons in the store: import boundaries first (chipao import-boundaries)")
    if households < n_tambons:
        raise DemoError(f"{households:,} households cannot populate all {n_tambons:,} tambons; "
                        f"ask for at least {n_tambons:,}")
    if not rounds or any(not 2500 <= y <= 2700 for y in rounds):
        raise DemoError("survey rounds must be Buddhist-era years 2500–2700")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    rng_area, rng_hh, rng_members, rng_survey, rng_plans, rng_centres, rng_steps, rng_loc = streams
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    geoms = np.asarray(tambons["geom"].to_numpy(), dtype=object)
    shapely.prepare(geoms)
    t_pcode = tambons["pcode"].to_numpy(dtype=object)
    t_province = np.array([p[:4] for p in t_pcode], dtype=object)
    provinces = sorted(set(inputs.provinces) | set(t_province))
    prov_index = {p: i for i, p in enumerate(provinces)}
    t_prov = np.array([prov_index[p] for p in t_province])

    # Province profiles: poverty level and programme target.
    prov_poor = np.array([PROVINCE_POOR.get(p, REGION_POOR.get(_region(p), 0.25))
                          for p in provinces]) * np.exp(rng_area.normal(0, 0.12, len(provinces)))
    prov_poor = np.clip(prov_poor, 0.05, 0.6)
    prov_tambons = np.bincount(t_prov, minlength=len(provinces))
    density = np.array([BANGKOK_DENSITY if p == "TH10" else REGION_DENSITY.get(_region(p), 1.0)
                        for p in provinces])
    prov_weight = np.maximum(prov_tambons, 1) * density * (0.6 + prov_poor) \
        * np.exp(rng_area.normal(0, 0.2, len(provinces)))
    targets = pd.DataFrame({"province_pcode": provinces,
                            "target_households": _largest_remainder(prov_weight, PROGRAMME_TARGET)})
    # Tambon poverty level and share of the province's households.
    t_poor = _expit(_logit(prov_poor[t_prov]) + rng_area.normal(0, 0.35, n_tambons))
    t_weight = np.exp(rng_area.normal(0, 0.5, n_tambons))
    t_weight = t_weight / np.bincount(t_prov, t_weight)[t_prov] * \
        targets["target_households"].to_numpy()[t_prov]
    base = int(np.clip(households // (2 * n_tambons), 1, 5))
    per_tambon = base + _largest_remainder(t_weight, households - base * n_tambons)
    lap("areas")

    # ── households ──
    H = households
    h_tambon = np.repeat(np.arange(n_tambons), per_tambon)
    n_villages = rng_hh.integers(3, 16, n_tambons)
    village = (rng_hh.random(H) * n_villages[h_tambon]).astype(np.int16) + 1
    district_code = np.array([int(p[2:6]) for p in t_pcode], dtype=np.int64)[h_tambon]
    first_of_district = np.r_[True, district_code[1:] != district_code[:-1]]
    starts = np.flatnonzero(first_of_district)
    running = np.arange(H) - np.repeat(starts, np.diff(np.r_[starts, H])) + 1
    body = district_code * 1_000_000 + running  # 10 digits: DDDD + running number
    check = _weighted_digit_sum(body, 10, 11) % 11 % 10
    house_ids = (body * 10 + check).astype("U11").astype(object)
    h_region = np.array([_region(p) for p in provinces])[t_prov[h_tambon]]
    located = rng_loc.random(H) < LOCATED_SHARE
    lon = np.full(H, np.nan)
    lat = np.full(H, np.nan)
    lon[located], lat[located] = sample_points(geoms, h_tambon[located], rng_loc)
    lap("households")

    # ── members ──
    members, m_house, m_age, m_disabled = _members(H, rng_members, as_of, t_pcode, h_tambon,
                                                   house_ids)
    lap("members")

    # ── survey rounds ──
    plans_etc = {}
    survey, _ = _survey(
        H, rounds, as_of, inputs.catalogue, t_poor[h_tambon], prov_poor[t_prov[h_tambon]],
        h_region, np.array(provinces, dtype=object)[t_prov[h_tambon]], m_house, m_age,
        m_disabled, rng_survey, rng_plans, inputs, plans_etc, house_ids, t_pcode, h_tambon)
    survey.insert(0, "house_id", pd.Categorical.from_codes(
        survey.pop("_h").to_numpy(), categories=pd.Index(house_ids, dtype=object)))
    survey.insert(1, "tambon_pcode", pd.Categorical.from_codes(
        h_tambon[survey["house_id"].cat.codes.to_numpy()],
        categories=pd.Index(t_pcode, dtype=object)))
    codes = survey["house_id"].cat.codes.to_numpy()
    survey.insert(2, "village_no", village[codes])
    survey["lat"] = lat[codes]
    survey["lon"] = lon[codes]
    survey["programme_target"] = np.int8(1)
    lap("survey")

    centres = _centres(rng_centres, tambons, t_province, provinces, prov_poor, geoms)
    lap("centres")
    steps = _steps(rng_steps, inputs, provinces, prov_poor, as_of)
    lap("steps")
    return DemoData(survey=survey, members=members, plans=plans_etc["plans"],
                    items=plans_etc["items"], events=plans_etc["events"],
                    visits=plans_etc["visits"], centres=centres, steps=steps, targets=targets,
                    seed=seed, timings=timings)


def _members(H: int, rng: np.random.Generator, as_of: date, t_pcode: np.ndarray,
             h_tambon: np.ndarray, house_ids: np.ndarray):
    """Members of every household: sizes 1–9 (mean ≈ 3), relations, ages, names, IDs.
    Drawn CHUNK households at a time, so memory stays small at full scale."""
    first_m = [a + b for a in FIRST_PREFIX for b in MALE_SUFFIX]
    first_f = [a + b for a in FIRST_PREFIX for b in FEMALE_SUFFIX]
    first_names = pd.Index(sorted(set(first_m) | set(first_f)), dtype=object)
    code_m, code_f = first_names.get_indexer(first_m), first_names.get_indexer(first_f)
    surnames = pd.Index(sorted({a + b + c for a in SURNAME_1 for b in SURNAME_2
                                for c in SURNAME_3}), dtype=object)
    size = rng.choice(np.arange(1, 10), size=H, p=SIZE_P).astype(np.int16)
    m_start = np.r_[0, np.cumsum(size, dtype=np.int64)]  # first member of each household
    M = int(m_start[-1])
    h_district = np.array([int(p[2:6]) for p in t_pcode], dtype=np.int64)[h_tambon]
    # first member of each household's district, for IDs numbered within the district
    new_district = np.r_[True, h_district[1:] != h_district[:-1]]
    district_first = np.maximum.accumulate(np.where(new_district, m_start[:-1], 0))
    offset7 = int(rng.integers(0, 10**7))
    cols: dict[str, list[np.ndarray]] = {k: [] for k in (
        "house", "seq", "relation", "age", "male", "disabled", "first", "last", "national_id")}
    this_year = as_of.year + 543
    for lo in range(0, H, CHUNK):
        hi = min(H, lo + CHUNK)
        sz = size[lo:hi]
        m = int(sz.sum())
        house = np.repeat(np.arange(lo, hi, dtype=np.int32), sz)
        local = house - lo
        seq = (np.arange(m) - np.repeat(m_start[lo:hi] - m_start[lo], sz) + 1).astype(np.int16)
        head_age = (25 + 60 * rng.beta(2.2, 1.8, hi - lo)).astype(np.int16)
        head_male = rng.random(hi - lo) < 0.55
        ha = head_age[local]
        u = rng.random(m, dtype=np.float32)
        v = rng.random(m, dtype=np.float32)
        relation = np.full(m, 5, dtype=np.int8)  # relative
        age = np.zeros(m, dtype=np.int16)
        is_head = seq == 1
        spouse = (seq == 2) & (u < np.where(ha < 75, 0.7, 0.45))
        older = ha >= 55
        rest = ~is_head & ~spouse
        relation[is_head], age[is_head] = 0, ha[is_head]
        relation[spouse] = 1
        age[spouse] = np.clip(ha[spouse] + (v[spouse] * 13).astype(np.int16) - 8, 20, 99)
        # the rest: children and grandchildren in older households, children and parents
        child_o = rest & older & (u < 0.45)
        grand_o = rest & older & (u >= 0.45) & (u < 0.9)
        child_y = rest & ~older & (u < 0.8)
        parent_y = rest & ~older & (u >= 0.8) & (u < 0.92)
        relation[child_o | child_y], relation[grand_o], relation[parent_y] = 2, 4, 3
        age[child_o] = 18 + (v[child_o] * np.maximum(ha[child_o] - 36, 1)).astype(np.int16)
        age[grand_o] = (v[grand_o] * 18).astype(np.int16)
        age[child_y] = (v[child_y] * np.maximum(ha[child_y] - 18, 1)).astype(np.int16)
        age[parent_y] = np.minimum(ha[parent_y] + 20 + (v[parent_y] * 15).astype(np.int16), 100)
        others = relation == 5
        age[others] = 5 + (v[others] * 70).astype(np.int16)
        male = np.where(is_head, head_male[local],
                        np.where(spouse, ~head_male[local], rng.random(m, dtype=np.float32) < 0.5))
        disabled = rng.random(m, dtype=np.float32) < np.where(age >= 60, 0.05, 0.02)
        first = np.where(male, code_m[rng.integers(0, len(code_m), m)],
                         code_f[rng.integers(0, len(code_f), m)]).astype(np.int16)
        family = rng.integers(0, len(surnames), hi - lo)
        own = rng.integers(0, len(surnames), m)
        keeps_family = ~(spouse | (relation == 5)) | (rng.random(m, dtype=np.float32) < 0.5)
        last = np.where(keeps_family, family[local], own).astype(np.int16)
        # National ID: category digit (1: born from B.E. 2527), the district code, a number
        # unique in the district (an affine permutation of the member's rank there; 3,141,593
        # is coprime to 10⁷) and the check digit.
        rank = np.arange(m_start[lo], m_start[hi]) - district_first[house]
        unique7 = (offset7 + rank * 3_141_593) % 10**7
        category = np.where(this_year - age >= 2527, 1, 3)
        twelve = category * 10**11 + h_district[house] * 10**7 + unique7
        national_id = twelve * 10 + national_id_check_digit(twelve)
        for key, value in (("house", house), ("seq", seq), ("relation", relation), ("age", age),
                           ("male", male), ("disabled", disabled), ("first", first),
                           ("last", last), ("national_id", national_id)):
            cols[key].append(value)
    c = {k: np.concatenate(v) for k, v in cols.items()}
    m_house, age, disabled = c["house"], c["age"], c["disabled"]
    members = pd.DataFrame({
        "house_id": pd.Categorical.from_codes(m_house, categories=pd.Index(house_ids, dtype=object)),
        "tambon_pcode": pd.Categorical.from_codes(h_tambon[m_house].astype(np.int32),
                                                  categories=pd.Index(t_pcode, dtype=object)),
        "seq": c["seq"],
        "national_id": c["national_id"],
        "first_name": pd.Categorical.from_codes(c["first"], categories=first_names),
        "last_name": pd.Categorical.from_codes(c["last"], categories=surnames),
        "sex": pd.Categorical.from_codes(np.where(c["male"], 0, 1).astype(np.int8),
                                         categories=["M", "F"]),
        "birth_year_be": (this_year - age).astype(np.int16),
        "relation": pd.Categorical.from_codes(c["relation"], categories=list(RELATIONS)),
        "disability": disabled,
    })
    assert len(members) == M
    return members, m_house, age, disabled


def _applicable(spec, m_house: np.ndarray, age_then: np.ndarray, disabled: np.ndarray,
                H: int) -> np.ndarray:
    """Households with a member the indicator concerns, at the survey."""
    alive = age_then >= 0
    if spec.applies_to == "disabled":
        mask = alive & disabled
    elif spec.applies_to in APPLIES_AGES:
        lo, hi = APPLIES_AGES[spec.applies_to]
        mask = (age_then >= lo) & (age_then <= hi)
    else:  # the whole household (or a criterion the generator does not know)
        return np.ones(H, dtype=bool)
    return np.bincount(m_house[mask], minlength=H) > 0


def _survey(H, rounds, as_of, catalogue, h_poor, h_prov_poor, h_region, h_province,
            m_house, m_age, m_disabled, rng, rng_plans, inputs, out, house_ids, t_pcode,
            h_tambon):
    """Indicator codes (rounds × households × indicators: 1 met, 0 failed, -1 not
    applicable), sizes, welfare cards and presence per round; plans after round 1."""
    specs = catalogue.indicators
    codes = [s.code for s in specs]
    K, R = len(specs), len(rounds)
    deep_south = np.isin(h_province, DEEP_SOUTH)
    bangkok = h_province == "TH10"
    # each indicator's propensity to fail, per household (regional emphasis)
    base_w = np.array([INDICATOR_PROPENSITY.get(c, 1.0) for c in codes], dtype=np.float32)
    region_w = []
    for region, factors in REGION_INDICATOR.items():
        where = deep_south if region == "deep_south" else bangkok if region == "bangkok" \
            else (h_region == region) & ~deep_south & ~bangkok
        w = np.ones(K, dtype=np.float32)
        for code, f in factors.items():
            if code in codes:
                w[codes.index(code)] = f
        region_w.append((where, w))
    intensity = 0.7 + 1.6 * h_prov_poor  # poorer provinces: more indicators failed
    card_poor, card_all = 0.30, 0.40
    result = np.empty((H, R, K), dtype=np.int8)  # household-major, like the file's rows
    sizes = np.empty((H, R), dtype=np.int16)
    cards = np.empty((H, R), dtype=np.float32)
    present = np.ones((H, R), dtype=bool)
    prev_failed = np.zeros((H, K), dtype=bool)
    poor = np.zeros(H, dtype=bool)
    welfare = None
    for r, year in enumerate(rounds):
        age_then = m_age - (as_of.year + 543 - year)
        applicable = np.column_stack([_applicable(s, m_house, age_then, m_disabled, H)
                                      for s in specs])
        sizes[:, r] = np.bincount(m_house[age_then >= 0], minlength=H)
        if r == 0:
            poor = rng.random(H) < h_poor
        else:
            # exits are likelier where plan items were completed before this survey
            done_share = out["done_share"](_survey_date(year))
            exit_p = 0.22 + 0.35 * done_share + 0.04 * out["visited"]
            new_p = (0.12 if r == 1 else 0.10) * h_poor
            poor = np.where(poor, rng.random(H) >= exit_p, rng.random(H) < new_p)
            present[:, r] = rng.random(H) >= MISSING_IN_ROUND
        # a deeply deprived minority fails several dimensions at once (the tail that the
        # Alkire–Foster cut-off k = 1/3 picks out)
        deep = rng.random(H) < DEEP_SHARE * (0.6 + 1.6 * h_prov_poor)
        n_fail = np.minimum(1 + rng.poisson(intensity) + deep * rng.poisson(DEEP_EXTRA, H),
                            applicable.sum(axis=1))
        failed = np.zeros((H, K), dtype=bool)
        for lo in range(0, H, CHUNK):
            # weighted sampling without replacement (Efraimidis–Spirakis): the n_fail
            # largest log(u)/w among the applicable indicators; failures tend to persist
            hi = min(H, lo + CHUNK)
            weight = np.broadcast_to(base_w, (hi - lo, K)).copy()
            for where, w in region_w:
                weight[where[lo:hi]] *= w
            weight[prev_failed[lo:hi]] *= np.float32(4.5)
            keys = np.log1p(-rng.random((hi - lo, K), dtype=np.float32)) / weight
            app = applicable[lo:hi]
            keys[~app] = -np.inf
            kth = np.sort(keys, axis=1)[np.arange(hi - lo), np.maximum(K - n_fail[lo:hi], 0)]
            failed[lo:hi] = (keys >= kth[:, None]) & app & poor[lo:hi, None] \
                & (n_fail[lo:hi, None] > 0)
        if welfare is None:  # card holding is fixed at round 1: 30 % of poor, 40 % overall
            p_rest = (card_all - card_poor * poor.mean()) / max(1 - poor.mean(), 1e-9)
            welfare = np.where(poor, rng.random(H) < card_poor, rng.random(H) < p_rest)
        # 1 met, 0 failed, -1 not applicable (failed implies applicable)
        result[:, r] = applicable.view(np.int8) * np.int8(2) - np.int8(1) - failed.view(np.int8)
        cards[:, r] = welfare
        if year >= 2567:  # from B.E. 2567 holding a card is optional data
            cards[rng.random(H) < 0.08, r] = np.nan
        prev_failed = failed
        if r == 0:
            _plans(out, rng_plans, poor, failed, specs, inputs, year, as_of, house_ids, t_pcode,
                   h_tambon, h_province, rounds)
    # household-major rows: a household's rounds together, houses in ID order
    keep = present.ravel()
    flat = np.flatnonzero(keep).astype(np.int32)
    columns = {"_h": flat // R, "survey_year": np.asarray(rounds, dtype=np.int16)[flat % R],
               "household_size": sizes.ravel()[keep], "welfare_card": cards.ravel()[keep]}
    del flat
    for k, code in enumerate(codes):
        v = result[:, :, k].ravel()[keep]
        columns[code] = pd.arrays.IntegerArray(np.maximum(v, 0), v < 0)
    survey = pd.DataFrame(columns, copy=False)
    return survey, present


def _survey_date(year_be: int) -> np.datetime64:
    """BMN data are collected January–April: a round's reference date is 30 April."""
    return np.datetime64(f"{year_be - 543}-04-30")


def _plans(out, rng, poor, failed, specs, inputs, year, as_of, house_ids, t_pcode, h_tambon,
           h_province, rounds):
    """Visits, analyses, plans, items and their events for round-1 poor households."""
    H = len(poor)
    as_of64 = np.datetime64(as_of)
    poor_idx = np.flatnonzero(poor)
    u = rng.random(poor_idx.size)
    visited_h = poor_idx[u < VISITED]
    analysed_h = poor_idx[u < ANALYSED]
    planned_h = poor_idx[u < PLANNED]
    start = _survey_date(year)
    span = max(int(_day_count(as_of64 - start)) - 60, 30)

    # visits: the first, with the analysis for analysed households; some follow-ups
    # first visits from a month after the survey until a few months before `as_of`
    first = _days(start, 20 + (rng.beta(1.2, 2.2, visited_h.size) * (span - 90)).astype(int))
    analysed = np.isin(visited_h, analysed_h)
    follow = rng.random(visited_h.size) < 0.35
    second = np.minimum(_days(first, rng.integers(60, 600, visited_h.size)), as_of64)
    v_house = np.r_[visited_h, visited_h[follow]]
    v_date = np.r_[first, second[follow]]
    v_analysis = np.r_[analysed, np.zeros(follow.sum(), dtype=bool)]
    kinds = np.array(["official", "volunteer", "youth_council"], dtype=object)
    n_v = v_house.size
    types = np.array([t for t, _ in POVERTY_TYPES], dtype=object)
    p_types = np.array([p for _, p in POVERTY_TYPES])
    dims_failed = {}
    for k, spec in enumerate(specs):
        dims_failed.setdefault(spec.dimension, np.zeros(H, dtype=bool))
        dims_failed[spec.dimension] |= failed[:, k]
    causes, needs = _causes_needs(rng, v_house, v_analysis, dims_failed)
    order = np.lexsort((v_date, v_house))  # by house, then date
    visits = pd.DataFrame({
        "house_id": house_ids[v_house],
        "tambon_pcode": t_pcode[h_tambon[v_house]],
        "visited_on": v_date,
        "visitor_kind": kinds[rng.choice(3, n_v, p=[0.35, 0.5, 0.15])],
        "poverty_type": np.where(v_analysis, types[rng.choice(4, n_v, p=p_types)], None),
        "causes": causes,
        "needs": needs,
    }).iloc[order].reset_index(drop=True)
    analysis_date = pd.Series(first[analysed], index=visited_h[analysed])

    # plans: created after the analysis; 1–5 items across the horizons
    created = np.minimum(_days(analysis_date.loc[planned_h].to_numpy(),
                               rng.integers(7, 60, planned_h.size)), as_of64 - 1)
    plans = pd.DataFrame({"plan_no": np.arange(1, planned_h.size + 1),
                          "house_id": house_ids[planned_h],
                          "tambon_pcode": t_pcode[h_tambon[planned_h]],
                          "survey_year": np.int16(year), "created_on": created})
    n_items = rng.choice(np.arange(1, 6), planned_h.size, p=[0.22, 0.3, 0.26, 0.13, 0.09])
    i_plan = np.repeat(np.arange(planned_h.size), n_items)
    i_house = planned_h[i_plan]
    cats = inputs.categories.reset_index(drop=True)
    cat_codes = cats["code"].to_numpy(dtype=object)
    cat_horizon = cats["horizon"].to_numpy(dtype=object)
    category = _pick_categories(rng, i_house, cat_codes, dims_failed)
    horizon = cat_horizon[category]
    i_created = created[i_plan]
    cat_lo = np.array([HORIZON_DAYS.get(h, (30, 365))[0] for h in cat_horizon])
    cat_hi = np.array([HORIZON_DAYS.get(h, (30, 365))[1] for h in cat_horizon])
    cat_done = np.array([HORIZON_DONE.get(h, 0.5) for h in cat_horizon])
    lo, hi = cat_lo[category], cat_hi[category]
    length = (lo + rng.random(i_plan.size) * (hi - lo)).astype(int)
    due = _days(i_created, length)
    elapsed = _day_count(as_of64 - i_created) / length
    p_done = cat_done[category] * np.clip(elapsed, 0, 1.15)
    roll = rng.random(i_plan.size)
    started_p = np.clip(0.15 + elapsed, 0, 0.8)  # open items: most have started by now
    status = np.where(roll < 0.03, "cancelled",
                      np.where(roll < 0.03 + p_done, "done",
                               np.where(rng.random(i_plan.size) < started_p,
                                        "in_progress", "not_started"))).astype(object)
    took = (length * (0.3 + rng.random(i_plan.size))).astype(int)  # some finish late
    completed = np.where(status == "done", np.minimum(_days(i_created, took), as_of64),
                         np.datetime64("NaT"))
    until = np.where(status == "done", completed, as_of64)
    started = np.where(np.isin(status, ["done", "in_progress"]),
                       _days(i_created, (_day_count(until - i_created)
                                         * rng.random(i_plan.size) * 0.3).astype(int)),
                       np.datetime64("NaT"))
    agency = _pick_agencies(rng, cat_codes[category], h_province[i_house], inputs.agencies)
    items = pd.DataFrame({
        "item_no": np.arange(1, i_plan.size + 1), "plan_no": i_plan + 1,
        "house_id": house_ids[i_house], "tambon_pcode": t_pcode[h_tambon[i_house]],
        "horizon": horizon, "category_code": cat_codes[category], "agency_code": agency,
        "status": status, "created_on": i_created, "due_on": due,
        "started_on": started.astype("datetime64[D]"),
        "completed_on": completed.astype("datetime64[D]"),
    })
    last_change = np.where(~np.isnat(completed), completed,
                           np.where(~np.isnat(started), started, i_created))
    # 03:00 UTC = 10:00 Bangkok time on the day of the last change
    items["updated_at"] = last_change.astype("datetime64[D]").astype("datetime64[us]") \
        + np.timedelta64(3, "h")
    out["events"] = _events(items)
    out.update(plans=plans, items=items, visits=visits)

    # For the next rounds: share of each household's items done before a date.
    item_done = items["completed_on"].to_numpy()
    total = np.bincount(i_house, minlength=H)

    def done_share(when: np.datetime64) -> np.ndarray:
        done = np.bincount(i_house, weights=(item_done <= when) & ~np.isnat(item_done),
                           minlength=H)
        return np.divide(done, total, out=np.zeros(H), where=total > 0)

    out["done_share"] = done_share
    out["visited"] = np.isin(np.arange(H), visited_h)


def _causes_needs(rng, v_house, v_analysis, dims_failed):
    """Causes and needs recorded at analysis visits: those of the (first two) failed
    dimensions, plus up to two others. Returned as tuples (shared per combination)."""
    lead_cause = {"income": "low_income", "education": "low_education", "health": "illness",
                  "living": "no_land", "access": "elderly_dependency"}
    lead_need = {"income": "job", "education": "education", "health": "health_care",
                 "living": "housing_repair", "access": "rights_registration"}
    n = v_house.size
    extra = rng.integers(0, 3, n)
    picks = {"c": rng.integers(0, len(CAUSES), (n, 2)), "n": rng.integers(0, len(NEEDS), (n, 2))}
    out = []
    for words, lead, key in ((CAUSES, lead_cause, "c"), (NEEDS, lead_need, "n")):
        mask = np.zeros(n, dtype=np.int64)
        seen = np.zeros(n, dtype=np.int64)
        for dim, failed in dims_failed.items():
            if dim in lead:
                hit = failed[v_house] & (seen < 2)
                mask |= hit.astype(np.int64) << words.index(lead[dim])
                seen += hit
        for j in range(2):
            mask |= (extra > j).astype(np.int64) << picks[key][:, j]
        mask[mask == 0] = 1  # the first word: low_income / cash_assistance
        mask[~v_analysis] = 0
        labels = {m: tuple(w for b, w in enumerate(words) if m >> b & 1)
                  for m in np.unique(mask).tolist()}
        out.append(np.array([labels[m] for m in mask.tolist()] if n else [], dtype=object))
    return out[0], out[1]


def _pick_categories(rng, i_house, cat_codes, dims_failed) -> np.ndarray:
    """A category per item: mostly one suited to a failed dimension of the household."""
    index = {c: k for k, c in enumerate(cat_codes)}
    n = i_house.size
    choice = rng.integers(0, len(cat_codes), n)  # any category (also unknown ones)
    suited = rng.random(n) < 0.75
    dims = [d for d in dims_failed if any(c in index for c in DIMENSION_CATEGORIES.get(d, ()))]
    if not dims:
        return choice
    pick_dim = rng.integers(0, 64, n)
    has = np.column_stack([dims_failed[d][i_house] for d in dims])
    # the k-th failed dimension of the household, k drawn at random
    counts = has.sum(axis=1)
    kth = np.where(counts > 0, pick_dim % np.maximum(counts, 1), -1)
    cum = np.cumsum(has, axis=1) - 1
    dim_of = np.where(counts > 0, np.argmax((cum == kth[:, None]) & has, axis=1), -1)
    r = rng.integers(0, 64, n)
    for d_i, d in enumerate(dims):
        options = np.array([index[c] for c in DIMENSION_CATEGORIES[d] if c in index])
        rows = suited & (dim_of == d_i)
        choice[rows] = options[r[rows] % options.size]
    return choice


def _pick_agencies(rng, categories, provinces, agencies) -> np.ndarray:
    known = set(agencies)
    out = np.empty(categories.size, dtype=object)
    fallback = "msdhs" if "msdhs" in known else agencies[0]
    r = rng.random(categories.size)
    for cat in np.unique(categories):
        options = [a for a in CATEGORY_AGENCIES.get(cat, (fallback,)) if a in known] or [fallback]
        w = np.array([2.0 ** -k for k in range(len(options))])  # the first is the likeliest
        edges = np.cumsum(w / w.sum())
        rows = categories == cat
        out[rows] = np.array(options, dtype=object)[np.minimum(
            np.searchsorted(edges, r[rows]), len(options) - 1)]
    if "bma" in known:  # in Bangkok the BMA plays local government's part
        out[(provinces == "TH10") & (out == "local_gov")] = "bma"
    return out


def _events(items: pd.DataFrame) -> pd.DataFrame:
    """Status changes of the items, as the tambon officers would have recorded them."""
    parts = []
    for old, new, when in (("not_started", "in_progress", "started_on"),
                           ("in_progress", "done", "completed_on")):
        rows = items[items[when].notna()]
        parts.append(pd.DataFrame({"item_no": rows["item_no"].to_numpy(),
                                   "tambon_pcode": rows["tambon_pcode"].to_numpy(),
                                   "old_status": old, "new_status": new,
                                   "on_date": rows[when].to_numpy()}))
    cancelled = items[items["status"] == "cancelled"]
    parts.append(pd.DataFrame({"item_no": cancelled["item_no"].to_numpy(),
                               "tambon_pcode": cancelled["tambon_pcode"].to_numpy(),
                               "old_status": "not_started", "new_status": "cancelled",
                               "on_date": cancelled["created_on"].to_numpy()}))
    events = pd.concat(parts, ignore_index=True)
    events["at"] = events["on_date"].to_numpy().astype("datetime64[D]").astype("datetime64[us]") \
        + np.timedelta64(3, "h")
    events["username"] = "demo"
    return events.sort_values(["item_no", "at", "new_status"], kind="stable") \
        .reset_index(drop=True)


def _centres(rng, tambons, t_province, provinces, prov_poor, geoms) -> pd.DataFrame:
    """Tambon social-help centres: denser in the centre and in towns, sparse in remote
    provinces, and exactly one province (of several) without any."""
    n = len(tambons)
    region = np.array([_region(p) for p in t_province])
    p = np.array([REGION_CENTRES.get(r, 0.4) for r in region])
    area = tambons["area_km2"].to_numpy(dtype=float)
    p = p * np.where(area < 20, 1.3, np.where(area > 150, 0.6, 1.0))
    p = p * np.where(t_province == "TH10", 1.4, 1.0)
    poor = dict(zip(provinces, prov_poor, strict=True))
    p = np.clip(p * (1.2 - 0.8 * np.array([poor[x] for x in t_province])), 0.05, 0.9)
    has = rng.random(n) < p
    present = sorted(set(t_province))
    if len(present) > 1:  # the gap the 76-province target is about: one province without
        candidates = [x for x in present if x != "TH10"]
        w = np.array([poor[x] for x in candidates]) ** 2
        none = candidates[rng.choice(len(candidates), p=w / w.sum())]
        has &= t_province != none
        for prov in present:  # every other province has at least one
            rows = np.flatnonzero(t_province == prov)
            if prov != none and not has[rows].any():
                has[rows[rng.integers(0, rows.size)]] = True
    count = np.where(has, 1 + (rng.random(n) < 0.05), 0)
    which = np.repeat(np.arange(n), count)
    k = np.arange(which.size) - np.repeat(np.r_[0, np.cumsum(count)[:-1]], count) + 1
    x, y = sample_points(geoms, which, rng)
    status = np.array(["open", "planned", "closed"], dtype=object)[
        rng.choice(3, which.size, p=[0.92, 0.05, 0.03])]
    opened = _days(np.datetime64("2017-01-01"), rng.integers(0, 3287, which.size))  # 2560–2568
    opened = np.where(status == "planned", np.datetime64("NaT"), opened).astype("datetime64[D]")
    services = []
    draws = rng.random((which.size, len(SERVICES)))
    for row in draws:
        chosen = [s for (s, pr), d in zip(SERVICES, row, strict=True) if d < pr]
        if len(chosen) < 2:
            chosen = sorted(set(chosen) | {"counselling", "welfare_registration"})
        services.append(chosen)
    names_th = tambons["name_th"].to_numpy(dtype=object)[which]
    names_en = tambons["name_en"].to_numpy(dtype=object)[which]
    pcodes = tambons["pcode"].to_numpy(dtype=object)[which]
    return pd.DataFrame({
        "code": [f"C-{pc}-{i}" for pc, i in zip(pcodes, k, strict=True)],
        "name_th": [f"ศูนย์ช่วยเหลือสังคมตำบล{str(t).removeprefix('ตำบล').strip()}"
                    for t in names_th],
        "name_en": [f"{e} Tambon Social Help Centre" for e in names_en],
        "tambon_pcode": pcodes, "lon": x, "lat": y, "opened_on": opened, "status": status,
        "services": services,
    })


def _steps(rng, inputs, provinces, prov_poor, as_of) -> pd.DataFrame:
    """The 9-step process for every province and district: done in order, up to a
    point that depends on the area's pace."""
    as_of64 = np.datetime64(as_of)
    areas = list(provinces) + sorted(inputs.districts)
    prov_pace = dict(zip(provinces, np.exp(rng.normal(0, 0.3, len(provinces)))
                         * (0.8 + 0.8 * np.asarray(prov_poor)), strict=True))
    prov_start = dict(zip(provinces, rng.integers(0, 120, len(provinces)), strict=True))
    rows = []
    for pcode in areas:
        province = pcode[:4]
        pace = prov_pace.get(province, 1.0)
        start = prov_start.get(province, 0)
        if len(pcode) > 4:  # districts follow their province, at their own pace
            pace *= float(np.exp(rng.normal(0, 0.2)))
            start += int(rng.integers(0, 60))
        ends = np.datetime64("2022-01-03") + np.cumsum(
            STEP_DAYS * pace * rng.uniform(0.7, 1.3, 9)).astype(int).astype("timedelta64[D]") \
            + np.timedelta64(start, "D")
        begins = np.r_[np.datetime64("2022-01-03") + np.timedelta64(start, "D"), ends[:-1] + 1]
        for step in range(9):
            if ends[step] <= as_of64:
                rows.append((pcode, step + 1, "done", begins[step], ends[step]))
            elif begins[step] <= as_of64:
                rows.append((pcode, step + 1, "in_progress", begins[step], None))
            else:
                rows.append((pcode, step + 1, "not_started", None, None))
    steps = pd.DataFrame(rows, columns=["pcode", "step_no", "status", "started_on",
                                        "completed_on"])
    for col in ("started_on", "completed_on"):
        steps[col] = pd.to_datetime(steps[col]).to_numpy().astype("datetime64[D]")
    return steps


# ── loading ──────────────────────────────────────────────────────────────────
def load(conn, data: DemoData, *, replace: bool = False, progress=None,
         release: bool = False) -> dict:
    """Write the demo into the store in the caller's transaction (see module doc): the
    survey rows go through the household importer's validator, then the loader.
    Refuses a store that holds household data unless `replace` (which deletes it
    first). `release` drops the big frames from `data` as they are loaded."""
    say = progress or (lambda *_a: None)
    if hl.household_data_exists(conn):
        if not replace:
            raise DemoError("the store already holds household data: use replace=True "
                            "(chipao demo --replace) to replace it")
        say("deleting household data", 0, 1)
        hl.delete_household_data(conn)
        say("deleting household data", 1, 1)
    say("validating survey rows", 0, 1)
    parsed = validate_frame(data.survey, hl.read_catalogue(conn), encoding="demo", source="demo")
    if parsed.rejects:
        raise DemoError(f"the generator made invalid rows, e.g. {parsed.rejects[:3]}")
    say("validating survey rows", 1, 1)
    if release:
        data.survey = None
    return hl.load_demo_data(conn, data, parsed, progress=progress, release=release)


def load_demo(households: int = DEFAULT_HOUSEHOLDS, seed: int = 2565, replace: bool = False,
              rounds: tuple[int, ...] = DEFAULT_ROUNDS, as_of: date = AS_OF) -> dict:
    """Generate and load the demo in one owner transaction, with progress bars."""
    console = Console(stderr=True)
    return_freed_memory()
    started = time.perf_counter()
    with Progress(TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.fields[info]}"),
                  TimeElapsedColumn(), console=console, transient=False) as bars, owner() as conn:
        if hl.household_data_exists(conn) and not replace:
            raise DemoError("the store already holds household data: use --replace to replace it")
        task = bars.add_task("reading areas", total=None, info="")
        inputs = hl.read_demo_inputs(conn)
        bars.update(task, total=1, completed=1,
                    info=f"{len(inputs.tambons):,} tambons, {len(inputs.provinces)} provinces")
        task = bars.add_task("generating", total=1, info=f"{households:,} households, seed {seed}")
        data = generate(households, seed, inputs=inputs, rounds=rounds, as_of=as_of)
        bars.update(task, completed=1, info=f"{households:,} households, {len(data.members):,} "
                                            f"members, {len(data.items):,} plan items")
        tasks: dict[str, int] = {}

        def report(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bars.add_task(phase, total=max(total, 1), info="")
            bars.update(tasks[phase], completed=done, total=max(total, 1),
                        info=f"{done:,}" if total > 1 else "")

        summary = load(conn, data, replace=replace, progress=report, release=True)
    summary["seconds"] = time.perf_counter() - started
    console.print(f"demo loaded in {summary['seconds']:.0f} s: {summary['households']:,} "
                  f"households, {summary['rows']:,} survey rows, {summary['members']:,} members, "
                  f"{summary['plans']:,} plans, {summary['centres']:,} centres")
    return summary
