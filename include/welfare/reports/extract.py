"""The indicator table for the confederation, machine-readable: CSV (UTF-8 with BOM) and Parquet.

Columns are the marts' names in English snake_case; numbers are plain (dot decimals, fractions
0–1), so any tool reads them. Text fields of the CSV that a spreadsheet would evaluate (starting
with = + - @ tab or CR) get a leading apostrophe; Parquet keeps the text as it is.
"""

from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS: tuple[tuple[str, str], ...] = (
    ("reporting_year", "int32"),
    ("indicator_code", "string"),
    ("indicator_name_vi", "string"),
    ("org_level", "string"),
    ("unit_code", "string"),
    ("unit_name", "string"),
    ("parent_unit_code", "string"),
    ("method", "string"),
    ("numerator", "int64"),
    ("denominator", "int64"),
    ("value", "float64"),
    ("target_value", "float64"),
    ("target_comparator", "string"),
    ("target_year", "int32"),
    ("gap", "float64"),
    ("status", "string"),
    ("baseline_value", "float64"),
    ("path_value", "float64"),
    ("expected_units", "int32"),
    ("reporting_units", "int32"),
    ("coverage", "float64"),
    ("null_reason", "string"),
    ("snapshot_id", "int64"),
    ("submissions_digest", "string"),
)


def render_csv(rows: list[dict[str, Any]]) -> bytes:
    from welfare.reports.formatting import inert_csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _ in COLUMNS])
    for row in rows:
        out = []
        for name, kind in COLUMNS:
            value = row.get(name)
            if value is None:
                out.append("")
            elif kind == "string":
                out.append(inert_csv(str(value)))
            elif kind == "float64":
                out.append(repr(float(value)))
            else:
                out.append(str(int(value)))
        writer.writerow(out)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def render_parquet(rows: list[dict[str, Any]], metadata: dict[str, str]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([pa.field(name, getattr(pa, kind)()) for name, kind in COLUMNS], metadata=metadata)
    columns = {
        name: [
            None if row.get(name) is None else (float(row[name]) if kind == "float64" else row[name]) for row in rows
        ]
        for name, kind in COLUMNS
    }
    table = pa.Table.from_pydict(columns, schema=schema)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()
