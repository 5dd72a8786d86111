"""Model runs for a calibration: design points through the batch runner, as target outputs.

Every design point runs ``replicates`` times, each run on its own random
streams: no common random numbers across points.  With common streams every
point would share the same few seeds' luck, a bias common to the whole
design that the emulators cannot average away and the calibration would
absorb into the parameters; with independent streams the run noise is
independent between points, the emulators' noise term averages it, and the
run variance is what the implausibility allows for.  Runs go through
:func:`simulation.batch.run_scenarios`: each batch of points (a wave, the
confirmation, the check) is stored in its own directory as runs finish, and
a rerun with the same points continues it.

A target's output is its outcome for a level target and ``greater - lesser``
for an order target (met when above 0).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.calibration.plan import Plan
from simulation.calibration.targets import Target


def outcomes_read(targets: tuple[Target, ...]) -> tuple[str, ...]:
    """Every outcome the targets read, once, in order."""
    return tuple(dict.fromkeys(o for t in targets for o in t.outcomes))


def output(target: Target, frame: pd.DataFrame) -> pd.Series:
    """The target's output in each row of a table of outcomes."""
    if target.kind == "level":
        return frame[target.outcome]
    return frame[target.greater] - frame[target.lesser]


def parameter_values(plan: Plan, unit: np.ndarray) -> list[dict[str, Any]]:
    """Model keywords of each row of a unit-cube design."""
    return [{f.name: f.value(u) for f, u in zip(plan.factors, row, strict=True)}
            for row in np.atleast_2d(unit)]


def evaluate(plan: Plan, targets: tuple[Target, ...], values: list[dict[str, Any]], name: str,
             out: Path, replicates: int, *, seed: int | None = None, task=None,
             backend: str = "processes", workers: int | None = None,
             scheduler: str | None = None, chunk_size: int | None = None,
             progress: bool = True, replan: bool = False) -> pd.DataFrame:
    """Each point's target outputs, one row per point and replicate.

    Args:
        plan: the calibration plan (scenario, years, seed).
        targets: the targets whose outputs are wanted.
        values: model keywords of each point.
        name: the batch's name; its runs are stored in ``out/runs/name``.
        out: the calibration's output directory.
        replicates: runs per point.
        seed: master seed of the runs (default: the plan's); give each batch its own.
        task: a :class:`~simulation.batch.ModelTask` (default: iesim keeping
            the outcomes the targets read).
        backend: ``serial``, ``processes`` or ``dask``.
        workers: worker processes (default: the CPUs available).
        scheduler: Dask scheduler address (None: a LocalCluster).
        chunk_size: runs per task (default: guided).
        progress: show progress on standard error.
        replan: keep the stored runs changed settings leave as they were, run
            the others anew (see :func:`simulation.batch.run_scenarios`).

    Returns:
        Columns ``point``, ``replicate``, then one per target (its output).

    Raises:
        RuntimeError: some runs failed (their errors are in the store).
    """
    from simulation.batch import run_scenarios

    if task is None:
        from simulation.batch.iesim_task import iesim_task

        task = iesim_task(outcomes=outcomes_read(targets))
    scenarios = {f"{name}-p{i:06d}": {**plan.scenario, **v} for i, v in enumerate(values)}
    summary = run_scenarios(task, scenarios, replicates=replicates,
                            seed=plan.seed if seed is None else seed, steps=plan.steps,
                            out=out / "runs" / name, backend=backend, workers=workers,
                            scheduler=scheduler, chunk_size=chunk_size,
                            common_random_numbers=False, progress=progress, replan=replan)
    failures = summary.attrs.get("failures") or {}
    if failures:
        first, error = next(iter(failures.items()))
        raise RuntimeError(f"{len(failures)} runs failed ({first}: {error}); fix the cause and "
                           "run again with --resume (add --replan if the fix changes the "
                           "calibration's settings)")
    names = summary["scenario"].astype(str)
    frame = pd.DataFrame({"point": names.str.rsplit("-p", n=1).str[1].astype(int),
                          "replicate": summary["replicate"].astype(int).to_numpy()})
    for target in targets:
        frame[target.name] = output(target, summary).astype(float).to_numpy()
    frame = frame.sort_values(["point", "replicate"]).reset_index(drop=True)
    if len(frame) != len(values) * replicates:
        raise RuntimeError(f"expected {len(values) * replicates} runs in {name}, got {len(frame)}")
    return frame


def point_means(frame: pd.DataFrame, names: list[str]) -> np.ndarray:
    """Each point's mean output over its replicates, ``(n_points, len(names))``."""
    return frame.groupby("point")[names].mean().sort_index().to_numpy()


def run_variance(frame: pd.DataFrame, names: list[str]) -> np.ndarray:
    """Pooled variance of single runs about their point's mean, per output (0 with one replicate)."""
    if frame["replicate"].nunique() < 2:
        return np.zeros(len(names))
    return frame.groupby("point")[names].var(ddof=1).mean().to_numpy()
