"""The reporting calendar of DOMAIN.md: periods, deadlines, reminders, lock.

All times are Asia/Ho_Chi_Minh. The defaults follow the programme; `Calendar` can be built
with other values (tests and other provinces), and everything that needs a date asks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from welfare.config import TIMEZONE

BASELINE_YEAR = 2024
TARGET_YEAR = 2030
FIRST_YEAR = 2024
LAST_YEAR = 2030


@dataclass(frozen=True)
class Calendar:
    """When things happen in reporting year Y (the defaults are DOMAIN.md's)."""

    grassroots_deadline_day: int = 5  # November
    upper_deadline_day: int = 19  # November ("trước ngày 20")
    provincial_report_day: int = 20
    provincial_report_time: time = time(8, 0)
    lock_day: int = 30
    reminder_days_before: tuple[int, ...] = (7, 3, 1)
    first_year: int = FIRST_YEAR
    last_year: int = LAST_YEAR

    def period(self, year: int) -> tuple[date, date]:
        """The reporting period of year Y: 01/11/(Y-1) – 31/10/Y."""
        return date(year - 1, 11, 1), date(year, 10, 31)

    def period_end(self, year: int) -> date:
        return self.period(year)[1]

    def _at(self, year: int, day: int, at: time) -> datetime:
        return datetime.combine(date(year, 11, day), at, tzinfo=TIMEZONE)

    def grassroots_deadline(self, year: int) -> datetime:
        return self._at(year, self.grassroots_deadline_day, time(23, 59, 59))

    def upper_deadline(self, year: int) -> datetime:
        return self._at(year, self.upper_deadline_day, time(23, 59, 59))

    def deadline(self, year: int, form: str) -> datetime:
        return self.grassroots_deadline(year) if form == "CDCS" else self.upper_deadline(year)

    def draft_reports_at(self, year: int) -> datetime:
        """Draft upper-level reports: the morning after the grassroots deadline."""
        return self._at(year, self.grassroots_deadline_day + 1, time(7, 0))

    def provincial_report_at(self, year: int) -> datetime:
        return self._at(year, self.provincial_report_day, self.provincial_report_time)

    def lock_at(self, year: int) -> datetime:
        return self._at(year, self.lock_day, time(23, 59, 59))

    def reminders(self, year: int) -> list[tuple[datetime, str]]:
        """(when, form) for every reminder: 7, 3 and 1 days before each deadline, at 08:00."""
        out = []
        for form in ("CDCS", "CAPTREN"):
            deadline = self.deadline(year, form)
            for days in self.reminder_days_before:
                day = (deadline - timedelta(days=days)).date()
                out.append((datetime.combine(day, time(8, 0), tzinfo=TIMEZONE), form))
        return sorted(out)

    def is_defined(self, year: int) -> bool:
        return self.first_year <= year <= self.last_year

    def is_on_time(self, year: int, form: str, received_at: datetime) -> bool:
        return received_at <= self.deadline(year, form)

    def is_after_lock(self, year: int, received_at: datetime) -> bool:
        return received_at > self.lock_at(year)


DEFAULT_CALENDAR = Calendar()
