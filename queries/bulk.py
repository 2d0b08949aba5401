"""Bulk loading: binary COPY encoded by numpy, and a bulk mode that drops foreign keys
and secondary indexes for a large load and rebuilds them once at the end.

Rows are grouped by byte layout (text lengths, NULL cells), each group becomes one
numpy record array, and millions of rows cost about a second to encode (pandas'
to_csv takes ~2 s per million). Used by the household and demo loaders
(queries.households_load) and the nearest-centre refresh (queries.centres).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

Progress = Callable[[str, int, int], None]  # (phase, done, total)

COPY_CHUNK_ROWS = 250_000  # rows per write to the server
ENCODE_ROWS = 1_048_576  # rows encoded at a time
PG_EPOCH = np.datetime64("2000-01-01", "D")


# ── binary COPY ──────────────────────────────────────────────────────────────
_FIXED = {"int2": ">i2", "int4": ">i4", "int8": ">i8", "float4": ">f4", "float8": ">f8",
          "bool": "u1"}
_POINT_HEADER = b"\x01" + (0x20000001).to_bytes(4, "little") + (4326).to_bytes(4, "little")


@dataclass
class Col:
    """A column for copy_binary. kind: int2/int4/int8/float4/float8/bool/date/timestamptz/
    text/point (values for point: a pair of lon, lat arrays in WGS84). `null`: mask of NULL cells (default:
    NaN for floats and points, NaT for dates, None for text)."""

    name: str
    kind: str
    values: object
    null: np.ndarray | None = None


@dataclass
class _Encoded:
    values: np.ndarray  # big-endian numbers, or bytes (text, point)
    null: np.ndarray
    variable: bool  # text: the byte length varies by row


def _length(values) -> int:
    return len(values[0]) if isinstance(values, tuple) else len(values)


def _slice(values, start: int, stop: int):
    if isinstance(values, tuple):
        return tuple(_slice(v, start, stop) for v in values)
    if isinstance(values, pd.Series):
        return values.array[start:stop]
    return values[start:stop]


def _encode(col: Col, start: int = 0, stop: int | None = None,
            cache: dict | None = None) -> _Encoded:
    """Encode rows start:stop of a column (categories of a categorical once, via cache)."""
    kind = col.kind
    stop = _length(col.values) if stop is None else stop
    values_in = _slice(col.values, start, stop)
    if kind == "point":
        lon, lat = (np.asarray(v, dtype=np.float64) for v in values_in)
        null = np.isnan(lon) | np.isnan(lat)
        out = np.empty(len(lon), dtype=[("h", "S9"), ("x", "<f8"), ("y", "<f8")])
        out["h"], out["x"], out["y"] = _POINT_HEADER, lon, lat
        values = out.view("V25")  # EWKB point with SRID, fixed 25 bytes
    elif kind == "text" and isinstance(getattr(values_in, "dtype", None), pd.CategoricalDtype):
        # encode each distinct value once, then pick by code
        cat = pd.Categorical(values_in)
        key = (col.name, id(cat.categories))
        if cache is None or key not in cache:
            encoded = _encode(Col(col.name, "text", np.asarray(cat.categories, dtype=object)))
            if cache is not None:
                cache[key] = encoded
        else:
            encoded = cache[key]
        codes = cat.codes
        null = codes < 0
        values = encoded.values[np.where(null, 0, codes)] if len(encoded.values) else \
            np.zeros(len(codes), dtype="S1")
    elif kind == "text":
        arr = np.asarray(values_in)
        null = pd.isna(arr) if arr.dtype == object else np.zeros(len(arr), dtype=bool)
        if arr.dtype.kind != "S":
            arr = np.where(null, "", arr) if null.any() else arr
            try:
                arr = arr.astype("S")  # fast path: ASCII
            except UnicodeEncodeError:
                arr = np.char.encode(arr.astype(str), "utf-8")
        values = arr if arr.dtype.itemsize else arr.astype("S1")
    elif kind == "date":
        arr = np.asarray(values_in, dtype="datetime64[D]")
        null = np.isnat(arr)
        values = (arr - PG_EPOCH).astype(np.int64).astype(">i4")
    elif kind == "timestamptz":  # naive values are UTC
        arr = np.asarray(values_in, dtype="datetime64[us]")
        null = np.isnat(arr)
        values = (arr - PG_EPOCH.astype("datetime64[us]")).astype(np.int64).astype(">i8")
    else:
        arr = np.asarray(values_in)
        null = np.isnan(arr) if arr.dtype.kind == "f" else np.zeros(len(arr), dtype=bool)
        if null.any():
            arr = np.where(null, 0, arr)
        values = arr.astype(_FIXED[kind])
    if col.null is not None:
        null = null | np.asarray(col.null[start:stop], dtype=bool)
    return _Encoded(values, null, kind == "text")


def _layout_codes(encoded: list[_Encoded], n: int) -> np.ndarray:
    """A small integer per row; rows with equal codes have the same byte layout (text
    lengths and NULL cells)."""
    key = np.zeros(n, dtype=np.int64)
    for col in encoded:
        if col.variable:
            part = np.where(col.null, -1, np.strings.str_len(col.values)) + 1
            key = key * (col.values.dtype.itemsize + 2) + part
        elif col.null.any():
            key = key * 2 + col.null
        else:
            continue
        key = pd.factorize(key)[0].astype(np.int64)
    return key


def _rows_bytes(encoded: list[_Encoded], idx: np.ndarray) -> bytes:
    """Binary COPY tuples for rows `idx`, which all share one layout."""
    first = idx[0]
    fields: list[tuple[str, str]] = [("n", ">i2")]
    lengths = []
    for i, col in enumerate(encoded):
        fields.append((f"l{i}", ">i4"))
        if col.null[first]:
            lengths.append(-1)
            continue
        if col.variable:
            width = int(np.strings.str_len(col.values[first:first + 1])[0])
            dtype = f"S{width}"
        else:
            width, dtype = col.values.dtype.itemsize, col.values.dtype.str
        lengths.append(width)
        if width:
            fields.append((f"v{i}", dtype))
    buf = np.empty(len(idx), dtype=np.dtype(fields))
    buf["n"] = len(encoded)
    for i, col in enumerate(encoded):
        buf[f"l{i}"] = lengths[i]
        if lengths[i] > 0:
            buf[f"v{i}"] = col.values[idx]
    return buf.tobytes()


def copy_binary(conn: Connection, table: str, columns: Sequence[Col],
                progress: Progress | None = None, phase: str = "") -> int:
    """COPY rows into `table` in PostgreSQL's binary format, encoded by numpy.

    Rows are encoded ENCODE_ROWS at a time (bounded memory) and grouped by byte layout
    (text lengths, NULL cells), so each group is one numpy record array; within a
    block, rows arrive grouped, in their order within a group. Table and column names
    are the caller's constants."""
    n = _length(columns[0].values) if columns else 0
    if not n:
        return 0
    names = ", ".join(c.name for c in columns)
    cursor = conn.connection.driver_connection.cursor()
    cache: dict = {}
    if progress:
        progress(phase, 0, n)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT binary)") as copy:
        copy.write(b"PGCOPY\n\xff\r\n\x00" + bytes(8))
        for start in range(0, n, ENCODE_ROWS):
            stop = min(n, start + ENCODE_ROWS)
            encoded = [_encode(c, start, stop, cache) for c in columns]
            codes = _layout_codes(encoded, stop - start)
            if codes.max() > 0:
                order = np.argsort(codes, kind="stable")
                groups = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)
            else:
                groups = [np.arange(stop - start)]
            for group in groups:
                for at in range(0, len(group), COPY_CHUNK_ROWS):
                    copy.write(_rows_bytes(encoded, group[at:at + COPY_CHUNK_ROWS]))
            del encoded
            if progress:
                progress(phase, stop, n)
        copy.write(b"\xff\xff")
    return n


