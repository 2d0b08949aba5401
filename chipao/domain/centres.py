"""Social-help centres as the centre importer hands them to the loader."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


class CentreFileError(ValueError):
    """The whole file is refused (encoding, header, missing column)."""


@dataclass(frozen=True)
class CentreRow:
    line: int
    code: str
    name_th: str
    name_en: str | None
    tambon_pcode: str
    lat: float
    lon: float
    opened_on: dt.date | None
    status: str
    services: tuple[str, ...]


@dataclass(frozen=True)
class CentreReject:
    line: int  # line of the file (header = 1)
    code: str
    column: str
    reason: str


@dataclass
class ParsedCentres:
    rows: list[CentreRow]
    rejects: list[CentreReject]
    encoding: str = ""
    warnings: list[str] = field(default_factory=list)
    rows_read: int = 0
    source: str = ""

    @property
    def rejected_rows(self) -> int:
        return len({r.line for r in self.rejects})
