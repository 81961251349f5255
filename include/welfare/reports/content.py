"""From a snapshot's frozen mart rows to a `Report` for the province or one upper-level union.

Scope: the province report covers every unit active at the end of the reporting period; an
upper-level union's report covers its grassroots unions at period end and its own report.
Reports of units no longer active at period end stay outside, as they do in the indicators.
The sections follow the programme: I (targets), II (tasks: care for members in hardship,
programmes, dialogue and agreements, finance, training), III (organisation, reporting), then
the annexes on reporting and data quality and the provenance of the figures.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from welfare.config import TIMEZONE
from welfare.reports import formatting as fmt
from welfare.reports import labels as lb
from welfare.reports.model import Column, Report, Section, Table
from welfare.reports.snapshot import ReportError, Snapshot

PROGRAMME_NAME = "Chương trình hành động 04/CTr-LĐLĐ"
CONFEDERATION = "TỔNG LIÊN ĐOÀN LAO ĐỘNG VIỆT NAM"
BASELINE_YEAR = 2024


def report_title(year: int) -> str:
    return f"Báo cáo kết quả thực hiện {PROGRAMME_NAME} năm {year}"


@dataclass(frozen=True)
class Scope:
    unit_code: str
    unit_name: str
    level: str  # "province" | "upper"
    province_code: str
    province_name: str
    grassroots: frozenset[str]
    uppers: frozenset[str]

    @property
    def units(self) -> frozenset[str]:
        return self.grassroots | self.uppers | {self.unit_code}


class Data:
    """Indexed access to a snapshot's payload."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.year: int = int(payload["reporting_year"])
        self.calendar: dict[str, Any] = payload["year"][0]
        self.indicators: list[dict[str, Any]] = payload["indicators"]
        self.units: dict[str, dict[str, Any]] = {u["unit_code"]: u for u in payload["units"]}
        self.values: dict[tuple[str, int, str, str], dict[str, Any]] = {
            (r["indicator_code"], r["reporting_year"], r["org_level"], r["unit_code"]): r
            for r in payload["indicator_values"]
        }
        self.years = sorted({r["reporting_year"] for r in payload["indicator_values"]})
        provinces = [u for u in payload["units"] if u["unit_level"] == "TINH" and u["is_active"]]
        if len(provinces) != 1:
            raise ReportError("the registry must have exactly one active province unit (cap TINH) at period end")
        self.province = provinces[0]

    def name(self, code: str | None) -> str:
        if not code:
            return ""
        unit = self.units.get(code)
        return fmt.text(unit["unit_name"]) if unit else code

    def active(self, level: str) -> list[str]:
        return sorted(c for c, u in self.units.items() if u["is_active"] and u["unit_level"] == level)

    def value(self, code: str, year: int, level: str, unit: str) -> dict[str, Any] | None:
        return self.values.get((code, year, level, unit))

    def scope(self, unit_code: str | None) -> Scope:
        province_code = self.province["unit_code"]
        province_name = fmt.text(self.province["unit_name"])
        if unit_code is None or unit_code == province_code:
            return Scope(
                province_code,
                province_name,
                "province",
                province_code,
                province_name,
                frozenset(self.active("CDCS")),
                frozenset(self.active("CAP_TREN")),
            )
        uppers = self.active("CAP_TREN")
        if unit_code not in uppers:
            raise ReportError(
                f"{unit_code} is not an upper-level union active at the end of the {self.year} period; "
                f"choose the province ({province_code}) or one of: {', '.join(uppers) or 'none'}"
            )
        grassroots = frozenset(
            c
            for c, u in self.units.items()
            if u["is_active"] and u["unit_level"] == "CDCS" and u["parent_unit_code"] == unit_code
        )
        return Scope(
            unit_code, self.name(unit_code), "upper", province_code, province_name, grassroots, frozenset({unit_code})
        )


def _sum(rows: Iterable[dict[str, Any]], key: str) -> int:
    return sum(int(r[key] or 0) for r in rows)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _scope_digest(data: Data, scope: Scope) -> tuple[int, str, datetime | None]:
    rows = [s for s in data.payload["submissions"] if s["is_counted"] and s["unit_code"] in scope.units]
    lines = sorted(f"{int(r['submission_id'])}:{r['sha256']}" for r in rows)
    digest = hashlib.sha256("".join(line + "\n" for line in lines).encode()).hexdigest()
    latest = max((datetime.fromisoformat(s["received_at"]) for s in data.payload["submissions"]), default=None)
    return len(lines), digest, latest


def _status(row: dict[str, Any] | None) -> str:
    if row is None:
        return "Không có số liệu"
    if row["value"] is None:
        return lb.label(fmt.NULL_REASON_VI, row["null_reason"]) or "Không có số liệu"
    if row["status"] is None:
        return "Chưa có năm cơ sở"
    return fmt.STATUS_VI.get(row["status"], row["status"])


# -- I. targets ---------------------------------------------------------------------------------


