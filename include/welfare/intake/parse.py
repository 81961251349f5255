"""Reading a submitted file into typed values, each tied to the cell a person can find it in.

Workbooks (`.xlsx`, `.xls`, `.ods`) are read with python-calamine, which gives formulas' cached
values and never evaluates anything. Bulk CSV files are streamed row by row.

How a table is found (FORMS.md, "Workbook layout rules that real files break"):

* Sheets are matched by folded name: "ThongTin", "Thong tin", "THÔNG TIN" are all `ThongTin`.
* `ThongTin` and `ChiTieu` are key/value tables. The *code column* is the column holding the most
  field codes (more codes than labels, so a label "Email" is not mistaken for the code "email");
  the *label column* the one holding the most field labels, compared folded (no diacritics, case
  or punctuation; a leading "1." / "a)" / "-" and a trailing "(…)" may be dropped). A row is a
  field's row by its code, else by its label. The *value column* is the one headed "Số liệu" /
  "Giá trị" in the nearest header row above the first field row; without such a header, the
  column whose cells parse best as the fields' values. Title rows, blank rows, extra columns
  and any column order are therefore tolerated.
* `HoTro` is a list. Its header is the topmost row with at least two support-field codes or
  labels; rows right under it that also hold codes or labels (the template's code row) or only
  column numbers ("1", "(2)", …) belong to the header. Each column is mapped by code, else by
  label. Data rows follow; blank rows, rows holding only a number in `STT`, total rows ("Tổng
  cộng") are skipped, and a signature block ("Người lập biểu", "Thủ trưởng đơn vị", …) ends the
  list.
* The form comes from the content: the codes found in `ChiTieu` that only one form has, then a
  `HoTro` sheet, then the form version in `ThongTin`. File names carry no authority.

Row and column numbers in every :class:`CellRef` are the ones Excel shows (row 1, column A),
whatever empty rows and columns precede the data.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from welfare.forms import (
    ACCEPTED_EXTENSIONS,
    CAPTREN_FIGURES,
    CDCS_FIGURES,
    INFO_FIELDS,
    SHEET_FIGURES,
    SHEET_INFO,
    SHEET_SUPPORT,
    SUPPORT_FIELDS,
    Field,
    Form,
    ReportContent,
    figure_fields,
)
from welfare.intake.normalise import ParseError, fold, is_blank, parse_value

__all__ = [
    "CSV_ENCODINGS",
    "WORKBOOK_EXTENSIONS",
    "BulkCsv",
    "CellRef",
    "FileRejected",
    "ParsedReport",
    "ParsedValue",
    "Problem",
    "column_letter",
    "detect_form",
    "parse_csv",
    "parse_workbook",
]

WORKBOOK_EXTENSIONS = (".xlsx", ".xls", ".ods")
CSV_ENCODINGS = ("UTF-8", "UTF-8 with BOM", "UTF-16")

Grid = list[list[Any]]


# --- results ---------------------------------------------------------------------------------


class FileRejected(Exception):
    """The whole file cannot be read; the messages say what the sender should do."""

    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en

    def __reduce__(self) -> tuple[type[FileRejected], tuple[str, str, str]]:
        return (type(self), (self.code, self.message_vi, self.message_en))


@dataclass(slots=True)  # not frozen: a frozen init is 3x slower, and a bulk file makes millions
class CellRef:
    """Where a value is, as a person sees it: sheet (or CSV file name), row from 1, column letter."""

    sheet: str
    row: int
    column: str
    field: str

    def __str__(self) -> str:
        return f"{self.sheet}!{self.column}{self.row}"


@dataclass(slots=True)
class ParsedValue:
    """One cell: what it held, what it means (None when empty or unreadable) and why not, if not."""

    field: str
    raw: object
    value: object
    cell: CellRef
    error: ParseError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class Problem:
    """A fault in the layout that does not make the whole file unreadable.

    Codes: ``missing_field`` (a ThongTin/ChiTieu row not found), ``duplicate_field``,
    ``unknown_field`` (a code in the `Mã` column that is not a field of the form),
    ``missing_column`` / ``duplicate_column`` / ``unknown_column`` (HoTro, CSV),
    ``missing_sheet`` (a CĐCS file without `HoTro`). What each weighs is the validator's call.
    """

    code: str
    message_vi: str
    message_en: str
    sheet: str
    row: int | None = None
    column: str | None = None
    field: str | None = None

    @property
    def where(self) -> str:
        if self.row is not None and self.column is not None:
            return f"{self.sheet}!{self.column}{self.row}"
        if self.row is not None:
            return f"{self.sheet}!{self.row}:{self.row}"
        if self.column is not None:
            return f"{self.sheet}!{self.column}:{self.column}"
        return self.sheet

    def __str__(self) -> str:
        return f"{self.where}: {self.message_en}"


def _value_of(parsed: ParsedValue | None) -> object:
    return None if parsed is None else parsed.value


@dataclass
class ParsedReport:
    """One workbook report: every value found, with its cell, plus the layout problems."""

    form: Form
    info: dict[str, ParsedValue]
    figures: dict[str, ParsedValue]
    support: list[dict[str, ParsedValue]]
    support_rows: list[int]
    problems: list[Problem] = field(default_factory=list)
    sheets: dict[str, str] = field(default_factory=dict)  # canonical sheet name → name in the file

    def values(self) -> Iterator[ParsedValue]:
        """Every parsed cell, ThongTin then ChiTieu then HoTro row by row."""
        yield from self.info.values()
        yield from self.figures.values()
        for row in self.support:
            yield from row.values()

    @property
    def errors(self) -> list[ParsedValue]:
        """The cells that could not be read as their field's type."""
        return [v for v in self.values() if v.error is not None]

    def content(self) -> ReportContent:
        """The values only; every field of the form present, None where empty, missing or unreadable."""
        return ReportContent(
            form=self.form,
            info={f.code: _value_of(self.info.get(f.code)) for f in INFO_FIELDS},
            figures={f.code: _value_of(self.figures.get(f.code)) for f in figure_fields(self.form)},
            support=[{f.code: _value_of(row.get(f.code)) for f in SUPPORT_FIELDS} for row in self.support],
        )


