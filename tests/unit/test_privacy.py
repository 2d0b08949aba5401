"""Masking of personal identifiers and the scope-keyed result cache."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chipao import settings
from chipao.domain.privacy import mask_name, mask_national_id
from chipao.domain.scope import PUBLIC, Role, Scope

PROVINCE = Scope("a", Role.PROVINCE, ("TH50",))
OTHER_PROVINCE = Scope("b", Role.PROVINCE, ("TH10",))
EXECUTIVE = Scope("c", Role.EXECUTIVE)


def test_national_id_shows_only_its_last_four_digits():
    assert mask_national_id("1234567890123") == "•••••••••0123"
    assert mask_national_id("1-2345-67890-12-3") == "•••••••••0123"
    assert mask_national_id(None) == "" and mask_national_id("") == ""
    assert "567" not in mask_national_id("1234567890123")


def test_names_show_in_full_only_to_record_roles():
    assert mask_name("สมศรี", "ใจดี", PROVINCE) == "สมศรี ใจดี"
    assert mask_name("สมศรี", "ใจดี", Scope("t", Role.TAMBON, ("TH500101",))) == "สมศรี ใจดี"
    for scope in (EXECUTIVE, PUBLIC, Scope("x", Role.ADMIN)):
        assert mask_name("สมศรี", "ใจดี", scope) == "ส… ใ…"
    assert mask_name("", None, EXECUTIVE) == ""


@pytest.fixture
def cache_dir(tmp_path):
    saved = settings.current()  # settings passed in, not the environment's
    settings.install(replace(saved, services=replace(saved.services, cache_dir=tmp_path)))
    yield tmp_path
    settings.install(saved)


def test_two_scopes_never_share_a_cached_result(cache_dir):
    from chipao.web.cache import cache_key, cached, clear

    calls: list[str] = []

    def compute(who: str):
        def fn():
            calls.append(who)
            return {"rows": [who]}
        return fn

    key = ("households", "TH50", 2566)
    assert cached(PROVINCE, key, compute("TH50")) == {"rows": ["TH50"]}
    assert cached(OTHER_PROVINCE, key, compute("TH10")) == {"rows": ["TH10"]}
    assert cached(PUBLIC, key, compute("public")) == {"rows": ["public"]}
    assert cached(EXECUTIVE, key, compute("executive")) == {"rows": ["executive"]}
    assert calls == ["TH50", "TH10", "public", "executive"]  # no scope reused another's
    assert cached(PROVINCE, key, compute("again")) == {"rows": ["TH50"]}  # a real hit
    assert cached(Scope("other-user", Role.PROVINCE, ("TH50",)), key, compute("same")) == \
        {"rows": ["TH50"]}  # same role and areas: the same figures may be shared
    assert calls == ["TH50", "TH10", "public", "executive"]
    assert len({cache_key(s, key) for s in (PROVINCE, OTHER_PROVINCE, PUBLIC, EXECUTIVE)}) == 4
    assert cached(PROVINCE, ("none",), lambda: None) is None
    assert cached(PROVINCE, ("none",), lambda: 1) is None  # a cached None is a hit
    clear()
    assert cached(PROVINCE, key, compute("after-clear")) == {"rows": ["after-clear"]}
    with pytest.raises(TypeError):
        cached("TH50", key, compute("x"))  # type: ignore[arg-type]
