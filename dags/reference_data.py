"""
### reference_data — the unit registry from the landing zone

Daily at 05:30 (before the warehouse rebuild) and on demand: the newest CSV in
`<data>/landing/registry/` (received up to the run's logical date) is the registry. It is checked
and loaded with `welfare.registry.load_registry`, which adds a version only when the bytes differ
from the current registry; every earlier version stays in `registry.unit_versions`.

Emits `welfare://registry/units` when a new version was loaded (the `warehouse` DAG rebuilds on
it); a run with nothing new changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import CronTriggerTimetable, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException
from welfare.config import TIMEZONE
from welfare.orchestration.assets import REGISTRY_UNITS
from welfare.orchestration.settings import get_orchestration_settings
from welfare.orchestration.tags import default_args, tags

SETTINGS = get_orchestration_settings()


@dag(
    dag_id="reference_data",
    schedule=CronTriggerTimetable(
        f"{SETTINGS.reference_daily_at[1]} {SETTINGS.reference_daily_at[0]} * * *", timezone="Asia/Ho_Chi_Minh"
    ),
    start_date=datetime(2024, 10, 1, tzinfo=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    tags=tags("reference-data"),
    default_args=default_args(),
    doc_md=__doc__,
)
def reference_data() -> None:
    @task
    def load_registry() -> dict[str, Any]:
        """Check and load the newest registry file (a no-op when it is the current registry)."""
        from welfare.config import get_settings
        from welfare.landing_store import sync_configured
        from welfare.orchestration.reference import load_newest_registry
        from welfare.orchestration.runtime import run_moment

        landing = get_settings().landing_dir
        sync_configured(landing)  # WELFARE_LANDING_URL (object storage) → the local mirror; no-op otherwise
        return load_newest_registry(landing, received_until=run_moment(get_current_context()))

    @task(outlets=[REGISTRY_UNITS])
    def announce(result: dict[str, Any]) -> dict[str, Any]:
        """Emit the registry Asset when a new version was loaded."""
        if not result["changed"]:
            raise AirflowSkipException(result.get("reason") or f"{result['file']} is the current registry already")
        get_current_context()["outlet_events"][REGISTRY_UNITS].extra = {
            k: result[k] for k in ("load_id", "rows", "units")
        }
        return result

    announce(load_registry())


reference_data()
