{#- The registry as of the last day of each reporting period: one row per year and unit
    active on that day, with the parent it had then. Every figure of year Y uses this
    hierarchy, so a unit that moved mid-period counts under its parent at period end and a
    unit that closed before the end is not expected at all. -#}
with

units as (

    select * from {{ ref('stg_registry__units') }}

),

reporting_years as (

    select * from {{ ref('int_reporting_years') }}

),

active_at_period_end as (

    select
        reporting_years.reporting_year,
        units.ma_don_vi as unit_code,
        units.ma_cap_tren as parent_unit_code,
        units.ten_don_vi as unit_name,
        units.cap as unit_level,
        units.loai_hinh as unit_type,
        units.hieu_luc_tu as valid_from_date,
        units.hieu_luc_den as valid_to_date,
        reporting_years.period_start_date
    from reporting_years
    inner join units
        on units.hieu_luc_tu <= reporting_years.period_end_date
        and (units.hieu_luc_den is null or units.hieu_luc_den >= reporting_years.period_end_date)

),

parents_during_period as (

    select
        reporting_years.reporting_year,
        units.ma_don_vi as unit_code,
        count(distinct coalesce(units.ma_cap_tren, '')) as parent_count,
        min(units.hieu_luc_tu) as first_valid_from_date
    from reporting_years
    inner join units
        on units.hieu_luc_tu <= reporting_years.period_end_date
        and (units.hieu_luc_den is null or units.hieu_luc_den >= reporting_years.period_start_date)
    group by reporting_years.reporting_year, units.ma_don_vi

),

final as (

    select
        active_at_period_end.reporting_year,
        active_at_period_end.unit_code,
        active_at_period_end.parent_unit_code,
        active_at_period_end.unit_name,
        active_at_period_end.unit_level,
        active_at_period_end.unit_type,
        parents_during_period.parent_count > 1 as has_moved_in_period,
        parents_during_period.first_valid_from_date > active_at_period_end.period_start_date as is_new_in_period,
        active_at_period_end.valid_from_date,
        active_at_period_end.valid_to_date
    from active_at_period_end
    inner join parents_during_period
        on active_at_period_end.reporting_year = parents_during_period.reporting_year
        and active_at_period_end.unit_code = parents_during_period.unit_code

)

select * from final
