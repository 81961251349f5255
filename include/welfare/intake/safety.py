"""Checks made on a file's bytes before any parser sees them.

An .xlsx/.ods is a zip of XML: a few kilobytes can expand to gigabytes (zip bomb) or to
billions of entities (XML entity expansion). Both are refused here, from the zip's directory
and a streamed scan of each XML part, before calamine is called. The zip checks follow the
content, not the name: calamine recognises a workbook by its bytes, so a zip renamed `.xls`
is checked like any `.xlsx`, and a real `.xls` renamed `.xlsx` is left to the parser.

Errors reading the file itself (permissions, a file that vanished) are not the sender's fault:
they propagate as `OSError` so that intake stops without judging the file.
"""

from __future__ import annotations

import lzma
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from welfare.forms import ACCEPTED_EXTENSIONS


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 20 * 1024 * 1024  # a report is kilobytes; a bulk CSV may be large
    max_bulk_csv_bytes: int = 2 * 1024 * 1024 * 1024
    max_zip_entries: int = 2_000
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_compression_ratio: float = 150.0
    xml_chunk_bytes: int = 1024 * 1024  # each XML part is scanned whole, this much at a time
    # calamine holds a sheet as a dense rectangle from its first to its last cell: one value at
    # XFD1048576 is 17 billion cells (the process aborts). A report is a few thousand cells.
    max_sheet_cells: int = 2_000_000


DEFAULT_LIMITS = Limits()
# XML allows no space inside "<!DOCTYPE" / "<!ENTITY"; parts may be UTF-8 or UTF-16 of either byte order.
# Plain substring searches (memchr speed: a 200 MB part takes a fraction of a second), any case.
_DECLARATIONS = tuple(
    spelled.encode(codec)
    for word in ("<!DOCTYPE", "<!ENTITY")
    for spelled in (word, word.lower(), word[:2] + word[2:].capitalize())
    for codec in ("utf-8", "utf-16-le", "utf-16-be")
)
_OPENINGS = tuple({"<!".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be")})
_OVERLAP = max(len(d) for d in _DECLARATIONS)
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls)
# What a damaged or hostile zip raises while its directory or a part is read.
_DAMAGED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    EOFError,
    RuntimeError,
    ValueError,
    NotImplementedError,
    OSError,
)


@dataclass(frozen=True)
class Refusal:
    rule: str
    detail_en: str
    detail_vi: str


def check_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> Refusal | None:
    """None when the file may be parsed, else why not (OSError when the file cannot be read at all)."""
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
    if suffix == ".csv":
        return None
    with path.open("rb") as handle:
        if handle.read(len(_OLE2_MAGIC)) == _OLE2_MAGIC:
            return None  # an Excel 97-2003 file, whatever its name: no zip inside
        handle.seek(0)
        if zipfile.is_zipfile(handle):  # whatever the name says: calamine would open it as a zip
            handle.seek(0)
            return _check_zip(handle, size, limits)
    if suffix in (".xlsx", ".ods"):
        return _not_a_workbook()
    return None


def _not_a_workbook() -> Refusal:
    return Refusal(
        "file.unreadable",
        "the file is damaged or not really an Excel/ODS workbook; open it in Excel, save it again and resend",
        "tệp bị hỏng hoặc không phải bảng tính Excel/ODS; hãy mở bằng Excel, lưu lại và gửi lại",
    )


def _declares_entities(handle: IO[bytes], limits: Limits) -> bool:
    """Whether a DOCTYPE or ENTITY declaration appears anywhere in the part (read to its end, so
    that the zip's CRC is checked too)."""
    tail = b""
    while chunk := handle.read(limits.xml_chunk_bytes):
        window = tail + chunk
        if any(opening in window for opening in _OPENINGS) and any(d in window for d in _DECLARATIONS):
            return True
        tail = chunk[-_OVERLAP:]
    return False


_XLSX_CELL = re.compile(rb"<(?:[A-Za-z0-9_]+:)?c[\s>/]")
_XLSX_ROW = re.compile(rb"<(?:[A-Za-z0-9_]+:)?row[\s>/]")
_XLSX_CELL_REF_FIRST = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')  # how Excel and every library write it
_XLSX_CELL_REF = re.compile(rb'<(?:[A-Za-z0-9_]+:)?c\s[^>]*?(?<=\s)r="([A-Z]{1,3})([0-9]{1,7})"')
_ODS_TOKEN = re.compile(rb"<table:(table|table-row|table-cell|covered-table-cell)(?=[\s>/])([^>]*)>")
_ROWS_REPEATED = re.compile(rb'number-rows-repeated="([0-9]{1,10})"')
_COLUMNS_REPEATED = re.compile(rb'number-columns-repeated="([0-9]{1,10})"')


