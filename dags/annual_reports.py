"""
### annual_reports — the year's reports at the calendar's times, with sign-off

Scheduled by the calendar timetable (`welfare.calendar.Calendar`), three runs a year:

| run | when (default) | what |
|---|---|---|
| `draft-Y` | 06/11 07:00, the morning after the grassroots deadline | draft reports (province and every upper-level union) for review |
| `upper-Y` | 19/11 23:59:59, the upper-level deadline | the reports as they stand at the deadline (drafts) |
| `provincial-Y` | 20/11 08:00 | the provincial report: draft, **sign-off by a person**, then final |

1. **plan** — which event the run is.
2. **export_drafts** — a snapshot of the marts (`audit.report_snapshots`, via `welfare.reports`) and
   the draft files built from it; the run is recorded in `audit.report_runs` (newest submission and
   received time covered, marts build read). File names carry the snapshot id; nothing is
   overwritten, and a re-run of the same event reuses its snapshot and files.
3. **needs_sign_off** — only the provincial run, and only while its report is not final, goes on.
4. **sign_off** — Airflow's human-in-the-loop `ApprovalOperator` (kept answer: `SignOffOperator`): a
   person approves or rejects the draft under *Required actions* (response timeout: the grace below).
5. **finalise** — on approval, the final provincial report from the same snapshot; records who
   approved and when it became final; emits `welfare://reports/provincial`.
6. **check_deadline** — runs whatever happened above: fails the run loudly when the provincial report
   is not final, or became final after 20/11 08:00 + 9 h (`WELFARE_PROVINCIAL_GRACE_HOURS`).
   A DeadlineAlert on the DAG also calls `welfare.orchestration.alerts.report_run_late` when a run
   has not finished by then (evaluated by the scheduler, so also when a run hangs).

Param `now` (ISO time) sets the run's clock for a simulated season; empty means the task's start.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference, Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from welfare.calendar import DEFAULT_CALENDAR
from welfare.config import TIMEZONE
from welfare.orchestration.alerts import report_run_late
from welfare.orchestration.assets import PROVINCIAL_REPORT
from welfare.orchestration.settings import get_orchestration_settings, in_dag_test
from welfare.orchestration.signoff import DECISION_KEY, SignOffOperator
from welfare.orchestration.tags import default_args, tags
from welfare.orchestration.timetable import CalendarTimetable

SETTINGS = get_orchestration_settings()
log = logging.getLogger(__name__)


@dag(
    dag_id="annual_reports",
    schedule=CalendarTimetable("reports", DEFAULT_CALENDAR),
    start_date=datetime(2024, 10, 1, tzinfo=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    tags=tags("reports", "sign-off", "calendar"),
    default_args=default_args(),
    params={
        "now": Param(
            None,
            type=["null", "string"],
            description="The run's clock as an ISO time (simulated seasons); empty: when each task starts.",
        )
    },
    # Evaluated by the scheduler; left off under dag.test() (no scheduler there, and Airflow 3.3.2's
    # dag.test() fails when a run with a deadline finishes). check_deadline covers both.
    deadline=None
    if in_dag_test()
    else DeadlineAlert(
        reference=DeadlineReference.DAGRUN_LOGICAL_DATE,
        interval=SETTINGS.provincial_grace,
        callback=AsyncCallback(
            report_run_late,
            kwargs={
                "grace_hours": SETTINGS.provincial_grace.total_seconds() / 3600,
                "smtp_conn_ids": list(SETTINGS.smtp_conn_ids),
            },
        ),
    ),
    doc_md=__doc__,
)
def annual_reports() -> None:
    @task
    def plan() -> dict[str, Any]:
        """The calendar event this run stands for."""
        from welfare.orchestration.runtime import run_event

        event = run_event(get_current_context(), "reports")
        return {"year": event.year, "kind": event.kind, "at": event.at.isoformat(), "label": event.label}

    @task
    def export_drafts(event: dict[str, Any]) -> dict[str, Any]:
        """Snapshot the marts and export the drafts (once per event)."""
        from welfare.config import get_settings
        from welfare.orchestration.annual import start_report_run
        from welfare.orchestration.events import event_at
        from welfare.orchestration.runtime import run_key

        run = start_report_run(
            event_at(DEFAULT_CALENDAR, "reports", datetime.fromisoformat(event["at"])),
            run_id=run_key(get_current_context()),
            out=get_settings().reports_dir,
        )
        review = "\n".join(f"- `{path}`" for path in run.draft_files)
        return run.as_dict() | {
            "review_md": f"Snapshot **{run.snapshot_label}** (submissions up to {run.max_received_at}).\n\n{review}"
        }

    @task.short_circuit
    def needs_sign_off(run: dict[str, Any]) -> bool:
        """Only the provincial report is signed off, and only until it is final."""
        return run["kind"] == "provincial" and run["final_at"] is None

    sign_off = SignOffOperator(
        task_id="sign_off",
        subject="Phê duyệt báo cáo tổng hợp của tỉnh năm {{ ti.xcom_pull(task_ids='plan')['year'] }}",
        body=(
            "Bản dự thảo báo cáo tổng hợp (Approve = phát hành bản chính thức; Reject = không phát hành, "
            "sửa và chạy lại).\n\n{{ ti.xcom_pull(task_ids='export_drafts')['review_md'] }}"
        ),
        response_timeout=SETTINGS.provincial_grace,
    )

    @task(outlets=[PROVINCIAL_REPORT])
    def finalise(event: dict[str, Any], decision: dict[str, Any]) -> dict[str, Any]:
        """The approved report, final, from the same snapshot."""
        from welfare.config import get_settings
        from welfare.orchestration.annual import finalise_provincial
        from welfare.orchestration.events import event_at
        from welfare.orchestration.runtime import run_clock

        context = get_current_context()
        responder = decision.get("responded_by_user") or {}
        run = finalise_provincial(
            event_at(DEFAULT_CALENDAR, "reports", datetime.fromisoformat(event["at"])),
            decision=decision["chosen_options"][0],
            approved_by=responder.get("name") or responder.get("id"),
            decided_at=decision.get("responded_at"),
            now=run_clock(context),
            out=get_settings().reports_dir,
        )
        context["outlet_events"][PROVINCIAL_REPORT].extra = {
            "final_files": run.final_files,
            "snapshot": run.snapshot_label,
        }
        return run.as_dict()

    @task(trigger_rule="all_done")
    def check_deadline(event: dict[str, Any]) -> dict[str, Any]:
        """Fail loudly if the provincial report is not final by its deadline (or this run left it unfinal)."""
        from welfare.orchestration.annual import record_decision
        from welfare.orchestration.deadline import (
            DeadlineStatus,
            ProvincialReportDeadlineMissed,
            ProvincialReportNotFinal,
            judge,
            provincial_deadline,
        )
        from welfare.orchestration.ledger import final_provincial_run
        from welfare.orchestration.runtime import run_clock
        from welfare.warehouse import connect

        context = get_current_context()
        if event["kind"] != "provincial":
            raise AirflowSkipException("only the provincial report has a deadline check")
        decision = context["ti"].xcom_pull(task_ids="sign_off", key=DECISION_KEY)
        with connect() as conn:
            if decision:
                record_decision(conn, event, decision)
            final = final_provincial_run(conn, event["year"])
        status = DeadlineStatus(
            event["year"],
            provincial_deadline(event["year"], DEFAULT_CALENDAR, SETTINGS.provincial_grace),
            final.final_at if final else None,
            run_clock(context),
        )
        try:
            judge(status, pending_is_failure=True)
        except (ProvincialReportDeadlineMissed, ProvincialReportNotFinal) as exc:
            log.error("%s", exc)
            raise AirflowFailException(str(exc)) from exc  # retrying cannot make a late report on time
        log.info("provincial report %s: %s", event["year"], status.state)
        return {"state": status.state, "deadline": status.deadline.isoformat()}

    event = plan()
    drafts = export_drafts(event)
    gate = needs_sign_off(drafts)
    gate >> sign_off
    final = finalise(event, sign_off.output)
    [drafts, final] >> check_deadline(event)


annual_reports()
