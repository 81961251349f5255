"""The deadline alert's callback: a report run still not finished well after its time.

Attached to `annual_reports` as an Airflow DeadlineAlert (reference: the run's logical date,
interval: the provincial grace). The scheduler evaluates it and the triggerer awaits this
callback; it logs an error and, when WELFARE_ALERT_EMAIL and an SMTP connection are set, mails it.
"""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger(__name__)


async def report_run_late(context: dict[str, Any], **kwargs: Any) -> None:
    """Deadline missed: the run did not finish (sign-off pending or a task failing)."""
    dag_run = context.get("dag_run") or {}
    run_id = dag_run.get("dag_run_id") if isinstance(dag_run, dict) else getattr(dag_run, "run_id", dag_run)
    message = (
        f"annual_reports run {run_id} has not finished "
        f"{kwargs.get('grace_hours', '?')} hours after its scheduled time: the report is late. "
        "Check the run in Airflow; a pending sign-off waits under Required actions."
    )
    log.error(message)
    recipient = os.environ.get("WELFARE_ALERT_EMAIL")
    if not recipient:
        return
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    for conn_id in kwargs.get("smtp_conn_ids", ("welfare_smtp", "smtp_default")):
        try:
            async with SmtpHook(smtp_conn_id=conn_id) as hook:
                await hook.asend_email_smtp(
                    to=recipient, subject="[welfare] báo cáo trễ hạn / report run late", html_content=message
                )
            return
        except Exception:
            log.exception("could not send the deadline alert through %s", conn_id)