def targets_section(data: Data, scope: Scope) -> Section:
    year, level = data.year, scope.level
    history_years = [y for y in data.years if BASELINE_YEAR < y < year]
    main_rows, path_rows = [], []
    counts: dict[str, int] = defaultdict(int)
    for ind in data.indicators:
        code = ind["indicator_code"]
        row = data.value(code, year, level, scope.unit_code)
        status = row["status"] if row else None
        counts[status or "none"] += 1
        main_rows.append(
            {
                "ma": code,
                "chi_tieu": fmt.quotes(fmt.text(ind["name_vi"])),
                "ket_qua": row["value"] if row else None,
                "tu_so": row["numerator"] if row else None,
                "mau_so": row["denominator"] if row else None,
                "muc_tieu": fmt.target(ind["target_value"], ind["target_comparator"], ind["target_year"]),
                "con_thieu": row["gap"] if row else None,
                "danh_gia": _status(row),
            }
        )
        path: dict[str, Any] = {"ma": code, "co_so": row["baseline_value"] if row else None}
        for y in history_years:
            past = data.value(code, y, level, scope.unit_code)
            path[f"nam_{y}"] = past["value"] if past else None
        path.update(
            {
                "nam_hien_tai": row["value"] if row else None,
                "lo_trinh": row["path_value"] if row else None,
                "bao_cao": (f"{fmt.number(row['reporting_units'])}/{fmt.number(row['expected_units'])}" if row else ""),
                "ty_le_bao_cao": row["coverage"] if row else None,
            }
        )
        path_rows.append(path)
    main = Table(
        "chi_tieu",
        f"Bảng 1. Kết quả thực hiện các chỉ tiêu năm {year}",
        [
            Column("ma", "Mã", "code", 0.55),
            Column("chi_tieu", "Chỉ tiêu", "text", 3.2),
            Column("tu_so", "Tử số", "int", 1.35),
            Column("mau_so", "Mẫu số", "int", 1.35),
            Column("ket_qua", "Kết quả", "pct", 0.85),
            Column("muc_tieu", "Mục tiêu 2030", "text", 0.9),
            Column("con_thieu", "Còn thiếu (điểm %)", "pp", 0.85),
            Column("danh_gia", "Đánh giá", "text", 1.15),
        ],
        main_rows,
        note=(
            "Tỷ lệ tính từ số liệu của các báo cáo được chấp nhận; chỉ tiêu tính theo số đơn vị lấy mẫu số là số "
            "đơn vị đang hoạt động cuối kỳ (đơn vị không báo cáo tính là chưa đạt). Còn thiếu = mục tiêu − kết quả "
            "(số âm: vượt mục tiêu). I10 tính bằng đồng; I11 là tầm nhìn đến năm 2045."
        ),
    )
    path_columns = [Column("ma", "Mã", "code", 0.6), Column("co_so", f"Năm {BASELINE_YEAR} (cơ sở)", "pct", 1.1)]
    path_columns += [Column(f"nam_{y}", f"Năm {y}", "pct", 0.9) for y in history_years]
    path_columns += [
        Column("nam_hien_tai", f"Năm {year}", "pct", 0.9),
        Column("lo_trinh", f"Lộ trình năm {year}", "pct", 1.0),
        Column("bao_cao", "Báo cáo được tính", "text", 1.0),
        Column("ty_le_bao_cao", "Tỷ lệ báo cáo", "pct", 0.9),
    ]
    path_table = Table(
        "lo_trinh",
        f"Bảng 2. Diễn biến các chỉ tiêu so với năm cơ sở {BASELINE_YEAR} và lộ trình đến năm 2030",
        path_columns,
        path_rows,
        note=(
            f"Lộ trình: đường thẳng từ giá trị năm {BASELINE_YEAR} đến mục tiêu năm 2030 (I11: năm 2045). "
            "“Đúng lộ trình” khi kết quả đạt hoặc vượt giá trị lộ trình của năm."
        ),
    )
    total = len(data.indicators)
    paragraphs = [
        (
            f"Năm {year}, có {counts['met']}/{total} chỉ tiêu đã đạt mục tiêu, {counts['on_track']} chỉ tiêu đúng "
            f"lộ trình và {counts['behind']} chỉ tiêu chậm so với lộ trình đến năm 2030"
            + (
                f"; {counts['none']} chỉ tiêu chưa đánh giá được (chưa có số liệu hoặc chưa có năm cơ sở)."
                if counts["none"]
                else "."
            )
        ),
    ]
    return Section(
        "ChiTieu",
        "I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CHỦ YẾU ĐẾN NĂM 2030",
        1,
        paragraphs,
        [main, path_table],
        ["indicator_paths", "units_compared"],
    )


# -- II.1 support ---------------------------------------------------------------------------------


def _grouped(rows: list[dict[str, Any]], key: str, order: dict[str, str]) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r[key]].append(r)
    out = []
    for code in [*order, *sorted(set(groups) - set(order))]:
        members = groups.get(code, [])
        out.append(
            {
                "ma": code,
                "noi_dung": lb.label(order, code),
                "so_luot": _sum(members, "case_count"),
                "so_tien": _sum(members, "amount_total"),
            }
        )
    total_cases = _sum(rows, "case_count")
    total_amount = _sum(rows, "amount_total")
    out.append({"ma": "", "noi_dung": "Tổng cộng", "so_luot": total_cases, "so_tien": total_amount})
    return out


