{#- Numerator and denominator of every indicator scope, with the truth's null semantics:
      sum_ratio, grade_share  nothing counted in the scope → numerator and denominator null,
                              null_reason 'no_report'; else the sums;
      unit_count              numerator = expected units whose counted report has the flag,
                              denominator = expected units (non-reporters count as not
                              achieving), never 'no_report';
    a denominator of 0 gives null_reason 'zero_denominator' (numerator and denominator kept). -#}
with

scopes as (

    select * from {{ ref('int_indicator_scopes') }}

),

scope_members as (

    select * from {{ ref('int_indicator_scope_members') }}

),

contributions as (

    select * from {{ ref('int_indicator_report_contributions') }}

),

indicators as (

    select * from {{ ref('indicators') }}

),

member_contributions as (

    select
        scope_members.indicator_code,
        scope_members.unit_code,
        scope_members.org_level,
        scope_members.reporting_year,
        scope_members.member_unit_code,
        contributions.submission_id,
        contributions.numerator_contribution,
        contributions.denominator_contribution
    from scope_members
    left join contributions
        on scope_members.indicator_code = contributions.indicator_code
        and scope_members.reporting_year = contributions.reporting_year
        and scope_members.member_form = contributions.form
        and scope_members.member_unit_code = contributions.unit_code

),

summed as (

    select
        member_contributions.indicator_code,
        member_contributions.unit_code,
        member_contributions.org_level,
        member_contributions.reporting_year,
        count(*) as expected_units,
        count(member_contributions.submission_id) as reporting_units,
        sum(member_contributions.numerator_contribution) as numerator_sum,
        sum(member_contributions.denominator_contribution) as denominator_sum
    from member_contributions
    group by
        member_contributions.indicator_code,
        member_contributions.unit_code,
        member_contributions.org_level,
        member_contributions.reporting_year

),

scoped as (

    select
        scopes.indicator_code,
        scopes.unit_code,
        scopes.parent_unit_code,
        scopes.org_level,
        indicators.method,
        scopes.reporting_year,
        coalesce(summed.expected_units, 0) as expected_units,
        coalesce(summed.reporting_units, 0) as reporting_units,
        summed.numerator_sum,
        summed.denominator_sum
    from scopes
    inner join indicators
        on scopes.indicator_code = indicators.indicator_code
    left join summed
        on scopes.indicator_code = summed.indicator_code
        and scopes.unit_code = summed.unit_code
        and scopes.org_level = summed.org_level
        and scopes.reporting_year = summed.reporting_year

),

ratios as (

    select
        scoped.*,
        case
            when scoped.method = 'unit_count' then coalesce(scoped.numerator_sum, 0)
            when scoped.reporting_units = 0 then null
            else scoped.numerator_sum
        end as numerator,
        case
            when scoped.method = 'unit_count' then cast(scoped.expected_units as numeric)
            when scoped.reporting_units = 0 then null
            else scoped.denominator_sum
        end as denominator
    from scoped

),

final as (

    select
        ratios.indicator_code,
        ratios.unit_code,
        ratios.parent_unit_code,
        ratios.org_level,
        ratios.method,
        case
            when ratios.denominator is null then 'no_report'
            when ratios.denominator = 0 then 'zero_denominator'
        end as null_reason,
        ratios.reporting_year,
        cast(ratios.numerator as numeric) as numerator,
        cast(ratios.denominator as numeric) as denominator,
        case
            when ratios.denominator > 0 then cast(ratios.numerator as double precision) / cast(ratios.denominator as double precision)
        end as value,
        cast(ratios.expected_units as integer) as expected_units,
        cast(ratios.reporting_units as integer) as reporting_units
    from ratios

)

select * from final
