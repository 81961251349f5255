{#- The column never exceeds `other_column` on the same row (both non-null). -#}
{% test at_most(model, column_name, other_column) %}
    select {{ column_name }}, {{ other_column }}
    from {{ model }}
    where {{ column_name }} is not null
      and {{ other_column }} is not null
      and {{ column_name }} > {{ other_column }}
{% endtest %}
