"""The warehouse on generated seasons through the real intake: marts agree with the generator's truth."""

from __future__ import annotations

import math
from pathlib import Path

import psycopg
import pytest
from welfare.build import run_dbt
from welfare.config import Settings
from welfare.generator.province import generate_province
from welfare.intake.pipeline import ingest
from welfare.registry import load_registry

pytestmark = pytest.mark.slow
YEARS = (2024, 2025, 2026)


@pytest.fixture(scope="module")
def warehouse(new_database, pseudonym_key: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    url = new_database()
    root = tmp_path_factory.mktemp("marts")
    settings = Settings(data_dir=root / "data", warehouse_url=url)
    manifests = {}
    for year in YEARS:
        out = root / str(year)
        manifests[year] = generate_province(out, year, seed=11)
        with psycopg.connect(url) as conn:
            load_registry(conn, out / "registry.csv")
        ingest([out / "submissions"], url=url, settings=settings, run_id=f"season-{year}")
    built = run_dbt(["build", "--quiet"], url=url, target_path=root / "target", log_path=root / "logs")
    return {"url": url, "manifests": manifests, "built": built, "root": root}


def test_build_passes_with_the_recomputation_test(warehouse: dict) -> None:
    built = warehouse["built"]
    assert built.success, built.failures
    assert built.models >= 30 and built.tests_passed >= 300 and built.unit_tests >= 10


@pytest.mark.parametrize("year", YEARS)
def test_every_indicator_value_equals_the_truth(warehouse: dict, year: int) -> None:
    expected = warehouse["manifests"][year]["expected_indicators"]
    with psycopg.connect(warehouse["url"]) as conn:
        rows = {
            (r[0], r[1], r[2]): r[3:]
            for r in conn.execute(
                "select indicator_code, org_level, unit_code, numerator, denominator, value, null_reason "
                "from marts.indicator_values where reporting_year = %s",
                (year,),
            )
        }
    assert len(rows) == len(expected)
    for item in expected:
        got = rows[(item["indicator_code"], item["org_level"], item["unit_code"])]
        numerator, denominator, value, reason = got
        assert reason == item["null_reason"], item
        for a, b in ((numerator, item["numerator"]), (denominator, item["denominator"]), (value, item["value"])):
            assert (a is None) == (b is None), item
            if a is not None:
                assert math.isclose(float(a), b, rel_tol=0, abs_tol=1e-9), (item, got)


def test_status_is_judged_from_the_2024_baseline(warehouse: dict) -> None:
    with psycopg.connect(warehouse["url"]) as conn:
        statuses = conn.execute(
            "select reporting_year, status, count(*) from marts.indicator_values where org_level = 'province' "
            "group by 1, 2 order by 1, 2"
        ).fetchall()
    by_year: dict[int, set] = {}
    for year, status, _ in statuses:
        by_year.setdefault(year, set()).add(status)
    assert by_year[2026] <= {"met", "on_track", "behind"} and len(by_year[2026]) >= 2


def test_completeness_never_exceeds_100_percent_and_matches_the_season(warehouse: dict) -> None:
    with psycopg.connect(warehouse["url"]) as conn:
        over = conn.execute(
            "select count(*) from marts.reporting_completeness where received_reports > expected_reports "
            "or on_time_reports > received_reports"
        ).fetchone()[0]
        assert over == 0
        for year in YEARS:
            manifest = warehouse["manifests"][year]
            row = conn.execute(
                "select expected_reports, received_reports, on_time_reports from marts.reporting_completeness "
                "where reporting_year = %s and form = 'CDCS' and org_level = 'province'",
                (year,),
            ).fetchone()
            reports = [r for r in manifest["reports"] if r["form"] == "CDCS"]
            assert row == (manifest["expected_units"]["CDCS"], len(reports), sum(r["is_on_time"] for r in reports))
            missing = {
                r[0]
                for r in conn.execute(
                    "select unit_code from marts.missing_reports where reporting_year = %s and form = 'CDCS'", (year,)
                )
            }
            counted = set(manifest["counted"]["CDCS"])
            assert len(missing) == manifest["expected_units"]["CDCS"] - len(counted)
            assert not missing & counted


def test_a_resubmission_changes_the_marts_and_the_history_keeps_both(warehouse: dict, tmp_path: Path) -> None:
    """One corrected report, ingested and rebuilt: the mart follows, the earlier version stays queryable."""
    from datetime import datetime

    from welfare.config import TIMEZONE
    from welfare.intake.parse import parse_workbook
    from welfare.workbooks import write_report

    url, root = warehouse["url"], warehouse["root"]
    manifest = warehouse["manifests"][2026]
    unit = next(u for u, f in manifest["counted"]["CDCS"].items() if f["tong_doan_vien"] > 50)
    source = next(
        f
        for f in sorted(manifest["files"], key=lambda f: f["received_at"], reverse=True)
        if f["unit_code"] == unit and f["kind"] == "workbook" and f["expected_accepted"]
    )
    content = parse_workbook(root / "2026" / source["path"]).content()
    content.figures["dv_duoc_thong_tin"] = content.figures["tong_doan_vien"]
    content.info["ngay_lap"] = None
    write_report(tmp_path / "fix.xlsx", content)
    settings = Settings(data_dir=root / "data", warehouse_url=url)
    summary = ingest(
        [tmp_path / "fix.xlsx"],
        url=url,
        settings=settings,
        run_id="fix",
        received_at=datetime(2026, 11, 25, 10, tzinfo=TIMEZONE),
    )
    assert summary.files[0].state.startswith("accepted")
    rebuilt = run_dbt(["build", "--quiet"], url=url, target_path=root / "target", log_path=root / "logs")
    assert rebuilt.success, rebuilt.failures
    with psycopg.connect(url) as conn:
        numerator = conn.execute(
            "select numerator, denominator from marts.indicator_values where reporting_year = 2026 "
            "and org_level = 'grassroots' and indicator_code = 'I01' and unit_code = %s",
            (unit,),
        ).fetchone()
        versions = conn.execute(
            "select count(*) from marts.submissions where unit_code = %s and reporting_year = 2026 "
            "and state like 'accepted%%'",
            (unit,),
        ).fetchone()[0]
    assert numerator[0] == numerator[1]
    assert versions >= 2


def test_analyst_role_reads_marts_only(warehouse: dict) -> None:
    with psycopg.connect(warehouse["url"], autocommit=True) as conn:
        conn.execute("set role welfare_analyst")
        assert conn.execute("select count(*) from marts.indicator_values").fetchone()[0] > 0
        for table in ("raw.support_cases", "restricted.support_people", "audit.submissions", "registry.unit_versions"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select 1 from {table} limit 1")
        columns = {
            r[0]
            for r in conn.execute("select column_name from information_schema.columns where table_schema = 'marts'")
        }
        assert not columns & {"ho_ten", "so_dinh_danh", "nguoi_pseudonym"}


def test_reader_of_one_upper_union_is_confined_by_row_level_security(warehouse: dict) -> None:
    from datetime import date
    from urllib.parse import urlsplit, urlunsplit

    from welfare.access import AccessError, create_reader
    from welfare.registry import read_registry

    url, root = warehouse["url"], warehouse["root"]
    with psycopg.connect(url) as conn:
        with pytest.raises(AccessError, match="not an upper-level union"):
            create_reader(conn, "LDLD_HT", "reader_wrong")
        reader = create_reader(conn, "CUM_TAY", "reader_cum_tay")
    assert reader.password and reader.policies >= 8
    # dbt recreates the marts: the policies must survive a rebuild.
    rebuilt = run_dbt(
        ["run", "--quiet", "--select", "indicator_values", "missing_reports"],
        url=url,
        target_path=root / "target",
        log_path=root / "logs",
    )
    assert rebuilt.success, rebuilt.failures
    parts = urlsplit(url)
    reader_url = urlunsplit(parts._replace(netloc=f"reader_cum_tay:{reader.password}@{parts.hostname}:{parts.port}"))
    registry = read_registry(root / "2026" / "registry.csv")
    with psycopg.connect(reader_url, autocommit=True) as conn:
        assert conn.execute("select current_user").fetchone()[0] == "reader_cum_tay"
        rows = conn.execute("select distinct unit_code, reporting_year from marts.indicator_values").fetchall()
        assert rows
        for unit, year in rows:
            if unit == "CUM_TAY":
                continue
            interval = registry.as_of(date(year, 10, 31), unit)
            assert interval is not None and interval.ma_cap_tren == "CUM_TAY", (unit, year)
        assert not conn.execute("select 1 from marts.indicator_values where org_level = 'province'").fetchall()
        for unit, parent in conn.execute("select unit_code, parent_unit_code from marts.missing_reports"):
            assert unit == "CUM_TAY" or parent == "CUM_TAY", (unit, parent)
        assert conn.execute("select access.can_see('CUM_TT', 2026, current_user)").fetchone()[0] is False
        assert conn.execute("select access.can_see('CUM_TAY', 2026, 'postgres')").fetchone()[0] is False
        for statement in (
            "select 1 from raw.cdcs_reports",
            "select 1 from audit.submissions",
            "select 1 from restricted.support_people",
            "select 1 from access.reader_scopes",
            "set role welfare_analyst",
            "create function public.peek() returns bigint language sql as "
            "'select count(*) from marts.indicator_values'",
        ):
            with pytest.raises((psycopg.errors.InsufficientPrivilege, psycopg.errors.UndefinedTable)):
                conn.execute(statement)
    # The analyst still sees everything.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("set role welfare_analyst")
        assert (
            conn.execute("select count(*) from marts.indicator_values where org_level = 'province'").fetchone()[0] > 0
        )


def test_every_query_of_the_analyst_guide_runs_as_the_analyst(warehouse: dict) -> None:
    import re

    guide = (Path(__file__).parent.parent / "docs" / "analyst-guide.md").read_text(encoding="utf-8")
    queries = re.findall(r"```sql\n(.*?)```", guide, flags=re.S)
    assert len(queries) >= 8
    with psycopg.connect(warehouse["url"], autocommit=True) as conn:
        conn.execute("set role welfare_analyst")
        for query in queries:
            rows = conn.execute(query).fetchall()
            assert rows, query


def test_docs_site_is_written(warehouse: dict, tmp_path: Path) -> None:
    import json

    result = run_dbt(
        ["docs", "generate", "--quiet"],
        url=warehouse["url"],
        target_path=tmp_path / "site",
        log_path=warehouse["root"] / "logs",
    )
    assert result.success
    assert (tmp_path / "site" / "index.html").exists()
    catalog = json.loads((tmp_path / "site" / "catalog.json").read_text())
    assert "model.welfare.indicator_values" in catalog["nodes"]
    manifest = json.loads((tmp_path / "site" / "manifest.json").read_text())
    assert any(key.startswith("exposure.welfare.") for key in manifest["exposures"])


def test_readers_cannot_escape_through_views_functions_roles_or_statistics(warehouse: dict) -> None:
    """A reader tries every way around row-level security we know of; the analyst and readers see no
    statistics of what they may not read; the only security-definer function is access.can_see, safe."""
    from urllib.parse import urlsplit, urlunsplit

    from welfare.access import create_reader

    url = warehouse["url"]
    with psycopg.connect(url) as conn:
        create_reader(conn, "CUM_TAY", "reader_escape", password="escape-pw")
        create_reader(conn, "CUM_TT", "reader_other", password="other-pw")
    with psycopg.connect(url, autocommit=True) as conn:
        for (table,) in conn.execute(  # statistics, so that pg_stats has something to leak
            "select format('%I.%I', schemaname, tablename) from pg_tables "
            "where schemaname in ('marts', 'raw', 'restricted', 'audit')"
        ).fetchall():
            conn.execute(f"analyze {table}")
        allowed = {
            r[0]
            for r in conn.execute(
                "select ma_don_vi from registry.units where ma_cap_tren = 'CUM_TAY' or ma_don_vi = 'CUM_TAY'"
            )
        }
        rls_tables = [
            r[0]
            for r in conn.execute(
                "select relname from pg_class where relnamespace = 'marts'::regnamespace "
                "and relkind = 'r' and relrowsecurity and relforcerowsecurity"
            )
        ]
        assert len(rls_tables) >= 8
        # Security-definer functions outside the system schemas: exactly one, reviewed here.
        definers = conn.execute(
            """select n.nspname || '.' || p.proname, p.proconfig, pg_get_userbyid(p.proowner),
                      exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) as a
                              where a.grantee = 0 and a.privilege_type = 'EXECUTE')
               from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace
               where p.prosecdef and n.nspname not in ('pg_catalog', 'information_schema')"""
        ).fetchall()
    assert [d[0] for d in definers] == ["access.can_see"], definers
    _, config, _, public_execute = definers[0]
    assert config == ["search_path=pg_catalog, pg_temp"], config  # no object of the caller's can be substituted
    assert not public_execute, "access.can_see must not be executable by PUBLIC"

    parts = urlsplit(url)
    reader_url = urlunsplit(parts._replace(netloc=f"reader_escape:escape-pw@{parts.hostname}:{parts.port}"))
    denied = (psycopg.errors.InsufficientPrivilege, psycopg.errors.UndefinedTable, psycopg.errors.UndefinedFunction)
    with psycopg.connect(reader_url, autocommit=True) as conn:
        # 1. A temporary view over the marts runs with the reader's rights: still confined.
        conn.execute("create temp view everything as select unit_code from marts.indicator_values")
        assert {r[0] for r in conn.execute("select distinct unit_code from everything")} <= allowed
        with pytest.raises(denied):
            conn.execute("create view public.everything as select * from marts.indicator_values")
        # 2. A leaky function in the WHERE clause sees only rows the policy already let through.
        conn.execute(
            "create function pg_temp.peek(t text) returns boolean language plpgsql as "
            "$$ begin raise notice 'seen:%', t; return true; end $$"
        )
        seen: list[str] = []
        conn.add_notice_handler(lambda notice: seen.append(notice.message_primary or ""))
        conn.execute("select count(*) from marts.indicator_values where pg_temp.peek(unit_code)").fetchone()
        conn.execute("select count(*) from marts.missing_reports where pg_temp.peek(unit_code)").fetchone()
        units = {m.removeprefix("seen:") for m in seen if m.startswith("seen:")}
        assert units and units <= allowed, sorted(units - allowed)[:5]
        # 3. access.can_see answers only about oneself.
        for who in ("reader_other", "postgres", "welfare_analyst"):
            assert conn.execute("select access.can_see('CUM_TT', 2026, %s)", (who,)).fetchone()[0] is False
        # 4. No other role can be taken on.
        for statement in (
            "set role reader_other",
            "set role postgres",
            "set role welfare_analyst",
            "set session authorization reader_other",
            "select access.apply_row_security()",  # owner only: it alters the marts
            "select * from pg_statistic limit 1",
            "select * from access.reader_scopes",
        ):
            with pytest.raises(denied):
                conn.execute(statement)
        # 5. pg_stats shows nothing of the tables under row-level security, nor of raw/restricted/audit.
        stats = conn.execute(
            "select schemaname, tablename, attname from pg_stats "
            "where schemaname in ('marts', 'raw', 'restricted', 'audit', 'registry', 'intermediate', 'staging')"
        ).fetchall()
        leaking = [s for s in stats if s[0] != "marts" or s[1] in rls_tables]
        assert not leaking, leaking[:5]
    # The analyst: statistics only of what it may read (the marts), none of raw, restricted or pseudonyms.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("set role welfare_analyst")
        stats = conn.execute(
            "select schemaname, tablename, attname from pg_stats where schemaname not in ('pg_catalog', "
            "'information_schema')"
        ).fetchall()
        assert stats is not None
        assert not [s for s in stats if s[0] != "marts" or s[2] in ("ho_ten", "so_dinh_danh", "nguoi_pseudonym")]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from pg_statistic limit 1")
