"""Helpers for tests that need a store of their own (household import, demo): a
separate database in the session's local cluster, migrated and seeded, with small
square test areas. Other test modules share the session database; household data
would get in their way (and theirs in ours), hence the separate database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

from chipao import settings
from chipao.cli import localdb


@contextmanager
def isolated_store(name: str) -> Iterator[str]:
    """A fresh migrated database with the catalogue loaded; DATABASE_URL points at it
    while the context is open (restored afterwards)."""
    from queries import db, migrate
    from queries.reference_data import load_catalogue, load_reference_tables

    dbname = f"{name}_{os.getpid()}"
    localdb.drop_database(dbname)
    localdb.ensure_database(dbname)
    url = localdb.url_for(dbname)
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "CHIPAO_APP_DATABASE_URL")}
    os.environ["DATABASE_URL"] = url
    os.environ["CHIPAO_APP_DATABASE_URL"] = localdb.url_for(dbname, role=settings.APP_ROLE)
    settings.settings.cache_clear()
    db.dispose_all()
    try:
        migrate.upgrade(url)
        with db.owner() as conn:
            load_catalogue(conn)
            load_reference_tables(conn)
        yield url
    finally:
        db.dispose_all()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        settings.settings.cache_clear()
        localdb.drop_database(dbname)


def _square(x: float, y: float, size: float) -> str:
    return (f"MULTIPOLYGON((({x} {y},{x + size} {y},{x + size} {y + size},"
            f"{x} {y + size},{x} {y})))")


def insert_test_areas(conn: Connection, layout: dict[str, dict[str, int]],
                      origin: tuple[float, float] = (100.0, 14.0), size: float = 0.05) -> list[str]:
    """Provinces → districts → number of tambons, as squares of `size` degrees laid out
    in a row per district. Returns the tambon P-codes. Example:
    {"TH10": {"TH1001": 2}, "TH50": {"TH5001": 3, "TH5002": 1}}"""
    tambons = []
    x0, y0 = origin
    row = 0
    for province, districts in layout.items():
        for district, n in districts.items():
            for k in range(1, n + 1):
                pcode = f"{district}{k:02d}"
                tambons.append(pcode)
                x, y = x0 + (k - 1) * size, y0 + row * size
                conn.execute(text("""
                    INSERT INTO area (pcode, level, parent_pcode, name_th, name_en, geom,
                                      geom_display, label_point, area_km2)
                    SELECT :p, 3, :parent, :th, :en, g, g, ST_PointOnSurface(g),
                           ST_Area(g::geography) / 1e6
                    FROM ST_GeomFromText(:wkt, 4326) AS g
                """), {"p": pcode, "parent": district, "th": f"ตำบลทดสอบ {pcode}",
                       "en": f"Test tambon {pcode}", "wkt": _square(x, y, size)})
            row += 1
            _insert_union(conn, district, 2, province, f"อำเภอทดสอบ {district}",
                          f"Test district {district}")
        _insert_union(conn, province, 1, None, f"จังหวัดทดสอบ {province}",
                      f"Test province {province}")
    return tambons


def _insert_union(conn: Connection, pcode: str, level: int, parent: str | None,
                  name_th: str, name_en: str) -> None:
    conn.execute(text("""
        INSERT INTO area (pcode, level, parent_pcode, name_th, name_en, geom, geom_display,
                          label_point, area_km2)
        SELECT :p, :level, :parent, :th, :en, g, g, ST_PointOnSurface(g),
               ST_Area(g::geography) / 1e6
        FROM (SELECT ST_Multi(ST_Union(geom)) AS g FROM area
              WHERE level = :level + 1 AND parent_pcode = :p) AS u
    """), {"p": pcode, "level": level, "parent": parent, "th": name_th, "en": name_en})
