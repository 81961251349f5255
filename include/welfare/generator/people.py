"""Synthetic people: Vietnamese names and well-formed but fake citizen IDs."""

from __future__ import annotations

import random

_FAMILY = (
    ("Nguyễn", 30),
    ("Trần", 12),
    ("Lê", 10),
    ("Phan", 6),
    ("Hoàng", 5),
    ("Võ", 5),
    ("Đặng", 4),
    ("Bùi", 3),
    ("Đỗ", 3),
    ("Hồ", 3),
    ("Ngô", 2),
    ("Dương", 2),
    ("Lý", 1),
    ("Đinh", 2),
    ("Thái", 2),
    ("Trương", 1),
    ("Hà", 1),
    ("Chu", 1),
    ("Tôn", 1),
    ("Đào", 1),
)
_MIDDLE_M = ("Văn", "Đình", "Hữu", "Xuân", "Quang", "Minh", "Đức", "Công", "Ngọc", "Thanh")
_MIDDLE_F = ("Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Hồng", "Kim", "Phương")
_GIVEN_M = (
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đạt",
    "Hải",
    "Hiếu",
    "Hùng",
    "Khánh",
    "Long",
    "Nam",
    "Phong",
    "Quân",
    "Sơn",
    "Tài",
    "Thắng",
    "Tuấn",
    "Việt",
    "Vinh",
    "Hoàng",
)
_GIVEN_F = (
    "Anh",
    "Châu",
    "Dung",
    "Giang",
    "Hà",
    "Hạnh",
    "Hoa",
    "Hương",
    "Lan",
    "Linh",
    "Loan",
    "Mai",
    "Nga",
    "Nhung",
    "Oanh",
    "Phương",
    "Thảo",
    "Trang",
    "Vân",
    "Yến",
)
_FAMILY_NAMES = tuple(name for name, _ in _FAMILY)
_FAMILY_WEIGHTS = tuple(weight for _, weight in _FAMILY)

# Province-of-birth-registration codes of the CCCD: Hà Tĩnh (042) mostly, neighbours sometimes.
_BIRTH_PROVINCES = (("042", 88), ("040", 6), ("044", 3), ("001", 1), ("079", 2))


def full_name(rng: random.Random, female: bool) -> str:
    family = rng.choices(_FAMILY_NAMES, weights=_FAMILY_WEIGHTS)[0]
    middle = rng.choice(_MIDDLE_F if female else _MIDDLE_M)
    given = rng.choice(_GIVEN_F if female else _GIVEN_M)
    return f"{family} {middle} {given}"


def citizen_id(rng: random.Random, birth_year: int, female: bool) -> str:
    """A well-formed 12-digit CCCD: province, century/sex digit, 2-digit birth year, 6 random digits.

    The random part is synthetic: no real person's number is targeted or derived.
    """
    province = rng.choices([p for p, _ in _BIRTH_PROVINCES], weights=[w for _, w in _BIRTH_PROVINCES])[0]
    century = 0 if birth_year < 2000 else 2
    return f"{province}{century + int(female)}{birth_year % 100:02d}{rng.randrange(1_000_000):06d}"
