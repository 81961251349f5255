"""The catalogue of the programme's indicators (DOMAIN.md, "The 2030 targets as indicators").

This is the one definition: the dbt seed `indicators.csv` is written from it
(`welfare indicators export`, checked by a test) and the generator's truth uses it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Literal

Method = Literal["sum_ratio", "unit_count", "grade_share"]


@dataclass(frozen=True)
class Indicator:
    code: str
    name_vi: str
    name_en: str
    method: Method
    forms: tuple[str, ...]  # forms whose figures feed it
    numerator: str  # field code (sum or flag) — for grade_share: grades counted
    denominator: str  # field code, or "" for unit counts over active units
    target: float
    comparator: Literal["=", ">", ">="]
    target_year: int
    source: str  # paragraph of the programme
    formula: str

    def meets(self, value: float) -> bool:
        eps = 1e-9
        if self.comparator == "=":
            return value >= self.target - eps
        if self.comparator == ">":
            return value > self.target + eps
        return value >= self.target - eps


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "I01",
        "Đoàn viên được thông tin đầy đủ về chính sách, chương trình chăm lo phúc lợi",
        "Members fully informed of welfare policies and programmes",
        "sum_ratio",
        ("CDCS",),
        "dv_duoc_thong_tin",
        "tong_doan_vien",
        1.0,
        "=",
        2030,
        "I.2, gạch đầu dòng 1",
        "Σ dv_duoc_thong_tin / Σ tong_doan_vien (CĐCS)",
    ),
    Indicator(
        "I02",
        "Đoàn viên có hoàn cảnh khó khăn được thăm hỏi, hỗ trợ",
        "Members in hardship visited or supported",
        "sum_ratio",
        ("CDCS",),
        "dv_kho_khan_duoc_ho_tro",
        "dv_kho_khan",
        1.0,
        "=",
        2030,
        "I.2, gạch đầu dòng 2",
        "Σ dv_kho_khan_duoc_ho_tro / Σ dv_kho_khan (CĐCS)",
    ),
    Indicator(
        "I03",
        'Công đoàn cấp trên trực tiếp cơ sở tổ chức chương trình "Tết sum vầy"',
        'Upper-level unions holding "Tết sum vầy"',
        "unit_count",
        ("CAPTREN",),
        "to_chuc_tet_sum_vay",
        "",
        1.0,
        "=",
        2030,
        "I.2, gạch đầu dòng 3",
        "# CĐ cấp trên có to_chuc_tet_sum_vay = 1 / # CĐ cấp trên đang hoạt động",
    ),
    Indicator(
        "I04",
        'Công đoàn cấp trên trực tiếp cơ sở tổ chức "Tháng Công nhân"',
        "Upper-level unions holding Workers' Month",
        "unit_count",
        ("CAPTREN",),
        "to_chuc_thang_cong_nhan",
        "",
        1.0,
        "=",
        2030,
        "I.2, gạch đầu dòng 3",
        "# CĐ cấp trên có to_chuc_thang_cong_nhan = 1 / # CĐ cấp trên đang hoạt động",
    ),
    Indicator(
        "I05",
        'Công đoàn cơ sở tổ chức chương trình "Tết sum vầy"',
        'Grassroots unions holding "Tết sum vầy"',
        "unit_count",
        ("CDCS",),
        "to_chuc_tet_sum_vay",
        "",
        0.5,
        ">",
        2030,
        "I.2, gạch đầu dòng 3",
        "# CĐCS có to_chuc_tet_sum_vay = 1 / # CĐCS đang hoạt động",
    ),
    Indicator(
        "I06",
        'Công đoàn cơ sở tổ chức "Tháng Công nhân"',
        "Grassroots unions holding Workers' Month",
        "unit_count",
        ("CDCS",),
        "to_chuc_thang_cong_nhan",
        "",
        0.5,
        ">",
        2030,
        "I.2, gạch đầu dòng 3",
        "# CĐCS có to_chuc_thang_cong_nhan = 1 / # CĐCS đang hoạt động",
    ),
    Indicator(
        "I07",
        "Cuộc đối thoại có nội dung về phúc lợi tốt hơn quy định của pháp luật",
        "Dialogues with better-than-law welfare content",
        "sum_ratio",
        ("CDCS",),
        "so_doi_thoai_phuc_loi_cao_hon",
        "so_cuoc_doi_thoai",
        0.9,
        ">",
        2030,
        "I.2, gạch đầu dòng 4",
        "Σ so_doi_thoai_phuc_loi_cao_hon / Σ so_cuoc_doi_thoai (CĐCS)",
    ),
    Indicator(
        "I08",
        "Thỏa ước lao động tập thể được xếp loại B trở lên",
        "Collective agreements graded B or better",
        "grade_share",
        ("CDCS",),
        "xep_loai_thoa_uoc",
        "co_thoa_uoc",
        0.6,
        ">=",
        2030,
        "I.2, gạch đầu dòng 4",
        "# CĐCS có thỏa ước loại A hoặc B / # CĐCS có co_thoa_uoc = 1 (CXL tính là dưới B)",
    ),
    Indicator(
        "I09",
        "Cán bộ công đoàn chuyên trách làm công tác chăm lo phúc lợi được bồi dưỡng, tập huấn",
        "Full-time welfare officials trained",
        "sum_ratio",
        ("CAPTREN",),
        "can_bo_da_tap_huan",
        "can_bo_chuyen_trach_phuc_loi",
        1.0,
        "=",
        2030,
        "I.2, gạch đầu dòng 5",
        "Σ can_bo_da_tap_huan / Σ can_bo_chuyen_trach_phuc_loi (CĐ cấp trên)",
    ),
    Indicator(
        "I10",
        "Tỷ lệ chi cho hoạt động chăm lo phúc lợi trong tổng chi tài chính công đoàn",
        "Share of union spending on welfare",
        "sum_ratio",
        ("CDCS", "CAPTREN"),
        "chi_cham_lo_phuc_loi",
        "tong_chi_tai_chinh",
        0.6,
        ">=",
        2030,
        "I.2, gạch đầu dòng 6",
        "Σ chi_cham_lo_phuc_loi / Σ tong_chi_tai_chinh (cả hai biểu)",
    ),
    Indicator(
        "I11",
        "Đoàn viên được thụ hưởng phúc lợi (tầm nhìn 2045)",
        "Members benefiting from welfare (2045 vision)",
        "sum_ratio",
        ("CDCS",),
        "dv_huong_phuc_loi",
        "tong_doan_vien",
        1.0,
        "=",
        2045,
        "I.3",
        "Σ dv_huong_phuc_loi / Σ tong_doan_vien (CĐCS)",
    ),
)

BY_CODE = {i.code: i for i in INDICATORS}
GOOD_GRADES = ("A", "B")


def seed_csv() -> str:
    """The dbt seed `indicators.csv`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "indicator_code",
            "name_vi",
            "name_en",
            "method",
            "forms",
            "numerator_field",
            "denominator_field",
            "target_value",
            "target_comparator",
            "target_year",
            "source_paragraph",
            "formula_text",
            "baseline_year",
        ]
    )
    for i in INDICATORS:
        writer.writerow(
            [
                i.code,
                i.name_vi,
                i.name_en,
                i.method,
                ";".join(i.forms),
                i.numerator,
                i.denominator,
                i.target,
                i.comparator,
                i.target_year,
                i.source,
                i.formula,
                2024,
            ]
        )
    return buffer.getvalue()
