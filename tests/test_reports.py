"""Annual reports on a real warehouse: marts built by dbt from the hand-made province of
tests/dbt_fixtures.py (missing, late, rejected and after-lock reports, merged and new units),
with formula payloads planted in unit names and rejection reasons.

Every workbook is checked against marts.indicator_values, the PDFs' text layer against the
national header, diacritics and Vietnamese number formats, the missing-report annex against
marts.missing_reports; rebuilds from one snapshot are identical and never overwrite. Page 1 of
the province PDF is rendered to PNG in WELFARE_TEST_ARTIFACTS (default: a pytest temp folder)
for a human look.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import os
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from dbt_fixtures import Planned, at, build_scenario, cdcs_figures, load_scenario
from welfare.config import TIMEZONE
from welfare.reports import formatting as fmt

pytestmark = pytest.mark.slow

YEAR = 2025
SNAPSHOT_AT = datetime(2025, 11, 20, 8, 0, tzinfo=TIMEZONE)  # the provincial report's due time
HYPERLINK = '=HYPERLINK("http://x","y")'
PAYLOAD_NAMES = {
    "G7": HYPERLINK,  # missing in 2024
    "U_D": "@SUM(1+1)*cmd|' /C calc'!A0",  # an upper-level union missing in 2025
    "G8": "+1+1 CĐCS mới",  # missing in 2025
    "G6": "-2+3 CĐCS G6",
    "G4": "\tCĐCS G4 có tab",
    "G2": "\rCĐCS G2",
}
POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(
    not POPPLER,
    reason="poppler-utils (pdftotext, pdftoppm) is not installed: apt-get install -y poppler-utils",
)


# -- fixtures -------------------------------------------------------------------------------------


def payload_scenario():
    """The dbt fixture province with formula payloads in unit names and a rejection reason."""
    scenario = build_scenario()
    units = tuple(
        dataclasses.replace(u, ten_don_vi=PAYLOAD_NAMES[u.ma_don_vi]) if u.ma_don_vi in PAYLOAD_NAMES else u
        for u in scenario.units
    )
    rejected = scenario.by_tag("G5-2024-rejected")
    rejected.errors = [{**rejected.errors[0], "message_en": HYPERLINK, "message_vi": HYPERLINK}]
    return dataclasses.replace(scenario, units=units)


def build_marts(url: str, scenario: Any, work: Path) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        load_scenario(conn, scenario)
    dbt_marts(url, work, seed=True)


def dbt_marts(url: str, work: Path, *, seed: bool = False) -> None:
    from welfare.build import run_dbt

    for command in ([["seed"]] if seed else []) + [["run"]]:
        result = run_dbt(command, url=url, target_path=work / "target", log_path=work / "logs")
        assert result.success, result.summary()


@pytest.fixture(scope="module")
def warehouse(new_database, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = new_database()
    build_marts(url, payload_scenario(), tmp_path_factory.mktemp("dbt"))
    return url


@pytest.fixture(scope="module")
def snapshots(warehouse: str) -> dict[int, Any]:
    from welfare.reports import take_snapshot
    from welfare.warehouse import connect

    with connect(warehouse) as conn:
        return {year: take_snapshot(conn, year, taken_at=SNAPSHOT_AT.replace(year=year)) for year in (2024, 2025)}


@pytest.fixture(scope="module")
def reports(warehouse: str, snapshots: dict[int, Any], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every report of 2024 and 2025 (final), plus a draft of U_A 2025."""
    from welfare.reports import build_reports

    out = tmp_path_factory.mktemp("reports")
    built: dict[tuple[int, str, str], Path] = {}
    for year in (2024, 2025):
        for f in build_reports(year, out, snapshot=snapshots[year], url=warehouse):
            built[(year, f.unit_code, f.kind)] = f.path
    for f in build_reports(YEAR, out, unit="U_A", draft=True, snapshot=snapshots[YEAR], url=warehouse):
        built[(YEAR, "U_A-draft", f.kind)] = f.path
    return {"out": out, "files": built}


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("WELFARE_TEST_ARTIFACTS") or tmp_path_factory.mktemp("artefacts")) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def query(url: str, sql: str, *params: object) -> list[dict[str, Any]]:
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]


def pdf_text(path: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True).stdout


