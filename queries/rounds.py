"""Survey rounds (named by Buddhist-era year), and the one rule for which round a page
shows:

* the round in the URL (``?round=2566``, which the header's round selector writes), else
* the latest survey round — on every page;
* a page whose figures do not exist for that round (plans are made after a survey,
  so the latest round may have none yet) shows the latest earlier round that has them
  and says so on the page (``RoundChoice.fell_back``). It does not change the URL or the
  header's selector: the other pages stay on the round the user is on.
"""

from __future__ import annotations

from collections.abc import Collection
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


@dataclass(frozen=True)
class RoundChoice:
    asked: SurveyRound  # the URL's round, else the latest
    shown: SurveyRound  # the round the page shows

    @property
    def fell_back(self) -> bool:
        return self.shown.round_id != self.asked.round_id


def choose_round(rounds: list[SurveyRound], year_be: int | str | None,
                 has_data: Collection[int] | None = None) -> RoundChoice | None:
    """The round a page shows (module docstring). `has_data`: the B.E. years this page
    has figures for (None: every round). Raises ValueError for a year that is not a
    stored round."""
    asked = resolve_round(rounds, year_be)
    if asked is None:
        return None
    if has_data is None or asked.year_be in has_data:
        return RoundChoice(asked, asked)
    earlier = [r for r in rounds if r.year_be < asked.year_be and r.year_be in has_data]
    return RoundChoice(asked, earlier[-1] if earlier else asked)


def previous_round(rounds: list[SurveyRound], current: SurveyRound) -> SurveyRound | None:
    earlier = [r for r in rounds if r.year_be < current.year_be]
    return earlier[-1] if earlier else None
