{#- The follow-up list: warnings intake recorded, upper-level member counts that disagree
    with their grassroots, and suspected duplicate support. `status` is what a person set in
    audit.followup_status (joined, never written here), 'open' until someone does. -#}
with

validation_warnings as (

    select * from {{ ref('int_followups_validation_warnings') }}

),

upper_cross_checks as (

    select * from {{ ref('int_followups_upper_cross_check') }}

),

duplicate_support as (

    select * from {{ ref('int_followups_duplicate_support') }}

),

followup_status as (

    select * from {{ ref('stg_audit__followup_status') }}

),

all_followups as (

    select * from validation_warnings
    union all
    select * from upper_cross_checks
    union all
    select * from duplicate_support

),

final as (

    select
        all_followups.followup_key,
        all_followups.submission_id,
        all_followups.validation_result_id,
        all_followups.unit_code,
        all_followups.related_unit_codes,
        all_followups.followup_type,
        all_followups.rule,
        all_followups.form,
        all_followups.field,
        all_followups.sheet,
        all_followups.cell,
        all_followups.message_vi,
        all_followups.message_en,
        all_followups.detail,
        coalesce(followup_status.status, 'open') as status,
        followup_status.note as status_note,
        all_followups.reporting_year,
        all_followups.row_number,
        all_followups.is_on_counted_version,
        all_followups.detected_at,
        followup_status.updated_at as status_updated_at
    from all_followups
    left join followup_status
        on all_followups.followup_key = followup_status.followup_key

)

select * from final
