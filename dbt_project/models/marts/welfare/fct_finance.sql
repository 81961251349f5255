{#- Union spending of each counted report, grassroots (CDCS) and upper level (CAPTREN, its
    own level only): total spending, welfare spending and their share (I10 per report). -#}
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

spending as (

    select
        reports_counted.submission_id,
        reports_counted.unit_code,
        reports_counted.form,
        reports_counted.reporting_year,
        coalesce(cdcs_reports.tong_chi_tai_chinh, captren_reports.tong_chi_tai_chinh) as tong_chi_tai_chinh,
        coalesce(cdcs_reports.chi_cham_lo_phuc_loi, captren_reports.chi_cham_lo_phuc_loi) as chi_cham_lo_phuc_loi
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
        spending.submission_id,
        spending.unit_code,
        units_at_period_end.parent_unit_code,
        spending.form,
        case spending.form when 'CDCS' then 'grassroots' else 'upper' end as org_level,
        spending.reporting_year,
        spending.tong_chi_tai_chinh,
        spending.chi_cham_lo_phuc_loi,
        case
            when spending.tong_chi_tai_chinh > 0
                then cast(spending.chi_cham_lo_phuc_loi as double precision) / cast(spending.tong_chi_tai_chinh as double precision)
        end as welfare_spending_share,
        units_at_period_end.unit_code is not null as is_expected_unit
    from spending
    left join units_at_period_end
        on spending.reporting_year = units_at_period_end.reporting_year
        and spending.unit_code = units_at_period_end.unit_code

)

select * from final
