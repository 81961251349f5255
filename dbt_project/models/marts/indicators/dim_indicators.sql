with

indicators as (

    select * from {{ ref('indicators') }}

),

final as (

    select
        indicators.indicator_code,
        indicators.name_vi,
        indicators.name_en,
        indicators.method,
        indicators.forms,
        indicators.numerator_field,
        nullif(indicators.denominator_field, '') as denominator_field,
        indicators.target_comparator,
        indicators.source_paragraph,
        indicators.formula_text,
        cast(indicators.target_value as double precision) as target_value,
        cast(indicators.target_year as integer) as target_year,
        cast(indicators.baseline_year as integer) as baseline_year
    from indicators

)

select * from final
