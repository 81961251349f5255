{#- What each counted report adds to each indicator its form feeds (welfare.indicators):
      sum_ratio   numerator field and denominator field, an empty cell counting 0;
      unit_count  1 when the flag field is 1, else 0 (the denominator is the expected units,
                  counted in int_indicator_values_aggregated);
      grade_share 1/1 when the unit has a collective agreement graded A or B, 0/1 when it has
                  one graded otherwise (CXL included), 0/0 without one. -#}
with

indicators as (

    select * from {{ ref('indicators') }}

),

report_figures as (

    select * from {{ ref('int_counted_report_figures') }}

),

applicable as (

    select
        indicators.indicator_code,
        indicators.method,
        indicators.numerator_field,
        indicators.denominator_field,
        report_figures.submission_id,
        report_figures.unit_code,
        report_figures.form,
        report_figures.reporting_year,
        report_figures.figures
    from indicators
    inner join report_figures
        on report_figures.form = any(string_to_array(indicators.forms, ';'))

),

contributions as (

    select
        applicable.indicator_code,
        applicable.submission_id,
        applicable.unit_code,
        applicable.form,
        applicable.method,
        applicable.reporting_year,
        case applicable.method
            when 'sum_ratio' then coalesce(cast(applicable.figures ->> applicable.numerator_field as numeric), 0)
            when 'unit_count' then
                case when cast(applicable.figures ->> applicable.numerator_field as numeric) = 1 then 1 else 0 end
            when 'grade_share' then
                case
                    when cast(applicable.figures ->> applicable.denominator_field as numeric) = 1
                        and applicable.figures ->> applicable.numerator_field = any({{ text_array(var('good_grades')) }})
                        then 1
                    else 0
                end
        end as numerator_contribution,
        case applicable.method
            when 'sum_ratio' then coalesce(cast(applicable.figures ->> applicable.denominator_field as numeric), 0)
            when 'unit_count' then 1
            when 'grade_share' then
                case when cast(applicable.figures ->> applicable.denominator_field as numeric) = 1 then 1 else 0 end
        end as denominator_contribution,
        (
            applicable.figures ? applicable.numerator_field
            and (coalesce(applicable.denominator_field, '') = '' or applicable.figures ? applicable.denominator_field)
        ) as has_indicator_fields
    from applicable

),

final as (

    select
        contributions.indicator_code,
        contributions.submission_id,
        contributions.unit_code,
        contributions.form,
        contributions.method,
        contributions.reporting_year,
        cast(contributions.numerator_contribution as numeric) as numerator_contribution,
        cast(contributions.denominator_contribution as numeric) as denominator_contribution,
        contributions.has_indicator_fields
    from contributions

)

select * from final
