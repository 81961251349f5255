"""DAG integrity: every file in dags/ imports, and every DAG follows the house rules.

One DagBag for the whole session (`welfare.orchestration.dagtest.dag_bag`, shared with
test_orchestration.py); Airflow is configured by `welfare.orchestration.testing` before anything
imports it.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from welfare.config import project_root
from welfare.orchestration.tags import APPROVED_TAGS, OWNER, tags

DAGS_DIR = project_root() / "dags"
EXPECTED_DAGS = {"intake", "warehouse", "annual_reports", "reminders", "reference_data"}
#: Heavy libraries a DAG file must not import when it is parsed (they belong inside tasks).
HEAVY = ("pandas", "great_expectations", "dbt", "openpyxl", "python_calamine", "xlsxwriter", "matplotlib", "pyarrow")
#: Keywords every @dag(...) call states explicitly.
REQUIRED_DAG_KEYWORDS = {
    "dag_id",
    "schedule",
    "start_date",
    "catchup",
    "max_active_runs",
    "tags",
    "default_args",
    "doc_md",
}


@pytest.fixture(scope="session")
def airflow_env(warehouse_root: Path, tmp_path_factory: pytest.TempPathFactory):
    from welfare.orchestration.testing import airflow_for_tests

    return airflow_for_tests(warehouse_root, tmp_path_factory.mktemp("airflow"))


@pytest.fixture(scope="session")
def dagbag(airflow_env):
    from welfare.orchestration.dagtest import dag_bag

    return dag_bag()


def test_tags_helper_refuses_unapproved_names() -> None:
    assert tags("intake") == ["welfare", "intake"]
    with pytest.raises(ValueError, match="not approved"):
        tags("misc")


def test_every_dag_file_declares_its_configuration_explicitly() -> None:
    """Read the source: each @dag(...) names its schedule, start, catch-up, concurrency, tags, args, docs."""
    files = sorted(DAGS_DIR.glob("*.py"))
    assert {f.stem for f in files} >= EXPECTED_DAGS
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path.name} has no module docstring (the DAG's doc_md)"
        calls = [
            d
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef)
            for d in node.decorator_list
            if isinstance(d, ast.Call) and getattr(d.func, "id", None) == "dag"
        ]
        assert len(calls) == 1, f"{path.name} should define exactly one DAG with @dag(...)"
        missing = REQUIRED_DAG_KEYWORDS - {k.arg for k in calls[0].keywords}
        assert not missing, f"{path.name}: @dag(...) does not set {sorted(missing)}"
        top_level_imports = [
            alias.name.split(".")[0]
            for node in tree.body
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
        ]
        assert not set(top_level_imports) & {*HEAVY, "cosmos", "psycopg"}, f"{path.name} imports heavy modules"


@pytest.mark.slow
def test_no_import_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == EXPECTED_DAGS


@pytest.mark.slow
def test_tags_come_from_the_approved_set(dagbag) -> None:
    for dag in dagbag.dags.values():
        assert dag.tags, f"{dag.dag_id} has no tags"
        assert set(dag.tags) <= APPROVED_TAGS, f"{dag.dag_id}: {set(dag.tags) - APPROVED_TAGS} not approved"
        assert "welfare" in dag.tags


@pytest.mark.slow
def test_every_task_has_an_owner_and_retries(dagbag) -> None:
    for dag in dagbag.dags.values():
        for task in dag.tasks:
            assert task.retries >= 1, f"{dag.dag_id}.{task.task_id} has no retries"
            assert task.retry_delay is not None
            assert task.owner == OWNER, f"{dag.dag_id}.{task.task_id} is owned by {task.owner}"


@pytest.mark.slow
def test_schedule_start_catchup_and_concurrency(dagbag) -> None:
    for dag in dagbag.dags.values():
        assert type(dag.timetable).__name__ not in ("NullTimetable", "OnceTimetable"), f"{dag.dag_id} has no schedule"
        assert dag.start_date is not None and dag.start_date.tzinfo is not None, f"{dag.dag_id}: naive start"
        assert dag.timezone.name == "Asia/Ho_Chi_Minh", f"{dag.dag_id} runs in {dag.timezone}"
        assert dag.catchup is False
        assert dag.max_active_runs == 1


@pytest.mark.slow
def test_docs_are_the_module_docstring(dagbag) -> None:
    for dag in dagbag.dags.values():
        assert dag.doc_md and dag.doc_md.strip().startswith(f"### {dag.dag_id}"), f"{dag.dag_id} has no doc_md"


@pytest.mark.slow
def test_warehouse_shows_every_model_and_its_tests_as_tasks(dagbag) -> None:
    task_ids = set(dagbag.dags["warehouse"].task_ids)
    models = {p.stem for p in (project_root() / "dbt_project" / "models").rglob("*.sql")}
    assert {f"dbt.{m}.run" for m in models} <= task_ids
    assert {f"dbt.{m}.test" for m in models if m.startswith(("dim_", "fct_", "indicator_values"))} <= task_ids
    assert "dbt.dbt_producer_watcher" in task_ids  # ExecutionMode.WATCHER


@pytest.mark.slow
def test_parsing_the_dags_imports_nothing_heavy(airflow_env) -> None:
    """In a fresh interpreter: import every DAG file and list the heavy modules that got loaded."""
    script = (
        "import importlib.util, json, sys, pathlib\n"
        "for path in sorted(pathlib.Path(sys.argv[1]).glob('*.py')):\n"
        "    spec = importlib.util.spec_from_file_location('dag_' + path.stem, path)\n"
        "    spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(DAGS_DIR)],
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONWARNINGS": "ignore"},
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
