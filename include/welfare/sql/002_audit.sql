-- Intake's registry of everything received and every decision taken. Nothing here is ever
-- deleted: a superseded version is flagged, a rejected file keeps its row and its reasons.
create schema if not exists audit;

create table if not exists audit.batches (
    batch_id        bigint generated always as identity primary key,
    run_id          text        not null,            -- Airflow run id or 'cli-…'
    started_at      timestamptz not null default now(),
    finished_at     timestamptz,
    file_count      integer     not null default 0,
    data_docs_path  text
);

-- One row per distinct file (by content): the same bytes again are recognised here.
create table if not exists audit.files (
    file_id         bigint generated always as identity primary key,
    batch_id        bigint      not null references audit.batches (batch_id),
    sha256          text        not null,
    file_name       text        not null,
    landing_path    text        not null,
    stored_path     text,                            -- the kept original (byte for byte)
    size_bytes      bigint      not null,
    file_type       text,                            -- xlsx | xls | ods | csv | other
    received_at     timestamptz not null,
    registered_at   timestamptz not null default now(),
    state           text        not null check (state in ('accepted', 'accepted_with_warnings', 'rejected', 'duplicate')),
    duplicate_of    bigint references audit.files (file_id),
    reasons         jsonb       not null default '[]'::jsonb,
    feedback_path   text
);
create unique index if not exists files_sha256_first on audit.files (sha256) where duplicate_of is null;

-- One row per report a file carries: a workbook carries one, a bulk CSV many.
create table if not exists audit.submissions (
    submission_id   bigint generated always as identity primary key,
    file_id         bigint      not null references audit.files (file_id),
    form            text,
    unit_code       text,
    reporting_year  integer,
    version         integer,                          -- 1, 2, … among accepted versions of the report
    state           text        not null check (state in ('accepted', 'accepted_with_warnings', 'rejected', 'duplicate')),
    is_superseded   boolean     not null default false,
    is_on_time      boolean,
    is_after_lock   boolean     not null default false,
    received_at     timestamptz not null,
    reasons         jsonb       not null default '[]'::jsonb,
    source_row      integer                           -- the CSV line for bulk files
);
create index if not exists submissions_report on audit.submissions (form, unit_code, reporting_year);

create table if not exists audit.validation_results (
    result_id       bigint generated always as identity primary key,
    batch_id        bigint      not null references audit.batches (batch_id),
    file_id         bigint      not null references audit.files (file_id),
    submission_id   bigint references audit.submissions (submission_id),
    rule            text        not null,             -- e.g. dv_kho_khan_duoc_ho_tro.le_dv_kho_khan
    severity        text        not null check (severity in ('error', 'warning')),
    field           text,
    sheet           text,
    row_number      integer,
    cell            text,
    value_shown     text,                             -- masked where it is personal data
    message_vi      text        not null,
    message_en      text        not null,
    expectation     text                              -- the Great Expectations expectation type
);
create index if not exists validation_results_file on audit.validation_results (file_id);

-- A report received after the lock counts only if a person recorded an exception for it.
create table if not exists audit.lock_exceptions (
    form            text        not null,
    unit_code       text        not null,
    reporting_year  integer     not null,
    reason          text        not null,
    recorded_by     text        not null,
    recorded_at     timestamptz not null default now(),
    primary key (form, unit_code, reporting_year)
);

-- Status a person sets on a follow-up; kept outside the dbt models so it survives rebuilds.
create table if not exists audit.followup_status (
    followup_key    text        primary key,
    status          text        not null check (status in ('open', 'explained', 'corrected')),
    note            text,
    updated_by      text        not null,
    updated_at      timestamptz not null default now()
);
