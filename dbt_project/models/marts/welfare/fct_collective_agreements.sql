{#- Collective agreements and workplace dialogue of each counted grassroots report: whether
    the unit has an agreement in force, its grade (A/B/C/D/CXL) and whether that grade counts
    for I08 ("B trở lên"; CXL counts below B). Group by grade for "agreements by grade". -#}
with

reports_counted as (

    select * from {{ ref('int_reports_counted') }}

),

cdcs_reports as (

    select * from {{ ref('stg_raw__cdcs_reports') }}

),

units_at_period_end as (

    select * from {{ ref('int_units_at_period_end') }}

),

final as (

    select
        reports_counted.submission_id,
        reports_counted.unit_code,
        units_at_period_end.parent_unit_code,
        cdcs_reports.xep_loai_thoa_uoc,
        reports_counted.reporting_year,
        cdcs_reports.co_thoa_uoc,
        cdcs_reports.so_dieu_khoan_co_loi_hon,
        cdcs_reports.so_cuoc_doi_thoai,
        cdcs_reports.so_doi_thoai_phuc_loi_cao_hon,
        coalesce(
            cdcs_reports.co_thoa_uoc = 1
            and cdcs_reports.xep_loai_thoa_uoc = any({{ text_array(var('good_grades')) }}),
            false
        ) as is_graded_b_or_better,
        units_at_period_end.unit_code is not null as is_expected_unit,
        cdcs_reports.ngay_ky_thoa_uoc
    from reports_counted
    inner join cdcs_reports
        on reports_counted.submission_id = cdcs_reports.submission_id
    left join units_at_period_end
        on reports_counted.reporting_year = units_at_period_end.reporting_year
        and reports_counted.unit_code = units_at_period_end.unit_code
    where reports_counted.form = 'CDCS'

)

select * from final
