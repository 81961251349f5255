with

source as (

    select * from {{ source('audit', 'validation_results') }}

),

renamed as (

    select
        -- ids
        cast(result_id as bigint) as validation_result_id,
        cast(batch_id as bigint) as batch_id,
        cast(file_id as bigint) as file_id,
        cast(submission_id as bigint) as submission_id,

        -- strings
        cast(rule as text) as rule,
        cast(severity as text) as severity,
        cast(field as text) as field,
        cast(sheet as text) as sheet,
        cast(cell as text) as cell,
        cast(value_shown as text) as value_shown,
        cast(message_vi as text) as message_vi,
        cast(message_en as text) as message_en,
        cast(expectation as text) as expectation,

        -- numerics
        cast(row_number as integer) as row_number

    from source

)

select * from renamed
