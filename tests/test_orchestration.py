"""Orchestration: the logic without Airflow, then every DAG end to end with `dag.test()`.

The end-to-end tests share one fresh warehouse and a small piece of the generated 2025 season
(the first 40 files by received time, plus one that arrives after the first intake's cut-off) and
run in the season's order: reference data, intake, reminders, warehouse, annual reports. Every
DAG is run twice for the same interval; the second run must change nothing (row counts, files).
"""

from __future__ import annotations

import csv
import email
import email.policy
import hashlib
import os
import socket
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from welfare.calendar import DEFAULT_CALENDAR
from welfare.config import TIMEZONE
from welfare.orchestration.deadline import (
    DeadlineStatus,
    ProvincialReportDeadlineMissed,
    ProvincialReportNotFinal,
    judge,
    provincial_deadline,
)
from welfare.orchestration.events import event_at, events, latest_event, reminder_events, report_events
from welfare.orchestration.landing import plan_batches
from welfare.orchestration.schedules import intake_crons, is_in_season


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TIMEZONE)


# -- the logic, without Airflow ---------------------------------------------------------------------
def test_intake_crons_follow_the_season() -> None:
    assert intake_crons((10, 1), (11, 30)) == ["*/15 * * 10-11 *", "0 6 * 1-9,12 *"]
    assert intake_crons((9, 15), (12, 10), 10) == [
        "*/10 * * 10-11 *",
        "*/10 * 1-10 12 *",
        "*/10 * 15-30 9 *",
        "0 6 * 1-8 *",
        "0 6 1-14 9 *",
        "0 6 11-31 12 *",
    ]
    assert is_in_season(1, 5, (12, 15), (1, 10)) and not is_in_season(2, 1, (12, 15), (1, 10))
    with pytest.raises(ValueError, match="divide an hour"):
        intake_crons((10, 1), (11, 30), 7)


def test_batches_keep_folders_whole_and_follow_received_order(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    files = []
    for index, name in enumerate(["c.xlsx", "a.xlsx", "bulk/cdcs_reports.csv", "bulk/support_cases.csv", "b.ods"]):
        path = landing / "2025" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        stamp = at("2025-10-20T08:00").timestamp() + [5, 1, 3, 3, 2][index] * 60
        os.utime(path, (stamp, stamp))
        files.append(path)
    batches = plan_batches(files, landing, max_files=2)
    names = [[Path(p).relative_to(landing / "2025").as_posix() for p in batch] for batch in batches]
    assert names == [["a.xlsx", "b.ods"], ["bulk/cdcs_reports.csv", "bulk/support_cases.csv"], ["c.xlsx"]]
    assert plan_batches(files, landing, max_files=200) == [
        [str(p) for p in sorted(files, key=lambda p: p.stat().st_mtime)]
    ]


def test_calendar_events_of_2025() -> None:
    reports = [(e.label, e.at) for e in report_events(DEFAULT_CALENDAR, 2025)]
    assert reports == [
        ("draft-2025", at("2025-11-06T07:00")),
        ("upper-2025", at("2025-11-19T23:59:59")),
        ("provincial-2025", at("2025-11-20T08:00")),
    ]
    reminders = [(e.form, e.days_before, e.at) for e in reminder_events(DEFAULT_CALENDAR, 2025)]
    assert reminders == [
        ("CDCS", 7, at("2025-10-29T08:00")),
        ("CDCS", 3, at("2025-11-02T08:00")),
        ("CDCS", 1, at("2025-11-04T08:00")),
        ("CAPTREN", 7, at("2025-11-12T08:00")),
        ("CAPTREN", 3, at("2025-11-16T08:00")),
        ("CAPTREN", 1, at("2025-11-18T08:00")),
    ]
    assert event_at(DEFAULT_CALENDAR, "reports", at("2025-11-20T08:00")).kind == "provincial"
    assert latest_event(DEFAULT_CALENDAR, "reports", at("2025-11-10T12:00")).label == "draft-2025"
    assert len(events(DEFAULT_CALENDAR, "reports")) == 3 * 7  # 2024–2030


def test_deadline_check_with_a_simulated_clock() -> None:
    deadline = provincial_deadline(2025, DEFAULT_CALENDAR, timedelta(hours=9))
    assert deadline == at("2025-11-20T17:00")

    def status(final_at: str | None, now: str) -> DeadlineStatus:
        return DeadlineStatus(2025, deadline, at(final_at) if final_at else None, at(now))

    assert judge(status("2025-11-20T09:00", "2025-11-25T00:00"), pending_is_failure=True).state == "on_time"
    assert judge(status(None, "2025-11-20T12:00"), pending_is_failure=False).state == "pending"
    with pytest.raises(ProvincialReportNotFinal):
        judge(status(None, "2025-11-20T12:00"), pending_is_failure=True)
    with pytest.raises(ProvincialReportDeadlineMissed, match="has passed"):
        judge(status(None, "2025-11-20T17:01"), pending_is_failure=False)
    with pytest.raises(ProvincialReportDeadlineMissed, match="after its deadline"):
        judge(status("2025-11-21T08:00", "2025-11-21T08:00"), pending_is_failure=True)


# -- Airflow ------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def airflow_env(warehouse_root: Path, tmp_path_factory: pytest.TempPathFactory):
    from welfare.orchestration.testing import airflow_for_tests

    return airflow_for_tests(warehouse_root, tmp_path_factory.mktemp("airflow"))


@pytest.mark.slow
def test_calendar_timetable_run_dates_2025(airflow_env) -> None:
    import pendulum
    from airflow.timetables.base import TimeRestriction
    from welfare.orchestration.timetable import CalendarTimetable

    def runs(schedule: str) -> list[datetime]:
        timetable = CalendarTimetable(schedule)
        restriction = TimeRestriction(
            earliest=pendulum.datetime(2025, 1, 1, tz="UTC"),
            latest=pendulum.datetime(2025, 12, 31, tz="UTC"),
            catchup=True,
        )
        found, last = [], None
        while info := timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction):
            found.append(info.logical_date.in_timezone("Asia/Ho_Chi_Minh").replace(tzinfo=None))
            last = info.data_interval
        return found

    naive = lambda text: datetime.fromisoformat(text)  # noqa: E731
    assert runs("reports") == [naive("2025-11-06T07:00"), naive("2025-11-19T23:59:59"), naive("2025-11-20T08:00")]
    assert runs("reminders") == [
        naive(f"2025-{day}T08:00") for day in ("10-29", "11-02", "11-04", "11-12", "11-16", "11-18")
    ]
    timetable = CalendarTimetable("reports")
    manual = timetable.infer_manual_data_interval(run_after=pendulum.datetime(2025, 11, 10, 5, tz="UTC"))
    assert manual.end == pendulum.datetime(2025, 11, 6, 0, tz="UTC")  # 07:00 in Hà Tĩnh
    missed = timetable.next_event(after=None, earliest=None, now=at("2025-11-20T09:00"), catchup=False)
    assert missed is not None and missed.label == "provincial-2025"  # a missed report still runs once
    assert CalendarTimetable.deserialize(timetable.serialize()) == timetable


