"""Feedback to the sender: every problem of a rejected or warned file, Vietnamese first, English second.

Written beside the kept original (`archive/…/<file>.phan-hoi.txt`) so whoever answers the unit
has both. Values that are personal data arrive here already masked by the validator.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from welfare.intake.pipeline import FileOutcome

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
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target
