"""Helpers for the fault, concurrency and idempotency tests: warehouse fingerprints, file hashes,
and a way to really kill a backend from a second connection."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

INTAKE_TABLES = (
    "audit.batches",
    "audit.files",
    "audit.submissions",
    "audit.validation_results",
    "raw.cdcs_reports",
    "raw.captren_reports",
    "raw.support_cases",
    "restricted.support_people",
)
# Columns that say when or where a row was written, not what it says.
VOLATILE = (
    "loaded_at",
    "registered_at",
    "started_at",
    "finished_at",
    "recorded_at",
    "stored_path",
    "feedback_path",
    "data_docs_path",
    "_dbt_loaded_at",
)


def counts(url: str, tables: tuple[str, ...] = INTAKE_TABLES) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}  # type: ignore[index]


def intake_fingerprint(url: str) -> dict[str, list[str]]:
    """What intake recorded, independent of ids, paths and times: the same files loaded once give the same."""
    minus = " - ".join(f"'{c}'" for c in VOLATILE)
    by_file = "join audit.files as f using (file_id)"
    queries = {
        "files": f"select f.sha256, (to_jsonb(f) - 'file_id' - 'batch_id' - 'duplicate_of' - {minus})::text "
        "from audit.files as f",
        "submissions": f"select f.sha256, (to_jsonb(s) - 'submission_id' - 'file_id')::text "
        f"from audit.submissions as s {by_file}",
        "results": f"select f.sha256, (to_jsonb(v) - 'result_id' - 'batch_id' - 'file_id' - 'submission_id')::text "
        f"from audit.validation_results as v {by_file}",
    }
    for table in ("raw.cdcs_reports", "raw.captren_reports", "raw.support_cases", "restricted.support_people"):
        queries[table] = (
            f"select f.sha256, (to_jsonb(t) - 'submission_id' - {minus})::text from {table} as t "
            f"join audit.submissions as s using (submission_id) {by_file}"
        )
    with psycopg.connect(url) as conn:
        return {
            name: sorted(f"{sha}|{row}" for sha, row in conn.execute(sql).fetchall()) for name, sql in queries.items()
        }


def marts_fingerprint(url: str) -> dict[str, str]:
    """Per mart table: its row count and the SHA-256 of its sorted rows (build-time columns left out)."""
    minus = " - ".join(f"'{c}'" for c in VOLATILE)
    out: dict[str, str] = {}
    with psycopg.connect(url) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' "
                "and table_type = 'BASE TABLE' order by 1"
            )
        ]
        for table in tables:
            rows = sorted(r[0] for r in conn.execute(f'select (to_jsonb(t) - {minus})::text from marts."{table}" as t'))
            out[table] = f"{len(rows)}:" + hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return out


def file_hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def terminate(url: str, pid: int, *, wait_for: Callable[[str | None, str | None], bool] | None = None) -> None:
    """From a second connection: wait until backend `pid` is in the wanted state, then kill it for real."""
    with psycopg.connect(url, autocommit=True) as admin:
        deadline = time.monotonic() + 60
        while wait_for is not None:
            row = admin.execute("select state, query from pg_stat_activity where pid = %s", (pid,)).fetchone()
            if row is not None and wait_for(row[0], row[1]):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"backend {pid} never reached the wanted state (last: {row})")
            time.sleep(0.01)
        assert admin.execute("select pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        while admin.execute("select 1 from pg_stat_activity where pid = %s", (pid,)).fetchone():
            if time.monotonic() > deadline:
                raise TimeoutError(f"backend {pid} did not go away")
            time.sleep(0.01)


@contextmanager
def kill_during_copy(url: str, after_rows: int) -> Iterator[dict[str, object]]:
    """Kill the intake's backend while it is inside a COPY of the load transaction.

    The `after_rows`-th row written by any COPY pauses; a second thread waits until
    pg_stat_activity shows that backend running the COPY, terminates it, and lets the row go on
    into a dead connection.
    """
    original = psycopg.Copy.write_row
    seen = {"rows": 0, "killed": False, "statement": None}
    done = threading.Event()

    def write_row(self: psycopg.Copy, row: object) -> None:
        seen["rows"] = int(seen["rows"]) + 1  # type: ignore[call-overload]
        if seen["rows"] == after_rows:
            pid = self.connection.info.backend_pid

            def killer() -> None:
                def copying(state: str | None, query: str | None) -> bool:
                    if state == "active" and (query or "").lower().startswith("copy"):
                        seen["statement"] = query
                        return True
                    return False

                terminate(url, pid, wait_for=copying)
                seen["killed"] = True
                done.set()

            threading.Thread(target=killer, daemon=True).start()
            done.wait(60)
        original(self, row)

    psycopg.Copy.write_row = write_row  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        psycopg.Copy.write_row = original  # type: ignore[method-assign]


# --- one full cycle, shared by the reliability and personal-data tests ------------------------------------


def copy_files(season: Path, entries: list[dict], target: Path) -> Path:
    """Copy manifest entries (keeping sub-folders and modification times, i.e. received times)."""
    import shutil

    for entry in entries:
        relative = Path(entry["path"]).relative_to("submissions")
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(season / entry["path"], target / relative)
    return target


def clean_workbooks(manifest: dict) -> list[dict]:
    """The season's workbooks that break no rule, in manifest order."""
    return [
        f
        for f in manifest["files"]
        if f["kind"] == "workbook"
        and f["expected_accepted"]
        and not f["expected_rules"]
        and not f.get("expected_duplicate_of")
    ]


