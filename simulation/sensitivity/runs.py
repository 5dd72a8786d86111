"""Evaluate a study's sample points: model runs through the batch runner, or a function.

Every sample point runs ``replicates`` times; replicate ``r`` of every point
(and of both arms of an effect) draws from the same random streams (common
random numbers), so points differ only by their factor values.  Model runs
go through :func:`simulation.batch.run_scenarios`, so they are written as
they finish, resume after an interruption, and run on processes or Dask.

The result is a table with one row per point and replicate: the target
value of every outcome (the outcome itself for a ``level`` target; policy
minus reference for an ``effect`` target, paired by replicate).
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.batch.plan import Scenarios
from simulation.batch.seeds import replicate_seed
from simulation.sensitivity.sampling import value_matrix
from simulation.sensitivity.study import Study, function_name, load_function

POLICY, REFERENCE = "policy", "reference"


def point_name(index: int, arm: str | None = None) -> str:
    """The batch scenario name of a sample point (and arm of an effect)."""
    return f"p{index:07d}" + (f"-{arm}" if arm else "")


def scenarios(study: Study, unit: np.ndarray) -> Scenarios:
    """Batch scenarios of every sample point: the fixed settings plus its factor values.

    In an effect target each point has a policy and a reference scenario;
    a lever factor varies the policy only (the reference keeps its own
    lever settings), every other factor varies both.  The scenarios are
    derived from the design when asked for, never listed, so a design of a
    million points is planned and stored in the memory of its value matrix.
    """
    values = value_matrix(study, unit)
    names, kinds = study.names, [f.kind for f in study.factors]
    levers = {f.name for f in study.factors if f.lever}
    arms = (POLICY, REFERENCE) if study.target == "effect" else (None,)

    def point(i: int) -> tuple[int, str | None]:
        at, arm = divmod(i, len(arms))
        return at, arms[arm]

    def params(i: int) -> dict[str, Any]:
        at, arm = point(i)
        row = {name: kind(v) for name, kind, v in zip(names, kinds, values[at], strict=True)}
        if arm == POLICY:
            return {**study.policy, **row}
        if arm == REFERENCE:
            return {**study.reference, **{k: v for k, v in row.items() if k not in levers}}
        return {**study.reference, **row}

    def index(name: str) -> int | None:
        head, _, arm = name.partition("-")
        if not (head[:1] == "p" and head[1:].isdigit() and (arm or None) in arms):
            return None
        return int(head[1:]) * len(arms) + arms.index(arm or None)

    return Scenarios(len(values) * len(arms), lambda i: point_name(*point(i)), params, index,
                     {"design": f"the {len(values):,} sample points of samples.parquet"
                                + (", policy and reference arm of each" if len(arms) == 2
                                   else "")})


def evaluate(study: Study, unit: np.ndarray, out: Path, *, task=None, backend: str = "processes",
             workers: int | None = None, scheduler: str | None = None,
             chunk_size: int | None = None, progress: bool = True,
             replan: bool = False) -> pd.DataFrame:
    """Target values of every sample point and replicate.

    Args:
        study: the study.
        unit: the design in unit coordinates (:func:`sampling.unit_sample`).
        out: the study's output directory; model runs are stored in ``out/runs``.
        task: the :class:`~simulation.batch.ModelTask` to run (default: the
            iesim model keeping the study's outcomes); ignored for a function study.
        backend: ``serial``, ``processes`` or ``dask`` (as for
            :func:`simulation.batch.run_scenarios`).
        workers: worker processes (default: the CPUs available).
        scheduler: Dask scheduler address (None: a LocalCluster).
        chunk_size: runs per task (default: guided).
        progress: show progress on standard error.
        replan: keep the stored runs changed settings leave as they were, run
            the others anew (see :func:`simulation.batch.run_scenarios`).

    Returns:
        A DataFrame with columns ``point``, ``replicate`` and one per outcome.
    """
    if study.function:
        return _evaluate_function(study, unit)
    from simulation.batch import run_scenarios

    if task is None:
        from simulation.batch.iesim_task import iesim_task

        task = iesim_task(outcomes=study.outcomes)
    summary = run_scenarios(task, scenarios(study, unit), replicates=study.replicates,
                            seed=study.seed, steps=study.steps, out=out / "runs",
                            backend=backend, workers=workers, scheduler=scheduler,
                            chunk_size=chunk_size, progress=progress, replan=replan)
    failures = summary.attrs.get("failures") or {}
    if failures:
        first, error = next(iter(failures.items()))
        raise RuntimeError(f"{len(failures)} runs failed, so some sample points have no value "
                           f"({first}: {error}); fix the cause and run again with --resume "
                           "(add --replan if the fix changes the study's settings)")
    return _targets(study, summary, len(unit))


def _targets(study: Study, summary: pd.DataFrame, n_points: int) -> pd.DataFrame:
    missing = [o for o in study.outcomes if o not in summary.columns]
    if missing:
        raise RuntimeError(f"the model did not report outcome {missing[0]!r}")
    names = summary["scenario"].astype(str)
    frame = pd.DataFrame({"point": names.str.slice(1, 8).astype(int),
                          "arm": names.str.slice(9),
                          "replicate": summary["replicate"].astype(int)})
    for outcome in study.outcomes:
        frame[outcome] = summary[outcome].astype(float).to_numpy()
    if study.target == "effect":
        keys = ["point", "replicate"]
        policy = frame[frame["arm"] == POLICY].set_index(keys)[list(study.outcomes)]
        reference = frame[frame["arm"] == REFERENCE].set_index(keys)[list(study.outcomes)]
        frame = (policy - reference.reindex(policy.index)).reset_index()
    else:
        frame = frame.drop(columns="arm")
    frame = frame.sort_values(["point", "replicate"]).reset_index(drop=True)
    expected = n_points * study.replicates
    if len(frame) != expected:
        raise RuntimeError(f"expected {expected} point-replicate values, got {len(frame)}")
    return frame


def _evaluate_function(study: Study, unit: np.ndarray) -> pd.DataFrame:
    """A vectorised function over every point, once per replicate (its own ``rng`` each)."""
    function = load_function(study.function)
    takes_rng = "rng" in inspect.signature(function).parameters
    x = value_matrix(study, unit)
    frames = []
    for r in range(study.replicates):
        if takes_rng:
            raw = function(x, rng=np.random.default_rng(replicate_seed(study.seed, r)))
        else:
            raw = function(x)
        values = _as_columns(raw, study, len(x))
        frame = pd.DataFrame({"point": np.arange(len(x)), "replicate": r})
        for name, column in values.items():
            frame[name] = column
        frames.append(frame)
    return (pd.concat(frames, ignore_index=True).sort_values(["point", "replicate"])
            .reset_index(drop=True))


def _as_columns(raw: Any, study: Study, n: int) -> dict[str, np.ndarray]:
    where = f"{function_name(study.function)} "
    if isinstance(raw, dict):
        missing = [o for o in study.outcomes if o not in raw]
        if missing:
            raise RuntimeError(f"{where}returned no outcome {missing[0]!r} (it gave "
                               f"{', '.join(map(str, raw))})")
        columns = {o: np.asarray(raw[o], dtype=float) for o in study.outcomes}
    else:
        array = np.asarray(raw, dtype=float)
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2 or array.shape[1] != len(study.outcomes):
            raise RuntimeError(f"{where}returned shape {np.shape(raw)}; expected ({n},) or "
                               f"({n}, {len(study.outcomes)}) for outcomes {list(study.outcomes)}")
        columns = {o: array[:, j] for j, o in enumerate(study.outcomes)}
    for name, column in columns.items():
        if column.shape != (n,):
            raise RuntimeError(f"{where}returned {column.shape} values for {name!r}; expected {n}")
    return columns


def point_means(study: Study, values: pd.DataFrame) -> np.ndarray:
    """The analysed output: each point's mean over replicates, ``(n_points, n_outcomes)``."""
    return values.groupby("point")[list(study.outcomes)].mean().sort_index().to_numpy()
