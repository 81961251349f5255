"""Faults during intake: the warehouse connection really killed inside the load transaction, the
landing zone unreadable, the data folder's disk full. Each time: an error that names the path and
says what to do, nothing of the batch committed, nothing lost (the originals stay in the landing
zone, no half-written copy or feedback file is left behind), and the retry loads the batch exactly
once — the warehouse then equals a control load of the same files that never failed.
"""

from __future__ import annotations

import errno
import os
import pathlib
import shutil
from pathlib import Path

import psycopg
import pytest
from reliability import counts, file_hashes, intake_fingerprint, kill_during_copy, terminate
from welfare.config import Settings
from welfare.intake import pipeline
from welfare.intake.pipeline import IntakeError, ingest
from welfare.registry import load_registry

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def landing(season_2025: tuple[Path, dict], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six files of the season: four good grassroots reports with support lists, two rejected ones."""
    out, manifest = season_2025
    workbooks = [f for f in manifest["files"] if f["kind"] == "workbook" and not f.get("expected_duplicate_of")]
    good = [f for f in workbooks if f["expected_accepted"] and not f["expected_rules"] and f["form"] == "CDCS"][:4]
    bad = [f for f in workbooks if not f["expected_accepted"] and f["form"] == "CDCS"][:2]
    folder = tmp_path_factory.mktemp("faults") / "landing"
    folder.mkdir()
    for entry in good + bad:
        shutil.copy2(out / entry["path"], folder / Path(entry["path"]).name)  # keeps the received time
    return folder


def _database(new_database, season_2025: tuple[Path, dict]) -> str:
    url = new_database()
    with psycopg.connect(url) as conn:
        load_registry(conn, season_2025[0] / "registry.csv")
    return url


@pytest.fixture(scope="module")
def control(landing: Path, new_database, season_2025, pseudonym_key: str, tmp_path_factory) -> dict:
    """The same files loaded once with no fault: what every retried warehouse must equal."""
    url = _database(new_database, season_2025)
    summary = ingest([landing], url=url, settings=Settings(tmp_path_factory.mktemp("control"), url), run_id="control")
    assert summary.counts() == {"accepted": 4, "rejected": 2}
    fingerprint = intake_fingerprint(url)
    assert fingerprint["raw.support_cases"] and fingerprint["restricted.support_people"]
    return {"url": url, "fingerprint": fingerprint, "counts": counts(url)}


def _assert_nothing_committed(url: str, landing: Path, before: dict[str, str]) -> None:
    assert set(counts(url).values()) == {0}, counts(url)
    assert file_hashes(landing) == before, "a file of the landing zone was changed or lost"


def _no_partial_files(data_dir: Path) -> None:
    leftovers = [p for p in data_dir.rglob("*") if p.name.endswith(".part")]
    assert not leftovers, leftovers


def test_connection_killed_inside_the_load_transaction(
    landing: Path, control: dict, new_database, season_2025, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _database(new_database, season_2025)
    settings = Settings(tmp_path / "data", url)
    before = file_hashes(landing)

    # 1. pg_terminate_backend from a second connection while the intake backend runs a COPY.
    with kill_during_copy(url, after_rows=25) as seen, pytest.raises(IntakeError, match="warehouse connection failed"):
        ingest([landing], url=url, settings=settings, run_id="killed-in-copy")
    assert seen["killed"] and str(seen["statement"]).lower().startswith("copy"), seen
    _assert_nothing_committed(url, landing, before)

    # 2. Killed after every row is written, while the transaction is still open (idle in transaction).
    from welfare.intake import feedback

    real_summaries = feedback.write_upper_summaries

    def killed_before_commit(conn: psycopg.Connection, *args, **kwargs):
        terminate(url, conn.info.backend_pid, wait_for=lambda state, _query: state == "idle in transaction")
        return real_summaries(conn, *args, **kwargs)

    monkeypatch.setattr(feedback, "write_upper_summaries", killed_before_commit)
    with pytest.raises(IntakeError, match="warehouse connection failed"):
        ingest([landing], url=url, settings=settings, run_id="killed-before-commit")
    monkeypatch.setattr(feedback, "write_upper_summaries", real_summaries)
    _assert_nothing_committed(url, landing, before)

    # 3. The commit reaches the server but the connection dies before the answer: the client cannot
    #    know. The retry must then load nothing twice.
    real_commit = psycopg.Connection.commit
    armed = [True]

    def commit_then_die(self: psycopg.Connection) -> None:
        real_commit(self)
        if not armed or self.autocommit:
            return
        armed.clear()
        terminate(url, self.info.backend_pid)
        raise psycopg.OperationalError("server closed the connection unexpectedly (injected after commit)")

    monkeypatch.setattr(psycopg.Connection, "commit", commit_then_die)
    with pytest.raises(IntakeError, match="warehouse connection failed"):
        ingest([landing], url=url, settings=settings, run_id="killed-at-commit")
    monkeypatch.setattr(psycopg.Connection, "commit", real_commit)
    assert intake_fingerprint(url) == control["fingerprint"]

    # 4. The retry: every file is recognised, nothing is loaded twice.
    retry = ingest([landing], url=url, settings=settings, run_id="retry")
    assert retry.files == []
    assert intake_fingerprint(url) == control["fingerprint"]
    assert counts(url) == control["counts"]
    assert file_hashes(landing) == before


def test_landing_zone_unreadable(
    landing: Path, new_database, season_2025, pseudonym_key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests run as root, so permissions are simulated where the platform opens, lists or stats files."""
    url = _database(new_database, season_2025)
    settings = Settings(tmp_path / "data", url)
    before = file_hashes(landing)
    victim = sorted(landing.iterdir())[2]

    # A file the intake user may not read.
    real_open = pathlib.Path.open

    def no_permission(self: Path, *args, **kwargs):
        if self.name == victim.name and self.parent == landing:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", no_permission)
    with pytest.raises(IntakeError) as caught:
        ingest([landing], url=url, settings=settings, run_id="no-permission")
    monkeypatch.setattr(pathlib.Path, "open", real_open)
    message = str(caught.value)
    assert str(victim) in message and "Permission denied" in message and "chmod" in message, message
    assert "run the same command again" in message
    _assert_nothing_committed(url, landing, before)

    # A file that vanishes between discovery and reading (moved away by someone while intake runs).
    real_read = pipeline._read
    parked = tmp_path / "parked"

    def vanishing(file) -> None:
        if file.path.name == victim.name:
            shutil.move(file.path, parked)
        real_read(file)

    monkeypatch.setattr(pipeline, "_read", vanishing)
    with pytest.raises(IntakeError) as caught:
        ingest([landing], url=url, settings=settings, run_id="vanished")
    monkeypatch.setattr(pipeline, "_read", real_read)
    shutil.move(parked, victim)
    assert str(victim) in str(caught.value) and "disappeared" in str(caught.value), caught.value
    _assert_nothing_committed(url, landing, before)

    # A sub-folder that cannot be listed is an error, not silently left out.
    nested = tmp_path / "nested"
    shutil.copytree(landing, nested / "ok")
    (nested / "locked").mkdir()
    real_scandir = os.scandir

    def locked(path="."):
        if Path(path) == nested / "locked":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", locked)
    with pytest.raises(IntakeError) as caught:
        ingest([nested], url=url, settings=settings, run_id="locked-folder")
    monkeypatch.setattr(os, "scandir", real_scandir)
    assert str(nested / "locked") in str(caught.value) and "Permission denied" in str(caught.value)
    _assert_nothing_committed(url, landing, before)
    assert not (tmp_path / "data" / "archive").exists() or not any((tmp_path / "data" / "archive").rglob("*.xlsx"))


def _disk_full_after(written: int):
    """An OSError(ENOSPC) as a disk raises it: after part of the data was written."""

    def fail(handle, data) -> None:
        handle.write(data[:written])
        handle.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    return fail


def test_disk_full_in_the_data_folder(
    landing: Path, control: dict, new_database, season_2025, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _database(new_database, season_2025)
    data_dir = tmp_path / "data"
    settings = Settings(data_dir, url)
    before = file_hashes(landing)

    # 1. While keeping the originals in the archive: the third copy fails half-way.
    real_copy = shutil.copy2
    copies = {"n": 0}

    def copy_until_full(source, target, **kwargs):
        copies["n"] += 1
        if copies["n"] < 3:
            return real_copy(source, target, **kwargs)
        with open(target, "wb") as handle:
            _disk_full_after(1000)(handle, Path(source).read_bytes())

    monkeypatch.setattr(pipeline.shutil, "copy2", copy_until_full)
    with pytest.raises(IntakeError) as caught:
        ingest([landing], url=url, settings=settings, run_id="archive-full")
    monkeypatch.setattr(pipeline.shutil, "copy2", real_copy)
    message = str(caught.value)
    assert "No space left on device" in message and str(data_dir / "archive") in message and "free space" in message
    _assert_nothing_committed(url, landing, before)
    _no_partial_files(data_dir)
    stored = [p for p in (data_dir / "archive").rglob("*") if p.is_file()]
    assert len(stored) == 2, "only the two complete copies may be in the archive"

    # 2. While writing a feedback file (rejected files get one, inside the load transaction).
    real_write_text, real_open = pathlib.Path.write_text, pathlib.Path.open

    def feedback_until_full(self: Path, text: str, *args, **kwargs):
        if "phan-hoi" in self.name:
            with real_open(self, "w", encoding="utf-8") as handle:
                _disk_full_after(200)(handle, text)
        return real_write_text(self, text, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "write_text", feedback_until_full)
    with pytest.raises(IntakeError) as caught:
        ingest([landing], url=url, settings=settings, run_id="feedback-full")
    monkeypatch.setattr(pathlib.Path, "write_text", real_write_text)
    message = str(caught.value)
    assert "No space left on device" in message and "feedback" in message and str(data_dir / "archive") in message
    _assert_nothing_committed(url, landing, before)
    _no_partial_files(data_dir)
    assert not list(data_dir.rglob("*.phan-hoi.txt")), "a truncated feedback file was left"

    # 3. While rewriting the per-union summaries (the last step before the commit).
    def summaries_until_full(self: Path, text: str, *args, **kwargs):
        if settings.feedback_dir in self.parents:
            with real_open(self, "w", encoding="utf-8") as handle:
                _disk_full_after(100)(handle, text)
        return real_write_text(self, text, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "write_text", summaries_until_full)
    with pytest.raises(IntakeError) as caught:
        ingest([landing], url=url, settings=settings, run_id="summaries-full")
    monkeypatch.setattr(pathlib.Path, "write_text", real_write_text)
    assert str(settings.feedback_dir) in str(caught.value) and "No space left" in str(caught.value)
    _assert_nothing_committed(url, landing, before)
    _no_partial_files(data_dir)

    # 4. Space freed: the retry loads everything once, and every kept copy and feedback file is whole.
    ingest([landing], url=url, settings=settings, run_id="retry")
    assert intake_fingerprint(url) == control["fingerprint"]
    assert file_hashes(landing) == before
    with psycopg.connect(url) as conn:
        kept = conn.execute("select sha256, stored_path, feedback_path from audit.files").fetchall()
    import hashlib

    for sha, stored_path, feedback_path in kept:
        assert hashlib.sha256(Path(stored_path).read_bytes()).hexdigest() == sha
        if feedback_path:
            text = Path(feedback_path).read_text(encoding="utf-8")
            assert "FEEDBACK ON THE REPORT FILE" in text and text.endswith("\n")
    for summary in settings.feedback_dir.rglob("*.txt"):
        assert "Tổng hợp / Summary" in summary.read_text(encoding="utf-8")
