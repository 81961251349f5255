"""Reliability on a full cycle (tests/reliability.py: full_cycle): reports built while a batch loads and
the marts rebuild, every writing command run twice, dbt killed in the middle of a build, the disk
full while writing reports. The tests run in file order and each leaves the warehouse consistent.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from reliability import INTAKE_TABLES, counts, file_hashes, marts_fingerprint
from welfare.build import dbt_project_dir, run_dbt
from welfare.intake.pipeline import ingest
from welfare.reports import build_reports
from welfare.reports.snapshot import ReportError

pytestmark = pytest.mark.slow

REGISTRY_TABLES = ("registry.loads", "registry.unit_versions", "registry.units")
ACCESS_TABLES = ("access.reader_scopes",)


def _snapshot_rows(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select snapshot_id, digest, payload_sha256 from audit.report_snapshots where reporting_year = 2025 "
            "order by snapshot_id"
        ).fetchall()


def _state_of_marts(url: str) -> tuple[str, str]:
    """(submissions digest, payload SHA-256) of the marts as they are now, read in one transaction."""
    from welfare.reports.snapshot import canonical_json, read_payload, submissions_digest

    with psycopg.connect(url) as conn:
        conn.execute("set transaction isolation level repeatable read")
        payload = read_payload(conn, 2025)
    return submissions_digest(payload["submissions"])[1], hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def test_reports_built_during_a_load_and_rebuild_show_one_consistent_state(welfare_cycle: dict) -> None:
    """An ingest of a new batch then a dbt build run in a thread; reports are built meanwhile, again
    and again. Each report must show the marts either entirely before or entirely after."""
    cycle = welfare_cycle
    url, out = cycle["url"], cycle["root"] / "concurrent-reports"
    before = _state_of_marts(url)
    errors: list[BaseException] = []
    finished = threading.Event()

    def load_and_rebuild() -> None:
        try:
            summary = ingest([cycle["extra"]], url=url, settings=cycle["settings"], run_id="concurrent")
            assert summary.accepted_any
            built = run_dbt(["build", "--quiet"], url=url, **cycle["dbt_paths"])
            assert built.success, built.summary()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            finished.set()

    worker = threading.Thread(target=load_and_rebuild)
    worker.start()
    manifests: list[dict] = []
    failures: list[str] = []
    while not finished.is_set() or not manifests:
        try:
            files = build_reports(2025, out, unit=cycle["province"], url=url)
        except ReportError as exc:
            failures.append(str(exc))
            continue
        manifest = next(f for f in files if f.kind == "manifest")
        manifests.append(json.loads(manifest.path.read_text(encoding="utf-8")))
    worker.join()
    assert not errors, errors
    assert not failures, failures
    after = _state_of_marts(url)
    assert after[0] != before[0], "the new batch changed the counted submissions"
    recorded = {row[0]: (row[1], row[2]) for row in _snapshot_rows(url)}
    assert len(manifests) >= 2
    for manifest in manifests:
        snapshot = manifest["snapshot"]
        assert recorded[snapshot["id"]] in (before, after), f"snapshot {snapshot['id']} mixes two states of the marts"
        assert snapshot["digest"] in (before[0], after[0])
    # The report rebuilt now shows the new state.
    files = build_reports(2025, out, unit=cycle["province"], url=url)
    latest = json.loads(next(f for f in files if f.kind == "manifest").path.read_text(encoding="utf-8"))
    assert latest["snapshot"]["digest"] == after[0]


def _welfare(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "welfare.cli", *args], capture_output=True, text=True, env=env, timeout=900, check=False
    )
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-3000:])
    return done


@pytest.fixture(scope="module")
def cli_env(welfare_cycle: dict, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of `welfare` subprocesses: the cycle's warehouse and data folder, and a copy of the
    project so that `welfare build` writes dbt's target/ and logs/ there, not in the checkout."""
    project = tmp_path_factory.mktemp("project")
    shutil.copytree(dbt_project_dir(), project / "dbt_project", ignore=shutil.ignore_patterns("target", "logs"))
    env = dict(os.environ)
    env.update(
        WAREHOUSE_URL=welfare_cycle["url"],
        WELFARE_DATA_DIR=str(welfare_cycle["data_dir"]),
        WELFARE_PROJECT_DIR=str(project),
        WELFARE_PROGRESS="0",
        COLUMNS="200",
    )
    return env


