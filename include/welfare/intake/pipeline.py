"""Intake of a batch of files: register, check, parse, validate, load — all or nothing per batch.

What `welfare ingest` and the Airflow `intake` DAG run. Every file ends in exactly one state
(accepted, accepted_with_warnings, rejected, duplicate); every file is kept byte for byte under
the data folder's `archive/`; audit rows and raw rows of a batch land in one transaction under an
advisory lock, so a failure leaves the warehouse as it was and the retry loads the batch once.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from welfare.calendar import DEFAULT_CALENDAR, Calendar
from welfare.config import TIMEZONE, Settings, get_settings
from welfare.forms import SHEET_SUPPORT, Field, Form, Kind
from welfare.intake.messages import message
from welfare.intake.parse import FileRejected, ParsedValue, parse_csv, parse_workbook
from welfare.intake.pseudonym import load_key, pseudonym
from welfare.intake.safety import check_file
from welfare.intake.validate import Context, Finding, ReportInput, Validator, findings_summary, validate_batch
from welfare.registry import load_current_registry
from welfare.sql.raw import RAW_TABLES

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]
LOCK_KEY = 0x494E544B  # "INTK": one intake batch loads at a time


class IntakeError(RuntimeError):
    """The run itself could not proceed (no warehouse, no registry, no key); no file was judged."""


_NOTHING_LOADED = (
    "Nothing of this batch was loaded and every file is still in the landing zone: run the same command again "
    "once this is fixed."
)


def _advice(exc: OSError, folder: Path) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk (or quota) holding {folder} is full: free space there."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"The intake user may not use {folder}: give it read access to the landing zone and write access to the data folder (chmod/chown)."
    if exc.errno == errno.ENOENT:
        return "The file disappeared after intake found it (moved or deleted while intake ran): put it back, or leave it out."
    return "Check the file system (disk, network share, permissions)."


@contextmanager
def _file_errors(doing: str, path: Path) -> Iterator[None]:
    """An OSError while `doing` something with `path` becomes an IntakeError naming both and what to do.

    The landing zone and the data folder are the operator's, not the sender's: a file that cannot be
    read is never rejected (the sender did nothing wrong, and a rejection would be recorded for good).
    """
    try:
        yield
    except OSError as exc:
        where = Path(exc.filename) if exc.filename else path
        raise IntakeError(
            f"could not {doing} {where}: {exc.strerror or exc}. {_advice(exc, where.parent)} {_NOTHING_LOADED}"
        ) from exc


@dataclass
class FileOutcome:
    path: Path
    sha256: str
    state: str
    reports: int = 0
    reasons: list[dict[str, object]] = field(default_factory=list)
    file_id: int | None = None
    form: str | None = None
    unit_code: str | None = None
    reporting_year: int | None = None
    feedback_path: Path | None = None


@dataclass
class IngestSummary:
    batch_id: int | None
    files: list[FileOutcome]
    raw_rows: dict[str, int]
    seconds: dict[str, float]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for f in self.files:
            out[f.state] += 1
        return dict(out)

    @property
    def accepted_any(self) -> bool:
        return any(f.state.startswith("accepted") for f in self.files)


@dataclass
class _File:
    path: Path
    data_sha: str
    size: int
    received_at: datetime
    suffix: str
    state: str | None = None
    duplicate_of: int | None = None
    duplicate_name: str | None = None
    reasons: list[dict[str, object]] = field(default_factory=list)
    reports: list[ReportInput] = field(default_factory=list)
    support_csv: bool = False
    bulk_rows: list[int] = field(default_factory=list)  # CSV line of each report in `reports`


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:60]


def discover(paths: Iterable[Path]) -> list[Path]:
    """Every regular file under the given files and folders, in a stable order (hidden files skipped)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p
                for p in sorted(_walk(path))
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise IntakeError(f"{path} does not exist: give files or folders of submissions")
    return found


