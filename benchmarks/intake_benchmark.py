"""Intake benchmark: generated submissions → a fresh embedded warehouse, timed stage by stage.

    python benchmarks/intake_benchmark.py --scale national --year 2025
    python benchmarks/intake_benchmark.py --scale province --year 2025

The data is generated under `--out` when it is not there yet (in a child process, so the
generator's memory is not counted). A fresh PostgreSQL cluster is started under a temporary
folder, the registry loaded, and the submissions ingested: province scale through
`welfare.intake.pipeline.ingest` (workbooks and bulk CSV, file by file), national scale through
the bulk path `welfare.intake.bulk.ingest_bulk`. Printed and written to `--results` as JSON:
files/s, rows/s, seconds per stage, CPU seconds, peak memory, and the load compared with a plain
`COPY` of the same rows (the rows the load wrote to raw.* and restricted.*, copied out to CSV and
back into empty tables with the same columns and no index or constraint).

Wall-clock figures depend on what else runs on the machine: the load average at start and end
is recorded beside them, and CPU seconds of this process are given for comparison.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = ROOT / "benchmarks" / "results"
LOADED_TABLES = ("raw.cdcs_reports", "raw.captren_reports", "raw.support_cases", "restricted.support_people")
BENCH_KEY = "be" * 32  # a throwaway pseudonymisation key: the data is synthetic and the database temporary

log = logging.getLogger("intake_benchmark")


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _generate(scale: str, year: int, out: Path, seed: int) -> None:
    """Generate the submissions in a child process (its memory is not the intake's)."""
    if (out / "registry.csv").exists() and (out / "submissions").exists():
        return
    log.info("generating %s %s under %s (first run only)", scale, year, out)
    if scale == "national":
        code = (
            "from pathlib import Path; from welfare.generator.national import generate_national; "
            f"generate_national(Path({str(out)!r}), {year}, seed={seed})"
        )
    else:
        code = (
            "from pathlib import Path; from welfare.generator.province import generate_province; "
            f"generate_province(Path({str(out)!r}), {year}, seed={seed})"
        )
    subprocess.run([sys.executable, "-c", code], check=True)


def _input_rows(submissions: Path) -> dict[str, int]:
    """Data rows in the CSV files (reports and support cases) and the number of files."""
    files = [p for p in submissions.rglob("*") if p.is_file() and not p.name.startswith(".")]
    rows = 0
    for path in files:
        if path.suffix.lower() != ".csv":
            continue
        raw = path.read_bytes()
        text_rows = raw.count(b"\n") if raw[:2] not in (b"\xff\xfe", b"\xfe\xff") else raw.count(b"\n\x00")
        rows += max(0, text_rows - 1)
    return {"files": len(files), "csv_rows": rows}


def _plain_copy(url: str, scratch: Path) -> dict[str, Any]:
    """COPY every loaded raw row out to CSV, then time COPY back into empty tables with the same columns."""
    import psycopg

    per_table: dict[str, dict[str, float | int]] = {}
    total = 0.0
    with psycopg.connect(url, autocommit=True) as conn:
        for table in LOADED_TABLES:
            schema, name = table.split(".")
            columns = [
                r[0]
                for r in conn.execute(
                    "select column_name from information_schema.columns where table_schema = %s and table_name = %s "
                    "and column_name <> 'loaded_at' order by ordinal_position",
                    (schema, name),
                )
            ]
            listed = ", ".join(columns)
            dump = scratch / f"{name}.csv"
            query = f"copy (select {listed} from {table}) to stdout (format csv)"
            with dump.open("wb") as handle, conn.cursor().copy(query) as copy:
                for data in copy:
                    handle.write(data)
            target = f"bench_plain_{name}"
            conn.execute(f"drop table if exists {target}")
            conn.execute(f"create table {target} (like {table} including defaults)")
            counted = conn.execute(f"select count(*) from {table}").fetchone()
            rows = counted[0] if counted else 0
            started = time.monotonic()
            query = f"copy {target} ({listed}) from stdin (format csv)"
            with conn.transaction(), dump.open("rb") as handle, conn.cursor().copy(query) as copy:
                while chunk := handle.read(8 << 20):
                    copy.write(chunk)
            seconds = time.monotonic() - started
            conn.execute(f"drop table {target}")
            dump.unlink()
            per_table[table] = {"rows": rows, "seconds": round(seconds, 3)}
            total += seconds
    return {"seconds": round(total, 3), "tables": per_table}


def run(args: argparse.Namespace) -> dict[str, Any]:
    import psycopg

    out = (args.out or ROOT / "data" / "benchmarks" / f"{args.scale}-{args.year}").resolve()
    _generate(args.scale, args.year, out, args.seed)
    submissions = out / "submissions"
    os.environ.setdefault("WELFARE_PSEUDONYM_KEY", BENCH_KEY)

    from welfare.config import Settings
    from welfare.registry import load_registry
    from welfare.warehouse import EmbeddedPostgres

    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start()
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as temp:
        root = Path(temp)
        server = EmbeddedPostgres(root / "warehouse")
        server.start()
        try:
            name = f"bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
                conn.execute(f'create database "{name}"')
            url = server.url(name)
            settings = Settings(data_dir=root / "data", warehouse_url=url)
            with psycopg.connect(url) as conn:
                load_registry(conn, out / "registry.csv")
            load_before = os.getloadavg()
            cpu_before, rss_before = _cpu_seconds(), _maxrss_mb()
            started = time.monotonic()
            if args.scale == "national":
                from welfare.intake.bulk import ingest_bulk

                folders = sorted(p for p in submissions.iterdir() if p.is_dir())
                summary = ingest_bulk(
                    folders, url=url, settings=settings, run_id="benchmark", history=not args.no_history
                )
            else:
                from welfare.intake.pipeline import ingest

                summary = ingest([submissions], url=url, settings=settings, run_id="benchmark")
            wall = time.monotonic() - started
            cpu = _cpu_seconds() - cpu_before
            peak_rss = _maxrss_mb()
            load_after = os.getloadavg()
            traced = None
            if args.tracemalloc:
                import tracemalloc

                traced = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
            arrow_peak = None
            if "pyarrow" in sys.modules:
                import pyarrow as pa

                arrow_peak = pa.default_memory_pool().max_memory() / 2**20
            with psycopg.connect(url) as conn:
                states: dict[str, int] = dict(
                    conn.execute("select state, count(*) from audit.submissions group by state").fetchall()
                )
                loaded = {
                    table: conn.execute(f"select count(*) from {table}").fetchone()[0]  # type: ignore[index]
                    for table in LOADED_TABLES
                }
            baseline = _plain_copy(url, root)
        finally:
            server.stop()

    inputs = _input_rows(submissions)
    seconds = {k: round(v, 3) for k, v in summary.seconds.items()}
    stages = {
        "register": seconds.get("register", 0.0),
        "read": round(seconds.get("read", 0.0) + seconds.get("pseudonymise", 0.0), 3),
        "validate": seconds.get("validate", 0.0),
        "load": seconds.get("load", 0.0),
    }
    # CPU seconds of this process per stage (bulk path only): independent of what else runs.
    cpu_stages = {
        "read": round(seconds.get("cpu.read", 0.0) + seconds.get("cpu.pseudonymise", 0.0), 3),
        "validate": seconds.get("cpu.validate", 0.0),
        "load": seconds.get("cpu.load", 0.0),
    }
    loaded_rows = sum(loaded.values())
    load_seconds = stages["load"] or float("nan")
    result: dict[str, Any] = {
        "scale": args.scale,
        "year": args.year,
        "path": "bulk.ingest_bulk" if args.scale == "national" else "pipeline.ingest",
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_start": [round(x, 2) for x in load_before],
            "load_average_end": [round(x, 2) for x in load_after],
        },
        "input": inputs,
        "files": summary.counts(),
        "submission_states": states,
        "rows_loaded": loaded,
        "seconds": {"total": round(wall, 3), **stages, "detail": seconds},
        "cpu_seconds": round(cpu, 2),
        "cpu_seconds_by_stage": cpu_stages if any(cpu_stages.values()) else None,
        "throughput": {
            "files_per_s": round(inputs["files"] / wall, 2),
            "input_rows_per_s": round(inputs["csv_rows"] / wall, 1),
            "loaded_rows_per_s": round(loaded_rows / wall, 1),
        },
        "share": {
            "validate_of_total": round(stages["validate"] / wall, 3),
            "load_of_total": round(stages["load"] / wall, 3),
        },
        "memory_mb": {
            "peak_rss": round(peak_rss, 1),
            "rss_before_intake": round(rss_before, 1),
            "arrow_pool_peak": None if arrow_peak is None else round(arrow_peak, 1),
            "tracemalloc_peak": None if traced is None else round(traced, 1),
        },
        "plain_copy": baseline,
        "load_vs_plain_copy": {
            "load_seconds": stages["load"],
            "plain_copy_seconds": baseline["seconds"],
            "load_throughput_share_of_plain_copy": round(float(baseline["seconds"]) / load_seconds, 3),
        },
    }
    return result


