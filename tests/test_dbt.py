"""The dbt project against a real (embedded) Postgres, on the hand-made scenario of dbt_fixtures.

One database and one `dbt build` for the module (a second, incremental build after a
resubmission arrives), then assertions on the marts: indicator values equal
welfare.generator.truth, provinces recompute from lower levels, completeness ≤ 100 %,
follow-up status survives a rebuild, the analyst role reads marts only.
"""

from __future__ import annotations

import math
import re
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
import pytest
from dbt_fixtures import (
    PERSON_3,
    YEARS,
    Planned,
    Scenario,
    add_submission,
    at,
    build_scenario,
    cdcs_figures,
    counted_submissions,
    expected_indicators,
    load_scenario,
    support_row,
)
from welfare.build import BuildResult, connection_env, dbt_project_dir, run_dbt
from welfare.indicators import seed_csv
from welfare.sql.raw import RAW_TABLES

pytestmark = pytest.mark.slow

# Pin "now" so which years are reportable does not depend on the day the suite runs.
AS_OF = ["--vars", '{"as_of": "2026-06-01T00:00:00+07:00"}']
ANALYST = "welfare_analyst"


@dataclass
class Built:
    url: str
    scenario: Scenario
    first: BuildResult
    target: Path
    logs: Path


@pytest.fixture(scope="module")
def built(warehouse_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """A database of its own with the scenario loaded and one full `dbt build`."""
    from welfare.warehouse import EmbeddedPostgres

    server = EmbeddedPostgres(warehouse_root / "warehouse")
    name = f"dbt_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = server.url(name)
    scenario = build_scenario()
    with psycopg.connect(url) as conn:
        load_scenario(conn, scenario)
    work = tmp_path_factory.mktemp("dbt")
    target, logs = work / "target", work / "logs"
    first = run_dbt(["build", *AS_OF], url, target_path=target, log_path=logs)
    yield Built(url, scenario, first, target, logs)
    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@dataclass
class Rebuilt:
    second: BuildResult
    followup_key: str
    loaded_at_before: dict[tuple[int, str], object]
    resubmission_id: int


@pytest.fixture(scope="module")
def rebuilt(built: Built) -> Rebuilt:
    """A person marks a follow-up explained, G5 sends a third 2025 version, dbt builds again."""
    with psycopg.connect(built.url) as conn:
        key = conn.execute(
            "select followup_key from marts.followups where followup_type = 'duplicate_support'"
        ).fetchone()[0]  # type: ignore[index]
        conn.execute(
            "insert into audit.followup_status (followup_key, status, note, updated_by)"
            " values (%s, 'explained', 'Hai đơn vị hỗ trợ hai đợt khác nhau', 'tester')",
            (key,),
        )
        before = {
            (row[0], row[1]): row[2]
            for row in conn.execute(
                "select reporting_year, unit_code, max(loaded_at) from marts.fct_support group by 1, 2"
            )
        }
        v3 = Planned(
            "CDCS",
            "G5",
            2025,
            at(date(2025, 11, 20)),
            "accepted",
            cdcs_figures("G5", 2025, 3, co_thoa_uoc=1, xep_loai_thoa_uoc="B"),
            support=[
                support_row(PERSON_3, "MAT_VIEC_GIAM_GIO", "HO_TRO_MAT_VIEC", 4_000_000, "KHUYET_TAT"),
                support_row(None, "THIEN_TAI", "TRO_CAP_DOT_XUAT", 1_000_000, "DTTS"),
            ],
            tag="G5-2025-v3",
        )
        resubmission_id = add_submission(conn, built.scenario, v3)
    second = run_dbt(["build", *AS_OF], built.url, target_path=built.target, log_path=built.logs)
    return Rebuilt(second, key, before, resubmission_id)


def query(url: str, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]


# -- contracts that need no warehouse ---------------------------------------------------------------


def test_indicator_seed_is_the_catalogue_byte_for_byte() -> None:
    assert (dbt_project_dir() / "seeds" / "indicators.csv").read_bytes() == seed_csv().encode("utf-8")


def test_profiles_read_every_setting_from_the_environment() -> None:
    text = (dbt_project_dir() / "profiles.yml").read_text(encoding="utf-8")
    for key in ("host", "port", "user", "password", "dbname", "threads"):
        line = next(line for line in text.splitlines() if line.strip().startswith(f"{key}:"))
        assert "env_var(" in line, f"profiles.yml sets {key} without env_var: {line.strip()}"
    assert "env_var('WELFARE_DB_PASSWORD', '')" in text
    assert "env_var('DBT_THREADS', '4')" in text


def test_connection_env_from_a_url() -> None:
    env = connection_env("postgresql://welfare:s%40cret@db.example:6543/wh?sslmode=require")
    assert env == {
        "WELFARE_DB_HOST": "db.example",
        "WELFARE_DB_PORT": "6543",
        "WELFARE_DB_USER": "welfare",
        "WELFARE_DB_PASSWORD": "s@cret",
        "WELFARE_DB_DBNAME": "wh",
        "WELFARE_DB_SSLMODE": "require",
    }
    embedded = connection_env("postgresql://postgres@127.0.0.1:54329/welfare")
    assert embedded["WELFARE_DB_PASSWORD"] == "" and embedded["WELFARE_DB_PORT"] == "54329"


def test_every_indicator_formula_has_a_unit_test() -> None:
    """Each method and the moved / dissolved / late / resubmitted / lock cases are unit-tested."""
    models = dbt_project_dir() / "models"
    text = "\n".join(p.read_text(encoding="utf-8") for p in models.rglob("*unit_tests.yml") if p.is_file())
    for code in ("I01", "I02", "I03", "I04", "I05", "I06", "I07", "I08", "I09", "I10", "I11"):
        assert f"indicator_code: {code}," in text, f"no dbt unit test exercises {code}"
    for case in (
        "G_MOVED",
        "G_DISSOLVED",
        "G_LATE",
        "G_RESUBMIT",
        "G_AFTER_LOCK",
        "G_EXCEPTION",
        "CXL",
        "zero_denominator",
        "no_report",
    ):
        assert case in text, f"no dbt unit test covers {case}"


# -- the build ----------------------------------------------------------------------------------------


def test_build_passes(built: Built) -> None:
    result = built.first
    assert result.success, result.summary()
    assert result.tests_failed == 0 and result.errors == 0, result.summary()
    assert result.models >= 35 and result.seeds == 1
    assert result.unit_tests >= 15
    assert result.tests_passed >= 300


def test_staging_keeps_every_raw_field_code(built: Built) -> None:
    """Field codes flow into staging under their own names (the contact e-mail excepted)."""
    left_out = {"email"}
    for table, fields in RAW_TABLES.items():
        columns = {
            row[0]
            for row in query(
                built.url,
                "select column_name from information_schema.columns where table_schema = 'staging' and table_name = %s",
                (f"stg_raw__{table}",),
            )
        }
        missing = {f.code for f in fields} - left_out - columns
        assert not missing, f"stg_raw__{table} lacks {sorted(missing)}"


def _indicator_rows(url: str) -> dict[tuple[str, int, str, str], tuple[object, ...]]:
    rows = query(
        url,
        "select indicator_code, reporting_year, org_level, unit_code, numerator, denominator, value, null_reason"
        " from marts.indicator_values",
    )
    return {(r[0], r[1], r[2], r[3]): r[4:] for r in rows}  # type: ignore[misc]


def _as_float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def test_indicator_values_equal_the_truth(built: Built) -> None:
    got = _indicator_rows(built.url)
    assert {key[1] for key in got} == set(YEARS)
    for year in YEARS:
        expected = {
            (e.indicator_code, e.reporting_year, e.org_level, e.unit_code): e
            for e in expected_indicators(built.scenario, year)
        }
        mine = {k: v for k, v in got.items() if k[1] == year}
        assert set(mine) == set(expected), (
            f"{year}: missing {sorted(set(expected) - set(mine))}, extra {sorted(set(mine) - set(expected))}"
        )
        for key, e in expected.items():
            numerator, denominator, value, null_reason = mine[key]
            assert (_as_float(numerator), _as_float(denominator), null_reason) == (
                e.numerator,
                e.denominator,
                e.null_reason,
            ), key
            assert value == e.value, f"{key}: value {value} != truth {e.value}"


def test_scenario_edge_cases_reach_the_indicators(built: Built) -> None:
    got = _indicator_rows(built.url)
    # G3 was dissolved on 31/03/2025: it has no 2025 row and its report is not in the province.
    assert not any(k[1] == 2025 and k[3] == "G3" for k in got)
    # G4 moved from U_B to U_A on 01/02/2025: its 2025 report counts under U_A.
    assert got[("I05", 2025, "upper", "U_A")][1] == 4  # G1, G4, G5, G7 expected under U_A
    # U_D has no grassroots: nothing to sum, no units to count; its own CAPTREN report is missing.
    assert got[("I01", 2025, "upper", "U_D")][3] == "no_report"
    assert got[("I05", 2025, "upper", "U_D")][3] == "zero_denominator"
    assert got[("I03", 2025, "upper", "U_D")][:3] == (0, 1, 0.0)
    # G3 had no dialogue in 2024.
    assert got[("I07", 2024, "grassroots", "G3")][3] == "zero_denominator"


def test_province_values_recompute_from_lower_rows(built: Built) -> None:
    rows = query(
        built.url,
        "select v.indicator_code, v.reporting_year, v.org_level, v.numerator, v.denominator, v.value, i.forms"
        " from marts.indicator_values as v join marts.dim_indicators as i using (indicator_code)",
    )
    sums: dict[tuple[str, int, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    province: dict[tuple[str, int], tuple[float, float, float | None, str]] = {}
    for code, year, level, numerator, denominator, value, forms in rows:
        if level == "province":
            province[(code, year)] = (_as_float(numerator) or 0.0, _as_float(denominator) or 0.0, value, forms)  # type: ignore[assignment]
        else:
            sums[(code, year, level)][0] += _as_float(numerator) or 0.0  # type: ignore[index]
            sums[(code, year, level)][1] += _as_float(denominator) or 0.0  # type: ignore[index]
    assert province
    for (code, year), (numerator, denominator, value, forms) in province.items():
        levels = ["upper"] + (["grassroots"] if forms == "CDCS" else [])
        for level in levels:
            assert sums[(code, year, level)] == [numerator, denominator], (code, year, level)
        if denominator:
            assert value is not None and math.isclose(value, numerator / denominator, rel_tol=0, abs_tol=1e-12)


def test_completeness_never_exceeds_one_hundred_percent(built: Built) -> None:
    rows = query(
        built.url,
        "select reporting_year, form, org_level, unit_code, expected_reports, received_reports, on_time_reports,"
        " late_reports, missing_reports, unexpected_reports, reporting_rate, on_time_rate from marts.reporting_completeness",
    )
    assert rows
    for row in rows:
        expected, received, on_time, late, missing = row[4:9]
        assert received <= expected and on_time <= received and received + missing == expected, row  # type: ignore[operator]
        assert on_time + late == received, row  # type: ignore[operator]
        for rate in row[10:12]:
            assert rate is None or 0 <= rate <= 1, row  # type: ignore[operator]
    by_key = {(r[0], r[1], r[2], r[3]): r for r in rows}
    # 2025, CDCS, province: 7 expected (G3 dissolved is not), 6 received, G3's report shown apart.
    assert by_key[(2025, "CDCS", "province", "LDLD_HT")][4:10] == (7, 6, 5, 1, 1, 1)
    # 2024: G5 sent only a rejected file, G7 nothing; G4 was late.
    assert by_key[(2024, "CDCS", "province", "LDLD_HT")][4:9] == (6, 4, 3, 1, 2)


def test_missing_reports_name_the_parent_at_period_end_and_the_reason(built: Built) -> None:
    rows = set(
        query(built.url, "select reporting_year, form, unit_code, parent_unit_code, reason from marts.missing_reports")
    )
    assert rows == {
        (2024, "CDCS", "G5", "U_A", "rejected_only"),
        (2024, "CDCS", "G7", "U_A", "not_received"),
        (2025, "CDCS", "G8", "U_C", "not_received"),
        (2025, "CAPTREN", "U_D", "LDLD_HT", "not_received"),
    }


def test_submissions_show_which_version_counts(built: Built) -> None:
    status = {
        row[0]: row[1:]
        for row in query(built.url, "select submission_id, counting_status, is_counted from marts.submissions")
    }
    scenario = built.scenario
    expected = {
        "G5-2025-v1": ("superseded", False),
        "G6-2025-v1": ("counted", True),
        "G6-2025-after-lock": ("after_lock", False),
        "G7-2025-exception": ("counted", True),
        "G4-2024-late": ("counted", True),
        "G5-2024-rejected": ("rejected", False),
        "G1-2024-duplicate": ("duplicate", False),
    }
    for tag, outcome in expected.items():
        assert status[scenario.by_tag(tag).submission_id] == outcome, tag
    counted_ids = {s.submission_id for s in counted_submissions(scenario).values()}
    assert {sid for sid, (_, is_counted) in status.items() if is_counted} == counted_ids


def test_followups_list_warnings_cross_checks_and_duplicate_support(built: Built) -> None:
    rows = query(
        built.url,
        "select followup_type, rule, unit_code, related_unit_codes, reporting_year, status from marts.followups",
    )
    kinds = {(r[0], r[2] or r[3], r[4]) for r in rows}
    assert ("validation_warning", "G1", 2024) in kinds
    assert ("upper_cross_check", "U_B", 2024) in kinds
    assert ("duplicate_support", "G1;G2", 2024) in kinds
    assert not any(r[0] == "upper_cross_check" and r[2] == "U_A" for r in rows), "U_A declared its members exactly"


def test_marts_carry_no_names_or_ids(built: Built) -> None:
    names = [r[0] for r in query(built.url, "select ho_ten from restricted.support_people")]
    assert names
    columns = query(
        built.url,
        "select table_name, column_name, data_type from information_schema.columns where table_schema = 'marts'",
    )
    assert not {c[1] for c in columns} & {"ho_ten", "so_dinh_danh", "nguoi_pseudonym", "nam_sinh"}
    with psycopg.connect(built.url) as conn:
        for table, column, data_type in columns:
            if data_type not in ("text", "jsonb"):
                continue
            for name in names:
                hit = conn.execute(
                    f'select 1 from marts."{table}" where cast("{column}" as text) like %s limit 1', (f"%{name}%",)
                ).fetchone()
                assert hit is None, f"marts.{table}.{column} contains a supported person's name"


def test_analyst_reads_marts_only(built: Built) -> None:
    with psycopg.connect(built.url, autocommit=True) as conn:
        login = conn.execute("select rolcanlogin from pg_roles where rolname = %s", (ANALYST,)).fetchone()
        assert login == (False,), "welfare_analyst must exist and be NOLOGIN"
        conn.execute(f"set role {ANALYST}")
        for table in (
            "indicator_values",
            "reporting_completeness",
            "missing_reports",
            "submissions",
            "followups",
            "fct_support",
            "dim_units",
            "dim_years",
            "dim_indicators",
        ):
            conn.execute(f"select count(*) from marts.{table}").fetchone()
        for relation in (
            "raw.cdcs_reports",
            "raw.support_cases",
            "audit.submissions",
            "audit.followup_status",
            "restricted.support_people",
            "registry.unit_versions",
            "staging.stg_raw__support_cases",
            "intermediate.int_reports_counted",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select count(*) from {relation}")
        conn.execute("reset role")


# -- after a rebuild ------------------------------------------------------------------------------


def test_rebuild_passes(rebuilt: Rebuilt) -> None:
    assert rebuilt.second.success, rebuilt.second.summary()
    assert rebuilt.second.tests_failed == 0


def test_followup_status_survives_a_rebuild(built: Built, rebuilt: Rebuilt) -> None:
    rows = query(
        built.url, "select status, status_note from marts.followups where followup_key = %s", (rebuilt.followup_key,)
    )
    assert rows == [("explained", "Hai đơn vị hỗ trợ hai đợt khác nhau")]
    others = query(
        built.url, "select distinct status from marts.followups where followup_key <> %s", (rebuilt.followup_key,)
    )
    assert others == [("open",)]


def test_indicator_values_equal_the_truth_after_a_resubmission(built: Built, rebuilt: Rebuilt) -> None:
    test_indicator_values_equal_the_truth(built)
    grade = query(
        built.url,
        "select xep_loai_thoa_uoc from marts.fct_collective_agreements where unit_code = 'G5' and reporting_year = 2025",
    )
    assert grade == [("B",)]


def test_support_fact_is_incremental(built: Built, rebuilt: Rebuilt) -> None:
    # The G5 2025 rows are those of the third version only; every other report kept its rows.
    rows = query(
        built.url,
        "select submission_id, nhom_hoan_canh, chuong_trinh, case_count, person_count, case_without_id_count, amount_total"
        " from marts.fct_support where unit_code = 'G5' and reporting_year = 2025 order by nhom_hoan_canh",
    )
    assert rows == [
        (rebuilt.resubmission_id, "MAT_VIEC_GIAM_GIO", "HO_TRO_MAT_VIEC", 1, 1, 0, 4_000_000),
        (rebuilt.resubmission_id, "THIEN_TAI", "TRO_CAP_DOT_XUAT", 1, 0, 1, 1_000_000),
    ]
    after = {
        (r[0], r[1]): r[2]
        for r in query(
            built.url, "select reporting_year, unit_code, max(loaded_at) from marts.fct_support group by 1, 2"
        )
    }
    unchanged = {k for k in rebuilt.loaded_at_before if k != (2025, "G5")}
    assert unchanged and all(after[k] == rebuilt.loaded_at_before[k] for k in unchanged), "other reports were reloaded"
    assert after[(2025, "G5")] != rebuilt.loaded_at_before[(2025, "G5")]
    # And the fact still equals a recomputation over every counted report's support list.
    expected: dict[tuple[int, str], tuple[int, int]] = defaultdict(lambda: (0, 0))
    for (_form, unit, year), submission in counted_submissions(built.scenario).items():
        for case in submission.support:
            cases, amount = expected[(year, unit)]
            expected[(year, unit)] = (cases + 1, amount + int(case["so_tien"]))  # type: ignore[call-overload]
    totals = {
        (r[0], r[1]): (int(r[2]), int(r[3]))  # type: ignore[call-overload]
        for r in query(
            built.url,
            "select reporting_year, unit_code, sum(case_count), sum(amount_total) from marts.fct_support group by 1, 2",
        )
    }
    assert totals == dict(expected)
    groups = query(
        built.url,
        "select vulnerable_group, case_count from marts.fct_support_vulnerable_groups"
        " where unit_code = 'G5' and reporting_year = 2025 order by 1",
    )
    assert groups == [("DTTS", 1), ("KHUYET_TAT", 1)]


def test_build_logs_and_target_stay_out_of_the_checkout(built: Built) -> None:
    assert (built.target / "manifest.json").exists() and (built.logs / "dbt.log").exists()
    assert re.search(r"Completed successfully", (built.logs / "dbt.log").read_text(encoding="utf-8"))
