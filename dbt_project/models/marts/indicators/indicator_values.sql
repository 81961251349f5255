{#- The scorecard: every indicator × year × level × unit with its value, target and status.
    status: 'met' when the target is met; otherwise 'on_track' when the value has reached the
    straight line from the baseline-year value (same indicator, level and unit) to the target
    in the target year, else 'behind'; null when there is no value or no baseline value.
    Agrees with welfare.generator.truth.expected_indicators on numerator, denominator, value
    and null_reason (checked by tests/test_dbt.py). -#}
with

aggregated as (

    select * from {{ ref('int_indicator_values_aggregated') }}

),

indicators as (

    select * from {{ ref('dim_indicators') }}

),

targeted as (

    select
        aggregated.*,
        indicators.target_value,
        indicators.target_comparator,
        indicators.target_year,
        indicators.baseline_year
    from aggregated
    inner join indicators
        on aggregated.indicator_code = indicators.indicator_code

),

baselines as (

    select
        targeted.indicator_code,
        targeted.org_level,
        targeted.unit_code,
        targeted.value as baseline_value
    from targeted
    where targeted.reporting_year = targeted.baseline_year
        -- a baseline year in which nobody in scope reported is no baseline (a unit-count
        -- indicator would otherwise read 0% and make any later value look on track)
        and targeted.reporting_units > 0

),

assessed as (

    select
        targeted.*,
        baselines.baseline_value,
        case
            when targeted.value is null then null
            when targeted.target_comparator = '>' then targeted.value > targeted.target_value + 1e-9
            else targeted.value >= targeted.target_value - 1e-9
        end as meets_target,
        case
            when baselines.baseline_value is not null and targeted.target_year > targeted.baseline_year
                then baselines.baseline_value
                    + (targeted.target_value - baselines.baseline_value)
                    * cast(targeted.reporting_year - targeted.baseline_year as double precision)
                    / cast(targeted.target_year - targeted.baseline_year as double precision)
        end as path_value
    from targeted
    left join baselines
        on targeted.indicator_code = baselines.indicator_code
        and targeted.org_level = baselines.org_level
        and targeted.unit_code = baselines.unit_code

),

final as (

    select
        md5(concat_ws('|', assessed.indicator_code, cast(assessed.reporting_year as text), assessed.org_level, assessed.unit_code))
            as indicator_value_id,
        assessed.indicator_code,
        assessed.unit_code,
        assessed.parent_unit_code,
        assessed.org_level,
        assessed.method,
        assessed.null_reason,
        assessed.target_comparator,
        case
            when assessed.meets_target then 'met'
            when assessed.value is null or assessed.path_value is null then null
            when assessed.value >= assessed.path_value - 1e-9 then 'on_track'
            else 'behind'
        end as status,
        assessed.reporting_year,
        cast(assessed.numerator as numeric(38, 0)) as numerator,
        cast(assessed.denominator as numeric(38, 0)) as denominator,
        assessed.value,
        assessed.target_value,
        assessed.target_value - assessed.value as gap,
        assessed.baseline_value,
        assessed.path_value,
        assessed.expected_units,
        assessed.reporting_units,
        case
            when assessed.expected_units > 0
                then cast(assessed.reporting_units as double precision) / cast(assessed.expected_units as double precision)
        end as coverage,
        assessed.meets_target
    from assessed

)

select * from final
