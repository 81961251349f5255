"""Peak memory and time of reading each file of the hostile corpus (tests/hostile.py), one process per file.

    python benchmarks/hostile_memory.py [--top 10]

Each file goes through what intake does before validation (`safety.check_file`, then the workbook
or CSV parser and every CSV row) in a fresh Python process; its peak RSS (including the capped
child process that opens .xls files) and wall time are printed, worst first, and written as JSON
to `--results`. The baseline is the same process reading an empty file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = ROOT / "benchmarks" / "results" / "hostile_memory.json"

_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from welfare.intake.parse import FileRejected, parse_csv, parse_workbook
    from welfare.intake.safety import check_file

    path = Path(sys.argv[1])
    outcome = "empty baseline"
    if path.stat().st_size or path.suffix:
        refusal = check_file(path)
        if refusal is not None:
            outcome = f"refused {refusal.rule}"
        else:
            try:
                if path.suffix == ".csv":
                    outcome = f"parsed {sum(1 for _ in parse_csv(path))} rows"
                else:
                    outcome = f"parsed {parse_workbook(path).form.value}"
            except FileRejected as exc:
                outcome = f"rejected {exc.code}"
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"outcome": outcome, "peak_mb": round(max(own, children), 1)}))
    """
)


def measure(path: Path) -> dict[str, object]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=False)
    seconds = round(time.monotonic() - started, 2)
    if done.returncode != 0:
        return {
            "outcome": f"CRASHED ({done.returncode}): {done.stderr.strip()[-200:]}",
            "peak_mb": None,
            "seconds": seconds,
        }
    return json.loads(done.stdout.strip().splitlines()[-1]) | {"seconds": seconds}


def build_corpus_into(folder: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from hostile import build_corpus  # the corpus the tests use

    corpus = build_corpus(folder / "landing")
    index = [{"name": e.name, "description": e.description, "path": str(e.path)} for e in corpus if e.path]
    (folder / "corpus.json").write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--build-corpus", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_corpus:
        build_corpus_into(args.build_corpus)
        return 0
    with tempfile.TemporaryDirectory(prefix="welfare-hostile-") as folder:
        # The corpus is built in a child: on Linux a process forked from a big parent starts with the
        # parent's peak RSS, so the measuring parent must stay small.
        index = Path(folder) / "corpus.json"
        subprocess.run([sys.executable, __file__, "--build-corpus", folder], check=True)
        corpus = json.loads(index.read_text(encoding="utf-8"))
        empty = Path(folder) / "baseline"
        empty.write_bytes(b"")
        baseline = measure(empty)
        rows = [{"file": e["name"], "description": e["description"], **measure(Path(e["path"]))} for e in corpus]
    rows.sort(key=lambda r: -(r["peak_mb"] or 1e9))
    crashed = [r for r in rows if r["peak_mb"] is None]
    print(f"baseline (interpreter and parser imports): {baseline['peak_mb']} MB")
    for row in rows[: args.top]:
        print(f"{row['peak_mb']!s:>8} MB {row['seconds']:>6}s  {row['file'][:40]:<40} {row['outcome']}")
    result = {"baseline_mb": baseline["peak_mb"], "files": rows, "crashed": len(crashed)}
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
