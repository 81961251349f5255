"""Realistic figures for one unit and year, trending from the 2024 baseline toward the 2030 targets."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from welfare.calendar import BASELINE_YEAR, TARGET_YEAR
from welfare.forms import CODE_LISTS, PROGRAMME_CAPS
from welfare.generator.people import citizen_id, full_name

# Median members and spread (log-normal sigma) by unit type; FDI plants have the long tail.
_SIZE = {
    "HCSN": (28, 0.6),
    "XA_PHUONG": (40, 0.5),
    "DN_NHA_NUOC": (120, 0.8),
    "DN_NGOAI_NHA_NUOC": (42, 0.9),
    "DN_FDI": (300, 1.1),
    "HTX": (18, 0.5),
    "NGHIEP_DOAN": (55, 0.6),
}


def progress(year: int) -> float:
    """0 in the baseline year, 1 in the target year."""
    return min(1.0, max(0.0, (year - BASELINE_YEAR) / (TARGET_YEAR - BASELINE_YEAR)))


def _clip(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return min(hi, max(lo, x))


def unit_rng(seed: int, *parts: object) -> random.Random:
    """A random stream for one purpose, stable whatever else is generated (string seeds hash with SHA-512)."""
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def members(seed: int, code: str, loai_hinh: str, year: int) -> int:
    rng = unit_rng(seed, "size", code)
    median, sigma = _SIZE.get(loai_hinh, (50, 0.7))
    base = median * math.exp(rng.gauss(0, sigma))
    drift = unit_rng(seed, "drift", code, year).uniform(0.94, 1.07)
    return max(5, round(base * drift ** (year - BASELINE_YEAR + 1)))


def cdcs_figures(seed: int, code: str, loai_hinh: str, year: int) -> dict[str, object]:
    """The `ChiTieu` figures of a well-behaved grassroots report (every E and W rule holds)."""
    rng = unit_rng(seed, "cdcs", code, year)
    t = progress(year)
    total = members(seed, code, loai_hinh, year)
    workers = max(total, round(total / rng.uniform(0.72, 0.99)))
    female = round(total * _clip(rng.gauss(0.5 if loai_hinh != "DN_FDI" else 0.7, 0.12), 0.1, 0.95))
    informed_share = 1.0 if rng.random() < 0.15 + 0.7 * t else _clip(rng.gauss(0.82 + 0.15 * t, 0.07))
    hardship = max(0, round(total * rng.uniform(0.04, 0.14)))
    helped_share = 1.0 if rng.random() < 0.3 + 0.6 * t else _clip(rng.gauss(0.86 + 0.12 * t, 0.07))
    helped = min(hardship, round(hardship * helped_share))
    benefited = min(total, round(total * _clip(rng.gauss(0.55 + 0.35 * t, 0.12))))
    tet = int(rng.random() < 0.46 + 0.3 * t)
    gifts = round(total * rng.uniform(0.3, 1.0)) if tet else 0
    gift_value = gifts * rng.randrange(600, 1300) * 1000
    workers_month = int(rng.random() < 0.42 + 0.33 * t)
    dialogues = rng.randint(1, 2) + (total > 200) * rng.randint(1, 4)
    better = sum(rng.random() < 0.72 + 0.22 * t for _ in range(dialogues))
    has_cba = int(rng.random() < (0.82 if loai_hinh.startswith("DN") else 0.35))
    grade: str | None = None
    sign_date: date | None = None
    clauses = 0
    if has_cba:
        r = rng.random()
        good = 0.42 + 0.26 * t
        grade = rng.choice(("A", "B")) if r < good else ("CXL" if r > 0.93 else rng.choice(("C", "D")))
        sign_date = date(year - rng.randint(0, 2), rng.randint(1, 12), rng.randint(1, 28))
        sign_date = min(sign_date, date(year, 10, 31))
        clauses = rng.randint(1, 12)
    spend = round(total * rng.uniform(0.6, 1.6) * 1_000_000 / 1000) * 1000
    welfare_share = _clip(rng.gauss(0.5 + 0.14 * t, 0.08), 0.2, 0.95)
    return {
        "tong_lao_dong": workers,
        "tong_doan_vien": total,
        "doan_vien_nu": female,
        "dv_duoc_thong_tin": min(total, round(total * informed_share)),
        "dv_kho_khan": hardship,
        "dv_kho_khan_duoc_ho_tro": helped,
        "dv_huong_phuc_loi": benefited,
        "to_chuc_tet_sum_vay": tet,
        "so_suat_qua_tet": gifts,
        "gia_tri_qua_tet": gift_value,
        "to_chuc_thang_cong_nhan": workers_month,
        "so_cuoc_doi_thoai": dialogues,
        "so_doi_thoai_phuc_loi_cao_hon": better,
        "co_thoa_uoc": has_cba,
        "xep_loai_thoa_uoc": grade,
        "ngay_ky_thoa_uoc": sign_date,
        "so_dieu_khoan_co_loi_hon": clauses,
        "tong_chi_tai_chinh": spend,
        "chi_cham_lo_phuc_loi": round(spend * welfare_share / 1000) * 1000,
        "so_nha_mai_am": int(rng.random() < 0.085) * rng.randint(1, 2),
        "so_ld_mat_viec_duoc_ho_tro": rng.randint(0, 3) if loai_hinh.startswith("DN") and rng.random() < 0.2 else 0,
    }


def captren_figures(seed: int, code: str, year: int, members_below: int) -> dict[str, object]:
    rng = unit_rng(seed, "captren", code, year)
    t = progress(year)
    officials = rng.randint(2, 6)
    trained = officials if rng.random() < 0.35 + 0.6 * t else min(officials, round(officials * rng.uniform(0.4, 0.9)))
    spend = rng.randrange(300, 3000) * 1_000_000
    return {
        "can_bo_chuyen_trach_phuc_loi": officials,
        "can_bo_da_tap_huan": trained,
        "to_chuc_tet_sum_vay": int(rng.random() < 0.8 + 0.2 * t),
        "to_chuc_thang_cong_nhan": int(rng.random() < 0.78 + 0.22 * t),
        "so_doi_thoai_chinh_quyen": rng.randint(1, 6),
        "tong_chi_tai_chinh": spend,
        "chi_cham_lo_phuc_loi": round(spend * _clip(rng.gauss(0.55 + 0.12 * t, 0.06)) / 1000) * 1000,
        "quy_xa_hoi_van_dong": rng.randrange(20, 400) * 1_000_000,
        "vay_von_so_du_an": rng.randint(0, 8),
        "vay_von_so_tien": rng.randint(0, 8) * 50_000_000,
        "vay_von_so_lao_dong": rng.randint(0, 30),
        "so_thoa_thuan_phuc_loi": rng.randint(0, 5),
        "tong_doan_vien_khoi_co_so": round(members_below * rng.uniform(0.995, 1.005)),
        "kien_nghi": rng.choice(
            (
                None,
                "Đề nghị tăng mức hỗ trợ Mái ấm Công đoàn cho đoàn viên vùng thiên tai.",
                "Kinh phí chăm lo Tết còn hạn chế so với nhu cầu của đoàn viên khu vực ngoài nhà nước.",
                "Cần tập huấn thêm nghiệp vụ thương lượng tập thể cho cán bộ CĐCS.",
            )
        ),
    }


_PROGRAMME_BY_SITUATION = {
    "THU_NHAP_THAP": ("TET_SUM_VAY", "CHO_TET", "TRO_CAP_DOT_XUAT", "CHUYEN_XE_CONG_DOAN"),
    "OM_DAU_HIEM_NGHEO": ("THAM_HOI_OM_DAU", "TRO_CAP_DOT_XUAT"),
    "TAI_NAN_LD": ("THAM_HOI_OM_DAU", "TRO_CAP_DOT_XUAT"),
    "BENH_NGHE_NGHIEP": ("THAM_HOI_OM_DAU",),
    "MAT_VIEC_GIAM_GIO": ("HO_TRO_MAT_VIEC", "VAY_VON_VIEC_LAM"),
    "THIEN_TAI": ("TRO_CAP_DOT_XUAT", "MAI_AM_SUA_CHUA"),
    "KHO_KHAN_NHA_O": ("MAI_AM_XAY_MOI", "MAI_AM_SUA_CHUA"),
    "KHAC": ("HOC_BONG", "THE_BHYT_THAN_NHAN", "TAM_VE_NGHIA_TINH", "BUA_COM_CONG_DOAN"),
}
_SITUATION_WEIGHTS = (40, 12, 5, 3, 10, 12, 8, 10)


def _amount(rng: random.Random, programme: str) -> int:
    if programme in ("TET_SUM_VAY", "CHO_TET"):
        thousand = rng.randrange(600, 1300) if rng.random() < 0.8 else rng.randrange(300, 2300)
    elif programme == "MAI_AM_XAY_MOI":
        thousand = rng.randrange(30_000, 60_000)
    elif programme == "MAI_AM_SUA_CHUA":
        thousand = rng.randrange(20_000, 25_000)
    elif programme == "VAY_VON_VIEC_LAM":
        thousand = rng.randrange(20_000, 80_000)
    else:
        thousand = rng.randrange(300, 3_000)
    return min(thousand * 1000, PROGRAMME_CAPS.get(programme, 10**12))


def support_rows(seed: int, code: str, year: int, people: int) -> list[dict[str, object]]:
    """`HoTro` rows for `people` distinct members in hardship (some supported twice)."""
    rng = unit_rng(seed, "hotro", code, year)
    start = date(year - 1, 11, 1)
    rows: list[dict[str, object]] = []
    situations = CODE_LISTS["nhom_hoan_canh"]
    for _ in range(people):
        female = rng.random() < 0.55
        birth = rng.randint(1965, year - 19)
        name = full_name(rng, female)
        cccd = citizen_id(rng, birth, female) if rng.random() < 0.85 else None
        situation = rng.choices(situations, weights=_SITUATION_WEIGHTS)[0]
        groups = [g for g in CODE_LISTS["doi_tuong_yeu_the"] if rng.random() < 0.07]
        for _visit in range(1 + (rng.random() < 0.15)):
            programme = rng.choice(_PROGRAMME_BY_SITUATION[situation])
            rows.append(
                {
                    "stt": len(rows) + 1,
                    "ho_ten": name,
                    "so_dinh_danh": cccd,
                    "nam_sinh": birth,
                    "gioi_tinh": "Nữ" if female else "Nam",
                    "nhom_hoan_canh": situation,
                    "chuong_trinh": programme,
                    "ngay_ho_tro": start + timedelta(days=rng.randrange(0, 365)),
                    "so_tien": _amount(rng, programme),
                    "nguon_kinh_phi": rng.choices(CODE_LISTS["nguon_kinh_phi"], weights=(40, 20, 10, 5, 10, 5, 10))[0],
                    "doi_tuong_yeu_the": ";".join(groups) or None,
                }
            )
    return rows
