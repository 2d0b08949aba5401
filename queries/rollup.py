"""Aggregate tables by area: tambon rows rolled up to districts, provinces and the
country, in full or only for the tambons an import touched (incremental refresh).

Every aggregate table has ``level`` and ``pcode`` columns; P-codes are prefixes of their
parents', so a district's row is the sum of the tambon rows whose P-code starts with it
(``left(pcode, 6)``). An incremental refresh lists the touched tambons in the temporary
table ``touched_tambon`` (``touch``); ``touched_area`` then holds them and every area
above them, and only those areas' rows are rebuilt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, text

from chipao.domain.pcodes import PCODE_LENGTH

TOUCHED_TAMBONS = "SELECT pcode FROM touched_tambon"


def touch(conn: Connection, tambons: Iterable[str]) -> int:
    """Create pg_temp.touched_tambon (the tambons) and pg_temp.touched_area (them and
    their districts, provinces and the country) for this transaction. Returns how many
    tambons."""
    conn.execute(text("DROP TABLE IF EXISTS pg_temp.touched_tambon, pg_temp.touched_area"))
    conn.execute(text("CREATE TEMP TABLE touched_tambon (pcode text PRIMARY KEY) ON COMMIT DROP"))
    conn.execute(text("INSERT INTO touched_tambon SELECT DISTINCT unnest(CAST(:t AS text[]))"),
                 {"t": sorted(set(tambons))})
    conn.execute(text("""
        CREATE TEMP TABLE touched_area ON COMMIT DROP AS
        SELECT DISTINCT l.level, left(t.pcode, l.len) AS pcode
        FROM touched_tambon t
        CROSS JOIN unnest(CAST(:levels AS int[]), CAST(:lens AS int[])) AS l(level, len)
    """), {"levels": list(PCODE_LENGTH), "lens": list(PCODE_LENGTH.values())})
    conn.execute(text("ANALYZE touched_tambon"))
    conn.execute(text("ANALYZE touched_area"))
    return int(conn.execute(text("SELECT count(*) FROM touched_tambon")).scalar_one())


def clear(conn: Connection, table: str, incremental: bool, column: str = "pcode",
          levels: bool = True) -> None:
    """Delete the rows to rebuild: all of them, or (incremental) the touched tambons'
    (and, with `levels`, their parents' — tables that hold every level)."""
    if not incremental:
        conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed table names
    elif levels:
        conn.execute(text(f"""DELETE FROM {table} WHERE (level, {column}) IN
                              (SELECT level, pcode FROM touched_area)"""))  # noqa: S608
    else:
        conn.execute(text(f"DELETE FROM {table} WHERE {column} IN ({TOUCHED_TAMBONS})"))  # noqa: S608


def tambon_filter(incremental: bool, column: str = "tambon_pcode") -> str:
    """SQL condition: every row, or (incremental) only the touched tambons'."""
    return f"{column} IN ({TOUCHED_TAMBONS})" if incremental else "true"


def roll_up(conn: Connection, table: str, keys: Sequence[str], values: Sequence[str],
            sums: Sequence[str], incremental: bool) -> None:
    """Insert the district, province and country rows of `table` from its tambon rows
    (level 3), grouped by `keys`; `values` are the value columns, `sums` their
    aggregate expressions. Incremental: only the touched tambons' parents (their old
    rows must be gone: ``clear``)."""
    group = ", ".join(keys)
    for level in (2, 1, 0):
        only = ("AND left(pcode, :len) IN (SELECT pcode FROM touched_area WHERE level = :level)"
                if incremental else "")
        conn.execute(text(f"""
            INSERT INTO {table} (level, pcode, {group}, {", ".join(values)})
            SELECT :level, left(pcode, :len), {group}, {", ".join(sums)}
            FROM {table} WHERE level = 3 {only}
            GROUP BY left(pcode, :len), {group}
        """), {"level": level, "len": PCODE_LENGTH[level]})  # noqa: S608 - fixed names
