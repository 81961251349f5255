"""The calendar's events that runs are scheduled at: report runs and reminder runs, per year.

Pure functions of `welfare.calendar.Calendar` (no Airflow): the timetable, the DAG tasks and the
season simulation all ask these, so a run's logical date always maps back to what it is for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from welfare.calendar import Calendar

REPORT_KINDS = ("draft", "upper", "provincial")
SCHEDULES = ("reports", "reminders")


@dataclass(frozen=True, order=True)
class CalendarEvent:
    """One scheduled moment: `at` (tz-aware), what it is for, and the reporting year."""

    at: datetime
    label: str  # draft-2025, upper-2025, provincial-2025, reminder-CDCS-7d-2025
    year: int
    kind: str  # draft | upper | provincial | reminder
    form: str | None = None  # reminders: CDCS or CAPTREN
    days_before: int | None = None  # reminders: 7, 3, 1


class NotACalendarEvent(ValueError):
    """A run's date is not one of the calendar's events for that DAG."""


def report_events(calendar: Calendar, year: int) -> list[CalendarEvent]:
    """Draft upper-level reports (morning after the grassroots deadline), the upper-level deadline,
    and the provincial report (20/11 08:00 by default)."""
    return [
        CalendarEvent(calendar.draft_reports_at(year), f"draft-{year}", year, "draft"),
        CalendarEvent(calendar.upper_deadline(year), f"upper-{year}", year, "upper"),
        CalendarEvent(calendar.provincial_report_at(year), f"provincial-{year}", year, "provincial"),
    ]


def reminder_events(calendar: Calendar, year: int) -> list[CalendarEvent]:
    """7, 3 and 1 days before each deadline at 08:00 (the calendar's reminder days)."""
    out = []
    for at, form in calendar.reminders(year):
        deadline = calendar.deadline(year, form)
        days = (deadline.date() - at.date()).days
        out.append(CalendarEvent(at, f"reminder-{form}-{days}d-{year}", year, "reminder", form, days))
    return sorted(out)


def events(calendar: Calendar, schedule: str, years: range | None = None) -> list[CalendarEvent]:
    """Every event of `schedule` ('reports' or 'reminders') over the calendar's years, in time order."""
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    years = years or range(calendar.first_year, calendar.last_year + 1)
    make = report_events if schedule == "reports" else reminder_events
    return sorted(e for y in years for e in make(calendar, y))


def event_at(
    calendar: Calendar, schedule: str, when: datetime, *, tolerance: timedelta = timedelta(0)
) -> CalendarEvent:
    """The event of `schedule` at `when` (a run's data interval end); raises NotACalendarEvent."""
    for event in events(calendar, schedule, range(when.year - 1, when.year + 2)):
        if abs(event.at - when) <= tolerance:
            return event
    raise NotACalendarEvent(
        f"{when.isoformat()} is not a {schedule} event of the calendar; trigger the DAG for one of: "
        + ", ".join(e.at.isoformat() for e in events(calendar, schedule, range(when.year, when.year + 1)))
    )


def latest_event(calendar: Calendar, schedule: str, when: datetime) -> CalendarEvent | None:
    """The most recent event at or before `when` (what a manual run stands for)."""
    past = [e for e in events(calendar, schedule) if e.at <= when]
    return past[-1] if past else None