# -- the season, DAG by DAG ------------------------------------------------------------------------------
@dataclass
class Season:
    url: str
    data: Path
    out: Path
    manifest: dict[str, Any]
    landed: list[dict[str, Any]]
    later: dict[str, Any]
    approver_password: str
    outcomes: dict[str, Any] = field(default_factory=dict)

    def run(self, dag_id: str, when: datetime, conf: dict[str, Any] | None = None):
        from welfare.orchestration.dagtest import run_dag

        return run_dag(dag_id, when, conf=conf)

    def scalar(self, sql: str, *args: Any) -> Any:
        import psycopg

        with psycopg.connect(self.url) as conn:
            row = conn.execute(sql, args).fetchone()
        return row[0] if row else None


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def season(airflow_env, new_database, season_2025, pseudonym_key, tmp_path_factory):
    from welfare.orchestration.landing import land_files
    from welfare.orchestration.testing import point_at

    out, manifest = season_2025
    files = sorted(manifest["files"], key=lambda f: (f["received_at"], f["path"]))
    first = [f for f in files if f["kind"] == "workbook" or f["kind"] == "foreign"][:40]
    later = next(f for f in files if f["received_at"] > "2025-10-29T08:00:00+07:00" and f["kind"] == "workbook")
    url = new_database()
    data = tmp_path_factory.mktemp("orchestration-data")
    landing = data / "landing"
    land_files([(out / f["path"], Path(f["path"]).relative_to("submissions")) for f in [*first, later]], landing, 2025)
    registry = landing / "registry" / "registry.csv"
    registry.parent.mkdir(parents=True)
    registry.write_bytes((out / "registry.csv").read_bytes())
    dropped = at("2025-09-01T09:00").timestamp()  # the registry arrived before the season
    os.utime(registry, (dropped, dropped))
    with pytest.MonkeyPatch.context() as patch:
        for key, value in point_at(url).items():
            patch.setenv(key, value)
        patch.setenv("WELFARE_DATA_DIR", str(data))
        patch.setenv("WELFARE_REPORT_EXPORTER", "fallback")
        patch.delenv("AIRFLOW_CONN_WELFARE_SMTP", raising=False)
        yield Season(url, data, out, manifest, first, later, airflow_env.passwords()["approver"])


