{#- Field codes keep their FORMS.md names (sheet ChiTieu/ThongTin of form CAPTREN). The contact
    e-mail is left out; `kien_nghi` is free text and stays in staging only. -#}
with

source as (

    select * from {{ source('raw', 'captren_reports') }}

),

renamed as (

    select
        -- ids
        cast(submission_id as bigint) as submission_id,
        cast(ma_don_vi as text) as ma_don_vi,
        cast(ma_cap_tren as text) as ma_cap_tren,

        -- strings
        cast(ten_don_vi as text) as ten_don_vi,
        cast(phien_ban_bieu_mau as text) as phien_ban_bieu_mau,
        cast(kien_nghi as text) as kien_nghi,

        -- numerics
        cast(source_row as integer) as source_row,
        cast(nam_bao_cao as integer) as nam_bao_cao,
        cast(can_bo_chuyen_trach_phuc_loi as bigint) as can_bo_chuyen_trach_phuc_loi,
        cast(can_bo_da_tap_huan as bigint) as can_bo_da_tap_huan,
        cast(so_doi_thoai_chinh_quyen as bigint) as so_doi_thoai_chinh_quyen,
        cast(tong_chi_tai_chinh as bigint) as tong_chi_tai_chinh,
        cast(chi_cham_lo_phuc_loi as bigint) as chi_cham_lo_phuc_loi,
        cast(quy_xa_hoi_van_dong as bigint) as quy_xa_hoi_van_dong,
        cast(vay_von_so_du_an as bigint) as vay_von_so_du_an,
        cast(vay_von_so_tien as bigint) as vay_von_so_tien,
        cast(vay_von_so_lao_dong as bigint) as vay_von_so_lao_dong,
        cast(so_thoa_thuan_phuc_loi as bigint) as so_thoa_thuan_phuc_loi,
        cast(tong_doan_vien_khoi_co_so as bigint) as tong_doan_vien_khoi_co_so,

        -- flags (1/0 as on the form)
        cast(to_chuc_tet_sum_vay as smallint) as to_chuc_tet_sum_vay,
        cast(to_chuc_thang_cong_nhan as smallint) as to_chuc_thang_cong_nhan,

        -- dates
        cast(ngay_lap as date) as ngay_lap,

        -- timestamps
        cast(loaded_at as timestamptz) as loaded_at

    from source

)

select * from renamed
