"""One reporting year of a province, as its units would send it, with the truth manifest.

Layout of OUT:
  registry.csv               the registry the files assume (FORMS.md columns)
  submissions/               one file per unit and version (.xlsx mostly, some .xls/.ods),
  submissions/bulk-*/        bulk CSV batches (cdcs_reports.csv + support_cases.csv)
  manifest.json              every file's expected outcome, the counted reports, expected indicators

Every file's modification time is set to the time the unit sent it, so a landing zone that
uses "first seen" times (and `welfare ingest` without `--received-at`) sees the season as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from welfare.calendar import DEFAULT_CALENDAR, Calendar
from welfare.config import TIMEZONE
from welfare.forms import (
    CDCS_FIGURES,
    FORM_VERSIONS,
    INFO_FIELDS,
    SUPPORT_FIELDS,
    Form,
    ReportContent,
)
from welfare.generator import values
from welfare.generator.cases import CASES, Case
from welfare.generator.truth import expected_indicators
from welfare.reference.synthetic import build_registry
from welfare.registry import Registry, UnitInterval

Progress = Callable[[int, int, str], None]

SHARE_MISSING = 0.04
SHARE_LATE = 0.08
SHARE_RESUBMIT = 0.04
SHARE_BULK = 0.08
SHARE_XLS = 0.07
SHARE_ODS = 0.05
SHARE_QUIRKY = 0.35
DUPLICATES = 3


@dataclass
class ManifestFile:
    path: str
    sha256: str
    size: int
    kind: str  # workbook | bulk | foreign
    form: str | None
    unit_code: str | None
    reporting_year: int
    received_at: str
    expected_accepted: bool
    expected_rules: list[str] = field(default_factory=list)
    # Rules the file breaks only when the unit's previous year is in the warehouse (year-over-year).
    conditional_rules: list[str] = field(default_factory=list)
    expected_duplicate_of: str | None = None
    units: list[str] = field(default_factory=list)  # bulk files: every unit inside
    note: str = ""


@dataclass
class _Planned:
    """A report that a unit sends (or a broken file standing in for it)."""

    content: ReportContent
    received_at: datetime
    accepted: bool
    rules: list[str]
    fmt: str
    note: str = ""
    conditional: list[str] = field(default_factory=list)


def _received(rng: random.Random, calendar: Calendar, year: int, form: str, late: bool) -> datetime:
    deadline = calendar.deadline(year, form)
    if late:
        moment = deadline + timedelta(hours=rng.randint(2, 24 * 12))
    else:
        span = 16 if form == "CDCS" else 10
        moment = deadline - timedelta(hours=rng.randint(1, 24 * span))
    return moment.replace(minute=rng.randint(0, 59), second=rng.randint(0, 59), microsecond=0)


def _info(unit: UnitInterval, form: Form, year: int, prepared: date, rng: random.Random) -> dict[str, object]:
    from welfare.generator.people import full_name

    female = rng.random() < 0.5
    return {
        "ma_don_vi": unit.ma_don_vi,
        "ten_don_vi": unit.ten_don_vi,
        "ma_cap_tren": unit.ma_cap_tren if form == Form.CDCS else None,
        "nam_bao_cao": year,
        "ngay_lap": prepared,
        "nguoi_lap": full_name(rng, female),
        "dien_thoai": f"09{rng.randrange(10**8):08d}",
        "email": unit.email,
        "chu_tich": full_name(rng, not female),
        "phien_ban_bieu_mau": FORM_VERSIONS[form][0],
    }


def _inactive_unit(registry: Registry, calendar: Calendar, year: int) -> UnitInterval:
    start, end = calendar.period(year)
    for code in registry.codes():
        history = registry.history(code)
        if history[0].cap == "CDCS" and not any(i.overlaps(start, end) for i in history):
            return history[-1]
    # Year 2024: nothing has closed before its period yet — use a unit founded after it.
    founded = [h[0] for h in (registry.history(c) for c in registry.codes()) if h[0].hieu_luc_tu > end]
    return founded[0]


def generate_province(
    out: Path,
    year: int,
    seed: int = 1,
    calendar: Calendar = DEFAULT_CALENDAR,
    registry: Registry | None = None,
    progress: Progress | None = None,
) -> dict[str, object]:
    """Write a province year of submissions under `out`; returns the manifest (also written)."""
    from welfare.workbooks import Quirks, write_bulk_csv, write_report

    if not calendar.is_defined(year):
        raise ValueError(f"year {year} is outside the calendar ({calendar.first_year}–{calendar.last_year})")
    registry = registry or build_registry()
    rng = random.Random(f"province:{seed}:{year}")
    start, end = calendar.period(year)
    submissions = out / "submissions"
    if submissions.exists():
        shutil.rmtree(submissions)
    submissions.mkdir(parents=True)
    (out / "registry.csv").write_text(registry.to_csv(), encoding="utf-8")

    grassroots = registry.active(end, "CDCS")
    uppers = registry.active(end, "CAP_TREN")
    prepared_rng = random.Random(f"info:{seed}:{year}")

    # 1. Well-behaved content for every expected report.
    planned: dict[tuple[str, str], list[_Planned]] = {}
    counted_cdcs: dict[str, dict[str, object]] = {}
    counted_captren: dict[str, dict[str, object]] = {}
    first_accepted: dict[tuple[str, str], datetime] = {}

    def plan(
        form: Form, unit: UnitInterval, figures: dict[str, object], support: list[dict[str, object]], late: bool
    ) -> _Planned:
        received = _received(rng, calendar, year, form, late)
        prepared = (received - timedelta(days=rng.randint(0, 5))).date()
        content = ReportContent(form, _info(unit, form, year, prepared, prepared_rng), figures, support)
        fmt = rng.choices(("xlsx", "xls", "ods"), weights=(1 - SHARE_XLS - SHARE_ODS, SHARE_XLS, SHARE_ODS))[0]
        return _Planned(content, received, True, [], fmt)

    bulk_units: set[str] = set()
    for unit in grassroots:
        if rng.random() < SHARE_MISSING:
            continue
        figures = values.cdcs_figures(seed, unit.ma_don_vi, unit.loai_hinh or "", year)
        people = int(str(figures["dv_kho_khan_duoc_ho_tro"]))
        support = values.support_rows(seed, unit.ma_don_vi, year, min(people, 120))
        planned[(Form.CDCS, unit.ma_don_vi)] = [plan(Form.CDCS, unit, figures, support, rng.random() < SHARE_LATE)]
        if rng.random() < SHARE_BULK:
            bulk_units.add(unit.ma_don_vi)

    # 2. Broken files: each case replaces a unit's first version; half of the rejected units fix it later.
    candidates = [k for k in planned if k[1] not in bulk_units]
    rng.shuffle(candidates)
    used: set[str] = set()
    for case in CASES:
        if case.needs_previous_year and year == calendar.first_year:
            continue
        if case.form == Form.CAPTREN:
            continue  # handled with the upper-level reports below
        key = next(
            k for k in candidates if k[1] not in used and len(planned[k][0].content.support) >= case.needs_support_rows
        )
        used.add(key[1])
        _apply_case(case, planned[key], registry, calendar, year, rng)

    # 3. Ordinary resubmissions (a corrected version a few days later), one after the lock.
    for key in [k for k in candidates if k[1] not in used][: int(len(candidates) * SHARE_RESUBMIT)]:
        first = planned[key][0]
        second = _copy(first)
        figures = second.content.figures
        benefited, total = int(str(figures["dv_huong_phuc_loi"])), int(str(figures["tong_doan_vien"]))
        figures["dv_huong_phuc_loi"] = benefited + 1 if benefited < total else benefited - 1
        second.received_at = first.received_at + timedelta(days=rng.randint(1, 6))
        second.note = "resubmission with a corrected figure"
        planned[key].append(second)
        used.add(key[1])
    after_lock_key = next(k for k in candidates if k[1] not in used)
    late_copy = _copy(planned[after_lock_key][0])
    late_copy.content.figures["dv_duoc_thong_tin"] = 0
    late_copy.received_at = calendar.lock_at(year) + timedelta(days=3)
    late_copy.note = "resubmission after the lock: kept, flagged, not counted"
    planned[after_lock_key].append(late_copy)

    # Bulk batches: the units of each batch are received together, when the batch is sent.
    batches = _bulk_batches(sorted(bulk_units))
    for batch in batches:
        received = max(planned[(Form.CDCS, code)][0].received_at for code in batch)
        for code in batch:
            planned[(Form.CDCS, code)][0].received_at = received

    # 4. Upper-level reports, with the members they declare taken from their counted grassroots.
    for key, versions in planned.items():
        _count(key, versions, calendar, year, counted_cdcs, first_accepted)
    upper_cases = [c for c in CASES if c.form == Form.CAPTREN]
    for index, unit in enumerate(uppers):
        if year == calendar.first_year and index == len(uppers) - 1:
            continue  # one upper-level union never reports in the baseline year
        below = sum(
            int(str(f["tong_doan_vien"]))
            for c, f in counted_cdcs.items()
            if (u := registry.as_of(end, c)) is not None and u.ma_cap_tren == unit.ma_don_vi
        )
        figures = values.captren_figures(seed, unit.ma_don_vi, year, below)
        versions = [plan(Form.CAPTREN, unit, figures, [], late=index == 1)]
        versions[0].fmt = "xlsx"
        if index < len(upper_cases):
            # A broken copy sent first; the good version follows unless the rule only warns.
            broken = _copy(versions[0])
            broken.received_at -= timedelta(days=2)
            prepared = broken.content.info["ngay_lap"]
            if isinstance(prepared, date):
                broken.content.info["ngay_lap"] = min(prepared, broken.received_at.date())
            upper_cases[index].apply(broken.content, year)
            broken.accepted, broken.rules = not upper_cases[index].rejects, [upper_cases[index].rule]
            broken.note = upper_cases[index].description
            if broken.accepted:
                versions = [broken]
            else:
                versions.insert(0, broken)
        planned[(Form.CAPTREN, unit.ma_don_vi)] = versions
        _count((Form.CAPTREN, unit.ma_don_vi), versions, calendar, year, counted_captren, first_accepted)

    # 5. Write the files.
    files: list[ManifestFile] = []
    total = sum(len(v) for v in planned.values())
    done = 0
    names_used: set[str] = set()
    bulk_rows: list[_Planned] = []
    for (form, code), versions in sorted(planned.items()):
        for version_no, version in enumerate(versions, start=1):
            done += 1
            if progress and done % 25 == 0:
                progress(done, total, "writing submissions")
            if code in bulk_units and version_no == 1 and version.accepted:
                bulk_rows.append(version)
                continue
            name = _file_name(form, version.content, version_no, version.fmt, rng, names_used)
            path = submissions / name
            quirks = (
                Quirks.random(random.Random(f"quirks:{seed}:{year}:{name}"))
                if (rng.random() < SHARE_QUIRKY)
                else Quirks.all_off()
            )
            write_report(path, version.content, quirks)
            files.append(_record(out, path, "workbook", form, code, year, version))
    files += _write_bulk(out, submissions, bulk_rows, batches, year, write_bulk_csv)
    files += _extras(out, submissions, files, year, rng, calendar)
    if progress:
        progress(total, total, "writing submissions")

    reports = []
    for (form, code), when in sorted(first_accepted.items()):
        reports.append(
            {
                "form": form,
                "unit_code": code,
                "reporting_year": year,
                "first_accepted_at": when.isoformat(),
                "is_on_time": calendar.is_on_time(year, form, when),
            }
        )
    manifest: dict[str, object] = {
        "scale": "province",
        "reporting_year": year,
        "seed": seed,
        "period": [start.isoformat(), end.isoformat()],
        "expected_units": {"CDCS": len(grassroots), "CAPTREN": len(uppers)},
        "files": [f.__dict__ for f in sorted(files, key=lambda f: f.path)],
        "reports": reports,
        "counted": {"CDCS": _jsonable(counted_cdcs), "CAPTREN": _jsonable(counted_captren)},
        "expected_indicators": [
            v.as_dict() for v in expected_indicators(year, registry, counted_cdcs, counted_captren, calendar)
        ],
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
    )
    return manifest


def _copy(planned: _Planned) -> _Planned:
    content = ReportContent(
        planned.content.form,
        dict(planned.content.info),
        dict(planned.content.figures),
        [dict(r) for r in planned.content.support],
    )
    return _Planned(content, planned.received_at, planned.accepted, list(planned.rules), planned.fmt, planned.note)


def _apply_case(
    case: Case, versions: list[_Planned], registry: Registry, calendar: Calendar, year: int, rng: random.Random
) -> None:
    """Break the first version with `case`; a rejected unit sends a fixed version later half the time."""
    good = _copy(versions[0])
    broken = versions[0]
    if case.rule == "ma_don_vi.active":
        ghost = _inactive_unit(registry, calendar, year)
        broken.content.info.update(
            ma_don_vi=ghost.ma_don_vi, ten_don_vi=ghost.ten_don_vi, ma_cap_tren=ghost.ma_cap_tren, email=ghost.email
        )
    else:
        case.apply(broken.content, year)
    if case.rule == "ngay_lap.not_after_received":
        broken.content.info["ngay_lap"] = (broken.received_at + timedelta(days=20)).date()
    broken.accepted = not case.rejects
    if case.needs_previous_year:
        broken.conditional = [case.rule]
    else:
        broken.rules = [case.rule]
    broken.note = case.description
    broken.fmt = "xlsx"
    if case.rejects and rng.random() < 0.5:
        good.received_at = broken.received_at + timedelta(days=rng.randint(1, 5))
        good.note = "corrected version after a rejection"
        versions.append(good)


def _count(
    key: tuple[str, str],
    versions: list[_Planned],
    calendar: Calendar,
    year: int,
    counted: dict[str, dict[str, object]],
    first_accepted: dict[tuple[str, str], datetime],
) -> None:
    """Record the figures that count: the latest accepted version received before the lock."""
    code = key[1]
    for version in versions:
        if not version.accepted or calendar.is_after_lock(year, version.received_at):
            continue
        if version.content.info.get("ma_don_vi") != code:
            continue  # a broken identity: it belongs to no expected report
        if version.content.info.get("nam_bao_cao") != year:
            continue
        first_accepted.setdefault(key, version.received_at)
        counted[code] = version.content.figures


def _file_name(form: str, content: ReportContent, version_no: int, fmt: str, rng: random.Random, used: set[str]) -> str:
    code = content.info.get("ma_don_vi") or "khong_ma"
    style = rng.random()
    if style < 0.7:
        stem = f"{form}_{code}_{content.info.get('nam_bao_cao') or 'nam'}" + (
            f"_v{version_no}" if version_no > 1 else ""
        )
    elif style < 0.85:
        stem = f"Bao cao phuc loi {code}" + (f" (sua lan {version_no - 1})" if version_no > 1 else "")
    else:
        stem = f"BC_{rng.randrange(10**6):06d}"  # file names carry no authority
    name = f"{stem}.{fmt}"
    while name in used:
        name = f"{stem}_{rng.randrange(1000)}.{fmt}"
    used.add(name)
    return name


def _set_received(path: Path, when: datetime) -> None:
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))


def _record(
    out: Path,
    path: Path,
    kind: str,
    form: str | None,
    code: str | None,
    year: int,
    version: _Planned,
    units: list[str] | None = None,
) -> ManifestFile:
    _set_received(path, version.received_at)
    data = path.read_bytes()
    return ManifestFile(
        path=str(path.relative_to(out)),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        kind=kind,
        form=form,
        unit_code=code,
        reporting_year=year,
        received_at=version.received_at.isoformat(),
        expected_accepted=version.accepted,
        expected_rules=version.rules,
        conditional_rules=version.conditional,
        units=units or [],
        note=version.note,
    )


def _bulk_batches(codes: list[str]) -> list[list[str]]:
    half = len(codes) // 2
    return [batch for batch in (codes[:half], codes[half:]) if batch]


def _write_bulk(
    out: Path,
    submissions: Path,
    rows: list[_Planned],
    batches: list[list[str]],
    year: int,
    write_bulk_csv: Callable[..., None],
) -> list[ManifestFile]:
    """Bulk batches as a district office would send them: UTF-8 with BOM, then UTF-16."""
    by_unit = {p.content.unit_code: p for p in rows}
    result = []
    report_columns = [f.code for f in INFO_FIELDS] + [f.code for f in CDCS_FIGURES]
    support_columns = ["ma_don_vi", "nam_bao_cao"] + [f.code for f in SUPPORT_FIELDS]
    for index, (codes, encoding) in enumerate(zip(batches, ("utf-8-sig", "utf-16"), strict=False)):
        batch = [by_unit[c] for c in codes if c in by_unit]
        if not batch:
            continue
        folder = submissions / f"bulk-{year}-{index + 1}"
        folder.mkdir()
        reports_path = folder / "cdcs_reports.csv"
        write_bulk_csv(
            reports_path, ({**p.content.info, **p.content.figures} for p in batch), report_columns, encoding=encoding
        )
        support_path = folder / "support_cases.csv"
        write_bulk_csv(
            support_path,
            ({"ma_don_vi": p.content.unit_code, "nam_bao_cao": year, **r} for p in batch for r in p.content.support),
            support_columns,
            encoding=encoding,
        )
        stand_in = _Planned(batch[0].content, batch[0].received_at, True, [], "csv", note=f"bulk batch ({encoding})")
        units = [p.content.unit_code for p in batch]
        result.append(_record(out, reports_path, "bulk", "CDCS", None, year, stand_in, units))
        result.append(_record(out, support_path, "bulk", "HoTro", None, year, stand_in, units))
    return result


def _extras(
    out: Path, submissions: Path, files: list[ManifestFile], year: int, rng: random.Random, calendar: Calendar
) -> list[ManifestFile]:
    """Duplicates (same bytes sent twice) and files that are not submissions at all."""
    extras: list[ManifestFile] = []
    originals = [f for f in files if f.kind == "workbook" and f.expected_accepted and not f.expected_rules]
    for original in rng.sample(originals, min(DUPLICATES, len(originals))):
        source = out / original.path
        copy = source.with_name(f"Copy of {source.name}")
        shutil.copyfile(source, copy)
        when = datetime.fromisoformat(original.received_at) + timedelta(hours=rng.randint(1, 48))
        stand_in = _Planned(
            ReportContent(Form.CDCS, {}, {}, []), when, False, ["file.duplicate"], "", "same bytes again"
        )
        record = _record(out, copy, "workbook", original.form, original.unit_code, year, stand_in)
        record.expected_duplicate_of = original.path
        extras.append(record)
    when = datetime.combine(date(year, 11, 3), time(9, 30), tzinfo=TIMEZONE)
    pdf = submissions / "Bao_cao_scan.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% a scanned report, not a data file\n%%EOF\n")
    stand_in = _Planned(ReportContent(Form.CDCS, {}, {}, []), when, False, ["file.type"], "", "a PDF scan")
    extras.append(_record(out, pdf, "foreign", None, None, year, stand_in))
    broken = submissions / "CDCS_hong.xlsx"
    broken.write_bytes(b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(300)))
    stand_in = _Planned(ReportContent(Form.CDCS, {}, {}, []), when, False, ["file.unreadable"], "", "a truncated xlsx")
    extras.append(_record(out, broken, "foreign", None, None, year, stand_in))
    return extras


def _jsonable(counted: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
    return {
        code: {k: (v.isoformat() if isinstance(v, date) else v) for k, v in figures.items()}
        for code, figures in sorted(counted.items())
    }
