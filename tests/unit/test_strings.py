"""The interface-string catalogues (locale/{th,en}/LC_MESSAGES/messages.po) and the
code agree: every key the code uses has a Thai and an English text, and no catalogue
key is left unused (components/i18n_keys.py reads the code's syntax)."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from components import i18n
from components.i18n_keys import scan, scan_python


@pytest.fixture(scope="module")
def uses():
    return scan()


def _entries(lang: str):
    with i18n.catalogue_path(lang).open("rb") as f:
        return [m for m in read_po(f, locale=lang) if m.id]


def test_both_catalogues_have_the_same_keys_each_with_a_text():
    th, en = _entries("th"), _entries("en")
    assert {m.id for m in th} == {m.id for m in en}
    for m in th + en:
        assert m.string.strip(), f"{m.id!r} has no text"
        assert not m.fuzzy, f"{m.id!r} is marked fuzzy (not a reviewed translation)"
    # the same {placeholders} in both languages, or .format() fails in one of them
    en_text = {m.id: m.string for m in en}
    for m in th:
        assert set(re.findall(r"{(\w*)}", m.string)) == set(re.findall(r"{(\w*)}", en_text[m.id])), m.id


def test_every_key_used_exists_in_both_catalogues(uses):
    missing = {key: places for key, places in uses.keys.items()
               if key not in i18n.catalogue("th") or key not in i18n.catalogue("en")}
    assert not missing, f"keys used but not in locale/th and locale/en: {missing}"
    keys = i18n.catalogue("th").keys()
    dead = {p: places for p, places in uses.patterns.items()
            if not any(re.fullmatch(p, k) for k in keys)}
    assert not dead, f"t(f'...') patterns that match no key: {dead}"


def test_no_catalogue_key_is_unused(uses):
    unused = sorted(k for k in i18n.catalogue("th").keys() | i18n.catalogue("en").keys()
                    if not uses.used(k))
    assert not unused, f"catalogue keys no code uses (drop them or `make i18n`): {unused}"


def test_a_missing_key_fails_loudly_naming_the_catalogue():
    with pytest.raises(KeyError) as err:
        i18n.t("no.such.key", "en")
    assert "no.such.key" in str(err.value) and "locale/en/LC_MESSAGES/messages.po" in str(err.value)
    assert i18n.t("nav.map", "th") == "แผนที่ความยากจน" and i18n.t("nav.map", "en") == "Poverty map"


def test_the_scanner_sees_literal_keys_patterns_and_key_constants():
    found = set(scan_python(
        'LEVELS = {1: "map.level.1"}\n'
        't("a.b", lang)\n'
        'i18n.t(f"plans.status.{s}")\n'
        'key = f"service.{code}"\n'
        'label("ptype.", code)\n', "x.py"))
    kinds = {(k, v) for k, v, _ in found}
    assert ("keys", "a.b") in kinds and ("constant", "map.level.1") in kinds
    assert ("patterns", r"plans\.status\.[^ ]+") in kinds
    assert ("prefixes", r"service\.[^ ]+") in kinds and ("prefixes", r"ptype\.[^ ]+") in kinds
