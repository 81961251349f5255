"""The Assets the DAGs hand data on with (imports the Airflow SDK).

`welfare://` URIs name what the platform owns, independent of where the warehouse runs, so an
Asset keeps its identity when the warehouse moves (Cosmos' own per-model datasets would carry the
database host and port in their URI).
"""

from __future__ import annotations

from airflow.sdk import Asset

#: Intake accepted at least one submission (emitted by `intake`; `warehouse` is scheduled on it).
RAW_SUBMISSIONS = Asset("welfare://raw/submissions", group="welfare")
#: A new version of the unit registry was loaded (emitted by `reference_data`).
REGISTRY_UNITS = Asset("welfare://registry/units", group="welfare")
#: The marts analysts, reports and reminders read (emitted by `warehouse` after every build).
MART_INDICATOR_VALUES = Asset("welfare://marts/indicator_values", group="welfare")
MART_REPORTING_COMPLETENESS = Asset("welfare://marts/reporting_completeness", group="welfare")
MART_MISSING_REPORTS = Asset("welfare://marts/missing_reports", group="welfare")
MART_FOLLOWUPS = Asset("welfare://marts/followups", group="welfare")
MARTS = [MART_INDICATOR_VALUES, MART_REPORTING_COMPLETENESS, MART_MISSING_REPORTS, MART_FOLLOWUPS]
#: A provincial report became final (emitted by `annual_reports` after the sign-off).
PROVINCIAL_REPORT = Asset("welfare://reports/provincial", group="welfare")
