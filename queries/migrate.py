"""Apply or revert Alembic migrations as the owner role."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from queries.db import database

SCRIPT_LOCATION = Path(__file__).resolve().parent / "migrations"


def _config(url: str | None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    cfg.set_main_option("sqlalchemy.url", (url or database().owner_url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "heads") -> None:
    command.upgrade(_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(_config(url), revision)


def current(url: str | None = None) -> None:
    command.current(_config(url))
