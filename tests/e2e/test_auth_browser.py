"""The sign-in page and a signed-in overview in headless Chromium: the real form, the
real cookies, the Content-Security-Policy enforced by the browser (a blocked inline
script would show up as a console error)."""

from __future__ import annotations

import pytest

from tests.auth_helpers import login
from tests.factory import PERM_LAYOUT, ROLE_AREAS, permission_store

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def accounts(live_server):
    with permission_store() as accounts:
        yield accounts


def test_sign_in_in_the_browser_then_the_overview_without_console_errors(page, live_server,
                                                                         accounts):
    username, password = accounts["district"]
    page.goto(f"{live_server}/households")
    assert "/login" in page.url  # sent to the sign-in first
    assert page.locator("h1").inner_text().startswith("เข้าสู่ระบบ")
    page.fill("#username", username)
    page.fill("#password", "not-the-password")
    page.click("#login-submit")
    page.wait_for_selector("#login-error")
    assert "ไม่ถูกต้อง" in page.inner_text("#login-error")
    page.errors.clear()  # the refused sign-in answers 401, which Chromium logs

    login(page, live_server, username, password)
    page.wait_for_selector("#overview-kpi-surveyed", timeout=20_000)
    (district,) = ROLE_AREAS["district"]  # the overview opens at the user's own district
    assert "/?area=" + district in page.url
    own = sum(n for tambon, n, _ in PERM_LAYOUT if tambon.startswith(district))
    surveyed = page.inner_text("#overview-kpi-surveyed").split("\n")
    assert str(own) in surveyed, surveyed  # the district's households, exactly
    page.wait_for_selector("#shell-user")
    assert "ศจพ.อำเภอ" in page.inner_text("#shell-user")
    nav = page.inner_text(".shell-navbar")
    assert "ครัวเรือน" in nav and "ผู้ดูแลระบบ" not in nav
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["chipao_session"]["httpOnly"] and cookies["chipao_session"]["sameSite"] == "Lax"
    assert page.errors == []  # CSP violations would be console errors

    page.click("text=ออกจากระบบ")
    page.wait_for_url("**/login")
    page.goto(f"{live_server}/")
    assert "/login" in page.url


def test_public_viewer_sees_suppressed_counts_and_no_record_pages(page, live_server, accounts):
    username, password = accounts["public"]
    login(page, live_server, username, password)
    page.wait_for_selector("#overview-kpi-poor", timeout=20_000)
    assert "<5" in page.inner_text("#overview-kpi-poor")
    nav = page.inner_text(".shell-navbar")
    assert "ครัวเรือน" not in nav and "แผนพัฒนา" not in nav
    assert page.errors == []
    response = page.goto(f"{live_server}/households")
    assert response.status == 403 and "ไม่มีสิทธิ์" in page.inner_text("#refused")
