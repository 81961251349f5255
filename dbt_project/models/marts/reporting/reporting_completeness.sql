{#- Reporting rates (R01, R02) per year, form and level, unit-date aware: a unit is expected
    only where it stands at period end (closed units are not expected, moved units are
    expected under their new parent) and only expected units' reports are counted as
    received, so no rate exceeds 100 %. Counted reports of units that were not active at
    period end are shown apart, at province level, as `unexpected_reports`. -#}
with

expected_status as (

    select * from {{ ref('int_expected_reports_status') }}

),

units_at_period_end as (

    select * from {{ ref('int_units_at_period_end') }}

),

reports_counted as (

    select * from {{ ref('int_reports_counted') }}

),

reporting_years as (

    select * from {{ ref('int_reporting_years') }}

),

province_units as (

    select units_at_period_end.reporting_year, units_at_period_end.unit_code
    from units_at_period_end
    inner join reporting_years
        on units_at_period_end.reporting_year = reporting_years.reporting_year
    where units_at_period_end.unit_level = 'TINH'
      and reporting_years.is_reportable

),

upper_units as (

    select units_at_period_end.reporting_year, units_at_period_end.unit_code, units_at_period_end.parent_unit_code
    from units_at_period_end
    inner join reporting_years
        on units_at_period_end.reporting_year = reporting_years.reporting_year
    where units_at_period_end.unit_level = 'CAP_TREN'
      and reporting_years.is_reportable

),

forms as (

    select form from (values ('CDCS'), ('CAPTREN')) as form_list (form)

),

scopes as (

    select
        province_units.reporting_year,
        forms.form,
        'province' as org_level,
        province_units.unit_code,
        cast(null as text) as parent_unit_code
    from province_units
    cross join forms

    union all

    select
        upper_units.reporting_year,
        forms.form,
        'upper' as org_level,
        upper_units.unit_code,
        upper_units.parent_unit_code
    from upper_units
    cross join forms

),

scope_members as (

    select
        scopes.reporting_year,
        scopes.form,
        scopes.org_level,
        scopes.unit_code,
        expected_status.report_status,
        expected_status.is_received,
        expected_status.is_on_time
    from scopes
    inner join expected_status
        on scopes.reporting_year = expected_status.reporting_year
        and scopes.form = expected_status.form
        and (
            scopes.org_level = 'province'
            or (scopes.form = 'CDCS' and expected_status.parent_unit_code = scopes.unit_code)
            or (scopes.form = 'CAPTREN' and expected_status.unit_code = scopes.unit_code)
        )

),

counts as (

    select
        scope_members.reporting_year,
        scope_members.form,
        scope_members.org_level,
        scope_members.unit_code,
        count(*) as expected_reports,
        count(*) filter (where scope_members.is_received) as received_reports,
        count(*) filter (where scope_members.is_on_time) as on_time_reports,
        count(*) filter (where scope_members.is_received and not scope_members.is_on_time) as late_reports,
        count(*) filter (where not scope_members.is_received) as missing_reports,
        count(*) filter (where scope_members.report_status = 'rejected_only') as rejected_only_reports,
        count(*) filter (where scope_members.report_status = 'after_lock_only') as after_lock_only_reports
    from scope_members
    group by scope_members.reporting_year, scope_members.form, scope_members.org_level, scope_members.unit_code

),

unexpected as (

    select
        reports_counted.reporting_year,
        reports_counted.form,
        count(*) as unexpected_reports
    from reports_counted
    left join expected_status
        on reports_counted.reporting_year = expected_status.reporting_year
        and reports_counted.form = expected_status.form
        and reports_counted.unit_code = expected_status.unit_code
    where expected_status.unit_code is null
    group by reports_counted.reporting_year, reports_counted.form

),

final as (

    select
        md5(concat_ws('|', cast(scopes.reporting_year as text), scopes.form, scopes.org_level, scopes.unit_code))
            as completeness_id,
        scopes.unit_code,
        scopes.parent_unit_code,
        scopes.form,
        scopes.org_level,
        scopes.reporting_year,
        cast(coalesce(counts.expected_reports, 0) as integer) as expected_reports,
        cast(coalesce(counts.received_reports, 0) as integer) as received_reports,
        cast(coalesce(counts.on_time_reports, 0) as integer) as on_time_reports,
        cast(coalesce(counts.late_reports, 0) as integer) as late_reports,
        cast(coalesce(counts.missing_reports, 0) as integer) as missing_reports,
        cast(coalesce(counts.rejected_only_reports, 0) as integer) as rejected_only_reports,
        cast(coalesce(counts.after_lock_only_reports, 0) as integer) as after_lock_only_reports,
        case
            when scopes.org_level = 'province' then cast(coalesce(unexpected.unexpected_reports, 0) as integer)
        end as unexpected_reports,
        case
            when counts.expected_reports > 0
                then cast(counts.received_reports as double precision) / cast(counts.expected_reports as double precision)
        end as reporting_rate,
        case
            when counts.expected_reports > 0
                then cast(counts.on_time_reports as double precision) / cast(counts.expected_reports as double precision)
        end as on_time_rate
    from scopes
    left join counts
        on scopes.reporting_year = counts.reporting_year
        and scopes.form = counts.form
        and scopes.org_level = counts.org_level
        and scopes.unit_code = counts.unit_code
    left join unexpected
        on scopes.reporting_year = unexpected.reporting_year
        and scopes.form = unexpected.form

)

select * from final
