"""The suites. Built at execution time (GX is imported inside the functions: it is slow to import)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from welfare.forms import (
    CAPTREN_FIGURES,
    CDCS_FIGURES,
    CODE_LISTS,
    FORM_VERSIONS,
    GRADES,
    Field,
    Form,
    Kind,
)

if TYPE_CHECKING:
    import great_expectations as gx

ERROR, WARNING = "critical", "warning"
EMAIL_REGEX = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
CITIZEN_ID_REGEX = r"^\d{12}$"


class _Builder:
    """Adds expectations with the meta every failure is mapped back through."""

    def __init__(self, name: str):
        self.name = name
        self.expectations: list[Any] = []

    @property
    def suite(self) -> gx.ExpectationSuite:
        import great_expectations as gx

        return gx.ExpectationSuite(name=self.name, expectations=self.expectations)

    def add(self, kind: str, rule: str, severity: str, field: str, other: str | None = None, **kwargs: Any) -> None:
        import great_expectations.expectations as gxe

        cls = getattr(gxe, kind)
        meta = {"rule": rule, "field": field}
        if other:
            meta["other"] = other
        self.expectations.append(cls(severity=severity, meta=meta, **kwargs))

    def le(self, field: str, bound: str, severity: str = ERROR) -> None:
        """field ≤ bound (rule `<field>.le_<bound>`)."""
        self.add(
            "ExpectColumnPairValuesAToBeGreaterThanB",
            f"{field}.le_{bound}",
            severity,
            field,
            bound,
            column_A=bound,
            column_B=field,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        )


def _numbers(builder: _Builder, fields: tuple[Field, ...]) -> None:
    for f in fields:
        if f.kind in (Kind.COUNT, Kind.MONEY):
            builder.add(
                "ExpectColumnValuesToBeBetween", f"{f.code}.non_negative", ERROR, f.code, column=f.code, min_value=0
            )
        elif f.kind == Kind.FLAG:
            builder.add("ExpectColumnValuesToBeInSet", f"{f.code}.flag", ERROR, f.code, column=f.code, value_set=[0, 1])


def thongtin(form: Form) -> gx.ExpectationSuite:
    """Sheet ThongTin: identity against the registry and the calendar."""
    b = _Builder(f"{form.value.lower()}_thongtin")
    level = "CDCS" if form == Form.CDCS else "CAP_TREN"
    b.add("ExpectColumnValuesToNotBeNull", "ma_don_vi.required", ERROR, "ma_don_vi", column="ma_don_vi")
    b.add("ExpectColumnValuesToNotBeNull", "nam_bao_cao.required", ERROR, "nam_bao_cao", column="nam_bao_cao")
    # `_registry_level` is null for unknown codes, so an unknown code fails `exists` only.
    b.add(
        "ExpectColumnValuesToNotBeNull",
        "ma_don_vi.exists",
        ERROR,
        "ma_don_vi",
        column="_registry_level",
        row_condition="ma_don_vi.notna()",
        condition_parser="pandas",
    )
    b.add(
        "ExpectColumnValuesToBeInSet",
        "ma_don_vi.level",
        ERROR,
        "ma_don_vi",
        column="_registry_level",
        value_set=[level],
    )
    b.add(
        "ExpectColumnValuesToBeBetween",
        "ma_don_vi.active",
        ERROR,
        "ma_don_vi",
        column="_active_days_in_period",
        min_value=1,
    )
    b.add(
        "ExpectColumnValuesToBeBetween",
        "nam_bao_cao.defined",
        ERROR,
        "nam_bao_cao",
        column="nam_bao_cao",
        min_value=2024,
        max_value=2030,
    )
    b.add(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        "nam_bao_cao.not_future",
        ERROR,
        "nam_bao_cao",
        column_A="_received_year",
        column_B="nam_bao_cao",
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )
    b.add(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        "ngay_lap.not_after_received",
        ERROR,
        "ngay_lap",
        column_A="_received_date",
        column_B="ngay_lap",
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )
    b.add(
        "ExpectColumnPairValuesToBeEqual",
        "ten_don_vi.matches_registry",
        WARNING,
        "ten_don_vi",
        column_A="_ten_don_vi_folded",
        column_B="_registry_name_folded",
        ignore_row_if="either_value_is_missing",
    )
    if form == Form.CDCS:
        b.add(
            "ExpectColumnPairValuesToBeEqual",
            "ma_cap_tren.matches_registry",
            WARNING,
            "ma_cap_tren",
            column_A="ma_cap_tren",
            column_B="_registry_parent",
            ignore_row_if="either_value_is_missing",
        )
    b.add(
        "ExpectColumnValuesToBeInSet",
        "phien_ban_bieu_mau.known",
        WARNING,
        "phien_ban_bieu_mau",
        column="phien_ban_bieu_mau",
        value_set=list(FORM_VERSIONS[form]),
    )
    b.add("ExpectColumnValuesToMatchRegex", "email.well_formed", WARNING, "email", column="email", regex=EMAIL_REGEX)
    return b.suite


def cdcs_chitieu() -> gx.ExpectationSuite:
    """Sheet ChiTieu of the grassroots form: every E and W rule of FORMS.md."""
    b = _Builder("cdcs_chitieu")
    _numbers(b, CDCS_FIGURES)
    b.add(
        "ExpectColumnValuesToBeBetween",
        "tong_doan_vien.positive",
        ERROR,
        "tong_doan_vien",
        column="tong_doan_vien",
        min_value=1,
    )
    for field in ("doan_vien_nu", "dv_duoc_thong_tin", "dv_kho_khan", "dv_huong_phuc_loi"):
        b.le(field, "tong_doan_vien")
    b.le("dv_kho_khan_duoc_ho_tro", "dv_kho_khan")
    b.le("so_doi_thoai_phuc_loi_cao_hon", "so_cuoc_doi_thoai")
    b.le("chi_cham_lo_phuc_loi", "tong_chi_tai_chinh")
    b.add(
        "ExpectColumnValuesToBeInSet",
        "xep_loai_thoa_uoc.in_list",
        ERROR,
        "xep_loai_thoa_uoc",
        column="xep_loai_thoa_uoc",
        value_set=list(GRADES),
    )
    b.add(
        "ExpectColumnValuesToNotBeNull",
        "xep_loai_thoa_uoc.required",
        ERROR,
        "xep_loai_thoa_uoc",
        column="xep_loai_thoa_uoc",
        row_condition="co_thoa_uoc == 1",
        condition_parser="pandas",
    )
    b.add(
        "ExpectColumnValuesToBeNull",
        "xep_loai_thoa_uoc.empty_without_agreement",
        ERROR,
        "xep_loai_thoa_uoc",
        column="xep_loai_thoa_uoc",
        row_condition="co_thoa_uoc == 0",
        condition_parser="pandas",
    )
    # Warnings
    b.add(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        "tong_lao_dong.ge_tong_doan_vien",
        WARNING,
        "tong_lao_dong",
        "tong_doan_vien",
        column_A="tong_lao_dong",
        column_B="tong_doan_vien",
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )
    b.add(
        "ExpectColumnValuesToBeBetween",
        "so_suat_qua_tet.flag_zero",
        WARNING,
        "so_suat_qua_tet",
        column="so_suat_qua_tet",
        max_value=0,
        row_condition="to_chuc_tet_sum_vay == 0",
        condition_parser="pandas",
    )
    b.add(
        "ExpectColumnValuesToBeBetween",
        "gia_tri_qua_tet.average_range",
        WARNING,
        "gia_tri_qua_tet",
        column="_average_gift",
        min_value=100_000,
        max_value=5_000_000,
    )
    b.add(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        "ngay_ky_thoa_uoc.in_period",
        WARNING,
        "ngay_ky_thoa_uoc",
        column_A="_period_end",
        column_B="ngay_ky_thoa_uoc",
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )
    b.add(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        "dv_kho_khan_duoc_ho_tro.ge_support_people",
        WARNING,
        "dv_kho_khan_duoc_ho_tro",
        column_A="dv_kho_khan_duoc_ho_tro",
        column_B="_support_people",
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )
    _year_over_year(b, CDCS_FIGURES)
    return b.suite


OUTLIER_FIELDS = ("tong_doan_vien", "tong_chi_tai_chinh", "chi_cham_lo_phuc_loi", "gia_tri_qua_tet")


def _year_over_year(b: _Builder, fields: tuple[Field, ...]) -> None:
    for f in fields:
        if f.kind == Kind.COUNT:
            # `_yoy_<f>`: max(this/last, last/this) when both years are known and large enough to compare.
            b.add(
                "ExpectColumnValuesToBeBetween",
                f"{f.code}.year_over_year",
                WARNING,
                f.code,
                column=f"_yoy_{f.code}",
                max_value=3,
            )
    for code in OUTLIER_FIELDS:
        if any(f.code == code for f in fields):
            b.add(
                "ExpectColumnValuesToBeBetween",
                f"{code}.outlier",
                WARNING,
                code,
                column=f"_mz_{code}",
                min_value=-3.5,
                max_value=3.5,
            )


def captren_chitieu() -> gx.ExpectationSuite:
    """Sheet ChiTieu of the upper-level form."""
    b = _Builder("captren_chitieu")
    _numbers(b, CAPTREN_FIGURES)
    b.le("can_bo_da_tap_huan", "can_bo_chuyen_trach_phuc_loi")
    b.le("chi_cham_lo_phuc_loi", "tong_chi_tai_chinh")
    b.add(
        "ExpectColumnValuesToBeBetween",
        "tong_doan_vien_khoi_co_so.matches_grassroots",
        WARNING,
        "tong_doan_vien_khoi_co_so",
        column="_declared_vs_grassroots",
        min_value=0.98,
        max_value=1.02,
    )
    return b.suite


def cdcs_hotro() -> gx.ExpectationSuite:
    """Sheet HoTro: row rules (an error drops the row; > 5% bad rows rejects the file) and warnings."""
    b = _Builder("cdcs_hotro")
    b.add("ExpectColumnValuesToNotBeNull", "ho_ten.required", ERROR, "ho_ten", column="ho_ten")
    b.add(
        "ExpectColumnValuesToMatchRegex",
        "so_dinh_danh.twelve_digits",
        ERROR,
        "so_dinh_danh",
        column="so_dinh_danh",
        regex=CITIZEN_ID_REGEX,
    )
    b.add("ExpectColumnValuesToBeBetween", "nam_sinh.birth_year", ERROR, "nam_sinh", column="nam_sinh", min_value=1940)
    b.add(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        "nam_sinh.birth_year",
        ERROR,
        "nam_sinh",
        column_A="_latest_birth_year",
        column_B="nam_sinh",
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )
    for code in ("gioi_tinh", "nhom_hoan_canh", "chuong_trinh", "nguon_kinh_phi"):
        b.add("ExpectColumnValuesToBeInSet", f"{code}.code", ERROR, code, column=code, value_set=list(CODE_LISTS[code]))
    groups = "|".join(CODE_LISTS["doi_tuong_yeu_the"])
    b.add(
        "ExpectColumnValuesToMatchRegex",
        "doi_tuong_yeu_the.code",
        ERROR,
        "doi_tuong_yeu_the",
        column="doi_tuong_yeu_the",
        regex=rf"^({groups})(;({groups}))*$",
    )
    b.add("ExpectColumnValuesToBeBetween", "so_tien.positive", ERROR, "so_tien", column="so_tien", min_value=1)
    b.add(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        "ngay_ho_tro.in_period",
        WARNING,
        "ngay_ho_tro",
        column_A="ngay_ho_tro",
        column_B="_period_start",
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )
    b.add(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        "ngay_ho_tro.in_period",
        WARNING,
        "ngay_ho_tro",
        column_A="_period_end",
        column_B="ngay_ho_tro",
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )
    b.add(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        "so_tien.programme_cap",
        WARNING,
        "so_tien",
        column_A="_programme_cap",
        column_B="so_tien",
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )
    return b.suite


SUITES: dict[str, Callable[[], gx.ExpectationSuite]] = {
    "cdcs_thongtin": lambda: thongtin(Form.CDCS),
    "captren_thongtin": lambda: thongtin(Form.CAPTREN),
    "cdcs_chitieu": cdcs_chitieu,
    "captren_chitieu": captren_chitieu,
    "cdcs_hotro": cdcs_hotro,
}


def suite_for(name: str) -> gx.ExpectationSuite:
    return SUITES[name]()
