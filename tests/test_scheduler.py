"""The real scheduler: a file landing reaches `marts.indicator_values` through the Asset chain, and
the Airflow UI, in a browser, shows the DAGs and their successful runs.

Airflow runs as it does for a data engineer (api-server, scheduler, DAG processor, triggerer;
LocalExecutor; metadata in PostgreSQL), started by the topology harness (tests/topology.py) with
the scheduler's own clock: intake every minute all year (WELFARE_SEASON_*), the warehouse on the
intake's Asset. Nothing is triggered by hand: the DAGs are unpaused, the registry loads on
reference_data's own schedule, a baseline of generated files lands, then one more file is dropped
into the landing zone (with the received time the generated season gives it, before the year's
data lock) and the test waits for the indicators to change.

Needs PostgreSQL on 127.0.0.1:5432 (trust, user postgres), as CI has, and skips with the reason
where it is absent; the browser test needs Debian's `chromium` and `chromium-driver` (.ci/run
installs them). The latency figure for the orchestration note, median of several drops:

    .venv/bin/python tests/test_scheduler.py --drops 5
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from topology import Api, SmallSeason, Topology, land, missing_services, small_season

YEAR = 2025
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
#: Bounds on the waits (seconds).
BASELINE_TIMEOUT = 900
DROP_TIMEOUT = 600
SCHEDULE = {
    "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "True",
    # Intake every minute, whatever the date the test runs on.
    "WELFARE_SEASON_START": "01-01",
    "WELFARE_SEASON_END": "12-31",
    "WELFARE_SEASON_EVERY_MINUTES": "1",
}
INDICATORS = (
    "select indicator_code, org_level, coalesce(unit_code, ''), numerator, denominator, value "
    "from marts.indicator_values where reporting_year = %s order by 1, 2, 3"
)


@dataclass
class Live:
    """A running Airflow on its own schedule, a baseline season landed and in the marts."""

    topology: Topology
    api: Api
    season: SmallSeason
    held_back: list[dict[str, Any]]
    latencies: list[float] = field(default_factory=list)

    def scalar(self, sql: str, *args: Any) -> Any:
        import psycopg

        with psycopg.connect(self.topology.warehouse_url) as conn:
            row = conn.execute(sql, args).fetchone()  # type: ignore[arg-type]
        return row[0] if row else None

    def files_registered(self) -> int:
        import psycopg

        try:
            return int(self.scalar("select count(*) from audit.files"))
        except psycopg.errors.UndefinedTable:  # before the first intake run
            return 0

    def indicators(self) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.topology.warehouse_url) as conn:
            try:
                return conn.execute(INDICATORS, (YEAR,)).fetchall()
            except psycopg.errors.UndefinedTable:
                return []

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        return self.api.get(f"/api/v2/dags/{dag_id}/dagRuns", limit=100, order_by="-run_after")["dag_runs"]

    def wait_settled(self, files: int, timeout: float) -> None:
        """Until `files` files are registered and a successful warehouse run began after the last intake batch."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.api._fail_if_dead()
            registered = self.scalar("select count(*) from audit.files")
            last_batch = self.scalar("select max(finished_at) from audit.batches")
            warehouse = self.runs("warehouse")
            active = [r for r in warehouse if r["state"] in ("queued", "running")]
            done = [r for r in warehouse if r["state"] == "success" and r.get("start_date")]
            if registered == files and last_batch and not active and done:
                started = max(datetime.fromisoformat(r["start_date"]) for r in done)
                if started > last_batch:
                    return
            failed = [r["dag_run_id"] for d in ("intake", "warehouse") for r in self.runs(d) if r["state"] == "failed"]
            if failed:
                raise AssertionError(f"runs failed: {failed}\n{self.topology.tail()}")
            time.sleep(3)
        raise TimeoutError(f"not settled in {timeout}s ({registered}/{files} files)\n{self.topology.tail()}")

    def drop(self, entry: dict[str, Any]) -> float:
        """Drop one file into the landing zone now; seconds until the indicators changed."""
        before = self.indicators()
        target = self.topology.data_dir / "landing" / str(YEAR) / Path(entry["path"]).relative_to("submissions")
        target.parent.mkdir(parents=True, exist_ok=True)
        landed = time.monotonic()
        # With the received time the generated season gives it: a file received after the year's data
        # lock (as one dropped today would be for 2025) is recorded but not counted (DOMAIN.md).
        shutil.copy2(self.season.out / entry["path"], target)
        stamp = datetime.fromisoformat(entry["received_at"]).timestamp()
        os.utime(target, (stamp, stamp))
        deadline = landed + DROP_TIMEOUT
        while time.monotonic() < deadline:
            self.api._fail_if_dead()
            if self.indicators() != before:
                latency = time.monotonic() - landed
                self.latencies.append(latency)
                return latency
            time.sleep(1)
        raise TimeoutError(f"{entry['path']} did not reach the marts in {DROP_TIMEOUT}s\n{self.topology.tail()}")


