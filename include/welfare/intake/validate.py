"""Batch validation with Great Expectations, mapped back to file, sheet, row, cell and field.

All reports of a batch are validated together: one frame per form and sheet (one row per report,
or per support row), one GX run per suite. Each frame carries, besides the field codes, the
context columns the suites compare with (`_registry_level`, `_period_end`, `_yoy_<field>`, …).

Cells that cannot be read as their type (text in a number cell, a non-date) are caught by the
parser; they become results here with the same rule ids (`<field>.number`, `.whole_number`,
`.date`, `.in_list`, `.code`) so the sender sees one list. Personal data never enters a frame in
clear: IDs are replaced by their shape (digits → 9) and names by a placeholder.
"""

from __future__ import annotations

import logging
import math
import numbers
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from welfare.calendar import DEFAULT_CALENDAR, Calendar
from welfare.forms import (
    CAPTREN_FIGURES,
    CDCS_FIGURES,
    INFO_FIELDS,
    PROGRAMME_CAPS,
    SUPPORT_FIELDS,
    Form,
    Kind,
)
from welfare.intake.messages import message
from welfare.intake.normalise import fold
from welfare.intake.parse import CellRef, ParsedValue
from welfare.intake.pseudonym import mask
from welfare.registry import Registry

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

ROW_ERROR_SHARE = 0.05
YOY_MIN_BASE = 10  # counts below this on both years are too small for a "3× change" to mean anything
OUTLIER_MIN_GROUP = 8
_PARSE_RULES = {
    "not_a_number": "number",
    "not_whole": "whole_number",
    "negative": "non_negative",
    "bad_date": "date",
    "bad_flag": "flag",
    "bad_grade": "in_list",
    "bad_code": "code",
    "bad_email": "well_formed",
}


@dataclass
class Finding:
    """One failed rule on one cell (or one report)."""

    rule: str
    severity: str  # error | warning
    field: str | None
    cell: CellRef | None
    value_shown: str
    message_vi: str
    message_en: str
    expectation: str
    support_index: int | None = None  # index of the HoTro row, for row-level rules


@dataclass
class ReportInput:
    """One report to validate: its parsed cells, where it came from and when it arrived."""

    key: int
    form: Form
    info: dict[str, ParsedValue]
    figures: dict[str, ParsedValue]
    support: list[dict[str, ParsedValue]]
    received_at: datetime
    findings: list[Finding] = field(default_factory=list)
    dropped_rows: set[int] = field(default_factory=set)

    def value(self, code: str) -> Any:
        cell = self.info.get(code) or self.figures.get(code)
        return None if cell is None else cell.value

    @property
    def unit_code(self) -> str | None:
        value = self.value("ma_don_vi")
        return None if value is None else str(value)

    @property
    def year(self) -> int | None:
        value = self.value("nam_bao_cao")
        return value if isinstance(value, int) else None

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    @property
    def has_warnings(self) -> bool:
        return any(f.severity == "warning" for f in self.findings)


@dataclass
class Context:
    """What validation compares with, read from the warehouse before the batch is validated."""

    registry: Registry
    previous: dict[tuple[str, str, int], dict[str, Any]]  # (form, unit, year) → last accepted figures
    same_year: dict[tuple[str, str, int], dict[str, Any]]  # counted figures already in the warehouse
    calendar: Calendar = DEFAULT_CALENDAR


def _shown(code: str | None, value: object) -> str:
    if value is None:
        return ""
    if code == "so_dinh_danh":
        return mask(str(value))
    if code == "ho_ten":
        return "(họ tên)"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value).is_integer():
        value = int(float(value))  # also NumPy's integers and floats, as a frame holds them
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", ".")
    return str(value)[:80]


def _finding(
    rule: str,
    severity: str,
    field_code: str | None,
    cell: CellRef | None,
    value: object,
    expectation: str,
    other: str = "",
    extra: object = "",
    support_index: int | None = None,
) -> Finding:
    msg = message(rule, _shown(field_code, value), other, extra)
    return Finding(
        rule, severity, field_code, cell, _shown(field_code, value), msg.vi, msg.en, expectation, support_index
    )


