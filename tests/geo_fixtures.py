"""Deprecated alias of tests/factory.py for tests written before it (session 3);
removed once they are adapted. Import from tests.factory instead."""

from tests.factory import (  # noqa: F401
    BOWTIE,
    DISTRICTS,
    PROVINCES,
    TAMBONS,
    box,
    geo_db,
    level_frame,
    small_frames,
    write_geojson,
    write_gpkg,
    write_shapefile_zip,
)