def support_section(data: Data, scope: Scope) -> Section:
    rows = [r for r in data.payload["support"] if r["unit_code"] in scope.grassroots]
    groups = [r for r in data.payload["support_groups"] if r["unit_code"] in scope.grassroots]
    i02 = data.value("I02", data.year, scope.level, scope.unit_code)
    columns = [
        Column("ma", "Mã", "code", 1.6, in_pdf=False),
        Column("noi_dung", "Nội dung", "text", 3.2),
        Column("so_luot", "Số lượt hỗ trợ", "int", 1.1),
        Column("so_tien", "Số tiền (đồng)", "money", 1.5),
    ]
    without_id = _sum(rows, "case_without_id_count")
    paragraphs = []
    if i02 and i02["denominator"] is not None:
        paragraphs.append(
            f"Số đoàn viên có hoàn cảnh khó khăn: {fmt.number(i02['denominator'])} người; được thăm hỏi, hỗ trợ: "
            f"{fmt.number(i02['numerator'])} người, đạt {fmt.percent(i02['value'])} (chỉ tiêu I02)."
        )
    paragraphs.append(
        f"Danh sách hỗ trợ của các CĐCS ghi nhận {fmt.number(_sum(rows, 'case_count'))} lượt hỗ trợ với tổng số "
        f"tiền {fmt.number(_sum(rows, 'amount_total'))} đồng, trong đó {fmt.number(without_id)} lượt không kèm số "
        "định danh. Báo cáo chỉ nêu số lượng và số tiền, không nêu tên người được hỗ trợ; số liệu về sức khỏe "
        "(ốm đau, tai nạn lao động, bệnh nghề nghiệp) chỉ được tổng hợp, không chi tiết theo đơn vị."
    )
    group_rows = []
    for code, name in lb.VULNERABLE.items():
        members = [g for g in groups if g["vulnerable_group"] == code]
        group_rows.append(
            {
                "ma": code,
                "noi_dung": name,
                "so_luot": _sum(members, "case_count"),
                "so_tien": _sum(members, "amount_total"),
            }
        )
    return Section(
        "HoTro",
        "1. Chăm lo, hỗ trợ đoàn viên có hoàn cảnh khó khăn",
        2,
        paragraphs,
        [
            Table("theo_hoan_canh", "Bảng 3. Hỗ trợ theo hoàn cảnh", columns,
                  _grouped(rows, "nhom_hoan_canh", lb.SITUATIONS), bold_last_row=True),
            Table("theo_chuong_trinh", "Bảng 4. Hỗ trợ theo chương trình, hình thức", columns,
                  _grouped(rows, "chuong_trinh", lb.PROGRAMMES), bold_last_row=True),
            Table("theo_nguon", "Bảng 5. Hỗ trợ theo nguồn kinh phí", columns,
                  _grouped(rows, "nguon_kinh_phi", lb.FUNDING), bold_last_row=True),
            Table("doi_tuong_yeu_the", "Bảng 6. Hỗ trợ đối tượng yếu thế", columns, group_rows,
                  note="Một lượt hỗ trợ cho người thuộc nhiều nhóm được tính ở mỗi nhóm."),
        ],
    )  # fmt: skip


# -- II.2 programmes ------------------------------------------------------------------------------


def _programme_rows(data: Data, scope: Scope) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = [r for r in data.payload["programmes"] if r["is_expected_unit"]]
    cdcs = [r for r in rows if r["form"] == "CDCS" and r["unit_code"] in scope.grassroots]
    upper = [r for r in rows if r["form"] == "CAPTREN" and r["unit_code"] in scope.uppers]
    return cdcs, upper


def programmes_section(data: Data, scope: Scope) -> Section:
    cdcs, upper = _programme_rows(data, scope)
    support = [r for r in data.payload["support"] if r["unit_code"] in scope.grassroots]
    mai_am = [r for r in support if r["chuong_trinh"] in ("MAI_AM_XAY_MOI", "MAI_AM_SUA_CHUA")]
    gifts, gift_value = _sum(cdcs, "so_suat_qua_tet"), _sum(cdcs, "gia_tri_qua_tet")
    n_cdcs, n_upper = len(scope.grassroots), len(scope.uppers)
    items = [
        ("Tết sum vầy", "CĐCS tổ chức “Tết sum vầy” (đơn vị)", _sum(cdcs, "to_chuc_tet_sum_vay"), None),
        ("Tết sum vầy", "CĐ cấp trên tổ chức “Tết sum vầy” (đơn vị)", _sum(upper, "to_chuc_tet_sum_vay"), None),
        ("Tết sum vầy", "Suất quà Tết của CĐCS (suất) và giá trị", gifts, gift_value),
        ("Tết sum vầy", "Giá trị bình quân một suất quà", None,
         round(gift_value / gifts) if gifts else None),
        ("Tháng Công nhân", "CĐCS tổ chức “Tháng Công nhân” (đơn vị)", _sum(cdcs, "to_chuc_thang_cong_nhan"), None),
        ("Tháng Công nhân", "CĐ cấp trên tổ chức “Tháng Công nhân” (đơn vị)",
         _sum(upper, "to_chuc_thang_cong_nhan"), None),
        ("Mái ấm Công đoàn", "Nhà “Mái ấm Công đoàn” xây mới, sửa chữa (nhà) và kinh phí hỗ trợ",
         _sum(cdcs, "so_nha_mai_am"), _sum(mai_am, "amount_total")),
        ("Việc làm", "Người lao động bị giảm giờ làm, mất việc được hỗ trợ (người)",
         _sum(cdcs, "so_ld_mat_viec_duoc_ho_tro"), None),
        ("Phúc lợi", "Đoàn viên được thụ hưởng phúc lợi (người)", _sum(cdcs, "dv_huong_phuc_loi"), None),
        ("Quỹ Xã hội", "Quỹ Xã hội Công đoàn vận động được", None, _sum(upper, "quy_xa_hoi_van_dong")),
        ("Vay vốn", "Dự án vay vốn Quỹ quốc gia về việc làm (dự án) và số tiền",
         _sum(upper, "vay_von_so_du_an"), _sum(upper, "vay_von_so_tien")),
        ("Vay vốn", "Lao động được tạo việc làm từ vốn vay (người)", _sum(upper, "vay_von_so_lao_dong"), None),
        ("Hợp tác", "Thỏa thuận hợp tác chăm lo phúc lợi với đối tác (thỏa thuận)",
         _sum(upper, "so_thoa_thuan_phuc_loi"), None),
    ]  # fmt: skip
    table = Table(
        "chuong_trinh",
        "Bảng 7. Kết quả các chương trình phúc lợi",
        [
            Column("nhom", "Chương trình", "text", 1.3),
            Column("noi_dung", "Nội dung", "text", 3.6),
            Column("so_luong", "Số lượng", "int", 1.0),
            Column("gia_tri", "Giá trị (đồng)", "money", 1.5),
        ],
        [{"nhom": g, "noi_dung": t, "so_luong": n, "gia_tri": v} for g, t, n, v in items],
        note=f"Tính trên {fmt.number(len(cdcs))}/{fmt.number(n_cdcs)} báo cáo CĐCS và "
        f"{fmt.number(len(upper))}/{fmt.number(n_upper)} báo cáo CĐ cấp trên được tính.",
    )
    tables = [table]
    if scope.level == "province":
        by_unit = []
        all_cdcs = [r for r in data.payload["programmes"] if r["is_expected_unit"] and r["form"] == "CDCS"]
        for code in sorted(scope.uppers):
            members = [r for r in all_cdcs if r["parent_unit_code"] == code]
            expected = sum(1 for c in scope.grassroots if data.units[c]["parent_unit_code"] == code)
            by_unit.append(
                {
                    "ma": code,
                    "don_vi": data.name(code),
                    "cdcs": f"{fmt.number(len(members))}/{fmt.number(expected)}",
                    "tet": _sum(members, "to_chuc_tet_sum_vay"),
                    "thang_cn": _sum(members, "to_chuc_thang_cong_nhan"),
                    "suat_qua": _sum(members, "so_suat_qua_tet"),
                    "gia_tri_qua": _sum(members, "gia_tri_qua_tet"),
                    "mai_am": _sum(members, "so_nha_mai_am"),
                }
            )
        tables.append(
            Table(
                "chuong_trinh_theo_don_vi",
                "Bảng 8. Chương trình phúc lợi của CĐCS theo công đoàn cấp trên",
                [
                    Column("ma", "Mã", "code", 1.15),
                    Column("don_vi", "Công đoàn cấp trên", "text", 2.4),
                    Column("cdcs", "Báo cáo CĐCS", "text", 0.9),
                    Column("tet", "Tết sum vầy (CĐCS)", "int", 0.9),
                    Column("thang_cn", "Tháng Công nhân (CĐCS)", "int", 0.9),
                    Column("suat_qua", "Suất quà Tết", "int", 0.9),
                    Column("gia_tri_qua", "Giá trị quà (đồng)", "money", 1.5),
                    Column("mai_am", "Nhà Mái ấm", "int", 0.7),
                ],
                by_unit,
            )
        )
    return Section(
        "ChuongTrinh", "2. Triển khai các chương trình phúc lợi cho đoàn viên, người lao động", 2, [], tables
    )


