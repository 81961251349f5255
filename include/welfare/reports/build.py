"""Build the annual reports of one year from a snapshot of the marts, as new files only.

Layout under `out` (one folder per year and report unit):

    <out>/<year>/<unit>/BaoCao-04CTr-<year>-<unit>-<snapshot>-v<NN>[-DU-THAO].pdf
                                                                  .xlsx
                                                                  -ChiTieu.csv
                                                                  -ChiTieu.parquet
                                                                  .manifest.json

The version counter NN runs per year and unit across snapshots; claiming a version creates its
manifest exclusively, and every file is created exclusively (`open(…, "xb")`), so a build never
overwrites an earlier file, even when two run at once. Contents do not mention the version: two
builds from the same snapshot give identical bytes under two names.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from welfare.reports.snapshot import ReportError, Snapshot, load_payload, take_snapshot

log = logging.getLogger(__name__)

PREFIX = "BaoCao-04CTr"
DRAFT_SUFFIX = "-DU-THAO"
_SAFE_CODE = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class ReportFile:
    """One file written by `build_reports`."""

    unit_code: str
    kind: str  # pdf | xlsx | csv | parquet | manifest
    path: Path
    sha256: str
    version: int
    snapshot_id: int
    draft: bool


def _base(year: int, unit_code: str) -> str:
    if not _SAFE_CODE.match(unit_code):
        raise ReportError(f"unit code {unit_code!r} cannot be used in a file name")
    return f"{PREFIX}-{year}-{unit_code}"


def _claim_version(folder: Path, base: str, snapshot: Snapshot, draft: bool) -> tuple[int, str, Path]:
    pattern = re.compile(re.escape(base) + r"-s\d+-v(\d+)")
    taken = [int(m.group(1)) for p in folder.iterdir() if (m := pattern.match(p.name))]
    version = max(taken, default=0) + 1
    while True:
        stem = f"{base}-{snapshot.label}-v{version:02d}{DRAFT_SUFFIX if draft else ''}"
        manifest = folder / f"{stem}.manifest.json"
        try:
            with manifest.open("x", encoding="utf-8"):
                pass
        except FileExistsError:
            version += 1
            continue
        return version, stem, manifest


def _write_failure(exc: OSError, path: Path) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        advice = f"the disk (or quota) holding {path.parent} is full: free space there"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        advice = f"the report user may not write in {path.parent}: fix its permissions or choose another --out"
    else:
        advice = f"check the file system holding {path.parent}"
    return (
        f"could not write {path}: {exc.strerror or exc}. To fix: {advice}, then build the reports again. "
        "No file of this version was kept; the snapshot is recorded and will be reused."
    )


@contextmanager
def _write_errors(folder: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise ReportError(_write_failure(exc, Path(exc.filename) if exc.filename else folder)) from exc


def _create(path: Path, data: bytes, created: list[Path]) -> str:
    """Write a new file (never an existing one) and return its SHA-256; `created` gets it once it exists,
    so that a write cut short (disk full) can be removed."""
    with path.open("xb") as handle:
        created.append(path)
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return hashlib.sha256(data).hexdigest()


def _write_report(report: Any, folder: Path, snapshot: Snapshot, font: Any) -> list[ReportFile]:
    from welfare.reports.extract import render_csv, render_parquet
    from welfare.reports.pdf import render_pdf
    from welfare.reports.workbook import render_workbook

    pdf_bytes, pages = render_pdf(report, font)
    workbook_bytes = render_workbook(report)
    metadata = {
        "title": report.title,
        "unit_code": report.unit_code,
        "snapshot_id": str(snapshot.id),
        "submissions_digest": snapshot.digest,
    }
    outputs = [
        ("pdf", ".pdf", pdf_bytes),
        ("xlsx", ".xlsx", workbook_bytes),
        ("csv", "-ChiTieu.csv", render_csv(report.extract_rows)),
        ("parquet", "-ChiTieu.parquet", render_parquet(report.extract_rows, metadata)),
    ]
    with _write_errors(folder):
        folder.mkdir(parents=True, exist_ok=True)
        version, stem, manifest = _claim_version(folder, _base(report.year, report.unit_code), snapshot, report.draft)
    created: list[Path] = []
    files: list[ReportFile] = []
    path = manifest
    try:
        for kind, suffix, data in outputs:
            path = folder / f"{stem}{suffix}"
            digest = _create(path, data, created)
            files.append(ReportFile(report.unit_code, kind, path, digest, version, snapshot.id, report.draft))
        record = {
            "title": report.title,
            "reporting_year": report.year,
            "unit_code": report.unit_code,
            "unit_name": report.unit_name,
            "version": version,
            "draft": report.draft,
            "pdf_pages": pages,
            "snapshot": {
                "id": snapshot.id,
                "taken_at": snapshot.taken_at.isoformat(),
                "max_submission_id": snapshot.max_submission_id,
                "submissions_count": snapshot.submissions_count,
                "digest": snapshot.digest,
            },
            "provenance": dict(report.provenance),
            "files": [{"name": f.path.name, "kind": f.kind, "sha256": f.sha256} for f in files],
        }
        text = json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        path = manifest
        manifest.write_text(text, encoding="utf-8")  # our own claimed, still empty file
        files.append(
            ReportFile(
                report.unit_code,
                "manifest",
                manifest,
                hashlib.sha256(text.encode()).hexdigest(),
                version,
                snapshot.id,
                report.draft,
            )
        )
    except BaseException as exc:
        for done in [*created, manifest]:  # only files this build created
            done.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ReportError(_write_failure(exc, path)) from exc
        raise
    log.info("report %s v%02d (%s): %s", report.unit_code, version, snapshot.label, folder / stem)
    return files


def build_reports(
    year: int,
    out: Path | str,
    *,
    unit: str | None = None,
    draft: bool = False,
    snapshot: Snapshot | None = None,
    url: str | None = None,
) -> list[ReportFile]:
    """Write the year's reports (.pdf, .xlsx, indicator CSV and Parquet, manifest) under `out/<year>/<unit>/`.

    Without `unit`: the province and every upper-level union active at the end of the period;
    with it: that one (the province's code or an upper-level union's). Without `snapshot`, one
    is taken now (or the latest reused when the marts have not changed). Reads the marts and
    audit.report_snapshots only. Returns every file written, manifest last per unit.
    """
    from welfare.reports.content import Data, build_report
    from welfare.reports.fonts import report_font
    from welfare.warehouse import connect

    with connect(url) as conn:
        if snapshot is None:
            snapshot = take_snapshot(conn, year)
        elif snapshot.reporting_year is not None and snapshot.reporting_year != year:
            raise ReportError(f"snapshot {snapshot.label} is for {snapshot.reporting_year}, not {year}")
        payload = load_payload(conn, snapshot)
    if int(payload["reporting_year"]) != year:
        raise ReportError(f"snapshot {snapshot.label} is for {payload['reporting_year']}, not {year}")
    data = Data(payload)
    # data.scope raises, listing the valid codes, when `unit` is not a report unit of the year.
    codes = [data.province["unit_code"], *data.active("CAP_TREN")] if unit is None else [data.scope(unit).unit_code]
    font = report_font()
    font_label = f"{font.name} ({font.source})"
    root = Path(out) / str(year)
    files: list[ReportFile] = []
    for code in codes:
        report = build_report(payload, code, snapshot, draft=draft, font_name=font_label)
        files += _write_report(report, root / code, snapshot, font)
    return files


def describe(files: list[ReportFile]) -> list[dict[str, Any]]:
    """The files as plain dicts (for logs, XCom and JSON)."""
    return [{**asdict(f), "path": str(f.path)} for f in files]