def start_live(root: Path, drops: int) -> Live:
    """Start Airflow on its own schedule over a baseline of 12 grassroots reports (+ 1 upper, 1 rejected).

    On any failure the processes are stopped and the databases dropped before the error goes up."""
    topology = Topology(root / "topology", executor="LocalExecutor", workers=1, extra_env=SCHEDULE)
    try:
        return _start(topology, root, drops)
    except BaseException:
        topology.stop()
        topology.drop()
        raise


def _start(topology: Topology, root: Path, drops: int) -> Live:
    topology.create_databases()
    migrate = topology.launch("db-migrate", "db", "migrate")
    season = small_season(root / "season", accepted_cdcs=12 + drops, accepted_captren=1, rejected=1)
    grassroots = [f for f in season.files if f["form"] == "CDCS" and f["expected_accepted"]]
    held_back = grassroots[-drops:]
    baseline = SmallSeason(
        season.out, season.manifest, [f for f in season.files if f not in held_back], season.accepted, season.rejected
    )
    land(baseline, topology.data_dir)
    topology.finish(migrate, "db-migrate")
    topology.init_and_start(secrets.token_hex(32))
    api = Api(topology)
    api.wait_until_up()
    api.wait_for_dags({"reference_data", "intake", "warehouse"})
    live = Live(topology, api, baseline, held_back)
    # The registry first (reference_data's latest scheduled run, created when unpaused), then the rest.
    api.unpause("reference_data")
    deadline = time.monotonic() + 300
    while not (_has_registry(live) and live.scalar("select count(*) from registry.loads")):
        if time.monotonic() > deadline:
            raise TimeoutError(f"reference_data did not load the registry\n{topology.tail()}")
        api._fail_if_dead()
        time.sleep(2)
    # Intake next, the warehouse once the baseline is in: a paused DAG gets no Asset events, so the
    # baseline costs one build (the warehouse's latest daily run, created when it is unpaused).
    api.unpause("intake")
    deadline = time.monotonic() + BASELINE_TIMEOUT
    while live.files_registered() != len(baseline.files) or any(
        r["state"] in ("queued", "running") for r in live.runs("intake")
    ):  # … and that intake run finished (its Asset event is out) before the warehouse listens
        if time.monotonic() > deadline:
            raise TimeoutError(f"intake did not register the baseline\n{topology.tail()}")
        api._fail_if_dead()
        time.sleep(2)
    api.unpause("warehouse")
    live.wait_settled(len(baseline.files), BASELINE_TIMEOUT)
    return live