# -- II.3 dialogue and agreements -----------------------------------------------------------------


def agreements_section(data: Data, scope: Scope) -> Section:
    rows = [r for r in data.payload["agreements"] if r["is_expected_unit"] and r["unit_code"] in scope.grassroots]
    with_cba = [r for r in rows if r["co_thoa_uoc"] == 1]
    grade_rows = []
    for code, name in lb.GRADES.items():
        n = sum(1 for r in with_cba if (r["xep_loai_thoa_uoc"] or "CXL") == code)
        grade_rows.append({"ma": code, "xep_loai": name, "so_thoa_uoc": n, "ty_le": _ratio(n, len(with_cba))})
    grade_rows.append(
        {"ma": "", "xep_loai": "Tổng số thỏa ước", "so_thoa_uoc": len(with_cba), "ty_le": 1.0 if with_cba else None}
    )
    dialogues, better = _sum(rows, "so_cuoc_doi_thoai"), _sum(rows, "so_doi_thoai_phuc_loi_cao_hon")
    good = sum(1 for r in with_cba if r["is_graded_b_or_better"])
    paragraphs = [
        f"Các CĐCS báo cáo {fmt.number(dialogues)} cuộc đối thoại tại nơi làm việc, trong đó "
        f"{fmt.number(better)} cuộc có nội dung về phúc lợi tốt hơn quy định của pháp luật "
        f"({fmt.percent(_ratio(better, dialogues))}, chỉ tiêu I07: trên 90%).",
        f"Có {fmt.number(len(with_cba))}/{fmt.number(len(rows))} CĐCS báo cáo có thỏa ước lao động tập thể còn "
        f"hiệu lực; {fmt.number(good)} thỏa ước xếp loại B trở lên ({fmt.percent(_ratio(good, len(with_cba)))}, "
        f"chỉ tiêu I08: ít nhất 60%; thỏa ước chưa xếp loại tính là dưới loại B). Tổng số điều khoản có lợi hơn "
        f"cho người lao động so với quy định của pháp luật: {fmt.number(_sum(rows, 'so_dieu_khoan_co_loi_hon'))}.",
    ]
    table = Table(
        "thoa_uoc_theo_loai",
        "Bảng 9. Thỏa ước lao động tập thể theo xếp loại",
        [
            Column("ma", "Mã", "code", 0.6, in_pdf=False),
            Column("xep_loai", "Xếp loại", "text", 2.4),
            Column("so_thoa_uoc", "Số thỏa ước", "int", 1.1),
            Column("ty_le", "Tỷ lệ", "pct", 1.0),
        ],
        grade_rows,
        bold_last_row=True,
    )
    return Section("ThoaUoc", "3. Đối thoại, thương lượng và thỏa ước lao động tập thể", 2, paragraphs, [table])


# -- II.4 finance ---------------------------------------------------------------------------------


