"""Thai/English formatting of numbers, dates and times: its one home.

Thai mode writes dates in the Buddhist era (2 ธ.ค. 2569), English mode in the
Gregorian calendar (2 Dec 2026); every time is Bangkok time. Numbers carry thousands
separators in both languages, and a column uses one number of decimals throughout.
Map figures (`fmt_value`, `legend_formatter`), distances (`fmt_km`), the brief's long
dates (`be_datetime`) and the AF cut-off k (`format_k`, defined with the map's URL
state in chipao.domain.mapstate, which writes it into links) are here too.
(`components.i18n` re-exports the general ones, so `from components.i18n import
fmt_int` keeps working.)"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from chipao.domain.mapstate import format_k
from chipao.settings import current
from chipao.web.lang import Lang, current_lang

__all__ = ["TZ", "BE_OFFSET", "DASH", "display_year", "month_names", "bangkok", "fmt_date",
           "fmt_datetime", "fmt_month", "fmt_int", "fmt_num", "fmt_pct", "fmt_signed",
           "fmt_suppressed", "grid_number", "GRID_HEADERS", "round_label", "fmt_value",
           "legend_formatter", "fmt_km", "be_datetime", "format_k"]

TZ = ZoneInfo("Asia/Bangkok")
BE_OFFSET = 543
MONTHS_TH = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
             "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DASH = "–"


def display_year(year_ad: int, lang: Lang | None = None) -> int:
    """The year a person reads: B.E. in Thai, A.D. in English."""
    return year_ad + BE_OFFSET if (lang or current_lang()) == "th" else year_ad


def month_names(lang: Lang | None = None) -> tuple[str, ...]:
    return MONTHS_TH if (lang or current_lang()) == "th" else MONTHS_EN


def bangkok(moment: datetime) -> datetime:
    """`moment` as Bangkok wall time. Aware datetimes are converted; naive ones are
    taken to be Bangkok time already (queries hand out naive times only that way)."""
    return moment.astimezone(TZ) if moment.tzinfo else moment.replace(tzinfo=TZ)


def fmt_date(d: date | datetime | None, lang: Lang | None = None) -> str:
    """2 ธ.ค. 2569 (Thai) or 2 Dec 2026 (English); a datetime is taken in Bangkok."""
    if d is None:
        return DASH
    if isinstance(d, datetime):
        d = bangkok(d).date()
    lang = lang or current_lang()
    return f"{d.day} {month_names(lang)[d.month - 1]} {display_year(d.year, lang)}"


def fmt_datetime(moment: datetime | None, lang: Lang | None = None) -> str:
    """2 ธ.ค. 2569 19:03 น. (Thai) or 2 Dec 2026, 19:03 (English), Bangkok time."""
    if moment is None:
        return DASH
    local = bangkok(moment)
    lang = lang or current_lang()
    day = fmt_date(local.date(), lang)
    return f"{day} {local:%H:%M} น." if lang == "th" else f"{day}, {local:%H:%M}"


def fmt_month(d: date | None, lang: Lang | None = None) -> str:
    """ธ.ค. 2569 (Thai) or Dec 2026 (English)."""
    if d is None:
        return DASH
    lang = lang or current_lang()
    return f"{month_names(lang)[d.month - 1]} {display_year(d.year, lang)}"


def fmt_int(n: int | float | None) -> str:
    return DASH if n is None else f"{int(round(n)):,}"


def fmt_num(x: int | float | None, digits: int = 0) -> str:
    """A number with thousands separators and exactly `digits` decimals."""
    return DASH if x is None else f"{x:,.{digits}f}"


def fmt_pct(x: float | None, digits: int = 1) -> str:
    return DASH if x is None else f"{100 * x:.{digits}f}%"


def fmt_signed(n: int | float | None, pct: bool = False) -> str:
    if n is None:
        return DASH
    return f"{100 * n:+.1f} pp" if pct else f"{int(round(n)):+,}"


def fmt_suppressed() -> str:
    """What a small count withheld from public viewers shows: "<5"."""
    return f"<{current().disclosure.suppress_below}"


def grid_number(digits: int = 0) -> dict:
    """AG Grid column settings that show a number column with thousands separators and
    one number of decimals (``5,800``, ``25.0`` beside ``33.3``); empty cells stay empty.
    Sorting and filtering still see the number."""
    return {"type": "numericColumn", "valueFormatter": {
        "function": f"params.value == null ? '' : d3.format(',.{digits}f')(params.value)"}}


GRID_HEADERS = {"wrapHeaderText": True, "autoHeaderHeight": True}  # no header is cut off


def round_label(year_be: int, lang: Lang | None = None) -> str:
    """Survey rounds are named by their Buddhist-era year (พ.ศ.)."""
    return f"พ.ศ. {year_be}" if (lang or current_lang()) == "th" else f"B.E. {year_be} ({year_be - 543})"


# ── map figures (hover, legend, table, panel) ──
def fmt_value(measure: str, value: float | None, change: bool = False,
              suppressed: bool = False) -> str:
    """A figure as shown in hover, legend, table and panel; "<5" when it is a small
    count withheld from a public viewer (not "–", which means no data)."""
    if suppressed:
        return fmt_suppressed()
    if value is None:
        return "–"
    if measure in ("count", "target_poor"):
        return f"{int(round(value)):+,}" if change else fmt_int(value)
    if measure == "M0":
        return f"{value:+.3f}" if change else f"{value:.3f}"
    # shares, H, A, contributions: percentages; changes in percentage points
    return f"{100 * value:+.1f} pp" if change else f"{100 * value:.1f}%"


def legend_formatter(measure: str, change: bool):
    """Class limits: like fmt_value, with one more decimal for close limits."""
    if measure in ("count", "target_poor"):
        return lambda v: f"{v:+,.0f}" if change else f"{v:,.0f}"
    if measure == "M0":
        return lambda v: f"{v:+.3f}" if change else f"{v:.3f}"
    return lambda v: f"{100 * v:+.1f} pp" if change else f"{100 * v:.1f}%"


# ── distances ──
def fmt_km(metres_or_km: float | None, metres: bool = False) -> str:
    if metres_or_km is None:
        return "–"
    km = metres_or_km / 1000 if metres else metres_or_km
    return f"{km:,.1f}"


# ── the brief's long dates ──
MONTHS_TH_LONG = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม",
             "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม")


def be_datetime(moment: datetime, lang: Lang) -> str:
    """1 ธันวาคม 2569 เวลา 21:30 น. (Bangkok time, Buddhist era)."""
    local = moment.astimezone(TZ)
    if lang == "en":
        return f"{local:%d %B} B.E. {local.year + 543} ({local.year}), {local:%H:%M}"
    return f"{local.day} {MONTHS_TH_LONG[local.month - 1]} {local.year + 543} เวลา {local:%H:%M} น."
