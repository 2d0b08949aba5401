"""Page set-up and sign-in shared by the browser tests (one place, not one per module).

- `signed_in_context(base, user, next_path, **options)`: a Playwright browser context
  signed in through the real form (1366×768, Thai unless `locale` says otherwise);
  its pages share the session. Use it in a `with` block.
- `watched(page, csp=False)`: record console errors in `page.errors` (and Content-
  Security-Policy violations in `window.__cspViolations` when `csp`).
- `map_store`: the map tests' own store (tests/factory.py), per module.
- `province_context`: a province officer of TH50 signed in on /map over `map_store`
  (downloads accepted); `username` names the account.
- `app_server`: the Flask server of the dashboard, after the module's `store`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests import factory
from tests.auth_helpers import create_user, login

VIEWPORT = {"width": 1366, "height": 768}  # the projector


def watched(page, csp: bool = False):
    """`page`, recording console errors and page errors in `page.errors`."""
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    if csp:
        page.add_init_script("""window.__cspViolations = [];
            document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
                e.violatedDirective + ' ' + e.blockedURI));""")
    return page


@pytest.fixture(scope="session")
def signed_in_context(browser):
    @contextmanager
    def open_context(base: str, user: tuple[str, str], next_path: str = "/", *,
                     locale: str = "th-TH", lang: str | None = None, **options) -> Iterator:
        context = browser.new_context(viewport=options.pop("viewport", VIEWPORT),
                                      locale=locale, **options)
        try:
            if lang:
                context.add_cookies([{"name": "chipao_lang", "value": lang, "url": base}])
            page = context.new_page()
            login(page, base, *user, next_path=next_path)
            page.close()
            context.username = user[0]
            yield context
        finally:
            context.close()

    return open_context


@pytest.fixture(scope="module")
def map_store(database) -> Iterator[str]:
    """The map tests' own store (tests/factory.py: MAP_LAYOUT, MAP_HOUSEHOLDS)."""
    with factory.map_store() as url:
        yield url


@pytest.fixture(scope="module")
def province_context(signed_in_context, live_server, map_store):
    with signed_in_context(live_server, create_user("province", ("TH50",)), "/map",
                           accept_downloads=True) as context:
        yield context


@pytest.fixture(scope="module")
def app_server(store):
    from app import app

    return app.server
