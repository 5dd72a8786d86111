"""Runs: what one run is, how it executes, and how a batch of them is driven.

The runner knows nothing about the iesim model. A :class:`ModelTask` holds a
picklable model factory (a Mesa model class or a ``functools.partial``) and a
picklable outcome function; each :class:`RunSpec` holds one run's parameters,
length and seed.  The factory is called as ``factory(rng=SeedSequence,
**params)``, the model advanced ``steps`` steps, and ``outcomes(model)`` gives
the end-of-run summary as a mapping of names to numbers.

:func:`run_batch` sends specs in chunks to a backend (serial, local
processes, Dask) and calls ``on_result`` in the calling process as each run
finishes, so results can be stored incrementally.  A run that raises is
recorded as failed and the batch goes on.  Results depend only on the specs,
never on the backend, the worker count or the chunking.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulation.batch.seeds import seed_sequence, spawn_key

SUCCEEDED = "succeeded"
FAILED = "failed"
BACKENDS = ("serial", "processes", "dask")


@dataclass(frozen=True)
class RunSpec:
    """One run: a scenario's parameters, one replicate's seed and a length.

    Attributes:
        run_id: stable identifier, unique in a batch (``s003-r00012``).
        scenario: scenario name.
        scenario_index: position of the scenario in the batch.
        replicate: replicate index; the same index shares random streams.
        params: keyword arguments for the model factory.
        steps: number of model steps to run.
        master_seed: entropy of the batch's master SeedSequence.
        spawn_key: spawn key of this run's SeedSequence under the master.
    """

    run_id: str
    scenario: str
    scenario_index: int
    replicate: int
    params: Mapping[str, Any]
    steps: int
    master_seed: int
    spawn_key: tuple[int, ...]

    @property
    def params_hash(self) -> str:
        """A short hash of the run's parameters (stable across processes)."""
        return stable_hash(dict(self.params))

    @property
    def run_hash(self) -> str:
        """A hash of everything that determines the run's result."""
        return stable_hash(
            {"params": dict(self.params), "steps": self.steps, "seed": self.master_seed,
             "key": list(self.spawn_key)}
        )

    def seed(self):
        """This run's ``numpy.random.SeedSequence``."""
        return seed_sequence(self.master_seed, self.spawn_key)


@dataclass
class RunResult:
    """What came back from one run.

    Attributes:
        run_id: the run's identifier.
        status: ``"succeeded"`` or ``"failed"``.
        outcomes: end-of-run outcome values (empty when failed).
        timeseries: per-step outcome table, when the task collects one.
        error: one-line error for a failed run (stage, exception type, message).
        detail: the traceback or other detail of a failure.
        seconds: wall time of the run.
    """

    run_id: str
    status: str
    outcomes: dict[str, float] = field(default_factory=dict)
    timeseries: Any = None
    error: str = ""
    detail: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class ModelTask:
    """How to build, run and measure a model; must be picklable.

    Attributes:
        factory: callable taking ``rng=`` plus the run's parameters as keywords
            and returning a Mesa model (a model class, or a functools.partial).
        outcomes: callable taking the finished model and returning a mapping
            of outcome names to numbers (NaN allowed).
        timeseries: optional callable taking the finished model and returning
            a pandas DataFrame with one row per step (e.g. the DataCollector's
            model variables); None to keep summaries only.
        keep: outcome names to keep, in order; None keeps all.
    """

    factory: Callable[..., Any]
    outcomes: Callable[[Any], Mapping[str, Any]]
    timeseries: Callable[[Any], Any] | None = None
    keep: tuple[str, ...] | None = None

    def identity(self) -> dict[str, Any]:
        """A JSON-able description of the task, for batch hashes and provenance."""
        return {
            "factory": _qualname(self.factory),
            "outcomes": _qualname(self.outcomes),
            "timeseries": _qualname(self.timeseries) if self.timeseries else None,
            "keep": list(self.keep) if self.keep is not None else None,
        }


def _qualname(obj: Any) -> str:
    inner = getattr(obj, "func", obj)  # functools.partial
    name = f"{getattr(inner, '__module__', '?')}.{getattr(inner, '__qualname__', repr(inner))}"
    if inner is not obj:
        name += f"(*{obj.args!r}, **{sorted(obj.keywords.items())!r})"
    return name


def stable_hash(obj: Any) -> str:
    """SHA-256 (first 16 hex digits) of ``obj`` as canonical JSON."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot hash value of type {type(value).__name__}")


def make_run_id(scenario_index: int, replicate: int) -> str:
    """The run id of a scenario's replicate: ``s003-r00012``."""
    return f"s{scenario_index:03d}-r{replicate:05d}"