def finance_section(data: Data, scope: Scope) -> Section:
    rows = [r for r in data.payload["finance"] if r["is_expected_unit"]]
    cdcs = [r for r in rows if r["form"] == "CDCS" and r["unit_code"] in scope.grassroots]
    upper = [r for r in rows if r["form"] == "CAPTREN" and r["unit_code"] in scope.uppers]
    table_rows = []
    for name, members in (("Công đoàn cơ sở", cdcs), ("Công đoàn cấp trên trực tiếp cơ sở", upper),
                          ("Tổng cộng", cdcs + upper)):  # fmt: skip
        total, welfare = _sum(members, "tong_chi_tai_chinh"), _sum(members, "chi_cham_lo_phuc_loi")
        table_rows.append(
            {
                "cap": name,
                "so_bao_cao": len(members),
                "tong_chi": total,
                "chi_phuc_loi": welfare,
                "ty_le": _ratio(welfare, total),
            }
        )
    tables = [
        Table(
            "tai_chinh",
            "Bảng 10. Chi tài chính công đoàn cho hoạt động chăm lo phúc lợi",
            [
                Column("cap", "Cấp công đoàn", "text", 2.4),
                Column("so_bao_cao", "Số báo cáo", "int", 0.8),
                Column("tong_chi", "Tổng chi (đồng)", "money", 1.6),
                Column("chi_phuc_loi", "Chi chăm lo phúc lợi (đồng)", "money", 1.6),
                Column("ty_le", "Tỷ lệ", "pct", 0.8),
            ],
            table_rows,
            note="Tỷ lệ tổng cộng là chỉ tiêu I10 (mục tiêu: ít nhất 60%).",
            bold_last_row=True,
        )
    ]
    if scope.level == "province":
        by_unit = []
        for code in sorted(scope.uppers):
            row = data.value("I10", data.year, "upper", code)
            by_unit.append(
                {
                    "ma": code,
                    "don_vi": data.name(code),
                    "tong_chi": row["denominator"] if row else None,
                    "chi_phuc_loi": row["numerator"] if row else None,
                    "ty_le": row["value"] if row else None,
                }
            )
        tables.append(
            Table(
                "tai_chinh_theo_don_vi",
                "Bảng 11. Tỷ lệ chi chăm lo phúc lợi theo công đoàn cấp trên (gồm các CĐCS trực thuộc)",
                [
                    Column("ma", "Mã", "code", 1.15),
                    Column("don_vi", "Công đoàn cấp trên", "text", 2.4),
                    Column("tong_chi", "Tổng chi (đồng)", "money", 1.6),
                    Column("chi_phuc_loi", "Chi chăm lo phúc lợi (đồng)", "money", 1.6),
                    Column("ty_le", "Tỷ lệ", "pct", 0.8),
                ],
                by_unit,
            )
        )
    return Section("TaiChinh", "4. Bố trí nguồn tài chính công đoàn cho chăm lo phúc lợi", 2, [], tables)


# -- II.5 training --------------------------------------------------------------------------------


def training_section(data: Data, scope: Scope) -> Section:
    rows = []
    for code in sorted(scope.uppers):
        row = data.value("I09", data.year, "upper", code)
        rows.append(
            {
                "ma": code,
                "don_vi": data.name(code),
                "can_bo": row["denominator"] if row else None,
                "da_tap_huan": row["numerator"] if row else None,
                "ty_le": row["value"] if row else None,
                "ghi_chu": "" if row and row["value"] is not None else _status(row),
            }
        )
    if scope.level == "province":
        total = data.value("I09", data.year, "province", scope.unit_code)
        rows.append(
            {
                "ma": "",
                "don_vi": "Toàn tỉnh",
                "can_bo": total["denominator"] if total else None,
                "da_tap_huan": total["numerator"] if total else None,
                "ty_le": total["value"] if total else None,
                "ghi_chu": "",
            }
        )
    table = Table(
        "tap_huan",
        "Bảng 12. Cán bộ chuyên trách làm công tác chăm lo phúc lợi được bồi dưỡng, tập huấn",
        [
            Column("ma", "Mã", "code", 1.15),
            Column("don_vi", "Công đoàn cấp trên", "text", 2.6),
            Column("can_bo", "Cán bộ chuyên trách", "int", 1.0),
            Column("da_tap_huan", "Đã được tập huấn", "int", 1.0),
            Column("ty_le", "Tỷ lệ", "pct", 0.8),
            Column("ghi_chu", "Ghi chú", "text", 1.3),
        ],
        rows,
        note="Chỉ tiêu I09 (mục tiêu: 100%), theo báo cáo của công đoàn cấp trên trực tiếp cơ sở.",
        bold_last_row=scope.level == "province",
    )
    return Section("TapHuan", "5. Bồi dưỡng, tập huấn cán bộ làm công tác chăm lo phúc lợi", 2, [], [table])


# -- III and annexes ------------------------------------------------------------------------------


def _completeness_rows(data: Data, scope: Scope) -> list[dict[str, Any]]:
    rows = data.payload["completeness"]
    if scope.level == "province":
        chosen = [r for r in rows if r["org_level"] == "province"]
        chosen += sorted(
            (r for r in rows if r["org_level"] == "upper" and r["unit_code"] in scope.uppers),
            key=lambda r: (r["unit_code"], r["form"]),
        )
    else:
        chosen = [r for r in rows if r["org_level"] == "upper" and r["unit_code"] == scope.unit_code]
    out = []
    for r in chosen:
        own = r["org_level"] == "upper" and r["form"] == "CAPTREN"
        out.append(
            {
                "ma": r["unit_code"],
                "don_vi": data.name(r["unit_code"]),
                "bieu": "Báo cáo của CĐ cấp trên" if own else f"Báo cáo {lb.label(lb.FORMS, r['form'])}",
                "phai_nop": r["expected_reports"],
                "da_nhan": r["received_reports"],
                "dung_han": r["on_time_reports"],
                "muon": r["late_reports"],
                "chua_nop": r["missing_reports"],
                "ty_le_nop": r["reporting_rate"],
                "ty_le_dung_han": r["on_time_rate"],
            }
        )
    return out


