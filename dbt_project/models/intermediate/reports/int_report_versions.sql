{#- Every submission that names a report (form, unit, year), with how it was treated:
    `counted` (the latest accepted version received before the lock, or after it when a lock
    exception is recorded), `superseded` (an earlier countable version), `after_lock` (accepted
    but received after the lock without an exception), `rejected` or `duplicate`.
    "After the lock" is intake's flag or the calendar's lock, whichever says so. -#}
with

submissions as (

    select * from {{ ref('stg_audit__submissions') }}

),

reporting_years as (

    select * from {{ ref('int_reporting_years') }}

),

lock_exceptions as (

    select * from {{ ref('stg_audit__lock_exceptions') }}

),

report_submissions as (

    select *
    from submissions
    where form is not null
      and unit_code is not null
      and reporting_year is not null

),

flagged as (

    select
        report_submissions.submission_id,
        report_submissions.file_id,
        report_submissions.unit_code,
        report_submissions.form,
        report_submissions.state,
        report_submissions.reporting_year,
        report_submissions.version,
        report_submissions.state in ('accepted', 'accepted_with_warnings') as is_accepted,
        (
            coalesce(report_submissions.is_after_lock, false)
            or coalesce(report_submissions.received_at > reporting_years.lock_at, false)
        ) as is_received_after_lock,
        lock_exceptions.unit_code is not null as has_lock_exception,
        report_submissions.received_at,
        case report_submissions.form
            when 'CDCS' then reporting_years.grassroots_deadline_at
            else reporting_years.upper_deadline_at
        end as deadline_at,
        reporting_years.lock_at
    from report_submissions
    left join reporting_years
        on report_submissions.reporting_year = reporting_years.reporting_year
    left join lock_exceptions
        on report_submissions.form = lock_exceptions.form
        and report_submissions.unit_code = lock_exceptions.unit_code
        and report_submissions.reporting_year = lock_exceptions.reporting_year

),

countable as (

    select
        flagged.*,
        flagged.is_accepted
            and (not flagged.is_received_after_lock or flagged.has_lock_exception) as is_countable
    from flagged

),

ranked as (

    select
        countable.*,
        row_number() over (
            partition by countable.form, countable.unit_code, countable.reporting_year, countable.is_countable
            order by countable.received_at desc, countable.submission_id desc
        ) as countable_recency_rank,
        min(countable.received_at) filter (where countable.is_accepted) over (
            partition by countable.form, countable.unit_code, countable.reporting_year
        ) as first_accepted_at,
        count(*) filter (where countable.is_accepted) over (
            partition by countable.form, countable.unit_code, countable.reporting_year
        ) as accepted_version_count
    from countable

),

final as (

    select
        ranked.submission_id,
        ranked.file_id,
        ranked.unit_code,
        ranked.form,
        ranked.state,
        case
            when ranked.state = 'rejected' then 'rejected'
            when ranked.state = 'duplicate' then 'duplicate'
            when not ranked.is_countable then 'after_lock'
            when ranked.countable_recency_rank = 1 then 'counted'
            else 'superseded'
        end as counting_status,
        ranked.reporting_year,
        ranked.version,
        cast(ranked.accepted_version_count as integer) as accepted_version_count,
        ranked.is_accepted,
        ranked.is_received_after_lock,
        ranked.has_lock_exception,
        ranked.is_countable,
        ranked.is_countable and ranked.countable_recency_rank = 1 as is_counted,
        ranked.received_at,
        ranked.first_accepted_at,
        ranked.deadline_at,
        ranked.lock_at
    from ranked

)

select * from final
