"""The orchestration's own audit tables: mart builds and report runs (created idempotently).

- `audit.mart_builds`: one row per warehouse build "as of" a moment (the run's logical date):
  when the marts were last rebuilt, from which submissions. Rebuilding for the same moment
  updates that row, so a re-run adds nothing.
- `audit.report_runs`: one row per report run of the calendar (year, kind, scheduled time): the
  snapshot it was built from (`audit.report_snapshots` of `welfare.reports` when that module is
  installed), the newest submission and received time it covers, the marts build it read, the
  files it wrote, and for the provincial report who approved it and when it became final.
  The row is the run's memory: a re-run reuses its snapshot and files instead of writing again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

_LOCK_KEY = 0x4F524348  # "ORCH": serialises creating these tables

DDL = """
create schema if not exists audit;

create table if not exists audit.mart_builds (
    build_id           bigint generated always as identity primary key,
    as_of              timestamptz not null unique,      -- the build's logical date
    run_id             text        not null,             -- the Airflow run (or 'cli-…')
    max_submission_id  bigint,                           -- newest submission the marts could see
    max_received_at    timestamptz,
    finished_at        timestamptz not null,             -- when the marts were rebuilt
    models             integer,
    tests              integer,
    fingerprint        text                              -- the inputs the build saw (see warehouse_fingerprint)
);
alter table audit.mart_builds add column if not exists fingerprint text;

create table if not exists audit.report_runs (
    report_run_id      bigint generated always as identity primary key,
    reporting_year     integer     not null,
    kind               text        not null check (kind in ('draft', 'upper', 'provincial')),
    scheduled_at       timestamptz not null,             -- the calendar event the run stands for
    run_id             text        not null,
    snapshot_label     text        not null,             -- in every file name (s0007, or r0003 in fallback)
    snapshot_id        bigint,                           -- audit.report_snapshots when welfare.reports is used
    max_submission_id  bigint,
    max_received_at    timestamptz,
    marts_built_at     timestamptz,
    marts_as_of        timestamptz,
    exporter           text        not null default 'pending',  -- welfare.reports | fallback
    draft_files        jsonb       not null default '[]'::jsonb,
    final_files        jsonb       not null default '[]'::jsonb,
    approved_by        text,
    decision           text,                              -- Approve | Reject
    decided_at         timestamptz,
    final_at           timestamptz,                       -- when the provincial report became final
    recorded_at        timestamptz not null default now(),
    unique (reporting_year, kind, scheduled_at)
);
comment on table audit.report_runs is
    'Report runs of the calendar (welfare.orchestration.ledger); a re-run reuses its row, snapshot and files.';

create table if not exists audit.reminders_sent (
    reporting_year     integer     not null,
    form               text        not null,
    scheduled_at       timestamptz not null,             -- the reminder event
    upper_unit_code    text        not null,
    recipient          text        not null,
    content_sha256     text        not null,
    sent_at            timestamptz not null default now(),
    primary key (reporting_year, form, scheduled_at, upper_unit_code)
);
"""


def ensure_ledger(conn: psycopg.Connection) -> None:
    """Create the orchestration tables if missing (safe concurrently)."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(DDL)


@dataclass
class ReportRun:
    """A row of audit.report_runs."""

    report_run_id: int
    reporting_year: int
    kind: str
    scheduled_at: datetime
    run_id: str
    snapshot_label: str
    snapshot_id: int | None
    max_submission_id: int | None
    max_received_at: datetime | None
    marts_built_at: datetime | None
    marts_as_of: datetime | None
    exporter: str
    draft_files: list[str] = field(default_factory=list)
    final_files: list[str] = field(default_factory=list)
    approved_by: str | None = None
    decision: str | None = None
    decided_at: datetime | None = None
    final_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe (for XCom and logs)."""
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            out[key] = value.isoformat() if isinstance(value, datetime) else value
        return out


_COLUMNS = (
    "report_run_id, reporting_year, kind, scheduled_at, run_id, snapshot_label, snapshot_id, max_submission_id, "
    "max_received_at, marts_built_at, marts_as_of, exporter, draft_files, final_files, approved_by, decision, "
    "decided_at, final_at"
)


def _row(row: tuple[Any, ...]) -> ReportRun:
    return ReportRun(*row)


def get_report_run(conn: psycopg.Connection, year: int, kind: str, scheduled_at: datetime) -> ReportRun | None:
    ensure_ledger(conn)
    row = conn.execute(
        f"select {_COLUMNS} from audit.report_runs where reporting_year = %s and kind = %s and scheduled_at = %s",
        (year, kind, scheduled_at),
    ).fetchone()
    return _row(row) if row else None


def final_provincial_run(conn: psycopg.Connection, year: int) -> ReportRun | None:
    """The year's provincial report run that became final (the first one, if several)."""
    ensure_ledger(conn)
    row = conn.execute(
        f"select {_COLUMNS} from audit.report_runs where reporting_year = %s and kind = 'provincial' "
        "and final_at is not null order by final_at limit 1",
        (year,),
    ).fetchone()
    return _row(row) if row else None


def insert_report_run(conn: psycopg.Connection, values: dict[str, Any]) -> ReportRun:
    """Record a new report run; if the same (year, kind, scheduled_at) exists, return that one."""
    ensure_ledger(conn)
    columns = list(values)
    row = conn.execute(
        f"insert into audit.report_runs ({', '.join(columns)}) values ({', '.join(['%s'] * len(columns))}) "
        "on conflict (reporting_year, kind, scheduled_at) do nothing "
        f"returning {_COLUMNS}",
        [json.dumps(v) if isinstance(v, list) else v for v in values.values()],
    ).fetchone()
    if row is not None:
        return _row(row)
    existing = get_report_run(conn, values["reporting_year"], values["kind"], values["scheduled_at"])
    assert existing is not None
    return existing


