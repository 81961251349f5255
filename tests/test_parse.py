"""Reading workbooks and bulk CSV files: layouts real files have, true cell references, rejections."""

from __future__ import annotations

import codecs
import csv
import tracemalloc
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from welfare.forms import (
    CAPTREN_FIGURES,
    CDCS_FIGURES,
    INFO_FIELDS,
    SUPPORT_FIELDS,
    Field,
    Form,
    ReportContent,
)
from welfare.intake.normalise import excel_serial
from welfare.intake.parse import (
    BulkCsv,
    CellRef,
    FileRejected,
    ParsedReport,
    column_letter,
    detect_form,
    parse_csv,
    parse_workbook,
)

Grid = list[list[Any]]
FORMATS = (".xlsx", ".xls", ".ods")

# --- a report to write -----------------------------------------------------------------------

INFO: dict[str, object] = {
    "ma_don_vi": "CS0001",
    "ten_don_vi": "Công đoàn cơ sở Công ty May Hà Tĩnh",
    "ma_cap_tren": "CT01",
    "nam_bao_cao": 2025,
    "ngay_lap": date(2025, 11, 3),
    "nguoi_lap": "Nguyễn Thị Hoa",
    "dien_thoai": "0912345678",
    "email": "hoa@example.vn",
    "chu_tich": "Trần Văn Bình",
    "phien_ban_bieu_mau": "CDCS-2024.1",
}
CDCS: dict[str, object] = {
    "tong_lao_dong": 1250,
    "tong_doan_vien": 1180,
    "doan_vien_nu": 702,
    "dv_duoc_thong_tin": 1100,
    "dv_kho_khan": 85,
    "dv_kho_khan_duoc_ho_tro": 80,
    "dv_huong_phuc_loi": 990,
    "to_chuc_tet_sum_vay": 1,
    "so_suat_qua_tet": 300,
    "gia_tri_qua_tet": 1_234_567_000,
    "to_chuc_thang_cong_nhan": 0,
    "so_cuoc_doi_thoai": 4,
    "so_doi_thoai_phuc_loi_cao_hon": 2,
    "co_thoa_uoc": 1,
    "xep_loai_thoa_uoc": "B",
    "ngay_ky_thoa_uoc": date(2024, 3, 15),
    "so_dieu_khoan_co_loi_hon": 7,
    "tong_chi_tai_chinh": 2_500_000_000,
    "chi_cham_lo_phuc_loi": 1_800_000_000,
    "so_nha_mai_am": 1,
    "so_ld_mat_viec_duoc_ho_tro": 0,
}
CAPTREN: dict[str, object] = {
    "can_bo_chuyen_trach_phuc_loi": 3,
    "can_bo_da_tap_huan": 2,
    "to_chuc_tet_sum_vay": 1,
    "to_chuc_thang_cong_nhan": 1,
    "so_doi_thoai_chinh_quyen": 5,
    "tong_chi_tai_chinh": 900_000_000,
    "chi_cham_lo_phuc_loi": 400_000_000,
    "quy_xa_hoi_van_dong": 150_000_000,
    "vay_von_so_du_an": 2,
    "vay_von_so_tien": 600_000_000,
    "vay_von_so_lao_dong": 14,
    "so_thoa_thuan_phuc_loi": 6,
    "tong_doan_vien_khoi_co_so": 15_230,
    "kien_nghi": "Đề nghị tăng kinh phí hỗ trợ Mái ấm Công đoàn.",
}
SUPPORT: list[dict[str, object]] = [
    {
        "stt": 1,
        "ho_ten": "Lê Thị Mai",
        "so_dinh_danh": "042195012345",
        "nam_sinh": 1985,
        "gioi_tinh": "Nữ",
        "nhom_hoan_canh": "OM_DAU_HIEM_NGHEO",
        "chuong_trinh": "THAM_HOI_OM_DAU",
        "ngay_ho_tro": date(2025, 2, 10),
        "so_tien": 2_000_000,
        "nguon_kinh_phi": "CDCS",
        "doi_tuong_yeu_the": "CON_DUOI_6",
    },
    {
        "stt": 2,
        "ho_ten": "Phan Văn Hùng",
        "so_dinh_danh": None,
        "nam_sinh": 1979,
        "gioi_tinh": "Nam",
        "nhom_hoan_canh": "THU_NHAP_THAP",
        "chuong_trinh": "TET_SUM_VAY",
        "ngay_ho_tro": date(2025, 1, 20),
        "so_tien": 1_000_000,
        "nguon_kinh_phi": "QUY_XA_HOI",
        "doi_tuong_yeu_the": None,
    },
    {
        "stt": 3,
        "ho_ten": "Võ Thị Lan",
        "so_dinh_danh": "042301098765",
        "nam_sinh": 2001,
        "gioi_tinh": "Nữ",
        "nhom_hoan_canh": "KHO_KHAN_NHA_O",
        "chuong_trinh": "MAI_AM_XAY_MOI",
        "ngay_ho_tro": date(2025, 6, 1),
        "so_tien": 60_000_000,
        "nguon_kinh_phi": "XA_HOI_HOA",
        "doi_tuong_yeu_the": "DTTS;NU_MANG_THAI",
    },
]


def strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def same(text: str) -> str:
    return text


# --- layouts ---------------------------------------------------------------------------------

