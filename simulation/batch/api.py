"""One call for library users: plan, store, run and summarise a batch of scenarios.

::

    from simulation.batch import ModelTask, run_scenarios

    summary = run_scenarios(task, {"base": {"n": 50}, "rich": {"n": 100}},
                            replicates=10, seed=42, steps=100, out="results/boltzmann")

Calling it again with the same arguments continues the batch in ``out``
(only missing or failed runs run); with more replicates it adds them.  A
different batch in ``out`` is refused.  See ``docs/runner.md``.
"""

from __future__ import annotations

import io
import numbers
import sys
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simulation.batch.models import scenario_base
from simulation.batch.plan import Scenarios
from simulation.batch.specs import BACKENDS, plan_runs, stable_hash_of
from simulation.batch.task import ModelTask
from simulation.errors import InputError


def batch_hash(task: ModelTask, scenarios: Mapping[str, Any], seed: int, steps: int,
               common_random_numbers: bool = True,
               stream_groups: Mapping[str, int] | None = None) -> str:
    """The hash of everything that determines a batch's data (not its replicate count).

    A store keeps this hash; resuming it with another task, other scenarios,
    seed, steps or random-number scheme is refused, while adding replicates is
    not.  Parameters are made plain and completed with the model's defaults
    first (as :func:`run_scenarios` stores them), so ``{}`` and the defaults
    written out give the same hash.  The scenarios are hashed one by one (a
    :class:`~simulation.batch.plan.Scenarios` of derived ones is never listed).
    """
    plain = Scenarios.of(scenarios).map(task.complete)
    described = {"task": task.identity(), "seed": int(seed),
                 "steps": int(steps), "crn": bool(common_random_numbers)}
    if stream_groups is not None:  # only then, so earlier stores keep their hash
        described["groups"] = {str(k): int(v) for k, v in stream_groups.items()}
    return stable_hash_of(described, "scenarios", plain.sorted_items(), pairs=True)


def run_scenarios(
    task: ModelTask,
    scenarios: Mapping[str, Any],
    *,
    replicates: int,
    seed: int,
    steps: int,
    out: str | Path | None = None,
    backend: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    common_random_numbers: bool = True,
    progress: bool = True,
    replan: bool = False,
    stream_groups: Mapping[str, int] | None = None,
):
    """Run every scenario's replicates and return the summary table.

    Replicate ``r`` of every scenario draws from the same random streams
    (common random numbers), so scenarios differ only by their parameters.

    Args:
        task: what to run (see :class:`~simulation.batch.task.ModelTask`).
        scenarios: scenario name to parameter keywords, or to a Mesa Scenario
            instance without ``rng``; parameters must be plain values
            (numbers, strings, booleans, None, lists or dicts of them).  The
            model's defaults are filled in for parameters a scenario leaves out.
            A :class:`~simulation.batch.plan.Scenarios` of many derived
            scenarios (a study's design points) is planned, stored and run
            without listing them.
        replicates: runs per scenario (>= 1); a store that already holds more
            keeps them, and all are returned.
        seed: master seed (integer >= 0).
        steps: model steps per run.
        out: results directory; created, or continued when it holds this
            batch.  None: a temporary directory, removed afterwards.
        backend: ``"serial"``, ``"processes"`` (default) or ``"dask"``.
        workers: worker processes (default: the CPUs available).
        scheduler: Dask scheduler address (backend ``"dask"``); None starts a
            LocalCluster.
        chunk_size: runs per task (default: guided).
        common_random_numbers: share random streams across scenarios.
        stream_groups: scenario name to group number, instead of
            ``common_random_numbers``: scenarios of a group share random streams by
            replicate, groups have independent streams (see
            :func:`~simulation.batch.specs.plan_runs`).
        progress: show progress on standard error.
        replan: continue a store of a batch whose settings changed in a way that
            alters some stored runs: those are dropped and run anew, the others
            kept.  Without it such a store is refused; a change that alters no
            stored run (e.g. a scenario added) continues it either way, with a
            ``note:`` line on standard error saying so.

    Returns:
        A pandas DataFrame, one row per succeeded run in ``out`` (identity
        columns, ``param_*`` columns and the outcomes); ``attrs["failures"]``
        maps failed run ids to their error lines (a warning says how many).

    Raises:
        TypeError: the model cannot be built with a scenario's parameters, or a
            parameter is not a plain value (checked before anything runs).
        ValueError: a bad replicate count, seed, steps or backend option.
        simulation.errors.InputError: ``out`` holds another batch whose stored runs
            the change alters (and not ``replan``), or the Dask scheduler is
            malformed, unreachable or no Dask scheduler.
        RuntimeError: every run failed (the first error is in the message).
    """
    _check_options(task, scenarios, replicates, backend, scheduler)
    if not isinstance(scenarios, Scenarios):  # derived scenarios are plain dicts
        _check_scenario_classes(task, scenarios)
    scenarios = Scenarios.of(scenarios).map(task.complete)

    def plan(n: int):
        return plan_runs(scenarios, n, seed, steps, common_random_numbers,
                         stream_groups=stream_groups)

    task.check_specs(plan(1))
    crn = common_random_numbers if stream_groups is None else dict(stream_groups)
    if backend == "dask" and scheduler:
        from simulation.batch.dask_backend import check_scheduler

        check_scheduler(scheduler)  # before any store exists
    if out is None:
        with tempfile.TemporaryDirectory(prefix="iesim-batch-") as tmp:
            return _run(task, scenarios, plan, replicates, seed, steps, crn,
                        Path(tmp) / "store", backend, workers, scheduler, chunk_size, progress,
                        replan)
    return _run(task, scenarios, plan, replicates, seed, steps, crn, Path(out),
                backend, workers, scheduler, chunk_size, progress, replan)


