"""Pace and projection towards the programme target (pure Python, no SQL).

The pace is the mean number of programme-target households reached for the first
time per calendar month over the last `months` complete months before the as-of
date (the month of the as-of date is incomplete, hence left out). At that pace the
households still to reach (target − reached so far) take remaining / pace months;
the projected date is the as-of date plus that many average months (30.44 days).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

DAYS_PER_MONTH = 365.25 / 12
DEFAULT_PACE_MONTHS = 6


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def pace_per_month(monthly: Sequence[dict], key: str, as_of: date,
                   months: int = DEFAULT_PACE_MONTHS) -> float:
    """Mean of `key` over the `months` complete months before as_of's month."""
    end = month_start(as_of)
    start = add_months(end, -months)
    total = sum((r[key] or 0) for r in monthly if start <= r["month"] < end)
    return total / months if months > 0 else 0.0


MAX_PROJECTION_YEARS = 100


@dataclass(frozen=True)
class Projection:
    target: int | None
    reached: int
    remaining: int | None
    pace: float  # households a month
    months: int  # over how many complete months the pace was measured
    eta: date | None  # when the target is reached at this pace (None: no target, no pace,
    #                   or more than MAX_PROJECTION_YEARS away)
    reached_already: bool

    @property
    def too_far(self) -> bool:
        return self.eta is None and self.pace > 0 and bool(self.remaining)

    @property
    def share(self) -> float | None:
        return self.reached / self.target if self.target else None


def project(target: int | None, reached: int, pace: float, as_of: date,
            months: int = DEFAULT_PACE_MONTHS) -> Projection:
    if not target:
        return Projection(target, reached, None, pace, months, None, False)
    remaining = max(0, target - reached)
    if remaining == 0:
        return Projection(target, reached, 0, pace, months, as_of, True)
    if pace <= 0:
        return Projection(target, reached, remaining, pace, months, None, False)
    days = remaining / pace * DAYS_PER_MONTH
    if days > MAX_PROJECTION_YEARS * 365.25:  # "never" for planning purposes (and beyond date range)
        return Projection(target, reached, remaining, pace, months, None, False)
    eta = as_of + timedelta(days=round(days))
    return Projection(target, reached, remaining, pace, months, eta, False)


def cumulative(monthly: Sequence[dict], key: str) -> list[tuple[date, int]]:
    """(month, households reached up to the end of that month), in month order."""
    total = 0
    out = []
    for r in sorted(monthly, key=lambda r: r["month"]):
        total += r[key] or 0
        out.append((r["month"], total))
    return out

