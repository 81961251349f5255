with

source as (

    select * from {{ source('audit', 'lock_exceptions') }}

),

renamed as (

    select
        -- ids
        cast(unit_code as text) as unit_code,

        -- strings
        cast(form as text) as form,
        cast(reason as text) as reason,
        cast(recorded_by as text) as recorded_by,

        -- numerics
        cast(reporting_year as integer) as reporting_year,

        -- timestamps
        cast(recorded_at as timestamptz) as recorded_at

    from source

)

select * from renamed
