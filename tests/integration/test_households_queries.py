"""Household lists and records against a real PostGIS (own database, small data).

Totals are compared with independent SQL counts run as the owner; paging is walked
end to end; forged requests must be refused; and row-level security must hold even
when the application's own check is bypassed."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from sqlalchemy import text

from chipao.domain.household_filters import (
    GridRequest,
    Refused,
    parse_grid_request,
    parse_list_params,
)
from chipao.domain.scope import Role, Scope
from queries import households as hh
from queries.db import owner, scoped
from queries.household_record import household_record
from tests import factory
from tests.factory import isolated_store

TAMBON = "TH500101"
DISTRICT = "TH5001"
OTHER_TAMBON = "TH100101"
OFFICER = Scope("officer", Role.TAMBON, (TAMBON,))
DISTRICT_COMMITTEE = Scope("district", Role.DISTRICT, (DISTRICT,))
PROVINCE_50 = Scope("province50", Role.PROVINCE, ("TH50",))
PROVINCE_10 = Scope("province10", Role.PROVINCE, ("TH10",))
EXECUTIVE = Scope("exec", Role.EXECUTIVE, ())


@pytest.fixture(scope="module")
def store(database):
    with isolated_store("chipao_test_hh") as url:
        with owner() as conn:
            data = factory.households_build(conn)
        yield {"url": url, **data}


_JOINED = "household_round r JOIN household h USING (house_id)"


def owner_count(where: str, **params) -> int:
    """An independent count (owner role, plain SQL) over round 2566 (round_id 2)."""
    with owner() as conn:
        query = f"SELECT count(*) FROM {_JOINED} WHERE r.round_id = 2 AND {where}"  # noqa: S608
        return conn.execute(text(query), params).scalar_one()


def owner_ids(where: str, **params) -> set[str]:
    with owner() as conn:
        query = f"SELECT r.house_id FROM {_JOINED} WHERE r.round_id = 2 AND {where}"  # noqa: S608
        return set(conn.execute(text(query), params).scalars())


def ctx_for(scope: Scope, **params) -> hh.ListContext:
    with scoped(scope) as conn:
        return hh.list_context(conn, scope, parse_list_params(params))


def total(scope: Scope, grid: GridRequest | None = None, **params) -> int:
    ctx = ctx_for(scope, **params)
    with scoped(scope) as conn:
        return hh.page(conn, scope, ctx, grid or GridRequest())[1]


def walk(scope: Scope, ctx: hh.ListContext, sort=(), filters=(), block: int = 7) -> list[dict]:
    rows: list[dict] = []
    for start in itertools.count(0, block):
        grid = GridRequest(start, start + block, tuple(sort), tuple(filters))
        with scoped(scope) as conn:
            part, count = hh.page(conn, scope, ctx, grid)
        rows += part
        if len(part) < block:
            break
    assert len(rows) == count
    return rows


# ── totals ───────────────────────────────────────────────────────────────────
CASES = [
    ({"area": TAMBON}, "r.tambon_pcode = 'TH500101'"),
    ({"area": DISTRICT}, "r.tambon_pcode LIKE 'TH5001%'"),
    ({"area": TAMBON, "village": "2"}, "r.tambon_pcode = 'TH500101' AND h.village_no = 2"),
    ({"area": DISTRICT, "dim": "health"}, "r.tambon_pcode LIKE 'TH5001%' AND r.dims_failed & 1 <> 0"),
    ({"area": DISTRICT, "dim": "income"}, "r.tambon_pcode LIKE 'TH5001%' AND r.dims_failed & 4 <> 0"),
    ({"area": DISTRICT, "ind": "I3"}, "r.tambon_pcode LIKE 'TH5001%' AND r.failed & 1024 <> 0"),
    ({"area": DISTRICT, "dims": "2"}, "r.tambon_pcode LIKE 'TH5001%' AND r.n_dims_failed >= 2"),
    ({"area": DISTRICT, "k": "0.1"}, "r.tambon_pcode LIKE 'TH5001%' AND r.score >= 0.1::real"),
    ({"area": DISTRICT, "k": "0.2"}, "r.tambon_pcode LIKE 'TH5001%' AND r.score >= 0.2::real"),
    ({"area": DISTRICT, "welfare": "yes"}, "r.tambon_pcode LIKE 'TH5001%' AND r.welfare_card"),
    ({"area": DISTRICT, "welfare": "no"},
     "r.tambon_pcode LIKE 'TH5001%' AND r.welfare_card IS NOT TRUE"),
    ({"area": DISTRICT, "visited": "yes"},
     "r.tambon_pcode LIKE 'TH5001%' AND EXISTS (SELECT 1 FROM visit v WHERE v.house_id = r.house_id)"),
    ({"area": DISTRICT, "visited": "no"},
     "r.tambon_pcode LIKE 'TH5001%' AND NOT EXISTS (SELECT 1 FROM visit v WHERE v.house_id = r.house_id)"),
    ({"area": DISTRICT, "plan": "none"},
     "r.tambon_pcode LIKE 'TH5001%' AND NOT EXISTS (SELECT 1 FROM plan_item i "
     "WHERE i.house_id = r.house_id AND i.status <> 'cancelled')"),
    ({"area": DISTRICT, "plan": "done"},
     "r.tambon_pcode LIKE 'TH5001%' AND EXISTS (SELECT 1 FROM plan_item i "
     "WHERE i.house_id = r.house_id AND i.status = 'done') AND NOT EXISTS (SELECT 1 "
     "FROM plan_item i WHERE i.house_id = r.house_id AND i.status IN ('not_started', 'in_progress'))"),
    ({"area": DISTRICT, "plan": "not_started"},
     "r.tambon_pcode LIKE 'TH5001%' AND EXISTS (SELECT 1 FROM plan_item i "
     "WHERE i.house_id = r.house_id AND i.status = 'not_started') AND NOT EXISTS (SELECT 1 "
     "FROM plan_item i WHERE i.house_id = r.house_id AND i.status IN ('in_progress', 'done'))"),
    ({"area": DISTRICT, "plan": "in_progress"},
     "r.tambon_pcode LIKE 'TH5001%' AND EXISTS (SELECT 1 FROM plan_item i "
     "WHERE i.house_id = r.house_id AND i.status IN ('in_progress', 'done')) AND EXISTS "
     "(SELECT 1 FROM plan_item i WHERE i.house_id = r.house_id "
     "AND i.status IN ('not_started', 'in_progress'))"),
    ({"area": DISTRICT, "dim": "health", "welfare": "yes", "dims": "1", "visited": "no"},
     "r.tambon_pcode LIKE 'TH5001%' AND r.dims_failed & 1 <> 0 AND r.welfare_card "
     "AND r.n_dims_failed >= 1 AND NOT EXISTS (SELECT 1 FROM visit v WHERE v.house_id = r.house_id)"),
    ({"area": DISTRICT, "q": "50010200"}, "r.tambon_pcode LIKE 'TH5001%' AND r.house_id LIKE '50010200%'"),
    ({"area": DISTRICT, "q": "สมชาย"},
     "r.tambon_pcode LIKE 'TH5001%' AND EXISTS (SELECT 1 FROM member m WHERE m.house_id = r.house_id "
     "AND m.first_name || ' ' || m.last_name ILIKE '%สมชาย%')"),
    ({"q": "สมชาย ใจ"},
     "r.tambon_pcode LIKE 'TH50%' AND EXISTS (SELECT 1 FROM member m WHERE m.house_id = r.house_id "
     "AND m.first_name || ' ' || m.last_name ILIKE '%สมชาย ใจ%')"),
    ({"round": "2565", "area": TAMBON}, None),
]


@pytest.mark.parametrize(("params", "where"), CASES)
def test_totals_equal_independent_counts(store, params, where):
    if where is None:  # the earlier round
        with owner() as conn:
            expected = conn.execute(text(
                "SELECT count(*) FROM household_round WHERE round_id = 1 "
                "AND tambon_pcode = :t"), {"t": TAMBON}).scalar_one()
    else:
        expected = owner_count(where)
    assert expected > 0, "the test data must exercise this filter"
    assert total(PROVINCE_50, **params) == expected


def test_grid_column_filters_equal_independent_counts(store):
    request = {"startRow": 0, "endRow": 50, "filterModel": {
        "size": {"filterType": "number", "type": "greaterThanOrEqual", "filter": 3},
        "score": {"filterType": "number", "operator": "OR", "conditions": [
            {"filterType": "number", "type": "equals", "filter": 0},
            {"filterType": "number", "type": "inRange", "filter": 0.2, "filterTo": 0.6}]},
        "house_id": {"filterType": "text", "type": "startsWith", "filter": "500101"},
    }}
    grid = parse_grid_request(request)
    expected = owner_count("r.tambon_pcode LIKE 'TH5001%' AND r.size >= 3 AND (r.score = 0 OR "
                           "r.score BETWEEN 0.2::real AND 0.6::real) AND r.house_id LIKE '500101%'")
    assert expected > 0
    assert total(PROVINCE_50, grid, area=DISTRICT) == expected


# ── paging ───────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("sort", [(), (("score", True),), (("last_visit", False),),
                                  (("village_no", True), ("size", False)),
                                  (("welfare_card", False),), (("tambon", True),)])
def test_paging_returns_every_row_exactly_once(store, sort):
    ctx = ctx_for(DISTRICT_COMMITTEE, area=DISTRICT)
    rows = walk(DISTRICT_COMMITTEE, ctx, sort)
    ids = [r["house_id"] for r in rows]
    assert len(ids) == len(set(ids))
    assert set(ids) == owner_ids("r.tambon_pcode LIKE 'TH5001%'")
    for col, desc in sort[:1] or [("score", True)]:
        key = {"tambon": "tambon_pcode"}.get(col, col)
        values = [r[key] for r in rows if r[key] is not None]
        assert values == sorted(values, reverse=desc)


def test_rows_show_what_the_store_holds(store):
    ctx = ctx_for(OFFICER, area=TAMBON)
    rows = walk(OFFICER, ctx, block=25)
    with owner() as conn:
        truth = {r.house_id: r for r in conn.execute(text("""
            SELECT r.house_id, h.village_no, r.size, r.welfare_card, r.dims_failed, r.score,
                   (SELECT max(visited_on) FROM visit v WHERE v.house_id = r.house_id) AS last_visit,
                   (SELECT first_name || ' ' || last_name FROM member m
                    WHERE m.house_id = r.house_id AND relation = 'head') AS head,
                   (SELECT count(*) FROM plan_item i WHERE i.house_id = r.house_id
                    AND status = 'done') AS done
            FROM household_round r JOIN household h USING (house_id)
            WHERE r.round_id = 2 AND r.tambon_pcode = :t"""), {"t": TAMBON})}
    assert {r["house_id"] for r in rows} == set(truth)
    for row in rows:
        t = truth[row["house_id"]]
        assert (row["village_no"], row["size"], row["welfare_card"], row["dims_failed"],
                row["last_visit"], f"{row['first_name']} {row['last_name']}", row["n_done"]) == (
            t.village_no, t.size, t.welfare_card, t.dims_failed, t.last_visit, t.head, t.done)
        assert row["score"] == pytest.approx(t.score, abs=1e-4)
        assert row["poor"] == (t.dims_failed != 0)
        assert row["tambon_th"] == f"ตำบลทดสอบ {TAMBON}"


def test_export_rows_and_cap(store):
    ctx = ctx_for(DISTRICT_COMMITTEE, area=DISTRICT, dim="health")
    with scoped(DISTRICT_COMMITTEE) as conn:
        rows, count = hh.export_rows(conn, DISTRICT_COMMITTEE, ctx, GridRequest())
        capped, count2 = hh.export_rows(conn, DISTRICT_COMMITTEE, ctx, GridRequest(), cap=5)
    assert count == len(rows) == owner_count(
        "r.tambon_pcode LIKE 'TH5001%' AND r.dims_failed & 1 <> 0")
    assert capped == [] and count2 == count






@pytest.mark.parametrize(("scope", "params"), [
    (OFFICER, {"area": "TH500102"}),  # a neighbouring tambon
    (OFFICER, {"area": DISTRICT}),  # the officer's district as a whole
    (DISTRICT_COMMITTEE, {"area": "TH5002"}),
    (PROVINCE_50, {"area": OTHER_TAMBON}),
    (PROVINCE_50, {"area": "TH5099"}),  # no such district
    (EXECUTIVE, {"area": TAMBON}),  # no household records for executives
    (PROVINCE_50, {"area": TAMBON, "village": "9"}),
    (PROVINCE_50, {"area": TAMBON, "dim": "wealth"}),
    (PROVINCE_50, {"area": TAMBON, "ind": "Z9"}),
    (PROVINCE_50, {"area": TAMBON, "round": "2590"}),
    (PROVINCE_50, {}),
])
def test_out_of_scope_or_unknown_is_refused(store, scope, params):
    with pytest.raises(Refused), scoped(scope) as conn:
        hh.list_context(conn, scope, parse_list_params(params))


def test_context_is_rechecked_against_the_scope(store):
    ctx = ctx_for(PROVINCE_50, area=TAMBON)
    with pytest.raises(Refused), scoped(PROVINCE_10) as conn:
        hh.page(conn, PROVINCE_10, ctx, GridRequest())


def test_refusal_is_audited(store):
    refused = Refused("th", "outside", area=OTHER_TAMBON)
    hh.record_refusal(PROVINCE_50, refused, "test", {"area": OTHER_TAMBON})
    with owner() as conn:
        row = conn.execute(text("SELECT username, action, target, details FROM audit_log "
                                "WHERE action = 'refused' ORDER BY audit_id DESC LIMIT 1")).one()
    assert row.username == "province50" and row.target == OTHER_TAMBON
    assert row.details["reason"] == "outside" and row.details["payload"] == {"area": OTHER_TAMBON}


# ── the database's own wall ──────────────────────────────────────────────────
def test_row_level_security_alone_hides_other_areas(store):
    """Bypass the application's check: a context for another province's district,
    run in a province-50 transaction, returns nothing."""
    good = ctx_for(PROVINCE_10, area="TH1001")
    forged = replace(good, scope_areas=PROVINCE_50.areas)
    with scoped(PROVINCE_10) as conn:
        assert hh.select_count(conn, good) == 2 * factory.PER_TAMBON
    with scoped(PROVINCE_50) as conn:
        assert hh.select_rows(conn, forged, GridRequest(0, 500)) == []
        assert hh.select_count(conn, forged) == 0
        assert conn.execute(text("SELECT count(*) FROM household WHERE tambon_pcode LIKE 'TH10%'"
                                 )).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM member WHERE tambon_pcode LIKE 'TH10%'"
                                 )).scalar_one() == 0
    # A search over the whole scope finds only the scope's households.
    ctx = ctx_for(PROVINCE_50, q="1001")
    with scoped(PROVINCE_50) as conn:
        assert hh.select_count(conn, replace(ctx, scope_areas=("TH",))) == 0


def test_name_search_function_keeps_to_the_callers_scope(store):
    """chipao_member_search runs as the owner (to use the trigram index) but must apply
    the caller's scope exactly as the row-level-security policies do."""
    everywhere = owner_ids("EXISTS (SELECT 1 FROM member m WHERE m.house_id = r.house_id "
                           "AND m.first_name || ' ' || m.last_name ILIKE '%สมชาย%')")
    assert {h[:2] for h in everywhere} == {"50", "10"}  # the name occurs in both provinces
    for scope, prefix in ((PROVINCE_50, "50"), (OFFICER, TAMBON[2:]), (PROVINCE_10, "10")):
        with scoped(scope) as conn:
            found = set(conn.execute(text(
                "SELECT house_id FROM chipao_member_search('%สมชาย%')")).scalars())
        assert found == {h for h in everywhere if h.startswith(prefix)}
    with scoped(EXECUTIVE) as conn:  # no records, no scope: nothing
        assert conn.execute(text("SELECT count(*) FROM chipao_member_search('%สมชาย%')")
                            ).scalar_one() == 0
    # Even with the application's area check bypassed, a name search returns only
    # households of the caller's scope.
    forged = replace(ctx_for(PROVINCE_50, q="สมชาย"), scope_areas=("TH",))
    with scoped(PROVINCE_50) as conn:
        rows = hh.select_rows(conn, forged, GridRequest(0, 500))
    assert rows and all(r["tambon_pcode"].startswith("TH50") for r in rows)


