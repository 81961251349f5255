"""The submission contract of FORMS.md as data.

Templates, parsers, validation suites, the generator and the staging models all read the
field lists from here, so a field is added in one place (see the README, "Adding a form field").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a value is typed, parsed and validated."""

    COUNT = "count"  # whole number >= 0 (people, items)
    MONEY = "money"  # whole đồng >= 0
    FLAG = "flag"  # 1/0 (Có/Không/x accepted on input)
    INT = "int"  # whole number, any sign (years)
    TEXT = "text"
    DATE = "date"
    GRADE = "grade"  # collective agreement grade
    CODE = "code"  # one code from a code list
    CODES = "codes"  # zero or more codes separated by ';'
    EMAIL = "email"


@dataclass(frozen=True)
class Field:
    """One cell of a form: its stable code, what a person sees, and its type."""

    code: str
    label: str
    label_en: str
    kind: Kind
    unit: str = ""
    required: bool = False
    code_list: str | None = None  # name of a list in CODE_LISTS for CODE/CODES


class Form(StrEnum):
    CDCS = "CDCS"
    CAPTREN = "CAPTREN"


SHEET_INFO = "ThongTin"
SHEET_FIGURES = "ChiTieu"
SHEET_SUPPORT = "HoTro"

FORM_VERSIONS: dict[Form, tuple[str, ...]] = {
    Form.CDCS: ("CDCS-2024.1",),
    Form.CAPTREN: ("CAPTREN-2024.1",),
}

GRADES = ("A", "B", "C", "D", "CXL")

CODE_LISTS: dict[str, tuple[str, ...]] = {
    "nhom_hoan_canh": (
        "THU_NHAP_THAP",
        "OM_DAU_HIEM_NGHEO",
        "TAI_NAN_LD",
        "BENH_NGHE_NGHIEP",
        "MAT_VIEC_GIAM_GIO",
        "THIEN_TAI",
        "KHO_KHAN_NHA_O",
        "KHAC",
    ),
    "chuong_trinh": (
        "TET_SUM_VAY",
        "THANG_CONG_NHAN",
        "MAI_AM_XAY_MOI",
        "MAI_AM_SUA_CHUA",
        "THAM_HOI_OM_DAU",
        "TRO_CAP_DOT_XUAT",
        "HO_TRO_MAT_VIEC",
        "CHO_TET",
        "CHUYEN_XE_CONG_DOAN",
        "TAM_VE_NGHIA_TINH",
        "BUA_COM_CONG_DOAN",
        "HOC_BONG",
        "THE_BHYT_THAN_NHAN",
        "VAY_VON_VIEC_LAM",
        "KHAC",
    ),
    "nguon_kinh_phi": ("CDCS", "CAP_TREN", "QUY_XA_HOI", "TLD", "XA_HOI_HOA", "CHINH_QUYEN", "DOANH_NGHIEP"),
    "doi_tuong_yeu_the": ("DTTS", "NU_MANG_THAI", "CON_DUOI_6", "KHUYET_TAT", "CAO_TUOI"),
    "gioi_tinh": ("Nam", "Nữ"),
    "xep_loai_thoa_uoc": GRADES,
}

# Situations whose data is sensitive under Law 91/2025/QH15 (health, accidents).
SENSITIVE_SITUATIONS = frozenset({"OM_DAU_HIEM_NGHEO", "TAI_NAN_LD", "BENH_NGHE_NGHIEP"})

INFO_FIELDS: tuple[Field, ...] = (
    Field("ma_don_vi", "Mã đơn vị", "Unit code", Kind.TEXT, required=True),
    Field("ten_don_vi", "Tên đơn vị", "Unit name", Kind.TEXT),
    Field("ma_cap_tren", "Mã công đoàn cấp trên", "Upper-level union code", Kind.TEXT),
    Field("nam_bao_cao", "Năm báo cáo", "Reporting year", Kind.INT, required=True),
    Field("ngay_lap", "Ngày lập báo cáo", "Date prepared", Kind.DATE),
    Field("nguoi_lap", "Người lập biểu", "Prepared by", Kind.TEXT),
    Field("dien_thoai", "Điện thoại", "Telephone", Kind.TEXT),
    Field("email", "Email", "E-mail", Kind.EMAIL),
    Field("chu_tich", "Chủ tịch", "Chairperson", Kind.TEXT),
    Field("phien_ban_bieu_mau", "Phiên bản biểu mẫu", "Form version", Kind.TEXT),
)

