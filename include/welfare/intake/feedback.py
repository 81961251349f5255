"""Feedback to the sender: every problem of a rejected or warned file, Vietnamese first, English second.

Written beside the kept original (`archive/…/<file>.phan-hoi.txt`) so whoever answers the unit
has both. Values that are personal data arrive here already masked by the validator.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

    from welfare.calendar import Calendar
    from welfare.intake.pipeline import FileOutcome
    from welfare.registry import Registry

_STATE_VI = {
    "rejected": "BỊ TỪ CHỐI — cần sửa và gửi lại",
    "accepted_with_warnings": "ĐƯỢC TIẾP NHẬN, có cảnh báo cần kiểm tra",
    "accepted": "ĐƯỢC TIẾP NHẬN",
    "duplicate": "TRÙNG — tệp đã nhận trước đó",
}
_STATE_EN = {
    "rejected": "REJECTED — correct it and send it again",
    "accepted_with_warnings": "ACCEPTED with warnings to check",
    "accepted": "ACCEPTED",
    "duplicate": "DUPLICATE — this file was received before",
}


def write_feedback(stored: Path, original_name: str, outcome: FileOutcome) -> Path:
    errors = [r for r in outcome.reasons if r.get("severity") == "error"]
    warnings = [r for r in outcome.reasons if r.get("severity") == "warning"]
    lines = [
        f"PHẢN HỒI VỀ TỆP BÁO CÁO: {original_name}",
        f"Đơn vị: {outcome.unit_code or '(không xác định)'} — Năm báo cáo: {outcome.reporting_year or '(không rõ)'}",
        f"Kết quả: {_STATE_VI.get(outcome.state, outcome.state)}",
        f"Mã kiểm tra (SHA-256): {outcome.sha256}",
        "",
    ]

    def block(title: str, items: list[dict[str, object]], key: str) -> None:
        if not items:
            return
        lines.append(title)
        for number, item in enumerate(items, start=1):
            where = item.get("cell") or "toàn tệp / whole file"
            lines.append(f"  {number}. [{where}] ({item.get('rule')}) {item.get(key)}")
        lines.append("")

    block(f"Lỗi ({len(errors)}) — phải sửa:", errors, "message_vi")
    block(f"Cảnh báo ({len(warnings)}) — đề nghị kiểm tra, giải trình:", warnings, "message_vi")
    lines += [
        "-" * 72,
        f"FEEDBACK ON THE REPORT FILE: {original_name}",
        f"Result: {_STATE_EN.get(outcome.state, outcome.state)}",
        "",
    ]
    block(f"Errors ({len(errors)}) — must be corrected:", errors, "message_en")
    block(f"Warnings ({len(warnings)}) — please check or explain:", warnings, "message_en")
    target = stored.with_name(stored.name + ".phan-hoi.txt")
    _write_text(target, "\n".join(lines) + "\n")
    return target


def _write_text(target: Path, text: str) -> None:
    """Replace `target` whole or not at all: a write cut short (disk full) leaves the previous file."""
    partial = target.with_name(f".{target.name[:60]}.{os.getpid()}.part")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def write_upper_summaries(
    conn: psycopg.Connection, year: int, folder: Path, registry: Registry, calendar: Calendar
) -> list[Path]:
    """Per upper-level union: which of its grassroots units submitted, which were rejected and why.

    Bilingual text files `folder/<year>/<upper code>.txt`, rewritten after every intake run so an
    upper-level union (or the province, for it) always reads the current state of its season.
    """
    end = calendar.period_end(year)
    rows = conn.execute(
        """
        select s.unit_code, s.state, s.is_on_time, s.received_at, f.file_name, s.reasons
        from audit.submissions as s join audit.files as f using (file_id)
        where s.reporting_year = %s and s.form = 'CDCS' and s.state <> 'duplicate'
        order by s.received_at
        """,
        (year,),
    ).fetchall()
    latest: dict[str, tuple] = {}
    accepted: dict[str, tuple] = {}
    for row in rows:
        latest[row[0]] = row
        if row[1].startswith("accepted"):
            accepted[row[0]] = row
    written = []
    target_dir = folder / str(year)
    target_dir.mkdir(parents=True, exist_ok=True)
    for upper in registry.active(end, "CAP_TREN"):
        children = registry.children(end, upper.ma_don_vi)
        lines = [
            f"TÌNH HÌNH NỘP BÁO CÁO NĂM {year} — {upper.ten_don_vi} ({upper.ma_don_vi})",
            f"Reporting status {year} — {upper.ma_don_vi}: {len(children)} grassroots units as of {end:%d/%m/%Y}",
            "",
        ]
        counts = {"ok": 0, "rejected": 0, "missing": 0}
        for child in children:
            code = child.ma_don_vi
            if code in accepted:
                _, _, on_time, received, _, reasons = accepted[code]
                counts["ok"] += 1
                timing = "đúng hạn / on time" if on_time else "trễ hạn / late"
                warn = sum(1 for r in reasons if r.get("severity") == "warning")
                extra = f", {warn} cảnh báo / warnings" if warn else ""
                lines.append(f"[ĐÃ NỘP / RECEIVED] {code} {child.ten_don_vi}: {received:%d/%m/%Y} ({timing}{extra})")
            elif code in latest:
                _, _state, _, received, name, reasons = latest[code]
                counts["rejected"] += 1
                first: dict[str, Any] = next((r for r in reasons if r.get("severity") == "error"), {})
                lines.append(
                    f"[BỊ TỪ CHỐI / REJECTED] {code} {child.ten_don_vi}: {name} ({received:%d/%m/%Y}) — "
                    f"{first.get('message_vi', '')} / {first.get('message_en', '')}"
                )
            else:
                counts["missing"] += 1
                lines.append(f"[CHƯA NỘP / NOT RECEIVED] {code} {child.ten_don_vi}")
        lines += [
            "",
            f"Tổng hợp / Summary: {counts['ok']} đã nộp / received, {counts['rejected']} bị từ chối / rejected, "
            f"{counts['missing']} chưa nộp / not received.",
        ]
        path = target_dir / f"{upper.ma_don_vi}.txt"
        _write_text(path, "\n".join(lines) + "\n")
        written.append(path)
    return written