@pytest.fixture(scope="module")
def approver(season):
    from welfare.orchestration.approval import Approver

    with Approver("approver", season.approver_password) as reviewer:
        yield reviewer


@pytest.fixture
def smtp_sink(monkeypatch: pytest.MonkeyPatch):
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self) -> None:
            self.messages: list[Any] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            self.messages.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv(
        "AIRFLOW_CONN_WELFARE_SMTP",
        f"smtp://127.0.0.1:{port}?disable_ssl=true&disable_tls=true&timeout=10&retry_limit=0",
    )
    yield sink
    controller.stop()


@pytest.mark.slow
def test_reference_data_loads_the_registry_once(season: Season) -> None:
    first = season.run("reference_data", at("2025-10-01T05:30"))
    second = season.run("reference_data", at("2025-10-01T05:30"))
    assert first.ok and first.task_states["announce"] == "success"
    assert second.ok and second.task_states["announce"] == "skipped"  # no new version, no Asset event
    assert season.scalar("select count(*) from registry.loads") == 1


@pytest.mark.slow
def test_intake_ingests_new_files_once_up_to_its_logical_date(season: Season) -> None:
    cutoff = at("2025-10-29T08:00")
    first = season.run("intake", cutoff)
    assert first.ok, first.task_states
    assert first.task_states["ingest_batch[0]"] == "success" and first.task_states["announce"] == "success"
    assert season.scalar("select count(*) from audit.files") == len(season.landed)  # not the later file
    assert not season.scalar("select count(*) from audit.files where file_name = %s", Path(season.later["path"]).name)
    accepted = {f["unit_code"] for f in season.landed if f["expected_accepted"] and f["unit_code"]}
    loaded = season.scalar("select array_agg(distinct unit_code) from audit.submissions where state like 'accepted%%'")
    assert set(loaded) == accepted

    batches = season.scalar("select count(*) from audit.batches")
    again = season.run("intake", cutoff)
    assert again.ok and again.task_states["announce"] == "skipped"  # nothing accepted: no Asset event
    assert season.scalar("select count(*) from audit.files") == len(season.landed)
    assert season.scalar("select count(*) from audit.batches") == batches


def _expected_missing(season: Season, when: datetime) -> dict[str, dict[str, str]]:
    """From the manifest and the registry file alone: per upper union, missing unit → reason."""
    from welfare.registry import read_registry

    registry = read_registry(season.out / "registry.csv")
    ingested = [f for f in season.landed if datetime.fromisoformat(f["received_at"]) <= when]
    accepted = {f["unit_code"] for f in ingested if f["expected_accepted"]}
    # A rejected file counts for its unit only when intake could tell whose it is.
    unattributable = ("ma_don_vi.", "file.")
    rejected = {
        f["unit_code"]
        for f in ingested
        if not f["expected_accepted"]
        and not f["expected_duplicate_of"]
        and not any(rule.startswith(unattributable) for rule in f["expected_rules"])
    }
    missing: dict[str, dict[str, str]] = defaultdict(dict)
    for unit in registry.active(DEFAULT_CALENDAR.period_end(2025), "CDCS"):
        if unit.ma_don_vi not in accepted:
            reason = "Báo cáo đã gửi bị từ chối, chưa gửi lại" if unit.ma_don_vi in rejected else "Chưa gửi báo cáo"
            missing[unit.ma_cap_tren][unit.ma_don_vi] = reason
    return missing


@pytest.mark.slow
def test_reminders_list_exactly_the_missing_units_and_mail_each_union(season: Season, smtp_sink) -> None:
    when = at("2025-10-29T08:00")  # 7 days before the grassroots deadline
    first = season.run("reminders", when)
    assert first.ok, first.task_states
    folder = season.data / "reminders" / "2025" / "CDCS" / "2025-10-29-7d"
    found: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            found[path.stem] = {row["ma_don_vi"]: row["ly_do"] for row in csv.DictReader(handle)}
    expected = _expected_missing(season, when)
    assert found == expected
    assert any("từ chối" in reason for units in found.values() for reason in units.values())  # rejected-only units

    assert len(smtp_sink.messages) == len(expected)
    recipients = sorted(r for m in smtp_sink.messages for r in m.rcpt_tos)
    assert recipients == sorted(f"{code.lower()}@congdoan-hatinh.example" for code in expected)
    for envelope in smtp_sink.messages:
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        upper = next(code for code in expected if code.lower() in envelope.rcpt_tos[0])
        assert "2025" in str(mail["subject"]) and "chưa" in str(mail["subject"])
        attachments = {part.get_filename(): part.get_payload(decode=True) for part in mail.iter_attachments()}
        assert set(attachments) == {f"{upper}.csv"}
        listed = attachments[f"{upper}.csv"].decode("utf-8-sig")
        assert all(code in listed for code in expected[upper])

    files = _digest(season.data / "reminders")
    again = season.run("reminders", when)
    assert again.ok
    assert _digest(season.data / "reminders") == files
    assert len(smtp_sink.messages) == len(expected)  # each union is mailed once per reminder


