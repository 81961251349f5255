"""Cell values as people type them → Python values, one pure function per kind of field.

Every parser returns the value (``None`` for an empty cell) or raises :class:`ParseError`, whose
``code`` the caller turns into a Vietnamese/English message (see :data:`ERROR_MESSAGES`).
Nothing here reads files, evaluates formulas or guesses beyond the rules written below.

Number rule (Vietnamese first, English tolerated). Spaces of any kind (including the no-break
and narrow no-break spaces Excel and Word insert) are removed, then:

* ``.`` and ``,`` both present: the one that comes last is the decimal mark, the other groups
  thousands ("1.234.567,5" and "1,234,567.5" are both 1234567.5);
* one kind of separator, used several times: thousands ("1.234.567", "1,234,567");
* one separator used once: thousands when it is followed by exactly three digits and preceded by
  one to three digits that do not start with 0 ("1.234" and "1,234" are 1234; "12.345" is 12345),
  otherwise a decimal mark ("1,5", "12.50", "0,500", "1234.567");
* thousands groups must be well formed (1–3 digits, then groups of exactly 3), otherwise the text
  is not a number: "1.23.4" is rejected rather than guessed.

Counts, money and years must then be whole: "1,5" raises ``not_whole``. A trailing currency
("đ", "đồng", "VND", "VNĐ", "₫") is dropped. A lone "-" (Excel's accounting zero typed as text)
is an empty cell.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from welfare.forms import CODE_LISTS, GRADES, Field, Kind

__all__ = [
    "ERROR_MESSAGES",
    "ParseError",
    "excel_serial",
    "fold",
    "is_blank",
    "parse_code",
    "parse_codes",
    "parse_date",
    "parse_decimal",
    "parse_email",
    "parse_flag",
    "parse_grade",
    "parse_number",
    "parse_percent",
    "parse_text",
    "parse_value",
]


class ParseError(ValueError):
    """A cell value that cannot be read as its field's type.

    ``code`` is stable (``not_a_number``, ``negative``, ``not_whole``, ``bad_date``, ``bad_flag``,
    ``bad_grade``, ``bad_code``, ``bad_email``); ``detail`` says what was found, in English.
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail

    def __reduce__(self) -> tuple[type[ParseError], tuple[str, str]]:
        # Keeps the error picklable (Airflow XCom, multiprocessing) despite the 2-argument init.
        return (type(self), (self.code, self.detail))


# What to tell the person who sent the file, per error code: (Vietnamese, English).
ERROR_MESSAGES: dict[str, tuple[str, str]] = {
    "not_a_number": (
        "Giá trị không phải là số. Nhập số, ví dụ 1.234.567.",
        "The value is not a number. Enter a number, e.g. 1.234.567.",
    ),
    "negative": ("Giá trị không được âm.", "The value must not be negative."),
    "not_whole": (
        "Giá trị phải là số nguyên (không có phần thập phân).",
        "The value must be a whole number (no decimals).",
    ),
    "bad_date": (
        "Ngày không hợp lệ. Nhập theo dạng ngày/tháng/năm, ví dụ 31/12/2025.",
        "The date is not valid. Enter it as day/month/year, e.g. 31/12/2025.",
    ),
    "bad_flag": (
        "Chỉ nhập 1 (có) hoặc 0 (không).",
        "Enter 1 (yes) or 0 (no) only.",
    ),
    "bad_grade": (
        "Xếp loại phải là A, B, C, D hoặc CXL (chưa xếp loại).",
        "The grade must be A, B, C, D or CXL (not graded).",
    ),
    "bad_code": (
        "Mã không có trong danh mục. Chọn một mã trong danh sách của biểu mẫu.",
        "The code is not in the list. Pick one of the codes listed in the form.",
    ),
    "bad_email": (
        "Địa chỉ email không đúng định dạng, ví dụ ten@donvi.vn.",
        "The e-mail address is not well formed, e.g. name@unit.vn.",
    ),
}

