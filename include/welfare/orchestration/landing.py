"""Intake from the landing zone: find the new files, cut them into batches, ingest a batch.

The landing zone is `<data>/landing/<year>/…` (submissions; a sub-folder such as a bulk CSV
export travels as one piece, because its support_cases.csv joins the reports of the same folder)
and `<data>/landing/registry/` (reference data, see `welfare.orchestration.reference`).

A file is new when no row of audit.files has its path, size and modification time; intake itself
skips a file registered with the same path and content, so a re-run ingests nothing twice. Only
files received (modified) up to the run's logical date are taken: re-running an old interval
never pulls in later files, and the simulated season lands files in received-time order.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from welfare.config import TIMEZONE, Settings, get_settings

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

REGISTRY_FOLDER = "registry"
_MTIME_TOLERANCE = timedelta(milliseconds=1)


def year_folders(landing_dir: Path) -> list[Path]:
    """The landing zone's year folders (2025/, 2026/ …), oldest first."""
    if not landing_dir.is_dir():
        return []
    return sorted(p for p in landing_dir.iterdir() if p.is_dir() and p.name.isdigit())


def received_at(path: Path) -> datetime:
    """When a landed file was received: its modification time (what intake records too)."""
    return datetime.fromtimestamp(path.stat().st_mtime, tz=TIMEZONE)


@dataclass(frozen=True)
class Discovery:
    """What the landing zone holds for a run: new files up to its cut-off, and files left for later."""

    new: list[Path]
    later: list[Path]
    known: int

    def summary(self) -> dict[str, int]:
        return {"new": len(self.new), "later": len(self.later), "known": self.known}


def discover_new(conn: psycopg.Connection, landing_dir: Path, *, received_until: datetime) -> Discovery:
    """New files in the year folders received up to `received_until` (stat only, no hashing)."""
    from welfare.schema import ensure_schema

    ensure_schema(conn)
    registered: dict[str, list[tuple[int, datetime]]] = {}
    for path, size, when in conn.execute("select landing_path, size_bytes, received_at from audit.files"):
        registered.setdefault(path, []).append((size, when))
    new: list[Path] = []
    later: list[Path] = []
    known = 0
    folders = year_folders(landing_dir)
    for path in _files(folders):
        stat = path.stat()
        when = datetime.fromtimestamp(stat.st_mtime, tz=TIMEZONE)
        seen = registered.get(str(path.resolve()), [])
        if any(size == stat.st_size and abs(at - when) <= _MTIME_TOLERANCE for size, at in seen):
            known += 1
        elif when > received_until:
            later.append(path)
        else:
            new.append(path)
    return Discovery(new, later, known)


def _files(folders: Iterable[Path]) -> list[Path]:
    """Every regular, non-hidden file under the folders, in name order (as intake's `discover`)."""
    found: list[Path] = []
    for folder in folders:
        found.extend(
            p
            for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        )
    return found


def _group_key(path: Path, landing_dir: Path) -> str:
    """Files directly in a year folder travel alone; a sub-folder travels whole."""
    relative = path.relative_to(landing_dir)
    return str(relative) if len(relative.parts) <= 2 else str(Path(*relative.parts[:2]))


def plan_batches(paths: Iterable[Path], landing_dir: Path, max_files: int) -> list[list[str]]:
    """Cut files into batches of at most `max_files`, in received order, keeping sub-folders whole.

    A sub-folder larger than `max_files` becomes one batch of its own (it must load together).
    """
    if max_files < 1:
        raise ValueError("max_files must be at least 1")
    groups: dict[str, list[Path]] = {}
    for path in paths:
        groups.setdefault(_group_key(path, landing_dir), []).append(path)
    ordered = sorted(groups.values(), key=lambda files: (min(received_at(p) for p in files), str(files[0])))
    batches: list[list[str]] = []
    current: list[str] = []
    for files in ordered:
        if current and len(current) + len(files) > max_files:
            batches.append(current)
            current = []
        current.extend(str(p) for p in sorted(files))
    if current:
        batches.append(current)
    return batches


def ingest_batch(paths: Sequence[str], *, run_id: str, url: str | None = None) -> dict[str, Any]:
    """Ingest one batch (welfare.intake.pipeline.ingest) and return a JSON-safe summary."""
    from welfare.intake.pipeline import ingest

    summary = ingest([Path(p) for p in paths], run_id=run_id, url=url)
    rejected = [
        {"file": f.path.name, "rules": sorted({str(r.get("rule")) for r in f.reasons if r.get("severity") == "error"})}
        for f in summary.files
        if f.state == "rejected"
    ]
    return {
        "batch_id": summary.batch_id,
        "files": len(summary.files),
        "counts": summary.counts(),
        "accepted_any": summary.accepted_any,
        "raw_rows": summary.raw_rows,
        "seconds": {k: round(v, 2) for k, v in summary.seconds.items()},
        "rejected": rejected,
    }


def combine(results: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """One summary over the batches of a run."""
    counts: dict[str, int] = {}
    raw: dict[str, int] = {}
    batches = 0
    accepted_any = False
    for result in results:
        batches += 1
        accepted_any = accepted_any or bool(result["accepted_any"])
        for key, value in result["counts"].items():
            counts[key] = counts.get(key, 0) + value
        for key, value in result["raw_rows"].items():
            raw[key] = raw.get(key, 0) + value
    return {"batches": batches, "counts": counts, "raw_rows": raw, "accepted_any": accepted_any}


# -- landing files (the simulated season, and anyone copying files in by hand) -----------------
def land_files(files: Iterable[tuple[Path, Path]], landing_dir: Path, year: int) -> list[Path]:
    """Copy (source, relative target) pairs into `<landing>/<year>/`, keeping modification times.

    A target that already exists with the same size and time is left alone (re-landing is a no-op).
    """
    out: list[Path] = []
    for source, relative in files:
        target = landing_dir / str(year) / relative
        stat = source.stat()
        if target.exists() and target.stat().st_size == stat.st_size and target.stat().st_mtime == stat.st_mtime:
            out.append(target)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        out.append(target)
    return out


def landing_dir(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).landing_dir
