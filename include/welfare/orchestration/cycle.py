"""The reporting season through the DAGs: `run_cycle` lands a year's files in received order and
runs reference_data → intake → warehouse → reminders → annual_reports with `dag.test()`.

The season is replayed along the calendar's events (`events.reminder_events` and
`events.report_events`, in time order). Before each event, the files received up to it are copied
into the landing zone (modification times kept, so intake records their real received times) and
`intake` runs with the event's time as its logical date; report events also rebuild the warehouse
as of that time. The provincial report is approved by a background reviewer through Airflow's
REST API (`approval.Approver`), at the run's simulated clock (`now` = the event + `approve_after`).

Airflow runs in-process against its own metadata database (`airflow_cycle` on the embedded
warehouse server, AIRFLOW_HOME `<data>/airflow-cycle`), so a `welfare airflow` running at the same
time is not disturbed. Call it before anything imports Airflow in the process.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from welfare.calendar import DEFAULT_CALENDAR, Calendar
from welfare.config import TIMEZONE, get_settings
from welfare.orchestration.events import CalendarEvent, reminder_events, report_events
from welfare.orchestration.landing import REGISTRY_FOLDER, land_files, received_at

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
CYCLE_DATABASE = "airflow_cycle"


@dataclass
class Step:
    """One DAG run of the cycle."""

    dag_id: str
    logical_date: str
    state: str
    seconds: float
    note: str = ""
    failed_tasks: list[str] = field(default_factory=list)


@dataclass
class CycleResult:
    """What `run_cycle` did: the runs in order, timings, and where the outputs are."""

    year: int
    steps: list[Step] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    landed_files: int = 0
    report_runs: list[dict[str, Any]] = field(default_factory=list)
    reminder_files: list[str] = field(default_factory=list)
    approvals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.state == "success" for s in self.steps)

    @property
    def report_paths(self) -> list[str]:
        return [p for run in self.report_runs for p in [*run["draft_files"], *run["final_files"]]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok, "report_paths": self.report_paths}


def season_events(calendar: Calendar, year: int) -> list[CalendarEvent]:
    """Reminders and report runs of the year, in time order."""
    return sorted([*reminder_events(calendar, year), *report_events(calendar, year)])


def _relative_files(submissions_dir: Path) -> list[tuple[Path, Path]]:
    files = [p for p in sorted(submissions_dir.rglob("*")) if p.is_file() and not p.name.startswith(".")]
    return [(p, p.relative_to(submissions_dir)) for p in files]


def _land_registry(registry_file: Path, landing: Path, at: datetime) -> Path:
    """Drop the registry into the landing zone, received at `at` (the start of the season)."""
    target = landing / REGISTRY_FOLDER / registry_file.name
    if not target.exists() or target.read_bytes() != registry_file.read_bytes():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(registry_file, target)
        os.utime(target, (at.timestamp(), at.timestamp()))
    return target


def prepare_airflow(*, port: int = 8080) -> Any:
    """The cycle's in-process Airflow: its own metadata database, migrated once per Airflow version."""
    from importlib.metadata import version

    from welfare.orchestration.local import CYCLE_HOME, configure_process, local_airflow

    settings = get_settings()
    airflow = local_airflow(settings, home=settings.data_dir / CYCLE_HOME, port=port, database=CYCLE_DATABASE)
    # dag.test() prints every task's log to the console; the cycle reports its own progress.
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    configure_process(airflow)
    stamp = airflow.home / ".migrated"
    wanted = f"{version('apache-airflow')} {airflow.metadata_url}"
    if not stamp.exists() or stamp.read_text() != wanted:
        airflow.migrate()
        stamp.write_text(wanted)
    return airflow