def _has_registry(live: Live) -> bool:
    return bool(live.scalar("select to_regclass('registry.loads') is not null"))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    if missing := missing_services(broker=False):
        pytest.skip(
            "the scheduler test keeps Airflow's metadata in PostgreSQL (trust, user postgres) on "
            f"127.0.0.1:5432, as CI provides; not available here: {'; '.join(missing)}"
        )
    root = tmp_path_factory.mktemp("scheduler")
    live = None
    try:
        live = start_live(root, drops=1)
        yield live
    finally:
        if live is not None:
            live.topology.stop()
            live.topology.drop()


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_a_file_landing_reaches_indicator_values_through_the_asset_chain(live: Live) -> None:
    entry = live.held_back[0]
    before = {row[:3]: row[3:] for row in live.indicators()}
    assert before, "the baseline built the marts"
    latency = live.drop(entry)
    print(json.dumps({"landing_to_indicator_seconds": round(latency, 1)}))

    after = {row[:3]: row[3:] for row in live.indicators()}
    changed = {key for key in after if after.get(key) != before.get(key)}
    assert any(level == "province" for _, level, _ in changed), changed
    name = Path(entry["path"]).name
    assert live.scalar("select state from audit.files where file_name = %s", name) in (
        "accepted",
        "accepted_with_warnings",
    )
    assert live.scalar(
        "select bool_and(not is_after_lock) from audit.submissions s join audit.files f using (file_id) "
        "where f.file_name = %s",
        name,
    )
    # Nobody triggered anything: intake ran on its schedule, the warehouse on the intake's Asset.
    intake = [r for r in live.runs("intake") if r["state"] == "success"]
    assert intake and {r["run_type"] for r in intake} == {"scheduled"}
    # The marts change while the build runs (before publish): wait for the run itself to end.
    deadline = time.monotonic() + 300
    while any(r["state"] in ("queued", "running") for r in live.runs("warehouse")) and time.monotonic() < deadline:
        time.sleep(2)
    asset_runs = [r for r in live.runs("warehouse") if r["run_type"] == "asset_triggered"]
    assert asset_runs and all(r["state"] == "success" for r in asset_runs), asset_runs
    assert not [r for d in ("intake", "warehouse") for r in live.runs(d) if r["run_type"] == "manual"]


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_airflow_ui_in_a_browser_shows_the_dags_and_a_successful_run(live: Live, tmp_path: Path) -> None:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip(f"needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}); .ci/run installs them")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    base = live.topology.base_url
    driver = _browser()
    try:
        wait = WebDriverWait(driver, 60)
        driver.get(f"{base}/")
        # Not logged in: the simple auth manager's login form.
        user = wait.until(ready.visibility_of_element_located((By.NAME, "username")))
        user.send_keys("admin")
        driver.find_element(By.NAME, "password").send_keys(live.topology.passwords["admin"])
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(lambda d: "/auth/" not in d.current_url)

        driver.get(f"{base}/dags")
        for dag_id in ("intake", "warehouse", "annual_reports", "reminders", "reference_data"):
            wait.until(ready.presence_of_element_located((By.XPATH, f"//a[normalize-space()='{dag_id}']")))

        driver.get(f"{base}/dags/warehouse/runs")
        # The run list: a row for the chain's asset-triggered run, in state Success.
        row = wait.until(
            ready.presence_of_element_located(
                (By.XPATH, "//tr[contains(., 'Asset Triggered') and contains(., 'Success')]")
            )
        )
        assert "asset_triggered__" in row.text, row.text
        driver.save_screenshot(str(tmp_path / "warehouse-runs.png"))
        assert (tmp_path / "warehouse-runs.png").stat().st_size > 10_000
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Time a file landing → marts.indicator_values with the real scheduler (median of N drops)."
    )
    parser.add_argument("--drops", type=int, default=5, help="files dropped one after another (default 5)")
    parser.add_argument("--root", type=Path, default=None, help="working folder (default: a new temporary one)")
    args = parser.parse_args()
    if missing := missing_services(broker=False):
        raise SystemExit(f"not available: {'; '.join(missing)}")
    import tempfile

    root = args.root or Path(tempfile.mkdtemp(prefix="welfare-scheduler-"))
    started = time.monotonic()
    live = start_live(root, args.drops)
    try:
        baseline = time.monotonic() - started
        for number, entry in enumerate(live.held_back, 1):
            latency = live.drop(entry)
            print(f"drop {number}: {Path(entry['path']).name} in the marts after {latency:.1f} s", flush=True)
            live.wait_settled(len(live.season.files) + number, BASELINE_TIMEOUT)
    finally:
        live.topology.stop()
        live.topology.drop()
    print(
        json.dumps(
            {
                "drops": len(live.latencies),
                "latencies_s": [round(x, 1) for x in live.latencies],
                "median_s": round(statistics.median(live.latencies), 1),
                "baseline_setup_s": round(baseline, 1),
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "load_average": os.getloadavg(),
            }
        )
    )


if __name__ == "__main__":
    main()
