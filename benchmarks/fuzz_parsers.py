"""Fuzz the intake parsers for a time budget: mutated real workbooks and CSVs, and random bytes.

    python benchmarks/fuzz_parsers.py --seconds 180
    python benchmarks/fuzz_parsers.py --seconds 30 --seed 7 --failures /tmp/fuzz-failures

Seeds are real submissions written by the platform's own writer (`welfare.workbooks`): a
grassroots report with a support list in .xlsx, .xls and .ods (template layout and every layout
quirk), an upper-level report, bulk CSVs in UTF-8, UTF-8 with BOM and UTF-16. Hypothesis draws a
seed, a file name suffix (the content may lie about it) and a list of mutations: bit flips, byte
insertions and deletions, truncation, and for zips (xlsx, ods) the mangling of one entry (its bytes
flipped, cut or replaced by hostile XML: far cell references, repeated cells, entity declarations,
huge numbers), a re-zip with another compression or an entry dropped or duplicated; sometimes the
input is random bytes alone.

Each input goes through what intake does before validation: `safety.check_file`, then
`parse_workbook` or `parse_csv` and every CSV row. The property: the only exception allowed out is
`FileRejected` (a `ParseError` stays inside a cell's value). Anything else is a failure: Hypothesis
shrinks it, the input is saved under `--failures`, and the exit code is 1. Printed and written as
JSON to `--results`: inputs tried, seconds, outcomes (refused before parsing, rejected by the
parser, parsed), the slowest input and the peak RSS of this process.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import sys
import tempfile
import time
import traceback
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = ROOT / "benchmarks" / "results" / "fuzz_parsers.json"
SUFFIXES = (".xlsx", ".xls", ".ods", ".csv")

_HOSTILE_XML = (
    b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
    b'<c r="A1"><v>1e308</v></c>',
    b'<c r="A1" t="s"><v>99999999</v></c>',
    b'<c r="ZZZZ1"><v>1</v></c>',
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>',
    b"<![CDATA[<!ENTITY>]]>",
    b'<table:table-row table:number-rows-repeated="99999999"><table:table-cell '
    b'table:number-columns-repeated="99999" office:value-type="float" office:value="1"/></table:table-row>',
    b'<table:table-cell office:value-type="date" office:date-value="99999-99-99"/>',
    b'<c r="A1" t="d"><v>not a date</v></c>',
    b"\x00\xff\xfe",
    b"&#0;&#xFFFF;&#x1F4A9;",
)
_HOSTILE_TEXT = ("\x00", '"', '""', "\r", "\n", ";", "\t", "\ufeff", "=1+1", "\u202e", "9" * 400, "đ" * 50, "ma_don_vi")


@dataclass
class Stats:
    inputs: int = 0
    outcomes: Counter[str] | None = None
    slowest: tuple[float, str] = (0.0, "")
    failures: int = 0


def _seeds() -> dict[str, bytes]:
    """Real submissions in every accepted format, as the platform's writer makes them."""
    from welfare.config import REFERENCE_DIR
    from welfare.forms import CDCS_FIGURES, FORM_VERSIONS, INFO_FIELDS, SUPPORT_FIELDS, Form, ReportContent
    from welfare.generator import values
    from welfare.registry import read_registry
    from welfare.workbooks import Quirks, write_bulk_csv, write_report

    registry = read_registry(REFERENCE_DIR / "registry_ha_tinh.csv")
    end = date(2025, 10, 31)
    unit = registry.active(end, "CDCS")[0]
    upper = registry.active(end, "CAP_TREN")[0]
    info = {
        "ma_don_vi": unit.ma_don_vi,
        "ten_don_vi": unit.ten_don_vi,
        "ma_cap_tren": unit.ma_cap_tren,
        "nam_bao_cao": 2025,
        "ngay_lap": date(2025, 11, 1),
        "nguoi_lap": "Nguyễn Văn A",
        "dien_thoai": "0912345678",
        "email": unit.email,
        "chu_tich": "Trần Thị B",
        "phien_ban_bieu_mau": FORM_VERSIONS[Form.CDCS][0],
    }
    figures = values.cdcs_figures(3, unit.ma_don_vi, unit.loai_hinh or "", 2025)
    support = values.support_rows(3, unit.ma_don_vi, 2025, 6)
    cdcs = ReportContent(Form.CDCS, info, figures, support)
    captren = ReportContent(
        Form.CAPTREN,
        {**info, "ma_don_vi": upper.ma_don_vi, "ma_cap_tren": None, "phien_ban_bieu_mau": "CAPTREN-2024.1"},
        values.captren_figures(3, upper.ma_don_vi, 2025, 500),
        [],
    )
    seeds: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as folder:
        for suffix in (".xlsx", ".xls", ".ods"):
            for label, quirks in (("plain", Quirks.all_off()), ("quirks", Quirks.all_on())):
                path = Path(folder) / f"cdcs-{label}{suffix}"
                write_report(path, cdcs, quirks)
                seeds[path.name] = path.read_bytes()
        path = Path(folder) / "captren.xlsx"
        write_report(path, captren)
        seeds[path.name] = path.read_bytes()
        columns = [f.code for f in INFO_FIELDS] + [f.code for f in CDCS_FIGURES]
        for encoding in ("utf-8", "utf-8-sig", "utf-16"):
            path = Path(folder) / f"cdcs_reports-{encoding}.csv"
            write_bulk_csv(path, [{**cdcs.info, **cdcs.figures}], columns, encoding)
            seeds[path.name] = path.read_bytes()
        path = Path(folder) / "support_cases.csv"
        support_columns = ["ma_don_vi", "nam_bao_cao"] + [f.code for f in SUPPORT_FIELDS]
        write_bulk_csv(
            path, [{"ma_don_vi": unit.ma_don_vi, "nam_bao_cao": 2025, **row} for row in support], support_columns
        )
        seeds[path.name] = path.read_bytes()
    return seeds


