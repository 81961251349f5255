"""The sign-off operator: Airflow's `ApprovalOperator`, keeping the answer for the audit trail.

`ApprovalOperator` skips its downstream tasks on "Reject" and then pushes no result, so the
decision would be lost to `audit.report_runs`. This subclass pushes the answer (option, who,
when) under the XCom key `decision` before the standard handling. Imports Airflow.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator

DECISION_KEY = "decision"


class SignOffOperator(ApprovalOperator):
    """Approve / Reject by a person (UI: Required actions); the answer is kept in XCom `decision`."""

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        if "error" not in event:
            context["ti"].xcom_push(
                key=DECISION_KEY,
                value={
                    "chosen_options": event.get("chosen_options"),
                    "responded_by_user": event.get("responded_by_user"),
                    "responded_at": event.get("responded_at"),
                },
            )
        return super().execute_complete(context, event)
