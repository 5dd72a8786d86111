"""Progress of a batch: a tqdm bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class Progress:
    """Counts finished runs and shows progress with an ETA.

    A tqdm bar when ``stream`` is a terminal and not ``quiet``; otherwise a
    plain line at every tenth of the runs (and at least every 30 seconds).

    Args:
        total: runs planned.
        quiet: no bar, plain lines only.
        stream: where to write (default: standard error).
        label: what the line starts with.
    """

    def __init__(self, total: int, quiet: bool = False, stream: TextIO | None = None,
                 label: str = "batch"):
        self.stream = stream or sys.stderr
        self.total = total
        self.done = 0
        self.failed = 0
        self.label = label
        self.start = time.monotonic()
        self._last_line = self.start
        self._next_tenth = 1
        self.bar = None
        self._silenced = False
        isatty = getattr(self.stream, "isatty", lambda: False)()
        if not quiet and isatty:
            from tqdm import tqdm

            class _Bar(tqdm):
                monitor_interval = 0  # no monitor thread: local workers can then fork

            self.bar = _Bar(total=total, unit="run", file=self.stream, desc=label,
                            dynamic_ncols=True)

    def add(self, more: int) -> None:
        """Plan ``more`` runs."""
        self.total += more
        if self.bar is not None:
            self.bar.total = self.total
            self.bar.refresh()

    def update(self, failed: bool = False) -> None:
        """Count one finished run."""
        self.done += 1
        self.failed += int(failed)
        if self.bar is not None:
            self.bar.update(1)
            if failed:
                self.bar.set_postfix(failed=self.failed)
            return
        now = time.monotonic()
        tenth = int(10 * self.done / max(1, self.total))
        if tenth >= self._next_tenth or now - self._last_line >= 30 or self.done == self.total:
            self._next_tenth = tenth + 1
            self._last_line = now
            self._write(self.line() + "\n")

    def _write(self, text: str) -> None:
        if self._silenced:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # closed pipe or file: progress is not worth a crash
            self._silenced = True

    def line(self) -> str:
        """The plain progress line: done/total, failures, elapsed, ETA."""
        elapsed = time.monotonic() - self.start
        left = self.total - self.done
        eta = elapsed / self.done * left if self.done else float("nan")
        eta_text = _clock(eta) if eta == eta else "?"
        failed = f", {self.failed} failed" if self.failed else ""
        return (f"{self.label}: {self.done}/{self.total} runs{failed}, "
                f"elapsed {_clock(elapsed)}, ETA {eta_text}")

    def close(self) -> None:
        """Finish the bar."""
        if self.bar is not None:
            self.bar.close()
