{#- FORMS.md: an upper-level union's self-declared member count of its grassroots
    (`tong_doan_vien_khoi_co_so`) should be within 2 % of the sum of `tong_doan_vien` over the
    counted CDCS reports of its grassroots at period end. Recomputed here on every build, so
    a late grassroots report or a correction settles (or raises) the question by itself. -#}
with

report_figures as (

    select * from {{ ref('int_counted_report_figures') }}

),

units_at_period_end as (

    select * from {{ ref('int_units_at_period_end') }}

),

upper_reports as (

    select
        report_figures.submission_id,
        report_figures.unit_code,
        report_figures.reporting_year,
        cast(report_figures.figures ->> 'tong_doan_vien_khoi_co_so' as numeric) as declared_members,
        report_figures.figures
    from report_figures
    inner join units_at_period_end
        on report_figures.reporting_year = units_at_period_end.reporting_year
        and report_figures.unit_code = units_at_period_end.unit_code
        and units_at_period_end.unit_level = 'CAP_TREN'
    where report_figures.form = 'CAPTREN'

),

grassroots_members as (

    select
        units_at_period_end.parent_unit_code,
        report_figures.reporting_year,
        sum(coalesce(cast(report_figures.figures ->> 'tong_doan_vien' as numeric), 0)) as reported_members,
        count(*) as reporting_grassroots
    from report_figures
    inner join units_at_period_end
        on report_figures.reporting_year = units_at_period_end.reporting_year
        and report_figures.unit_code = units_at_period_end.unit_code
        and units_at_period_end.unit_level = 'CDCS'
    where report_figures.form = 'CDCS'
    group by units_at_period_end.parent_unit_code, report_figures.reporting_year

),

compared as (

    select
        upper_reports.submission_id,
        upper_reports.unit_code,
        upper_reports.reporting_year,
        upper_reports.declared_members,
        coalesce(grassroots_members.reported_members, 0) as reported_members,
        coalesce(grassroots_members.reporting_grassroots, 0) as reporting_grassroots
    from upper_reports
    left join grassroots_members
        on upper_reports.unit_code = grassroots_members.parent_unit_code
        and upper_reports.reporting_year = grassroots_members.reporting_year
    where upper_reports.declared_members is not null

),

mismatches as (

    select compared.*
    from compared
    where abs(compared.declared_members - compared.reported_members)
        > {{ var('upper_cross_check_tolerance') }} * compared.reported_members

),

final as (

    select
        md5(concat_ws('|',
            'upper_cross_check',
            '{{ var("upper_cross_check_rule") }}',
            'CAPTREN',
            mismatches.unit_code,
            cast(mismatches.reporting_year as text)
        )) as followup_key,
        mismatches.submission_id,
        cast(null as bigint) as validation_result_id,
        mismatches.unit_code,
        'upper_cross_check' as followup_type,
        '{{ var("upper_cross_check_rule") }}' as rule,
        'CAPTREN' as form,
        'tong_doan_vien_khoi_co_so' as field,
        'ChiTieu' as sheet,
        cast(null as text) as cell,
        format(
            'Tổng số đoàn viên các CĐCS trực thuộc tự kê khai (%s) lệch quá %s%% so với tổng của %s báo cáo CĐCS được tính (%s).',
            mismatches.declared_members, {{ var('upper_cross_check_tolerance') * 100 }},
            mismatches.reporting_grassroots, mismatches.reported_members
        ) as message_vi,
        format(
            'Declared members of affiliated grassroots unions (%s) differ by more than %s%% from the sum over %s counted CDCS reports (%s).',
            mismatches.declared_members, {{ var('upper_cross_check_tolerance') * 100 }},
            mismatches.reporting_grassroots, mismatches.reported_members
        ) as message_en,
        format('declared=%s; grassroots_sum=%s; grassroots_reports=%s',
            mismatches.declared_members, mismatches.reported_members, mismatches.reporting_grassroots
        ) as detail,
        cast(null as text) as related_unit_codes,
        mismatches.reporting_year,
        cast(null as integer) as row_number,
        true as is_on_counted_version,
        cast(null as timestamptz) as detected_at
    from mismatches

)

select * from final
