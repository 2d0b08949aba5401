"""Administrative areas: the boundary load (staging + swap) and the lookups pages use.

The area table holds no personal data, so these functions take a plain Connection
(owner for the load, app role or owner for reading).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from chipao.domain.boundaries import COPY_COLUMNS, BoundarySet
from chipao.domain.pcodes import ancestors_of
from queries.sql import sql

# Tables that point at an area (households through their tambon), with a readable name
# for the refusal message. Any other foreign key still stops the load (IntegrityError).
_REFERENCES = (
    ("households", "household", "tambon_pcode"),
    ("villages", "village", "tambon_pcode"),
    ("centres", "centre", "tambon_pcode"),
    ("user scopes", "user_scope", "pcode"),
    ("process steps", "area_process_step", "pcode"),
    ("province targets", "province_target", "province_pcode"),
)


class AreaInUseError(RuntimeError):
    """New boundaries would delete areas that records still refer to."""


_STAGING = """
DROP TABLE IF EXISTS pg_temp.area_staging;
CREATE TEMP TABLE area_staging (
    pcode        text PRIMARY KEY,
    level        smallint NOT NULL,
    parent_pcode text,
    name_th      text NOT NULL,
    name_en      text NOT NULL,
    geom         geometry(MultiPolygon, 4326) NOT NULL,
    geom_display geometry(MultiPolygon, 4326) NOT NULL,
    label_point  geometry(Point, 4326) NOT NULL
) ON COMMIT DROP;
"""

_UPSERT = text(sql("areas/upsert"))

_VANISHED = text("""
SELECT a.pcode FROM area a
WHERE NOT EXISTS (SELECT 1 FROM area_staging s WHERE s.pcode = a.pcode)
ORDER BY a.pcode
""")


def _references_sql(table: str, column: str) -> str:
    # Table and column come from the fixed _REFERENCES list above, never from input.
    return (f"SELECT t.{column} AS pcode, count(*) AS n FROM {table} t "  # noqa: S608
            f"WHERE t.{column} = ANY(:codes) GROUP BY t.{column}")


def _in_use(conn: Connection, vanished: list[str]) -> dict[str, list[str]]:
    """For each vanished area still referenced: '12 households', '3 villages', …"""
    uses: dict[str, list[str]] = {}
    for label, table, column in _REFERENCES:
        rows = conn.execute(text(_references_sql(table, column)), {"codes": vanished})
        for pcode, n in rows:
            uses.setdefault(pcode, []).append(f"{n:,} {label}")
    return uses


def replace_boundaries(conn: Connection, boundary_set: BoundarySet) -> dict[str, int]:
    """Make the area table equal to `boundary_set`, inside the caller's transaction.

    COPY into a temporary staging table, upsert into `area` (which is never dropped:
    grants, policies and foreign keys stay), then delete areas that vanished. Refuses
    (AreaInUseError, nothing changed once the caller rolls back) when a vanished area is
    still used by households, villages, centres or other records.
    Returns counts: inserted, updated, unchanged, deleted and level_1..level_3.
    """
    if not boundary_set.report.ok:
        raise ValueError("the boundary set has blocking problems: see its report")
    dbapi = conn.connection.driver_connection
    with dbapi.cursor() as cur:
        cur.execute(_STAGING)
        with cur.copy(f"COPY area_staging ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
            for row in boundary_set.copy_rows():
                copy.write_row(row)
        cur.execute("ANALYZE area_staging")
    vanished = list(conn.execute(_VANISHED).scalars())
    if vanished:
        uses = _in_use(conn, vanished)
        if uses:
            listed = "; ".join(f"{p} ({', '.join(u)})" for p, u in list(uses.items())[:20])
            more = f" and {len(uses) - 20} more" if len(uses) > 20 else ""
            raise AreaInUseError(
                f"{len(uses)} areas missing from the new boundaries are still in use: "
                f"{listed}{more}. Move or delete those records first, or add the areas back.")
    inserted = list(conn.execute(_UPSERT).scalars())
    deleted = conn.execute(text("DELETE FROM area WHERE pcode = ANY(:codes)"),
                           {"codes": vanished}).rowcount if vanished else 0
    # The parent link is deferred: check it now, so a failure surfaces here, not at commit.
    conn.execute(text("SET CONSTRAINTS area_parent_pcode_fkey IMMEDIATE"))
    conn.execute(text("SET CONSTRAINTS area_parent_pcode_fkey DEFERRED"))
    staged = conn.execute(text("SELECT count(*) FROM area_staging")).scalar_one()
    counts = {
        "inserted": sum(inserted),
        "updated": len(inserted) - sum(inserted),
        "unchanged": staged - len(inserted),
        "deleted": deleted,
    }
    counts.update({f"level_{lvl}": n for lvl, n in level_counts(conn).items()})
    return counts


# ── lookups ──────────────────────────────────────────────────────────────────
_COLUMNS = "pcode, level, parent_pcode, name_th, name_en"


def level_counts(conn: Connection) -> dict[int, int]:
    """Number of areas per level, {1: 77, 2: 928, 3: 7425} for Thailand (0 when empty)."""
    rows = conn.execute(text("SELECT level, count(*) FROM area GROUP BY level"))
    counts = {1: 0, 2: 0, 3: 0}
    counts.update({int(level): int(n) for level, n in rows})
    return counts


def area_names(conn: Connection, level: int, parent: str | None = None) -> list[dict]:
    """Areas of a level (optionally inside the subtree of `parent`), by P-code:
    [{pcode, level, parent_pcode, name_th, name_en}]."""
    rows = conn.execute(text(
        f"SELECT {_COLUMNS} FROM area "  # noqa: S608 - fixed column list
        "WHERE level = :level AND (CAST(:parent AS text) IS NULL "
        "OR starts_with(pcode, CAST(:parent AS text))) ORDER BY pcode"),
        {"level": level, "parent": parent})
    return [dict(r._mapping) for r in rows]


def get_area(conn: Connection, pcode: str) -> dict | None:
    """One area with its size, label point and bounding box (for zooming a map)."""
    row = conn.execute(text(
        f"SELECT {_COLUMNS}, area_km2, ST_X(label_point) AS label_lon, "  # noqa: S608
        "ST_Y(label_point) AS label_lat, ST_XMin(geom) AS xmin, ST_YMin(geom) AS ymin, "
        "ST_XMax(geom) AS xmax, ST_YMax(geom) AS ymax FROM area WHERE pcode = :pcode"),
        {"pcode": pcode}).first()
    return dict(row._mapping) if row else None


def children(conn: Connection, pcode: str) -> list[dict]:
    """Areas one level below `pcode` ('TH' gives the provinces)."""
    if pcode == "TH":
        return area_names(conn, 1)
    rows = conn.execute(text(
        f"SELECT {_COLUMNS} FROM area WHERE parent_pcode = :pcode "  # noqa: S608
        "ORDER BY pcode"), {"pcode": pcode})
    return [dict(r._mapping) for r in rows]


def ancestors(conn: Connection, pcode: str, include_self: bool = False) -> list[dict]:
    """The areas above `pcode`, province first (for the breadcrumb); with
    include_self=True the area itself ends the list. Empty for an unknown P-code."""
    prefixes = ancestors_of(pcode, include_self)
    if not prefixes:
        return []
    rows = conn.execute(text(
        f"SELECT {_COLUMNS} FROM area WHERE pcode = ANY(:codes) "  # noqa: S608
        "ORDER BY level"), {"codes": prefixes})
    found = [dict(r._mapping) for r in rows]
    return found if len(found) == len(prefixes) else []


def area_geojson(conn: Connection, level: int, parent: str | None = None) -> bytes:
    """A FeatureCollection of the display geometry of one level (optionally inside one
    subtree), coordinates rounded to 5 decimals, features ordered by P-code; each
    feature's id is its P-code, properties {pcode, name_th, name_en, lx, ly} (lx/ly: the
    label point, where the map writes the area's name). Built as compact
    text in SQL (json_build_object would pad every key with spaces)."""
    row = conn.execute(text(sql("areas/geojson")), {"level": level, "parent": parent}).scalar_one()
    return row.encode("utf-8")


def area_tile(conn: Connection, level: int, z: int, x: int, y: int) -> bytes:
    """Vector tile z/x/y (Mapbox Vector Tile, layer ``areas``, property ``pcode``) of
    the display geometry of one level; empty bytes where no area lies."""
    data = conn.execute(text(sql("areas/tile")), {"level": level, "z": z, "x": x,
                                                   "y": y}).scalar()
    return bytes(data or b"")


def area_labels(conn: Connection, level: int, parent: str | None = None) -> dict:
    """Names and label points of one level (inside `parent`), aligned by P-code:
    {"ids": [...], "th": [...], "en": [...], "at": [[lon, lat], ...]}."""
    rows = conn.execute(text(sql("areas/labels")), {"level": level, "parent": parent}).all()
    return {"ids": [r.pcode for r in rows], "th": [r.name_th for r in rows],
            "en": [r.name_en for r in rows], "at": [[r.lx, r.ly] for r in rows]}


def area_shapes(conn: Connection, level: int, parent: str | None = None) -> list[dict]:
    """The display geometry of one level (inside `parent`) for static maps:
    [{pcode, name_th, name_en, wkb, label_lon, label_lat}] by P-code (wkb: bytes,
    EPSG:4326, coordinates rounded to 5 decimals like the served GeoJSON)."""
    rows = conn.execute(text("""
        SELECT pcode, name_th, name_en,
               ST_AsBinary(ST_ReducePrecision(geom_display, 0.00001)) AS wkb,
               ST_X(label_point) AS label_lon, ST_Y(label_point) AS label_lat
        FROM area
        WHERE level = :level
          AND (CAST(:parent AS text) IS NULL OR starts_with(pcode, CAST(:parent AS text)))
        ORDER BY pcode
    """), {"level": level, "parent": parent})
    return [{**r._mapping, "wkb": bytes(r.wkb)} for r in rows]