def reporting_paragraphs(data: Data, scope: Scope) -> list[str]:
    rows = data.payload["completeness"]
    level = "province" if scope.level == "province" else "upper"
    out = []
    for form, who in (("CDCS", "công đoàn cơ sở"), ("CAPTREN", "công đoàn cấp trên trực tiếp cơ sở")):
        r = next(
            (x for x in rows if x["org_level"] == level and x["unit_code"] == scope.unit_code and x["form"] == form),
            None,
        )
        if r is None or not r["expected_reports"]:
            continue
        out.append(
            f"Báo cáo của {who}: phải nộp {fmt.number(r['expected_reports'])}, đã nhận "
            f"{fmt.number(r['received_reports'])} ({fmt.percent(r['reporting_rate'])}), trong đó đúng hạn "
            f"{fmt.number(r['on_time_reports'])} ({fmt.percent(r['on_time_rate'])}), muộn "
            f"{fmt.number(r['late_reports'])}; chưa có báo cáo hợp lệ: {fmt.number(r['missing_reports'])} "
            "(danh sách tại Phụ lục 2)."
        )
    return out


def _reasons(submission: dict[str, Any] | None) -> str:
    if not submission or not submission.get("reasons"):
        return ""
    parts = []
    for reason in submission["reasons"]:
        if isinstance(reason, dict):
            if reason.get("severity") not in (None, "error"):
                continue
            message = fmt.text(reason.get("message_vi") or reason.get("message_en") or reason.get("rule") or "")
            cell = reason.get("cell")
            parts.append(f"{message} (ô {cell})" if cell else message)
        else:
            parts.append(fmt.text(reason))
    joined = "; ".join(p for p in parts if p)
    return joined if len(joined) <= 240 else joined[:239] + "…"


def missing_rows(data: Data, scope: Scope) -> list[dict[str, Any]]:
    rejected: dict[tuple[str, str], dict[str, Any]] = {}
    for s in data.payload["submissions"]:
        if s["state"] == "rejected" and s["unit_code"]:
            rejected[(s["form"], s["unit_code"])] = s  # ordered by id: the last one wins
    out = []
    for m in data.payload["missing"]:
        if scope.level == "upper" and m["unit_code"] != scope.unit_code and m["parent_unit_code"] != scope.unit_code:
            continue
        out.append(
            {
                "ma": m["unit_code"],
                "don_vi": data.name(m["unit_code"]),
                "bieu": lb.label(lb.FORMS, m["form"]),
                "cap_tren": data.name(m["parent_unit_code"]),
                "ly_do": lb.label(lb.MISSING_REASONS, m["reason"]),
                "so_lan_gui": m["submission_count"],
                "bi_tra_lai": m["rejected_count"],
                "lan_gui_cuoi": m["last_received_at"],
                "noi_dung_tra_lai": _reasons(rejected.get((m["form"], m["unit_code"])))
                if m["reason"] == "rejected_only"
                else "",
            }
        )
    return out


def followup_rows(data: Data, scope: Scope) -> tuple[list[dict[str, Any]], dict[str, int]]:
    out: list[dict[str, Any]] = []
    by_status: dict[str, int] = defaultdict(int)
    for f in data.payload["followups"]:
        related = set((f["related_unit_codes"] or "").split(";")) - {""}
        units = ({f["unit_code"]} if f["unit_code"] else set()) | related
        if not units & scope.units:
            continue
        by_status[f["status"]] += 1
        if f["status"] != "open" or f["is_on_counted_version"] is False:
            continue
        out.append(
            {
                "loai": lb.label(lb.FOLLOWUP_TYPES, f["followup_type"]),
                "don_vi": "; ".join(f"{data.name(u)} ({u})" for u in sorted(units)),
                "bieu": lb.label(lb.FORMS, f["form"]),
                "o": fmt.text(f["cell"]),
                "noi_dung": fmt.text(f["message_vi"]),
                "chi_tiet": fmt.text(f["detail"]),
                "quy_tac": fmt.text(f["rule"]),
                "ma_theo_doi": f["followup_key"],
            }
        )
    return out, dict(by_status)


