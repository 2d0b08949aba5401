"""The indicator catalogue as the pages use it: dimensions, indicators and weights
(read from the store by queries.catalogue.load_catalogue)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dimension:
    code: str
    sort: int
    name_th: str
    name_en: str
    weight: float


@dataclass(frozen=True)
class Indicator:
    code: str
    dimension: str
    bit: int
    text_th: str
    text_en: str
    weight: float


@dataclass(frozen=True)
class Catalogue:
    dimensions: tuple[Dimension, ...]
    indicators: tuple[Indicator, ...]

    def dimension(self, code: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.code == code), None)

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)

    def indicators_of(self, subject: str) -> tuple[Indicator, ...]:
        """The indicators a subject covers ('overall': all of them)."""
        kind, _, code = subject.partition(":")
        if kind == "dim":
            return tuple(i for i in self.indicators if i.dimension == code)
        if kind == "ind":
            return tuple(i for i in self.indicators if i.code == code)
        return self.indicators

    def dims_of(self, mask: int) -> list[Dimension]:
        """The dimensions set in a household's `dims_failed` bit set."""
        return [d for d in self.dimensions if mask & (1 << d.sort)]
