-- The unit registry (danh mục đơn vị). Every load is kept: `unit_versions` is append-only and
-- `units` shows the rows of the latest load, so the registry "as it was loaded on a date"
-- stays queryable and a bad load can be audited.
create schema if not exists registry;

create table if not exists registry.loads (
    load_id      bigint generated always as identity primary key,
    file_name    text        not null,
    sha256       text        not null,
    row_count    integer     not null,
    unit_count   integer     not null,
    loaded_at    timestamptz not null default now()
);

create table if not exists registry.unit_versions (
    load_id       bigint not null references registry.loads (load_id),
    ma_don_vi     text   not null,
    ten_don_vi    text   not null,
    cap           text   not null check (cap in ('TINH', 'CAP_TREN', 'CDCS')),
    ma_cap_tren   text,
    loai_hinh     text,
    dia_ban       text,
    email         text,
    hieu_luc_tu   date   not null,
    hieu_luc_den  date,
    sap_nhap_vao  text,
    primary key (load_id, ma_don_vi, hieu_luc_tu),
    check (hieu_luc_den is null or hieu_luc_den >= hieu_luc_tu)
);

create or replace view registry.units as
select v.ma_don_vi, v.ten_don_vi, v.cap, v.ma_cap_tren, v.loai_hinh, v.dia_ban, v.email,
       v.hieu_luc_tu, v.hieu_luc_den, v.sap_nhap_vao, v.load_id
from registry.unit_versions as v
where v.load_id = (select max(load_id) from registry.loads);
