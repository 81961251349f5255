"""Workbooks as units send them: the official template, filled reports and bulk CSV files.

One layout model feeds three file formats, so an `.xlsx`, `.xls` and `.ods` of the same report
hold the same cells at the same places. `write_template` gives the official blank template;
`write_report` the same template filled in (plus, on request, the layout faults of FORMS.md
that real files have, see `Quirks`); `write_bulk_csv` the wide CSV files of bulk submissions.

Layout without quirks (rows and columns 0-based; Excel row = row + 1):

- `ThongTin`: row 0 the title (merged A:C); row 1 the header `Mã | Nội dung | Giá trị`;
  rows 2.. one per `INFO_FIELDS` entry in order (code, label, value).
- `ChiTieu`: row 0 the title (merged A:F); row 1 the header
  `STT | Mã | Chỉ tiêu | ĐVT | Số liệu | Ghi chú`; rows 2.. one per figure of the form in order
  (STT = 1, 2, …; the value in column E).
- `HoTro` (CDCS only): row 0 the title (merged A:K); row 1 the labels of `SUPPORT_FIELDS`;
  row 2 their field codes; rows 3.. one support case per row, columns in `SUPPORT_FIELDS`
  order.
- `HuongDan`: instructions and the code lists (not data: parsers ignore it).

What each quirk changes is documented on `Quirks`. Files are byte-for-byte reproducible:
document dates are derived from the report (`ngay_lap`, else 1 November of `nam_bao_cao`),
never from the clock.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from pathlib import Path
from random import Random
from typing import Any

from welfare.forms import (
    CODE_LISTS,
    FORM_VERSIONS,
    GRADES,
    INFO_FIELDS,
    SHEET_FIGURES,
    SHEET_INFO,
    SHEET_SUPPORT,
    SUPPORT_FIELDS,
    Field,
    Form,
    Kind,
    ReportContent,
    figure_fields,
)

__all__ = [
    "BULK_ENCODINGS",
    "EXTRA_COLUMN_LABEL",
    "FIGURES_HEADER",
    "INFO_HEADER",
    "REPORT_SUFFIXES",
    "SHEET_GUIDE",
    "SUPPORT_EXTRA_LABEL",
    "SUPPORT_INPUT_ROWS",
    "Quirks",
    "ReportContentError",
    "UnsupportedFileTypeError",
    "write_bulk_csv",
    "write_report",
    "write_template",
]

SHEET_GUIDE = "HuongDan"

# Table headers (FORMS.md), keyed by column role.
INFO_HEADER: dict[str, str] = {"code": "Mã", "label": "Nội dung", "value": "Giá trị"}
FIGURES_HEADER: dict[str, str] = {
    "stt": "STT",
    "code": "Mã",
    "label": "Chỉ tiêu",
    "unit": "ĐVT",
    "value": "Số liệu",
    "note": "Ghi chú",
}
EXTRA_COLUMN_LABEL = "Ghi chú thêm"  # the `extra_columns` quirk in ThongTin and ChiTieu
SUPPORT_EXTRA_LABEL = "Ghi chú"  # the `extra_columns` quirk in HoTro

# Rows of the HoTro input area (unlocked, validated) below the last case written.
SUPPORT_INPUT_ROWS = 500

REPORT_SUFFIXES = (".xlsx", ".xls", ".ods")

# Accepted bulk encodings -> (Python codec, byte-order mark written first).
BULK_ENCODINGS: dict[str, tuple[str, str]] = {
    "utf-8": ("utf-8", ""),
    "utf-8-sig": ("utf-8", "\ufeff"),
    # Always little-endian with a BOM, as Excel's "Unicode text" and whatever the platform.
    "utf-16": ("utf-16-le", "\ufeff"),
}

FONT = "Times New Roman"
# Sheets are protected against accidental edits of labels and codes, not as a security
# control: no password, so anyone can lift it (Review → Unprotect Sheet).
PROTECTION_PASSWORD = ""

_XLS_MAX_ROWS = 65_536
_YEAR_RANGE = (1900, 2100)
_DATE_RANGE = (date(1990, 1, 1), date(2100, 12, 31))
_SUPPORT_SHUFFLE_SEED = 4  # `reordered_columns` in HoTro: a fixed, non-identity permutation
_FORMULA_FIELDS_PREFIX = "tong_"  # `formulas`: totals are the cells people write as sums
_FORMULA_SUPPORT_FIELDS = frozenset({"so_tien"})


class UnsupportedFileTypeError(ValueError):
    """The output path has a suffix no writer handles."""


class ReportContentError(ValueError):
    """The report content does not fit its form (unknown field codes, wrong value types)."""


@dataclass(frozen=True)
class Quirks:
    """Layout faults of real files (FORMS.md), applied by `write_report` where the format allows.

    - `extra_title_rows`: three rows above the title (the two-column administrative header
      "TỔNG LIÊN ĐOÀN LAO ĐỘNG VIỆT NAM | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", merged halves,
      then a blank row): every table moves down 3 rows.
    - `blank_rows`: blank rows inside the tables: right under the header, then ThongTin before
      its 5th row, ChiTieu before figures 7, 13, 19, …, HoTro before cases 11, 21, ….
    - `extra_columns`: a "Ghi chú thêm" column after the last column of ThongTin and ChiTieu;
      a "Ghi chú" column (empty code cell) as the 3rd column of HoTro; sparsely filled.
    - `reordered_columns`: ThongTin `Nội dung | Giá trị | Mã`; ChiTieu
      `STT | Số liệu | Mã | Chỉ tiêu | ĐVT | Ghi chú`; HoTro a fixed shuffle.
    - `no_codes`: no `Mã` column in ThongTin and ChiTieu, no code row in HoTro (labels only).
    - `labels_without_diacritics`: labels, headers, units and titles without Vietnamese
      diacritics ("Tong so doan vien"); values are unchanged.
    - `numbers_as_text`: counts and money as text, alternately "1.234.567" and "1 234 567";
      years and other whole numbers as plain digit text ("2025").
    - `flags_as_words`: flags alternately "Có"/"Không" and "x"/empty (so there 0 and empty
      look alike).
    - `dates_as_text`: dates as "dd/mm/yyyy" text.
    - `formulas`: `tong_*` figures and HoTro `so_tien` as `=a+b` formulas whose cached value is
      the number (xlsx and ods; xls cannot store a cached result, so there the number stays).
    """

    extra_title_rows: bool = False
    blank_rows: bool = False
    extra_columns: bool = False
    reordered_columns: bool = False
    no_codes: bool = False
    labels_without_diacritics: bool = False
    numbers_as_text: bool = False
    flags_as_words: bool = False
    dates_as_text: bool = False
    formulas: bool = False

    @classmethod
    def all_off(cls) -> Quirks:
        """The file exactly as the template lays it out."""
        return cls()

    @classmethod
    def all_on(cls) -> Quirks:
        """Every fault at once (the hardest file to parse)."""
        return cls(**{f.name: True for f in fields(cls)})

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def random(cls, rng: Random) -> Quirks:
        """A realistic mix: about half the files are the template untouched.

        Always draws the same number of values from `rng`, so what the caller draws next does
        not depend on the outcome.
        """
        draws = [rng.random() for _ in range(12)]
        if draws[0] < 0.45:
            return cls()
        chances = {
            "extra_title_rows": 0.45,
            "blank_rows": 0.30,
            "extra_columns": 0.30,
            "reordered_columns": 0.15,
            "no_codes": 0.20,
            "labels_without_diacritics": 0.05,
            "numbers_as_text": 0.35,
            "flags_as_words": 0.35,
            "dates_as_text": 0.35,
            "formulas": 0.20,
        }
        chosen = {name: draws[i + 1] < p for i, (name, p) in enumerate(chances.items())}
        # Files retyped by hand lose their codes and, often, their diacritics together.
        if chosen["no_codes"] and draws[11] < 0.35:
            chosen["labels_without_diacritics"] = True
        return cls(**chosen)


# --------------------------------------------------------------------------------------------
# The layout model: what goes in which cell, independent of the file format.


@dataclass(frozen=True)
class _Style:
    size: int = 12
    bold: bool = False
    italic: bool = False
    grey: bool = False
    align: str = "left"
    wrap: bool = False
    border: bool = False
    fill: bool = False
    locked: bool = True
    num_format: str | None = None


_STYLES: dict[str, _Style] = {
    "title": _Style(size=14, bold=True, align="center", wrap=True),
    "heading": _Style(bold=True, align="center"),
    "motto": _Style(bold=True, italic=True, align="center"),
    "header": _Style(bold=True, align="center", wrap=True, border=True, fill=True),
    "code_header": _Style(size=9, italic=True, grey=True, align="center", border=True, fill=True),
    "code": _Style(size=10, grey=True, border=True),
    "label": _Style(wrap=True, border=True),
    "center": _Style(align="center", border=True),
    "text": _Style(wrap=True),
    "text_bold": _Style(bold=True, wrap=True),
    "input_text": _Style(border=True, wrap=True, locked=False, num_format="@"),
    "input_number": _Style(border=True, align="right", locked=False, num_format="#,##0"),
    "input_int": _Style(border=True, align="center", locked=False, num_format="0"),
    "input_date": _Style(border=True, align="center", locked=False, num_format="dd/mm/yyyy"),
}


@dataclass(frozen=True)
class _Formula:
    text: str  # with the leading '='
    value: int  # the cached result


@dataclass(frozen=True)
class _Cell:
    value: object  # None, int, float, str, date or _Formula
    style: str


@dataclass(frozen=True)
class _Check:
    """A data validation (xlsx only)."""

    kind: str  # "list", "whole", "year", "date", or "any" (an input message only)
    codes: tuple[str, ...] = ()
    source_range: str | None = None  # list codes in HuongDan, used when the list is too long
    message: str = ""


@dataclass
class _Sheet:
    name: str
    cells: dict[tuple[int, int], _Cell] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2
    widths: dict[int, float] = field(default_factory=dict)
    column_styles: dict[int, str] = field(default_factory=dict)  # input columns (HoTro)
    checks: list[tuple[int, int, int, int, _Check]] = field(default_factory=list)
    row_heights: dict[int, float] = field(default_factory=dict)
    freeze_row: int | None = None
    row_edits: bool = False  # allow inserting/deleting rows under protection
    landscape: bool = False

    def put(self, row: int, col: int, value: object, style: str) -> None:
        self.cells[(row, col)] = _Cell(value, style)

    def span(self, row: int, first_col: int, last_col: int, value: object, style: str) -> None:
        self.put(row, first_col, value, style)
        if last_col > first_col:
            self.merges.append((row, first_col, row, last_col))

    @property
    def n_rows(self) -> int:
        return 1 + max((r for r, _ in self.cells), default=-1)

    @property
    def n_cols(self) -> int:
        return 1 + max((c for _, c in self.cells), default=-1)


def _strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _grouped(number: int, separator: str) -> str:
    return f"{number:,}".replace(",", separator)


def _dmy(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _present(f: Field, value: object, quirks: Quirks, index: int, formulas_ok: bool) -> object:
    """The cell value for `value` of field `f`, with the value quirks applied.

    `index` is the value's position in its table: it picks the variant of a mixed quirk.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, int | float | str | date):
        raise ReportContentError(
            f"{f.code}: unsupported value type {type(value).__name__} (expected int, str, datetime.date or None)"
        )
    if isinstance(value, int):
        if f.kind is Kind.FLAG and quirks.flags_as_words and value in (0, 1):
            if index % 2 == 0:
                return "Có" if value else "Không"
            return "x" if value else None
        if f.kind in (Kind.COUNT, Kind.MONEY):
            formula_field = f.code.startswith(_FORMULA_FIELDS_PREFIX) or f.code in _FORMULA_SUPPORT_FIELDS
            if formulas_ok and quirks.formulas and formula_field and value >= 0:
                first = value * 2 // 3
                return _Formula(f"={first}+{value - first}", value)
            if quirks.numbers_as_text:
                return _grouped(value, "." if index % 2 == 0 else " ")
        elif f.kind is Kind.INT and quirks.numbers_as_text:
            return str(value)
    if isinstance(value, date) and quirks.dates_as_text:
        return _dmy(value)
    return value


