{#- The list behind the missing counts of reporting_completeness, for reminders and the
    annual report: every expected report (unit active at period end) that has no counted
    version, with its parent at period end and why. -#}
with

expected_status as (

    select * from {{ ref('int_expected_reports_status') }}

),

final as (

    select
        md5(concat_ws('|', cast(expected_status.reporting_year as text), expected_status.form, expected_status.unit_code))
            as missing_report_id,
        expected_status.unit_code,
        expected_status.parent_unit_code,
        expected_status.form,
        expected_status.report_status as reason,
        expected_status.reporting_year,
        expected_status.submission_count,
        expected_status.rejected_count,
        expected_status.deadline_at,
        expected_status.last_received_at
    from expected_status
    where not expected_status.is_received

)

select * from final