# --- small helpers ---------------------------------------------------------------------------


def column_letter(index: int) -> str:
    """0 → "A", 25 → "Z", 26 → "AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _sheet_key(name: str) -> str:
    return fold(name).replace(" ", "")


_CODE_LIKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
_ENUMERATOR = re.compile(r"^\s*(?:(?:[0-9]+|[IVXivx]+)(?:\.[0-9]+)*[.)/]|[a-zđ][.)]|[-–•+*])\s*")
_TRAILING_NOTE = re.compile(r"\s*\([^()]*\)\s*$")
_NUMBERING_CELL = re.compile(r"\(?\s*(?:\d{1,2}|[A-Z])\s*\)?")
_TOTAL_ROW = frozenset({"tong", "tong cong", "cong", "total", "tong so"})
_SIGNATURE = re.compile(
    r"(?:nguoi lap(?: bieu)?|chu tich|pho chu tich|thu truong(?: don vi)?|tm ban chap hanh|"
    r"tm ban thuong vu|xac nhan(?: cua)?(?: .*)?|ky ghi ro ho ten|ky ten dong dau|.* ngay .* thang .* nam.*|"
    r"ngay .* thang .* nam.*)"
)


def _cell_code(value: object, codes: Iterable[str] | dict[str, Any]) -> str | None:
    if not isinstance(value, str):
        return None
    key = value.strip().lower()
    return key if key in codes else None


def _label_keys(text: str) -> list[str]:
    """The folded forms a label cell is tried as: as written, without numbering, without a trailing note."""
    bare = _ENUMERATOR.sub("", text, count=1)
    candidates = [text, bare, _TRAILING_NOTE.sub("", text), _TRAILING_NOTE.sub("", bare)]
    keys: list[str] = []
    for candidate in candidates:
        key = fold(candidate)
        if key and key not in keys:
            keys.append(key)
    return keys


def _label_index(fields: Iterable[Field]) -> dict[str, str]:
    """Folded label (Vietnamese, English, and each without a trailing "(…)") → field code.

    A folded label that two different fields share is left out: it identifies neither.
    """
    exact: dict[str, set[str]] = {}
    loose: dict[str, set[str]] = {}
    for f in fields:
        for label in (f.label, f.label_en):
            exact.setdefault(fold(label), set()).add(f.code)
            loose.setdefault(fold(_TRAILING_NOTE.sub("", label)), set()).add(f.code)
    index = {key: next(iter(codes)) for key, codes in loose.items() if len(codes) == 1 and key}
    index.update({key: next(iter(codes)) for key, codes in exact.items() if len(codes) == 1 and key})
    return index


# No label, total or signature line is longer; folding a longer cell (a hostile 1,000,000-character
# one takes seconds, for every lookup) cannot match anyway.
_LONGEST_LABEL = 300


def _cell_label(value: object, index: dict[str, str]) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value) > _LONGEST_LABEL:
        return None
    for key in _label_keys(value):
        if key in index:
            return index[key]
    return None


def _at(grid: Grid, row: int, col: int) -> Any:
    cells = grid[row]
    return cells[col] if col < len(cells) else None


# --- workbook access (the only place calamine is called) -------------------------------------

_WRONG_TYPE_VI = "Hãy gửi tệp .xlsx, .xls, .ods hoặc .csv (biểu mẫu của LĐLĐ tỉnh là tệp .xlsx)."
_WRONG_TYPE_EN = "Send a .xlsx, .xls, .ods or .csv file (the province's template is a .xlsx file)."


def _wrong_type(path: Path) -> FileRejected:
    suffix = path.suffix or "(không có phần mở rộng)"
    suffix_en = path.suffix or "(no extension)"
    return FileRejected(
        "wrong_type",
        f"Loại tệp «{suffix}» không được chấp nhận. {_WRONG_TYPE_VI}",
        f"Files of type '{suffix_en}' are not accepted. {_WRONG_TYPE_EN}",
    )


def _unreadable(path: Path, reason: str) -> FileRejected:
    return FileRejected(
        "unreadable",
        f"Không đọc được tệp «{path.name}»: tệp bị hỏng, chưa tải lên hết, hoặc không phải bảng tính "
        "Excel/OpenDocument thật (ví dụ trang web lưu thành .xls). Hãy mở tệp bằng Excel hoặc "
        f"LibreOffice, chọn «Lưu thành» (Save As) kiểu .xlsx rồi gửi lại. (Chi tiết: {reason})",
        f"Could not read '{path.name}': the file is damaged, incompletely uploaded, or not a real "
        "Excel/OpenDocument workbook (e.g. a web page saved as .xls). Open it in Excel or LibreOffice, "
        f"use Save As .xlsx and send it again. (Detail: {reason})",
    )


@contextmanager
def _calamine_errors(path: Path) -> Iterator[None]:
    """Whatever calamine raises on a damaged or hostile file becomes a FileRejected."""
    from python_calamine import PasswordError

    try:
        yield
    except FileRejected:
        raise
    except PasswordError as exc:
        raise FileRejected(
            "encrypted",
            f"Tệp «{path.name}» được đặt mật khẩu nên không đọc được. Hãy gỡ mật khẩu (File → Info → "
            "Protect Workbook → Encrypt with Password, xóa mật khẩu), lưu lại rồi gửi lại.",
            f"'{path.name}' is password-protected and cannot be read. Remove the password (File → Info → "
            "Protect Workbook → Encrypt with Password, clear it), save and send it again.",
        ) from exc
    except Exception as exc:
        # A third-party parser fed untrusted bytes: any failure means "this file is unreadable".
        raise _unreadable(path, f"{type(exc).__name__}: {exc}"[:300]) from exc
    except BaseException as exc:
        # A Rust panic inside calamine surfaces as pyo3's PanicException, a BaseException.
        if type(exc).__name__ != "PanicException":
            raise
        raise _unreadable(path, "the reader stopped on malformed content") from exc


def _bounded(sheet: Any, path: Path) -> Any:
    """The sheet, unless its rectangle is absurd for a report (a stray cell at XFD1048576, or an .xls,
    which has no zip for safety.check_file to measure): turned into Python it would take gigabytes."""
    from welfare.intake.safety import DEFAULT_LIMITS

    cells = sheet.height * sheet.width
    if cells <= DEFAULT_LIMITS.max_sheet_cells:
        return sheet
    raise FileRejected(
        "sheet_too_large",
        f"Sheet «{sheet.name}» của tệp «{path.name}» trải trên {sheet.height:,} dòng × {sheet.width:,} cột "
        f"({cells:,} ô) trong khi một báo cáo chỉ có vài nghìn ô. Hãy xóa các ô nằm xa bảng số liệu "
        "(Ctrl+End cho biết ô cuối cùng), lưu lại rồi gửi lại.",
        f"Sheet '{sheet.name}' of '{path.name}' spans {sheet.height:,} rows × {sheet.width:,} columns "
        f"({cells:,} cells) while a report has a few thousand. Delete the cells far from the tables "
        "(Ctrl+End shows the last one), save and send it again.",
    )


def _holds_something(sheet: Any) -> bool:
    if sheet.height * sheet.width > 10_000:
        return True  # not worth converting to know: it is not empty
    return _has_content(sheet.to_python())


def _visible(text: str) -> str:
    """NUL (U+0000) shown as U+FFFD: PostgreSQL text cannot hold it, and nobody types it."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _grid(sheet: Any) -> Grid:
    """The sheet's cells from A1, so list indexes are Excel's row and column numbers minus one."""
    rows: Grid = [
        [_visible(v) if isinstance(v, str) else v for v in row]
        if any(isinstance(v, str) and "\x00" in v for v in row)
        else row
        for row in sheet.to_python(skip_empty_area=False)
    ]
    end = sheet.end
    if not rows or end is None:
        return []
    # skip_empty_area=False already starts at A1; should a calamine version start at the first
    # used cell instead, pad so that no cell reference shifts.
    missing_rows = end[0] + 1 - len(rows)
    width = max(len(r) for r in rows)
    missing_cols = end[1] + 1 - width
    if missing_cols > 0:
        rows = [[""] * missing_cols + list(r) for r in rows]
    if missing_rows > 0:
        rows = [[] for _ in range(missing_rows)] + rows
    return rows


