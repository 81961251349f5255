"""The submission generator: deterministic, every file type, figures that read back, national scale."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest
from welfare.calendar import DEFAULT_CALENDAR
from welfare.forms import CAPTREN_FIGURES, CDCS_FIGURES, Form, Kind
from welfare.generator.national import generate_national
from welfare.generator.province import generate_province
from welfare.intake.parse import parse_csv, parse_workbook

FLAGS = {f.code for f in (*CDCS_FIGURES, *CAPTREN_FIGURES) if f.kind == Kind.FLAG}


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, season_2025: tuple[Path, dict]) -> None:
    out, _ = season_2025
    again = tmp_path / "again"
    generate_province(again, 2025, seed=7)
    assert tree_digest(again) == tree_digest(out)
    other = tmp_path / "other"
    generate_province(other, 2025, seed=8)
    assert tree_digest(other) != tree_digest(out)


def test_every_file_type_with_a_manifest(season_2025: tuple[Path, dict]) -> None:
    out, manifest = season_2025
    suffixes = {Path(f["path"]).suffix for f in manifest["files"]}
    assert {".xlsx", ".xls", ".ods", ".csv"} <= suffixes
    assert (out / "registry.csv").exists() and (out / "manifest.json").exists()
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reporting_year"] == 2025
    for entry in manifest["files"]:
        path = out / entry["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        # The file's modification time is the time the unit sent it.
        assert abs(path.stat().st_mtime - datetime.fromisoformat(entry["received_at"]).timestamp()) < 1
    rules = {r for f in manifest["files"] for r in f["expected_rules"]}
    assert {"file.duplicate", "file.type", "file.unreadable", "hotro.bad_row_share", "ma_don_vi.exists"} <= rules
    reports = manifest["reports"]
    assert any(not r["is_on_time"] for r in reports), "no late report"
    assert len({r["unit_code"] for r in reports if r["form"] == "CDCS"}) < manifest["expected_units"]["CDCS"], (
        "no missing report"
    )
    assert any("resubmission" in f["note"] for f in manifest["files"])


def _latest_accepted(manifest: dict) -> dict[str, dict]:
    """For each unit, the last accepted, clean, pre-lock workbook it sent (what the truth counts)."""
    lock = DEFAULT_CALENDAR.lock_at(manifest["reporting_year"])
    latest: dict[str, dict] = {}
    for entry in sorted(manifest["files"], key=lambda f: f["received_at"]):
        if (
            entry["kind"] == "workbook"
            and entry["expected_accepted"]
            and not entry["expected_rules"]
            and not entry["conditional_rules"]
            and not entry.get("expected_duplicate_of")
            and datetime.fromisoformat(entry["received_at"]) <= lock
        ):
            latest[entry["unit_code"]] = entry
    return latest


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods"])
def test_workbooks_read_back_with_the_counted_figures(season_2025: tuple[Path, dict], suffix: str) -> None:
    out, manifest = season_2025
    counted = {**manifest["counted"]["CDCS"], **manifest["counted"]["CAPTREN"]}
    checked = 0
    for unit, entry in _latest_accepted(manifest).items():
        if not entry["path"].endswith(suffix) or unit not in counted:
            continue
        parsed = parse_workbook(out / entry["path"])
        assert not parsed.errors, (entry["path"], parsed.errors[:3])
        content = parsed.content()
        for code, expected in counted[unit].items():
            got = content.figures[code]
            got = got.isoformat() if hasattr(got, "isoformat") else got
            if got is None and expected == 0 and code in FLAGS:
                continue  # an empty flag cell ("x"/empty quirk) is read as no
            assert got == expected, (entry["path"], code, got, expected)
        checked += 1
    assert checked >= 5


def test_bulk_csv_reads_back(season_2025: tuple[Path, dict]) -> None:
    out, manifest = season_2025
    counted = manifest["counted"]["CDCS"]
    bulk = [f for f in manifest["files"] if f["path"].endswith("cdcs_reports.csv")]
    assert bulk
    encodings = set()
    for entry in bulk:
        parsed = parse_csv(out / entry["path"])
        encodings.add(parsed.encoding.replace("_", "-").lower())
        rows = list(parsed)
        assert len(rows) == len(entry["units"])
        for row in rows:
            content = parsed.content(row)
            assert content.form == Form.CDCS
            expected = counted[content.unit_code]
            assert content.figures["tong_doan_vien"] == expected["tong_doan_vien"]
            assert content.figures["chi_cham_lo_phuc_loi"] == expected["chi_cham_lo_phuc_loi"]
    assert len(encodings) == 2, encodings  # UTF-8 with BOM and UTF-16


def test_expected_indicators_cover_every_code_and_level(season_2025: tuple[Path, dict]) -> None:
    _, manifest = season_2025
    province = {r["indicator_code"] for r in manifest["expected_indicators"] if r["org_level"] == "province"}
    assert province == {f"I{n:02d}" for n in range(1, 12)}
    levels = {r["org_level"] for r in manifest["expected_indicators"]}
    assert levels == {"province", "upper", "grassroots"}
    for row in manifest["expected_indicators"]:
        if row["value"] is not None:
            assert 0 <= row["value"] <= 1, row


def test_national_scale_streams_small(tmp_path: Path) -> None:
    manifest = generate_national(tmp_path, 2026, grassroots=3000, support_rows=45_000)
    folder = tmp_path / "submissions" / "national-2026"
    with (folder / "cdcs_reports.csv").open(encoding="utf-8") as handle:
        assert sum(1 for _ in csv.reader(handle)) - 1 == 3000
    with (folder / "support_cases.csv").open(encoding="utf-8") as handle:
        support = sum(1 for _ in handle) - 1
    assert 30_000 < support < 60_000
    assert manifest["counts"]["grassroots_reports"] == 3000
    registry_rows = (tmp_path / "registry.csv").read_text(encoding="utf-8").count("\n") - 1
    assert registry_rows == 3000 + 34 * 21
    again = tmp_path / "again"
    generate_national(again, 2026, grassroots=3000, support_rows=45_000)
    assert tree_digest(again / "submissions") == tree_digest(tmp_path / "submissions")