INFO_HEADER = {"code": "Mã", "label": "Nội dung", "value": "Giá trị", "note": "Ghi chú"}
FIGURES_HEADER = {"stt": "STT", "code": "Mã", "label": "Chỉ tiêu", "unit": "ĐVT", "value": "Số liệu", "note": "Ghi chú"}
FIGURE_ORDER = ("stt", "code", "label", "unit", "value", "note")


def key_value_grid(
    fields: Sequence[Field],
    values: dict[str, object],
    header: dict[str, str],
    order: Sequence[str],
    *,
    label: Callable[[str], str] = same,
    above: Sequence[Sequence[object]] = (("BÁO CÁO KẾT QUẢ CHĂM LO PHÚC LỢI ĐOÀN VIÊN NĂM 2025",),),
    top: int = 0,
    left: int = 0,
    blank_before: Iterable[int] = (),
    present: Callable[[Field, object], object] = lambda f, v: v,
    notes: dict[str, str] | None = None,
) -> Grid:
    pad: list[object] = [None] * left
    grid: Grid = [[] for _ in range(top)]
    grid += [pad + list(row) for row in above]
    grid.append(pad + [label(header[key]) for key in order])
    blanks = set(blank_before)
    for i, f in enumerate(fields):
        if i in blanks:
            grid.append([])
        cells = {
            "stt": i + 1,
            "code": f.code,
            "label": label(f.label),
            "unit": label(f.unit) or None,
            "value": present(f, values.get(f.code)),
            "note": (notes or {}).get(f.code),
        }
        grid.append(pad + [cells[key] for key in order])
    return grid


def info_grid(info: dict[str, object] = INFO, order: Sequence[str] = ("code", "label", "value"), **kw: Any) -> Grid:
    return key_value_grid(INFO_FIELDS, info, INFO_HEADER, order, **kw)


def figures_grid(
    figures: dict[str, object] = CDCS,
    fields: Sequence[Field] = CDCS_FIGURES,
    order: Sequence[str] = FIGURE_ORDER,
    **kw: Any,
) -> Grid:
    return key_value_grid(fields, figures, FIGURES_HEADER, order, **kw)


def support_grid(
    rows: Sequence[dict[str, object]] = SUPPORT,
    *,
    codes: bool = True,
    labels: bool = True,
    order: Sequence[str] | None = None,
    label: Callable[[str], str] = same,
    above: Sequence[Sequence[object]] = (("DANH SÁCH ĐOÀN VIÊN ĐƯỢC HỖ TRỢ NĂM 2025",),),
    after: Sequence[Sequence[object]] = (),
) -> Grid:
    by_code = {f.code: f for f in SUPPORT_FIELDS}
    keys = list(order or by_code)
    grid: Grid = [list(row) for row in above]
    if labels:
        grid.append([label(by_code[k].label) if k in by_code else "Ghi chú" for k in keys])
    if codes:
        grid.append([k if k in by_code else None for k in keys])
    for row in rows:
        grid.append([row.get(k) for k in keys])
    grid += [list(row) for row in after]
    return grid


def cdcs_sheets(**overrides: Grid) -> dict[str, Grid]:
    sheets = {"ThongTin": info_grid(), "ChiTieu": figures_grid(), "HoTro": support_grid()}
    sheets.update(overrides)
    return sheets


def captren_sheets() -> dict[str, Grid]:
    info = INFO | {"ma_cap_tren": None, "phien_ban_bieu_mau": "CAPTREN-2024.1"}
    return {"ThongTin": info_grid(info), "ChiTieu": figures_grid(CAPTREN, CAPTREN_FIGURES)}


# --- writers (independent of the project's own writer) ---------------------------------------


def _rect(grid: Grid) -> Grid:
    width = max((len(r) for r in grid), default=0)
    return [list(r) + [None] * (width - len(r)) for r in grid]


def save(path: Path, sheets: dict[str, Grid], merges: dict[str, list[tuple[int, int, int, int]]] | None = None) -> Path:
    """Write grids (row 0 = Excel row 1) as .xlsx (openpyxl), .xls (xlwt) or .ods (pandas/odfpy)."""
    merges = merges or {}
    if path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        book.remove(book.active)
        for name, grid in sheets.items():
            sheet = book.create_sheet(name)
            for r, row in enumerate(grid):
                for c, value in enumerate(row):
                    if value is not None:
                        cell = sheet.cell(row=r + 1, column=c + 1, value=value)
                        if isinstance(value, date):
                            cell.number_format = "dd/mm/yyyy"
            for r1, c1, r2, c2 in merges.get(name, []):
                sheet.merge_cells(start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1)
        book.save(path)
    elif path.suffix == ".xls":
        import xlwt

        book = xlwt.Workbook(encoding="utf-8")
        date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
        for name, grid in sheets.items():
            sheet = book.add_sheet(name)
            merged = {(r1, c1): (r2, c2) for r1, c1, r2, c2 in merges.get(name, [])}
            for r, row in enumerate(grid):
                for c, value in enumerate(row):
                    if (r, c) in merged:
                        r2, c2 = merged[(r, c)]
                        sheet.write_merge(r, r2, c, c2, value)
                    elif value is not None:
                        sheet.write(r, c, value, date_style) if isinstance(value, date) else sheet.write(r, c, value)
        book.save(str(path))
    elif path.suffix == ".ods":
        import pandas as pd

        with pd.ExcelWriter(path, engine="odf") as writer:
            for name, grid in sheets.items():
                frame = pd.DataFrame(_rect(grid) or [[None]], dtype=object)
                frame.to_excel(writer, sheet_name=name, header=False, index=False)
    else:
        raise AssertionError(path.suffix)
    return path


