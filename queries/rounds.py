"""Survey rounds (named by Buddhist-era year)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class SurveyRound:
    round_id: int
    year_be: int
    label_th: str
    label_en: str
    source_th: str
    source_en: str


def list_rounds(conn: Connection) -> list[SurveyRound]:
    rows = conn.execute(text(
        "SELECT round_id, year_be, label_th, label_en, source_th, source_en "
        "FROM survey_round ORDER BY year_be"
    ))
    return [SurveyRound(*r) for r in rows]


def resolve_round(rounds: list[SurveyRound], year_be: int | str | None) -> SurveyRound | None:
    """The round of the given year, or the latest one when none is asked for.

    Raises ValueError for a year that is not a stored round (bad URL parameter)."""
    if not rounds:
        return None
    if year_be in (None, ""):
        return rounds[-1]
    try:
        year = int(year_be)
    except (TypeError, ValueError):
        raise ValueError(f"survey round {year_be!r} is not a year") from None
    for r in rounds:
        if r.year_be == year:
            return r
    raise ValueError(f"no survey round for B.E. {year}")


def previous_round(rounds: list[SurveyRound], current: SurveyRound) -> SurveyRound | None:
    earlier = [r for r in rounds if r.year_be < current.year_be]
    return earlier[-1] if earlier else None
