"""Orchestration settings: the reporting season, batch size, sign-off and e-mail (env-overridable).

Read when a DAG file is parsed (environment only, no I/O), so a deployment changes them with
environment variables and the DAG processor picks them up on its next parse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta


class SettingsError(ValueError):
    """An orchestration setting has a value that cannot be used; the message names the variable."""


def _month_day(name: str, default: str) -> tuple[int, int]:
    text = os.environ.get(name) or default
    try:
        month, day = (int(part) for part in text.split("-"))
    except ValueError as exc:
        raise SettingsError(f"{name} must be MM-DD (e.g. 10-01), got {text!r}") from exc
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise SettingsError(f"{name} must be a real month and day (MM-DD), got {text!r}")
    return month, day


def _int(name: str, default: int, minimum: int = 1) -> int:
    text = os.environ.get(name)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, got {text!r}") from exc
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class OrchestrationSettings:
    """What the DAGs need besides the calendar (`welfare.calendar.Calendar`)."""

    season_start: tuple[int, int] = (10, 1)  # (month, day): intake every 15 minutes from here …
    season_end: tuple[int, int] = (11, 30)  # … to here inclusive; daily outside
    season_every_minutes: int = 15
    off_season_at: tuple[int, int] = (6, 0)  # (hour, minute) of the daily intake outside the season
    batch_files: int = 200  # at most this many files per intake batch (one mapped task each)
    warehouse_daily_at: tuple[int, int] = (6, 30)  # the warehouse also rebuilds daily (hour, minute)
    reference_daily_at: tuple[int, int] = (5, 30)
    smtp_conn_ids: tuple[str, ...] = ("welfare_smtp", "smtp_default")
    mail_from: str = "welfare-data@ldld.hatinh.example"
    # The provincial report must be final (approved) this long after its scheduled time.
    provincial_grace: timedelta = timedelta(hours=9)
    retry_delay: timedelta = timedelta(minutes=5)
    # "auto": welfare.reports when installed, else the minimal CSV; "fallback": always the minimal CSV.
    report_exporter: str = "auto"


def in_dag_test() -> bool:
    """True in processes that run DAGs with `dag.test()` (the season simulation, the tests).

    Two things differ there, both because `dag.test()` runs without a scheduler or triggerer:
    Cosmos' watcher sensors reschedule instead of deferring, and the DeadlineAlert is left off
    (in Airflow 3.3.2 `dag.test()` fails when a run that has one finishes).
    """
    return os.environ.get("WELFARE_DAG_TEST") == "1"


def get_orchestration_settings() -> OrchestrationSettings:
    """The settings from WELFARE_* variables (defaults: DOMAIN.md's season and deadlines)."""
    grace_hours = _int("WELFARE_PROVINCIAL_GRACE_HOURS", 9, minimum=0)
    smtp = os.environ.get("WELFARE_SMTP_CONN_ID")
    return OrchestrationSettings(
        season_start=_month_day("WELFARE_SEASON_START", "10-01"),
        season_end=_month_day("WELFARE_SEASON_END", "11-30"),
        season_every_minutes=_int("WELFARE_SEASON_EVERY_MINUTES", 15),
        batch_files=_int("WELFARE_INTAKE_BATCH_FILES", 200),
        smtp_conn_ids=(smtp,) if smtp else OrchestrationSettings.smtp_conn_ids,
        mail_from=os.environ.get("WELFARE_MAIL_FROM") or OrchestrationSettings.mail_from,
        provincial_grace=timedelta(hours=grace_hours),
        retry_delay=timedelta(seconds=_int("WELFARE_RETRY_DELAY_SECONDS", 300)),
        report_exporter=_exporter(),
    )


def _exporter() -> str:
    value = (os.environ.get("WELFARE_REPORT_EXPORTER") or "auto").lower()
    if value not in ("auto", "fallback"):
        raise SettingsError(f"WELFARE_REPORT_EXPORTER must be 'auto' or 'fallback', got {value!r}")
    return value
