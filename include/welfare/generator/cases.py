"""The catalogue of deliberately broken submissions: one entry per FORMS.md rule.

Each case changes a well-behaved report so that it breaks exactly one rule. `rule` is the id
intake reports (it starts with the field code, so a reason names the field); `rejects` says
whether the rule is an error (the file is rejected) or a warning (accepted, follow-up opened).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from welfare.forms import Form, ReportContent


@dataclass(frozen=True)
class Case:
    rule: str
    form: Form
    rejects: bool
    description: str
    apply: Callable[[ReportContent, int], None]  # mutates the content; gets the year
    needs_support_rows: int = 0  # minimum HoTro rows the case needs
    needs_previous_year: bool = False  # the rule compares with the unit's previous accepted year


def _set(**values: object) -> Callable[[ReportContent, int], None]:
    def apply(content: ReportContent, _year: int) -> None:
        content.figures.update(values)

    return apply


def _info(**values: object) -> Callable[[ReportContent, int], None]:
    def apply(content: ReportContent, _year: int) -> None:
        content.info.update(values)

    return apply


def _exceed(field: str, over: str, by: int = 3) -> Callable[[ReportContent, int], None]:
    def apply(content: ReportContent, _year: int) -> None:
        content.figures[field] = int(str(content.figures[over] or 0)) + by

    return apply


def _no_grade(content: ReportContent, _year: int) -> None:
    content.figures.update(co_thoa_uoc=1, xep_loai_thoa_uoc=None, ngay_ky_thoa_uoc=date(_year - 1, 3, 1))


def _grade_without_cba(content: ReportContent, _year: int) -> None:
    content.figures.update(co_thoa_uoc=0, xep_loai_thoa_uoc="B")


def _zero_members(content: ReportContent, _year: int) -> None:
    for field in (
        "tong_doan_vien",
        "doan_vien_nu",
        "dv_duoc_thong_tin",
        "dv_kho_khan",
        "dv_kho_khan_duoc_ho_tro",
        "dv_huong_phuc_loi",
    ):
        content.figures[field] = 0
    content.support.clear()


def _fewer_workers(content: ReportContent, _year: int) -> None:
    content.figures["tong_lao_dong"] = max(0, int(str(content.figures["tong_doan_vien"])) - 7)


def _gifts_without_tet(content: ReportContent, _year: int) -> None:
    content.figures.update(to_chuc_tet_sum_vay=0, so_suat_qua_tet=25, gia_tri_qua_tet=25 * 800_000)


def _cheap_gifts(content: ReportContent, _year: int) -> None:
    content.figures.update(to_chuc_tet_sum_vay=1, so_suat_qua_tet=40, gia_tri_qua_tet=40 * 50_000)


def _late_cba(content: ReportContent, year: int) -> None:
    content.figures.update(co_thoa_uoc=1, xep_loai_thoa_uoc="B", ngay_ky_thoa_uoc=date(year, 12, 15))


def _bad_ids(share: float) -> Callable[[ReportContent, int], None]:
    def apply(content: ReportContent, _year: int) -> None:
        n = max(1, int(len(content.support) * share))
        for row in content.support[:n]:
            row["so_dinh_danh"] = "04209512345"  # 11 digits

    return apply


def _support_outside_period(content: ReportContent, year: int) -> None:
    content.support[0]["ngay_ho_tro"] = date(year - 2, 6, 1)


def _support_above_cap(content: ReportContent, _year: int) -> None:
    content.support[0].update(chuong_trinh="TET_SUM_VAY", so_tien=9_500_000)


def _more_people_than_supported(content: ReportContent, _year: int) -> None:
    people = len({(r["ho_ten"], r["nam_sinh"]) for r in content.support})
    content.figures["dv_kho_khan_duoc_ho_tro"] = max(0, people - 2)


def _yoy_jump(content: ReportContent, _year: int) -> None:
    total = int(str(content.figures["tong_doan_vien"])) * 5
    content.figures.update(
        tong_doan_vien=total, tong_lao_dong=total + 10, dv_duoc_thong_tin=total, dv_huong_phuc_loi=total // 2
    )


def _captren_declared_members_off(content: ReportContent, _year: int) -> None:
    declared = int(str(content.figures["tong_doan_vien_khoi_co_so"]))
    content.figures["tong_doan_vien_khoi_co_so"] = round(declared * 1.12) + 10


def _future_sign_date(content: ReportContent, year: int) -> None:
    content.info["ngay_lap"] = date(year + 1, 1, 15)


C, U = Form.CDCS, Form.CAPTREN

CASES: tuple[Case, ...] = (
    # --- ThongTin (identification) -------------------------------------------------------
    Case("ma_don_vi.required", C, True, "no unit code", _info(ma_don_vi=None)),
    Case("ma_don_vi.exists", C, True, "a unit code the registry does not know", _info(ma_don_vi="CS99999")),
    Case("ma_don_vi.level", C, True, "an upper-level unit's code on a grassroots form", _info(ma_don_vi="LDLD_HT")),
    Case("ma_don_vi.active", C, True, "a unit not active at any time in the period", lambda c, y: None),
    Case("nam_bao_cao.required", C, True, "no reporting year", _info(nam_bao_cao=None)),
    Case("nam_bao_cao.defined", C, True, "a year the calendar does not define", _info(nam_bao_cao=2019)),
    Case(
        "nam_bao_cao.not_future", C, True, "a year still in the future", lambda c, y: c.info.update(nam_bao_cao=y + 1)
    ),
    Case("ngay_lap.not_after_received", C, True, "prepared after it was received", _future_sign_date),
    Case(
        "ten_don_vi.matches_registry",
        C,
        False,
        "a unit name unlike the registry's",
        _info(ten_don_vi="Công đoàn Công ty TNHH Tên Cũ"),
    ),
    Case(
        "ma_cap_tren.matches_registry",
        C,
        False,
        "an upper-level code unlike the registry's",
        _info(ma_cap_tren="CD_KHAC"),
    ),
    Case("phien_ban_bieu_mau.known", C, False, "an unknown form version", _info(phien_ban_bieu_mau="CDCS-2019.3")),
    Case("email.well_formed", C, False, "a malformed e-mail address", _info(email="chutich@@congdoan")),
    # --- ChiTieu, CDCS: errors --------------------------------------------------------------
    Case("tong_doan_vien.positive", C, True, "no members", _zero_members),
    Case(
        "doan_vien_nu.le_tong_doan_vien", C, True, "more women than members", _exceed("doan_vien_nu", "tong_doan_vien")
    ),
    Case(
        "dv_duoc_thong_tin.le_tong_doan_vien",
        C,
        True,
        "more informed than members",
        _exceed("dv_duoc_thong_tin", "tong_doan_vien"),
    ),
    Case(
        "dv_kho_khan.le_tong_doan_vien",
        C,
        True,
        "more in hardship than members",
        _exceed("dv_kho_khan", "tong_doan_vien"),
    ),
    Case(
        "dv_kho_khan_duoc_ho_tro.le_dv_kho_khan",
        C,
        True,
        "more supported than in hardship",
        _exceed("dv_kho_khan_duoc_ho_tro", "dv_kho_khan"),
    ),
    Case(
        "dv_huong_phuc_loi.le_tong_doan_vien",
        C,
        True,
        "more beneficiaries than members",
        _exceed("dv_huong_phuc_loi", "tong_doan_vien"),
    ),
    Case("to_chuc_tet_sum_vay.flag", C, True, "a flag that is not 1/0", _set(to_chuc_tet_sum_vay=2)),
    Case("to_chuc_thang_cong_nhan.flag", C, True, "a flag that is not 1/0", _set(to_chuc_thang_cong_nhan=3)),
    Case("co_thoa_uoc.flag", C, True, "a flag that is not 1/0", _set(co_thoa_uoc=5)),
    Case(
        "so_doi_thoai_phuc_loi_cao_hon.le_so_cuoc_doi_thoai",
        C,
        True,
        "more better-than-law dialogues than dialogues",
        _exceed("so_doi_thoai_phuc_loi_cao_hon", "so_cuoc_doi_thoai"),
    ),
    Case("xep_loai_thoa_uoc.required", C, True, "an agreement without a grade", _no_grade),
    Case("xep_loai_thoa_uoc.empty_without_agreement", C, True, "a grade without an agreement", _grade_without_cba),
    Case(
        "xep_loai_thoa_uoc.in_list", C, True, "a grade outside A/B/C/D/CXL", _set(co_thoa_uoc=1, xep_loai_thoa_uoc="E")
    ),
    Case(
        "chi_cham_lo_phuc_loi.le_tong_chi_tai_chinh",
        C,
        True,
        "welfare spending above total spending",
        _exceed("chi_cham_lo_phuc_loi", "tong_chi_tai_chinh", 1_000_000),
    ),
    Case(
        "so_cuoc_doi_thoai.non_negative",
        C,
        True,
        "a negative count",
        _set(so_cuoc_doi_thoai=-2, so_doi_thoai_phuc_loi_cao_hon=0),
    ),
    Case("tong_chi_tai_chinh.whole_number", C, True, "money with decimals", _set(tong_chi_tai_chinh="12,5")),
    Case("gia_tri_qua_tet.number", C, True, "text where a number belongs", _set(gia_tri_qua_tet="nhiều")),
    # --- ChiTieu, CDCS: warnings -------------------------------------------------------------
    Case("tong_lao_dong.ge_tong_doan_vien", C, False, "fewer workers than members", _fewer_workers),
    Case("so_suat_qua_tet.flag_zero", C, False, "Tết gifts without the Tết programme", _gifts_without_tet),
    Case("gia_tri_qua_tet.average_range", C, False, "an average Tết gift of 50.000 đ", _cheap_gifts),
    Case("ngay_ky_thoa_uoc.in_period", C, False, "an agreement signed after the period", _late_cba),
    Case(
        "tong_doan_vien.year_over_year", C, False, "members ×5 against last year", _yoy_jump, needs_previous_year=True
    ),
    # --- HoTro -------------------------------------------------------------------------------
    Case(
        "so_dinh_danh.twelve_digits",
        C,
        False,
        "one support row (≤ 5%) with an 11-digit ID",
        _bad_ids(0.0),
        needs_support_rows=25,
    ),
    Case("hotro.bad_row_share", C, True, "more than 5% of support rows invalid", _bad_ids(0.3), needs_support_rows=8),
    Case(
        "ngay_ho_tro.in_period",
        C,
        False,
        "support given outside the period",
        _support_outside_period,
        needs_support_rows=1,
    ),
    Case(
        "so_tien.programme_cap",
        C,
        False,
        "a Tết gift above the programme's cap",
        _support_above_cap,
        needs_support_rows=1,
    ),
    Case(
        "dv_kho_khan_duoc_ho_tro.ge_support_people",
        C,
        False,
        "more people listed than supported",
        _more_people_than_supported,
        needs_support_rows=4,
    ),
    # --- CAPTREN -----------------------------------------------------------------------------
    Case(
        "can_bo_da_tap_huan.le_can_bo_chuyen_trach_phuc_loi",
        U,
        True,
        "more trained than officials",
        _exceed("can_bo_da_tap_huan", "can_bo_chuyen_trach_phuc_loi", 2),
    ),
    Case(
        "chi_cham_lo_phuc_loi.le_tong_chi_tai_chinh",
        U,
        True,
        "welfare spending above total spending",
        _exceed("chi_cham_lo_phuc_loi", "tong_chi_tai_chinh", 5_000_000),
    ),
    Case("to_chuc_thang_cong_nhan.flag", U, True, "a flag that is not 1/0", _set(to_chuc_thang_cong_nhan=7)),
    Case(
        "tong_doan_vien_khoi_co_so.matches_grassroots",
        U,
        False,
        "declared members 12% above the grassroots sum",
        _captren_declared_members_off,
    ),
)
