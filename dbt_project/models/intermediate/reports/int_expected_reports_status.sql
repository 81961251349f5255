{#- Each expected report (unit active at period end) with what became of it: received on
    time, received late, or missing because nothing arrived, everything was rejected, or the
    only accepted versions came after the lock without an exception. -#}
with

expected_reports as (

    select * from {{ ref('int_expected_reports') }}

),

report_versions as (

    select * from {{ ref('int_report_versions') }}

),

reports_counted as (

    select * from {{ ref('int_reports_counted') }}

),

versions_per_report as (

    select
        report_versions.reporting_year,
        report_versions.form,
        report_versions.unit_code,
        count(*) filter (where report_versions.state <> 'duplicate') as submission_count,
        count(*) filter (where report_versions.state = 'rejected') as rejected_count,
        count(*) filter (where report_versions.is_accepted) as accepted_count,
        max(report_versions.received_at) as last_received_at
    from report_versions
    group by report_versions.reporting_year, report_versions.form, report_versions.unit_code

),

final as (

    select
        expected_reports.unit_code,
        expected_reports.parent_unit_code,
        reports_counted.submission_id as counted_submission_id,
        expected_reports.form,
        case
            when reports_counted.submission_id is not null and reports_counted.is_on_time then 'received_on_time'
            when reports_counted.submission_id is not null then 'received_late'
            when coalesce(versions_per_report.accepted_count, 0) > 0 then 'after_lock_only'
            when coalesce(versions_per_report.rejected_count, 0) > 0 then 'rejected_only'
            else 'not_received'
        end as report_status,
        expected_reports.reporting_year,
        cast(coalesce(versions_per_report.submission_count, 0) as integer) as submission_count,
        cast(coalesce(versions_per_report.rejected_count, 0) as integer) as rejected_count,
        reports_counted.submission_id is not null as is_received,
        coalesce(reports_counted.is_on_time, false) as is_on_time,
        expected_reports.deadline_at,
        versions_per_report.last_received_at
    from expected_reports
    left join reports_counted
        on expected_reports.reporting_year = reports_counted.reporting_year
        and expected_reports.form = reports_counted.form
        and expected_reports.unit_code = reports_counted.unit_code
    left join versions_per_report
        on expected_reports.reporting_year = versions_per_report.reporting_year
        and expected_reports.form = versions_per_report.form
        and expected_reports.unit_code = versions_per_report.unit_code

)

select * from final
