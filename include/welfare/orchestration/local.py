"""A local Airflow on the platform's warehouse: environment, metadata database, users, processes.

- AIRFLOW_HOME: `<data>/airflow` (logs, the simple auth manager's passwords, generated secrets).
- Metadata database: the embedded PostgreSQL that also runs the warehouse, in its own database
  `airflow` (SQLite cannot serve the LocalExecutor's parallel tasks, nor a sign-off answered
  while `dag.test()` runs); with WAREHOUSE_URL set, a database `airflow` on that server, or
  `AIRFLOW__DATABASE__SQL_ALCHEMY_CONN` when you set it yourself.
- DAGs folder: the checkout's `dags/`; plugins folder: `welfare/orchestration/plugins/` (the
  calendar timetable).
- Connection `welfare_warehouse` (`AIRFLOW_CONN_WELFARE_WAREHOUSE`) from the same warehouse URL.
- Users (simple auth manager): `admin` (admin) and `approver` (user: may sign reports off);
  passwords generated once into `<home>/passwords.json`.

`configure_process` exports the environment into the current process for `dag.test()` (tests and
the season simulation); it must run before anything imports Airflow.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from welfare.config import PACKAGE_DIR, Settings, get_settings, project_root

AIRFLOW_DATABASE = "airflow"
CYCLE_HOME = "airflow-cycle"  # the season simulation's own Airflow home under the data folder
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
PLUGINS_DIR = PACKAGE_DIR / "orchestration" / "plugins"


class LocalAirflowError(RuntimeError):
    """The local Airflow cannot start; the message says what to change."""


def sqlalchemy_url(url: str, database: str | None = None) -> str:
    """A postgresql:// URL as SQLAlchemy wants it (psycopg 3 driver), optionally on another database."""
    parts = urlsplit(url)
    path = f"/{database}" if database else parts.path
    return urlunsplit(("postgresql+psycopg", parts.netloc, path, parts.query, ""))