# --- parse errors --------------------------------------------------------------------------------
def parse_findings(report: ReportInput) -> None:
    """Turn unreadable cells into findings with the suites' rule ids."""
    for cell in [*report.info.values(), *report.figures.values()]:
        if cell.error is None or (cell.error.code == "bad_flag" and _numeric(cell.raw) is not None):
            continue  # a numeric flag such as 2 is left for the suite's `.flag` rule
        check = _PARSE_RULES.get(cell.error.code, "number")
        severity = "warning" if cell.field == "email" else "error"
        report.findings.append(
            _finding(
                f"{cell.field}.{check}", severity, cell.field, cell.cell, cell.raw, "parse", extra=cell.error.detail
            )
        )
    for index, row in enumerate(report.support):
        for cell in row.values():
            if cell.error is not None:
                check = _PARSE_RULES.get(cell.error.code, "number")
                report.findings.append(
                    _finding(
                        f"{cell.field}.{check}",
                        "error",
                        cell.field,
                        cell.cell,
                        cell.raw,
                        "parse",
                        extra=cell.error.detail,
                        support_index=index,
                    )
                )


def _numeric(raw: object) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str) and re.fullmatch(r"\s*-?\d+\s*", raw):
        return float(raw)
    return None


# --- frames --------------------------------------------------------------------------------------
def _cell_value(cell: ParsedValue | None, kind: Kind) -> Any:
    if cell is None:
        return None
    if cell.error is not None:
        if kind == Kind.FLAG:
            return _numeric(cell.raw)
        return None
    return cell.value


def _info_frame(reports: Sequence[ReportInput], ctx: Context) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for r in reports:
        row: dict[str, Any] = {"_key": r.key}
        for f in INFO_FIELDS:
            if f.code in _PERSONAL_INFO:
                continue  # officials' names and phones are not validated and never enter GX results
            row[f.code] = _cell_value(r.info.get(f.code), f.kind)
        code, year = r.unit_code, r.year
        history = ctx.registry.history(code) if code else []
        row["_received_year"] = r.received_at.year
        row["_received_date"] = pd.Timestamp(r.received_at.date())
        row["ngay_lap"] = pd.Timestamp(row["ngay_lap"]) if isinstance(row["ngay_lap"], date) else None
        row["_registry_level"] = history[-1].cap if history else None
        row["_active_days_in_period"] = None
        row["_registry_name_folded"] = row["_registry_parent"] = None
        row["_ten_don_vi_folded"] = fold(str(row["ten_don_vi"])) if row["ten_don_vi"] else None
        if history and year is not None and ctx.calendar.is_defined(year):
            start, end = ctx.calendar.period(year)
            days = 0
            for interval in history:
                lo = max(start, interval.hieu_luc_tu)
                hi = min(end, interval.hieu_luc_den or end)
                days += max(0, (hi - lo).days + 1)
            row["_active_days_in_period"] = days
            current = ctx.registry.as_of(end, code) or history[-1]  # type: ignore[arg-type]
            row["_registry_name_folded"] = fold(current.ten_don_vi)
            row["_registry_parent"] = current.ma_cap_tren
        rows.append(row)
    return pd.DataFrame(rows)


