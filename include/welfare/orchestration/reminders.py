"""Reminders before each deadline: per upper-level union, who has not reported yet.

"Not reported yet" at the reminder's time: a unit expected to report (active at the end of the
reporting period, with its parent at that date, as the marts count it) that has no accepted
submission received up to that time — nothing arrived, or only rejected files. It is computed
from the registry and audit.submissions (what intake writes) rather than the marts so that a
reminder goes out even when a dbt build failed, and re-running a past reminder gives the same list.

Output: one CSV (UTF-8 with BOM, opens in Excel) and one e-mail text per upper-level union under
`<data>/reminders/<year>/<form>/<date>-<N>d/`; e-mail through Airflow's SMTP connection, at most
once per union and reminder (recorded in audit.reminders_sent).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from welfare.calendar import DEFAULT_CALENDAR, Calendar
from welfare.config import TIMEZONE

if TYPE_CHECKING:
    import psycopg

FORM_LEVEL = {"CDCS": "CDCS", "CAPTREN": "CAP_TREN"}
REASONS_VI = {"not_received": "Chưa gửi báo cáo", "rejected_only": "Báo cáo đã gửi bị từ chối, chưa gửi lại"}
FORM_VI = {"CDCS": "báo cáo của công đoàn cơ sở", "CAPTREN": "báo cáo của công đoàn cấp trên trực tiếp cơ sở"}
CSV_COLUMNS = ("ma_don_vi", "ten_don_vi", "email", "ly_do", "so_tep_bi_tu_choi", "lan_gui_gan_nhat")


@dataclass(frozen=True)
class MissingReport:
    unit_code: str
    unit_name: str
    email: str | None
    reason: str  # not_received | rejected_only
    rejected_count: int
    last_received_at: datetime | None


@dataclass
class Reminder:
    """What one upper-level union is reminded of at one reminder time."""

    year: int
    form: str
    deadline: datetime
    as_of: datetime
    upper_code: str
    upper_name: str
    upper_email: str | None
    missing: list[MissingReport] = field(default_factory=list)

    @property
    def days_left(self) -> int:
        return (self.deadline.date() - self.as_of.date()).days


def find_missing(
    conn: psycopg.Connection, year: int, form: str, as_of: datetime, calendar: Calendar = DEFAULT_CALENDAR
) -> list[Reminder]:
    """Per upper-level union (as of the period end), the expected reports still missing at `as_of`.

    CDCS: the union's grassroots units; CAPTREN: the union's own report. Unions with nothing
    missing are left out.
    """
    from welfare.registry import load_current_registry

    if form not in FORM_LEVEL:
        raise ValueError(f"form must be CDCS or CAPTREN, got {form!r}")
    registry = load_current_registry(conn)
    period_end = calendar.period_end(year)
    expected = registry.active(period_end, FORM_LEVEL[form])
    seen: dict[str, dict[str, Any]] = defaultdict(lambda: {"accepted": 0, "rejected": 0, "last": None})
    rows = conn.execute(
        """select unit_code, state, received_at from audit.submissions
           where form = %s and reporting_year = %s and received_at <= %s and state <> 'duplicate'
             and unit_code is not null""",
        (form, year, as_of),
    ).fetchall()
    for unit, state, received in rows:
        entry = seen[unit]
        entry["accepted" if state.startswith("accepted") else "rejected"] += 1
        entry["last"] = max(filter(None, [entry["last"], received]))
    by_upper: dict[str, list[MissingReport]] = defaultdict(list)
    for unit in expected:
        status = seen.get(unit.ma_don_vi, {"accepted": 0, "rejected": 0, "last": None})
        if status["accepted"]:
            continue
        upper = unit.ma_cap_tren if form == "CDCS" else unit.ma_don_vi
        if upper is None:
            continue  # a grassroots unit without a parent is a registry error the registry check refuses
        by_upper[upper].append(
            MissingReport(
                unit.ma_don_vi,
                unit.ten_don_vi,
                unit.email,
                "rejected_only" if status["rejected"] else "not_received",
                int(status["rejected"]),
                status["last"],
            )
        )
    deadline = calendar.deadline(year, form)
    reminders = []
    for upper_code in sorted(by_upper):
        union = registry.as_of(period_end, upper_code)
        reminders.append(
            Reminder(
                year,
                form,
                deadline,
                as_of,
                upper_code,
                union.ten_don_vi if union else upper_code,
                union.email if union else None,
                sorted(by_upper[upper_code], key=lambda m: m.unit_code),
            )
        )
    return reminders


def _local(value: datetime | None) -> str:
    return value.astimezone(TIMEZONE).strftime("%d/%m/%Y %H:%M") if value else ""


def reminder_csv(reminder: Reminder) -> bytes:
    """The list as CSV, UTF-8 with BOM, one row per missing report."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for m in reminder.missing:
        writer.writerow(
            [
                m.unit_code,
                m.unit_name,
                m.email or "",
                REASONS_VI[m.reason],
                m.rejected_count,
                _local(m.last_received_at),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def reminder_subject(reminder: Reminder) -> str:
    return (
        f"[Nhắc hạn] {reminder.upper_name}: còn {len(reminder.missing)} {FORM_VI[reminder.form]} năm {reminder.year} "
        f"chưa nhận (hạn {reminder.deadline:%d/%m/%Y})"
    )


def reminder_text(reminder: Reminder) -> str:
    """The e-mail body as plain text (also written next to the CSV)."""
    lines = [
        f"Kính gửi {reminder.upper_name},",
        "",
        f"Hạn nộp {FORM_VI[reminder.form]} năm {reminder.year} là {_local(reminder.deadline)} "
        f"(còn {reminder.days_left} ngày). Đến {_local(reminder.as_of)}, các đơn vị sau chưa có báo cáo hợp lệ:",
        "",
    ]
    lines += [f"  - {m.unit_code} {m.unit_name}: {REASONS_VI[m.reason]}" for m in reminder.missing]
    lines += [
        "",
        "Danh sách kèm theo (tệp CSV). Đề nghị đôn đốc các đơn vị gửi báo cáo đúng hạn.",
        "Ban Chính sách – Pháp luật, Liên đoàn Lao động tỉnh Hà Tĩnh",
        "",
        f"(Reminder: {len(reminder.missing)} {reminder.form} report(s) for {reminder.year} not yet received; "
        f"deadline {reminder.deadline.isoformat()}.)",
    ]
    return "\n".join(lines) + "\n"


def reminder_folder(out_dir: Path, reminder: Reminder) -> Path:
    return (
        out_dir
        / str(reminder.year)
        / reminder.form
        / f"{reminder.as_of.astimezone(TIMEZONE):%Y-%m-%d}-{reminder.days_left}d"
    )


def _write_if_changed(path: Path, data: bytes) -> None:
    if path.exists() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def write_reminders(reminders: list[Reminder], out_dir: Path) -> list[dict[str, Any]]:
    """Write `<upper>.csv` and `<upper>.txt` per reminder; the same list writes the same bytes."""
    written = []
    for reminder in reminders:
        folder = reminder_folder(out_dir, reminder)
        data = reminder_csv(reminder)
        csv_path = folder / f"{reminder.upper_code}.csv"
        txt_path = folder / f"{reminder.upper_code}.txt"
        _write_if_changed(csv_path, data)
        _write_if_changed(txt_path, reminder_text(reminder).encode("utf-8"))
        written.append(
            {
                "upper_code": reminder.upper_code,
                "email": reminder.upper_email,
                "subject": reminder_subject(reminder),
                "missing": [m.unit_code for m in reminder.missing],
                "csv": str(csv_path),
                "txt": str(txt_path),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    return written