def _input_style(f: Field) -> str:
    if f.kind in (Kind.COUNT, Kind.MONEY):
        return "input_number"
    if f.kind in (Kind.INT, Kind.FLAG):
        return "input_int"
    if f.kind is Kind.DATE:
        return "input_date"
    return "input_text"


_LIST_MESSAGE = "Chọn một giá trị trong danh sách (xem sheet HuongDan)."


def _check_for(f: Field, list_ranges: Mapping[str, str]) -> _Check | None:
    if f.kind is Kind.FLAG:
        return _Check("list", ("1", "0"), message="Chỉ nhập 1 (có) hoặc 0 (không).")
    if f.kind in (Kind.GRADE, Kind.CODE):
        name = f.code_list or ""
        codes = CODE_LISTS.get(name, GRADES if f.kind is Kind.GRADE else ())
        return _Check("list", tuple(codes), list_ranges.get(name), _LIST_MESSAGE)
    if f.kind in (Kind.COUNT, Kind.MONEY):
        return _Check("whole", message="Nhập số nguyên không âm (số người, số lượng hoặc số đồng).")
    if f.kind is Kind.DATE:
        return _Check("date", message="Nhập ngày dạng dd/mm/yyyy.")
    if f.kind is Kind.INT and f.code.startswith("nam_"):
        return _Check("year", message="Nhập năm gồm 4 chữ số.")
    if f.kind is Kind.CODES:
        codes = CODE_LISTS.get(f.code_list or "", ())
        return _Check("any", message=f"Một hoặc nhiều mã, cách nhau bằng dấu ;  ({', '.join(codes)})")
    return None