def _has_content(grid: Grid) -> bool:
    return any(not is_blank(v) for row in grid for v in row)


def _find_sheet(names: Sequence[str], canonical: str) -> str | None:
    key = _sheet_key(canonical)
    for name in names:
        if _sheet_key(name) == key:
            return name
    for name in names:  # "1. ThongTin", "ThongTin (2)", "Thông tin đơn vị"
        if key in _sheet_key(name):
            return name
    return None


_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An Excel 97-2003 file (no zip that safety.check_file could measure) of a few kilobytes can declare a
# cell at IV65536: calamine then allocates 16 million cells per sheet, gigabytes, and a failed Rust
# allocation aborts the whole process. Such files are opened in a child process with a memory cap.
CHILD_MEMORY_BYTES = 1024 * 1024 * 1024
CHILD_SECONDS = 120


def _load(path: Path) -> tuple[list[str], dict[str, Grid]]:
    """Sheet names, and the grids of the three form sheets that exist (by canonical name)."""
    # Read outside _calamine_errors: a file that cannot be read (permissions, vanished) is the
    # landing zone's problem and must not be mistaken for a damaged workbook. check_file caps the size.
    data = path.read_bytes()
    if data.startswith(_OLE2_MAGIC):
        return _load_in_child(path, data)
    return _load_bytes(path, data)


def _load_in_child(path: Path, data: bytes) -> tuple[list[str], dict[str, Grid]]:
    """`_load_bytes` in a child process limited to CHILD_MEMORY_BYTES and CHILD_SECONDS."""
    import pickle  # nosec - the child is this module, run on our side
    import subprocess
    import sys

    code = "from welfare.intake.parse import _child_main; _child_main()"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(CHILD_MEMORY_BYTES), path.name],
            input=data,
            capture_output=True,
            timeout=CHILD_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise _too_big_to_open(path, f"more than {CHILD_SECONDS} s") from None
    if done.returncode == 0:
        result = pickle.loads(done.stdout)  # noqa: S301 - written by _child_main from this module
        if isinstance(result, FileRejected):
            raise result
        names, grids = result
        return names, grids
    if done.returncode == 3:  # _child_main: MemoryError
        raise _too_big_to_open(path, f"more than {CHILD_MEMORY_BYTES // 2**20} MB of memory")
    if done.returncode < 0 or b"memory allocation" in done.stderr:  # killed, or a Rust abort on allocation
        raise _too_big_to_open(path, f"more than {CHILD_MEMORY_BYTES // 2**20} MB of memory")
    raise _unreadable(
        path, done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:][0][:300] if done.stderr else "?"
    )


def _child_main() -> None:
    """Entry point of the child process: the file's bytes on stdin, the pickled result on stdout."""
    import pickle  # nosec
    import resource
    import sys

    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    data = sys.stdin.buffer.read()
    result: object
    try:
        result = _load_bytes(Path(sys.argv[2]), data)
    except FileRejected as exc:
        result = exc
    except MemoryError:
        sys.exit(3)
    sys.stdout.buffer.write(pickle.dumps(result))


def _too_big_to_open(path: Path, what: str) -> FileRejected:
    return FileRejected(
        "sheet_too_large",
        f"Tệp «{path.name}» cần {what} để mở: một sheet trải trên diện tích lớn hơn nhiều so với một báo cáo "
        "(ví dụ một ô ở dòng hoặc cột cuối cùng của sheet). Hãy xóa các ô nằm xa bảng số liệu (Ctrl+End cho "
        "biết ô cuối cùng), lưu lại rồi gửi lại.",
        f"'{path.name}' needs {what} to open: a sheet spans far more than a report (e.g. a cell in the last "
        "row or column of the sheet). Delete the cells far from the tables (Ctrl+End shows the last one), "
        "save and send it again.",
    )


