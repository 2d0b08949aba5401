"""What the store holds (for `make status` and the start-up check)."""

from __future__ import annotations

from sqlalchemy import Connection, text


def store_status(conn: Connection) -> dict:
    """Counts of every kind of record. Runs as the owner (RLS lets it see all rows)."""
    count = lambda table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: E731,S608
    areas = dict(conn.execute(text("SELECT level, count(*) FROM area GROUP BY level")).all())
    per_round = conn.execute(text("""
        SELECT s.year_be, count(r.house_id)
        FROM survey_round s LEFT JOIN household_round r USING (round_id)
        GROUP BY s.year_be ORDER BY s.year_be
    """)).all()
    return {
        "areas": {str(level): areas.get(level, 0) for level in (1, 2, 3)},
        "villages": count("village"),
        "indicators": count("indicator"),
        "dimensions": count("dimension"),
        "survey_rounds": [year for year, _ in per_round],
        "households": count("household"),
        "households_per_round": {str(year): n for year, n in per_round},
        "members": count("member"),
        "plans": count("household_plan"),
        "plan_items": count("plan_item"),
        "visits": count("visit"),
        "centres": count("centre"),
        "province_targets": conn.execute(
            text("SELECT coalesce(sum(target_households), 0) FROM province_target")).scalar_one(),
        "users": count("app_user"),
    }
