"""One run: its spec, its result, the hashes and ids that name it, and its plain parameters.

The lowest layer of the batch runner: it knows nothing of plans, models or
backends.  :mod:`simulation.batch.specs` re-exports everything here.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulation.batch.seeds import seed_sequence

SUCCEEDED = "succeeded"
FAILED = "failed"


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


def stable_hash_of(head: Mapping[str, Any], key: str, items: Iterable[Any],
                   pairs: bool = False) -> str:
    """``stable_hash({**head, key: value})`` without holding ``value``, whose parts come one by one.

    ``value`` is the list of ``items``, or with ``pairs`` the mapping of the
    ``(name, value)`` pairs ``items`` gives, which must come in name order.
    """
    marker = "\0streamed\0"
    text = json.dumps({**head, key: marker}, sort_keys=True, separators=(",", ":"),
                      default=_json_default)
    before, after = text.split(json.dumps(marker))
    digest = hashlib.sha256(before.encode())
    pieces = ["{" if pairs else "["]
    for k, item in enumerate(items):
        if k:
            pieces.append(",")
        if pairs:
            pieces += [json.dumps(item[0]), ":"]
            item = item[1]
        pieces.append(json.dumps(item, sort_keys=True, separators=(",", ":"),
                                 default=_json_default))
        if len(pieces) > 1000:
            digest.update("".join(pieces).encode())
            pieces = []
    pieces += ["}" if pairs else "]", after]
    digest.update("".join(pieces).encode())
    return digest.hexdigest()[:16]


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot hash value of type {type(value).__name__}")


def make_run_id(scenario_index: int, replicate: int) -> str:
    """The run id of a scenario's replicate: ``s003-r00012``."""
    return f"s{scenario_index:03d}-r{replicate:05d}"


def parse_run_id(run_id: Any) -> tuple[int, int] | None:
    """(scenario index, replicate) of a run id made by :func:`make_run_id`, else None."""
    if not isinstance(run_id, str) or not run_id.startswith("s") or not run_id.isascii():
        return None
    head, sep, tail = run_id[1:].partition("-r")
    if not (sep and head.isdigit() and tail.isdigit()):
        return None
    index, replicate = int(head), int(tail)
    return (index, replicate) if make_run_id(index, replicate) == run_id else None


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
    scenario = _mesa_scenario_class()
    return scenario is not None and isinstance(obj, scenario)


@functools.cache
def _mesa_scenario_class() -> type | None:
    """Mesa's Scenario class, looked up once (parameters of many scenarios are made plain)."""
    try:
        from mesa.experimental.scenarios import Scenario
    except ImportError:  # a Mesa without scenarios
        return None
    return Scenario