def _walk(folder: Path) -> Iterator[Path]:
    """Every path under `folder`; an unreadable sub-folder is an error, not silently left out."""

    def fail(exc: OSError) -> None:
        raise exc

    with _file_errors("list the folder", folder):
        for root, dirs, names in os.walk(folder, onerror=fail):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in (*dirs, *names):
                yield Path(root) / name


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _reject(file: _File, rule: str, vi: str, en: str) -> None:
    file.state = "rejected"
    file.reasons.append(
        {
            "rule": rule,
            "severity": "error",
            "field": None,
            "cell": None,
            "value": "",
            "message_vi": vi,
            "message_en": en,
        }
    )


def ingest(
    paths: Sequence[Path],
    *,
    received_at: datetime | None = None,
    run_id: str = "cli",
    url: str | None = None,
    settings: Settings | None = None,
    calendar: Calendar = DEFAULT_CALENDAR,
    progress: Progress | None = None,
) -> IngestSummary:
    """Ingest files and folders as one batch; see the module docstring for the guarantees."""
    import time

    import psycopg

    from welfare.warehouse import connect

    settings = settings or get_settings()
    started = time.monotonic()
    key = load_key()
    candidates = discover(paths)
    try:
        return _ingest(candidates, received_at, run_id, url, settings, calendar, progress, key, started, connect)
    except psycopg.OperationalError as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise IntakeError(
            f"the warehouse connection failed during intake ({detail}). A batch is committed in one "
            "transaction, all of it or nothing; run the same command again: files already loaded are "
            "recognised and skipped, the others are loaded once."
        ) from exc


def _ingest(
    candidates: list[Path],
    received_at: datetime | None,
    run_id: str,
    url: str | None,
    settings: Settings,
    calendar: Calendar,
    progress: Progress | None,
    key: bytes,
    started: float,
    connect: Callable[..., Any],
) -> IngestSummary:
    import time

    from welfare.schema import ensure_schema

    timings: dict[str, float] = {}
    with connect(url) as conn:
        ensure_schema(conn)
        registry = load_current_registry(conn)
        if not registry.intervals:
            raise IntakeError("the registry is empty: load it first with `welfare registry load FILE.csv`")
        files = _register(conn, candidates, received_at)
        timings["register"] = time.monotonic() - started
        if not files:  # everything was loaded before: a re-run records nothing, not even an empty batch
            return IngestSummary(None, [], {}, timings | {"total": time.monotonic() - started})

        step = time.monotonic()
        todo = [f for f in files if f.state is None]
        for index, file in enumerate(todo, start=1):
            with _file_errors("read", file.path):
                _read(file)
            if progress and (index % 20 == 0 or index == len(todo)):
                progress(index, len(todo), "reading files")
        _attach_bulk_support(files)
        timings["read"] = time.monotonic() - step

        step = time.monotonic()
        reports = [r for f in files for r in f.reports]
        for number, report in enumerate(reports):
            report.key = number
        years = {r.year for r in reports if r.year}
        ctx = Context(registry, *_history(conn, years), calendar=calendar)
        docs_dir = settings.data_dir / "datadocs" / f"{datetime.now(tz=TIMEZONE):%Y%m%dT%H%M%S}-{_slug(run_id)}"
        validator = validate_batch(reports, ctx, docs_dir=docs_dir) if reports else None
        timings["validate"] = time.monotonic() - step
        if progress:
            progress(len(todo), len(todo), "validated")

        step = time.monotonic()
        summary = _load(conn, files, run_id, key, settings, calendar, validator)
        timings["load"] = time.monotonic() - step
        from welfare.intake.feedback import write_upper_summaries

        # Still inside the batch's transaction (committed when `connect` exits): a failure here loads nothing.
        for year in sorted(y for y in years if calendar.is_defined(y)):
            with _file_errors("write the upper-level summaries in", settings.feedback_dir / str(year)):
                write_upper_summaries(conn, year, settings.feedback_dir, registry, calendar)
    summary.seconds = timings | {"total": time.monotonic() - started}
    return summary


