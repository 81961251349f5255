"""The annual reports of programme 04/CTr-LĐLĐ: PDF and Excel per report unit, charts, extracts.

The two entry points the Airflow DAG and the command line use:

- `take_snapshot(conn, year) -> Snapshot`: freeze the marts' rows for a year in
  audit.report_snapshots (reused when nothing changed);
- `build_reports(year, out, *, unit=None, draft=False, snapshot=None, url=None) -> list[ReportFile]`.

`get_snapshot(conn, snapshot_id)` reads a recorded snapshot back (e.g. from an id passed between tasks).
"""

from welfare.reports.build import ReportFile, build_reports
from welfare.reports.snapshot import ReportError, Snapshot, get_snapshot, take_snapshot

__all__ = ["ReportError", "ReportFile", "Snapshot", "build_reports", "get_snapshot", "take_snapshot"]
