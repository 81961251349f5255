"""Benchmark the dbt build on a generated province year (a script, not a test).

    .venv/bin/python benchmarks/dbt_benchmark.py [--year 2025] [--seed 1]

Measures, on a fresh embedded database: the first `dbt build` (cold parse), a second one (warm
partial parse, nothing changed), and after one corrected resubmission is ingested: a full
`dbt build` and `dbt run` only. Prints a table and writes benchmarks/results/dbt-<year>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="dbt-bench-"))
    os.environ.setdefault("WELFARE_PSEUDONYM_KEY", "ab" * 32)

    import psycopg
    from welfare.build import run_dbt
    from welfare.config import TIMEZONE, Settings
    from welfare.generator.province import generate_province
    from welfare.intake.parse import parse_workbook
    from welfare.intake.pipeline import ingest
    from welfare.registry import load_registry
    from welfare.warehouse import EmbeddedPostgres
    from welfare.workbooks import write_report

    server = EmbeddedPostgres(root / "warehouse")
    server.start()
    url = server.url()
    settings = Settings(data_dir=root / "data", warehouse_url=url)
    manifest = generate_province(root / "season", args.year, seed=args.seed)
    with psycopg.connect(url) as conn:
        load_registry(conn, root / "season" / "registry.csv")
    ingest([root / "season" / "submissions"], url=url, settings=settings, run_id="bench")
    target, logs = root / "target", root / "logs"
    figures: dict[str, float] = {}

    def timed(name: str, command: list[str]) -> None:
        started = time.monotonic()
        result = run_dbt(command, url=url, target_path=target, log_path=logs)
        figures[name] = round(time.monotonic() - started, 2)
        assert result.success, result.failures

    timed("build_cold", ["build", "--quiet"])
    timed("build_warm", ["build", "--quiet"])
    entry = next(
        f
        for f in manifest["files"]
        if f["kind"] == "workbook" and f["expected_accepted"] and not f["expected_rules"] and f["form"] == "CDCS"
    )
    content = parse_workbook(root / "season" / entry["path"]).content()
    content.figures["dv_duoc_thong_tin"] = content.figures["tong_doan_vien"]
    content.info["ngay_lap"] = None
    write_report(root / "fix.xlsx", content)
    ingest(
        [root / "fix.xlsx"],
        url=url,
        settings=settings,
        run_id="fix",
        received_at=datetime(args.year, 11, 20, 9, tzinfo=TIMEZONE),
    )
    timed("resubmission_build", ["build", "--quiet"])
    timed("resubmission_run_only", ["run", "--quiet"])
    server.stop()
    load = os.getloadavg()
    result = {"year": args.year, "seconds": figures, "cpus": os.cpu_count(), "load_average": load}
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"dbt-{args.year}.json").write_text(json.dumps(result, indent=1))
    for name, seconds in figures.items():
        print(f"{name:24s} {seconds:8.2f} s")
    print(f"load average during the run: {load[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
