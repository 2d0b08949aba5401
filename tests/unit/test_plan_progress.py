"""Plan-progress projection rules (no database)."""

from __future__ import annotations

from datetime import date


def test_projection_far_beyond_the_calendar_is_too_far_not_an_error():

    from chipao.domain.plan_progress import project

    p = project(target=4_104_450, reached=10, pace=0.001, as_of=date(2026, 11, 25))
    assert p.eta is None and p.too_far
    near = project(target=100, reached=40, pace=20, as_of=date(2026, 11, 25))
    assert near.eta == date(2027, 2, 24) and not near.too_far