def _check_options(task, scenarios, replicates, backend, scheduler) -> None:
    if not isinstance(task, ModelTask):
        raise TypeError(f"task must be a ModelTask; got {type(task).__name__}")
    if not isinstance(scenarios, Mapping) or not scenarios:
        raise TypeError("scenarios must be a non-empty mapping of scenario names to parameters, "
                        "e.g. {'base': {'n': 50}}")
    if isinstance(replicates, bool) or not isinstance(replicates, numbers.Integral) or replicates < 1:
        raise ValueError(f"replicates must be an integer >= 1; got {replicates!r}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}; got {backend!r}")
    if scheduler and backend != "dask":
        raise ValueError(f"scheduler needs backend='dask'; got backend={backend!r}")


def _check_scenario_classes(task: ModelTask, scenarios: Mapping[str, Any]) -> None:
    """A Mesa Scenario given as a scenario's parameters must be the task's kind."""
    base = scenario_base()
    expected = task.convention.scenario_class
    for name, params in scenarios.items():
        if base is None or not isinstance(params, base):
            continue
        if expected is None:
            raise TypeError(f"scenario {name!r} is a {type(params).__name__}, but the model "
                            "takes keywords, not a Mesa scenario; give a dict of parameters")
        if not isinstance(params, expected):
            raise TypeError(f"scenario {name!r} is a {type(params).__name__}; the model takes "
                            f"a {expected.__name__}")


def _run(task, scenarios, plan, replicates, seed, steps, crn, out: Path, backend, workers,
         scheduler, chunk_size, progress, replan=False):
    from simulation.batch.provenance import collect
    from simulation.batch.session import run_session
    from simulation.batch.store import ResultsStore

    specs = plan(replicates)
    groups = crn if isinstance(crn, Mapping) else None
    key = batch_hash(task, scenarios, seed, steps, groups is None and bool(crn), groups)
    meta = {
        "name": out.name, "api": "simulation.batch.run_scenarios", "task": task.identity(),
        "scenarios": scenarios.describe(),
        "replicates": replicates, "master_seed": int(seed), "steps": int(steps),
        "common_random_numbers": "within stream groups" if groups else bool(crn),
        "keep_timeseries": task.timeseries is not None,
    }
    provenance = collect({"api": "simulation.batch.run_scenarios", "master_seed": int(seed),
                          "backend": backend, "workers": workers, "scheduler": scheduler})
    try:
        store = ResultsStore.resume(out, specs, key, meta, provenance, replan=replan,
                                    changed_settings=True)
    except InputError as exc:
        if "different batch" not in exc.message:
            raise
        raise InputError(str(out), "out",
                         "out holds the results of a different batch (another task, scenarios, "
                         f"seed, steps or common_random_numbers): {exc.message.split(': ', 2)[-1]} "
                         "(from Python: replan=True)") from None
    if store.resume_note:
        print(f"note: {out}: {store.resume_note}", file=sys.stderr)
    try:
        result = run_session(task, store, plan, max(replicates, store.replicates),
                             backend=backend,
                             workers=workers, scheduler=scheduler, chunk_size=chunk_size,
                             quiet=False,
                             progress_stream=sys.stderr if progress else io.StringIO())
    finally:
        close = getattr(store, "close", None)  # a store that locks its directory lets go here
        if close is not None:
            close()
    summary = result.summary
    summary.attrs["failures"] = dict(result.failures)
    if result.failures:
        first_id, first = next(iter(result.failures.items()))
        if summary.empty:
            raise RuntimeError(f"all {len(result.failures)} runs failed; {first_id}: {first} "
                               f"(details in {out / 'status.jsonl'})")
        warnings.warn(f"{len(result.failures)} runs failed and are left out of the summary "
                      f"(summary.attrs['failures']); {first_id}: {first}", RuntimeWarning,
                      stacklevel=3)
    return summary
