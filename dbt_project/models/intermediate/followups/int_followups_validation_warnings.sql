{#- One follow-up per warning intake recorded (the file was accepted and the figure needs a
    person's look). Its identity is what the warning is about — the file's bytes, the rule
    and where it points — so the key survives rebuilds and even a re-registration of the
    audit trail. Rules in var `rules_recomputed_in_dbt` (the upper-level cross-check) are left
    to the models that recompute them over the counted reports. -#}
with

validation_results as (

    select * from {{ ref('stg_audit__validation_results') }}

),

files as (

    select * from {{ ref('stg_audit__files') }}

),

report_versions as (

    select * from {{ ref('int_report_versions') }}

),

warnings as (

    select
        validation_results.*,
        files.sha256,
        report_versions.form,
        report_versions.unit_code,
        report_versions.reporting_year,
        coalesce(report_versions.is_counted, false) as is_on_counted_version,
        files.received_at as detected_at
    from validation_results
    inner join files
        on validation_results.file_id = files.file_id
    left join report_versions
        on validation_results.submission_id = report_versions.submission_id
    where validation_results.severity = 'warning'
      and validation_results.rule <> all({{ text_array(var('rules_recomputed_in_dbt')) }})

),

keyed as (

    select
        md5(concat_ws('|',
            'validation_warning',
            warnings.sha256,
            coalesce(warnings.form, ''),
            coalesce(warnings.unit_code, ''),
            coalesce(cast(warnings.reporting_year as text), ''),
            warnings.rule,
            coalesce(warnings.sheet, ''),
            coalesce(cast(warnings.row_number as text), ''),
            coalesce(warnings.cell, ''),
            coalesce(warnings.field, '')
        )) as followup_key,
        warnings.*
    from warnings

),

deduplicated as (

    select distinct on (keyed.followup_key) keyed.*
    from keyed
    order by keyed.followup_key, keyed.validation_result_id

),

final as (

    select
        deduplicated.followup_key,
        deduplicated.submission_id,
        deduplicated.validation_result_id,
        deduplicated.unit_code,
        'validation_warning' as followup_type,
        deduplicated.rule,
        deduplicated.form,
        deduplicated.field,
        deduplicated.sheet,
        deduplicated.cell,
        deduplicated.message_vi,
        deduplicated.message_en,
        cast(null as text) as detail,
        cast(null as text) as related_unit_codes,
        deduplicated.reporting_year,
        deduplicated.row_number,
        deduplicated.is_on_counted_version,
        deduplicated.detected_at
    from deduplicated

)

select * from final
