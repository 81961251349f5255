{#- One row per indicator value to compute (as welfare.generator.truth does): every
    indicator for the province and for each upper-level union active at period end; the
    indicators fed by the CDCS form also for each grassroots union active at period end. -#}
with

indicators as (

    select * from {{ ref('indicators') }}

),

units_at_period_end as (

    select * from {{ ref('int_units_at_period_end') }}

),

reporting_years as (

    select * from {{ ref('int_reporting_years') }}

),

reportable_units as (

    select units_at_period_end.*
    from units_at_period_end
    inner join reporting_years
        on units_at_period_end.reporting_year = reporting_years.reporting_year
    where reporting_years.is_reportable

),

scopes as (

    select
        indicators.indicator_code,
        reportable_units.reporting_year,
        case reportable_units.unit_level
            when 'TINH' then 'province'
            when 'CAP_TREN' then 'upper'
            else 'grassroots'
        end as org_level,
        reportable_units.unit_code,
        reportable_units.parent_unit_code
    from indicators
    cross join reportable_units
    where reportable_units.unit_level in ('TINH', 'CAP_TREN')
       or 'CDCS' = any(string_to_array(indicators.forms, ';'))

),

final as (

    select
        scopes.indicator_code,
        scopes.unit_code,
        scopes.parent_unit_code,
        scopes.org_level,
        scopes.reporting_year
    from scopes

)

select * from final
