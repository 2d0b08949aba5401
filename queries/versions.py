"""Data versions (migration 0012): one counter per kind of derived data, bumped by
triggers in the writing transaction. Cache keys include them, so a change made by any
process invalidates every worker's cached geometry and aggregates."""

from __future__ import annotations

from sqlalchemy import Connection, text

KINDS = ("boundaries", "aggregates", "plans", "centres")


def data_versions(conn: Connection) -> dict[str, int]:
    """Every kind's current version (one primary-key scan of four rows)."""
    return {k: int(v) for k, v in conn.execute(text("SELECT kind, version FROM data_version"))}


def data_version(conn: Connection, kind: str) -> int:
    if kind not in KINDS:
        raise ValueError(f"unknown data kind {kind!r}")
    return int(conn.execute(text("SELECT version FROM data_version WHERE kind = :k"),
                            {"k": kind}).scalar_one())
