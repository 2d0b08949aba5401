"""Plan progress: the aggregates equal independent SQL over the raw rows, a status update
changes exactly the expected figures, invalid updates are refused with a clear reason,
and household lists respect the scope."""

from __future__ import annotations

import statistics
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from chipao.domain.scope import PUBLIC, SYSTEM, Role, Scope
from queries import plans
from queries.db import owner, scoped
from tests.factory import PLANS_DISTRICTS as DISTRICTS
from tests.factory import PLANS_PROVINCES as PROVINCES
from tests.factory import PLANS_ROUNDS as ROUNDS
from tests.factory import PLANS_TAMBONS as TAMBONS
from tests.factory import isolated_store, plans_areas, plans_build

AS_OF = plans.bangkok_today()
AREAS = ("TH", *PROVINCES, *DISTRICTS, *TAMBONS)
EXEC = Scope("exec", Role.EXECUTIVE)
OFFICER = Scope("officer", Role.TAMBON, ("TH100101",))


@pytest.fixture(scope="module")
def store(database):
    with isolated_store("chipao_test_plans") as url:
        with owner() as conn:
            plans_areas(conn)
            ids = plans_build(conn, AS_OF)
            plans.refresh_plans(conn, AS_OF)
        yield {"url": url, **ids}


def _start(round_id: int) -> date:
    """From when visits count for the round, computed here independently of the SQL."""
    years = dict(ROUNDS)
    first = min(years.values())
    return date(1900, 1, 1) if years[round_id] == first else date(years[round_id] - 543, 1, 1)


def _expected_funnel(conn, round_id: int, pcode: str) -> dict:
    start = _start(round_id)
    nxt = round_id + 1 if round_id < len(ROUNDS) else None
    row = conn.execute(text("""
        SELECT count(*) AS target,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM visit v WHERE v.house_id = h.house_id
                    AND v.visited_on >= :s)) AS visited,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM visit v WHERE v.house_id = h.house_id
                    AND v.visited_on >= :s AND v.poverty_type IS NOT NULL)) AS analysed,
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM household_plan p
                    WHERE p.house_id = h.house_id AND p.round_id = :r)) AS with_plan,
               count(*) FILTER (WHERE EXISTS (
                    SELECT 1 FROM household_plan p WHERE p.house_id = h.house_id AND p.round_id = :r
                      AND EXISTS (SELECT 1 FROM plan_item i WHERE i.plan_id = p.plan_id
                                  AND i.status <> 'cancelled')
                      AND NOT EXISTS (SELECT 1 FROM plan_item i WHERE i.plan_id = p.plan_id
                                      AND i.status IN ('not_started', 'in_progress'))))
                   AS plans_done,
               count(*) FILTER (WHERE hr.dims_failed <> 0
                    AND EXISTS (SELECT 1 FROM household_plan p WHERE p.house_id = h.house_id
                                AND p.round_id = :r)
                    AND EXISTS (SELECT 1 FROM household_round n WHERE n.house_id = h.house_id
                                AND n.round_id = :n AND n.dims_failed = 0)) AS left_poverty
        FROM household h JOIN household_round hr ON hr.house_id = h.house_id AND hr.round_id = :r
        WHERE h.programme_target AND starts_with(h.tambon_pcode, :p)
    """), {"s": start, "r": round_id, "n": nxt, "p": pcode}).mappings().one()
    out = dict(row)
    if nxt is None:
        out["left_poverty"] = None
    items = conn.execute(text("""
        SELECT count(*) AS items, count(*) FILTER (WHERE i.status <> 'cancelled') AS items_active,
               count(*) FILTER (WHERE i.status = 'done') AS items_done,
               count(*) FILTER (WHERE i.status IN ('not_started', 'in_progress')
                                AND i.due_on < :d) AS items_overdue
        FROM plan_item i JOIN household_plan p ON p.plan_id = i.plan_id
        WHERE p.round_id = :r AND starts_with(i.tambon_pcode, :p)
    """), {"r": round_id, "p": pcode, "d": AS_OF}).mappings().one()
    return {**out, **items}