# ── the record ───────────────────────────────────────────────────────────────
def _first_house(tambon: str, where: str = "true") -> str:
    with owner() as conn:
        return conn.execute(text(
            f"SELECT house_id FROM household h WHERE tambon_pcode = :t AND {where} "  # noqa: S608
            "ORDER BY house_id LIMIT 1"), {"t": tambon}).scalar_one()


def test_record_shows_what_the_store_holds(store):
    house = _first_house(TAMBON, "EXISTS (SELECT 1 FROM plan_item i WHERE i.house_id = h.house_id)"
                                 " AND EXISTS (SELECT 1 FROM visit v WHERE v.house_id = h.house_id)"
                                 " AND location IS NOT NULL")
    with scoped(OFFICER) as conn:
        rec = household_record(conn, OFFICER, house)
    with owner() as conn:
        members = conn.execute(text("SELECT seq, national_id, first_name, last_name, sex, "
                                    "birth_year_be, relation FROM member WHERE house_id = :h "
                                    "ORDER BY seq"), {"h": house}).all()
        rounds = conn.execute(text("SELECT round_id, size, failed, not_applicable, score "
                                   "FROM household_round WHERE house_id = :h ORDER BY round_id"),
                              {"h": house}).all()
        items = conn.execute(text("SELECT item_id, status, agency_code, due_on FROM plan_item "
                                  "WHERE house_id = :h ORDER BY item_id"), {"h": house}).all()
        visits = conn.execute(text("SELECT visit_id, visited_on, causes FROM visit "
                                   "WHERE house_id = :h ORDER BY visited_on DESC"),
                              {"h": house}).all()
        nearest = conn.execute(text("""
            SELECT c.code, ST_Distance(c.location::geography, h.location::geography)
            FROM household h, centre c WHERE h.house_id = :h
            ORDER BY 2 LIMIT 1"""), {"h": house}).one()
        audit = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = "
                                  "'household_view' AND target = :h AND username = 'officer'"),
                             {"h": house}).scalar_one()
    assert [(m["seq"], m["national_id"], m["first_name"], m["last_name"], m["sex"],
             m["birth_year_be"], m["relation"]) for m in rec.members] == [tuple(m) for m in members]
    assert [(r["round_id"], r["size"], r["failed"], r["not_applicable"]) for r in rec.rounds] == [
        tuple(r)[:4] for r in rounds]
    assert [r["score"] for r in rec.rounds] == pytest.approx([r.score for r in rounds])
    assert sorted((i["item_id"], i["status"], i["agency_code"], i["due_on"])
                  for i in rec.plan_items) == [tuple(i) for i in items]
    assert [i["horizon"] for i in rec.plan_items] == sorted(
        (i["horizon"] for i in rec.plan_items), key=["urgent", "medium", "long"].index)
    assert [(v["visit_id"], v["visited_on"], v["causes"]) for v in rec.visits] == [
        tuple(v) for v in visits]
    assert rec.nearest_centre["code"] == nearest[0]
    assert rec.nearest_centre["distance_m"] == pytest.approx(nearest[1], rel=1e-3)
    assert rec.nearest_centre["method"] == "stored"
    assert [a["pcode"] for a in rec.areas] == ["TH50", DISTRICT, TAMBON]
    assert rec.tambon_outline.startswith('{"type":"MultiPolygon"')
    assert audit == 1


