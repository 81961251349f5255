-- Row-level security for readers of one upper-level union (`welfare access create-reader`).
-- A reader is a login role in group `welfare_reader`, scoped to one upper-level unit: in the marts
-- it sees that unit's rows and the rows of the grassroots units under it *as of the end of each
-- row's reporting period* (registry as of that date), nothing else. Policies are FORCEd and are
-- re-applied after every dbt build (dbt recreates the tables): see access.apply_row_security().
create schema if not exists access;

create table if not exists access.reader_scopes (
    role_name   text        primary key,
    upper_unit  text        not null,
    created_at  timestamptz not null default now(),
    created_by  text        not null default current_user
);

do $access$
begin
    if not exists (select 1 from pg_roles where rolname = 'welfare_reader') then
        create role welfare_reader nologin;
    end if;
exception
    when duplicate_object then null;
    when insufficient_privilege then
        raise notice 'cannot create role welfare_reader: ask an administrator to run: create role welfare_reader nologin';
end
$access$;

-- Security definer: it reads the scopes and the registry, which readers themselves cannot.
-- Inside it current_user is the owner, so the policy passes the caller's current_user in `who`;
-- a caller may only ask about itself (or a role it belongs to).
drop function if exists access.can_see(text, integer);
create or replace function access.can_see(unit text, reporting_year integer, who name)
returns boolean
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select exists (
        select 1
        from access.reader_scopes as s
        where s.role_name = who
          and (who = session_user or pg_has_role(session_user, who, 'MEMBER'))
          and (
              unit = s.upper_unit
              or exists (
                  select 1
                  from registry.units as u
                  where u.ma_don_vi = unit
                    and u.ma_cap_tren = s.upper_unit
                    and (
                        reporting_year is null
                        or (u.hieu_luc_tu <= make_date(reporting_year, 10, 31)
                            and (u.hieu_luc_den is null or u.hieu_luc_den >= make_date(reporting_year, 10, 31)))
                    )
              )
          )
    )
$$;
revoke all on function access.can_see(text, integer, name) from public;

create or replace function access.apply_row_security()
returns integer
language plpgsql
as $$
declare
    t record;
    has_year boolean;
    applied integer := 0;
    owner_role text;
begin
    if exists (select 1 from pg_roles where rolname = 'welfare_reader') then
        execute 'grant usage on schema access to welfare_reader';
        execute 'grant execute on function access.can_see(text, integer, name) to welfare_reader';
    end if;
    for t in
        select c.relname, pg_get_userbyid(c.relowner) as owner
        from pg_class as c
        join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = 'marts' and c.relkind = 'r'
          and exists (select 1 from information_schema.columns as col
                      where col.table_schema = 'marts' and col.table_name = c.relname and col.column_name = 'unit_code')
    loop
        has_year := exists (select 1 from information_schema.columns as col
                            where col.table_schema = 'marts' and col.table_name = t.relname
                              and col.column_name = 'reporting_year');
        execute format('alter table marts.%I enable row level security', t.relname);
        execute format('alter table marts.%I force row level security', t.relname);
        execute format('drop policy if exists welfare_scope on marts.%I', t.relname);
        execute format('drop policy if exists welfare_all on marts.%I', t.relname);
        execute format(
            'create policy welfare_scope on marts.%I for select using (access.can_see(unit_code, %s, current_user))',
            t.relname, case when has_year then 'reporting_year' else 'null::integer' end);
        -- The owner (dbt's user) and the analysts keep seeing every row.
        owner_role := t.owner;
        if exists (select 1 from pg_roles where rolname = 'welfare_analyst') then
            execute format('create policy welfare_all on marts.%I for all to %I, welfare_analyst using (true)',
                           t.relname, owner_role);
        else
            execute format('create policy welfare_all on marts.%I for all to %I using (true)', t.relname, owner_role);
        end if;
        applied := applied + 1;
    end loop;
    return applied;
end
$$;
