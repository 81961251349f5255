with

units as (

    select * from {{ ref('stg_registry__units') }}

),

final as (

    select
        md5(concat_ws('|', units.ma_don_vi, cast(units.hieu_luc_tu as text))) as unit_interval_id,
        units.ma_don_vi as unit_code,
        units.ma_cap_tren as parent_unit_code,
        units.sap_nhap_vao as merged_into_unit_code,
        units.ten_don_vi as unit_name,
        units.cap as unit_level,
        units.loai_hinh as unit_type,
        units.dia_ban as commune,
        units.email as unit_email,
        cast(units.load_id as bigint) as registry_load_id,
        (
            units.hieu_luc_tu <= cast({{ as_of_timestamp() }} as date)
            and (units.hieu_luc_den is null or units.hieu_luc_den >= cast({{ as_of_timestamp() }} as date))
        ) as is_current,
        units.hieu_luc_tu as valid_from_date,
        units.hieu_luc_den as valid_to_date
    from units

)

select * from final
