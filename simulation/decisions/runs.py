"""Run a decision study's options at every parameter draw through the batch runner.

Each draw is a group of scenarios, one per option, with the draw's values of the uncertain
inputs.  Replicate ``r`` of every option at a draw runs on the same random streams
(common random numbers: the options are compared on the same luck), while the draws have
independent streams (:func:`simulation.batch.specs.plan_runs`' ``stream_groups``).  With
common streams across draws every draw would share the same few seeds' luck (the same
business cycle, say), a noise common to the whole sample that averaging over draws cannot
remove and the value of information would take for parameter uncertainty.  Runs go
through :func:`simulation.batch.run_scenarios`, so they are stored as they finish, resume
after an interruption and run on processes or Dask with identical numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from simulation.decisions.study import Decision
from simulation.model.metrics import EVALUATION_MEASURES


def scenario_name(draw: int, option: int) -> str:
    """The batch scenario name of an option at a draw: ``d000012-o03``."""
    return f"d{draw:06d}-o{option:02d}"


def scenarios(decision: Decision, draws: pd.DataFrame) -> tuple[dict[str, dict[str, Any]],
                                                                  dict[str, int]]:
    """The batch scenarios of every draw and option, and each one's stream group (its draw)."""
    names = decision.uncertainty.names
    out: dict[str, dict[str, Any]] = {}
    groups: dict[str, int] = {}
    for row in draws[["draw", *names]].itertuples(index=False):
        draw = int(row[0])
        values = {name: _plain(value, name) for name, value in zip(names, row[1:], strict=True)}
        for k, option in enumerate(decision.options):
            key = scenario_name(draw, k)
            out[key] = {**decision.params(option), **values}
            groups[key] = draw
    return out, groups


def _plain(value, name: str):
    from simulation.model.parameters import PARAMETERS

    return PARAMETERS[name].kind(value)


def evaluate(decision: Decision, draws: pd.DataFrame, out: Path, *, task=None,
             backend: str = "processes", workers: int | None = None,
             scheduler: str | None = None, chunk_size: int | None = None,
             progress: bool = True, replan: bool = False) -> pd.DataFrame:
    """Every run's costs and effects: one row per draw, replicate and option.

    Args:
        decision: the study.
        draws: its draws (:meth:`~simulation.decisions.inputs.Uncertainty.draw`).
        out: the study's output directory; runs are stored in ``out/runs``.
        task: a :class:`~simulation.batch.ModelTask` (default: iesim keeping the
            evaluation's measures).
        backend: ``serial``, ``processes`` or ``dask``.
        workers: worker processes (default: the CPUs available).
        scheduler: Dask scheduler address (None: a LocalCluster).
        chunk_size: runs per task (default: guided).
        progress: show progress on standard error.
        replan: keep the stored runs changed settings leave as they were, run the others
            anew (see :func:`simulation.batch.run_scenarios`).

    Returns:
        Columns ``draw``, ``replicate``, ``option`` (its name) and the four evaluation
        measures (:data:`simulation.model.metrics.EVALUATION_MEASURES`), sorted by draw,
        replicate and option order.

    Raises:
        RuntimeError: some runs failed, or a measure has no value in some run.
    """
    from simulation.batch import run_scenarios

    if task is None:
        from simulation.batch.iesim_task import iesim_task

        task = iesim_task(outcomes=EVALUATION_MEASURES)
    planned, groups = scenarios(decision, draws)
    summary = run_scenarios(task, planned, replicates=decision.replicates, seed=decision.seed,
                            steps=decision.steps, out=out / "runs", backend=backend,
                            workers=workers, scheduler=scheduler, chunk_size=chunk_size,
                            progress=progress, replan=replan, stream_groups=groups)
    failures = summary.attrs.get("failures") or {}
    if failures:
        first, error = next(iter(failures.items()))
        raise RuntimeError(f"{len(failures)} runs failed, so some draws have no value ({first}: "
                           f"{error}); fix the cause and run again with --resume (add --replan "
                           "if the fix changes the study's settings)")
    return _table(decision, summary)


def _table(decision: Decision, summary: pd.DataFrame) -> pd.DataFrame:
    missing = [m for m in EVALUATION_MEASURES if m not in summary.columns]
    if missing:
        raise RuntimeError(f"the model did not report {missing[0]!r}")
    names = summary["scenario"].astype(str)
    option = names.str.slice(9).astype(int)
    frame = pd.DataFrame({"draw": names.str.slice(1, 7).astype(int).to_numpy(),
                          "replicate": summary["replicate"].astype(int).to_numpy(),
                          "option": option.to_numpy()})
    for measure in EVALUATION_MEASURES:
        frame[measure] = summary[measure].astype(float).to_numpy()
    bad = frame[list(EVALUATION_MEASURES)].isna().any(axis=1)
    if bad.any():
        row = frame[bad].iloc[0]
        raise RuntimeError(f"{int(bad.sum())} runs have no value of a cost or effect measure "
                           f"(first: draw {row['draw']}, option {decision.names[row['option']]})")
    frame = frame.sort_values(["draw", "replicate", "option"]).reset_index(drop=True)
    expected = decision.runs
    if len(frame) != expected:
        raise RuntimeError(f"expected {expected} runs, got {len(frame)}")
    frame["option"] = [decision.names[k] for k in frame["option"]]
    return frame