def airflow_connection_uri(url: str) -> str:
    """The warehouse URL as an Airflow connection URI (conn type postgres, database in the path)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is None and parts.username:
        # An explicit empty password: Cosmos' profile mapping reads it as "no password".
        netloc = f"{quote(unquote(parts.username), safe='')}:@{parts.hostname}" + (
            f":{parts.port}" if parts.port else ""
        )
    return urlunsplit(("postgres", netloc, parts.path, parts.query, ""))


def ensure_database(url: str, database: str) -> None:
    """Create `database` on the server of `url` if missing."""
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (database,)).fetchone():
            conn.execute(f'create database "{database}"')


@dataclass
class LocalAirflow:
    """Everything a local Airflow needs, derived from the data folder and the warehouse."""

    home: Path
    metadata_url: str  # SQLAlchemy URL
    warehouse_url: str  # postgresql:// URL of the warehouse
    port: int = 8080
    users: dict[str, str] = field(default_factory=lambda: {"admin": "admin", "approver": "user"})
    data_dir: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def passwords_file(self) -> Path:
        return self.home / "passwords.json"

    def _secrets(self) -> dict[str, str]:
        path = self.home / "secrets.json"
        if path.exists():
            return json.loads(path.read_text())
        values = {
            "jwt_secret": secrets.token_urlsafe(64),
            "api_secret_key": secrets.token_urlsafe(32),
        }  # JWT: ≥ 64 bytes for HS512
        self.home.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
        path.chmod(0o600)
        return values

    def passwords(self) -> dict[str, str]:
        """The users' passwords (generated once, kept in <home>/passwords.json, mode 600)."""
        known = json.loads(self.passwords_file.read_text()) if self.passwords_file.exists() else {}
        missing = {u: secrets.token_urlsafe(12) for u in self.users if u not in known}
        if missing or not self.passwords_file.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            self.passwords_file.write_text(json.dumps(known | missing, indent=2))
            self.passwords_file.chmod(0o600)
        return known | missing

    def env(self) -> dict[str, str]:
        """The environment of every Airflow process (and of `dag.test()` in-process)."""
        keys = self._secrets()
        self.passwords()
        env = {
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.metadata_url,
            "AIRFLOW__CORE__DAGS_FOLDER": str(project_root() / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS_DIR),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, r in self.users.items()),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.passwords_file),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            "AIRFLOW__API__BASE_URL": self.base_url,
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__SECRET_KEY": keys["api_secret_key"],
            "AIRFLOW__API_AUTH__JWT_SECRET": keys["jwt_secret"],
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
            # The first parse of the warehouse DAG runs `dbt ls` (20 s on an idle laptop, more on a
            # busy one) before Cosmos caches it; the defaults (30 s / 50 s) would time it out.
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "300",
            "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "360",
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            # Cosmos' "reliable retry" rewrites the whole XCom backup into a Variable on every dbt
            # event (quadratic; it tripled the producer's time here). Without it the backup is
            # written once, when the producer fails, which is when a retry needs it.
            "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
            "AIRFLOW__COSMOS__CACHE_DIR": str(self.home / "cosmos"),
            "AIRFLOW__OPENLINEAGE__NAMESPACE": "welfare",
            "AIRFLOW__OPENLINEAGE__DISABLED": "True",
            "AIRFLOW_CONN_WELFARE_WAREHOUSE": airflow_connection_uri(self.warehouse_url),
            "WAREHOUSE_URL": self.warehouse_url,
            "WELFARE_PROJECT_DIR": str(project_root()),
        }
        if self.data_dir is not None:
            env["WELFARE_DATA_DIR"] = str(self.data_dir)
        return env

    def migrate(self) -> None:
        """`airflow db migrate` (creates or upgrades the metadata database)."""
        self.home.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
            env=os.environ | self.env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if result.returncode != 0:
            raise LocalAirflowError(f"airflow db migrate failed:\n{result.stderr[-3000:]}")

    def start(self) -> dict[str, subprocess.Popen[bytes]]:
        """Start api-server, scheduler, dag-processor and triggerer; logs in <home>/logs/<component>.log."""
        logs = self.home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        airflow = str(Path(sys.executable).parent / "airflow")
        processes = {}
        env = os.environ | self.env()
        for component in COMPONENTS:
            args = [airflow, component] + (["--port", str(self.port)] if component == "api-server" else [])
            handle = (logs / f"{component}.log").open("ab")
            processes[component] = subprocess.Popen(args, env=env, stdout=handle, stderr=subprocess.STDOUT)
        return processes

    def wait_until_up(self, timeout: float = 300) -> bool:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/api/v2/monitor/health", timeout=3).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(1)
        return False


def local_airflow(
    settings: Settings | None = None, *, home: Path | None = None, port: int = 8080, database: str = AIRFLOW_DATABASE
) -> LocalAirflow:
    """The local Airflow for this data folder and warehouse (starts the embedded warehouse if needed).

    Its metadata live in `database` on the warehouse's server, unless AIRFLOW__DATABASE__SQL_ALCHEMY_CONN is set.
    """
    from welfare.warehouse import warehouse_url

    settings = settings or get_settings()
    url = warehouse_url(settings)
    metadata = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    if not metadata:
        try:
            ensure_database(url, database)
        except Exception as exc:
            raise LocalAirflowError(
                f"cannot create the database '{database}' for Airflow's metadata on the warehouse server "
                f"({exc}); create it, or set AIRFLOW__DATABASE__SQL_ALCHEMY_CONN to a PostgreSQL database"
            ) from exc
        metadata = sqlalchemy_url(url, database)
    return LocalAirflow(home or settings.data_dir / "airflow", metadata, url, port=port, data_dir=settings.data_dir)


def configure_process(airflow: LocalAirflow, *, dag_test: bool = True) -> None:
    """Export the local Airflow's environment into this process, before Airflow is imported."""
    if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != str(airflow.home):
        raise LocalAirflowError(
            "Airflow was imported before its environment was set; configure the process first "
            f"(AIRFLOW_HOME is {os.environ.get('AIRFLOW_HOME')!r}, wanted {airflow.home})"
        )
    os.environ.update(airflow.env())
    if dag_test:
        os.environ["WELFARE_DAG_TEST"] = "1"
