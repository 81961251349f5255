"""
### intake — submissions from the landing zone into the warehouse

Every 15 minutes from 1 October to 30 November (the reporting season), once a day at 06:00
outside it (`WELFARE_SEASON_START`, `WELFARE_SEASON_END`, `WELFARE_SEASON_EVERY_MINUTES`).

1. **discover** — with `WELFARE_LANDING_URL` set (object storage, e.g. `s3://bucket/landing`), first
   mirrors what is new there into `<data>/landing/` (`welfare.landing_store`); then files in
   `<data>/landing/<year>/` not yet registered in `audit.files` and received
   (modified) up to the run's logical date, cut into batches of at most 200 files
   (`WELFARE_INTAKE_BATCH_FILES`); a sub-folder (a bulk CSV export) stays in one batch.
2. **ingest_batch** — one mapped task per batch: register, check, parse, validate (Great
   Expectations over the whole batch), load in one transaction (`welfare.intake.pipeline.ingest`).
   Batches run one after the other, in received order, so the versions of a report are numbered
   in the order they arrived.
3. **announce** — emits `welfare://raw/submissions` when at least one submission was accepted
   (the `warehouse` DAG is scheduled on it); skipped otherwise.

Re-running a run changes nothing: registered files are not found again, and intake skips a file
it registered from the same place with the same content. Rejected files get their feedback under
`<data>/feedback/`; the originals are kept under `<data>/archive/`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from airflow.sdk import MultipleCronTriggerTimetable, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException
from welfare.config import TIMEZONE
from welfare.orchestration.assets import RAW_SUBMISSIONS
from welfare.orchestration.schedules import intake_crons
from welfare.orchestration.settings import get_orchestration_settings
from welfare.orchestration.tags import default_args, tags

SETTINGS = get_orchestration_settings()
log = logging.getLogger(__name__)


@dag(
    dag_id="intake",
    schedule=MultipleCronTriggerTimetable(
        *intake_crons(
            SETTINGS.season_start, SETTINGS.season_end, SETTINGS.season_every_minutes, SETTINGS.off_season_at
        ),
        timezone="Asia/Ho_Chi_Minh",
    ),
    start_date=datetime(2024, 10, 1, tzinfo=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    tags=tags("intake"),
    default_args=default_args(),
    doc_md=__doc__,
)
def intake() -> None:
    @task
    def discover() -> list[list[str]]:
        """New files up to the run's logical date, as batches of paths."""
        from welfare.config import get_settings
        from welfare.landing_store import sync_configured
        from welfare.orchestration.landing import discover_new, plan_batches
        from welfare.orchestration.runtime import run_moment
        from welfare.warehouse import connect

        cutoff = run_moment(get_current_context())
        landing = get_settings().landing_dir
        sync_configured(landing)  # WELFARE_LANDING_URL (object storage) → the local mirror; no-op otherwise
        with connect() as conn:
            found = discover_new(conn, landing, received_until=cutoff)
        batches = plan_batches(found.new, landing, SETTINGS.batch_files)
        log.info(
            "landing zone %s up to %s: %s; %d batch(es)", landing, cutoff.isoformat(), found.summary(), len(batches)
        )
        return batches

    @task(max_active_tis_per_dagrun=1)
    def ingest_batch(paths: list[str]) -> dict[str, Any]:
        """Ingest one batch of files (all or nothing)."""
        from welfare.orchestration.landing import ingest_batch as run_batch
        from welfare.orchestration.runtime import run_key

        return run_batch(paths, run_id=run_key(get_current_context()))

    @task(outlets=[RAW_SUBMISSIONS])
    def announce(results: list[dict[str, Any]]) -> dict[str, Any]:
        """Emit the raw-submissions Asset when anything was accepted."""
        from welfare.orchestration.landing import combine

        summary = combine(results)
        if not summary["accepted_any"]:
            raise AirflowSkipException(f"nothing accepted ({summary['counts']}): no Asset event")
        get_current_context()["outlet_events"][RAW_SUBMISSIONS].extra = summary
        return summary

    announce(ingest_batch.expand(paths=discover()))


intake()