MARTS = ("indicator_values", "reporting_completeness", "missing_reports", "submissions", "followups", "dim_units")


@pytest.mark.slow
def test_warehouse_builds_the_marts_model_by_model(season: Season) -> None:
    when = at("2025-11-06T07:00")
    first = season.run("warehouse", when)
    assert first.ok, first.failed_tasks()
    dbt_tasks = {t: s for t, s in first.task_states.items() if t.startswith("dbt.")}
    assert len(dbt_tasks) > 70 and set(dbt_tasks.values()) == {"success"}
    assert first.task_states["publish"] == "success"
    counts = {m: season.scalar(f"select count(*) from marts.{m}") for m in MARTS}
    assert counts["indicator_values"] > 0 and counts["missing_reports"] > 0
    assert season.scalar("select count(*) from audit.mart_builds") == 1

    again = season.run("warehouse", when)
    assert again.ok and again.task_states["dbt.dbt_producer_watcher"] == "skipped"  # same inputs: nothing to do
    assert again.task_states["publish"] == "skipped"  # … and no mart Asset events
    assert {m: season.scalar(f"select count(*) from marts.{m}") for m in MARTS} == counts
    assert season.scalar("select count(*) from audit.mart_builds") == 1


@pytest.mark.slow
def test_annual_reports_draft_run_exports_once_from_one_snapshot(season: Season) -> None:
    when = at("2025-11-06T07:00")
    first = season.run("annual_reports", when)
    assert first.ok, first.task_states
    assert first.task_states["sign_off"] == "skipped"  # only the provincial report is signed off
    label, files = season.scalar(
        "select array[snapshot_label, draft_files::text] from audit.report_runs where kind = 'draft'"
    )
    assert label and label in files and "DU-THAO" in files
    reports = _digest(season.data / "reports")
    assert reports and all(label in name for name in reports)

    again = season.run("annual_reports", when)
    assert again.ok
    assert _digest(season.data / "reports") == reports  # nothing overwritten, nothing added
    assert season.scalar("select count(*) from audit.report_runs") == 1


@pytest.mark.slow
def test_provincial_report_not_final_by_its_deadline_fails_loudly(season: Season, approver, monkeypatch) -> None:
    monkeypatch.setenv("WELFARE_REPORT_EXPORTER", "auto")  # the reports module when installed
    approver.decide = lambda detail: "Reject"
    late = season.run("annual_reports", at("2025-11-20T08:00"), conf={"now": "2025-11-21T10:00:00+07:00"})
    assert late.state == "failed"
    assert late.task_states["sign_off"] == "success" and late.task_states["finalise"] == "skipped"
    assert late.task_states["check_deadline"] == "failed"
    decision, final_at = season.scalar(
        "select array[decision, final_at::text] from audit.report_runs where kind = 'provincial'"
    )
    assert decision == "Reject" and final_at is None


@pytest.mark.slow
def test_provincial_report_becomes_final_after_approval(season: Season, approver, monkeypatch) -> None:
    monkeypatch.setenv("WELFARE_REPORT_EXPORTER", "auto")
    approver.decide = lambda detail: "Approve"
    answered = len(approver.answers)
    when = at("2025-11-20T08:00")
    run = season.run("annual_reports", when, conf={"now": "2025-11-20T09:30:00+07:00"})
    assert run.ok, run.task_states
    assert run.task_states["finalise"] == "success" and run.task_states["check_deadline"] == "success"
    assert len(approver.answers) == answered + 1
    approved_by, final_at, finals = season.scalar(
        "select array[approved_by, final_at::text, final_files::text] from audit.report_runs where kind = 'provincial'"
    )
    assert approved_by == "approver"
    assert datetime.fromisoformat(final_at) == at("2025-11-20T09:30")
    assert "DU-THAO" not in finals

    reports = _digest(season.data / "reports")
    again = season.run("annual_reports", when, conf={"now": "2025-11-20T09:30:00+07:00"})
    assert again.ok and again.task_states["sign_off"] == "skipped"  # final already: nobody is asked again
    assert len(approver.answers) == answered + 1
    assert _digest(season.data / "reports") == reports
