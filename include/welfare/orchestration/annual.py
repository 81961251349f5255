"""Report runs of the calendar: snapshot, export, sign-off, and the provincial deadline.

Each run of the `annual_reports` DAG stands for one calendar event (`events.report_events`):
the draft upper-level reports (morning after the grassroots deadline), the reports at the
upper-level deadline, and the provincial report (20/11 08:00). A run:

1. records itself in audit.report_runs with a snapshot of the marts — `welfare.reports.take_snapshot`
   when the reports module is installed (else a minimal snapshot of our own) — plus the newest
   submission and received time it covers and the marts build it read;
2. exports the reports from that snapshot as drafts (`welfare.reports.build_reports`, or the
   small fallback `export_indicator_values_csv_fallback`); file names carry the snapshot label and
   nothing is overwritten;
3. for the provincial report only: after a person approves the draft, exports the final version
   from the same snapshot and records who approved and when it became final.

A re-run of the same event finds its row and does nothing again (no second snapshot, no new files).
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from welfare.orchestration.events import CalendarEvent
from welfare.orchestration.ledger import (
    ReportRun,
    ensure_ledger,
    get_report_run,
    insert_report_run,
    latest_mart_build,
    update_report_run,
)

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

APPROVE = "Approve"


class ReportRunError(RuntimeError):
    """A report run cannot go on (no marts, nothing to finalise…); the message says what to do."""


def _reports_module() -> Any | None:
    """`welfare.reports` when it is installed (and not turned off), else None: the fallback export."""
    from welfare.orchestration.settings import get_orchestration_settings

    if get_orchestration_settings().report_exporter == "fallback":
        return None
    try:
        import welfare.reports as reports
    except ImportError:
        return None
    return reports


def _max_received(conn: psycopg.Connection, max_submission_id: int | None) -> datetime | None:
    if max_submission_id is None:
        return None
    row = conn.execute(
        "select max(received_at) from audit.submissions where submission_id <= %s", (max_submission_id,)
    ).fetchone()
    return row[0] if row else None


def _province_code(conn: psycopg.Connection) -> str:
    from welfare.registry import load_current_registry

    return load_current_registry(conn).province().ma_don_vi


# -- the fallback export -------------------------------------------------------------------------
def export_indicator_values_csv_fallback(
    conn: psycopg.Connection, year: int, out: Path, label: str, *, draft: bool
) -> list[Path]:
    """Fallback until welfare.reports is installed: marts.indicator_values of the year as CSV (UTF-8 BOM).

    Written once as `<out>/<year>/ChiTieu-<year>-<label>[-DU-THAO].csv`; an existing file is kept.
    """
    cursor = conn.execute("select * from marts.indicator_values where reporting_year = %s order by 1", (year,))
    columns = [c.name for c in cursor.description or []]
    rows = cursor.fetchall()
    if not rows:
        raise ReportRunError(f"marts.indicator_values has no rows for {year}: run the warehouse DAG first")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    path = out / str(year) / f"ChiTieu-{year}-{label}{'-DU-THAO' if draft else ''}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("xb") as handle:
            handle.write(("\ufeff" + buffer.getvalue()).encode("utf-8"))
    except FileExistsError:
        log.info("%s exists already; kept as it is", path)
    return [path]


# -- the run -------------------------------------------------------------------------------------
def _export(
    conn: psycopg.Connection, run: ReportRun, out: Path, url: str | None, *, draft: bool, unit: str | None
) -> list[str]:
    reports = _reports_module()
    if reports is None or run.snapshot_id is None:
        return [
            str(p)
            for p in export_indicator_values_csv_fallback(
                conn, run.reporting_year, out, run.snapshot_label, draft=draft
            )
        ]
    from welfare.reports.snapshot import get_snapshot

    snapshot = get_snapshot(conn, run.snapshot_id)
    conn.commit()  # build_reports reads through its own connection
    files = reports.build_reports(run.reporting_year, out, unit=unit, draft=draft, snapshot=snapshot, url=url)
    return [str(f.path) for f in files]


def start_report_run(event: CalendarEvent, *, run_id: str, out: Path, url: str | None = None) -> ReportRun:
    """Steps 1–2: record the run with its snapshot and export the drafts (idempotent per event)."""
    from welfare.warehouse import connect

    if event.kind not in ("draft", "upper", "provincial"):
        raise ReportRunError(f"{event.label} is not a report event")
    with connect(url) as conn:
        ensure_ledger(conn)
        run = get_report_run(conn, event.year, event.kind, event.at)
        conn.commit()  # a fresh transaction lets the snapshot read the marts in repeatable read
        if run is not None and run.draft_files:
            log.info("report run %s exists (snapshot %s); nothing to do again", event.label, run.snapshot_label)
            return run
        if run is None:
            build = latest_mart_build(conn)
            reports = _reports_module()
            values: dict[str, Any] = {
                "reporting_year": event.year,
                "kind": event.kind,
                "scheduled_at": event.at,
                "run_id": run_id,
                "snapshot_label": "pending",
                "marts_built_at": build.finished_at if build else None,
                "marts_as_of": build.as_of if build else None,
                "exporter": "welfare.reports" if reports is not None else "fallback",
            }
            if reports is not None:
                snapshot = reports.take_snapshot(conn, event.year, taken_at=event.at)
                values |= {
                    "snapshot_id": snapshot.id,
                    "snapshot_label": snapshot.label,
                    "max_submission_id": snapshot.max_submission_id,
                }
            else:
                top = conn.execute(
                    "select max(submission_id) from audit.submissions where received_at <= %s", (event.at,)
                ).fetchone()
                values["max_submission_id"] = top[0] if top else None
            values["max_received_at"] = _max_received(conn, values.get("max_submission_id"))
            run = insert_report_run(conn, values)
            if run.snapshot_label == "pending":
                run = update_report_run(conn, run.report_run_id, snapshot_label=f"r{run.report_run_id:04d}")
            conn.commit()
        unit = _province_code(conn) if event.kind == "provincial" else None
        files = _export(conn, run, out, url, draft=True, unit=unit)
        run = update_report_run(conn, run.report_run_id, draft_files=files)
    log.info("report run %s: %d draft file(s) from snapshot %s", event.label, len(files), run.snapshot_label)
    return run


def finalise_provincial(
    event: CalendarEvent,
    *,
    decision: str,
    approved_by: str | None,
    decided_at: datetime | None,
    now: datetime,
    out: Path,
    url: str | None = None,
) -> ReportRun:
    """Step 3: record the sign-off; on approval export the final report from the same snapshot.

    `now` is when the report becomes final (the run's clock: the task's start, or a simulated
    time); idempotent — a run already final is returned as it is.
    """
    from welfare.warehouse import connect

    if event.kind != "provincial":
        raise ReportRunError(f"only the provincial report is signed off, not {event.label}")
    with connect(url) as conn:
        run = get_report_run(conn, event.year, event.kind, event.at)
        if run is None or not run.draft_files:
            raise ReportRunError(f"{event.label} has no draft to sign off; its export step has not run")
        if run.final_at is not None:
            return run
        run = update_report_run(
            conn, run.report_run_id, decision=decision, approved_by=approved_by, decided_at=decided_at
        )
        if decision != APPROVE:
            log.warning("the provincial report %s was not approved (%s by %s)", event.label, decision, approved_by)
            return run
        conn.commit()
        files = _export(conn, run, out, url, draft=False, unit=_province_code(conn))
        run = update_report_run(conn, run.report_run_id, final_files=files, final_at=now)
    log.info("the provincial report %s is final (approved by %s): %s", event.label, approved_by, files)
    return run


def record_decision(conn: psycopg.Connection, event: dict[str, Any], decision: dict[str, Any]) -> None:
    """Keep a sign-off's answer on the run's row (a rejection never reaches `finalise_provincial`)."""
    run = get_report_run(conn, event["year"], event["kind"], datetime.fromisoformat(event["at"]))
    if run is None or run.decision is not None:
        return
    responder = decision.get("responded_by_user") or {}
    update_report_run(
        conn,
        run.report_run_id,
        decision=(decision.get("chosen_options") or [None])[0],
        approved_by=responder.get("name") or responder.get("id"),
        decided_at=decision.get("responded_at"),
    )
