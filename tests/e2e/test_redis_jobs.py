"""Redis as the shared cache and Celery as the job runner, against a real redis-server
(chipao.cli.redislocal), real gunicorn workers and a real `chipao worker` process.

- data versions move with every write to the boundaries and aggregates (triggers);
- scope-keyed results in Redis never reach another scope;
- geometry one worker built is reused by the other through Redis, and a boundary
  change made elsewhere is served by both workers at once (no restart);
- a job submitted to Celery runs in the worker process and reports to its owner only;
- with Redis gone, jobs refuse to start quickly and say so, the cache becomes a miss.
"""

from __future__ import annotations

import time

import pytest
import redis
from sqlalchemy import text

from queries.db import owner
from queries.versions import data_versions
from tests.auth_helpers import create_user, ensure_areas
from tests.integration.test_serving import only
from tests.scale_support import (
    Browserless,
    celery_worker,
    gunicorn_server,
    redis_env,
    redis_server,
)

pytestmark = pytest.mark.scale


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def _unused_province(conn) -> str:
    used = set(conn.execute(text("SELECT pcode FROM area WHERE level = 1")).scalars())
    return next(f"TH{n}" for n in range(99, 9, -1) if f"TH{n}" not in used)


def test_local_redis_listens_on_loopback_and_wants_its_password(redis_url):
    client = redis.Redis.from_url(redis_url)
    assert client.ping()
    assert client.config_get("bind")["bind"] == "127.0.0.1"
    port = client.connection_pool.connection_kwargs["port"]
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=port).ping()


def test_data_versions_move_with_boundary_and_aggregate_writes(database):
    from queries import aggregates

    with owner() as conn:
        before = data_versions(conn)
        ensure_areas(conn, [_unused_province(conn)])
    with owner() as conn:
        mid = data_versions(conn)
        aggregates.refresh(conn)
    with owner() as conn:
        after = data_versions(conn)
    assert mid["boundaries"] > before["boundaries"]
    assert mid["aggregates"] == before["aggregates"]
    assert after["aggregates"] > mid["aggregates"]


def test_scoped_results_in_redis_never_cross_scopes(database, redis_url):
    from chipao.domain.scope import Role, Scope
    from chipao.web.cache import cached, shared_cache

    a = Scope("a", Role.PROVINCE, ("TH50",))
    b = Scope("b", Role.PROVINCE, ("TH10",))
    calls: list[str] = []

    def compute(scope):
        calls.append(scope.username)
        return {"for": scope.areas}

    key = ("test-scoped", time.time_ns())
    with redis_env(redis_url):
        assert shared_cache() is not None
        assert cached(a, key, lambda: compute(a)) == {"for": ("TH50",)}
        assert cached(a, key, lambda: compute(a)) == {"for": ("TH50",)}  # a hit
        assert cached(b, key, lambda: compute(b)) == {"for": ("TH10",)}  # not a's answer
    assert calls == ["a", "b"]
    assert any(k.startswith(b"chipao:scoped:")
               for k in redis.Redis.from_url(redis_url).scan_iter(count=1000))


def test_geometry_shared_by_workers_and_a_boundary_change_reaches_both(database, redis_url,
                                                                       tmp_path):
    username, password = create_user("executive")
    r = redis.Redis.from_url(redis_url)
    with gunicorn_server(tmp_path, workers=2,
                         extra_env={"CHIPAO_REDIS_URL": redis_url}) as server:
        a, b = server.worker_pids()
        client = Browserless(server.url)
        assert client.sign_in(username, password).status_code == 302
        tables_before = sum(1 for _ in r.scan_iter(match="chipao:table:*", count=1000))
        with only(server, a):
            first = client.get("/geo/1.geojson")
        assert first.status_code == 200
        provinces = len(first.json()["features"])
        assert sum(1 for _ in r.scan_iter(match="chipao:table:*", count=1000)) > tables_before
        with only(server, b):
            second = client.get("/geo/1.geojson")
        assert second.headers["ETag"] == first.headers["ETag"]

        with owner() as conn:  # a boundary change made by another process
            new = _unused_province(conn)
            ensure_areas(conn, [new])
        for pid in (a, b):
            with only(server, pid):
                now = client.get("/geo/1.geojson")
            pcodes = {f["id"] for f in now.json()["features"]}
            assert len(pcodes) == provinces + 1 and new in pcodes, pid
            assert now.headers["ETag"] != first.headers["ETag"]


