"""Interface language: Thai first, English second.

The strings are gettext catalogues, one a language, read with Babel when the app
starts: ``locale/th/LC_MESSAGES/messages.po`` and ``locale/en/LC_MESSAGES/messages.po``.
A message id is the string's key (``"nav.map"``); its ``msgstr`` is the text. ``t(key)``
gives the text in the reader's language and fails loudly for a key a catalogue lacks
(docs/architecture.md, "where a newcomer adds a string"; ``make i18n``).

The language is a user preference kept in a cookie (``chipao_lang``), so every
page and callback renders in it without putting it into each URL. Number and date
formatting lives in components/formatting.py (re-exported here).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from chipao.web.lang import LANG_COOKIE, Lang, current_lang
from components.formatting import (
    GRID_HEADERS,
    TZ,
    display_year,
    fmt_date,
    fmt_datetime,
    fmt_int,
    fmt_month,
    fmt_num,
    fmt_pct,
    fmt_signed,
    fmt_suppressed,
    grid_number,
    month_names,
    round_label,
)

__all__ = ["LANG_COOKIE", "STRINGS", "Lang", "current_lang", "t", "pick", "fmt_int", "fmt_pct",
           "fmt_signed", "round_label", "fmt_date", "fmt_datetime", "fmt_month", "fmt_num",
           "fmt_suppressed", "grid_number", "GRID_HEADERS", "service_label", "display_year",
           "month_names", "TZ", "LANGS", "LOCALE_DIR", "MissingString", "catalogue",
           "catalogue_path"]

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "messages"
LANGS: tuple[Lang, ...] = ("th", "en")


class MissingString(KeyError):
    """A key that a language's catalogue does not have (or has no text for)."""

    def __init__(self, key: str, lang: str) -> None:
        super().__init__(key)
        self.key, self.lang = key, lang

    def __str__(self) -> str:
        return (f"interface string {self.key!r} has no {self.lang} text in "
                f"{catalogue_path(self.lang).relative_to(LOCALE_DIR.parent)}: add it to both "
                "catalogues (locale/th and locale/en), see docs/architecture.md")


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """key → text of one language's catalogue (fuzzy entries are not translations yet)."""
    with catalogue_path(lang).open("rb") as f:
        cat = read_po(f, locale=lang, domain=DOMAIN)
    return {m.id: m.string for m in cat if m.id and m.string and not m.fuzzy}


# key → (Thai, English), for code that asks whether a key exists (`key in STRINGS`)
STRINGS: dict[str, tuple[str, str]] = {
    key: (catalogue("th").get(key, ""), catalogue("en").get(key, ""))
    for key in catalogue("th").keys() | catalogue("en").keys()
}


def t(key: str, lang: Lang | None = None) -> str:
    """The interface string `key` in `lang` (default: the reader's language)."""
    lang = "en" if (lang or current_lang()) == "en" else "th"
    text = catalogue(lang).get(key)
    if text is None:
        raise MissingString(key, lang)
    return text


def pick(th: str, en: str, lang: Lang | None = None) -> str:
    """Choose between a Thai and an English text from the store."""
    return en if (lang or current_lang()) == "en" else (th or en)


def service_label(code: str, lang: Lang | None = None) -> str:
    """A centre service in the reader's language; a service the catalogue of strings
    does not know (a deployment's own) is shown as its code, spaced."""
    key = f"service.{code}"
    return t(key, lang) if key in STRINGS else code.replace("_", " ")
