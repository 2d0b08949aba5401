"""Password hashing (argon2id) and generated passwords. No SQL here."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

# argon2-cffi's defaults (RFC 9106 "low memory" profile: t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()
MIN_LENGTH = 12
# Verified against when the username is unknown, so a miss costs as much as a hit
# (no timing oracle for which accounts exist).
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str, username: str | None = None,
                  user_inputs: tuple[str, ...] = ()) -> str:
    check_strength(password, username, user_inputs)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; always spends one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def generate_password(username: str | None = None) -> str:
    """A random password of about 96 bits, easy to copy (URL-safe characters), drawn
    again in the (rare) case it breaks the rule (e.g. contains the username)."""
    while True:
        password = secrets.token_urlsafe(12)
        try:
            check_strength(password, username)
        except WeakPassword:
            continue
        return password


MIN_SCORE = 3  # zxcvbn's 0–4 scale: 3 = "safely unguessable" (~10^8 guesses and more)
PASSWORD_RULE = (f"Passwords: at least {MIN_LENGTH} characters, a zxcvbn strength score of "
                 f"at least {MIN_SCORE} of 4, not containing the username, not a common "
                 "password. A generated password always qualifies.")
PASSWORD_RULE_TH = (f"รหัสผ่าน: อย่างน้อย {MIN_LENGTH} ตัวอักษร ความแข็งแรง (zxcvbn) อย่างน้อย "
                    f"{MIN_SCORE} จาก 4 ไม่มีชื่อผู้ใช้อยู่ในรหัสผ่าน และไม่ใช่รหัสผ่านที่ใช้กันทั่วไป")
_ZXCVBN_CHARS = 100  # zxcvbn's cost grows with length; past this a password is long anyway


class WeakPassword(ValueError):
    """A password that breaks PASSWORD_RULE; the message says which part."""


def check_strength(password: str, username: str | None = None,
                   user_inputs: tuple[str, ...] = ()) -> None:
    """Raise WeakPassword unless the password follows PASSWORD_RULE (zxcvbn, Dropbox's
    strength estimator: dictionaries of common passwords, names and words, keyboard
    patterns, repeats, sequences, dates, l33t — with the username as a known input)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"password too short: at least {MIN_LENGTH} characters")
    if len(password) > 1024:
        raise WeakPassword("password too long")
    lowered = password.lower()
    if username and len(username) >= 3 and username.lower() in lowered:
        raise WeakPassword("the password contains the username")
    if lowered in _COMMON:
        raise WeakPassword("this is a common password")
    inputs = [i for i in (username, *user_inputs) if i]
    result = zxcvbn(password[:_ZXCVBN_CHARS], user_inputs=inputs)
    if result["score"] < MIN_SCORE:
        hint = result["feedback"].get("warning") or " ".join(result["feedback"].get("suggestions", []))
        raise WeakPassword(f"password too easy to guess (strength {result['score']} of 4, "
                           f"at least {MIN_SCORE} needed){': ' + hint if hint else ''}")


_COMMON = frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])  # 30,000