def test_celery_worker_runs_a_job_and_reports_to_its_owner_only(database, redis_url,
                                                                 tmp_path):
    from chipao.web import jobs

    with owner() as conn:
        before = data_versions(conn)["aggregates"]
    with celery_worker(tmp_path, redis_url) as worker, redis_env(redis_url):
        job_id = jobs.submit("aggregates.refresh", owner="alice")
        deadline = time.monotonic() + 120
        state = jobs.status(job_id, "alice")
        while state.state not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.2)
            state = jobs.status(job_id, "alice")
        assert state.state == "done", state
        assert state.result["seconds"] >= 0
        with pytest.raises(jobs.JobNotFound):
            jobs.status(job_id, "mallory")
        assert worker.poll() is None
    with owner() as conn:  # it really ran (in the worker process, as the owner role)
        assert data_versions(conn)["aggregates"] > before


def test_with_redis_gone_jobs_refuse_to_start_and_the_cache_misses(database, tmp_path):
    from chipao.domain.scope import Role, Scope
    from chipao.web import cache, jobs

    with redis_server(tmp_path / "gone") as url:
        pass  # started and stopped: nothing listens there now
    with redis_env(url):
        assert not jobs.jobs_available()
        started = time.monotonic()
        with pytest.raises(jobs.JobsUnavailable, match="cannot start"):
            jobs.submit("aggregates.refresh", owner="alice")
        assert time.monotonic() - started < 5  # says so at once, does not hang
        scope = Scope("a", Role.PROVINCE, ("TH50",))
        calls = []
        for _ in range(3):  # computed every time, no error
            assert cache.cached(scope, ("gone",), lambda: calls.append(1) or 42) == 42
        assert len(calls) == 3


# ── the centres planner as a Celery background callback, in Chromium ─────────
@pytest.mark.browser
def test_planner_runs_on_celery_and_says_so_when_redis_is_gone(database, browser, tmp_path):
    from tests import factory as fx
    from tests.auth_helpers import login

    with fx.centres_store(), redis_server(tmp_path / "planner") as url, \
            celery_worker(tmp_path, url) as worker, \
            gunicorn_server(tmp_path, workers=2, extra_env={"CHIPAO_REDIS_URL": url}) as srv:
        user = create_user("executive")
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="th-TH")
        page = context.new_page()
        try:
            login(page, srv.url, *user, next_path="/centres")
            page.goto(f"{srv.url}/centres?round=2566&area=TH50&d=10")
            page.wait_for_selector("#centres-kpi-within .kpi-value", timeout=30_000)
            page.fill("#centres-plan-n", "2")
            page.click("#centres-plan-run")
            page.wait_for_selector("#centres-plan-table tbody tr", timeout=90_000)
            assert page.locator("#centres-plan-jobs-down").count() == 0
            log = worker.log.read_text()  # it ran in the Celery worker, not in gunicorn
            assert "Task background_callback_" in log and "succeeded" in log

            redis.Redis.from_url(url).shutdown(nosave=True)  # Redis goes away
            page.click("#centres-plan-run")
            page.wait_for_selector("#centres-plan-jobs-down", timeout=30_000)
            assert "เริ่มงานนี้ไม่ได้" in page.inner_text("#centres-plan-jobs-down")
            # the rest of the page still works without the shared cache
            page.goto(f"{srv.url}/centres?round=2566&area=TH40&d=5")
            page.wait_for_selector("#centres-kpi-within .kpi-value", timeout=30_000)
            assert page.locator("#centres-kpi-within .kpi-value").inner_text().endswith("%")
        finally:
            context.close()
