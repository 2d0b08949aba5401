"""`chipao refresh` never makes a dashboard reader wait: while a rebuild of every
aggregate (area counts and scores, plans, coverage, nearest centres) is open and holding
every lock it took, readers of each of those tables — with a 100 ms lock timeout, so a
lock wait fails the test instead of slowing it — still get the old figures at once."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from chipao.domain.scope import Role, Scope
from queries.db import owner, scoped
from queries.versions import data_versions
from tests import factory as fx

pytestmark = pytest.mark.scale

READ_TABLES = ("agg_area_count", "agg_area_score", "agg_plan_area", "agg_plan_item",
               "agg_plan_monthly", "tambon_coverage", "agg_centre_distance",
               "agg_centre_demand", "household_nearest_centre", "area", "data_version")


@pytest.fixture(scope="module")
def store(database):
    with fx.centres_store() as info:
        yield info


def test_readers_do_not_wait_for_an_open_refresh(store):
    from queries import aggregates

    reader = Scope("reader", Role.PROVINCE, ("TH50",))
    with scoped(reader) as conn:
        before = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
                  for t in READ_TABLES}
        version_before = data_versions(conn)["aggregates"]
    rebuilt, release, failed = threading.Event(), threading.Event(), []

    def refresh() -> None:
        try:
            with owner() as conn:
                aggregates.refresh(conn)
                rebuilt.set()  # everything rebuilt, not yet committed: locks still held
                release.wait(60)
        except Exception as err:  # pragma: no cover - reported below
            failed.append(err)
            rebuilt.set()

    thread = threading.Thread(target=refresh)
    thread.start()
    try:
        assert rebuilt.wait(120) and not failed, failed
        waits = []
        for table in READ_TABLES:
            started = time.perf_counter()
            with scoped(reader) as conn:
                conn.execute(text("SET LOCAL lock_timeout = '100ms'"))
                n = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
                version = data_versions(conn)["aggregates"]
            waits.append(time.perf_counter() - started)
            assert n == before[table], table  # the old rows, whole
            assert version == version_before  # and the old version: caches stay valid
    finally:
        release.set()
        thread.join(120)
    assert not failed, failed
    with scoped(reader) as conn:
        assert data_versions(conn)["aggregates"] > version_before  # the new figures now
