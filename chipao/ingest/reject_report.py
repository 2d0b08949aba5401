"""The reject report every importer writes: one row per bad input row."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from chipao.domain.exports import write_csv_file


def write_reject_report(rejects: Iterable, path: str | Path, id_field: str) -> Path:
    """CSV (UTF-8 with BOM, so Excel shows the Thai): line, <id_field>, column, reason."""
    return write_csv_file(path, ["line", id_field, "column", "reason"],
                          ([r.line, getattr(r, id_field), r.column, r.reason] for r in rejects))


def default_report_path(source: Path) -> Path:
    return source.with_name(f"{source.stem}.rejects.csv")