def assert_content(report: ParsedReport, form: Form, info: dict[str, object], figures: dict[str, object]) -> None:
    content = report.content()
    assert isinstance(content, ReportContent)
    assert content.form is form
    assert content.info == {f.code: info.get(f.code) for f in INFO_FIELDS}
    assert content.figures == figures
    assert not report.errors, [(str(v.cell), v.error) for v in report.errors]


# --- plain layout, every format --------------------------------------------------------------


@pytest.mark.parametrize("suffix", FORMATS)
def test_plain_cdcs_report(tmp_path: Path, suffix: str) -> None:
    path = save(tmp_path / f"report{suffix}", cdcs_sheets(), {"ThongTin": [(0, 0, 0, 2)], "ChiTieu": [(0, 0, 0, 5)]})
    report = parse_workbook(path)
    assert_content(report, Form.CDCS, INFO, CDCS)
    assert report.content().support == SUPPORT
    assert report.support_rows == [4, 5, 6]  # title, labels, codes, then the cases
    assert report.problems == []
    # Template positions: ChiTieu header on row 2, value column E; ThongTin values in column C.
    assert str(report.figures["tong_lao_dong"].cell) == "ChiTieu!E3"
    assert str(report.figures["tong_doan_vien"].cell) == "ChiTieu!E4"
    assert str(report.info["ma_don_vi"].cell) == "ThongTin!C3"
    assert str(report.support[2]["so_tien"].cell) == "HoTro!I6"
    assert report.support[0]["ho_ten"].cell == CellRef("HoTro", 4, "B", "ho_ten")


@pytest.mark.parametrize("suffix", FORMATS)
def test_plain_captren_report(tmp_path: Path, suffix: str) -> None:
    report = parse_workbook(save(tmp_path / f"upper{suffix}", captren_sheets()))
    info = INFO | {"ma_cap_tren": None, "phien_ban_bieu_mau": "CAPTREN-2024.1"}
    assert_content(report, Form.CAPTREN, info, CAPTREN)
    assert report.support == []
    assert report.problems == []  # ma_cap_tren is not expected from an upper level


@pytest.mark.parametrize("suffix", FORMATS)
def test_true_cell_references_with_leading_empty_rows_and_columns(tmp_path: Path, suffix: str) -> None:
    # Columns B..E = Mã | Chỉ tiêu | ĐVT | Số liệu; header on row 5; tong_doan_vien on row 7.
    figures = figures_grid(order=("code", "label", "unit", "value"), above=(), top=4, left=1)
    info = info_grid(above=(), top=2, left=3)
    report = parse_workbook(save(tmp_path / f"offset{suffix}", cdcs_sheets(ThongTin=info, ChiTieu=figures)))
    assert str(report.figures["tong_doan_vien"].cell) == "ChiTieu!E7"
    assert report.figures["tong_doan_vien"].value == 1180
    assert str(report.info["ma_don_vi"].cell) == "ThongTin!F4"
    assert_content(report, Form.CDCS, INFO, CDCS)


# --- layout quirks ---------------------------------------------------------------------------

