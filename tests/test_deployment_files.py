"""The deployment files read as data: docker-compose.yml, .env.example, Dockerfile, .dockerignore.

No Docker is needed (nor started): these tests parse the files and hold them against the code —
the services and their commands, the executor, health checks, every environment variable and
connection the platform reads, the paths the image puts things at, the versions it installs, and
that no secret is written in the compose file. tests/test_celery_topology.py runs the same topology.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from welfare.config import project_root

ROOT = project_root()
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"

AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "flower",
    "airflow-cli",
}
#: The long-running Airflow components and the command each runs.
COMMANDS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}
#: Variables the package reads that a deployment does not set, and why.
NOT_DEPLOYMENT_SETTINGS = {
    "WELFARE_DAG_TEST": "set only by the tests and the season simulation (dag.test())",
    "WELFARE_PROGRESS": "the command line's progress bars",
    "PGUSER": "fallback user of a URL without one; WAREHOUSE_URL names its user",
    "AIRFLOW_HOME": "the image's own (/opt/airflow)",
    "AIRFLOW_CONN_WELFARE_WAREHOUSE": "the local Airflow's way; the init service creates the connection instead",
    "DBT_THREADS": "dbt_project/profiles.yml, for `welfare build`; Airflow's build takes WELFARE_DBT_THREADS (Cosmos)",
}
#: Set by welfare.build for dbt from WAREHOUSE_URL (or by Cosmos from the connection), never by hand.
INTERNAL_PREFIXES = ("WELFARE_DB_",)
#: Names of variables that hold a secret (…_PASSWORDS_FILE holds a path).
SECRET_NAME = re.compile(r"PASSWORD(?!S_FILE)|SECRET|FERNET|JWT|PSEUDONYM_KEY|BASIC_AUTH|CLI_AUTH|TOKEN")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for number, line in enumerate(ENV_EXAMPLE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", name), f".env.example line {number} is not NAME=value"
        assert name not in values, f"{name} twice in .env.example"
        values[name] = value
    return values


def strings(node: Any) -> list[str]:
    """Every string of the parsed compose file (values and keys): where compose interpolates."""
    if isinstance(node, dict):
        return [text for key, value in node.items() for text in (*strings(key), *strings(value))]
    if isinstance(node, list):
        return [text for item in node for text in strings(item)]
    return [node] if isinstance(node, str) else []


def interpolated(compose: dict[str, Any], *, required_only: bool = False) -> set[str]:
    """Names of the ${VAR…} that compose substitutes (not the escaped $${VAR} the container's shell sees)."""
    pattern = r"(?<!\$)\$\{([A-Z][A-Z0-9_]*):\?" if required_only else r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)"
    return {name for text in strings(compose) for name in re.findall(pattern, text)}


def volume(spec: str) -> tuple[str, str]:
    """(source, target) of a short volume syntax; the source may hold ${VAR:-default}."""
    match = re.fullmatch(r"(?P<source>.+?):(?P<target>/[^:]*)(?::(?:ro|rw))?", spec)
    assert match, f"cannot read the volume {spec!r}"
    return match["source"], match["target"]