def _year_text(info: Mapping[str, object]) -> str:
    year = _as_int(info.get("nam_bao_cao"))
    return str(year) if year is not None else "...."


def _document_time(info: Mapping[str, object]) -> datetime:
    """The files' fixed creation time: from the report, never from the clock."""
    prepared = info.get("ngay_lap")
    if isinstance(prepared, date):
        return datetime(prepared.year, prepared.month, prepared.day, 8, 0, tzinfo=UTC)
    year = _as_int(info.get("nam_bao_cao"))
    if year is not None and 1980 <= year <= 2100:
        return datetime(year, 11, 1, 8, 0, tzinfo=UTC)
    return datetime(2024, 1, 1, 8, 0, tzinfo=UTC)


def _labeller(quirks: Quirks) -> Callable[[str], str]:
    return _strip_diacritics if quirks.labels_without_diacritics else (lambda text: text)


def _title_block(sheet: _Sheet, n_cols: int, title: str, content: ReportContent, quirks: Quirks) -> int:
    """Write the rows above a table; return the row of the table header."""
    label = _labeller(quirks)
    row = 0
    if quirks.extra_title_rows:
        left_end = max(0, n_cols // 2 - 1)
        right = left_end + 1
        unit_name = content.info.get("ten_don_vi")
        issuer = str(unit_name).upper() if unit_name else "LIÊN ĐOÀN LAO ĐỘNG TỈNH HÀ TĨNH"
        sheet.span(0, 0, left_end, label("TỔNG LIÊN ĐOÀN LAO ĐỘNG VIỆT NAM"), "heading")
        sheet.span(0, right, n_cols - 1, label("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), "heading")
        sheet.span(1, 0, left_end, label(issuer), "heading")
        sheet.span(1, right, n_cols - 1, label("Độc lập - Tự do - Hạnh phúc"), "motto")
        row = 3  # row 2 stays blank
    sheet.span(row, 0, n_cols - 1, label(title), "title")
    sheet.row_heights[row] = 36
    return row + 1


def _report_title(form: Form, info: Mapping[str, object]) -> str:
    title = f"BÁO CÁO KẾT QUẢ CHĂM LO PHÚC LỢI ĐOÀN VIÊN NĂM {_year_text(info)}"
    if form is Form.CAPTREN:
        title += " (CÔNG ĐOÀN CẤP TRÊN TRỰC TIẾP CƠ SỞ)"
    return title


def _info_sheet(content: ReportContent, quirks: Quirks, formulas_ok: bool) -> _Sheet:
    columns = ["label", "value", "code"] if quirks.reordered_columns else ["code", "label", "value"]
    if quirks.no_codes:
        columns.remove("code")
    if quirks.extra_columns:
        columns.append("extra")
    col = {key: i for i, key in enumerate(columns)}
    label = _labeller(quirks)
    sheet = _Sheet(SHEET_INFO)
    widths = {"code": 22, "label": 34, "value": 44, "extra": 28}
    sheet.widths = {col[key]: widths[key] for key in columns}

    row = _title_block(sheet, len(columns), _report_title(content.form, content.info), content, quirks)
    for key in columns:
        header = INFO_HEADER.get(key, EXTRA_COLUMN_LABEL)
        sheet.put(row, col[key], label(header), "header")
    row += 1
    for i, f in enumerate(INFO_FIELDS):
        if quirks.blank_rows and i in (0, 4):
            row += 1
        if "code" in col:
            sheet.put(row, col["code"], f.code, "code")
        sheet.put(row, col["label"], label(f.label), "label")
        value = _present(f, content.info.get(f.code), quirks, i, formulas_ok)
        sheet.put(row, col["value"], value, _input_style(f))
        check = _check_for(f, {})
        if check is not None:
            sheet.checks.append((row, col["value"], row, col["value"], check))
        if "extra" in col:
            note = "Theo danh mục của LĐLĐ tỉnh" if i == 0 else None
            sheet.put(row, col["extra"], note, "input_text")
        row += 1
    return sheet


def _figures_sheet(content: ReportContent, quirks: Quirks, formulas_ok: bool, list_ranges: Mapping[str, str]) -> _Sheet:
    if quirks.reordered_columns:
        columns = ["stt", "value", "code", "label", "unit", "note"]
    else:
        columns = ["stt", "code", "label", "unit", "value", "note"]
    if quirks.no_codes:
        columns.remove("code")
    if quirks.extra_columns:
        columns.append("extra")
    col = {key: i for i, key in enumerate(columns)}
    label = _labeller(quirks)
    sheet = _Sheet(SHEET_FIGURES)
    widths = {"stt": 6, "code": 30, "label": 60, "unit": 10, "value": 20, "note": 24, "extra": 24}
    sheet.widths = {col[key]: widths[key] for key in columns}

    row = _title_block(sheet, len(columns), _report_title(content.form, content.info), content, quirks)
    for key in columns:
        sheet.put(row, col[key], label(FIGURES_HEADER.get(key, EXTRA_COLUMN_LABEL)), "header")
    sheet.freeze_row = row + 1
    row += 1
    for i, f in enumerate(figure_fields(content.form)):
        if quirks.blank_rows and i % 6 == 0:
            row += 1
        sheet.put(row, col["stt"], i + 1, "center")
        if "code" in col:
            sheet.put(row, col["code"], f.code, "code")
        sheet.put(row, col["label"], label(f.label), "label")
        sheet.put(row, col["unit"], label(f.unit) or None, "center")
        value = _present(f, content.figures.get(f.code), quirks, i, formulas_ok)
        sheet.put(row, col["value"], value, _input_style(f))
        check = _check_for(f, list_ranges)
        if check is not None:
            sheet.checks.append((row, col["value"], row, col["value"], check))
        sheet.put(row, col["note"], None, "input_text")
        if "extra" in col:
            sheet.put(row, col["extra"], "Đã đối chiếu sổ sách" if i % 4 == 1 else None, "input_text")
        row += 1
    return sheet


def _support_columns(quirks: Quirks) -> list[str]:
    columns = [f.code for f in SUPPORT_FIELDS]
    if quirks.reordered_columns:
        Random(_SUPPORT_SHUFFLE_SEED).shuffle(columns)
    if quirks.extra_columns:
        columns.insert(2, "extra")
    return columns


def _support_sheet(content: ReportContent, quirks: Quirks, formulas_ok: bool, list_ranges: Mapping[str, str]) -> _Sheet:
    columns = _support_columns(quirks)
    col = {key: i for i, key in enumerate(columns)}
    fields_by_code = {f.code: f for f in SUPPORT_FIELDS}
    label = _labeller(quirks)
    sheet = _Sheet(SHEET_SUPPORT, row_edits=True, landscape=True)
    widths = {
        "stt": 6,
        "ho_ten": 26,
        "so_dinh_danh": 18,
        "nam_sinh": 9,
        "gioi_tinh": 9,
        "nhom_hoan_canh": 22,
        "chuong_trinh": 24,
        "ngay_ho_tro": 13,
        "so_tien": 15,
        "nguon_kinh_phi": 16,
        "doi_tuong_yeu_the": 22,
    }
    for key in columns:
        sheet.widths[col[key]] = widths.get(key, 20)
        sheet.column_styles[col[key]] = _input_style(fields_by_code[key]) if key in fields_by_code else "input_text"

    title = f"DANH SÁCH ĐOÀN VIÊN, NGƯỜI LAO ĐỘNG ĐƯỢC HỖ TRỢ NĂM {_year_text(content.info)}"
    row = _title_block(sheet, len(columns), title, content, quirks)
    for key in columns:
        text = fields_by_code[key].label if key in fields_by_code else SUPPORT_EXTRA_LABEL
        sheet.put(row, col[key], label(text), "header")
    row += 1
    if not quirks.no_codes:
        for key in columns:
            sheet.put(row, col[key], key if key in fields_by_code else None, "code_header")
        row += 1
    first_data_row = row
    sheet.freeze_row = first_data_row
    for i, case in enumerate(content.support):
        if quirks.blank_rows and i % 10 == 0:
            row += 1
        for key in columns:
            if key == "extra":
                sheet.put(row, col[key], "Đã ký nhận" if i % 3 == 0 else None, "input_text")
                continue
            f = fields_by_code[key]
            sheet.put(row, col[key], _present(f, case.get(key), quirks, i, formulas_ok), _input_style(f))
        row += 1
    last_input_row = row + SUPPORT_INPUT_ROWS - 1
    for key in columns:
        check = _check_for(fields_by_code[key], list_ranges) if key in fields_by_code else None
        if check is not None:
            sheet.checks.append((first_data_row, col[key], last_input_row, col[key], check))
    return sheet


# Vietnamese meanings of the codes, shown in HuongDan; a code missing here shows without one.
_CODE_MEANINGS: dict[str, str] = {
    "THU_NHAP_THAP": "Thu nhập thấp",
    "OM_DAU_HIEM_NGHEO": "Ốm đau, bệnh hiểm nghèo",
    "TAI_NAN_LD": "Tai nạn lao động",
    "BENH_NGHE_NGHIEP": "Bệnh nghề nghiệp",
    "MAT_VIEC_GIAM_GIO": "Mất việc, giảm giờ làm, tạm hoãn hợp đồng",
    "THIEN_TAI": "Thiên tai",
    "KHO_KHAN_NHA_O": "Khó khăn về nhà ở",
    "KHAC": "Khác",
    "TET_SUM_VAY": '"Tết sum vầy"',
    "THANG_CONG_NHAN": '"Tháng Công nhân"',
    "MAI_AM_XAY_MOI": '"Mái ấm Công đoàn" xây mới',
    "MAI_AM_SUA_CHUA": '"Mái ấm Công đoàn" sửa chữa',
    "THAM_HOI_OM_DAU": "Thăm hỏi ốm đau",
    "TRO_CAP_DOT_XUAT": "Trợ cấp khó khăn đột xuất",
    "HO_TRO_MAT_VIEC": "Hỗ trợ mất việc, giảm giờ làm",
    "CHO_TET": '"Chợ Tết Công đoàn"',
    "CHUYEN_XE_CONG_DOAN": '"Chuyến xe Công đoàn"',
    "TAM_VE_NGHIA_TINH": '"Tấm vé nghĩa tình"',
    "BUA_COM_CONG_DOAN": '"Bữa cơm Công đoàn"',
    "HOC_BONG": "Học bổng cho con đoàn viên",
    "THE_BHYT_THAN_NHAN": "Thẻ BHYT cho thân nhân",
    "VAY_VON_VIEC_LAM": "Vay vốn giải quyết việc làm",
    "CDCS": "Công đoàn cơ sở",
    "CAP_TREN": "Công đoàn cấp trên",
    "QUY_XA_HOI": "Quỹ Xã hội Công đoàn",
    "TLD": "Tổng Liên đoàn Lao động Việt Nam",
    "XA_HOI_HOA": "Xã hội hóa",
    "CHINH_QUYEN": "Chính quyền",
    "DOANH_NGHIEP": "Doanh nghiệp",
    "DTTS": "Người dân tộc thiểu số",
    "NU_MANG_THAI": "Lao động nữ mang thai",
    "CON_DUOI_6": "Có con dưới 6 tuổi",
    "KHUYET_TAT": "Người khuyết tật",
    "CAO_TUOI": "Người cao tuổi",
    "Nam": "Nam",
    "Nữ": "Nữ",
    "A": "Loại A",
    "B": "Loại B",
    "C": "Loại C",
    "D": "Loại D",
    "CXL": "Chưa xếp loại",
}


def _guide_lines(form: Form) -> list[str]:
    cdcs = form is Form.CDCS
    who = "công đoàn cơ sở (CĐCS)" if cdcs else "công đoàn cấp trên trực tiếp cơ sở (CĐ cấp trên)"
    lines = [
        f"Biểu mẫu dùng cho {who} báo cáo kết quả chăm lo phúc lợi đoàn viên, người lao động "
        "hằng năm theo Chương trình 04/CTr-LĐLĐ của LĐLĐ tỉnh Hà Tĩnh.",
        "Thời hạn nộp: CĐCS nộp đầu tháng 11; CĐ cấp trên trước ngày 20/11.",
        "Sheet ThongTin: điền cột «Giá trị». Mã đơn vị (theo danh mục của LĐLĐ tỉnh) và năm báo "
        "cáo là bắt buộc; email dùng để nhận phản hồi về báo cáo.",
        "Sheet ChiTieu: điền cột «Số liệu» cho từng chỉ tiêu; cột «Ghi chú» để giải thích khi cần.",
    ]
    if cdcs:
        lines.append(
            "Sheet HoTro: mỗi dòng là một lượt hỗ trợ cho một đoàn viên, người lao động, điền từ "
            "dòng ngay dưới dòng mã cột; không có lượt hỗ trợ nào thì để trống."
        )
    lines += [
        "Số người, số lượng: số nguyên không âm. Số tiền: tính bằng đồng, số nguyên không âm "
        "(ví dụ 1.500.000), không ghi chữ «triệu», «đồng».",
        "Ô có/không: chọn 1 (có) hoặc 0 (không) trong danh sách.",
    ]
    if cdcs:
        lines += [
            "Xếp loại thỏa ước: A, B, C, D hoặc CXL (chưa xếp loại); để trống nếu không có thỏa "
            "ước lao động tập thể còn hiệu lực.",
            "Ngày: nhập theo dạng dd/mm/yyyy (ví dụ 05/11/2025).",
            "Số định danh cá nhân (CCCD): đủ 12 chữ số, có thể để trống. Năm sinh: 4 chữ số.",
            "Giới tính, hoàn cảnh, chương trình, nguồn kinh phí: chọn mã trong danh sách (xem "
            "Danh mục mã bên dưới). Đối tượng yếu thế: có thể ghi nhiều mã, cách nhau bằng dấu "
            "chấm phẩy, ví dụ DTTS;CON_DUOI_6; để trống nếu không thuộc đối tượng nào.",
            "Danh sách HoTro chứa dữ liệu cá nhân (Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15): "
            "chỉ gửi qua kênh do LĐLĐ tỉnh quy định, không gửi qua mạng xã hội.",
        ]
    else:
        lines.append("Ngày: nhập theo dạng dd/mm/yyyy (ví dụ 15/11/2025).")
    lines += [
        "Không sửa, xóa hay đổi thứ tự các cột, các dòng mã, nhãn và tên sheet. Các sheet được "
        "khóa (không đặt mật khẩu) để tránh sửa nhầm; chỉ các ô nhập liệu được mở.",
        "Tệp được chấp nhận: .xlsx, .xls, .ods hoặc .csv (UTF-8 hoặc UTF-16). Tên tệp không "
        "quan trọng: đơn vị được xác định theo sheet ThongTin.",
        "Nộp lại báo cáo đã sửa: gửi lại toàn bộ tệp; bản nộp sau thay thế bản trước.",
    ]
    return lines


def _guide_lists(form: Form) -> list[tuple[str, str]]:
    """(code list, label) of the lists the form's fields use, in field order."""
    form_fields = figure_fields(form) + (SUPPORT_FIELDS if form is Form.CDCS else ())
    seen: dict[str, str] = {}
    for f in form_fields:
        if f.code_list and f.code_list not in seen:
            seen[f.code_list] = f.label
    return list(seen.items())


def _guide_sheet(form: Form, version: str) -> tuple[_Sheet, dict[str, str]]:
    """The HuongDan sheet, and where each code list sits in it (for long drop-down lists)."""
    sheet = _Sheet(SHEET_GUIDE)
    sheet.widths = {0: 30, 1: 24, 2: 52}
    sheet.span(0, 0, 2, f"HƯỚNG DẪN ĐIỀN BIỂU MẪU {form.value} (phiên bản {version})", "title")
    sheet.row_heights[0] = 36
    row = 2
    for n, line in enumerate(_guide_lines(form), start=1):
        sheet.span(row, 0, 2, f"{n}. {line}", "text")
        sheet.row_heights[row] = 16.5 * (1 + len(line) // 95)
        row += 1
    ranges: dict[str, str] = {}
    lists = _guide_lists(form)
    if lists:
        row += 1
        sheet.span(row, 0, 2, "DANH MỤC MÃ", "text_bold")
        row += 1
        for c, header in enumerate(("Danh mục", "Mã", "Ý nghĩa")):
            sheet.put(row, c, header, "header")
        row += 1
        for name, list_label in lists:
            first = row
            for code in CODE_LISTS.get(name, ()):
                sheet.put(row, 0, list_label, "label")
                sheet.put(row, 1, code, "code")
                sheet.put(row, 2, _CODE_MEANINGS.get(code), "label")
                row += 1
            ranges[name] = f"={SHEET_GUIDE}!$B${first + 1}:$B${row}"
    return sheet, ranges


def _check_content(content: ReportContent) -> None:
    known_info = {f.code for f in INFO_FIELDS}
    known_figures = {f.code for f in figure_fields(content.form)}
    known_support = {f.code for f in SUPPORT_FIELDS}
    problems = []
    if unknown := sorted(set(content.info) - known_info):
        problems.append(f"{SHEET_INFO}: unknown field codes {unknown}")
    if unknown := sorted(set(content.figures) - known_figures):
        problems.append(f"{SHEET_FIGURES} ({content.form.value}): unknown field codes {unknown}")
    for i, case in enumerate(content.support):
        if unknown := sorted(set(case) - known_support):
            problems.append(f"{SHEET_SUPPORT} case {i + 1}: unknown field codes {unknown}")
            break
    if content.support and content.form is not Form.CDCS:
        problems.append(f"{SHEET_SUPPORT}: only form CDCS has a support list")
    if problems:
        raise ReportContentError("; ".join(problems))


def _layout(content: ReportContent, quirks: Quirks, formulas_ok: bool) -> list[_Sheet]:
    _check_content(content)
    version = str(content.info.get("phien_ban_bieu_mau") or FORM_VERSIONS[content.form][0])
    guide, list_ranges = _guide_sheet(content.form, version)
    # Literal drop-down lists where Excel allows them (255 characters), else the HuongDan cells.
    list_ranges = {name: where for name, where in list_ranges.items() if len(",".join(CODE_LISTS[name])) > 255}
    sheets = [
        _info_sheet(content, quirks, formulas_ok),
        _figures_sheet(content, quirks, formulas_ok, list_ranges),
    ]
    if content.form is Form.CDCS:
        sheets.append(_support_sheet(content, quirks, formulas_ok, list_ranges))
    sheets.append(guide)
    return sheets


# --------------------------------------------------------------------------------------------
# Renderers.


def _xlsx_check_options(check: _Check) -> dict[str, Any]:
    options: dict[str, Any]
    if check.kind == "list":
        source: Any = check.source_range or list(check.codes)
        options = {"validate": "list", "source": source}
    elif check.kind == "whole":
        options = {"validate": "integer", "criteria": ">=", "value": 0}
    elif check.kind == "year":
        options = {"validate": "integer", "criteria": "between", "minimum": _YEAR_RANGE[0]}
        options["maximum"] = _YEAR_RANGE[1]
    elif check.kind == "date":
        options = {"validate": "date", "criteria": "between", "minimum": _DATE_RANGE[0]}
        options["maximum"] = _DATE_RANGE[1]
    else:
        return {"validate": "any", "input_title": "Hướng dẫn", "input_message": check.message}
    options |= {"error_title": "Giá trị không hợp lệ", "error_message": check.message}
    return options


def _xlsx_format(style: _Style) -> dict[str, Any]:
    props: dict[str, Any] = {
        "font_name": FONT,
        "font_size": style.size,
        "valign": "vcenter",
        "locked": style.locked,
    }
    if style.bold:
        props["bold"] = True
    if style.italic:
        props["italic"] = True
    if style.grey:
        props["font_color"] = "#595959"
    if style.align != "left":
        props["align"] = style.align
    if style.wrap:
        props["text_wrap"] = True
    if style.border:
        props["border"] = 1
    if style.fill:
        props["bg_color"] = "#D9E1F2"
    if style.num_format:
        props["num_format"] = style.num_format
    return props


def _render_xlsx(path: Path, sheets: Sequence[_Sheet], content: ReportContent) -> None:
    import xlsxwriter  # heavy: imported when a workbook is written

    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "in_memory": True,  # fixed zip timestamps, no temporary files
            "default_format_properties": {"font_name": FONT, "font_size": 12},
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    formats = {name: workbook.add_format(_xlsx_format(style)) for name, style in _STYLES.items()}
    for sheet in sheets:
        ws = workbook.add_worksheet(sheet.name)
        for c in range(sheet.n_cols):
            column_format = formats[sheet.column_styles[c]] if c in sheet.column_styles else None
            ws.set_column(c, c, sheet.widths.get(c, 12), column_format)
        for r, height in sheet.row_heights.items():
            ws.set_row(r, height)
        merged_at = {(r1, c1): (r2, c2) for r1, c1, r2, c2 in sheet.merges}
        for (r, c), cell in sheet.cells.items():
            fmt = formats[cell.style]
            if (r, c) in merged_at:
                r2, c2 = merged_at[(r, c)]
                ws.merge_range(r, c, r2, c2, "", fmt)
            value = cell.value
            if value is None:
                ws.write_blank(r, c, None, fmt)
            elif isinstance(value, _Formula):
                ws.write_formula(r, c, value.text, fmt, value.value)
            elif isinstance(value, str):
                ws.write_string(r, c, value, fmt)
            elif isinstance(value, date):
                ws.write_datetime(r, c, value, fmt)
            else:
                ws.write_number(r, c, value, fmt)
        for r1, c1, r2, c2, check in sheet.checks:
            if ws.data_validation(r1, c1, r2, c2, _xlsx_check_options(check)) != 0:
                raise RuntimeError(f"{sheet.name}: Excel refused a data validation ({check.kind})")
        if sheet.freeze_row is not None:
            ws.freeze_panes(sheet.freeze_row, 0)
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        if sheet.landscape:
            ws.set_landscape()
        options = {"format_columns": True, "format_rows": True}
        if sheet.row_edits:
            options |= {"insert_rows": True, "delete_rows": True, "sort": True, "autofilter": True}
        ws.protect(PROTECTION_PASSWORD, options)
    workbook.set_properties(
        {
            "title": "Báo cáo kết quả chăm lo phúc lợi đoàn viên",
            "subject": f"{content.form.value} {_year_text(content.info)}",
            "author": "Liên đoàn Lao động tỉnh Hà Tĩnh",
            "company": "Liên đoàn Lao động tỉnh Hà Tĩnh",
            "created": _document_time(content.info).replace(tzinfo=None),
        }
    )
    workbook.close()


_XLS_ALIGN = {"left": "left", "center": "center", "right": "right"}


def _xls_style(style: _Style) -> Any:
    import xlwt

    font = f"font: name {FONT}, height {style.size * 20}"
    font += ", bold on" if style.bold else ""
    font += ", italic on" if style.italic else ""
    font += ", colour grey50" if style.grey else ""
    parts = [font, f"align: horiz {_XLS_ALIGN[style.align]}, vert center" + (", wrap on" if style.wrap else "")]
    if style.border:
        parts.append("borders: left thin, right thin, top thin, bottom thin")
    if style.fill:
        parts.append("pattern: pattern solid, fore_colour pale_blue")
    parts.append(f"protection: cell_locked {'true' if style.locked else 'false'}")
    return xlwt.easyxf("; ".join(parts), num_format_str=style.num_format or "General")


def _render_xls(path: Path, sheets: Sequence[_Sheet]) -> None:
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    styles = {name: _xls_style(style) for name, style in _STYLES.items()}
    for sheet in sheets:
        if sheet.n_rows > _XLS_MAX_ROWS:
            raise ReportContentError(f"{sheet.name}: {sheet.n_rows} rows do not fit in an .xls sheet")
        ws = workbook.add_sheet(sheet.name)
        for c, width in sheet.widths.items():
            ws.col(c).width = int(width * 256)
        merged_at = {(r1, c1): (r2, c2) for r1, c1, r2, c2 in sheet.merges}
        for (r, c), cell in sorted(sheet.cells.items()):
            value = cell.value.value if isinstance(cell.value, _Formula) else cell.value
            style = styles[cell.style]
            if (r, c) in merged_at:
                r2, c2 = merged_at[(r, c)]
                ws.write_merge(r, r2, c, c2, value, style)
            else:
                ws.write(r, c, value, style)
        ws.protect = True
    workbook.save(str(path))


def _ods_styles(doc: Any) -> None:
    """Register the cell styles of `_STYLES` (as `ce_<name>`) and their number formats."""
    from odf import number
    from odf import style as odf_style

    doc.fontfacedecls.addElement(
        odf_style.FontFace(name=FONT, fontfamily=f"'{FONT}'", fontfamilygeneric="roman", fontpitch="variable")
    )
    date_style = number.DateStyle(name="N_date")
    for part in (
        number.Day(style="long"),
        number.Text(text="/"),
        number.Month(style="long"),
        number.Text(text="/"),
        number.Year(style="long"),
    ):
        date_style.addElement(part)
    grouped_style = number.NumberStyle(name="N_grouped")
    grouped_style.addElement(number.Number(decimalplaces="0", minintegerdigits="1", grouping="true"))
    plain_style = number.NumberStyle(name="N_plain")
    plain_style.addElement(number.Number(decimalplaces="0", minintegerdigits="1"))
    for data_style in (date_style, grouped_style, plain_style):
        doc.automaticstyles.addElement(data_style)
    data_styles = {"dd/mm/yyyy": "N_date", "#,##0": "N_grouped", "0": "N_plain"}

    for name, spec in _STYLES.items():
        attrs = {"name": f"ce_{name}", "family": "table-cell"}
        if spec.num_format in data_styles:
            attrs["datastylename"] = data_styles[spec.num_format]
        cell_style = odf_style.Style(**attrs)
        cell_props = {"verticalalign": "middle", "cellprotect": "protected" if spec.locked else "none"}
        if spec.wrap:
            cell_props["wrapoption"] = "wrap"
        if spec.border:
            cell_props["border"] = "0.5pt solid #000000"
        if spec.fill:
            cell_props["backgroundcolor"] = "#d9e1f2"
        cell_style.addElement(odf_style.TableCellProperties(**cell_props))
        if spec.align != "left":
            cell_style.addElement(odf_style.ParagraphProperties(textalign=spec.align))
        text_props = {"fontname": FONT, "fontsize": f"{spec.size}pt"}
        if spec.bold:
            text_props["fontweight"] = "bold"
        if spec.italic:
            text_props["fontstyle"] = "italic"
        if spec.grey:
            text_props["color"] = "#595959"
        cell_style.addElement(odf_style.TextProperties(**text_props))
        doc.automaticstyles.addElement(cell_style)


def _ods_cell(cell: _Cell | None, span: tuple[int, int] | None) -> Any:
    """One table:table-cell; `span` is (rows, columns) for the first cell of a merge."""
    from odf import table as odf_table
    from odf import teletype
    from odf import text as odf_text

    attrs: dict[str, Any] = {}
    if span is not None:
        attrs |= {"numberrowsspanned": span[0], "numbercolumnsspanned": span[1]}
    if cell is None:
        return odf_table.TableCell(**attrs)
    attrs["stylename"] = f"ce_{cell.style}"
    value = cell.value
    shown: str | None = None
    if isinstance(value, _Formula):
        attrs |= {"valuetype": "float", "value": value.value, "formula": f"of:{value.text}"}
        shown = _grouped(value.value, ".")
    elif isinstance(value, str):
        attrs["valuetype"] = "string"
        shown = value
    elif isinstance(value, date):
        attrs |= {"valuetype": "date", "datevalue": value.isoformat()}
        shown = _dmy(value)
    elif value is not None:
        attrs |= {"valuetype": "float", "value": value}
        shown = str(value)
    element = odf_table.TableCell(**attrs)
    if shown is not None:
        paragraph = odf_text.P()
        teletype.addTextToElement(paragraph, shown)  # keeps runs of spaces (text:s)
        element.addElement(paragraph)
    return element


def _ods_table(doc: Any, sheet: _Sheet, sheet_index: int) -> Any:
    from odf import style as odf_style
    from odf import table as odf_table

    table = odf_table.Table(name=sheet.name, protected="true")
    for c in range(sheet.n_cols):
        column_style = odf_style.Style(name=f"co_{sheet_index}_{c}", family="table-column")
        width_cm = 0.21 * sheet.widths.get(c, 12) + 0.1
        column_style.addElement(odf_style.TableColumnProperties(columnwidth=f"{width_cm:.2f}cm"))
        doc.automaticstyles.addElement(column_style)
        table.addElement(odf_table.TableColumn(stylename=column_style))

    spans = {(r1, c1): (r2 - r1 + 1, c2 - c1 + 1) for r1, c1, r2, c2 in sheet.merges}
    covered = {
        (r, c)
        for r1, c1, r2, c2 in sheet.merges
        for r in range(r1, r2 + 1)
        for c in range(c1, c2 + 1)
        if (r, c) != (r1, c1)
    }
    row_width = [0] * sheet.n_rows
    for r, c in [*sheet.cells, *covered]:
        row_width[r] = max(row_width[r], c + 1)
    for r, width in enumerate(row_width):
        row = odf_table.TableRow()
        for c in range(max(width, 1)):
            if (r, c) in covered:
                row.addElement(odf_table.CoveredTableCell())
            else:
                row.addElement(_ods_cell(sheet.cells.get((r, c)), spans.get((r, c))))
        table.addElement(row)
    return table


def _ods_namespaces() -> dict[str, str]:
    from odf import namespaces

    wanted = (
        "chart",
        "dc",
        "dr3d",
        "draw",
        "fo",
        "form",
        "meta",
        "number",
        "of",
        "office",
        "presentation",
        "script",
        "style",
        "svg",
        "table",
        "text",
        "xlink",
    )
    return dict(sorted((url, prefix) for url, prefix in namespaces.nsdict.items() if prefix in wanted))


def _render_ods(path: Path, sheets: Sequence[_Sheet], content: ReportContent) -> None:
    from odf import dc, meta
    from odf.element import Element
    from odf.opendocument import OpenDocumentSpreadsheet

    # odfpy keeps the namespaces it has seen in a class-level dict shared by every document of the
    # process, so what was written before (a formula, a first document) changes the next file's
    # bytes. Every file is written with the same complete, sorted set instead.
    Element.namespaces.clear()
    Element.namespaces.update(_ods_namespaces())
    doc = OpenDocumentSpreadsheet()
    created = _document_time(content.info)
    stamp = created.replace(tzinfo=None).isoformat()
    doc.meta.addElement(meta.CreationDate(text=stamp))
    doc.meta.addElement(dc.Date(text=stamp))
    doc.meta.addElement(dc.Title(text="Báo cáo kết quả chăm lo phúc lợi đoàn viên"))
    _ods_styles(doc)
    for index, sheet in enumerate(sheets):
        doc.spreadsheet.addElement(_ods_table(doc, sheet, index))
    buffer = io.BytesIO()
    doc.save(buffer)
    _rezip_fixed_time(buffer.getvalue(), path, created)


def _rezip_fixed_time(archive: bytes, path: Path, when: datetime) -> None:
    """Copy a zip archive, entry order kept, with every timestamp set to `when`.

    odfpy stamps entries with the wall clock; this makes the bytes depend on the report only.
    """
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(path, "w") as target:
        for entry in source.infolist():
            copy = zipfile.ZipInfo(entry.filename, date_time=stamp)
            copy.compress_type = entry.compress_type
            copy.external_attr = entry.external_attr
            copy.create_system = 3
            target.writestr(copy, source.read(entry.filename))


# --------------------------------------------------------------------------------------------
# Public API.


def write_template(path: Path, form: Form, info: Mapping[str, object]) -> None:
    """Write the official blank template of `form` for one unit (.xlsx).

    `info` pre-fills ThongTin (typically ma_don_vi, ten_don_vi, ma_cap_tren, nam_bao_cao);
    `phien_ban_bieu_mau` defaults to the form's current version.
    """
    form = Form(form)
    if Path(path).suffix.lower() != ".xlsx":
        raise UnsupportedFileTypeError(f"the template is an .xlsx workbook, not {Path(path).name!r}")
    filled = dict(info)
    if not filled.get("phien_ban_bieu_mau"):
        filled["phien_ban_bieu_mau"] = FORM_VERSIONS[form][0]
    content = ReportContent(form=form, info=filled, figures={}, support=[])
    _render_xlsx(Path(path), _layout(content, Quirks(), formulas_ok=True), content)


def write_report(path: Path, content: ReportContent, quirks: Quirks | None = None) -> None:
    """Write a filled report as a unit would send it; the suffix of `path` picks the format.

    `.xlsx` is the template filled in (validations and protection kept), `.xls` (Excel 97–2003)
    and `.ods` have the same sheets and cells. `quirks` adds the layout faults of real files.
    """
    path = Path(path)
    quirks = quirks or Quirks()
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        _render_xlsx(path, _layout(content, quirks, formulas_ok=True), content)
    elif suffix == ".xls":
        _render_xls(path, _layout(content, quirks, formulas_ok=False))
    elif suffix == ".ods":
        _render_ods(path, _layout(content, quirks, formulas_ok=True), content)
    else:
        raise UnsupportedFileTypeError(
            f"cannot write a report as {path.suffix or 'a file without suffix'!r}: "
            f"use one of {', '.join(REPORT_SUFFIXES)}"
        )


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return f"{_dmy(value)} {value:%H:%M:%S}"
    if isinstance(value, date):
        return _dmy(value)
    return str(value)


def write_bulk_csv(
    path: Path,
    rows: Iterable[Mapping[str, object]],
    columns: Sequence[str],
    encoding: str = "utf-8",
    *,
    delimiter: str = ",",
) -> None:
    """Stream rows to a bulk CSV file: a header of field codes, then one line per row.

    Dates are written dd/mm/yyyy, None as an empty field, lines end CRLF. `encoding` is one of
    `BULK_ENCODINGS` ("utf-16" is little-endian with a BOM, like Excel's "Unicode text"; it
    stays comma-separated unless `delimiter` says otherwise). Rows are consumed one at a time,
    never held in memory. A row with a key outside `columns` is an error.
    """
    if encoding not in BULK_ENCODINGS:
        raise ValueError(f"unsupported CSV encoding {encoding!r}: use one of {', '.join(BULK_ENCODINGS)}")
    codec, bom = BULK_ENCODINGS[encoding]
    header = list(columns)
    known = frozenset(header)
    written = 0

    def lines() -> Iterator[list[str]]:
        nonlocal written
        for row in rows:
            if not known.issuperset(row):
                unknown = sorted(set(row) - known)
                raise ReportContentError(f"row {written + 1}: field codes {unknown} are not among the columns")
            yield [_csv_text(row.get(code)) for code in header]
            written += 1

    with Path(path).open("w", encoding=codec, newline="") as handle:
        handle.write(bom)
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(lines())
