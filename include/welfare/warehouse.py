"""The warehouse: an embedded PostgreSQL by default, any Postgres through `WAREHOUSE_URL`.

The embedded server uses the binaries shipped in the `pgserver` wheel, keeps its data under
the project's data folder between runs and listens on 127.0.0.1 only, on a port chosen when
the cluster is created, so `psql`, dbt, Airflow and analysts' tools all reach it by URL.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from welfare.config import Settings, get_settings

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

DATABASE = "welfare"
SUPERUSER = "postgres"
DEFAULT_PORT = 54329
_SYSTEM_USER = "pgserver"  # postgres refuses to run as root; pgserver creates this user


class WarehouseError(RuntimeError):
    """The warehouse could not be reached or managed; the message says what to do."""


def _bin_dir() -> Path:
    """The PostgreSQL binaries shipped in the pgserver wheel (found without importing it: its import is noisy)."""
    import importlib.util

    spec = importlib.util.find_spec("pgserver")
    if spec is None or spec.origin is None:
        raise WarehouseError("the pgserver package is not installed: run `make install` (or `uv sync`)")
    return Path(spec.origin).parent / "pginstall" / "bin"


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pick_port() -> int:
    for port in range(DEFAULT_PORT, DEFAULT_PORT + 200):
        if _port_is_free(port):
            return port
    raise WarehouseError(f"no free TCP port between {DEFAULT_PORT} and {DEFAULT_PORT + 200} on 127.0.0.1")


def _ensure_system_user(name: str) -> None:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--shell", "/usr/sbin/nologin", name], check=True, capture_output=True)


def _open_prefixes(path: Path) -> None:
    """Let the server's system user traverse every folder above `path` (g+rx, o+rx)."""
    path.mkdir(parents=True, exist_ok=True)
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if mode & 0o055 != 0o055:
            parent.chmod(mode | 0o055)


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL cluster under `root` (pgdata, port file, log)."""

    root: Path

    @property
    def pgdata(self) -> Path:
        return self.root / "pgdata"

    @property
    def logfile(self) -> Path:
        return self.root / "postgres.log"

    @property
    def port_file(self) -> Path:
        return self.root / "port"

    @property
    def port(self) -> int:
        return int(self.port_file.read_text().strip())

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    # -- process control ----------------------------------------------------------------
    def _run_as(self) -> str | None:
        if os.name == "posix" and os.geteuid() == 0:
            _ensure_system_user(_SYSTEM_USER)
            return _SYSTEM_USER
        return None

    def _run(self, exe: str, args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        cmd = [str(_bin_dir() / exe), *args]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, user=self._run_as(), check=False)
        if result.returncode != 0:
            raise WarehouseError(
                f"{exe} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}\n"
                f"See the server log at {self.logfile}."
            )
        return result

    def _prepare_permissions(self) -> None:
        user = self._run_as()
        if user is None:
            return
        import pwd

        _open_prefixes(self.root)
        _open_prefixes(_bin_dir().parent.parent)
        for folder in (_bin_dir().parent,):
            for path in [folder, *folder.rglob("*")]:
                mode = path.stat().st_mode
                wanted = mode | 0o044 | (0o011 if path.is_dir() or mode & 0o100 else 0)
                if wanted != mode:
                    path.chmod(wanted)
        entry = pwd.getpwnam(user)
        for path in (self.root, self.pgdata):
            path.mkdir(parents=True, exist_ok=True)
            os.chown(path, entry.pw_uid, entry.pw_gid)
        self.pgdata.chmod(0o700)
        if self.logfile.exists():
            os.chown(self.logfile, entry.pw_uid, entry.pw_gid)

    def is_initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def is_running(self) -> bool:
        if not self.is_initialised():
            return False
        result = subprocess.run(
            [str(_bin_dir() / "pg_ctl"), "-D", str(self.pgdata), "status"],
            capture_output=True,
            text=True,
            user=self._run_as(),
            check=False,
        )
        return result.returncode == 0

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._prepare_permissions()
        if self.is_initialised():
            return
        log.info("creating a PostgreSQL cluster in %s", self.pgdata)
        self._run(
            "initdb",
            ["-D", str(self.pgdata), "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "-U", SUPERUSER],
            timeout=120,
        )
        self.port_file.write_text(f"{_pick_port()}\n")
        # A small, quiet server: the laptop and CI share two cores with Airflow and dbt.
        with (self.pgdata / "postgresql.auto.conf").open("a") as conf:
            conf.write("max_connections = 200\nshared_buffers = '256MB'\nfsync = on\nlog_min_messages = warning\n")

    def start(self) -> None:
        self.init()
        if self.is_running():
            return
        if not _port_is_free(self.port):
            self.port_file.write_text(f"{_pick_port()}\n")
        self._prepare_permissions()
        self.logfile.touch(exist_ok=True)
        self._prepare_permissions()
        options = f"-h 127.0.0.1 -p {self.port} -k {self.pgdata}"
        self._run(
            "pg_ctl",
            ["-D", str(self.pgdata), "-l", str(self.logfile), "-o", options, "-w", "-t", "60", "start"],
            timeout=90,
        )
        self._ensure_database()

    def stop(self) -> None:
        if self.is_running():
            self._run("pg_ctl", ["-D", str(self.pgdata), "-m", "fast", "-w", "stop"], timeout=90)

    def _ensure_database(self) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=10) as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", (DATABASE,)).fetchone()
            if not exists:
                conn.execute(f'create database "{DATABASE}"')


def embedded(settings: Settings | None = None) -> EmbeddedPostgres:
    return EmbeddedPostgres((settings or get_settings()).warehouse_dir)


def warehouse_url(settings: Settings | None = None, *, start: bool = True) -> str:
    """The URL of the warehouse: `WAREHOUSE_URL`, or the embedded server (started if asked)."""
    settings = settings or get_settings()
    if settings.warehouse_url:
        return settings.warehouse_url
    server = embedded(settings)
    if start:
        server.start()
    elif not server.is_running():
        raise WarehouseError("the embedded warehouse is not running: start it with `welfare warehouse start`")
    return server.url()


def redact(url: str) -> str:
    """The URL with any password replaced, for logs and messages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


@contextmanager
def connect(url: str | None = None, *, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    """A psycopg connection to the warehouse; commits on success, rolls back on error."""
    import psycopg

    target = url or warehouse_url()
    try:
        conn = psycopg.connect(target, autocommit=autocommit, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise WarehouseError(
            f"cannot connect to the warehouse at {redact(target)}: {exc}. "
            "Check WAREHOUSE_URL, or unset it to use the embedded warehouse (`welfare warehouse start`)."
        ) from exc
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def wait_until_ready(url: str, timeout: float = 30) -> None:
    """Block until the server at `url` accepts connections."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(url, connect_timeout=3):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