def _figures_frame(reports: Sequence[ReportInput], form: Form, ctx: Context) -> pd.DataFrame:
    import pandas as pd

    fields = CDCS_FIGURES if form == Form.CDCS else CAPTREN_FIGURES
    rows = []
    for r in reports:
        row: dict[str, Any] = {"_key": r.key}
        for f in fields:
            value = _cell_value(r.figures.get(f.code), f.kind)
            if f.kind == Kind.FLAG and value is None and r.figures.get(f.code, None) is not None:
                value = 0  # an empty flag cell means "no" (the template's x/empty convention)
            if f.kind == Kind.DATE:
                value = pd.Timestamp(value) if isinstance(value, date) else None
            row[f.code] = value
        year = r.year
        row["_period_end"] = (
            pd.Timestamp(ctx.calendar.period_end(year)) if year and ctx.calendar.is_defined(year) else None
        )
        if form == Form.CDCS:
            gifts, value = row.get("so_suat_qua_tet"), row.get("gia_tri_qua_tet")
            row["_average_gift"] = (
                value / gifts if isinstance(gifts, int) and gifts > 0 and isinstance(value, int) else None
            )
            people = {_person_key(s) for s in r.support if _person_key(s)}
            row["_support_people"] = len(people) if r.support else None
            previous = ctx.previous.get((form.value, r.unit_code or "", (year or 0) - 1))
            for f in fields:
                if f.kind == Kind.COUNT:
                    row[f"_yoy_{f.code}"] = _yoy(row.get(f.code), previous.get(f.code) if previous else None)
        rows.append(row)
    frame = pd.DataFrame(rows)
    if form == Form.CDCS:
        _add_outlier_scores(frame, reports, ctx)
    else:
        frame["_declared_vs_grassroots"] = [_declared_ratio(r, ctx) for r in reports]
    # Nullable integer columns keep missing values missing (not NaN floats) for exact comparisons.
    for f in fields:
        if f.kind in (Kind.COUNT, Kind.MONEY, Kind.FLAG, Kind.INT) and f.code in frame:
            frame[f.code] = pd.array(frame[f.code].tolist(), dtype="Int64")
    return frame


def _person_key(row: dict[str, ParsedValue]) -> str | None:
    ident = row.get("so_dinh_danh")
    if ident is not None and ident.value:
        return f"id:{ident.value}"
    name, birth = row.get("ho_ten"), row.get("nam_sinh")
    if name is not None and name.value:
        return f"name:{fold(str(name.value))}:{birth.value if birth else ''}"
    return None


def _yoy(now: object, before: object) -> float | None:
    if not isinstance(now, int) or not isinstance(before, int):
        return None
    if max(now, before) < YOY_MIN_BASE:
        return None
    if min(now, before) <= 0:
        return float("inf") if max(now, before) >= YOY_MIN_BASE else None
    return max(now / before, before / now)


_PERSONAL_INFO = frozenset({"nguoi_lap", "dien_thoai", "chu_tich"})
OUTLIER_FIELDS = ("tong_doan_vien", "tong_chi_tai_chinh", "chi_cham_lo_phuc_loi", "gia_tri_qua_tet")


def _add_outlier_scores(frame: pd.DataFrame, reports: Sequence[ReportInput], ctx: Context) -> None:
    """Modified z-score (Iglewicz–Hoaglin) within the same upper level, unit type and year.

    Computed on log(1 + x): members and money are log-normal (a few large FDI plants), and on the
    raw scale every large unit would be an "outlier"; on the log scale a flag means a figure out of
    proportion with its peers (a digit too many, a wrong unit).
    """
    groups: dict[tuple[str | None, str | None, int | None], list[int]] = defaultdict(list)
    peers: dict[tuple[str | None, str | None, int | None], dict[str, dict[str, Any]]] = defaultdict(dict)
    for index, r in enumerate(reports):
        groups[_group(r.unit_code, r.year, ctx)].append(index)
    for (form, unit, year), figures in ctx.same_year.items():
        if form == "CDCS":
            peers[_group(unit, year, ctx)][unit] = figures
    for code in OUTLIER_FIELDS:
        scores: list[float | None] = [None] * len(reports)
        for group, members in groups.items():
            batch_units = {reports[i].unit_code for i in members}
            values = [frame.at[i, code] for i in members]
            others = [f.get(code) for u, f in peers[group].items() if u not in batch_units]
            pool = [math.log1p(max(float(v), 0)) for v in [*values, *others] if _is_number(v)]
            if len(pool) < OUTLIER_MIN_GROUP:
                continue
            median = statistics.median(pool)
            mad = statistics.median(abs(v - median) for v in pool)
            if mad == 0:
                continue
            for i, v in zip(members, values, strict=True):
                if _is_number(v):
                    scores[i] = 0.6745 * (math.log1p(max(float(v), 0)) - median) / mad
        frame[f"_mz_{code}"] = scores


