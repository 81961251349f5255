{#- The combination of `combination` columns identifies one row (nulls compare equal, as
    they do in a grain). Used for the composite keys of every model. -#}
{% test unique_combination(model, combination) %}
    select
        {{ combination | join(', ') }},
        count(*) as row_count
    from {{ model }}
    group by {{ combination | join(', ') }}
    having count(*) > 1
{% endtest %}
