"""Airflow plugin of the welfare platform: registers the calendar timetable.

This folder is Airflow's `[core] plugins_folder` (set by `welfare airflow` and the tests);
Airflow 3 deserialises a custom timetable only if a plugin lists its class.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin
from welfare.orchestration.timetable import CalendarTimetable


class WelfarePlugin(AirflowPlugin):
    name = "welfare"
    timetables = [CalendarTimetable]  # noqa: RUF012 - the attribute Airflow reads
