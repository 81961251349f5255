"""National scale: ~130,000 grassroots reports and ~2 million support rows as bulk CSV, streamed.

Nothing is held per unit beyond the running sums the truth needs, so memory stays flat
whatever the scale. Layout: OUT/registry.csv, OUT/submissions/national-Y/{cdcs_reports,
captren_reports,support_cases}.csv, OUT/manifest.json.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from welfare.calendar import DEFAULT_CALENDAR, Calendar
from welfare.config import TIMEZONE
from welfare.forms import CAPTREN_FIGURES, CDCS_FIGURES, FORM_VERSIONS, INFO_FIELDS, SUPPORT_FIELDS, Form
from welfare.generator import values
from welfare.indicators import GOOD_GRADES, INDICATORS
from welfare.registry import COLUMNS as REGISTRY_COLUMNS

Progress = Callable[[int, int, str], None]

PROVINCES = 34
UPPERS_PER_PROVINCE = 20
DEFAULT_GRASSROOTS = 130_000
DEFAULT_SUPPORT_ROWS = 2_000_000
_TYPES = ("DN_NGOAI_NHA_NUOC", "DN_FDI", "DN_NHA_NUOC", "HTX", "NGHIEP_DOAN", "XA_PHUONG", "HCSN")
_TYPE_WEIGHTS = (52, 9, 6, 8, 5, 8, 12)


def _units(grassroots: int) -> Iterator[tuple[str, str, str, str]]:
    """(code, cap, parent, loai_hinh) for every unit, in registry order."""
    per_upper = grassroots / (PROVINCES * UPPERS_PER_PROVINCE)
    made = 0
    for p in range(1, PROVINCES + 1):
        province = f"P{p:02d}"
        yield province, "TINH", "", ""
        for u in range(1, UPPERS_PER_PROVINCE + 1):
            upper = f"{province}U{u:02d}"
            yield upper, "CAP_TREN", province, ""
            target = round(per_upper * ((p - 1) * UPPERS_PER_PROVINCE + u))
            rng = random.Random(f"types:{upper}")
            while made < target:
                made += 1
                yield f"{upper}C{made:06d}", "CDCS", upper, rng.choices(_TYPES, weights=_TYPE_WEIGHTS)[0]


def _open(path: Path) -> tuple[Any, IO[str]]:
    handle = path.open("w", encoding="utf-8", newline="")
    return csv.writer(handle, lineterminator="\n"), handle


def generate_national(
    out: Path,
    year: int,
    seed: int = 1,
    grassroots: int = DEFAULT_GRASSROOTS,
    support_rows: int = DEFAULT_SUPPORT_ROWS,
    calendar: Calendar = DEFAULT_CALENDAR,
    progress: Progress | None = None,
) -> dict[str, object]:
    """Stream a national year of bulk CSV under `out`; returns the manifest (also written)."""
    if not calendar.is_defined(year):
        raise ValueError(f"year {year} is outside the calendar ({calendar.first_year}–{calendar.last_year})")
    folder = out / "submissions" / f"national-{year}"
    folder.mkdir(parents=True, exist_ok=True)
    received = datetime.combine(date(year, 11, 4), time(16, 0), tzinfo=TIMEZONE)
    rows_per_unit = support_rows / grassroots
    info_codes = [f.code for f in INFO_FIELDS]
    cdcs_codes = [f.code for f in CDCS_FIGURES]
    captren_codes = [f.code for f in CAPTREN_FIGURES]
    support_codes = [f.code for f in SUPPORT_FIELDS]

    registry_writer, registry_handle = _open(out / "registry.csv")
    cdcs_writer, cdcs_handle = _open(folder / "cdcs_reports.csv")
    captren_writer, captren_handle = _open(folder / "captren_reports.csv")
    support_writer, support_handle = _open(folder / "support_cases.csv")
    registry_writer.writerow(REGISTRY_COLUMNS)
    cdcs_writer.writerow(info_codes + cdcs_codes)
    captren_writer.writerow(info_codes + captren_codes)
    support_writer.writerow(["ma_don_vi", "nam_bao_cao", *support_codes])

    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    members_below: dict[str, int] = defaultdict(int)
    n_support = n_reports = 0
    pending_upper: tuple[str, str] | None = None

    def fmt(value: object) -> object:
        if value is None:
            return ""
        if isinstance(value, date):
            return value.strftime("%d/%m/%Y")
        return value

    def info(code: str, name: str, parent: str, form: str) -> list[object]:
        return [
            code,
            name,
            parent,
            year,
            f"{date(year, 11, 2).strftime('%d/%m/%Y')}",
            "",
            "",
            f"{code.lower()}@congdoan.example",
            "",
            FORM_VERSIONS[Form(form)][0],
        ]

    def flush_upper() -> None:
        if pending_upper is None:
            return
        upper, province = pending_upper
        figures = values.captren_figures(seed, upper, year, members_below[upper])
        captren_writer.writerow(
            info(upper, f"Công đoàn cấp trên {upper}", "", "CAPTREN") + [fmt(figures[c]) for c in captren_codes]
        )
        acc = sums[province]
        acc["units_CAPTREN"] += 1
        for c in captren_codes:
            if isinstance(figures[c], int):
                acc[f"CAPTREN.{c}"] += figures[c]  # type: ignore[operator]

    for code, cap, parent, loai_hinh in _units(grassroots):
        # The registry names a unit as its reports do (the intake checks ten_don_vi against it).
        name = {"CDCS": f"Công đoàn cơ sở {code}", "CAP_TREN": f"Công đoàn cấp trên {code}"}.get(cap, f"Đơn vị {code}")
        registry_writer.writerow([code, name, cap, parent, loai_hinh, "", "", "2015-01-01", "", ""])
        if cap == "CAP_TREN":
            flush_upper()
            pending_upper = (code, parent)
            continue
        if cap != "CDCS":
            continue
        assert pending_upper is not None
        province = pending_upper[1]
        figures = values.cdcs_figures(seed, code, loai_hinh, year)
        rng = values.unit_rng(seed, "national", code)
        people = max(0, round(rng.expovariate(1 / rows_per_unit) / 1.15))
        helped = max(int(str(figures["dv_kho_khan_duoc_ho_tro"])), people)
        hardship = max(int(str(figures["dv_kho_khan"])), helped)
        total = max(int(str(figures["tong_doan_vien"])), hardship)
        figures.update(
            dv_kho_khan_duoc_ho_tro=helped,
            dv_kho_khan=hardship,
            tong_doan_vien=total,
            tong_lao_dong=max(int(str(figures["tong_lao_dong"])), total),
        )
        cdcs_writer.writerow(
            info(code, f"Công đoàn cơ sở {code}", parent, "CDCS") + [fmt(figures[c]) for c in cdcs_codes]
        )
        n_reports += 1
        members_below[parent] += total
        acc = sums[province]
        acc["units_CDCS"] += 1
        for c in cdcs_codes:
            if isinstance(figures[c], int):
                acc[f"CDCS.{c}"] += figures[c]  # type: ignore[operator]
        if figures["co_thoa_uoc"] == 1:
            acc["cba"] += 1
            acc["cba_good"] += figures["xep_loai_thoa_uoc"] in GOOD_GRADES
        for row in values.support_rows(seed, code, year, people):
            support_writer.writerow([code, year, *(fmt(row[c]) for c in support_codes)])
            n_support += 1
        if progress and n_reports % 5000 == 0:
            progress(n_reports, grassroots, "national reports")
    flush_upper()
    for handle in (registry_handle, cdcs_handle, captren_handle, support_handle):
        handle.close()
    stamp = received.timestamp()
    files = []
    for path in sorted(folder.iterdir()):
        os.utime(path, (stamp, stamp))
        digest = hashlib.sha256()
        with path.open("rb") as binary:
            for chunk in iter(lambda: binary.read(1 << 20), b""):
                digest.update(chunk)
        files.append(
            {
                "path": str(path.relative_to(out)),
                "sha256": digest.hexdigest(),
                "size": path.stat().st_size,
                "kind": "bulk",
                "received_at": received.isoformat(),
                "expected_accepted": True,
            }
        )
    manifest: dict[str, object] = {
        "scale": "national",
        "reporting_year": year,
        "seed": seed,
        "counts": {
            "grassroots_reports": n_reports,
            "support_rows": n_support,
            "provinces": PROVINCES,
            "upper_units": PROVINCES * UPPERS_PER_PROVINCE,
        },
        "files": files,
        "expected_indicators": _province_indicators(year, sums),
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
    )
    if progress:
        progress(grassroots, grassroots, "national reports")
    return manifest


def _province_indicators(year: int, sums: dict[str, dict[str, float]]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for province, acc in sorted(sums.items()):
        for ind in INDICATORS:
            if ind.method == "unit_count":
                form = ind.forms[0]
                num, den = acc[f"{form}.{ind.numerator}"], acc[f"units_{form}"]
            elif ind.method == "grade_share":
                num, den = acc["cba_good"], acc["cba"]
            else:
                num = sum(acc[f"{form}.{ind.numerator}"] for form in ind.forms)
                den = sum(acc[f"{form}.{ind.denominator}"] for form in ind.forms)
            out.append(
                {
                    "indicator_code": ind.code,
                    "reporting_year": year,
                    "org_level": "province",
                    "unit_code": province,
                    "numerator": num,
                    "denominator": den,
                    "value": num / den if den else None,
                    "null_reason": None if den else "zero_denominator",
                }
            )
    return out