def test_funnel_equals_independent_sql(store):
    with owner() as conn:
        for round_id, _ in ROUNDS:
            for pcode in AREAS:
                expected = _expected_funnel(conn, round_id, pcode)
                got = plans.funnel(conn, SYSTEM, round_id, pcode)
                assert {k: got[k] for k in expected} == expected, (round_id, pcode)
        # the data exercise every stage (a funnel of zeros would prove nothing)
        top = plans.funnel(conn, SYSTEM, 1, "TH")
        assert all(top[k] > 0 for k in plans.FUNNEL_STAGES), top
        assert top["target"] >= top["visited"] >= top["analysed"]
        assert plans.funnel(conn, SYSTEM, 2, "TH")["left_poverty"] is None  # no later round


def test_horizons_equal_independent_sql(store):
    with owner() as conn:
        for round_id, _ in ROUNDS:
            for pcode in AREAS:
                rows = conn.execute(text("""
                    SELECT i.horizon, i.status, i.due_on, i.completed_on - i.created_on AS days
                    FROM plan_item i JOIN household_plan p ON p.plan_id = i.plan_id
                    WHERE p.round_id = :r AND starts_with(i.tambon_pcode, :p)
                """), {"r": round_id, "p": pcode}).all()
                got = {h["horizon"]: h for h in plans.horizons(conn, SYSTEM, round_id, pcode)}
                for horizon in plans.HORIZONS:
                    mine = [r for r in rows if r.horizon == horizon]
                    for status in plans.STATUSES:
                        assert got[horizon][status] == sum(r.status == status for r in mine)
                    assert got[horizon]["overdue"] == sum(
                        r.status in plans.OPEN_STATUSES and r.due_on < AS_OF for r in mine)
                    done_days = [r.days for r in mine if r.status == "done"]
                    assert got[horizon]["done_items"] == len(done_days)
                    expected = statistics.median(done_days) if done_days else None
                    assert got[horizon]["median_days"] == expected, (round_id, pcode, horizon)


def test_agency_matrix_equals_independent_sql(store):
    with owner() as conn:
        for round_id, _ in ROUNDS:
            for pcode in ("TH", "TH10", "TH1001", "TH100101"):
                expected = {
                    (r.agency_code, r.category_code): (r.done, r.open, r.overdue)
                    for r in conn.execute(text("""
                        SELECT agency_code, category_code,
                               count(*) FILTER (WHERE status = 'done') AS done,
                               count(*) FILTER (WHERE status IN ('not_started', 'in_progress'))
                                   AS open,
                               count(*) FILTER (WHERE status IN ('not_started', 'in_progress')
                                                AND due_on < :d) AS overdue
                        FROM plan_item i JOIN household_plan p USING (plan_id)
                        WHERE p.round_id = :r AND starts_with(i.tambon_pcode, :p)
                        GROUP BY agency_code, category_code"""),
                        {"r": round_id, "p": pcode, "d": AS_OF})
                }
                matrix = plans.agency_matrix(conn, SYSTEM, round_id, pcode)
                got = {(c["agency_code"], c["category_code"]): (c["done"], c["open"], c["overdue"])
                       for c in matrix}
                assert got == expected
                top = plans.most_unmet_agency(matrix)
                per_agency: dict[str, int] = {}
                for (agency, _), (_, n_open, _) in expected.items():
                    per_agency[agency] = per_agency.get(agency, 0) + n_open
                if top is not None:
                    assert top["open"] == max(per_agency.values())


