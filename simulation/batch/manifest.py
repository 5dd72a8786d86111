"""A results store's ``manifest.json``: checked when read, and old stores' manifests converted.

A manifest holds the batch hash, the batch's description (``meta``), every
session's provenance and the plan (:class:`~simulation.batch.plan.PlanShape`
with the plan's hash), not its runs.  Stores written before plans were
streamed (:data:`LISTED_FORMAT`) list every run instead; they are read as a
plan of the listed runs' shape whose hash is unknown (each stored run is then
checked against a resume's plan by its journal line's run hash).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulation.batch.plan import PlanShape
from simulation.batch.specs import parse_run_id
from simulation.errors import InputError

FORMAT = "iesim-batch-store/2"
LISTED_FORMAT = "iesim-batch-store/1"
"""The format of stores written before plans were streamed: every run listed in the manifest."""


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_manifest(manifest: Any, path: Path) -> None:
    """Refuse a manifest that is not one written by :class:`ResultsStore`."""
    if not isinstance(manifest, dict) or manifest.get("format") not in (FORMAT, LISTED_FORMAT):
        raise InputError(str(path), "format", f"manifest format must be {FORMAT!r}")
    problem = ""
    if manifest["format"] == LISTED_FORMAT:
        runs = manifest.get("runs")
        if not isinstance(runs, list):
            problem = "it has no list of runs" if runs is None else "its runs are not a list"
        else:
            for i, entry in enumerate(runs):
                if not (isinstance(entry, dict) and parse_run_id(entry.get("run_id"))
                        and isinstance(entry.get("run_hash"), str)
                        and _is_count(entry.get("replicate"))):
                    problem = f"runs[{i}] lacks a run_id, run_hash or replicate"
                    break
    else:
        plan = manifest.get("plan")
        if not isinstance(plan, dict):
            problem = "it has no plan" if plan is None else "its plan is not a table"
        elif not (_is_count(plan.get("scenarios")) and _is_count(plan.get("replicates"))
                  and _is_count(plan.get("first_replicate", 0))
                  and plan.get("first_replicate", 0) <= plan["replicates"]):
            problem = "its plan lacks a count of scenarios or replicates"
    if not problem and not isinstance(manifest.get("meta", {}), dict):
        problem = "its meta is not a table"
    if not problem and not isinstance(manifest.get("provenance", []), list):
        problem = "its provenance is not a list"
    if problem:
        key = "runs" if manifest["format"] == LISTED_FORMAT else "plan"
        raise InputError(str(path), key, f"not a results store, or a damaged manifest: {problem}")


def _from_listed(manifest: dict[str, Any]) -> dict[str, Any]:
    """A manifest of the listed format in the current one: its runs give the plan's shape."""
    where = [parse_run_id(e["run_id"]) for e in manifest["runs"]]
    scenarios = 1 + max((i for i, _ in where), default=-1)
    reps = [r for _, r in where]
    shape = PlanShape(scenarios, 1 + max(reps, default=-1), min(reps, default=0))
    converted = {k: v for k, v in manifest.items() if k != "runs"}
    converted["format"] = FORMAT
    converted["plan"] = {**shape.describe(), "hash": None}  # unknown: runs are checked one by one
    return converted


def load(root: Path) -> dict[str, Any]:
    """The manifest of the store in ``root``, checked (and in the current format).

    Raises:
        InputError: when ``root`` is not a results store or its manifest is damaged.
    """
    path = root / "manifest.json"
    if not path.is_file():
        raise InputError(str(root), None, "not a results store (no manifest.json)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(str(path), None, f"manifest is unreadable ({exc})") from None
    _check_manifest(manifest, path)
    return _from_listed(manifest) if manifest["format"] == LISTED_FORMAT else manifest


def stored_plan(root: str | Path) -> PlanShape:
    """The shape of the plan of the store in ``root`` (reads its manifest only).

    Raises:
        InputError: when ``root`` is not a results store or its manifest is damaged.
    """
    return PlanShape.from_description(load(Path(root))["plan"])