def test_record_nearest_centre_is_computed_when_not_stored(store):
    house = _first_house("TH500102", "location IS NOT NULL")
    with scoped(PROVINCE_50) as conn:
        rec = household_record(conn, PROVINCE_50, house)
    with owner() as conn:
        code, dist = conn.execute(text("""
            SELECT c.code, ST_Distance(c.location::geography, h.location::geography)
            FROM household h, centre c WHERE h.house_id = :h AND c.status = 'open'
            ORDER BY 2 LIMIT 1"""), {"h": house}).one()
    assert rec.nearest_centre["method"] == "computed"
    assert rec.nearest_centre["code"] == code
    assert rec.nearest_centre["distance_m"] == pytest.approx(dist, rel=1e-6)


def test_record_left_poverty_flag(store):
    with owner() as conn:
        expected = set(conn.execute(text("""
            SELECT a.house_id FROM household_round a JOIN household_round b
              ON b.house_id = a.house_id AND b.round_id = 1
            WHERE a.round_id = 2 AND a.failed = 0 AND b.failed <> 0
              AND a.tambon_pcode = :t"""), {"t": TAMBON}).scalars())
    assert expected
    seen = set()
    with scoped(OFFICER) as conn:
        for house in sorted(store["houses"]):
            if store["houses"][house] == TAMBON:
                if household_record(conn, OFFICER, house).left_poverty:
                    seen.add(house)
    assert seen == expected


@pytest.mark.parametrize(("scope", "house"), [
    (OFFICER, "5001020001"),  # the neighbouring tambon
    (PROVINCE_50, "1001010001"),  # another province
    (EXECUTIVE, "5001010001"),  # no records for executives
    (PROVINCE_50, "99999999"),  # does not exist
    (PROVINCE_50, "5001010001' OR '1'='1"),
    (PROVINCE_50, None),
])
def test_record_out_of_scope_is_refused(store, scope, house):
    with pytest.raises(Refused), scoped(scope) as conn:
        household_record(conn, scope, house)








