"""The output directory of a study (sensitivity, calibration): claimed once, resumed only as itself.

A study writes a record (``study.json``, ``calibration.json``) holding the
hash of what determines its numbers.  A new study needs an empty or absent
directory; ``--resume`` needs the record, with the same hash.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulation.batch.store import write_atomically
from simulation.errors import InputError


def claim(out: Path, record: str, key: str, payload: dict[str, Any], resume: bool,
          kind: str) -> None:
    """Create ``out`` for a new study, or check that it holds this one when resuming.

    Args:
        out: the output directory.
        record: the record's file name inside ``out``.
        key: the hash of what determines the study's numbers.
        payload: what else the record keeps (a description of the study).
        resume: continue the study already in ``out``.
        kind: the study's kind in error messages ("sensitivity study", "calibration").

    Raises:
        InputError: ``out`` is a file, is not empty without ``resume``, or holds
            no readable record or another study's.
    """
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "--out", "--out is a file; expected a directory")
    if out.is_dir() and any(out.iterdir()):
        if not resume:
            raise InputError(str(out), "--out", f"--out is not empty; continue the {kind} in it "
                             "with --resume, or choose another directory")
        try:
            stored = json.loads((out / record).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputError(str(out), "--resume", f"--resume: the directory holds no readable "
                             f"{record}, so it is not a {kind}'s output") from None
        if stored.get("hash") != key:
            raise InputError(str(out), "--resume", f"--resume: the directory holds another study "
                             f"(a {kind} with other settings, which change its numbers); choose "
                             "another --out")
        return
    text = json.dumps({"hash": key, **payload}, indent=1, default=str)
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_atomically(out / record, lambda p: Path(p).write_text(text, encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(out), "--out", f"cannot write the {kind} there "
                         f"({exc.strerror or exc})") from None


def record_session(out: Path, seconds: float) -> list[float]:
    """Add a session's wall time to ``out/sessions.json``; every session's so far.

    A resumed study has several sessions; their sum is the study's run time.
    """
    path = out / "sessions.json"
    try:
        done = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        done = []
    if not isinstance(done, list):
        done = []
    done = [float(s) for s in done if isinstance(s, int | float)] + [round(seconds, 1)]
    write_atomically(path, lambda p: Path(p).write_text(json.dumps(done), encoding="utf-8"))
    return done


def minutes(seconds: float) -> str:
    """A wall time as ``"12 min 5 s"``."""
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"
