"""`welfare`: the command line of the union-welfare monitoring platform.

Each subcommand does what the Airflow tasks do, so a data engineer can run any step by hand.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from welfare.calendar import DEFAULT_CALENDAR
from welfare.config import REFERENCE_DIR, get_settings

console = Console()
err = Console(stderr=True)
log = logging.getLogger("welfare")

app = typer.Typer(
    name="welfare",
    help=(
        "Monitoring platform for the Hà Tĩnh Labour Federation's action programme 04/CTr-LĐLĐ.\n\n"
        "Typical first steps: `welfare warehouse start`, `welfare registry load "
        "include/welfare/reference/registry_ha_tinh.csv`, `welfare generate --year 2025 --out out/2025`. "
        "`welfare demo` runs the whole cycle on generated data."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
warehouse_app = typer.Typer(
    help=(
        "Manage the warehouse. Without configuration it is an embedded PostgreSQL kept under the data folder "
        "(WELFARE_DATA_DIR, default ./data); with WAREHOUSE_URL set, that Postgres is used and nothing is started."
    ),
    no_args_is_help=True,
)
registry_app = typer.Typer(help="The unit registry (danh mục đơn vị): check it and load it.", no_args_is_help=True)
access_app = typer.Typer(help="Who may read what in the warehouse.", no_args_is_help=True)
app.add_typer(warehouse_app, name="warehouse")
app.add_typer(access_app, name="access")
app.add_typer(registry_app, name="registry")
landing_app = typer.Typer(
    help="The landing zone: where senders' files arrive (a folder, or object storage via WELFARE_LANDING_URL).",
    no_args_is_help=True,
)
app.add_typer(landing_app, name="landing")


class Scale(StrEnum):
    province = "province"
    national = "national"


class FormName(StrEnum):
    CDCS = "CDCS"
    CAPTREN = "CAPTREN"


def fail(message: str, code: int = 1) -> None:
    """Print an actionable error and exit non-zero."""
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal and os.environ.get("WELFARE_PROGRESS") != "1",
    )


@app.callback()
def main_options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show debug logging.")] = False,
) -> None:
    # The platform's own messages at INFO; the libraries' (Great Expectations, Cosmos …) only when they
    # warn, unless --verbose asks for everything.
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False, show_time=False)],
        force=True,
    )
    logging.getLogger("welfare").setLevel(logging.DEBUG if verbose else logging.INFO)


# --- warehouse ----------------------------------------------------------------------------------
@warehouse_app.command("start")
def warehouse_start() -> None:
    """Start the embedded warehouse (created on first use); with WAREHOUSE_URL set, check that Postgres."""
    from welfare.warehouse import WarehouseError, connect, embedded, redact, warehouse_url

    settings = get_settings()
    try:
        if settings.warehouse_url:
            with connect(settings.warehouse_url) as conn:
                version = conn.execute("show server_version").fetchone()
            console.print(
                f"Using WAREHOUSE_URL {redact(settings.warehouse_url)} (PostgreSQL {version[0] if version else '?'}); nothing started."
            )
            return
        server = embedded(settings)
        started = time.monotonic()
        url = warehouse_url(settings)
        console.print(
            f"Embedded warehouse running at [bold]{url}[/] (data in {server.pgdata}, "
            f"{time.monotonic() - started:.1f}s)."
        )
    except WarehouseError as exc:
        fail(str(exc))


@warehouse_app.command("stop")
def warehouse_stop() -> None:
    """Stop the embedded warehouse (its data stays in the data folder)."""
    from welfare.warehouse import WarehouseError, embedded

    settings = get_settings()
    if settings.warehouse_url:
        fail("WAREHOUSE_URL is set: that server is not managed by this project, so there is nothing to stop.")
    try:
        embedded(settings).stop()
    except WarehouseError as exc:
        fail(str(exc))
    console.print("Embedded warehouse stopped.")


@warehouse_app.command("status")
def warehouse_status() -> None:
    """Say which warehouse is configured and whether it answers (exit 1 if it does not)."""
    from welfare.warehouse import WarehouseError, connect, embedded, redact

    settings = get_settings()
    if settings.warehouse_url:
        target = settings.warehouse_url
        kind = "external (WAREHOUSE_URL)"
    else:
        server = embedded(settings)
        if not server.is_running():
            fail(f"the embedded warehouse in {server.root} is not running; start it with `welfare warehouse start`.")
        target, kind = server.url(), f"embedded ({server.pgdata})"
    try:
        with connect(target) as conn:
            row = conn.execute(
                "select current_database(), pg_size_pretty(pg_database_size(current_database())), "
                "(select count(*) from pg_namespace where nspname in ('registry', 'audit', 'raw', 'marts'))"
            ).fetchone()
    except WarehouseError as exc:
        fail(str(exc))
    assert row is not None
    console.print(
        f"Warehouse: {kind}\nURL: {redact(target)}\nDatabase: {row[0]} ({row[1]}), project schemas present: {row[2]}"
    )


@warehouse_app.command("url")
def warehouse_url_cmd() -> None:
    """Print the warehouse URL (libpq / SQLAlchemy form, e.g. `psql "$(welfare warehouse url)"`)."""
    from welfare.warehouse import WarehouseError, warehouse_url

    try:
        typer.echo(warehouse_url(start=True))
    except WarehouseError as exc:
        fail(str(exc))


@warehouse_app.command("psql", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def warehouse_psql(ctx: typer.Context) -> None:
    """Open psql on the warehouse; extra arguments go to psql (e.g. `welfare warehouse psql -c 'select 1'`)."""
    from welfare.warehouse import WarehouseError, _bin_dir, warehouse_url

    try:
        url = warehouse_url(start=True)
    except WarehouseError as exc:
        fail(str(exc))
        return
    psql = shutil.which("psql") or str(_bin_dir() / "psql")
    sys.stdout.flush()
    os.execv(psql, [psql, url, *ctx.args])  # noqa: S606 - replaces this process by design


# --- registry -----------------------------------------------------------------------------------
@registry_app.command("check")
def registry_check(
    file: Annotated[
        Path, typer.Argument(help="Registry CSV (FORMS.md columns, ISO dates).", exists=True, dir_okay=False)
    ],
) -> None:
    """Check a registry file without loading it: overlaps, unknown or inactive parents, cycles."""
    from welfare.registry import RegistryError, read_registry

    try:
        registry = read_registry(file)
    except RegistryError as exc:
        fail(str(exc))
        return
    console.print(f"{file}: {len(registry.intervals)} rows, {len(registry.codes())} units, no problems.")


@registry_app.command("load")
def registry_load(
    file: Annotated[Path, typer.Argument(help="Registry CSV (FORMS.md columns, ISO dates).", dir_okay=False)],
) -> None:
    """Check and load the unit registry into the warehouse, in one transaction.

    The file is the whole registry: one row per unit and validity interval. Loading the same file
    again changes nothing; a changed file becomes a new version and earlier versions stay queryable
    in registry.unit_versions. Any problem (overlapping intervals, unknown or inactive parent,
    cycle, bad date) is listed with its line, and nothing is loaded.
    """
    from welfare.registry import RegistryError, load_registry
    from welfare.warehouse import WarehouseError, connect

    if not file.exists():
        fail(
            f"{file} does not exist. The synthetic Hà Tĩnh registry ships as {REFERENCE_DIR / 'registry_ha_tinh.csv'}."
        )
    try:
        with connect() as conn:
            result = load_registry(conn, file)
    except (RegistryError, WarehouseError) as exc:
        fail(str(exc))
        return
    if result.already_loaded:
        console.print(f"{file.name} is already the current registry (load {result.load_id}); nothing changed.")
    else:
        console.print(f"Loaded {file.name}: {result.rows} rows for {result.units} units as load {result.load_id}.")


# --- landing -----------------------------------------------------------------------------------
@landing_app.command("sync")
def landing_sync(
    url: Annotated[
        str | None,
        typer.Argument(help="Object-store URL (s3://bucket/landing, gs://…, file://…); default: WELFARE_LANDING_URL."),
    ] = None,
) -> None:
    """Mirror the object-store landing zone into <data>/landing/ (what every intake run does first).

    Fetches only what is new or changed; each file keeps the object's time as its received time.
    Credentials come from the filesystem's own variables (AWS_* for s3fs) and
    WELFARE_LANDING_STORAGE_OPTIONS (JSON, e.g. {"endpoint_url": "http://minio:9000"}).
    Then: `welfare ingest <data>/landing`.
    """
    from welfare.landing_store import LandingStoreError, configured_url, mirror

    source = url or configured_url()
    if not source:
        fail("no object store to sync: give a URL or set WELFARE_LANDING_URL (e.g. s3://ldld-hatinh/landing).")
        return
    target = get_settings().landing_dir
    try:
        with console.status(f"mirroring {source} → {target}…"):
            result = mirror(source, target)
    except LandingStoreError as exc:
        fail(str(exc))
        return
    console.print(
        f"{source} → {target}: [green]{len(result.fetched)} fetched[/] ({result.bytes:,} bytes), "
        f"{result.unchanged} unchanged" + (f", [red]{len(result.too_large)} too large[/]" if result.too_large else "")
    )


# --- generate -----------------------------------------------------------------------------------
@app.command()
def generate(
    year: Annotated[int, typer.Option(help="Reporting year (2024–2030).")],
    out: Annotated[Path, typer.Option(help="Output folder: submissions/, registry.csv and manifest.json go here.")],
    scale: Annotated[
        Scale,
        typer.Option(
            help="province: one file per unit, every file type and quirk; "
            "national: ~130,000 reports as streamed bulk CSV."
        ),
    ] = Scale.province,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same bytes.")] = 1,
    grassroots: Annotated[int, typer.Option(help="national only: number of grassroots reports.")] = 130_000,
    support_rows: Annotated[int, typer.Option(help="national only: approximate number of support rows.")] = 2_000_000,
) -> None:
    """Generate a year of synthetic submissions with a truth manifest.

    Then: `welfare registry load OUT/registry.csv` and `welfare ingest OUT/submissions`.
    """
    if not DEFAULT_CALENDAR.is_defined(year):
        fail(
            f"--year {year} is outside the programme's calendar ({DEFAULT_CALENDAR.first_year}–{DEFAULT_CALENDAR.last_year})."
        )
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with progress_bar() as bar:
        task = bar.add_task("generating", total=None)

        def report(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, description=what)

        if scale == Scale.province:
            from welfare.generator.province import generate_province

            manifest = generate_province(out, year, seed=seed, progress=report)
        else:
            from welfare.generator.national import generate_national

            manifest = generate_national(
                out, year, seed=seed, grassroots=grassroots, support_rows=support_rows, progress=report
            )
    files = manifest["files"]
    assert isinstance(files, list)
    table = Table(title=f"{scale.value} year {year} (seed {seed}) in {time.monotonic() - started:.1f}s")
    table.add_column("file type")
    table.add_column("files", justify="right")
    table.add_column("expected rejected", justify="right")
    by_type: dict[str, list[int]] = {}
    for entry in files:
        suffix = Path(str(entry["path"])).suffix or "?"
        counts = by_type.setdefault(suffix, [0, 0])
        counts[0] += 1
        counts[1] += 0 if entry["expected_accepted"] else 1
    for suffix, (n, rejected) in sorted(by_type.items()):
        table.add_row(suffix, str(n), str(rejected))
    console.print(table)
    console.print(
        f"Registry: {out / 'registry.csv'}\nSubmissions: {out / 'submissions'}\nTruth manifest: {out / 'manifest.json'}"
    )


# --- ingest -------------------------------------------------------------------------------------
def print_ingest_summary(summary: Any, limit: int = 25) -> None:
    """The outcome table of an intake run (shared by `ingest` and `demo`)."""
    counts = summary.counts()
    table = Table(title=f"Intake batch {summary.batch_id}: {len(summary.files)} files")
    for column in ("state", "files"):
        table.add_column(column)
    for state in ("accepted", "accepted_with_warnings", "rejected", "duplicate"):
        table.add_row(state, str(counts.get(state, 0)))
    console.print(table)
    problems = [f for f in summary.files if f.state in ("rejected", "accepted_with_warnings")]
    if problems:
        detail = Table(title="Files with problems (first reason; full list in the feedback file)")
        for column in ("file", "state", "reason"):
            detail.add_column(column, overflow="fold")
        for outcome in problems[:limit]:
            first: dict[str, Any] = next((r for r in outcome.reasons if r.get("severity") in ("error", "warning")), {})
            where = f"[{first.get('cell')}] " if first.get("cell") else ""
            detail.add_row(
                outcome.path.name, outcome.state, f"{where}{first.get('rule', '')}: {first.get('message_en', '')}"
            )
        if len(problems) > limit:
            detail.add_row("…", "", f"{len(problems) - limit} more")
        console.print(detail)
    rows = ", ".join(f"{n} {t}" for t, n in sorted(summary.raw_rows.items())) or "none"
    seconds = ", ".join(f"{k} {v:.1f}s" for k, v in summary.seconds.items())
    console.print(f"Raw rows loaded: {rows}. Time: {seconds}.")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Submission files or folders (searched recursively).")],
    received_at: Annotated[
        str | None,
        typer.Option(
            help="Received time for every file, ISO 8601 (backfills and tests); default: each file's modification time."
        ),
    ] = None,
) -> None:
    """Register, check, parse, validate (Great Expectations) and load submissions as one batch.

    Every file ends in exactly one state: accepted, accepted_with_warnings, rejected (with every
    reason, cell by cell, in Vietnamese and English; feedback written beside the kept original) or
    duplicate. A batch loads in one transaction: nothing is half-loaded. Exit 0 when every file
    reached a state (a rejection is an outcome), non-zero only when the run could not proceed.
    Needs WELFARE_PSEUDONYM_KEY (64 hex characters) to pseudonymise citizen IDs.
    """
    from datetime import datetime

    from welfare.config import TIMEZONE
    from welfare.intake.pipeline import IntakeError
    from welfare.intake.pipeline import ingest as run_ingest
    from welfare.intake.pseudonym import MissingKeyError
    from welfare.warehouse import WarehouseError

    when = None
    if received_at:
        try:
            when = datetime.fromisoformat(received_at)
        except ValueError:
            fail(f"--received-at '{received_at}' is not ISO 8601 (e.g. 2025-11-04T09:30:00+07:00).")
            return
        if when.tzinfo is None:
            when = when.replace(tzinfo=TIMEZONE)
    with progress_bar() as bar:
        task = bar.add_task("intake", total=None)
        try:
            summary = run_ingest(
                paths,
                received_at=when,
                run_id=f"cli-{int(time.time())}",
                progress=lambda d, t, what: bar.update(task, completed=d, total=t, description=what),
            )
        except (IntakeError, MissingKeyError, WarehouseError) as exc:
            fail(str(exc))
            return
    print_ingest_summary(summary)


# --- access -------------------------------------------------------------------------------------
@access_app.command("create-reader")
def access_create_reader(
    unit: Annotated[str, typer.Option(help="The upper-level union (CAP_TREN code) the reader may see, e.g. CUM_TT.")],
    role: Annotated[str, typer.Option(help="Login role to create, e.g. reader_cum_tt.")],
    password: Annotated[str | None, typer.Option(help="Password to set; default: a random one, printed once.")] = None,
) -> None:
    """Create a login role that sees in the marts only one upper-level union and its grassroots units.

    Row-level security (FORCEd, re-applied after every dbt build) confines it; it cannot read
    raw, audit, restricted or registry tables. Running it again for an existing reader re-scopes it.
    """
    from welfare.access import AccessError, create_reader
    from welfare.warehouse import WarehouseError, connect, warehouse_url

    try:
        with connect() as conn:
            reader = create_reader(conn, unit, role, password)
        url = warehouse_url()
    except (AccessError, WarehouseError) as exc:
        fail(str(exc))
        return
    console.print(
        f"Reader [bold]{reader.role}[/] sees {reader.unit} and its grassroots units "
        f"({reader.policies} marts tables under row-level security)."
    )
    if reader.password:
        console.print(f"Password (shown once): {reader.password}")
    host = url.split("@", 1)[-1]
    console.print(f"Connect: psql 'postgresql://{reader.role}@{host}'")


# --- build --------------------------------------------------------------------------------------
@app.command()
def build(
    select: Annotated[
        str | None,
        typer.Option(help="dbt node selection, e.g. 'marts.indicator_values+' or '+fct_support'. Default: everything."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Only the summary, not dbt's line per node.")] = False,
) -> None:
    """Run `dbt build` on the warehouse: models, seeds, data tests and unit tests, in dependency order.

    dbt prints a line per node as it goes (N of M); the summary counts models, tests passed,
    failed and warned. Exit 1 when a model or test failed, with the failures listed.
    """
    from welfare.build import BuildError, run_dbt
    from welfare.warehouse import WarehouseError

    args = ["build"]
    if select:
        args += ["--select", select]
    if quiet:
        args.append("--quiet")
    try:
        result = run_dbt(args)
    except (BuildError, WarehouseError) as exc:
        fail(str(exc))
        return
    console.print(result.summary())
    if not result.success:
        for failure in result.failures[:20]:
            err.print(f"  - {failure}")
        fail("dbt build failed; fix the models or data named above (details in dbt_project/logs/dbt.log).")


# --- docs ---------------------------------------------------------------------------------------
@app.command()
def docs(
    out: Annotated[
        Path | None, typer.Option(help="Folder for the site (default: the data folder's dbt-docs/).")
    ] = None,
    serve: Annotated[
        bool, typer.Option("--serve", help="Serve the site on http://127.0.0.1:PORT after writing it.")
    ] = False,
    port: Annotated[int, typer.Option(help="Port for --serve.")] = 8080,
) -> None:
    """Write the dbt documentation site (every model, column, test, lineage and exposure) and optionally serve it.

    The site reads catalog.json and manifest.json next to index.html, so open it through --serve
    (browsers refuse to load them from file://).
    """
    from welfare.build import BuildError, run_dbt
    from welfare.warehouse import WarehouseError

    target = out or get_settings().data_dir / "dbt-docs"
    try:
        result = run_dbt(["docs", "generate", "--quiet"], target_path=target)
    except (BuildError, WarehouseError) as exc:
        fail(str(exc))
        return
    if not result.success or not (target / "index.html").exists():
        fail("dbt docs generate failed; run `welfare build` first and see dbt_project/logs/dbt.log.")
    console.print(f"Documentation site written to {target / 'index.html'}")
    if serve:
        import functools
        import http.server

        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(target))
        with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
            console.print(f"Serving on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
            with contextlib.suppress(KeyboardInterrupt):
                server.serve_forever()


# --- template -----------------------------------------------------------------------------------
@app.command()
def template(
    form: Annotated[FormName, typer.Option(help="CDCS (grassroots) or CAPTREN (upper level).")],
    unit: Annotated[str, typer.Option(help="Unit code (ma_don_vi) from the registry, e.g. CS00412 or CUM_TT.")],
    year: Annotated[int, typer.Option(help="Reporting year.")],
    out: Annotated[Path, typer.Option(help="Where to write the .xlsx template.")],
    registry_file: Annotated[
        Path | None,
        typer.Option("--registry", help="Registry CSV to look the unit up in (default: the shipped Hà Tĩnh registry)."),
    ] = None,
) -> None:
    """Write the official .xlsx template for one unit and year, identification pre-filled.

    Drop-downs for flags and code lists, input cells unlocked and everything else protected.
    """
    from welfare.forms import Form
    from welfare.registry import RegistryError, read_registry
    from welfare.workbooks import write_template

    if not DEFAULT_CALENDAR.is_defined(year):
        fail(
            f"--year {year} is outside the programme's calendar ({DEFAULT_CALENDAR.first_year}–{DEFAULT_CALENDAR.last_year})."
        )
    try:
        registry = read_registry(registry_file or REFERENCE_DIR / "registry_ha_tinh.csv")
    except RegistryError as exc:
        fail(str(exc))
        return
    start, end = DEFAULT_CALENDAR.period(year)
    history = registry.history(unit)
    if not history:
        fail(f"unit {unit} is not in the registry; check the code (e.g. `grep {unit} registry.csv`).")
    level = "CDCS" if form == FormName.CDCS else "CAP_TREN"
    in_period = [h for h in history if h.overlaps(start, end)]
    if not in_period:
        fail(f"unit {unit} is not active in the {year} reporting period ({start:%d/%m/%Y}–{end:%d/%m/%Y}).")
    current = in_period[-1]
    if current.cap != level:
        fail(f"unit {unit} is a {current.cap} unit; use --form {'CDCS' if current.cap == 'CDCS' else 'CAPTREN'}.")
    if out.suffix.lower() != ".xlsx":
        fail("--out must end in .xlsx (the template is an Excel workbook).")
    out.parent.mkdir(parents=True, exist_ok=True)
    info: dict[str, object] = {
        "ma_don_vi": current.ma_don_vi,
        "ten_don_vi": current.ten_don_vi,
        "ma_cap_tren": current.ma_cap_tren if form == FormName.CDCS else None,
        "nam_bao_cao": year,
        "email": current.email,
    }
    write_template(out, Form(form.value), info)
    console.print(f"Template for {current.ten_don_vi} ({unit}), {form.value} {year}: {out}")


# --- demo ---------------------------------------------------------------------------------------
@app.command()
def demo(
    year: Annotated[int, typer.Option(help="Reporting year to run.")] = 2025,
    out: Annotated[Path, typer.Option(help="Folder for generated submissions, feedback and reports.")] = Path(
        "out/demo"
    ),
    seed: Annotated[int, typer.Option(help="Random seed of the generated province.")] = 1,
    baseline: Annotated[
        bool,
        typer.Option(
            help="Also generate and load the 2024 baseline year first, so each "
            "indicator's status (met / on track / behind) can be judged."
        ),
    ] = True,
    airflow: Annotated[
        bool,
        typer.Option(
            "--airflow/--direct",
            help="--airflow (default): replay the season through the Airflow DAGs with dag.test() — reference "
            "data, intake in waves as files land, reminders, the warehouse through Cosmos, the annual reports "
            "with an automatic sign-off. --direct: call each step without Airflow (a quicker look, same marts).",
        ),
    ] = True,
) -> None:
    """Run the annual cycle on generated data, through the Airflow DAGs, ending in reports and a scorecard.

    Generates the 2024 baseline (loaded directly) and the year, lands the year's files over a simulated
    season and runs reference_data, intake, reminders, warehouse and annual_reports at the calendar's
    moments with dag.test(); prints every run, the report files and the scorecard (I01–I11 for the
    province against the 2030 targets, checked against the generator's truth). Works on a fresh
    warehouse (embedded by default, WAREHOUSE_URL honoured). Output: DIR/submissions (the generated
    files), DIR/manifest.json (the truth), DIR/cycle.json (the runs), the data folder's archive/,
    feedback/, reminders/, reports/, datadocs/ and the marts in the warehouse.
    """
    from welfare.demo import run_demo

    try:
        if airflow:
            from welfare.demo import run_demo_through_airflow

            run_demo_through_airflow(
                year=year, out=out, seed=seed, console=console, progress=progress_bar, baseline=baseline
            )
        else:
            run_demo(year=year, out=out, seed=seed, console=console, progress=progress_bar, baseline=baseline)
    except Exception as exc:
        log.debug("demo failed", exc_info=True)
        fail(f"the demo stopped: {exc}. Run again with -v for details.")


# --- report -------------------------------------------------------------------------------------
@app.command()
def report(
    year: Annotated[int, typer.Option(help="Reporting year (period 01/11 of the year before – 31/10).")],
    out: Annotated[
        Path | None, typer.Option(help="Folder for the reports (default: the data folder's reports/).")
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option(help="Only this report: the province's code or an upper-level union's (default: all of them)."),
    ] = None,
    draft: Annotated[bool, typer.Option("--draft", help='Mark every page and sheet "DỰ THẢO".')] = False,
    snapshot_id: Annotated[
        int | None,
        typer.Option(
            "--snapshot", help="Build from this recorded snapshot (audit.report_snapshots) instead of a new one."
        ),
    ] = None,
) -> None:
    """Build the annual reports (PDF, Excel, indicator CSV/Parquet) from the marts.

    Takes a snapshot of the marts first (reused when nothing changed), so the files say which data they show.
    A new build never overwrites an earlier file: the version counter in the file name goes up.
    """
    from welfare.reports import ReportError, build_reports
    from welfare.reports.fonts import FontError
    from welfare.reports.snapshot import get_snapshot
    from welfare.warehouse import WarehouseError, connect

    logging.getLogger("fontTools").setLevel(logging.WARNING)
    target = out or get_settings().reports_dir
    try:
        chosen = None
        if snapshot_id is not None:
            with connect() as conn:
                chosen = get_snapshot(conn, snapshot_id)
        files = build_reports(year, target, unit=unit, draft=draft, snapshot=chosen)
    except (ReportError, FontError, WarehouseError) as exc:
        fail(str(exc))
        return
    table = Table(title=f"Reports {year}" + (" (draft)" if draft else ""))
    for column in ("unit", "kind", "file", "sha256"):
        table.add_column(column)
    for f in files:
        table.add_row(f.unit_code, f.kind, f.path.name, f.sha256[:16])
    console.print(table)
    if files:
        console.print(f"Snapshot {files[0].snapshot_id}; {len(files)} files under {target}/{year}/.")


# --- airflow ------------------------------------------------------------------------------------
@app.command("airflow")
def airflow_cmd(
    port: Annotated[int, typer.Option(help="Port of the Airflow UI and API (127.0.0.1 only).")] = 8080,
    init_only: Annotated[
        bool,
        typer.Option("--init-only", help="Prepare the metadata database and users, print the login, start nothing."),
    ] = False,
) -> None:
    """Start Airflow locally on this warehouse: api-server, scheduler, dag-processor, triggerer.

    AIRFLOW_HOME is the data folder's airflow/; Airflow's metadata live in a database `airflow` on the
    warehouse's PostgreSQL (the embedded one by default; AIRFLOW__DATABASE__SQL_ALCHEMY_CONN overrides);
    the DAGs are the checkout's dags/, the connection `welfare_warehouse` points at the same warehouse.
    Users come from the simple auth manager: `admin`, and `approver` who signs the provincial report off.
    Ctrl-C stops everything it started. DAGs start paused: unpause them in the UI.
    """
    from welfare.orchestration.local import COMPONENTS, LocalAirflowError, local_airflow
    from welfare.warehouse import WarehouseError, redact

    try:
        airflow = local_airflow(port=port)
        with console.status("airflow db migrate…"):
            airflow.migrate()
    except (LocalAirflowError, WarehouseError) as exc:
        fail(str(exc))
        return
    passwords = airflow.passwords()
    login = Table(title="Airflow (local)", show_header=False)
    login.add_column("what")
    login.add_column("value", overflow="fold")
    login.add_row("UI", airflow.base_url)
    for user, role in airflow.users.items():
        login.add_row(f"user {user} ({role})", passwords[user])
    login.add_row("passwords file", str(airflow.passwords_file))
    login.add_row("AIRFLOW_HOME", str(airflow.home))
    login.add_row("metadata database", redact(airflow.metadata_url))
    login.add_row("warehouse (welfare_warehouse)", redact(airflow.warehouse_url))
    login.add_row("logs", str(airflow.home / "logs"))
    if init_only:
        console.print(login)
        return
    processes = airflow.start()
    # `kill` (SIGTERM) stops the children too, like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with console.status(f"starting {', '.join(COMPONENTS)}…"):
        up = airflow.wait_until_up()
    console.print(login)
    if not up:
        err.print(f"[yellow]the api-server did not answer yet; see {airflow.home / 'logs' / 'api-server.log'}[/]")
    console.print("Running; Ctrl-C stops Airflow.")
    try:
        while all(p.poll() is None for p in processes.values()):
            time.sleep(2)
        dead = [name for name, p in processes.items() if p.poll() is not None]
        err.print(f"[red]{', '.join(dead)} stopped; see {airflow.home / 'logs'}[/]")
    except (KeyboardInterrupt, SystemExit):
        console.print("Stopping Airflow…")
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
