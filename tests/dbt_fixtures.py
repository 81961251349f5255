"""A small hand-made province for the dbt tests, loaded with SQL where intake will write.

It stands in for intake until intake lands: the same tables (registry, audit, raw,
restricted), filled the way FORMS.md says intake fills them. The scenario covers what the
models must get right:

- a unit that moves parent mid-period (G4: U_B → U_A on 01/02/2025) and units moved when
  their upper level merged (G2: U_B → U_C on 01/07/2025, U_B merged into U_C);
- a dissolved unit (G3 closes 31/03/2025) that still sends a 2025 report;
- new units (U_C, U_D, G6, G8 from 01/07/2025), an upper level with no grassroots (U_D);
- late reports (G4 2024, U_C 2025), a resubmission (G5 2025 v1 → v2), a rejected-only
  report (G5 2024), missing reports (G7 2024, G8 2025, U_D 2025), a duplicate file;
- a version after the lock without an exception (G6 2025 v2, not counted) and a report
  after the lock with one (G7 2025, counted);
- CXL and other grades, a zero denominator (G3 2024 has no dialogues), a warning, an
  upper-level member count that disagrees with its grassroots, and one person supported by
  two grassroots unions for the same situation.

`expected_indicators(scenario, year)` feeds the same scenario to welfare.generator.truth, with
the counted reports picked in Python (latest accepted before the lock or with an exception).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from welfare.calendar import DEFAULT_CALENDAR, Calendar
from welfare.config import TIMEZONE
from welfare.generator.truth import ExpectedValue
from welfare.generator.truth import expected_indicators as truth_indicators
from welfare.registry import Registry, UnitInterval
from welfare.sql.raw import RAW_TABLES

if TYPE_CHECKING:
    import psycopg

PSEUDONYM_KEY = b"test-only-pseudonym-key"
YEARS = (2024, 2025)
ACCEPTED = ("accepted", "accepted_with_warnings")


def pseudonym(citizen_id: str) -> str:
    return hmac.new(PSEUDONYM_KEY, citizen_id.encode(), hashlib.sha256).hexdigest()


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TIMEZONE)


def _unit(
    code: str,
    name: str,
    cap: str,
    parent: str | None,
    start: str,
    end: str | None = None,
    merged_into: str | None = None,
    unit_type: str | None = None,
) -> UnitInterval:
    return UnitInterval(
        ma_don_vi=code,
        ten_don_vi=name,
        cap=cap,
        ma_cap_tren=parent,
        loai_hinh=unit_type or ("DN_NGOAI_NHA_NUOC" if cap == "CDCS" else None),
        dia_ban="phường Thành Sen",
        email=f"{code.lower()}@congdoan-hatinh.example",
        hieu_luc_tu=date.fromisoformat(start),
        hieu_luc_den=date.fromisoformat(end) if end else None,
        sap_nhap_vao=merged_into,
    )


UNITS: tuple[UnitInterval, ...] = (
    _unit("LDLD_HT", "Liên đoàn Lao động tỉnh Hà Tĩnh", "TINH", None, "2000-01-01"),
    _unit("U_A", "LĐLĐ huyện A", "CAP_TREN", "LDLD_HT", "2015-01-01"),
    _unit("U_B", "LĐLĐ huyện B", "CAP_TREN", "LDLD_HT", "2015-01-01", "2025-06-30", merged_into="U_C"),
    _unit("U_C", "Công đoàn cụm phía Bắc", "CAP_TREN", "LDLD_HT", "2025-07-01"),
    _unit("U_D", "Công đoàn cụm phía Tây", "CAP_TREN", "LDLD_HT", "2025-07-01"),
    _unit("G1", "CĐCS Công ty May G1", "CDCS", "U_A", "2015-01-01", unit_type="DN_FDI"),
    _unit("G2", "CĐCS Công ty G2", "CDCS", "U_B", "2015-01-01", "2025-06-30"),
    _unit("G2", "CĐCS Công ty G2", "CDCS", "U_C", "2025-07-01"),
    _unit("G3", "CĐCS Trường G3", "CDCS", "U_A", "2015-01-01", "2025-03-31", unit_type="HCSN"),
    _unit("G4", "CĐCS Công ty G4", "CDCS", "U_B", "2015-01-01", "2025-01-31"),
    _unit("G4", "CĐCS Công ty G4", "CDCS", "U_A", "2025-02-01"),
    _unit("G5", "CĐCS Công ty G5", "CDCS", "U_A", "2015-01-01", unit_type="DN_NHA_NUOC"),
    _unit("G6", "CĐCS Công ty G6", "CDCS", "U_C", "2025-07-01"),
    _unit("G7", "CĐCS HTX G7", "CDCS", "U_A", "2015-01-01", unit_type="HTX"),
    _unit("G8", "CĐCS Công ty G8", "CDCS", "U_C", "2025-07-01"),
)


@dataclass
class Planned:
    """One submission as intake would register it."""

    form: str
    unit: str
    year: int
    received_at: datetime
    state: str = "accepted"
    figures: dict[str, object] = field(default_factory=dict)
    support: list[dict[str, object]] = field(default_factory=list)
    warnings: list[dict[str, object]] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)
    duplicate_of: Planned | None = None
    tag: str = ""
    submission_id: int | None = None

    @property
    def accepted(self) -> bool:
        return self.state in ACCEPTED


def cdcs_figures(unit: str, year: int, version: int = 1, **overrides: object) -> dict[str, object]:
    """Plausible CDCS figures that satisfy every error rule of FORMS.md."""
    rng = random.Random(f"{unit}-{year}-{version}")
    members = rng.randint(40, 400)
    hardship = rng.randint(0, members // 5)
    dialogues = rng.randint(1, 6)
    total_spend = rng.randint(50, 900) * 1_000_000
    has_cba = rng.random() < 0.7
    figures: dict[str, object] = {
        "tong_lao_dong": members + rng.randint(0, 50),
        "tong_doan_vien": members,
        "doan_vien_nu": rng.randint(0, members),
        "dv_duoc_thong_tin": rng.randint(members // 2, members),
        "dv_kho_khan": hardship,
        "dv_kho_khan_duoc_ho_tro": rng.randint(0, hardship),
        "dv_huong_phuc_loi": rng.randint(members // 3, members),
        "to_chuc_tet_sum_vay": rng.randint(0, 1),
        "so_suat_qua_tet": rng.randint(0, members),
        "gia_tri_qua_tet": rng.randint(0, members) * 800_000,
        "to_chuc_thang_cong_nhan": rng.randint(0, 1),
        "so_cuoc_doi_thoai": dialogues,
        "so_doi_thoai_phuc_loi_cao_hon": rng.randint(0, dialogues),
        "co_thoa_uoc": int(has_cba),
        "xep_loai_thoa_uoc": rng.choice(("A", "B", "C", "D", "CXL")) if has_cba else None,
        "ngay_ky_thoa_uoc": date(year - 1, 3, 15) if has_cba else None,
        "so_dieu_khoan_co_loi_hon": rng.randint(0, 12) if has_cba else 0,
        "tong_chi_tai_chinh": total_spend,
        "chi_cham_lo_phuc_loi": rng.randint(total_spend // 4, total_spend),
        "so_nha_mai_am": rng.randint(0, 2),
        "so_ld_mat_viec_duoc_ho_tro": rng.randint(0, 10),
    }
    figures.update(overrides)
    return figures


def captren_figures(
    unit: str, year: int, declared_members: int | None = None, **overrides: object
) -> dict[str, object]:
    rng = random.Random(f"{unit}-{year}-captren")
    officials = rng.randint(2, 8)
    total_spend = rng.randint(500, 3000) * 1_000_000
    figures: dict[str, object] = {
        "can_bo_chuyen_trach_phuc_loi": officials,
        "can_bo_da_tap_huan": rng.randint(0, officials),
        "to_chuc_tet_sum_vay": 1,
        "to_chuc_thang_cong_nhan": rng.randint(0, 1),
        "so_doi_thoai_chinh_quyen": rng.randint(0, 5),
        "tong_chi_tai_chinh": total_spend,
        "chi_cham_lo_phuc_loi": rng.randint(total_spend // 3, total_spend),
        "quy_xa_hoi_van_dong": rng.randint(0, 500) * 1_000_000,
        "vay_von_so_du_an": rng.randint(0, 4),
        "vay_von_so_tien": rng.randint(0, 4) * 50_000_000,
        "vay_von_so_lao_dong": rng.randint(0, 30),
        "so_thoa_thuan_phuc_loi": rng.randint(0, 3),
        "tong_doan_vien_khoi_co_so": declared_members,
        "kien_nghi": "Đề nghị tăng kinh phí hỗ trợ",
    }
    figures.update(overrides)
    return figures


def support_row(
    citizen_id: str | None,
    situation: str,
    programme: str,
    amount: int,
    groups: str = "",
    source: str = "CDCS",
    name: str = "Nguyễn Văn A",
) -> dict[str, object]:
    return {
        "ho_ten": name,
        "so_dinh_danh": citizen_id,
        "nam_sinh": 1985,
        "gioi_tinh": "Nam",
        "nhom_hoan_canh": situation,
        "chuong_trinh": programme,
        "ngay_ho_tro": date(2024, 12, 20),
        "so_tien": amount,
        "nguon_kinh_phi": source,
        "doi_tuong_yeu_the": groups,
    }


PERSON_1 = "042085001234"  # well-formed but fake (province 042, 20th-century male, born 1985)
PERSON_2 = "042190004321"
PERSON_3 = "042088007777"


@dataclass
class Scenario:
    units: tuple[UnitInterval, ...]
    submissions: list[Planned]
    lock_exceptions: list[tuple[str, str, int]]
    calendar: Calendar = DEFAULT_CALENDAR

    @property
    def registry(self) -> Registry:
        return Registry(self.units)

    def by_tag(self, tag: str) -> Planned:
        return next(s for s in self.submissions if s.tag == tag)


def build_scenario() -> Scenario:
    cal = DEFAULT_CALENDAR
    nov = lambda year, day, hour=10: at(date(year, 11, day), hour)  # noqa: E731
    dec = lambda year, day: at(date(year, 12, day))  # noqa: E731
    warning = {
        "rule": "gia_tri_qua_tet.trung_binh_hop_ly",
        "field": "gia_tri_qua_tet",
        "sheet": "ChiTieu",
        "row_number": 14,
        "cell": "E14",
        "message_vi": "Giá trị quà Tết bình quân nằm ngoài khoảng 100.000–5.000.000 đồng.",
        "message_en": "The average Tết gift is outside 100,000–5,000,000 đồng.",
    }
    error = {
        "rule": "dv_kho_khan_duoc_ho_tro.le_dv_kho_khan",
        "field": "dv_kho_khan_duoc_ho_tro",
        "sheet": "ChiTieu",
        "row_number": 11,
        "cell": "E11",
        "message_vi": "ĐV khó khăn được hỗ trợ lớn hơn số ĐV khó khăn.",
        "message_en": "Members supported exceed members in hardship.",
    }
    g1_2024 = Planned(
        "CDCS",
        "G1",
        2024,
        nov(2024, 3),
        "accepted_with_warnings",
        cdcs_figures("G1", 2024, co_thoa_uoc=1, xep_loai_thoa_uoc="A"),
        support=[
            support_row(PERSON_1, "THU_NHAP_THAP", "TET_SUM_VAY", 1_000_000, "DTTS;CAO_TUOI", name="Trần Thị Bình"),
            support_row(PERSON_2, "OM_DAU_HIEM_NGHEO", "THAM_HOI_OM_DAU", 2_000_000, "", name="Lê Văn Cường"),
            support_row(None, "THU_NHAP_THAP", "TET_SUM_VAY", 800_000, "NU_MANG_THAI", name="Phạm Thị Dung"),
        ],
        warnings=[warning],
        tag="G1-2024",
    )
    g2_2024 = Planned(
        "CDCS",
        "G2",
        2024,
        nov(2024, 4),
        "accepted",
        cdcs_figures("G2", 2024, co_thoa_uoc=1, xep_loai_thoa_uoc="CXL"),
        support=[support_row(PERSON_1, "THU_NHAP_THAP", "CHO_TET", 500_000, "DTTS", name="Trần Thị Bình")],
        tag="G2-2024",
    )
    g3_2024 = Planned(
        "CDCS",
        "G3",
        2024,
        nov(2024, 5, 22),
        "accepted",
        cdcs_figures(
            "G3", 2024, so_cuoc_doi_thoai=0, so_doi_thoai_phuc_loi_cao_hon=0, co_thoa_uoc=1, xep_loai_thoa_uoc="B"
        ),
        tag="G3-2024",
    )
    g4_2024 = Planned(
        "CDCS",
        "G4",
        2024,
        nov(2024, 12),
        "accepted",
        cdcs_figures("G4", 2024, co_thoa_uoc=0, xep_loai_thoa_uoc=None),
        tag="G4-2024-late",
    )
    g5_2024 = Planned(
        "CDCS", "G5", 2024, nov(2024, 4), "rejected", cdcs_figures("G5", 2024), errors=[error], tag="G5-2024-rejected"
    )
    g1_dup = Planned("CDCS", "G1", 2024, nov(2024, 6), "duplicate", tag="G1-2024-duplicate")
    g1_dup.duplicate_of = g1_2024
    members_a_2024 = sum(int(s.figures["tong_doan_vien"]) for s in (g1_2024, g3_2024))  # type: ignore[call-overload]
    ua_2024 = Planned(
        "CAPTREN",
        "U_A",
        2024,
        nov(2024, 18),
        "accepted",
        captren_figures("U_A", 2024, declared_members=members_a_2024),
        tag="U_A-2024",
    )
    ub_2024 = Planned(
        "CAPTREN",
        "U_B",
        2024,
        nov(2024, 19),
        "accepted",
        captren_figures("U_B", 2024, declared_members=5_000, to_chuc_tet_sum_vay=0),
        tag="U_B-2024-mismatch",
    )

    g1_2025 = Planned(
        "CDCS",
        "G1",
        2025,
        nov(2025, 2),
        "accepted",
        cdcs_figures("G1", 2025, co_thoa_uoc=1, xep_loai_thoa_uoc="A"),
        support=[support_row(PERSON_1, "THU_NHAP_THAP", "TET_SUM_VAY", 1_200_000, "DTTS")],
        tag="G1-2025",
    )
    g2_2025 = Planned(
        "CDCS",
        "G2",
        2025,
        nov(2025, 3),
        "accepted",
        cdcs_figures("G2", 2025, co_thoa_uoc=0, xep_loai_thoa_uoc=None),
        tag="G2-2025",
    )
    g3_2025 = Planned("CDCS", "G3", 2025, nov(2025, 3), "accepted", cdcs_figures("G3", 2025), tag="G3-2025-dissolved")
    g4_2025 = Planned(
        "CDCS",
        "G4",
        2025,
        nov(2025, 4),
        "accepted",
        cdcs_figures("G4", 2025, co_thoa_uoc=1, xep_loai_thoa_uoc="B"),
        tag="G4-2025-moved",
    )
    g5_2025_v1 = Planned(
        "CDCS",
        "G5",
        2025,
        nov(2025, 1),
        "accepted",
        cdcs_figures("G5", 2025, 1, co_thoa_uoc=1, xep_loai_thoa_uoc="A"),
        support=[
            support_row(PERSON_3, "MAT_VIEC_GIAM_GIO", "HO_TRO_MAT_VIEC", 3_000_000, "CON_DUOI_6"),
            support_row(PERSON_2, "THIEN_TAI", "TRO_CAP_DOT_XUAT", 2_500_000),
        ],
        tag="G5-2025-v1",
    )
    g5_2025_v2 = Planned(
        "CDCS",
        "G5",
        2025,
        nov(2025, 10),
        "accepted",
        cdcs_figures("G5", 2025, 2, co_thoa_uoc=1, xep_loai_thoa_uoc="C"),
        support=[support_row(PERSON_3, "MAT_VIEC_GIAM_GIO", "HO_TRO_MAT_VIEC", 3_500_000, "CON_DUOI_6;KHUYET_TAT")],
        tag="G5-2025-v2",
    )
    g6_2025_v1 = Planned(
        "CDCS",
        "G6",
        2025,
        nov(2025, 5, 23),
        "accepted",
        cdcs_figures("G6", 2025, 1, co_thoa_uoc=1, xep_loai_thoa_uoc="CXL"),
        tag="G6-2025-v1",
    )
    g6_2025_v2 = Planned(
        "CDCS",
        "G6",
        2025,
        dec(2025, 3),
        "accepted",
        cdcs_figures("G6", 2025, 2, co_thoa_uoc=1, xep_loai_thoa_uoc="A"),
        tag="G6-2025-after-lock",
    )
    g7_2025 = Planned(
        "CDCS",
        "G7",
        2025,
        dec(2025, 5),
        "accepted",
        cdcs_figures("G7", 2025, co_thoa_uoc=1, xep_loai_thoa_uoc="A"),
        tag="G7-2025-exception",
    )
    members_a_2025 = sum(int(s.figures["tong_doan_vien"]) for s in (g1_2025, g4_2025, g5_2025_v2, g7_2025))  # type: ignore[call-overload]
    ua_2025 = Planned(
        "CAPTREN",
        "U_A",
        2025,
        nov(2025, 15),
        "accepted",
        captren_figures("U_A", 2025, declared_members=members_a_2025),
        tag="U_A-2025",
    )
    uc_2025 = Planned(
        "CAPTREN",
        "U_C",
        2025,
        nov(2025, 25),
        "accepted",
        captren_figures("U_C", 2025, declared_members=None, to_chuc_thang_cong_nhan=1),
        tag="U_C-2025-late",
    )
    submissions = [
        g1_2024,
        g2_2024,
        g3_2024,
        g4_2024,
        g5_2024,
        g1_dup,
        ua_2024,
        ub_2024,
        g1_2025,
        g2_2025,
        g3_2025,
        g4_2025,
        g5_2025_v1,
        g5_2025_v2,
        g6_2025_v1,
        g6_2025_v2,
        g7_2025,
        ua_2025,
        uc_2025,
    ]
    assert cal.is_after_lock(2025, g6_2025_v2.received_at) and cal.is_after_lock(2025, g7_2025.received_at)
    return Scenario(UNITS, submissions, lock_exceptions=[("CDCS", "G7", 2025)], calendar=cal)


# -- what intake would decide -----------------------------------------------------------------


def _report_key(s: Planned) -> tuple[str, str, int]:
    return (s.form, s.unit, s.year)


def counted_submissions(scenario: Scenario) -> dict[tuple[str, str, int], Planned]:
    """The latest accepted version received before the lock, or after it with a lock exception."""
    counted: dict[tuple[str, str, int], Planned] = {}
    exceptions = set(scenario.lock_exceptions)
    for s in sorted(scenario.submissions, key=lambda s: s.received_at):
        if not s.accepted:
            continue
        if scenario.calendar.is_after_lock(s.year, s.received_at) and _report_key(s) not in exceptions:
            continue
        counted[_report_key(s)] = s
    return counted


def expected_indicators(scenario: Scenario, year: int) -> list[ExpectedValue]:
    counted = counted_submissions(scenario)
    cdcs = {unit: s.figures for (form, unit, y), s in counted.items() if form == "CDCS" and y == year}
    captren = {unit: s.figures for (form, unit, y), s in counted.items() if form == "CAPTREN" and y == year}
    return truth_indicators(year, scenario.registry, cdcs, captren, scenario.calendar)


# -- loading -----------------------------------------------------------------------------------


def _file_bytes(s: Planned) -> bytes:
    if s.duplicate_of is not None:
        return _file_bytes(s.duplicate_of)
    payload = {"form": s.form, "unit": s.unit, "year": s.year, "at": s.received_at.isoformat(), "tag": s.tag}
    return json.dumps(payload, sort_keys=True).encode()


def load_registry(conn: psycopg.Connection, units: tuple[UnitInterval, ...]) -> None:
    load_id = conn.execute(
        "insert into registry.loads (file_name, sha256, row_count, unit_count) values (%s, %s, %s, %s) returning load_id",
        ("registry_test.csv", hashlib.sha256(b"registry").hexdigest(), len(units), len({u.ma_don_vi for u in units})),
    ).fetchone()[0]  # type: ignore[index]
    for u in units:
        conn.execute(
            "insert into registry.unit_versions (load_id, ma_don_vi, ten_don_vi, cap, ma_cap_tren, loai_hinh, dia_ban,"
            " email, hieu_luc_tu, hieu_luc_den, sap_nhap_vao) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                load_id,
                u.ma_don_vi,
                u.ten_don_vi,
                u.cap,
                u.ma_cap_tren,
                u.loai_hinh,
                u.dia_ban,
                u.email,
                u.hieu_luc_tu,
                u.hieu_luc_den,
                u.sap_nhap_vao,
            ),
        )


def _insert_submission(conn: psycopg.Connection, scenario: Scenario, s: Planned, batch_id: int) -> int:
    cal = scenario.calendar
    data = _file_bytes(s)
    sha = hashlib.sha256(data).hexdigest()
    duplicate_of = None
    if s.duplicate_of is not None:
        duplicate_of = conn.execute(
            "select file_id from audit.files where sha256 = %s and duplicate_of is null", (sha,)
        ).fetchone()[0]  # type: ignore[index]
    file_id = conn.execute(
        "insert into audit.files (batch_id, sha256, file_name, landing_path, stored_path, size_bytes, file_type,"
        " received_at, state, duplicate_of, reasons) values (%s, %s, %s, %s, %s, %s, 'xlsx', %s, %s, %s, %s)"
        " returning file_id",
        (
            batch_id,
            sha,
            f"Bao cao {s.form} {s.unit} {s.year} {s.tag}.xlsx",
            f"landing/{s.year}/{s.tag}.xlsx",
            f"kept/{sha}.xlsx",
            len(data),
            s.received_at,
            s.state,
            duplicate_of,
            json.dumps([e["message_en"] for e in s.errors]),
        ),
    ).fetchone()[0]  # type: ignore[index]
    # Versions: 1, 2, … among the accepted versions of the report; earlier ones superseded.
    version = None
    if s.accepted:
        earlier = conn.execute(
            "select count(*) from audit.submissions where form = %s and unit_code = %s and reporting_year = %s"
            " and state in ('accepted', 'accepted_with_warnings')",
            (s.form, s.unit, s.year),
        ).fetchone()[0]  # type: ignore[index]
        version = earlier + 1
        conn.execute(
            "update audit.submissions set is_superseded = true where form = %s and unit_code = %s"
            " and reporting_year = %s and state in ('accepted', 'accepted_with_warnings')",
            (s.form, s.unit, s.year),
        )
    submission_id = conn.execute(
        "insert into audit.submissions (file_id, form, unit_code, reporting_year, version, state, is_superseded,"
        " is_on_time, is_after_lock, received_at, reasons) values (%s, %s, %s, %s, %s, %s, false, %s, %s, %s, %s)"
        " returning submission_id",
        (
            file_id,
            s.form,
            s.unit,
            s.year,
            version,
            s.state,
            cal.is_on_time(s.year, s.form, s.received_at),
            cal.is_after_lock(s.year, s.received_at),
            s.received_at,
            json.dumps([e["message_en"] for e in s.errors] + [w["message_en"] for w in s.warnings]),
        ),
    ).fetchone()[0]  # type: ignore[index]
    s.submission_id = submission_id
    for result, severity in [(w, "warning") for w in s.warnings] + [(e, "error") for e in s.errors]:
        conn.execute(
            "insert into audit.validation_results (batch_id, file_id, submission_id, rule, severity, field, sheet,"
            " row_number, cell, value_shown, message_vi, message_en, expectation)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, '…', %s, %s, 'expect_column_values_to_be_between')",
            (
                batch_id,
                file_id,
                submission_id,
                result["rule"],
                severity,
                result["field"],
                result["sheet"],
                result["row_number"],
                result["cell"],
                result["message_vi"],
                result["message_en"],
            ),
        )
    if not s.accepted:
        return submission_id
    table = "cdcs_reports" if s.form == "CDCS" else "captren_reports"
    info: dict[str, object] = {
        "ma_don_vi": s.unit,
        "ten_don_vi": next(u.ten_don_vi for u in scenario.units if u.ma_don_vi == s.unit),
        "ma_cap_tren": None,
        "nam_bao_cao": s.year,
        "ngay_lap": s.received_at.date() - timedelta(days=1),
        "email": "nguoi.lap@example.com",
        "phien_ban_bieu_mau": f"{s.form}-2024.1",
    }
    row = {**info, **s.figures}
    columns = [f.code for f in RAW_TABLES[table]]
    values = [row.get(c) for c in columns]
    conn.execute(
        f"insert into raw.{table} (submission_id, source_row, {', '.join(columns)}) "
        f"values (%s, 1, {', '.join(['%s'] * len(columns))})",
        (submission_id, *values),
    )
    support_columns = [f.code for f in RAW_TABLES["support_cases"]]
    for index, case in enumerate(s.support, start=1):
        citizen_id = case.get("so_dinh_danh")
        person = pseudonym(str(citizen_id)) if citizen_id else None
        public = {**case, "stt": index}
        conn.execute(
            f"insert into raw.support_cases (submission_id, source_row, ma_don_vi, nam_bao_cao, nguoi_pseudonym,"
            f" {', '.join(support_columns)}) values (%s, %s, %s, %s, %s, {', '.join(['%s'] * len(support_columns))})",
            (submission_id, index + 1, s.unit, s.year, person, *[public.get(c) for c in support_columns]),
        )
        conn.execute(
            "insert into restricted.support_people (submission_id, source_row, ho_ten, nguoi_pseudonym)"
            " values (%s, %s, %s, %s)",
            (submission_id, index + 1, case["ho_ten"], person),
        )
    return submission_id


def load_scenario(conn: psycopg.Connection, scenario: Scenario) -> None:
    """Create the schemas and write the scenario where intake would (one transaction)."""
    from welfare.schema import ensure_schema

    ensure_schema(conn)
    with conn.transaction():
        load_registry(conn, scenario.units)
        batch_id = conn.execute(
            "insert into audit.batches (run_id, file_count) values ('test-fixture', %s) returning batch_id",
            (len(scenario.submissions),),
        ).fetchone()[0]  # type: ignore[index]
        for s in sorted(scenario.submissions, key=lambda s: s.received_at):
            _insert_submission(conn, scenario, s, batch_id)
        for form, unit, year in scenario.lock_exceptions:
            conn.execute(
                "insert into audit.lock_exceptions (form, unit_code, reporting_year, reason, recorded_by)"
                " values (%s, %s, %s, 'Đơn vị gửi muộn có lý do (test)', 'test')",
                (form, unit, year),
            )


def add_submission(conn: psycopg.Connection, scenario: Scenario, planned: Planned) -> int:
    """Register one more submission (a resubmission arriving after the first build)."""
    with conn.transaction():
        batch_id = conn.execute(
            "insert into audit.batches (run_id, file_count) values ('test-fixture-2', 1) returning batch_id"
        ).fetchone()[0]  # type: ignore[index]
        submission_id = _insert_submission(conn, scenario, planned, batch_id)
    scenario.submissions.append(planned)
    return submission_id
