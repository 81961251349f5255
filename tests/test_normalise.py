"""Cell values as people type them: every accepted spelling, every error code, and round-trip properties."""

from __future__ import annotations

import pickle
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from welfare.forms import CDCS_FIGURES, INFO_FIELDS, SUPPORT_FIELDS, field_by_code
from welfare.intake.normalise import (
    ERROR_MESSAGES,
    ParseError,
    excel_serial,
    fold,
    is_blank,
    parse_code,
    parse_codes,
    parse_date,
    parse_decimal,
    parse_email,
    parse_flag,
    parse_grade,
    parse_number,
    parse_percent,
    parse_text,
    parse_value,
)


def error_code(func, *args, **kwargs) -> str:
    with pytest.raises(ParseError) as caught:
        func(*args, **kwargs)
    assert caught.value.detail
    return caught.value.code


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1234567, 1234567),
        (1234567.0, 1234567),
        (Decimal("1234567"), 1234567),
        ("1.234.567", 1234567),
        ("1,234,567", 1234567),
        ("1 234 567", 1234567),
        ("1\u00a0234\u00a0567", 1234567),  # no-break spaces
        ("1\u202f234\u202f567", 1234567),  # narrow no-break spaces
        ("1234567", 1234567),
        ("  42 ", 42),
        ("1.234.567 đ", 1234567),
        ("1.234.567đ", 1234567),
        ("1.234.567đồng", 1234567),
        ("1.234.567 đồng", 1234567),
        ("1,234,567 VND", 1234567),
        ("1.234.567 VNĐ", 1234567),
        ("1.234.567₫", 1234567),
        ("VND 1.000", 1000),
        ("1.234", 1234),  # a single dot before 3 digits groups thousands
        ("1,234", 1234),
        ("12.345", 12345),
        ("123.456", 123456),
        ("1.234.567,00", 1234567),  # Vietnamese decimals that are zero
        ("1,234,567.00", 1234567),
        ("0", 0),
        ("-5", -5),
        ("−1.234", -1234),  # U+2212 minus
        ("+7", 7),
        (-3, -3),
        ("1E+6", 1_000_000),  # Excel's scientific display, exported to CSV
        (1100.0000000000002, 1100),  # floating noise from a formula
    ],
)
def test_parse_number_accepts_every_style(raw: object, expected: int) -> None:
    assert parse_number(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "\u00a0", "-", "–", "đ", " VND "])
def test_parse_number_empty(raw: object) -> None:
    assert parse_number(raw) is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1,5", "not_whole"),  # one separator, not followed by 3 digits: a decimal
        ("12.50", "not_whole"),
        ("0,500", "not_whole"),  # a group cannot start with 0: decimal
        ("1234.567", "not_whole"),  # 4 digits before the dot cannot be a thousands group
        ("1.234.567,5", "not_whole"),
        (1.5, "not_whole"),
        (Decimal("2.5"), "not_whole"),
        ("abc", "not_a_number"),
        ("12 người", "not_a_number"),
        ("1.23.4", "not_a_number"),  # malformed groups are refused, not guessed
        ("1,2345", "not_whole"),
        ("1.234,5.6", "not_a_number"),
        ("12,5%", "not_a_number"),
        ("1.", "not_a_number"),
        (True, "not_a_number"),
        (date(2025, 1, 1), "not_a_number"),
        (float("nan"), "not_a_number"),
        (float("inf"), "not_a_number"),
        ("9" * 40, "not_a_number"),
        ("1e999999999", "not_a_number"),
        ("#DIV/0!", "not_a_number"),
    ],
)
def test_parse_number_errors(raw: object, code: str) -> None:
    assert error_code(parse_number, raw) == code


def test_parse_number_negative_allowed_unless_refused() -> None:
    assert parse_number("-1.000") == -1000
    assert error_code(parse_number, "-1.000", allow_negative=False) == "negative"
    assert error_code(parse_number, -1.0, allow_negative=False) == "negative"
    assert parse_number(0, allow_negative=False) == 0


def test_parse_decimal_and_percent() -> None:
    assert parse_decimal("1.234,5") == Decimal("1234.5")
    assert parse_decimal("1,234.5") == Decimal("1234.5")
    assert parse_decimal("1,5") == Decimal("1.5")
    assert parse_decimal(0.1) == Decimal("0.1")
    assert parse_decimal("") is None
    assert parse_decimal(None) is None
    assert error_code(parse_decimal, "12%") == "not_a_number"
    assert parse_percent("12,5%") == Decimal("0.125")
    assert parse_percent("12.5%") == Decimal("0.125")
    assert parse_percent("12,5 %") == Decimal("0.125")
    assert parse_percent("100%") == 1
    assert parse_percent(0.125) == Decimal("0.125")  # Excel stores 12.5% as 0.125
    assert parse_percent(" ") is None
    assert error_code(parse_percent, "x%") == "not_a_number"


