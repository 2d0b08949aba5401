"""Settings: one frozen class per concern, read from the environment once.

``load_settings(environ, local)`` is pure: the same inputs give the same settings, so
a test builds the settings it needs without touching ``os.environ``. Entry points
(``app.create_app(settings)``, the CLI, the test factory) pass their settings in;
``install()`` makes them the process's, which ``current()`` returns — loading them
from the environment on first use when no entry point installed any.

Two database identities (see docs/security.md):
- the *owner* (``DATABASE_URL``) owns the tables and runs migrations and imports;
- the *app* (``CHIPAO_APP_DATABASE_URL``) serves the dashboard and does not own the
  tables, so PostgreSQL row-level security applies to it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Database:
    """Where the store is: the owner (migrations, imports, CLI), the app role
    (dashboard, under row-level security) and read replicas for dashboard reads."""

    owner_url: str = ""
    app_url: str = ""
    read_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Security:
    secret_key: str = ""
    production: bool = False  # gunicorn, secure cookies, no debug
    allow_demo_accounts: bool = False  # the demo's known passwords may sign in
    public_aggregates: bool = False  # anonymous visitors see suppressed aggregates
    max_upload_mb: int = 50


@dataclass(frozen=True)
class Disclosure:
    """What figures may show (docs/privacy.md)."""

    min_households: int = 20  # below this a rate is "too few households" to show
    suppress_below: int = 5  # public viewers see counts 1..this-1 as "<this"
    paging_rows: int = 5000  # household rows a user may page through per window …
    paging_window_s: int = 600  # … of this many seconds (exports are separate, capped)


@dataclass(frozen=True)
class Services:
    redis_url: str = ""  # shared cache and job broker; "" without Redis
    cache_dir: Path = ROOT / ".cache"
    tile_url: str | None = None  # a basemap tile server the maps may draw under areas
    # the maps fetch the next likely views (other dimensions, measures) after a paint and
    # draw one at once when it is chosen; off: every switch waits for the server
    map_ahead: bool = True


@dataclass(frozen=True)
class Settings:
    database: Database = field(default_factory=Database)
    security: Security = field(default_factory=Security)
    disclosure: Disclosure = field(default_factory=Disclosure)
    services: Services = field(default_factory=Services)


@dataclass(frozen=True)
class LocalFiles:
    """What the project-managed local services wrote down: the local PostGIS's
    credentials (chipao.cli.localdb) and the local redis-server's URL."""

    credentials: Mapping[str, str] = field(default_factory=dict)
    redis_url: str = ""


def read_local_files() -> LocalFiles:
    creds = json.loads(CREDENTIALS_FILE.read_text()) if CREDENTIALS_FILE.exists() else {}
    redis = (json.loads(REDIS_CREDENTIALS.read_text()).get("url", "")
             if REDIS_CREDENTIALS.exists() else "")
    return LocalFiles(creds, redis)


def load_settings(environ: Mapping[str, str], local: LocalFiles = LocalFiles()) -> Settings:
    """The settings these environment variables and local files describe."""
    env = environ.get

    def flag(name: str) -> bool:
        return env(name, "0").lower() in {"1", "true", "yes", "on"}

    creds = local.credentials
    owner = env("DATABASE_URL") or creds.get("owner_url", "")
    # the local cluster's app role only goes with the local cluster's owner
    app = env("CHIPAO_APP_DATABASE_URL") or ("" if env("DATABASE_URL") else creds.get("app_url", ""))
    replicas = tuple(_sqlalchemy_url(u.strip())
                     for u in env("CHIPAO_READ_DATABASE_URL", "").split(",") if u.strip())
    redis = env("CHIPAO_REDIS_URL") or (
        local.redis_url if env("CHIPAO_REDIS", "").lower() == "local" else "")
    return Settings(
        database=Database(_sqlalchemy_url(owner), _sqlalchemy_url(app or owner), replicas),
        security=Security(
            secret_key=env("CHIPAO_SECRET_KEY") or creds.get("secret_key", ""),
            production=flag("CHIPAO_PRODUCTION"),
            allow_demo_accounts=flag("CHIPAO_ALLOW_DEMO_ACCOUNTS"),
            public_aggregates=flag("CHIPAO_PUBLIC_AGGREGATES"),
            max_upload_mb=int(env("CHIPAO_MAX_UPLOAD_MB", "50")),
        ),
        disclosure=Disclosure(
            min_households=int(env("CHIPAO_MIN_HOUSEHOLDS", "20")),
            suppress_below=int(env("CHIPAO_SUPPRESS_BELOW", "5")),
            paging_rows=int(env("CHIPAO_PAGING_ROWS", "5000")),
            paging_window_s=int(env("CHIPAO_PAGING_WINDOW_S", "600")),
        ),
        services=Services(
            redis_url=redis,
            cache_dir=Path(env("CHIPAO_CACHE_DIR", str(ROOT / ".cache"))),
            tile_url=env("CHIPAO_TILE_URL") or None,
            map_ahead=env("CHIPAO_MAP_AHEAD", "1").lower() not in {"0", "false", "no", "off"},
        ),
    )


_installed: Settings | None = None


def install(settings: Settings) -> Settings:
    """Make these the process's settings (entry points call this once)."""
    global _installed
    _installed = settings
    return settings


def reload() -> Settings:
    """Read the environment and local files again and install the result (after a
    command started the local PostGIS or Redis, or a test changed a variable)."""
    return install(load_settings(os.environ, read_local_files()))


def current() -> Settings:
    """The installed settings; from the environment if no entry point installed any."""
    return _installed if _installed is not None else reload()


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
