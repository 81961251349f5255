"""Cosmos execution modes on the same build: `python -m welfare.orchestration.benchmark MODE`.

Runs the `warehouse` DAG once with `dag.test()` (param force: a full rebuild) on the configured
warehouse, with WELFARE_COSMOS_MODE=MODE (watcher | local), or a plain `dbt build` (MODE=dbt),
and prints one JSON line: mode, state, seconds, tasks. Each mode runs in its own process (the
mode is read when the DAG is parsed); the figures are in docs/decisions.md.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime


def main(mode: str) -> dict[str, object]:
    from welfare.config import TIMEZONE

    when = datetime(2025, 11, 20, 8, 0, tzinfo=TIMEZONE)
    if mode == "dbt":
        from welfare.build import run_dbt

        started = time.monotonic()
        result = run_dbt(["build", "--vars", f"{{as_of: '{when.isoformat()}'}}"])
        return {
            "mode": "dbt build",
            "state": "success" if result.success else "failed",
            "seconds": round(time.monotonic() - started, 1),
            "tasks": 1,
        }
    os.environ["WELFARE_COSMOS_MODE"] = mode
    from welfare.orchestration.cycle import prepare_airflow

    prepare_airflow()
    from welfare.orchestration.dagtest import dag_bag, run_dag

    dag_bag()
    outcome = run_dag("warehouse", when, conf={"force": True})
    return {
        "mode": mode,
        "state": outcome.state,
        "seconds": round(outcome.seconds, 1),
        "tasks": len(outcome.task_states),
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1] if len(sys.argv) > 1 else "watcher")))  # noqa: T201 - the script's output
