"""Boundary sets as the boundary reader hands them to the area loader: the levels,
the problems found, and the accepted features per level (geodata.boundaries reads and
checks them; queries.areas.replace_boundaries writes them)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import shapely
from rich.console import Console
from rich.table import Table

from chipao.domain.pcodes import LEVEL_NAMES, LEVELS

if TYPE_CHECKING:
    import geopandas as gpd

COPY_COLUMNS = ("pcode", "level", "parent_pcode", "name_th", "name_en",
                "geom", "geom_display", "label_point")
BLOCKING = frozenset({"error", "rejected"})



def hex_ewkb(values) -> np.ndarray:
    geoms = shapely.set_srid(np.asarray(values, dtype=object), 4326)
    return shapely.to_wkb(geoms, hex=True, include_srid=True)


@dataclass(frozen=True)
class Problem:
    action: str  # 'error' (level unusable), 'rejected', 'repaired', 'warning', 'note'
    reason: str
    level: int | None = None
    pcode: str | None = None
    where: str = ""  # file or layer


@dataclass
class BoundaryReport:
    source: str
    problems: list[Problem] = field(default_factory=list)
    features: dict[int, int] = field(default_factory=dict)  # read, per level
    accepted: dict[int, int] = field(default_factory=dict)
    loaded: dict[str, int] | None = None  # counts from replace_boundaries

    def add(self, action: str, reason: str, level: int | None = None,
            pcode: str | None = None, where: str = "") -> None:
        self.problems.append(Problem(action, reason, level, pcode, where))

    @property
    def blocking(self) -> list[Problem]:
        return [p for p in self.problems if p.action in BLOCKING]

    @property
    def ok(self) -> bool:
        return not self.blocking

    def count(self, action: str) -> int:
        return sum(p.action == action for p in self.problems)

    def summary(self) -> str:
        levels = ", ".join(f"{self.accepted.get(n, 0):,}/{self.features.get(n, 0):,} "
                           f"{LEVEL_NAMES[n]}s" for n in LEVELS)
        counts = ", ".join(f"{self.count(a)} {a}" for a in
                           ("error", "rejected", "repaired", "warning") if self.count(a))
        state = "ok" if self.ok else "REFUSED"
        return f"{self.source}: {state}; accepted {levels}" + (f"; {counts}" if counts else "")

    def print(self, console=None, limit: int = 200) -> None:
        """Print the summary and the problems (blocking ones first) with rich."""
        console = console or Console()
        order = {"error": 0, "rejected": 1, "repaired": 2, "warning": 3, "note": 4}
        problems = sorted(self.problems, key=lambda p: order.get(p.action, 9))
        if problems:
            table = Table("action", "level", "P-code", "reason", "file / layer")
            for p in problems[:limit]:
                style = "red" if p.action in BLOCKING else "yellow" if p.action != "note" else ""
                table.add_row(p.action, LEVEL_NAMES.get(p.level or 0, ""), p.pcode or "",
                              p.reason, p.where, style=style)
            console.print(table)
            if len(problems) > limit:
                console.print(f"… and {len(problems) - limit} more problems")
        console.print(self.summary())


@dataclass
class BoundarySet:
    """Accepted features per level: columns pcode, parent_pcode, name_th, name_en,
    geometry (MultiPolygon, EPSG:4326) and, once simplified, geom_display and label_point."""

    source: str
    frames: dict[int, gpd.GeoDataFrame]
    report: BoundaryReport

    def counts(self) -> dict[int, int]:
        return {n: len(self.frames[n]) for n in LEVELS if n in self.frames}

    def copy_rows(self) -> Iterator[tuple]:
        """Rows in COPY_COLUMNS order, geometries as hex EWKB (SRID 4326), parents first."""
        for level in LEVELS:
            df = self.frames.get(level)
            if df is None or df.empty:
                continue
            if "geom_display" not in df:
                raise ValueError("display geometry missing: call add_display_geometry first")
            geom, display, label = (hex_ewkb(df[c]) for c in ("geometry", "geom_display",
                                                                "label_point"))
            parents = df["parent_pcode"].where(df["parent_pcode"] != "", None)
            yield from zip(df["pcode"], [level] * len(df), parents, df["name_th"],
                           df["name_en"], geom, display, label, strict=True)
