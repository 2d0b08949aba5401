"""Load the reference tables (indicator catalogue, agencies, plan categories, the 9
steps) from data files. The catalogue is data, not code: a deployment may load the
revised จปฐ. set with `chipao catalogue --file …`.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import Connection, text

from chipao.settings import DATA_DIR


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


class CatalogueError(ValueError):
    pass


def catalogue_rows(dimensions_file: Path, indicators_file: Path) -> tuple[list[dict], list[dict]]:
    """Parse and check a catalogue; indicator weights default to the dimension's
    weight split equally among its indicators (the OPHI nested-weights default)."""
    dims = [
        {**d, "sort": int(d["sort"]), "weight": float(d["weight"])}
        for d in read_csv(dimensions_file)
    ]
    inds = read_csv(indicators_file)
    dim_weight = {d["code"]: d["weight"] for d in dims}
    per_dim: dict[str, int] = {}
    for ind in inds:
        if ind["dimension"] not in dim_weight:
            raise CatalogueError(f"indicator {ind['code']}: unknown dimension {ind['dimension']!r}")
        per_dim[ind["dimension"]] = per_dim.get(ind["dimension"], 0) + 1
    rows = []
    for ind in inds:
        weight = ind.get("weight") or dim_weight[ind["dimension"]] / per_dim[ind["dimension"]]
        rows.append({
            "code": ind["code"], "dimension_code": ind["dimension"], "bit": int(ind["bit"]),
            "bmn_no": int(ind["bmn_no"]) if ind.get("bmn_no") else None,
            "text_th": ind["text_th"], "text_en": ind["text_en"], "weight": float(weight),
            "applies_to": ind.get("applies_to") or None,
            "parameter": ind.get("parameter") or "{}",
        })
    total = sum(r["weight"] for r in rows)
    if abs(total - 1) > 1e-6:
        raise CatalogueError(f"indicator weights add up to {total:.4f}, not 1")
    for r in rows:
        json.loads(r["parameter"])
    return dims, rows


def load_catalogue(conn: Connection, dimensions_file: Path | None = None,
                   indicators_file: Path | None = None) -> int:
    dims, inds = catalogue_rows(
        dimensions_file or DATA_DIR / "dimensions.csv",
        indicators_file or DATA_DIR / "indicators.csv",
    )
    has_results = conn.execute(text("SELECT EXISTS (SELECT 1 FROM household_round)")).scalar()
    if has_results:
        stored = dict(conn.execute(text("SELECT code, bit FROM indicator")).all())
        if stored != {r["code"]: r["bit"] for r in inds}:
            raise CatalogueError(
                "household results are stored against the current catalogue; indicator codes "
                "and bits cannot change until those results are removed"
            )
    conn.execute(
        text("""INSERT INTO dimension (code, sort, name_th, name_en, weight)
                VALUES (:code, :sort, :name_th, :name_en, :weight)
                ON CONFLICT (code) DO UPDATE SET sort = EXCLUDED.sort, name_th = EXCLUDED.name_th,
                  name_en = EXCLUDED.name_en, weight = EXCLUDED.weight"""),
        dims,
    )
    conn.execute(
        text("""INSERT INTO indicator (code, dimension_code, bit, bmn_no, text_th, text_en,
                                       weight, applies_to, parameter)
                VALUES (:code, :dimension_code, :bit, :bmn_no, :text_th, :text_en, :weight,
                        :applies_to, CAST(:parameter AS jsonb))
                ON CONFLICT (code) DO UPDATE SET dimension_code = EXCLUDED.dimension_code,
                  bit = EXCLUDED.bit, bmn_no = EXCLUDED.bmn_no, text_th = EXCLUDED.text_th,
                  text_en = EXCLUDED.text_en, weight = EXCLUDED.weight,
                  applies_to = EXCLUDED.applies_to, parameter = EXCLUDED.parameter"""),
        inds,
    )
    return len(inds)


def load_reference_tables(conn: Connection) -> None:
    """Agencies of the MoU, plan categories and the 9 steps (idempotent)."""
    for table, key, file in (
        ("agency", "code", "agencies.csv"),
        ("plan_category", "code", "plan_categories.csv"),
        ("process_step", "step_no", "process_steps.csv"),
    ):
        rows = read_csv(DATA_DIR / file)
        cols = list(rows[0])
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols if c != key)
        conn.execute(
            text(f"INSERT INTO {table} ({', '.join(cols)}) "  # noqa: S608 (fixed names)
                 f"VALUES ({', '.join(':' + c for c in cols)}) "
                 f"ON CONFLICT ({key}) DO UPDATE SET {updates}"),
            [{c: (int(v) if c in ("sort", "step_no") else v) for c, v in r.items()} for r in rows],
        )
