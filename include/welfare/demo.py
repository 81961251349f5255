"""The main job: the annual cycle on generated data, as far as the platform goes today.

Steps: warehouse up (embedded unless WAREHOUSE_URL), registry loaded, a province year of
submissions generated with its truth manifest, and a summary of what a season looks like.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from welfare.indicators import BY_CODE


def run_demo(
    year: int,
    out: Path,
    seed: int,
    console: Console,
    progress: Callable[[], Any],
    baseline: bool = True,
) -> dict[str, object]:
    """Generate, load and model `year` (and the 2024 baseline first, so statuses can be judged)."""
    from welfare.build import run_dbt
    from welfare.calendar import BASELINE_YEAR
    from welfare.cli import print_ingest_summary
    from welfare.config import get_settings
    from welfare.intake.pseudonym import ensure_demo_key
    from welfare.registry import load_registry
    from welfare.warehouse import connect, redact, warehouse_url

    timings: dict[str, float] = {}
    started = time.monotonic()
    url = warehouse_url()
    settings = get_settings()
    ensure_demo_key(settings.data_dir)  # the demo's own local key; anything else must be given one
    timings["warehouse"] = time.monotonic() - started
    console.rule(f"[bold]Annual cycle {year}[/] — warehouse {redact(url)}")

    seasons = [(BASELINE_YEAR, out / f"baseline-{BASELINE_YEAR}")] if baseline and year > BASELINE_YEAR else []
    seasons.append((year, out))
    manifest: dict[str, Any] = {}
    for season_year, folder in seasons:
        manifest, summary = _season(season_year, folder, seed, url, settings, progress, timings)
        if season_year != year:
            console.print(f"Baseline {season_year}: {len(summary.files)} files ingested ({summary.counts()}).")
    with connect(url) as conn:
        loaded = load_registry(conn, out / "registry.csv")
    console.print(f"Registry: {loaded.units} units (current load {loaded.load_id}).")
    print_ingest_summary(summary, limit=10)

    step = time.monotonic()
    with console.status("dbt build (staging → intermediate → marts, with tests)…"):
        built = run_dbt(["build", "--quiet"], url=url)
    timings["dbt build"] = time.monotonic() - step
    console.print(built.summary())
    if not built.success:
        raise RuntimeError("dbt build failed: " + "; ".join(built.failures[:5]))

    files: list[dict[str, Any]] = manifest["files"]
    kinds = Counter(Path(f["path"]).suffix for f in files)
    rejected = sum(1 for f in files if not f["expected_accepted"])
    console.print(
        f"Submissions generated: {len(files)} files ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}); "
        f"{rejected} are built to be rejected or recognised as duplicates."
    )
    expected: dict[str, int] = manifest["expected_units"]
    reports: list[dict[str, Any]] = manifest["reports"]
    table = Table(title=f"Season {year}: reports the generator expects to count")
    for column in ("form", "expected", "received", "on time", "late"):
        table.add_column(column, justify="right" if column != "form" else "left")
    for form in ("CDCS", "CAPTREN"):
        mine = [r for r in reports if r["form"] == form]
        on_time = sum(1 for r in mine if r["is_on_time"])
        table.add_row(form, str(expected[form]), str(len(mine)), str(on_time), str(len(mine) - on_time))
    console.print(table)

    print_scorecard(console, url, year, manifest)

    from welfare.reports import build_reports

    step = time.monotonic()
    with console.status("annual reports (PDF, Excel, CSV, Parquet) for the province and each upper-level union…"):
        written = build_reports(year, out / "reports", url=url)
    timings["reports"] = time.monotonic() - step
    pdfs = [r for r in written if r.kind == "pdf"]
    console.print(
        f"Reports: {len(pdfs)} PDF + workbook pairs under {out / 'reports'} "
        f"(province: {next((r.path for r in pdfs if r.unit_code == 'LDLD_HT'), '—')})."
    )
    console.print(
        f"Feedback to units: {settings.feedback_dir} and beside each kept original in "
        f"{settings.data_dir / 'archive'}; Data Docs: {settings.data_dir / 'datadocs'}."
    )
    timings["total"] = time.monotonic() - started
    console.print("Timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()) + f"\nOutput: {out.resolve()}")
    return {"manifest": manifest, "timings": timings, "reports": written}


def run_demo_through_airflow(
    year: int,
    out: Path,
    seed: int,
    console: Console,
    progress: Callable[[], Any],
    baseline: bool = True,
) -> dict[str, object]:
    """The same season, replayed through the DAGs (`welfare.orchestration.cycle.run_cycle`)."""
    from welfare.calendar import BASELINE_YEAR
    from welfare.config import get_settings
    from welfare.generator.province import generate_province
    from welfare.intake.pseudonym import ensure_demo_key
    from welfare.orchestration.cycle import run_cycle
    from welfare.warehouse import redact, warehouse_url

    timings: dict[str, float] = {}
    started = time.monotonic()
    url = warehouse_url()
    settings = get_settings()
    ensure_demo_key(settings.data_dir)
    console.rule(f"[bold]Annual cycle {year} through Airflow[/] — warehouse {redact(url)}")
    if baseline and year > BASELINE_YEAR:
        _season(BASELINE_YEAR, out / f"baseline-{BASELINE_YEAR}", seed, url, settings, progress, timings)
        console.print(f"Baseline {BASELINE_YEAR} ingested directly (its indicators set the path to 2030).")
    step = time.monotonic()
    with progress() as bar:
        task = bar.add_task(f"generating {year}", total=None)
        manifest = generate_province(
            out, year, seed=seed, progress=lambda d, t, what: bar.update(task, completed=d, total=t, description=what)
        )
    timings[f"generate {year}"] = time.monotonic() - step
    result = run_cycle(year, out / "submissions", out, progress=lambda message: console.log(message))
    runs = Table(title=f"Season {year} through the DAGs (dag.test)")
    for column in ("DAG", "logical date", "state", "seconds", "note"):
        runs.add_column(column)
    for s in result.steps:
        colour = "green" if s.state == "success" else "red"
        runs.add_row(s.dag_id, s.logical_date[:16], f"[{colour}]{s.state}[/]", f"{s.seconds:.0f}", s.note)
    console.print(runs)
    for run in result.report_runs:
        final = (
            f", final: {len(run['final_files'])} file(s) approved by {run['approved_by']}" if run["final_at"] else ""
        )
        console.print(
            f"Reports {run['kind']}: snapshot {run['snapshot']}, {len(run['draft_files'])} draft file(s){final}."
        )
    console.print(
        f"Reminders: {len(result.reminder_files)} list(s) under {settings.data_dir / 'reminders' / str(year)}."
    )
    print_scorecard(console, url, year, manifest)
    timings |= {f"airflow {k}": v for k, v in result.timings.items()}
    timings["total"] = time.monotonic() - started
    console.print("Timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()) + f"\nOutput: {out.resolve()}")
    if not result.ok:
        raise RuntimeError(
            "some runs failed: "
            + "; ".join(
                f"{s.dag_id} {s.logical_date[:16]} ({', '.join(s.failed_tasks)})"
                for s in result.steps
                if s.state != "success"
            )
        )
    return {"manifest": manifest, "timings": timings, "cycle": result}


def _season(
    year: int, folder: Path, seed: int, url: str, settings: Any, progress: Callable[[], Any], timings: dict[str, float]
) -> tuple[dict[str, Any], Any]:
    """Generate one province year, load the registry it assumes, ingest its submissions."""
    from welfare.generator.province import generate_province
    from welfare.intake.pipeline import ingest
    from welfare.registry import load_registry
    from welfare.warehouse import connect

    step = time.monotonic()
    with progress() as bar:
        task = bar.add_task(f"generating {year}", total=None)
        manifest = generate_province(
            folder,
            year,
            seed=seed,
            progress=lambda d, t, what: bar.update(task, completed=d, total=t, description=what),
        )
    timings[f"generate {year}"] = time.monotonic() - step
    with connect(url) as conn:
        load_registry(conn, folder / "registry.csv")
    step = time.monotonic()
    with progress() as bar:
        task = bar.add_task(f"intake {year}", total=None)
        summary = ingest(
            [folder / "submissions"],
            url=url,
            settings=settings,
            run_id=f"demo-{year}",
            progress=lambda d, t, what: bar.update(task, completed=d, total=t, description=what),
        )
    timings[f"intake {year}"] = time.monotonic() - step
    return manifest, summary


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%".replace(".", ",")


def print_scorecard(console: Console, url: str, year: int, manifest: dict[str, Any] | None = None) -> None:
    """Every indicator I01–I11 for the province against its target, from marts.indicator_values."""
    from welfare.warehouse import connect

    with connect(url) as conn:
        rows = conn.execute(
            """select indicator_code, value, target_value, target_comparator, status, coverage
               from marts.indicator_values
               where reporting_year = %s and org_level = 'province' order by indicator_code""",
            (year,),
        ).fetchall()
    truth = {}
    if manifest:
        truth = {
            r["indicator_code"]: r["value"] for r in manifest["expected_indicators"] if r["org_level"] == "province"
        }
    table = Table(title=f"Scorecard {year}: the province against the 2030 targets (marts.indicator_values)")
    for column in ("code", "indicator", "value", "target", "status", "coverage", "truth"):
        table.add_column(column, justify="left" if column == "indicator" else "right")
    colours = {"met": "green", "on_track": "yellow", "behind": "red"}
    for code, value, target, comparator, status, coverage in rows:
        ind = BY_CODE[code]
        shown = _percent(float(value) if value is not None else None)
        check = ""
        if code in truth:
            expected = truth[code]
            same = (expected is None and value is None) or (
                expected is not None and value is not None and abs(float(value) - expected) < 1e-9
            )
            check = "✓" if same else f"✗ {_percent(expected)}"
        status_text = f"[{colours.get(status or '', 'white')}]{status or '—'}[/]"
        table.add_row(
            code,
            ind.name_vi,
            shown,
            f"{comparator} {float(target) * 100:.0f}%",
            status_text,
            _percent(float(coverage) if coverage is not None else None),
            check,
        )
    console.print(table)
