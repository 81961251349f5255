{#- Pre-hook of the incremental support facts: a report's rows belong to its counted
    submission only, so when a resubmission (or a lock exception) changes which submission
    counts, the rows of the submission that no longer counts are removed here and the new
    submission's rows arrive through delete+insert on submission_id. -#}
{% macro delete_rows_of_uncounted_submissions() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as existing
        where not exists (
            select 1
            from {{ ref('int_reports_counted') }} as counted
            where counted.submission_id = existing.submission_id
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