def full_cycle(url: str, season: Path, manifest: dict, root: Path) -> dict:
    """Part of the 2025 season through the whole platform: registry → ingest → dbt build → reports.

    Everything the platform writes goes under `root / "data"` (archive, feedback, Data Docs, dbt
    logs, reports), so a test can scan it all. Files held back for a later batch go to `extra`.
    """
    from welfare.build import run_dbt
    from welfare.config import Settings
    from welfare.intake.pipeline import ingest
    from welfare.registry import load_registry, read_registry
    from welfare.reports import build_reports

    files = [f for f in manifest["files"] if not f.get("expected_duplicate_of")]
    clean = clean_workbooks(manifest)
    chosen = (
        [f for f in files if f["kind"] != "workbook" or f["expected_rules"]]  # bulk, foreign, every broken rule
        + [f for f in clean if f["form"] == "CAPTREN"]
        + [f for f in clean if f["form"] == "CDCS"][:40]
    )
    later = [f for f in clean if f["form"] == "CDCS"][40:52]  # [52:] are left for the tests
    data_dir = root / "data"
    landing = copy_files(season, chosen, data_dir / "landing" / "2025")
    extra = copy_files(season, later, root / "extra")
    settings = Settings(data_dir, url)
    with psycopg.connect(url) as conn:
        load_registry(conn, season / "registry.csv")
    summary = ingest([landing], url=url, settings=settings, run_id="cycle")
    paths = {"target_path": root / "dbt-target", "log_path": data_dir / "logs" / "dbt"}
    built = run_dbt(["build", "--quiet"], url=url, **paths)
    assert built.success, built.summary()
    registry = read_registry(season / "registry.csv")
    province = registry.province().ma_don_vi
    upper = sorted(u.ma_don_vi for u in registry.active(date_of(2025, 10, 31), "CAP_TREN"))[0]
    reports = [f for unit in (province, upper) for f in build_reports(2025, data_dir / "reports", unit=unit, url=url)]
    return {
        "url": url,
        "root": root,
        "data_dir": data_dir,
        "landing": landing,
        "extra": extra,
        "settings": settings,
        "summary": summary,
        "dbt_paths": paths,
        "reports": reports,
        "province": province,
        "upper": upper,
        "season": season,
        "manifest": manifest,
    }


def date_of(year: int, month: int, day: int):
    from datetime import date

    return date(year, month, day)
