{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='submission_id',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_rows_of_uncounted_submissions() }}",
    )
}}
{#- The bridge of support to vulnerable groups: `doi_tuong_yeu_the` holds zero or more codes
    separated by ';', unnested here to one row per group. A case with two groups counts in
    both, so rows do not add up to fct_support. Incremental like fct_support. -#}
with

reports_counted as (

    select * from {{ ref('int_reports_counted') }}

),

support_cases as (

    select * from {{ ref('stg_raw__support_cases') }}

),

new_reports as (

    select reports_counted.*
    from reports_counted
    where reports_counted.form = 'CDCS'
    {%- if is_incremental() %}
      and not exists (
          select 1
          from {{ this }} as loaded
          where loaded.submission_id = reports_counted.submission_id
      )
    {%- endif %}

),

unnested as (

    select
        new_reports.submission_id,
        new_reports.unit_code,
        new_reports.reporting_year,
        support_cases.nguoi_pseudonym,
        support_cases.nhom_hoan_canh,
        upper(trim(group_code.vulnerable_group)) as vulnerable_group,
        support_cases.so_tien
    from new_reports
    inner join support_cases
        on new_reports.submission_id = support_cases.submission_id
    cross join lateral unnest(string_to_array(support_cases.doi_tuong_yeu_the, ';')) as group_code (vulnerable_group)
    where trim(group_code.vulnerable_group) <> ''

),

aggregated as (

    select
        unnested.submission_id,
        unnested.unit_code,
        unnested.vulnerable_group,
        unnested.nhom_hoan_canh,
        unnested.reporting_year,
        count(*) as case_count,
        count(distinct unnested.nguoi_pseudonym) as person_count,
        coalesce(sum(unnested.so_tien), 0) as amount_total
    from unnested
    group by
        unnested.submission_id,
        unnested.unit_code,
        unnested.vulnerable_group,
        unnested.nhom_hoan_canh,
        unnested.reporting_year

),

final as (

    select
        md5(concat_ws('|',
            cast(aggregated.reporting_year as text),
            aggregated.unit_code,
            aggregated.vulnerable_group,
            coalesce(aggregated.nhom_hoan_canh, '')
        )) as support_group_fact_id,
        aggregated.submission_id,
        aggregated.unit_code,
        aggregated.vulnerable_group,
        aggregated.nhom_hoan_canh,
        aggregated.reporting_year,
        cast(aggregated.case_count as bigint) as case_count,
        cast(aggregated.person_count as bigint) as person_count,
        cast(aggregated.amount_total as numeric(38, 0)) as amount_total,
        cast('{{ run_started_at.isoformat() }}' as timestamptz) as loaded_at
    from aggregated

)

select * from final
