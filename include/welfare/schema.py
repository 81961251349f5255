"""Create the warehouse's own schemas (registry, audit, raw) idempotently."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from welfare.sql.raw import raw_ddl

if TYPE_CHECKING:
    import psycopg

_LOCK_KEY = 0x57454C46  # "WELF": serialises concurrent schema creation


def ensure_schema(conn: psycopg.Connection) -> None:
    """Apply every `sql/*.sql` file in name order; each is written to be re-runnable."""
    files = sorted(
        (f for f in resources.files("welfare.sql").iterdir() if f.name.endswith(".sql")), key=lambda f: f.name
    )
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        for sql_file in files:
            conn.execute(sql_file.read_text(encoding="utf-8"))
        conn.execute(raw_ddl())
