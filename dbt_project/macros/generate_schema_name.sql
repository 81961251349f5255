{#- Layers land in schemas named exactly as configured (staging, intermediate, marts,
    reference) rather than dbt's default `<target_schema>_<custom>`: analysts are granted
    `marts` by name, and the name must not depend on who ran the build. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
