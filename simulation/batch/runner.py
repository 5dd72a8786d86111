"""Run a batch of specs on a backend, handing each result back as it finishes.

The runner knows nothing about the iesim model.  A
:class:`~simulation.batch.task.ModelTask` holds a picklable model factory and
a picklable outcome function; each :class:`~simulation.batch.specs.RunSpec`
holds one run's parameters, length and seed.  The model is built from the
run's parameters and seed (``factory(rng=SeedSequence, **params)``, or a Mesa
Scenario, see :mod:`simulation.batch.models`), advanced ``steps`` steps, and
``outcomes(model)`` gives the end-of-run summary as a mapping of names to
numbers.

:func:`run_batch` sends specs in chunks to a backend (serial, local
processes, Dask) and calls ``on_result`` in the calling process as each run
finishes, so results can be stored incrementally.  A run that raises is
recorded as failed and the batch goes on.  Results depend only on the specs,
never on the backend, the worker count or the chunking.

Module layout (no import cycles): :mod:`.specs` (what runs are) <-
:mod:`.models` and :mod:`.task` (how one run executes) <- :mod:`.backends`
and :mod:`.dask_backend` (where runs execute) <- this module.  The names
below are re-exported here for existing imports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from simulation.batch import backends, dask_backend
from simulation.batch.specs import (
    BACKENDS,
    FAILED,
    SUCCEEDED,
    RunResult,
    RunSpec,
    chunked,
    iter_chunks,
    make_run_id,
    plain_parameters,
    plan_runs,
    stable_hash,
)
from simulation.batch.task import ModelTask, execute_run, run_chunk

__all__ = [
    "BACKENDS",
    "FAILED",
    "SUCCEEDED",
    "ModelTask",
    "RunResult",
    "RunSpec",
    "chunked",
    "execute_run",
    "iter_chunks",
    "make_run_id",
    "plain_parameters",
    "plan_runs",
    "run_batch",
    "run_chunk",
    "stable_hash",
]


def run_batch(
    task: ModelTask,
    specs: Iterable[RunSpec],
    on_result: Callable[[RunResult], None],
    backend: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
) -> dict[str, int]:
    """Run ``specs`` on a backend, calling ``on_result`` as each run finishes.

    Specs are taken from ``specs`` a chunk at a time as workers need them
    (the processes and Dask backends keep a bounded window of chunks in
    flight), so a sized, lazily derived sequence such as
    :meth:`ResultsStore.pending_specs <simulation.batch.store.ResultsStore.pending_specs>`
    is never listed; an iterable without a length is listed first.

    Args:
        task: the model task (factory, outcome function).
        specs: runs to do.
        on_result: called in this process with each :class:`RunResult`, in
            completion order; it should store the result.
        backend: ``"serial"``, ``"processes"`` or ``"dask"``.
        workers: worker processes (default: CPU count; ignored by serial and
            by Dask with a scheduler address).
        scheduler: Dask scheduler address; None starts a LocalCluster.
        chunk_size: runs per task; None for guided chunks (see :func:`chunked`).

    Returns:
        Counts ``{"succeeded": n, "failed": m}``.

    Raises:
        ValueError: an unknown backend, a scheduler without Dask, or workers < 1.
        simulation.errors.InputError: the Dask scheduler address is malformed or
            cannot be reached.
        simulation.batch.backends.BackendError: workers keep dying before running
            anything, or spawned workers would re-run an unguarded main script.
    """
    if not hasattr(specs, "__len__"):
        specs = list(specs)
    counts = {SUCCEEDED: 0, FAILED: 0}

    def deliver(result: RunResult) -> None:
        counts[result.status] += 1
        on_result(result)

    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}; got {backend!r}")
    if scheduler and backend != "dask":
        raise ValueError(f"scheduler needs backend='dask'; got backend={backend!r}")
    if workers is not None and (isinstance(workers, bool) or int(workers) != workers or workers < 1):
        raise ValueError(f"workers must be an integer >= 1; got {workers!r}")
    if not len(specs):
        return counts
    if backend == "serial":
        for spec in specs:
            deliver(execute_run(task, spec))
        return counts
    workers = workers or backends.default_workers()
    if backend == "processes":
        backends.run_processes(task, specs, deliver, workers, chunk_size)
    else:
        dask_backend.run_dask(task, specs, deliver, workers, chunk_size, scheduler)
    return counts
