"""A deterministic, synthetic registry of Hà Tĩnh's unions that follows DOMAIN.md's history.

Until 30/06/2025: the provincial federation, 13 district-level federations and 6 sector unions
over about 1,500 grassroots unions (about two thirds public-sector: schools, health stations,
agencies, commune unions). From 01/07/2025: the district level is abolished and the public-sector
units dissolved; the remaining grassroots move to 4 clusters or stay with the Economic Zones union;
a few merge, a few close, new ones are founded. All names are invented; communes are Hà Tĩnh's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from welfare.registry import Registry, UnitInterval

PROVINCE_CODE = "LDLD_HT"
REFORM_DAY = date(2025, 7, 1)
LAST_OLD_DAY = date(2025, 6, 30)
REGISTRY_START = date(2015, 1, 1)
EMAIL_DOMAIN = "congdoan-hatinh.example"


@dataclass(frozen=True)
class District:
    code: str
    name: str
    cluster: str
    communes: tuple[str, ...]
    weight: float  # share of enterprises


DISTRICTS: tuple[District, ...] = (
    District(
        "LDLD_TPHT",
        "thành phố Hà Tĩnh",
        "CUM_TT",
        ("phường Thành Sen", "phường Trần Phú", "phường Hà Huy Tập", "xã Thạch Khê", "phường Văn Yên"),
        2.4,
    ),
    District("LDLD_HLINH", "thị xã Hồng Lĩnh", "CUM_BAC", ("phường Bắc Hồng Lĩnh", "phường Nam Hồng Lĩnh"), 0.8),
    District(
        "LDLD_TXKA",
        "thị xã Kỳ Anh",
        "CUM_NAM",
        ("phường Sông Trí", "phường Hoành Sơn", "phường Vũng Áng", "xã Kỳ Hoa"),
        1.8,
    ),
    District(
        "LDLD_NXUAN", "huyện Nghi Xuân", "CUM_BAC", ("xã Tiên Điền", "xã Xuân Lam", "xã Cổ Đạm", "xã Đan Hải"), 0.7
    ),
    District(
        "LDLD_DTHO", "huyện Đức Thọ", "CUM_BAC", ("xã Đức Thọ", "xã Đức Minh", "xã Đức Quang", "xã Đức Đồng"), 0.6
    ),
    District("LDLD_HSON", "huyện Hương Sơn", "CUM_TAY", ("xã Sơn Tây", "xã Sơn Kim 1", "xã Tứ Mỹ", "xã Kim Hoa"), 0.6),
    District("LDLD_VQUANG", "huyện Vũ Quang", "CUM_TAY", ("xã Vũ Quang", "xã Mai Hoa", "xã Thượng Đức"), 0.3),
    District(
        "LDLD_CLOC", "huyện Can Lộc", "CUM_BAC", ("xã Can Lộc", "xã Tùng Lộc", "xã Gia Hanh", "xã Trường Lưu"), 0.7
    ),
    District("LDLD_LHA", "huyện Lộc Hà", "CUM_TT", ("xã Lộc Hà", "xã Hồng Lộc", "xã Mai Phụ"), 0.5),
    District(
        "LDLD_THA", "huyện Thạch Hà", "CUM_TT", ("xã Thạch Hà", "xã Đông Kinh", "xã Việt Xuyên", "xã Thạch Lạc"), 0.9
    ),
    District(
        "LDLD_CXUYEN", "huyện Cẩm Xuyên", "CUM_TT", ("xã Cẩm Xuyên", "xã Thiên Cầm", "xã Cẩm Bình", "xã Cẩm Hưng"), 0.9
    ),
    District("LDLD_HKA", "huyện Kỳ Anh", "CUM_NAM", ("xã Kỳ Khang", "xã Kỳ Văn", "xã Kỳ Thượng", "xã Kỳ Lạc"), 0.9),
    District(
        "LDLD_HKHE", "huyện Hương Khê", "CUM_TAY", ("xã Hương Khê", "xã Hà Linh", "xã Phúc Trạch", "xã Hương Phố"), 0.6
    ),
)

SECTORS = (
    ("CD_GIAODUC", "Công đoàn ngành Giáo dục tỉnh Hà Tĩnh"),
    ("CD_YTE", "Công đoàn ngành Y tế tỉnh Hà Tĩnh"),
    ("CD_CONGTHUONG", "Công đoàn ngành Công Thương tỉnh Hà Tĩnh"),
    ("CD_NONGNGHIEP", "Công đoàn ngành Nông nghiệp và Phát triển nông thôn tỉnh Hà Tĩnh"),
    ("CD_VIENCHUC", "Công đoàn Viên chức tỉnh Hà Tĩnh"),
    ("CD_KKT", "Công đoàn các Khu kinh tế tỉnh Hà Tĩnh"),
)
CLUSTERS = (
    ("CUM_TT", "Công đoàn cụm Trung tâm"),
    ("CUM_BAC", "Công đoàn cụm phía Bắc"),
    ("CUM_TAY", "Công đoàn cụm phía Tây"),
    ("CUM_NAM", "Công đoàn cụm phía Nam"),
)
KKT_COMMUNES = ("phường Vũng Áng", "phường Hoành Sơn", "xã Kỳ Lợi", "xã Kỳ Hà", "phường Sông Trí")

_BRAND_WORDS = (
    "Hồng Lam",
    "Thiên Cầm",
    "Trà Sơn",
    "Ngàn Phố",
    "Sông La",
    "Lam Giang",
    "Kim Sơn",
    "Hoàng Mai",
    "Minh Phát",
    "Thành Đạt",
    "Phú Hưng",
    "Hưng Thịnh",
    "Đại Nam",
    "An Khang",
    "Tân Tiến",
    "Bình Minh",
    "Việt Trung",
    "Hải Hà",
    "Thuận Phát",
    "Đức Tín",
    "Phúc Lộc",
    "Quang Vinh",
    "Trường Sơn",
    "Hà Lam",
    "Xuân Thành",
    "Bắc Trung",
    "Nam Việt",
    "Hồng Phúc",
    "Tiến Đạt",
    "Thái Bình Dương",
    "Mai Linh Hà",
    "Cửa Sót",
    "Vũng Áng Xanh",
    "Lam Hồng",
)
_TRADES = (
    "May mặc",
    "Chế biến gỗ",
    "Thủy sản",
    "Xây dựng",
    "Vận tải",
    "Thực phẩm",
    "Dược phẩm",
    "Cơ khí",
    "Điện lực",
    "Vật liệu xây dựng",
    "Thương mại",
    "Du lịch",
    "Khoáng sản",
    "Nông sản",
    "Cấp thoát nước",
    "Môi trường đô thị",
)
_FDI_BRANDS = (
    "Sunvie",
    "Kanoa",
    "Hanlim Vina",
    "Toyomi",
    "Greatwell",
    "Daeyang HT",
    "Lotus Steelworks",
    "Orient Marine",
    "Pacifica Textile",
    "Minoru",
    "Sejin Vina",
    "Everbright HT",
    "Kowa Precision",
    "Eastwind Energy",
)
_SCHOOL_KINDS = ("Trường Mầm non", "Trường Tiểu học", "Trường THCS", "Trường THPT")
_HEALTH_KINDS = ("Trạm Y tế", "Trung tâm Y tế", "Phòng khám đa khoa khu vực")
_AGENCY_KINDS = (
    "Phòng Tài chính – Kế hoạch",
    "Phòng Nội vụ",
    "Phòng Tài nguyên và Môi trường",
    "Chi cục Thuế khu vực",
    "Kho bạc Nhà nước",
    "Ban Quản lý dự án",
    "Trung tâm Văn hóa – Thể thao",
)


def _short(commune: str) -> str:
    return commune.split(" ", 1)[1] if " " in commune else commune


def _email(code: str) -> str:
    return f"{code.lower()}@{EMAIL_DOMAIN}"


def build_registry(seed: int = 2024) -> Registry:
    """The synthetic Hà Tĩnh registry; the same seed always gives the same rows."""
    rng = random.Random(seed)
    rows: list[UnitInterval] = []

    def add(
        code: str,
        name: str,
        cap: str,
        parent: str | None,
        start: date,
        end: date | None = None,
        loai_hinh: str | None = None,
        dia_ban: str | None = None,
        merged_into: str | None = None,
    ) -> None:
        rows.append(UnitInterval(code, name, cap, parent, loai_hinh, dia_ban, _email(code), start, end, merged_into))

    add(PROVINCE_CODE, "Liên đoàn Lao động tỉnh Hà Tĩnh", "TINH", None, date(2000, 1, 1), dia_ban="phường Thành Sen")
    for district in DISTRICTS:
        add(
            district.code,
            f"Liên đoàn Lao động {district.name}",
            "CAP_TREN",
            PROVINCE_CODE,
            REGISTRY_START,
            LAST_OLD_DAY,
            dia_ban=district.communes[0],
        )
    for code, name in SECTORS:
        end = None if code == "CD_KKT" else LAST_OLD_DAY
        add(code, name, "CAP_TREN", PROVINCE_CODE, REGISTRY_START, end, dia_ban="phường Thành Sen")
    for code, name in CLUSTERS:
        add(code, name, "CAP_TREN", PROVINCE_CODE, REFORM_DAY, dia_ban="phường Thành Sen")

    counter = 0
    used_names: set[str] = set()

    def next_code() -> str:
        nonlocal counter
        counter += 1
        return f"CS{counter:05d}"

    def unique(name: str) -> str:
        base, n = name, 2
        while name in used_names:
            name = f"{base} {n}"
            n += 1
        used_names.add(name)
        return name

    def pick_district() -> District:
        return rng.choices(DISTRICTS, weights=[d.weight for d in DISTRICTS])[0]

    # --- public sector (dissolved at the reform) -------------------------------------------
    public_plan = (
        ("HCSN", "school", 560),
        ("HCSN", "health", 120),
        ("HCSN", "agency", 130),
        ("XA_PHUONG", "commune", 160),
    )
    for loai_hinh, kind, count in public_plan:
        for _ in range(count):
            district = rng.choice(DISTRICTS)
            commune = rng.choice(district.communes)
            if kind == "school":
                name = unique(f"Công đoàn {rng.choice(_SCHOOL_KINDS)} {_short(commune)}")
                parent = "CD_GIAODUC" if rng.random() < 0.55 else district.code
            elif kind == "health":
                name = unique(f"Công đoàn {rng.choice(_HEALTH_KINDS)} {_short(commune)}")
                parent = "CD_YTE" if rng.random() < 0.6 else district.code
            elif kind == "agency":
                name = unique(f"Công đoàn {rng.choice(_AGENCY_KINDS)} {district.name}")
                parent = "CD_VIENCHUC" if rng.random() < 0.3 else district.code
            else:
                name = unique(f"Công đoàn {commune}")
                parent = district.code
            add(next_code(), name, "CDCS", parent, REGISTRY_START, LAST_OLD_DAY, loai_hinh, commune)

    # --- enterprises and others (moved at the reform) --------------------------------------
    enterprise_plan = (
        ("DN_NHA_NUOC", 38),
        ("DN_NGOAI_NHA_NUOC", 362),
        ("DN_FDI", 48),
        ("HTX", 36),
        ("NGHIEP_DOAN", 22),
    )
    survivors: list[tuple[str, str, str, str, str]] = []  # code, name, loai_hinh, commune, new parent
    for loai_hinh, count in enterprise_plan:
        for _ in range(count):
            code = next_code()
            in_kkt = (loai_hinh == "DN_FDI" and rng.random() < 0.7) or (loai_hinh != "DN_FDI" and rng.random() < 0.06)
            district = pick_district()
            commune = rng.choice(KKT_COMMUNES) if in_kkt else rng.choice(district.communes)
            if loai_hinh == "DN_FDI":
                name = unique(f"Công đoàn Công ty TNHH {rng.choice(_FDI_BRANDS)} Hà Tĩnh")
            elif loai_hinh == "HTX":
                name = unique(f"Công đoàn Hợp tác xã {rng.choice(_TRADES).lower()} {_short(commune)}")
            elif loai_hinh == "NGHIEP_DOAN":
                trade = rng.choice(("xe ôm công nghệ", "nghề cá", "xây dựng tự do", "bốc xếp", "giúp việc gia đình"))
                name = unique(f"Nghiệp đoàn {trade} {_short(commune)}")
            else:
                prefix = "Công ty Cổ phần" if loai_hinh == "DN_NHA_NUOC" or rng.random() < 0.45 else "Công ty TNHH"
                name = unique(f"Công đoàn {prefix} {rng.choice(_TRADES)} {rng.choice(_BRAND_WORDS)}")
            if in_kkt:
                old_parent = "CD_KKT"
            elif loai_hinh in ("DN_NHA_NUOC",) and rng.random() < 0.5:
                old_parent = rng.choice(("CD_CONGTHUONG", "CD_NONGNGHIEP"))
            else:
                old_parent = district.code
            start = REGISTRY_START if rng.random() < 0.93 else date(2024, rng.randint(1, 12), 1)
            fate = rng.random()
            if fate < 0.05:  # closed before the reform (some in the middle of a reporting period)
                end = start + timedelta(days=rng.randint(200, 600))
                end = min(max(end, date(2024, 3, 1)), date(2025, 5, 31))
                add(code, name, "CDCS", old_parent, start, end, loai_hinh, commune)
                continue
            new_parent = "CD_KKT" if in_kkt else district.cluster
            if old_parent == "CD_KKT":
                add(code, name, "CDCS", "CD_KKT", start, None, loai_hinh, commune)
            else:
                add(code, name, "CDCS", old_parent, start, LAST_OLD_DAY, loai_hinh, commune)
            survivors.append((code, name, loai_hinh, commune, new_parent))

    # After the reform: most move, a few merge into a neighbour, a few close later.
    rng.shuffle(survivors)
    merged = survivors[:12]
    closed_later = survivors[12:30]
    moving = [s for s in survivors[12:] if s[4] != "CD_KKT"]
    targets = [s for s in survivors[30:] if s[4] != "CD_KKT"]
    for code, _name, _lh, _commune, new_parent in merged:
        into = next(t for t in targets if t[4] == new_parent) if new_parent != "CD_KKT" else None
        if into is None:
            into = rng.choice(targets)
        _replace_end(rows, code, LAST_OLD_DAY, into[0])
    closed_codes = {c[0] for c in closed_later}
    for code, name, loai_hinh, commune, new_parent in moving:
        end = date(2026, rng.randint(1, 9), 28) if code in closed_codes else None
        add(code, name, "CDCS", new_parent, REFORM_DAY, end, loai_hinh, commune)
    for code, *_ in closed_later:
        history = [r for r in rows if r.ma_don_vi == code]
        if history[-1].ma_cap_tren == "CD_KKT":
            _replace_end(rows, code, date(2026, rng.randint(1, 9), 28), None)

    # New grassroots unions founded after the reform (new communes' unions, new enterprises).
    for i in range(34):
        district = pick_district()
        commune = rng.choice(district.communes)
        start = REFORM_DAY + timedelta(days=rng.randint(15, 460))
        if i < 10:
            name, loai_hinh = unique(f"Công đoàn {commune}"), "XA_PHUONG"
        else:
            loai_hinh = rng.choice(("DN_NGOAI_NHA_NUOC", "DN_NGOAI_NHA_NUOC", "DN_FDI", "HTX"))
            name = unique(f"Công đoàn Công ty TNHH {rng.choice(_TRADES)} {rng.choice(_BRAND_WORDS)} mới")
        add(next_code(), name, "CDCS", district.cluster, start, None, loai_hinh, commune)
    return Registry(rows)


def _replace_end(rows: list[UnitInterval], code: str, end: date, merged_into: str | None) -> None:
    """Close the last interval of `code` on `end` (optionally as a merger)."""
    index = max(i for i, r in enumerate(rows) if r.ma_don_vi == code)
    old = rows[index]
    rows[index] = UnitInterval(
        old.ma_don_vi,
        old.ten_don_vi,
        old.cap,
        old.ma_cap_tren,
        old.loai_hinh,
        old.dia_ban,
        old.email,
        old.hieu_luc_tu,
        end,
        merged_into,
    )


SHIPPED_REGISTRY = "registry_ha_tinh.csv"


if __name__ == "__main__":  # regenerate the shipped file: python -m welfare.reference.synthetic
    from welfare.config import REFERENCE_DIR

    (REFERENCE_DIR / SHIPPED_REGISTRY).write_text(build_registry().to_csv(), encoding="utf-8")