def _load_bytes(path: Path, data: bytes) -> tuple[list[str], dict[str, Grid]]:
    from python_calamine import CalamineWorkbook

    with _calamine_errors(path):
        # from_filelike recognises the format by content, so a .xlsx renamed .xls still opens.
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        try:
            # Names as shown (NUL made visible), and the name each stands for in the file.
            in_file = {_visible(n): n for n in book.sheet_names}
            names = list(in_file)
            grids: dict[str, Grid] = {}
            for canonical in (SHEET_INFO, SHEET_FIGURES, SHEET_SUPPORT):
                actual = _find_sheet(names, canonical)
                if actual is not None:
                    grids[canonical] = _grid(_bounded(book.get_sheet_by_name(in_file[actual]), path))
            if not any(grids.values()):
                # Tell "empty" from "not our sheets": does any sheet hold anything?
                nonempty = any(_holds_something(book.get_sheet_by_name(n)) for n in in_file.values())
                if not nonempty:
                    grids = {}
                    names = []
        finally:
            book.close()
    return names, grids


# --- key/value sheets (ThongTin, ChiTieu) ----------------------------------------------------

_VALUE_HEADERS = ("so lieu", "gia tri", "ket qua", "thuc hien", "value")


@dataclass
class _KeyRow:
    code: str
    row: int  # 0-based


@dataclass
class _KeyValueTable:
    rows: list[_KeyRow]
    value_col: int
    unknown: list[tuple[int, int, str]]  # (row, col, text) of unknown codes


def _no_header(sheet: str, what_vi: str, what_en: str) -> FileRejected:
    return FileRejected(
        "no_header",
        f"Sheet «{sheet}»: không tìm thấy bảng số liệu — {what_vi}. Hãy dùng biểu mẫu của LĐLĐ tỉnh và "
        "không xóa hay sửa cột «Mã» và cột nhãn.",
        f"Sheet '{sheet}': the table was not found — {what_en}. Use the province's template and do not "
        "delete or edit the 'Mã' (code) and label columns.",
    )


def _read_key_value(
    grid: Grid, sheet: str, codes: dict[str, Field], labels: dict[str, str], fit: dict[str, Field]
) -> _KeyValueTable:
    """Locate the field rows and the value column of a `Mã | label | value` table."""
    code_hits: Counter[int] = Counter()
    label_hits: Counter[int] = Counter()
    for row in grid:
        for c, value in enumerate(row):
            if _cell_code(value, codes):
                code_hits[c] += 1
            if _cell_label(value, labels):
                label_hits[c] += 1
    code_cols = [c for c in code_hits if code_hits[c] > label_hits[c]]
    code_col = max(code_cols, key=lambda c: (code_hits[c], -c)) if code_cols else None
    label_cols = [c for c in label_hits if c != code_col]
    label_col = max(label_cols, key=lambda c: (label_hits[c], -c)) if label_cols else None
    if code_col is None and label_col is None:
        raise _no_header(
            sheet,
            "không có cột «Mã» chứa mã chỉ tiêu và không có nhãn nào khớp với biểu mẫu",
            "there is no 'Mã' column holding field codes and no label matches the form",
        )

    found: list[_KeyRow] = []
    unknown: list[tuple[int, int, str]] = []
    for r in range(len(grid)):
        code = None
        if code_col is not None:
            cell = _at(grid, r, code_col)
            code = _cell_code(cell, codes)
            if code is None and isinstance(cell, str) and _CODE_LIKE.fullmatch(cell.strip().lower()):
                unknown.append((r, code_col, cell.strip()))
        if code is None and label_col is not None:
            code = _cell_label(_at(grid, r, label_col), labels)
            if code is not None and unknown and unknown[-1][0] == r:
                unknown.pop()  # a mistyped code on a row whose label is right: read by the label
        if code is not None:
            found.append(_KeyRow(code, r))

    keys = {c for c in (code_col, label_col) if c is not None}
    value_col = _value_column_by_header(grid, found, keys)
    if value_col is None:
        value_col = _value_column_by_content(grid, found, keys, fit)
    return _KeyValueTable(found, value_col, unknown)


def _value_column_by_header(grid: Grid, found: list[_KeyRow], keys: set[int]) -> int | None:
    first = min((k.row for k in found), default=len(grid))
    for r in range(first - 1, -1, -1):
        for c, value in enumerate(grid[r]):
            if c in keys or not isinstance(value, str) or len(value) > _LONGEST_LABEL:
                continue
            folded = fold(value)
            if any(folded == h or folded.startswith(h + " ") for h in _VALUE_HEADERS):
                return c
    return None


def _is_numbering_column(grid: Grid, found: list[_KeyRow], col: int) -> bool:
    """An STT column: 1, 2, 3, … down the field rows (it would otherwise read as counts)."""
    numbers = []
    for k in found:
        raw = _at(grid, k.row, col)
        if is_blank(raw):
            continue
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            return False
        text = str(raw).strip().rstrip(".")
        text = text[:-2] if text.endswith(".0") else text
        if not text.isdigit():
            return False
        numbers.append(int(text))
    return len(numbers) >= 3 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def _value_column_by_content(grid: Grid, found: list[_KeyRow], keys: set[int], fit: dict[str, Field]) -> int:
    """Without a header: the column whose cells read best as the rows' fields (nearest the labels on ties)."""
    anchor = max(keys)
    width = max((len(grid[k.row]) for k in found), default=0)
    best, best_score = anchor + 1, 0
    for c in range(width):
        if c in keys or _is_numbering_column(grid, found, c):
            continue
        score = 0
        for k in found:
            raw = _at(grid, k.row, c)
            if is_blank(raw) or k.code not in fit:
                continue
            try:
                if parse_value(raw, fit[k.code]) is not None:
                    score += 1
            except ParseError:
                continue
        distance = abs(c - anchor)
        if score > best_score or (score == best_score and score and distance < abs(best - anchor)):
            best, best_score = c, score
    return best