def test_every_writing_command_twice_changes_nothing_the_second_time(welfare_cycle: dict, cli_env: dict) -> None:
    cycle = welfare_cycle
    url, data_dir = cycle["url"], cycle["data_dir"]
    registry = str(cycle["season"] / "registry.csv")

    def state() -> dict:
        return {
            "rows": counts(url, INTAKE_TABLES + REGISTRY_TABLES + ACCESS_TABLES + ("audit.report_snapshots",)),
            "marts": marts_fingerprint(url),
            "files": {k: v for k, v in file_hashes(data_dir).items() if not k.startswith("logs/")},
        }

    def roles() -> list[tuple]:
        with psycopg.connect(url) as conn:
            return conn.execute(
                "select r.rolname, r.rolcanlogin, array(select b.rolname from pg_auth_members m join pg_roles b "
                "on b.oid = m.roleid where m.member = r.oid order by 1), "
                "(select count(*) from pg_policies where schemaname = 'marts') "
                "from pg_roles r where r.rolname like 'reader_%' or r.rolname like 'welfare_%' order by 1"
            ).fetchall()

    # `welfare build` twice: see test_dbt_killed_in_the_middle_of_a_build, whose builds (killed, then
    # complete) after the complete build of the test above must leave every mart as it was.
    commands = [
        ("registry", "load", registry),
        ("ingest", str(cycle["landing"]), str(cycle["extra"])),  # what the cycle and the test above loaded
        ("access", "create-reader", "--unit", cycle["upper"], "--role", "reader_twice"),
    ]
    for command in commands:
        _welfare(*command, env=cli_env)  # the first run may change things (a new reader)
        first, first_roles = state(), roles()
        _welfare(*command, env=cli_env)
        second, second_roles = state(), roles()
        assert second["rows"] == first["rows"], command
        assert second["marts"] == first["marts"], command
        assert second["files"] == first["files"], command
        assert second_roles == first_roles, command

    # A report run twice: one more version of each file (never overwritten), identical bytes, one snapshot.
    out = data_dir / "reports"
    runs = []
    for _ in range(2):
        before = set(file_hashes(out))
        snapshots = len(_snapshot_rows(url))
        _welfare("report", "--year", "2025", "--unit", cycle["province"], "--out", str(out), env=cli_env)
        after = file_hashes(out)
        runs.append({name: after[name] for name in set(after) - before})
        assert len(_snapshot_rows(url)) <= snapshots + 1
    first, second = runs
    assert len(first) == len(second) == 5  # pdf, xlsx, csv, parquet, manifest
    assert len(_snapshot_rows(url)) == snapshots, "the second report run took a new snapshot of unchanged marts"
    by_kind = [{re.sub(r"-s\d+-v\d+", "", Path(n).name): h for n, h in run.items()} for run in runs]
    data_kinds = [k for k in by_kind[0] if not k.endswith("manifest.json")]
    assert all(by_kind[0][k] == by_kind[1][k] for k in data_kinds), by_kind


