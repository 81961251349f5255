{#- A moment of reporting year `year_expr` in November, in the calendar's time zone
    (welfare.calendar.Calendar builds the same instants in Python). -#}
{% macro november_instant(year_expr, day, hour, minute, second) -%}
    make_timestamptz({{ year_expr }}, 11, {{ day }}, {{ hour }}, {{ minute }}, {{ second }}, '{{ var("calendar_timezone") }}')
{%- endmacro %}

{#- "Now" for the run: the `as_of` var when given (reproducible runs), else the run's start. -#}
{% macro as_of_timestamp() -%}
    cast('{{ var("as_of", run_started_at.isoformat()) }}' as timestamptz)
{%- endmacro %}

{#- A SQL array literal of text values from a list var. -#}
{% macro text_array(values) -%}
    array[{%- for v in values -%}'{{ v }}'{{ ", " if not loop.last }}{%- endfor -%}]::text[]
{%- endmacro %}
