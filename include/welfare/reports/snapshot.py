"""Snapshots: the mart rows a report shows, frozen, so a report can be built again byte for byte.

`take_snapshot(conn, year)` reads, in one repeatable-read transaction and never while a dbt build
(`welfare.build.run_dbt`) is replacing the marts, every mart row the
year's reports need (indicators with their history, reporting, follow-ups, the welfare facts,
the submissions the figures rest on) and records them in `audit.report_snapshots` with:

- `max_submission_id`: the highest submission the marts had seen,
- `submissions_count` and `digest`: the counted submissions of the year and the SHA-256 of
  their sorted "submission_id:file sha256" lines — anyone can tell which data a report shows,
- `payload` and `payload_sha256`: the frozen rows (canonical JSON).

Taking a snapshot when nothing changed since the latest one of the year returns that one (a
retried Airflow task records nothing new). Reports read only the marts, through a snapshot.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from welfare.build import BUILD_LOCK_KEY
from welfare.config import TIMEZONE

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

_LOCK_KEY = 0x52505254  # "RPRT": serialises snapshot taking per year

DDL = """
create schema if not exists audit;
create table if not exists audit.report_snapshots (
    snapshot_id        bigint generated always as identity primary key,
    reporting_year     integer     not null,
    taken_at           timestamptz not null,
    max_submission_id  bigint,
    submissions_count  integer     not null,
    digest             text        not null,   -- sha256 of the sorted 'submission_id:sha256' lines
    payload_sha256     text        not null,   -- sha256 of payload
    payload            text        not null,   -- canonical JSON of the mart rows the reports show
    recorded_at        timestamptz not null default now()
);
create index if not exists report_snapshots_year on audit.report_snapshots (reporting_year, snapshot_id);
comment on table audit.report_snapshots is
    'Frozen mart rows behind the annual reports (welfare.reports.snapshot); never updated or deleted.';
"""

# Each dataset is read from the marts only; every query has a total order so the payload is stable.
# `loaded_at` columns are left out: they change on every dbt run without the figures changing.
QUERIES: dict[str, str] = {
    "year": """
        select reporting_year, period_start_date, period_end_date, grassroots_deadline_at, upper_deadline_at,
               provincial_report_at, lock_at
        from marts.dim_years where reporting_year = %(year)s""",
    "indicators": """
        select indicator_code, name_vi, name_en, method, numerator_field, denominator_field, target_value,
               target_comparator, target_year, baseline_year, source_paragraph, formula_text
        from marts.dim_indicators order by indicator_code""",
    "units": """
        select distinct on (u.unit_code)
               u.unit_code, u.unit_name, u.unit_level, u.parent_unit_code, u.unit_type, u.valid_from_date,
               u.valid_to_date,
               (u.valid_to_date is null or u.valid_to_date >= y.period_end_date) as is_active
        from marts.dim_units as u
        cross join (select period_end_date from marts.dim_years where reporting_year = %(year)s) as y
        where u.valid_from_date <= y.period_end_date
        order by u.unit_code, u.valid_from_date desc""",
    "indicator_values": """
        select indicator_code, reporting_year, org_level, unit_code, parent_unit_code, method, numerator,
               denominator, value, target_value, target_comparator, gap, status, baseline_value, path_value,
               expected_units, reporting_units, coverage, meets_target, null_reason
        from marts.indicator_values
        where reporting_year <= %(year)s and (reporting_year = %(year)s or org_level <> 'grassroots')
        order by reporting_year, org_level, unit_code, indicator_code""",
    "completeness": """
        select unit_code, parent_unit_code, form, org_level, expected_reports, received_reports, on_time_reports,
               late_reports, missing_reports, rejected_only_reports, after_lock_only_reports, unexpected_reports,
               reporting_rate, on_time_rate
        from marts.reporting_completeness where reporting_year = %(year)s
        order by org_level, unit_code, form""",
    "missing": """
        select unit_code, parent_unit_code, form, reason, submission_count, rejected_count, deadline_at,
               last_received_at
        from marts.missing_reports where reporting_year = %(year)s
        order by parent_unit_code, form, unit_code""",
    "submissions": """
        select submission_id, file_id, unit_code, form, state, counting_status, version, is_on_time,
               is_after_lock, has_lock_exception, is_counted, sha256, received_at,
               case when state = 'rejected' then reasons end as reasons
        from marts.submissions where reporting_year = %(year)s
        order by submission_id""",
    "followups": """
        select followup_key, followup_type, submission_id, unit_code, related_unit_codes, rule, form, field,
               sheet, cell, row_number, message_vi, detail, status, status_note, is_on_counted_version,
               detected_at
        from marts.followups where reporting_year = %(year)s
        order by followup_type, unit_code nulls last, followup_key""",
    "support": """
        select unit_code, nhom_hoan_canh, chuong_trinh, nguon_kinh_phi, case_count, person_count,
               case_without_id_count, amount_total, is_sensitive_situation
        from marts.fct_support where reporting_year = %(year)s
        order by unit_code, nhom_hoan_canh, chuong_trinh, nguon_kinh_phi""",
    "support_groups": """
        select unit_code, vulnerable_group, nhom_hoan_canh, case_count, person_count, amount_total
        from marts.fct_support_vulnerable_groups where reporting_year = %(year)s
        order by unit_code, vulnerable_group, nhom_hoan_canh""",
    "programmes": """
        select submission_id, unit_code, parent_unit_code, form, org_level, to_chuc_tet_sum_vay,
               to_chuc_thang_cong_nhan, so_suat_qua_tet, gia_tri_qua_tet, so_nha_mai_am, so_ld_mat_viec_duoc_ho_tro,
               dv_huong_phuc_loi, quy_xa_hoi_van_dong, vay_von_so_du_an, vay_von_so_tien, vay_von_so_lao_dong,
               so_thoa_thuan_phuc_loi, is_expected_unit
        from marts.fct_programme_participation where reporting_year = %(year)s
        order by form, unit_code""",
    "agreements": """
        select submission_id, unit_code, parent_unit_code, co_thoa_uoc, xep_loai_thoa_uoc, so_dieu_khoan_co_loi_hon,
               so_cuoc_doi_thoai, so_doi_thoai_phuc_loi_cao_hon, is_graded_b_or_better, is_expected_unit
        from marts.fct_collective_agreements where reporting_year = %(year)s
        order by unit_code""",
    "finance": """
        select submission_id, unit_code, parent_unit_code, form, org_level, tong_chi_tai_chinh, chi_cham_lo_phuc_loi,
               welfare_spending_share, is_expected_unit
        from marts.fct_finance where reporting_year = %(year)s
        order by form, unit_code""",
}

REQUIRED_MARTS = (
    "dim_years",
    "dim_indicators",
    "dim_units",
    "indicator_values",
    "reporting_completeness",
    "missing_reports",
    "submissions",
    "followups",
    "fct_support",
    "fct_support_vulnerable_groups",
    "fct_programme_participation",
    "fct_collective_agreements",
    "fct_finance",
)


class ReportError(RuntimeError):
    """A report cannot be built (no marts, unknown unit or snapshot…); the message says what to do."""


@dataclass(frozen=True)
class Snapshot:
    """A frozen state of the marts for one reporting year (a row of audit.report_snapshots)."""

    id: int
    taken_at: datetime
    max_submission_id: int | None
    submissions_count: int
    digest: str
    reporting_year: int | None = None

    @property
    def label(self) -> str:
        """The id as it appears in file names: s0007."""
        return f"s{self.id:04d}"


def ensure_snapshot_table(conn: psycopg.Connection) -> None:
    """Create audit.report_snapshots if it is missing (safe to run concurrently)."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(DDL)


