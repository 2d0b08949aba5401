"""Migrations go down to nothing and up again on a real PostGIS (own database, so the
session's shared test data is left alone)."""

import os

import pytest
from sqlalchemy import create_engine, inspect, text

from chipao.cli import localdb
from queries import migrate


@pytest.fixture
def scratch_db(database):
    name = f"chipao_migrations_{os.getpid()}"
    localdb.drop_database(name)
    localdb.ensure_database(name)
    yield localdb.url_for(name)
    localdb.drop_database(name)


def _engine(url: str):
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://"))


def _tables(url: str) -> set[str]:
    engine = _engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"spatial_ref_sys"}
    finally:
        engine.dispose()


def test_up_down_up(scratch_db):
    migrate.upgrade(scratch_db)
    tables = _tables(scratch_db)
    assert {"area", "village", "survey_round", "indicator", "household", "household_round",
            "member", "household_plan", "plan_item", "visit", "centre", "area_process_step",
            "province_target", "app_user", "audit_log", "agg_area_count"} <= tables
    migrate.downgrade(scratch_db)
    assert _tables(scratch_db) == {"alembic_version"}
    migrate.upgrade(scratch_db)
    assert _tables(scratch_db) == tables


def test_row_level_security_is_forced(database):
    engine = _engine(database["owner"])
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity"
        )).scalars().all()
    engine.dispose()
    assert {"household", "household_round", "member", "household_plan", "plan_item",
            "visit", "household_nearest_centre"} <= set(rows)
