with

source as (

    select * from {{ source('audit', 'files') }}

),

renamed as (

    select
        -- ids
        cast(file_id as bigint) as file_id,
        cast(batch_id as bigint) as batch_id,
        cast(duplicate_of as bigint) as duplicate_of_file_id,

        -- strings
        cast(sha256 as text) as sha256,
        cast(file_name as text) as file_name,
        cast(file_type as text) as file_type,
        cast(state as text) as state,

        -- numerics
        cast(size_bytes as bigint) as size_bytes,

        -- json
        cast(reasons as jsonb) as reasons,

        -- timestamps
        cast(received_at as timestamptz) as received_at,
        cast(registered_at as timestamptz) as registered_at

    from source

)

select * from renamed
