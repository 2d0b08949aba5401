"""The reject report every importer writes: one row per bad input row."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path


def write_reject_report(rejects: Iterable, path: str | Path, id_field: str) -> Path:
    """CSV (UTF-8 with BOM, so Excel shows the Thai): line, <id_field>, column, reason."""
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["line", id_field, "column", "reason"])
        for r in rejects:
            writer.writerow([r.line, getattr(r, id_field), r.column, r.reason])
    return path


def default_report_path(source: Path) -> Path:
    return source.with_name(f"{source.stem}.rejects.csv")
