"""Vietnamese presentation of figures (Decree 30/2020/NĐ-CP habits) and inert text for spreadsheets.

Numbers are written 1.234.567 (dot thousands, comma decimals), percentages 85,3%, dates
dd/mm/yyyy. Text that came from a submission (unit names, reasons, messages) may start with a
character a spreadsheet reads as a formula; `inert_csv` defuses it for CSV files, and the
workbook writer stores every text with `write_string`, which Excel never evaluates.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import date, datetime

from welfare.config import TIMEZONE

DASH = "–"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

STATUS_VI = {"met": "Đạt", "on_track": "Đúng lộ trình", "behind": "Chậm so với lộ trình"}
NULL_REASON_VI = {"no_report": "Không có báo cáo", "zero_denominator": "Mẫu số bằng 0"}
COMPARATOR_VI = {"=": "", ">": "> ", ">=": "≥ "}


def text(value: object) -> str:
    """Text in NFC (precomposed diacritics render in every font and extract cleanly); '' for None."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", str(value))


def quotes(value: str) -> str:
    """Straight double quotes as typographic ones: "Tết sum vầy" → “Tết sum vầy”."""
    out, opening = [], True
    for char in value:
        if char == '"':
            out.append("“" if opening else "”")
            opening = not opening
        else:
            out.append(char)
    return "".join(out)


def _group(digits: str) -> str:
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return ".".join(groups)


def number(value: float | int | None, decimals: int = 0) -> str:
    """1234567 → '1.234.567'; 1234.5 with decimals=1 → '1.234,5'; None → '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    rounded = round(float(value), decimals)
    sign = "−" if rounded < 0 else ""
    whole, _, fraction = f"{abs(rounded):.{decimals}f}".partition(".")
    out = sign + _group(whole)
    return f"{out},{fraction}" if decimals else out


def percent(fraction: float | None, decimals: int = 1) -> str:
    """0.853 → '85,3%'; None → '–'."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return DASH
    return number(fraction * 100, decimals) + "%"


def points(fraction: float | None, decimals: int = 1) -> str:
    """A gap as percentage points: 0.318 → '31,8'; −0.003 → '−0,3'."""
    if fraction is None:
        return DASH
    return number(fraction * 100, decimals)


def target(value: float, comparator: str, target_year: int | None = None) -> str:
    """The target as the programme writes it: '100%', '> 50%', '≥ 60%' (and the year when not 2030)."""
    out = COMPARATOR_VI.get(comparator, comparator + " ") + percent(value, 0)
    if target_year and target_year != 2030:
        out += f" ({target_year})"
    return out


def day(value: date | datetime | str | None) -> str:
    """dd/mm/yyyy (a timestamp is shown in Asia/Ho_Chi_Minh)."""
    if value is None:
        return DASH
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(TIMEZONE) if value.tzinfo else value
    return f"{value:%d/%m/%Y}"


def moment(value: datetime | str | None) -> str:
    """dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh."""
    if value is None:
        return DASH
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo:
        value = value.astimezone(TIMEZONE)
    return f"{value:%d/%m/%Y %H:%M}"


def place_date(value: date, place: str = "Hà Tĩnh") -> str:
    """'Hà Tĩnh, ngày 05 tháng 11 năm 2026' — Decree 30: a leading zero for days < 10 and months 1–2."""
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"{place}, ngày {value.day:02d} tháng {month} năm {value.year}"


def inert_csv(value: str) -> str:
    """A CSV field a spreadsheet will not evaluate: text starting with = + - @ tab or CR gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
