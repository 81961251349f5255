"""Is the provincial report final by its time? A check with an explicit clock (`now`).

The provincial report is due at `Calendar.provincial_report_at` (20/11 08:00); it is produced
by the run at that time and becomes final when a person approves the draft, which may take the
working day: the check allows `grace` (OrchestrationSettings.provincial_grace, 9 hours by
default, so 17:00). It fails loudly — an exception the task turns into a failed run — when the
final report came later than that, or when there is none and `now` is past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from welfare.calendar import DEFAULT_CALENDAR, Calendar


class ProvincialReportDeadlineMissed(RuntimeError):
    """The provincial report was not final by its deadline (or is still not final after it)."""


class ProvincialReportNotFinal(RuntimeError):
    """The deadline has not passed yet, but this run ended without a final provincial report."""


@dataclass(frozen=True)
class DeadlineStatus:
    year: int
    deadline: datetime
    final_at: datetime | None
    now: datetime

    @property
    def state(self) -> str:
        if self.final_at is not None:
            return "on_time" if self.final_at <= self.deadline else "late"
        return "missed" if self.now > self.deadline else "pending"


def provincial_deadline(
    year: int, calendar: Calendar = DEFAULT_CALENDAR, grace: timedelta = timedelta(hours=9)
) -> datetime:
    return calendar.provincial_report_at(year) + grace


def judge(status: DeadlineStatus, *, pending_is_failure: bool) -> DeadlineStatus:
    """Raise when the report is late or missed (and when pending, if the run can no longer produce it)."""
    state = status.state
    if state == "late":
        raise ProvincialReportDeadlineMissed(
            f"the provincial report {status.year} became final at {status.final_at:%d/%m/%Y %H:%M %Z}, after its "
            f"deadline {status.deadline:%d/%m/%Y %H:%M %Z}; tell the Ban Chính sách – Pháp luật and the VGCL"
        )
    if state == "missed":
        raise ProvincialReportDeadlineMissed(
            f"the provincial report {status.year} is not final and its deadline {status.deadline:%d/%m/%Y %H:%M %Z} "
            f"has passed (now {status.now:%d/%m/%Y %H:%M %Z}): approve the draft in Airflow (Required actions) "
            "or rerun the provincial run of annual_reports"
        )
    if state == "pending" and pending_is_failure:
        raise ProvincialReportNotFinal(
            f"the provincial report {status.year} is not final (the draft was rejected or not approved); "
            f"fix it and rerun before {status.deadline:%d/%m/%Y %H:%M %Z}"
        )
    return status
