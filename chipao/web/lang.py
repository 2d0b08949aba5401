"""The user's interface language: Thai by default, English when the switch's cookie
says so (read per request; the strings themselves are components.i18n)."""

from __future__ import annotations

from typing import Literal

import flask

Lang = Literal["th", "en"]
LANG_COOKIE = "chipao_lang"


def current_lang() -> Lang:
    """The user's language, from the cookie set by the switch (Thai by default)."""
    try:
        value = flask.request.cookies.get(LANG_COOKIE, "th")
    except RuntimeError:  # outside a request (tests, CLI)
        return "th"
    return "en" if value == "en" else "th"
