"""Provenance of a batch: package versions, git revision, command line, host."""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("iesim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "dask", "distributed")


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    """Installed versions of ``names`` (None for a missing package)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_revision(where: str | Path | None = None) -> dict[str, Any] | None:
    """The git commit and dirty flag of the checkout holding ``where``, or None."""
    cwd = Path(where) if where else Path(__file__).resolve().parent
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10
        )
        if rev.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd, capture_output=True, text=True, timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return {"revision": rev.stdout.strip(), "dirty": bool(status.stdout.strip())}


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def now() -> str:
    """The current UTC time, ISO 8601."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def collect(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Provenance of this session: time, command line, host, versions, git."""
    info = {
        "time": now(),
        "command": list(sys.argv),
        "host": platform.node(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "git": git_revision(),
    }
    info.update(extra or {})
    return info
