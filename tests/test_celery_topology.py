"""The production topology without containers: Airflow's CeleryExecutor over Redis and PostgreSQL.

What `docker-compose.yml` runs in containers, started as processes on one machine by the harness in
tests/topology.py (PostgreSQL 127.0.0.1:5432 for the metadata and the warehouse, Redis 127.0.0.1:6379
as the broker, the compose file's own init script, api-server, scheduler, DAG processor, triggerer
and two `airflow celery worker` processes, configured through the environment only).

The test drops a small generated season (30 files: accepted grassroots and upper-level reports
and rejected ones) and the registry into the landing zone, then triggers the annual cycle through
the REST API as an operator would: reference_data → intake → warehouse (Cosmos, watcher mode) →
annual_reports (the provincial report, signed off through the API). It checks the audit trail,
every indicator in the marts against the generator's own truth for the landed files, the report
files, and that both workers took tasks. Everything started is stopped in a `finally` (process
groups), every wait is bounded.

It runs where those services exist (CI) and skips with the reason where they do not. The same
harness measures the cycle for the production-topology note:

    .venv/bin/python tests/test_celery_topology.py --executor CeleryExecutor --workers 2
    .venv/bin/python tests/test_celery_topology.py --executor LocalExecutor
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
from pathlib import Path
from typing import Any

import pytest
from topology import CycleResult, SmallSeason, Topology, expected_indicators, missing_services, run_cycle, small_season

YEAR = 2025


# -- the test --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def services() -> None:
    if missing := missing_services():
        pytest.skip(
            "the Celery topology needs PostgreSQL (trust, user postgres) on 127.0.0.1:5432 and Redis on "
            f"127.0.0.1:6379, as CI provides; not available here: {'; '.join(missing)}"
        )


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_annual_cycle_through_celery_workers(services: None, tmp_path: Path) -> None:
    topology = Topology(tmp_path / "topology", executor="CeleryExecutor", workers=2)
    try:
        result, season = run_cycle(topology, lambda: small_season(tmp_path / "season"), secrets.token_hex(32))
        print(json.dumps({"timings": result.timings, "worker_tasks": result.worker_tasks}))
        check_cycle(result, season, topology)
    finally:
        topology.stop()
        topology.drop()


def check_cycle(result: CycleResult, season: SmallSeason, topology: Topology) -> None:
    """What the cycle must have left: tasks on both workers, audit trail, marts equal to the truth, reports."""
    import math

    import psycopg

    assert len(season.files) == 30

    # The cycle ran task by task on the workers, the dbt project as one task per model and test.
    assert result.task_states["reference_data"]["announce"] == "success"
    assert result.task_states["intake"]["announce"] == "success"
    dbt_tasks = {t: s for t, s in result.task_states["warehouse"].items() if t.startswith("dbt.")}
    assert len(dbt_tasks) > 70 and set(dbt_tasks.values()) == {"success"}, dbt_tasks
    assert result.task_states["annual_reports"]["finalise"] == "success"
    assert result.task_states["annual_reports"]["check_deadline"] == "success"
    assert result.approvals == 1
    # Every worker took tasks from the run's queue (the broker spread them).
    if topology.celery:
        assert set(result.worker_tasks) == {f"worker-{n}" for n in range(1, topology.workers + 1)}
        assert all(count > 0 for count in result.worker_tasks.values()), result.worker_tasks
        assert sum(result.worker_tasks.values()) >= len(dbt_tasks)

    with psycopg.connect(topology.warehouse_url) as conn:

        def scalar(sql: str, *args: Any) -> Any:
            row = conn.execute(sql, args).fetchone()  # type: ignore[arg-type]
            return row[0] if row else None

        # Intake on a worker: every file registered, accepted and rejected as the generator intended.
        assert scalar("select count(*) from audit.files") == len(season.files)
        states = dict(conn.execute("select file_name, state from audit.files").fetchall())
        for f in season.files:
            want = "rejected" if not f["expected_accepted"] else ("accepted", "accepted_with_warnings")
            got = states[Path(f["path"]).name]
            assert got == want if isinstance(want, str) else got in want, (f["path"], got, f["expected_rules"])
        # The pseudonym key came from the welfare_pseudonym connection: the IDs are keyed hashes.
        assert scalar("select count(*) from restricted.support_people") > 0

        # The marts built by the Cosmos tasks equal the generator's truth for exactly these files.
        expected = expected_indicators(season)
        rows = {
            (r[0], r[1], r[2]): r[3:]
            for r in conn.execute(
                "select indicator_code, org_level, unit_code, numerator, denominator, value, null_reason "
                "from marts.indicator_values where reporting_year = %s",
                (YEAR,),
            )
        }
        assert len(rows) == len(expected)
        for item in expected:
            numerator, denominator, value, reason = rows[(item["indicator_code"], item["org_level"], item["unit_code"])]
            assert reason == item["null_reason"], item
            for got, want in (
                (numerator, item["numerator"]),
                (denominator, item["denominator"]),
                (value, item["value"]),
            ):
                assert (got is None) == (want is None), item
                if got is not None:
                    assert math.isclose(float(got), want, abs_tol=1e-9), (item, got)
        received = scalar(
            "select received_reports from marts.reporting_completeness "
            "where reporting_year = %s and form = 'CDCS' and org_level = 'province'",
            YEAR,
        )
        assert received == len(season.accepted["CDCS"])
        assert scalar("select count(*) from audit.mart_builds") == 1

        # The provincial report: drafts, the sign-off through the API, the final files.
        feedback = [r[0] for r in conn.execute("select feedback_path from audit.files where state = 'rejected'")]
        approved_by, final_files = conn.execute(
            "select approved_by, final_files from audit.report_runs where kind = 'provincial' and reporting_year = %s",
            (YEAR,),
        ).fetchone()
    assert approved_by == "approver"
    assert final_files and all(Path(p).is_file() for p in final_files)
    assert any(str(p).endswith(".pdf") for p in final_files) and any(str(p).endswith(".xlsx") for p in final_files)
    assert all("DU-THAO" not in Path(p).name for p in final_files)
    # Rejected files were answered: a feedback file for each, written by the worker that ingested it.
    assert len(feedback) == len(season.rejected) and all(Path(p).is_file() for p in feedback)


# -- measuring (figures for the production-topology note) --------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description="Run the annual cycle on the local topology and time it.")
    parser.add_argument("--executor", default="CeleryExecutor", choices=("CeleryExecutor", "LocalExecutor"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--root", type=Path, default=None, help="working folder (default: a new temporary one)")
    parser.add_argument("--check", action="store_true", help="also check the marts and reports as the test does")
    args = parser.parse_args()
    if missing := missing_services():
        raise SystemExit(f"not available: {'; '.join(missing)}")
    import tempfile

    root = args.root or Path(tempfile.mkdtemp(prefix="welfare-topology-"))
    load_before = os.getloadavg()
    topology = Topology(root / "topology", executor=args.executor, workers=args.workers)
    try:
        result, season = run_cycle(topology, lambda: small_season(root / "season"), secrets.token_hex(32))
        if args.check:
            check_cycle(result, season, topology)
    finally:
        topology.stop()
        topology.drop()
    print(
        json.dumps(
            {
                "executor": result.executor,
                "workers": result.workers if result.executor == "CeleryExecutor" else 0,
                "timings": result.timings,
                "worker_tasks": result.worker_tasks,
                "load_average": {"before": load_before, "after": os.getloadavg(), "cpus": os.cpu_count()},
            }
        )
    )


if __name__ == "__main__":
    main()