def _mangle_zip(data: bytes, rng: random.Random) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    except Exception:  # noqa: BLE001 - not a zip (any more): leave it to the byte mutations
        return data
    if not entries:
        return data
    index = rng.randrange(len(entries))
    name, body = entries[index]
    action = rng.choice(("flip", "cut", "inject", "drop", "duplicate", "stored"))
    if action == "flip" and body:
        body = bytearray(body)
        for _ in range(rng.randint(1, 16)):
            body[rng.randrange(len(body))] ^= 1 << rng.randrange(8)
        body = bytes(body)
    elif action == "cut":
        body = body[: rng.randrange(len(body) + 1)]
    elif action == "inject":
        at = rng.randrange(len(body) + 1)
        body = body[:at] + rng.choice(_HOSTILE_XML) + body[at:]
    if action == "drop":
        del entries[index]
    elif action == "duplicate":
        entries.append((name, body))
    else:
        entries[index] = (name, body)
    buffer = io.BytesIO()
    method = zipfile.ZIP_STORED if action == "stored" else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", method) as out:
        for entry_name, entry_body in entries:
            out.writestr(entry_name, entry_body)
    return buffer.getvalue()


def _mutate(data: bytes, plan: list[tuple[str, int, int]], rng: random.Random) -> bytes:
    out = bytearray(data)
    for op, a, b in plan:
        size = len(out)
        if op == "flip" and size:
            out[a % size] ^= 1 << (b % 8)
        elif op == "byte" and size:
            out[a % size] = b % 256
        elif op == "insert":
            text = _HOSTILE_TEXT[b % len(_HOSTILE_TEXT)].encode("utf-8")
            out[a % (size + 1) : a % (size + 1)] = text
        elif op == "delete" and size:
            start = a % size
            del out[start : start + 1 + b % 64]
        elif op == "truncate":
            del out[a % (size + 1) :]
        elif op == "zip":
            out = bytearray(_mangle_zip(bytes(out), rng))
    return bytes(out)


