"""Running the DAGs in-process with `dag.test()` (the season simulation and the tests).

Call `welfare.orchestration.local.configure_process` first: the DAG bag is read from the
configured DAGs folder once per process (Cosmos caches its `dbt ls` in an Airflow Variable, so
the warehouse DAG parses in seconds after the first time). Imports Airflow.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

log = logging.getLogger(__name__)


@cache
def dag_bag() -> Any:
    """The DAGs of the configured DAGs folder, parsed once per process."""
    from airflow.models import DagBag

    return DagBag()


def get_dag(dag_id: str) -> Any:
    """A DAG of the bag; raises if any DAG file failed to import."""
    bag = dag_bag()
    if bag.import_errors:
        details = "\n".join(f"{path}: {error.strip().splitlines()[-1]}" for path, error in bag.import_errors.items())
        raise RuntimeError(f"DAG files failed to import:\n{details}")
    if dag_id not in bag.dags:
        raise KeyError(f"no DAG {dag_id!r}; the DAGs are {sorted(bag.dags)}")
    return bag.dags[dag_id]


@dataclass
class RunOutcome:
    """What one `dag.test()` did."""

    dag_id: str
    run_id: str
    logical_date: datetime
    state: str
    seconds: float
    task_states: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.state == "success"

    def failed_tasks(self) -> list[str]:
        return sorted(t for t, s in self.task_states.items() if s in ("failed", "upstream_failed"))


def run_dag(dag_id: str, logical_date: datetime, *, conf: dict[str, Any] | None = None) -> RunOutcome:
    """One run of `dag_id` for `logical_date` with `dag.test()`; returns its state and its tasks' states."""
    dag = get_dag(dag_id)
    started = time.monotonic()
    dag_run = dag.test(logical_date=logical_date, run_conf=conf)
    seconds = time.monotonic() - started
    states: dict[str, str] = {}
    for ti in dag_run.get_task_instances():
        key = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
        states[key] = str(getattr(ti.state, "value", ti.state))
    state = str(getattr(dag_run.state, "value", dag_run.state))
    log.info("%s %s: %s in %.1fs", dag_id, logical_date.isoformat(), state, seconds)
    return RunOutcome(dag_id, dag_run.run_id, logical_date, state, seconds, states)
