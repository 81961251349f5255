{#- Which expected reports feed each indicator scope, using the hierarchy at period end:
      province    every expected report of the indicator's forms;
      upper       the CDCS reports of its grassroots unions at period end, and its own
                  CAPTREN report (so I03/I04/I09 read the unit's own form only);
      grassroots  its own CDCS report. -#}
with

scopes as (

    select * from {{ ref('int_indicator_scopes') }}

),

indicators as (

    select * from {{ ref('indicators') }}

),

expected_reports as (

    select * from {{ ref('int_expected_reports') }}

),

scoped_forms as (

    select
        scopes.*,
        string_to_array(indicators.forms, ';') as indicator_forms
    from scopes
    inner join indicators
        on scopes.indicator_code = indicators.indicator_code

),

members as (

    select
        scoped_forms.indicator_code,
        scoped_forms.unit_code,
        expected_reports.unit_code as member_unit_code,
        scoped_forms.org_level,
        expected_reports.form as member_form,
        scoped_forms.reporting_year
    from scoped_forms
    inner join expected_reports
        on scoped_forms.reporting_year = expected_reports.reporting_year
        and expected_reports.form = any(scoped_forms.indicator_forms)
        and (
            scoped_forms.org_level = 'province'
            or (
                scoped_forms.org_level = 'upper'
                and (
                    (expected_reports.form = 'CDCS' and expected_reports.parent_unit_code = scoped_forms.unit_code)
                    or (expected_reports.form = 'CAPTREN' and expected_reports.unit_code = scoped_forms.unit_code)
                )
            )
            or (
                scoped_forms.org_level = 'grassroots'
                and expected_reports.form = 'CDCS'
                and expected_reports.unit_code = scoped_forms.unit_code
            )
        )

),

final as (

    select
        members.indicator_code,
        members.unit_code,
        members.member_unit_code,
        members.org_level,
        members.member_form,
        members.reporting_year
    from members

)

select * from final