def _register(conn: psycopg.Connection, paths: list[Path], received_at: datetime | None) -> list[_File]:
    """Hash every file; a file already registered from the same place is skipped (re-runs change nothing)."""
    known_paths = {(row[0], row[1]) for row in conn.execute("select landing_path, sha256 from audit.files")}
    first_by_sha: dict[str, int] = dict(
        conn.execute("select sha256, file_id from audit.files where duplicate_of is null").fetchall()
    )
    names: dict[int, str] = dict(conn.execute("select file_id, file_name from audit.files").fetchall())
    files: list[_File] = []
    seen_in_batch: dict[str, _File] = {}
    for path in paths:
        with _file_errors("read", path):
            sha = _sha256(path)
            stat = path.stat()
        if (str(path.resolve()), sha) in known_paths:
            continue
        when = received_at or datetime.fromtimestamp(stat.st_mtime, tz=TIMEZONE)
        file = _File(path, sha, stat.st_size, when, path.suffix.lower())
        if sha in first_by_sha:
            file.state, file.duplicate_of = "duplicate", first_by_sha[sha]
            file.duplicate_name = names.get(first_by_sha[sha])
        elif sha in seen_in_batch:
            file.state, file.duplicate_name = "duplicate", seen_in_batch[sha].path.name
        else:
            seen_in_batch[sha] = file
        files.append(file)
    files.sort(key=lambda f: (f.received_at, str(f.path)))
    # Within the batch the earliest copy is the original.
    originals: dict[str, _File] = {}
    for file in files:
        if file.state == "duplicate" and file.duplicate_of is not None:
            continue
        if file.data_sha in originals:
            file.state, file.duplicate_name = "duplicate", originals[file.data_sha].path.name
        else:
            file.state = None
            originals[file.data_sha] = file
    for file in files:
        if file.state == "duplicate":
            msg = message("file.duplicate", extra=file.duplicate_name or "")
            file.reasons.append(
                {
                    "rule": "file.duplicate",
                    "severity": "info",
                    "field": None,
                    "cell": None,
                    "value": "",
                    "message_vi": msg.vi,
                    "message_en": msg.en,
                }
            )
    return files


def _read(file: _File) -> None:
    refusal = check_file(file.path)
    if refusal:
        _reject(file, refusal.rule, refusal.detail_vi, refusal.detail_en)
        return
    try:
        if file.suffix == ".csv":
            bulk = parse_csv(file.path)
            if bulk.kind == SHEET_SUPPORT:
                file.support_csv = True
                file.reports = []
                file.bulk_rows = []
                file._support_rows = list(bulk)  # type: ignore[attr-defined]
                return
            form = bulk.form
            assert form is not None
            for row in bulk:
                file.reports.append(_report(form, row, {}, [], file.received_at))
                line = next(iter(row.values())).cell.row if row else 0
                file.bulk_rows.append(line)
        else:
            parsed = parse_workbook(file.path)
            report = _report(parsed.form, parsed.info, parsed.figures, parsed.support, file.received_at)
            for problem in parsed.problems:
                if problem.code == "missing_field" and problem.field and _must_be_present(problem.field, problem.sheet):
                    report.findings.append(
                        Finding(
                            f"{problem.field}.required",
                            "error",
                            problem.field,
                            None,
                            "",
                            problem.message_vi,
                            problem.message_en,
                            "layout",
                        )
                    )
            file.reports.append(report)
    except FileRejected as exc:
        rule = {"wrong_type": "file.type", "unreadable": "file.unreadable"}.get(exc.code, f"file.{exc.code}")
        _reject(file, rule, exc.message_vi, exc.message_en)


def _must_be_present(code: str, sheet: str) -> bool:
    """A figure row must be there (an empty cell is fine); identification rows only when required."""
    from welfare.forms import CAPTREN_FIGURES, CDCS_FIGURES, INFO_FIELDS, Kind

    if sheet == "ThongTin" or code in {f.code for f in INFO_FIELDS}:
        return any(f.code == code and f.required for f in INFO_FIELDS)
    return any(f.code == code and f.kind != Kind.TEXT for f in (*CDCS_FIGURES, *CAPTREN_FIGURES))


