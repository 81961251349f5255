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


def run_demo(year: int, out: Path, seed: int, console: Console, progress: Callable[[], Any]) -> dict[str, object]:
    from welfare.generator.province import generate_province
    from welfare.registry import load_registry
    from welfare.warehouse import connect, redact, warehouse_url

    timings: dict[str, float] = {}
    started = time.monotonic()
    url = warehouse_url()
    timings["warehouse"] = time.monotonic() - started
    console.rule(f"[bold]Annual cycle {year}[/] — warehouse {redact(url)}")

    step = time.monotonic()
    with progress() as bar:
        task = bar.add_task("generating submissions", total=None)
        manifest = generate_province(
            out, year, seed=seed, progress=lambda d, t, what: bar.update(task, completed=d, total=t, description=what)
        )
    timings["generate"] = time.monotonic() - step

    step = time.monotonic()
    with connect(url) as conn:
        loaded = load_registry(conn, out / "registry.csv")
    timings["registry"] = time.monotonic() - step
    console.print(
        f"Registry: {loaded.units} units ({'already loaded' if loaded.already_loaded else f'load {loaded.load_id}'})."
    )

    from welfare.config import get_settings
    from welfare.intake.pipeline import ingest
    from welfare.intake.pseudonym import ensure_demo_key

    settings = get_settings()
    ensure_demo_key(settings.data_dir)  # the demo's own local key; anything else must be given one
    step = time.monotonic()
    with progress() as bar:
        task = bar.add_task("intake", total=None)
        summary = ingest(
            [out / "submissions"],
            url=url,
            settings=settings,
            run_id=f"demo-{year}",
            progress=lambda d, t, what: bar.update(task, completed=d, total=t, description=what),
        )
    timings["intake"] = time.monotonic() - step
    from welfare.cli import print_ingest_summary

    print_ingest_summary(summary, limit=10)

    files: list[dict[str, Any]] = manifest["files"]  # type: ignore[assignment]
    kinds = Counter(Path(f["path"]).suffix for f in files)
    rejected = sum(1 for f in files if not f["expected_accepted"])
    console.print(
        f"Submissions generated: {len(files)} files ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}); "
        f"{rejected} are built to be rejected or recognised as duplicates."
    )
    expected: dict[str, int] = manifest["expected_units"]  # type: ignore[assignment]
    reports: list[dict[str, Any]] = manifest["reports"]  # type: ignore[assignment]
    table = Table(title=f"Season {year}: reports the generator expects to count")
    for column in ("form", "expected", "received", "on time", "late"):
        table.add_column(column, justify="right" if column != "form" else "left")
    for form in ("CDCS", "CAPTREN"):
        mine = [r for r in reports if r["form"] == form]
        on_time = sum(1 for r in mine if r["is_on_time"])
        table.add_row(form, str(expected[form]), str(len(mine)), str(on_time), str(len(mine) - on_time))
    console.print(table)

    scorecard = Table(title=f"Scorecard {year} (expected province values from the truth manifest)")
    for column in ("code", "indicator", "value", "target"):
        scorecard.add_column(column)
    for row in manifest["expected_indicators"]:  # type: ignore[attr-defined]
        if row["org_level"] != "province":
            continue
        ind = BY_CODE[row["indicator_code"]]
        value = "—" if row["value"] is None else f"{row['value'] * 100:.1f}%".replace(".", ",")
        scorecard.add_row(ind.code, ind.name_vi, value, f"{ind.comparator} {ind.target * 100:.0f}%")
    console.print(scorecard)
    timings["total"] = time.monotonic() - started
    console.print("Timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()) + f"\nOutput: {out.resolve()}")
    return {"manifest": manifest, "timings": timings}
