"""Airflow's distributed components as local processes: the harness of the topology tests.

What `docker-compose.yml` runs in containers, started as processes on one machine:

- PostgreSQL on 127.0.0.1:5432 (trust, user postgres) holds Airflow's metadata database and the
  warehouse, each a fresh database per run (dropped afterwards), as an external Postgres would;
- Redis on 127.0.0.1:6379 is the Celery broker (database `REDIS_DB`, a queue of the run's own so
  two runs on one broker never take each other's tasks); Celery results go to the metadata database;
- what the compose file's init service does: `airflow db migrate`, then the Python of its script
  (read from docker-compose.yml) for the users and the connections, then `airflow connections
  import`; the pseudonym key reaches the tasks only through the `welfare_pseudonym` connection;
- api-server, scheduler, dag-processor, triggerer and, with the CeleryExecutor, `airflow celery
  worker` processes, all configured through the environment only (no airflow.cfg), the DAGs folder
  being the checkout's.

Used by tests/test_celery_topology.py (the annual cycle on Celery workers) and
tests/test_scheduler.py (the real scheduler: a file landing reaches the marts through the Assets;
the UI in a browser). Everything started is stopped by `Topology.stop` (process groups); every wait
is bounded.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from welfare.config import TIMEZONE, project_root

ROOT = project_root()
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
#: The broker's database number: not 0, which other users of a shared Redis take by default.
REDIS_DB = int(os.environ.get("WELFARE_TEST_REDIS_DB", "7"))
YEAR = 2025
SEED = 7
#: Per worker: two workers of 4 on two shared cores (the compose file's default is 8).
WORKER_CONCURRENCY = 4
#: Bounds on every wait (seconds); the whole test stays well under the pytest timeout below.
STARTUP_TIMEOUT = 180
RUN_TIMEOUT = {"reference_data": 120, "intake": 180, "warehouse": 360, "annual_reports": 300}
PROVINCIAL_AT = "2025-11-20T08:00:00+07:00"


# -- the services ----------------------------------------------------------------------------------
def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        return sock.connect_ex((host, port)) == 0


def missing_services(*, broker: bool = True) -> list[str]:
    """What is absent of the services the topology needs (empty: all answer); Redis only for Celery."""
    missing = []
    if not _port_open(PG_HOST, PG_PORT):
        missing.append(f"PostgreSQL on {PG_HOST}:{PG_PORT}")
    else:
        import psycopg

        try:
            with psycopg.connect(f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres", connect_timeout=5) as conn:
                conn.execute("select 1")
        except psycopg.Error as exc:
            missing.append(f"PostgreSQL on {PG_HOST}:{PG_PORT} accepting user {PG_USER} without password ({exc})")
    if not broker:
        return missing
    if not _port_open(REDIS_HOST, REDIS_PORT):
        missing.append(f"Redis on {REDIS_HOST}:{REDIS_PORT}")
    else:
        import redis

        try:
            redis.Redis(REDIS_HOST, REDIS_PORT, db=REDIS_DB, socket_timeout=5).ping()
        except redis.RedisError as exc:
            missing.append(f"Redis on {REDIS_HOST}:{REDIS_PORT} answering PING ({exc})")
    return missing


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres", autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


# -- the season ------------------------------------------------------------------------------------
@dataclass
class SmallSeason:
    """30 files of a generated province year, chosen so the truth for exactly these files is known."""

    out: Path
    manifest: dict[str, Any]
    files: list[dict[str, Any]]
    accepted: dict[str, set[str]]  # form → units whose only file of the season is landed and accepted
    rejected: list[dict[str, Any]]


def small_season(out: Path, *, accepted_cdcs: int = 25, accepted_captren: int = 2, rejected: int = 3) -> SmallSeason:
    """Generate the province year and choose the files: each unit's only file, received before the report."""
    from collections import Counter

    from welfare.generator.province import generate_province

    manifest = generate_province(out, YEAR, seed=SEED)
    files = sorted(manifest["files"], key=lambda f: (f["received_at"], f["path"]))
    # A unit's files: its workbooks and the bulk exports that carry it.
    per_unit = Counter(unit for f in files for unit in ([f["unit_code"]] if f["unit_code"] else f["units"] or []))
    before = datetime.fromisoformat(PROVINCIAL_AT)
    single = [
        f
        for f in files
        if f["kind"] == "workbook"
        and per_unit[f["unit_code"]] == 1
        and datetime.fromisoformat(f["received_at"]) < before
        and not f["conditional_rules"]
    ]
    counted = {form: set(units) for form, units in manifest["counted"].items()}

    def pick(form: str, good: bool, count: int) -> list[dict[str, Any]]:
        chosen = [
            f
            for f in single
            if f["form"] == form
            and f["expected_accepted"] is good
            and (f["unit_code"] in counted[form]) is good
            and not f["expected_duplicate_of"]
        ]
        assert len(chosen) >= count, f"the generated season has only {len(chosen)} such {form} files"
        return chosen[:count]

    good = pick("CDCS", True, accepted_cdcs) + pick("CAPTREN", True, accepted_captren)
    bad = pick("CDCS", False, rejected)
    landed = sorted(good + bad, key=lambda f: (f["received_at"], f["path"]))
    accepted: dict[str, set[str]] = {"CDCS": set(), "CAPTREN": set()}
    for f in good:
        accepted[f["form"]].add(f["unit_code"])
    return SmallSeason(out, manifest, landed, accepted, bad)


