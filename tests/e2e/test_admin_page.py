"""/admin in the browser: the audit log's times and the date filter in the user's
calendar — Buddhist era and Bangkok time in Thai mode (2 ธ.ค. 2569 07:41 น.), Gregorian
in English — and a date typed in the other calendar is refused with a message."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from components.formatting import bangkok, fmt_date, fmt_datetime
from pages import admin_ids as ids
from tests.auth_helpers import create_user, login

pytestmark = pytest.mark.browser

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _last_signin(username: str) -> datetime:
    from queries.db import owner

    with owner() as conn:
        return conn.execute(text("SELECT max(at) FROM audit_log WHERE username = :u "
                                 "AND action = 'signin'"), {"u": username}).scalar_one()


def _filter_by_user(page, username: str) -> None:
    page.fill(f"#{ids.USER}", username)
    page.press(f"#{ids.USER}", "Enter")
    page.wait_for_function(
        """([table, name]) => { const rows = document.querySelectorAll(`#${table} tbody tr`);
           return rows.length > 0 && [...rows].every(r => r.cells[1].textContent === name); }""",
        arg=[ids.LOG_TABLE, username], timeout=20_000)


def _type_dates(page, start: str, end: str) -> None:
    page.fill(f"#{ids.DATE_FROM}", start)
    page.fill(f"#{ids.DATE_TO}", end)
    page.press(f"#{ids.DATE_TO}", "Enter")


def _first_time(page) -> str:
    """The newest row's time, once the log is shown (dcc.Loading hides it while it
    redraws)."""
    cell = page.locator(f"#{ids.LOG_TABLE} tbody tr td").first
    cell.wait_for(state="visible")
    return cell.inner_text().strip()


def test_thai_mode_shows_buddhist_era_dates_and_bangkok_times(page, live_server):
    username, password = create_user("admin")
    login(page, live_server, username, password)
    page.goto(f"{live_server}/admin")
    _filter_by_user(page, username)
    signed_in = _last_signin(username)
    assert _first_time(page) == fmt_datetime(signed_in, "th")
    assert re.fullmatch(r"\d{1,2} \S+ 25\d\d \d\d:\d\d น\.", _first_time(page))
    # the accounts table's last sign-in too
    accounts = page.inner_text(f"#{ids.USERS_TABLE}")
    assert fmt_datetime(signed_in, "th") in accounts
    # the date fields take and show B.E. dates
    assert page.get_attribute(f"#{ids.DATE_FROM}", "placeholder") == "วว/ดด/ปปปป"
    today = bangkok(datetime.now(UTC)).date()
    typed = f"{today.day}/{today.month}/{today.year + 543}"
    _type_dates(page, typed, typed)
    period = f"ช่วงวันที่ {fmt_date(today, 'th')} – {fmt_date(today, 'th')}"
    page.wait_for_function("([id, text]) => document.getElementById(id).textContent.includes(text)",
                           arg=[ids.COUNT, period], timeout=20_000)
    assert f"{today.year + 543}" in period and _first_time(page) == fmt_datetime(signed_in, "th")
    main = page.inner_text("#_pages_content")
    assert not ISO_DATE.search(main), ISO_DATE.search(main)
    # a Gregorian year in Thai mode is no B.E. date: refused, said so
    # leaving the first field sends it (debounced) before Enter sends the second: two
    # answers in turn, and dcc.Loading hides the first while the second is drawn; wait
    # for the message a person reads once both are in
    _type_dates(page, f"{today.day}/{today.month}/{today.year}", "")
    expect(page.locator(f"#{ids.BAD_DATE}")).to_contain_text("พ.ศ.", timeout=20_000)


def test_english_mode_shows_gregorian_dates(page, live_server):
    username, password = create_user("admin")
    login(page, live_server, username, password)
    page.context.add_cookies([{"name": "chipao_lang", "value": "en", "url": live_server}])
    page.goto(f"{live_server}/admin")
    _filter_by_user(page, username)
    signed_in = _last_signin(username)
    assert _first_time(page) == fmt_datetime(signed_in, "en")
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} 20\d\d, \d\d:\d\d", _first_time(page))
    today = bangkok(datetime.now(UTC)).date()
    _type_dates(page, f"{today.day}/{today.month}/{today.year}", "")
    page.wait_for_function("([id, text]) => document.getElementById(id).textContent.includes(text)",
                           arg=[ids.COUNT, f"From {fmt_date(today, 'en')}"], timeout=20_000)
    assert _first_time(page) == fmt_datetime(signed_in, "en")
