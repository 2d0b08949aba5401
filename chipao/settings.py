"""Settings, read once from the environment (and the local cluster's credentials file).

Two database identities (see docs/security.md):
- the *owner* (``DATABASE_URL``) owns the tables and runs migrations and imports;
- the *app* (``CHIPAO_APP_DATABASE_URL``) serves the dashboard and does not own the
  tables, so PostgreSQL row-level security applies to it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PGDATA = Path(os.environ.get("CHIPAO_PGDATA", ROOT / ".pgdata"))
CREDENTIALS_FILE = PGDATA / "chipao-credentials.json"
REDIS_DIR = Path(os.environ.get("CHIPAO_REDIS_DIR", ROOT / ".redis"))
REDIS_CREDENTIALS = REDIS_DIR / "chipao-redis.json"
DATA_DIR = Path(__file__).resolve().parent / "data"
APP_ROLE = "chipao_app"


def default_boundaries_dir() -> Path:
    env = os.environ.get("CHIPAO_BOUNDARIES")
    return Path(env) if env else ROOT.parent / "shared" / "geodata"


def _local_credentials() -> dict[str, str]:
    if CREDENTIALS_FILE.exists():
        return json.loads(CREDENTIALS_FILE.read_text())
    return {}


@dataclass(frozen=True)
class Settings:
    owner_url: str
    app_url: str
    secret_key: str
    public_aggregates: bool
    production: bool
    allow_demo_accounts: bool
    min_households_for_rate: int
    suppress_below: int
    paging_rows: int  # household rows a user may page through per window …
    paging_window_s: int  # … of this many seconds (exports are separate, capped, audited)
    tile_url: str | None
    cache_dir: Path
    max_upload_mb: int
    redis_url: str  # shared cache and job broker; "" without Redis
    read_urls: tuple[str, ...]  # read replicas for dashboard reads (CHIPAO_READ_DATABASE_URL)


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


@lru_cache(maxsize=1)
def settings() -> Settings:
    creds = _local_credentials()
    owner = os.environ.get("DATABASE_URL") or creds.get("owner_url", "")
    app = os.environ.get("CHIPAO_APP_DATABASE_URL") or (
        creds.get("app_url", "") if not os.environ.get("DATABASE_URL") else ""
    )
    return Settings(
        owner_url=_sqlalchemy_url(owner),
        app_url=_sqlalchemy_url(app or owner),
        secret_key=os.environ.get("CHIPAO_SECRET_KEY") or creds.get("secret_key", ""),
        public_aggregates=_flag("CHIPAO_PUBLIC_AGGREGATES"),
        production=_flag("CHIPAO_PRODUCTION"),
        allow_demo_accounts=_flag("CHIPAO_ALLOW_DEMO_ACCOUNTS"),
        min_households_for_rate=int(os.environ.get("CHIPAO_MIN_HOUSEHOLDS", "20")),
        suppress_below=int(os.environ.get("CHIPAO_SUPPRESS_BELOW", "5")),
        paging_rows=int(os.environ.get("CHIPAO_PAGING_ROWS", "5000")),
        paging_window_s=int(os.environ.get("CHIPAO_PAGING_WINDOW_S", "600")),
        tile_url=os.environ.get("CHIPAO_TILE_URL") or None,
        cache_dir=Path(os.environ.get("CHIPAO_CACHE_DIR", ROOT / ".cache")),
        max_upload_mb=int(os.environ.get("CHIPAO_MAX_UPLOAD_MB", "50")),
        redis_url=_redis_url(),
        read_urls=tuple(_sqlalchemy_url(u.strip()) for u in
                        os.environ.get("CHIPAO_READ_DATABASE_URL", "").split(",") if u.strip()),
    )


def _redis_url() -> str:
    """CHIPAO_REDIS_URL, or with CHIPAO_REDIS=local the project-managed redis-server's
    (chipao.cli.redislocal, started by `chipao serve` / the tests), or "" for no Redis."""
    if os.environ.get("CHIPAO_REDIS_URL"):
        return os.environ["CHIPAO_REDIS_URL"]
    if os.environ.get("CHIPAO_REDIS", "").lower() == "local" and REDIS_CREDENTIALS.exists():
        return json.loads(REDIS_CREDENTIALS.read_text()).get("url", "")
    return ""


def _sqlalchemy_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def libpq_url(url: str) -> str:
    """The same URL without the SQLAlchemy driver part, for psql and people."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)
