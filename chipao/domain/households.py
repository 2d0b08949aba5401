"""Household survey data as the importers hand it to the loaders: the indicator
catalogue a file is checked against, the parsed file and its rejected rows."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


# ── the catalogue the file is checked against ────────────────────────────────
@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    bit: int
    weight: float
    dimension: str
    dimension_sort: int
    applies_to: str | None = None


@dataclass(frozen=True)
class Catalogue:
    """What a file is validated against: the stored indicator catalogue and the
    tambon P-codes of the stored boundaries (built by queries.households_load)."""

    indicators: tuple[IndicatorSpec, ...]
    tambons: frozenset[str]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.indicators)


# ── results ──────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class Reject:
    line: int  # line of the file (header = 1); 0 for a demo frame row without a file
    house_id: str
    column: str
    reason: str


class HouseholdFileError(ValueError):
    """The whole file is refused (unreadable encoding, missing column, no header…)."""


@dataclass
class ParsedFile:
    """Good rows in the load layout (one per household-round) plus what was refused."""

    rows: pd.DataFrame
    rejects: list[Reject]
    encoding: str
    warnings: list[str] = field(default_factory=list)
    rows_read: int = 0  # data rows in the file (blank lines not counted)
    has_programme_target: bool = False
    source: str = ""

    @property
    def rejected_rows(self) -> int:
        return len({r.line for r in self.rejects})


# Columns of ParsedFile.rows, in order; queries.households_load stages exactly these.
LOAD_COLUMNS = (
    "line", "house_id", "tambon_pcode", "village_no", "survey_year", "household_size",
    "welfare_card", "lat", "lon", "programme_target", "house_key",
    "failed", "not_applicable", "dims_failed", "n_dims_failed", "score",
)
