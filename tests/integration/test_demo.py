"""The demo generator: deterministic from the seed, calibrated (regions, indicators,
rounds, welfare card, plans), and loaded through the real importer into a store where
every tambon gets households and the province targets add up to 4,104,450."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from chipao.domain.demo import DemoError, DemoInputs
from chipao.ingest import demo
from queries import households_load as hl
from queries.db import owner
from tests.factory import DEMO_LAYOUT as LAYOUT
from tests.factory import insert_test_areas, isolated_store, memory_inputs


@pytest.fixture(scope="module")
def inputs() -> DemoInputs:
    return memory_inputs()


# ── loading into a store ─────────────────────────────────────────────────────
@pytest.fixture(scope="module")
def store(database) -> Iterator[str]:
    with isolated_store("chipao_test_demo") as url:
        with owner() as conn:
            insert_test_areas(conn, LAYOUT, origin=(100.0, 14.0), size=0.1)
        yield url


def test_demo_loads_every_tambon_and_targets(store):
    summary = demo.load_demo(households=1_200, seed=5)
    assert summary["households"] == 1_200
    with owner() as conn:
        q = lambda sql: conn.execute(text(sql)).all()  # noqa: E731
        assert q("""SELECT a.pcode FROM area a WHERE a.level = 3 AND NOT EXISTS
                    (SELECT 1 FROM household h WHERE h.tambon_pcode = a.pcode)""") == []
        assert q("SELECT count(*), sum(target_households) FROM province_target") == \
            [(len(LAYOUT), demo.PROGRAMME_TARGET)]
        assert q("SELECT bool_and(programme_target), count(*) FROM household") == [(True, 1_200)]
        assert [r[0] for r in q("SELECT year_be FROM survey_round ORDER BY 1")] == \
            [2565, 2566, 2567]
        located = q("SELECT count(location)::float / count(*) FROM household")[0][0]
        assert 0.75 <= located <= 0.95
        assert q("""SELECT count(*) FROM household h JOIN area a ON a.pcode = h.tambon_pcode
                    WHERE h.location IS NOT NULL AND NOT ST_Intersects(a.geom, h.location)""") \
            == [(0,)]
        assert q("""SELECT count(*) FROM centre c JOIN area a ON a.pcode = c.tambon_pcode
                    WHERE NOT ST_Intersects(a.geom, c.location)""") == [(0,)]
        counts = dict(q("""SELECT 'members', count(*) FROM member UNION ALL
                           SELECT 'plans', count(*) FROM household_plan UNION ALL
                           SELECT 'items', count(*) FROM plan_item UNION ALL
                           SELECT 'events', count(*) FROM plan_item_event UNION ALL
                           SELECT 'visits', count(*) FROM visit UNION ALL
                           SELECT 'steps', count(*) FROM area_process_step"""))
        assert counts["members"] == summary["members"] and counts["items"] == summary["items"]
        assert counts["steps"] == 9 * (len(LAYOUT) + sum(len(d) for d in LAYOUT.values()))
        assert min(counts.values()) > 0
        # plan items point at plans of the same household; events at items
        assert q("""SELECT count(*) FROM plan_item i JOIN household_plan p USING (plan_id)
                    WHERE p.house_id <> i.house_id""") == [(0,)]
        assert q("SELECT count(*) FROM plan_item_event e LEFT JOIN plan_item i USING (item_id) "
                 "WHERE i.item_id IS NULL") == [(0,)]
        # the loading lifted FORCE ROW LEVEL SECURITY only for its own transaction
        forced = q("SELECT relname FROM pg_class WHERE relname IN ('household', "
                   "'household_round', 'member', 'visit') AND relforcerowsecurity")
        assert len(forced) == 4
        # the aggregates were rebuilt
        assert q("SELECT households FROM agg_area_count WHERE level = 0 AND measure = "
                 "'surveyed' AND round_id = 65") == [(1_200,)]


def test_demo_refuses_a_filled_store_unless_replace(store):
    with owner() as conn:
        filled = hl.household_data_exists(conn)
        conn.execute(text("INSERT INTO audit_log (username, action) VALUES ('test', 'probe')"))
        audits = conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
    if not filled:
        demo.load_demo(households=600, seed=5)
    with pytest.raises(DemoError, match="already holds"):
        demo.load_demo(households=600, seed=6)
    summary = demo.load_demo(households=700, seed=6, replace=True)
    assert summary["households"] == 700
    with owner() as conn:
        assert conn.execute(text("SELECT count(*) FROM household")).scalar_one() == 700
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == audits