def _is_number(value: object) -> bool:
    """A real number that is not NaN: Python's and NumPy's (a frame column without gaps holds numpy.int64)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value == value


def _group(unit: str | None, year: int | None, ctx: Context) -> tuple[str | None, str | None, int | None]:
    if not unit or not year or not ctx.calendar.is_defined(year):
        return (None, None, year)
    interval = ctx.registry.as_of(ctx.calendar.period_end(year), unit)
    return (interval.ma_cap_tren, interval.loai_hinh, year) if interval else (None, None, year)


def _declared_ratio(report: ReportInput, ctx: Context) -> float | None:
    declared, year, unit = report.value("tong_doan_vien_khoi_co_so"), report.year, report.unit_code
    if not isinstance(declared, int) or not year or not unit or not ctx.calendar.is_defined(year):
        return None
    end = ctx.calendar.period_end(year)
    children = {u.ma_don_vi for u in ctx.registry.children(end, unit)}
    total = sum(
        int(f.get("tong_doan_vien") or 0)
        for (form, code, y), f in ctx.same_year.items()
        if form == "CDCS" and y == year and code in children
    )
    if total == 0:
        return None
    return declared / total


def _support_frame(reports: Sequence[ReportInput], ctx: Context) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for r in reports:
        year = r.year
        defined = bool(year and ctx.calendar.is_defined(year))
        start, end = ctx.calendar.period(year) if defined else (None, None)  # type: ignore[arg-type]
        for index, cells in enumerate(r.support):
            row: dict[str, Any] = {"_key": r.key, "_row": index}
            for f in SUPPORT_FIELDS:
                cell = cells.get(f.code)
                value = None if cell is None or cell.error is not None else cell.value
                if f.code == "so_dinh_danh" and value is not None:
                    value = re.sub(r"\d", "9", str(value))  # the shape is validated, never the number
                elif f.code == "ho_ten" and value is not None:
                    value = "x"
                elif f.kind == Kind.DATE:
                    value = pd.Timestamp(value) if isinstance(value, date) else None
                row[f.code] = value
            row["_latest_birth_year"] = year - 15 if year else None
            row["_period_start"] = pd.Timestamp(start) if start else None
            row["_period_end"] = pd.Timestamp(end) if end else None
            programme = row.get("chuong_trinh")
            row["_programme_cap"] = PROGRAMME_CAPS.get(str(programme)) if programme else None
            rows.append(row)
    frame = pd.DataFrame(rows)
    for code in ("nam_sinh", "so_tien", "_latest_birth_year", "_programme_cap"):
        if code in frame:
            frame[code] = pd.array(frame[code].tolist(), dtype="Int64")
    return frame


# --- running GX ----------------------------------------------------------------------------------
def index_columns(suite: str) -> list[str]:
    """The columns that map a failing row back to its report (and support row)."""
    return ["_key", "_row"] if suite.endswith("_hotro") else ["_key"]


class Validator:
    """One Great Expectations context for a whole batch (its fixed cost is paid once)."""

    def __init__(self, docs_dir: Path | None = None) -> None:
        import great_expectations as gx
        from great_expectations.checkpoint import UpdateDataDocsAction

        from expectations import SUITES

        self._gx = gx
        self.docs_dir = docs_dir
        self.context = gx.get_context(mode="ephemeral")
        try:
            from great_expectations.data_context.types.base import ProgressBarsConfig

            self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        except (ImportError, AttributeError):  # the progress-bar switch moved between GX releases
            pass
        actions: list[Any] = []
        if docs_dir is not None:
            self.context.add_data_docs_site(
                "welfare_run",
                {
                    "class_name": "SiteBuilder",
                    "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                },
            )
            actions.append(UpdateDataDocsAction(name="data_docs", site_names=["welfare_run"]))
        source = self.context.data_sources.add_pandas("intake")
        self.checkpoints = {}
        for name, build in SUITES.items():
            asset = source.add_dataframe_asset(name)
            batch = asset.add_batch_definition_whole_dataframe("batch")
            suite = self.context.suites.add(build())
            definition = self.context.validation_definitions.add(
                gx.ValidationDefinition(data=batch, suite=suite, name=name)
            )
            self.checkpoints[name] = self.context.checkpoints.add(
                gx.Checkpoint(
                    name=f"intake_{name}",
                    validation_definitions=[definition],
                    actions=actions,
                    result_format={"result_format": "COMPLETE", "unexpected_index_column_names": index_columns(name)},
                )
            )
        self.results: list[Any] = []

    @property
    def docs_index(self) -> Path | None:
        index = self.docs_dir / "index.html" if self.docs_dir else None
        return index if index is not None and index.exists() else None

    def run(
        self, suite: str, frame: pd.DataFrame, index_columns: list[str]
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Failures as (expectation meta + severity + type, the failing row's index columns and values)."""
        if frame.empty:
            return []
        run = self.checkpoints[suite].run(batch_parameters={"dataframe": frame})
        result = next(iter(run.run_results.values()))
        self.results.append(result)
        failures = []
        for item in result.results:
            if item.success:
                continue
            config = item.expectation_config
            assert config is not None
            meta = dict(config.meta or {})
            meta["severity"] = (
                "warning" if str(getattr(config.severity, "value", config.severity)) == "warning" else "error"
            )
            meta["type"] = config.type
            raised = (item.exception_info or {}).get("raised_exception")
            if raised:
                raise RuntimeError(
                    f"expectation {config.type} ({meta.get('rule')}) could not run: "
                    f"{(item.exception_info or {}).get('exception_message')}"
                )
            for row in item.result.get("unexpected_index_list") or []:
                failures.append((meta, dict(row)))
        return failures