_SPACES = re.compile(r"[\s\u00a0\u2007\u202f\u200b\ufeff]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
_UNTIDY = re.compile(r"^\s|\s$|\s\s|[^\S ]|[\u200b\u200c\u200d\u2060\ufeff]")
_CURRENCY = re.compile(r"(?:đồng|đ|₫|vnđ|vnd)\.?$", re.IGNORECASE)
_CURRENCY_PREFIX = re.compile(r"^(?:₫|vnđ|vnd)", re.IGNORECASE)
_DASHES = frozenset({"-", "–", "—"})
_MINUS = frozenset({"-", "−", "–"})
_SCIENTIFIC = re.compile(r"\d+(?:[.,]\d+)?[eE][+-]?\d+")
_WHOLE_TOLERANCE = 1e-6  # formula results such as 1100.0000000000002 are whole numbers
_LARGEST = Decimal(10) ** 18  # beyond any real figure, and beyond the warehouse's bigint


# --- helpers ---------------------------------------------------------------------------------


def is_blank(raw: object) -> bool:
    """True for what a person sees as an empty cell: None, "" or only spaces."""
    return raw is None or (isinstance(raw, str) and not _SPACES.sub("", raw))


def fold(label: str) -> str:
    """The key labels are matched by: no diacritics (đ → d), lower case, no punctuation, single spaces."""
    # Codes, flags and labels repeat endlessly in a bulk file: short keys are memoised.
    return _fold_short(label) if len(label) <= 64 else _fold(label)


def _fold(label: str) -> str:
    text = unicodedata.normalize("NFC", label).replace("đ", "d").replace("Đ", "D").casefold()
    # Lower-casing before decomposing: casefold can itself produce combining marks ("İ" → "i̇").
    kept = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.category(ch).startswith("M"):
            continue
        kept.append(ch if ch.isalnum() or ch.isspace() else " ")
    return " ".join("".join(kept).split())


_fold_short = functools.lru_cache(maxsize=16_384)(_fold)


def _short(raw: object) -> str:
    text = repr(raw) if not isinstance(raw, str) else f"'{raw}'"
    return text if len(text) <= 60 else text[:57] + "...'"


def _clean_text(raw: str) -> str:
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", raw)).strip()


# --- numbers ---------------------------------------------------------------------------------


def _check_groups(digits: str, sep: str, raw: object) -> str:
    parts = digits.split(sep)
    head, rest = parts[0], parts[1:]
    if not (1 <= len(head) <= 3) or any(len(p) != 3 for p in rest):
        raise ParseError("not_a_number", f"{_short(raw)}: digit groups must be 1-3 digits, then groups of 3")
    return "".join(parts)


def _unsigned_decimal(body: str, raw: object) -> Decimal:
    """Digits with '.'/',' separators → Decimal, by the rule in the module docstring."""
    value = _unchecked_decimal(body, raw)
    if value >= _LARGEST:
        raise ParseError("not_a_number", f"{_short(raw)} is too large to be a real figure")
    return value


def _unchecked_decimal(body: str, raw: object) -> Decimal:
    if _SCIENTIFIC.fullmatch(body):
        return Decimal(body.replace(",", "."))
    if not body or not re.fullmatch(r"[0-9.,]+", body) or not body[-1].isdigit():
        raise ParseError("not_a_number", f"{_short(raw)} is not a number")
    if body[0] in ".,":
        body = "0" + body
    has_dot, has_comma = "." in body, "," in body
    if has_dot and has_comma:
        mark = "." if body.rfind(".") > body.rfind(",") else ","
        group = "," if mark == "." else "."
        if body.count(mark) > 1:
            raise ParseError("not_a_number", f"{_short(raw)} has two decimal marks")
        whole, fraction = body.split(mark)
        return Decimal(_check_groups(whole, group, raw) + "." + fraction)
    if not (has_dot or has_comma):
        return Decimal(body)
    sep = "." if has_dot else ","
    if body.count(sep) > 1:
        return Decimal(_check_groups(body, sep, raw))
    head, tail = body.split(sep)
    if len(tail) == 3 and 1 <= len(head) <= 3 and head[0] != "0":
        return Decimal(head + tail)
    return Decimal(head + "." + tail)


def _decimal_from_text(raw: str, *, percent: bool) -> Decimal | None:
    """Text → Decimal (percent text divided by 100 when ``percent``); None when empty."""
    text = _SPACES.sub("", _clean_text(raw))
    text = _CURRENCY_PREFIX.sub("", _CURRENCY.sub("", text))
    if not text or text in _DASHES:
        return None
    is_percent = text.endswith("%")
    if is_percent:
        if not percent:
            raise ParseError("not_a_number", f"{_short(raw)} is a percentage, not an amount or a count")
        text = text[:-1]
    negative = text[0] in _MINUS
    if text[0] in _MINUS or text[0] == "+":
        text = text[1:]
    value = _unsigned_decimal(text, raw)
    if negative:
        value = -value
    return value / 100 if is_percent else value


def _decimal_from_number(raw: object) -> Decimal:
    if isinstance(raw, bool):
        raise ParseError("not_a_number", f"{_short(raw)} is a yes/no value, not a number")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ParseError("not_a_number", f"{_short(raw)} is not a finite number")
        return _bounded(Decimal(repr(raw)), raw)
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise ParseError("not_a_number", f"{_short(raw)} is not a finite number")
        return _bounded(raw, raw)
    raise ParseError("not_a_number", f"{_short(raw)} ({type(raw).__name__}) is not a number")


def _bounded(value: Decimal, raw: object) -> Decimal:
    if abs(value) >= _LARGEST:
        raise ParseError("not_a_number", f"{_short(raw)} is too large to be a real figure")
    return value


def parse_decimal(raw: object) -> Decimal | None:
    """Any number (a cell's float, "1.234,5", "1,234.5"), as Decimal; percent text is refused."""
    if raw is None:
        return None
    if isinstance(raw, str):
        return _decimal_from_text(raw, percent=False)
    return _decimal_from_number(raw)


def parse_percent(raw: object) -> Decimal | None:
    """A share as a fraction: "12,5%" and "12.5%" → 0.125; a cell's number is already the fraction."""
    if raw is None:
        return None
    if isinstance(raw, str):
        return _decimal_from_text(raw, percent=True)
    return _decimal_from_number(raw)


def parse_number(raw: object, *, allow_negative: bool = True) -> int | None:
    """A whole number (count, money in đồng, year) in any Vietnamese or English spelling.

    Negative numbers are returned as such unless ``allow_negative`` is false: whether a field may
    be negative is the validator's rule, not the reader's.
    """
    if raw is None:
        return None
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 18:
        return int(raw)  # the common case in bulk files, no need for the full grammar
    if isinstance(raw, float) and math.isfinite(raw) and abs(raw) < _LARGEST:
        nearest = round(raw)
        if abs(raw - nearest) > _WHOLE_TOLERANCE:
            raise ParseError("not_whole", f"{_short(raw)} is not a whole number")
        value = int(nearest)
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = int(_bounded(Decimal(raw), raw))
    else:
        number = _decimal_from_text(raw, percent=False) if isinstance(raw, str) else _decimal_from_number(raw)
        if number is None:
            return None
        if number != number.to_integral_value():
            raise ParseError("not_whole", f"{_short(raw)} is not a whole number")
        value = int(number)
    if value < 0 and not allow_negative:
        raise ParseError("negative", f"{_short(raw)} is negative")
    return value


# --- yes/no ----------------------------------------------------------------------------------

_FLAG_YES = frozenset({"co", "x", "yes", "y", "true", "dung"})
_FLAG_NO = frozenset({"khong", "ko", "k", "no", "n", "false", "sai"})
_TICKS = frozenset({"✓", "✔", "☑", "√"})


def parse_flag(raw: object) -> int | None:
    """Yes/no as 1/0: 1/0, "Có"/"Không" (with or without diacritics), "x"/"✓", yes/no, true/false."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, int | float | Decimal):
        if raw in (0, 1):
            return int(raw)
        raise ParseError("bad_flag", f"{_short(raw)} is neither 1 nor 0")
    if not isinstance(raw, str):
        raise ParseError("bad_flag", f"{_short(raw)} is neither 1 nor 0")
    text = _clean_text(raw)
    if not text or text in _DASHES:
        return None
    if text in _TICKS:
        return 1
    if re.fullmatch(r"[01](?:[.,]0+)?", text):
        return int(text[0])
    key = fold(text)
    if key in _FLAG_YES:
        return 1
    if key in _FLAG_NO:
        return 0
    raise ParseError("bad_flag", f"{_short(raw)} is neither 1 (Có) nor 0 (Không)")


# --- dates -----------------------------------------------------------------------------------

_DAY_FIRST = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
_ISO = re.compile(
    r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_WORDS = re.compile(r"(?:ngay\s+)?(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})")
_SERIAL_TEXT = re.compile(r"\d+(?:[.,]\d+)?")
_EPOCH_1900 = date(1899, 12, 30)
_EPOCH_1904 = date(1904, 1, 1)
_MAX_SERIAL = 2_958_465  # 9999-12-31


def excel_serial(day: date, *, datemode: int = 0) -> int:
    """The Excel serial number of a date (1900 system, or 1904 when ``datemode`` is 1)."""
    if datemode == 1:
        return (day - _EPOCH_1904).days
    serial = (day - _EPOCH_1900).days
    # Excel counts the non-existent 1900-02-29 (serial 60), so serials before March 1900 are one less.
    return serial - 1 if serial <= 60 else serial


def _from_serial(serial: float | Decimal, raw: object, datemode: int) -> date:
    whole = math.floor(serial)  # a fractional part is the time of day
    if datemode == 1:
        if not 0 <= whole <= _MAX_SERIAL - 1462:
            raise ParseError("bad_date", f"{_short(raw)} is not a date")
        return _EPOCH_1904 + timedelta(days=whole)
    if not 1 <= whole <= _MAX_SERIAL or whole == 60:
        raise ParseError("bad_date", f"{_short(raw)} is not a date")
    return _EPOCH_1900 + timedelta(days=whole + 1 if whole < 60 else whole)


def _make_date(year: str, month: str, day: str, raw: object) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise ParseError("bad_date", f"{_short(raw)} is not a date in the calendar") from None


def parse_date(raw: object, *, datemode: int | None = None) -> date | None:
    """A date: a date cell, an Excel serial, or day-first text (dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy), or ISO.

    ``datemode`` is the workbook's date system (0 = 1900, the default; 1 = 1904). Text is never
    read month-first: Vietnamese dates are day-first, and "03/04/2025" is 3 April.
    """
    mode = datemode or 0
    if raw is None:
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, bool | time | timedelta):
        raise ParseError("bad_date", f"{_short(raw)} is not a date")
    if isinstance(raw, int | float | Decimal):
        if isinstance(raw, float | Decimal) and not math.isfinite(raw):
            raise ParseError("bad_date", f"{_short(raw)} is not a date")
        return _from_serial(raw, raw, mode)
    if not isinstance(raw, str):
        raise ParseError("bad_date", f"{_short(raw)} is not a date")
    text = " ".join(_clean_text(raw).split())
    if not text or text in _DASHES:
        return None
    if m := _DAY_FIRST.fullmatch(text):
        return _make_date(m[4], m[3], m[1], raw)
    if m := _ISO.fullmatch(text):
        return _make_date(m[1], m[3], m[4], raw)
    if _SERIAL_TEXT.fullmatch(text):
        return _from_serial(Decimal(text.replace(",", ".")), raw, mode)
    if m := _WORDS.fullmatch(fold(text)):
        return _make_date(m[3], m[2], m[1], raw)
    raise ParseError("bad_date", f"{_short(raw)} is not a day/month/year date with a 4-digit year")


# --- text, codes, grades, e-mail -------------------------------------------------------------


def parse_text(raw: object) -> str | None:
    """Text, NFC-normalised and with whitespace collapsed; a number typed in a text cell loses its ".0"."""
    if raw is None:
        return None
    if isinstance(raw, str):
        text = raw
    elif isinstance(raw, bool):
        text = "TRUE" if raw else "FALSE"
    elif isinstance(raw, float):
        text = str(int(raw)) if raw.is_integer() else repr(raw)
    elif isinstance(raw, datetime):
        text = raw.isoformat(sep=" ") if raw.time() != time(0) else raw.date().isoformat()
    elif isinstance(raw, date):
        text = raw.isoformat()
    else:
        text = str(raw)
    if text and not _UNTIDY.search(text) and unicodedata.is_normalized("NFC", text):
        return text  # already tidy: most cells, and checking is cheaper than rebuilding
    text = " ".join(_clean_text(text).split())
    return text or None


def parse_grade(raw: object) -> str | None:
    """A collective-agreement grade: A/B/C/D or CXL ("Chưa xếp loại"), any case, "Loại B" accepted."""
    text = parse_text(raw)
    if text is None:
        return None
    key = fold(text)
    if key in {"chua xep loai", "chua xl", "cxl"}:
        return "CXL"
    key = key.removeprefix("loai ").upper()
    if key in GRADES:
        return key
    raise ParseError("bad_grade", f"{_short(raw)} is not one of {', '.join(GRADES)}")


@functools.cache
def _code_index(code_list: str) -> dict[str, str]:
    """Folded code → code, plus each code as itself (the common case needs no folding)."""
    codes = CODE_LISTS[code_list]
    return {fold(code): code for code in codes} | {code: code for code in codes}


def parse_code(raw: object, code_list: str) -> str | None:
    """One code of ``CODE_LISTS[code_list]``, matched ignoring case, diacritics and '_' vs space."""
    text = parse_text(raw)
    if text is None:
        return None
    index = _code_index(code_list)
    code = index.get(text) or index.get(fold(text))
    if code is None:
        allowed = ", ".join(CODE_LISTS[code_list])
        raise ParseError("bad_code", f"{_short(raw)} is not in {code_list} ({allowed})")
    return code


def parse_codes(raw: object, code_list: str) -> str | None:
    """Zero or more codes separated by ';' (',' and spaces tolerated), returned ';'-joined, in order, once each."""
    text = parse_text(raw)
    if text is None:
        return None
    index = _code_index(code_list)
    found: list[str] = []
    unknown: list[str] = []
    for piece in re.split(r"[;,]", text):
        if not piece.strip():
            continue
        piece = piece.strip()
        whole = index.get(piece) or index.get(fold(piece))
        for word in [piece] if whole else piece.split():
            code = index.get(word) or index.get(fold(word))
            if code is None:
                unknown.append(word.strip())
            elif code not in found:
                found.append(code)
    if unknown:
        allowed = ", ".join(CODE_LISTS[code_list])
        raise ParseError("bad_code", f"{', '.join(unknown)} not in {code_list} ({allowed})")
    return ";".join(found) or None


_EMAIL = re.compile(r"[^@\s;,<>()\[\]]+@[^@\s;,<>()\[\]]+\.[^@\s;,<>()\[\].]{2,}")


def parse_email(raw: object) -> str | None:
    """One well-formed e-mail address ("mailto:" dropped)."""
    text = parse_text(raw)
    if text is None:
        return None
    address = re.sub(r"^mailto:", "", text, flags=re.IGNORECASE).strip()
    if not _EMAIL.fullmatch(address) or ".." in address:
        raise ParseError("bad_email", f"{_short(raw)} is not an e-mail address")
    return address


def parse_value(raw: object, field: Field, *, datemode: int | None = None) -> object:
    """Parse one cell as ``field`` says (counts, money and years may come back negative)."""
    if raw is None or raw == "":
        return None
    parser = _PARSERS.get(field.kind)
    if parser is not None:
        return parser(raw)
    if field.kind is Kind.DATE:
        return parse_date(raw, datemode=datemode)
    if field.kind is Kind.CODE:
        return parse_code(raw, _list_of(field))
    if field.kind is Kind.CODES:
        return parse_codes(raw, _list_of(field))
    return parse_text(raw)


# A dictionary rather than a match on the kind: this runs for every cell of a bulk file.
_PARSERS: dict[Kind, Callable[[object], object]] = {
    Kind.COUNT: parse_number,
    Kind.MONEY: parse_number,
    Kind.INT: parse_number,
    Kind.FLAG: parse_flag,
    Kind.GRADE: parse_grade,
    Kind.EMAIL: parse_email,
    Kind.TEXT: parse_text,
}


def _list_of(field: Field) -> str:
    if field.code_list is None:
        raise TypeError(f"field {field.code} of kind {field.kind} has no code_list")
    return field.code_list
