"""The generator's own computation of the expected indicator values.

Written independently of the dbt models (plain Python over what the generator wrote), so the
warehouse can be checked against it: for each year, the figures of the latest accepted version
of each report received before the lock, and the registry as of the end of the period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from welfare.calendar import DEFAULT_CALENDAR, Calendar
from welfare.indicators import GOOD_GRADES, INDICATORS, Indicator
from welfare.registry import Registry

Figures = Mapping[str, object]


@dataclass
class ExpectedValue:
    indicator_code: str
    reporting_year: int
    org_level: str  # province | upper | grassroots
    unit_code: str
    numerator: float | None
    denominator: float | None
    value: float | None
    null_reason: str | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _num(figures: Figures, code: str) -> int:
    value = figures.get(code)
    return int(value) if isinstance(value, int) else 0


def _ratio(
    code: str, year: int, level: str, unit: str, num: float | None, den: float | None, reason_if_none: str = "no_report"
) -> ExpectedValue:
    if num is None or den is None:
        return ExpectedValue(code, year, level, unit, None, None, None, reason_if_none)
    if den == 0:
        return ExpectedValue(code, year, level, unit, num, den, None, "zero_denominator")
    return ExpectedValue(code, year, level, unit, num, den, num / den, None)


def _sum_ratio(ind: Indicator, reports: list[Figures]) -> tuple[float | None, float | None]:
    if not reports:
        return None, None
    return (float(sum(_num(r, ind.numerator) for r in reports)), float(sum(_num(r, ind.denominator) for r in reports)))


def _grade_share(reports: list[Figures]) -> tuple[float | None, float | None]:
    if not reports:
        return None, None
    with_cba = [r for r in reports if _num(r, "co_thoa_uoc") == 1]
    good = [r for r in with_cba if r.get("xep_loai_thoa_uoc") in GOOD_GRADES]
    return float(len(good)), float(len(with_cba))


def expected_indicators(
    year: int,
    registry: Registry,
    cdcs: Mapping[str, Figures],
    captren: Mapping[str, Figures],
    calendar: Calendar = DEFAULT_CALENDAR,
) -> list[ExpectedValue]:
    """Every indicator at every level for `year`, from the counted reports (unit code → figures)."""
    end = calendar.period_end(year)
    province = registry.province().ma_don_vi
    uppers = [u.ma_don_vi for u in registry.active(end, "CAP_TREN")]
    grassroots = [u.ma_don_vi for u in registry.active(end, "CDCS")]
    parent_of = {u.ma_don_vi: u.ma_cap_tren for u in registry.active(end, "CDCS")}
    out: list[ExpectedValue] = []

    def scope_values(ind: Indicator, level: str, unit: str, cdcs_units: list[str], upper_units: list[str]) -> None:
        cdcs_reports = [cdcs[c] for c in cdcs_units if c in cdcs]
        upper_reports = [captren[u] for u in upper_units if u in captren]
        if ind.method == "unit_count":
            units, reports = (cdcs_units, cdcs) if ind.forms == ("CDCS",) else (upper_units, captren)
            num = float(sum(1 for u in units if u in reports and _num(reports[u], ind.numerator) == 1))
            out.append(_ratio(ind.code, year, level, unit, num, float(len(units))))
            return
        if ind.method == "grade_share":
            num_g, den_g = _grade_share(cdcs_reports)
            out.append(_ratio(ind.code, year, level, unit, num_g, den_g))
            return
        feeding: list[Figures] = []
        if "CDCS" in ind.forms:
            feeding += cdcs_reports
        if "CAPTREN" in ind.forms:
            feeding += upper_reports
        num_s, den_s = _sum_ratio(ind, feeding)
        out.append(_ratio(ind.code, year, level, unit, num_s, den_s))

    for ind in INDICATORS:
        scope_values(ind, "province", province, grassroots, uppers)
        for upper in uppers:
            children = [c for c in grassroots if parent_of.get(c) == upper]
            scope_values(ind, "upper", upper, children, [upper])
        if "CDCS" in ind.forms:
            for unit in grassroots:
                scope_values(ind, "grassroots", unit, [unit], [])
    return out
