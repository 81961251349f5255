{#- Every row satisfies the boolean `expression` (null counts as false). Restrict the rows
    with the test's standard `config: where:`. -#}
{% test expression_is_true(model, expression) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
{% endtest %}
