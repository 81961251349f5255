"""DDL of the append-only raw tables, derived from the form contract (forms.py).

Adding a field to a form adds its column here (the DDL adds missing columns idempotently).
"""

from __future__ import annotations

from welfare.forms import CAPTREN_FIGURES, CDCS_FIGURES, INFO_FIELDS, SUPPORT_FIELDS, Field, Kind

_SQL_TYPE = {
    Kind.COUNT: "bigint",
    Kind.MONEY: "bigint",
    Kind.FLAG: "smallint",
    Kind.INT: "integer",
    Kind.TEXT: "text",
    Kind.DATE: "date",
    Kind.GRADE: "text",
    Kind.CODE: "text",
    Kind.CODES: "text",
    Kind.EMAIL: "text",
}

# Personal data never reaches raw tables: names and clear IDs go to the restricted schema.
SUPPORT_PUBLIC = tuple(f for f in SUPPORT_FIELDS if f.code not in ("ho_ten", "so_dinh_danh"))
INFO_STORED = tuple(f for f in INFO_FIELDS if f.code not in ("nguoi_lap", "dien_thoai", "chu_tich"))

RAW_TABLES: dict[str, tuple[Field, ...]] = {
    "cdcs_reports": INFO_STORED + CDCS_FIGURES,
    "captren_reports": INFO_STORED + CAPTREN_FIGURES,
    "support_cases": SUPPORT_PUBLIC,
}


def sql_type(field: Field) -> str:
    return _SQL_TYPE[field.kind]


def raw_ddl() -> str:
    statements = ["create schema if not exists raw;", "create schema if not exists restricted;"]
    for table, fields in RAW_TABLES.items():
        extra = ""
        if table == "support_cases":
            extra = (
                "    ma_don_vi text not null,\n    nam_bao_cao integer not null,\n"
                "    nguoi_pseudonym text,  -- HMAC-SHA256 of so_dinh_danh; null when no ID was given\n"
            )
        statements.append(
            f"create table if not exists raw.{table} (\n"
            "    submission_id bigint not null references audit.submissions (submission_id),\n"
            "    source_row integer not null,\n"
            f"{extra}"
            "    loaded_at timestamptz not null default now()\n);"
        )
        for field in fields:
            statements.append(f"alter table raw.{table} add column if not exists {field.code} {sql_type(field)};")
        statements.append(f"create index if not exists {table}_submission on raw.{table} (submission_id);")
    statements.append(
        "create table if not exists restricted.support_people (\n"
        "    submission_id bigint not null references audit.submissions (submission_id),\n"
        "    source_row integer not null,\n"
        "    ho_ten text not null,\n"
        "    nguoi_pseudonym text,\n"
        "    primary key (submission_id, source_row)\n);"
    )
    return "\n".join(statements)
