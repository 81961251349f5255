{#- The programmes each counted report declares (Tết sum vầy, Tháng Công nhân, Mái ấm Công
    đoàn, job-loss support, employment-fund loans, partnerships), one row per counted report,
    with the unit's parent at period end. `is_expected_unit` is false for a unit that was no
    longer active at period end: such reports are kept here but left out of the indicators. -#}
with

reports_counted as (

    select * from {{ ref('int_reports_counted') }}

),

cdcs_reports as (

    select * from {{ ref('stg_raw__cdcs_reports') }}

),

captren_reports as (

    select * from {{ ref('stg_raw__captren_reports') }}

),

units_at_period_end as (

    select * from {{ ref('int_units_at_period_end') }}

),

programme_figures as (

    select
        reports_counted.submission_id,
        reports_counted.unit_code,
        reports_counted.form,
        reports_counted.reporting_year,
        coalesce(cdcs_reports.to_chuc_tet_sum_vay, captren_reports.to_chuc_tet_sum_vay) as to_chuc_tet_sum_vay,
        coalesce(cdcs_reports.to_chuc_thang_cong_nhan, captren_reports.to_chuc_thang_cong_nhan) as to_chuc_thang_cong_nhan,
        cdcs_reports.so_suat_qua_tet,
        cdcs_reports.gia_tri_qua_tet,
        cdcs_reports.so_nha_mai_am,
        cdcs_reports.so_ld_mat_viec_duoc_ho_tro,
        cdcs_reports.dv_huong_phuc_loi,
        captren_reports.quy_xa_hoi_van_dong,
        captren_reports.vay_von_so_du_an,
        captren_reports.vay_von_so_tien,
        captren_reports.vay_von_so_lao_dong,
        captren_reports.so_thoa_thuan_phuc_loi
    from reports_counted
    left join cdcs_reports
        on reports_counted.form = 'CDCS'
        and reports_counted.submission_id = cdcs_reports.submission_id
    left join captren_reports
        on reports_counted.form = 'CAPTREN'
        and reports_counted.submission_id = captren_reports.submission_id

),

final as (

    select
        programme_figures.submission_id,
        programme_figures.unit_code,
        units_at_period_end.parent_unit_code,
        programme_figures.form,
        case programme_figures.form when 'CDCS' then 'grassroots' else 'upper' end as org_level,
        programme_figures.reporting_year,
        programme_figures.to_chuc_tet_sum_vay,
        programme_figures.to_chuc_thang_cong_nhan,
        programme_figures.so_suat_qua_tet,
        programme_figures.gia_tri_qua_tet,
        programme_figures.so_nha_mai_am,
        programme_figures.so_ld_mat_viec_duoc_ho_tro,
        programme_figures.dv_huong_phuc_loi,
        programme_figures.quy_xa_hoi_van_dong,
        programme_figures.vay_von_so_du_an,
        programme_figures.vay_von_so_tien,
        programme_figures.vay_von_so_lao_dong,
        programme_figures.so_thoa_thuan_phuc_loi,
        units_at_period_end.unit_code is not null as is_expected_unit
    from programme_figures
    left join units_at_period_end
        on programme_figures.reporting_year = units_at_period_end.reporting_year
        and programme_figures.unit_code = units_at_period_end.unit_code

)

select * from final
