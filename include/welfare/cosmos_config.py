"""astronomer-cosmos configuration for the `warehouse` DAG, built in one place.

- Project: `dbt_project/` of the checkout (`WELFARE_PROJECT_DIR` moves it).
- Profile: from the Airflow connection `welfare_warehouse` through a Cosmos profile mapping;
  the password travels in an environment variable Cosmos sets for dbt, never in a profiles.yml.
  `welfare airflow` sets the connection (`AIRFLOW_CONN_WELFARE_WAREHOUSE`) from WAREHOUSE_URL or
  the embedded warehouse.
- Execution: `ExecutionMode.WATCHER` (one `dbt build`, one watcher task per model and per model's
  tests) — measured against `ExecutionMode.LOCAL` on the same build, see docs/decisions.md.
- Rendering: `dbt ls` in a subprocess at parse time (dbt is never imported by the DAG processor),
  cached by Cosmos in an Airflow Variable keyed by the project's hash.

Importing this module imports Cosmos (lazily exported names), never dbt.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from welfare.config import project_root

WAREHOUSE_CONN_ID = "welfare_warehouse"
DBT_PROFILE = "welfare"
DBT_TARGET = "warehouse"
DBT_SCHEMA = "dbt"  # the profile's default schema; models go to staging/intermediate/marts
DBT_THREADS = int(os.environ.get("WELFARE_DBT_THREADS", "4"))
#: "watcher" (default) or "local"; the benchmark in docs/decisions.md switches it.
EXECUTION_MODE = os.environ.get("WELFARE_COSMOS_MODE", "watcher").lower()
#: dbt's `as_of` var: the run's logical date (or a date the run's conf gives), so a rebuild for
#: the same moment gives the same marts.
AS_OF_TEMPLATE = "{{ dag_run.conf.get('as_of') or (dag_run.logical_date or dag_run.run_after).isoformat() }}"


def dbt_project_path() -> Path:
    return project_root() / "dbt_project"


def dbt_executable() -> Path:
    """The dbt next to this Python (the project's virtual environment)."""
    return Path(sys.executable).parent / "dbt"


def _profile_mapping_class() -> type:
    from cosmos.profiles import PostgresUserPasswordProfileMapping

    class WarehouseProfileMapping(PostgresUserPasswordProfileMapping):
        """Postgres user/password mapping that also accepts a connection without a password.

        The embedded warehouse trusts 127.0.0.1 and has no password; dbt still needs the key, so
        it gets an empty one (through the same environment variable as a real password).
        """

        def get_dbt_value(self, name: str) -> Any:
            value = super().get_dbt_value(name)
            if name == "password" and value is None:
                return ""
            return value

    return WarehouseProfileMapping


@cache
def cosmos_configs() -> dict[str, Any]:
    """ProjectConfig, ProfileConfig, ExecutionConfig and RenderConfig (built once per process)."""
    from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    mode = {"watcher": ExecutionMode.WATCHER, "local": ExecutionMode.LOCAL}.get(EXECUTION_MODE)
    if mode is None:
        raise ValueError(f"WELFARE_COSMOS_MODE must be 'watcher' or 'local', got {EXECUTION_MODE!r}")
    mapping = _profile_mapping_class()(
        conn_id=WAREHOUSE_CONN_ID, profile_args={"schema": DBT_SCHEMA, "threads": DBT_THREADS}
    )
    return {
        "project_config": ProjectConfig(dbt_project_path(), install_dbt_deps=False, partial_parse=True),
        "profile_config": ProfileConfig(profile_name=DBT_PROFILE, target_name=DBT_TARGET, profile_mapping=mapping),
        "execution_config": ExecutionConfig(
            execution_mode=mode,
            invocation_mode=InvocationMode.DBT_RUNNER,  # dbt in the task's process: no second interpreter start
            dbt_executable_path=dbt_executable(),
            # The producer never re-runs `dbt build` on retry (Cosmos skips it), so retries are safe.
            setup_operator_args={"retries": 1, "retry_delay": timedelta(minutes=2)}
            if mode == ExecutionMode.WATCHER
            else {},
        ),
        "render_config": RenderConfig(
            load_method=LoadMode.DBT_LS,
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=dbt_executable(),
            test_behavior=TestBehavior.AFTER_EACH,
            emit_datasets=False,  # the DAG emits the mart Assets itself, with stable welfare:// URIs
        ),
    }


class _NoTaskOnPurpose(logging.Filter):
    """Drops Cosmos' warning, repeated for every node at every parse, that dbt unit tests and
    exposures get no task: on purpose — unit tests run inside the producer's `dbt build`, before
    the model they test; exposures are documentation."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("Unavailable conversion function" in message and ("UNIT_TEST" in message or "EXPOSURE" in message))


_NO_TASK_FILTER = _NoTaskOnPurpose()


def operator_args(*, dag_test: bool = False) -> dict[str, Any]:
    """Arguments of every dbt task.

    Watcher sensors defer to the triggerer in a deployment. `dag.test()` runs one task at a time
    and would wait inside a deferred sensor before the producer ever ran, so there (and only
    there, `WELFARE_DAG_TEST=1`) they reschedule instead.
    """
    args: dict[str, Any] = {"vars": {"as_of": AS_OF_TEMPLATE}}
    if EXECUTION_MODE == "watcher" and dag_test:
        args |= {"deferrable": False, "mode": "reschedule", "poke_interval": 2}
    return args


def dbt_task_group(group_id: str = "dbt", **kwargs: Any) -> Any:
    """The dbt project as a Cosmos `DbtTaskGroup`: one task per model, seed and model's tests."""
    from cosmos import DbtTaskGroup

    from welfare.orchestration.settings import in_dag_test

    graph_log = logging.getLogger("cosmos.airflow.graph")
    if _NO_TASK_FILTER not in graph_log.filters:
        graph_log.addFilter(_NO_TASK_FILTER)
    return DbtTaskGroup(
        group_id=group_id, operator_args=operator_args(dag_test=in_dag_test()), **cosmos_configs(), **kwargs
    )