# ── bulk mode ────────────────────────────────────────────────────────────────
@contextmanager
def bulk_mode(conn: Connection, tables: Sequence[str], enabled: bool = True) -> Iterator[None]:
    """Drop the foreign keys and plain secondary indexes of `tables`, and re-create them
    from their stored definitions afterwards, in the caller's transaction (an error
    rolls everything back). Keys are validated once by a join instead of once per row.
    Takes ACCESS EXCLUSIVE locks: readers wait until the load commits."""
    if not enabled:
        yield
        return
    fks = conn.execute(text("""
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint
        WHERE contype = 'f' AND conrelid = ANY (CAST(:t AS regclass[]))
        ORDER BY conrelid::regclass::text, conname
    """), {"t": list(tables)}).all()
    indexes = conn.execute(text("""
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY (CAST(:t AS regclass[]))
          AND NOT i.indisunique AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
    """), {"t": list(tables)}).all()
    forced = conn.execute(text("""
        SELECT oid::regclass::text FROM pg_class
        WHERE oid = ANY (CAST(:t AS regclass[])) AND relforcerowsecurity
    """), {"t": list(tables)}).scalars().all()
    # Names come from the catalogue (pg_constraint/pg_index), quoted by PostgreSQL itself.
    for table, name, _ in fks:
        conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        conn.execute(text(f"DROP INDEX {name}"))
    # COPY FROM refuses tables whose row-level security applies to the loading role; the
    # owner's policy lets it see every row anyway, so lift FORCE for this transaction.
    for table in forced:
        conn.execute(text(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY"))
    yield
    for table in forced:
        conn.execute(text(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY"))
    for _, definition in indexes:
        conn.execute(text(definition))
    for table, name, definition in fks:
        conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))


def _table_rows(conn: Connection, table: str) -> int:
    """Planner's estimate of a table's rows (cheap; exact enough to pick bulk mode)."""
    est = conn.execute(text("SELECT reltuples::bigint FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                       {"t": table}).scalar_one()
    return max(int(est), 0)


def copy_csv(conn: Connection, table: str, frame: pd.DataFrame,
             progress: Progress | None = None, phase: str = "") -> int:
    """COPY a frame (columns named as the table's) as CSV; for the few columns binary
    COPY does not encode here (arrays). Empty cells are NULL."""
    cursor = conn.connection.driver_connection.cursor()
    names = ", ".join(frame.columns)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy:
        for start in range(0, len(frame), COPY_CHUNK_ROWS):
            chunk = frame.iloc[start:start + COPY_CHUNK_ROWS]
            copy.write(chunk.to_csv(header=False, index=False, date_format="%Y-%m-%d")
                       .encode("utf-8"))
            if progress:
                progress(phase, min(start + COPY_CHUNK_ROWS, len(frame)), len(frame))
    return len(frame)


def pg_array(values: Sequence[Sequence[str]]) -> list[str]:
    """Text-array literals ('{a,b}') for words without commas, quotes or braces."""
    return ["{" + ",".join(v) + "}" for v in values]


# ── the demo's tables ────────────────────────────────────────────────────────