def validate_batch(
    reports: Sequence[ReportInput], ctx: Context, validator: Validator | None = None, docs_dir: Path | None = None
) -> Validator:
    """Add every finding to each report; returns the validator (its results feed Data Docs)."""
    validator = validator or Validator(docs_dir)
    by_key = {r.key: r for r in reports}
    for report in reports:
        parse_findings(report)
    for form in (Form.CDCS, Form.CAPTREN):
        mine = [r for r in reports if r.form == form]
        if not mine:
            continue
        if form == Form.CAPTREN:
            _add_batch_grassroots(reports, ctx)
        prefix = form.value.lower()
        info = _info_frame(mine, ctx)
        figures = _figures_frame(mine, form, ctx)
        for frame, suite, cells in ((info, f"{prefix}_thongtin", "info"), (figures, f"{prefix}_chitieu", "figures")):
            for meta, row in validator.run(suite, frame, ["_key"]):
                report = by_key[int(row["_key"])]
                code = meta.get("field")
                cell_source = report.info if cells == "info" else report.figures
                cell = cell_source.get(code) if code else None
                value = row.get(code) if code in row else (cell.value if cell else None)
                other = meta.get("other", "")
                extra = row.get(other) if other else _extra(meta["rule"], report, row, ctx)
                report.findings.append(
                    _finding(
                        meta["rule"],
                        meta["severity"],
                        code,
                        cell.cell if cell else None,
                        value,
                        meta["type"],
                        other,
                        _shown(other, extra) if other else extra,
                    )
                )
        if form == Form.CDCS:
            _validate_support(mine, ctx, validator)
    return validator


