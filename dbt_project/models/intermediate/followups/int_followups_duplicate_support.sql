{#- Suspected duplicate support (FORMS.md cross-check): the same person, by pseudonymised ID,
    supported by several grassroots unions for the same situation in one year, over the
    counted reports. Only the key and the units are shown; the pseudonym stays here. -#}
with

support_cases as (

    select * from {{ ref('int_support_cases_counted') }}

),

grouped as (

    select
        support_cases.reporting_year,
        support_cases.nguoi_pseudonym,
        support_cases.nhom_hoan_canh,
        count(distinct support_cases.unit_code) as unit_count,
        count(*) as case_count,
        sum(support_cases.so_tien) as amount_total,
        string_agg(distinct support_cases.unit_code, ';' order by support_cases.unit_code) as related_unit_codes,
        min(support_cases.submission_id) as first_submission_id
    from support_cases
    where support_cases.nguoi_pseudonym is not null
    group by support_cases.reporting_year, support_cases.nguoi_pseudonym, support_cases.nhom_hoan_canh
    having count(distinct support_cases.unit_code) > 1

),

final as (

    select
        md5(concat_ws('|',
            'duplicate_support',
            cast(grouped.reporting_year as text),
            grouped.nguoi_pseudonym,
            coalesce(grouped.nhom_hoan_canh, '')
        )) as followup_key,
        cast(null as bigint) as submission_id,
        cast(null as bigint) as validation_result_id,
        cast(null as text) as unit_code,
        'duplicate_support' as followup_type,
        'ho_tro.trung_nguoi_nhieu_cdcs' as rule,
        'CDCS' as form,
        'nguoi_pseudonym' as field,
        'HoTro' as sheet,
        cast(null as text) as cell,
        format(
            'Cùng một người (theo mã định danh đã mã hóa) được %s CĐCS hỗ trợ cho hoàn cảnh %s trong năm %s: %s.',
            grouped.unit_count, coalesce(grouped.nhom_hoan_canh, '(trống)'), grouped.reporting_year, grouped.related_unit_codes
        ) as message_vi,
        format(
            'The same person (by pseudonymised ID) was supported by %s grassroots unions for situation %s in %s: %s.',
            grouped.unit_count, coalesce(grouped.nhom_hoan_canh, '(empty)'), grouped.reporting_year, grouped.related_unit_codes
        ) as message_en,
        format('units=%s; cases=%s; amount=%s', grouped.unit_count, grouped.case_count, grouped.amount_total) as detail,
        grouped.related_unit_codes,
        grouped.reporting_year,
        cast(null as integer) as row_number,
        true as is_on_counted_version,
        cast(null as timestamptz) as detected_at
    from grouped

)

select * from final