def _plain(value: Any) -> Any:
    """A JSON-safe value that reads back the same: exact ints, UTC ISO timestamps."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def canonical_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def submissions_digest(rows: list[dict[str, Any]]) -> tuple[int, str]:
    """Count and SHA-256 of the sorted 'submission_id:sha256' lines of the counted submissions."""
    lines = sorted(f"{int(r['submission_id'])}:{r['sha256']}" for r in rows if r.get("is_counted"))
    digest = hashlib.sha256("".join(line + "\n" for line in lines).encode()).hexdigest()
    return len(lines), digest


def check_marts(conn: psycopg.Connection) -> None:
    missing = [
        name
        for name in REQUIRED_MARTS
        if conn.execute("select to_regclass(%s)", (f"marts.{name}",)).fetchone()[0] is None  # type: ignore[index]
    ]
    if missing:
        raise ReportError(
            f"the warehouse has no marts {', '.join(missing)}: build them first (`welfare build`, "
            "or dbt build in dbt_project/)"
        )


def read_payload(conn: psycopg.Connection, year: int) -> dict[str, Any]:
    """Every mart row the year's reports show (call inside one transaction for a consistent view)."""
    from psycopg.rows import dict_row

    payload: dict[str, Any] = {"reporting_year": year}
    with conn.cursor(row_factory=dict_row) as cur:
        for name, sql in QUERIES.items():
            cur.execute(sql, {"year": year})
            payload[name] = [{k: _plain(v) for k, v in row.items()} for row in cur.fetchall()]
        cur.execute("select max(submission_id) as m from marts.submissions")
        top = cur.fetchone()
    payload["max_submission_id"] = _plain(top["m"]) if top else None
    if not payload["year"]:
        raise ReportError(f"{year} is not a reporting year of marts.dim_years (the programme runs 2024–2030)")
    if not any(r["reporting_year"] == year for r in payload["indicator_values"]):
        raise ReportError(
            f"marts.indicator_values has no figures for {year}: ingest the year's submissions and rebuild the "
            "marts (`welfare build`) before building its reports"
        )
    return payload


