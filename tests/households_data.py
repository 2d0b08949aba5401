"""Small household test data for the household list and record tests: areas from
tests/support_store.py, then villages, households with two survey rounds, members,
plans, visits and centres, inserted as the owner. Deterministic (seeded)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import Connection, text

from tests.support_store import insert_test_areas

LAYOUT = {"TH50": {"TH5001": 3, "TH5002": 1}, "TH10": {"TH1001": 2}}
PER_TAMBON = 40
ROUNDS = ((1, 2565), (2, 2566))
FIRST = ("สมชาย", "สมหญิง", "ประยุทธ", "มาลี", "สุดา", "วิชัย", "John", "Anong")
LAST = ("ใจดี", "มีสุข", "รักไทย", "ทองคำ", "Smith", "ศรีสุข")
RELATIONS = ("spouse", "child", "parent", "grandchild", "relative")
STATUSES = ("not_started", "in_progress", "done", "cancelled")


def _catalogue(conn: Connection) -> tuple[list[tuple[int, int, float]], int]:
    """(bit, dimension sort, weight) per indicator; the number of bits."""
    rows = conn.execute(text(
        "SELECT i.bit, d.sort, i.weight FROM indicator i JOIN dimension d "
        "ON d.code = i.dimension_code ORDER BY i.bit")).all()
    return [tuple(r) for r in rows], len(rows)


def _round_values(rng: random.Random, inds, failed_p: float) -> dict:
    failed = na = 0
    for bit, _sort, _w in inds:
        x = rng.random()
        if x < failed_p:
            failed |= 1 << bit
        elif x < failed_p + 0.1 and bit in (0, 4, 5, 6, 9, 15, 16):  # member-specific ones
            na |= 1 << bit
    dims = 0
    score = 0.0
    for bit, sort, w in inds:
        if failed & (1 << bit):
            dims |= 1 << sort
            score += w
    return {"failed": failed, "na": na, "dims": dims, "n_dims": bin(dims).count("1"),
            "score": round(score, 6)}


def build(conn: Connection, seed: int = 7) -> dict:
    """Insert everything; returns {'tambons': [...], 'houses': {house_id: tambon}}."""
    rng = random.Random(seed)
    tambons = insert_test_areas(conn, LAYOUT)
    inds, _ = _catalogue(conn)
    for rid, year in ROUNDS:
        conn.execute(text("INSERT INTO survey_round (round_id, year_be, label_th, label_en) "
                          "VALUES (:r, :y, :th, :en)"),
                     {"r": rid, "y": year, "th": f"รอบ {year}", "en": f"Round {year}"})
    houses: dict[str, str] = {}
    centre_no = 0
    for t_index, tambon in enumerate(tambons):
        for v in (1, 2, 3):
            conn.execute(text("INSERT INTO village (tambon_pcode, village_no, name_th) "
                              "VALUES (:t, :v, :n)"), {"t": tambon, "v": v, "n": f"บ้านทดสอบ {v}"})
        lon0, lat0 = conn.execute(text(
            "SELECT ST_X(label_point), ST_Y(label_point) FROM area WHERE pcode = :t"),
            {"t": tambon}).one()
        if t_index % 2 == 0:  # centres in every other tambon: some households far away
            centre_no += 1
            conn.execute(text("""
                INSERT INTO centre (code, name_th, name_en, tambon_pcode, location, status)
                VALUES (:c, :th, :en, :t, ST_SetSRID(ST_MakePoint(:x, :y), 4326), 'open')"""),
                {"c": f"C{centre_no:03d}", "th": f"ศูนย์ทดสอบ {centre_no}",
                 "en": f"Test centre {centre_no}", "t": tambon, "x": lon0, "y": lat0})
        for n in range(PER_TAMBON):
            house_id = f"{tambon[2:]}{n:04d}"  # e.g. 5001010007
            houses[house_id] = tambon
            located = n % 5 != 0
            conn.execute(text("""
                INSERT INTO household (house_id, tambon_pcode, village_no, location)
                VALUES (:h, :t, :v, CASE WHEN :located
                        THEN ST_SetSRID(ST_MakePoint(:x, :y), 4326) END)"""),
                {"h": house_id, "t": tambon, "v": 1 + n % 3, "located": located,
                 "x": lon0 + rng.uniform(-0.02, 0.02), "y": lat0 + rng.uniform(-0.02, 0.02)})
            size = rng.randint(1, 7)
            welfare = rng.choice((True, False, None))
            for rid, _year in ROUNDS:
                vals = _round_values(rng, inds, 0.25 if rid == 1 else 0.12)
                if n % 7 == 3 and rid == 2:  # some leave poverty
                    vals = {"failed": 0, "na": vals["na"], "dims": 0, "n_dims": 0, "score": 0.0}
                conn.execute(text("""
                    INSERT INTO household_round (house_id, round_id, tambon_pcode, size,
                        welfare_card, failed, not_applicable, dims_failed, n_dims_failed, score)
                    VALUES (:h, :r, :t, :s, :w, :f, :na, :d, :nd, :sc)"""),
                    {"h": house_id, "r": rid, "t": tambon, "s": size, "w": welfare,
                     "f": vals["failed"], "na": vals["na"], "d": vals["dims"],
                     "nd": vals["n_dims"], "sc": vals["score"]})
            for seq in range(1, size + 1):
                conn.execute(text("""
                    INSERT INTO member (house_id, tambon_pcode, seq, national_id, first_name,
                        last_name, sex, birth_year_be, relation)
                    VALUES (:h, :t, :seq, :nid, :fn, :ln, :sex, :by, :rel)"""),
                    {"h": house_id, "t": tambon, "seq": seq,
                     "nid": f"{rng.randrange(10**12, 10**13)}",
                     "fn": rng.choice(FIRST), "ln": rng.choice(LAST), "sex": rng.choice("MF"),
                     "by": rng.randint(2480, 2566),
                     "rel": "head" if seq == 1 else rng.choice(RELATIONS)})
            if n % 3 == 0:  # a plan with items for every third household
                plan_id = conn.execute(text("""
                    INSERT INTO household_plan (house_id, tambon_pcode, round_id, created_on)
                    VALUES (:h, :t, 2, :d) RETURNING plan_id"""),
                    {"h": house_id, "t": tambon, "d": date(2023, 3, 1)}).scalar_one()
                for cat in rng.sample(("consumer_goods", "job_training", "housing_repair",
                                       "health_care"), rng.randint(0, 3)):
                    status = rng.choice(STATUSES)
                    horizon = conn.execute(text("SELECT horizon FROM plan_category "
                                                "WHERE code = :c"), {"c": cat}).scalar_one()
                    created = date(2023, 3, 1)
                    conn.execute(text("""
                        INSERT INTO plan_item (plan_id, house_id, tambon_pcode, horizon,
                            category_code, agency_code, status, created_on, due_on,
                            started_on, completed_on, note)
                        VALUES (:p, :h, :t, :hz, :c, :a, :s, :cr, :due, :st, :co, :note)"""),
                        {"p": plan_id, "h": house_id, "t": tambon, "hz": horizon, "c": cat,
                         "a": rng.choice(("msdhs", "interior", "labour")), "s": status,
                         "cr": created, "due": created + timedelta(days=90),
                         "st": created + timedelta(days=10) if status in ("in_progress", "done")
                         else None,
                         "co": created + timedelta(days=40) if status == "done" else None,
                         "note": None})
            for k in range(n % 4 if n % 2 == 0 else 0):  # visits for some households
                conn.execute(text("""
                    INSERT INTO visit (house_id, tambon_pcode, visited_on, visitor_kind,
                        poverty_type, causes, needs, note)
                    VALUES (:h, :t, :d, :k, :pt, :c, :nd, :note)"""),
                    {"h": house_id, "t": tambon, "d": date(2023, 1, 10) + timedelta(days=30 * k),
                     "k": rng.choice(("official", "volunteer", "youth_council")),
                     "pt": rng.choice(("chronic", "new_poor", "vulnerable", None)),
                     "c": ["no_income", "illness"][: 1 + k % 2], "nd": ["job", "house_repair"],
                     "note": f"เยี่ยมครั้งที่ {k + 1}"})
    # Precomputed nearest centre for the first tambon only: the others fall back to KNN.
    conn.execute(text("""
        INSERT INTO household_nearest_centre (house_id, tambon_pcode, centre_id, distance_m)
        SELECT h.house_id, h.tambon_pcode, c.centre_id,
               ST_Distance(h.location::geography, c.location::geography)
        FROM household h CROSS JOIN LATERAL (
            SELECT centre_id, location FROM centre ORDER BY location <-> h.location LIMIT 1) c
        WHERE h.location IS NOT NULL AND h.tambon_pcode = :t"""), {"t": tambons[0]})
    conn.execute(text("ANALYZE"))
    return {"tambons": tambons, "houses": houses}
