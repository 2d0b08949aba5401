"""Administrative boundaries: reading the HDX COD-AB layout, validation and repair,
display simplification (``boundaries``) and per-level GeoJSON serving (``serve``).
No SQL here: the area table is written and read by :mod:`queries.areas`."""
