"""Bulk CSV folders at national scale: chunked, vectorised, with the workbook path's rules and messages.

A bulk folder holds `cdcs_reports.csv`, `captren_reports.csv` and `support_cases.csv` (FORMS.md);
what a file is comes from its header (`parse_csv`), never from its name. The per-cell path of
`pipeline.ingest` (`BulkCsv` → one `ParsedValue` per cell → `ReportInput`) is right for a
province (a few thousand support rows) and needs many GB and minutes for a national year
(130,000 reports, 2 million support rows). This module takes the same files to the same
outcome column by column:

* **read** — `check_file` and `parse_csv` check type, size, encoding, delimiter and header, so the
  same files are accepted or refused with the same reasons. Rows are then streamed with
  pyarrow's CSV reader in blocks, each row keeping its CSV line. A file pyarrow would read
  differently from the csv module (ragged rows, NUL bytes, over-long fields) is read again with
  the csv module, record for record like `BulkCsv`.
* **normalise** — per column, values in the everyday spelling (plain digits, "0"/"1", a listed
  code, tidy ASCII text) are converted in one vectorised step whose result is, by construction,
  what `normalise.parse_value` returns for them; every other *distinct* value goes through
  `parse_value` once (dictionary encoding), so the tolerance rules stay one implementation.
  Citizen IDs are replaced by their HMAC here, before anything is written to disk.
* **validate** — the same Great Expectations suites (`expectations.SUITES`) on frames with the
  same context columns as `validate.py` (registry level, active days, period, support people,
  year over year, peer outliers, upper-level cross-check), computed with joins and group-bys:
  one run per suite for the reports, one run per chunk for the support rows. Failures map back
  to (file, CSV line, column letter) and become `Finding`s through `validate._finding`, so rule
  ids and bilingual messages are the workbook path's; the ≤ 5 % HoTro row rule is applied per report.
* **load** — one transaction under intake's advisory lock: audit.files, audit.submissions,
  audit.validation_results, raw.* and restricted.support_people by COPY (CSV rendered by
  pyarrow). Versions and supersession follow pipeline's rules, decided set-based before the COPY;
  rows already in the warehouse that a new version supersedes get one UPDATE. Per-row
  foreign-key triggers (≈ 5 µs a row) are skipped where allowed and the references checked once.

Memory: support rows are streamed twice from disk — the CSV while validating, then a spool of
load-ready, already pseudonymised rows while loading — so their share of the peak depends on
`chunk_rows` (≈ 300 MB at 250,000 rows), not on the file. What grows with the number of reports is
held whole: their typed columns (130,000 rows ≈ 50 MB), their GX frames, and their findings
(≈ 1.5 kB each with both messages; every national report of the generated data has one). The load
renders JSON reasons and result rows `_LOAD_SLICE` at a time.

Entry points: `register_bulk_files` → `prepare_bulk` (read + validate, no writes) →
`BulkBatch.load` (inside the caller's transaction); `ingest_bulk_folder` chains them for a
caller that already holds a batch; `ingest_bulk` is a whole batch like `pipeline.ingest`.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from welfare.calendar import DEFAULT_CALENDAR, Calendar
from welfare.config import TIMEZONE, Settings, get_settings
from welfare.forms import (
    CAPTREN_FIGURES,
    CDCS_FIGURES,
    INFO_FIELDS,
    PROGRAMME_CAPS,
    SHEET_SUPPORT,
    SUPPORT_FIELDS,
    Field,
    Form,
    Kind,
)
from welfare.intake.normalise import ParseError, fold, parse_value
from welfare.intake.parse import BulkCsv, CellRef, FileRejected, parse_csv
from welfare.intake.safety import check_file
from welfare.intake.validate import (
    OUTLIER_FIELDS,
    OUTLIER_MIN_GROUP,
    ROW_ERROR_SHARE,
    YOY_MIN_BASE,
    Context,
    Finding,
    findings_summary,
)
from welfare.registry import Registry
from welfare.sql.raw import RAW_TABLES

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import psycopg
    import pyarrow as pa

    from welfare.intake.pipeline import FileOutcome, IngestSummary

log = logging.getLogger(__name__)

CHUNK_ROWS = 250_000  # support rows validated and spooled at a time (≈ 300 MB of working memory)
_LOAD_SLICE = 20_000  # reports (or findings) rendered and copied at a time: their JSON messages are large
_ACCEPTED = ("accepted", "accepted_with_warnings")
# Officials' names and phones: never validated, never in a GX frame (as validate.py).
_PERSONAL_INFO = frozenset({"nguoi_lap", "dien_thoai", "chu_tich"})
_NUMBER_KINDS = (Kind.COUNT, Kind.MONEY, Kind.INT)
# Python's str.isspace() characters, for RE2: a row of such cells is blank to `BulkCsv` too.
_BLANK_CELL = (
    r"^[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]*$"
)
_TIDY_ASCII = r"^[!-~]+(?: [!-~]+)*$"  # parse_text returns such text unchanged
_WHOLE_NUMBER = r"^[0-9]{1,18}$"  # parse_number's own fast path: int(raw)
_STRING_LIMIT = 131_072  # csv.field_size_limit(): the csv module refuses longer fields
# pyarrow's streaming reader keeps ~40 blocks in flight: 1 MB blocks hold it near 40 MB, and read as fast.
_BLOCK_BYTES = 1 << 20


class _Runner(Protocol):
    """What runs a suite on a frame: `BulkValidator`, or the batch's `validate.Validator` (Data Docs)."""

    def run(
        self, suite: str, frame: pd.DataFrame, index_columns: list[str]
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]: ...


class _Irregular(Exception):
    """pyarrow would read this file differently from the csv module: read it with the csv module."""


class _Timer:
    """Adds up named durations: wall seconds under `name`, and for the stages (names without a dot)
    also this process's CPU seconds under `cpu.name` — wall time alone says little on a shared machine."""

    def __init__(self, seconds: dict[str, float], prefix: str = ""):
        self.seconds, self.prefix = seconds, prefix

    def add(self, name: str, wall: float, cpu: float) -> None:
        key = self.prefix + name
        self.seconds[key] = self.seconds.get(key, 0.0) + wall
        if "." not in key:
            self.seconds["cpu." + key] = self.seconds.get("cpu." + key, 0.0) + cpu

    def __call__(self, name: str) -> Any:
        from contextlib import contextmanager

        @contextmanager
        def timed() -> Iterator[None]:
            wall, cpu = time.monotonic(), time.process_time()
            try:
                yield
            finally:
                self.add(name, time.monotonic() - wall, time.process_time() - cpu)

        return timed()

    def iterate(self, name: str, items: Iterable[Any]) -> Iterator[Any]:
        """The items, the time spent producing each (a reader's parsing) added under `name`."""
        iterator = iter(items)
        while True:
            wall, cpu = time.monotonic(), time.process_time()
            try:
                item = next(iterator)
            except StopIteration:
                self.add(name, time.monotonic() - wall, time.process_time() - cpu)
                return
            self.add(name, time.monotonic() - wall, time.process_time() - cpu)
            yield item


# --- files ---------------------------------------------------------------------------------------
@dataclass
class BulkFile:
    """A registered bulk CSV: what `pipeline._register` knows about a file before it is read."""

    path: Path
    sha256: str
    size: int
    received_at: datetime
    state: str | None = None  # None: to be read; "duplicate"
    duplicate_of: int | None = None
    duplicate_name: str | None = None
    reasons: list[dict[str, object]] = field(default_factory=list)


@dataclass
class _Read:
    """One bulk file after reading: its kind and, for a report file, its typed columns."""

    file: BulkFile
    bulk: BulkCsv | None = None
    state: str | None = None
    reasons: list[dict[str, object]] = field(default_factory=list)
    support_csv: bool = False
    # report files
    form: Form | None = None
    key_offset: int = 0  # global report key of the file's first row
    lines: np.ndarray | None = None
    values: dict[str, pa.Array] = field(default_factory=dict)  # field code → typed values
    errors: list[tuple[int, str, object, ParseError]] = field(default_factory=list)  # (row, code, raw, error)
    letters: dict[str, str] = field(default_factory=dict)  # field code → column letter
    order: dict[str, int] = field(default_factory=dict)  # field code → column position
    # support files
    support_rows: int = 0
    orphans: int = 0
    _python: dict[str, list[object] | None] = field(default_factory=dict, repr=False)
    _lines: list[int] | None = field(default=None, repr=False)

    @property
    def rows(self) -> int:
        return 0 if self.lines is None else len(self.lines)

    def python(self, code: str) -> list[object] | None:
        """A column as Python values (cached): failures are mapped back one row at a time."""
        try:
            return self._python[code]
        except KeyError:
            values = self.values.get(code)
            column = self._python[code] = None if values is None else values.to_pylist()
            return column

    @property
    def name(self) -> str:
        return self.file.path.name

    def line(self, row: int) -> int:
        """The CSV line of a row (as a Python int, cached)."""
        if self._lines is None:
            self._lines = [] if self.lines is None else self.lines.tolist()
        return self._lines[row]

    def reject(self, rule: str, vi: str, en: str) -> None:
        self.state = "rejected"
        self.reasons.append(
            {
                "rule": rule,
                "severity": "error",
                "field": None,
                "cell": None,
                "value": "",
                "message_vi": vi,
                "message_en": en,
            }
        )


def _rss_mb() -> float:
    """The process's peak resident memory so far (MB), for the stage figures."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def register_bulk_files(
    conn: psycopg.Connection, paths: Iterable[Path], received_at: datetime | None = None
) -> list[BulkFile]:
    """Hash the files and recognise re-runs and duplicates exactly as `pipeline._register` does."""
    from welfare.intake.messages import message

    known = {(row[0], row[1]) for row in conn.execute("select landing_path, sha256 from audit.files")}
    first_by_sha: dict[str, int] = dict(
        conn.execute("select sha256, file_id from audit.files where duplicate_of is null").fetchall()
    )
    names: dict[int, str] = dict(conn.execute("select file_id, file_name from audit.files").fetchall())
    files: list[BulkFile] = []
    for path in paths:
        sha = _sha256(path)
        if (str(path.resolve()), sha) in known:
            continue  # a re-run: this very file is already registered
        stat = path.stat()
        when = received_at or datetime.fromtimestamp(stat.st_mtime, tz=TIMEZONE)
        files.append(BulkFile(path, sha, stat.st_size, when))
    files.sort(key=lambda f: (f.received_at, str(f.path)))
    originals: dict[str, BulkFile] = {}
    for file in files:
        if file.sha256 in first_by_sha:
            file.state, file.duplicate_of = "duplicate", first_by_sha[file.sha256]
            file.duplicate_name = names.get(file.duplicate_of)
        elif file.sha256 in originals:
            file.state, file.duplicate_name = "duplicate", originals[file.sha256].path.name
        else:
            originals[file.sha256] = file
        if file.state == "duplicate":
            msg = message("file.duplicate", extra=file.duplicate_name or "")
            file.reasons.append(
                {
                    "rule": "file.duplicate",
                    "severity": "info",
                    "field": None,
                    "cell": None,
                    "value": "",
                    "message_vi": msg.vi,
                    "message_en": msg.en,
                }
            )
    return files


def is_bulk_folder(folder: Path) -> bool:
    """True when the folder holds CSV files (bulk submissions); workbooks are never bulk."""
    return folder.is_dir() and any(p.suffix.lower() == ".csv" for p in folder.iterdir() if p.is_file())


# --- reading -------------------------------------------------------------------------------------
@dataclass
class _Chunk:
    lines: np.ndarray  # CSV line (record number) of each row, blank rows removed
    cells: dict[int, pa.Array]  # column position → raw text of each row (never null)


def _header_width(bulk: BulkCsv) -> int:
    with bulk.path.open("r", encoding=bulk.encoding, newline="") as handle:
        for number, line in enumerate(handle, start=1):
            if number == bulk.header_row:
                return len(next(csv.reader([line], delimiter=bulk.delimiter)))
    return max(bulk.columns, default=0) + 1


def _chunks(bulk: BulkCsv, chunk_rows: int, consume: Callable[[Iterator[_Chunk]], Any]) -> Any:
    """Run `consume` over the file's chunks: pyarrow first, the csv module when pyarrow would differ."""
    width = _header_width(bulk)
    positions = sorted(bulk.columns)
    try:
        return consume(_arrow_chunks(bulk, width, positions, chunk_rows))
    except _Irregular as exc:
        log.info("%s: %s; reading it with the csv module", bulk.path.name, exc)
        return consume(_python_chunks(bulk, positions, chunk_rows))


