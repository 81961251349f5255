"""What a task reads from its Airflow context: the run's moment, its calendar event, its clock.

Plain functions over the context mapping (no Airflow import): the logic below them always gets
dates as arguments and never reads the wall clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from welfare.calendar import DEFAULT_CALENDAR, Calendar
from welfare.config import TIMEZONE
from welfare.orchestration.events import CalendarEvent, event_at


def _local(value: datetime) -> datetime:
    return datetime.fromtimestamp(value.timestamp(), tz=TIMEZONE)


def run_moment(context: Mapping[str, Any]) -> datetime:
    """The moment a run stands for: its logical date, or when it was due (asset-triggered runs)."""
    when = context.get("logical_date") or context["dag_run"].run_after
    return _local(when)


def run_event(context: Mapping[str, Any], schedule: str, calendar: Calendar = DEFAULT_CALENDAR) -> CalendarEvent:
    """The calendar event of a CalendarTimetable run (its data interval is exactly the event)."""
    end = context.get("data_interval_end") or run_moment(context)
    return event_at(calendar, schedule, _local(end))


def run_clock(context: Mapping[str, Any]) -> datetime:
    """'Now' for a task: the run's `now` param (a simulated clock) or when the task started."""
    params = context.get("params") or {}
    simulated = params.get("now") if hasattr(params, "get") else None
    if simulated:
        return _local(datetime.fromisoformat(str(simulated)))
    return _local(context["ti"].start_date)


def run_key(context: Mapping[str, Any]) -> str:
    """A label for audit rows: dag id and run id (and map index for mapped tasks)."""
    ti = context["ti"]
    index = getattr(ti, "map_index", -1)
    return f"{ti.dag_id}:{ti.run_id}" + (f":{index}" if index is not None and index >= 0 else "")
