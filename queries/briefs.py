"""What a brief or an export says about the data it shows: when the aggregates were
last rebuilt (the "data date") and a version that changes whenever any figure a brief
reads could have changed (its cache key). Both come from the data_version counters
(migration 0012), bumped by triggers in the writing transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, text


def data_state(conn: Connection) -> tuple[datetime | None, str]:
    """(when the area aggregates last changed, or None; the versions of boundaries,
    aggregates, plans and centres as one string)."""
    rows = {r.kind: r for r in conn.execute(text(
        "SELECT kind, version, changed_at FROM data_version ORDER BY kind"))}
    aggregates = rows.get("aggregates")
    # the times too: a database built again restarts the counters
    version = ":".join(f"{k}={r.version}@{r.changed_at.timestamp():.6f}"
                       for k, r in sorted(rows.items()))
    return (aggregates.changed_at if aggregates else None), version
