"""The project-managed local PostGIS cluster (used when DATABASE_URL is not set).

Lives in the git-ignored ``.pgdata/`` folder: the cluster, its unix socket, its log
and a credentials file with generated passwords. Listens on 127.0.0.1 only, on a
free port chosen the first time. Superuser access is through the socket, which
only the cluster's OS user (and root) can reach.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from chipao.settings import APP_ROLE, CREDENTIALS_FILE, PGDATA

OWNER_ROLE = "chipao_owner"
CLUSTER = PGDATA / "cluster"
SOCKET_DIR = PGDATA / "run"
LOG_FILE = PGDATA / "postgres.log"
PG_MAJOR = "15"
POSTGIS_PACKAGE = f"postgresql-{PG_MAJOR}-postgis-3"


class LocalDbError(RuntimeError):
    pass


def _bindir() -> Path:
    for candidate in (Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin"),):
        if (candidate / "pg_ctl").exists():
            return candidate
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    raise LocalDbError(
        f"PostgreSQL {PG_MAJOR} server binaries not found. Install them with:\n"
        f"  sudo apt-get install postgresql-{PG_MAJOR} {POSTGIS_PACKAGE}"
    )


def _postgis_installed() -> bool:
    sharedir = subprocess.run(
        [str(_bindir() / "pg_config"), "--sharedir"], capture_output=True, text=True
    ).stdout.strip() or f"/usr/share/postgresql/{PG_MAJOR}"
    return Path(sharedir, "extension", "postgis.control").exists()


def ensure_postgis() -> None:
    """Install PostGIS with apt when running as root; otherwise say what to install."""
    if _postgis_installed():
        return
    if os.geteuid() != 0:
        raise LocalDbError(
            "PostGIS is not installed. Install it with:\n"
            f"  sudo apt-get update && sudo apt-get install -y {POSTGIS_PACKAGE}"
        )
    print(f"Installing {POSTGIS_PACKAGE} with apt-get …", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", POSTGIS_PACKAGE], check=True, env=env)


def _as_cluster_user(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` OS user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port(start: int = 54329) -> int:
    for port in range(start, start + 200):
        if _port_free(port):
            return port
    raise LocalDbError("no free local port found for PostgreSQL")


def _credentials() -> dict:
    return json.loads(CREDENTIALS_FILE.read_text()) if CREDENTIALS_FILE.exists() else {}


def _init_cluster() -> dict:
    PGDATA.mkdir(parents=True, exist_ok=True)
    SOCKET_DIR.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(PGDATA, "postgres", "postgres")
        shutil.chown(SOCKET_DIR, "postgres", "postgres")
        # the cluster user must be able to reach .pgdata through the checkout
        os.chmod(PGDATA, 0o711)
    subprocess.run(
        _as_cluster_user(
            [str(_bindir() / "initdb"), "-D", str(CLUSTER), "-U", "postgres",
             "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
             "--locale=C.UTF-8"]
        ),
        check=True, capture_output=True,
    )
    creds = {
        "port": _free_port(),
        "owner_password": secrets.token_urlsafe(18),
        "app_password": secrets.token_urlsafe(18),
        "secret_key": secrets.token_urlsafe(32),
    }
    conf = CLUSTER / "postgresql.conf"
    with conf.open("a") as f:
        f.write(
            "\n# chipao local cluster\n"
            f"port = {creds['port']}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{SOCKET_DIR}'\nunix_socket_permissions = 0700\n"
            "shared_buffers = 1GB\nwork_mem = 64MB\nmaintenance_work_mem = 1GB\n"
            "max_wal_size = 8GB\nsynchronous_commit = off\n"
            "max_parallel_workers_per_gather = 2\njit = off\n"
        )
    return creds


def _write_credentials(creds: dict, dbname: str = "chipao") -> None:
    port = creds["port"]
    creds["owner_url"] = (
        f"postgresql://{OWNER_ROLE}:{creds['owner_password']}@127.0.0.1:{port}/{dbname}"
    )
    creds["app_url"] = f"postgresql://{APP_ROLE}:{creds['app_password']}@127.0.0.1:{port}/{dbname}"
    CREDENTIALS_FILE.write_text(json.dumps(creds, indent=2))
    os.chmod(CREDENTIALS_FILE, 0o600)


def is_running() -> bool:
    if not (CLUSTER / "PG_VERSION").exists():
        return False
    res = subprocess.run(
        _as_cluster_user([str(_bindir() / "pg_ctl"), "-D", str(CLUSTER), "status"]),
        capture_output=True,
    )
    return res.returncode == 0


def superuser_sql(sql: str, dbname: str = "postgres") -> str:
    """Run SQL as the cluster superuser through the private unix socket."""
    creds = _credentials()
    res = subprocess.run(
        _as_cluster_user(
            ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", str(SOCKET_DIR),
             "-p", str(creds["port"]), "-U", "postgres", "-d", dbname, "-c", sql]
        ),
        capture_output=True, text=True,
    )
    if res.returncode != 0:
        raise LocalDbError(res.stderr.strip())
    return res.stdout.strip()


def _check_name(dbname: str) -> str:
    """Database names go into SQL text here (psql -c): only plain identifiers."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", dbname):
        raise LocalDbError(f"not a plain database name: {dbname!r}")
    return dbname