def run_one(data: bytes, suffix: str, folder: Path) -> str:
    """What intake does before validation; returns the outcome, raises anything unexpected."""
    from welfare.intake.parse import FileRejected, parse_csv, parse_workbook
    from welfare.intake.safety import check_file

    path = folder / f"fuzz{suffix}"
    path.write_bytes(data)
    refusal = check_file(path)
    if refusal is not None:
        return f"refused:{refusal.rule}"
    try:
        if suffix == ".csv":
            bulk = parse_csv(path)
            rows = sum(1 for _ in bulk)
            return f"parsed:csv:{'rows' if rows else 'empty'}"
        report = parse_workbook(path)
        return f"parsed:{report.form.value}"
    except FileRejected as exc:
        return f"rejected:{exc.code}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="time budget (default 180)")
    parser.add_argument("--seed", type=int, default=None, help="Hypothesis seed (default: random)")
    parser.add_argument("--failures", type=Path, default=Path(tempfile.gettempdir()) / "welfare-fuzz-failures")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    args = parser.parse_args()

    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis import strategies as st

    warnings.filterwarnings("ignore", message="Duplicate name", category=UserWarning)  # our own zip mangling
    seeds = _seeds()
    names = sorted(seeds)
    stats = Stats(outcomes=Counter())
    assert stats.outcomes is not None
    work = Path(tempfile.mkdtemp(prefix="welfare-fuzz-"))
    operation = st.tuples(
        st.sampled_from(("flip", "flip", "byte", "insert", "delete", "truncate", "zip", "zip")),
        st.integers(0, 1 << 24),
        st.integers(0, 1 << 16),
    )
    zip_only = st.lists(st.tuples(st.just("zip"), st.just(0), st.just(0)), min_size=1, max_size=4)
    source = st.one_of(
        # Byte mutations break a zip's CRC, which safety.check_file catches before any parser: most
        # mutations of the zipped formats therefore mangle entries and re-zip, so the XML reaches calamine.
        st.tuples(st.just("seed"), st.sampled_from(names), zip_only),
        st.tuples(st.just("seed"), st.sampled_from(names), zip_only),
        st.tuples(st.just("seed"), st.sampled_from(names), st.lists(operation, min_size=1, max_size=8)),
        st.tuples(st.just("random"), st.binary(min_size=0, max_size=4096), st.just([])),
    )
    suffixes = st.sampled_from(("own", "own", "own", *SUFFIXES))  # mostly the seed's own suffix

    def check(source: tuple[str, object, list[tuple[str, int, int]]], suffix: str, salt: int) -> None:
        kind, what, plan = source
        if suffix == "own":
            suffix = Path(str(what)).suffix if kind == "seed" else ".xlsx"
        data = _mutate(seeds[str(what)], plan, random.Random(salt)) if kind == "seed" else bytes(what)  # type: ignore[arg-type]
        started = time.monotonic()
        try:
            outcome = run_one(data, suffix, work)
        except BaseException:
            stats.failures += 1
            args.failures.mkdir(parents=True, exist_ok=True)
            saved = args.failures / f"failure-{stats.failures:03d}{suffix}"
            saved.write_bytes(data)
            print(f"FAILURE on {saved} ({kind} {what if kind == 'seed' else ''}):", file=sys.stderr)
            traceback.print_exc()
            raise
        took = time.monotonic() - started
        stats.inputs += 1
        stats.outcomes[outcome.split(":")[0]] += 1  # type: ignore[index]
        stats.outcomes[outcome] += 1  # type: ignore[index]
        if took > stats.slowest[0]:
            stats.slowest = (took, f"{kind} {what if kind == 'seed' else len(what)} → {suffix}: {outcome}")  # type: ignore[arg-type]

    budget = settings(
        max_examples=100,
        deadline=None,
        database=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    started = time.monotonic()
    rounds = 0
    status = 0
    while time.monotonic() - started < args.seconds:
        rounds += 1
        # A fresh Hypothesis test per round of 100 inputs, so that the budget is checked between rounds.
        test = budget(given(source=source, suffix=suffixes, salt=st.integers(0, 1 << 30))(check))
        if args.seed is not None:
            test = seed(args.seed + rounds)(test)
        try:
            test()
        except Exception:  # noqa: BLE001 - reported above with the input; keep fuzzing other inputs
            status = 1
    elapsed = time.monotonic() - started
    result = {
        "seconds": round(elapsed, 1),
        "inputs": stats.inputs,
        "inputs_per_second": round(stats.inputs / elapsed, 1),
        "failures": stats.failures,
        "outcomes": dict(sorted(stats.outcomes.items())),
        "slowest_input": {"seconds": round(stats.slowest[0], 3), "what": stats.slowest[1]},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "children_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "seeds": names,
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