def _chunks(handle: IO[bytes], chunk_bytes: int) -> Iterator[bytes]:
    """The part in pieces that each end just before a '<': no tag is ever cut in two (attribute
    values cannot hold '<'), so patterns over start tags see every tag whole, once."""
    carry = b""
    while chunk := handle.read(chunk_bytes):
        data = carry + chunk
        end = data.rfind(b"<")
        if end <= 0:
            carry = data if end == 0 else b""
            continue
        yield data[:end]
        carry = data[end:]
    if carry:
        yield carry


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _xlsx_sheet_cells(handle: IO[bytes], limits: Limits) -> tuple[int, int, int]:
    """(rows, columns, cells) of the rectangle calamine would allocate for one worksheet part.

    Cells without a reference (allowed, rare) are placed by calamine one after the other; they are
    counted as if all of them could fall in one row, which only errs on the side of refusing.
    Stops as soon as the limit is passed.
    """
    cells = unreferenced = rows = 0
    low_row = low_column = 1 << 40
    high_row = high_column = 0
    for data in _chunks(handle, limits.xml_chunk_bytes):
        plain = b":c" not in data and b":row" not in data
        found = data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/") if plain else len(_XLSX_CELL.findall(data))
        references = _XLSX_CELL_REF_FIRST.findall(data) if plain else []
        if len(references) < found:
            references = _XLSX_CELL_REF.findall(data)
        cells += found
        unreferenced += found - len(references)
        rows += data.count(b"<row") if plain else len(_XLSX_ROW.findall(data))
        if references:
            letters = {ref[0] for ref in references}
            columns = [_column_number(letter) for letter in letters]
            low_column, high_column = min(low_column, *columns), max(high_column, *columns)
            numbers = {ref[1] for ref in references}
            low_row = min(low_row, *(int(n) for n in numbers))
            high_row = max(high_row, *(int(n) for n in numbers))
        # Rows without a reference follow the previous one: at worst the sheet is that much taller.
        height = (high_row - low_row + 1 if high_row else 0) + (rows if unreferenced else 0)
        width = (high_column - low_column + 1 if high_column else 0) + min(unreferenced, 16_384)
        if cells > limits.max_sheet_cells or height * width > limits.max_sheet_cells:
            break
    if not cells:
        return 0, 0, 0
    return height, width, cells


def _ods_sheet_cells(handle: IO[bytes], limits: Limits) -> tuple[int, int, int]:
    """(rows, columns, cells) of the largest table of content.xml, counting repeated rows and cells
    up to the last one that holds something (trailing empty repeats cost nothing)."""
    worst = (0, 0, 0)
    rows = high_row = high_column = column = cells = 0
    row_repeat = 1
    matches = (m for data in _chunks(handle, limits.xml_chunk_bytes) for m in _ODS_TOKEN.finditer(data))
    for match in matches:
        if cells > limits.max_sheet_cells or high_row * high_column > limits.max_sheet_cells:
            break
        kind, attributes = match.group(1), match.group(2)
        if kind == b"table":
            worst = max(worst, (high_row, high_column, cells), key=lambda t: t[0] * t[1])
            rows = high_row = high_column = cells = 0
        elif kind == b"table-row":
            repeated = _ROWS_REPEATED.search(attributes)
            row_repeat = int(repeated.group(1)) if repeated else 1
            rows += row_repeat
            column = 0
        else:
            repeated = _COLUMNS_REPEATED.search(attributes)
            span = int(repeated.group(1)) if repeated else 1
            column += span
            if b"value-type" in attributes or not attributes.rstrip().endswith(b"/"):
                high_row, high_column = max(high_row, rows), max(high_column, column)
                cells += span * row_repeat
    return max(worst, (high_row, high_column, cells), key=lambda t: t[0] * t[1])


def _too_many_cells(part: str, shape: tuple[int, int, int], limits: Limits) -> Refusal | None:
    rows, columns, cells = shape
    area = rows * columns
    if area <= limits.max_sheet_cells and cells <= limits.max_sheet_cells:
        return None
    return Refusal(
        "file.sheet_too_large",
        f"part {part} spans {rows:,} rows × {columns:,} columns ({max(area, cells):,} cells; limit "
        f"{limits.max_sheet_cells:,}); a report has a few thousand: delete the cells far from the tables "
        "(Ctrl+End shows the last one) and send it again",
        f"thành phần {part} trải trên {rows:,} dòng × {columns:,} cột ({max(area, cells):,} ô; giới hạn "
        f"{limits.max_sheet_cells:,}); một báo cáo chỉ có vài nghìn ô: hãy xóa các ô nằm xa bảng số liệu "
        "(Ctrl+End cho biết ô cuối cùng) rồi gửi lại",
    )


def _check_zip(handle: IO[bytes], size: int, limits: Limits) -> Refusal | None:
    try:
        archive = zipfile.ZipFile(handle)
    except _DAMAGED:
        return _not_a_workbook()
    with archive:
        try:
            entries = archive.infolist()
        except _DAMAGED:
            return _not_a_workbook()
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
                # zipfile stops at the declared size and checks the CRC: a part that lies about its
                # size, or whose bytes were damaged, fails here instead of expanding in calamine.
                with archive.open(entry) as part:
                    declares = _declares_entities(part, limits)
                shape = None
                if entry.filename.startswith("xl/worksheets/"):
                    with archive.open(entry) as part:
                        shape = _xlsx_sheet_cells(part, limits)
                elif entry.filename == "content.xml":
                    with archive.open(entry) as part:
                        shape = _ods_sheet_cells(part, limits)
            except _DAMAGED:
                return Refusal(
                    "file.unreadable",
                    f"part {entry.filename} of the workbook is damaged; save the file again and resend",
                    f"thành phần {entry.filename} của bảng tính bị hỏng; hãy lưu lại tệp và gửi lại",
                )
            if declares:
                return Refusal(
                    "file.xml_entities",
                    f"part {entry.filename} declares XML entities (DOCTYPE/ENTITY), which workbooks never need",
                    f"thành phần {entry.filename} khai báo thực thể XML (DOCTYPE/ENTITY), bảng tính hợp lệ không có",
                )
            if shape is not None and (refusal := _too_many_cells(entry.filename, shape, limits)):
                return refusal
    return None