def _table(result: dict[str, Any]) -> str:
    s = result["seconds"]
    t = result["throughput"]
    m = result["memory_mb"]
    c = result["load_vs_plain_copy"]
    share = result["share"]
    rows = [
        ("scale / path", f"{result['scale']} {result['year']} / {result['path']}"),
        ("input", f"{result['input']['files']} files, {result['input']['csv_rows']:,} CSV rows"),
        ("files", ", ".join(f"{k} {v}" for k, v in result["files"].items())),
        ("submissions", ", ".join(f"{k} {v:,}" for k, v in result["submission_states"].items()) or "-"),
        ("rows loaded", ", ".join(f"{k} {v:,}" for k, v in result["rows_loaded"].items())),
        ("total", f"{s['total']:.1f} s wall, {result['cpu_seconds']:.1f} s CPU (this process)"),
        (
            "stages",
            f"register {s['register']:.1f} s · read {s['read']:.1f} s · validate {s['validate']:.1f} s "
            f"({share['validate_of_total']:.0%}) · load {s['load']:.1f} s ({share['load_of_total']:.0%})",
        ),
        *(
            [("CPU by stage", " · ".join(f"{k} {v:.1f} s" for k, v in result["cpu_seconds_by_stage"].items()))]
            if result["cpu_seconds_by_stage"]
            else []
        ),
        (
            "throughput",
            f"{t['files_per_s']} files/s · {t['input_rows_per_s']:,.0f} input rows/s · {t['loaded_rows_per_s']:,.0f} loaded rows/s",
        ),
        (
            "memory",
            f"peak RSS {m['peak_rss']:.0f} MB (before intake {m['rss_before_intake']:.0f} MB), "
            f"Arrow pool peak {m['arrow_pool_peak'] or 0:.0f} MB"
            + (f", tracemalloc peak {m['tracemalloc_peak']:.0f} MB" if m["tracemalloc_peak"] else ""),
        ),
        (
            "load vs COPY",
            f"load {c['load_seconds']:.1f} s vs plain COPY {c['plain_copy_seconds']:.1f} s of the same rows → "
            f"load throughput {c['load_throughput_share_of_plain_copy']:.0%} of plain COPY",
        ),
        ("load average", f"{result['machine']['load_average_start']} → {result['machine']['load_average_end']}"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=("province", "national"), default="national")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--out",
        type=Path,
        help="where the generated data is (generated if missing); default data/benchmarks/SCALE-YEAR",
    )
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="folder for the JSON figures")
    parser.add_argument("--no-history", action="store_true", help="national: skip year-over-year and outlier context")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace Python allocations (slows the Python parts)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("great_expectations", "py.warnings"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    import warnings

    warnings.filterwarnings("ignore", module=r"great_expectations(\..*)?$")
    result = run(args)
    args.results.mkdir(parents=True, exist_ok=True)
    target = args.results / f"intake-{args.scale}-{args.year}-{datetime.now():%Y%m%dT%H%M%S}.json"
    target.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    print(_table(result))
    print(f"\nfigures: {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
