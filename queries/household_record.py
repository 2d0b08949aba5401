"""Reading one household's record (the electronic family notebook): every stored fact about
it, read in the user's row-level-security scope, with the view written to the audit
log in the same transaction (a record that is shown is always logged)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from chipao.domain.household_filters import FULL_HOUSE_ID_RE, Refused
from chipao.domain.household_record import HouseholdRecord
from chipao.domain.scope import Scope
from queries import areas
from queries.audit import record
from queries.catalogue import load_catalogue
from queries.households import require_records

_HOUSEHOLD = text("""
    SELECT h.house_id, h.tambon_pcode, h.village_no, v.name_th AS village_name,
           ST_Y(h.location) AS lat, ST_X(h.location) AS lon, h.programme_target
    FROM household h
    LEFT JOIN village v ON v.tambon_pcode = h.tambon_pcode AND v.village_no = h.village_no
    WHERE h.house_id = :id
""")
_ROUNDS = text("""
    SELECT r.round_id, s.year_be, s.label_th, s.label_en, s.source_th, s.source_en, r.size,
           r.welfare_card, r.failed, r.not_applicable, r.dims_failed, r.n_dims_failed, r.score
    FROM household_round r JOIN survey_round s USING (round_id)
    WHERE r.house_id = :id ORDER BY s.year_be
""")
_MEMBERS = text("""
    SELECT member_id, seq, national_id, first_name, last_name, sex, birth_year_be, relation,
           disability
    FROM member WHERE house_id = :id ORDER BY seq
""")
_PLAN_ITEMS = text("""
    SELECT i.item_id, p.plan_id, s.year_be AS plan_year, p.created_on AS plan_created_on,
           i.horizon, i.category_code, c.name_th AS category_th, c.name_en AS category_en,
           i.agency_code, a.name_th AS agency_th, a.name_en AS agency_en, i.status,
           i.created_on, i.due_on, i.started_on, i.completed_on, i.note
    FROM plan_item i
    JOIN household_plan p ON p.plan_id = i.plan_id
    JOIN survey_round s ON s.round_id = p.round_id
    JOIN plan_category c ON c.code = i.category_code
    JOIN agency a ON a.code = i.agency_code
    WHERE i.house_id = :id
    ORDER BY array_position(ARRAY['urgent', 'medium', 'long'], i.horizon), c.sort, i.item_id
""")
_VISITS = text("""
    SELECT visit_id, visited_on, visitor_kind, poverty_type, causes, needs, note
    FROM visit WHERE house_id = :id ORDER BY visited_on DESC, visit_id DESC
""")
_NEAREST_STORED = text("""
    SELECT c.centre_id, c.code, c.name_th, c.name_en, c.status, c.tambon_pcode,
           ST_Y(c.location) AS lat, ST_X(c.location) AS lon, n.distance_m::float AS distance_m,
           'stored' AS method
    FROM household_nearest_centre n JOIN centre c USING (centre_id)
    WHERE n.house_id = :id
""")
# No precomputed row: the five nearest open centres by the GiST index (degrees), then
# the nearest of those in metres on the spheroid.
_NEAREST_KNN = text("""
    SELECT c.centre_id, c.code, c.name_th, c.name_en, c.status, c.tambon_pcode,
           ST_Y(c.location) AS lat, ST_X(c.location) AS lon,
           ST_Distance(c.location::geography, h.location::geography) AS distance_m,
           'computed' AS method
    FROM household h
    CROSS JOIN LATERAL (SELECT * FROM centre c WHERE c.status = 'open'
                        ORDER BY c.location <-> h.location LIMIT 5) c
    WHERE h.house_id = :id AND h.location IS NOT NULL
    ORDER BY distance_m LIMIT 1
""")
_OUTLINE = text("SELECT ST_AsGeoJSON(geom_display, 5) FROM area WHERE pcode = :p")


def _rows(conn: Connection, stmt, **params: Any) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(stmt, params)]


def household_record(conn: Connection, scope: Scope, house_id: Any) -> HouseholdRecord:
    """The record of one household in the user's scope, audited as 'household_view'.

    Refused (never a partial record) for a malformed ID, a role without household
    records, and a household that is unknown or outside the scope; both of the latter
    give the same answer, so the refusal does not reveal whether the house exists.
    """
    if not isinstance(house_id, str) or not FULL_HOUSE_ID_RE.match(house_id):
        raise Refused("รหัสบ้านไม่ถูกต้อง", "Invalid house ID", house_id=str(house_id)[:40])
    require_records(scope)
    head = conn.execute(_HOUSEHOLD, {"id": house_id}).mappings().first()
    # Row-level security hides other areas' households; the application checks too.
    if head is None or not scope.covers(head["tambon_pcode"]):
        raise Refused(
            "ไม่พบครัวเรือนนี้ในพื้นที่ที่ท่านมีสิทธิ์เข้าถึง — คำขอถูกบันทึกไว้แล้ว",
            "No such household in your area — the request was logged", house_id=house_id)
    nearest = (conn.execute(_NEAREST_STORED, {"id": house_id}).mappings().first()
               or conn.execute(_NEAREST_KNN, {"id": house_id}).mappings().first())
    rec = HouseholdRecord(
        **head,
        areas=areas.ancestors(conn, head["tambon_pcode"], include_self=True),
        rounds=_rows(conn, _ROUNDS, id=house_id),
        members=_rows(conn, _MEMBERS, id=house_id),
        plan_items=_rows(conn, _PLAN_ITEMS, id=house_id),
        visits=_rows(conn, _VISITS, id=house_id),
        nearest_centre=dict(nearest) if nearest else None,
        tambon_outline=conn.execute(_OUTLINE, {"p": head["tambon_pcode"]}).scalar(),
        catalogue=load_catalogue(conn),
    )
    record(conn, scope, "household_view", house_id, {"tambon": rec.tambon_pcode}, rows=1)
    return rec
