"""Attacks on row-level security as the dashboard's own database role (issue 13,
items 4 and 5): raw SQL on a `chipao_app` connection, as SQL injection anywhere in the
app would run it — no application code between the attacker and the policies."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.perm_data import (
    IN_TAMBON,
    LAYOUT,
    OTHER_TAMBON_SAME_DISTRICT,
    OUT_TAMBON,
    permission_store,
)

PERSONAL = ("household", "household_round", "member", "household_plan", "plan_item",
            "plan_item_event", "visit", "household_nearest_centre")
HOUSEHOLDS = {tambon: n for tambon, n, _ in LAYOUT}


@pytest.fixture(scope="module")
def accounts(database):
    with permission_store() as accounts:
        yield accounts


@pytest.fixture(scope="module")
def app_engine(accounts):
    from chipao.settings import settings

    engine = create_engine(settings().app_url)
    yield engine
    engine.dispose()


def _households(conn) -> int:
    return conn.execute(text("SELECT count(*) FROM household")).scalar_one()


def _by_tambon(conn) -> dict[str, int]:
    return dict(conn.execute(text(
        "SELECT tambon_pcode, count(*) FROM household GROUP BY 1")).all())


# ── item 4: an empty or malformed element of the scope list matches nothing ──
@pytest.mark.parametrize(("setting", "visible"), [
    ("TH500101,", {IN_TAMBON}), (",", set()), (",TH500101", {IN_TAMBON}),
    ("TH500101,,TH100101", {IN_TAMBON, OUT_TAMBON}), ("", set()), (",,,", set()),
    (" ", set()), ("TH", set()), ("TH5", set()), ("T", set()), (" TH50", set()),
    ("TH50 ", set()), ("TH50\t", set()), ("TH50%", set()), ("TH50.*", set()),
    ("TH500101000", set()), ("TH5001011", set()), ("th50", set()), ("TH50;TH10", set()),
    ("TH5001", {IN_TAMBON, OTHER_TAMBON_SAME_DISTRICT}),
])
def test_scope_elements_must_be_area_pcodes(app_engine, setting, visible):
    with app_engine.begin() as conn:
        conn.execute(text("SELECT set_config('chipao.scope', :s, true)"), {"s": setting})
        assert set(_by_tambon(conn)) <= visible
        for table in PERSONAL:
            rows = conn.execute(text(
                f"SELECT DISTINCT tambon_pcode FROM {table}")).scalars().all()  # noqa: S608
            assert set(rows) <= visible, (setting, table, rows)
        assert _households(conn) == sum(HOUSEHOLDS[t] for t in visible), setting


def test_policies_read_the_scope_once_per_query(app_engine):
    """The scope function is an InitPlan (once per query), not a per-row call."""
    with app_engine.begin() as conn:
        conn.execute(text("SELECT set_config('chipao.scope', 'TH50', true)"))
        plan = "\n".join(conn.execute(text(
            "EXPLAIN SELECT count(*) FROM member WHERE tambon_pcode LIKE 'TH%'")).scalars())
    assert "InitPlan" in plan and "ANY ($0)" in plan, plan
