"""Long SQL statements live in .sql files beside the code that runs them
(``queries/sql/<module>/<name>.sql``) and are loaded by name: ``sql("centres/nearest")``.

A file may hold ``{placeholders}`` for this package's own constants and catalogue
codes (never user input: values are always bound parameters, ``:name``); the caller
fills them with ``str.format``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent / "sql"


@cache
def sql(name: str) -> str:
    """The text of queries/sql/<name>.sql."""
    path = (SQL_DIR / f"{name}.sql").resolve()
    if SQL_DIR not in path.parents:
        raise ValueError(f"not a statement of queries/sql: {name!r}")
    return path.read_text(encoding="utf-8")