def run_cycle(
    year: int,
    submissions_dir: Path,
    out: Path,
    *,
    registry_file: Path | None = None,
    calendar: Calendar = DEFAULT_CALENDAR,
    events: Iterable[str] | None = None,
    approve_after: timedelta = timedelta(hours=1),
    final_wave: bool = True,
    progress: Progress | None = None,
) -> CycleResult:
    """Replay the season `year` of `submissions_dir` through the DAGs; write `out/cycle.json`.

    `events` limits the replay to those event labels (e.g. `["reminder-CDCS-7d-2025",
    "provincial-2025"]`); `final_wave` ingests what arrived after the provincial report (late and
    after-lock files) and rebuilds the marts at the end of the year.
    """
    from welfare.intake.pseudonym import ensure_demo_key

    say = progress or (lambda message: log.info("%s", message))
    settings = get_settings()
    ensure_demo_key(settings.data_dir)
    started = time.monotonic()
    result = CycleResult(year)

    airflow = prepare_airflow()
    result.timings["airflow"] = round(time.monotonic() - started, 1)

    from welfare.orchestration.approval import Approver
    from welfare.orchestration.dagtest import dag_bag, run_dag

    step = time.monotonic()
    dag_bag()
    result.timings["parse"] = round(time.monotonic() - step, 1)

    def run(dag_id: str, when: datetime, note: str = "", conf: dict[str, Any] | None = None) -> None:
        say(f"{dag_id} @ {when:%d/%m/%Y %H:%M} {note}".rstrip())
        outcome = run_dag(dag_id, when, conf=conf)
        result.steps.append(
            Step(dag_id, when.isoformat(), outcome.state, round(outcome.seconds, 1), note, outcome.failed_tasks())
        )
        result.timings[dag_id] = round(result.timings.get(dag_id, 0.0) + outcome.seconds, 1)

    landing = settings.landing_dir
    files = sorted(_relative_files(submissions_dir), key=lambda pair: (received_at(pair[0]), str(pair[1])))
    chosen = season_events(calendar, year)
    if events is not None:
        wanted = set(events)
        chosen = [e for e in chosen if e.label in wanted]
    start_of_season = datetime.combine(calendar.period(year)[1].replace(day=1), datetime.min.time(), TIMEZONE)

    registry = registry_file or submissions_dir.parent / "registry.csv"
    _land_registry(registry, landing, start_of_season - timedelta(days=31))
    run("reference_data", start_of_season, "registry from the landing zone")

    landed = 0

    def land_until(until: datetime) -> None:
        nonlocal landed
        batch = [pair for pair in files[landed:] if received_at(pair[0]) <= until]
        land_files(batch, landing, year)
        landed += len(batch)

    with Approver("approver", airflow.passwords()["approver"]) as approver:
        for event in chosen:
            land_until(event.at)
            run("intake", event.at, f"{landed} file(s) landed so far")
            if event.kind == "reminder":
                run("reminders", event.at, event.label)
                continue
            run("warehouse", event.at, f"marts as of {event.label}")
            conf = {"now": (event.at + approve_after).isoformat()} if event.kind == "provincial" else None
            run("annual_reports", event.at, event.label, conf)
        result.approvals = [asdict(a) for a in approver.answers]
    if final_wave and landed < len(files):
        end = calendar.lock_at(year) + timedelta(days=31)
        land_until(end)
        run("intake", end, f"after the season: {landed} file(s) in all")
        run("warehouse", end, "marts at the end of the year")
    result.landed_files = landed

    result.report_runs = _report_runs(year)
    result.reminder_files = sorted(str(p) for p in (settings.data_dir / "reminders" / str(year)).rglob("*.csv"))
    result.timings["total"] = round(time.monotonic() - started, 1)
    out.mkdir(parents=True, exist_ok=True)
    (out / "cycle.json").write_text(json.dumps(result.as_dict(), indent=2, ensure_ascii=False, default=str))
    return result


def _report_runs(year: int) -> list[dict[str, Any]]:
    from welfare.orchestration.ledger import ensure_ledger
    from welfare.warehouse import connect

    with connect() as conn:
        ensure_ledger(conn)
        rows = conn.execute(
            "select reporting_year, kind, scheduled_at, snapshot_label, exporter, draft_files, final_files, "
            "approved_by, decision, final_at from audit.report_runs where reporting_year = %s order by scheduled_at",
            (year,),
        ).fetchall()
    keys = (
        "year",
        "kind",
        "scheduled_at",
        "snapshot",
        "exporter",
        "draft_files",
        "final_files",
        "approved_by",
        "decision",
        "final_at",
    )
    return [
        {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in zip(keys, row, strict=True)} for row in rows
    ]
