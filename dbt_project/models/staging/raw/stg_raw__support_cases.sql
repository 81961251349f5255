{#- Sheet HoTro without names or clear IDs (those never leave `restricted`). The person is
    known only by `nguoi_pseudonym`, the keyed HMAC of the citizen ID. -#}
with

source as (

    select * from {{ source('raw', 'support_cases') }}

),

renamed as (

    select
        -- ids
        cast(submission_id as bigint) as submission_id,
        cast(ma_don_vi as text) as ma_don_vi,
        cast(nguoi_pseudonym as text) as nguoi_pseudonym,

        -- strings (codes of DOMAIN.md's lists)
        cast(gioi_tinh as text) as gioi_tinh,
        cast(nhom_hoan_canh as text) as nhom_hoan_canh,
        cast(chuong_trinh as text) as chuong_trinh,
        cast(nguon_kinh_phi as text) as nguon_kinh_phi,
        cast(doi_tuong_yeu_the as text) as doi_tuong_yeu_the,

        -- numerics
        cast(source_row as integer) as source_row,
        cast(nam_bao_cao as integer) as nam_bao_cao,
        cast(stt as integer) as stt,
        cast(nam_sinh as integer) as nam_sinh,
        cast(so_tien as bigint) as so_tien,

        -- dates
        cast(ngay_ho_tro as date) as ngay_ho_tro,

        -- timestamps
        cast(loaded_at as timestamptz) as loaded_at

    from source

)

select * from renamed
