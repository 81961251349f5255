"""Airflow for the test suite: one metadata database per session on the tests' embedded server.

Both DAG test modules ask `airflow_for_tests` (cached per process), so the metadata database is
migrated once. Only AIRFLOW_* variables (and WELFARE_DAG_TEST) are exported: each test still points
WAREHOUSE_URL and WELFARE_DATA_DIR at its own warehouse and folder. Imports Airflow.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from welfare.orchestration.local import LocalAirflow, ensure_database, sqlalchemy_url

_AIRFLOW: LocalAirflow | None = None
_WELFARE_KEYS = ("WAREHOUSE_URL", "WELFARE_DATA_DIR", "WELFARE_PROJECT_DIR")


def _reconfigure_imported_airflow() -> None:
    """Airflow was imported with other settings (another test touched it first): reload them."""
    from airflow import settings

    settings.dispose_orm()
    settings.configure_vars()
    settings.configure_orm()


def airflow_for_tests(warehouse_root: Path, home: Path) -> LocalAirflow:
    """Configure this process for `dag.test()` against the session's server (migrated once)."""
    global _AIRFLOW
    if _AIRFLOW is not None:
        return _AIRFLOW
    from welfare.warehouse import EmbeddedPostgres

    server = EmbeddedPostgres(warehouse_root / "warehouse")
    for database in ("airflow_tests", "welfare_parse"):
        ensure_database(server.url(), database)
    airflow = LocalAirflow(
        home, sqlalchemy_url(server.url(), "airflow_tests"), server.url("welfare_parse"), data_dir=warehouse_root
    )
    already_imported = "airflow" in sys.modules
    env = {k: v for k, v in airflow.env().items() if k not in _WELFARE_KEYS}
    os.environ.update(env | {"WELFARE_DAG_TEST": "1"})
    if already_imported:
        _reconfigure_imported_airflow()
    airflow.migrate()
    _AIRFLOW = airflow
    return airflow


def point_at(warehouse_url: str) -> dict[str, str]:
    """The variables that point the platform and the `welfare_warehouse` connection at a warehouse."""
    from welfare.orchestration.local import airflow_connection_uri

    return {"WAREHOUSE_URL": warehouse_url, "AIRFLOW_CONN_WELFARE_WAREHOUSE": airflow_connection_uri(warehouse_url)}
