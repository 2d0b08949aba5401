"""The national overview on real boundaries and a small demo store: the numbers on the
page are the numbers a direct SQL count over the household rows gives."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from queries.db import owner
from tests.auth_helpers import create_user, login
from tests.factory import isolated_store


@pytest.fixture(scope="module")
def store(database):
    from chipao.ingest import demo
    from geodata.boundaries import import_boundaries

    with isolated_store("chipao_test_overview") as url:
        assert import_boundaries(None, progress=False).ok
        demo.load_demo(households=9000, seed=11)
        yield url


def _sql(query: str, **params) -> int:
    with owner() as conn:
        return conn.execute(text(query), params).scalar_one()


def _number(page, card_id: str) -> int:
    value = page.locator(f"#{card_id} .kpi-value").inner_text()
    return int(re.sub(r"[^0-9]", "", value))


def test_every_tambon_has_demo_households(store):
    assert _sql("SELECT count(*) FROM area WHERE level = 3") == 7425
    assert _sql("SELECT count(*) FROM area a WHERE level = 3 AND NOT EXISTS "
                "(SELECT 1 FROM household h WHERE h.tambon_pcode = a.pcode)") == 0


@pytest.mark.browser
def test_overview_shows_what_sql_counts(store, live_server, page):
    latest = _sql("SELECT round_id FROM survey_round ORDER BY year_be DESC LIMIT 1")
    surveyed = _sql("SELECT count(*) FROM household_round WHERE round_id = :r", r=latest)
    poor = _sql("SELECT count(*) FROM household_round WHERE round_id = :r AND failed <> 0",
                r=latest)
    target_poor = _sql("SELECT count(*) FROM household_round WHERE round_id = :r "
                       "AND failed <> 0 AND welfare_card", r=latest)
    user = create_user("executive")
    login(page, live_server, *user, next_path="/")
    page.wait_for_selector("#overview-kpi-surveyed .kpi-value")
    assert _number(page, "overview-kpi-surveyed") == surveyed
    assert _number(page, "overview-kpi-poor") == poor
    assert _number(page, "overview-kpi-target-poor") == target_poor
    top = page.locator("#overview-top-provinces tbody tr")
    assert top.count() == 10
    first_province = top.nth(0).locator("td").nth(1).inner_text()
    expected = _sql("""
        SELECT a.name_th FROM household_round r JOIN area a ON a.pcode = left(r.tambon_pcode, 4)
        WHERE r.round_id = :r AND r.failed <> 0
        GROUP BY a.name_th ORDER BY count(*) DESC, min(a.pcode) LIMIT 1""", r=latest)
    assert first_province == expected
    page.wait_for_selector("#overview-dimensions .main-svg")
    assert page.locator("#shell-attribution").inner_text().startswith("ขอบเขตการปกครอง")
    assert page.errors == []


@pytest.mark.browser
def test_english_and_a_bad_round(store, live_server, page):
    user = create_user("executive")
    login(page, live_server, *user, next_path="/")
    page.context.add_cookies([{"name": "chipao_lang", "value": "en", "url": live_server}])
    page.goto(f"{live_server}/?round=1999")
    page.wait_for_selector("#page-message")
    assert "Invalid parameter" in page.locator("#page-message").inner_text()
    page.goto(f"{live_server}/")
    page.wait_for_selector("#overview-kpi-surveyed")
    assert "Households surveyed" in page.locator("#overview-kpi-surveyed").inner_text()
    assert page.errors == []
