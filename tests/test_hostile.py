"""Hostile input: a corpus of malformed and malicious files (tests/hostile.py) in one batch with good ones.

Each file must end in its expected state with the right reason, nothing of a rejected file may
reach raw.* or restricted.*, the good files load as usual, and the whole ingest (run in a child
process, as the CLI or an Airflow task would) stays under a memory bound.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest
from hostile import ACCEPTED, RECEIVED_AT, REGISTRY, build_corpus
from welfare.generator.cases import CASES
from welfare.registry import load_registry

pytestmark = pytest.mark.slow

MEMORY_BOUND_MB = 1024

_RUNNER = textwrap.dedent(
    """
    import json, resource, sys
    from datetime import datetime
    from pathlib import Path
    from welfare.config import Settings
    from welfare.intake.pipeline import ingest

    folder, data_dir, url, when = sys.argv[1:5]
    summary = ingest([Path(folder)], url=url, settings=Settings(Path(data_dir), url), run_id="hostile",
                     received_at=datetime.fromisoformat(when))
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child forked from a large
    # pytest process would report the parent's size as its own peak.
    status = Path("/proc/self/status").read_text()
    own = int(next(l.split()[1] for l in status.splitlines() if l.startswith("VmHWM:"))) / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"batch_id": summary.batch_id, "peak_mb": own, "children_peak_mb": children,
                      "seconds": summary.seconds,
                      "files": {str(f.path.relative_to(folder)): f.state for f in summary.files}}))
    """
)


@pytest.fixture(scope="module")
def hostile(new_database, pseudonym_key: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    url = new_database()
    root = tmp_path_factory.mktemp("hostile")
    corpus = build_corpus(root / "landing")
    with psycopg.connect(url) as conn:
        load_registry(conn, REGISTRY)
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(root / "landing"), str(root / "data"), url, RECEIVED_AT.isoformat()],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads(done.stdout.strip().splitlines()[-1])
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select landing_path, file_id, state, reasons, stored_path, feedback_path, sha256 from audit.files"
        ).fetchall()
    landing = (root / "landing").resolve()
    files = {
        str(Path(path).relative_to(landing)): {
            "file_id": file_id,
            "state": state,
            "reasons": reasons,
            "stored": stored,
            "feedback": feedback,
            "sha256": sha,
        }
        for path, file_id, state, reasons, stored, feedback, sha in rows
    }
    return {"url": url, "corpus": corpus, "run": run, "files": files, "root": root}


def test_the_corpus_covers_every_rule_type_and_trick(hostile: dict) -> None:
    corpus = hostile["corpus"]
    bad = [e for e in corpus if e.group != "good"]
    assert len(bad) >= 40
    assert {e.group for e in corpus} == {"rule", "file", "bomb", "text", "good"}
    rules = {r for e in corpus for r in e.rules}
    assert {c.rule for c in CASES if not c.needs_previous_year} <= rules, "a FORMS.md rule of the catalogue is missing"
    names = {e.name for e in corpus}
    for suffix in (".xlsx", ".xls", ".ods", ".csv"):
        assert {f"empty{suffix}", f"garbage{suffix}"} <= names
        if suffix != ".csv":
            assert f"truncated{suffix}" in names and f"corrupted{suffix}" in names
    assert sum(e.group == "good" for e in corpus) >= 6


def test_every_file_ends_in_its_state_with_the_right_reason(hostile: dict) -> None:
    files, problems = hostile["files"], []
    assert len(files) == len(hostile["corpus"]), "a file of the batch was not registered"
    for entry in hostile["corpus"]:
        got = files[entry.name]
        rules = {r["rule"] for r in got["reasons"]}
        if got["state"] not in entry.states or not entry.rules <= rules:
            problems.append(
                (entry.name, entry.description, got["state"], sorted(rules), entry.states, sorted(entry.rules))
            )
        for reason in got["reasons"]:
            if reason["severity"] in ("error", "warning"):
                assert reason["message_vi"] and reason["message_en"], (entry.name, reason)
    assert not problems, "\n".join(map(str, problems))


def test_nothing_of_a_rejected_file_is_loaded(hostile: dict) -> None:
    rejected = [hostile["files"][e.name]["file_id"] for e in hostile["corpus"] if not e.loads]
    assert len(rejected) >= 40
    with psycopg.connect(hostile["url"]) as conn:
        for table in ("raw.cdcs_reports", "raw.captren_reports", "raw.support_cases", "restricted.support_people"):
            count = conn.execute(
                f"select count(*) from {table} join audit.submissions as s using (submission_id) "
                "where s.file_id = any(%s)",
                (rejected,),
            ).fetchone()[0]
            assert count == 0, table
        counted = conn.execute(
            "select count(*) from audit.submissions where file_id = any(%s) and state like 'accepted%%'", (rejected,)
        ).fetchone()[0]
        assert counted == 0


def test_the_good_files_of_the_batch_load_as_usual(hostile: dict) -> None:
    good = [e for e in hostile["corpus"] if e.loads]
    with psycopg.connect(hostile["url"]) as conn:
        for entry in good:
            assert hostile["files"][entry.name]["state"] in ACCEPTED, entry.name
            for unit in entry.units:
                loaded = conn.execute(
                    "select count(*) from audit.submissions as s "
                    "left join raw.cdcs_reports as c using (submission_id) "
                    "left join raw.captren_reports as u using (submission_id) "
                    "where s.unit_code = %s and s.state like 'accepted%%' "
                    "and (c.submission_id is not null or u.submission_id is not null)",
                    (unit,),
                ).fetchone()[0]
                assert loaded == 1, (entry.name, unit)
        support = conn.execute("select count(*) from raw.support_cases").fetchone()[0]
        formula = conn.execute("select kien_nghi from raw.captren_reports where kien_nghi like '=%'").fetchone()
    assert support > 0
    assert formula == ('=HYPERLINK("http://evil.example","bấm vào đây")',), "formula text must be stored as text"


def test_every_rejected_file_is_kept_byte_for_byte_with_feedback(hostile: dict) -> None:
    import hashlib

    for entry in hostile["corpus"]:
        got = hostile["files"][entry.name]
        stored = Path(got["stored"])
        assert stored.exists(), entry.name
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == got["sha256"]
        assert entry.path is not None and entry.path.exists(), "an original left the landing zone"
        if got["state"] == "rejected":
            assert got["feedback"] and Path(got["feedback"]).exists(), entry.name
            assert len(stored.name.encode()) < 200 and "\n" not in stored.name


def test_memory_stays_bounded(hostile: dict) -> None:
    run = hostile["run"]
    assert run["peak_mb"] < MEMORY_BOUND_MB, run
    assert run["children_peak_mb"] < MEMORY_BOUND_MB + 64, run  # the capped .xls reader processes
    print(
        f"hostile batch: peak RSS {run['peak_mb']:.0f} MB (children {run['children_peak_mb']:.0f} MB), {run['seconds']}"
    )
