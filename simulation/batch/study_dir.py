"""The output directory of a study (sensitivity, calibration): claimed once, resumed only as itself.

A study writes a record (``study.json``, ``calibration.json``) holding the
hash of what determines its numbers.  A new study needs an empty or absent
directory; ``--resume`` needs the record, with the same hash.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from simulation.batch.store import write_atomically
from simulation.errors import InputError


def claim(out: Path, record: str, key: str, payload: dict[str, Any], resume: bool,
          kind: str, changeable: bool = False) -> bool:
    """Create ``out`` for a new study, or check that it holds this one when resuming.

    A study whose runs are kept in results stores may be resumed with changed
    settings (``changeable``): each store then checks that the change leaves
    its stored runs as they were, or re-plans them with ``--replan``
    (:meth:`simulation.batch.store.ResultsStore.resume`), and the study
    rewrites its record with :func:`settle` once its runs are checked.

    Args:
        out: the output directory.
        record: the record's file name inside ``out``.
        key: the hash of what determines the study's numbers.
        payload: what else the record keeps (a description of the study).
        resume: continue the study already in ``out``.
        kind: the study's kind in error messages ("sensitivity study", "calibration").
        changeable: the study may continue with changed settings.

    Returns:
        True when resuming a study whose settings changed.

    Raises:
        InputError: ``out`` is a file, is not empty without ``resume``, or holds
            no readable record or (unless ``changeable``) another study's.
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
        if not isinstance(stored, dict) or stored.get("hash") != key:
            if changeable:
                return True
            raise InputError(str(out), "--resume", f"--resume: the directory holds another study "
                             f"(a {kind} with other settings, which change its numbers); choose "
                             "another --out")
        return False
    settle(out, record, key, payload, kind)
    return False


def settle(out: Path, record: str, key: str, payload: dict[str, Any], kind: str,
           changed: bool = False) -> None:
    """Write the study's record in ``out`` (a new study, or one resumed with changed settings).

    With ``changed`` a ``note:`` line on standard error says the study in
    ``out`` now has the new settings (its stores said what became of its runs).
    """
    if changed:
        print(f"note: {out}: the {kind} was resumed with changed settings, which it now "
              f"records in {record}; every stored run they leave as it was is kept",
              file=sys.stderr)
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