def annex_sections(data: Data, scope: Scope, provenance_rows: list[tuple[str, str]]) -> list[Section]:
    completeness = Table(
        "hoan_thanh",
        "Tình hình nộp báo cáo theo đơn vị",
        [
            Column("ma", "Mã", "code", 1.15),
            Column("don_vi", "Đơn vị", "text", 2.2),
            Column("bieu", "Báo cáo", "text", 1.4),
            Column("phai_nop", "Phải nộp", "int", 0.7),
            Column("da_nhan", "Đã nhận", "int", 0.7),
            Column("dung_han", "Đúng hạn", "int", 0.7),
            Column("muon", "Muộn", "int", 0.6),
            Column("chua_nop", "Chưa có", "int", 0.6),
            Column("ty_le_nop", "Tỷ lệ nộp", "pct", 0.8),
            Column("ty_le_dung_han", "Tỷ lệ đúng hạn", "pct", 0.8),
        ],
        _completeness_rows(data, scope),
        note=(
            f"Hạn nộp: CĐCS {fmt.moment(data.calendar['grassroots_deadline_at'])}, CĐ cấp trên "
            f"{fmt.moment(data.calendar['upper_deadline_at'])}; khóa sổ {fmt.moment(data.calendar['lock_at'])}. "
            "Đúng hạn: bản được chấp nhận đầu tiên nhận trước hạn. Chỉ tính đơn vị đang hoạt động cuối kỳ."
        ),
    )
    missing = Table(
        "chua_bao_cao",
        "Đơn vị chưa có báo cáo hợp lệ",
        [
            Column("ma", "Mã", "code", 1.15),
            Column("don_vi", "Đơn vị", "text", 2.0),
            Column("bieu", "Biểu", "text", 0.8),
            Column("cap_tren", "Đơn vị cấp trên", "text", 1.4),
            Column("ly_do", "Tình trạng", "text", 1.4),
            Column("so_lan_gui", "Lần gửi", "int", 0.65),
            Column("bi_tra_lai", "Trả lại", "int", 0.65),
            Column("lan_gui_cuoi", "Gửi lần cuối", "datetime", 1.2),
            Column("noi_dung_tra_lai", "Lý do trả lại", "text", 2.6),
        ],
        missing_rows(data, scope),
    )
    followups, by_status = followup_rows(data, scope)
    status_text = ", ".join(f"{lb.label(lb.FOLLOWUP_STATUS, k).lower()}: {fmt.number(v)}" for k, v in
                            sorted(by_status.items())) or "không có"  # fmt: skip
    followup_table = Table(
        "theo_doi",
        "Các vấn đề về chất lượng số liệu đang chờ xử lý",
        [
            Column("loai", "Loại", "text", 1.2),
            Column("don_vi", "Đơn vị", "text", 1.8),
            Column("bieu", "Biểu", "text", 0.7),
            Column("o", "Ô", "code", 1.0),
            Column("noi_dung", "Nội dung cần kiểm tra", "text", 3.2),
            Column("chi_tiet", "Số liệu", "text", 1.6, in_pdf=False),
            Column("quy_tac", "Quy tắc", "code", 1.6, in_pdf=False),
            Column("ma_theo_doi", "Mã theo dõi", "code", 1.6, in_pdf=False),
        ],
        followups,
        note=f"Theo dõi chất lượng số liệu trong phạm vi báo cáo — {status_text}.",
    )
    scope_submissions = [s for s in data.payload["submissions"] if s["is_counted"] and s["unit_code"] in scope.units]
    submissions = Table(
        "bao_cao_lam_can_cu",
        "Các báo cáo làm căn cứ số liệu",
        [
            Column("submission_id", "Mã bản nộp", "int", 0.8),
            Column("ma", "Mã đơn vị", "code", 0.9),
            Column("don_vi", "Đơn vị", "text", 2.2),
            Column("bieu", "Biểu", "text", 0.8),
            Column("phien_ban", "Phiên bản", "int", 0.6),
            Column("nhan_luc", "Nhận lúc", "datetime", 1.1),
            Column("dung_han", "Đúng hạn", "text", 0.6),
            Column("sha256", "SHA-256 của tệp", "code", 4.0),
        ],
        [
            {
                "submission_id": s["submission_id"],
                "ma": s["unit_code"],
                "don_vi": data.name(s["unit_code"]),
                "bieu": lb.label(lb.FORMS, s["form"]),
                "phien_ban": s["version"],
                "nhan_luc": s["received_at"],
                "dung_han": "Có" if s["is_on_time"] else "Không",
                "sha256": s["sha256"],
            }
            for s in sorted(scope_submissions, key=lambda s: int(s["submission_id"]))
        ],
        in_pdf=False,
    )
    provenance = Table(
        "nguon_so_lieu",
        "Nguồn số liệu của báo cáo",
        # The value column fits a whole SHA-256 on one line (copy-paste for checking), even in DejaVu Serif.
        [Column("muc", "Nội dung", "text", 1.1), Column("gia_tri", "Giá trị", "code", 4.9)],
        [{"muc": k, "gia_tri": v} for k, v in provenance_rows],
    )
    return [
        Section(
            "PL1_NopBaoCao",
            "PHỤ LỤC 1",
            0,
            [],
            [completeness],
            ["season"],
            annex_title="Tình hình nộp báo cáo: đầy đủ và đúng hạn theo đơn vị",
        ),
        Section("PL2_ChuaBaoCao", "PHỤ LỤC 2", 0, [], [missing],
                annex_title="Danh sách đơn vị chưa báo cáo hoặc có báo cáo bị trả lại"),
        Section("PL3_ChatLuong", "PHỤ LỤC 3", 0, [], [followup_table],
                annex_title="Các vấn đề về chất lượng số liệu đang theo dõi"),
        Section(
            "PL4_NguonSoLieu",
            "PHỤ LỤC 4",
            0,
            [
                "Số liệu của báo cáo được lấy từ kho dữ liệu tại thời điểm chốt (ảnh chụp số liệu) dưới đây. "
                "Mã băm SHA-256 tính trên danh sách đã sắp xếp “mã bản nộp:SHA-256 của tệp” của các báo cáo "
                "được tính; danh sách đầy đủ ở trang tính PL4_NguonSoLieu của tệp Excel kèm theo.",
            ],
            [provenance, submissions],
            annex_title="Nguồn số liệu và khả năng kiểm chứng",
        ),
    ]  # fmt: skip


# -- the whole report -----------------------------------------------------------------------------


def extract_rows(data: Data, scope: Scope, snapshot: Snapshot) -> list[dict[str, Any]]:
    """The machine-readable indicator table: the scope's own rows and those of the units under it."""
    names = {i["indicator_code"]: i for i in data.indicators}
    if scope.level == "province":
        wanted = [("province", scope.unit_code)] + [("upper", u) for u in sorted(scope.uppers)]
    else:
        wanted = [("upper", scope.unit_code)] + [("grassroots", g) for g in sorted(scope.grassroots)]
    rows = []
    for level, unit in wanted:
        for ind in data.indicators:
            r = data.value(ind["indicator_code"], data.year, level, unit)
            if r is None:
                continue
            meta = names[r["indicator_code"]]
            rows.append(
                {
                    "reporting_year": data.year,
                    "indicator_code": r["indicator_code"],
                    "indicator_name_vi": fmt.text(meta["name_vi"]),
                    "org_level": level,
                    "unit_code": unit,
                    "unit_name": data.name(unit),
                    "parent_unit_code": r["parent_unit_code"],
                    "method": r["method"],
                    "numerator": r["numerator"],
                    "denominator": r["denominator"],
                    "value": r["value"],
                    "target_value": r["target_value"],
                    "target_comparator": r["target_comparator"],
                    "target_year": meta["target_year"],
                    "gap": r["gap"],
                    "status": r["status"],
                    "baseline_value": r["baseline_value"],
                    "path_value": r["path_value"],
                    "expected_units": r["expected_units"],
                    "reporting_units": r["reporting_units"],
                    "coverage": r["coverage"],
                    "null_reason": r["null_reason"],
                    "snapshot_id": snapshot.id,
                    "submissions_digest": snapshot.digest,
                }
            )
    return rows