def _row_to_snapshot(row: tuple[Any, ...]) -> Snapshot:
    return Snapshot(
        id=int(row[0]),
        taken_at=row[1].astimezone(TIMEZONE),
        max_submission_id=row[2],
        submissions_count=int(row[3]),
        digest=row[4],
        reporting_year=int(row[5]),
    )


_COLUMNS = "snapshot_id, taken_at, max_submission_id, submissions_count, digest, reporting_year"
_SELECT = f"select {_COLUMNS} from audit.report_snapshots"


def take_snapshot(conn: psycopg.Connection, year: int, *, taken_at: datetime | None = None) -> Snapshot:
    """Freeze the marts' rows for `year` and record them in audit.report_snapshots.

    Returns the latest snapshot of the year instead when its rows are identical (idempotent).
    `taken_at` (default: now) dates the reports built from it; pass the run's logical date from
    Airflow. The connection's transaction is committed by the caller (`welfare.warehouse.connect`
    commits on exit).
    """
    from psycopg import pq

    ensure_snapshot_table(conn)
    when = (taken_at or datetime.now(TIMEZONE)).astimezone(TIMEZONE)
    # Read every mart in one repeatable-read transaction, never during a dbt build (build lock below),
    # then record in a second one that sees other sessions' snapshots once it holds the year's lock.
    # Inside a caller's open transaction both run as savepoints of it.
    idle = conn.info.transaction_status == pq.TransactionStatus.IDLE
    # Wait for a running dbt build to finish (and keep the next one from starting while we read): the
    # marts are replaced one table at a time, and one transaction alone would still see a mix of them.
    conn.execute("select pg_advisory_lock_shared(%s)", (BUILD_LOCK_KEY,))
    if idle and not conn.autocommit:
        conn.commit()  # the session lock stays; the read below starts its own transaction
    try:
        with conn.transaction():
            if idle:
                conn.execute("set transaction isolation level repeatable read")
            check_marts(conn)
            payload = read_payload(conn, year)
    finally:
        conn.execute("select pg_advisory_unlock_shared(%s)", (BUILD_LOCK_KEY,))
        if idle and not conn.autocommit:
            conn.commit()
    text = canonical_json(payload)
    payload_sha = hashlib.sha256(text.encode()).hexdigest()
    count, digest = submissions_digest(payload["submissions"])
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s, %s)", (_LOCK_KEY, year))
        latest = conn.execute(
            f"select {_COLUMNS}, payload_sha256 from audit.report_snapshots where reporting_year = %s "
            "order by snapshot_id desc limit 1",
            (year,),
        ).fetchone()
        if latest is not None and latest[6] == payload_sha:
            snapshot = _row_to_snapshot(latest)
            log.info("the marts for %s are unchanged since snapshot %s; reusing it", year, snapshot.label)
            return snapshot
        row = conn.execute(
            "insert into audit.report_snapshots (reporting_year, taken_at, max_submission_id, submissions_count, "
            "digest, payload_sha256, payload) values (%s, %s, %s, %s, %s, %s, %s) "
            f"returning {_COLUMNS}",
            (year, when, payload["max_submission_id"], count, digest, payload_sha, text),
        ).fetchone()
    assert row is not None
    snapshot = _row_to_snapshot(row)
    log.info("snapshot %s of %s: %d counted submissions, digest %s", snapshot.label, year, count, digest[:12])
    return snapshot


def get_snapshot(conn: psycopg.Connection, snapshot_id: int) -> Snapshot:
    """The recorded snapshot with this id."""
    ensure_snapshot_table(conn)
    row = conn.execute(f"{_SELECT} where snapshot_id = %s", (snapshot_id,)).fetchone()
    if row is None:
        raise ReportError(f"there is no report snapshot {snapshot_id} in audit.report_snapshots")
    return _row_to_snapshot(row)


def load_payload(conn: psycopg.Connection, snapshot: Snapshot) -> dict[str, Any]:
    """The frozen rows of a snapshot, checked against the hashes recorded with them."""
    ensure_snapshot_table(conn)
    row = conn.execute(
        "select payload, payload_sha256, digest, reporting_year from audit.report_snapshots where snapshot_id = %s",
        (snapshot.id,),
    ).fetchone()
    if row is None:
        raise ReportError(f"there is no report snapshot {snapshot.id} in audit.report_snapshots")
    text, payload_sha, digest, year = row
    if hashlib.sha256(text.encode()).hexdigest() != payload_sha or digest != snapshot.digest:
        raise ReportError(f"snapshot {snapshot.label} does not match its recorded hashes; take a new snapshot")
    payload: dict[str, Any] = json.loads(text)
    if submissions_digest(payload["submissions"])[1] != digest:
        raise ReportError(f"snapshot {snapshot.label}: the frozen submissions do not match its digest")
    if snapshot.reporting_year is not None and snapshot.reporting_year != year:
        raise ReportError(f"snapshot {snapshot.label} is for {year}, not {snapshot.reporting_year}")
    return payload
