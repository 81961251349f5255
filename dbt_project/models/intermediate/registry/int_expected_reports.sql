{#- Who must report what, per reportable year: every grassroots union active at period end
    owes a CDCS report, every upper-level union a CAPTREN report. -#}
with

units_at_period_end as (

    select * from {{ ref('int_units_at_period_end') }}

),

reporting_years as (

    select * from {{ ref('int_reporting_years') }}

),

reporting_units as (

    select
        units_at_period_end.*,
        case units_at_period_end.unit_level
            when 'CDCS' then 'CDCS'
            else 'CAPTREN'
        end as form
    from units_at_period_end
    where units_at_period_end.unit_level in ('CDCS', 'CAP_TREN')

),

final as (

    select
        reporting_units.reporting_year,
        reporting_units.form,
        reporting_units.unit_code,
        reporting_units.parent_unit_code,
        case reporting_units.form
            when 'CDCS' then reporting_years.grassroots_deadline_at
            else reporting_years.upper_deadline_at
        end as deadline_at
    from reporting_units
    inner join reporting_years
        on reporting_units.reporting_year = reporting_years.reporting_year
    where reporting_years.is_reportable

)

select * from final
