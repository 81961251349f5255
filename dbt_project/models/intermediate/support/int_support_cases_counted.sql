{{ config(materialized='view') }}
{#- The support rows (sheet HoTro, no names) of counted CDCS reports only, so a corrected
    version replaces its predecessor's list instead of adding to it. A view: the support facts
    read their own increments from staging, and only the duplicate check reads this whole. -#}
with

reports_counted as (

    select * from {{ ref('int_reports_counted') }}

),

support_cases as (

    select * from {{ ref('stg_raw__support_cases') }}

),

final as (

    select
        support_cases.submission_id,
        reports_counted.unit_code,
        support_cases.nguoi_pseudonym,
        support_cases.nhom_hoan_canh,
        support_cases.chuong_trinh,
        support_cases.nguon_kinh_phi,
        support_cases.doi_tuong_yeu_the,
        support_cases.source_row,
        reports_counted.reporting_year,
        support_cases.so_tien,
        support_cases.ngay_ho_tro
    from support_cases
    inner join reports_counted
        on support_cases.submission_id = reports_counted.submission_id
    where reports_counted.form = 'CDCS'

)

select * from final
