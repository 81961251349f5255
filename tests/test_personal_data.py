"""Personal data after a full cycle (generate → ingest → dbt build → reports; tests/reliability.py).

The clear 12-digit citizen IDs and the names of the people supported, read back from the generated
files themselves, are searched for everywhere the platform writes: every text column of every
table and view of every schema, the Data Docs, the feedback files, the reports (PDF text via
pdftotext, Excel cells, CSV, Parquet), and every log file under the data folder and of the
warehouse server. IDs may appear nowhere; names only in restricted.support_people. The roles
analysts and readers use cannot read raw, restricted or pseudonym columns.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from welfare.intake.parse import FileRejected, parse_csv, parse_workbook

pytestmark = pytest.mark.slow

_TWELVE = re.compile(r"(?<!\d)\d{12}(?!\d)")


@pytest.fixture(scope="module")
def personal(welfare_cycle: dict) -> dict:
    """The IDs and names of people in the generated files the cycle loaded (and of officials, to tell apart)."""
    ids: set[str] = set()
    names: set[str] = set()
    officials: set[str] = set()
    folders = [welfare_cycle["landing"], welfare_cycle["extra"]]
    for path in sorted(p for folder in folders for p in folder.rglob("*") if p.is_file()):
        try:
            if path.suffix == ".csv":
                rows = [{k: v.raw for k, v in row.items()} for row in parse_csv(path)]
                people = rows if "ho_ten" in rows[0] else []
                officials |= {str(r.get(k)) for r in rows for k in ("nguoi_lap", "chu_tich") if r.get(k)}
            elif path.suffix in (".xlsx", ".xls", ".ods"):
                report = parse_workbook(path)
                people = [{k: v.raw for k, v in row.items()} for row in report.support]
                officials |= {str(report.info[k].raw) for k in ("nguoi_lap", "chu_tich") if k in report.info}
            else:
                continue
        except FileRejected:
            continue
        for row in people:
            if row.get("so_dinh_danh"):
                ids |= set(_TWELVE.findall(str(row["so_dinh_danh"])))
            if row.get("ho_ten") and isinstance(row["ho_ten"], str):
                names.add(row["ho_ten"].strip())
    assert len(ids) > 200 and len(names) > 200, (len(ids), len(names))
    # A support person may share a common name with an official of some unit; such a name proves nothing.
    return {"ids": ids, "names": names - officials, "cycle": welfare_cycle}


def _leaks(text: str, personal: dict) -> tuple[set[str], set[str]]:
    found_ids = set(_TWELVE.findall(text)) & personal["ids"]
    found_names = {name for name in personal["names"] if name in text}
    return found_ids, found_names


def test_no_clear_id_in_any_column_and_names_only_in_restricted(personal: dict) -> None:
    url = personal["cycle"]["url"]
    names_pattern = re.compile("|".join(re.escape(n) for n in sorted(personal["names"], key=len, reverse=True)))
    problems = []
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            """select c.table_schema, c.table_name, c.column_name
               from information_schema.columns as c
               where c.table_schema not in ('pg_catalog', 'information_schema', 'pg_toast')
                 and c.data_type in ('text', 'character varying', 'character', 'jsonb', 'json', 'name', 'ARRAY',
                                     'USER-DEFINED', 'xml')
               order by 1, 2, 3"""
        ).fetchall()
        assert len(columns) > 100
        for schema, table, column in columns:
            values = [
                r[0]
                for r in conn.execute(f'select distinct "{column}"::text from "{schema}"."{table}"')
                if r[0] is not None
            ]
            text = "\n".join(values)
            leaked_ids = set(_TWELVE.findall(text)) & personal["ids"]
            if leaked_ids:
                problems.append(f"{schema}.{table}.{column}: clear citizen IDs, e.g. {sorted(leaked_ids)[0][:3]}…")
            if (schema, table, column) == ("restricted", "support_people", "ho_ten"):
                assert names_pattern.search(text), "the scan must find the names where they are kept"
            elif names_pattern.search(text):
                problems.append(f"{schema}.{table}.{column}: names of supported people")
        kept = conn.execute("select count(*) from restricted.support_people").fetchone()[0]
    assert kept > 200, "the names must be kept where the few roles that need them can read them"
    assert not problems, "\n".join(problems)


def test_no_pseudonym_reaches_the_marts(personal: dict) -> None:
    """Analysts read the marts: pseudonyms (linkable across units and years) must not be there either."""
    with psycopg.connect(personal["cycle"]["url"]) as conn:
        aliases = [
            r[0]
            for r in conn.execute(
                "select distinct nguoi_pseudonym from raw.support_cases where nguoi_pseudonym is not null"
            )
        ]
        assert len(aliases) > 200
        columns = conn.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'marts' "
            "and data_type in ('text', 'character varying', 'jsonb', 'json', 'ARRAY')"
        ).fetchall()
        for table, column in columns:
            hits = conn.execute(
                f'select count(*) from marts."{table}" where "{column}"::text ~ \'[0-9a-f]{{64}}\' and exists '
                f'(select 1 from unnest(%s::text[]) as a where strpos("{column}"::text, a) > 0)',
                (aliases,),
            ).fetchone()[0]
            assert hits == 0, f"marts.{table}.{column} holds pseudonyms"


def _files_text(paths: list[Path]) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in paths)


def test_no_personal_data_in_data_docs_feedback_or_logs(personal: dict, warehouse_root: Path) -> None:
    from welfare.warehouse import EmbeddedPostgres

    data_dir: Path = personal["cycle"]["data_dir"]
    docs = [p for p in (data_dir / "datadocs").rglob("*") if p.is_file() and p.suffix in (".html", ".json", ".js")]
    feedback = list(data_dir.rglob("*.phan-hoi.txt")) + list((data_dir / "feedback").rglob("*.txt"))
    logs = [p for p in data_dir.rglob("*") if p.is_file() and (p.suffix == ".log" or "logs" in p.parts)]
    server_log = EmbeddedPostgres(warehouse_root / "warehouse").logfile
    assert len(docs) >= 5 and len(feedback) >= 20 and logs and server_log.exists()
    for label, paths in (("Data Docs", docs), ("feedback", feedback), ("logs", logs), ("server log", [server_log])):
        leaked_ids, leaked_names = _leaks(_files_text(paths), personal)
        assert not leaked_ids, f"{label}: clear citizen IDs {sorted(leaked_ids)[:3]}"
        assert not leaked_names, f"{label}: names of supported people {sorted(leaked_names)[:3]}"
    shown = _files_text(feedback)
    assert re.search(r"\d{3}\*{6,7}\d{2}", shown), "feedback shows IDs masked (042*******34)"


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is not installed")
def test_no_personal_data_in_the_reports(personal: dict) -> None:
    import openpyxl
    import pyarrow.parquet as pq

    reports = [f.path for f in personal["cycle"]["reports"]]
    assert {p.suffix for p in reports} >= {".pdf", ".xlsx", ".csv", ".parquet"}
    texts = []
    for path in reports:
        if path.suffix == ".pdf":
            texts.append(
                subprocess.run(
                    ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
                ).stdout
            )
        elif path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path, read_only=True)
            texts += [
                str(v)
                for sheet in book.worksheets
                for row in sheet.iter_rows(values_only=True)
                for v in row
                if v is not None
            ]
        elif path.suffix == ".parquet":
            texts.append(str(pq.read_table(path).to_pylist()))
        else:
            texts.append(path.read_text(encoding="utf-8-sig"))
    text = "\n".join(texts)
    assert "TỔNG LIÊN ĐOÀN LAO ĐỘNG VIỆT NAM" in text or "TONG LIEN DOAN" in text.upper()
    leaked_ids, leaked_names = _leaks(text, personal)
    assert not leaked_ids and not leaked_names, (sorted(leaked_ids)[:3], sorted(leaked_names)[:3])


def test_analyst_and_readers_cannot_read_raw_restricted_or_pseudonym_columns(personal: dict) -> None:
    from welfare.access import create_reader

    cycle = personal["cycle"]
    url = cycle["url"]
    with psycopg.connect(url) as conn:
        create_reader(conn, cycle["upper"], "reader_personal", password="reader-personal-pw")
        sensitive = conn.execute(
            """select table_schema, table_name, column_name from information_schema.columns
               where table_schema not in ('pg_catalog', 'information_schema')
                 and (table_schema in ('raw', 'restricted')
                      or column_name in ('ho_ten', 'so_dinh_danh', 'nguoi_pseudonym'))"""
        ).fetchall()
        assert len(sensitive) > 20
        for role in ("welfare_analyst", "welfare_reader", "reader_personal"):
            readable = [
                f"{s}.{t}.{c}"
                for s, t, c in sensitive
                if conn.execute(
                    "select has_column_privilege(%s, format('%%I.%%I', %s::text, %s::text), %s, 'select')",
                    (role, s, t, c),
                ).fetchone()[0]
            ]
            assert not readable, (role, readable[:5])
    for role in ("welfare_analyst",):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"set role {role}")
            for table in ("raw.support_cases", "restricted.support_people", "intermediate.int_support_cases_counted"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(f"select * from {table} limit 1")
            assert conn.execute("select count(*) from marts.fct_support").fetchone()[0] > 0
