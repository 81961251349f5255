"""Orchestration: what the Airflow DAGs in `dags/` call, and how the platform runs under Airflow.

The DAG files are configuration; the logic lives here and is tested without a scheduler:

- `landing` (intake: discover new files in the landing zone, batch them, ingest a batch),
- `reference` (registry files dropped in the landing zone),
- `ledger` (the orchestration's own audit tables: mart builds and report runs),
- `annual` (report runs: snapshot, export, sign-off, deadline check),
- `reminders` (who has not reported yet, per upper-level union, files and e-mail),
- `timetable` and `schedules` (when things run, derived from the calendar),
- `approval` (answering the sign-off through Airflow's REST API, for unattended runs),
- `local` (`welfare airflow`: a local Airflow against the warehouse), `dagtest` and `cycle`
  (the whole season through `dag.test()`).

Modules that import Airflow say so in their docstring; the others do not import it at all.
"""