@pytest.mark.parametrize("days", [0, 1, 30, 200, 800])
def test_stalled_counts_equal_independent_sql(store, days):
    cutoff = AS_OF - timedelta(days=min(days, plans.MAX_IDLE_DAYS))
    with owner() as conn:
        for round_id, _ in ROUNDS:
            for level, parent in ((1, None), (2, "TH10"), (3, None)):
                got = {r["pcode"]: r for r in
                       plans.stalled_areas(conn, SYSTEM, round_id, level, parent, days)}
                expected = conn.execute(text("""
                    WITH o AS (
                        SELECT i.plan_id, left(i.tambon_pcode, :len) AS pcode,
                               (i.updated_at AT TIME ZONE 'Asia/Bangkok')::date AS changed
                        FROM plan_item i JOIN household_plan p USING (plan_id)
                        WHERE p.round_id = :r AND i.status IN ('not_started', 'in_progress')
                          AND (CAST(:parent AS text) IS NULL OR starts_with(i.tambon_pcode, :parent)))
                    SELECT pcode, count(*) FILTER (WHERE changed <= :cut) AS items,
                           (SELECT count(*) FROM (SELECT plan_id FROM o o2 WHERE o2.pcode = o.pcode
                                 GROUP BY plan_id HAVING max(changed) <= :cut) h) AS households
                    FROM o GROUP BY pcode HAVING count(*) FILTER (WHERE changed <= :cut) > 0
                """), {"r": round_id, "len": 2 + 2 * level, "parent": parent, "cut": cutoff}).all()
                assert {p: (got[p]["items"], got[p]["households"]) for p in got} == \
                    {r.pcode: (r.items, r.households) for r in expected}, (round_id, level, days)


def test_targets_and_pace(store):
    with owner() as conn:
        rows = plans.targets(conn, SYSTEM)
        country = rows[0]
        assert country["pcode"] == "TH" and country["target_households"] == 160
        expected = conn.execute(text("""
            SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM household_plan p
                                                           WHERE p.house_id = h.house_id))
            FROM household h WHERE programme_target""")).one()
        assert (country["in_store"], country["with_plan"]) == tuple(expected)
        assert {r["pcode"]: r["target_households"] for r in rows[1:]} == {"TH10": 100, "TH20": 60}
        months = plans.monthly(conn, SYSTEM, "TH")
        assert sum(m["first_plans"] for m in months) == country["with_plan"]
        assert sum(m["first_visits"] for m in months) == country["visited"]
        assert sum(m["first_plans"] for m in plans.monthly(conn, SYSTEM, "TH1001")) == \
            conn.execute(text("""SELECT count(DISTINCT p.house_id) FROM household_plan p
                                 JOIN household h USING (house_id)
                                 WHERE h.programme_target AND p.tambon_pcode LIKE 'TH1001%'""")
                         ).scalar_one()


def test_process_steps(store):
    with owner() as conn:
        provinces = {a["pcode"]: a for a in plans.steps_by_area(conn, SYSTEM, 1, None)}
        assert provinces["TH10"]["highest_done"] == 5
        assert provinces["TH20"]["highest_done"] == 3
        assert provinces["TH10"]["steps"][6]["status"] == "in_progress"
        steps = plans.area_steps(conn, SYSTEM, "TH1002")
        assert len(steps) == 9 and all(s["status"] == "not_started" for s in steps)
        districts = plans.steps_by_area(conn, SYSTEM, 2, "TH10")
        assert [d["pcode"] for d in districts] == ["TH1001", "TH1002"]
        assert districts[0]["highest_done"] == 7


def test_app_role_reads_aggregates_and_public_counts_are_suppressed(store):
    with scoped(PUBLIC) as conn:
        small = plans.funnel(conn, PUBLIC, 1, "TH100102")
        full = plans.funnel(conn, EXEC, 1, "TH100102")
    for key in plans.FUNNEL_STAGES[:-1]:
        if 0 < full[key] < 5:
            assert small[key] is None
        else:
            assert small[key] == full[key]


def _snapshot(conn) -> dict:
    out = {}
    for table in plans.AGG_TABLES:
        rows = conn.execute(text(f"SELECT * FROM {table}")).mappings().all()  # noqa: S608
        for r in rows:
            r = dict(r)
            key_cols = [k for k in ("round_id", "level", "pcode", "horizon", "category_code",
                                    "agency_code", "status", "month") if k in r]
            key = (table, *(r[k] for k in key_cols))
            out[key] = {k: v for k, v in r.items() if k not in key_cols}
    return out


