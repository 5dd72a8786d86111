"""Kill a study command part-way, as a power cut would: what every resume test does first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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


def whole_and_resumed(subcommand: str, file: Path, tmp: Path, runs: int,
                      finished: str) -> tuple[Path, Path]:
    """Run a study whole, and again killed part-way then resumed; the two output directories.

    Args:
        subcommand: ``sensitivity``, ``discover``, ...
        file: the study file.
        tmp: where the two directories go (``whole`` and ``broken``).
        runs: the study's model runs (the kill must come before the last).
        finished: a file the study writes only at its end (absent after the kill).
    """
    whole, broken = tmp / "whole", tmp / "broken"
    command = [sys.executable, "-m", "simulation.cli", subcommand, str(file), "--quiet",
               "--workers", "2", "--chunk-size", "1"]
    subprocess.run(command + ["--out", str(whole)], check=True, cwd=ROOT, capture_output=True)
    stored = kill_part_way(command + ["--out", str(broken)], broken / "runs" / "parts")
    assert 10 <= stored < runs, f"not killed part-way: {stored} of {runs} runs stored"
    assert not (broken / finished).exists(), f"{finished} written before the kill"
    done = subprocess.run(command + ["--out", str(broken), "--resume"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return whole, broken