def command_text(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "environment is written as a mapping"
    return {k: str(v) for k, v in env.items()}


# -- the Dockerfile as data ----------------------------------------------------------------------------
def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = pending + stripped
        pending = ""
        instruction, _, arguments = full.partition(" ")
        out.append((instruction.upper(), arguments.strip()))
    return out


def dockerfile_args() -> dict[str, str]:
    return dict(
        arguments.split("=", 1)
        for instruction, arguments in dockerfile_instructions()
        if instruction == "ARG" and "=" in arguments
    )


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, arguments in dockerfile_instructions():
        if instruction == "ENV":
            env |= dict(re.findall(r"([A-Z_][A-Z0-9_]*)=(\S+)", arguments))
    return env


def expand(text: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{([A-Z_][A-Z0-9_]*)\}", lambda m: env[m.group(1)], text)


def dockerfile_copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of the COPY instructions that take files from the build context."""
    env = dockerfile_env()
    copies = []
    for instruction, arguments in dockerfile_instructions():
        if instruction != "COPY" or "--from=" in arguments:
            continue
        parts = [p for p in arguments.split() if not p.startswith("--")]
        copies.append(([p.rstrip("/") for p in parts[:-1]], expand(parts[-1], env).rstrip("/")))
    return copies


def locked_versions() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return {p["name"]: p.get("version", "") for p in lock["package"]}


def runtime_closure() -> set[str]:
    """The packages `uv export --no-dev` takes from the lock: the project's dependencies (and the extras
    they ask for, like celery[redis]), transitively."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    packages = {p["name"]: p for p in lock["package"]}
    seen: set[tuple[str, str]] = set()
    todo: list[tuple[str, str]] = [
        (d["name"], e) for d in packages["welfare"].get("dependencies", []) for e in ["", *d.get("extra", [])]
    ]
    while todo:
        name, extra = todo.pop()
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        package = packages[name]
        deps = package.get("optional-dependencies", {}).get(extra, []) if extra else package.get("dependencies", [])
        todo += [(d["name"], e) for d in deps for e in ["", *d.get("extra", [])]]
    return {name for name, _ in seen}


# -- services ------------------------------------------------------------------------------------------
def test_the_services_of_the_topology_and_their_commands(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == {"airflow-db", "warehouse", "redis"} | AIRFLOW_SERVICES
    for name, command in COMMANDS.items():
        assert command_text(services[name]) == command, name
    init = command_text(services["airflow-init"])
    assert "airflow db migrate" in init and "airflow connections import --overwrite" in init
    assert "passwords.json" in init  # the users of the simple auth manager
    assert services["flower"]["profiles"] == ["flower"] and "airflow celery flower" in command_text(services["flower"])
    assert services["airflow-cli"]["profiles"] == ["debug"]
    for name in ("airflow-db", "warehouse"):
        assert services[name]["image"] == "postgres:16" and services[name]["profiles"] == ["bundled-db"]
    assert services["redis"]["image"].startswith("redis:7.2")


def test_every_airflow_service_runs_the_project_image(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    common = compose["x-airflow-common"]
    assert common["build"]["context"] == "." and (ROOT / "Dockerfile").is_file()
    for name in AIRFLOW_SERVICES:
        assert services[name]["image"] == common["image"], name
        assert services[name]["build"] == common["build"], name


def test_the_executor_is_celery_over_redis_with_postgres_metadata(services: dict[str, dict[str, Any]]) -> None:
    for name in AIRFLOW_SERVICES:
        env = environment(services[name])
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://"), name
        assert "@${AIRFLOW_DB_HOST:-airflow-db}:" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://:${REDIS_PASSWORD:?")
        assert env["AIRFLOW__CELERY__BROKER_URL"].endswith("@redis:6379/0")
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")
        # Tasks on the workers talk to the api-server's Execution API by its service name.
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    assert "8080" in services["airflow-apiserver"]["ports"][0].split(":")[-1]


def test_health_checks_and_start_order(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if name in ("airflow-init", "airflow-cli"):
            continue  # one-shot
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
        assert service.get("restart") == "always", name
    checks = {name: " ".join(services[name]["healthcheck"]["test"]) for name in services if name in COMMANDS}
    assert "localhost:8080/api/v2/version" in checks["airflow-apiserver"]
    assert "localhost:8974/health" in checks["airflow-scheduler"]
    assert environment(services["airflow-scheduler"])["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"
    assert "DagProcessorJob" in checks["airflow-dag-processor"] and "TriggererJob" in checks["airflow-triggerer"]
    assert "inspect ping" in checks["airflow-worker"]
    for name in {*COMMANDS, "flower"}:
        depends = services[name]["depends_on"]
        assert depends["airflow-init"]["condition"] == "service_completed_successfully", name
        assert depends["redis"]["condition"] == "service_healthy", name
        for database in ("airflow-db", "warehouse"):  # optional: an external Postgres replaces them
            assert depends[database] == {"condition": "service_healthy", "required": False}, name
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"


def test_workers_scale_with_docker_compose_scale(services: dict[str, dict[str, Any]]) -> None:
    worker = services["airflow-worker"]
    assert "container_name" not in worker and "ports" not in worker  # both would clash across replicas
    assert environment(worker)["DUMB_INIT_SETSID"] == "0"  # warm shutdown
    assert not any("container_name" in s for s in services.values())


def test_volumes_put_the_data_where_the_package_looks(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from welfare.config import get_settings

    env = environment(services["airflow-worker"])
    monkeypatch.setenv("WELFARE_DATA_DIR", env["WELFARE_DATA_DIR"])
    settings = get_settings()
    wanted = {
        "landing": settings.landing_dir,
        "feedback": settings.feedback_dir,
        "reports": settings.reports_dir,
        "archive": settings.data_dir / "archive",  # intake keeps the originals here
    }
    for name in AIRFLOW_SERVICES - {"airflow-cli"}:
        mounts = {target: source for source, target in map(volume, services[name].get("volumes", []))}
        for what, path in wanted.items():
            assert str(path) in mounts, f"{name} does not mount the {what} folder at {path}"
            assert mounts[str(path)].startswith(f"${{WELFARE_{what.upper()}_DIR:-"), (
                f"{name}: {what} is not configurable"
            )
        assert str(settings.data_dir) in mounts, f"{name}: the rest of the data folder is not on a shared volume"
        assert "/opt/airflow/logs" in mounts, f"{name} does not share the task logs"
    # The users' passwords reach the api-server (read-only) and the init service only.
    holders = {n for n, s in services.items() if any("airflow-secrets:" in v for v in s.get("volumes", []))}
    assert holders == {"airflow-init", "airflow-apiserver"}


# -- settings and secrets -------------------------------------------------------------------------------
def variables_read_by_the_project() -> set[str]:
    """Every environment variable named in include/welfare, dags/ and the dbt profile."""
    names: set[str] = set()
    sources = [*(ROOT / "include" / "welfare").rglob("*.py"), *(ROOT / "dags").glob("*.py")]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"""(?:environ(?:\.get)?|getenv|setdefault)\(\s*["']([A-Z][A-Z0-9_]+)["']""", text))
        names |= set(re.findall(r"""environ\[\s*["']([A-Z][A-Z0-9_]+)["']\s*\]""", text))
        # Names kept in constants (ENV_KEY = "WELFARE_PSEUDONYM_KEY") or passed to helpers (_int("WELFARE_…")).
        names |= set(re.findall(r"""["']((?:WELFARE|WAREHOUSE|AIRFLOW_CONN)_[A-Z0-9_]+)["']""", text))
    profiles = (ROOT / "dbt_project" / "profiles.yml").read_text(encoding="utf-8")
    names |= set(re.findall(r"env_var\('([A-Z][A-Z0-9_]+)'", profiles))
    return names


def test_the_scan_finds_the_known_settings() -> None:
    found = variables_read_by_the_project()
    assert {"WAREHOUSE_URL", "WELFARE_DATA_DIR", "WELFARE_PROJECT_DIR", "WELFARE_PSEUDONYM_KEY"} <= found
    assert {"WELFARE_SEASON_START", "WELFARE_INTAKE_BATCH_FILES", "WELFARE_DBT_THREADS"} <= found


def test_every_variable_the_project_reads_is_provided(
    compose: dict[str, Any], services: dict[str, dict[str, Any]], env_example: dict[str, str]
) -> None:
    worker = environment(services["airflow-worker"])
    init = environment(services["airflow-init"])
    missing = []
    for name in sorted(variables_read_by_the_project()):
        if name in NOT_DEPLOYMENT_SETTINGS or name.startswith(INTERNAL_PREFIXES) or name.startswith("AIRFLOW__"):
            continue
        if name in worker or name in init or name in env_example:
            continue
        missing.append(name)
    assert not missing, f"read by the platform but set neither in docker-compose.yml nor in .env.example: {missing}"
    # And every setting of .env.example reaches the containers (a name compose never reads does nothing).
    used = interpolated(compose)
    assert set(env_example) - used == {"COMPOSE_PROFILES"}  # read by compose itself
    assert used <= set(env_example), (
        f"used in docker-compose.yml, not documented in .env.example: {used - set(env_example)}"
    )


def test_the_warehouse_and_the_pseudonym_key_reach_the_tasks_the_right_way(services: dict[str, dict[str, Any]]) -> None:
    from welfare.config import get_settings

    worker = environment(services["airflow-worker"])
    assert worker["WAREHOUSE_URL"].startswith("postgresql://${WAREHOUSE_USER:-welfare}:${WAREHOUSE_PASSWORD:?")
    assert worker["WELFARE_PROJECT_DIR"] == dockerfile_env()["WELFARE_PROJECT_DIR"]
    assert worker["WELFARE_DATA_DIR"] == dockerfile_env()["WELFARE_DATA_DIR"]
    assert get_settings  # the two variables above are the package's (welfare.config)
    # The key is given to the init service, which stores it in the connection; no running service has it.
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        assert "WELFARE_PSEUDONYM_KEY" not in environment(services[name]), name
    assert environment(services["airflow-init"])["WELFARE_PSEUDONYM_KEY"].startswith("${WELFARE_PSEUDONYM_KEY:?")


def test_the_init_service_creates_every_connection_the_code_expects(services: dict[str, dict[str, Any]]) -> None:
    from welfare.cosmos_config import WAREHOUSE_CONN_ID
    from welfare.intake.pseudonym import AIRFLOW_CONN
    from welfare.orchestration.settings import OrchestrationSettings

    init = command_text(services["airflow-init"])
    expected = {WAREHOUSE_CONN_ID, AIRFLOW_CONN, OrchestrationSettings.smtp_conn_ids[0]}
    for conn_id in expected:
        assert f'"{conn_id}"' in init, f"the init service does not create the connection {conn_id}"


def test_no_secret_is_written_in_the_compose_file(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for name, service in services.items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key):
                # A secret is a required interpolation, or (Flower's optional one) empty unless .env sets it.
                assert re.fullmatch(r"\$\{[A-Z0-9_]+(:\?[^}]*|:-)\}", value), f"{name}: {key} = {value!r}"
            for credentials in re.findall(r"://([^@/\s]*)@", value):
                password = credentials.partition(":")[2]
                assert not password or re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]*\}", password), f"{name}: {key}"
    # No key-like literal anywhere outside an interpolation: long hex, base64 or token-like strings.
    bare = re.sub(r"\$\{[^}]*\}", "", text)
    assert not re.findall(r"\b[0-9a-fA-F]{32,}\b", bare)
    random_looking = [
        token
        for token in re.findall(r"[A-Za-z0-9+/_=-]{24,}", bare)
        if re.search(r"[a-z]", token) and re.search(r"[A-Z]", token) and re.search(r"[0-9]", token)
    ]
    assert not random_looking, f"key-like literals in docker-compose.yml: {random_looking}"
    # Redis takes its password from its environment (REDISCLI_AUTH, a required interpolation).
    assert '--requirepass "$${REDISCLI_AUTH}"' in command_text(services["redis"])


def test_env_example_holds_no_secret_value(compose: dict[str, Any], env_example: dict[str, str]) -> None:
    required = interpolated(compose, required_only=True)
    assert required <= set(env_example)
    for name, value in env_example.items():
        if SECRET_NAME.search(name) or name in required:
            assert value == "", f".env.example gives {name} a value: secrets are left empty"
    assert "WELFARE_PSEUDONYM_KEY" in required and "AIRFLOW_FERNET_KEY" in required


# -- the image ---------------------------------------------------------------------------------------
def test_the_image_extends_the_official_airflow_image_at_the_locked_version() -> None:
    args = dockerfile_args()
    versions = locked_versions()
    assert args["AIRFLOW_VERSION"] == versions["apache-airflow"], "Dockerfile AIRFLOW_VERSION differs from uv.lock"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    assert f">={args['PYTHON_VERSION']}" in requires, f"the image's Python {args['PYTHON_VERSION']} vs {requires}"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert f"UV_VERSION := {args['UV_VERSION']}" in makefile, "the image exports the lock with another uv than make"
    froms = [a for i, a in dockerfile_instructions() if i == "FROM"]
    assert froms[-1] == "apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}"
    assert [i for i, _ in dockerfile_instructions() if i == "USER"][-1:] == ["USER"]
    assert [a for i, a in dockerfile_instructions() if i == "USER"][-1] == "airflow"  # never runs as root


def test_the_image_installs_exactly_the_locked_versions() -> None:
    """The image's pip installs `uv export --frozen --no-dev` with hashes: the lock's versions, nothing else."""
    runs = " ".join(a for i, a in dockerfile_instructions() if i == "RUN")
    assert re.search(r"uv export --frozen --no-dev --no-emit-project\b", runs)
    assert "pip install --no-cache-dir --require-hashes -r /tmp/requirements.txt" in runs
    assert "pip install --no-cache-dir --no-deps ${WELFARE_PROJECT_DIR}" in runs  # the project, without re-resolving
    closure = runtime_closure()
    versions = locked_versions()
    pinned = {}
    for package in (
        "apache-airflow",
        "dbt-core",
        "dbt-postgres",
        "astronomer-cosmos",
        "great-expectations",
        "apache-airflow-providers-celery",
        "celery",
        "redis",
    ):
        assert package in closure, f"{package} is not a runtime dependency in uv.lock: the image would lack it"
        pinned[package] = versions[package]
    assert pinned["apache-airflow"] == dockerfile_args()["AIRFLOW_VERSION"]
    assert pinned["dbt-core"].startswith("1.11.") and pinned["dbt-postgres"].startswith("1.11.")
    assert pinned["astronomer-cosmos"].startswith("1.15.") and pinned["great-expectations"].startswith("1.")
    assert not pinned["celery"].startswith("5.7"), (
        "providers-celery imports celery.backends.database.retry (gone in 5.7)"
    )


def test_the_image_puts_dags_plugin_and_project_where_airflow_and_the_package_look(
    services: dict[str, dict[str, Any]],
) -> None:
    copies = dockerfile_copies()
    destinations = {dest: sources for sources, dest in copies}
    env = dockerfile_env()
    project = env["WELFARE_PROJECT_DIR"]
    worker = environment(services["airflow-worker"])
    assert worker["AIRFLOW__CORE__DAGS_FOLDER"] == env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/airflow/dags"
    assert destinations["/opt/airflow/dags"] == ["dags"]
    assert worker["AIRFLOW__CORE__PLUGINS_FOLDER"] == env["AIRFLOW__CORE__PLUGINS_FOLDER"]
    from welfare.orchestration.local import PLUGINS_DIR

    assert destinations[env["AIRFLOW__CORE__PLUGINS_FOLDER"]] == [str(PLUGINS_DIR.relative_to(ROOT))]
    from welfare.cosmos_config import dbt_project_path

    assert destinations[f"{project}/dbt_project"] == [str(dbt_project_path().relative_to(ROOT))]
    # The wheel's packages (pyproject's hatch targets) are what the image copies before `pip install`.
    hatch = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]["build"]
    packages = {Path(p).parts[0] for p in hatch["targets"]["wheel"]["packages"]}
    copied = {sources[0] for sources, dest in copies if dest.startswith(project) and dest != f"{project}/dbt_project"}
    assert packages <= copied
    for sources, _ in copies:
        for source in sources:
            assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which is not in the repository"


def test_the_build_context_is_an_allow_list_of_what_the_image_copies() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"
    allowed = {line[1:] for line in lines if line.startswith("!")}
    for sources, _ in dockerfile_copies():
        for source in sources:
            assert Path(source).parts[0] in allowed, f"{source} is copied but excluded from the build context"
    assert not {".env", "data", ".venv", ".git"} & allowed
