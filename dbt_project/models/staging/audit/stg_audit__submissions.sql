with

source as (

    select * from {{ source('audit', 'submissions') }}

),

renamed as (

    select
        -- ids
        cast(submission_id as bigint) as submission_id,
        cast(file_id as bigint) as file_id,
        cast(unit_code as text) as unit_code,

        -- strings
        cast(form as text) as form,
        cast(state as text) as state,

        -- numerics
        cast(reporting_year as integer) as reporting_year,
        cast(version as integer) as version,
        cast(source_row as integer) as source_row,

        -- booleans
        cast(is_superseded as boolean) as is_superseded,
        cast(is_on_time as boolean) as is_on_time,
        cast(is_after_lock as boolean) as is_after_lock,

        -- json
        cast(reasons as jsonb) as reasons,

        -- timestamps
        cast(received_at as timestamptz) as received_at

    from source

)

select * from renamed
