"""The landing zone on object storage: mirrored into <data>/landing/, received time from the store.

Real fsspec filesystems through universal-pathlib: `memory://` (an object store without times:
first seen counts) and `file://` (a store with times), the same code path s3fs and gcsfs take.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from welfare.config import TIMEZONE
from welfare.landing_store import LandingStoreError, mirror


def _memory_root() -> str:
    return f"memory://landing-{uuid.uuid4().hex[:8]}"


def test_memory_store_mirrors_new_and_changed_objects_once(tmp_path: Path) -> None:
    from upath import UPath

    url = _memory_root()
    root = UPath(url)
    (root / "2025" / "bulk").mkdir(parents=True, exist_ok=True)
    (root / "2025" / "CDCS_A.xlsx").write_bytes(b"a" * 100)
    (root / "2025" / "bulk" / "cdcs_reports.csv").write_bytes(b"b" * 10)
    (root / "2025" / ".DS_Store").write_bytes(b"junk")
    (root / "registry").mkdir(parents=True, exist_ok=True)
    (root / "registry" / "registry.csv").write_bytes(b"ma_don_vi\n")
    (root / "2025" / "huge.xlsx").write_bytes(b"h" * 5000)
    target = tmp_path / "landing"

    first = mirror(url, target, options={}, max_bytes=1000)
    assert sorted(first.fetched) == ["2025/CDCS_A.xlsx", "2025/bulk/cdcs_reports.csv", "registry/registry.csv"]
    assert first.too_large == ["2025/huge.xlsx"] and not (target / "2025" / "huge.xlsx").exists()
    assert not (target / "2025" / ".DS_Store").exists()
    assert (target / "2025" / "CDCS_A.xlsx").read_bytes() == b"a" * 100
    seen = (target / "2025" / "CDCS_A.xlsx").stat().st_mtime  # no object time in memory://: first seen
    assert abs(seen - datetime.now().timestamp()) < 60
    assert not list(target.rglob("*.part"))

    again = mirror(url, target, options={}, max_bytes=1000)
    assert again.fetched == [] and again.unchanged == 3
    assert (target / "2025" / "CDCS_A.xlsx").stat().st_mtime == seen  # the received time does not move

    (root / "2025" / "CDCS_A.xlsx").write_bytes(b"c" * 120)  # a new version under the same name
    third = mirror(url, target, options={}, max_bytes=1000)
    assert third.fetched == ["2025/CDCS_A.xlsx"] and (target / "2025" / "CDCS_A.xlsx").read_bytes() == b"c" * 120


def test_the_objects_time_is_the_received_time(tmp_path: Path) -> None:
    store = tmp_path / "store"
    (store / "2025").mkdir(parents=True)
    source = store / "2025" / "CDCS_B.xlsx"
    source.write_bytes(b"x" * 10)
    stamp = datetime(2025, 11, 3, 9, 30, tzinfo=TIMEZONE).timestamp()
    os.utime(source, (stamp, stamp))
    target = tmp_path / "landing"
    result = mirror(source.parent.parent.as_uri(), target, options={})
    assert result.fetched == ["2025/CDCS_B.xlsx"]
    assert (target / "2025" / "CDCS_B.xlsx").stat().st_mtime == stamp
    assert mirror(store.as_uri(), target, options={}).unchanged == 1


def test_a_store_that_cannot_be_opened_says_what_to_install() -> None:
    with pytest.raises(LandingStoreError, match="s3fs"):
        mirror("s3://welfare-test-bucket/landing", Path("/nonexistent"), options={})


def test_bad_storage_options_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WELFARE_LANDING_STORAGE_OPTIONS", "{endpoint: minio}")
    with pytest.raises(LandingStoreError, match="WELFARE_LANDING_STORAGE_OPTIONS must be a JSON object"):
        mirror(_memory_root(), tmp_path)


@pytest.mark.slow
def test_intake_from_an_object_store_records_the_objects_times(
    new_database, season_2025: tuple[Path, dict], pseudonym_key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`welfare landing sync` then intake, as the intake DAG's discover does: the files land as received in the store."""
    from typer.testing import CliRunner
    from welfare.cli import app
    from welfare.config import Settings
    from welfare.intake.pipeline import ingest
    from welfare.registry import load_registry

    out, manifest = season_2025
    url = new_database()
    with psycopg.connect(url) as conn:
        load_registry(conn, out / "registry.csv")
    chosen = [f for f in manifest["files"] if f["kind"] == "workbook"][:6]
    store = tmp_path / "bucket" / "landing"
    for entry in chosen:
        target = store / "2025" / Path(entry["path"]).name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / entry["path"], target)
        stamp = datetime.fromisoformat(entry["received_at"]).timestamp()
        os.utime(target, (stamp, stamp))
    monkeypatch.setenv("WELFARE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WELFARE_LANDING_URL", store.as_uri())
    monkeypatch.setenv("WAREHOUSE_URL", url)
    runner = CliRunner()
    synced = runner.invoke(app, ["landing", "sync"])
    assert synced.exit_code == 0, synced.output
    assert "6 fetched" in synced.output
    assert "0 fetched" in runner.invoke(app, ["landing", "sync"]).output

    settings = Settings(data_dir=tmp_path / "data", warehouse_url=url)
    summary = ingest([settings.landing_dir], url=url, settings=settings, run_id="object-store")
    assert len(summary.files) == 6
    with psycopg.connect(url) as conn:
        received = dict(conn.execute("select file_name, received_at from audit.files").fetchall())
    for entry in chosen:
        assert received[Path(entry["path"]).name] == datetime.fromisoformat(entry["received_at"])