# --- flags -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1, 1),
        (0, 0),
        (1.0, 1),
        (0.0, 0),
        (True, 1),
        (False, 0),
        ("1", 1),
        ("0", 0),
        ("1.0", 1),
        ("1,0", 1),
        ("Có", 1),
        ("có", 1),
        ("Co", 1),
        ("CÓ", 1),
        ("Không", 0),
        ("không", 0),
        ("Khong", 0),
        ("KHÔNG", 0),
        ("x", 1),
        ("X", 1),
        ("✓", 1),
        ("✔", 1),
        ("yes", 1),
        ("Yes", 1),
        ("no", 0),
        ("true", 1),
        ("TRUE", 1),
        ("false", 0),
        ("", None),
        ("  ", None),
        (None, None),
    ],
)
def test_parse_flag(raw: object, expected: int | None) -> None:
    assert parse_flag(raw) == expected


@pytest.mark.parametrize("raw", [2, 0.5, "2", "maybe", "có lẽ", date(2025, 1, 1)])
def test_parse_flag_errors(raw: object) -> None:
    assert error_code(parse_flag, raw) == "bad_flag"


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (date(2025, 3, 4), date(2025, 3, 4)),
        (datetime(2025, 3, 4, 10, 30), date(2025, 3, 4)),
        (45658, date(2025, 1, 1)),
        (45658.0, date(2025, 1, 1)),
        (45658.75, date(2025, 1, 1)),  # a time of day is dropped
        ("45658", date(2025, 1, 1)),
        ("04/03/2025", date(2025, 3, 4)),  # day first, never month first
        ("4/3/2025", date(2025, 3, 4)),
        ("04-03-2025", date(2025, 3, 4)),
        ("04.03.2025", date(2025, 3, 4)),
        ("31/12/2025", date(2025, 12, 31)),
        ("2025-03-04", date(2025, 3, 4)),
        ("2025-03-04 00:00:00", date(2025, 3, 4)),
        ("2025-03-04T08:00:00", date(2025, 3, 4)),
        ("04/03/2025 08:15", date(2025, 3, 4)),
        (" 04/03/2025 ", date(2025, 3, 4)),
        ("ngày 4 tháng 3 năm 2025", date(2025, 3, 4)),
        ("", None),
        ("-", None),
        (None, None),
    ],
)
def test_parse_date(raw: object, expected: date | None) -> None:
    assert parse_date(raw) == expected


def test_parse_date_1904_system() -> None:
    assert parse_date(0, datemode=1) == date(1904, 1, 1)
    assert parse_date(45658 - 1462, datemode=1) == date(2025, 1, 1)


@pytest.mark.parametrize(
    "raw",
    [
        "31/02/2025",
        "29/02/2025",
        "13/13/2025",
        "12/31/2025",  # month-first is not a date here
        "2025-02-30",
        "04/03/25",  # two-digit year
        "hôm qua",
        0,
        -5,
        60,  # Excel's non-existent 29 February 1900
        10_000_000,
        True,
        time(8, 0),
        timedelta(days=1),
        float("nan"),
    ],
)
def test_parse_date_errors(raw: object) -> None:
    assert error_code(parse_date, raw) == "bad_date"


def test_excel_serial_known_values() -> None:
    assert excel_serial(date(2025, 1, 1)) == 45658
    assert excel_serial(date(1900, 1, 1)) == 1
    assert excel_serial(date(1900, 3, 1)) == 61
    assert parse_date(1) == date(1900, 1, 1)
    assert parse_date(59) == date(1900, 2, 28)
    assert parse_date(61) == date(1900, 3, 1)


# --- text, grades, codes, e-mail -------------------------------------------------------------


def test_parse_text() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hoa")
    assert parse_text(decomposed) == "Nguyễn Thị Hoa"
    assert unicodedata.is_normalized("NFC", parse_text(decomposed) or "")
    assert parse_text("  Công  đoàn\n cơ\tsở  ") == "Công đoàn cơ sở"
    assert parse_text("a\u00a0\u00a0b") == "a b"
    assert parse_text(912345678.0) == "912345678"
    assert parse_text(912345678) == "912345678"
    assert parse_text(2.5) == "2.5"
    assert parse_text("=SUM(A1:A3)") == "=SUM(A1:A3)"  # kept as text, never evaluated
    assert parse_text("'0912") == "'0912"
    assert parse_text("\u200b") is None
    assert parse_text("") is None
    assert parse_text("   ") is None
    assert parse_text(None) is None
    assert parse_text(date(2025, 1, 2)) == "2025-01-02"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("A", "A"),
        ("b", "B"),
        (" c ", "C"),
        ("D", "D"),
        ("CXL", "CXL"),
        ("cxl", "CXL"),
        ("Chưa xếp loại", "CXL"),
        ("chua xep loai", "CXL"),
        ("Loại B", "B"),
        ("", None),
        (None, None),
    ],
)
def test_parse_grade(raw: object, expected: str | None) -> None:
    assert parse_grade(raw) == expected