def test_status_update_changes_exactly_the_expected_figures(store):
    item_id = store["open_item"]
    with owner() as conn:
        item = conn.execute(text("""SELECT i.*, p.round_id FROM plan_item i
                                    JOIN household_plan p USING (plan_id)
                                    WHERE item_id = :i"""), {"i": item_id}).mappings().one()
        plan_rest = conn.execute(text("""
            SELECT count(*) FILTER (WHERE status IN ('not_started', 'in_progress')) AS open
            FROM plan_item WHERE plan_id = :p AND item_id <> :i"""),
            {"p": item["plan_id"], "i": item_id}).scalar_one()
        target = conn.execute(text("SELECT programme_target FROM household WHERE house_id = :h"),
                              {"h": item["house_id"]}).scalar_one()
        before = _snapshot(conn)
        events = conn.execute(text("SELECT count(*) FROM plan_item_event")).scalar_one()
    with scoped(OFFICER) as conn:
        updated = plans.update_item_status(conn, OFFICER, item_id, "done", AS_OF, "ส่งมอบแล้ว")
    assert updated["status"] == "done" and updated["completed_on"] == AS_OF
    with owner() as conn:
        state = plans.refresh_state(conn, "TH10")
        assert state["pending_updates"] == 1 and state["pending_areas"] == 1
        assert conn.execute(text("SELECT count(*) FROM plan_item_event")).scalar_one() == events + 1
        audit = conn.execute(text("SELECT username, role, target, details FROM audit_log "
                                  "WHERE action = 'plan_item_update'")).mappings().one()
        assert audit["username"] == "officer" and audit["target"] == f"plan_item:{item_id}"
        assert audit["details"]["old"] == "not_started" and audit["details"]["new"] == "done"
        unchanged = _snapshot(conn)
        assert unchanged == before  # nothing moves before the rebuild
        plans.refresh_plans(conn, AS_OF)
        after = _snapshot(conn)
        assert plans.refresh_state(conn)["pending_updates"] == 0
    ancestors = {item["tambon_pcode"][:n] for n in (2, 4, 6, 8)}
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed, "the update changed nothing"
    for key in changed:
        table = key[0]
        assert table in ("agg_plan_area", "agg_plan_item", "agg_plan_horizon",
                         "agg_plan_stalled"), key
        assert key[1] == item["round_id"] and key[3] in ancestors, key
    was_overdue = item["due_on"] < AS_OF
    for pcode in ancestors:
        level = (len(pcode) - 2) // 2
        k = ("agg_plan_area", item["round_id"], level, pcode)
        delta = {c: (after[k][c] or 0) - (before[k][c] or 0) for c in after[k]}
        assert delta == {
            "target": 0, "visited": 0, "analysed": 0, "with_plan": 0,
            "plans_done": 1 if plan_rest == 0 and target else 0, "left_poverty": 0,
            "items": 0, "items_active": 0, "items_done": 1,
            "items_overdue": -1 if was_overdue else 0}, pcode
        cell = ("agg_plan_item", item["round_id"], level, pcode, item["horizon"],
                item["category_code"], item["agency_code"])
        assert after[(*cell, "done")]["items"] - before.get((*cell, "done"), {"items": 0})["items"] == 1
        left = after.get((*cell, "not_started"), {"items": 0})["items"]
        assert before[(*cell, "not_started")]["items"] - left == 1


def _refused(scope: Scope, item_id: int, status: str, on: date | str, note: str | None = None) -> plans.PlanUpdateError:
    with pytest.raises(plans.PlanUpdateError) as err:
        with scoped(scope) as conn:
            plans.update_item_status(conn, scope, item_id, status, on, note)
    return err.value


