"""Shared fixtures: an embedded warehouse for the session, isolated data folders per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from welfare.config import REFERENCE_DIR

SHIPPED_REGISTRY = REFERENCE_DIR / "registry_ha_tinh.csv"


@pytest.fixture(scope="session")
def warehouse_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data folder holding one embedded PostgreSQL for the whole test session."""
    from welfare.warehouse import EmbeddedPostgres

    root = tmp_path_factory.mktemp("data")
    server = EmbeddedPostgres(root / "warehouse")
    server.start()
    yield root
    server.stop()


@pytest.fixture
def warehouse_url(warehouse_root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database on the session's server; the environment points the platform at it."""
    import psycopg
    from welfare.warehouse import EmbeddedPostgres

    server = EmbeddedPostgres(warehouse_root / "warehouse")
    name = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = server.url(name)
    monkeypatch.setenv("WAREHOUSE_URL", url)
    monkeypatch.setenv("WELFARE_DATA_DIR", str(warehouse_root))
    yield url
    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No WAREHOUSE_URL, and a data folder of the test's own."""
    monkeypatch.delenv("WAREHOUSE_URL", raising=False)
    monkeypatch.setenv("WELFARE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("WELFARE_PROGRESS", "0")


@pytest.fixture(scope="session")
def new_database(warehouse_root: Path):
    """A factory: each call creates an empty database on the session's server and returns its URL."""
    import psycopg
    from welfare.warehouse import EmbeddedPostgres

    server = EmbeddedPostgres(warehouse_root / "warehouse")

    def create() -> str:
        name = f"t_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        return server.url(name)

    return create


@pytest.fixture(scope="session")
def pseudonym_key() -> Iterator[str]:
    key = "5f" * 32
    old = os.environ.get("WELFARE_PSEUDONYM_KEY")
    os.environ["WELFARE_PSEUDONYM_KEY"] = key
    yield key
    if old is None:
        os.environ.pop("WELFARE_PSEUDONYM_KEY", None)
    else:
        os.environ["WELFARE_PSEUDONYM_KEY"] = old


@pytest.fixture(scope="session")
def season_2025(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A generated province year 2025 (seed 7), shared by the tests that only read it."""
    from welfare.generator.province import generate_province

    out = tmp_path_factory.mktemp("season2025")
    manifest = generate_province(out, 2025, seed=7)
    return out, manifest


@pytest.fixture(scope="session")
def welfare_cycle(new_database, season_2025: tuple[Path, dict], pseudonym_key: str, tmp_path_factory) -> dict:
    """Part of the 2025 season through intake, dbt build and reports (tests/reliability.py: full_cycle)."""
    from reliability import full_cycle

    out, manifest = season_2025
    return full_cycle(new_database(), out, manifest, tmp_path_factory.mktemp("cycle"))
