"""Keyed pseudonyms for citizen IDs (HMAC-SHA256), and masking for what people see.

The 12-digit ID never reaches a table, a log or a page: intake keeps only
HMAC(key, id). A plain hash would be worthless (10^12 IDs are hashed in minutes), so the key
lives outside the warehouse: `WELFARE_PSEUDONYM_KEY` (hex, ≥ 32 bytes), or an Airflow
connection `welfare_pseudonym` whose password is the key. Only the demo may create a local key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import unicodedata
from pathlib import Path

ENV_KEY = "WELFARE_PSEUDONYM_KEY"
AIRFLOW_CONN = "welfare_pseudonym"


class MissingKeyError(RuntimeError):
    """No pseudonymisation key is configured; intake refuses to run without one."""


def _from_airflow() -> str | None:
    try:
        from airflow.sdk import BaseHook

        return BaseHook.get_connection(AIRFLOW_CONN).password or None
    except Exception:  # noqa: BLE001 - no Airflow, or no such connection: fall through to the error
        return None


def load_key() -> bytes:
    raw = os.environ.get(ENV_KEY) or _from_airflow()
    if not raw:
        raise MissingKeyError(
            f"no pseudonymisation key: set {ENV_KEY} to 64 hex characters (e.g. `python -c 'import secrets; "
            f"print(secrets.token_hex(32))'`) kept outside the warehouse, or an Airflow connection "
            f"'{AIRFLOW_CONN}' whose password is the key. The demo creates a local one for itself."
        )
    try:
        key = bytes.fromhex(raw.strip())
    except ValueError as exc:
        raise MissingKeyError(f"{ENV_KEY} must be hexadecimal") from exc
    if len(key) < 32:
        raise MissingKeyError(f"{ENV_KEY} must be at least 32 bytes (64 hex characters)")
    return key


def ensure_demo_key(data_dir: Path) -> None:
    """For the demo only: a local random key under the data folder, exported to this process."""
    if os.environ.get(ENV_KEY):
        return
    key_file = data_dir / "secrets" / "pseudonym.key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    os.environ[ENV_KEY] = key_file.read_text().strip()


def pseudonym(citizen_id: str, key: bytes) -> str:
    """HMAC-SHA256 of the ID, its digits taken as ASCII (a fullwidth '０４２…' is the same person as '042…')."""
    digits = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in citizen_id)
    return hmac.new(key, digits.encode("utf-8"), hashlib.sha256).hexdigest()


def mask(citizen_id: str) -> str:
    """What a person may see: the first 3 and last 2 digits (042*******34)."""
    if len(citizen_id) <= 5:
        return "*" * len(citizen_id)
    return citizen_id[:3] + "*" * (len(citizen_id) - 5) + citizen_id[-2:]
