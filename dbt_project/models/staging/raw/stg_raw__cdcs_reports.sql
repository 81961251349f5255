{#- Field codes keep their FORMS.md names so every column traces back to a cell of sheet
    ChiTieu/ThongTin. The contact e-mail is left out: no model needs it (intake sends feedback). -#}
with

source as (

    select * from {{ source('raw', 'cdcs_reports') }}

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
        cast(xep_loai_thoa_uoc as text) as xep_loai_thoa_uoc,

        -- numerics
        cast(source_row as integer) as source_row,
        cast(nam_bao_cao as integer) as nam_bao_cao,
        cast(tong_lao_dong as bigint) as tong_lao_dong,
        cast(tong_doan_vien as bigint) as tong_doan_vien,
        cast(doan_vien_nu as bigint) as doan_vien_nu,
        cast(dv_duoc_thong_tin as bigint) as dv_duoc_thong_tin,
        cast(dv_kho_khan as bigint) as dv_kho_khan,
        cast(dv_kho_khan_duoc_ho_tro as bigint) as dv_kho_khan_duoc_ho_tro,
        cast(dv_huong_phuc_loi as bigint) as dv_huong_phuc_loi,
        cast(so_suat_qua_tet as bigint) as so_suat_qua_tet,
        cast(gia_tri_qua_tet as bigint) as gia_tri_qua_tet,
        cast(so_cuoc_doi_thoai as bigint) as so_cuoc_doi_thoai,
        cast(so_doi_thoai_phuc_loi_cao_hon as bigint) as so_doi_thoai_phuc_loi_cao_hon,
        cast(so_dieu_khoan_co_loi_hon as bigint) as so_dieu_khoan_co_loi_hon,
        cast(tong_chi_tai_chinh as bigint) as tong_chi_tai_chinh,
        cast(chi_cham_lo_phuc_loi as bigint) as chi_cham_lo_phuc_loi,
        cast(so_nha_mai_am as bigint) as so_nha_mai_am,
        cast(so_ld_mat_viec_duoc_ho_tro as bigint) as so_ld_mat_viec_duoc_ho_tro,

        -- flags (1/0 as on the form)
        cast(to_chuc_tet_sum_vay as smallint) as to_chuc_tet_sum_vay,
        cast(to_chuc_thang_cong_nhan as smallint) as to_chuc_thang_cong_nhan,
        cast(co_thoa_uoc as smallint) as co_thoa_uoc,

        -- dates
        cast(ngay_lap as date) as ngay_lap,
        cast(ngay_ky_thoa_uoc as date) as ngay_ky_thoa_uoc,

        -- timestamps
        cast(loaded_at as timestamptz) as loaded_at

    from source

)

select * from renamed
