with

source as (

    select * from {{ source('audit', 'followup_status') }}

),

renamed as (

    select
        -- ids
        cast(followup_key as text) as followup_key,

        -- strings
        cast(status as text) as status,
        cast(note as text) as note,
        cast(updated_by as text) as updated_by,

        -- timestamps
        cast(updated_at as timestamptz) as updated_at

    from source

)

select * from renamed