def _report(
    form: Form,
    info_or_row: dict[str, ParsedValue],
    figures: dict[str, ParsedValue],
    support: list[dict[str, ParsedValue]],
    received_at: datetime,
) -> ReportInput:
    from welfare.forms import INFO_FIELDS

    if not figures:  # a bulk CSV row carries identification and figures together
        info_codes = {f.code for f in INFO_FIELDS}
        info = {k: v for k, v in info_or_row.items() if k in info_codes}
        figures = {k: v for k, v in info_or_row.items() if k not in info_codes}
    else:
        info = info_or_row
    return ReportInput(0, form, info, figures, support, received_at)


def _attach_bulk_support(files: list[_File]) -> None:
    """Support rows of a bulk support_cases.csv join the reports of the same folder (same batch)."""
    reports_by_folder: dict[Path, dict[tuple[str, int], ReportInput]] = defaultdict(dict)
    for file in files:
        if file.suffix == ".csv" and not file.support_csv:
            for report in file.reports:
                if report.unit_code and report.year:
                    reports_by_folder[file.path.parent][(report.unit_code, report.year)] = report
    for file in files:
        rows = getattr(file, "_support_rows", None)
        if not file.support_csv or rows is None:
            continue
        targets = reports_by_folder.get(file.path.parent, {})
        orphans = 0
        for row in rows:
            unit, year = row.get("ma_don_vi"), row.get("nam_bao_cao")
            year_value = year.value if year is not None and isinstance(year.value, int) else 0
            target = targets.get((str(unit.value) if unit else "", year_value))
            if target is None:
                orphans += 1
                continue
            target.support.append({k: v for k, v in row.items() if k not in ("ma_don_vi", "nam_bao_cao")})
        if orphans:
            _reject(
                file,
                "file.support_without_report",
                f"{orphans} dòng hỗ trợ không thuộc báo cáo nào trong cùng thư mục (cdcs_reports.csv); "
                "hãy gửi kèm tệp báo cáo của các đơn vị đó.",
                f"{orphans} support rows belong to no report in the same folder (cdcs_reports.csv); "
                "send them with those units' report file.",
            )
        else:
            file.state = "accepted"  # its rows load with their reports; it holds no report of its own


def _history(
    conn: psycopg.Connection, years: set[int]
) -> tuple[dict[tuple[str, str, int], dict[str, Any]], dict[tuple[str, str, int], dict[str, Any]]]:
    """Counted figures of the previous years (year-over-year) and of the same years (peers)."""
    from welfare.forms import CDCS_FIGURES

    previous: dict[tuple[str, str, int], dict[str, Any]] = {}
    same: dict[tuple[str, str, int], dict[str, Any]] = {}
    if not years:
        return previous, same
    wanted = sorted(years | {y - 1 for y in years})
    columns = [f.code for f in CDCS_FIGURES]
    rows = conn.execute(
        f"""
        select s.unit_code, s.reporting_year, {", ".join("r." + c for c in columns)}
        from audit.submissions as s
        join raw.cdcs_reports as r on r.submission_id = s.submission_id
        where s.form = 'CDCS' and s.state in ('accepted', 'accepted_with_warnings')
          and not s.is_superseded and s.reporting_year = any(%s)
        """,
        (wanted,),
    ).fetchall()
    for unit, year, *values in rows:
        figures = dict(zip(columns, values, strict=True))
        key = ("CDCS", unit, year)
        if year in years:
            same[key] = figures
        if year + 1 in years:
            previous[key] = figures
    return previous, same


# --- decisions and load ----------------------------------------------------------------------------
def _state(report: ReportInput) -> str:
    if report.has_errors:
        return "rejected"
    return "accepted_with_warnings" if report.has_warnings else "accepted"