def read_table(sheet: Any, title: str) -> list[dict[str, Any]]:
    """The rows of the table titled `title` on a report sheet, keyed by column label."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r and r[0] == title)
    header = [h for h in rows[start + 1] if h is not None]
    out = []
    for row in rows[start + 2 :]:
        if row is None or all(v is None for v in row[1 : len(header)]):
            break
        out.append(dict(zip(header, row[: len(header)], strict=True)))
    return out


def sheet_values(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    from openpyxl import load_workbook

    book = load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- formatting (no warehouse) --------------------------------------------------------------------


def test_vietnamese_formats() -> None:
    assert fmt.number(1234567) == "1.234.567"
    assert fmt.number(-1234.56, 1) == "−1.234,6"
    assert fmt.number(None) == "–"
    assert fmt.percent(0.853) == "85,3%"
    assert fmt.percent(1.0, 0) == "100%"
    assert fmt.points(-0.0034) == "−0,3"
    assert (
        fmt.target(0.6, ">=") == "≥ 60%"
        and fmt.target(0.5, ">") == "> 50%"
        and fmt.target(1.0, "=", 2045) == "100% (2045)"
    )
    assert fmt.day(date(2026, 11, 5)) == "05/11/2026"
    assert fmt.moment("2025-11-19T16:59:59+00:00") == "19/11/2025 23:59"
    assert fmt.place_date(date(2026, 11, 5)) == "Hà Tĩnh, ngày 05 tháng 11 năm 2026"
    assert fmt.place_date(date(2026, 2, 3)) == "Hà Tĩnh, ngày 03 tháng 02 năm 2026"  # Decree 30: months 1–2 padded
    assert fmt.place_date(date(2026, 3, 3)) == "Hà Tĩnh, ngày 03 tháng 3 năm 2026"
    assert fmt.quotes('tổ chức "Tết sum vầy"') == "tổ chức “Tết sum vầy”"
    for payload in (HYPERLINK, "+1", "-1", "@A1", "\tx", "\rx"):
        assert fmt.inert_csv(payload) == "'" + payload
    assert fmt.inert_csv("Công đoàn") == "Công đoàn"


def test_font_falls_back_to_dejavu_from_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    from welfare.reports import fonts

    monkeypatch.delenv("WELFARE_REPORT_FONT_DIR", raising=False)
    monkeypatch.setattr(fonts, "_system_candidates", lambda: [])
    fonts._resolve.cache_clear()
    try:
        family = fonts.report_font()
        assert family.name == "DejaVu Serif" and "matplotlib" in family.source
        assert all(path.is_file() for path in family.files.values())
    finally:
        fonts._resolve.cache_clear()


# -- the reports ----------------------------------------------------------------------------------


def test_one_report_per_unit_active_at_period_end(reports: dict) -> None:
    units = {(year, unit) for year, unit, kind in reports["files"] if kind == "pdf" and not unit.endswith("draft")}
    # 2024: the province and the district federations U_A, U_B; 2025: U_B merged into U_C, U_D new.
    assert units == {(2024, "LDLD_HT"), (2024, "U_A"), (2024, "U_B"), (2025, "LDLD_HT"), (2025, "U_A"),
                     (2025, "U_C"), (2025, "U_D")}  # fmt: skip
    province = reports["files"][(YEAR, "LDLD_HT", "pdf")]
    assert province.parent == reports["out"] / "2025" / "LDLD_HT"
    assert re.fullmatch(r"BaoCao-04CTr-2025-LDLD_HT-s\d{4}-v01\.pdf", province.name)
    for kind in ("xlsx", "csv", "parquet", "manifest"):
        assert reports["files"][(YEAR, "LDLD_HT", kind)].exists()


def test_workbook_figures_match_the_indicator_mart(warehouse: str, reports: dict) -> None:
    from openpyxl import load_workbook

    marts = {
        (r["reporting_year"], r["unit_code"], r["indicator_code"]): r
        for r in query(warehouse, "select * from marts.indicator_values where org_level <> 'grassroots'")
    }
    checked = 0
    for (year, unit, kind), path in reports["files"].items():
        if kind != "xlsx" or unit.endswith("draft"):
            continue
        rows = read_table(load_workbook(path)["ChiTieu"], f"Bảng 1. Kết quả thực hiện các chỉ tiêu năm {year}")
        assert [r["Mã"] for r in rows] == [f"I{n:02d}" for n in range(1, 12)]
        for row in rows:
            mart = marts[(year, unit, row["Mã"])]
            assert row["Tử số"] == (None if mart["numerator"] is None else int(mart["numerator"]))
            assert row["Mẫu số"] == (None if mart["denominator"] is None else int(mart["denominator"]))
            if mart["value"] is None:
                assert row["Kết quả"] is None
            else:
                assert row["Kết quả"] == pytest.approx(mart["value"], rel=1e-12)
            checked += 1
    assert checked == 7 * 11


def test_pdf_text_layer_has_the_header_diacritics_and_vietnamese_figures(warehouse: str, reports: dict) -> None:
    if not POPPLER:
        pytest.skip("poppler-utils (pdftotext) is not installed: apt-get install -y poppler-utils")
    path = reports["files"][(YEAR, "LDLD_HT", "pdf")]
    text = pdf_text(path, "-layout")
    for expected in (
        "TỔNG LIÊN ĐOÀN LAO ĐỘNG VIỆT NAM",
        "LIÊN ĐOÀN LAO ĐỘNG TỈNH HÀ TĨNH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Hà Tĩnh, ngày 20 tháng 11 năm 2025",
        "/BC-LĐLĐ",
        "BÁO CÁO",
        "Báo cáo kết quả thực hiện Chương trình hành động 04/CTr-LĐLĐ năm 2025",
        "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU",
        "01/11/2024 – 31/10/2025",
        "PHỤ LỤC 2",
    ):
        assert expected in text, expected
    assert "Số:" in text
    i10 = query(warehouse, "select * from marts.indicator_values where indicator_code = 'I10' and reporting_year = 2025"
                " and org_level = 'province'")[0]  # fmt: skip
    assert fmt.number(i10["numerator"]) in text and re.search(r"\d{1,3}(\.\d{3}){3}", fmt.number(i10["numerator"]))
    assert fmt.percent(i10["value"]) in text and "," in fmt.percent(i10["value"])
    snapshot_digest = query(warehouse, "select digest from audit.report_snapshots where reporting_year = 2025")[0]
    assert snapshot_digest["digest"] in text  # the provenance annex shows which data the report shows
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "595.28 x 841.89 pts (A4)" in info
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert all(" yes yes yes " in line for line in fonts.splitlines()[2:]), fonts  # embedded, subset, ToUnicode


def test_pdf_body_stays_within_the_decree_30_margins(reports: dict) -> None:
    if not POPPLER:
        pytest.skip("poppler-utils (pdftotext) is not installed: apt-get install -y poppler-utils")
    words = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        pdf_text(reports["files"][(YEAR, "LDLD_HT", "pdf")], "-bbox"),
    )
    mm = 72 / 25.4
    assert words
    for x_min, y_min, x_max, y_max, word in words:
        assert float(x_min) >= 30 * mm - 1 and float(x_max) <= (210 - 15) * mm + 1, word
        in_top_margin = float(y_min) < 20 * mm - 1
        in_bottom_margin = float(y_max) > (297 - 20) * mm + 1
        if in_top_margin:
            assert word.isdigit(), word  # only the page number
        if in_bottom_margin:
            assert float(y_min) > (297 - 17) * mm, word  # only the footer identifying the data


@needs_poppler
def test_page_one_rendered_for_a_human_look(reports: dict, artefacts: Path) -> None:
    for unit in ("LDLD_HT", "U_A-draft"):
        pdf = reports["files"][(YEAR, unit, "pdf")]
        prefix = artefacts / f"{unit}-page"
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf), str(prefix)], check=True)
        pngs = list(artefacts.glob(f"{unit}-page*.png"))
        assert pngs and pngs[0].stat().st_size > 10_000
    print(f"page 1 of the reports: {artefacts}")


def test_missing_reports_annex_lists_exactly_the_missing_units(warehouse: str, reports: dict) -> None:
    from openpyxl import load_workbook

    title = "Đơn vị chưa có báo cáo hợp lệ"
    for year in (2024, 2025):
        expected = query(warehouse, "select unit_code, parent_unit_code, reason from marts.missing_reports"
                         " where reporting_year = %s", year)  # fmt: skip
        assert expected, "the fixture has missing reports in both years"
        for (y, unit, kind), path in reports["files"].items():
            if y != year or kind != "xlsx" or unit.endswith("draft"):
                continue
            listed = read_table(load_workbook(path)["PL2_ChuaBaoCao"], title)
            if unit == "LDLD_HT":
                wanted = {r["unit_code"] for r in expected}
            else:
                wanted = {r["unit_code"] for r in expected if unit in (r["unit_code"], r["parent_unit_code"])}
            assert {r["Mã"] for r in listed} == wanted, (year, unit)
    # G5 2024 sent only a rejected file: listed with its reason; G7 2024 sent nothing.
    province_2024 = read_table(load_workbook(reports["files"][(2024, "LDLD_HT", "xlsx")])["PL2_ChuaBaoCao"], title)
    by_unit = {r["Mã"]: r for r in province_2024}
    assert by_unit["G5"]["Tình trạng"] == "Bị trả lại, chưa có bản hợp lệ" and by_unit["G5"]["Trả lại"] == 1
    assert by_unit["G5"]["Lý do trả lại"] == HYPERLINK
    assert by_unit["G7"]["Tình trạng"] == "Chưa nộp báo cáo" and by_unit["G7"]["Đơn vị"] == HYPERLINK
    if POPPLER:
        text = pdf_text(reports["files"][(2025, "LDLD_HT", "pdf")], "-layout")
        assert "G8" in text and "U_D" in text


def test_completeness_annex_and_season_chart_agree_with_the_mart(warehouse: str, snapshots: dict) -> None:
    from welfare.reports.charts import season_arrivals
    from welfare.reports.content import Data
    from welfare.reports.snapshot import load_payload
    from welfare.warehouse import connect

    with connect(warehouse) as conn:
        data = Data(load_payload(conn, snapshots[YEAR]))
    mart = {
        (r["unit_code"], r["form"]): r["received_reports"]
        for r in query(warehouse, "select * from marts.reporting_completeness where reporting_year = %s", YEAR)
    }
    for unit in (None, "U_A", "U_C", "U_D"):
        scope = data.scope(unit)
        arrivals = season_arrivals(data, scope)
        assert len(arrivals["CDCS"]) == mart[(scope.unit_code, "CDCS")]
        assert len(arrivals["CAPTREN"]) == mart[(scope.unit_code, "CAPTREN")]


def test_formula_payloads_stay_inert_text(reports: dict) -> None:
    from openpyxl import load_workbook

    seen: set[str] = set()
    for (_year, _unit, kind), path in reports["files"].items():
        if kind != "xlsx":
            continue
        for sheet in load_workbook(path).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{path.name}!{cell.coordinate} is a formula: {cell.value!r}"
                    if isinstance(cell.value, str) and cell.value.startswith(fmt.FORMULA_TRIGGERS):
                        assert cell.data_type == "s"
                        seen.add(cell.value)
    assert HYPERLINK in seen and PAYLOAD_NAMES["U_D"] in seen and PAYLOAD_NAMES["G8"] in seen
    text_columns = {"indicator_code", "indicator_name_vi", "org_level", "unit_code", "unit_name", "parent_unit_code",
                    "method", "target_comparator", "status", "null_reason", "submissions_digest"}  # fmt: skip
    names = set()
    for (_year, _unit, kind), path in reports["files"].items():
        if kind != "csv":
            continue
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                for column in text_columns:
                    assert not row[column].startswith(fmt.FORMULA_TRIGGERS), (path.name, column, row[column])
                names.add(row["unit_name"])
    assert "'" + PAYLOAD_NAMES["U_D"] in names  # U_D's row in the province extract
    assert "'" + PAYLOAD_NAMES["G6"] in names and "'" + PAYLOAD_NAMES["G4"] in names  # grassroots rows under U_C, U_A


def test_extract_matches_the_mart(warehouse: str, reports: dict) -> None:
    import pyarrow.parquet as pq

    table = pq.read_table(reports["files"][(YEAR, "LDLD_HT", "parquet")]).to_pylist()
    mart = query(warehouse, "select * from marts.indicator_values where reporting_year = %s and org_level <> "
                 "'grassroots' order by org_level, unit_code, indicator_code", YEAR)  # fmt: skip
    assert len(table) == len(mart)
    by_key = {(r["org_level"], r["unit_code"], r["indicator_code"]): r for r in table}
    for r in mart:
        row = by_key[(r["org_level"], r["unit_code"], r["indicator_code"])]
        assert row["numerator"] == (None if r["numerator"] is None else int(r["numerator"]))
        assert row["value"] == r["value"] and row["status"] == r["status"] and row["coverage"] == r["coverage"]
    with reports["files"][(YEAR, "LDLD_HT", "csv")].open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(mart)
    first = next(x for x in rows if x["org_level"] == "province" and x["indicator_code"] == "I01")
    province = next(r for r in mart if r["org_level"] == "province" and r["indicator_code"] == "I01")
    assert float(first["value"]) == province["value"] and int(first["numerator"]) == int(province["numerator"])


def test_drafts_are_marked_on_every_page_and_sheet(reports: dict) -> None:
    from openpyxl import load_workbook

    pdf = reports["files"][(YEAR, "U_A-draft", "pdf")]
    assert pdf.name.endswith("-DU-THAO.pdf")
    book = load_workbook(reports["files"][(YEAR, "U_A-draft", "xlsx")])
    for sheet in book.worksheets:
        assert "DỰ THẢO" in (sheet.oddHeader.center.text or ""), sheet.title
        assert any("DỰ THẢO" in str(v) for row in sheet.iter_rows(max_row=5, values_only=True) for v in row if v)
    final = load_workbook(reports["files"][(YEAR, "U_A", "xlsx")])
    assert all("DỰ THẢO" not in (s.oddHeader.center.text or "") for s in final.worksheets)
    if POPPLER:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
        assert pages > 1
        for page in range(1, pages + 1):
            assert "DỰ THẢO" in pdf_text(pdf, "-f", str(page), "-l", str(page)), page
        assert "DỰ THẢO" not in pdf_text(reports["files"][(YEAR, "U_A", "pdf")])


def test_rebuild_from_one_snapshot_is_identical_and_never_overwrites(
    warehouse: str, snapshots: dict, reports: dict
) -> None:
    from welfare.reports import build_reports

    out = reports["out"]
    before = {p: sha(p) for p in out.rglob("*") if p.is_file()}
    first = {f.kind: f for f in build_reports(YEAR, out, unit="U_A", snapshot=snapshots[YEAR], url=warehouse)}
    second = {f.kind: f for f in build_reports(YEAR, out, unit="U_A", snapshot=snapshots[YEAR], url=warehouse)}
    assert {p: sha(p) for p in before} == before  # nothing earlier changed
    assert not ({f.path for f in first.values()} | {f.path for f in second.values()}) & set(before)
    assert second["pdf"].version == first["pdf"].version + 1
    assert first["pdf"].path.name != second["pdf"].path.name
    assert sheet_values(first["xlsx"].path) == sheet_values(second["xlsx"].path)
    for kind in ("pdf", "xlsx", "csv", "parquet"):  # the files themselves: same bytes
        assert first[kind].sha256 == second[kind].sha256 == sha(second[kind].path), kind
    earlier = reports["files"][(YEAR, "U_A", "xlsx")]
    assert sheet_values(earlier) == sheet_values(first["xlsx"].path)


def test_unknown_unit_is_refused_with_the_valid_codes(warehouse: str, snapshots: dict, tmp_path: Path) -> None:
    from welfare.reports import ReportError, build_reports

    with pytest.raises(ReportError, match=r"U_B is not an upper-level union active .* U_A, U_C, U_D"):
        build_reports(YEAR, tmp_path, unit="U_B", snapshot=snapshots[YEAR], url=warehouse)
    assert not any(tmp_path.iterdir())


def test_snapshots_freeze_the_data_and_follow_new_submissions(
    new_database, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A late resubmission changes the marts: the old snapshot still gives the old report."""
    import psycopg
    from dbt_fixtures import add_submission
    from openpyxl import load_workbook
    from welfare.reports import build_reports, take_snapshot
    from welfare.warehouse import connect

    url, work, out = new_database(), tmp_path_factory.mktemp("dbt2"), tmp_path_factory.mktemp("reports2")
    scenario = build_scenario()
    build_marts(url, scenario, work)
    with connect(url) as conn:
        old = take_snapshot(conn, YEAR, taken_at=SNAPSHOT_AT)
        assert take_snapshot(conn, YEAR) == old  # nothing changed: the same snapshot
    counted = query(url, "select count(*) as n from marts.submissions where reporting_year = %s and is_counted", YEAR)
    assert old.submissions_count == counted[0]["n"]

    def province_i01(snapshot: Any) -> dict[str, Any]:
        files = build_reports(YEAR, out, unit="LDLD_HT", snapshot=snapshot, url=url)
        book = load_workbook(next(f.path for f in files if f.kind == "xlsx"))
        rows = read_table(book["ChiTieu"], f"Bảng 1. Kết quả thực hiện các chỉ tiêu năm {YEAR}")
        return next(r for r in rows if r["Mã"] == "I01")

    before = province_i01(old)
    late = Planned("CDCS", "G8", YEAR, at(date(2025, 11, 20)), "accepted", cdcs_figures("G8", YEAR), tag="G8-late")
    with psycopg.connect(url) as conn:
        add_submission(conn, scenario, late)
    dbt_marts(url, work)
    with connect(url) as conn:
        new = take_snapshot(conn, YEAR, taken_at=SNAPSHOT_AT)
    assert new.id > old.id and new.digest != old.digest
    assert new.submissions_count == old.submissions_count + 1 and new.max_submission_id > (old.max_submission_id or 0)
    assert province_i01(old) == before  # the frozen snapshot still shows the old figures
    after = province_i01(new)
    assert after["Mẫu số"] == before["Mẫu số"] + late.figures["tong_doan_vien"]
