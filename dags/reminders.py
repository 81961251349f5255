"""
### reminders — who has not reported yet, 7, 3 and 1 days before each deadline

Runs at 08:00 on the reminder days of the reporting calendar (`welfare.calendar.Calendar`:
7, 3 and 1 days before the grassroots deadline 05/11 and the upper-level deadline 19/11), through
the calendar timetable (run ids name the reminder, e.g. `scheduled__reminder-CDCS-7d-2025__…`).

1. **plan** — which reminder the run is (year, form, deadline) from its logical date.
2. **write_lists** — per upper-level union (as of the end of the reporting period), the units
   expected to report that have no accepted submission received by the reminder's time (nothing
   sent, or only rejected files): `<data>/reminders/<year>/<form>/<date>-<N>d/<union>.csv` (UTF-8
   BOM) and `.txt` (the e-mail text). The same run writes the same bytes.
3. **send_mail** — one e-mail per union with the list attached, through the Airflow SMTP connection
   `welfare_smtp` (else `smtp_default`) when one is configured; each union is mailed at most once
   per reminder (`audit.reminders_sent`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from airflow.sdk import dag, get_current_context, task
from welfare.calendar import DEFAULT_CALENDAR
from welfare.config import TIMEZONE
from welfare.orchestration.settings import get_orchestration_settings
from welfare.orchestration.tags import default_args, tags
from welfare.orchestration.timetable import CalendarTimetable

SETTINGS = get_orchestration_settings()
log = logging.getLogger(__name__)


@dag(
    dag_id="reminders",
    schedule=CalendarTimetable("reminders", DEFAULT_CALENDAR),
    start_date=datetime(2024, 10, 1, tzinfo=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    tags=tags("reminders", "calendar"),
    default_args=default_args(),
    doc_md=__doc__,
)
def reminders() -> None:
    @task
    def plan() -> dict[str, Any]:
        """The reminder this run stands for."""
        from welfare.orchestration.runtime import run_event

        event = run_event(get_current_context(), "reminders")
        return {"year": event.year, "form": event.form, "at": event.at.isoformat(), "label": event.label}

    @task
    def write_lists(event: dict[str, Any]) -> list[dict[str, Any]]:
        """One CSV and one e-mail text per upper-level union with missing reports."""
        from welfare.config import get_settings
        from welfare.orchestration.reminders import find_missing, write_reminders
        from welfare.warehouse import connect

        with connect() as conn:
            found = find_missing(conn, event["year"], event["form"], datetime.fromisoformat(event["at"]))
        written = write_reminders(found, get_settings().data_dir / "reminders")
        log.info("%s: %d union(s) with missing reports", event["label"], len(written))
        return written

    @task
    def send_mail(event: dict[str, Any], written: list[dict[str, Any]]) -> dict[str, int]:
        """E-mail each union its list (once), when an SMTP connection is configured."""
        from welfare.orchestration.mail import send_reminders

        return send_reminders(event, written, SETTINGS.smtp_conn_ids, SETTINGS.mail_from)

    event = plan()
    send_mail(event, write_lists(event))


reminders()
