"""The bulk path on a small national year: every report, every row, the same rules and messages as the
workbook path, encodings, versions, nothing half-loaded and no clear citizen ID."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import unicodedata
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from welfare.config import TIMEZONE, Settings
from welfare.registry import load_registry

pytestmark = pytest.mark.slow

YEAR = 2025
RECEIVED = datetime(YEAR, 11, 4, 16, tzinfo=TIMEZONE)
TABLES = (
    "audit.files",
    "audit.submissions",
    "audit.validation_results",
    "raw.cdcs_reports",
    "raw.captren_reports",
    "raw.support_cases",
    "restricted.support_people",
)


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A small national year: ~2,000 grassroots reports, ~30,000 support rows (bulk CSV)."""
    from welfare.generator.national import generate_national

    out = tmp_path_factory.mktemp("national")
    manifest = generate_national(out, YEAR, seed=3, grassroots=2_000, support_rows=30_000)
    return out, manifest


@pytest.fixture(scope="module")
def validator():
    """One Great Expectations context for the module (its set-up costs seconds)."""
    from welfare.intake.bulk import BulkValidator

    return BulkValidator()


def _database(new_database, out: Path) -> str:
    url = new_database()
    with psycopg.connect(url) as conn:
        load_registry(conn, out / "registry.csv")
    return url


def _ingest(url: str, folder: Path, data_dir: Path, validator, **kwargs):
    from welfare.intake.bulk import ingest_bulk

    settings = Settings(data_dir=data_dir, warehouse_url=url)
    kwargs.setdefault("received_at", RECEIVED)
    return ingest_bulk([folder], url=url, settings=settings, run_id="test", validator=validator, **kwargs)


def _rows(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding), newline="")))


def _write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    text = buffer.getvalue()
    path.write_bytes(_cp1258(text) if encoding == "cp1258" else text.encode(encoding))


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese offices write it: the letter (ơ, â, …) then a combining tone mark."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
            out.append((base + "".join(c for c in parts if c in tones)).encode("cp1258"))
    return b"".join(out)


def _copy_folder(national: tuple[Path, dict], target: Path) -> Path:
    out, _ = national
    shutil.copytree(out / "submissions" / f"national-{YEAR}", target)
    return target


def _subset(national: tuple[Path, dict], target: Path, reports: int = 300) -> tuple[Path, dict[str, int]]:
    """The first `reports` grassroots reports of the national year, with their support rows, and the
    upper-level file: a bulk folder small enough to ingest several times in a test."""
    out, _ = national
    source = out / "submissions" / f"national-{YEAR}"
    target.mkdir(parents=True)
    cdcs = _rows(source / "cdcs_reports.csv")[: reports + 1]
    units = {r[0] for r in cdcs[1:]}
    support = [r for n, r in enumerate(_rows(source / "support_cases.csv")) if n == 0 or r[0] in units]
    _write(target / "cdcs_reports.csv", cdcs)
    _write(target / "support_cases.csv", support)
    shutil.copyfile(source / "captren_reports.csv", target / "captren_reports.csv")
    return target, {"grassroots_reports": reports, "support_rows": len(support) - 1}


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}


