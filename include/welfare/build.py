"""Run the dbt project (`dbt_project/`) in-process; `welfare build` wraps `run_dbt`.

dbt reads its connection from environment variables only (`dbt_project/profiles.yml`), so this
module turns a warehouse URL into those variables for the duration of one invocation and puts
the previous values back afterwards. `target/` and `logs/` stay inside `dbt_project/` (both are
git-ignored) unless the caller passes other folders, e.g. one per test or per Airflow task.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from welfare.config import project_root

log = logging.getLogger(__name__)

DBT_PROJECT_DIRNAME = "dbt_project"
DEFAULT_PORT = 5432

# dbtRunner keeps global state (flags, adapters): one invocation at a time per process.
_DBT_LOCK = threading.Lock()
# dbt replaces the marts one table at a time: a report snapshot read in the middle of a build would mix
# marts from before and after it. Builds hold this advisory lock exclusively, snapshots share it
# (welfare.reports.snapshot), so a snapshot waits for a running build and a build for a snapshot being read.
BUILD_LOCK_KEY = 0x44425442  # "DBTB"
_WRITING_COMMANDS = frozenset({"build", "run", "seed", "snapshot", "clone"})


class BuildError(RuntimeError):
    """dbt could not be started (bad URL, missing project); the message says what to fix."""


@dataclass
class BuildResult:
    """What one dbt invocation did, counted by resource type and outcome."""

    command: list[str]
    success: bool
    models: int = 0
    seeds: int = 0
    snapshots: int = 0
    tests_passed: int = 0
    tests_failed: int = 0
    tests_warned: int = 0
    unit_tests: int = 0
    errors: int = 0
    skipped: int = 0
    elapsed_seconds: float = 0.0  # wall-clock time of the invocation, parsing included
    failures: list[str] = field(default_factory=list)

    @property
    def tests(self) -> int:
        return self.tests_passed + self.tests_failed + self.tests_warned

    def summary(self) -> str:
        outcome = "succeeded" if self.success else "FAILED"
        text = (
            f"dbt {' '.join(self.command[:1])} {outcome} in {self.elapsed_seconds:.1f}s: "
            f"{self.models} models, {self.seeds} seeds, tests {self.tests_passed} passed / "
            f"{self.tests_failed} failed / {self.tests_warned} warned "
            f"(of which {self.unit_tests} unit tests), {self.errors} errors, {self.skipped} skipped"
        )
        if self.failures:
            text += "\n" + "\n".join(f"  - {f}" for f in self.failures)
        return text


def dbt_project_dir() -> Path:
    """The dbt project folder: `<project root>/dbt_project` (WELFARE_PROJECT_DIR moves the root)."""
    path = project_root() / DBT_PROJECT_DIRNAME
    if not (path / "dbt_project.yml").exists():
        raise BuildError(
            f"no dbt project at {path}: run from a checkout of the repository or set WELFARE_PROJECT_DIR "
            "to the folder that contains dbt_project/"
        )
    return path


def connection_env(url: str) -> dict[str, str]:
    """The WELFARE_DB_* variables profiles.yml reads, from a postgresql:// URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        raise BuildError(f"WAREHOUSE_URL must be a postgresql:// URL, got scheme '{parts.scheme}'")
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise BuildError("the warehouse URL names no database (postgresql://user@host:port/DATABASE)")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError as exc:
        raise BuildError(f"the warehouse URL has an invalid port: {exc}") from exc
    query = parse_qs(parts.query)
    env = {
        "WELFARE_DB_HOST": parts.hostname or query.get("host", ["localhost"])[0],
        "WELFARE_DB_PORT": str(port),
        "WELFARE_DB_USER": unquote(parts.username or "") or os.environ.get("PGUSER", "postgres"),
        "WELFARE_DB_PASSWORD": unquote(parts.password or ""),
        "WELFARE_DB_DBNAME": database,
    }
    if "sslmode" in query:
        env["WELFARE_DB_SSLMODE"] = query["sslmode"][0]
    return env


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, previous in saved.items():
            if previous is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = previous