def _key_values(
    grid: Grid, sheet: str, table: _KeyValueTable, fields: dict[str, Field], problems: list[Problem], kind_vi: str
) -> dict[str, ParsedValue]:
    values: dict[str, ParsedValue] = {}
    column = column_letter(table.value_col)
    for key_row in table.rows:
        f = fields.get(key_row.code)
        excel_row = key_row.row + 1
        if f is None:
            problems.append(
                Problem(
                    "unknown_field",
                    f"Dòng {excel_row}: chỉ tiêu «{key_row.code}» không thuộc {kind_vi} này; dòng bị bỏ qua.",
                    f"Row {excel_row}: '{key_row.code}' is not a field of this form; the row is ignored.",
                    sheet,
                    excel_row,
                    field=key_row.code,
                )
            )
            continue
        if f.code in values:
            first = values[f.code].cell.row
            problems.append(
                Problem(
                    "duplicate_field",
                    f"Dòng {excel_row}: «{f.label}» ({f.code}) đã có ở dòng {first}; chỉ lấy số liệu dòng {first}.",
                    f"Row {excel_row}: '{f.label_en}' ({f.code}) already appears on row {first}; "
                    f"only row {first} is read.",
                    sheet,
                    excel_row,
                    field=f.code,
                )
            )
            continue
        values[f.code] = _parse_cell(
            _at(grid, key_row.row, table.value_col), f, CellRef(sheet, excel_row, column, f.code)
        )
    for r, c, text in table.unknown:
        problems.append(
            Problem(
                "unknown_field",
                f"Ô {column_letter(c)}{r + 1}: mã «{text}» không có trong biểu mẫu; dòng bị bỏ qua.",
                f"Cell {column_letter(c)}{r + 1}: code '{text}' is not in the form; the row is ignored.",
                sheet,
                r + 1,
                column_letter(c),
                text,
            )
        )
    return values


def _missing_fields(
    values: dict[str, ParsedValue], fields: Iterable[Field], sheet: str, problems: list[Problem]
) -> None:
    for f in fields:
        if f.code not in values:
            problems.append(
                Problem(
                    "missing_field",
                    f"Không tìm thấy dòng «{f.label}» ({f.code}).",
                    f"The row '{f.label_en}' ({f.code}) was not found.",
                    sheet,
                    field=f.code,
                )
            )


def _parse_cell(raw: object, f: Field, cell: CellRef) -> ParsedValue:
    try:
        return ParsedValue(f.code, raw, parse_value(raw, f), cell)
    except ParseError as exc:
        return ParsedValue(f.code, raw, None, cell, exc)


# --- the form --------------------------------------------------------------------------------

_CDCS_CODES = {f.code for f in CDCS_FIGURES}
_CAPTREN_CODES = {f.code for f in CAPTREN_FIGURES}
_CDCS_ONLY = frozenset(_CDCS_CODES - _CAPTREN_CODES)
_CAPTREN_ONLY = frozenset(_CAPTREN_CODES - _CDCS_CODES)


def detect_form(
    figure_codes: Iterable[str], *, has_support_sheet: bool = False, form_version: str | None = None
) -> Form:
    """The form a workbook is, from its content only.

    The `ChiTieu` codes that only one form has decide (the form with more of its own wins);
    when they do not, a `HoTro` sheet means CĐCS, then the form version ("CDCS-2024.1") decides.
    """
    codes = set(figure_codes)
    cdcs, captren = len(codes & _CDCS_ONLY), len(codes & _CAPTREN_ONLY)
    if cdcs != captren:
        return Form.CDCS if cdcs > captren else Form.CAPTREN
    if has_support_sheet:
        return Form.CDCS
    version = (form_version or "").strip().upper()
    for form in (Form.CAPTREN, Form.CDCS):
        if version.startswith(form.value):
            return form
    raise FileRejected(
        "unknown_form",
        "Không xác định được đây là báo cáo của công đoàn cơ sở (CDCS) hay công đoàn cấp trên (CAPTREN): "
        "sheet ChiTieu không có chỉ tiêu riêng của loại báo cáo nào. Hãy dùng đúng biểu mẫu của LĐLĐ tỉnh.",
        "Could not tell whether this is a grassroots (CDCS) or an upper-level (CAPTREN) report: sheet "
        "ChiTieu holds no field specific to either form. Use the province's template for your level.",
    )


# --- HoTro -----------------------------------------------------------------------------------

_SUPPORT_CODES = {f.code: f for f in SUPPORT_FIELDS}
_SUPPORT_LABELS = _label_index(SUPPORT_FIELDS)


def _header_matches(row: Sequence[Any]) -> tuple[dict[int, str], dict[int, str]]:
    by_code = {c: code for c, v in enumerate(row) if (code := _cell_code(v, _SUPPORT_CODES))}
    by_label = {c: code for c, v in enumerate(row) if (code := _cell_label(v, _SUPPORT_LABELS))}
    return by_code, by_label


def _is_numbering_row(row: Sequence[Any]) -> bool:
    """A row under a header that only numbers the columns: 1 2 3 … or (1) (2) (3) … or A B C …"""
    cells = [v for v in row if not is_blank(v)]
    if len(cells) < 3:
        return False
    for v in cells:
        if isinstance(v, int | float) and not isinstance(v, bool):
            if not float(v).is_integer() or not 0 <= v < 100:
                return False
        elif not (isinstance(v, str) and _NUMBERING_CELL.fullmatch(v.strip())):
            return False
    return True