@pytest.fixture(scope="module")
def loaded(national, new_database, pseudonym_key: str, validator, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The clean national year through the bulk path, into a fresh warehouse."""
    out, manifest = national
    url = _database(new_database, out)
    summary = _ingest(url, out / "submissions" / f"national-{YEAR}", tmp_path_factory.mktemp("data"), validator)
    return {"url": url, "summary": summary, "out": out, "manifest": manifest}


def test_every_report_is_accepted_and_every_row_counted(loaded: dict) -> None:
    summary, manifest, out = loaded["summary"], loaded["manifest"], loaded["out"]
    counts = manifest["counts"]
    folder = out / "submissions" / f"national-{YEAR}"
    assert {f.path.name: f.state.startswith("accepted") for f in summary.files} == {
        "cdcs_reports.csv": True,
        "captren_reports.csv": True,
        "support_cases.csv": True,
    }
    assert set(summary.report_states) <= {"accepted", "accepted_with_warnings"}
    assert summary.raw_rows == {
        "cdcs_reports": counts["grassroots_reports"],
        "captren_reports": counts["upper_units"],
        "support_cases": counts["support_rows"],
        "support_people": counts["support_rows"],
    }
    cdcs = _rows(folder / "cdcs_reports.csv")
    header = cdcs[0]
    members = sum(int(r[header.index("tong_doan_vien")]) for r in cdcs[1:])
    money = sum(int(r[header.index("chi_cham_lo_phuc_loi")]) for r in cdcs[1:])
    support = _rows(folder / "support_cases.csv")
    amount = sum(int(r[support[0].index("so_tien")]) for r in support[1:])
    with psycopg.connect(loaded["url"]) as conn:
        assert conn.execute(
            "select sum(tong_doan_vien), sum(chi_cham_lo_phuc_loi) from raw.cdcs_reports"
        ).fetchone() == (
            members,
            money,
        )
        assert conn.execute("select sum(so_tien) from raw.support_cases").fetchone()[0] == amount
        # Each report's submission names its CSV line; each raw row comes back to its unit.
        lines = dict(
            conn.execute(
                "select s.unit_code, s.source_row from audit.submissions s join audit.files f using (file_id) "
                "where f.file_name = 'cdcs_reports.csv'"
            ).fetchall()
        )
        assert lines == {row[0]: number for number, row in enumerate(cdcs[1:], start=2)}
        versions = conn.execute("select distinct version, is_superseded from audit.submissions").fetchall()
        assert versions == [(1, False)]
        # The generator names units in its registry as in their reports: no name mismatch warning.
        mismatched = conn.execute(
            "select count(*) from audit.validation_results where rule = 'ten_don_vi.matches_registry'"
        ).fetchone()[0]
        assert mismatched == 0


def test_no_clear_citizen_id_in_any_table(loaded: dict, pseudonym_key: str) -> None:
    from welfare.intake.pseudonym import pseudonym

    folder = loaded["out"] / "submissions" / f"national-{YEAR}"
    support = _rows(folder / "support_cases.csv")
    column = support[0].index("so_dinh_danh")
    ids = {r[column] for r in support[1:] if r[column]}
    assert len(ids) > 1_000
    with psycopg.connect(loaded["url"]) as conn:
        columns = conn.execute(
            """select table_schema, table_name, column_name from information_schema.columns
               where table_schema in ('raw', 'audit', 'restricted', 'registry')
                 and data_type in ('text', 'jsonb', 'character varying')"""
        ).fetchall()
        for schema, table, name in columns:
            values = conn.execute(
                f'select "{name}"::text from {schema}.{table} where "{name}"::text ~ %s', (r"\d{12}",)
            ).fetchall()
            leaked = {m for (v,) in values for m in re.findall(r"\d{12}", v or "")} & ids
            assert not leaked, f"{schema}.{table}.{name} holds clear citizen IDs"
        # The pseudonym is welfare.intake.pseudonym's HMAC of the ID.
        line, ident = next((n, r[column]) for n, r in enumerate(support[1:], start=2) if r[column])
        stored = conn.execute(
            "select nguoi_pseudonym from raw.support_cases where source_row = %s", (line,)
        ).fetchone()[0]
    assert stored == pseudonym(ident, bytes.fromhex(pseudonym_key))


def test_injected_faults_get_their_rule_and_line(
    national, new_database, pseudonym_key: str, validator, tmp_path: Path
) -> None:
    out, _ = national
    folder = _copy_folder(national, tmp_path / "bulk")
    cdcs = _rows(folder / "cdcs_reports.csv")
    h = {c: i for i, c in enumerate(cdcs[0])}
    cdcs[5][h["tong_doan_vien"]] = "abc"  # line 6: not a number
    cdcs[9][h["doan_vien_nu"]] = str(int(cdcs[9][h["tong_doan_vien"]]) + 1)  # line 10: more women than members
    cdcs[14][h["to_chuc_tet_sum_vay"]] = "Có"  # line 15: tolerated spelling of 1
    _write(folder / "cdcs_reports.csv", cdcs)
    support = _rows(folder / "support_cases.csv")
    s = {c: i for i, c in enumerate(support[0])}
    by_unit: dict[str, list[int]] = {}
    for number, row in enumerate(support[1:], start=1):
        by_unit.setdefault(row[0], []).append(number)
    units = sorted(by_unit, key=lambda u: -len(by_unit[u]))
    big, small = units[0], next(u for u in units if 10 <= len(by_unit[u]) <= 19)
    dropped_line = by_unit[big][0] + 1
    support[by_unit[big][0]][s["so_dinh_danh"]] = "04207100159"  # 11 digits: one bad row of many → dropped
    for index in by_unit[small][:2]:
        support[index][s["so_tien"]] = "0"  # > 5 % of this report's rows → the report is rejected
    _write(folder / "support_cases.csv", support)

    url = _database(new_database, out)
    summary = _ingest(url, folder, tmp_path / "data", validator)
    assert summary.report_states["rejected"] == 3
    with psycopg.connect(url) as conn:
        results = {
            (r[0], r[1]): r[2:]
            for r in conn.execute(
                "select rule, cell, severity, message_vi, message_en, value_shown from audit.validation_results"
            )
        }
        states = dict(
            conn.execute(
                "select s.unit_code, s.state from audit.submissions s join audit.files f using (file_id) "
                "where f.file_name = 'cdcs_reports.csv'"
            ).fetchall()
        )
        loaded_rows = {r[0] for r in conn.execute("select source_row from raw.support_cases")}
        small_rows = conn.execute("select count(*) from raw.support_cases where ma_don_vi = %s", (small,)).fetchone()[0]
        flag = conn.execute(
            "select to_chuc_tet_sum_vay from raw.cdcs_reports r join audit.submissions s "
            "using (submission_id) where s.source_row = 15"
        ).fetchone()[0]
    letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    severity, vi, en, shown = results[("tong_doan_vien.number", f"cdcs_reports.csv!{letter[h['tong_doan_vien']]}6")]
    assert severity == "error" and "abc" in en and "tong_doan_vien" in vi
    assert results[("doan_vien_nu.le_tong_doan_vien", f"cdcs_reports.csv!{letter[h['doan_vien_nu']]}10")][0] == "error"
    severity, vi, en, shown = results[
        ("so_dinh_danh.twelve_digits", f"support_cases.csv!{letter[s['so_dinh_danh']]}{dropped_line}")
    ]
    assert severity == "warning" and "dropped" in en and shown == "042******59"
    assert ("hotro.bad_row_share", None) in results
    assert states[cdcs[5][0]] == "rejected" and states[cdcs[9][0]] == "rejected" and states[small] == "rejected"
    assert states[big].startswith("accepted") and states[cdcs[14][0]].startswith("accepted")
    assert flag == 1
    assert dropped_line not in loaded_rows and small_rows == 0
    assert len(loaded_rows) == len(support) - 1 - 1 - len(by_unit[small]) - sum(
        len(by_unit.get(cdcs[i][0], [])) for i in (5, 9)
    )


def _province_year(
    registry, units, year: int, seed: int = 5
) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """Bulk rows (grassroots, upper level, support) of `units` for `year`, the registry's names and parents."""
    from welfare.forms import CAPTREN_FIGURES, CDCS_FIGURES, INFO_FIELDS, SUPPORT_FIELDS
    from welfare.generator import values

    def text(value: object) -> str:
        return "" if value is None else value.strftime("%d/%m/%Y") if hasattr(value, "strftime") else str(value)

    end = datetime(year, 10, 31).date()
    info = [f.code for f in INFO_FIELDS]
    cdcs = [[*info, *(f.code for f in CDCS_FIGURES)]]
    support = [["ma_don_vi", "nam_bao_cao", *(f.code for f in SUPPORT_FIELDS)]]
    members: dict[str, int] = {}
    for number, unit in enumerate(units):
        figures = values.cdcs_figures(seed, unit.ma_don_vi, unit.loai_hinh, year)
        rows = values.support_rows(seed, unit.ma_don_vi, year, 3) if number % 4 == 0 else []
        figures["dv_kho_khan_duoc_ho_tro"] = max(int(figures["dv_kho_khan_duoc_ho_tro"]), len(rows))
        figures["dv_kho_khan"] = max(int(figures["dv_kho_khan"]), int(figures["dv_kho_khan_duoc_ho_tro"]))
        parent = registry.as_of(end, unit.ma_don_vi).ma_cap_tren
        members[parent] = members.get(parent, 0) + int(figures["tong_doan_vien"])
        head = [unit.ma_don_vi, unit.ten_don_vi, parent, year, f"02/11/{year}", "", "", "a@b.vn", "", "CDCS-2024.1"]
        cdcs.append([text(v) for v in [*head, *(figures[f.code] for f in CDCS_FIGURES)]])
        support += [[unit.ma_don_vi, str(year), *(text(r[f.code]) for f in SUPPORT_FIELDS)] for r in rows]
    captren = [[*info, *(f.code for f in CAPTREN_FIGURES)]]
    for parent, total in sorted(members.items()):
        upper = registry.as_of(end, parent) or registry.history(parent)[-1]
        figures = values.captren_figures(seed, parent, year, total)
        head = [parent, upper.ten_don_vi, "", year, f"10/11/{year}", "", "", "b@c.vn", "", "CAPTREN-2024.1"]
        captren.append([text(v) for v in [*head, *(figures[f.code] for f in CAPTREN_FIGURES)]])
    return cdcs, captren, support


def test_same_outcome_as_the_workbook_path(
    new_database, pseudonym_key: str, validator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Faults of many kinds, with last year's reports and this year's peers in the warehouse:
    pipeline.ingest and the bulk path write the same states, rules, cells, messages and rows."""
    from collections import defaultdict

    from welfare.intake.pipeline import ingest
    from welfare.registry import read_registry

    from tests.conftest import SHIPPED_REGISTRY

    registry = read_registry(SHIPPED_REGISTRY)
    end = datetime(YEAR, 10, 31).date()
    groups: dict[tuple, list] = defaultdict(list)
    for unit in registry.active(end, "CDCS"):
        if registry.as_of(datetime(YEAR - 1, 10, 31).date(), unit.ma_don_vi) is not None:  # reported both years
            groups[(unit.ma_cap_tren, unit.loai_hinh)].append(unit)
    largest = sorted(groups.values(), key=len, reverse=True)
    units = largest[0][:45] + largest[1][:30] + [g[0] for g in largest[2:40]]  # peer groups large enough for z-scores
    before = tmp_path / "2024" / "bulk"
    before.mkdir(parents=True)
    cdcs, captren, support = _province_year(registry, units, YEAR - 1)
    _write(before / "cdcs_reports.csv", cdcs)
    _write(before / "support_cases.csv", support)

    folder = tmp_path / "2025" / "bulk"
    folder.mkdir(parents=True)
    cdcs, captren, support = _province_year(registry, units, YEAR)
    h = {c: i for i, c in enumerate(cdcs[0])}
    faults = [
        (1, "ma_don_vi", "XX999"),
        (2, "nam_bao_cao", "abc"),
        (3, "ngay_lap", "30/12/2025"),
        (4, "email", "không@"),
        (5, "tong_doan_vien", "0"),
        (6, "tong_lao_dong", "1.234"),
        (7, "so_cuoc_doi_thoai", "-3"),
        (8, "to_chuc_tet_sum_vay", "2"),
        (9, "xep_loai_thoa_uoc", "Z"),
        (10, "ngay_ky_thoa_uoc", "31/02/2025"),
        (11, "gia_tri_qua_tet", "5"),
        (12, "phien_ban_bieu_mau", "CDCS-2023"),
        (13, "ma_cap_tren", "XX"),
        (14, "ten_don_vi", "Công đoàn khác"),
        (15, "tong_chi_tai_chinh", "999999999999"),  # an outlier among its peers
        (16, "nam_bao_cao", "2031"),
    ]
    for row, code, value in faults:
        cdcs[row][h[code]] = value
    for row in (20, 21, 22):  # membership three times last year's: year-over-year warnings
        cdcs[row][h["tong_doan_vien"]] = str(int(cdcs[row][h["tong_doan_vien"]]) * 4)
        cdcs[row][h["tong_lao_dong"]] = str(int(cdcs[row][h["tong_lao_dong"]]) * 4)
    cdcs[17][h["co_thoa_uoc"]], cdcs[17][h["xep_loai_thoa_uoc"]] = "0", "Loại B"
    cdcs.insert(30, [""] * len(cdcs[0]))  # a blank line keeps the line numbers of the rows below
    s = {c: i for i, c in enumerate(support[0])}
    edits = [
        ("nam_sinh", "1930"),
        ("gioi_tinh", "nam"),
        ("gioi_tinh", "X"),
        ("chuong_trinh", "BAD"),
        ("so_tien", "99.000.000"),
        ("ngay_ho_tro", "01/01/2020"),
        ("doi_tuong_yeu_the", "ABC"),
        ("ho_ten", ""),
        ("so_tien", "1,5"),
        ("so_dinh_danh", "0421"),
    ]
    for index, (code, value) in zip(range(1, len(support), 4), edits, strict=False):
        support[index][s[code]] = value
    captren[1][captren[0].index("can_bo_da_tap_huan")] = "99"
    _write(folder / "cdcs_reports.csv", cdcs)
    _write(folder / "support_cases.csv", support, "utf-16")
    _write(folder / "captren_reports.csv", captren)

    urls = []
    for path in ("pipeline", "bulk"):
        url = new_database()
        with psycopg.connect(url) as conn:
            load_registry(conn, SHIPPED_REGISTRY)
        _ingest(url, before, tmp_path / path, validator, received_at=RECEIVED.replace(year=YEAR - 1))
        if path == "pipeline":
            settings = Settings(data_dir=tmp_path / path, warehouse_url=url)
            ingest([folder], url=url, settings=settings, run_id="test", received_at=RECEIVED)
        else:
            _ingest(url, folder, tmp_path / path, validator)
        urls.append(url)
    old, new = (_snapshot(u) for u in urls)
    for table in old:
        assert old[table] == new[table], table
    rules = {r[2] for r in new["results"]}
    assert {"tong_doan_vien.year_over_year", "tong_chi_tai_chinh.outlier", "ten_don_vi.matches_registry"} <= rules
    assert len(rules) >= 25, sorted(rules)


def _shown(text: str) -> str:
    """The two display differences the bulk path has on purpose: a missing value shows "" (the workbook
    path shows "nan"); a year shows 2031 (the workbook path shows 2.031 when its frame column was float)."""
    return re.sub(r"\b2\.0(\d\d)\b", r"20\1", "" if text == "nan" else text)


def _snapshot(url: str) -> dict[str, list]:
    def clean(row: tuple) -> tuple:
        return tuple(
            _shown(json.dumps(v, ensure_ascii=False, sort_keys=True) if isinstance(v, list | dict) else str(v))
            for v in row
        )

    out: dict[str, list] = {}
    with psycopg.connect(url) as conn:
        queries = {
            "files": "select file_name, state, reasons from audit.files",
            "submissions": """select f.file_name, s.form, s.unit_code, s.reporting_year, s.version, s.state, s.is_superseded,
                                     s.is_on_time, s.is_after_lock, s.source_row
                              from audit.submissions s join audit.files f using (file_id)""",
            "results": """select f.file_name, s.source_row, v.rule, v.severity, v.field, v.cell, v.value_shown,
                                 v.message_vi, v.message_en, v.expectation
                          from audit.validation_results v join audit.files f using (file_id)
                          left join audit.submissions s using (submission_id)""",
            "support": """select s.unit_code, c.source_row, c.nguoi_pseudonym, c.nam_sinh, c.gioi_tinh, c.nhom_hoan_canh,
                                 c.chuong_trinh, c.ngay_ho_tro, c.so_tien, c.nguon_kinh_phi, c.doi_tuong_yeu_the
                          from raw.support_cases c join audit.submissions s using (submission_id)""",
            "people": """select s.unit_code, p.source_row, p.ho_ten, p.nguoi_pseudonym
                         from restricted.support_people p join audit.submissions s using (submission_id)""",
            "cdcs": "select s.unit_code, r.* from raw.cdcs_reports r join audit.submissions s using (submission_id)",
            "captren": "select s.unit_code, r.* from raw.captren_reports r join audit.submissions s using (submission_id)",
        }
        for name, query in queries.items():
            cursor = conn.execute(query)
            columns = [c.name for c in cursor.description]
            keep = [
                i
                for i, c in enumerate(columns)
                if c not in ("submission_id", "loaded_at", "source_row") or name not in ("cdcs", "captren")
            ]
            out[name] = sorted(clean(tuple(row[i] for i in keep)) for row in cursor.fetchall())
    return out


def test_utf16_is_accepted_and_cp1258_refused_naming_the_encodings(
    national, new_database, pseudonym_key: str, validator, tmp_path: Path
) -> None:
    out, manifest = national
    folder = _copy_folder(national, tmp_path / "utf16")
    for name in ("cdcs_reports.csv", "support_cases.csv"):
        _write(folder / name, _rows(folder / name), "utf-16")
    url = _database(new_database, out)
    summary = _ingest(url, folder, tmp_path / "data16", validator)
    assert all(f.state.startswith("accepted") for f in summary.files)
    assert summary.raw_rows["support_cases"] == manifest["counts"]["support_rows"]

    legacy = _copy_folder(national, tmp_path / "cp1258")
    _write(legacy / "cdcs_reports.csv", _rows(legacy / "cdcs_reports.csv"), "cp1258")
    summary = _ingest(url, legacy, tmp_path / "data1258", validator)
    outcomes = {f.path.name: f for f in summary.files}
    refused = outcomes["cdcs_reports.csv"]
    assert refused.state == "rejected" and [r["rule"] for r in refused.reasons] == ["file.bad_encoding"]
    text = json.dumps(refused.reasons, ensure_ascii=False)
    assert "UTF-8" in text and "UTF-16" in text and "Windows-1258" in text
    # Its support rows then belong to no report: that file is refused too, and nothing of either is loaded;
    # the upper-level file is byte for byte the one loaded from the UTF-16 folder.
    assert outcomes["support_cases.csv"].state == "rejected"
    assert [r["rule"] for r in outcomes["support_cases.csv"].reasons] == ["file.support_without_report"]
    assert outcomes["captren_reports.csv"].state == "duplicate"
    assert summary.raw_rows.get("cdcs_reports", 0) == 0 and summary.raw_rows.get("support_cases", 0) == 0


def test_a_failure_during_load_leaves_nothing_and_the_retry_loads_once(
    national, new_database, pseudonym_key: str, validator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from welfare.intake import bulk

    out, _ = national
    folder, expected = _subset(national, tmp_path / "bulk")
    url = _database(new_database, out)
    real = bulk._copy_arrow
    calls = {"n": 0}

    def failing(conn, target, table):
        if target == "raw.support_cases":
            calls["n"] += 1
            raise psycopg.OperationalError("connection lost (injected)")
        return real(conn, target, table)

    monkeypatch.setattr(bulk, "_copy_arrow", failing)
    with pytest.raises(psycopg.OperationalError):
        _ingest(url, folder, tmp_path / "data", validator)
    assert calls["n"] == 1
    assert set(_counts(url).values()) == {0}
    monkeypatch.setattr(bulk, "_copy_arrow", real)
    summary = _ingest(url, folder, tmp_path / "data", validator)
    counts = _counts(url)
    assert counts["audit.files"] == 3 and counts["raw.cdcs_reports"] == expected["grassroots_reports"]
    assert counts["raw.support_cases"] == expected["support_rows"] == summary.raw_rows["support_cases"]
    rerun = _ingest(url, folder, tmp_path / "data", validator)
    assert rerun.files == [] and _counts(url) == counts


def test_a_resubmission_is_a_new_version_and_supersedes_the_first(
    national, new_database, pseudonym_key: str, validator, tmp_path: Path
) -> None:
    out, _ = national
    folder, _ = _subset(national, tmp_path / "first")
    url = _database(new_database, out)
    _ingest(url, folder, tmp_path / "data", validator, fast_foreign_keys=False)
    again = tmp_path / "second"
    again.mkdir()
    cdcs = _rows(folder / "cdcs_reports.csv")[:11]
    column = cdcs[0].index("so_nha_mai_am")
    cdcs[3][column] = str(int(cdcs[3][column] or 0) + 1)
    cdcs.append(list(cdcs[5]))  # the same unit twice in one file: versions 2 and 3
    _write(again / "cdcs_reports.csv", cdcs)
    later = RECEIVED.replace(day=5)
    _ingest(url, again, tmp_path / "data", validator, received_at=later)
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """select unit_code, array_agg(version order by submission_id), array_agg(is_superseded order by submission_id)
               from audit.submissions where form = 'CDCS' and unit_code = any(%s) group by unit_code""",
            ([r[0] for r in cdcs[1:]],),
        ).fetchall()
    history = {unit: (versions, superseded) for unit, versions, superseded in rows}
    assert history[cdcs[1][0]] == ([1, 2], [True, False])
    assert history[cdcs[5][0]] == ([1, 2, 3], [True, True, False])


def test_a_callers_batch_and_transaction_decide(
    national, new_database, pseudonym_key: str, validator, tmp_path: Path
) -> None:
    """ingest_bulk_folder loads into the caller's open batch; the caller's rollback undoes all of it."""
    from welfare.intake.bulk import ingest_bulk_folder
    from welfare.registry import load_current_registry

    out, _ = national
    folder, expected = _subset(national, tmp_path / "bulk")
    url = _database(new_database, out)
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=url)
    key = bytes.fromhex(pseudonym_key)
    for commit in (False, True):
        with psycopg.connect(url) as conn:
            registry = load_current_registry(conn)
            with conn.transaction(force_rollback=not commit):
                batch_id = conn.execute(
                    "insert into audit.batches (run_id) values ('caller') returning batch_id"
                ).fetchone()[0]
                outcomes = ingest_bulk_folder(
                    folder,
                    conn=conn,
                    batch_id=batch_id,
                    key=key,
                    registry=registry,
                    received_at=RECEIVED,
                    settings=settings,
                    validator=validator,
                )
                assert sorted(o.path.name for o in outcomes) == sorted(p.name for p in folder.iterdir())
        counts = _counts(url)
        if not commit:
            assert set(counts.values()) == {0}
    assert counts["raw.support_cases"] == expected["support_rows"]
    assert counts["audit.files"] == 3