ADMIN_HEADER = (
    ("TỔNG LIÊN ĐOÀN LAO ĐỘNG VIỆT NAM", None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
    ("LĐLĐ TỈNH HÀ TĨNH", None, None, "Độc lập - Tự do - Hạnh phúc"),
    (),
    ("BÁO CÁO KẾT QUẢ CHĂM LO PHÚC LỢI ĐOÀN VIÊN NĂM 2025",),
    ("(Kèm theo Chương trình 04/CTr-LĐLĐ)",),
)


@pytest.mark.parametrize("suffix", FORMATS)
def test_title_rows_merged_titles_blank_rows_and_extra_columns(tmp_path: Path, suffix: str) -> None:
    sheets = cdcs_sheets(
        ThongTin=info_grid(order=("code", "label", "value", "note"), above=ADMIN_HEADER, blank_before=(0, 4, 7)),
        ChiTieu=figures_grid(
            order=(*FIGURE_ORDER, "note"),
            above=ADMIN_HEADER,
            blank_before=(0, 6, 12, 18),
            notes={"tong_doan_vien": "Số liệu đến 30/9", "gia_tri_qua_tet": "Đã đối chiếu sổ sách"},
        ),
        HoTro=support_grid(order=["stt", "ho_ten", "extra", *[f.code for f in SUPPORT_FIELDS[2:]]], above=ADMIN_HEADER),
    )
    merges = {name: [(0, 0, 0, 2), (0, 3, 0, 5), (3, 0, 3, 5)] for name in sheets}
    report = parse_workbook(save(tmp_path / f"quirky{suffix}", sheets, merges))
    assert_content(report, Form.CDCS, INFO, CDCS)
    assert report.content().support == SUPPORT
    assert report.problems == []
    # Admin header (5 rows) + header row + leading blank row: first figure on row 8.
    assert str(report.figures["tong_lao_dong"].cell) == "ChiTieu!E8"


@pytest.mark.parametrize("suffix", FORMATS)
def test_columns_in_another_order(tmp_path: Path, suffix: str) -> None:
    shuffled = [f.code for f in reversed(SUPPORT_FIELDS)]
    sheets = cdcs_sheets(
        ThongTin=info_grid(order=("label", "value", "code")),
        ChiTieu=figures_grid(order=("stt", "value", "code", "label", "unit", "note")),
        HoTro=support_grid(order=shuffled),
    )
    report = parse_workbook(save(tmp_path / f"reordered{suffix}", sheets))
    assert_content(report, Form.CDCS, INFO, CDCS)
    assert report.content().support == SUPPORT
    assert str(report.figures["tong_lao_dong"].cell) == "ChiTieu!B3"
    assert str(report.support[0]["stt"].cell) == "HoTro!K4"


@pytest.mark.parametrize("suffix", FORMATS)
def test_labels_without_codes_or_diacritics(tmp_path: Path, suffix: str) -> None:
    sheets = cdcs_sheets(
        ThongTin=info_grid(order=("label", "value"), label=strip_marks),
        ChiTieu=figures_grid(order=("stt", "label", "unit", "value", "note"), label=strip_marks),
        HoTro=support_grid(codes=False, label=strip_marks),
    )
    report = parse_workbook(save(tmp_path / f"labels{suffix}", sheets))
    assert_content(report, Form.CDCS, INFO, CDCS)
    assert report.content().support == SUPPORT
    assert str(report.figures["tong_lao_dong"].cell) == "ChiTieu!D3"
    assert report.support_rows == [3, 4, 5]


def test_labels_with_numbering_and_units_in_brackets(tmp_path: Path) -> None:
    def label(text: str) -> str:
        return text

    grid = figures_grid(order=("label", "value"), label=label)
    for i, row in enumerate(grid[2:], start=1):
        row[0] = f"{i}. {row[0]} (đơn vị tính)" if i % 2 else f"- {strip_marks(row[0]).upper()}"
    report = parse_workbook(save(tmp_path / "numbered.xlsx", cdcs_sheets(ChiTieu=grid)))
    assert report.content().figures == CDCS


def vietnamese_text(f: Field, value: object) -> object:
    """Values as people type them: grouped numbers, yes/no words, dd/mm/yyyy text."""
    if isinstance(value, bool) or value is None:
        return value
    if f.kind in ("count", "money") and isinstance(value, int):
        return f"{value:,}".replace(",", ".") if value % 2 else f"{value:,}".replace(",", "\u00a0")
    if f.kind == "flag":
        return "Có" if value else "Không"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if f.kind == "int":
        return str(value)
    return value


@pytest.mark.parametrize("suffix", FORMATS)
def test_numbers_as_text_words_for_flags_and_dates_as_text(tmp_path: Path, suffix: str) -> None:
    sheets = cdcs_sheets(
        ThongTin=info_grid(present=vietnamese_text),
        ChiTieu=figures_grid(present=vietnamese_text),
        HoTro=support_grid(
            [{k: (f"{v:,}".replace(",", ".") if k == "so_tien" else v) for k, v in row.items()} for row in SUPPORT]
        ),
    )
    report = parse_workbook(save(tmp_path / f"text{suffix}", sheets))
    assert_content(report, Form.CDCS, INFO, CDCS)
    assert report.figures["gia_tri_qua_tet"].raw == "1\u00a0234\u00a0567\u00a0000"
    assert report.figures["tong_lao_dong"].raw == "1\u00a0250"
    assert report.content().support == SUPPORT


@pytest.mark.parametrize("suffix", FORMATS)
def test_flags_as_x_and_dates_as_serials(tmp_path: Path, suffix: str) -> None:
    figures = CDCS | {"to_chuc_tet_sum_vay": "x", "to_chuc_thang_cong_nhan": None, "co_thoa_uoc": "X"}
    figures["ngay_ky_thoa_uoc"] = excel_serial(date(2024, 3, 15))
    info = INFO | {"ngay_lap": float(excel_serial(date(2025, 11, 3)))}
    sheets = cdcs_sheets(ThongTin=info_grid(info), ChiTieu=figures_grid(figures))
    report = parse_workbook(save(tmp_path / f"serials{suffix}", sheets))
    content = report.content()
    assert content.figures["to_chuc_tet_sum_vay"] == 1
    assert content.figures["co_thoa_uoc"] == 1
    assert content.figures["to_chuc_thang_cong_nhan"] is None
    assert content.figures["ngay_ky_thoa_uoc"] == date(2024, 3, 15)
    assert content.info["ngay_lap"] == date(2025, 11, 3)


def test_formula_cached_values_are_read_never_evaluated(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "formulas.xlsx"
    book = xlsxwriter.Workbook(str(path))
    for name, grid in cdcs_sheets().items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if name == "ChiTieu" and c == 4 and row[1] == "tong_lao_dong":
                    sheet.write_formula(r, c, "=1000+250", None, 1250)
                elif name == "ChiTieu" and c == 4 and row[1] == "tong_doan_vien":
                    # The cached value counts, even when it disagrees with the formula.
                    sheet.write_formula(r, c, "=1+1", None, 1180)
                elif name == "ThongTin" and c == 2 and row[0] == "chu_tich":
                    sheet.write_string(r, c, '=HYPERLINK("http://x")')
                elif isinstance(value, date):
                    sheet.write_datetime(
                        r,
                        c,
                        datetime(value.year, value.month, value.day),
                        book.add_format({"num_format": "dd/mm/yyyy"}),
                    )
                else:
                    sheet.write(r, c, value)
    book.close()
    report = parse_workbook(path)
    assert report.figures["tong_lao_dong"].value == 1250
    assert report.figures["tong_doan_vien"].value == 1180
    assert report.info["chu_tich"].value == '=HYPERLINK("http://x")'
    assert report.content().figures == CDCS


@pytest.mark.parametrize("suffix", FORMATS)
def test_sheet_names_are_matched_tolerantly(tmp_path: Path, suffix: str) -> None:
    sheets = cdcs_sheets()
    renamed = {
        "Thông tin": sheets["ThongTin"],
        "CHỈ TIÊU": sheets["ChiTieu"],
        "Hỗ trợ": sheets["HoTro"],
        "HuongDan": [["x"]],
    }
    report = parse_workbook(save(tmp_path / f"names{suffix}", renamed))
    assert report.form is Form.CDCS
    assert report.sheets == {"ThongTin": "Thông tin", "ChiTieu": "CHỈ TIÊU", "HoTro": "Hỗ trợ"}
    assert str(report.figures["tong_lao_dong"].cell) == "CHỈ TIÊU!E3"
    assert report.content().support == SUPPORT


@pytest.mark.parametrize("name", ["Thong tin", "THONGTIN", "Thông tin", "1. ThongTin"])
def test_info_sheet_name_variants(tmp_path: Path, name: str) -> None:
    sheets = cdcs_sheets()
    sheets[name] = sheets.pop("ThongTin")
    assert parse_workbook(save(tmp_path / "v.xlsx", sheets)).info["ma_don_vi"].value == "CS0001"


# --- HoTro -----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", FORMATS)
def test_empty_support_list_header_only(tmp_path: Path, suffix: str) -> None:
    report = parse_workbook(save(tmp_path / f"empty{suffix}", cdcs_sheets(HoTro=support_grid([]))))
    assert report.support == [] and report.support_rows == []
    assert report.problems == []


def test_support_list_skips_blank_numbered_total_and_signature_rows(tmp_path: Path) -> None:
    rows: Grid = support_grid(
        SUPPORT[:2],
        codes=False,
        after=(
            (),
            (3,),  # a pre-numbered row left empty
            (None, None),
            (),
            (None, "Tổng cộng", None, None, None, None, None, None, 3_000_000),
            (),
            (None, "Người lập biểu", None, None, None, None, None, "Chủ tịch"),
            (None, "Nguyễn Thị Hoa", None, None, None, None, None, "Trần Văn Bình"),
        ),
    )
    rows.insert(2, ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)", "(9)", "(10)", "(11)"])
    rows.insert(4, [])
    report = parse_workbook(save(tmp_path / "list.xlsx", cdcs_sheets(HoTro=rows)))
    assert report.content().support == SUPPORT[:2]
    assert report.support_rows == [4, 6]


def test_support_values_with_errors_stay_in_their_row(tmp_path: Path) -> None:
    bad = [
        SUPPORT[0] | {"so_tien": "hai triệu", "gioi_tinh": "nu", "nhom_hoan_canh": "GIAU", "ngay_ho_tro": "31/02/2025"}
    ]
    report = parse_workbook(save(tmp_path / "bad.xlsx", cdcs_sheets(HoTro=support_grid(bad))))
    row = report.support[0]
    assert row["gioi_tinh"].value == "Nữ"
    assert row["so_tien"].error is not None and row["so_tien"].error.code == "not_a_number"
    assert row["nhom_hoan_canh"].error is not None and row["nhom_hoan_canh"].error.code == "bad_code"
    assert row["ngay_ho_tro"].error is not None and row["ngay_ho_tro"].error.code == "bad_date"
    assert str(row["so_tien"].cell) == "HoTro!I4"
    assert {str(v.cell) for v in report.errors} == {"HoTro!I4", "HoTro!F4", "HoTro!H4"}


def test_missing_support_column_is_a_problem(tmp_path: Path) -> None:
    order = [f.code for f in SUPPORT_FIELDS if f.code != "nguon_kinh_phi"]
    report = parse_workbook(save(tmp_path / "cols.xlsx", cdcs_sheets(HoTro=support_grid(order=order))))
    assert [(p.code, p.field) for p in report.problems] == [("missing_column", "nguon_kinh_phi")]
    assert report.content().support[0]["nguon_kinh_phi"] is None


def test_support_sheet_without_header_is_rejected(tmp_path: Path) -> None:
    grid: Grid = [["DANH SÁCH"], ["Lê Thị Mai", 2_000_000]]
    with pytest.raises(FileRejected) as caught:
        parse_workbook(save(tmp_path / "nohead.xlsx", cdcs_sheets(HoTro=grid)))
    assert caught.value.code == "no_header"
    assert "HoTro" in caught.value.message_vi


# --- structural problems ---------------------------------------------------------------------


def test_missing_duplicate_and_unknown_rows_are_problems(tmp_path: Path) -> None:
    grid = figures_grid()
    del grid[5]  # dv_duoc_thong_tin
    grid.append([99, "tong_doan_vien", "Tổng số đoàn viên", "người", 5, None])
    grid.append([100, "so_hoi_nghi", "Số hội nghị", "cuộc", 3, None])
    grid.append([101, "can_bo_da_tap_huan", "Trong đó: đã được bồi dưỡng, tập huấn", "người", 2, None])
    report = parse_workbook(save(tmp_path / "rows.xlsx", cdcs_sheets(ChiTieu=grid)))
    problems = {(p.code, p.field) for p in report.problems}
    assert problems == {
        ("missing_field", "dv_duoc_thong_tin"),
        ("duplicate_field", "tong_doan_vien"),
        ("unknown_field", "so_hoi_nghi"),
        ("unknown_field", "can_bo_da_tap_huan"),
    }
    assert report.figures["tong_doan_vien"].value == 1180  # the first row wins
    assert report.content().figures["dv_duoc_thong_tin"] is None
    duplicate = next(p for p in report.problems if p.code == "duplicate_field")
    assert duplicate.row == len(grid) - 2 and duplicate.message_vi and duplicate.message_en


def test_cdcs_without_support_sheet_is_a_problem(tmp_path: Path) -> None:
    sheets = cdcs_sheets()
    del sheets["HoTro"]
    report = parse_workbook(save(tmp_path / "nohotro.xlsx", sheets))
    assert report.form is Form.CDCS
    assert [p.code for p in report.problems] == ["missing_sheet"]


# --- the form --------------------------------------------------------------------------------


def test_detect_form() -> None:
    assert detect_form(["tong_doan_vien", "tong_chi_tai_chinh"]) is Form.CDCS
    assert detect_form(["can_bo_chuyen_trach_phuc_loi", "tong_chi_tai_chinh"]) is Form.CAPTREN
    assert detect_form(["tong_chi_tai_chinh"], has_support_sheet=True) is Form.CDCS
    assert detect_form(["tong_chi_tai_chinh"], form_version="captren-2024.1") is Form.CAPTREN
    assert detect_form(["tong_doan_vien", "doan_vien_nu", "kien_nghi"]) is Form.CDCS
    with pytest.raises(FileRejected) as caught:
        detect_form(["tong_chi_tai_chinh", "to_chuc_tet_sum_vay"])
    assert caught.value.code == "unknown_form"


def test_form_comes_from_content_not_file_name(tmp_path: Path) -> None:
    report = parse_workbook(save(tmp_path / "CDCS_bao_cao.xlsx", captren_sheets()))
    assert report.form is Form.CAPTREN


def test_captren_labels_only_detected_by_labels(tmp_path: Path) -> None:
    sheets = captren_sheets()
    sheets["ChiTieu"] = figures_grid(
        CAPTREN, CAPTREN_FIGURES, order=("stt", "label", "unit", "value"), label=strip_marks
    )
    report = parse_workbook(save(tmp_path / "upper.xls", sheets))
    assert report.form is Form.CAPTREN
    assert report.content().figures == CAPTREN


# --- rejected workbooks ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["report.pdf", "report.docx", "report.txt", "report", "report.xlsm"])
def test_wrong_extension(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(FileRejected) as caught:
        parse_workbook(path)
    assert caught.value.code == "wrong_type"
    for message in (caught.value.message_vi, caught.value.message_en):
        assert all(ext in message for ext in (".xlsx", ".xls", ".ods", ".csv"))


def test_csv_given_as_a_workbook_and_workbook_as_csv(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("ma_don_vi\n", encoding="utf-8")
    with pytest.raises(FileRejected) as caught:
        parse_workbook(tmp_path / "a.csv")
    assert caught.value.code == "wrong_type"
    save(tmp_path / "b.xlsx", cdcs_sheets())
    with pytest.raises(FileRejected) as caught:
        parse_csv(tmp_path / "b.xlsx")
    assert caught.value.code == "wrong_type"


@pytest.mark.parametrize("suffix", FORMATS)
def test_empty_workbook(tmp_path: Path, suffix: str) -> None:
    path = save(tmp_path / f"empty{suffix}", {"Sheet1": [[None]]})
    with pytest.raises(FileRejected) as caught:
        parse_workbook(path)
    assert caught.value.code == "empty"


@pytest.mark.parametrize("suffix", FORMATS)
def test_missing_sheet(tmp_path: Path, suffix: str) -> None:
    path = save(tmp_path / f"nosheet{suffix}", {"ThongTin": info_grid(), "Sheet2": [["Tổng số đoàn viên", 5]]})
    with pytest.raises(FileRejected) as caught:
        parse_workbook(path)
    assert caught.value.code == "missing_sheet"
    assert "ChiTieu" in caught.value.message_vi and "ChiTieu" in caught.value.message_en
    assert "Sheet2" in caught.value.message_en


def test_sheet_without_recognisable_table(tmp_path: Path) -> None:
    path = save(tmp_path / "nohead.xlsx", cdcs_sheets(ChiTieu=[["Báo cáo"], ["a", 1], ["b", 2]]))
    with pytest.raises(FileRejected) as caught:
        parse_workbook(path)
    assert caught.value.code == "no_header"


def test_corrupt_and_truncated_files(tmp_path: Path) -> None:
    good = save(tmp_path / "good.xlsx", cdcs_sheets()).read_bytes()
    cases = {
        "truncated.xlsx": good[: len(good) // 2],
        "garbage.xlsx": b"PK\x03\x04" + b"\x00" * 200,
        "not_zip.xlsx": b"hello, this is not a workbook" * 10,
        "html.xls": b"<html><body><table><tr><td>1</td></tr></table></body></html>",
        "empty.ods": b"",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(FileRejected) as caught:
            parse_workbook(tmp_path / name)
        assert caught.value.code == "unreadable", name
        assert "Save As" in caught.value.message_en


def test_damaged_zip_member(tmp_path: Path) -> None:
    good = save(tmp_path / "good.xlsx", cdcs_sheets())
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 3]  # broken XML
            target.writestr(item, data)
    with pytest.raises(FileRejected) as caught:
        parse_workbook(damaged)
    assert caught.value.code == "unreadable"


def test_renamed_workbook_is_read_by_content(tmp_path: Path) -> None:
    xlsx = save(tmp_path / "real.xlsx", cdcs_sheets())
    renamed = tmp_path / "renamed.xls"
    renamed.write_bytes(xlsx.read_bytes())
    assert parse_workbook(renamed).content().figures == CDCS


# --- bulk CSV --------------------------------------------------------------------------------

REPORT_COLUMNS = [f.code for f in INFO_FIELDS] + [f.code for f in CDCS_FIGURES]
SUPPORT_COLUMNS = ["ma_don_vi", "nam_bao_cao", *(f.code for f in SUPPORT_FIELDS)]


def csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([csv_text(v) for v in row] for row in rows)
    return path


def report_row(unit: str = "CS0001") -> list[object]:
    values = INFO | {"ma_don_vi": unit} | CDCS
    return [values[c] for c in REPORT_COLUMNS]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "utf-16-le"])
def test_report_csv_in_accepted_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "cdcs_reports.csv"
    # utf-16-be: with its BOM, as some tools write it; utf-16-le: no BOM at all (recognised by its zero bytes)
    if encoding == "utf-16-be":
        text = "\ufeff" + write_csv(tmp_path / "tmp.csv", REPORT_COLUMNS, [report_row()]).read_text("utf-8")
        path.write_bytes(text.encode("utf-16-be"))
    else:
        write_csv(path, REPORT_COLUMNS, [report_row(), report_row("CS0002")], encoding)
    bulk = parse_csv(path)
    assert bulk.kind == "CDCS" and bulk.form is Form.CDCS
    assert bulk.problems == []
    rows = list(bulk)
    content = bulk.content(rows[0])
    assert content.info == INFO
    assert content.figures == CDCS
    assert str(rows[0]["ma_don_vi"].cell) == "cdcs_reports.csv!A2"
    assert (
        str(rows[0]["tong_doan_vien"].cell)
        == f"cdcs_reports.csv!{column_letter(REPORT_COLUMNS.index('tong_doan_vien'))}2"
    )
    assert list(bulk) != []  # re-iterable


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_delimiters_are_sniffed(tmp_path: Path, delimiter: str) -> None:
    row = report_row()
    row[REPORT_COLUMNS.index("gia_tri_qua_tet")] = "1.234.567.000"
    row[REPORT_COLUMNS.index("tong_chi_tai_chinh")] = "2,500,000,000"
    bulk = parse_csv(write_csv(tmp_path / "cdcs_reports.csv", REPORT_COLUMNS, [row], delimiter=delimiter))
    assert bulk.delimiter == delimiter
    assert bulk.content(next(iter(bulk))).figures == CDCS


def test_support_csv(tmp_path: Path) -> None:
    rows = [["CS0001", 2025, *(case[f.code] for f in SUPPORT_FIELDS)] for case in SUPPORT]
    rows.insert(1, [""] * len(SUPPORT_COLUMNS))  # a blank line keeps its row number
    bulk = parse_csv(write_csv(tmp_path / "support_cases.csv", SUPPORT_COLUMNS, rows, "utf-8-sig"))
    assert bulk.kind == "HoTro" and bulk.form is None
    parsed = list(bulk)
    assert [{f.code: r[f.code].value for f in SUPPORT_FIELDS} for r in parsed] == SUPPORT
    assert [r["ma_don_vi"].value for r in parsed] == ["CS0001"] * 3
    assert [r["nam_bao_cao"].value for r in parsed] == [2025] * 3
    assert [r["ho_ten"].cell.row for r in parsed] == [2, 4, 5]
    assert str(parsed[0]["so_tien"].cell) == "support_cases.csv!K2"


def test_csv_kind_comes_from_header_not_name(tmp_path: Path) -> None:
    columns = ["ma_don_vi", "nam_bao_cao", *(f.code for f in CAPTREN_FIGURES)]
    values = {"ma_don_vi": "CT01", "nam_bao_cao": 2025} | CAPTREN
    bulk = parse_csv(write_csv(tmp_path / "cdcs_reports.csv", columns, [[values[c] for c in columns]]))
    assert bulk.kind == "CAPTREN"
    assert bulk.content(next(iter(bulk))).figures == CAPTREN
    assert {p.field for p in bulk.problems if p.code == "missing_column"} == {
        f.code for f in INFO_FIELDS if f.code not in ("ma_don_vi", "nam_bao_cao", "ma_cap_tren")
    }


def test_csv_value_errors_and_ragged_rows(tmp_path: Path) -> None:
    path = tmp_path / "support_cases.csv"
    path.write_text(
        'ma_don_vi,nam_bao_cao,ho_ten,so_tien,ghi_chu\r\nCS1,2025,Lê Mai,"1,5",x\r\nCS1,2025\r\n', encoding="utf-8"
    )
    bulk = parse_csv(path)
    assert [(p.code, p.column) for p in bulk.problems if p.code == "unknown_column"] == [("unknown_column", "E")]
    first, second = list(bulk)
    assert first["so_tien"].error is not None and first["so_tien"].error.code == "not_whole"
    assert str(first["so_tien"].cell) == "support_cases.csv!D2"
    assert second["ho_ten"].value is None and second["so_tien"].value is None


@pytest.mark.parametrize(
    "data",
    [
        # Windows-1258 stores Vietnamese decomposed: base letters plus its own combining-mark bytes
        unicodedata.normalize("NFD", "ma_don_vi,nam_bao_cao,ho_ten,so_tien\r\nCS1,2025,Hà Tĩnh,1000\r\n").encode(
            "cp1258"
        ),
        "ma_don_vi,nam_bao_cao,ho_ten,so_tien\r\nCS1,2025,Hélène Müller,1000\r\n".encode("latin-1"),
        # TCVN3 (ABC) bytes for "Nguyễn": 0xAE and friends are not valid UTF-8 on their own
        b"ma_don_vi,nam_bao_cao,ho_ten,so_tien\r\nCS1,2025,Ngu\xd6n,1000\r\n",
        codecs.BOM_UTF32_LE + "ma_don_vi,nam_bao_cao\r\n".encode("utf-32-le"),
    ],
)
def test_csv_in_other_encodings_is_rejected(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "support_cases.csv"
    path.write_bytes(data)
    with pytest.raises(FileRejected) as caught:
        parse_csv(path)
    assert caught.value.code == "bad_encoding"
    assert "UTF-8" in caught.value.message_vi and "UTF-16" in caught.value.message_vi
    assert "BOM" in caught.value.message_en and "UTF-16" in caught.value.message_en


def test_csv_bad_byte_far_down_is_found_before_any_row(tmp_path: Path) -> None:
    path = tmp_path / "support_cases.csv"
    lines = ["ma_don_vi,nam_bao_cao,ho_ten,so_tien"] + [f"CS1,2025,Lê Mai {i},1000" for i in range(50_000)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8") + "CS1,2025,Hà,1\r\n".encode("cp1258"))
    with pytest.raises(FileRejected) as caught:
        parse_csv(path)
    assert caught.value.code == "bad_encoding"
    assert "50002" in caught.value.message_en


def test_csv_without_id_columns_or_codes(tmp_path: Path) -> None:
    with pytest.raises(FileRejected) as caught:
        parse_csv(write_csv(tmp_path / "support_cases.csv", ["ho_ten", "so_tien"], [["A", 1]]))
    assert caught.value.code == "missing_column"
    with pytest.raises(FileRejected) as caught:
        parse_csv(write_csv(tmp_path / "x.csv", ["name", "amount"], [["A", 1]]))
    assert caught.value.code == "no_header"
    (tmp_path / "blank.csv").write_text("\r\n\r\n", encoding="utf-8")
    with pytest.raises(FileRejected) as caught:
        parse_csv(tmp_path / "blank.csv")
    assert caught.value.code == "empty"


def test_csv_streams_with_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "support_cases.csv"
    case = ["CS0001", "2025", "1", "Lê Thị Mai", "042195012345", "1985", "Nữ", "THU_NHAP_THAP", "TET_SUM_VAY"]
    case += ["10/02/2025", "1.000.000", "CDCS", "DTTS"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(SUPPORT_COLUMNS) + "\r\n")
        for _ in range(60_000):
            handle.write(",".join(case) + "\r\n")
    assert path.stat().st_size > 5_000_000
    bulk: BulkCsv = parse_csv(path)
    tracemalloc.start()
    try:
        count = 0
        for row in bulk:
            count += 1
            assert row["so_tien"].value == 1_000_000
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 60_000
    assert peak < 2_000_000, f"peak {peak} bytes: rows are being kept"


# --- the project's own writer, if present: every quirk reads back to the same content ----------


def test_round_trip_with_project_writer(tmp_path: Path) -> None:
    workbooks = pytest.importorskip("welfare.workbooks")
    quirks_type = workbooks.Quirks
    content = ReportContent(Form.CDCS, dict(INFO), dict(CDCS), [dict(r) for r in SUPPORT])
    for quirks in (quirks_type.all_off(), quirks_type.all_on()):
        for suffix in FORMATS:
            path = tmp_path / f"w{suffix}"
            workbooks.write_report(path, content, quirks)
            report = parse_workbook(path)
            got = report.content()
            assert got.info == INFO, (quirks, suffix)
            for code, expected in CDCS.items():
                # flags_as_words writes some 0 flags as an empty cell, which can only read back as None
                allowed = (expected, None) if quirks.flags_as_words and expected == 0 else (expected,)
                assert got.figures[code] in allowed, (code, quirks, suffix)
            assert got.support == SUPPORT, (quirks, suffix)
            assert not report.errors and not report.problems


@pytest.mark.parametrize("suffix", FORMATS)
def test_value_column_found_by_content_when_not_headed(tmp_path: Path, suffix: str) -> None:
    figures = dict(CDCS) | {"so_nha_mai_am": None, "so_ld_mat_viec_duoc_ho_tro": None, "xep_loai_thoa_uoc": None}
    grid = figures_grid(figures)
    grid[1] = ["TT", "Mã", "Nội dung", "Đơn vị", "Năm 2025", "Ghi chú"]  # no "Số liệu" header
    info = info_grid()
    info[1] = [None, None, None]  # no header row at all
    report = parse_workbook(save(tmp_path / f"unheaded{suffix}", cdcs_sheets(ThongTin=info, ChiTieu=grid)))
    assert report.content().figures == figures
    assert report.content().info == INFO
    assert str(report.figures["tong_lao_dong"].cell) == "ChiTieu!E3"


def test_mistyped_code_with_right_label_is_read_by_label(tmp_path: Path) -> None:
    grid = figures_grid()
    grid[3][1] = "tong_doan_vienn"
    report = parse_workbook(save(tmp_path / "typo.xlsx", cdcs_sheets(ChiTieu=grid)))
    assert report.figures["tong_doan_vien"].value == 1180
    assert report.problems == []
