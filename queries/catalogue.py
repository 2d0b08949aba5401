"""The indicator catalogue as the pages use it: dimensions, indicators and weights,
read from the store (the catalogue is data: see queries/reference_data.py)."""

from __future__ import annotations

from sqlalchemy import Connection, text

from chipao.domain.catalogue import Catalogue, Dimension, Indicator

__all__ = ["Catalogue", "Dimension", "Indicator", "load_catalogue"]


def load_catalogue(conn: Connection) -> Catalogue:
    dims = conn.execute(text(
        "SELECT code, sort, name_th, name_en, weight FROM dimension ORDER BY sort"))
    inds = conn.execute(text(
        "SELECT i.code, i.dimension_code, i.bit, i.text_th, i.text_en, i.weight "
        "FROM indicator i JOIN dimension d ON d.code = i.dimension_code "
        "ORDER BY d.sort, i.bit"))
    return Catalogue(tuple(Dimension(*r) for r in dims), tuple(Indicator(*r) for r in inds))
