"""The unit registry: who exists, at which level, under whom, from when to when.

A unit has one row per validity interval; a change of parent closes one interval and opens
the next. The registry defines who is expected to report, so it is checked hard before it
is loaded: every problem is reported with its CSV line, and nothing is loaded if any is found.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

COLUMNS = (
    "ma_don_vi",
    "ten_don_vi",
    "cap",
    "ma_cap_tren",
    "loai_hinh",
    "dia_ban",
    "email",
    "hieu_luc_tu",
    "hieu_luc_den",
    "sap_nhap_vao",
)
LEVELS = ("TINH", "CAP_TREN", "CDCS")
PARENT_LEVEL = {"CDCS": "CAP_TREN", "CAP_TREN": "TINH"}
UNIT_TYPES = ("DN_NHA_NUOC", "DN_NGOAI_NHA_NUOC", "DN_FDI", "HCSN", "HTX", "NGHIEP_DOAN", "XA_PHUONG")


class RegistryError(ValueError):
    """The registry file cannot be loaded; `problems` lists every reason with its line."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:50])
        more = f"\n  … and {len(self.problems) - 50} more" if len(self.problems) > 50 else ""
        super().__init__(
            f"the registry has {len(self.problems)} problem(s); nothing was loaded:\n{shown}{more}\n"
            "Fix the rows named above and load the file again."
        )


