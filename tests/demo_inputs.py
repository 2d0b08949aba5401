"""Demo-generator inputs built in memory (no database), shared by the demo's unit and
integration tests: a small layout of real province codes and the indicator catalogue."""

from __future__ import annotations

import pandas as pd
import shapely

from chipao.domain.demo import DemoInputs
from chipao.domain.households import Catalogue, IndicatorSpec
from chipao.settings import DATA_DIR

# Provinces chosen for their calibration: Bangkok (low), central TH12, Northeast TH30,
# Mae Hong Son TH58 (high), Pattani TH94 (deep South, high).
LAYOUT = {"TH10": {"TH1001": 3, "TH1002": 2}, "TH12": {"TH1201": 3},
          "TH30": {"TH3001": 4, "TH3002": 2}, "TH58": {"TH5801": 3}, "TH94": {"TH9401": 3}}

CATALOGUE_ROWS = [  # code, dimension, sort, bit, applies_to (as chipao/data/indicators.csv)
    ("H1", "health", 0, 0, "newborn"), ("H2", "health", 0, 1, None), ("H3", "health", 0, 2, None),
    ("H4", "health", 0, 3, None), ("E1", "education", 1, 4, "age_3_5"),
    ("E2", "education", 1, 5, "age_6_14"), ("E3", "education", 1, 6, "lower_secondary_graduate"),
    ("E4", "education", 1, 7, "age_15_59"), ("I1", "income", 2, 8, "age_15_59"),
    ("I2", "income", 2, 9, "age_60_plus"), ("I3", "income", 2, 10, None),
    ("L1", "living", 3, 11, None), ("L2", "living", 3, 12, None), ("L3", "living", 3, 13, None),
    ("L4", "living", 3, 14, None), ("A1", "access", 4, 15, "elderly"),
    ("A2", "access", 4, 16, "disabled"),
]


def memory_inputs(layout=LAYOUT) -> DemoInputs:
    """Generator inputs without a database: 0.1° squares per tambon."""
    per_dim = pd.Series([r[1] for r in CATALOGUE_ROWS]).value_counts()
    specs = tuple(IndicatorSpec(code, bit, 0.2 / per_dim[dim], dim, sort, applies)
                  for code, dim, sort, bit, applies in CATALOGUE_ROWS)
    rows, districts = [], []
    for districts_of in layout.values():
        for district, n in districts_of.items():
            districts.append(district)
            for k in range(1, n + 1):
                i = len(rows)  # a grid inside Thailand's bounding box
                x, y = 98.0 + 0.1 * (i % 60), 6.0 + 0.1 * (i // 60)
                rows.append({"pcode": f"{district}{k:02d}", "name_th": f"ตำบล{district}{k}",
                             "name_en": f"Tambon {district}{k}", "area_km2": 120.0,
                             "geom": shapely.box(x, y, x + 0.1, y + 0.1)})
    tambons = pd.DataFrame(rows)
    categories = pd.read_csv(DATA_DIR / "plan_categories.csv")[["code", "horizon"]]
    agencies = pd.read_csv(DATA_DIR / "agencies.csv")["code"].tolist()
    return DemoInputs(tambons=tambons, districts=districts, provinces=list(layout),
                           catalogue=Catalogue(specs, frozenset(tambons["pcode"])),
                           categories=categories, agencies=agencies)
