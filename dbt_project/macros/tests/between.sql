{#- Every non-null value of the column lies in [min_value, max_value] (either bound may be
    omitted). A small tolerance absorbs floating-point rounding of ratios. -#}
{% test between(model, column_name, min_value=none, max_value=none, tolerance=1e-9) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null
      and (
        false
        {%- if min_value is not none %} or {{ column_name }} < {{ min_value }} - {{ tolerance }}{% endif %}
        {%- if max_value is not none %} or {{ column_name }} > {{ max_value }} + {{ tolerance }}{% endif %}
      )
{% endtest %}
