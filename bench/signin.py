"""Signing in over HTTP and the Dash requests a browser sends, shared by the tests
(Flask test client, `requests`), the benchmarks and the locust load test, so the
form's fields, the CSRF handshake and the router's request body live in one place.
Framework-free: each caller does its own GET and POST with the values built here."""

from __future__ import annotations

import re

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
CSRF_COOKIE = "_csrf_token"  # the session's CSRF token, echoed in X-CSRFToken / forms
CALLBACK_PATH = "/_dash-update-component"


def csrf_token(html: str) -> str:
    """The CSRF token of the sign-in form in `html`."""
    m = CSRF_FIELD.search(html)
    if not m:
        raise AssertionError("no CSRF token on the sign-in page")
    return m.group(1)


def login_form(html: str, username: str, password: str, next_path: str = "/") -> dict[str, str]:
    """The fields the sign-in form posts, given the GET /login page's `html`."""
    return {"username": username, "password": password, "csrf": csrf_token(html),
            "next": next_path}


def page_body(url: str) -> dict:
    """The request the Dash pages router sends to render a page's layout
    (`url` may carry a query string: it goes to the location's `search`)."""
    pathname, _, query = url.partition("?")
    return {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"},
                    {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                   {"id": "_pages_location", "property": "search",
                    "value": f"?{query}" if query else ""}],
        "state": [], "changedPropIds": ["_pages_location.pathname"],
    }


def browser_login(page, base: str, username: str, password: str, next_path: str = "/") -> None:
    """Sign in through the real form in a Playwright page; waits until the app page
    loads. Raises AssertionError when the sign-in is refused."""
    page.goto(f"{base}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#login-submit")
    if "/login" in page.url:
        raise AssertionError(f"sign-in of {username} failed in the browser")
    page.wait_for_selector("#_dash-app-content, #react-entry-point", timeout=20_000)
