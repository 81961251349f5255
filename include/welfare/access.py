"""Login roles for readers of one upper-level union, confined by row-level security."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{2,62}$")


class AccessError(ValueError):
    """The reader cannot be created as asked; the message says why."""


@dataclass(frozen=True)
class Reader:
    role: str
    unit: str
    password: str | None  # only when generated here: shown once, never stored in clear
    policies: int


def create_reader(conn: psycopg.Connection, unit: str, role: str, password: str | None = None) -> Reader:
    """Create (or re-scope) a login role that sees in the marts only `unit` and its grassroots."""
    from psycopg import sql

    from welfare.schema import ensure_schema

    if not _ROLE_NAME.match(role):
        raise AccessError(f"role name '{role}' must be 3–63 lower-case letters, digits or _, starting with a letter")
    if role in ("welfare_analyst", "welfare_reader", "postgres"):
        raise AccessError(f"'{role}' is a reserved role name")
    ensure_schema(conn)
    levels = {r[0] for r in conn.execute("select cap from registry.units where ma_don_vi = %s", (unit,))}
    if not levels:
        raise AccessError(f"unit {unit} is not in the registry; load the registry or check the code")
    if levels != {"CAP_TREN"}:
        raise AccessError(f"unit {unit} is {'/'.join(sorted(levels))}, not an upper-level union (CAP_TREN)")
    generated = None
    with conn.transaction():
        exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
        if exists:
            member = conn.execute("select pg_has_role(%s, 'welfare_reader', 'member')", (role,)).fetchone()
            if not member or not member[0]:
                raise AccessError(f"role {role} already exists and is not a reader; choose another name")
        else:
            generated = password is None
            password = password or secrets.token_urlsafe(18)
            conn.execute(
                sql.SQL("create role {} login password {} in role welfare_reader").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
        conn.execute(
            "insert into access.reader_scopes (role_name, upper_unit) values (%s, %s) "
            "on conflict (role_name) do update set upper_unit = excluded.upper_unit",
            (role, unit),
        )
        if conn.execute("select to_regnamespace('marts')").fetchone()[0] is not None:  # type: ignore[index]
            conn.execute("grant usage on schema marts to welfare_reader")
            conn.execute("grant select on all tables in schema marts to welfare_reader")
        policies = conn.execute("select access.apply_row_security()").fetchone()[0]  # type: ignore[index]
    return Reader(role, unit, password if generated else None, int(policies))
