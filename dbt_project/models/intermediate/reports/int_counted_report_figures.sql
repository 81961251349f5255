{#- The figures of every counted report as one jsonb document keyed by field code, so the
    indicator catalogue (seed `indicators`, written from welfare.indicators) can name its
    numerator and denominator fields as data instead of SQL. -#}
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

figures_by_submission as (

    select
        cdcs_reports.submission_id,
        to_jsonb(cdcs_reports) - array['submission_id', 'source_row', 'loaded_at'] as figures
    from cdcs_reports

    union all

    select
        captren_reports.submission_id,
        to_jsonb(captren_reports) - array['submission_id', 'source_row', 'loaded_at'] as figures
    from captren_reports

),

final as (

    select
        reports_counted.submission_id,
        reports_counted.unit_code,
        reports_counted.form,
        reports_counted.reporting_year,
        figures_by_submission.figures
    from reports_counted
    left join figures_by_submission
        on reports_counted.submission_id = figures_by_submission.submission_id

)

select * from final