@pytest.mark.parametrize("raw", ["E", "AB", "Tốt", 1])
def test_parse_grade_errors(raw: object) -> None:
    assert error_code(parse_grade, raw) == "bad_grade"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nam", "Nam"),
        ("nam", "Nam"),
        ("NAM", "Nam"),
        ("Nữ", "Nữ"),
        ("nữ", "Nữ"),
        ("nu", "Nữ"),
        ("NU", "Nữ"),
        ("NỮ", "Nữ"),
        (unicodedata.normalize("NFD", "Nữ"), "Nữ"),
        ("", None),
    ],
)
def test_parse_code_sex(raw: object, expected: str | None) -> None:
    assert parse_code(raw, "gioi_tinh") == expected


def test_parse_code_case_and_separators() -> None:
    assert parse_code("THU_NHAP_THAP", "nhom_hoan_canh") == "THU_NHAP_THAP"
    assert parse_code("thu_nhap_thap", "nhom_hoan_canh") == "THU_NHAP_THAP"
    assert parse_code(" Thu nhap thap ", "nhom_hoan_canh") == "THU_NHAP_THAP"
    assert parse_code("quy_xa_hoi", "nguon_kinh_phi") == "QUY_XA_HOI"
    assert error_code(parse_code, "GIAU", "nhom_hoan_canh") == "bad_code"
    assert error_code(parse_code, 3, "nguon_kinh_phi") == "bad_code"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("DTTS", "DTTS"),
        ("DTTS;CON_DUOI_6", "DTTS;CON_DUOI_6"),
        ("dtts; con_duoi_6", "DTTS;CON_DUOI_6"),
        ("DTTS, KHUYET_TAT", "DTTS;KHUYET_TAT"),
        ("DTTS KHUYET_TAT", "DTTS;KHUYET_TAT"),
        ("DTTS;;DTTS;", "DTTS"),
        (" ; ", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_codes(raw: object, expected: str | None) -> None:
    assert parse_codes(raw, "doi_tuong_yeu_the") == expected


def test_parse_codes_unknown() -> None:
    with pytest.raises(ParseError) as caught:
        parse_codes("DTTS;GIA_DINH_DONG_CON", "doi_tuong_yeu_the")
    assert caught.value.code == "bad_code"
    assert "GIA_DINH_DONG_CON" in caught.value.detail


def test_parse_email() -> None:
    assert parse_email(" hoa@congdoan.vn ") == "hoa@congdoan.vn"
    assert parse_email("mailto:Hoa.Nguyen@ldld.hatinh.gov.vn") == "Hoa.Nguyen@ldld.hatinh.gov.vn"
    assert parse_email("") is None
    for bad in ("hoa", "hoa@", "@x.vn", "hoa@congdoan", "a@b.vn; c@d.vn", "hoa @x.vn", "a..b@x"):
        assert error_code(parse_email, bad) == "bad_email"


def test_every_error_code_has_both_messages() -> None:
    codes = {"not_a_number", "negative", "not_whole", "bad_date", "bad_flag", "bad_grade", "bad_code", "bad_email"}
    assert set(ERROR_MESSAGES) == codes
    assert all(vi and en for vi, en in ERROR_MESSAGES.values())


def test_parse_error_is_a_value_error_and_pickles() -> None:
    error = ParseError("bad_flag", "'maybe' is neither 1 nor 0")
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.detail) == (error.code, error.detail)


def test_is_blank() -> None:
    assert is_blank(None) and is_blank("") and is_blank(" \u00a0\t")
    assert not is_blank(0) and not is_blank("0")


# --- fold ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Thông tin", "thong tin"),
        ("THÔNG TIN", "thong tin"),
        ("Đoàn viên nữ", "doan vien nu"),
        ('Tổ chức chương trình "Tết sum vầy"', "to chuc chuong trinh tet sum vay"),
        ("ĐV khó khăn được thăm hỏi, hỗ trợ", "dv kho khan duoc tham hoi ho tro"),
        ("ĐV khó khăn được thăm hỏi,hỗ trợ", "dv kho khan duoc tham hoi ho tro"),
        ("Số định danh cá nhân (CCCD)", "so dinh danh ca nhan cccd"),
        ("  Chỉ   tiêu  ", "chi tieu"),
        ("Chi tieu", "chi tieu"),
        ("thu_nhap_thap", "thu nhap thap"),
        ("Số tiền / giá trị", "so tien gia tri"),
    ],
)
def test_fold(label: str, expected: str) -> None:
    assert fold(label) == expected


