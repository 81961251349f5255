"""Answering sign-off requests through Airflow's REST API — how the demo approves unattended.

`dag.test()` never answers a human-in-the-loop task itself: it keeps the run alive while the task
waits in `awaiting_input` until a response is recorded from outside, as a person would through
the UI (*Required actions*) or the REST API. `Approver` is that outside: a thread that logs in as
a user of the simple auth manager and answers each pending request of the DAGs it watches,
through the public endpoints (`GET /api/v2/dags/~/dagRuns/~/hitlDetails`, `PATCH …/hitlDetails`).
Without `base_url` it serves the API in-process (no api-server needed); with it, it talks to a
running one. Imports Airflow (inside the thread).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)

Decide = Callable[[dict[str, Any]], str | None]


def approve_all(detail: dict[str, Any]) -> str | None:
    """Choose 'Approve' when offered (the demo's reviewer approves every draft)."""
    return "Approve" if "Approve" in detail.get("options", []) else None


@dataclass
class Answer:
    dag_id: str
    run_id: str
    task_id: str
    option: str
    status_code: int


@dataclass
class Approver:
    """A background reviewer: answers pending sign-offs of `dag_ids` with `decide(detail)`."""

    username: str
    password: str
    dag_ids: Iterable[str] = ("annual_reports",)
    decide: Decide = approve_all
    base_url: str | None = None
    poll_seconds: float = 1.0
    answers: list[Answer] = field(default_factory=list)
    error: BaseException | None = None

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="welfare-approver", daemon=True)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, *, wait: float = 120) -> Approver:
        self._thread.start()
        if not self._ready.wait(wait):
            raise TimeoutError("the approver could not reach Airflow's API in time")
        if self.error is not None:
            raise RuntimeError(f"the approver could not log in: {self.error}") from self.error
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def __enter__(self) -> Approver:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # -- the thread ----------------------------------------------------------------------------
    def _client(self) -> Any:
        if self.base_url:
            import httpx

            return httpx.Client(base_url=self.base_url, timeout=30)
        from airflow.api_fastapi.app import create_app
        from fastapi.testclient import TestClient

        return TestClient(create_app("core"))

    def _run(self) -> None:
        try:
            client = self._client()
            response = client.post("/auth/token", json={"username": self.username, "password": self.password})
            response.raise_for_status()
            client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        except Exception as exc:  # noqa: BLE001 - reported to the caller by start()
            self.error = exc
            self._ready.set()
            return
        self._ready.set()
        wanted = set(self.dag_ids)
        while not self._stop.is_set():
            try:
                self._answer_pending(client, wanted)
            except Exception:
                log.exception("the approver could not read or answer the pending sign-offs")
            self._stop.wait(self.poll_seconds)

    def _answer_pending(self, client: Any, wanted: set[str]) -> None:
        response = client.get("/api/v2/dags/~/dagRuns/~/hitlDetails", params={"response_received": False})
        response.raise_for_status()
        for detail in response.json().get("hitl_details", []):
            ti = detail["task_instance"]
            # Answer only a task that is parked waiting: a response written before it parks is kept
            # but does not resume it.
            if ti["dag_id"] not in wanted or ti["state"] != "awaiting_input":
                continue
            option = self.decide(detail)
            if option is None:
                continue
            path = (
                f"/api/v2/dags/{ti['dag_id']}/dagRuns/{ti['dag_run_id']}/taskInstances/"
                f"{ti['task_id']}/{ti['map_index']}/hitlDetails"
            )
            answer = client.patch(path, json={"chosen_options": [option], "params_input": {}})
            self.answers.append(Answer(ti["dag_id"], ti["dag_run_id"], ti["task_id"], option, answer.status_code))
            log.info(
                "answered %s %s %s: %s (%s)", ti["dag_id"], ti["dag_run_id"], ti["task_id"], option, answer.status_code
            )