def ensure_database(dbname: str) -> None:
    """Create roles and the database (owned by the owner role) with PostGIS enabled."""
    _check_name(dbname)
    creds = _credentials()
    for role, pw, extra in (
        (OWNER_ROLE, creds["owner_password"], "CREATEROLE"),
        (APP_ROLE, creds["app_password"], "NOCREATEROLE"),
    ):
        superuser_sql(
            f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='{role}') THEN "
            f"CREATE ROLE {role} LOGIN {extra} PASSWORD '{pw}'; END IF; END$$"
        )
    exists = superuser_sql(f"SELECT 1 FROM pg_database WHERE datname = '{dbname}'")  # noqa: S608
    if not exists:
        superuser_sql(f'CREATE DATABASE "{dbname}" OWNER {OWNER_ROLE}')
    # PostGIS is not a trusted extension: the superuser enables it once.
    superuser_sql("CREATE EXTENSION IF NOT EXISTS postgis", dbname)
    superuser_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm", dbname)


def drop_database(dbname: str) -> None:
    _check_name(dbname)
    superuser_sql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def start(dbname: str = "chipao") -> str:
    """Start (creating if needed) the local cluster; return the owner's URL."""
    ensure_postgis()
    creds = _credentials()
    if not (CLUSTER / "PG_VERSION").exists():
        creds = _init_cluster()
        _write_credentials(creds)  # keep the passwords even if the first start fails
    if not is_running():
        # Reuse the configured port if it is still free; otherwise pick another
        # (two clusters initialised at the same moment can pick the same one).
        if not _port_free(creds["port"]):
            creds["port"] = _free_port()
            with (CLUSTER / "postgresql.conf").open("a") as f:
                f.write(f"port = {creds['port']}\n")
        res = subprocess.run(
            _as_cluster_user(
                [str(_bindir() / "pg_ctl"), "-D", str(CLUSTER), "-l", str(LOG_FILE),
                 "-w", "-t", "60", "start"]
            ),
            capture_output=True, text=True,
        )
        if res.returncode != 0:
            tail = LOG_FILE.read_text()[-2000:] if LOG_FILE.exists() else res.stderr
            raise LocalDbError(f"PostgreSQL did not start:\n{tail}")
    if os.geteuid() == 0 and LOG_FILE.exists():
        shutil.chown(LOG_FILE, "postgres", "postgres")
    _write_credentials(creds)
    for _ in range(50):
        if superuser_sql("SELECT 1") == "1":
            break
        time.sleep(0.1)
    ensure_database(dbname)
    return json.loads(CREDENTIALS_FILE.read_text())["owner_url"]


def url_for(dbname: str, role: str = OWNER_ROLE) -> str:
    creds = _credentials()
    pw = creds["owner_password"] if role == OWNER_ROLE else creds["app_password"]
    return f"postgresql://{role}:{pw}@127.0.0.1:{creds['port']}/{dbname}"


def stop() -> bool:
    if not is_running():
        return False
    subprocess.run(
        _as_cluster_user([str(_bindir() / "pg_ctl"), "-D", str(CLUSTER), "-m", "fast", "stop"]),
        check=True, capture_output=True,
    )
    return True