def _extra(rule: str, report: ReportInput, row: dict[str, Any], ctx: Context) -> object:
    year = report.year
    if rule == "ma_don_vi.level":
        return "CĐCS" if report.form == Form.CDCS else "cấp trên / upper"
    if rule in ("ma_don_vi.active", "ngay_ky_thoa_uoc.in_period") and year and ctx.calendar.is_defined(year):
        start, end = ctx.calendar.period(year)
        return f"{start:%d/%m/%Y}–{end:%d/%m/%Y}"
    if rule == "nam_bao_cao.defined":
        return f"{ctx.calendar.first_year}–{ctx.calendar.last_year}"
    if rule == "ngay_lap.not_after_received":
        return f"{report.received_at:%d/%m/%Y}"
    if rule.endswith(".year_over_year"):
        previous = ctx.previous.get((report.form.value, report.unit_code or "", (year or 0) - 1), {})
        return _shown(None, previous.get(rule.split(".")[0]))
    if rule == "phien_ban_bieu_mau.known":
        from welfare.forms import FORM_VERSIONS

        return ", ".join(FORM_VERSIONS[report.form])
    if rule.endswith(".matches_registry") and year and ctx.calendar.is_defined(year) and report.unit_code:
        current = ctx.registry.as_of(ctx.calendar.period_end(year), report.unit_code)
        if current:
            return current.ten_don_vi if rule.startswith("ten_") else current.ma_cap_tren
    if rule == "tong_doan_vien_khoi_co_so.matches_grassroots":
        ratio = row.get("_declared_vs_grassroots")
        declared = report.value("tong_doan_vien_khoi_co_so")
        if ratio and isinstance(declared, int):
            return _shown(None, round(declared / ratio))
    if rule.endswith(".outlier"):
        return "z = " + str(round(row.get(f"_mz_{rule.split('.')[0]}") or 0, 1))
    return ""


def _add_batch_grassroots(reports: Sequence[ReportInput], ctx: Context) -> None:
    """Accepted grassroots reports of this batch count in the upper-level cross-check."""
    for r in reports:
        if r.form == Form.CDCS and not r.has_errors and r.unit_code and r.year:
            ctx.same_year[("CDCS", r.unit_code, r.year)] = {
                "tong_doan_vien": r.value("tong_doan_vien"),
            }


def _validate_support(reports: Sequence[ReportInput], ctx: Context, validator: Validator) -> None:
    by_key = {r.key: r for r in reports}
    frame = _support_frame(reports, ctx)
    for meta, row in validator.run("cdcs_hotro", frame, ["_key", "_row"]):
        report = by_key[int(row["_key"])]
        index = int(row["_row"])
        code = meta.get("field")
        cell = report.support[index].get(code) if code else None
        value = cell.value if cell is not None else None
        extra = ""
        if meta["rule"] == "so_tien.programme_cap":
            extra = _shown(None, row.get("_programme_cap"))
        elif meta["rule"] == "nam_sinh.birth_year":
            extra = str(row.get("_latest_birth_year") or "")
        elif meta["rule"] == "ngay_ho_tro.in_period" and report.year:
            start, end = ctx.calendar.period(report.year)
            extra = f"{start:%d/%m/%Y}–{end:%d/%m/%Y}"
        report.findings.append(
            _finding(
                meta["rule"],
                meta["severity"],
                code,
                cell.cell if cell else None,
                value,
                meta["type"],
                extra=extra,
                support_index=index,
            )
        )
    for report in reports:
        _apply_row_rule(report)


def _apply_row_rule(report: ReportInput) -> None:
    """≤ 5% bad support rows: drop them and warn; more: reject the file (FORMS.md)."""
    bad = {f.support_index for f in report.findings if f.support_index is not None and f.severity == "error"}
    if not bad:
        return
    total = len(report.support)
    if len(bad) <= ROW_ERROR_SHARE * total:
        for f in report.findings:
            if f.support_index in bad and f.severity == "error":
                f.severity = "warning"
                f.message_vi += " Dòng này đã bị loại, các dòng khác được nạp."
                f.message_en += " The row was dropped; the other rows were loaded."
        report.dropped_rows = set(bad)
    else:
        report.findings.append(_finding("hotro.bad_row_share", "error", None, None, f"{len(bad)}/{total}", "row_share"))


def findings_summary(findings: Iterable[Finding]) -> list[dict[str, object]]:
    """The reasons stored in audit tables (JSON): rule, severity, field, cell, bilingual message."""
    return [
        {
            "rule": f.rule,
            "severity": f.severity,
            "field": f.field,
            "cell": str(f.cell) if f.cell else None,
            "value": f.value_shown,
            "message_vi": f.message_vi,
            "message_en": f.message_en,
        }
        for f in findings
    ]