CDCS_FIGURES: tuple[Field, ...] = (
    Field("tong_lao_dong", "Tổng số CNVCLĐ", "Total workers", Kind.COUNT, "người"),
    Field("tong_doan_vien", "Tổng số đoàn viên", "Total union members", Kind.COUNT, "người"),
    Field("doan_vien_nu", "Đoàn viên nữ", "Female members", Kind.COUNT, "người"),
    Field(
        "dv_duoc_thong_tin",
        "ĐV được thông tin đầy đủ chính sách, chương trình phúc lợi",
        "Members fully informed of welfare policies and programmes",
        Kind.COUNT,
        "người",
    ),
    Field("dv_kho_khan", "ĐV có hoàn cảnh khó khăn", "Members in hardship", Kind.COUNT, "người"),
    Field(
        "dv_kho_khan_duoc_ho_tro",
        "ĐV khó khăn được thăm hỏi, hỗ trợ",
        "Members in hardship visited or supported",
        Kind.COUNT,
        "người",
    ),
    Field(
        "dv_huong_phuc_loi",
        "ĐV được thụ hưởng ít nhất một chương trình phúc lợi",
        "Members who benefited from at least one welfare programme",
        Kind.COUNT,
        "người",
    ),
    Field("to_chuc_tet_sum_vay", 'Tổ chức chương trình "Tết sum vầy"', 'Held "Tết sum vầy"', Kind.FLAG, "1/0"),
    Field("so_suat_qua_tet", "Số suất quà Tết", "Number of Tết gifts", Kind.COUNT, "suất"),
    Field("gia_tri_qua_tet", "Giá trị quà Tết", "Value of Tết gifts", Kind.MONEY, "đồng"),
    Field("to_chuc_thang_cong_nhan", 'Tổ chức "Tháng Công nhân"', "Held Workers' Month", Kind.FLAG, "1/0"),
    Field("so_cuoc_doi_thoai", "Số cuộc đối thoại tại nơi làm việc", "Workplace dialogues", Kind.COUNT, "cuộc"),
    Field(
        "so_doi_thoai_phuc_loi_cao_hon",
        "Số cuộc đối thoại có nội dung phúc lợi tốt hơn quy định pháp luật",
        "Dialogues with better-than-law welfare content",
        Kind.COUNT,
        "cuộc",
    ),
    Field(
        "co_thoa_uoc",
        "Có thỏa ước lao động tập thể còn hiệu lực",
        "Has a collective agreement in force",
        Kind.FLAG,
        "1/0",
    ),
    Field(
        "xep_loai_thoa_uoc",
        "Xếp loại thỏa ước",
        "Collective agreement grade",
        Kind.GRADE,
        "A/B/C/D/CXL",
        code_list="xep_loai_thoa_uoc",
    ),
    Field("ngay_ky_thoa_uoc", "Ngày ký thỏa ước", "Agreement signing date", Kind.DATE, "ngày"),
    Field(
        "so_dieu_khoan_co_loi_hon",
        "Số điều khoản có lợi hơn cho NLĐ",
        "Clauses more favourable to workers",
        Kind.COUNT,
        "điều",
    ),
    Field("tong_chi_tai_chinh", "Tổng chi tài chính công đoàn", "Total union spending", Kind.MONEY, "đồng"),
    Field(
        "chi_cham_lo_phuc_loi",
        "Chi chăm lo phúc lợi cho ĐV, NLĐ",
        "Welfare spending for members and workers",
        Kind.MONEY,
        "đồng",
    ),
    Field(
        "so_nha_mai_am",
        'Số nhà "Mái ấm Công đoàn" xây mới, sửa chữa',
        '"Mái ấm Công đoàn" houses built or repaired',
        Kind.COUNT,
        "nhà",
    ),
    Field(
        "so_ld_mat_viec_duoc_ho_tro",
        "NLĐ bị giảm giờ làm, mất việc được hỗ trợ",
        "Workers with cut hours or job loss supported",
        Kind.COUNT,
        "người",
    ),
)

CAPTREN_FIGURES: tuple[Field, ...] = (
    Field(
        "can_bo_chuyen_trach_phuc_loi",
        "Số cán bộ chuyên trách được giao công tác chăm lo phúc lợi",
        "Full-time officials assigned to welfare work",
        Kind.COUNT,
        "người",
    ),
    Field(
        "can_bo_da_tap_huan",
        "Trong đó: đã được bồi dưỡng, tập huấn",
        "Of whom trained",
        Kind.COUNT,
        "người",
    ),
    Field("to_chuc_tet_sum_vay", 'Đơn vị tổ chức "Tết sum vầy"', 'Held "Tết sum vầy"', Kind.FLAG, "1/0"),
    Field("to_chuc_thang_cong_nhan", 'Đơn vị tổ chức "Tháng Công nhân"', "Held Workers' Month", Kind.FLAG, "1/0"),
    Field(
        "so_doi_thoai_chinh_quyen",
        "Số cuộc đối thoại với chính quyền, người sử dụng lao động",
        "Dialogues with authorities and employers",
        Kind.COUNT,
        "cuộc",
    ),
    Field(
        "tong_chi_tai_chinh",
        "Tổng chi tài chính công đoàn (cấp mình)",
        "Total union spending (own level)",
        Kind.MONEY,
        "đồng",
    ),
    Field(
        "chi_cham_lo_phuc_loi",
        "Chi chăm lo phúc lợi (cấp mình)",
        "Welfare spending (own level)",
        Kind.MONEY,
        "đồng",
    ),
    Field("quy_xa_hoi_van_dong", "Vận động Quỹ Xã hội Công đoàn", "Union Social Fund raised", Kind.MONEY, "đồng"),
    Field(
        "vay_von_so_du_an",
        "Vay vốn Quỹ quốc gia về việc làm: số dự án",
        "National Employment Fund loans: projects",
        Kind.COUNT,
        "dự án",
    ),
    Field(
        "vay_von_so_tien",
        "Vay vốn Quỹ quốc gia về việc làm: số tiền",
        "National Employment Fund loans: amount",
        Kind.MONEY,
        "đồng",
    ),
    Field(
        "vay_von_so_lao_dong",
        "Vay vốn Quỹ quốc gia về việc làm: số lao động",
        "National Employment Fund loans: workers",
        Kind.COUNT,
        "người",
    ),
    Field(
        "so_thoa_thuan_phuc_loi",
        "Số thỏa thuận hợp tác phúc lợi với đối tác",
        "Welfare partnership agreements",
        Kind.COUNT,
        "thỏa thuận",
    ),
    Field(
        "tong_doan_vien_khoi_co_so",
        "Tổng số đoàn viên các CĐCS trực thuộc (tự kê khai)",
        "Members of affiliated grassroots unions (self-declared)",
        Kind.COUNT,
        "người",
    ),
    Field("kien_nghi", "Khó khăn, vướng mắc, kiến nghị", "Difficulties and recommendations", Kind.TEXT),
)