def _read_support(grid: Grid, sheet: str, problems: list[Problem]) -> tuple[list[dict[str, ParsedValue]], list[int]]:
    if not _has_content(grid):
        return [], []
    header = None
    for r, row in enumerate(grid):
        codes_found, labels_found = _header_matches(row)
        if len(codes_found) >= 2 or len(labels_found) >= 2:
            header = r
            break
    if header is None:
        raise _no_header(
            sheet,
            "không có dòng tiêu đề cột (mã hoặc tên cột như «Họ và tên», «Số tiền / giá trị»)",
            "there is no column header row (field codes or column names such as 'Họ và tên')",
        )

    by_code: dict[int, str] = {}
    by_label: dict[int, str] = {}
    first_data = header
    for r in range(header, len(grid)):
        codes, labels = _header_matches(grid[r])
        if r > header and not codes and not labels and not _is_numbering_row(grid[r]):
            break
        for c, code in codes.items():
            by_code.setdefault(c, code)
        for c, code in labels.items():
            by_label.setdefault(c, code)
        first_data = r + 1

    columns: dict[str, int] = {}
    for c in sorted(set(by_code) | set(by_label)):
        code = by_code.get(c) or by_label[c]
        if code in columns:
            problems.append(
                Problem(
                    "duplicate_column",
                    f"Cột {column_letter(c)}: cột «{_SUPPORT_CODES[code].label}» lặp lại cột "
                    f"{column_letter(columns[code])}; chỉ lấy cột {column_letter(columns[code])}.",
                    f"Column {column_letter(c)} repeats '{_SUPPORT_CODES[code].label_en}' (column "
                    f"{column_letter(columns[code])}); only column {column_letter(columns[code])} is read.",
                    sheet,
                    header + 1,
                    column_letter(c),
                    code,
                )
            )
            continue
        columns[code] = c
    for f in SUPPORT_FIELDS:
        if f.code not in columns:
            problems.append(
                Problem(
                    "missing_column",
                    f"Không tìm thấy cột «{f.label}» ({f.code}).",
                    f"The column '{f.label_en}' ({f.code}) was not found.",
                    sheet,
                    header + 1,
                    field=f.code,
                )
            )

    ordered = [(code, c, column_letter(c), _SUPPORT_CODES[code]) for code, c in columns.items()]
    rows: list[dict[str, ParsedValue]] = []
    row_numbers: list[int] = []
    for r in range(first_data, len(grid)):
        raw_row = grid[r]
        present = {code: _at(grid, r, c) for code, c, _, _ in ordered}
        filled = {code for code, v in present.items() if not is_blank(v)}
        if not filled:
            continue
        if _is_signature_row(raw_row):
            break
        if filled == {"stt"} or _is_total_row(present):
            continue
        row_numbers.append(r + 1)
        rows.append(
            {code: _parse_cell(present[code], f, CellRef(sheet, r + 1, letter, code)) for code, _, letter, f in ordered}
        )
    return rows, row_numbers


def _is_total_row(present: dict[str, Any]) -> bool:
    for code in ("ho_ten", "stt"):
        value = present.get(code)
        if isinstance(value, str) and len(value) <= _LONGEST_LABEL and fold(value).rstrip(" :") in _TOTAL_ROW:
            return True
    return False


def _is_signature_row(row: Sequence[Any]) -> bool:
    cells = [v for v in row if not is_blank(v)]
    return bool(cells) and all(
        isinstance(v, str) and len(v) <= _LONGEST_LABEL and _SIGNATURE.fullmatch(fold(v)) for v in cells
    )


# --- workbooks -------------------------------------------------------------------------------

_INFO_BY_CODE = {f.code: f for f in INFO_FIELDS}
_INFO_LABELS = _label_index(INFO_FIELDS)
_FIGURE_CODES = {f.code: f for f in CDCS_FIGURES + CAPTREN_FIGURES}
_FIGURE_LABELS = _label_index(CDCS_FIGURES) | _label_index(CAPTREN_FIGURES)


def _missing_sheet(sheet: str, names: Sequence[str]) -> FileRejected:
    have = ", ".join(f"«{n}»" for n in names) or "không có"
    have_en = ", ".join(f"'{n}'" for n in names) or "none"
    return FileRejected(
        "missing_sheet",
        f"Không tìm thấy sheet «{sheet}». Tệp báo cáo phải có các sheet ThongTin và ChiTieu (CĐCS có thêm "
        f"HoTro) như biểu mẫu của LĐLĐ tỉnh; tệp này có: {have}. Hãy chép số liệu vào biểu mẫu rồi gửi lại.",
        f"Sheet '{sheet}' was not found. A report needs the sheets ThongTin and ChiTieu (CDCS also HoTro) "
        f"as in the province's template; this file has: {have_en}. Copy the figures into the template "
        "and send it again.",
    )


def parse_workbook(path: Path | str) -> ParsedReport:
    """Read one report workbook (.xlsx, .xls, .ods); FileRejected when it cannot be read at all."""
    path = Path(path)
    if path.suffix.lower() not in WORKBOOK_EXTENSIONS:
        if path.suffix.lower() in ACCEPTED_EXTENSIONS:
            raise FileRejected(
                "wrong_type",
                "Tệp .csv chỉ dùng để nộp hàng loạt (cdcs_reports.csv, captren_reports.csv, support_cases.csv). "
                "Báo cáo của một đơn vị hãy gửi bằng biểu mẫu .xlsx (hoặc .xls, .ods).",
                "A .csv file is only for bulk submissions (cdcs_reports.csv, captren_reports.csv, "
                "support_cases.csv). Send a single unit's report in the .xlsx template (or .xls, .ods).",
            )
        raise _wrong_type(path)
    names, grids = _load(path)
    if not names:
        raise FileRejected(
            "empty",
            f"Tệp «{path.name}» không có dữ liệu. Hãy điền biểu mẫu báo cáo rồi gửi lại.",
            f"'{path.name}' holds no data. Fill in the report template and send it again.",
        )
    for canonical in (SHEET_INFO, SHEET_FIGURES):
        if canonical not in grids:
            raise _missing_sheet(canonical, names)
    actual = {canonical: _find_sheet(names, canonical) or canonical for canonical in grids}
    problems: list[Problem] = []

    info_sheet = actual[SHEET_INFO]
    info_table = _read_key_value(grids[SHEET_INFO], info_sheet, _INFO_BY_CODE, _INFO_LABELS, _INFO_BY_CODE)
    info = _key_values(grids[SHEET_INFO], info_sheet, info_table, _INFO_BY_CODE, problems, "sheet ThongTin")

    figures_sheet = actual[SHEET_FIGURES]
    figure_table = _read_key_value(grids[SHEET_FIGURES], figures_sheet, _FIGURE_CODES, _FIGURE_LABELS, _FIGURE_CODES)
    version = info.get("phien_ban_bieu_mau")
    form = detect_form(
        (k.code for k in figure_table.rows),
        has_support_sheet=SHEET_SUPPORT in grids,
        form_version=str(version.value) if version is not None and version.value else None,
    )
    form_fields = figure_fields(form)
    form_kind = "biểu CĐCS" if form is Form.CDCS else "biểu CĐ cấp trên"
    figures = _key_values(
        grids[SHEET_FIGURES], figures_sheet, figure_table, {f.code: f for f in form_fields}, problems, form_kind
    )

    expected_info = [f for f in INFO_FIELDS if form is Form.CDCS or f.code != "ma_cap_tren"]
    _missing_fields(info, expected_info, info_sheet, problems)
    _missing_fields(figures, form_fields, figures_sheet, problems)

    support: list[dict[str, ParsedValue]] = []
    support_rows: list[int] = []
    if form is Form.CDCS:
        if SHEET_SUPPORT in grids:
            support, support_rows = _read_support(grids[SHEET_SUPPORT], actual[SHEET_SUPPORT], problems)
        else:
            problems.append(
                Problem(
                    "missing_sheet",
                    "Không có sheet HoTro (danh sách hỗ trợ); nếu không có lượt hỗ trợ nào, hãy giữ sheet và để trống.",
                    "There is no HoTro (support list) sheet; when no support was given, keep the sheet empty.",
                    SHEET_SUPPORT,
                )
            )
    return ParsedReport(form, info, figures, support, support_rows, problems, actual)


