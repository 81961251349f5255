"""Checks made on a file's bytes before any parser sees them.

An .xlsx/.ods is a zip of XML: a few kilobytes can expand to gigabytes (zip bomb) or to
billions of entities (XML entity expansion). Both are refused here in milliseconds, from
the zip's directory and a bounded scan of each XML part, before calamine is called.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from welfare.forms import ACCEPTED_EXTENSIONS


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 20 * 1024 * 1024  # a report is kilobytes; a bulk CSV may be large
    max_bulk_csv_bytes: int = 2 * 1024 * 1024 * 1024
    max_zip_entries: int = 2_000
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_compression_ratio: float = 150.0
    xml_scan_bytes: int = 64 * 1024  # DOCTYPE/ENTITY must come before the root element


DEFAULT_LIMITS = Limits()
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True)
class Refusal:
    rule: str
    detail_en: str
    detail_vi: str


def check_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> Refusal | None:
    """None when the file may be parsed, else why not."""
    suffix = path.suffix.lower()
    size = path.stat().st_size
    if suffix not in ACCEPTED_EXTENSIONS:
        return Refusal(
            "file.type",
            f"'{suffix or 'no extension'}' is not an accepted file type; send .xlsx, .xls, .ods or .csv",
            f"định dạng '{suffix or 'không có phần mở rộng'}' không được chấp nhận; hãy gửi tệp .xlsx, .xls, .ods hoặc .csv",
        )
    limit = limits.max_bulk_csv_bytes if suffix == ".csv" else limits.max_file_bytes
    if size > limit:
        return Refusal(
            "file.too_large",
            f"the file is {size:,} bytes, above the limit of {limit:,}; split it or remove embedded images",
            f"tệp có dung lượng {size:,} byte, vượt giới hạn {limit:,} byte; hãy tách tệp hoặc bỏ hình ảnh nhúng",
        )
    if size == 0:
        return Refusal("file.empty", "the file is empty (0 bytes)", "tệp rỗng (0 byte)")
    if suffix in (".xlsx", ".ods"):
        return _check_zip(path, size, limits)
    return None


def _check_zip(path: Path, size: int, limits: Limits) -> Refusal | None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return Refusal(
            "file.unreadable",
            "the file is damaged or not really an Excel/ODS workbook; open it in Excel, save it again and resend",
            "tệp bị hỏng hoặc không phải bảng tính Excel/ODS; hãy mở bằng Excel, lưu lại và gửi lại",
        )
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.max_zip_entries:
            return Refusal(
                "file.zip_bomb",
                f"the workbook has {len(entries):,} parts (limit {limits.max_zip_entries:,})",
                f"bảng tính có {len(entries):,} thành phần (giới hạn {limits.max_zip_entries:,})",
            )
        total = sum(e.file_size for e in entries)
        ratio = total / max(size, 1)
        if total > limits.max_uncompressed_bytes or ratio > limits.max_compression_ratio:
            return Refusal(
                "file.zip_bomb",
                f"the workbook would expand to {total:,} bytes ({ratio:,.0f}× its size); it is refused unopened",
                f"bảng tính giải nén thành {total:,} byte (gấp {ratio:,.0f} lần); tệp bị từ chối mà không mở",
            )
        for entry in entries:
            if not entry.filename.endswith((".xml", ".rels")):
                continue
            try:
                with archive.open(entry) as handle:
                    head = handle.read(limits.xml_scan_bytes)
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError):
                return Refusal(
                    "file.unreadable",
                    f"part {entry.filename} of the workbook is damaged; save the file again and resend",
                    f"thành phần {entry.filename} của bảng tính bị hỏng; hãy lưu lại tệp và gửi lại",
                )
            if _DOCTYPE.search(head):
                return Refusal(
                    "file.xml_entities",
                    f"part {entry.filename} declares XML entities (DOCTYPE/ENTITY), which workbooks never need",
                    f"thành phần {entry.filename} khai báo thực thể XML (DOCTYPE/ENTITY), bảng tính hợp lệ không có",
                )
    return None
