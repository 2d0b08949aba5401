"""Production serving: `chipao serve --workers 2` runs gunicorn, and its workers are
stateless — a session signed in through one worker is honoured by the other, and
failed sign-ins count towards the lockout whichever worker took them.

Which worker takes a new connection is up to the kernel, so to send a request to a
chosen worker the test stops the other one (SIGSTOP: it cannot accept) and resumes it
afterwards. The access log names the pid that served every request."""

from __future__ import annotations

import os
import signal
from contextlib import contextmanager

import pytest

from tests.auth_helpers import create_user
from tests.scale_support import Browserless, gunicorn_server

pytestmark = pytest.mark.scale


@pytest.fixture(scope="module")
def two_workers(database, tmp_path_factory):
    with gunicorn_server(tmp_path_factory.mktemp("serve"), workers=2) as server:
        assert len(server.worker_pids()) == 2
        yield server


@contextmanager
def only(server, pid: int):
    """Every new connection goes to worker `pid` while the others are stopped."""
    others = [p for p in server.worker_pids() if p != pid]
    for p in others:
        os.kill(p, signal.SIGSTOP)
    try:
        yield
    finally:
        for p in others:
            os.kill(p, signal.SIGCONT)


def test_serve_runs_gunicorn_gthread_workers(two_workers):
    log = two_workers.log.read_text()
    assert "Using worker: gthread" in log
    assert log.count("Booting worker with pid") >= 2


def test_session_signed_in_through_one_worker_is_kept_by_the_other(two_workers):
    a, b = two_workers.worker_pids()
    username, password = create_user("province", areas=("TH50",))
    client = Browserless(two_workers.url)
    with only(two_workers, a):
        mark = two_workers.mark()
        assert client.sign_in(username, password).status_code == 302
        assert two_workers.pid_of(r'"POST /login', mark) == a
    with only(two_workers, b):
        for _ in range(3):
            mark = two_workers.mark()
            page = client.get("/households")
            assert page.status_code == 200, page.text[:300]
            assert two_workers.pid_of(r'"GET /households', mark) == b
        # the Dash layout endpoint through the guard, too
        assert client.get("/_dash-layout").status_code == 200
    # a stranger's cookie-less request is refused by either worker
    stranger = Browserless(two_workers.url)
    for pid in (a, b):
        with only(two_workers, pid):
            assert stranger.get("/households").status_code == 302


def test_sign_out_through_one_worker_ends_the_session_on_the_other(two_workers):
    a, b = two_workers.worker_pids()
    username, password = create_user("district", areas=("TH5001",))
    client = Browserless(two_workers.url)
    assert client.sign_in(username, password).status_code == 302
    kept = dict(client.http.cookies)  # what a thief would have copied
    with only(two_workers, a):
        assert client.sign_out().status_code == 302
    thief = Browserless(two_workers.url)
    thief.http.cookies.update(kept)
    with only(two_workers, b):
        assert thief.get("/households").status_code == 302


def test_failed_sign_ins_count_across_workers(two_workers):
    from chipao.web.auth import MAX_FAILURES

    a, b = two_workers.worker_pids()
    username, password = create_user("tambon", areas=("TH500101",))
    client = Browserless(two_workers.url)
    for i in range(MAX_FAILURES):  # alternate workers: a, b, a, b, a
        pid = (a, b)[i % 2]
        with only(two_workers, pid):
            mark = two_workers.mark()
            assert client.sign_in(username, "wrong-" + password).status_code == 401
            assert two_workers.pid_of(r'"POST /login', mark) == pid
    # locked: the right password is refused by both workers
    for pid in (a, b):
        with only(two_workers, pid):
            assert client.sign_in(username, password).status_code == 401
            assert client.get("/households").status_code == 302
