"""Reference data from the landing zone: the newest registry file in `<landing>/registry/` is the registry.

`welfare.registry.load_registry` loads a file as a new version unless its bytes are the current
registry already, so the daily run changes nothing until someone drops a new file (or an older
one again, on purpose: the newest file by modification time, then name, wins).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from welfare.config import TIMEZONE
from welfare.orchestration.landing import REGISTRY_FOLDER


def registry_candidates(landing_dir: Path, *, received_until: datetime) -> list[Path]:
    """Registry CSV files received up to `received_until`, oldest first."""
    folder = landing_dir / REGISTRY_FOLDER
    if not folder.is_dir():
        return []
    files = [
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() == ".csv"
        and not p.name.startswith(".")
        and datetime.fromtimestamp(p.stat().st_mtime, tz=TIMEZONE) <= received_until
    ]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def load_newest_registry(landing_dir: Path, *, received_until: datetime, url: str | None = None) -> dict[str, Any]:
    """Load the newest registry file (if any); JSON-safe result with `changed` True when a version was added."""
    from welfare.registry import load_registry
    from welfare.warehouse import connect

    candidates = registry_candidates(landing_dir, received_until=received_until)
    if not candidates:
        return {"file": None, "changed": False, "reason": f"no registry file in {landing_dir / REGISTRY_FOLDER}"}
    newest = candidates[-1]
    with connect(url) as conn:
        result = load_registry(conn, newest)
    return {
        "file": str(newest),
        "changed": not result.already_loaded,
        "load_id": result.load_id,
        "rows": result.rows,
        "units": result.units,
        "ignored_older": [p.name for p in candidates[:-1]],
    }
