{#- The counted reports: one row per (form, unit, year) that has a counted version, with the
    submission whose figures are used. On time means the first accepted version arrived on or
    before the form's deadline (DOMAIN.md), whichever version is counted. -#}
with

report_versions as (

    select * from {{ ref('int_report_versions') }}

),

final as (

    select
        report_versions.submission_id,
        report_versions.file_id,
        report_versions.unit_code,
        report_versions.form,
        report_versions.reporting_year,
        report_versions.version,
        report_versions.accepted_version_count,
        coalesce(report_versions.first_accepted_at <= report_versions.deadline_at, false) as is_on_time,
        report_versions.is_received_after_lock,
        report_versions.has_lock_exception,
        report_versions.received_at,
        report_versions.first_accepted_at,
        report_versions.deadline_at
    from report_versions
    where report_versions.is_counted

)

select * from final
