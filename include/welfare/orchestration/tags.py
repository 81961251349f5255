"""The one approved set of DAG tags, the owner, and the default arguments every DAG uses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

OWNER = "welfare-data"

#: Every DAG tag must come from this set (the DAG integrity test checks it).
APPROVED_TAGS: frozenset[str] = frozenset(
    {
        "welfare",  # every DAG of the platform
        "intake",
        "reference-data",
        "warehouse",
        "dbt",
        "reports",
        "reminders",
        "sign-off",
        "calendar",  # scheduled from the reporting calendar
    }
)


def default_args(*, retries: int = 2, retry_delay: timedelta | None = None) -> dict[str, Any]:
    """Owner, retries and retry delay (WELFARE_RETRY_DELAY_SECONDS, 5 minutes by default) for every task."""
    from welfare.orchestration.settings import get_orchestration_settings

    delay = retry_delay if retry_delay is not None else get_orchestration_settings().retry_delay
    return {"owner": OWNER, "retries": retries, "retry_delay": delay}


def tags(*names: str) -> list[str]:
    """The DAG's tags (always with 'welfare'); an unapproved name fails at parse time."""
    unknown = set(names) - APPROVED_TAGS
    if unknown:
        raise ValueError(f"tags {sorted(unknown)} are not approved; use {sorted(APPROVED_TAGS)}")
    return ["welfare", *sorted(set(names) - {"welfare"})]
