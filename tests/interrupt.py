"""Kill a study command part-way, as a power cut would: what every resume test does first."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]


def kill_part_way(command: list[str], parts: Path, at_least: int = 10,
                  timeout: float = 120) -> int:
    """Start ``command``, SIGKILL its process group once ``parts`` holds ``at_least`` run files.

    Returns:
        How many run files were stored when it died.
    """
    proc = subprocess.Popen(command, cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(list(parts.glob("*.parquet"))) < at_least:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return len(list(parts.glob("*.parquet")))
