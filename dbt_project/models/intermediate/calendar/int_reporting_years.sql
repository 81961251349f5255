{#- The years spine with the calendar of DOMAIN.md (welfare.calendar.Calendar's defaults,
    overridable through vars). A year is `is_reportable` once any submission for it has
    arrived or its lock has passed: the marts report on those years only, so a future year
    does not show up as "nobody reported". -#}
with

submissions as (

    select * from {{ ref('stg_audit__submissions') }}

),

years as (

    select cast(year_number as integer) as reporting_year
    from generate_series({{ var('first_reporting_year') }}, {{ var('last_reporting_year') }}) as year_number

),

submitted_years as (

    select distinct reporting_year
    from submissions
    where reporting_year is not null

),

calendared as (

    select
        years.reporting_year,
        make_date(years.reporting_year - 1, 11, 1) as period_start_date,
        make_date(years.reporting_year, 10, 31) as period_end_date,
        {{ november_instant('years.reporting_year', var('grassroots_deadline_day'), 23, 59, 59) }} as grassroots_deadline_at,
        {{ november_instant('years.reporting_year', var('upper_deadline_day'), 23, 59, 59) }} as upper_deadline_at,
        {{ november_instant('years.reporting_year', var('grassroots_deadline_day') + 1, 7, 0, 0) }} as draft_reports_at,
        {{ november_instant('years.reporting_year', var('provincial_report_day'), 8, 0, 0) }} as provincial_report_at,
        {{ november_instant('years.reporting_year', var('lock_day'), 23, 59, 59) }} as lock_at
    from years

),

final as (

    select
        calendared.reporting_year,
        calendared.reporting_year = {{ var('baseline_year') }} as is_baseline_year,
        (
            submitted_years.reporting_year is not null
            or calendared.lock_at < {{ as_of_timestamp() }}
        ) as is_reportable,
        calendared.period_start_date,
        calendared.period_end_date,
        calendared.grassroots_deadline_at,
        calendared.upper_deadline_at,
        calendared.draft_reports_at,
        calendared.provincial_report_at,
        calendared.lock_at
    from calendared
    left join submitted_years
        on calendared.reporting_year = submitted_years.reporting_year

)

select * from final
