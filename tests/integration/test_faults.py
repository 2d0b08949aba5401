"""Faults, each provoked for real (the other two — Redis gone, a replica lagging or
stopped — are in test_redis_jobs.py and test_replica.py):

- the database stopped and started again while a user clicks: a clear 503 message
  meanwhile, then the same gunicorn workers serve again (no restart);
- a gunicorn worker SIGKILLed under load: only requests in flight on it fail, the
  master starts a new one and everything after succeeds;
- a household import SIGKILLed halfway (during its COPY): the store is exactly as before;
- the disk filling during an import (a 1 MB tmpfs tablespace as the importing role's
  temp_tablespaces, so its staging tables fill a real disk): reported in one clear
  line, nothing written.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from chipao.cli import localdb
from chipao.settings import ROOT
from queries.db import owner, owner_engine
from tests.auth_helpers import create_user
from tests.factory import insert_test_areas, isolated_store
from tests.scale_support import Browserless, gunicorn_server

pytestmark = pytest.mark.scale


# ── the database restarted ───────────────────────────────────────────────────
def _pg_ctl(*args: str) -> None:
    subprocess.run(localdb._as_cluster_user(
        [str(localdb._bindir() / "pg_ctl"), "-D", str(localdb.CLUSTER), *args]),
        check=True, capture_output=True)


def test_database_restart_shows_a_message_and_recovers_without_restarting_workers(
        database, tmp_path):
    username, password = create_user("district", areas=("TH5001",))
    with gunicorn_server(tmp_path, workers=2) as server:
        pids = server.worker_pids()
        client = Browserless(server.url)
        assert client.sign_in(username, password).status_code == 302
        assert client.get("/households").status_code == 200
        _pg_ctl("-m", "fast", "-w", "stop")
        try:
            for _ in range(4):  # both workers, page and callback endpoints
                page = client.get("/households")
                assert page.status_code == 503
                assert "ฐานข้อมูลไม่พร้อม" in page.text and "unavailable" in page.text
                layout = client.get("/_dash-layout", headers={"Accept": "application/json"})
                assert layout.status_code in (200, 503)  # the layout needs no database
        finally:
            _pg_ctl("-l", str(localdb.LOG_FILE), "-w", "-t", "60", "start")
        for _ in range(6):  # every worker's pool reconnects by itself (pre-ping)
            assert client.get("/households").status_code == 200
        assert server.worker_pids() == pids  # the same workers, none restarted


# ── a worker killed under load ───────────────────────────────────────────────
def test_a_worker_killed_under_load_loses_only_its_own_requests(database, tmp_path):
    username, password = create_user("tambon", areas=("TH500101",))
    clients, per_client = 4, 30
    with gunicorn_server(tmp_path, workers=2, threads=2) as server:
        victim = server.worker_pids()[0]
        results: list[int | str] = []
        lock = threading.Lock()
        halfway = threading.Barrier(clients + 1)

        def user() -> None:
            client = Browserless(server.url)
            client.sign_in(username, password)
            for i in range(per_client):
                if i == per_client // 3:
                    halfway.wait(60)
                try:
                    status: int | str = client.get("/households").status_code
                except requests.RequestException as err:
                    status = type(err).__name__
                with lock:
                    results.append(status)

        threads = [threading.Thread(target=user) for _ in range(clients)]
        for t in threads:
            t.start()
        halfway.wait(60)
        os.kill(victim, signal.SIGKILL)
        for t in threads:
            t.join(180)
        failed = [r for r in results if r != 200]
        assert len(results) == clients * per_client
        # only requests that were in flight on the killed worker can fail: at most one
        # per client (each client has one request open at a time)
        assert len(failed) <= clients, failed
        deadline = time.monotonic() + 30
        while (victim in server.worker_pids() or len(server.worker_pids()) < 2) and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        assert victim not in server.worker_pids() and len(server.worker_pids()) == 2
        after = Browserless(server.url)
        after.sign_in(username, password)
        assert all(after.get("/households").status_code == 200 for _ in range(6))


# ── imports killed or starved ────────────────────────────────────────────────
CODES = ["H1", "H2", "H3", "H4", "E1", "E2", "E3", "E4", "I1", "I2", "I3",
         "L1", "L2", "L3", "L4", "A1", "A2"]
HEADER = ["house_id", "tambon_pcode", "village_no", "survey_year", "household_size",
          "welfare_card", "lat", "lon", *CODES]


def _write_households(path: Path, n: int, start: int = 0) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        for i in range(start, start + n):
            tambon = ("TH100101", "TH100102", "TH500101", "TH500102")[i % 4]
            w.writerow([f"{i // 10000:04d}-{i % 10000:04d}", tambon, 1 + i % 9, "2566",
                        1 + i % 6, "1" if i % 3 == 0 else "", "", "",
                        *("0" if (i + k) % 5 == 0 else "1" for k in range(len(CODES)))])
    return path


def _snapshot() -> dict[str, list[tuple]]:
    """Every household-data table and the aggregates, with xmin: a rewritten row shows
    up even when its values are equal."""
    queries = {
        "household": "SELECT xmin::text, * FROM household ORDER BY house_id",
        "household_round": "SELECT xmin::text, * FROM household_round ORDER BY house_id, round_id",
        "village": "SELECT xmin::text, * FROM village ORDER BY 2, 3",
        "survey_round": "SELECT xmin::text, * FROM survey_round ORDER BY round_id",
        "agg_area_count": "SELECT xmin::text, * FROM agg_area_count ORDER BY 2, 3, 4, 5",
        "data_version": "SELECT * FROM data_version ORDER BY kind",
    }
    with owner() as conn:
        return {t: [tuple(map(str, r)) for r in conn.execute(text(q))]
                for t, q in queries.items()}


@pytest.fixture()
def import_store(database, tmp_path):
    with isolated_store("chipao_faults") as url:
        with owner() as conn:
            insert_test_areas(conn, {"TH10": {"TH1001": 2}, "TH50": {"TH5001": 2}})
        env = {**os.environ}
        seed = _write_households(tmp_path / "seed.csv", 400)
        assert _import(seed, env).returncode == 0  # the store holds something to keep
        yield {"url": url, "db": url.rsplit("/", 1)[-1], "env": env}


def _import(path: Path, env: dict, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chipao", "import-households", str(path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, **kw)


def test_an_import_killed_halfway_leaves_the_store_exactly_as_before(import_store, tmp_path):
    big = _write_households(tmp_path / "big.csv", 60_000, start=10_000)
    before = _snapshot()
    proc = subprocess.Popen([sys.executable, "-m", "chipao", "import-households", str(big)],
                            cwd=ROOT, env=import_store["env"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    busy = text("""SELECT count(*) FROM pg_stat_activity
                   WHERE datname = :db AND state = 'active' AND pid <> pg_backend_pid()
                     AND (query ILIKE 'COPY%' OR query ILIKE 'INSERT%')""")
    deadline = time.monotonic() + 300
    with owner_engine().connect() as conn:
        while not conn.execute(busy, {"db": import_store["db"]}).scalar_one():
            assert proc.poll() is None, "the import finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
            conn.rollback()
    proc.send_signal(signal.SIGKILL)  # halfway through writing
    proc.wait()
    gone = text("SELECT count(*) FROM pg_stat_activity WHERE datname = :db "
                "AND pid <> pg_backend_pid() AND usename = current_user")
    with owner_engine().connect() as conn:  # its backend sees the client gone, rolls back
        while conn.execute(gone, {"db": import_store["db"]}).scalar_one():
            assert time.monotonic() < deadline
            time.sleep(0.05)
            conn.rollback()
    assert _snapshot() == before


@pytest.fixture()
def tiny_disk(import_store, tmp_path):
    """A real, nearly full disk for the import's temporary tables: a 1 MB tmpfs as a
    tablespace, made the importing role's temp_tablespaces in this database."""
    folder = localdb.PGDATA / f"tiny-{os.getpid()}"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs",
                              str(folder)], capture_output=True, text=True)
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    shutil.chown(folder, "postgres", "postgres")
    name, db, role = f"chipao_tiny_{os.getpid()}", import_store["db"], localdb.OWNER_ROLE
    try:
        localdb.superuser_sql(f"CREATE TABLESPACE {name} LOCATION '{folder}'")
        localdb.superuser_sql(f"GRANT CREATE ON TABLESPACE {name} TO {role}")
        localdb.superuser_sql(f"ALTER ROLE {role} IN DATABASE {db} SET temp_tablespaces = "
                              f"'{name}'")
        yield folder
    finally:
        localdb.superuser_sql(f"ALTER ROLE {role} IN DATABASE {db} RESET temp_tablespaces")
        localdb.superuser_sql(f"DROP TABLESPACE IF EXISTS {name}")
        subprocess.run(["umount", str(folder)], check=False)
        folder.rmdir()


def test_a_full_disk_during_an_import_is_reported_and_writes_nothing(import_store, tiny_disk,
                                                                    tmp_path):
    big = _write_households(tmp_path / "big.csv", 60_000, start=10_000)
    before = _snapshot()
    # small temp buffers, so the staging tables really go to the (full) disk
    res = _import(big, {**import_store["env"], "PGOPTIONS": "-c temp_buffers=800kB"})
    assert res.returncode == 1
    out = " ".join((res.stdout + res.stderr).split())
    assert "ran out of room" in out and "nothing was written" in out, out[-800:]
    assert "No space left on device" in out  # the disk really filled
    assert "Traceback" not in out
    assert _snapshot() == before
    assert not any(tiny_disk.rglob("*.*"))  # no temporary file left behind