def _load(
    conn: psycopg.Connection,
    files: list[_File],
    run_id: str,
    key: bytes,
    settings: Settings,
    calendar: Calendar,
    validator: Validator | None,
) -> IngestSummary:
    from welfare.intake.feedback import write_feedback

    archive = settings.data_dir / "archive"
    outcomes: list[FileOutcome] = []
    raw_counts: dict[str, int] = defaultdict(int)
    # Keep every original first (content-addressed, so a retry writes the same path).
    stored: dict[Path, Path] = {}
    for file in files:
        target = archive / file.data_sha[:2] / _archive_name(file.data_sha, file.path.name)
        if not target.exists():
            with _file_errors(f"keep a copy of {file.path} in the archive at", target):
                _keep(file.path, target)
        stored[file.path] = target

    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        files = _recheck_under_lock(conn, files)
        docs = validator.docs_index if validator else None
        batch_id = conn.execute(
            "insert into audit.batches (run_id, file_count, data_docs_path) values (%s, %s, %s) returning batch_id",
            (run_id, len(files), str(docs) if docs else None),
        ).fetchone()[0]  # type: ignore[index]
        first_ids: dict[str, int] = {}
        for file in files:
            if file.state == "duplicate" and file.duplicate_of is None:
                file.duplicate_of = first_ids.get(file.data_sha)
            outcome = _load_file(conn, batch_id, file, stored[file.path], key, calendar, raw_counts)
            if outcome.state in ("rejected", "accepted_with_warnings") or any(
                r.get("severity") == "warning" for r in outcome.reasons
            ):
                with _file_errors("write the feedback file beside", stored[file.path]):
                    outcome.feedback_path = write_feedback(stored[file.path], file.path.name, outcome)
                conn.execute(
                    "update audit.files set feedback_path = %s where file_id = %s",
                    (str(outcome.feedback_path), outcome.file_id),
                )
            if file.duplicate_of is None and outcome.file_id is not None:
                first_ids.setdefault(file.data_sha, outcome.file_id)
            outcomes.append(outcome)
        conn.execute("update audit.batches set finished_at = now() where batch_id = %s", (batch_id,))
    return IngestSummary(batch_id, outcomes, dict(raw_counts), {})


_NAME_BYTES = 150  # with the 17-character hash prefix and ".phan-hoi.txt", far below any file system's 255


def _archive_name(sha: str, name: str) -> str:
    """`<hash prefix>-<name>`: control and format characters replaced, the name shortened (by bytes,
    keeping its extension) so that a hostile or merely long name cannot make the copy fail."""
    clean = "".join(c if c.isprintable() and c not in "/\\" else "_" for c in name)
    suffix = Path(clean).suffix if len(Path(clean).suffix.encode()) <= 16 else ""
    stem = clean[: len(clean) - len(suffix)] if suffix else clean
    room = _NAME_BYTES - len(suffix.encode())
    if len(stem.encode()) > room:
        stem = stem.encode()[:room].decode("utf-8", errors="ignore")
    return f"{sha[:16]}-{stem}{suffix}"


