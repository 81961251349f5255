"""Great Expectations suites as code: one function per form and sheet, each returning a suite.

Every expectation carries `meta.rule` (the rule id of FORMS.md, `<field>.<check>`), `meta.field`
(the field code whose cell is reported) and, for pair rules, `meta.other`; `severity` is
`critical` for errors (the file is rejected) and `warning` for warnings (accepted, follow-up).
Columns starting with `_` are context the intake adds to each frame before validation (the
registry's view of the unit, the calendar, last year's figures); see welfare.intake.validate.
"""

from expectations.suites import SUITES, suite_for

__all__ = ["SUITES", "suite_for"]
