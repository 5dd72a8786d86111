"""A results store's journal, ``status.jsonl``: one JSON line per finished run, appended.

The last line for a run wins.  A store keeps what the journal says as one
byte per planned run (:data:`NOT_RUN`, :data:`DONE`, :data:`FAILED_RUN`), read
in one pass over the file, so a store of millions of runs takes megabytes;
lines are parsed one at a time and never held.  A line cut short by a kill,
or one without a run id or a known status, counts as no line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from simulation.batch.plan import PlanShape
from simulation.batch.specs import FAILED, SUCCEEDED

NOT_RUN, DONE, FAILED_RUN = 0, 1, 2
CODES = {SUCCEEDED: DONE, FAILED: FAILED_RUN}
NAME = "status.jsonl"


def entries(root: Path) -> Iterator[dict[str, Any]]:
    """The journal's valid entries, in the order they were written."""
    path = root / NAME
    if not path.exists():
        return
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            entry = _entry(line)
            if entry is not None:
                yield entry


def _entry(line: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None  # a line cut short by a kill
    if (isinstance(entry, dict) and isinstance(entry.get("run_id"), str)
            and entry.get("status") in CODES):
        return entry
    return None  # damaged: the run counts as not run


def states(root: Path, plan: PlanShape) -> tuple[np.ndarray, dict[str, str]]:
    """Each planned run's last status, and the last status of journal runs the plan lacks.

    Returns:
        (one code per run of ``plan``, run id to status for runs outside it).
    """
    state = np.zeros(len(plan), dtype=np.int8)
    outside: dict[str, str] = {}
    for entry in entries(root):
        i = plan.position(entry["run_id"])
        if i is None:
            outside[entry["run_id"]] = entry["status"]
        else:
            state[i] = CODES[entry["status"]]
    return state, outside


def append(root: Path, entry: dict[str, Any]) -> None:
    """Add one run's line."""
    with open(root / NAME, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")


def rewrite(root: Path, keep: Callable[[dict[str, Any]], bool], write) -> None:
    """Rewrite the journal with the valid entries ``keep`` accepts, line by line.

    Args:
        root: the store.
        keep: whether an entry stays.
        write: ``write(path, pieces)`` writes an iterable of bytes to ``path`` atomically.
    """
    path = root / NAME
    if not path.exists():
        return
    with open(path, encoding="utf-8", errors="replace") as fh:
        kept = (line.rstrip("\n").encode() + b"\n"
                for line in fh if (entry := _entry(line)) is not None and keep(entry))
        write(path, kept)


def failures(root: Path, plan: PlanShape, state: np.ndarray) -> dict[str, str]:
    """Planned runs whose last line says failed, with its error line (in journal order)."""
    out: dict[str, str] = {}
    for entry in entries(root):
        i = plan.position(entry["run_id"])
        if i is not None and state[i] == FAILED_RUN:
            out[entry["run_id"]] = entry.get("error", "")
    return out


def succeeded(root: Path, plan: PlanShape, state: np.ndarray) -> Iterator[tuple[int, str, str]]:
    """(position, run id, run hash) of every planned run whose last line says succeeded, once each.

    In journal order; the hash is that of the run's first succeeded line (a run
    stored twice, after a damaged part, was planned the same both times).
    """
    seen = np.zeros(len(plan), dtype=bool)
    for entry in entries(root):
        i = plan.position(entry["run_id"])
        if i is None or state[i] != DONE or seen[i] or entry["status"] != SUCCEEDED:
            continue
        seen[i] = True
        yield i, entry["run_id"], entry.get("run_hash")
