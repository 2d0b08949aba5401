"""Real servers for the scale tests: the dashboard under gunicorn as a separate process
(its access log names the worker pid of every request) and a plain HTTP client that
signs in through the real form. Nothing is mocked."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

from bench.signin import CALLBACK_PATH, CSRF_COOKIE, login_form
from chipao.settings import ROOT

ORIGIN_HEADER = "Origin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Gunicorn:
    url: str
    proc: subprocess.Popen
    access_log: Path
    log: Path
    env: dict = field(default_factory=dict)

    def worker_pids(self) -> list[int]:
        return sorted(c.pid for c in psutil.Process(self.proc.pid).children())

    def access_lines(self) -> list[str]:
        return self.access_log.read_text().splitlines() if self.access_log.exists() else []

    def mark(self) -> int:
        """The access log's length now: pass it to `pid_of` for the requests after it."""
        return len(self.access_lines())

    def pid_of(self, pattern: str, since: int, timeout: float = 10.0) -> int:
        """The worker pid that served the first request after line `since` whose line
        matches `pattern`. gunicorn writes the line once the response is sent, so this
        waits for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.access_lines()[since:]:
                if re.search(pattern, line):
                    return int(re.search(r"pid=<?(\d+)", line).group(1))
            time.sleep(0.02)
        raise AssertionError(f"no access-log line after {since} matches {pattern!r}")


def wait_http(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None,
              log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"server exited ({proc.returncode}):\n"
                                 + (log.read_text()[-3000:] if log else ""))
        try:
            if requests.get(url, timeout=2, allow_redirects=False).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@contextmanager
def gunicorn_server(tmp: Path, workers: int = 2, threads: int = 4,
                    extra_env: dict | None = None) -> Iterator[Gunicorn]:
    """`chipao serve --workers N` against the test database (environment inherited)."""
    port = free_port()
    access_log, log = tmp / f"access-{port}.log", tmp / f"gunicorn-{port}.log"
    env = {**os.environ, **(extra_env or {})}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "chipao", "serve", "--workers", str(workers),
             "--threads", str(threads), "--port", str(port), "--access-log", str(access_log),
             "--no-job-worker"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Gunicorn(f"http://127.0.0.1:{port}", proc, access_log, log, env)
    try:
        wait_http(server.url + "/login", proc=proc, log=log)
        deadline = time.monotonic() + 30
        while len(server.worker_pids()) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
        yield server
    finally:
        for pid in server.worker_pids() if proc.poll() is None else []:
            try:
                os.kill(pid, signal.SIGCONT)  # a test may have left one stopped
            except ProcessLookupError:
                pass
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Browserless:
    """An HTTP client that behaves like a same-origin browser: cookies, the Origin
    header, the sign-in form's CSRF token, Dash's CSRF header on callbacks. Every
    request opens a new connection (`Connection: close`), so any worker may take it."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()
        self.http.headers.update({ORIGIN_HEADER: base, "Connection": "close",
                                  "Accept": "text/html,*/*"})

    def get(self, path: str, **kw) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=60, **kw)

    def sign_in(self, username: str, password: str) -> requests.Response:
        html = self.get("/login").text
        return self.http.post(self.base + "/login", allow_redirects=False, timeout=60,
                              data=login_form(html, username, password))

    def sign_out(self) -> requests.Response:
        """The navigation's sign-out form: a POST with the session's CSRF token."""
        return self.http.post(self.base + "/logout", allow_redirects=False, timeout=60,
                              data={"csrf": self.http.cookies.get(CSRF_COOKIE, "")})

    def callback(self, body: dict) -> requests.Response:
        csrf = self.http.cookies.get(CSRF_COOKIE, "")
        return self.http.post(self.base + CALLBACK_PATH, json=body, timeout=120,
                              headers={"X-CSRFToken": csrf})


# ── Redis and Celery ─────────────────────────────────────────────────────────
@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A real redis-server of the test's own (chipao.cli.redislocal in `folder`)."""
    from chipao.cli import redislocal

    url = redislocal.start(folder)
    try:
        yield url
    finally:
        redislocal.stop(folder)


@contextmanager
def redis_env(url: str) -> Iterator[None]:
    """CHIPAO_REDIS_URL set for this process (settings and Redis clients renewed)."""
    from chipao import settings
    from chipao.web import cache, jobs

    saved = os.environ.get("CHIPAO_REDIS_URL")
    os.environ["CHIPAO_REDIS_URL"] = url

    def renew() -> None:
        settings.reload()
        jobs.celery_app.cache_clear()
        cache._shared_for.cache_clear()

    renew()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("CHIPAO_REDIS_URL", None)
        else:
            os.environ["CHIPAO_REDIS_URL"] = saved
        renew()


