"""`CalendarTimetable`: runs at the reporting calendar's events (imports Airflow core).

A custom timetable rather than a cron: the report and reminder times are computed by
`welfare.calendar.Calendar` (deadline days, the morning after, 7/3/1 days before), so a
province that moves its deadlines changes one configuration, and each run's id says what it is
for (`scheduled__provincial-2025__…`). Registered through the plugin in
`welfare/orchestration/plugins/` (Airflow 3 resolves custom timetables only through plugins);
`welfare airflow` and the tests point `[core] plugins_folder` there.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from airflow.timetables.base import DagRunInfo, DataInterval, Timetable

from welfare.calendar import DEFAULT_CALENDAR, Calendar
from welfare.config import TIMEZONE
from welfare.orchestration.events import CalendarEvent, events, latest_event

if TYPE_CHECKING:
    from airflow.timetables.base import TimeRestriction
    from airflow.utils.types import DagRunType
    from pendulum import DateTime


def _calendar_to_dict(calendar: Calendar) -> dict[str, Any]:
    out = asdict(calendar)
    out["provincial_report_time"] = calendar.provincial_report_time.isoformat()
    out["reminder_days_before"] = list(calendar.reminder_days_before)
    return out


def _calendar_from_dict(data: dict[str, Any]) -> Calendar:
    known = {f.name for f in fields(Calendar)}
    values = {k: v for k, v in data.items() if k in known}
    if "provincial_report_time" in values:
        values["provincial_report_time"] = time.fromisoformat(values["provincial_report_time"])
    if "reminder_days_before" in values:
        values["reminder_days_before"] = tuple(values["reminder_days_before"])
    return Calendar(**values)


def _pendulum(value: datetime) -> DateTime:
    import pendulum

    return pendulum.instance(value).in_timezone("UTC")


class CalendarTimetable(Timetable):
    """Runs at each event of `schedule` ('reports' or 'reminders') of the calendar's years."""

    periodic = False

    def __init__(self, schedule: str = "reports", calendar: Calendar = DEFAULT_CALENDAR) -> None:
        self.schedule = schedule
        self.calendar = calendar
        self._events: list[CalendarEvent] = events(calendar, schedule)
        first, last = self._events[0], self._events[-1]
        self.description = (
            f"{schedule} of the reporting calendar {calendar.first_year}–{calendar.last_year}: "
            + ", ".join(f"{e.label.rsplit('-', 1)[0]} {e.at:%d/%m %H:%M}" for e in self._events if e.year == first.year)
            + f" (first {first.at:%d/%m/%Y %H:%M}, last {last.at:%d/%m/%Y %H:%M}, Asia/Ho_Chi_Minh)"
        )

    @property
    def summary(self) -> str:
        return f"calendar: {self.schedule}"

    # -- scheduling ----------------------------------------------------------------------------
    def next_event(
        self, *, after: datetime | None, earliest: datetime | None, now: datetime, catchup: bool
    ) -> CalendarEvent | None:
        """The next event to run: after the last one run, not before `earliest`; without catch-up,
        the most recent missed event at most (a report due while the scheduler was down still runs once)."""
        candidates = [
            e for e in self._events if (after is None or e.at > after) and (earliest is None or e.at >= earliest)
        ]
        if not catchup:
            past = [e for e in candidates if e.at <= now]
            candidates = past[-1:] + [e for e in candidates if e.at > now]
        return candidates[0] if candidates else None

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        now = datetime.now(TIMEZONE)  # the scheduler's clock; task logic never reads it
        event = self.next_event(
            after=last_automated_data_interval.end if last_automated_data_interval else None,
            earliest=restriction.earliest,
            now=now,
            catchup=restriction.catchup,
        )
        if event is None or (restriction.latest is not None and event.at > restriction.latest):
            return None
        return DagRunInfo.exact(_pendulum(event.at))

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        """A manual run stands for the most recent event (or the first one, before any)."""
        event = latest_event(self.calendar, self.schedule, run_after) or self._events[0]
        return DataInterval.exact(_pendulum(event.at))

    def generate_run_id(
        self, *, run_type: DagRunType, run_after: DateTime, data_interval: DataInterval | None, **extra: Any
    ) -> str:
        when = data_interval.end if data_interval else run_after
        event = latest_event(self.calendar, self.schedule, when)
        label = f"{event.label}__" if event is not None and event.at == when else ""
        return run_type.generate_run_id(suffix=f"{label}{run_after.isoformat()}")

    # -- serialisation -------------------------------------------------------------------------
    def serialize(self) -> dict[str, Any]:
        return {"schedule": self.schedule, "calendar": _calendar_to_dict(self.calendar)}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls(data.get("schedule", "reports"), _calendar_from_dict(data.get("calendar", {})))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CalendarTimetable) and self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash((self.schedule, self.calendar))
