{#- Every province indicator value equals its recomputation from the lower levels:
      - Σ numerator, Σ denominator, Σ expected and reporting units over the upper-level rows
        (each grassroots union has one upper-level parent at period end, and each
        upper-level row adds its own CAPTREN report), with 'no_report' exactly when no
        upper-level row has a report;
      - for the indicators fed by the CDCS form only, the same sums over the grassroots rows;
      - value = numerator / denominator.
    A row returned here names the indicator and year that disagree, and the sums. -#}
with

indicator_values as (

    select * from {{ ref('indicator_values') }}

),

dim_indicators as (

    select * from {{ ref('dim_indicators') }}

),

province as (

    select * from indicator_values where org_level = 'province'

),

level_sums as (

    select
        indicator_values.org_level,
        indicator_values.indicator_code,
        indicator_values.reporting_year,
        sum(coalesce(indicator_values.numerator, 0)) as numerator_sum,
        sum(coalesce(indicator_values.denominator, 0)) as denominator_sum,
        sum(indicator_values.expected_units) as expected_units_sum,
        sum(indicator_values.reporting_units) as reporting_units_sum
    from indicator_values
    where indicator_values.org_level in ('upper', 'grassroots')
    group by indicator_values.org_level, indicator_values.indicator_code, indicator_values.reporting_year

),

compared as (

    select
        province.indicator_code,
        province.reporting_year,
        level_sums.org_level as recomputed_from,
        province.numerator,
        province.denominator,
        province.value,
        province.null_reason,
        province.expected_units,
        province.reporting_units,
        coalesce(level_sums.numerator_sum, 0) as numerator_sum,
        coalesce(level_sums.denominator_sum, 0) as denominator_sum,
        coalesce(level_sums.expected_units_sum, 0) as expected_units_sum,
        coalesce(level_sums.reporting_units_sum, 0) as reporting_units_sum
    from province
    inner join dim_indicators
        on province.indicator_code = dim_indicators.indicator_code
    left join level_sums
        on province.indicator_code = level_sums.indicator_code
        and province.reporting_year = level_sums.reporting_year
    where level_sums.org_level = 'upper'
       or (level_sums.org_level = 'grassroots' and dim_indicators.forms = 'CDCS')
       or level_sums.org_level is null

),

disagreements as (

    select *
    from compared
    where coalesce(numerator, 0) <> numerator_sum
       or coalesce(denominator, 0) <> denominator_sum
       or expected_units <> expected_units_sum
       or reporting_units <> reporting_units_sum
       or (null_reason = 'no_report') <> (reporting_units_sum = 0 and numerator is null)
       or (denominator_sum > 0 and abs(value - cast(numerator_sum as double precision) / cast(denominator_sum as double precision)) > 1e-12)
       or (denominator_sum > 0) <> (value is not null)

)

select * from disagreements