@contextmanager
def celery_worker(tmp: Path, redis_url: str, concurrency: int = 1) -> Iterator[subprocess.Popen]:
    """`chipao worker` as a separate process, ready to take jobs."""
    log = tmp / f"celery-{free_port()}.log"
    env = {**os.environ, "CHIPAO_REDIS_URL": redis_url}
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "chipao", "worker",
                                 "--concurrency", str(concurrency)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    proc.log = log  # type: ignore[attr-defined]
    try:
        deadline = time.monotonic() + 90
        while "ready." not in log.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("celery worker did not start:\n" + log.read_text()[-3000:])
            time.sleep(0.2)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# ── a streaming replica of the test cluster ──────────────────────────────────
@dataclass
class Replica:
    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        return self.folder / "run"

    def sql(self, statement: str, dbname: str = "postgres") -> str:
        from chipao.cli import localdb

        res = subprocess.run(localdb._as_cluster_user(
            ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket_dir),
             "-p", str(self.port), "-U", "postgres", "-d", dbname, "-c", statement]),
            capture_output=True, text=True)
        if res.returncode != 0:
            raise AssertionError(res.stderr)
        return res.stdout.strip()

    def app_url(self, dbname: str) -> str:
        from chipao import settings
        from chipao.cli import localdb

        primary = localdb.url_for(dbname, role=settings.APP_ROLE)
        return primary.replace(f":{localdb._credentials()['port']}/", f":{self.port}/")

    def pg_ctl(self, *args: str) -> subprocess.CompletedProcess:
        from chipao.cli import localdb

        return subprocess.run(localdb._as_cluster_user(
            [str(localdb._bindir() / "pg_ctl"), "-D", str(self.data), *args]),
            capture_output=True, text=True)

    def wait_replayed(self, lsn: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.sql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn") != "t":
            if time.monotonic() > deadline:
                raise AssertionError(f"the replica did not replay {lsn} in {timeout} s")
            time.sleep(0.05)


@contextmanager
def streaming_replica() -> Iterator[Replica]:
    """A hot standby of the test cluster: `pg_basebackup -R` from the primary, started
    on a free loopback port, streaming from the primary; stopped and removed after."""
    from chipao.cli import localdb

    creds = localdb._credentials()
    replica = Replica(localdb.PGDATA / f"replica-{os.getpid()}-{free_port()}", free_port())
    replica.socket_dir.mkdir(parents=True)
    if os.geteuid() == 0:
        for p in (replica.folder, replica.socket_dir):
            shutil.chown(p, "postgres", "postgres")
    res = subprocess.run(localdb._as_cluster_user(
        [str(localdb._bindir() / "pg_basebackup"), "-h", str(localdb.SOCKET_DIR),
         "-p", str(creds["port"]), "-U", "postgres", "-D", str(replica.data), "-R",
         "-X", "stream", "-c", "fast"]), capture_output=True, text=True)
    if res.returncode != 0:
        shutil.rmtree(replica.folder, ignore_errors=True)
        raise AssertionError(f"pg_basebackup failed: {res.stderr}")
    with (replica.data / "postgresql.conf").open("a") as f:
        f.write(f"\n# streaming replica for the tests\nport = {replica.port}\n"
                f"unix_socket_directories = '{replica.socket_dir}'\n"
                "shared_buffers = 128MB\nhot_standby = on\nhot_standby_feedback = on\n")
    started = replica.pg_ctl("-l", str(replica.folder / "postgres.log"), "-w", "-t", "60",
                             "start")
    if started.returncode != 0:
        log = replica.folder / "postgres.log"
        raise AssertionError("replica did not start:\n" + (log.read_text()[-2000:]
                                                           if log.exists() else started.stderr))
    try:
        assert replica.sql("SELECT pg_is_in_recovery()") == "t"
        yield replica
    finally:
        replica.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(replica.folder, ignore_errors=True)


@contextmanager
def read_replicas(*urls: str) -> Iterator[None]:
    """CHIPAO_READ_DATABASE_URL set for this process (settings renewed)."""
    from chipao import settings
    from queries import db

    saved = os.environ.get("CHIPAO_READ_DATABASE_URL")
    os.environ["CHIPAO_READ_DATABASE_URL"] = ",".join(urls)
    settings.reload()
    db._replica_down.clear()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("CHIPAO_READ_DATABASE_URL", None)
        else:
            os.environ["CHIPAO_READ_DATABASE_URL"] = saved
        settings.reload()
        db._replica_down.clear()