def test_dbt_killed_in_the_middle_of_a_build(welfare_cycle: dict, cli_env: dict) -> None:
    """`welfare build` killed (SIGKILL, the whole process group) a few seconds in; the next build completes
    and the marts are exactly what they were; a reader is never shown more than its scope meanwhile."""
    from welfare.access import create_reader

    url = welfare_cycle["url"]
    with psycopg.connect(url) as conn:
        create_reader(conn, welfare_cycle["upper"], "reader_twice")  # re-scopes it if it exists
    expected = marts_fingerprint(url)
    process = subprocess.Popen(
        [sys.executable, "-m", "welfare.cli", "build"],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    # Wait until dbt is rebuilding marts (a statement of it on a marts table), then kill it.
    deadline = time.monotonic() + 300
    with psycopg.connect(url, autocommit=True) as admin:
        while time.monotonic() < deadline and process.poll() is None:
            busy = admin.execute(
                "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() "
                "and state = 'active' and query ilike '%\"marts\".%'"
            ).fetchone()[0]
            if busy:
                break
            time.sleep(0.05)
    assert process.poll() is None, "the build ended before it could be killed"
    time.sleep(2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    _reader_sees_only_its_scope(welfare_cycle)  # between the killed build and the next one

    done = _welfare("build", "--quiet", env=cli_env)
    assert "succeeded" in done.stdout, done.stdout
    assert marts_fingerprint(url) == expected
    with psycopg.connect(url) as conn:
        leftovers = conn.execute(
            "select relname from pg_class where relname like '%%__dbt_tmp%%' or relname like '%%__dbt_backup%%'"
        ).fetchall()
    assert not leftovers, leftovers
    _reader_sees_only_its_scope(welfare_cycle)


def _reader_sees_only_its_scope(cycle: dict) -> None:
    """reader_twice (a reader of one upper-level union) sees nothing outside it, whatever the marts' state."""
    from urllib.parse import urlsplit, urlunsplit

    url = cycle["url"]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("alter role reader_twice password 'reader-twice-pw'")
        tables = [
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.columns where table_schema = 'marts' "
                "and column_name = 'unit_code' group by 1"
            )
        ]
    parts = urlsplit(url)
    reader = urlunsplit(parts._replace(netloc=f"reader_twice:reader-twice-pw@{parts.hostname}:{parts.port}"))
    with psycopg.connect(reader, autocommit=True) as conn:
        for table in tables:
            try:
                units = {r[0] for r in conn.execute(f'select distinct unit_code from marts."{table}"')}
            except psycopg.errors.InsufficientPrivilege:
                continue  # a table rebuilt by an unfinished build: not granted yet (fails closed)
            with psycopg.connect(url) as owner:
                allowed = {
                    r[0]
                    for r in owner.execute(
                        "select ma_don_vi from registry.units where ma_cap_tren = %s or ma_don_vi = %s",
                        (cycle["upper"], cycle["upper"]),
                    )
                }
            assert units <= allowed, (table, sorted(units - allowed)[:5])


def test_disk_full_while_writing_reports(welfare_cycle: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url, out = welfare_cycle["url"], tmp_path / "reports"
    real_open = pathlib.Path.open
    calls = {"n": 0}

    class FullDisk:
        def __init__(self, handle) -> None:
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self.handle.close()

        def write(self, data: bytes) -> int:
            self.handle.write(data[:1000])
            self.handle.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name: str):
            return getattr(self.handle, name)

    def open_until_full(self: Path, mode: str = "r", *args, **kwargs):
        handle = real_open(self, mode, *args, **kwargs)
        if mode == "xb" and out in self.parents:
            calls["n"] += 1
            if calls["n"] == 2:  # the first file of the version is written, the second hits the full disk
                return FullDisk(handle)
        return handle

    monkeypatch.setattr(pathlib.Path, "open", open_until_full)
    with pytest.raises(ReportError) as caught:
        build_reports(2025, out, unit=welfare_cycle["province"], url=url)
    monkeypatch.setattr(pathlib.Path, "open", real_open)
    message = str(caught.value)
    assert "No space left on device" in message and str(out) in message and "free space" in message, message
    assert not [p for p in out.rglob("*") if p.is_file()], "a partial report or its manifest was left behind"
    files = build_reports(2025, out, unit=welfare_cycle["province"], url=url)
    assert {f.version for f in files} == {1}
    for f in files:
        assert hashlib.sha256(f.path.read_bytes()).hexdigest() == f.sha256