@dataclass(frozen=True)
class UnitInterval:
    """One row of the registry: a unit during one validity interval."""

    ma_don_vi: str
    ten_don_vi: str
    cap: str
    ma_cap_tren: str | None
    loai_hinh: str | None
    dia_ban: str | None
    email: str | None
    hieu_luc_tu: date
    hieu_luc_den: date | None
    sap_nhap_vao: str | None
    line: int = 0  # CSV line, for messages

    def active_on(self, day: date) -> bool:
        return self.hieu_luc_tu <= day and (self.hieu_luc_den is None or day <= self.hieu_luc_den)

    def overlaps(self, start: date, end: date) -> bool:
        """Active on at least one day of [start, end]."""
        return self.hieu_luc_tu <= end and (self.hieu_luc_den is None or self.hieu_luc_den >= start)

    def as_row(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name in COLUMNS:
            value = getattr(self, name)
            out[name] = "" if value is None else value.isoformat() if isinstance(value, date) else str(value)
        return out


class Registry:
    """The registry in memory, with the as-of questions the rest of the platform asks."""

    def __init__(self, intervals: Iterable[UnitInterval]):
        self.intervals = sorted(intervals, key=lambda u: (u.ma_don_vi, u.hieu_luc_tu))
        self._by_unit: dict[str, list[UnitInterval]] = defaultdict(list)
        for interval in self.intervals:
            self._by_unit[interval.ma_don_vi].append(interval)

    def __contains__(self, code: object) -> bool:
        return code in self._by_unit

    def codes(self) -> list[str]:
        return list(self._by_unit)

    def history(self, code: str) -> list[UnitInterval]:
        return list(self._by_unit.get(code, ()))

    def as_of(self, day: date, code: str) -> UnitInterval | None:
        """The unit's row in force on `day`, or None if it was not active then."""
        for interval in self._by_unit.get(code, ()):
            if interval.active_on(day):
                return interval
        return None

    def active(self, day: date, level: str | None = None) -> list[UnitInterval]:
        """Every unit active on `day` (optionally of one level), in code order."""
        return [u for u in self.intervals if u.active_on(day) and (level is None or u.cap == level)]

    def children(self, day: date, parent: str) -> list[UnitInterval]:
        return [u for u in self.intervals if u.active_on(day) and u.ma_cap_tren == parent]

    def province(self) -> UnitInterval:
        tops = [u for u in self.intervals if u.cap == "TINH"]
        if not tops:
            raise RegistryError(["the registry has no unit of level TINH (the province)"])
        return tops[-1]

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for interval in self.intervals:
            writer.writerow(interval.as_row())
        return buffer.getvalue()


def _parse_date(text: str, line: int, column: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"line {line}: {column} '{text}' is not an ISO date (yyyy-mm-dd)")
        return None


def read_registry(path: Path) -> Registry:
    """Read and check a registry CSV (FORMS.md columns, ISO dates); raise RegistryError on any problem."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as exc:
        raise RegistryError([f"{path} does not exist"]) from exc
    except UnicodeDecodeError as exc:
        raise RegistryError(
            [f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 CSV"]
        ) from exc
    return parse_registry(text)


def parse_registry(text: str) -> Registry:
    problems: list[str] = []
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    if missing or extra:
        detail = []
        if missing:
            detail.append(f"missing column(s) {', '.join(missing)}")
        if extra:
            detail.append(f"unknown column(s) {', '.join(extra)}")
        raise RegistryError([f"line 1: {'; '.join(detail)}. The header must be exactly: {','.join(COLUMNS)}"])
    intervals: list[UnitInterval] = []
    for line, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        code = row["ma_don_vi"]
        if not code:
            problems.append(f"line {line}: ma_don_vi is empty")
            continue
        if not row["ten_don_vi"]:
            problems.append(f"line {line}: {code} has no ten_don_vi")
        if row["cap"] not in LEVELS:
            problems.append(f"line {line}: {code} has cap '{row['cap']}', expected one of {', '.join(LEVELS)}")
        if row["loai_hinh"] and row["loai_hinh"] not in UNIT_TYPES:
            problems.append(
                f"line {line}: {code} has loai_hinh '{row['loai_hinh']}', expected one of {', '.join(UNIT_TYPES)}"
            )
        if row["cap"] == "CDCS" and not row["loai_hinh"]:
            problems.append(f"line {line}: grassroots unit {code} needs a loai_hinh")
        start = _parse_date(row["hieu_luc_tu"], line, "hieu_luc_tu", problems)
        end = _parse_date(row["hieu_luc_den"], line, "hieu_luc_den", problems)
        if start is None:
            if not row["hieu_luc_tu"]:
                problems.append(f"line {line}: {code} has no hieu_luc_tu (start of validity)")
            continue
        if end is not None and end < start:
            problems.append(f"line {line}: {code} ends ({end}) before it starts ({start})")
            continue
        intervals.append(
            UnitInterval(
                ma_don_vi=code,
                ten_don_vi=row["ten_don_vi"],
                cap=row["cap"],
                ma_cap_tren=row["ma_cap_tren"] or None,
                loai_hinh=row["loai_hinh"] or None,
                dia_ban=row["dia_ban"] or None,
                email=row["email"] or None,
                hieu_luc_tu=start,
                hieu_luc_den=end,
                sap_nhap_vao=row["sap_nhap_vao"] or None,
                line=line,
            )
        )
    if not intervals and not problems:
        problems.append("the file has a header but no units")
    registry = Registry(intervals)
    problems.extend(check_registry(registry))
    if problems:
        raise RegistryError(problems)
    return registry


def _covered(intervals: list[UnitInterval], start: date, end: date | None) -> bool:
    """True if the union of `intervals` covers every day of [start, end] (end None = open-ended)."""
    cursor = start
    for interval in sorted(intervals, key=lambda u: u.hieu_luc_tu):
        if interval.hieu_luc_den is not None and interval.hieu_luc_den < cursor:
            continue
        if interval.hieu_luc_tu > cursor:
            return False
        if interval.hieu_luc_den is None:
            return True
        cursor = date.fromordinal(interval.hieu_luc_den.toordinal() + 1)
        if end is not None and cursor > end:
            return True
    return False


def _find_cycles(registry: Registry) -> list[list[str]]:
    parents: dict[str, set[str]] = defaultdict(set)
    for interval in registry.intervals:
        if interval.ma_cap_tren:
            parents[interval.ma_don_vi].add(interval.ma_cap_tren)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(code: str, path: list[str]) -> None:
        state[code] = 1
        for parent in sorted(parents.get(code, ())):
            if state.get(parent) == 1:
                cycles.append([*path[path.index(parent) :], parent] if parent in path else [code, parent])
            elif parent not in state:
                visit(parent, [*path, parent])
        state[code] = 2

    for code in sorted(parents):
        if code not in state:
            visit(code, [code])
    return cycles


def check_registry(registry: Registry) -> list[str]:
    """Every consistency problem of a parsed registry (empty list when it can be loaded)."""
    problems: list[str] = []
    for code in registry.codes():
        history = registry.history(code)
        for before, after in itertools.pairwise(history):
            if before.hieu_luc_den is None or after.hieu_luc_tu <= before.hieu_luc_den:
                problems.append(
                    f"line {after.line}: {code} has overlapping validity intervals "
                    f"(line {before.line} runs {before.hieu_luc_tu}–{before.hieu_luc_den or 'open'}, "
                    f"line {after.line} starts {after.hieu_luc_tu}); close the earlier interval first"
                )
    for cycle in _find_cycles(registry):
        problems.append(f"the parent chain forms a cycle: {' → '.join(cycle)}")
    for interval in registry.intervals:
        where = f"line {interval.line}: {interval.ma_don_vi}"
        parent_code = interval.ma_cap_tren
        if interval.cap == "TINH":
            if parent_code:
                problems.append(f"{where} is the province (TINH) and cannot have a parent ({parent_code})")
            continue
        if not parent_code:
            problems.append(f"{where} ({interval.cap}) has no ma_cap_tren")
            continue
        if parent_code == interval.ma_don_vi:
            continue  # reported as a cycle
        if parent_code not in registry:
            problems.append(f"{where} has unknown parent {parent_code}: add {parent_code} to the registry first")
            continue
        parent_rows = [
            p
            for p in registry.history(parent_code)
            if p.overlaps(interval.hieu_luc_tu, interval.hieu_luc_den or date.max)
        ]
        wrong_level = {p.cap for p in parent_rows if p.cap != PARENT_LEVEL.get(interval.cap)}
        if wrong_level:
            problems.append(
                f"{where} ({interval.cap}) has parent {parent_code} of level {', '.join(sorted(wrong_level))}; "
                f"a {interval.cap} unit reports to a {PARENT_LEVEL.get(interval.cap)} unit"
            )
        if not _covered(registry.history(parent_code), interval.hieu_luc_tu, interval.hieu_luc_den):
            problems.append(
                f"{where} is active {interval.hieu_luc_tu}–{interval.hieu_luc_den or 'open'} but its parent "
                f"{parent_code} is not active for all of that time; end or move the unit when its parent closes"
            )
    for interval in registry.intervals:
        target = interval.sap_nhap_vao
        if not target:
            continue
        where = f"line {interval.line}: {interval.ma_don_vi}"
        if interval.hieu_luc_den is None:
            problems.append(f"{where} is merged into {target} but has no hieu_luc_den")
        elif target not in registry:
            problems.append(f"{where} is merged into unknown unit {target}")
        elif registry.as_of(date.fromordinal(interval.hieu_luc_den.toordinal() + 1), target) is None:
            problems.append(f"{where} is merged into {target}, which is not active the day after the merger")
    return problems


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class LoadResult:
    load_id: int
    rows: int
    units: int
    already_loaded: bool


def load_registry(conn: psycopg.Connection, path: Path) -> LoadResult:
    """Check the registry file and load it as a new version, in one transaction.

    Loading the same bytes again is a no-op (idempotent); a changed file becomes a new load
    and the previous versions stay in `registry.unit_versions`.
    """
    from welfare.schema import ensure_schema

    data = path.read_bytes()
    registry = read_registry(path)
    digest = file_sha256(data)
    ensure_schema(conn)
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('welfare.registry'))")
        latest = conn.execute(
            "select load_id, sha256, row_count, unit_count from registry.loads order by load_id desc limit 1"
        ).fetchone()
        if latest and latest[1] == digest:
            return LoadResult(latest[0], latest[2], latest[3], already_loaded=True)
        load_id = conn.execute(
            "insert into registry.loads (file_name, sha256, row_count, unit_count) "
            "values (%s, %s, %s, %s) returning load_id",
            (path.name, digest, len(registry.intervals), len(registry.codes())),
        ).fetchone()[0]  # type: ignore[index]
        columns = [f.name for f in fields(UnitInterval) if f.name != "line"]
        with conn.cursor().copy(f"copy registry.unit_versions (load_id, {', '.join(columns)}) from stdin") as copy:
            for interval in registry.intervals:
                copy.write_row([load_id, *(getattr(interval, c) for c in columns)])
    return LoadResult(load_id, len(registry.intervals), len(registry.codes()), already_loaded=False)


def load_current_registry(conn: psycopg.Connection) -> Registry:
    """The registry as last loaded into the warehouse."""
    columns = [f.name for f in fields(UnitInterval) if f.name != "line"]
    rows = conn.execute(f"select {', '.join(columns)} from registry.units").fetchall()
    return Registry(UnitInterval(*row) for row in rows)
