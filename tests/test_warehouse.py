"""The embedded warehouse and WAREHOUSE_URL, through the real `welfare` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from welfare.warehouse import EmbeddedPostgres, _bin_dir

WELFARE = [sys.executable, "-m", "welfare.cli"]


def welfare(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WELFARE, *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "WAREHOUSE_URL"}
    env["WELFARE_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def test_start_stop_restart_keeps_data(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "data")
    started = welfare("warehouse", "start", env=env)
    assert started.returncode == 0, started.stderr
    url = welfare("warehouse", "url", env=env).stdout.strip()
    assert url.startswith("postgresql://postgres@127.0.0.1:")
    # psql itself accepts the URL.
    psql = subprocess.run(
        [str(_bin_dir() / "psql"), url, "-Atc", "create table kept (x int); insert into kept values (42);"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert psql.returncode == 0, psql.stderr
    assert welfare("warehouse", "stop", env=env).returncode == 0
    status = welfare("warehouse", "status", env=env)
    assert status.returncode == 1 and "not running" in status.stderr
    assert welfare("warehouse", "start", env=env).returncode == 0
    with psycopg.connect(url) as conn:
        assert conn.execute("select x from kept").fetchone() == (42,)
    assert welfare("warehouse", "status", env=env).returncode == 0
    assert welfare("warehouse", "stop", env=env).returncode == 0


def test_warehouse_url_is_respected_and_nothing_is_started(tmp_path: Path) -> None:
    other = EmbeddedPostgres(tmp_path / "other")
    other.start()
    try:
        data_dir = tmp_path / "data"
        env = clean_env(data_dir, WAREHOUSE_URL=other.url())
        assert welfare("warehouse", "url", env=env).stdout.strip() == other.url()
        loaded = welfare(
            "registry",
            "load",
            str(Path(__file__).parent.parent / "include/welfare/reference/registry_ha_tinh.csv"),
            env=env,
        )
        assert loaded.returncode == 0, loaded.stderr
        with psycopg.connect(other.url()) as conn:
            assert conn.execute("select count(*) from registry.units").fetchone()[0] > 1900  # type: ignore[index]
        assert not (data_dir / "warehouse").exists(), "an embedded warehouse was created despite WAREHOUSE_URL"
        assert welfare("warehouse", "stop", env=env).returncode == 1
    finally:
        other.stop()


def test_unreachable_warehouse_url_gives_an_actionable_error(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "data", WAREHOUSE_URL="postgresql://nobody:secret@127.0.0.1:1/none")
    result = welfare("warehouse", "status", env=env)
    assert result.returncode == 1
    assert "cannot connect" in result.stderr and "WAREHOUSE_URL" in result.stderr
    assert "secret" not in result.stderr, "the password leaked into the message"


@pytest.mark.skipif(
    subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432"], capture_output=True, check=False).returncode != 0
    if os.path.exists("/usr/bin/pg_isready")
    else True,
    reason="no PostgreSQL service on 127.0.0.1:5432 on this machine",
)
def test_external_service_postgres(tmp_path: Path) -> None:
    """Against the machine's own PostgreSQL service, when there is one (CI has it)."""
    env = clean_env(tmp_path / "data", WAREHOUSE_URL="postgresql://postgres@127.0.0.1:5432/postgres")
    result = welfare("warehouse", "status", env=env)
    assert result.returncode == 0, result.stderr
    assert "external" in result.stdout
