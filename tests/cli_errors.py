"""What every bad-input test checks: one ``error:`` line on stderr, and how to get it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def one_error_line(err: str, *fragments: str) -> str:
    """Assert ``err`` is a single ``error:`` line without a traceback, naming each fragment."""
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, repr(err[:500])
    assert err.startswith("error: "), err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    return err


def iesim(*args: str) -> subprocess.CompletedProcess:
    """``iesim ARGS`` in a fresh interpreter (as a user runs it), output captured."""
    return subprocess.run([sys.executable, "-m", "simulation.cli", *args], capture_output=True,
                          text=True, cwd=ROOT)
