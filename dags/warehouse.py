"""
### warehouse — the dbt project, model by model, through astronomer-cosmos

Runs when intake accepted submissions (`welfare://raw/submissions`) or a new registry version
was loaded (`welfare://registry/units`), and daily at 06:30 in any case.

1. **prepare** — the warehouse's own schemas exist (registry, audit, raw), so dbt's sources do; if the
   marts were last built for this same moment from exactly the same inputs (source high-water marks
   and the dbt project's code, `audit.mart_builds.fingerprint`), the rest is skipped: a re-run of
   the same interval changes nothing and costs nothing (param `force` rebuilds anyway).
2. **dbt** — the project in `dbt_project/` as a Cosmos task group: one task per model and seed,
   one per model's tests. `ExecutionMode.WATCHER`: one `dbt build` (4 threads) runs in the producer
   task and every model/test task watches its own node's result (measured faster than
   `ExecutionMode.LOCAL` on this project, same visibility: `docs/decisions.md`). The profile comes
   from the Airflow connection `welfare_warehouse` through a Cosmos profile mapping. dbt's `as_of`
   var is the run's logical date (or `as_of` in the run's conf), so the same moment gives the same marts.
3. **publish** — records the build in `audit.mart_builds` (one row per `as_of`) and emits the mart
   Assets (`welfare://marts/indicator_values`, `…/reporting_completeness`, `…/missing_reports`,
   `…/followups`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, get_current_context, task
from welfare.config import TIMEZONE
from welfare.cosmos_config import dbt_task_group
from welfare.orchestration.assets import MARTS, RAW_SUBMISSIONS, REGISTRY_UNITS
from welfare.orchestration.settings import get_orchestration_settings
from welfare.orchestration.tags import default_args, tags

SETTINGS = get_orchestration_settings()


@dag(
    dag_id="warehouse",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable(
            f"{SETTINGS.warehouse_daily_at[1]} {SETTINGS.warehouse_daily_at[0]} * * *", timezone="Asia/Ho_Chi_Minh"
        ),
        assets=RAW_SUBMISSIONS | REGISTRY_UNITS,
    ),
    start_date=datetime(2024, 10, 1, tzinfo=TIMEZONE),
    catchup=False,
    max_active_runs=1,  # one dbt build at a time (Cosmos watcher: concurrent runs would race on the tables)
    tags=tags("warehouse", "dbt"),
    default_args=default_args(),
    params={"force": Param(False, type="boolean", description="Rebuild even when nothing changed.")},
    doc_md=__doc__,
)
def warehouse() -> None:
    @task.short_circuit
    def prepare() -> bool:
        """Create the warehouse's own schemas if missing; False (skip the build) when nothing changed."""
        from welfare.cosmos_config import dbt_project_path
        from welfare.orchestration.ledger import build_needed, ensure_ledger, warehouse_fingerprint
        from welfare.orchestration.runtime import run_moment
        from welfare.schema import ensure_schema
        from welfare.warehouse import connect

        context = get_current_context()
        with connect() as conn:
            ensure_schema(conn)
            ensure_ledger(conn)
            needed = build_needed(conn, run_moment(context), warehouse_fingerprint(conn, dbt_project_path()))
        return bool(needed or context["params"].get("force"))

    @task(outlets=MARTS)
    def publish() -> dict[str, Any]:
        """Record the build (audit.mart_builds) and emit the mart Assets."""
        from welfare.cosmos_config import dbt_project_path
        from welfare.orchestration.ledger import record_mart_build, warehouse_fingerprint
        from welfare.orchestration.runtime import run_clock, run_key, run_moment
        from welfare.warehouse import connect

        context = get_current_context()
        with connect() as conn:
            build = record_mart_build(
                conn,
                as_of=run_moment(context),
                run_id=run_key(context),
                finished_at=run_clock(context),
                fingerprint=warehouse_fingerprint(conn, dbt_project_path()),
            )
        summary = {
            "build_id": build.build_id,
            "as_of": build.as_of.isoformat(),
            "max_submission_id": build.max_submission_id,
        }
        for asset in MARTS:
            context["outlet_events"][asset].extra = summary
        return summary

    prepare() >> dbt_task_group("dbt") >> publish()


warehouse()
