"""A model task (how to build, run and measure a model) and the execution of one run.

A :class:`ModelTask` holds a picklable model factory and a picklable outcome
function.  :func:`execute_run` builds the model from a run's parameters and
seed (see :mod:`simulation.batch.models` for keyword-constructed and
Scenario-based Mesa models), advances it ``steps`` steps, and measures it.
A run that raises is returned as a failed :class:`RunResult`, never raised.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from simulation.batch.models import (
    SCENARIO,
    Convention,
    build_model,
    calling_convention,
    check_parameters,
    default_parameters,
)
from simulation.batch.seeds import seeded_global_random
from simulation.batch.specs import FAILED, SUCCEEDED, RunResult, RunSpec, plain_parameters


@dataclass(frozen=True)
class ModelTask:
    """How to build, run and measure a model; must be picklable.

    The calling convention is checked when the task is made: a factory that
    takes neither ``rng`` nor ``scenario`` raises ``TypeError`` here, not in
    every run.

    Attributes:
        factory: a Mesa model class (or a ``functools.partial`` of one, or a
            module-level function) taking ``rng=`` plus the run's parameters as
            keywords, or a Mesa 3.5 model taking ``scenario=`` (see
            :mod:`simulation.batch.models`).
        outcomes: callable taking the finished model and returning a mapping
            of outcome names to numbers (NaN allowed).
        timeseries: optional callable taking the finished model and returning
            a pandas DataFrame with one row per step (e.g. the DataCollector's
            model variables); None to keep summaries only.
        keep: outcome names to keep, in order; None keeps all.
        scenario_class: the Mesa Scenario class of a Scenario-based model;
            None to find it from the model (its annotation, its
            ``Model[SomeScenario]`` base, or the one Scenario in its module).
    """

    factory: Callable[..., Any]
    outcomes: Callable[[Any], Mapping[str, Any]]
    timeseries: Callable[[Any], Any] | None = None
    keep: tuple[str, ...] | None = None
    scenario_class: type | None = None
    convention: Convention = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if not callable(self.outcomes):
            raise TypeError(f"ModelTask: outcomes must be callable; got {self.outcomes!r}")
        if self.timeseries is not None and not callable(self.timeseries):
            raise TypeError(f"ModelTask: timeseries must be callable or None; got {self.timeseries!r}")
        if self.keep is not None:
            if isinstance(self.keep, str):
                raise TypeError("ModelTask: keep must be a sequence of outcome names, not one string")
            object.__setattr__(self, "keep", tuple(self.keep))
        object.__setattr__(self, "convention", calling_convention(self.factory, self.scenario_class))

    def identity(self) -> dict[str, Any]:
        """A JSON-able description of the task, for batch hashes and provenance."""
        identity = {
            "factory": _qualname(self.factory),
            "outcomes": _qualname(self.outcomes),
            "timeseries": _qualname(self.timeseries) if self.timeseries else None,
            "keep": list(self.keep) if self.keep is not None else None,
        }
        if self.convention.kind == SCENARIO:  # keyword tasks keep their earlier identity
            identity["scenario_class"] = _qualname(self.convention.scenario_class)
        return identity

    def check(self, params: Mapping[str, Any], scenario: str = "") -> None:
        """Check that the model can be built with a scenario's parameter names.

        Raises:
            TypeError: naming the parameter and the names the model takes.
        """
        check_parameters(self.factory, self.convention, params, scenario)

    def complete(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """A scenario's parameters with the model's defaults filled in for those it leaves out.

        Only plain defaults (numbers, strings, booleans, None, lists, dicts) are
        filled in, so every stored run lists every parameter it ran with.
        """
        filled = dict(params)
        for name, value in self._plain_defaults:
            if name not in filled:
                filled[name] = value
        return filled

    @cached_property
    def _plain_defaults(self) -> tuple[tuple[str, Any], ...]:
        """The model's plain defaults, found once (a study completes many scenarios)."""
        return tuple((name, value) for name, value
                     in default_parameters(self.factory, self.convention).items()
                     if _is_plain(value))

    def check_specs(self, specs: Iterable[RunSpec]) -> None:
        """:meth:`check` every scenario in ``specs`` once."""
        seen: set[str] = set()
        for spec in specs:
            if spec.scenario not in seen:
                seen.add(spec.scenario)
                self.check(spec.params, spec.scenario)

    def build(self, spec: RunSpec) -> Any:
        """The model of one run, built from its parameters and seed (not advanced)."""
        return build_model(self.factory, self.convention, dict(spec.params), spec.seed())


def _is_plain(value: Any) -> bool:
    try:
        plain_parameters({"value": value})
    except (TypeError, ValueError):
        return False
    return True


def _qualname(obj: Any) -> str:
    inner = getattr(obj, "func", obj)  # functools.partial
    name = f"{getattr(inner, '__module__', '?')}.{getattr(inner, '__qualname__', repr(inner))}"
    if inner is not obj:
        name += f"(*{obj.args!r}, **{sorted(obj.keywords.items())!r})"
    return name


def execute_run(task: ModelTask, spec: RunSpec) -> RunResult:
    """Build, run and measure one model; never raises for a model error.

    Python's ``random`` and NumPy's global generator are seeded from the
    run's seed for the run (see :func:`simulation.batch.seeds.seeded_global_random`).
    """
    start = time.perf_counter()
    stage = "instantiating"
    try:
        with seeded_global_random(spec.seed()):
            model = task.build(spec)
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
