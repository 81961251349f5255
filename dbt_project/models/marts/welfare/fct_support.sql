{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='submission_id',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_rows_of_uncounted_submissions() }}",
    )
}}
{#- Support given (sheet HoTro of counted CDCS reports), aggregated without names: cases,
    distinct people (by pseudonymised ID) and amount per year, unit, situation, programme and
    funding source. Incremental: a run reads only the support rows of counted submissions it
    has not loaded yet (the raw index on submission_id makes that cheap), and the pre-hook
    drops the rows of submissions that stopped counting — so one resubmission replaces one
    report's rows instead of rebuilding the table. -#}
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

new_cases as (

    select
        new_reports.submission_id,
        new_reports.unit_code,
        new_reports.reporting_year,
        support_cases.nguoi_pseudonym,
        support_cases.nhom_hoan_canh,
        support_cases.chuong_trinh,
        support_cases.nguon_kinh_phi,
        support_cases.so_tien
    from new_reports
    inner join support_cases
        on new_reports.submission_id = support_cases.submission_id

),

aggregated as (

    select
        new_cases.submission_id,
        new_cases.unit_code,
        new_cases.nhom_hoan_canh,
        new_cases.chuong_trinh,
        new_cases.nguon_kinh_phi,
        new_cases.reporting_year,
        count(*) as case_count,
        count(distinct new_cases.nguoi_pseudonym) as person_count,
        count(*) filter (where new_cases.nguoi_pseudonym is null) as case_without_id_count,
        coalesce(sum(new_cases.so_tien), 0) as amount_total
    from new_cases
    group by
        new_cases.submission_id,
        new_cases.unit_code,
        new_cases.nhom_hoan_canh,
        new_cases.chuong_trinh,
        new_cases.nguon_kinh_phi,
        new_cases.reporting_year

),

final as (

    select
        md5(concat_ws('|',
            cast(aggregated.reporting_year as text),
            aggregated.unit_code,
            coalesce(aggregated.nhom_hoan_canh, ''),
            coalesce(aggregated.chuong_trinh, ''),
            coalesce(aggregated.nguon_kinh_phi, '')
        )) as support_fact_id,
        aggregated.submission_id,
        aggregated.unit_code,
        aggregated.nhom_hoan_canh,
        aggregated.chuong_trinh,
        aggregated.nguon_kinh_phi,
        aggregated.reporting_year,
        cast(aggregated.case_count as bigint) as case_count,
        cast(aggregated.person_count as bigint) as person_count,
        cast(aggregated.case_without_id_count as bigint) as case_without_id_count,
        cast(aggregated.amount_total as numeric(38, 0)) as amount_total,
        coalesce(aggregated.nhom_hoan_canh = any({{ text_array(var('sensitive_situations')) }}), false)
            as is_sensitive_situation,
        cast('{{ run_started_at.isoformat() }}' as timestamptz) as loaded_at
    from aggregated

)

select * from final