def update_report_run(conn: psycopg.Connection, report_run_id: int, **values: Any) -> ReportRun:
    columns = list(values)
    row = conn.execute(
        f"update audit.report_runs set {', '.join(f'{c} = %s' for c in columns)} where report_run_id = %s "
        f"returning {_COLUMNS}",
        [*(json.dumps(v) if isinstance(v, list) else v for v in values.values()), report_run_id],
    ).fetchone()
    assert row is not None
    return _row(row)


# -- reminders sent ----------------------------------------------------------------------------
def reminder_sent(conn: psycopg.Connection, year: int, form: str, scheduled_at: datetime, upper: str) -> bool:
    ensure_ledger(conn)
    row = conn.execute(
        "select 1 from audit.reminders_sent where reporting_year = %s and form = %s and scheduled_at = %s "
        "and upper_unit_code = %s",
        (year, form, scheduled_at, upper),
    ).fetchone()
    return row is not None


def record_reminder_sent(
    conn: psycopg.Connection, year: int, form: str, scheduled_at: datetime, upper: str, recipient: str, sha256: str
) -> None:
    conn.execute(
        "insert into audit.reminders_sent (reporting_year, form, scheduled_at, upper_unit_code, recipient, "
        "content_sha256) values (%s, %s, %s, %s, %s, %s) on conflict do nothing",
        (year, form, scheduled_at, upper, recipient, sha256),
    )


# -- mart builds -------------------------------------------------------------------------------
@dataclass(frozen=True)
class MartBuild:
    build_id: int
    as_of: datetime
    run_id: str
    max_submission_id: int | None
    max_received_at: datetime | None
    finished_at: datetime
    fingerprint: str | None = None


def record_mart_build(
    conn: psycopg.Connection,
    *,
    as_of: datetime,
    run_id: str,
    finished_at: datetime,
    models: int | None = None,
    tests: int | None = None,
    fingerprint: str | None = None,
) -> MartBuild:
    """Record that the marts were rebuilt as of `as_of` (one row per as_of: a re-run updates it)."""
    ensure_ledger(conn)
    top = conn.execute(
        "select max(submission_id), max(received_at) from audit.submissions where received_at <= %s", (as_of,)
    ).fetchone()
    assert top is not None
    row = conn.execute(
        """insert into audit.mart_builds (as_of, run_id, max_submission_id, max_received_at, finished_at, models, tests,
               fingerprint)
           values (%s, %s, %s, %s, %s, %s, %s, %s)
           on conflict (as_of) do update set run_id = excluded.run_id, max_submission_id = excluded.max_submission_id,
               max_received_at = excluded.max_received_at, finished_at = excluded.finished_at,
               models = excluded.models, tests = excluded.tests, fingerprint = excluded.fingerprint
           returning build_id, as_of, run_id, max_submission_id, max_received_at, finished_at, fingerprint""",
        (as_of, run_id, top[0], top[1], finished_at, models, tests, fingerprint),
    ).fetchone()
    assert row is not None
    return MartBuild(*row)


def latest_mart_build(conn: psycopg.Connection) -> MartBuild | None:
    """The build the marts hold now (the one that finished last)."""
    ensure_ledger(conn)
    row = conn.execute(
        "select build_id, as_of, run_id, max_submission_id, max_received_at, finished_at, fingerprint "
        "from audit.mart_builds order by finished_at desc, build_id desc limit 1"
    ).fetchone()
    return MartBuild(*row) if row else None


# -- is a rebuild needed? -------------------------------------------------------------------------
_PROJECT_SKIP = {"target", "logs", "dbt_packages", ".user.yml"}


def project_hash(project_dir: Path) -> str:
    """SHA-256 over the dbt project's files (models, macros, seeds, tests, dbt_project.yml)."""
    digest = hashlib.sha256()
    for path in sorted(project_dir.rglob("*")):
        relative = path.relative_to(project_dir)
        if not path.is_file() or relative.parts[0] in _PROJECT_SKIP or path.name.startswith("."):
            continue
        digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def warehouse_fingerprint(conn: psycopg.Connection, project_dir: Path) -> str:
    """What a dbt build reads: every source table's high-water mark, and the project's code."""
    row = conn.execute(
        """select (select coalesce(max(submission_id), 0) || ':' || count(*) from audit.submissions),
                  (select coalesce(max(file_id), 0) from audit.files),
                  (select coalesce(max(load_id), 0) from registry.loads),
                  (select count(*) || ':' || coalesce(max(recorded_at)::text, '') from audit.lock_exceptions),
                  (select count(*) || ':' || coalesce(max(updated_at)::text, '') from audit.followup_status)"""
    ).fetchone()
    assert row is not None
    return hashlib.sha256(("|".join(map(str, row)) + "|" + project_hash(project_dir)).encode()).hexdigest()


def build_needed(conn: psycopg.Connection, as_of: datetime, fingerprint: str) -> bool:
    """False only when the latest build is for this same moment and saw exactly these inputs."""
    latest = latest_mart_build(conn)
    return latest is None or latest.as_of != as_of or latest.fingerprint != fingerprint
