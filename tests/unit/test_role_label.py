"""The shell's role label reads the catalogues (role.*): every signed-in role has a Thai
and an English name, followed by the user's areas; a role without one shows its code."""

from __future__ import annotations

from types import SimpleNamespace

from chipao.domain.scope import Role
from chipao.web.auth import SIGNED_IN_ROLES
from components.shell import role_label


def _user(role: Role, th: tuple[str, ...] = (), en: tuple[str, ...] = ()) -> SimpleNamespace:
    return SimpleNamespace(role=role, names_th=th, names_en=en)


def test_every_signed_in_role_is_named_in_both_languages():
    for role in SIGNED_IN_ROLES:
        th, en = role_label(_user(role), "th"), role_label(_user(role), "en")
        assert th != str(role) and en != str(role) and th != en, role


def test_the_label_is_the_role_then_the_areas():
    user = _user(Role.DISTRICT, ("เมืองเชียงใหม่",), ("Mueang Chiang Mai",))
    assert role_label(user, "th") == "ศจพ.อำเภอ เมืองเชียงใหม่"
    assert role_label(user, "en") == "District committee Mueang Chiang Mai"
    assert role_label(_user(Role.SYSTEM), "en") == "system"
