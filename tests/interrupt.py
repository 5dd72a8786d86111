"""Kill a study command part-way, as a power cut would: what every resume test does first.

The command is held after it has stored a given number of runs (its results
store stops recording: :func:`hold_after`), so the kill comes at the same
point however fast or slow the machine is, and never after the last run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
TESTS = Path(__file__).parent
WAIT = 600.0
"""Seconds to wait for a held command to reach its runs (generous: a guard against a hang)."""

HELD = ("import sys; sys.path.insert(0, {tests!r}); import interrupt; interrupt.hold_after({n}); "
        "from simulation.cli import main; sys.exit(main(sys.argv[1:]))")


def hold_after(n: int) -> None:
    """In this process, let results stores record ``n`` runs, then block the next record forever."""
    from simulation.batch.store import ResultsStore

    original = ResultsStore.record
    recorded = 0

    def record(self, result):
        nonlocal recorded
        if recorded >= n:
            threading.Event().wait()  # held here until the test kills the process
        original(self, result)
        recorded += 1

    ResultsStore.record = record


def held_command(command: list[str], n: int) -> list[str]:
    """``command`` (``python -m simulation.cli ARGS``) held after ``n`` stored runs."""
    assert command[1:3] == ["-m", "simulation.cli"], command
    return [command[0], "-c", HELD.format(tests=str(TESTS), n=n), *command[3:]]


def kill_part_way(command: list[str], parts: Path, at_least: int = 10,
                  timeout: float = WAIT) -> int:
    """Start ``command``, SIGKILL its process group once ``parts`` holds ``at_least`` run files.

    The command is held after storing ``at_least`` runs (:func:`hold_after`),
    so exactly that many are stored when it dies.

    Returns:
        How many run files were stored when it died.
    """
    proc = subprocess.Popen(held_command(command, at_least), cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while len(list(parts.glob("*.parquet"))) < at_least:
        assert proc.poll() is None, "the command ended before it stored the runs to kill it at"
        assert time.monotonic() < deadline, f"no {at_least} runs stored in {timeout:g} s"
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