def _keep(source: Path, target: Path) -> None:
    """Copy an original into the archive; a copy cut short (disk full) never takes the final name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # A name of this writer's own (process and thread): two runs keeping the same file at once
    # each copy, and the second rename replaces the first's identical bytes (content-addressed).
    partial = target.with_name(f".{target.name[:40]}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        shutil.copy2(source, partial)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _recheck_under_lock(conn: psycopg.Connection, files: list[_File]) -> list[_File]:
    """Another intake run may have registered some of these files since we looked (two runs over
    one folder): under the lock, skip what it registered from the same place and turn what it
    registered from elsewhere into duplicates, so every file is registered and loaded once."""
    shas = [f.data_sha for f in files]
    known = conn.execute(
        "select landing_path, sha256, file_id, file_name, duplicate_of from audit.files where sha256 = any(%s)", (shas,)
    ).fetchall()
    same_place = {(path, sha) for path, sha, *_ in known}
    first = {sha: (file_id, name) for _, sha, file_id, name, duplicate_of in known if duplicate_of is None}
    kept: list[_File] = []
    for file in files:
        if (str(file.path.resolve()), file.data_sha) in same_place:
            continue
        if file.data_sha in first and file.duplicate_of is None and file.state != "duplicate":
            file.state, file.duplicate_of = "duplicate", first[file.data_sha][0]
            file.reports = []
            msg = message("file.duplicate", extra=first[file.data_sha][1])
            file.reasons = [
                {
                    "rule": "file.duplicate",
                    "severity": "info",
                    "field": None,
                    "cell": None,
                    "value": "",
                    "message_vi": msg.vi,
                    "message_en": msg.en,
                }
            ]
        kept.append(file)
    return kept


def _load_file(
    conn: psycopg.Connection,
    batch_id: int,
    file: _File,
    stored: Path,
    key: bytes,
    calendar: Calendar,
    raw_counts: dict[str, int],
) -> FileOutcome:
    states = [_state(r) for r in file.reports]
    if file.state is None:
        if not states:
            _reject(file, "file.no_report", "Tệp không có báo cáo nào.", "The file holds no report.")
        elif len(states) == 1:
            file.state = states[0]
        else:  # a bulk file: its own state summarises its reports
            file.state = (
                "rejected"
                if all(s == "rejected" for s in states)
                else "accepted_with_warnings"
                if any(s != "accepted" for s in states)
                else "accepted"
            )
    file_reasons = list(file.reasons)
    if len(file.reports) == 1:
        file_reasons += findings_summary(file.reports[0].findings)
    file_id = conn.execute(
        """insert into audit.files (batch_id, sha256, file_name, landing_path, stored_path, size_bytes, file_type,
               received_at, state, duplicate_of, reasons)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning file_id""",
        (
            batch_id,
            file.data_sha,
            file.path.name,
            str(file.path.resolve()),
            str(stored),
            file.size,
            file.suffix.lstrip(".") or "other",
            file.received_at,
            file.state,
            file.duplicate_of,
            json.dumps(file_reasons, ensure_ascii=False),
        ),
    ).fetchone()[0]  # type: ignore[index]
    outcome = FileOutcome(file.path, file.data_sha, file.state or "rejected", len(file.reports), file_reasons, file_id)
    if not file.reports:
        conn.execute(
            """insert into audit.submissions (file_id, state, received_at, reasons) values (%s, %s, %s, %s)""",
            (file_id, file.state, file.received_at, json.dumps(file.reasons, ensure_ascii=False)),
        ) if not file.support_csv else None
        return outcome
    for position, report in enumerate(file.reports):
        state = states[position] if file.state != "duplicate" else "duplicate"
        submission_id = _insert_submission(
            conn, file_id, report, state, calendar, file.bulk_rows[position] if file.bulk_rows else None
        )
        _insert_results(conn, batch_id, file_id, submission_id, report.findings)
        if state.startswith("accepted"):
            _copy_raw(conn, submission_id, report, key, raw_counts)
        if len(file.reports) == 1:
            outcome.form, outcome.unit_code, outcome.reporting_year = report.form.value, report.unit_code, report.year
    return outcome


def _insert_submission(
    conn: psycopg.Connection, file_id: int, report: ReportInput, state: str, calendar: Calendar, source_row: int | None
) -> int:
    form, unit, year = report.form.value, report.unit_code, report.year
    on_time = after_lock = None
    version = None
    if year and calendar.is_defined(year):
        on_time = calendar.is_on_time(year, form, report.received_at)
        after_lock = calendar.is_after_lock(year, report.received_at)
    if state.startswith("accepted") and unit and year:
        version = (
            1
            + conn.execute(
                """select count(*) from audit.submissions where form = %s and unit_code = %s and reporting_year = %s
               and state in ('accepted', 'accepted_with_warnings')""",
                (form, unit, year),
            ).fetchone()[0]  # type: ignore[index]
        )
        if not after_lock:
            conn.execute(
                """update audit.submissions set is_superseded = true where form = %s and unit_code = %s
                   and reporting_year = %s and state in ('accepted', 'accepted_with_warnings')
                   and received_at <= %s""",
                (form, unit, year, report.received_at),
            )
    return conn.execute(
        """insert into audit.submissions (file_id, form, unit_code, reporting_year, version, state, is_on_time,
               is_after_lock, received_at, reasons, source_row)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning submission_id""",
        (
            file_id,
            form,
            unit,
            year,
            version,
            state,
            on_time,
            bool(after_lock),
            report.received_at,
            json.dumps(findings_summary(report.findings), ensure_ascii=False),
            source_row,
        ),
    ).fetchone()[0]  # type: ignore[index]


def _insert_results(
    conn: psycopg.Connection, batch_id: int, file_id: int, submission_id: int, findings: list[Finding]
) -> None:
    if not findings:
        return
    with conn.cursor().copy(
        "copy audit.validation_results (batch_id, file_id, submission_id, rule, severity, field, sheet, row_number, "
        "cell, value_shown, message_vi, message_en, expectation) from stdin"
    ) as copy:
        for f in findings:
            copy.write_row(
                (
                    batch_id,
                    file_id,
                    submission_id,
                    f.rule,
                    f.severity,
                    f.field,
                    f.cell.sheet if f.cell else None,
                    f.cell.row if f.cell else None,
                    str(f.cell) if f.cell else None,
                    f.value_shown,
                    f.message_vi,
                    f.message_en,
                    f.expectation,
                )
            )


def _copy_raw(
    conn: psycopg.Connection, submission_id: int, report: ReportInput, key: bytes, raw_counts: dict[str, int]
) -> None:
    table = "cdcs_reports" if report.form == Form.CDCS else "captren_reports"
    fields = RAW_TABLES[table]
    with conn.cursor().copy(
        f"copy raw.{table} (submission_id, source_row, {', '.join(f.code for f in fields)}) from stdin"
    ) as copy:
        copy.write_row((submission_id, 1, *(_raw_value(report, f) for f in fields)))
    raw_counts[table] += 1
    if report.form != Form.CDCS or not report.support:
        return
    support_fields = RAW_TABLES["support_cases"]
    people: list[tuple[int, int, str, str | None]] = []
    with conn.cursor().copy(
        "copy raw.support_cases (submission_id, source_row, ma_don_vi, nam_bao_cao, nguoi_pseudonym, "
        f"{', '.join(f.code for f in support_fields)}) from stdin"
    ) as copy:
        for index, row in enumerate(report.support):
            if index in report.dropped_rows:
                continue
            first = next(iter(row.values()), None)
            source_row = first.cell.row if first else index + 1
            ident = row.get("so_dinh_danh")
            alias = (
                pseudonym(str(ident.value), key) if ident is not None and ident.value and ident.error is None else None
            )
            values = [
                row[f.code].value if f.code in row and row[f.code].error is None else None for f in support_fields
            ]
            copy.write_row((submission_id, source_row, report.unit_code, report.year, alias, *values))
            name = row.get("ho_ten")
            if name is not None and name.value:
                people.append((submission_id, source_row, str(name.value), alias))
            raw_counts["support_cases"] += 1
    if people:
        with conn.cursor().copy(
            "copy restricted.support_people (submission_id, source_row, ho_ten, nguoi_pseudonym) from stdin"
        ) as copy:
            for person in people:
                copy.write_row(person)


def _raw_value(report: ReportInput, field: Field) -> object:
    cell = report.info.get(field.code) or report.figures.get(field.code)
    if cell is None or cell.error is not None:
        return None
    if field.kind == Kind.FLAG and cell.value is None:
        return 0  # an empty flag cell means "no", as the validator read it
    return cell.value
