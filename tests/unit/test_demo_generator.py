"""The demo generator in memory (no database): deterministic from the seed and calibrated
(regions, indicators, rounds, welfare card, plans); its frame and its CSV file agree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chipao.domain.demo import DemoData, DemoError, DemoInputs
from chipao.ingest import demo
from chipao.ingest.household_csv import read_household_csv, validate_frame
from tests.factory import CATALOGUE_ROWS, memory_inputs


@pytest.fixture(scope="module")
def inputs() -> DemoInputs:
    return memory_inputs()


@pytest.fixture(scope="module")
def big(inputs) -> DemoData:
    return demo.generate(30_000, seed=2565, inputs=inputs)


# ── determinism ──────────────────────────────────────────────────────────────
def test_same_seed_same_frames_different_seed_different(inputs):
    a = demo.generate(800, seed=11, inputs=inputs)
    b = demo.generate(800, seed=11, inputs=inputs)
    c = demo.generate(800, seed=12, inputs=inputs)
    for name in DemoData.FRAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
    assert not a.survey.equals(c.survey)
    assert not a.members.equals(c.members)
    # targets depend on the seed's province weights but always add up to the programme
    assert a.targets["target_households"].sum() == c.targets["target_households"].sum() \
        == demo.PROGRAMME_TARGET


# ── calibration ──────────────────────────────────────────────────────────────
def _round(big: DemoData, year: int) -> pd.DataFrame:
    parsed = validate_frame(big.survey, memory_inputs().catalogue)
    assert not parsed.rejects
    rows = parsed.rows
    return rows[rows["survey_year"] == year]


def test_every_tambon_populated_and_villages(inputs):
    data = demo.generate(len(inputs.tambons), seed=1, inputs=inputs)  # the minimum
    assert set(data.survey["tambon_pcode"]) == set(inputs.tambons["pcode"])
    assert data.survey["village_no"].between(1, 15).all()
    with pytest.raises(DemoError, match="cannot populate"):
        demo.generate(len(inputs.tambons) - 1, seed=1, inputs=inputs)


def test_regional_rates(big):
    r1 = _round(big, 2565)
    poor = (r1["dims_failed"] > 0).groupby(r1["tambon_pcode"].str[:4]).mean()
    national = (r1["dims_failed"] > 0).mean()
    assert 0.05 <= poor["TH10"] <= 0.16
    assert 0.40 <= poor["TH58"] <= 0.62 and 0.40 <= poor["TH94"] <= 0.62
    assert poor["TH10"] < poor["TH12"] < poor["TH30"] < poor["TH58"]
    assert 0.2 <= national <= 0.45  # this test country is poorer than Thailand


def test_indicator_mix_and_applicability(big):
    r1 = _round(big, 2565)
    bits = {code: bit for code, _d, _s, bit, _a in CATALOGUE_ROWS}
    failed, not_applicable = r1["failed"].to_numpy(), r1["not_applicable"].to_numpy()
    fail = {c: ((failed >> b) & 1).mean() for c, b in bits.items()}
    na = {c: ((not_applicable >> b) & 1).mean() for c, b in bits.items()}
    ranked = sorted(fail, key=fail.get, reverse=True)
    assert ranked[0] == "I3" and {"I1", "I2"} <= set(ranked[:4])
    assert fail["H1"] < fail["I3"] / 10 and fail["A2"] < fail["I3"] / 5
    assert na["H1"] > 0.9 and na["A2"] > 0.8  # few newborns, few disabled members
    assert na["I3"] == 0 and na["L1"] == 0  # whole-household indicators always apply
    assert 0.3 < na["I2"] < 0.8  # elderly members in many households


def test_rounds_improve_with_new_poor(big):
    years = sorted(big.survey["survey_year"].unique())
    assert years == [2565, 2566, 2567]
    r1, r2 = _round(big, 2565), _round(big, 2566)
    p1, p2 = (r1["dims_failed"] > 0).mean(), (r2["dims_failed"] > 0).mean()
    assert 0.70 <= p2 / p1 <= 0.87  # improves by about a fifth
    was = r1.set_index("house_id")["dims_failed"] > 0
    now = r2.set_index("house_id")["dims_failed"] > 0
    both = was.index.intersection(now.index)
    assert (now[both] & ~was[both]).sum() > 0  # some new poor
    assert len(r2) < len(r1) and len(r2) / len(r1) > 0.95  # a few missing in a round


def test_welfare_card_and_target_poor(big):
    r1 = _round(big, 2565)
    card = r1["welfare_card"] == 1
    poor = r1["dims_failed"] > 0
    assert 0.37 <= card.mean() <= 0.43
    assert 0.26 <= (card & poor).sum() / poor.sum() <= 0.34


def test_members(big):
    m = big.members
    sizes = m.groupby("house_id", observed=True).size()
    assert sizes.between(1, 9).all() and 2.7 <= sizes.mean() <= 3.4
    assert (m.groupby("house_id", observed=True)["relation"].first() == "head").all()
    assert 0.02 <= m["disability"].mean() <= 0.04
    ids = m["national_id"].astype(str)
    assert ids.str.fullmatch(r"[13][0-9]{12}").all() and ids.is_unique
    digits = np.array([list(map(int, s)) for s in ids.iloc[:2000]])
    check = (11 - (digits[:, :12] * np.arange(13, 1, -1)).sum(axis=1) % 11) % 10
    assert (check == digits[:, 12]).all()
    assert m["first_name"].astype(str).str.len().min() >= 3
    # household size in the latest round counts the members born by then
    latest = big.survey[big.survey["survey_year"] == 2567].set_index("house_id")
    born = m[m["birth_year_be"] <= 2567].groupby("house_id", observed=True).size()
    assert (latest["household_size"] == born.reindex(latest.index)).all()


def test_plans_visits_and_items(big):
    r1 = _round(big, 2565)
    poor = set(r1.loc[r1["dims_failed"] > 0, "house_id"])
    visited = set(big.visits["house_id"])
    analysed = set(big.visits.loc[big.visits["poverty_type"].notna(), "house_id"])
    planned = set(big.plans["house_id"])
    assert planned <= analysed <= visited <= poor
    assert 0.75 <= len(visited) / len(poor) <= 0.85
    assert 0.65 <= len(analysed) / len(poor) <= 0.75
    assert 0.50 <= len(planned) / len(poor) <= 0.60
    items = big.items
    per_plan = items.groupby("plan_no").size()
    assert per_plan.between(1, 5).all()
    assert set(items["horizon"]) == {"urgent", "medium", "long"}
    as_of = np.datetime64(demo.AS_OF)
    done = items["status"] == "done"
    assert (done == items["completed_on"].notna()).all()
    assert (items.loc[done, "completed_on"] <= as_of).all()
    assert (items["due_on"] >= items["created_on"]).all()
    overdue = ~items["status"].isin(["done", "cancelled"]) & (items["due_on"] < as_of)
    assert 0 < overdue.mean() < 0.5
    assert (big.visits["visited_on"] <= as_of).all()
    # agencies plausible per category: housing repairs are never the Ministry of Labour's
    assert "labour" not in set(items.loc[items["category_code"] == "housing_repair",
                                         "agency_code"])
    assert set(items.loc[items["tambon_pcode"].str.startswith("TH10"), "agency_code"]) \
        .isdisjoint({"local_gov"})  # the BMA instead


def test_completed_plans_leave_poverty_more_often(big):
    r1, r2 = _round(big, 2565), _round(big, 2566)
    poor1 = r1.loc[r1["dims_failed"] > 0, "house_id"]
    left = ~r2.set_index("house_id")["dims_failed"].reindex(poor1).gt(0)
    done = big.items[big.items["completed_on"] < np.datetime64("2023-04-30")]["house_id"]
    with_done = left[left.index.isin(set(done))].mean()
    without = left[~left.index.isin(set(big.plans["house_id"]))].mean()
    assert with_done > without + 0.05


def test_centres_and_steps(big, inputs):
    c = big.centres
    share = c["tambon_pcode"].nunique() / len(inputs.tambons)
    assert 0.2 <= share <= 0.7
    provinces = set(inputs.provinces)
    assert len(provinces - set(c["tambon_pcode"].str[:4])) == 1  # exactly one without
    assert c["code"].str.fullmatch(r"C-TH[0-9]{6}-[12]").all()
    opened = c["opened_on"].dropna()
    assert opened.between(np.datetime64("2017-01-01"), np.datetime64("2025-12-31")).all()
    assert c["services"].map(len).ge(2).all()
    s = big.steps
    assert len(s) == 9 * (len(inputs.provinces) + len(inputs.districts))
    for _pcode, g in s.groupby("pcode"):
        order = g.sort_values("step_no")["status"].tolist()
        rank = {"done": 0, "in_progress": 1, "not_started": 2}
        assert [rank[x] for x in order] == sorted(rank[x] for x in order)  # in order


def test_demo_frame_and_csv_file_agree(inputs, tmp_path):
    """The demo's frame and the same data written as a CSV file validate identically."""
    data = demo.generate(300, seed=3, inputs=inputs)
    path = tmp_path / "demo.csv"
    data.survey.to_csv(path, index=False, na_rep="NA")
    from_file = read_household_csv(path, inputs.catalogue)
    from_frame = validate_frame(data.survey, inputs.catalogue)
    assert not from_file.rejects and not from_frame.rejects
    cols = ["house_id", "tambon_pcode", "survey_year", "household_size", "failed",
            "not_applicable", "dims_failed", "n_dims_failed", "score"]
    pd.testing.assert_frame_equal(from_file.rows[cols].astype(str),
                                  from_frame.rows[cols].astype(str))




