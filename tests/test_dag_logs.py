"""The intake DAG run with `dag.test()` on files holding citizen IDs and names, against a warehouse
whose URL carries a password: no task log, and nothing the run printed, holds a clear ID, a supported
person's name or the password (Airflow masks connection secrets; the platform redacts URLs)."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from welfare.config import TIMEZONE
from welfare.intake.parse import parse_workbook

pytestmark = pytest.mark.slow

PASSWORD = "Dag-Secret-7f3a9c"


@pytest.mark.filterwarnings("ignore")
def test_intake_dag_task_logs_hold_no_personal_data_or_secret(
    warehouse_root: Path,
    new_database,
    season_2025: tuple[Path, dict],
    pseudonym_key: str,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from urllib.parse import urlsplit, urlunsplit

    from welfare.orchestration.dagtest import run_dag
    from welfare.orchestration.landing import land_files
    from welfare.orchestration.testing import airflow_for_tests, point_at
    from welfare.registry import load_registry

    out, manifest = season_2025
    chosen = [
        f
        for f in manifest["files"]
        if f["kind"] == "workbook"
        and f["form"] == "CDCS"
        and not f.get("expected_duplicate_of")
        and f["received_at"] < "2025-11-01"
    ]
    chosen = [f for f in chosen if f["expected_accepted"]][:4] + [
        f for f in chosen if set(f["expected_rules"]) & {"hotro.bad_row_share", "so_dinh_danh.twelve_digits"}
    ]
    ids: set[str] = set()
    names: set[str] = set()
    for entry in chosen:
        report = parse_workbook(out / entry["path"])
        for row in report.support:
            if row.get("so_dinh_danh") and row["so_dinh_danh"].raw:
                ids |= set(re.findall(r"\d{11,12}", str(row["so_dinh_danh"].raw)))
            if row.get("ho_ten") and row["ho_ten"].raw:
                names.add(str(row["ho_ten"].raw))
    assert len(ids) > 10 and names

    airflow = airflow_for_tests(warehouse_root, tmp_path_factory.mktemp("airflow"))
    url = new_database()
    with psycopg.connect(url, autocommit=True) as conn:  # a login with a password owns the warehouse
        conn.execute(
            f"do $$ begin if not exists (select 1 from pg_roles where rolname = 'welfare_etl') then "
            f"create role welfare_etl login createrole password '{PASSWORD}'; end if; end $$"
        )
        conn.execute(f"alter role welfare_etl password '{PASSWORD}'")
        conn.execute(f'alter database "{urlsplit(url).path.lstrip("/")}" owner to welfare_etl')
        conn.execute("alter schema public owner to welfare_etl")
    parts = urlsplit(url)
    secret_url = urlunsplit(parts._replace(netloc=f"welfare_etl:{PASSWORD}@{parts.hostname}:{parts.port}"))
    with psycopg.connect(secret_url) as conn:
        load_registry(conn, out / "registry.csv")
    data = tmp_path_factory.mktemp("dag-logs-data")
    land_files([(out / f["path"], Path(f["path"]).relative_to("submissions")) for f in chosen], data / "landing", 2025)
    for key, value in point_at(secret_url).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("WELFARE_DATA_DIR", str(data))

    caplog.set_level(logging.INFO)
    outcome = run_dag("intake", datetime(2025, 11, 1, 8, 0, tzinfo=TIMEZONE))
    assert outcome.ok, outcome.task_states
    assert outcome.task_states["ingest_batch[0]"] == "success"
    with psycopg.connect(secret_url) as conn:
        assert conn.execute("select count(*) from audit.files").fetchone()[0] == len(chosen)

    printed = capfd.readouterr()
    logs = [p for p in airflow.home.rglob("*") if p.is_file() and (p.suffix in (".log", ".json") or "logs" in p.parts)]
    texts = {str(p): p.read_text(encoding="utf-8", errors="replace") for p in logs}
    # dag.test() runs the tasks in this process: their logs are what it printed and logged.
    texts["task output (stdout/stderr)"] = printed.out + printed.err
    texts["task log records"] = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    )
    ran = texts["task output (stdout/stderr)"] + texts["task log records"]
    assert "ingest" in ran and any(Path(f["path"]).name in ran for f in chosen), ran[-3000:]
    for name, text in texts.items():
        assert PASSWORD not in text, f"{name}: the warehouse password is in the log"
        leaked = set(re.findall(r"(?<!\d)\d{11,12}(?!\d)", text)) & ids
        assert not leaked, f"{name}: clear citizen IDs"
        assert not [n for n in names if n in text], f"{name}: names of supported people"