def land(season: SmallSeason, data_dir: Path) -> None:
    """Drop the files (received times kept) and the registry (received 01/09) into the landing zone."""
    from welfare.orchestration.landing import land_files

    landing = data_dir / "landing"
    land_files(
        [(season.out / f["path"], Path(f["path"]).relative_to("submissions")) for f in season.files], landing, YEAR
    )
    registry = landing / "registry" / "registry.csv"
    registry.parent.mkdir(parents=True, exist_ok=True)
    registry.write_bytes((season.out / "registry.csv").read_bytes())
    dropped = datetime(2025, 9, 1, 9, 0, tzinfo=TIMEZONE).timestamp()
    os.utime(registry, (dropped, dropped))


def expected_indicators(season: SmallSeason) -> list[dict[str, Any]]:
    """The generator's truth for the landed files only (unit → the figures it counted)."""
    from welfare.generator.truth import expected_indicators as truth
    from welfare.registry import read_registry

    counted = season.manifest["counted"]
    cdcs = {unit: counted["CDCS"][unit] for unit in season.accepted["CDCS"]}
    captren = {unit: counted["CAPTREN"][unit] for unit in season.accepted["CAPTREN"]}
    registry = read_registry(season.out / "registry.csv")
    return [v.as_dict() for v in truth(YEAR, registry, cdcs, captren)]


