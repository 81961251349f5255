{#- Every submission intake registered, with its file and how the warehouse treated it. -#}
with

submissions as (

    select * from {{ ref('stg_audit__submissions') }}

),

files as (

    select * from {{ ref('stg_audit__files') }}

),

report_versions as (

    select * from {{ ref('int_report_versions') }}

),

final as (

    select
        submissions.submission_id,
        submissions.file_id,
        submissions.unit_code,
        files.file_name,
        files.sha256,
        files.file_type,
        submissions.form,
        submissions.state,
        coalesce(report_versions.counting_status, 'unidentified') as counting_status,
        submissions.reporting_year,
        submissions.version,
        submissions.source_row,
        submissions.is_superseded,
        submissions.is_on_time,
        coalesce(report_versions.is_received_after_lock, submissions.is_after_lock) as is_after_lock,
        coalesce(report_versions.has_lock_exception, false) as has_lock_exception,
        coalesce(report_versions.is_counted, false) as is_counted,
        submissions.reasons,
        submissions.received_at
    from submissions
    inner join files
        on submissions.file_id = files.file_id
    left join report_versions
        on submissions.submission_id = report_versions.submission_id

)

select * from final