def plan_runs(
    scenarios: Mapping[str, Mapping[str, Any]],
    replicates: int,
    seed: int,
    steps: int,
    common_random_numbers: bool = True,
    first_replicate: int = 0,
) -> list[RunSpec]:
    """Specs for every scenario times replicates ``first_replicate..replicates-1``.

    Args:
        scenarios: scenario name to parameter keywords, in batch order.
        replicates: total number of replicates per scenario.
        seed: master seed.
        steps: model steps per run.
        common_random_numbers: share random streams across scenarios by replicate.
        first_replicate: first replicate index to plan (to add replicates later).

    Returns:
        Specs ordered replicate-major, so early chunks cover every scenario.
    """
    specs = []
    for rep in range(first_replicate, replicates):
        for index, (name, params) in enumerate(scenarios.items()):
            specs.append(
                RunSpec(
                    run_id=make_run_id(index, rep),
                    scenario=name,
                    scenario_index=index,
                    replicate=rep,
                    params=dict(params),
                    steps=int(steps),
                    master_seed=int(seed),
                    spawn_key=spawn_key(rep, index, common_random_numbers),
                )
            )
    return specs


def execute_run(task: ModelTask, spec: RunSpec) -> RunResult:
    """Build, run and measure one model; never raises for a model error."""
    start = time.perf_counter()
    stage = "instantiating"
    try:
        model = task.factory(rng=spec.seed(), **dict(spec.params))
        stage = "running"
        if hasattr(model, "run_for"):
            model.run_for(spec.steps)
        else:
            for _ in range(spec.steps):
                model.step()
        stage = "extracting outcomes"
        outcomes = _clean_outcomes(task.outcomes(model), task.keep)
        series = None
        if task.timeseries is not None:
            stage = "extracting time series"
            series = task.timeseries(model)
    except Exception as exc:  # a failing run is data, not a crash
        return RunResult(
            run_id=spec.run_id,
            status=FAILED,
            error=f"{stage}: {type(exc).__name__}: {exc}".splitlines()[0][:500],
            detail=traceback.format_exc(),
            seconds=time.perf_counter() - start,
        )
    return RunResult(
        run_id=spec.run_id,
        status=SUCCEEDED,
        outcomes=outcomes,
        timeseries=series,
        seconds=time.perf_counter() - start,
    )


def _clean_outcomes(raw: Mapping[str, Any], keep: Sequence[str] | None) -> dict[str, float]:
    if not isinstance(raw, Mapping):
        raise TypeError(f"outcome function returned {type(raw).__name__}, expected a mapping")
    names = list(raw) if keep is None else list(keep)
    clean = {}
    for name in names:
        if name not in raw:
            raise KeyError(f"outcome {name!r} missing from the model's outcomes")
        value = raw[name]
        if value is None:
            value = math.nan
        clean[str(name)] = float(value)
    return clean


def run_chunk(task: ModelTask, specs: Sequence[RunSpec]) -> list[RunResult]:
    """Run several specs one after another (the unit of work sent to a worker)."""
    return [execute_run(task, spec) for spec in specs]


def chunked(specs: Sequence[RunSpec], size: int | None, workers: int = 1) -> list[list[RunSpec]]:
    """Split specs into consecutive chunks.

    With a ``size``, chunks of at most ``size``.  Without one, guided
    chunks: each takes a quarter of the remaining runs' share per worker
    (at most 16, at least 1), so chunks are large while much work remains
    and single runs at the end, when an uneven last chunk would leave a
    worker idle.
    """
    if size is not None:
        size = max(1, int(size))
        return [list(specs[i : i + size]) for i in range(0, len(specs), size)]
    chunks, start = [], 0
    while start < len(specs):
        remaining = len(specs) - start
        take = max(1, min(16, math.ceil(remaining / max(1, 4 * workers))))
        chunks.append(list(specs[start : start + take]))
        start += take
    return chunks


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
    """
    from simulation.batch import backends

    specs = list(specs)
    counts = {SUCCEEDED: 0, FAILED: 0}

    def deliver(result: RunResult) -> None:
        counts[result.status] += 1
        on_result(result)

    if not specs:
        return counts
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}; got {backend!r}")
    if backend == "serial":
        for spec in specs:
            deliver(execute_run(task, spec))
        return counts
    workers = workers or backends.default_workers()
    if backend == "processes":
        backends.run_processes(task, specs, deliver, workers, chunk_size)
    else:
        backends.run_dask(task, specs, deliver, workers, chunk_size, scheduler)
    return counts
