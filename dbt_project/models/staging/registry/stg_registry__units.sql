with

source as (

    select * from {{ source('registry', 'units') }}

),

renamed as (

    select
        -- ids
        cast(ma_don_vi as text) as ma_don_vi,
        cast(ma_cap_tren as text) as ma_cap_tren,
        cast(sap_nhap_vao as text) as sap_nhap_vao,
        cast(load_id as bigint) as load_id,

        -- strings
        cast(ten_don_vi as text) as ten_don_vi,
        cast(cap as text) as cap,
        cast(loai_hinh as text) as loai_hinh,
        cast(dia_ban as text) as dia_ban,
        cast(email as text) as email,

        -- dates
        cast(hieu_luc_tu as date) as hieu_luc_tu,
        cast(hieu_luc_den as date) as hieu_luc_den

    from source

)

select * from renamed
