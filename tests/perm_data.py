"""A small store of its own for the permission and privacy tests: three tambons in two
provinces, households with members, plans and visits, aggregates refreshed, and one
user per role. Member surnames carry the province, so a leak is easy to spot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import Connection, text

from tests.auth_helpers import create_user, ensure_areas

IN_TAMBON, OTHER_TAMBON_SAME_DISTRICT, OUT_TAMBON = "TH500101", "TH500102", "TH100101"
ROUND = (1, 2566)
# (tambon, households, poor among them)
LAYOUT = ((IN_TAMBON, 6, 2), (OTHER_TAMBON_SAME_DISTRICT, 6, 0), (OUT_TAMBON, 6, 1))
ROLE_AREAS: dict[str, tuple[str, ...]] = {
    "executive": (), "province": ("TH50",), "district": ("TH5001",),
    "tambon": (IN_TAMBON,), "public": (), "admin": (),
}


def surname(tambon: str) -> str:
    return f"สกุลลับ{tambon[2:]}"


def house_id(tambon: str, i: int) -> str:
    return f"P{tambon[2:]}-{i:02d}"


def national_id(tambon: str, i: int, seq: int) -> str:
    return f"{tambon[2:]}{i:02d}{seq:02d}12345"[:13].ljust(13, "0")


def build(conn: Connection) -> None:
    ensure_areas(conn, [t for t, _, _ in LAYOUT])
    bit, sort, weight = conn.execute(text(
        "SELECT i.bit, d.sort, i.weight FROM indicator i JOIN dimension d "
        "ON d.code = i.dimension_code ORDER BY i.bit LIMIT 1")).one()
    conn.execute(text("INSERT INTO survey_round (round_id, year_be, label_th, label_en) "
                      "VALUES (:r, :y, 'รอบทดสอบ', 'Test round') ON CONFLICT DO NOTHING"),
                 {"r": ROUND[0], "y": ROUND[1]})
    for tambon, n, poor in LAYOUT:
        conn.execute(text("INSERT INTO village (tambon_pcode, village_no) VALUES (:t, 1) "
                          "ON CONFLICT DO NOTHING"), {"t": tambon})
        for i in range(1, n + 1):
            hid, is_poor = house_id(tambon, i), i <= poor
            conn.execute(text("INSERT INTO household (house_id, tambon_pcode, village_no) "
                              "VALUES (:h, :t, 1)"), {"h": hid, "t": tambon})
            conn.execute(text("""
                INSERT INTO household_round (house_id, round_id, tambon_pcode, size, welfare_card,
                    failed, dims_failed, n_dims_failed, score)
                VALUES (:h, :r, :t, 2, :poor, :f, :d, :nd, :s)
            """), {"h": hid, "r": ROUND[0], "t": tambon, "poor": is_poor,
                   "f": (1 << bit) if is_poor else 0, "d": (1 << sort) if is_poor else 0,
                   "nd": 1 if is_poor else 0, "s": weight if is_poor else 0})
            for seq, first in ((1, "สมศรี"), (2, "สมชาย")):
                conn.execute(text("""
                    INSERT INTO member (house_id, tambon_pcode, seq, national_id, first_name,
                                        last_name, sex, relation)
                    VALUES (:h, :t, :seq, :nid, :first, :last, :sex, :rel)
                """), {"h": hid, "t": tambon, "seq": seq, "nid": national_id(tambon, i, seq),
                       "first": first, "last": surname(tambon), "sex": "F" if seq == 1 else "M",
                       "rel": "head" if seq == 1 else "spouse"})
            if is_poor:
                plan_id = conn.execute(text("""
                    INSERT INTO household_plan (house_id, tambon_pcode, round_id, created_on)
                    VALUES (:h, :t, :r, :d) RETURNING plan_id
                """), {"h": hid, "t": tambon, "r": ROUND[0], "d": date(2023, 6, 1)}).scalar()
                conn.execute(text("""
                    INSERT INTO plan_item (plan_id, house_id, tambon_pcode, horizon, category_code,
                                           agency_code, created_on, due_on)
                    SELECT :p, :h, :t, c.horizon, c.code, (SELECT code FROM agency ORDER BY sort
                                                          LIMIT 1), :d, :d
                    FROM plan_category c ORDER BY c.sort LIMIT 1
                """), {"p": plan_id, "h": hid, "t": tambon, "d": date(2023, 6, 1)})
                conn.execute(text("""
                    INSERT INTO visit (house_id, tambon_pcode, visited_on, visitor_kind)
                    VALUES (:h, :t, :d, 'official')
                """), {"h": hid, "t": tambon, "d": date(2023, 5, 1)})
    from queries import aggregates

    aggregates.refresh(conn)


@contextmanager
def permission_store() -> Iterator[dict[str, tuple[str, str]]]:
    """The store above in a database of its own; yields {role: (username, password)}."""
    from queries.db import owner
    from tests.support_store import isolated_store

    with isolated_store("chipao_test_perm"):
        with owner() as conn:
            build(conn)
        yield {role: create_user(role, areas) for role, areas in ROLE_AREAS.items()}
