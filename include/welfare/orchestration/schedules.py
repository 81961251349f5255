"""Cron expressions for the intake season: every N minutes in season, once a day outside it.

One DAG with one `MultipleCronTriggerTimetable` (built into Airflow, no plugin) rather than two
DAGs or a custom timetable: the run history, `max_active_runs` and the Asset it emits stay in one
place, and the season stays configurable because the expressions are derived from
`OrchestrationSettings` (any start and end day, across the new year too), not written by hand.
"""

from __future__ import annotations

from calendar import monthrange

# A leap year, so 29 February exists: a season given by month and day covers it when it should.
_LEAP = 2024


def season_days(start: tuple[int, int], end: tuple[int, int]) -> dict[int, set[int]]:
    """The days of each month (1–12) inside the season [start, end] (may wrap over the new year)."""
    days: dict[int, set[int]] = {m: set() for m in range(1, 13)}
    for month in range(1, 13):
        for day in range(1, monthrange(_LEAP, month)[1] + 1):
            inside = start <= (month, day) <= end if start <= end else (month, day) >= start or (month, day) <= end
            if inside:
                days[month].add(day)
    return days


def _ranges(values: list[int]) -> str:
    """1,2,3,5 → '1-3,5'."""
    parts: list[str] = []
    run: list[int] = []
    for value in sorted(values):
        if run and value != run[-1] + 1:
            parts.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
            run = []
        run.append(value)
    if run:
        parts.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(parts)


def _crons(days: dict[int, set[int]], minute_hour: str) -> list[str]:
    """Cron expressions firing at `minute_hour` on exactly the given days of each month."""
    by_days: dict[str, list[int]] = {}
    for month, chosen in days.items():
        if not chosen:
            continue
        full = len(chosen) == monthrange(_LEAP, month)[1]
        by_days.setdefault("*" if full else _ranges(sorted(chosen)), []).append(month)
    return [f"{minute_hour} {dom} {_ranges(months)} *" for dom, months in sorted(by_days.items())]


def intake_crons(
    start: tuple[int, int], end: tuple[int, int], every_minutes: int = 15, off_season_at: tuple[int, int] = (6, 0)
) -> list[str]:
    """Every `every_minutes` in the season, daily at `off_season_at` outside it."""
    if not 1 <= every_minutes <= 60 or 60 % every_minutes:
        raise ValueError(f"every_minutes must divide an hour (1–60), got {every_minutes}")
    inside = season_days(start, end)
    outside = {m: set(range(1, monthrange(_LEAP, m)[1] + 1)) - inside[m] for m in inside}
    minute = "*" if every_minutes == 1 else f"*/{every_minutes}"
    hour, minute_off = off_season_at
    return [*_crons(inside, f"{minute} *"), *_crons(outside, f"{minute_off} {hour}")]


def is_in_season(month: int, day: int, start: tuple[int, int], end: tuple[int, int]) -> bool:
    return day in season_days(start, end)[month]