def build_report(
    payload: dict[str, Any], unit_code: str | None, snapshot: Snapshot, *, draft: bool, font_name: str
) -> Report:
    """The report for the province (unit_code None or the province's code) or one upper-level union."""
    data = Data(payload)
    scope = data.scope(unit_code)
    year = data.year
    dated = snapshot.taken_at.astimezone(TIMEZONE)
    count, scope_digest, latest = _scope_digest(data, scope)
    period = f"{fmt.day(data.calendar['period_start_date'])} – {fmt.day(data.calendar['period_end_date'])}"
    provenance_rows = [
        ("Năm báo cáo (kỳ báo cáo)", f"{year} ({period})"),
        ("Phạm vi", f"{scope.unit_name} ({scope.unit_code})"),
        ("Ảnh chụp số liệu (snapshot)", f"{snapshot.label} (mã {snapshot.id})"),
        ("Thời điểm chốt số liệu", fmt.moment(snapshot.taken_at)),
        ("Báo cáo mới nhất trong kho nhận lúc", fmt.moment(latest)),
        ("Mã bản nộp lớn nhất trong kho", fmt.number(snapshot.max_submission_id)),
        ("Số báo cáo được tính trong năm (toàn tỉnh)", fmt.number(snapshot.submissions_count)),
        ("SHA-256 các báo cáo được tính (toàn tỉnh)", snapshot.digest),
        ("Số báo cáo làm căn cứ cho báo cáo này", fmt.number(count)),
        ("SHA-256 các báo cáo làm căn cứ cho báo cáo này", scope_digest),
        ("Phông chữ", font_name),
    ]
    if scope.level == "province":
        governing, issuing = CONFEDERATION, scope.unit_name.upper()
        number_line = "Số:        /BC-LĐLĐ"
        recipients = [
            "Tổng Liên đoàn Lao động Việt Nam (Ban Chính sách – Pháp luật);",
            "Thường trực LĐLĐ tỉnh;",
            "Các Ban, UBKT, Văn phòng LĐLĐ tỉnh;",
            "Các công đoàn cấp trên trực tiếp cơ sở;",
            "Lưu: VT, Ban CSPL.",
        ]
    else:
        governing, issuing = scope.province_name.upper(), scope.unit_name.upper()
        number_line = "Số:        /BC-CĐ"
        recipients = [
            f"{scope.province_name} (Ban Chính sách – Pháp luật);",
            "Các công đoàn cơ sở trực thuộc;",
            "Lưu: VT.",
        ]
    intro = [
        f"Thực hiện {PROGRAMME_NAME} ngày 24/10/2024 của Ban Chấp hành Liên đoàn Lao động tỉnh Hà Tĩnh thực hiện "
        "Nghị quyết 07/NQ-BCH của Ban Chấp hành Tổng Liên đoàn Lao động Việt Nam về “Tập trung nguồn lực chăm lo "
        f"cho đoàn viên, người lao động trong tình hình mới”, {scope.unit_name} báo cáo kết quả thực hiện năm "
        f"{year} (kỳ báo cáo {period}) như sau:",
        f"Số liệu tổng hợp từ các báo cáo được chấp nhận trong kho dữ liệu, chốt lúc {fmt.moment(snapshot.taken_at)}"
        f" (ảnh chụp {snapshot.label}; {fmt.number(count)} báo cáo làm căn cứ, SHA-256 {scope_digest[:16]}…; "
        "chi tiết tại Phụ lục 4).",
    ]
    part_two = Section("NhiemVu", "II. KẾT QUẢ THỰC HIỆN NHIỆM VỤ, GIẢI PHÁP", 1)
    part_three = Section(
        "ToChuc",
        "III. TỔ CHỨC THỰC HIỆN VÀ CÔNG TÁC BÁO CÁO",
        1,
        [
            *reporting_paragraphs(data, scope),
            "Các vấn đề về chất lượng số liệu cần đơn vị giải trình hoặc điều chỉnh được liệt kê tại Phụ lục 3; "
            "báo cáo nộp sau khi khóa sổ chỉ được tính khi có ý kiến chấp thuận ngoại lệ.",
        ],
    )
    sections = [
        targets_section(data, scope),
        part_two,
        support_section(data, scope),
        programmes_section(data, scope),
        agreements_section(data, scope),
        finance_section(data, scope),
        training_section(data, scope),
        part_three,
        *annex_sections(data, scope, provenance_rows),
    ]
    title = report_title(year)
    from welfare.reports.charts import all_charts

    return Report(
        year=year,
        unit_code=scope.unit_code,
        unit_name=scope.unit_name,
        level="province" if scope.level == "province" else "upper",
        draft=draft,
        title=title,
        governing_body=governing,
        issuing_body=issuing,
        number_line=number_line,
        place_date=fmt.place_date(dated.date()),
        dated=dated,
        intro=intro,
        sections=sections,
        recipients=recipients,
        signature=["TM. BAN THƯỜNG VỤ", "CHỦ TỊCH"],
        provenance=provenance_rows,
        footer=f"{title} — {scope.unit_code}",
        data_line=f"số liệu chốt {fmt.moment(snapshot.taken_at)} ({snapshot.label}), {count} báo cáo, "
        f"SHA-256 {scope_digest[:16]}…",
        charts=all_charts(data, scope),
        extract_rows=extract_rows(data, scope, snapshot),
        font_name=font_name,
    )
