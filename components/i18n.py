"""Interface language: Thai first, English second.

The language is a user preference kept in a cookie (``chipao_lang``), so every
page and callback renders in it without putting it into each URL.
"""

from __future__ import annotations

from typing import Literal

import flask

Lang = Literal["th", "en"]
LANG_COOKIE = "chipao_lang"

STRINGS: dict[str, tuple[str, str]] = {
    "app.name": ("ชี้เป้า", "Chipao"),
    "app.tagline": (
        "ระบบติดตามการขจัดความยากจนและพัฒนาคนทุกช่วงวัย (ศจพ.)",
        "Poverty-eradication coordination dashboard (ศจพ.)",
    ),
    "nav.overview": ("ภาพรวม", "Overview"),
    "nav.map": ("แผนที่ความยากจน", "Poverty map"),
    "nav.households": ("ครัวเรือน", "Households"),
    "nav.plans": ("แผนพัฒนา", "Plans"),
    "nav.centres": ("ศูนย์ช่วยเหลือสังคม", "Help centres"),
    "nav.admin": ("ผู้ดูแลระบบ", "Admin"),
    "nav.signout": ("ออกจากระบบ", "Sign out"),
    "nav.signin": ("เข้าสู่ระบบ", "Sign in"),
    "shell.round": ("รอบการสำรวจ", "Survey round"),
    "shell.language": ("ภาษา", "Language"),
    "shell.country": ("ประเทศไทย", "Thailand"),
    "attribution": (
        "ขอบเขตการปกครอง: OCHA / กรมแผนที่ทหาร (Royal Thai Survey Department), CC BY-IGO 3.0",
        "Boundaries: OCHA / Royal Thai Survey Department, CC BY-IGO 3.0",
    ),
    "source": ("ที่มา", "Source"),
    "no_data": ("ยังไม่มีข้อมูลในคลัง — รัน `make demo` หรือนำเข้าไฟล์", "The store is empty — run `make demo` or import a file"),
    "overview.title": ("ภาพรวมระดับประเทศ", "National overview"),
    "overview.surveyed": ("ครัวเรือนที่สำรวจ", "Households surveyed"),
    "overview.poor": ("ครัวเรือนยากจนหลายมิติ", "Multidimensionally poor households"),
    "overview.poor_note": (
        "ยากจนตามเกณฑ์ TPMAP: ไม่ผ่านอย่างน้อย 1 ตัวชี้วัดในมิติใดมิติหนึ่ง",
        "Poor by the TPMAP rule: failing at least one indicator in any dimension",
    ),
    "overview.target_poor": ("คนจนเป้าหมาย (ถือบัตรสวัสดิการแห่งรัฐ)", "Target poor (with state welfare card)"),
    "overview.left_poverty": ("ครัวเรือนที่พ้นความยากจน", "Households that left poverty"),
    "overview.left_poverty_note": (
        "ยากจนในรอบก่อน และผ่านทุกตัวชี้วัดในรอบนี้",
        "Poor in the previous round, meeting every indicator in this one",
    ),
    "overview.change": ("เทียบกับรอบ", "vs round"),
    "overview.no_previous": ("ไม่มีรอบก่อนหน้า", "no previous round"),
    "overview.by_dimension": ("ครัวเรือนที่ขาดแคลนรายมิติ", "Deprived households by dimension"),
    "overview.top_provinces": ("10 จังหวัดที่มีครัวเรือนยากจนมากที่สุด", "Top 10 provinces by poor households"),
    "overview.households": ("ครัวเรือน", "households"),
    "overview.share": ("สัดส่วน", "Share"),
    "col.rank": ("อันดับ", "Rank"),
    "col.province": ("จังหวัด", "Province"),
    "col.poor": ("ครัวเรือนยากจน", "Poor households"),
    "col.share": ("ร้อยละ", "Share (%)"),
    "col.change": ("เปลี่ยนแปลง", "Change"),
    "col.surveyed": ("สำรวจ", "Surveyed"),
    "error.title": ("เกิดข้อผิดพลาด", "Something went wrong"),
    "error.bad_param": ("พารามิเตอร์ไม่ถูกต้อง", "Invalid parameter"),
    "notfound.title": ("ไม่พบหน้านี้", "Page not found"),
    "notfound.back": ("กลับหน้าภาพรวม", "Back to the overview"),
}


def current_lang() -> Lang:
    """The user's language, from the cookie set by the switch (Thai by default)."""
    try:
        value = flask.request.cookies.get(LANG_COOKIE, "th")
    except RuntimeError:  # outside a request (tests, CLI)
        return "th"
    return "en" if value == "en" else "th"


def t(key: str, lang: Lang | None = None) -> str:
    th, en = STRINGS[key]
    return en if (lang or current_lang()) == "en" else th


def pick(th: str, en: str, lang: Lang | None = None) -> str:
    """Choose between a Thai and an English text from the store."""
    return en if (lang or current_lang()) == "en" else (th or en)


def fmt_int(n: int | float | None) -> str:
    return "–" if n is None else f"{int(round(n)):,}"


def fmt_pct(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def fmt_signed(n: int | float | None, pct: bool = False) -> str:
    if n is None:
        return "–"
    return f"{100 * n:+.1f} pp" if pct else f"{int(round(n)):+,}"


def round_label(year_be: int, lang: Lang | None = None) -> str:
    """Survey rounds are named by their Buddhist-era year (พ.ศ.)."""
    return f"พ.ศ. {year_be}" if (lang or current_lang()) == "th" else f"B.E. {year_be} ({year_be - 543})"
