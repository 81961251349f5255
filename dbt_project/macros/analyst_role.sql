{#- The read-only role analysts (and report tools) use: usage and select on `marts` only.
    The role is created NOLOGIN; people get it with `grant welfare_analyst to <login>`.
    Select on each mart is granted by the `grants` config of the marts folder (dbt re-applies
    it whenever a table is rebuilt); this macro creates the role before the run and grants
    usage on the schema after it. A build user without CREATEROLE gets a notice, not a failure. -#}
{% macro create_analyst_role() -%}
    {%- set role = var('analyst_role') -%}
    do $welfare$
    begin
        if not exists (select 1 from pg_catalog.pg_roles where rolname = '{{ role }}') then
            create role {{ adapter.quote(role) }} nologin;
        end if;
    exception
        when duplicate_object then null;
        when insufficient_privilege then
            raise notice 'cannot create role {{ role }}: ask a database administrator to run: create role {{ role }} nologin';
    end
    $welfare$;
{%- endmacro %}

{% macro grant_marts_usage() -%}
    {%- set role = var('analyst_role') -%}
    do $welfare$
    begin
        if exists (select 1 from pg_catalog.pg_roles where rolname = '{{ role }}')
           and exists (select 1 from pg_catalog.pg_namespace where nspname = 'marts') then
            grant usage on schema marts to {{ adapter.quote(role) }};
            grant select on all tables in schema marts to {{ adapter.quote(role) }};
        end if;
        -- Readers of one upper-level union (welfare access create-reader): same grants, and the
        -- row-level security policies that confine them, re-applied to the rebuilt tables.
        if exists (select 1 from pg_catalog.pg_roles where rolname = 'welfare_reader')
           and exists (select 1 from pg_catalog.pg_namespace where nspname = 'marts') then
            grant usage on schema marts to welfare_reader;
            grant select on all tables in schema marts to welfare_reader;
        end if;
        if to_regprocedure('access.apply_row_security()') is not null then
            perform access.apply_row_security();
        end if;
    end
    $welfare$;
{%- endmacro %}