SUPPORT_FIELDS: tuple[Field, ...] = (
    Field("stt", "STT", "No.", Kind.INT),
    Field("ho_ten", "Họ và tên", "Full name", Kind.TEXT, required=True),
    Field("so_dinh_danh", "Số định danh cá nhân (CCCD)", "Citizen ID number", Kind.TEXT),
    Field("nam_sinh", "Năm sinh", "Year of birth", Kind.INT),
    Field("gioi_tinh", "Giới tính", "Sex", Kind.CODE, code_list="gioi_tinh"),
    Field("nhom_hoan_canh", "Hoàn cảnh", "Situation", Kind.CODE, code_list="nhom_hoan_canh"),
    Field("chuong_trinh", "Chương trình / hình thức hỗ trợ", "Programme", Kind.CODE, code_list="chuong_trinh"),
    Field("ngay_ho_tro", "Ngày hỗ trợ", "Date of support", Kind.DATE),
    Field("so_tien", "Số tiền / giá trị", "Amount", Kind.MONEY, "đồng"),
    Field("nguon_kinh_phi", "Nguồn kinh phí", "Funding source", Kind.CODE, code_list="nguon_kinh_phi"),
    Field(
        "doi_tuong_yeu_the",
        "Đối tượng yếu thế",
        "Vulnerable groups",
        Kind.CODES,
        code_list="doi_tuong_yeu_the",
    ),
)

FIGURES: dict[Form, tuple[Field, ...]] = {Form.CDCS: CDCS_FIGURES, Form.CAPTREN: CAPTREN_FIGURES}

# Per-programme caps for one support (đồng); above them a warning opens a follow-up.
PROGRAMME_CAPS: dict[str, int] = {
    "TET_SUM_VAY": 5_000_000,
    "CHO_TET": 2_000_000,
    "MAI_AM_XAY_MOI": 80_000_000,
    "MAI_AM_SUA_CHUA": 40_000_000,
    "THAM_HOI_OM_DAU": 10_000_000,
    "TRO_CAP_DOT_XUAT": 10_000_000,
    "HO_TRO_MAT_VIEC": 10_000_000,
    "HOC_BONG": 10_000_000,
    "THE_BHYT_THAN_NHAN": 2_000_000,
    "VAY_VON_VIEC_LAM": 100_000_000,
}

# Bulk CSV file names (FORMS.md "Forms and files").
BULK_FILES: dict[str, str] = {
    "cdcs_reports.csv": "CDCS",
    "captren_reports.csv": "CAPTREN",
    "support_cases.csv": "HoTro",
}

ACCEPTED_EXTENSIONS = (".xlsx", ".xls", ".ods", ".csv")


def figure_fields(form: Form | str) -> tuple[Field, ...]:
    """The `ChiTieu` fields of a form."""
    return FIGURES[Form(form)]


def field_by_code(fields: tuple[Field, ...]) -> dict[str, Field]:
    return {f.code: f for f in fields}


@dataclass
class ReportContent:
    """What one report says, in Python types, independent of the file it came in.

    Values: `int` for counts, money, flags and years; `str` for text, grades and codes
    (CODES as the ';'-separated string); `datetime.date` for dates; `None` for an empty cell.
    Writers take it, parsers give it back, so a round trip can be compared field by field.
    """

    form: Form
    info: dict[str, object]
    figures: dict[str, object]
    support: list[dict[str, object]]

    @property
    def unit_code(self) -> str:
        return str(self.info["ma_don_vi"])

    @property
    def year(self) -> int:
        return int(str(self.info["nam_bao_cao"]))