# -- the topology ----------------------------------------------------------------------------------
@dataclass
class Topology:
    """Airflow's distributed components as local processes, configured through the environment only."""

    root: Path
    executor: str = "CeleryExecutor"
    workers: int = 2
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    api_port: int = field(default_factory=_free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)
    #: Added last to every component's environment (a test's own settings).
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.root / "airflow"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "process-logs"

    @property
    def metadata_db(self) -> str:
        return f"airflow_topology_{self.tag}"

    @property
    def warehouse_db(self) -> str:
        return f"welfare_topology_{self.tag}"

    @property
    def warehouse_url(self) -> str:
        return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{self.warehouse_db}"

    @property
    def queue(self) -> str:
        return f"welfare-topology-{self.tag}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def celery(self) -> bool:
        return self.executor == "CeleryExecutor"

    def env(self) -> dict[str, str]:
        """The environment of every component: what the compose file's x-airflow-common sets."""
        from cryptography.fernet import Fernet
        from welfare.orchestration.local import PLUGINS_DIR

        keys_file = self.home / "keys.json"
        if not keys_file.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            keys_file.write_text(
                json.dumps(
                    {
                        "fernet": Fernet.generate_key().decode(),
                        "jwt": secrets.token_urlsafe(64),
                        "api": secrets.token_urlsafe(32),
                    }
                )
            )
        keys = json.loads(keys_file.read_text())
        metadata = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{self.metadata_db}"
        # Nothing of the calling process' Airflow or platform settings leaks in (the test session
        # configures its own Airflow for dag.test(); the pseudonym key must come from the connection).
        inherited = {
            k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "WELFARE_", "WAREHOUSE_", "DBT_"))
        }
        env = inherited | {
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__EXECUTOR": self.executor,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
            "AIRFLOW__CORE__FERNET_KEY": keys["fernet"],
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS_DIR),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
            "AIRFLOW__CORE__PARALLELISM": str(max(self.workers, 1) * WORKER_CONCURRENCY),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,approver:user",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "passwords.json"),
            "AIRFLOW__API__BASE_URL": self.base_url,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__SECRET_KEY": keys["api"],
            "AIRFLOW__API_AUTH__JWT_SECRET": keys["jwt"],
            # A past season is replayed on demand: the scheduler's clock would otherwise start this
            # year's scheduled runs (the provincial report of the current year, waiting for sign-off).
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            # The first parse of the warehouse DAG runs `dbt ls` (then cached by Cosmos): more than
            # the default 30 s on two busy cores, as on a fresh deployment.
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "180",
            "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "240",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
            "AIRFLOW__COSMOS__CACHE_DIR": str(self.home / "cosmos"),
            "AIRFLOW__OPENLINEAGE__DISABLED": "True",
            "WAREHOUSE_URL": self.warehouse_url,
            "WELFARE_DATA_DIR": str(self.data_dir),
            "WELFARE_PROJECT_DIR": str(ROOT),
            "WELFARE_PROGRESS": "0",
            # Airflow 3.3 can mark a deferred task that resumed quickly as failed when the stale
            # success of its defer-exit arrives late (apache/airflow#72716, #71580): the task's retry
            # recovers it, after this delay instead of the default 5 minutes.
            "WELFARE_RETRY_DELAY_SECONDS": "10",
        }
        if self.celery:
            env |= {
                "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
                "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{self.metadata_db}",
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
                "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queue,
            }
        return env | self.extra_env

    # -- lifecycle ---------------------------------------------------------------------------------
    def launch(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        """A one-off `airflow …` command in the background (output in the process logs)."""
        self.logs.mkdir(parents=True, exist_ok=True)
        handle = (self.logs / f"{name}.log").open("ab")
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "airflow"), *args],
            env=self.env(),
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def finish(self, process: subprocess.Popen[bytes], name: str, timeout: float = 300) -> None:
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise TimeoutError(f"airflow {name} took more than {timeout}s") from None
        if code != 0:
            log = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"airflow {name} failed ({code}):\n{log}")

    def create_databases(self) -> None:
        for name in (self.metadata_db, self.warehouse_db):
            _admin(f'create database "{name}"')
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def run_init_script(self, pseudonym_key: str) -> Path:
        """The compose file's init script (its Python part): the users' passwords and the connections file."""
        self.passwords = {"admin": secrets.token_urlsafe(12), "approver": secrets.token_urlsafe(12)}
        env = self.env() | {
            "AIRFLOW_ADMIN_PASSWORD": self.passwords["admin"],
            "AIRFLOW_APPROVER_PASSWORD": self.passwords["approver"],
            "WELFARE_PSEUDONYM_KEY": pseudonym_key,
        }
        script = init_script_python().replace(COMPOSE_SECRETS_DIR, str(self.home))
        subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60, capture_output=True)
        return self.home / "connections.json"

    def init_and_start(self, pseudonym_key: str) -> None:
        """The rest of the init service (users, connections file), the components, then the connections import."""
        connections = self.run_init_script(pseudonym_key)
        self.start()
        try:
            self.finish(
                self.launch("connections", "connections", "import", "--overwrite", str(connections)), "connections"
            )
        finally:
            connections.unlink()

    def commands(self) -> dict[str, list[str]]:
        airflow = str(Path(sys.executable).parent / "airflow")
        commands = {
            "api-server": [airflow, "api-server", "--port", str(self.api_port), "--host", "127.0.0.1"],
            "scheduler": [airflow, "scheduler", "--skip-serve-logs"],
            "dag-processor": [airflow, "dag-processor"],
            "triggerer": [airflow, "triggerer", "--skip-serve-logs"],
        }
        if self.celery:
            for number in range(1, self.workers + 1):
                # Workers on one machine share the log folder, so none serves logs over HTTP (port 8793).
                commands[f"worker-{number}"] = [
                    *(airflow, "celery", "worker", "--queues", self.queue, "--skip-serve-logs"),
                    *("--celery-hostname", f"worker{number}-{self.tag}@%h", "--without-gossip", "--without-mingle"),
                ]
        return commands

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        env = self.env()
        for name, command in self.commands().items():
            handle = (self.logs / f"{name}.log").open("ab")
            # A session of its own: the process group (celery's pool, task supervisors) is killed as one.
            self.processes[name] = subprocess.Popen(
                command, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )

    def dead(self) -> list[str]:
        return [name for name, process in self.processes.items() if process.poll() is not None]

    def stop(self) -> None:
        """SIGTERM every process group, SIGKILL what is left after 20 s."""
        for process in self.processes.values():
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in self.processes.values():
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the group: also children that outlived their parent
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)

    def drop(self) -> None:
        """Drop both databases and the run's keys on the broker."""
        for name in (self.metadata_db, self.warehouse_db):
            with suppress(Exception):
                _admin(f'drop database if exists "{name}" with (force)')
        if self.celery:
            import redis

            with suppress(redis.RedisError):
                broker = redis.Redis(REDIS_HOST, REDIS_PORT, db=REDIS_DB, socket_timeout=5)
                for key in broker.scan_iter(match=f"*{self.queue}*"):
                    broker.delete(key)

    def tail(self, lines: int = 25) -> str:
        """The end of every component's log, for a failure message."""
        parts = []
        for path in sorted(self.logs.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(parts)


COMPOSE_SECRETS_DIR = "/opt/airflow/secrets"


def init_script_python() -> str:
    """The Python the compose file's airflow-init runs (between `python - <<'PY'` and `PY`)."""
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    command = "\n".join(compose["services"]["airflow-init"]["command"])
    script = command.split("python - <<'PY'\n", 1)[1].split("\nPY\n", 1)[0]
    assert "$" not in script, "compose would interpolate the init script's Python"
    return script


# -- the REST API ----------------------------------------------------------------------------------
class Api:
    """The public REST API as an operator uses it (simple auth manager token)."""

    def __init__(self, topology: Topology) -> None:
        import httpx

        self.topology = topology
        self.client = httpx.Client(base_url=topology.base_url, timeout=30)

    def wait_until_up(self) -> None:
        import httpx

        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            self._fail_if_dead()
            try:
                if self.client.get("/api/v2/monitor/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        else:
            raise TimeoutError(f"the api-server did not answer in {STARTUP_TIMEOUT}s\n{self.topology.tail()}")
        token = self.client.post(
            "/auth/token", json={"username": "admin", "password": self.topology.passwords["admin"]}
        )
        token.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def _fail_if_dead(self) -> None:
        if dead := self.topology.dead():
            raise RuntimeError(f"{', '.join(dead)} stopped\n{self.topology.tail()}")

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params)
        response.raise_for_status()
        return response.json()

    def health(self) -> dict[str, Any]:
        return self.get("/api/v2/monitor/health")

    def wait_for_dags(self, dag_ids: set[str]) -> None:
        """Until the DAG processor has parsed every DAG (no import errors) and the components are healthy."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            self._fail_if_dead()
            errors = self.get("/api/v2/importErrors")["import_errors"]
            if errors:
                raise RuntimeError("DAG import errors:\n" + "\n".join(e["stack_trace"][-1500:] for e in errors))
            found = {d["dag_id"] for d in self.get("/api/v2/dags", limit=100)["dags"]}
            health = self.health()
            healthy = all(
                health.get(part, {}).get("status") == "healthy" for part in ("scheduler", "dag_processor", "triggerer")
            )
            if dag_ids <= found and healthy:
                return
            time.sleep(2)
        raise TimeoutError(f"DAGs {sorted(dag_ids)} not parsed in {STARTUP_TIMEOUT}s\n{self.topology.tail()}")

    def unpause(self, dag_id: str) -> None:
        response = self.client.patch(f"/api/v2/dags/{dag_id}", json={"is_paused": False})
        response.raise_for_status()

    def trigger(self, dag_id: str, logical_date: str, run_id: str, conf: dict[str, Any] | None = None) -> None:
        body = {"dag_run_id": run_id, "logical_date": logical_date, "conf": conf or {}}
        response = self.client.post(f"/api/v2/dags/{dag_id}/dagRuns", json=body)
        if response.status_code >= 400:
            raise RuntimeError(f"triggering {dag_id} failed: {response.status_code} {response.text}")

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        found = self.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances", limit=1000)
        return {
            t["task_id"] + (f"[{t['map_index']}]" if t["map_index"] >= 0 else ""): t["state"]
            for t in found["task_instances"]
        }

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._fail_if_dead()
            state = self.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if state in ("success", "failed"):
                return str(state)
            time.sleep(1)
        raise TimeoutError(
            f"{dag_id} {run_id} not finished in {timeout}s: {self.task_states(dag_id, run_id)}\n{self.topology.tail()}"
        )

    def failure_details(self, dag_id: str, run_id: str) -> str:
        states = self.task_states(dag_id, run_id)
        failed = [t for t, s in states.items() if s in ("failed", "upstream_failed")]
        logs = []
        for path in sorted((self.topology.home / "logs").rglob("*.log")):
            name = str(path)
            if (
                f"dag_id={dag_id}" in name
                and f"run_id={run_id}" in name
                and any(f"task_id={t.split('[')[0]}" in name for t in failed)
            ):
                logs.append(f"--- {path}\n{path.read_text(errors='replace')[-3000:]}")
        return f"{dag_id} {run_id}: failed tasks {failed}\n" + "\n".join(logs)


# -- the cycle -------------------------------------------------------------------------------------
@dataclass
class CycleResult:
    executor: str
    workers: int
    timings: dict[str, float]
    task_states: dict[str, dict[str, str]]
    worker_tasks: dict[str, int]
    approvals: int


DAGS = {"reference_data", "intake", "warehouse", "annual_reports", "reminders"}
CYCLE = (
    ("reference_data", "2025-10-01T05:30:00+07:00", None),
    ("intake", PROVINCIAL_AT, None),
    ("warehouse", PROVINCIAL_AT, None),
    ("annual_reports", PROVINCIAL_AT, {"now": "2025-11-20T09:30:00+07:00"}),
)


def run_cycle(
    topology: Topology, make_season: Callable[[], SmallSeason], pseudonym_key: str
) -> tuple[CycleResult, SmallSeason]:
    """Init and start the topology, run the annual cycle through the REST API, stop the processes.

    What the compose file's init service does runs beside other work: `db migrate` while the season
    is generated, `connections import` while the components start. The databases are left for the
    caller to check and to drop (`Topology.drop`).
    """
    from welfare.orchestration.approval import Approver

    timings: dict[str, float] = {}
    states: dict[str, dict[str, str]] = {}
    started = time.monotonic()
    try:
        topology.create_databases()
        migrate = topology.launch("db-migrate", "db", "migrate")
        season = make_season()
        land(season, topology.data_dir)
        timings["generate and land the season"] = round(time.monotonic() - started, 1)
        topology.finish(migrate, "db-migrate")
        timings["init (db migrate)"] = round(time.monotonic() - started, 1)
        topology.init_and_start(pseudonym_key)
        api = Api(topology)
        step = time.monotonic()
        api.wait_until_up()
        api.wait_for_dags(DAGS)
        timings["start and parse"] = round(time.monotonic() - step, 1)
        for dag_id in {d for d, _, _ in CYCLE}:
            api.unpause(dag_id)
        with Approver("approver", topology.passwords["approver"], base_url=topology.base_url) as approver:
            cycle_started = time.monotonic()
            for dag_id, logical_date, conf in CYCLE:
                run_id = f"topology__{dag_id}__{logical_date[:10]}"
                step = time.monotonic()
                api.trigger(dag_id, logical_date, run_id, conf)
                state = api.wait_for_run(dag_id, run_id, RUN_TIMEOUT[dag_id])
                timings[dag_id] = round(time.monotonic() - step, 1)
                states[dag_id] = api.task_states(dag_id, run_id)
                if state != "success":
                    raise AssertionError(api.failure_details(dag_id, run_id))
            timings["cycle"] = round(time.monotonic() - cycle_started, 1)
            approvals = len(approver.answers)
        timings["total"] = round(time.monotonic() - started, 1)
    finally:
        topology.stop()
    worker_tasks = {
        name: (topology.logs / f"{name}.log").read_text(errors="replace").count(" received")
        for name in topology.processes
        if name.startswith("worker-")
    }
    return CycleResult(topology.executor, topology.workers, timings, states, worker_tasks, approvals), season
