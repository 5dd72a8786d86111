"""What a batch is made of: run specs, run results, their hashes, and the plan of a batch.

This module knows nothing of models or backends; the runner, the backends,
the results store and the batch files all build on it.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

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
        params: keyword arguments for the model factory (plain values, see
            :func:`plain_parameters`).
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

    def seed(self) -> np.random.SeedSequence:
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


# --------------------------------------------------------------------------- parameters

PLAIN = "numbers, strings, booleans, None, or lists, tuples and string-keyed dicts of them"


def plain_parameters(params: Any, scenario: str = "") -> dict[str, Any]:
    """A scenario's parameters as plain values, which hash, store and pickle the same everywhere.

    NumPy scalars become Python numbers; a Mesa ``Scenario`` instance becomes
    its parameters (without ``rng``, which the runner sets from each run's
    seed).  Anything else that is not plain raises, naming the parameter.

    Args:
        params: a mapping of parameter names to values, or a Mesa Scenario.
        scenario: the scenario's name, for error messages.

    Raises:
        TypeError: a value is not plain (e.g. an array, a graph, a function).
        ValueError: a Mesa Scenario sets ``rng``.
    """
    where = f"scenario {scenario!r}: " if scenario else ""
    if _is_mesa_scenario(params):
        if params.rng is not None:
            raise ValueError(
                f"{where}the Scenario sets rng={params.rng!r}; the runner seeds every run "
                "from seed= and the replicate, so leave rng unset"
            )
        params = {k: v for k, v in vars(params).items() if k != "rng" and not k.startswith("_")}
    if not isinstance(params, Mapping):
        raise TypeError(f"{where}parameters must be a mapping of names to values (or a Mesa "
                        f"Scenario); got {type(params).__name__}")
    plain = {}
    for name, value in params.items():
        if not isinstance(name, str):
            raise TypeError(f"{where}parameter names must be strings; got {name!r}")
        plain[name] = _plain_value(value, f"{where}parameter {name!r}")
    return plain


def _plain_value(value: Any, where: str) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic) and not isinstance(value, np.object_ | np.void):
        return value.item()
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        items = [_plain_value(v, where) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"{where}: dict keys must be strings")
        return {k: _plain_value(v, where) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        hint = " (pass value.tolist())"
    elif isinstance(value, enum.Enum):
        hint = " (pass its .value)"
    else:
        hint = " (pass plain values and build the object in the model or its factory)"
    raise TypeError(f"{where} is a {type(value).__name__}; batch parameters must be {PLAIN}, "
                    f"because they are hashed and stored{hint}")


def _is_mesa_scenario(obj: Any) -> bool:
    try:
        from mesa.experimental.scenarios import Scenario
    except ImportError:  # a Mesa without scenarios
        return False
    return isinstance(obj, Scenario)


# --------------------------------------------------------------------------- plans


def plan_runs(
    scenarios: Mapping[str, Any],
    replicates: int,
    seed: int,
    steps: int,
    common_random_numbers: bool = True,
    first_replicate: int = 0,
    stream_groups: Mapping[str, int] | None = None,
) -> list[RunSpec]:
    """Specs for every scenario times replicates ``first_replicate..replicates-1``.

    Args:
        scenarios: scenario name to parameter keywords (or a Mesa Scenario), in
            batch order; values are made plain (see :func:`plain_parameters`).
        replicates: total number of replicates per scenario.
        seed: master seed (an integer >= 0).
        steps: model steps per run.
        common_random_numbers: share random streams across scenarios by replicate.
        first_replicate: first replicate index to plan (to add replicates later).
        stream_groups: scenario name to a group number (an integer >= 0), for every
            scenario: scenarios of one group share random streams by replicate
            (common random numbers within the group), groups have independent
            streams (spawn key ``(replicate, 1 + group)``).  It replaces
            ``common_random_numbers``.  A probabilistic analysis makes each
            parameter draw a group, so its options are paired and its draws independent.

    Returns:
        Specs ordered replicate-major, so early chunks cover every scenario.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0; got {seed!r}")
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0; got {steps!r}")
    plain = {str(name): plain_parameters(params, str(name)) for name, params in scenarios.items()}
    groups = _stream_groups(stream_groups, plain)
    specs = []
    for rep in range(first_replicate, replicates):
        for index, (name, params) in enumerate(plain.items()):
            key = (spawn_key(rep, index, common_random_numbers) if groups is None
                   else spawn_key(rep, groups[name], common=False))
            specs.append(
                RunSpec(
                    run_id=make_run_id(index, rep),
                    scenario=name,
                    scenario_index=index,
                    replicate=rep,
                    params=dict(params),
                    steps=int(steps),
                    master_seed=int(seed),
                    spawn_key=key,
                )
            )
    return specs


def _stream_groups(groups: Mapping[str, int] | None,
                   scenarios: Mapping[str, Any]) -> dict[str, int] | None:
    """The stream group of every scenario, checked (None: no groups)."""
    if groups is None:
        return None
    missing = [name for name in scenarios if name not in groups]
    if missing:
        raise ValueError(f"stream_groups must give every scenario a group; {missing[0]!r} has none")
    out = {}
    for name in scenarios:
        group = groups[name]
        if isinstance(group, bool) or not isinstance(group, int | np.integer) or group < 0:
            raise ValueError(f"stream_groups[{name!r}] must be an integer >= 0; got {group!r}")
        out[name] = int(group)
    return out


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