def _count(result: BuildResult, run_results: Sequence[object]) -> None:
    for run_result in run_results:
        node = getattr(run_result, "node", None)
        resource_type = str(getattr(getattr(node, "resource_type", None), "value", getattr(node, "resource_type", "")))
        status = str(getattr(getattr(run_result, "status", None), "value", getattr(run_result, "status", "")))
        name = getattr(node, "unique_id", "?")
        if resource_type in ("test", "unit_test", "source"):  # source = a freshness check
            if resource_type == "unit_test":
                result.unit_tests += 1
            if status == "pass":
                result.tests_passed += 1
            elif status == "warn":  # a data test with severity warn, or a stale source
                result.tests_warned += 1
            elif status == "skipped":
                result.skipped += 1
            else:  # fail, error, runtime error
                result.tests_failed += 1
                if status == "error":
                    result.errors += 1
                result.failures.append(f"{name}: {status} — {getattr(run_result, 'message', '') or ''}".strip())
            continue
        if status == "success":
            if resource_type == "model":
                result.models += 1
            elif resource_type == "seed":
                result.seeds += 1
            elif resource_type == "snapshot":
                result.snapshots += 1
        elif status == "skipped":
            result.skipped += 1
        elif status in ("error", "runtime error", "fail"):
            result.errors += 1
            result.failures.append(f"{name}: {status} — {getattr(run_result, 'message', '') or ''}".strip())


@contextmanager
def build_lock(url: str) -> Iterator[None]:
    """Hold the marts' build lock (see BUILD_LOCK_KEY) on a connection of its own: should the process die,
    PostgreSQL releases the lock with the connection."""
    import psycopg

    from welfare.warehouse import redact

    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise BuildError(f"cannot connect to the warehouse at {redact(url)}: {exc}") from exc
    with conn:
        conn.execute("select pg_advisory_lock(%s)", (BUILD_LOCK_KEY,))
        yield


def run_dbt(
    args: list[str],
    url: str | None = None,
    *,
    target_path: Path | None = None,
    log_path: Path | None = None,
    threads: int | None = None,
) -> BuildResult:
    """Invoke dbt (e.g. `["build"]`, `["run", "--select", "fct_support"]`) against the warehouse at `url`.

    `url` defaults to WAREHOUSE_URL, else the embedded warehouse (started if needed). Returns the
    counts; raises BuildError only when dbt cannot start at all — a failed model or test is a
    result with `success=False` and the reasons in `failures`.
    """
    from dbt.cli.main import dbtRunner

    from welfare.warehouse import warehouse_url

    if not args:
        raise BuildError("no dbt command given (e.g. ['build'])")
    project = dbt_project_dir()
    target_url = url or warehouse_url()
    env = connection_env(target_url)
    if threads is not None:
        env["DBT_THREADS"] = str(threads)
    colours: list[str] = []
    if not {"--use-colors", "--no-use-colors"} & set(args):
        # Colour codes belong on a terminal, not in logs or in BuildResult.failures.
        colours = ["--use-colors" if sys.stdout.isatty() else "--no-use-colors"]
    command = [
        *args,
        *colours,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(target_path or project / "target"),
        "--log-path",
        str(log_path or project / "logs"),
    ]
    started = time.monotonic()
    writes = bool(_WRITING_COMMANDS & set(args))
    with _DBT_LOCK, _environment(env), build_lock(target_url) if writes else nullcontext():
        outcome = dbtRunner().invoke(command)
    elapsed = time.monotonic() - started
    result = BuildResult(command=list(args), success=bool(outcome.success), elapsed_seconds=elapsed)
    if outcome.exception is not None:
        result.errors += 1
        result.failures.append(f"dbt could not run: {outcome.exception}")
    run_results = getattr(outcome.result, "results", None)
    if run_results is not None:
        _count(result, run_results)
    log.info(result.summary())
    return result
