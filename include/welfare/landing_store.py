"""The landing zone on object storage (S3-compatible, GCS, Azure …) through universal-pathlib.

By default the landing zone is the folder `<data>/landing/`. With `WELFARE_LANDING_URL` set (for
example `s3://ldld-hatinh/landing`), the object store is where senders put their files and
`<data>/landing/` becomes its local mirror: every intake and reference_data run, and
`welfare landing sync`, first copies what is new or changed in the store into the mirror, then
the rest of intake reads local files as always (the readers need local files; the original is
archived byte for byte as before).

- **Received time**: the object's own time (S3 `LastModified`, GCS `updated`, a local file's
  modification time) when the store has one, else the moment the mirror first saw it; the mirror
  file's modification time carries it, which is what intake records.
- **Idempotent**: an object already mirrored with the same size and time is not fetched again;
  an object replaced under the same name is fetched again (intake then sees new bytes: a new
  version, or a duplicate when the bytes are identical).
- **Bounded**: objects are streamed in 1 MiB chunks; one larger than `max_bytes` is not fetched
  (intake's own size limit would refuse it anyway), and is reported.
- **Credentials**: the filesystem's own (AWS_* variables for s3fs, …), plus
  `WELFARE_LANDING_STORAGE_OPTIONS`, JSON passed to the filesystem (e.g. `{"endpoint_url":
  "http://minio:9000"}` for MinIO). The protocol's package must be installed (`s3fs` for s3://).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from welfare.config import TIMEZONE

log = logging.getLogger(__name__)

ENV_URL = "WELFARE_LANDING_URL"
ENV_OPTIONS = "WELFARE_LANDING_STORAGE_OPTIONS"
CHUNK = 1 << 20
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
_INSTALL_HINT = (
    "Install the filesystem for its protocol (s3fs for s3://, gcsfs for gs://, adlfs for az://) "
    "or correct WELFARE_LANDING_URL."
)
_TIME_KEYS = ("mtime", "LastModified", "last_modified", "updated", "modified", "created", "time_created")


class LandingStoreError(RuntimeError):
    """The object store cannot be read; the message says what to change."""


@dataclass
class MirrorResult:
    source: str
    target: Path
    fetched: list[str] = field(default_factory=list)
    unchanged: int = 0
    too_large: list[str] = field(default_factory=list)
    bytes: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "fetched": len(self.fetched),
            "unchanged": self.unchanged,
            "too_large": self.too_large,
            "bytes": self.bytes,
        }


def configured_url() -> str | None:
    """WELFARE_LANDING_URL, when the landing zone is on object storage (None: the local folder)."""
    return os.environ.get(ENV_URL) or None


def storage_options() -> dict[str, Any]:
    text = os.environ.get(ENV_OPTIONS)
    if not text:
        return {}
    try:
        options = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LandingStoreError(
            f'{ENV_OPTIONS} must be a JSON object, e.g. {{"endpoint_url": "http://minio:9000"}}: {exc}'
        ) from exc
    if not isinstance(options, dict):
        raise LandingStoreError(f"{ENV_OPTIONS} must be a JSON object, got {type(options).__name__}")
    return options


def _root(url: str, options: dict[str, Any]) -> Any:
    from upath import UPath

    try:
        return UPath(url, **options)
    except (ImportError, ValueError) as exc:
        raise LandingStoreError(f"cannot open the landing zone {url}: {exc}. {_INSTALL_HINT}") from exc


def _modified(info: dict[str, Any]) -> float | None:
    for key in _TIME_KEYS:
        value = info.get(key)
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.replace(tzinfo=TIMEZONE)).timestamp()
        if isinstance(value, int | float) and value > 0:
            return float(value)
        if isinstance(value, str) and value:
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=TIMEZONE)).timestamp()
    return None


def mirror(
    url: str, target: Path, *, options: dict[str, Any] | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> MirrorResult:
    """Copy what is new or changed under `url` into `target` (same relative paths, hidden names skipped)."""
    import time

    root = _root(url, storage_options() if options is None else options)
    result = MirrorResult(url, target)
    base = root.path.rstrip("/")
    try:
        # One listing with each object's size and time (`find(detail=True)`): no request per object.
        listing = root.fs.find(base, detail=True)
    except ImportError as exc:
        raise LandingStoreError(f"cannot open the landing zone {url}: {exc}. {_INSTALL_HINT}") from exc
    except OSError as exc:
        raise LandingStoreError(
            f"cannot list the landing zone {url}: {exc}. Check the URL and the credentials "
            f"(the filesystem's own variables, {ENV_OPTIONS})."
        ) from exc
    for name, info in sorted(listing.items()):
        if info.get("type", "file") != "file":
            continue
        relative = name.rstrip("/")[len(base) :].lstrip("/")
        parts = Path(relative).parts
        if not parts or any(part.startswith(".") or part == ".." for part in parts):
            continue
        size = int(info.get("size") or 0)
        when = _modified(info)
        local = target.joinpath(*parts)
        if local.is_file() and local.stat().st_size == size and (when is None or local.stat().st_mtime == when):
            result.unchanged += 1
            continue
        if size > max_bytes:
            result.too_large.append(relative)
            log.warning("landing zone: %s is %d bytes, more than %d: not fetched", relative, size, max_bytes)
            continue
        local.parent.mkdir(parents=True, exist_ok=True)
        partial = local.with_name(f".{local.name[:60]}.{os.getpid()}.part")
        try:
            with root.fs.open(name, "rb") as source, partial.open("wb") as sink:
                shutil.copyfileobj(source, sink, CHUNK)
            stamp = when if when is not None else time.time()  # first seen now
            os.utime(partial, (stamp, stamp))
            partial.replace(local)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            # The local mirror keeps what it had: nothing half-written takes the file's name.
            raise LandingStoreError(
                f"could not fetch {relative} from {url} into {local}: {exc}. Fetched before it: "
                f"{len(result.fetched)}; run again, what is mirrored already is not fetched twice."
            ) from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        result.fetched.append(relative)
        result.bytes += size
    return result


def sync_configured(landing_dir: Path) -> MirrorResult | None:
    """Mirror WELFARE_LANDING_URL into the local landing folder; None when the landing zone is local."""
    url = configured_url()
    if url is None:
        return None
    result = mirror(url, landing_dir)
    log.info("landing zone %s mirrored into %s: %s", url, landing_dir, result.summary())
    return result
