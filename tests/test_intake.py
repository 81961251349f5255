"""Intake end to end on a generated season: every file's state and reasons, nothing half-loaded."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from welfare.config import TIMEZONE
from welfare.intake.pipeline import IntakeError, ingest
from welfare.intake.pseudonym import MissingKeyError
from welfare.registry import load_registry

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def loaded(
    new_database, season_2025: tuple[Path, dict], pseudonym_key: str, tmp_path_factory: pytest.TempPathFactory
) -> dict:
    """The whole 2025 season ingested as one batch into a fresh database."""
    out, manifest = season_2025
    url = new_database()
    data_dir = tmp_path_factory.mktemp("intake-data")
    from welfare.config import Settings

    settings = Settings(data_dir=data_dir, warehouse_url=url)
    with psycopg.connect(url) as conn:
        load_registry(conn, out / "registry.csv")
    summary = ingest([out / "submissions"], url=url, settings=settings, run_id="test")
    return {"url": url, "summary": summary, "manifest": manifest, "out": out, "settings": settings}


def test_every_file_reaches_its_expected_state_with_its_rule(loaded: dict) -> None:
    manifest, out = loaded["manifest"], loaded["out"]
    with psycopg.connect(loaded["url"]) as conn:
        rows = {
            str(Path(r[0]).relative_to(out.resolve())): (r[1], r[2])
            for r in conn.execute("select landing_path, state, reasons from audit.files")
        }
    assert len(rows) == len(manifest["files"])
    problems = []
    for entry in manifest["files"]:
        state, reasons = rows[entry["path"]]
        rules = {r["rule"] for r in reasons}
        if entry.get("expected_duplicate_of"):
            ok = state == "duplicate"
        else:
            ok = state.startswith("accepted") == entry["expected_accepted"]
        missing = set(entry["expected_rules"]) - rules
        if not ok or missing:
            problems.append((entry["path"], entry["expected_rules"], state, sorted(rules)))
        for reason in reasons:
            if reason["severity"] in ("error", "warning") and reason["rule"] in entry["expected_rules"]:
                field = reason["rule"].split(".")[0]
                if field not in ("file", "hotro"):
                    assert field in reason["message_en"] and reason["message_vi"], reason
                    assert reason["cell"] or field in ("ma_don_vi", "nam_bao_cao"), reason
    assert not problems, problems


def test_counted_reports_match_the_truth(loaded: dict) -> None:
    """The figures loaded for the latest accepted version equal what the generator counted."""
    counted = loaded["manifest"]["counted"]["CDCS"]
    with psycopg.connect(loaded["url"]) as conn:
        rows = conn.execute(
            """select s.unit_code, r.tong_doan_vien, r.dv_kho_khan_duoc_ho_tro, r.chi_cham_lo_phuc_loi
               from audit.submissions s join raw.cdcs_reports r using (submission_id)
               where not s.is_superseded and not s.is_after_lock and s.state like 'accepted%'"""
        ).fetchall()
    loaded_units = {r[0]: r[1:] for r in rows}
    assert set(loaded_units) == set(counted)
    for unit, figures in counted.items():
        assert loaded_units[unit] == (
            figures["tong_doan_vien"],
            figures["dv_kho_khan_duoc_ho_tro"],
            figures["chi_cham_lo_phuc_loi"],
        ), unit


def test_nothing_of_a_rejected_file_is_loaded(loaded: dict) -> None:
    with psycopg.connect(loaded["url"]) as conn:
        for table in ("raw.cdcs_reports", "raw.captren_reports", "raw.support_cases", "restricted.support_people"):
            bad = conn.execute(
                f"select count(*) from {table} t join audit.submissions s using (submission_id) "
                "where s.state not in ('accepted', 'accepted_with_warnings')"
            ).fetchone()[0]
            assert bad == 0, table
        rejected = conn.execute("select count(*) from audit.files where state = 'rejected'").fetchone()[0]
        kept = conn.execute("select stored_path from audit.files where state = 'rejected'").fetchall()
    assert rejected >= 20
    for (stored,) in kept:
        assert Path(stored).exists(), "a rejected file was not kept"
        assert Path(stored + ".phan-hoi.txt").exists(), "no feedback beside the kept file"


def test_feedback_is_bilingual_and_masks_ids(loaded: dict) -> None:
    manifest = loaded["manifest"]
    entry = next(f for f in manifest["files"] if f["expected_rules"] == ["hotro.bad_row_share"])
    with psycopg.connect(loaded["url"]) as conn:
        feedback = conn.execute(
            "select feedback_path from audit.files where sha256 = %s", (entry["sha256"],)
        ).fetchone()[0]
    text = Path(feedback).read_text(encoding="utf-8")
    assert text.index("PHẢN HỒI") < text.index("FEEDBACK")
    assert "so_dinh_danh" in text and "042" in text
    assert not re.search(r"(?<!\d)\d{11,12}(?!\d)", text), "a clear citizen ID reached the feedback"


def test_versions_and_supersession(loaded: dict) -> None:
    with psycopg.connect(loaded["url"]) as conn:
        rows = conn.execute(
            """select form, unit_code, array_agg(version order by received_at), array_agg(is_superseded order by received_at),
                      array_agg(is_after_lock order by received_at)
               from audit.submissions where state like 'accepted%' group by form, unit_code having count(*) > 1"""
        ).fetchall()
    assert rows, "the season has resubmissions"
    for _form, _unit, versions, superseded, after_lock in rows:
        assert versions == list(range(1, len(versions) + 1))
        if not after_lock[-1]:
            assert superseded[:-1] == [True] * (len(versions) - 1) and superseded[-1] is False
        else:  # a version after the lock does not replace the counted one
            assert superseded[-2] is False


def test_no_clear_citizen_id_in_any_table(loaded: dict) -> None:
    out = loaded["out"]
    ids: set[str] = set()
    for path in (out / "submissions").rglob("support_cases.csv"):
        ids |= set(
            re.findall(
                r"(?<!\d)0\d{11}(?!\d)",
                path.read_text(
                    encoding="utf-16" if path.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
                ),
            )
        )
    assert len(ids) > 50
    with psycopg.connect(loaded["url"]) as conn:
        columns = conn.execute(
            """select table_schema, table_name, column_name from information_schema.columns
               where table_schema in ('raw', 'audit', 'restricted', 'registry')
                 and data_type in ('text', 'jsonb', 'character varying')"""
        ).fetchall()
        for schema, table, column in columns:
            values = conn.execute(
                f'select "{column}"::text from {schema}.{table} where "{column}"::text ~ %s', (r"\d{12}",)
            ).fetchall()
            leaked = {m for (v,) in values for m in re.findall(r"\d{12}", v or "")} & ids
            assert not leaked, f"{schema}.{table}.{column} holds clear citizen IDs"


def test_rerun_changes_nothing(loaded: dict) -> None:
    url, out = loaded["url"], loaded["out"]

    def counts() -> tuple:
        with psycopg.connect(url) as conn:
            return tuple(
                conn.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("audit.files", "audit.submissions", "raw.cdcs_reports", "raw.support_cases")
            )

    before = counts()
    summary = ingest([out / "submissions"], url=url, settings=loaded["settings"], run_id="again")
    assert summary.files == []
    assert counts() == before


def _workbook_copy(source: Path, target: Path, edit=None) -> Path:
    shutil.copyfile(source, target)
    return target


def test_two_versions_in_one_batch_and_duplicates(loaded: dict, tmp_path: Path) -> None:
    out, manifest = loaded["out"], loaded["manifest"]
    from welfare.forms import Form, ReportContent
    from welfare.intake.parse import parse_workbook
    from welfare.workbooks import write_report

    entry = next(
        f
        for f in manifest["files"]
        if f["path"].endswith(".xlsx")
        and f["expected_accepted"]
        and not f["expected_rules"]
        and f["form"] == "CDCS"
        and not f.get("expected_duplicate_of")
    )
    content = parse_workbook(out / entry["path"]).content()
    url = loaded["url"]
    first = ReportContent(Form.CDCS, dict(content.info), dict(content.figures), [dict(r) for r in content.support])
    first.info["nam_bao_cao"] = 2026  # a year nobody reported yet, so versions start at 1
    first.info["ngay_lap"] = None
    second = ReportContent(Form.CDCS, dict(first.info), dict(first.figures), [dict(r) for r in first.support])
    second.figures["so_nha_mai_am"] = int(first.figures["so_nha_mai_am"] or 0) + 1
    folder = tmp_path / "batch"
    folder.mkdir()
    write_report(folder / "v1.xlsx", first)
    write_report(folder / "v2.xlsx", second)
    shutil.copyfile(folder / "v1.xlsx", folder / "v1 - copy.xlsx")
    import os

    for name, day in (("v1.xlsx", 2), ("v2.xlsx", 3), ("v1 - copy.xlsx", 4)):
        stamp = datetime(2026, 11, day, 9, tzinfo=TIMEZONE).timestamp()
        os.utime(folder / name, (stamp, stamp))
    summary = ingest([folder], url=url, settings=loaded["settings"], run_id="versions")
    states = {f.path.name: f.state for f in summary.files}
    assert states["v1 - copy.xlsx"] == "duplicate"
    assert states["v1.xlsx"].startswith("accepted") and states["v2.xlsx"].startswith("accepted")
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select version, is_superseded from audit.submissions where unit_code = %s and reporting_year = 2026 "
            "and state like 'accepted%%' order by version",
            (content.unit_code,),
        ).fetchall()
    assert rows == [(1, True), (2, False)]


def test_hostile_and_broken_files_each_get_a_reason(loaded: dict, tmp_path: Path) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    # A zip bomb: 50 MB of zeros in a few kilobytes.
    with zipfile.ZipFile(folder / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 50_000_000)
    # An entity bomb ("billion laughs").
    laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><x>&lol2;</x>'
    with zipfile.ZipFile(folder / "entities.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", laughs)
    (folder / "legacy.csv").write_bytes("ma_don_vi,nam_bao_cao,tong_doan_vien\nCS00001,2025,Đoàn\n".encode("cp1258"))
    (folder / "notes.docx").write_bytes(b"PK\x03\x04 not a workbook")
    (folder / "empty.xlsx").write_bytes(b"")
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "ThongTin"
    book.save(folder / "no_sheets.xlsx")
    started = datetime.now(tz=TIMEZONE)
    summary = ingest([folder], url=loaded["url"], settings=loaded["settings"], run_id="hostile")
    took = (datetime.now(tz=TIMEZONE) - started).total_seconds()
    outcomes = {f.path.name: (f.state, {r["rule"] for r in f.reasons}) for f in summary.files}
    assert outcomes["bomb.xlsx"] == ("rejected", {"file.zip_bomb"})
    assert outcomes["entities.xlsx"] == ("rejected", {"file.xml_entities"})
    assert outcomes["notes.docx"] == ("rejected", {"file.type"})
    assert outcomes["empty.xlsx"][0] == "rejected"
    assert outcomes["legacy.csv"][0] == "rejected"
    legacy = next(f for f in summary.files if f.path.name == "legacy.csv")
    assert "UTF-8" in json.dumps(legacy.reasons, ensure_ascii=False)
    assert outcomes["no_sheets.xlsx"][0] == "rejected"
    assert took < 60


def test_formula_text_is_kept_as_text(loaded: dict, tmp_path: Path) -> None:
    out, manifest = loaded["out"], loaded["manifest"]
    from welfare.forms import Form, ReportContent
    from welfare.intake.parse import parse_workbook
    from welfare.workbooks import write_report

    entry = next(
        f for f in manifest["files"] if f["form"] == "CAPTREN" and f["expected_accepted"] and not f["expected_rules"]
    )
    content = parse_workbook(out / entry["path"]).content()
    payload = '=HYPERLINK("http://evil.example","bấm vào đây")'
    edited = ReportContent(Form.CAPTREN, dict(content.info), dict(content.figures), [])
    edited.figures["kien_nghi"] = payload
    edited.info["nam_bao_cao"] = 2026
    edited.info["ngay_lap"] = None
    folder = tmp_path / "formula"
    folder.mkdir()
    write_report(folder / "captren.xlsx", edited)
    summary = ingest(
        [folder],
        url=loaded["url"],
        settings=loaded["settings"],
        run_id="formula",
        received_at=datetime(2026, 11, 10, tzinfo=TIMEZONE),
    )
    assert summary.files[0].state.startswith("accepted"), summary.files[0].reasons
    with psycopg.connect(loaded["url"]) as conn:
        stored = conn.execute(
            "select kien_nghi from raw.captren_reports r join audit.submissions s using (submission_id) "
            "where s.reporting_year = 2026"
        ).fetchone()[0]
    assert stored == payload


def test_a_failure_during_load_leaves_nothing_and_the_retry_loads_once(
    new_database, season_2025: tuple[Path, dict], pseudonym_key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _ = season_2025
    url = new_database()
    from welfare.config import Settings
    from welfare.intake import pipeline

    settings = Settings(data_dir=tmp_path, warehouse_url=url)
    with psycopg.connect(url) as conn:
        load_registry(conn, out / "registry.csv")
    files = sorted((out / "submissions").glob("CDCS_*.xlsx"))[:12]
    calls = {"n": 0}
    real = pipeline._copy_raw

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 6:
            raise psycopg.OperationalError("connection lost (injected)")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_copy_raw", failing)
    with pytest.raises(IntakeError, match="warehouse connection failed") as caught:
        ingest(files, url=url, settings=settings, run_id="crash")
    assert isinstance(caught.value.__cause__, psycopg.OperationalError)
    with psycopg.connect(url) as conn:
        for table in ("audit.files", "audit.submissions", "raw.cdcs_reports", "raw.support_cases"):
            assert conn.execute(f"select count(*) from {table}").fetchone()[0] == 0, table
    monkeypatch.setattr(pipeline, "_copy_raw", real)
    summary = ingest(files, url=url, settings=settings, run_id="retry")
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from audit.files").fetchone()[0] == len(files)
        accepted = sum(1 for f in summary.files if f.state.startswith("accepted"))
        assert conn.execute("select count(*) from raw.cdcs_reports").fetchone()[0] == accepted


def test_refuses_to_run_without_key_or_registry(new_database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from welfare.config import Settings

    url = new_database()
    settings = Settings(data_dir=tmp_path, warehouse_url=url)
    monkeypatch.delenv("WELFARE_PSEUDONYM_KEY", raising=False)
    with pytest.raises(MissingKeyError, match="WELFARE_PSEUDONYM_KEY"):
        ingest([tmp_path], url=url, settings=settings)
    monkeypatch.setenv("WELFARE_PSEUDONYM_KEY", "ab" * 32)
    with pytest.raises(IntakeError, match="registry"):
        ingest([tmp_path], url=url, settings=settings)


def test_data_docs_per_run_without_personal_data(loaded: dict) -> None:
    out = loaded["out"]
    with psycopg.connect(loaded["url"]) as conn:
        index = conn.execute("select data_docs_path from audit.batches where run_id = 'test'").fetchone()[0]
    assert index and Path(index).exists()
    pages = list(Path(index).parent.rglob("*.html"))
    assert len(pages) >= 5
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in pages)
    assert "cdcs_chitieu" in text and "cdcs_hotro" in text
    ids = set()
    for path in (out / "submissions").rglob("support_cases.csv"):
        raw = path.read_bytes()
        ids |= set(re.findall(r"(?<!\d)0\d{11}(?!\d)", raw.decode("utf-16" if raw[:2] == b"\xff\xfe" else "utf-8-sig")))
    assert ids and not (set(re.findall(r"\d{12}", text)) & ids)


def test_upper_level_summaries_list_every_grassroots_unit(loaded: dict) -> None:
    from datetime import date

    from welfare.registry import read_registry

    registry = read_registry(loaded["out"] / "registry.csv")
    folder = loaded["settings"].feedback_dir / "2025"
    files = sorted(folder.glob("*.txt"))
    uppers = registry.active(date(2025, 10, 31), "CAP_TREN")
    assert {f.stem for f in files} == {u.ma_don_vi for u in uppers}
    counted = set(loaded["manifest"]["counted"]["CDCS"])
    for upper in uppers:
        text = (folder / f"{upper.ma_don_vi}.txt").read_text(encoding="utf-8")
        for child in registry.children(date(2025, 10, 31), upper.ma_don_vi):
            line = next(line for line in text.splitlines() if f"] {child.ma_don_vi} " in line)
            if child.ma_don_vi in counted:
                assert line.startswith("[ĐÃ NỘP"), line
            else:
                assert line.startswith(("[CHƯA NỘP", "[BỊ TỪ CHỐI")), line


def test_year_over_year_warning_against_the_previous_accepted_year(
    new_database, season_2025: tuple[Path, dict], pseudonym_key: str, tmp_path: Path
) -> None:
    from welfare.config import Settings
    from welfare.generator.province import generate_province

    out, manifest = season_2025
    jump = next(f for f in manifest["files"] if "tong_doan_vien.year_over_year" in f["conditional_rules"])
    previous = generate_province(tmp_path / "y2024", 2024, seed=7)
    before = next(
        f
        for f in previous["files"]
        if f["unit_code"] == jump["unit_code"]
        and f["kind"] == "workbook"
        and f["expected_accepted"]
        and not f["expected_rules"]
        and not f.get("expected_duplicate_of")
    )
    url = new_database()
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=url)
    with psycopg.connect(url) as conn:
        load_registry(conn, out / "registry.csv")
    first = ingest([tmp_path / "y2024" / before["path"]], url=url, settings=settings, run_id="y2024")
    assert first.files[0].state.startswith("accepted")
    second = ingest([out / jump["path"]], url=url, settings=settings, run_id="y2025")
    rules = {r["rule"]: r for r in second.files[0].reasons}
    assert second.files[0].state == "accepted_with_warnings"
    assert "tong_doan_vien.year_over_year" in rules
    assert rules["tong_doan_vien.year_over_year"]["severity"] == "warning"


def test_two_intake_runs_at_once_register_and_load_every_file_once(
    new_database, season_2025: tuple[Path, dict], pseudonym_key: str, tmp_path: Path
) -> None:
    import threading

    from welfare.config import Settings

    out, _ = season_2025
    url = new_database()
    settings = Settings(data_dir=tmp_path, warehouse_url=url)
    with psycopg.connect(url) as conn:
        load_registry(conn, out / "registry.csv")
    folder = tmp_path / "landing"
    folder.mkdir()
    for path in sorted((out / "submissions").glob("CDCS_*.xlsx"))[:30]:
        shutil.copy2(path, folder / path.name)
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            ingest([folder], url=url, settings=settings, run_id=name)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"run-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*), count(distinct landing_path) from audit.files").fetchone() == (30, 30)
        accepted = conn.execute("select count(*) from audit.submissions where state like 'accepted%'").fetchone()[0]
        assert conn.execute("select count(*) from raw.cdcs_reports").fetchone()[0] == accepted
        # The second run may find everything registered by the first and then records no batch at all.
        assert conn.execute("select count(*) from audit.batches").fetchone()[0] in (1, 2)


def test_pseudonyms_read_any_decimal_digits_as_ascii() -> None:
    """`\\d{12}` admits fullwidth or other decimal digits; the same person gets the same pseudonym."""
    from welfare.intake.pseudonym import pseudonym

    key = b"k" * 32
    assert pseudonym("０４２０９８１２３４５６", key) == pseudonym("042098123456", key)
    assert pseudonym("042098123456", key) != pseudonym("042098123457", key)
    assert len(pseudonym("042098123456", key)) == 64


def test_outlier_scores_and_messages_take_numpy_numbers() -> None:
    """A frame column without gaps holds numpy.int64: it is a number for the outlier rule and for messages."""
    import numpy as np
    from welfare.intake.validate import _is_number, _shown

    assert _is_number(np.int64(5)) and _is_number(np.float64(2.5)) and _is_number(7)
    assert not _is_number(np.float64("nan")) and not _is_number(True) and not _is_number("5") and not _is_number(None)
    assert _shown("tong_doan_vien", np.int64(1234567)) == "1.234.567"
    assert _shown("tong_doan_vien", np.float64(1500.0)) == "1.500"
    assert _shown("ty_le", 2.5) == "2.5"
