"""The demo generator's inputs (read from the store) and outputs (frames to load)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from chipao.domain.households import Catalogue


class DemoError(RuntimeError):
    pass


# ── inputs and outputs ───────────────────────────────────────────────────────
@dataclass
class DemoInputs:
    """What the generator needs from the store (read by queries.households_load)."""

    tambons: pd.DataFrame  # pcode, name_th, name_en, area_km2, geom (shapely), sorted by pcode
    districts: list[str]
    provinces: list[str]
    catalogue: Catalogue
    categories: pd.DataFrame  # code, horizon
    agencies: list[str]


@dataclass
class DemoData:
    survey: pd.DataFrame  # the household CSV layout, one row per household per round
    members: pd.DataFrame
    plans: pd.DataFrame  # plan_no, house_id, tambon_pcode, survey_year, created_on
    items: pd.DataFrame  # item_no, plan_no, house_id, tambon_pcode, horizon, category_code, …
    events: pd.DataFrame  # item_no, tambon_pcode, at, old_status, new_status, on_date
    visits: pd.DataFrame
    centres: pd.DataFrame
    steps: pd.DataFrame  # pcode, step_no, status, started_on, completed_on
    targets: pd.DataFrame  # province_pcode, target_households
    seed: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    FRAMES = ("survey", "members", "plans", "items", "events", "visits", "centres", "steps",
              "targets")

    @property
    def households(self) -> int:
        return int(self.survey["house_id"].nunique())
