with

reporting_years as (

    select * from {{ ref('int_reporting_years') }}

),

final as (

    select
        reporting_years.reporting_year,
        cast({{ var('target_year') }} - reporting_years.reporting_year as integer) as years_to_target,
        reporting_years.is_baseline_year,
        reporting_years.is_reportable,
        reporting_years.period_start_date,
        reporting_years.period_end_date,
        reporting_years.grassroots_deadline_at,
        reporting_years.upper_deadline_at,
        reporting_years.draft_reports_at,
        reporting_years.provincial_report_at,
        reporting_years.lock_at
    from reporting_years

)

select * from final
