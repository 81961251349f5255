"""Where things live and how the platform is configured.

Every setting has a default that works on a fresh clone and an environment variable that
overrides it, so the same code runs on a laptop, in CI and in the production topology.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")

PACKAGE_DIR = Path(__file__).resolve().parent
REFERENCE_DIR = PACKAGE_DIR / "reference"


def project_root() -> Path:
    """The repository root when running from a checkout, else the current directory."""
    env = os.environ.get("WELFARE_PROJECT_DIR")
    if env:
        return Path(env).resolve()
    candidate = PACKAGE_DIR.parent.parent
    if (candidate / "pyproject.toml").exists() and (candidate / "dbt_project").exists():
        return candidate
    return Path.cwd()


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one process."""

    data_dir: Path
    warehouse_url: str | None

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def feedback_dir(self) -> Path:
        return self.data_dir / "feedback"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"


def get_settings() -> Settings:
    """Read the settings from the environment (no caching: tests change the environment)."""
    data_dir = Path(os.environ.get("WELFARE_DATA_DIR") or project_root() / "data").resolve()
    return Settings(data_dir=data_dir, warehouse_url=os.environ.get("WAREHOUSE_URL") or None)