def _arrow_chunks(bulk: BulkCsv, width: int, positions: list[int], chunk_rows: int) -> Iterator[_Chunk]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(width)]
    if any(p >= width for p in positions):
        raise _Irregular("the header is wider than its first line")
    # Every column takes part in the blank-row test, as in BulkCsv; unmapped ones are read only when present.
    read = names if len(positions) < width else [names[p] for p in positions]
    irregular: list[object] = []

    def invalid(row: object) -> str:
        irregular.append(row)
        return "skip"

    encoding = "utf8" if bulk.encoding.replace("-", "").lower() in ("utf8", "utf8sig") else bulk.encoding
    line = bulk.header_row + 1
    try:
        reader = pacsv.open_csv(
            bulk.path,
            read_options=pacsv.ReadOptions(
                skip_rows=bulk.header_row,
                column_names=names,
                block_size=_BLOCK_BYTES,
                encoding=encoding,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=bulk.delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,  # an empty line is a record too: line numbers stay exact
                invalid_row_handler=invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                include_columns=read,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        for batch in reader:
            if irregular:
                raise _Irregular(f"{len(irregular)} row(s) with another number of cells than the header")
            pending.append(batch)
            pending_rows += batch.num_rows
            if pending_rows >= chunk_rows:
                table = pa.Table.from_batches(pending)
                pending, pending_rows = [], 0
                yield _arrow_chunk(table, line, positions, names, read)
                line += table.num_rows
        if irregular:
            raise _Irregular(f"{len(irregular)} row(s) with another number of cells than the header")
        if pending:
            yield _arrow_chunk(pa.Table.from_batches(pending), line, positions, names, read)
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            return
        raise _Irregular(str(exc)[:200]) from exc


def _arrow_chunk(table: pa.Table, first_line: int, positions: list[int], names: list[str], read: list[str]) -> _Chunk:
    import numpy as np
    import pyarrow.compute as pc

    columns = {name: table.column(name).combine_chunks() for name in read}
    for name, column in columns.items():
        # What the csv module refuses (and BulkCsv rejects the file for) is left to it.
        if pc.any(pc.match_substring(column, "\x00")).as_py():
            raise _Irregular(f"column {name} holds a NUL byte")
        if len(column) and pc.max(pc.binary_length(column)).as_py() > _STRING_LIMIT:
            raise _Irregular(f"column {name} holds a field longer than {_STRING_LIMIT} characters")
    lines = np.arange(first_line, first_line + table.num_rows, dtype=np.int64)
    first = columns[read[0]]
    candidates = pc.match_substring_regex(first, _BLANK_CELL)
    if pc.any(candidates).as_py():
        blank = candidates
        for name in read[1:]:
            blank = pc.and_(blank, pc.match_substring_regex(columns[name], _BLANK_CELL))
        keep = pc.invert(blank)
        if not pc.all(keep).as_py():
            lines = lines[keep.to_numpy(zero_copy_only=False)]
            columns = {name: column.filter(keep) for name, column in columns.items()}
    return _Chunk(lines, {p: columns[names[p]] for p in positions})


def _python_chunks(bulk: BulkCsv, positions: list[int], chunk_rows: int) -> Iterator[_Chunk]:
    """Record for record what `BulkCsv.__iter__` reads (same numbering, same blank rows, same errors)."""
    import numpy as np
    import pyarrow as pa

    from welfare.intake.parse import _csv_unreadable

    def flush() -> _Chunk:
        return _Chunk(np.asarray(lines, dtype=np.int64), {p: pa.array(buffers[p], type=pa.string()) for p in positions})

    buffers: dict[int, list[str]] = {p: [] for p in positions}
    lines: list[int] = []
    with bulk.path.open("r", encoding=bulk.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=bulk.delimiter)
        try:
            for number, record in enumerate(reader, start=1):
                if number <= bulk.header_row or not any(cell.strip() for cell in record):
                    continue
                width = len(record)
                for p in positions:
                    buffers[p].append(record[p] if p < width else "")
                lines.append(number)
                if len(lines) >= chunk_rows:
                    yield flush()
                    buffers = {p: [] for p in positions}
                    lines = []
        except csv.Error as exc:
            raise _csv_unreadable(bulk.path, exc) from exc
    if lines:
        yield flush()


# --- normalising ---------------------------------------------------------------------------------
@dataclass
class _Column:
    """One column of a chunk, normalised: typed values (null when empty or unreadable) and the errors."""

    values: pa.Array
    error_rows: np.ndarray  # positions of unreadable cells
    errors: list[ParseError]  # one per position
    raw: list[str]  # the text of each unreadable cell


def _arrow_type(field: Field) -> pa.DataType:
    import pyarrow as pa

    if field.kind in (*_NUMBER_KINDS, Kind.FLAG):
        return pa.int64()
    if field.kind == Kind.DATE:
        return pa.date32()
    return pa.string()


def normalise_column(raw: pa.Array, field: Field) -> _Column:
    """`parse_value` for a whole column: a vectorised fast path, `parse_value` once per other distinct value."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    target = _arrow_type(field)
    kind = field.kind
    null = pa.scalar(None, pa.string())
    fast: pa.Array | None
    if kind in _NUMBER_KINDS:
        fast = pc.match_substring_regex(raw, _WHOLE_NUMBER)
        values = pc.cast(pc.if_else(fast, raw, null), target)
    elif kind == Kind.FLAG:
        fast = pc.is_in(raw, value_set=pa.array(["0", "1"]))
        values = pc.cast(pc.if_else(fast, raw, null), target)
    elif kind == Kind.TEXT:
        fast = pc.match_substring_regex(raw, _TIDY_ASCII)
        values = pc.if_else(fast, raw, null)
    elif kind == Kind.CODE and field.code_list:
        from welfare.forms import CODE_LISTS

        fast = pc.is_in(raw, value_set=pa.array(list(CODE_LISTS[field.code_list])))
        values = pc.if_else(fast, raw, null)
    else:  # dates, grades, code sets, e-mail: few distinct values, all through parse_value
        fast = None
        values = pa.nulls(len(raw), target)
    empty = pc.equal(raw, "")
    slow = pc.invert(empty) if fast is None else pc.invert(pc.or_(fast, empty))
    if not pc.any(slow).as_py():
        return _Column(values, np.empty(0, dtype=np.int64), [], [])
    encoded = raw.filter(slow).dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    parsed: list[object] = []
    failed: dict[int, ParseError] = {}
    for number, text in enumerate(distinct):
        try:
            parsed.append(parse_value(text, field))
        except ParseError as exc:
            parsed.append(None)
            failed[number] = exc
    slow_values = pa.array(parsed, type=target).take(encoded.indices)
    values = pc.replace_with_mask(values, slow, slow_values)
    if not failed:
        return _Column(values, np.empty(0, dtype=np.int64), [], [])
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    bad = np.isin(indices, np.fromiter(failed, dtype=indices.dtype))
    rows = np.flatnonzero(slow.to_numpy(zero_copy_only=False))[bad]
    codes = indices[bad]
    return _Column(values, rows, [failed[int(c)] for c in codes], [distinct[int(c)] for c in codes])


def _normalise_chunk(chunk: _Chunk, bulk: BulkCsv) -> dict[str, _Column]:
    return {f.code: normalise_column(chunk.cells[pos], f) for pos, f in bulk.columns.items()}


# --- folding, vectorised -------------------------------------------------------------------------
_FOLD_RANGES = ((0x20, 0x7F), (0xC0, 0x250), (0x300, 0x370), (0x1E00, 0x1F00))  # ASCII, Latin, diacritics, Vietnamese
_fold_pattern: str | None = None


def _arrow_fold(values: pa.Array) -> pa.Array:
    import pyarrow.compute as pc

    out = pc.utf8_normalize(values, "NFC")
    out = pc.replace_substring(pc.replace_substring(out, "đ", "d"), "Đ", "D")
    out = pc.utf8_normalize(pc.utf8_lower(out), "NFD")
    out = pc.replace_substring_regex(out, r"\p{M}+", "")
    out = pc.replace_substring_regex(out, r"[^\p{L}\p{N} ]", " ")
    return pc.utf8_trim(pc.replace_substring_regex(out, " +", " "), " ")


def _safe_fold_pattern() -> str:
    """Text made only of characters for which pyarrow's fold equals `normalise.fold` (checked once, here)."""
    global _fold_pattern
    if _fold_pattern is None:
        import pyarrow as pa

        candidates = [chr(c) for lo, hi in _FOLD_RANGES for c in range(lo, hi)]
        probes = ["x" + c + "y" for c in candidates]
        folded = _arrow_fold(pa.array(probes)).to_pylist()
        safe = [c for c, probe, got in zip(candidates, probes, folded, strict=True) if fold(probe) == got]
        ranges: list[tuple[int, int]] = []
        for c in safe:
            code = ord(c)
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
        body = "".join(f"\\x{{{lo:x}}}" if lo == hi else f"\\x{{{lo:x}}}-\\x{{{hi:x}}}" for lo, hi in ranges)
        _fold_pattern = f"^[{body}]*$"
    return _fold_pattern


def fold_column(values: pa.Array) -> pa.Array:
    """`normalise.fold` for a whole column: pyarrow for Latin/Vietnamese text, `fold` itself for the rest."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = values.cast(pa.string())
    if not len(values):
        return values
    safe = pc.fill_null(pc.match_substring_regex(values, _safe_fold_pattern()), True)
    out = _arrow_fold(values)
    if pc.all(safe).as_py():
        return out
    rest = pc.invert(safe)
    others = values.filter(rest).to_pylist()
    return pc.replace_with_mask(out, rest, pa.array([None if t is None else fold(t) for t in others], pa.string()))


# --- pandas helpers ------------------------------------------------------------------------------
def _series(values: pa.Array | None, n: int, kind: Kind) -> pd.Series:
    """A frame column with validate.py's conventions: Int64 numbers, Timestamps, text (missing = null)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if values is None:
        if kind in (*_NUMBER_KINDS, Kind.FLAG):
            return pd.Series(pd.array([pd.NA] * n, dtype="Int64"))
        if kind == Kind.DATE:
            return pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[us]"))
        return pd.Series([None] * n, dtype=object)
    if pa.types.is_integer(values.type):
        mask = pc.is_null(values).to_numpy(zero_copy_only=False)
        data = pc.fill_null(values, 0).to_numpy(zero_copy_only=False).astype(np.int64)
        return pd.Series(pd.arrays.IntegerArray(data, mask))
    if pa.types.is_date(values.type):
        return pd.Series(values.cast(pa.timestamp("us")).to_pandas())
    return pd.Series(values.to_pandas(), dtype="str")


def _digit_shape(values: pa.Array) -> pa.Array:
    """Every digit as 9 (validate.py: `re.sub(r"\\d", "9", id)`), without a regex for plain ASCII digits."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ascii_digits = pc.fill_null(pc.match_substring_regex(values, r"^[0-9]*$"), False)
    shaped = pc.binary_repeat(pa.scalar("9"), pc.utf8_length(values))
    if pc.all(pc.or_(ascii_digits, pc.is_null(values))).as_py():
        return shaped
    # Python's \d is any Unicode decimal digit (category Nd), which RE2 spells \p{Nd}.
    other = pc.replace_substring_regex(values, r"\p{Nd}", "9")
    return pc.if_else(ascii_digits, shaped, other)


def _py(values: pa.Array | None, row: int) -> object:
    return None if values is None else values[row].as_py()


def _clean_row(row: dict[str, Any]) -> dict[str, Any]:
    """A GX failure row with missing values as None (shown empty rather than "<NA>" or "nan")."""
    return {
        k: None if v is None or v is _MISSING[0] or v is _MISSING[1] or (isinstance(v, float) and v != v) else v
        for k, v in row.items()
    }


_MISSING: list[object] = [object(), object()]  # pandas' NA and NaT, filled in once pandas is imported


def _load_missing() -> None:
    import pandas as pd

    _MISSING[:] = [pd.NA, pd.NaT]


# --- registry context ----------------------------------------------------------------------------
class _RegistryView:
    """The registry's answers for whole columns of unit codes (validate.py asks them one unit at a time).

    Intervals are held as numpy arrays in history order (code, start); a column of codes becomes
    positions in `units` with one `get_indexer`, and every answer is an array lookup.
    """

    def __init__(self, registry: Registry, calendar: Calendar):
        import numpy as np
        import pandas as pd

        self.registry = registry
        self.calendar = calendar
        intervals = registry.intervals  # sorted by (code, start): history order
        codes = [u.ma_don_vi for u in intervals]
        owner, units = pd.factorize(np.asarray(codes, dtype=object), sort=False)
        self.units = pd.Index(units)
        self.owner = owner.astype(np.int64)  # interval → unit position
        self.cap = np.asarray([u.cap for u in intervals], dtype=object)
        self.parent = np.asarray([u.ma_cap_tren for u in intervals], dtype=object)
        self.kind = np.asarray([u.loai_hinh for u in intervals], dtype=object)
        self.name = np.asarray([u.ten_don_vi for u in intervals], dtype=object)
        self.start = np.asarray([u.hieu_luc_tu.toordinal() for u in intervals], dtype=np.int64)
        self.end = np.asarray(
            [u.hieu_luc_den.toordinal() if u.hieu_luc_den else date.max.toordinal() for u in intervals], dtype=np.int64
        )
        self.last = np.zeros(len(units), dtype=np.int64)  # unit → its latest interval (history[-1])
        self.last[self.owner] = np.arange(len(intervals))  # later intervals overwrite earlier ones
        self._years: dict[int, dict[str, np.ndarray]] = {}

    def positions(self, codes: pd.Series) -> np.ndarray:
        """Unit position of each code (-1: not in the registry, or no code)."""
        import numpy as np

        values = codes.astype(object).where(codes.notna(), None).to_numpy()
        return np.where(codes.notna().to_numpy(), self.units.get_indexer(values), -1)

    def level(self, units: np.ndarray) -> np.ndarray:
        """The level of each unit's latest interval (validate: `history[-1].cap`), None when unknown."""
        import numpy as np

        return cast("np.ndarray", np.where(units >= 0, self.cap[self.last[np.maximum(units, 0)]], None))

    def year(self, year: int) -> dict[str, np.ndarray]:
        """Per unit position, for a defined year: active days in the period, and the interval in force at its
        end (`as_of`, -1 if none), and the interval validate reads the name and parent from (`as_of or last`)."""
        import numpy as np

        if year not in self._years:
            lo, hi = (d.toordinal() for d in self.calendar.period(year))
            days = np.clip(np.minimum(hi, self.end) - np.maximum(lo, self.start) + 1, 0, None)
            per_unit = np.bincount(self.owner, weights=days, minlength=len(self.units)).astype(np.int64)
            active = np.flatnonzero((self.start <= hi) & (self.end >= hi))
            as_of = np.full(len(self.units), -1, dtype=np.int64)
            as_of[self.owner[active[::-1]]] = active[::-1]  # the first active interval in history order wins
            shown = np.where(as_of >= 0, as_of, self.last)
            self._years[year] = {"days": per_unit, "as_of": as_of, "shown": shown}
        return self._years[year]

    def children(self, year: int) -> pd.DataFrame:
        """(child code, parent code) for every unit active at the end of the year's period."""
        import numpy as np
        import pandas as pd

        as_of = self.year(year)["as_of"]
        rows = as_of[as_of >= 0]
        rows = rows[pd.notna(self.parent[rows])]
        return pd.DataFrame({"code": np.asarray(self.units)[self.owner[rows]], "parent": self.parent[rows]})


# --- Great Expectations --------------------------------------------------------------------------
class BulkValidator:
    """The intake suites (`expectations.SUITES`) in one ephemeral GX context, run lean.

    Same suites and the same answer as `validate.Validator.run` — (expectation meta, failing row)
    pairs, where the row holds the index columns and the expectation's own columns — but without
    a checkpoint, results store or Data Docs, and without GX's `unexpected_index_column_names`,
    which builds each failing row with a pandas lookup: at national scale (every one of 130,000
    reports can carry a warning) those cost several times the checks themselves. Failing rows are
    rebuilt here from GX's unexpected positions. What each run found is kept in `summaries`.
    """

    def __init__(self) -> None:
        import great_expectations as gx

        from expectations import SUITES

        self.context = gx.get_context(mode="ephemeral")
        try:
            from great_expectations.data_context.types.base import ProgressBarsConfig

            self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        except (ImportError, AttributeError):  # the progress-bar switch moved between GX releases
            pass
        source = self.context.data_sources.add_pandas("bulk_intake")
        self._batches = {
            name: source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("frame") for name in SUITES
        }
        self._suites = {name: build() for name, build in SUITES.items()}
        self.summaries: list[dict[str, Any]] = []

    def run(
        self, suite: str, frame: pd.DataFrame, index_columns: list[str]
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Failures as (expectation meta + severity + type, the failing row's index and checked columns)."""
        if frame.empty:
            return []
        frame = frame.reset_index(drop=True)  # GX reports positions as index labels
        batch = self._batches[suite].get_batch(batch_parameters={"dataframe": _numpy_numbers(frame)})
        result = batch.validate(
            self._suites[suite],
            result_format={
                "result_format": "COMPLETE",
                "exclude_unexpected_values": True,  # the rows are rebuilt from the frame below
                "partial_unexpected_count": 0,
                "return_unexpected_index_query": False,
            },
        )
        failed: dict[str, int] = {}
        failures: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for item in result.results:
            if item.success:
                continue
            config = item.expectation_config
            assert config is not None  # every result of a suite run names its expectation
            meta = dict(config.meta or {})
            meta["severity"] = (
                "warning" if str(getattr(config.severity, "value", config.severity)) == "warning" else "error"
            )
            meta["type"] = config.type
            raised = (item.exception_info or {}).get("raised_exception")
            if raised:
                raise RuntimeError(
                    f"expectation {config.type} ({meta.get('rule')}) could not run: "
                    f"{(item.exception_info or {}).get('exception_message')}"
                )
            kwargs = config.kwargs
            columns = [*index_columns]
            for name in ("column_A", "column_B", "column"):
                column = kwargs.get(name)
                if column and column not in columns:
                    columns.append(column)
            positions = item.result.get("unexpected_index_list") or []
            failed[str(meta.get("rule"))] = failed.get(str(meta.get("rule")), 0) + len(positions)
            if not positions:
                continue
            # The same scalars as GX's own row lookup (numpy ints, Timestamps, NA), taken in bulk.
            taken = [list(frame[c].array.take(positions)) for c in columns]
            failures.extend((meta, dict(zip(columns, values, strict=True))) for values in zip(*taken, strict=True))
        self.summaries.append({"suite": suite, "rows": len(frame), "success": bool(result.success), "failed": failed})
        return failures


def _numpy_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with nullable integers as numpy columns where that is exact: GX vectorises range checks
    only for numpy int/float columns and calls Python per value for `Int64` (seconds per million)."""
    import numpy as np
    import pandas as pd

    out = frame.copy(deep=False)
    for name in frame.columns:
        column = frame[name]
        if not isinstance(column.dtype, pd.Int64Dtype):
            continue
        present = column.dropna()
        if len(present) == len(column):
            out[name] = column.to_numpy(dtype=np.int64)
        elif not len(present) or present.abs().max() <= 2**53:  # every value is exactly a float64
            out[name] = column.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


# --- reading a batch -----------------------------------------------------------------------------
class _ValidatorFuture:
    """The GX context, built in a thread while the files are read (its import and setup take seconds)."""

    def __init__(self, validator: _Runner | Callable[[], _Runner] | None):
        import threading

        self.waited = 0.0
        self._value: _Runner | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if validator is not None and hasattr(validator, "run"):
            self._value = cast("_Runner", validator)
            return
        build = cast("Callable[[], _Runner]", validator) if callable(validator) else BulkValidator

        def target() -> None:
            try:
                self._value = build()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread by get()
                self._error = exc

        self._thread = threading.Thread(target=target, name="gx-context", daemon=True)
        self._thread.start()

    def get(self) -> _Runner:
        if self._thread is not None:
            step = time.monotonic()
            self._thread.join()
            self._thread = None
            self.waited += time.monotonic() - step
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value

    @property
    def value(self) -> _Runner | None:
        return self._value


def _open_file(read: _Read) -> None:
    """Safety checks and header: the same refusals, with the same rules and messages, as `pipeline._read`."""
    path = read.file.path
    refusal = check_file(path)
    if refusal:
        read.reject(refusal.rule, refusal.detail_vi, refusal.detail_en)
        return
    try:
        bulk = parse_csv(path)
    except FileRejected as exc:
        rule = {"wrong_type": "file.type", "unreadable": "file.unreadable"}.get(exc.code, f"file.{exc.code}")
        read.reject(rule, exc.message_vi, exc.message_en)
        return
    read.bulk = bulk
    if bulk.kind == SHEET_SUPPORT:
        read.support_csv = True
    else:
        read.form = bulk.form
    from welfare.intake.parse import column_letter

    for pos, f in bulk.columns.items():
        read.letters[f.code] = column_letter(pos)
        read.order[f.code] = pos


def _read_reports(read: _Read, chunk_rows: int) -> None:
    import numpy as np
    import pyarrow as pa

    bulk = read.bulk
    assert bulk is not None

    def consume(chunks: Iterator[_Chunk]) -> tuple[list[np.ndarray], dict[str, list[pa.Array]], list[Any]]:
        lines: list[np.ndarray] = []
        parts: dict[str, list[pa.Array]] = defaultdict(list)
        errors: list[tuple[int, str, object, ParseError]] = []
        offset = 0
        for chunk in chunks:
            lines.append(chunk.lines)
            for code, column in _normalise_chunk(chunk, bulk).items():
                parts[code].append(column.values)
                errors.extend(
                    (offset + int(r), code, text, e)
                    for r, text, e in zip(column.error_rows, column.raw, column.errors, strict=True)
                )
            offset += len(chunk.lines)
        return lines, parts, errors

    try:
        lines, parts, errors = _chunks(bulk, chunk_rows, consume)
    except FileRejected as exc:
        read.reject("file.unreadable", exc.message_vi, exc.message_en)
        return
    read.lines = np.concatenate(lines) if lines else np.empty(0, dtype=np.int64)
    read.values = {
        code: pa.concat_arrays(chunks) if chunks else pa.array([], type=_arrow_type(f))
        for code, f, chunks in ((f.code, f, parts.get(f.code, [])) for f in bulk.columns.values())
    }
    read.errors = errors


# --- support rows --------------------------------------------------------------------------------
@dataclass
class _SupportFinding:
    key: int  # global report key
    row: int  # support row id (file number << 32 | CSV line), for the row rule
    finding: Finding
    parse: bool  # a cell that could not be read (listed before the suites' findings, as validate.py does)
    order: tuple[int, int, int]  # (file, line, column position)


@dataclass
class _SupportFile:
    """What one support file contributes; rebuilt from scratch if the file is read a second time."""

    spool: Path
    attached: np.ndarray
    findings: list[_SupportFinding] = field(default_factory=list)
    people: list[pa.Table] = field(default_factory=list)
    rows: int = 0
    orphans: int = 0
    writer: Any = None
    schema: Any = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _subset_errors(column: _Column, index: np.ndarray) -> tuple[np.ndarray, list[ParseError], list[str]]:
    """The column's errors renumbered to the rows kept (`index`, sorted positions)."""
    import numpy as np

    if not len(column.error_rows):
        return column.error_rows, [], []
    where = np.searchsorted(index, column.error_rows)
    kept = (where < len(index)) & (index[np.minimum(where, len(index) - 1)] == column.error_rows)
    return (
        where[kept].astype(np.int64),
        [e for e, k in zip(column.errors, kept, strict=True) if k],
        [t for t, k in zip(column.raw, kept, strict=True) if k],
    )


class _SupportPass:
    """Support files chunk by chunk: match rows to reports, validate, count people, spool load-ready rows."""

    def __init__(
        self,
        reports: list[_Read],
        calendar: Calendar,
        key: bytes,
        validator: _ValidatorFuture,
        spool_dir: Path,
        n_reports: int,
        chunk_rows: int,
    ):
        import numpy as np
        import pandas as pd

        _load_missing()
        self.calendar = calendar
        self.key = key
        self.validator = validator
        self.spool_dir = spool_dir
        self.chunk_rows = chunk_rows
        self.n_reports = n_reports
        self.seconds: dict[str, float] = {}
        self.timer = _Timer(self.seconds)
        self.attached = np.zeros(n_reports, dtype=np.int64)  # support rows per report (all, dropped or not)
        self.findings: list[_SupportFinding] = []
        self.people: list[pa.Table] = []
        self.spools: list[Path] = []
        self.total_rows = 0
        self._file_number = 0
        self.is_cdcs = np.zeros(n_reports, dtype=bool)
        self.years = np.zeros(n_reports, dtype=np.int64)  # 0: none
        # (unit, year) → report key per folder; the last report wins, as in pipeline._attach_bulk_support.
        self.targets: dict[Path, pd.Series] = {}
        for read in reports:
            keys = np.arange(read.key_offset, read.key_offset + read.rows)
            self.is_cdcs[keys] = read.form == Form.CDCS
            units, years = read.values.get("ma_don_vi"), read.values.get("nam_bao_cao")
            if years is not None:
                self.years[keys] = _int32_or_zero(years)
            if units is None or years is None:
                continue
            frame = pd.DataFrame({"unit": units.to_pandas().astype(object), "year": self.years[keys], "key": keys})
            frame = frame[frame["unit"].notna() & (frame["year"] != 0)]
            labels = (frame["unit"] + "\x1f" + frame["year"].astype(str)).to_numpy()
            series = pd.Series(frame["key"].to_numpy(), index=labels)
            folder = read.file.path.parent
            if folder in self.targets:
                series = pd.concat([self.targets[folder], series])
            self.targets[folder] = series[~series.index.duplicated(keep="last")]

    def run(self, read: _Read) -> None:
        import numpy as np

        bulk = read.bulk
        assert bulk is not None
        self._file_number += 1
        number = self._file_number
        spool = self.spool_dir / f"support-{number}.arrow"

        def consume(chunks: Iterator[_Chunk]) -> _SupportFile:
            part = _SupportFile(spool, np.zeros(self.n_reports, dtype=np.int64))
            try:
                for chunk in self.timer.iterate("read", chunks):
                    self._chunk(read, bulk, chunk, part, number)
            finally:
                part.close()
            return part

        try:
            part: _SupportFile = _chunks(bulk, self.chunk_rows, consume)
        except FileRejected as exc:
            read.reject("file.unreadable", exc.message_vi, exc.message_en)
            return
        self.total_rows += part.rows
        read.support_rows, read.orphans = part.rows, part.orphans
        self.attached += part.attached
        self.findings += part.findings
        self.people += part.people
        if part.schema is not None:
            self.spools.append(spool)
        if part.orphans:
            read.reject(
                "file.support_without_report",
                f"{part.orphans} dòng hỗ trợ không thuộc báo cáo nào trong cùng thư mục (cdcs_reports.csv); "
                "hãy gửi kèm tệp báo cáo của các đơn vị đó.",
                f"{part.orphans} support rows belong to no report in the same folder (cdcs_reports.csv); "
                "send them with those units' report file.",
            )
        else:
            read.state = "accepted"  # its rows load with their reports; it holds no report of its own

    def _chunk(self, read: _Read, bulk: BulkCsv, chunk: _Chunk, part: _SupportFile, number: int) -> None:
        import numpy as np
        import pyarrow as pa

        with self.timer("read"):
            n = len(chunk.lines)
            columns = _normalise_chunk(chunk, bulk)
            part.rows += n
            # pipeline: (str(unit.value) if unit else "", year.value if year else 0)
            units = columns["ma_don_vi"].values.to_pandas().astype(object)
            years = columns["nam_bao_cao"].values.to_pandas()
            labels = (
                units.where(units.notna(), "None").astype(str)
                + "\x1f"
                + years.astype("Int64").astype(str).where(years.notna(), "0")
            ).to_numpy()
            targets = self.targets.get(read.file.path.parent)
            if targets is None or targets.empty:
                part.orphans += n
                return
            found = targets.index.get_indexer(labels)
            keys = np.where(found >= 0, targets.to_numpy()[np.maximum(found, 0)], -1)
            part.orphans += int((keys < 0).sum())
            # Rows matched to an upper-level report are neither checked nor loaded (as in pipeline).
            mine = (keys >= 0) & self.is_cdcs[np.maximum(keys, 0)]
            np.add.at(part.attached, keys[mine], 1)
            if not mine.any():
                return
            index = np.flatnonzero(mine)
            take = pa.array(index)
            sub = {code: _Column(c.values.take(take), *_subset_errors(c, index)) for code, c in columns.items()}
            keys, lines = keys[index], chunk.lines[index]
            row_ids = (np.int64(number) << 32) | lines
            self._parse_findings(read, sub, keys, lines, row_ids, part, number)
            self._people(sub, keys, part)
        with self.timer("validate"):
            self._validate(read, sub, keys, lines, row_ids, part, number)
        with self.timer("pseudonymise"):
            self._spool(sub, keys, lines, row_ids, part)

    def _parse_findings(
        self,
        read: _Read,
        columns: dict[str, _Column],
        keys: np.ndarray,
        lines: np.ndarray,
        row_ids: np.ndarray,
        part: _SupportFile,
        number: int,
    ) -> None:
        from welfare.intake.validate import _PARSE_RULES, _finding

        for code, column in columns.items():
            if code in ("ma_don_vi", "nam_bao_cao"):
                continue  # they name the report; pipeline drops them from the row before validating
            for pos, text, error in zip(column.error_rows, column.raw, column.errors, strict=True):
                p = int(pos)
                check = _PARSE_RULES.get(error.code, "number")
                cell = CellRef(read.name, int(lines[p]), read.letters[code], code)
                finding = _finding(f"{code}.{check}", "error", code, cell, text, "parse", extra=error.detail)
                part.findings.append(
                    _SupportFinding(
                        int(keys[p]), int(row_ids[p]), finding, True, (number, int(lines[p]), read.order[code])
                    )
                )

    def _people(self, columns: dict[str, _Column], keys: np.ndarray, part: _SupportFile) -> None:
        """Distinct people per report as validate._person_key: the ID, else the folded name and birth year."""
        import pyarrow as pa
        import pyarrow.compute as pc

        n = len(keys)
        name, birth, ident = columns.get("ho_ten"), columns.get("nam_sinh"), columns.get("so_dinh_danh")
        ids = ident.values if ident is not None else pa.nulls(n, pa.string())
        person = pc.binary_join_element_wise("id:", ids, "")
        if name is not None:
            by_name = pc.and_(pc.is_null(ids), pc.is_valid(name.values))
            if pc.any(by_name).as_py():
                # f"name:{fold(name)}:{birth.value if birth else ''}" — a missing year reads "None"
                born = (
                    pc.fill_null(pc.cast(birth.values, pa.string()), "None")
                    if birth is not None
                    else pa.array([""] * n, pa.string())
                )
                folded = pc.replace_with_mask(
                    pa.nulls(n, pa.string()), by_name, fold_column(name.values.filter(by_name))
                )
                person = pc.coalesce(person, pc.binary_join_element_wise("name", folded, born, ":"))
        known = pc.is_valid(person)
        table = pa.table({"key": pa.array(keys), "person": person}).filter(known)
        if table.num_rows:
            part.people.append(table.group_by(["key", "person"]).aggregate([]))

    def _validate(
        self,
        read: _Read,
        columns: dict[str, _Column],
        keys: np.ndarray,
        lines: np.ndarray,
        row_ids: np.ndarray,
        part: _SupportFile,
        number: int,
    ) -> None:
        import numpy as np
        import pandas as pd
        import pyarrow as pa
        import pyarrow.compute as pc

        from welfare.intake.validate import _finding, _shown

        with self.timer("validate.support_frames"):
            n = len(keys)
            frame = pd.DataFrame({"_key": keys, "_row": np.arange(n)})
            for f in SUPPORT_FIELDS:
                column = columns.get(f.code)
                values = None if column is None else column.values
                if f.code == "so_dinh_danh" and values is not None:
                    values = _digit_shape(values)  # the shape is validated, never the number
                elif f.code == "ho_ten" and values is not None:
                    values = pc.if_else(pc.is_valid(values), "x", pa.scalar(None, pa.string()))
                frame[f.code] = _series(values, n, f.kind)
            years = self.years[keys]
            latest = pd.array(years - 15, dtype="Int64")
            latest[years == 0] = pd.NA
            frame["_latest_birth_year"] = latest
            start = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
            end = start.copy()
            for year in np.unique(years):
                if year and self.calendar.is_defined(int(year)):
                    lo, hi = self.calendar.period(int(year))
                    start[years == year] = np.datetime64(lo, "us")
                    end[years == year] = np.datetime64(hi, "us")
            frame["_period_start"] = start
            frame["_period_end"] = end
            programme = columns["chuong_trinh"].values if "chuong_trinh" in columns else pa.nulls(n, pa.string())
            caps = pa.array(list(PROGRAMME_CAPS.values()), pa.int64()).take(
                pc.index_in(programme, value_set=pa.array(list(PROGRAMME_CAPS), pa.string()))
            )
            frame["_programme_cap"] = _series(caps, n, Kind.MONEY)

        runner = self.validator.get()
        with self.timer("validate.support_gx"):
            failures = runner.run("cdcs_hotro", frame, ["_key", "_row"])
        for meta, failed in failures:
            row = _clean_row(failed)
            p = int(row["_row"])
            code: str | None = meta.get("field")
            column = columns.get(code) if code else None
            cell = CellRef(read.name, int(lines[p]), read.letters[code], code) if code and column is not None else None
            value = _py(column.values, p) if column is not None else None
            extra: object = ""
            year = int(years[p])
            if meta["rule"] == "so_tien.programme_cap":
                extra = _shown(None, row.get("_programme_cap"))
            elif meta["rule"] == "nam_sinh.birth_year":
                extra = str(row.get("_latest_birth_year") or "")
            elif meta["rule"] == "ngay_ho_tro.in_period" and year:
                lo, hi = self.calendar.period(year)
                extra = f"{lo:%d/%m/%Y}–{hi:%d/%m/%Y}"
            finding = _finding(meta["rule"], meta["severity"], code, cell, value, meta["type"], extra=extra)
            part.findings.append(
                _SupportFinding(int(keys[p]), int(row_ids[p]), finding, False, (number, int(lines[p]), 0))
            )

    def _spool(
        self, columns: dict[str, _Column], keys: np.ndarray, lines: np.ndarray, row_ids: np.ndarray, part: _SupportFile
    ) -> None:
        """Load-ready rows, IDs already pseudonymised, to disk: the load streams them back by report state."""
        import pyarrow as pa

        n = len(keys)
        arrays: dict[str, pa.Array] = {
            "_key": pa.array(keys),
            "_row_id": pa.array(row_ids),
            "source_row": pa.array(lines),
            "ma_don_vi": columns["ma_don_vi"].values,
            "nam_bao_cao": columns["nam_bao_cao"].values,
        }
        ident = columns.get("so_dinh_danh")
        if ident is not None and ident.values.null_count < n:
            encoded = ident.values.dictionary_encode()
            # welfare.intake.pseudonym.pseudonym, one-shot: HMAC-SHA256(key, id) as hex.
            aliases = [
                hmac.digest(self.key, str(t).encode("utf-8"), "sha256").hex() for t in encoded.dictionary.to_pylist()
            ]
            arrays["nguoi_pseudonym"] = pa.array(aliases, type=pa.string()).take(encoded.indices)
        else:
            arrays["nguoi_pseudonym"] = pa.nulls(n, pa.string())
        for f in RAW_TABLES["support_cases"]:
            column = columns.get(f.code)
            arrays[f.code] = column.values if column is not None else pa.nulls(n, _arrow_type(f))
        name = columns.get("ho_ten")
        arrays["ho_ten"] = name.values if name is not None else pa.nulls(n, pa.string())
        table = pa.table(arrays)
        if part.writer is None:
            part.schema = table.schema
            part.writer = pa.ipc.new_file(str(part.spool), part.schema)
        part.writer.write_table(table.cast(part.schema))

    def support_people(self) -> dict[int, int]:
        import pyarrow as pa

        if not self.people:
            return {}
        pairs = pa.concat_tables(self.people).group_by(["key", "person"]).aggregate([])
        counts = pairs.group_by("key").aggregate([("person", "count")])
        return dict(zip(counts.column("key").to_pylist(), counts.column("person_count").to_pylist(), strict=True))


def _int32_or_zero(values: pa.Array) -> np.ndarray:
    """Years as int64 with 0 for none; values no year can be (beyond int32) count as none."""
    import numpy as np
    import pyarrow.compute as pc

    data = pc.fill_null(values, 0).to_numpy(zero_copy_only=False).astype(np.int64)
    return np.where(np.abs(data) < 2**31, data, 0)


# --- reports -------------------------------------------------------------------------------------
class _ReportView:
    """What `validate._extra` reads from a report, for one failing row."""

    __slots__ = ("_read", "_row", "form", "received_at", "unit_code", "year")

    def __init__(self, read: _Read, row: int):
        self._read, self._row = read, row
        self.form = read.form
        self.received_at = read.file.received_at
        units, years = read.python("ma_don_vi"), read.python("nam_bao_cao")
        unit = None if units is None else units[row]
        year = None if years is None else years[row]
        self.unit_code = None if unit is None else str(unit)
        self.year = year if isinstance(year, int) else None

    def value(self, code: str) -> Any:
        column = self._read.python(code)
        return None if column is None else column[self._row]


class _Previous:
    """`Context.previous` for the few rows whose message needs last year's figure."""

    def __init__(self, frame: pd.DataFrame | None):
        self._frame = frame

    def get(self, key: tuple[str, str, int], default: Any = None) -> Any:
        form, unit, year = key
        if self._frame is None or form != "CDCS":
            return default
        try:
            row = self._frame.loc[(unit, year)]
        except KeyError:
            return default
        return {k: (None if v != v else int(v)) for k, v in row.items()}


_HISTORY_FIELDS = tuple(f.code for f in CDCS_FIGURES if f.kind in (Kind.COUNT, Kind.MONEY))


def _history_frame(conn: psycopg.Connection | None, years: set[int]) -> pd.DataFrame | None:
    """Counted CDCS figures already in the warehouse for `years` and the years before (pipeline._history)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if conn is None or not years:
        return None
    wanted = sorted(years | {y - 1 for y in years})
    columns = ["unit_code", "reporting_year", *_HISTORY_FIELDS]
    query = f"""
        copy (select s.unit_code, s.reporting_year, {", ".join("r." + c for c in _HISTORY_FIELDS)}
              from audit.submissions as s
              join raw.cdcs_reports as r on r.submission_id = s.submission_id
              where s.form = 'CDCS' and s.state in ('accepted', 'accepted_with_warnings')
                and not s.is_superseded and s.reporting_year = any(array[{", ".join(str(int(y)) for y in wanted)}]::int[])
        ) to stdout (format csv)"""
    buffer = io.BytesIO()
    with conn.cursor().copy(query) as copy:
        for data in copy:
            buffer.write(data)
    if not buffer.tell():
        return None
    buffer.seek(0)
    types = {"unit_code": pa.string()} | {c: pa.int64() for c in columns[1:]}
    table = pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=columns),
        convert_options=pacsv.ConvertOptions(column_types=types),
    )
    frame = table.to_pandas().drop_duplicates(["unit_code", "reporting_year"], keep="last")
    return frame.set_index(["unit_code", "reporting_year"])


class _ReportChecker:
    """The ThongTin and ChiTieu suites over every report of the batch, one GX run per suite and form."""

    def __init__(
        self,
        reports: list[_Read],
        view: _RegistryView,
        calendar: Calendar,
        validator: _ValidatorFuture,
        conn: psycopg.Connection | None,
        n_reports: int,
    ):
        self.reports = reports
        self.view = view
        self.calendar = calendar
        self.validator = validator
        self.conn = conn
        self.n_reports = n_reports
        self.history: pd.DataFrame | None = None
        self.batch_grassroots: pd.DataFrame | None = None
        self.seconds: dict[str, float] = {}
        self.timer = _Timer(self.seconds, "validate.reports_")
        self._offsets = [r.key_offset for r in reports]

    def _locate(self, key: int) -> tuple[_Read, int]:
        import bisect

        read = self.reports[bisect.bisect_right(self._offsets, key) - 1]
        if not 0 <= key - read.key_offset < read.rows:
            raise KeyError(key)
        return read, key - read.key_offset

    def run(self, support: _SupportPass) -> tuple[dict[int, list[Finding]], np.ndarray, np.ndarray]:
        """Every report's findings (validate.py's order), its state, and the support rows the row rule drops."""
        import numpy as np

        _load_missing()
        years = {int(y) for y in np.unique(support.years) if y}
        with self.timer("history"):
            self.history = _history_frame(self.conn, years)
        with self.timer("parse"):
            parse = self._parse_findings()
        suites: dict[int, list[Finding]] = defaultdict(list)
        support_parse: dict[int, list[_SupportFinding]] = defaultdict(list)
        support_suite: dict[int, list[_SupportFinding]] = defaultdict(list)
        for item in support.findings:
            (support_parse if item.parse else support_suite)[item.key].append(item)
        people = support.support_people()
        findings: dict[int, list[Finding]] = {}
        dropped: list[int] = []
        states = np.full(self.n_reports, "accepted", dtype=object)

        def settle(first: int, end: int) -> None:
            """Findings in validate.py's order, the row rule, and the state, for reports first ≤ key < end."""
            sources = (parse, support_parse, suites, support_suite)
            keys = sorted({k for source in sources for k in source if first <= k < end})
            for k in keys:
                items = sorted(support_parse.get(k, []), key=lambda s: s.order)
                found = (
                    parse.get(k, [])
                    + [s.finding for s in items]
                    + suites.get(k, [])
                    + [s.finding for s in support_suite.get(k, [])]
                )
                if items or k in support_suite:
                    dropped.extend(_row_rule(found, items + support_suite.get(k, []), int(support.attached[k])))
                if found:
                    findings[k] = found
                    if any(f.severity == "error" for f in found):
                        states[k] = "rejected"
                    elif any(f.severity == "warning" for f in found):
                        states[k] = "accepted_with_warnings"

        for form in (Form.CDCS, Form.CAPTREN):
            mine = [r for r in self.reports if r.form == form and r.rows]
            if not mine:
                continue
            if form == Form.CAPTREN:
                self.batch_grassroots = self._grassroots(states)
            prefix = form.value.lower()
            with self.timer("frames"):
                info = self._info_frame(mine)
            self._run(f"{prefix}_thongtin", info, suites)
            with self.timer("frames"):
                figures = self._figures_frame(mine, form, people, support)
            self._run(f"{prefix}_chitieu", figures, suites)
            with self.timer("settle"):
                for r in mine:
                    settle(r.key_offset, r.key_offset + r.rows)
        return findings, states, np.asarray(sorted(dropped), dtype=np.int64)

    # -- parse errors of the report cells (validate.parse_findings) ------------------------------
    def _parse_findings(self) -> dict[int, list[Finding]]:
        from welfare.intake.validate import _PARSE_RULES, _finding, _numeric

        info_codes = {f.code for f in INFO_FIELDS}
        out: dict[int, list[Finding]] = defaultdict(list)
        for read in self.reports:
            assert read.lines is not None
            ordered = sorted(read.errors, key=lambda e: (e[0], e[1] not in info_codes, read.order[e[1]]))
            for row, code, raw, error in ordered:
                if error.code == "bad_flag" and _numeric(raw) is not None:
                    continue  # a numeric flag such as 2 is left for the suite's `.flag` rule
                check = _PARSE_RULES.get(error.code, "number")
                severity = "warning" if code == "email" else "error"
                cell = CellRef(read.name, int(read.lines[row]), read.letters[code], code)
                out[read.key_offset + row].append(
                    _finding(f"{code}.{check}", severity, code, cell, raw, "parse", extra=error.detail)
                )
        return out

    # -- frames -----------------------------------------------------------------------------------
    def _base(self, read: _Read) -> dict[str, Any]:
        import numpy as np

        return {"_key": np.arange(read.key_offset, read.key_offset + read.rows, dtype=np.int64)}

    def _years(self, frame: pd.DataFrame) -> pd.Series:
        return frame["nam_bao_cao"] if "nam_bao_cao" in frame else frame["_year"]

    def _info_frame(self, reads: list[_Read]) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        parts = []
        for read in reads:
            n = read.rows
            part = self._base(read)
            for f in INFO_FIELDS:
                if f.code not in _PERSONAL_INFO:
                    part[f.code] = _series(read.values.get(f.code), n, f.kind)
            part["_received_year"] = np.full(n, read.file.received_at.year, dtype=np.int64)
            part["_received_date"] = np.full(n, np.datetime64(read.file.received_at.date(), "us"))
            parts.append(pd.DataFrame(part))
        frame = pd.concat(parts, ignore_index=True)
        units = self.view.positions(frame["ma_don_vi"])
        frame["_registry_level"] = self.view.level(units)
        n = len(frame)
        days = pd.array([pd.NA] * n, dtype="Int64")
        registry_name = np.full(n, None, dtype=object)
        registry_parent = np.full(n, None, dtype=object)
        years = frame["nam_bao_cao"]
        for year in years.dropna().unique():
            year = int(year)
            if not self.calendar.is_defined(year):
                continue
            rows = (years == year).fillna(False).to_numpy(dtype=bool) & (units >= 0)
            if not rows.any():
                continue
            table = self.view.year(year)
            wanted = units[rows]
            days[rows] = table["days"][wanted]
            registry_name[rows] = self.view.name[table["shown"][wanted]]
            registry_parent[rows] = self.view.parent[table["shown"][wanted]]
        registry_name = pd.Series(registry_name, dtype=object)
        registry_parent = pd.Series(registry_parent, dtype=object)
        frame["_active_days_in_period"] = days
        names = frame["ten_don_vi"].astype(object).where(frame["ten_don_vi"].notna(), None)
        # Fold only where the two names differ: equal text folds to equal keys, so the check is unchanged.
        differ = ~((names == registry_name).fillna(False).to_numpy(dtype=bool))
        folded_name = names.copy()
        folded_registry = registry_name.copy()
        if differ.any():
            import pyarrow as pa

            folded_name[differ] = fold_column(pa.array(names[differ].tolist(), pa.string())).to_pylist()
            folded_registry[differ] = fold_column(pa.array(registry_name[differ].tolist(), pa.string())).to_pylist()
        frame["_registry_name_folded"] = folded_registry.where(registry_name.notna(), None)
        frame["_registry_parent"] = registry_parent
        frame["_ten_don_vi_folded"] = folded_name.where(names.notna(), None)
        return frame

    def _figures_frame(
        self, reads: list[_Read], form: Form, people: dict[int, int], support: _SupportPass
    ) -> pd.DataFrame:
        import numpy as np
        import pandas as pd
        import pyarrow.compute as pc

        from welfare.intake.validate import _numeric

        fields = CDCS_FIGURES if form == Form.CDCS else CAPTREN_FIGURES
        parts = []
        for read in reads:
            n = read.rows
            part = self._base(read)
            for f in fields:
                values = read.values.get(f.code)
                if f.kind == Kind.FLAG and values is not None:
                    # validate: an unreadable flag counts by its number (2 → the `.flag` rule), else an empty cell is 0
                    numbers = pc.fill_null(values, 0).to_numpy(zero_copy_only=False).astype(np.int64)
                    for row, code, raw, _error in read.errors:
                        if code == f.code:
                            numeric = _numeric(raw)
                            numbers[row] = int(numeric) if numeric is not None else 0
                    part[f.code] = pd.Series(pd.array(numbers, dtype="Int64"))
                else:
                    part[f.code] = _series(values, n, f.kind)
            units = read.values.get("ma_don_vi")
            part["_unit"] = _series(units, n, Kind.TEXT).astype(object)
            part["_year"] = support.years[part["_key"]]
            parts.append(pd.DataFrame(part))
        frame = pd.concat(parts, ignore_index=True)
        years = frame.pop("_year").to_numpy()
        units = frame.pop("_unit")
        period_end = np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[us]")
        for year in np.unique(years):
            if year and self.calendar.is_defined(int(year)):
                period_end[years == year] = np.datetime64(self.calendar.period_end(int(year)), "us")
        frame["_period_end"] = period_end
        if form == Form.CDCS:
            gifts, value = frame["so_suat_qua_tet"], frame["gia_tri_qua_tet"]
            ok = (gifts > 0).fillna(False) & value.notna()
            average = pd.Series(np.nan, index=frame.index, dtype=float)
            average[ok] = value[ok].astype(float) / gifts[ok].astype(float)
            frame["_average_gift"] = average
            keys = frame["_key"].to_numpy()
            attached = support.attached[keys] > 0
            counts = np.array([people.get(int(k), 0) for k in keys[attached]], dtype=np.int64)
            support_people = pd.array([pd.NA] * len(frame), dtype="Int64")
            support_people[attached] = counts
            frame["_support_people"] = support_people
            self._year_over_year(frame, units, years, fields)
            self._outliers(frame, units, years)
        else:
            frame["_declared_vs_grassroots"] = self._declared_ratio(frame, units, years)
        return frame

    def _year_over_year(
        self, frame: pd.DataFrame, units: pd.Series, years: np.ndarray, fields: Sequence[Field]
    ) -> None:
        import numpy as np
        import pandas as pd

        counts = [f.code for f in fields if f.kind == Kind.COUNT]
        previous = None
        if self.history is not None:
            wanted = pd.MultiIndex.from_arrays([units.fillna(""), years - 1])
            previous = self.history.reindex(wanted)
        for code in counts:
            column = pd.Series(np.nan, index=frame.index, dtype=float)
            if previous is not None and code in previous:
                now = frame[code].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
                before = previous[code].to_numpy(dtype=float, na_value=np.nan)
                both = ~np.isnan(now) & ~np.isnan(before) & (years != 0)
                hi, lo = np.fmax(now, before), np.fmin(now, before)
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = np.where(lo <= 0, np.inf, hi / np.where(lo <= 0, 1, lo))
                column[:] = np.where(both & (hi >= YOY_MIN_BASE), ratio, np.nan)
            frame[f"_yoy_{code}"] = column

    def _groups(self, units: pd.Series, years: np.ndarray) -> pd.Series:
        """validate._group: (upper level, unit type, year) at the period's end; unknown → (None, None, year)."""
        import numpy as np
        import pandas as pd

        positions = self.view.positions(units)
        parent = np.full(len(units), None, dtype=object)
        kind = np.full(len(units), None, dtype=object)
        for year in pd.unique(years):
            if not year or not self.calendar.is_defined(int(year)):
                continue
            rows = (years == year) & (positions >= 0)
            as_of = self.view.year(int(year))["as_of"][positions[rows]]
            known = as_of >= 0
            parent[np.flatnonzero(rows)[known]] = self.view.parent[as_of[known]]
            kind[np.flatnonzero(rows)[known]] = self.view.kind[as_of[known]]
        labels = pd.Series(parent).astype(str) + "|" + pd.Series(kind).astype(str) + "|" + pd.Series(years).astype(str)
        labels.index = units.index
        return labels

    def _outliers(self, frame: pd.DataFrame, units: pd.Series, years: np.ndarray) -> None:
        """Modified z-scores as validate._add_outlier_scores: log1p, per group, pooled with warehouse peers."""
        import numpy as np
        import pandas as pd

        groups = self._groups(units, years)
        peers = None
        if self.history is not None:
            same = self.history.reset_index()
            same = same[same["reporting_year"].isin([int(y) for y in np.unique(years) if y])]
            if not same.empty:
                same_groups = self._groups(same["unit_code"].astype(object), same["reporting_year"].to_numpy())
                batch_pairs = set(zip(groups, units, strict=True))
                keep = [(g, u) not in batch_pairs for g, u in zip(same_groups, same["unit_code"], strict=True)]
                peers = same.loc[keep].assign(_group=same_groups[keep].to_numpy())
        for code in OUTLIER_FIELDS:
            values = frame[code].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            pool = pd.DataFrame({"group": groups.to_numpy(), "v": values})
            if peers is not None:
                pool = pd.concat([pool, pd.DataFrame({"group": peers["_group"], "v": peers[code].astype(float)})])
            pool = pool[pool["v"].notna()]
            pool["v"] = np.log1p(np.maximum(pool["v"].to_numpy(), 0))
            by = pool.groupby("group")["v"]
            median = by.median()
            size = by.size()
            mad = (pool["v"] - pool["group"].map(median)).abs().groupby(pool["group"]).median()
            usable = (size >= OUTLIER_MIN_GROUP) & (mad != 0)
            m = groups.map(median.where(usable)).to_numpy(dtype=float)
            d = groups.map(mad.where(usable)).to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                scores = 0.6745 * (np.log1p(np.maximum(values, 0)) - m) / d
            frame[f"_mz_{code}"] = scores

    def _grassroots(self, states: np.ndarray) -> pd.DataFrame:
        """This batch's grassroots reports without errors (validate._add_batch_grassroots)."""
        import pandas as pd

        rows = []
        for read in self.reports:
            if read.form != Form.CDCS or not read.rows:
                continue
            keys = slice(read.key_offset, read.key_offset + read.rows)
            part = pd.DataFrame(
                {
                    "unit": _series(read.values.get("ma_don_vi"), read.rows, Kind.TEXT).astype(object),
                    "year": _series(read.values.get("nam_bao_cao"), read.rows, Kind.INT),
                    "members": _series(read.values.get("tong_doan_vien"), read.rows, Kind.COUNT),
                    "ok": states[keys] != "rejected",
                }
            )
            rows.append(part[part["ok"] & part["unit"].notna() & part["year"].notna() & (part["year"] != 0)])
        if not rows:
            return pd.DataFrame(columns=["unit", "year", "members"])
        return pd.concat(rows, ignore_index=True).drop_duplicates(["unit", "year"], keep="last")

    def _declared_ratio(self, frame: pd.DataFrame, units: pd.Series, years: np.ndarray) -> pd.Series:
        """validate._declared_ratio: declared members / members of the children's counted reports."""
        import numpy as np
        import pandas as pd

        declared = frame["tong_doan_vien_khoi_co_so"]
        out = pd.Series(np.nan, index=frame.index, dtype=float)
        same = pd.DataFrame(columns=["unit", "year", "members"])
        if self.history is not None:
            hist = self.history.reset_index()
            same = pd.DataFrame(
                {"unit": hist["unit_code"], "year": hist["reporting_year"], "members": hist["tong_doan_vien"]}
            )
        if self.batch_grassroots is not None and not self.batch_grassroots.empty:
            same = pd.concat([same, self.batch_grassroots[["unit", "year", "members"]]], ignore_index=True)
        same = same.drop_duplicates(["unit", "year"], keep="last")
        for year in np.unique(years):
            if not year or not self.calendar.is_defined(int(year)):
                continue
            children = self.view.children(int(year))
            members = same[same["year"] == year].set_index("unit")["members"]
            counted = children.assign(members=children["code"].map(members).fillna(0).astype("int64"))
            totals = counted.groupby("parent")["members"].sum()
            rows = (years == year) & declared.notna().to_numpy() & units.notna().to_numpy()
            total = units[rows].map(totals).fillna(0).to_numpy(dtype=float)
            ratio = np.where(
                total != 0, declared[rows].astype(float).to_numpy() / np.where(total != 0, total, 1), np.nan
            )
            out[rows] = ratio
        return out

    # -- GX and mapping back -----------------------------------------------------------------------
    def _run(self, suite: str, frame: pd.DataFrame, out: dict[int, list[Finding]]) -> None:
        from welfare.intake.validate import _extra, _finding, _shown

        ctx = Context(self.view.registry, _Previous(self.history), {}, self.calendar)  # type: ignore[arg-type]
        runner = self.validator.get()
        with self.timer("gx"):
            failures = runner.run(suite, frame, ["_key"])
        with self.timer("map"):
            for meta, failed in failures:
                row = _clean_row(failed)
                key = int(row["_key"])
                read, index = self._locate(key)
                assert read.lines is not None
                code: str | None = meta.get("field")
                column = read.python(code) if code else None
                cell = (
                    CellRef(read.name, read.line(index), read.letters[code], code)
                    if code and column is not None
                    else None
                )
                value = row.get(code) if code in row else (column[index] if column is not None else None)
                other = meta.get("other", "")
                report = cast(Any, _ReportView(read, index))
                extra = row.get(other) if other else _extra(meta["rule"], report, row, ctx)
                out[key].append(
                    _finding(
                        meta["rule"],
                        meta["severity"],
                        code,
                        cell,
                        value,
                        meta["type"],
                        other,
                        _shown(other, extra) if other else extra,
                    )
                )


def _row_rule(findings: list[Finding], support: list[_SupportFinding], total: int) -> list[int]:
    """≤ 5 % bad support rows: drop them and warn; more: reject (validate._apply_row_rule). Returns rows dropped."""
    from welfare.intake.validate import _finding

    bad = {s.row for s in support if s.finding.severity == "error"}
    if not bad:
        return []
    if len(bad) <= ROW_ERROR_SHARE * total:
        for s in support:
            if s.row in bad and s.finding.severity == "error":
                f = s.finding
                f.severity = "warning"
                f.message_vi += " Dòng này đã bị loại, các dòng khác được nạp."
                f.message_en += " The row was dropped; the other rows were loaded."
        return sorted(bad)
    findings.append(_finding("hotro.bad_row_share", "error", None, None, f"{len(bad)}/{total}", "row_share"))
    return []


# --- the batch -----------------------------------------------------------------------------------
@dataclass
class BulkBatch:
    """Bulk files read and validated, nothing written yet; `load` writes them inside a transaction."""

    files: list[_Read]
    findings: dict[int, list[Finding]]  # global report key → findings, in validate.py's order
    states: np.ndarray  # global report key → state
    dropped: np.ndarray  # support row ids the ≤ 5 % rule dropped
    spools: list[Path]
    seconds: dict[str, float]
    counts: dict[str, int]
    validator: _Runner | None
    raw_rows: dict[str, int] = field(default_factory=dict)
    _spool_dir: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> BulkBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Delete the spool of pseudonymised support rows."""
        if self._spool_dir is not None:
            self._spool_dir.cleanup()
            self._spool_dir = None

    def report_states(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for state in self.states:
            out[str(state)] += 1
        return dict(out)

    def load(
        self,
        conn: psycopg.Connection,
        batch_id: int,
        *,
        settings: Settings | None = None,
        calendar: Calendar = DEFAULT_CALENDAR,
        fast_foreign_keys: bool | None = None,
    ) -> list[FileOutcome]:
        """Write the batch (audit, raw, restricted) in one transaction — a savepoint when the caller
        already holds one — under intake's advisory lock; the originals are archived first.

        `fast_foreign_keys`: skip the per-row foreign-key triggers of the COPYs (session_replication_role)
        and check the references once instead; None = when the role may and no other trigger exists."""
        if self._spool_dir is None and self.spools:
            raise RuntimeError("this bulk batch was closed; prepare it again to load it")
        with _Timer(self.seconds)("load"):
            return _load(conn, self, batch_id, settings or get_settings(), calendar, fast_foreign_keys)


def prepare_bulk(
    files: Sequence[BulkFile],
    *,
    registry: Registry,
    key: bytes,
    conn: psycopg.Connection | None = None,
    calendar: Calendar = DEFAULT_CALENDAR,
    settings: Settings | None = None,
    validator: _Runner | Callable[[], _Runner] | None = None,
    history: bool = True,
    chunk_rows: int = CHUNK_ROWS,
) -> BulkBatch:
    """Read, normalise and validate registered bulk files; nothing is written to the warehouse.

    `conn` (read only) gives last year's figures and this year's peers for the year-over-year and
    outlier warnings; without it, or with `history=False`, those warnings are not computed.
    `validator` is a `Validator` (e.g. the batch's, for one Data Docs site) or a factory; by
    default one is built in a thread while the files are read.
    """
    settings = settings or get_settings()
    seconds: dict[str, float] = {}
    timer = _Timer(seconds)
    started = time.monotonic()
    future = _ValidatorFuture(validator)
    reads = [_Read(f, state=f.state, reasons=list(f.reasons)) for f in files]
    offset = 0
    with timer("read"):
        for read in reads:
            if read.state is not None:
                continue
            _open_file(read)
            if read.state is None and read.form is not None:
                read.key_offset = offset
                _read_reports(read, chunk_rows)
                offset += read.rows
    seconds["rss_mb.after_reports"] = _rss_mb()
    reports = [r for r in reads if r.form is not None and r.state is None]

    spool_root = settings.data_dir / "tmp"
    spool_root.mkdir(parents=True, exist_ok=True)
    spool_dir = tempfile.TemporaryDirectory(prefix="bulk-", dir=spool_root)
    try:
        support = _SupportPass(reports, calendar, key, future, Path(spool_dir.name), offset, chunk_rows)
        for read in reads:
            if read.state is None and read.support_csv:
                support.run(read)
        seconds["rss_mb.after_support"] = _rss_mb()
        with timer("validate"):
            view = _RegistryView(registry, calendar)
            checker = _ReportChecker(reports, view, calendar, future, conn if history else None, offset)
            findings, states, dropped = checker.run(support)
        seconds["rss_mb.after_validate"] = _rss_mb()
    except BaseException:
        spool_dir.cleanup()
        raise
    for name, value in (*support.seconds.items(), *checker.seconds.items()):
        seconds[name] = seconds.get(name, 0.0) + value
    seconds["validate.waiting_for_gx"] = future.waited
    seconds["prepare"] = time.monotonic() - started
    counts = {
        "files": len(files),
        "reports": offset,
        "support_rows": support.total_rows,
        "support_rows_attached": int(support.attached.sum()),
        "support_rows_dropped": len(dropped),
    }
    return BulkBatch(
        reads, findings, states, dropped, support.spools, seconds, counts, future.value, _spool_dir=spool_dir
    )


# --- load ----------------------------------------------------------------------------------------
def _copy_arrow(conn: psycopg.Connection, target: str, table: pa.Table) -> int:
    """COPY an Arrow table into `target` (columns by name) as CSV rendered in C++ by pyarrow."""
    import pyarrow.csv as pacsv

    if not table.num_rows:
        return 0
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False, batch_size=65_536))
    view = buffer.getbuffer()
    with conn.cursor().copy(f"copy {target} ({', '.join(table.column_names)}) from stdin (format csv)") as copy:
        step = 8 << 20
        for start in range(0, len(view), step):
            copy.write(view[start : start + step])
    del view
    return table.num_rows


def _archive(settings: Settings, file: BulkFile) -> Path:
    """Keep the original byte for byte, where and as `pipeline` keeps it (content-addressed: a retry
    writes the same path; a copy cut short never takes the final name)."""
    from welfare.intake import pipeline

    target = settings.data_dir / "archive" / file.sha256[:2] / pipeline._archive_name(file.sha256, file.path.name)
    if not target.exists():
        pipeline._keep(file.path, target)
    return target


def _file_state(read: _Read, states: np.ndarray) -> None:
    """pipeline._load_file: one report → its state; several → the summary of theirs; none → rejected."""
    if read.state is not None:
        return
    if not read.rows:
        read.reject("file.no_report", "Tệp không có báo cáo nào.", "The file holds no report.")
        return
    mine = states[read.key_offset : read.key_offset + read.rows]
    if read.rows == 1:
        read.state = str(mine[0])
    elif (mine == "rejected").all():
        read.state = "rejected"
    elif (mine != "accepted").any():
        read.state = "accepted_with_warnings"
    else:
        read.state = "accepted"


_LOADED_TABLES = (
    "raw.cdcs_reports",
    "raw.captren_reports",
    "raw.support_cases",
    "restricted.support_people",
    "audit.validation_results",
)


def _may_skip_row_triggers(conn: psycopg.Connection) -> bool:
    """True when this session may set `session_replication_role` and the tables it COPYs into carry no
    trigger but their foreign-key checks (a trigger someone adds later must never be skipped silently)."""
    allowed = conn.execute(
        """select r.rolsuper or (current_setting('server_version_num')::int >= 150000
                  and has_parameter_privilege('session_replication_role', 'SET'))
           from pg_roles as r where r.rolname = current_user"""
    ).fetchone()
    if not allowed or not allowed[0]:
        return False
    others = conn.execute(
        "select count(*) from pg_trigger where tgrelid = any(%s::regclass[]) and not tgisinternal",
        (list(_LOADED_TABLES),),
    ).fetchone()
    return others is not None and others[0] == 0


def _check_references(
    conn: psycopg.Connection, batch_id: int, file_ids: np.ndarray, submission_ids: np.ndarray
) -> None:
    """What the skipped foreign-key triggers would have checked, set-based: every id written exists."""
    import numpy as np

    from welfare.intake.pipeline import IntakeError

    missing = conn.execute(
        """select (select count(*) from unnest(%s::bigint[]) as u(id)
                   where not exists (select 1 from audit.submissions as s where s.submission_id = u.id))
                + (select count(*) from unnest(%s::bigint[]) as u(id)
                   where not exists (select 1 from audit.files as f where f.file_id = u.id))
                + (select count(*) from (select %s::bigint as id) as u
                   where not exists (select 1 from audit.batches as b where b.batch_id = u.id))""",
        (
            np.unique(submission_ids[submission_ids >= 0]).tolist(),
            np.unique(file_ids[file_ids >= 0]).tolist(),
            batch_id,
        ),
    ).fetchone()
    if missing and missing[0]:
        raise IntakeError(f"{missing[0]} id(s) written by the bulk load do not exist; nothing was loaded")


def _load(
    conn: psycopg.Connection,
    batch: BulkBatch,
    batch_id: int,
    settings: Settings,
    calendar: Calendar,
    fast_foreign_keys: bool | None = None,
) -> list[FileOutcome]:
    import numpy as np

    from welfare.intake.feedback import write_feedback
    from welfare.intake.pipeline import LOCK_KEY, FileOutcome

    timer = _Timer(batch.seconds, "load.")
    with timer("archive"):
        stored = {id(read): _archive(settings, read.file) for read in batch.files}
    n_reports = len(batch.states)
    submission_ids = np.full(n_reports, -1, dtype=np.int64)
    file_ids = np.full(n_reports, -1, dtype=np.int64)
    outcomes: list[FileOutcome] = []
    raw_rows: dict[str, int] = defaultdict(int)
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        first_ids: dict[str, int] = {}
        with timer("versions"):
            versions = _plan_versions(conn, batch, calendar)
        for read in batch.files:
            file = read.file
            if read.state == "duplicate" and file.duplicate_of is None:
                file.duplicate_of = first_ids.get(file.sha256)
            _file_state(read, batch.states)
            reasons = list(read.reasons)
            if read.rows == 1:
                reasons += findings_summary(batch.findings.get(read.key_offset, []))
            file_id = conn.execute(
                """insert into audit.files (batch_id, sha256, file_name, landing_path, stored_path, size_bytes,
                       file_type, received_at, state, duplicate_of, reasons)
                   values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning file_id""",
                (
                    batch_id,
                    file.sha256,
                    file.path.name,
                    str(file.path.resolve()),
                    str(stored[id(read)]),
                    file.size,
                    file.path.suffix.lower().lstrip(".") or "other",
                    file.received_at,
                    read.state,
                    file.duplicate_of,
                    json.dumps(reasons, ensure_ascii=False),
                ),
            ).fetchone()[0]  # type: ignore[index]
            if file.duplicate_of is None:
                first_ids.setdefault(file.sha256, file_id)
            outcome = FileOutcome(file.path, file.sha256, read.state or "rejected", read.rows, reasons, file_id)
            if read.rows and read.form is not None and read.state != "duplicate":
                keys = np.arange(read.key_offset, read.key_offset + read.rows)
                file_ids[keys] = file_id
                with timer("submissions"):
                    submission_ids[keys] = _insert_submissions(conn, file_id, read, batch, calendar, versions)
                if read.rows == 1:
                    view = _ReportView(read, 0)
                    outcome.form, outcome.unit_code, outcome.reporting_year = read.form.value, view.unit_code, view.year
            elif not read.support_csv:
                conn.execute(
                    "insert into audit.submissions (file_id, state, received_at, reasons) values (%s, %s, %s, %s)",
                    (file_id, read.state, file.received_at, json.dumps(read.reasons, ensure_ascii=False)),
                )
            outcomes.append(outcome)
        # Per-row foreign-key triggers cost more than the COPY itself (~5 µs a row, 4 million rows
        # nationally). The ids written below are the ones just inserted in this transaction, so when
        # allowed the triggers are skipped for these COPYs and the references checked once, set-based.
        skip = _may_skip_row_triggers(conn) if fast_foreign_keys is None else fast_foreign_keys
        batch.seconds["fast_foreign_keys"] = float(skip)
        if skip:
            conn.execute("set local session_replication_role = replica")
        batch.seconds["rss_mb.before_results"] = _rss_mb()
        with timer("validation_results"):
            _insert_results(conn, batch_id, batch, file_ids, submission_ids)
        batch.seconds["rss_mb.after_results"] = _rss_mb()
        accepted = np.isin(batch.states, _ACCEPTED) & (submission_ids >= 0)
        with timer("raw_reports"):
            for read in batch.files:
                if read.form is not None and read.rows and read.state != "duplicate":
                    table = "cdcs_reports" if read.form == Form.CDCS else "captren_reports"
                    raw_rows[table] += _copy_reports(conn, table, read, submission_ids, accepted)
        with timer("support"):
            for spool in batch.spools:
                for table, rows in _copy_support(conn, spool, submission_ids, accepted, batch.dropped).items():
                    raw_rows[table] += rows
        if skip:
            conn.execute("set local session_replication_role = origin")
            with timer("check_references"):
                _check_references(conn, batch_id, file_ids, submission_ids)
        with timer("feedback"):
            for read, outcome in zip(batch.files, outcomes, strict=True):
                if outcome.state in ("rejected", "accepted_with_warnings") or any(
                    r.get("severity") == "warning" for r in outcome.reasons
                ):
                    outcome.feedback_path = write_feedback(stored[id(read)], read.file.path.name, outcome)
                    conn.execute(
                        "update audit.files set feedback_path = %s where file_id = %s",
                        (str(outcome.feedback_path), outcome.file_id),
                    )
    batch.seconds["rss_mb.after_load"] = _rss_mb()
    batch.raw_rows = dict(raw_rows)
    return outcomes


def _insert_submissions(
    conn: psycopg.Connection, file_id: int, read: _Read, batch: BulkBatch, calendar: Calendar, versions: _Versions
) -> np.ndarray:
    """One audit.submissions row per report row (COPY); returns their ids in row order."""
    import numpy as np
    import pyarrow as pa

    assert read.lines is not None and read.form is not None
    n, form, received = read.rows, read.form.value, read.file.received_at
    states = batch.states[read.key_offset : read.key_offset + n]
    years = _int32_or_zero(read.values["nam_bao_cao"]) if "nam_bao_cao" in read.values else np.zeros(n, np.int64)
    on_time: list[bool | None] = [None] * n
    after_lock = np.zeros(n, dtype=bool)
    for year in np.unique(years):
        if year and calendar.is_defined(int(year)):
            rows = np.flatnonzero(years == year)
            late = calendar.is_after_lock(int(year), received)
            timely = calendar.is_on_time(int(year), form, received)
            after_lock[rows] = late
            for r in rows:
                on_time[r] = timely
    timer = _Timer(batch.seconds, "load.")
    units = read.values.get("ma_don_vi")
    received_text = received.isoformat()
    # In slices: 130,000 reasons as JSON, then as Arrow, then as CSV would otherwise all be alive at once.
    for start in range(0, n, _LOAD_SLICE):
        stop = min(n, start + _LOAD_SLICE)
        span = slice(read.key_offset + start, read.key_offset + stop)
        size = stop - start
        with timer("submissions_reasons"):
            reasons = [
                json.dumps(findings_summary(batch.findings[k]), ensure_ascii=False) if k in batch.findings else "[]"
                for k in range(span.start, span.stop)
            ]
            table = pa.table(
                {
                    "file_id": pa.array(np.full(size, file_id, dtype=np.int64)),
                    "form": pa.array([form] * size, type=pa.string()),
                    "unit_code": units.slice(start, size) if units is not None else pa.nulls(size, pa.string()),
                    "reporting_year": pa.array(years[start:stop], mask=years[start:stop] == 0),
                    "version": pa.array(versions.version[span], mask=versions.version[span] == 0),
                    "state": pa.array(list(states[start:stop]), type=pa.string()),
                    "is_superseded": pa.array(versions.superseded[span]),
                    "is_on_time": pa.array(on_time[start:stop], type=pa.bool_()),
                    "is_after_lock": pa.array(after_lock[start:stop]),
                    "received_at": pa.array([received_text] * size, type=pa.string()),
                    "reasons": pa.array(reasons, type=pa.string()),
                    "source_row": pa.array(read.lines[start:stop]),
                }
            )
            del reasons
        with timer("submissions_copy"):
            _copy_arrow(conn, "audit.submissions", table)
        del table
    back = _copy_out(conn, f"select submission_id, source_row from audit.submissions where file_id = {int(file_id)}")
    ids = back.column(0).to_numpy()
    lines = back.column(1).to_numpy()
    out = np.full(n, -1, dtype=np.int64)
    out[np.searchsorted(read.lines, lines)] = ids
    return out


@dataclass
class _Versions:
    """Versions and supersession of the batch's accepted reports, decided before they are inserted."""

    version: np.ndarray  # per global report key; 0 = none
    superseded: np.ndarray  # per global report key


def _plan_versions(conn: psycopg.Connection, batch: BulkBatch, calendar: Calendar) -> _Versions:
    """pipeline._insert_submission's rules, set-based, in insertion order (files, then rows):

    a report's version is 1 + the accepted submissions of the same (form, unit, year) inserted
    before it; an accepted report not after the lock supersedes every accepted submission of the
    same report inserted before it and received no later. The batch's own rows get both in their
    COPY; rows already in the warehouse are superseded by one UPDATE (none in a new year).
    """
    import numpy as np
    import pandas as pd

    n = len(batch.states)
    version = np.zeros(n, dtype=np.int64)
    superseded = np.zeros(n, dtype=bool)
    parts = []
    for read in batch.files:
        if read.form is None or not read.rows or read.state == "duplicate" or "ma_don_vi" not in read.values:
            continue
        keys = np.arange(read.key_offset, read.key_offset + read.rows)
        years = (
            _int32_or_zero(read.values["nam_bao_cao"])
            if "nam_bao_cao" in read.values
            else np.zeros(read.rows, np.int64)
        )
        received = read.file.received_at
        late = np.array(
            [bool(y) and calendar.is_defined(int(y)) and calendar.is_after_lock(int(y), received) for y in years]
        )
        parts.append(
            pd.DataFrame(
                {
                    "key": keys,
                    "form": read.form.value,
                    "unit": read.values["ma_don_vi"].to_pandas().astype(object),
                    "year": years,
                    "received": pd.Timestamp(received),
                    "late": late,
                }
            )
        )
    if not parts:
        return _Versions(version, superseded)
    rows = pd.concat(parts, ignore_index=True)
    rows = rows[np.isin(batch.states[rows["key"].to_numpy()], _ACCEPTED) & rows["unit"].notna() & (rows["year"] != 0)]
    if rows.empty:
        return _Versions(version, superseded)
    rows = rows.sort_values("key", kind="stable")
    group = ["form", "unit", "year"]
    distinct = rows[group].drop_duplicates()
    existing = conn.execute(
        """select s.form, s.unit_code, s.reporting_year, count(*)
           from audit.submissions as s
           join unnest(%s::text[], %s::text[], %s::int[]) as k(form, unit_code, reporting_year)
             using (form, unit_code, reporting_year)
           where s.state in ('accepted', 'accepted_with_warnings')
           group by s.form, s.unit_code, s.reporting_year""",
        tuple(distinct[c].tolist() for c in group),
    ).fetchall()
    before = pd.Series(
        [c for *_, c in existing],
        index=pd.MultiIndex.from_tuples([tuple(k) for *k, _ in existing], names=group),
        dtype="int64",
    )
    index = pd.MultiIndex.from_frame(rows[group])
    prior: np.ndarray = (
        before.reindex(index).fillna(0).to_numpy(dtype=np.int64) if len(before) else np.zeros(len(rows), np.int64)
    )
    version[rows["key"].to_numpy()] = prior + rows.groupby(group, sort=False).cumcount().to_numpy() + 1
    # A row is superseded by a later row of the same report (not after the lock) received no earlier.
    micros = rows["received"].astype("datetime64[us, UTC]").astype("int64").astype(float)  # exact below 2**53
    backwards = rows.assign(micros=micros, stamp=micros.where(~rows["late"], -np.inf)).iloc[::-1]
    by_report = [backwards[c] for c in group]
    later = backwards.groupby(by_report, sort=False)["stamp"].shift(1).fillna(-np.inf)
    latest_after = later.groupby(by_report, sort=False).cummax()
    superseded[backwards["key"].to_numpy()] = (latest_after >= backwards["micros"]).to_numpy()
    if len(existing):
        current = rows[~rows["late"]]
        current = current[index[~rows["late"].to_numpy()].isin(before.index)]
        if not current.empty:
            conn.execute(
                """update audit.submissions as e set is_superseded = true
                   from unnest(%s::text[], %s::text[], %s::int[], %s::timestamptz[])
                        as r(form, unit_code, reporting_year, received_at)
                   where e.form = r.form and e.unit_code = r.unit_code and e.reporting_year = r.reporting_year
                     and e.state in ('accepted', 'accepted_with_warnings') and not e.is_superseded
                     and e.received_at <= r.received_at""",
                (
                    current["form"].tolist(),
                    current["unit"].tolist(),
                    current["year"].tolist(),
                    [t.to_pydatetime() for t in current["received"]],
                ),
            )
    return _Versions(version, superseded)


def _copy_out(conn: psycopg.Connection, query: str) -> pa.Table:
    """The result of an integer-only query, through COPY TO and pyarrow (fast for 100,000s of rows)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    buffer = io.BytesIO()
    with conn.cursor().copy(f"copy ({query}) to stdout (format csv)") as copy:
        for data in copy:
            buffer.write(data)
    buffer.seek(0)
    if not buffer.getbuffer().nbytes:
        return pa.table({"a": pa.array([], pa.int64()), "b": pa.array([], pa.int64())})
    return pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(autogenerate_column_names=True),
        convert_options=pacsv.ConvertOptions(column_types={"f0": pa.int64(), "f1": pa.int64()}),
    )


def _insert_results(
    conn: psycopg.Connection, batch_id: int, batch: BulkBatch, file_ids: np.ndarray, submission_ids: np.ndarray
) -> None:
    import pyarrow as pa

    types = {"batch_id": pa.int64(), "file_id": pa.int64(), "submission_id": pa.int64(), "row_number": pa.int64()}

    def flush(columns: dict[str, list[Any]]) -> None:
        if columns:
            table = pa.table(
                {name: pa.array(values, type=types.get(name, pa.string())) for name, values in columns.items()}
            )
            _copy_arrow(conn, "audit.validation_results", table)

    columns: dict[str, list[Any]] = defaultdict(list)
    rows = 0
    for key, findings in batch.findings.items():
        if submission_ids[key] < 0:
            continue
        for f in findings:
            columns["batch_id"].append(batch_id)
            columns["file_id"].append(int(file_ids[key]))
            columns["submission_id"].append(int(submission_ids[key]))
            columns["rule"].append(f.rule)
            columns["severity"].append(f.severity)
            columns["field"].append(f.field)
            columns["sheet"].append(f.cell.sheet if f.cell else None)
            columns["row_number"].append(f.cell.row if f.cell else None)
            columns["cell"].append(str(f.cell) if f.cell else None)
            columns["value_shown"].append(f.value_shown)
            columns["message_vi"].append(f.message_vi)
            columns["message_en"].append(f.message_en)
            columns["expectation"].append(f.expectation)
        rows += len(findings)
        if rows >= _LOAD_SLICE:
            flush(columns)
            columns, rows = defaultdict(list), 0
    flush(columns)


def _copy_reports(
    conn: psycopg.Connection, table: str, read: _Read, submission_ids: np.ndarray, accepted: np.ndarray
) -> int:
    """raw.cdcs_reports / raw.captren_reports rows of the accepted reports (pipeline._raw_value)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    assert read.lines is not None
    keys = np.arange(read.key_offset, read.key_offset + read.rows)
    keep = accepted[keys]
    if not keep.any():
        return 0
    mask = pa.array(keep)
    arrays: dict[str, pa.Array] = {
        "submission_id": pa.array(submission_ids[keys][keep]),
        "source_row": pa.array(read.lines[keep]),
    }
    for f in RAW_TABLES[table]:
        values = read.values.get(f.code)
        if values is None:
            arrays[f.code] = pa.nulls(int(keep.sum()), _arrow_type(f))
            continue
        values = values.filter(mask)
        if f.kind == Kind.FLAG:
            values = pc.fill_null(values, 0)  # an empty flag cell means "no", as the validator read it
        arrays[f.code] = values
    return _copy_arrow(conn, f"raw.{table}", pa.table(arrays))


def _copy_support(
    conn: psycopg.Connection, spool: Path, submission_ids: np.ndarray, accepted: np.ndarray, dropped: np.ndarray
) -> dict[str, int]:
    """Stream the spool into raw.support_cases and restricted.support_people: rows of accepted reports,
    less the rows the ≤ 5 % rule dropped."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    counts = {"support_cases": 0, "support_people": 0}
    public = [
        "source_row",
        "ma_don_vi",
        "nam_bao_cao",
        "nguoi_pseudonym",
        *(f.code for f in RAW_TABLES["support_cases"]),
    ]
    with pa.memory_map(str(spool)) as source:
        reader = pa.ipc.open_file(source)
        for number in range(reader.num_record_batches):
            batch = reader.get_batch(number)
            keys = batch.column("_key").to_numpy()
            keep = accepted[keys]
            if len(dropped):
                keep &= ~np.isin(batch.column("_row_id").to_numpy(), dropped)
            if not keep.any():
                continue
            rows = batch.filter(pa.array(keep))
            ids = pa.array(submission_ids[rows.column("_key").to_numpy()])
            cases = pa.table([ids, *(rows.column(c) for c in public)], names=["submission_id", *public])
            counts["support_cases"] += _copy_arrow(conn, "raw.support_cases", cases)
            named = pc.is_valid(rows.column("ho_ten"))
            people = pa.table(
                [ids, rows.column("source_row"), rows.column("ho_ten"), rows.column("nguoi_pseudonym")],
                names=["submission_id", "source_row", "ho_ten", "nguoi_pseudonym"],
            ).filter(named)
            counts["support_people"] += _copy_arrow(conn, "restricted.support_people", people)
    return counts


# --- entry points --------------------------------------------------------------------------------
def _csv_files(paths: Iterable[Path]) -> list[Path]:
    from welfare.intake.pipeline import discover

    return [p for p in discover(list(paths)) if p.suffix.lower() == ".csv"]


def ingest_bulk_folder(
    folder: Path,
    *,
    conn: psycopg.Connection,
    batch_id: int,
    key: bytes,
    registry: Registry,
    received_at: datetime | None = None,
    settings: Settings | None = None,
    calendar: Calendar = DEFAULT_CALENDAR,
    validator: _Runner | Callable[[], _Runner] | None = None,
    history: bool = True,
) -> list[FileOutcome]:
    """The CSV files of `folder` (and below) into an open batch: register, read, validate, load.

    For a caller that already has a batch row (`audit.batches`) and a connection; the load runs
    in a savepoint of the caller's transaction, so the caller decides when it commits.
    """
    files = register_bulk_files(conn, _csv_files([folder]), received_at)
    with prepare_bulk(
        files,
        conn=conn,
        registry=registry,
        key=key,
        calendar=calendar,
        settings=settings,
        validator=validator,
        history=history,
    ) as batch:
        return batch.load(conn, batch_id, settings=settings, calendar=calendar)


def ingest_bulk(
    paths: Sequence[Path],
    *,
    received_at: datetime | None = None,
    run_id: str = "bulk",
    url: str | None = None,
    settings: Settings | None = None,
    calendar: Calendar = DEFAULT_CALENDAR,
    validator: _Runner | Callable[[], _Runner] | None = None,
    history: bool = True,
    chunk_rows: int = CHUNK_ROWS,
    fast_foreign_keys: bool | None = None,
) -> IngestSummary:
    """Ingest bulk CSV files and folders as one batch (what `pipeline.ingest` does, for bulk files only)."""
    from welfare.intake.pipeline import LOCK_KEY, IngestSummary, IntakeError
    from welfare.intake.pseudonym import load_key
    from welfare.registry import load_current_registry
    from welfare.schema import ensure_schema
    from welfare.warehouse import connect

    settings = settings or get_settings()
    started = time.monotonic()
    key = load_key()
    candidates = _csv_files(paths)
    with connect(url) as conn:
        ensure_schema(conn)
        registry = load_current_registry(conn)
        if not registry.intervals:
            raise IntakeError("the registry is empty: load it first with `welfare registry load FILE.csv`")
        files = register_bulk_files(conn, candidates, received_at)
        conn.commit()  # end the read-only transaction: the load is one transaction of its own
        registered = time.monotonic() - started
        with prepare_bulk(
            files,
            conn=conn,
            registry=registry,
            key=key,
            calendar=calendar,
            settings=settings,
            validator=validator,
            history=history,
            chunk_rows=chunk_rows,
        ) as batch:
            conn.commit()
            wall, cpu = time.monotonic(), time.process_time()
            with conn.transaction():
                conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                batch_id = conn.execute(
                    "insert into audit.batches (run_id, file_count) values (%s, %s) returning batch_id",
                    (run_id, len(files)),
                ).fetchone()[0]  # type: ignore[index]
                outcomes = batch.load(
                    conn, batch_id, settings=settings, calendar=calendar, fast_foreign_keys=fast_foreign_keys
                )
                conn.execute("update audit.batches set finished_at = now() where batch_id = %s", (batch_id,))
                committing = time.monotonic()
            batch.seconds["load.commit"] = time.monotonic() - committing
            # The stage is the whole transaction, commit included.
            batch.seconds["load"], batch.seconds["cpu.load"] = time.monotonic() - wall, time.process_time() - cpu
            seconds = {"register": registered} | batch.seconds
            summary = IngestSummary(batch_id, outcomes, dict(batch.raw_rows), seconds)
            summary.counts_detail = batch.counts  # type: ignore[attr-defined]
            summary.report_states = batch.report_states()  # type: ignore[attr-defined]
    summary.seconds["total"] = time.monotonic() - started
    return summary
