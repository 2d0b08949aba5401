"""The one home of number, date and time formatting (components/i18n.py) and the one
rule for a page's survey round (queries/rounds.py): pure functions, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from components.i18n import (
    fmt_date,
    fmt_datetime,
    fmt_month,
    fmt_num,
    grid_number,
    service_label,
)
from queries.rounds import SurveyRound, choose_round


def test_dates_are_buddhist_era_in_thai_and_gregorian_in_english():
    d = date(2026, 12, 2)
    assert fmt_date(d, "th") == "2 ธ.ค. 2569"
    assert fmt_date(d, "en") == "2 Dec 2026"
    assert fmt_month(date(2027, 1, 31), "th") == "ม.ค. 2570"
    assert fmt_month(date(2027, 1, 31), "en") == "Jan 2027"
    assert fmt_date(None, "th") == fmt_month(None, "en") == "–"


def test_times_are_bangkok_times():
    utc = datetime(2026, 12, 1, 19, 3, tzinfo=UTC)  # 02:03 on the 2nd in Bangkok
    assert fmt_datetime(utc, "th") == "2 ธ.ค. 2569 02:03 น."
    assert fmt_datetime(utc, "en") == "2 Dec 2026, 02:03"
    assert fmt_date(utc, "th") == "2 ธ.ค. 2569"  # the Bangkok day, not the UTC one
    # a naive time from a query is Bangkok wall time already
    assert fmt_datetime(datetime(2026, 12, 2, 9, 30), "en") == "2 Dec 2026, 09:30"


def test_numbers_have_separators_and_one_number_of_decimals():
    assert fmt_num(5800) == "5,800"
    assert fmt_num(25, 1) == "25.0" and fmt_num(33.333, 1) == "33.3"
    assert fmt_num(None, 1) == "–"
    formatter = grid_number(1)["valueFormatter"]["function"]
    assert "d3.format(',.1f')" in formatter and grid_number()["type"] == "numericColumn"


def test_service_labels_in_both_languages():
    assert service_label("child_care", "th") == "ดูแลเด็ก"
    assert service_label("child_care", "en") == "Child care"
    assert service_label("mobile_clinic", "th") == "mobile clinic"  # unknown: its code


ROUNDS = [SurveyRound(i, y, f"รอบ {y}", f"Round {y}", "", "") for i, y in
          ((1, 2565), (2, 2566), (3, 2567))]


def test_default_round_rule():
    # every page: the latest round unless the URL names one
    assert choose_round(ROUNDS, None).shown.year_be == 2567
    assert choose_round(ROUNDS, "2566").shown.year_be == 2566
    assert not choose_round(ROUNDS, None).fell_back
    # a page without figures for the latest round falls back, and knows it did
    plans = choose_round(ROUNDS, None, has_data={2565, 2566})
    assert (plans.asked.year_be, plans.shown.year_be, plans.fell_back) == (2567, 2566, True)
    assert choose_round(ROUNDS, 2566, has_data={2565}).shown.year_be == 2565
    # nothing earlier with data: the round asked for (the page says it is empty)
    assert choose_round(ROUNDS, 2565, has_data={2567}).shown.year_be == 2565
    assert choose_round([], None) is None
    with pytest.raises(ValueError):
        choose_round(ROUNDS, "2400")


def test_home_area_is_the_users_own():
    from chipao.domain.scope import Role, Scope

    assert Scope("p", Role.PROVINCE, ("TH50",)).home_area == "TH50"
    assert Scope("d", Role.DISTRICT, ("TH5001",)).home_area == "TH5001"
    assert Scope("t", Role.TAMBON, ("TH500101", "TH500102")).home_area == "TH5001"
    assert Scope("t", Role.TAMBON, ("TH500101",)).home_area == "TH500101"
    assert Scope("x", Role.PROVINCE, ("TH50", "TH10")).home_area is None
    assert Scope("e", Role.EXECUTIVE).home_area is None
