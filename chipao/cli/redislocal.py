"""The project-managed local redis-server (``CHIPAO_REDIS=local``), like localdb for
PostGIS: Debian's redis-server, listening on 127.0.0.1 only on a free port, with a
generated password, its config, data, log and pid file in the git-ignored ``.redis/``
folder (or ``CHIPAO_REDIS_DIR``). The URL is kept in ``.redis/chipao-redis.json``
(mode 0600), where chipao.settings finds it. Started by `chipao serve` / `chipao redis` /
the tests; stopped by `chipao stop` (SHUTDOWN, so it exits cleanly).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

from chipao.settings import REDIS_CREDENTIALS, REDIS_DIR

SERVER = "redis-server"


class LocalRedisError(RuntimeError):
    pass


def _binary() -> str:
    found = shutil.which(SERVER) or ("/usr/bin/redis-server"
                                     if Path("/usr/bin/redis-server").exists() else None)
    if not found:
        raise LocalRedisError("redis-server is not installed. Install it with:\n"
                              "  sudo apt-get install -y redis-server")
    return found


def _free_port(start: int = 6390) -> int:
    for port in range(start, start + 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise LocalRedisError("no free local port found for Redis")


def _credentials(folder: Path) -> dict:
    path = folder / REDIS_CREDENTIALS.name
    return json.loads(path.read_text()) if path.exists() else {}


def _client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def is_running(folder: Path = REDIS_DIR) -> bool:
    url = _credentials(folder).get("url")
    if not url:
        return False
    try:
        return bool(_client(url).ping())
    except Exception:
        return False


def start(folder: Path = REDIS_DIR) -> str:
    """Start the local redis-server if it is not running; return its URL."""
    folder = Path(folder)
    if is_running(folder):
        return _credentials(folder)["url"]
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    creds = _credentials(folder)
    password = creds.get("password") or secrets.token_urlsafe(24)
    port = _free_port()
    conf = folder / "redis.conf"
    conf.write_text(
        "# chipao local redis-server (written by chipao.cli.redislocal)\n"
        f"bind 127.0.0.1\nport {port}\nprotected-mode yes\n"
        f"requirepass {password}\n"
        f"dir {folder}\ndbfilename dump.rdb\n"
        # a cache and a broker: snapshots now and then are enough, no append-only log
        "save 300 100\nappendonly no\n"
        f"pidfile {folder / 'redis.pid'}\nlogfile {folder / 'redis.log'}\n"
        "daemonize yes\nmaxmemory 512mb\nmaxmemory-policy volatile-lru\n"
    )
    os.chmod(conf, 0o600)
    res = subprocess.run([_binary(), str(conf)], capture_output=True, text=True)
    if res.returncode != 0:
        raise LocalRedisError(f"redis-server did not start: {res.stderr or res.stdout}")
    url = f"redis://:{password}@127.0.0.1:{port}/0"
    path = folder / REDIS_CREDENTIALS.name
    path.write_text(json.dumps({"url": url, "password": password, "port": port}, indent=2))
    os.chmod(path, 0o600)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if is_running(folder):
            return url
        time.sleep(0.05)
    log = folder / "redis.log"
    raise LocalRedisError("redis-server did not answer:\n"
                          + (log.read_text()[-2000:] if log.exists() else ""))


def stop(folder: Path = REDIS_DIR) -> bool:
    """Shut the local redis-server down cleanly (it saves its snapshot first)."""
    folder = Path(folder)
    if not is_running(folder):
        return False
    pidfile = folder / "redis.pid"
    pid = int(pidfile.read_text()) if pidfile.exists() else None
    try:
        _client(_credentials(folder)["url"]).shutdown(save=True)
    except Exception:  # the connection drops as the server exits
        pass
    deadline = time.monotonic() + 20
    while pid is not None and time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    return True