# --- bulk CSV --------------------------------------------------------------------------------

_CHUNK = 1 << 20
_BOMS: tuple[tuple[bytes, str | None], ...] = (
    (codecs.BOM_UTF32_LE, None),  # checked before UTF-16 LE, whose BOM it starts with
    (codecs.BOM_UTF32_BE, None),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ID_FIELDS = tuple(f for f in INFO_FIELDS if f.code in ("ma_don_vi", "nam_bao_cao"))
_SUPPORT_ONLY = frozenset(_SUPPORT_CODES) - set(_FIGURE_CODES) - set(_INFO_BY_CODE)
_CSV_CANDIDATES = {f.code: f for f in INFO_FIELDS + CDCS_FIGURES + CAPTREN_FIGURES + SUPPORT_FIELDS}
_CSV_LABELS = _label_index(INFO_FIELDS) | _FIGURE_LABELS | _SUPPORT_LABELS


def _bad_encoding(path: Path, detail_vi: str, detail_en: str) -> FileRejected:
    return FileRejected(
        "bad_encoding",
        f"Tệp «{path.name}» không dùng bảng mã được chấp nhận ({detail_vi}). Chỉ nhận CSV mã hóa UTF-8 "
        "(có hoặc không có BOM) hoặc UTF-16 (Excel «Unicode Text»); không nhận Windows-1258, TCVN3 (ABC) "
        "hay VNI. Trong Excel: File → Save As → «CSV UTF-8 (Comma delimited) (*.csv)».",
        f"'{path.name}' is not in an accepted encoding ({detail_en}). CSV files must be UTF-8 (with or "
        "without BOM) or UTF-16 (Excel's 'Unicode Text'); Windows-1258, TCVN3 (ABC) and VNI are not "
        "accepted. In Excel: File → Save As → 'CSV UTF-8 (Comma delimited) (*.csv)'.",
    )


def _detect_encoding(path: Path) -> str:
    """The codec to read the file with, after checking every byte decodes (in chunks: memory stays flat)."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    encoding: str | None = "utf-8"
    for bom, codec in _BOMS:
        if head.startswith(bom):
            encoding = codec
            break
    else:
        # UTF-16 written without a BOM: ASCII text then has a zero byte in every other place.
        pairs = len(head) // 2
        if pairs and head.count(b"\x00") >= pairs // 2:
            odd = head[1::2].count(b"\x00")
            encoding = "utf-16-le" if odd >= head[0::2].count(b"\x00") else "utf-16-be"
    if encoding is None:
        raise _bad_encoding(path, "UTF-32", "UTF-32")
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line = 1  # counted on bytes: in UTF-8 a newline byte is never part of another character
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
                if "\x00" in text:  # no text holds NUL: UTF-32 read as UTF-16, or binary content
                    line += text[: text.index("\x00")].count("\n")
                    raise _bad_encoding(
                        path,
                        f"dòng {line} có ký tự NUL (byte 0), tệp không phải văn bản CSV",
                        f"line {line} holds a NUL character (byte 0): this is not CSV text",
                    )
            except UnicodeDecodeError as exc:
                if encoding.startswith("utf-16"):
                    raise _bad_encoding(path, "UTF-16 không hợp lệ", "invalid UTF-16") from None
                line += chunk[: max(exc.start, 0)].count(b"\n")
                raise _bad_encoding(
                    path, f"dòng {line} có byte không phải UTF-8", f"line {line} has bytes that are not UTF-8"
                ) from None
            if not chunk:
                break
            line += chunk.count(b"\n")
    return encoding


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_unreadable(path: Path, exc: Exception) -> FileRejected:
    return FileRejected(
        "unreadable",
        f"Không đọc được tệp CSV «{path.name}» ({exc}). Hãy xuất lại tệp từ phần mềm hoặc Excel "
        "(«CSV UTF-8») rồi gửi lại.",
        f"Could not read the CSV file '{path.name}' ({exc}). Export it again (Excel: 'CSV UTF-8') and send it again.",
    )


@dataclass
class BulkCsv:
    """A bulk CSV file, checked and ready to stream: iterate it for one dict of values per data row.

    ``kind`` is "CDCS" or "CAPTREN" (one report per row: ThongTin and ChiTieu fields) or "HoTro"
    (one support case per row, with ``ma_don_vi`` and ``nam_bao_cao`` naming its report). Each
    iteration re-reads the file; cell references use the file name as sheet, the row number and
    column letter a spreadsheet shows (the header is row 1).
    """

    path: Path
    kind: str
    encoding: str
    delimiter: str
    columns: dict[int, Field]  # position in the row → field
    problems: list[Problem]
    header_row: int = 1

    @property
    def form(self) -> Form | None:
        return None if self.kind == SHEET_SUPPORT else Form(self.kind)

    @property
    def fields(self) -> tuple[Field, ...]:
        if self.kind == SHEET_SUPPORT:
            return _ID_FIELDS + SUPPORT_FIELDS
        return INFO_FIELDS + figure_fields(self.kind)

    def __iter__(self) -> Iterator[dict[str, ParsedValue]]:
        sheet = self.path.name
        mapped = [(pos, f, column_letter(pos)) for pos, f in sorted(self.columns.items())]
        with self.path.open("r", encoding=self.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            try:
                for number, record in enumerate(reader, start=1):
                    if number <= self.header_row or not any(cell.strip() for cell in record):
                        continue
                    width = len(record)
                    yield {
                        f.code: _parse_cell(
                            record[pos] if pos < width else "", f, CellRef(sheet, number, letter, f.code)
                        )
                        for pos, f, letter in mapped
                    }
            except csv.Error as exc:
                raise _csv_unreadable(self.path, exc) from exc

    def content(self, row: dict[str, ParsedValue]) -> ReportContent:
        """A report row's values as a ReportContent (report files only)."""
        form = self.form
        if form is None:
            raise TypeError("support_cases rows are not reports")
        return ReportContent(
            form=form,
            info={f.code: _value_of(row.get(f.code)) for f in INFO_FIELDS},
            figures={f.code: _value_of(row.get(f.code)) for f in figure_fields(form)},
            support=[],
        )


def _csv_kind(codes: set[str], path: Path) -> str:
    if "ho_ten" in codes or len(codes & _SUPPORT_ONLY) >= 2:
        return SHEET_SUPPORT
    try:
        return detect_form(codes).value
    except FileRejected:
        raise FileRejected(
            "no_header",
            f"Tệp «{path.name}»: dòng đầu tiên phải là các mã trường (ví dụ ma_don_vi, nam_bao_cao, "
            "tong_doan_vien, … hoặc ho_ten, so_tien, … cho danh sách hỗ trợ) nhưng không nhận ra được.",
            f"'{path.name}': the first line must hold the field codes (e.g. ma_don_vi, nam_bao_cao, "
            "tong_doan_vien, … or ho_ten, so_tien, … for the support list), and none were recognised.",
        ) from None


def parse_csv(path: Path | str) -> BulkCsv:
    """Check a bulk CSV file (type, encoding, header) and return it ready to stream.

    Raises FileRejected now for what makes the whole file unusable; a file that turns malformed
    deep inside (broken quoting) raises it while being iterated.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_EXTENSIONS:
        raise FileRejected(
            "wrong_type",
            "Bảng tính (.xlsx, .xls, .ods) là báo cáo của một đơn vị; nộp hàng loạt hãy dùng tệp .csv.",
            "A workbook (.xlsx, .xls, .ods) is one unit's report; bulk submissions are .csv files.",
        )
    if suffix != ".csv":
        raise _wrong_type(path)
    # An OSError (permissions, a vanished file) propagates: it is the landing zone's problem, not the sender's.
    encoding = _detect_encoding(path)
    with path.open("r", encoding=encoding, newline="") as handle:
        header_row, header_line = 0, ""
        for header_row, line in enumerate(handle, start=1):  # noqa: B007 - the row is used after the loop
            if line.strip().strip(",;\t"):
                header_line = line
                break
    if not header_line:
        raise FileRejected(
            "empty",
            f"Tệp «{path.name}» không có dữ liệu. Dòng đầu là các mã trường, mỗi dòng sau là một báo cáo "
            "(hoặc một lượt hỗ trợ).",
            f"'{path.name}' holds no data. The first line holds the field codes, each further line one "
            "report (or one support case).",
        )
    delimiter = _sniff_delimiter(header_line)
    try:
        header = next(csv.reader([header_line], delimiter=delimiter))
    except csv.Error as exc:
        raise _csv_unreadable(path, exc) from exc

    by_position: dict[int, str] = {}
    problems: list[Problem] = []
    for pos, cell in enumerate(header):
        text = cell.replace("\ufeff", "")
        code = _cell_code(text, _CSV_CANDIDATES) or _cell_label(text, _CSV_LABELS)
        if code is not None:
            by_position[pos] = code
    kind = _csv_kind(set(by_position.values()), path)
    bulk = BulkCsv(path, kind, encoding, delimiter, {}, problems, header_row)
    fields = {f.code: f for f in bulk.fields}

    for pos, cell in enumerate(header):
        code = by_position.get(pos)
        letter = column_letter(pos)
        if code is None or code not in fields:
            if cell.strip():
                problems.append(
                    Problem(
                        "unknown_column",
                        f"Cột {letter} «{cell.strip()}» không phải mã trường của tệp này; cột bị bỏ qua.",
                        f"Column {letter} '{cell.strip()}' is not a field code of this file; it is ignored.",
                        path.name,
                        header_row,
                        letter,
                    )
                )
            continue
        if any(f.code == code for f in bulk.columns.values()):
            problems.append(
                Problem(
                    "duplicate_column",
                    f"Cột {letter}: mã «{code}» lặp lại; chỉ lấy cột đầu tiên.",
                    f"Column {letter}: '{code}' appears twice; only the first is read.",
                    path.name,
                    header_row,
                    letter,
                    code,
                )
            )
            continue
        bulk.columns[pos] = fields[code]

    present = {f.code for f in bulk.columns.values()}
    if missing_ids := [f.code for f in _ID_FIELDS if f.code not in present]:
        raise FileRejected(
            "missing_column",
            f"Tệp «{path.name}» thiếu cột {', '.join(missing_ids)}: mỗi dòng phải cho biết mã đơn vị "
            "(ma_don_vi) và năm báo cáo (nam_bao_cao).",
            f"'{path.name}' lacks the column(s) {', '.join(missing_ids)}: every row must name its unit "
            "(ma_don_vi) and reporting year (nam_bao_cao).",
        )
    expected = [f for f in bulk.fields if bulk.kind != Form.CAPTREN.value or f.code != "ma_cap_tren"]
    for f in expected:
        if f.code not in present:
            problems.append(
                Problem(
                    "missing_column",
                    f"Không có cột {f.code} («{f.label}»).",
                    f"There is no column {f.code} ('{f.label_en}').",
                    path.name,
                    header_row,
                    field=f.code,
                )
            )
    return bulk
