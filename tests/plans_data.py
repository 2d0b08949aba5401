"""A small store of its own for the plan-progress tests: 2 provinces, 3 districts, 4
tambons; households with two survey rounds, visits, development plans and items,
process steps and province targets, generated from a seed and inserted as the owner.
The tests compare the aggregates with SQL of their own over these raw rows."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

from sqlalchemy import Connection, text

from chipao import settings
from chipao.cli import localdb

ROUNDS = ((1, 2565), (2, 2566))
TAMBONS = ("TH100101", "TH100102", "TH100201", "TH200101")
DISTRICTS = ("TH1001", "TH1002", "TH2001")
PROVINCES = ("TH10", "TH20")
TARGETS = {"TH10": 100, "TH20": 60}
N_HOUSEHOLDS = 80
TZ_OFFSET = timedelta(hours=7)


@contextmanager
def plans_store(tag: str) -> Iterator[str]:
    """A fresh migrated database with the catalogue; the environment points at it
    while the context is open (restored afterwards, database dropped)."""
    from queries import db, migrate
    from queries.reference_data import load_catalogue, load_reference_tables

    name = f"chipao_test_{os.getpid()}_{tag}"
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "CHIPAO_APP_DATABASE_URL")}
    localdb.drop_database(name)
    localdb.ensure_database(name)

    def use(owner: str | None, app: str | None) -> None:
        for key, value in (("DATABASE_URL", owner), ("CHIPAO_APP_DATABASE_URL", app)):
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        settings.settings.cache_clear()
        db.dispose_all()

    url = localdb.url_for(name)
    use(url, localdb.url_for(name, role=settings.APP_ROLE))
    try:
        migrate.upgrade(url)
        with db.owner() as conn:
            load_catalogue(conn)
            load_reference_tables(conn)
        yield url
    finally:
        use(saved["DATABASE_URL"], saved["CHIPAO_APP_DATABASE_URL"])
        localdb.drop_database(name)


def _square(pcode: str) -> str:
    n = TAMBONS.index(pcode) if pcode in TAMBONS else 0
    x, y = 100.0 + 0.1 * n, 14.0
    return f"MULTIPOLYGON((({x} {y},{x + 0.1} {y},{x + 0.1} {y + 0.1},{x} {y + 0.1},{x} {y})))"


def insert_areas(conn: Connection) -> None:
    for pcode in TAMBONS:
        conn.execute(text("""
            INSERT INTO area (pcode, level, parent_pcode, name_th, name_en, geom, geom_display,
                              label_point, area_km2)
            SELECT :p, 3, :parent, :th, :en, g, g, ST_PointOnSurface(g), ST_Area(g::geography) / 1e6
            FROM ST_GeomFromText(:wkt, 4326) g"""),
            {"p": pcode, "parent": pcode[:6], "th": f"ตำบล {pcode}", "en": f"Tambon {pcode}",
             "wkt": _square(pcode)})
    for level, codes in ((2, DISTRICTS), (1, PROVINCES)):
        for pcode in codes:
            conn.execute(text("""
                INSERT INTO area (pcode, level, parent_pcode, name_th, name_en, geom,
                                  geom_display, label_point, area_km2)
                SELECT :p, :level, :parent, :th, :en, g, g, ST_PointOnSurface(g),
                       ST_Area(g::geography) / 1e6
                FROM (SELECT ST_Multi(ST_Union(geom)) g FROM area
                      WHERE level = :level + 1 AND starts_with(pcode, :p)) u"""),
                {"p": pcode, "level": level, "parent": pcode[:-2] if level > 1 else None,
                 "th": f"พื้นที่ {pcode}", "en": f"Area {pcode}"})


def _rand_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def insert_data(conn: Connection, today: date, seed: int = 5) -> dict:
    """Everything but the areas; returns {'open_item': id in TH100101, …} for the tests."""
    rng = random.Random(seed)
    conn.execute(text("INSERT INTO survey_round (round_id, year_be, label_th, label_en) "
                      "VALUES (:r, :y, :th, :en)"),
                 [{"r": r, "y": y, "th": f"รอบ {y}", "en": f"Round {y}"} for r, y in ROUNDS])
    conn.execute(text("INSERT INTO village (tambon_pcode, village_no) VALUES (:t, :v)"),
                 [{"t": t, "v": v} for t in TAMBONS for v in (1, 2)])
    conn.execute(text("INSERT INTO province_target VALUES (:p, :n)"),
                 [{"p": p, "n": n} for p, n in TARGETS.items()])
    categories = conn.execute(text("SELECT code, horizon FROM plan_category")).all()
    agencies = list(conn.execute(text("SELECT code FROM agency ORDER BY sort")).scalars())
    households, rounds, visits, plans = [], [], [], []
    for n in range(N_HOUSEHOLDS):
        house_id = f"H{n:05d}"
        tambon = TAMBONS[n % len(TAMBONS)] if n % 7 else TAMBONS[0]
        households.append({"h": house_id, "t": tambon, "v": 1 + n % 2,
                           "target": rng.random() < 0.8})
        for round_id, _year in ROUNDS:
            if round_id == 2 and rng.random() < 0.1:
                continue  # not surveyed again
            dims = rng.choice([0, 0, 1, 2, 3, 4, 8, 16, 5]) if rng.random() < 0.9 else 31
            nd = bin(dims).count("1")
            rounds.append({"h": house_id, "r": round_id, "t": tambon, "size": rng.randint(1, 6),
                           "failed": dims, "dims": dims, "nd": nd, "score": nd / 5})
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            visits.append({"h": house_id, "t": tambon,
                           "d": _rand_date(rng, date(2021, 6, 1), date(2024, 12, 31)),
                           "kind": rng.choice(["official", "volunteer", "youth_council"]),
                           "pt": rng.choice([None, "chronic", "new_poor", "vulnerable"])})
        for round_id, start, end in ((1, date(2022, 2, 1), date(2022, 12, 31)),
                                     (2, date(2023, 2, 1), date(2024, 8, 31))):
            if rng.random() < 0.6:
                plans.append({"h": house_id, "t": tambon, "r": round_id,
                              "c": _rand_date(rng, start, end)})
    conn.execute(text("INSERT INTO household (house_id, tambon_pcode, village_no, "
                      "programme_target) VALUES (:h, :t, :v, :target)"), households)
    conn.execute(text("""INSERT INTO household_round (house_id, round_id, tambon_pcode, size,
                            failed, dims_failed, n_dims_failed, score)
                         VALUES (:h, :r, :t, :size, :failed, :dims, :nd, :score)"""), rounds)
    conn.execute(text("""INSERT INTO visit (house_id, tambon_pcode, visited_on, visitor_kind,
                            poverty_type) VALUES (:h, :t, :d, :kind, :pt)"""), visits)
    items = []
    now = datetime.combine(today, time(12)) - TZ_OFFSET
    for plan in plans:
        plan_id = conn.execute(text("""INSERT INTO household_plan (house_id, tambon_pcode,
                                         round_id, created_on) VALUES (:h, :t, :r, :c)
                                       RETURNING plan_id"""), plan).scalar_one()
        for _ in range(rng.choice([0, 1, 2, 3, 4])):
            category, horizon = rng.choice(categories)
            created = plan["c"]
            due = created + timedelta(days=rng.randint(20, 900))
            status = rng.choice(["not_started", "in_progress", "in_progress", "done", "done",
                                 "done", "cancelled"])
            started = completed = None
            if status in ("in_progress", "done"):
                started = _rand_date(rng, created, min(today, created + timedelta(days=200)))
            if status == "done":
                completed = _rand_date(rng, started, min(today, started + timedelta(days=300)))
            last = completed or started or created
            updated = (datetime.combine(_rand_date(rng, last, today), time(rng.randint(0, 23)))
                       - TZ_OFFSET)
            items.append({"plan": plan_id, "h": plan["h"], "t": plan["t"], "hz": horizon,
                          "cat": category, "ag": rng.choice(agencies), "s": status,
                          "c": created, "due": due, "st": started, "co": completed,
                          "u": min(updated, now)})
    # boundaries: an open item due today is not overdue yet; one due yesterday is
    open_items = [i for i in items if i["s"] in ("not_started", "in_progress")]
    open_items[0]["due"], open_items[1]["due"] = today, today - timedelta(days=1)
    conn.execute(text("""INSERT INTO plan_item (plan_id, house_id, tambon_pcode, horizon,
                            category_code, agency_code, status, created_on, due_on, started_on,
                            completed_on, updated_at)
                         VALUES (:plan, :h, :t, :hz, :cat, :ag, :s, :c, :due, :st, :co,
                                 CAST(:u AS timestamp) AT TIME ZONE 'UTC')"""), items)
    steps = []
    for pcode, done_upto, in_progress in (("TH10", 5, 6), ("TH20", 3, None), ("TH1001", 7, 8)):
        for step in range(1, done_upto + 1):
            steps.append({"p": pcode, "n": step, "s": "done", "st": date(2022, step, 1),
                          "co": date(2022, step, 20)})
        if in_progress:
            steps.append({"p": pcode, "n": in_progress, "s": "in_progress",
                          "st": date(2022, in_progress, 1), "co": None})
    conn.execute(text("INSERT INTO area_process_step VALUES (:p, :n, :s, :st, :co)"), steps)
    open_item = conn.execute(text("""
        SELECT i.item_id FROM plan_item i JOIN household_plan p USING (plan_id)
        WHERE i.tambon_pcode = 'TH100101' AND i.status = 'not_started'
        ORDER BY i.item_id LIMIT 1""")).scalar_one()
    other_item = conn.execute(text("""
        SELECT item_id FROM plan_item WHERE tambon_pcode = 'TH100201'
          AND status = 'not_started' ORDER BY item_id LIMIT 1""")).scalar_one()
    return {"open_item": open_item, "other_item": other_item}