def test_invalid_updates_are_refused_with_a_clear_message(store):
    with owner() as conn:
        events = conn.execute(text("SELECT count(*) FROM plan_item_event")).scalar_one()
        item_id = conn.execute(text("""SELECT item_id FROM plan_item WHERE tambon_pcode = 'TH100101'
                                       AND status = 'in_progress' ORDER BY item_id LIMIT 1""")
                               ).scalar_one()
        created = conn.execute(text("SELECT created_on FROM plan_item WHERE item_id = :i"),
                               {"i": item_id}).scalar_one()
    err = _refused(OFFICER, item_id, "finished", AS_OF)
    assert err.code == "status_unknown" and "unknown status 'finished'" in str(err)
    # a day after Bangkok's today as of now: AS_OF was taken when the tests were
    # collected, and a run that crosses Thai midnight made AS_OF + 1 day today
    err = _refused(OFFICER, item_id, "done", plans.bangkok_today() + timedelta(days=2))
    assert err.code == "date_future" and "in the future" in str(err)
    err = _refused(OFFICER, store["other_item"], "done", AS_OF)
    assert err.code == "not_in_scope" and "not in your area" in str(err)
    district = Scope("district", Role.DISTRICT, ("TH1001",))
    err = _refused(district, item_id, "done", AS_OF)
    assert err.code == "role" and "only tambon officers" in str(err)
    err = _refused(OFFICER, item_id, "not_started", AS_OF)
    assert err.code == "transition" and "cannot become not_started" in str(err)
    err = _refused(OFFICER, item_id, "done", created - timedelta(days=1))
    assert err.code in ("date_before_created", "date_before_started")
    err = _refused(OFFICER, item_id, "done", "2024-13-45")
    assert err.code == "date_invalid"
    with owner() as conn:
        assert conn.execute(text("SELECT count(*) FROM plan_item_event")).scalar_one() == events


def test_reopening_needs_a_note(store):
    with owner() as conn:
        item_id = conn.execute(text("""SELECT item_id FROM plan_item WHERE tambon_pcode = 'TH100101'
                                       AND status = 'done' ORDER BY item_id LIMIT 1""")).scalar_one()
    err = _refused(OFFICER, item_id, "in_progress", AS_OF)
    assert err.code == "note_required"
    with scoped(OFFICER) as conn:
        item = plans.update_item_status(conn, OFFICER, item_id, "in_progress", AS_OF, "ยังไม่เสร็จ")
    assert item["status"] == "in_progress" and item["completed_on"] is None
    assert item["next_statuses"] == ["done", "cancelled"]


def test_stalled_households_respect_the_scope(store):
    days = 30
    province = Scope("prov", Role.PROVINCE, ("TH10",))
    with scoped(province) as conn:
        rows = plans.stalled_households(conn, province, 1, "TH", days, AS_OF)
    assert rows and all(r["tambon_pcode"].startswith("TH10") for r in rows)
    with owner() as conn:
        expected = conn.execute(text("""
            SELECT i.house_id FROM plan_item i JOIN household_plan p USING (plan_id)
            WHERE p.round_id = 1 AND i.status IN ('not_started', 'in_progress')
              AND i.tambon_pcode LIKE 'TH10%'
            GROUP BY i.house_id
            HAVING max((i.updated_at AT TIME ZONE 'Asia/Bangkok')::date) <= :cut"""),
            {"cut": AS_OF - timedelta(days=days)}).scalars().all()
    assert sorted(r["house_id"] for r in rows) == sorted(expected)
    assert all(r["idle_days"] >= days for r in rows)
    with scoped(OFFICER) as conn:
        mine = plans.stalled_households(conn, OFFICER, 1, "TH10", days, AS_OF)
    assert {r["tambon_pcode"] for r in mine} <= {"TH100101"}
    with pytest.raises(PermissionError):
        with scoped(EXEC) as conn:
            plans.stalled_households(conn, EXEC, 1, "TH", days, AS_OF)