def test_fold_matches_decomposed_and_precomposed_text() -> None:
    label = "Ngày ký thỏa ước"
    assert fold(unicodedata.normalize("NFD", label)) == fold(label) == "ngay ky thoa uoc"


# --- parse_value -----------------------------------------------------------------------------


def test_parse_value_dispatches_on_kind() -> None:
    figures = field_by_code(CDCS_FIGURES)
    info = field_by_code(INFO_FIELDS)
    support = field_by_code(SUPPORT_FIELDS)
    assert parse_value("1.234", figures["tong_doan_vien"]) == 1234
    assert parse_value("1.500.000 đ", figures["gia_tri_qua_tet"]) == 1_500_000
    assert parse_value("Có", figures["co_thoa_uoc"]) == 1
    assert parse_value("b", figures["xep_loai_thoa_uoc"]) == "B"
    assert parse_value("15/03/2024", figures["ngay_ky_thoa_uoc"]) == date(2024, 3, 15)
    assert parse_value(2025.0, info["nam_bao_cao"]) == 2025
    assert parse_value("hoa@x.vn", info["email"]) == "hoa@x.vn"
    assert parse_value(912345678.0, info["dien_thoai"]) == "912345678"
    assert parse_value("nu", support["gioi_tinh"]) == "Nữ"
    assert parse_value("dtts;khuyet_tat", support["doi_tuong_yeu_the"]) == "DTTS;KHUYET_TAT"
    assert parse_value("042095012345", support["so_dinh_danh"]) == "042095012345"
    with pytest.raises(ParseError):
        parse_value("1,5", figures["tong_doan_vien"])


# --- properties ------------------------------------------------------------------------------

naturals = st.integers(min_value=0, max_value=10**15)


@given(naturals)
def test_vietnamese_grouping_round_trips(n: int) -> None:
    assert parse_number(f"{n:,}".replace(",", ".")) == n


@given(naturals)
def test_english_grouping_round_trips(n: int) -> None:
    assert parse_number(f"{n:,}") == n


@given(naturals, st.sampled_from([" ", "\u00a0", "\u202f"]))
def test_space_grouping_round_trips(n: int, space: str) -> None:
    assert parse_number(f"{n:,}".replace(",", space)) == n


@given(naturals, st.sampled_from(["", " đ", "đ", " đồng", " VND", "₫"]))
def test_plain_digits_and_currency_round_trip(n: int, suffix: str) -> None:
    assert parse_number(f"{n}{suffix}") == n
    assert parse_number(float(n) if n < 2**53 else n) == n


@given(st.integers(min_value=-(10**15), max_value=-1))
def test_negative_numbers_come_back_negative(n: int) -> None:
    assert parse_number(f"{n:,}".replace(",", ".")) == n


valid_dates = st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31))


@given(valid_dates)
def test_day_first_text_round_trips(day: date) -> None:
    assert parse_date(f"{day.day:02d}/{day.month:02d}/{day.year:04d}") == day
    assert parse_date(f"{day.day}/{day.month}/{day.year:04d}") == day
    assert parse_date(f"{day.day:02d}-{day.month:02d}-{day.year:04d}") == day
    assert parse_date(f"{day.day:02d}.{day.month:02d}.{day.year:04d}") == day
    assert parse_date(day.isoformat()) == day


@given(valid_dates)
def test_excel_serial_round_trips(day: date) -> None:
    assert parse_date(excel_serial(day)) == day
    assert parse_date(float(excel_serial(day))) == day
    if day >= date(1904, 1, 1):
        assert parse_date(excel_serial(day, datemode=1), datemode=1) == day


@given(st.sampled_from([0, 1]), st.sampled_from([int, float, str, "word"]))
def test_flags_round_trip(flag: int, form: object) -> None:
    if form == "word":
        raw: object = "Có" if flag else "Không"
    else:
        assert callable(form)
        raw = form(flag)
    assert parse_flag(raw) == flag


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    once = fold(text)
    assert fold(once) == once


@given(st.text())
def test_fold_removes_every_combining_mark(text: str) -> None:
    folded = fold(text)
    assert not any(unicodedata.category(ch).startswith("M") for ch in folded)
    assert "đ" not in folded and "Đ" not in folded
    assert folded == folded.strip() and "  " not in folded


@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ áàảãạéèẻẽẹíìỉĩịóòỏõọúùủũụýỳỷỹỵ"))
def test_fold_ignores_vietnamese_diacritics_and_case(text: str) -> None:
    assert fold(text) == fold(fold(text).upper())
