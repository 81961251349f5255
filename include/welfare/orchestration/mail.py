"""Sending the reminders through Airflow's SMTP connection (imports Airflow inside the functions).

The first of the configured connection ids that exists is used (`welfare_smtp`, else
`smtp_default`); with none, the lists stay as files and the task says so. A union is mailed at
most once per reminder: audit.reminders_sent is written in the same transaction as the send is
confirmed, so a retried task does not mail twice what went out.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def configured_smtp(conn_ids: Sequence[str]) -> str | None:
    """The first SMTP connection id that Airflow knows, or None."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    for conn_id in conn_ids:
        try:
            Connection.get(conn_id)
        except AirflowNotFoundException:
            continue
        return conn_id
    return None


def send_reminders(
    event: dict[str, Any], written: list[dict[str, Any]], conn_ids: Sequence[str], mail_from: str
) -> dict[str, int]:
    """Mail each union its reminder (CSV attached); returns counts sent / already sent / no address."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    from welfare.orchestration.ledger import record_reminder_sent, reminder_sent
    from welfare.warehouse import connect

    counts = {"sent": 0, "already_sent": 0, "no_address": 0, "not_configured": 0}
    if not written:
        return counts
    conn_id = configured_smtp(conn_ids)
    if conn_id is None:
        counts["not_configured"] = len(written)
        log.warning("no SMTP connection (%s): %d reminder(s) left as files only", ", ".join(conn_ids), len(written))
        return counts
    at = datetime.fromisoformat(event["at"])
    with connect() as conn, SmtpHook(smtp_conn_id=conn_id) as hook:
        for item in written:
            if not item["email"]:
                counts["no_address"] += 1
                log.warning("%s has no e-mail in the registry; its list is %s", item["upper_code"], item["csv"])
                continue
            if reminder_sent(conn, event["year"], event["form"], at, item["upper_code"]):
                counts["already_sent"] += 1
                continue
            text = Path(item["txt"]).read_text(encoding="utf-8")
            hook.send_email_smtp(
                to=item["email"],
                from_email=mail_from,
                subject=item["subject"],
                html_content="<pre>" + html.escape(text) + "</pre>",
                files=[item["csv"]],
            )
            record_reminder_sent(
                conn, event["year"], event["form"], at, item["upper_code"], item["email"], item["sha256"]
            )
            conn.commit()
            counts["sent"] += 1
    log.info("reminders %s through %s: %s", event["label"], conn_id, counts)
    return counts
