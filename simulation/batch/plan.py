"""A batch's plan: scenarios times replicates, every run derived from its position on demand.

A plan of any size is a few numbers and its scenarios.  Run ``i`` is
replicate ``first_replicate + i // n`` of scenario ``i % n`` (replicate-major,
so early runs cover every scenario); its :class:`~simulation.batch.specs.RunSpec`
is built when asked for and never listed, so planning, storing and listing the
runs of a batch take memory for its scenarios, not for its runs.

Scenarios given as a mapping (a batch file's few) are held as plain values.  A
study's many design points are a :class:`Scenarios` whose parameters are
derived from the design when asked for (see :func:`simulation.sensitivity.runs.scenarios`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any

from simulation.batch.runspec import (
    RunSpec,
    make_run_id,
    parse_run_id,
    plain_parameters,
    stable_hash_of,
)
from simulation.batch.seeds import spawn_key

CACHED_SCENARIOS = 256
"""Derived scenarios whose parameters a :class:`Scenarios` keeps (the most recent)."""


class Scenarios(Mapping):
    """Named scenarios in batch order, each one's plain parameters given on demand.

    A mapping of scenario names to parameter dicts that also answers by
    position (:meth:`name`, :meth:`params`).  Made from a mapping with
    :meth:`of` (plain values held), or from functions of the position for a
    design of many points (parameters derived when asked for, the last
    :data:`CACHED_SCENARIOS` kept).

    Args:
        count: number of scenarios.
        name: the name of the scenario at a position (names must be unique).
        params: its parameters (made plain, see :func:`~simulation.batch.specs.plain_parameters`).
        index: the position of a name, or None when it is not one of them.
        description: a JSON-able description for a store's manifest (what
            :meth:`describe` gives instead of listing every scenario).
        plain: ``params`` gives plain values already (they are not checked again).
    """

    def __init__(self, count: int, name: Callable[[int], str],
                 params: Callable[[int], Mapping[str, Any]],
                 index: Callable[[str], int | None],
                 description: Mapping[str, Any] | None = None, plain: bool = False):
        self._count = int(count)
        self._name = name
        self._params = params
        self._index = index
        self._description = description
        self._plain = plain
        self._listed: list[dict[str, Any]] | None = None
        self._cache: OrderedDict[int, dict[str, Any]] = OrderedDict()

    @classmethod
    def of(cls, scenarios: Mapping[str, Any]) -> Scenarios:
        """``scenarios`` itself when it is a :class:`Scenarios`, else its plain values, held.

        Raises:
            TypeError: a parameter is not a plain value (see ``plain_parameters``).
        """
        if isinstance(scenarios, Scenarios):
            return scenarios
        names = [str(name) for name in scenarios]
        listed = [plain_parameters(params, str(name)) for name, params in scenarios.items()]
        return cls._held(names, listed)

    @classmethod
    def _held(cls, names: list[str], listed: list[dict[str, Any]]) -> Scenarios:
        positions = {name: i for i, name in enumerate(names)}
        held = cls(len(names), names.__getitem__, listed.__getitem__, positions.get)
        held._listed = listed
        return held

    # ------------------------------------------------------------------ by position
    def name(self, i: int) -> str:
        """The name of the scenario at position ``i``."""
        return self._name(i)

    def params(self, i: int) -> dict[str, Any]:
        """The plain parameters of the scenario at position ``i`` (do not change them)."""
        if self._listed is not None:
            return self._listed[i]
        found = self._cache.get(i)
        if found is None:
            found = self._params(i)
            found = dict(found) if self._plain else plain_parameters(found, self._name(i))
            self._cache[i] = found
            if len(self._cache) > CACHED_SCENARIOS:
                self._cache.popitem(last=False)
        return found

    def map(self, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Scenarios:
        """The same scenarios with ``change(params)`` as their parameters (derived ones stay derived).

        ``change`` takes plain parameters and must give plain ones.
        """
        if self._listed is not None:
            return Scenarios._held([self.name(i) for i in range(len(self))],
                                   [change(p) for p in self._listed])
        return Scenarios(self._count, self._name, lambda i: change(self.params(i)),
                         self._index, self._description, plain=True)

    @cached_property
    def digest(self) -> str:
        """A hash of every scenario's parameters in order (not their names); computed once."""
        return stable_hash_of({}, "params", (self.params(i) for i in range(len(self))))

    def sorted_items(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(name, parameters) in name order (as a sorted JSON object lists them)."""
        ordered = all(self.name(i - 1) < self.name(i) for i in range(1, len(self)))
        positions = range(len(self)) if ordered else sorted(range(len(self)), key=self.name)
        return ((self.name(i), self.params(i)) for i in positions)

    def describe(self) -> list[dict[str, Any]] | dict[str, Any]:
        """For a store's manifest: each held scenario, or the count and description of derived ones."""
        if self._listed is not None:
            return [{"name": self.name(i), "params": self.params(i)} for i in range(len(self))]
        return {"count": len(self), **(self._description or {})}

    # ------------------------------------------------------------------ as a mapping
    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        return (self.name(i) for i in range(len(self)))

    def __getitem__(self, name: str) -> dict[str, Any]:
        i = self._index(name) if isinstance(name, str) else None
        if i is None or not 0 <= i < len(self) or self.name(i) != name:
            raise KeyError(name)
        return self.params(i)


class PlanShape:
    """Where each run of a plan sits, without its scenarios (what a store's manifest records).

    Run ``i`` is replicate ``first_replicate + i // scenario_count`` of scenario
    ``i % scenario_count``; its run id is ``make_run_id(scenario, replicate)``.
    """

    def __init__(self, scenario_count: int, replicates: int, first_replicate: int = 0):
        self.scenario_count = int(scenario_count)
        self.first_replicate = int(first_replicate)
        self.replicates = max(int(replicates), self.first_replicate)

    def __len__(self) -> int:
        return self.scenario_count * (self.replicates - self.first_replicate)

    def where(self, i: int) -> tuple[int, int]:
        """(scenario index, replicate) of run ``i``."""
        rep, index = divmod(i, self.scenario_count)
        return index, self.first_replicate + rep

    def run_id(self, i: int) -> str:
        """The run id of run ``i``."""
        return make_run_id(*self.where(i))

    def position(self, run_id: str) -> int | None:
        """The position of a run id in the plan, or None when the plan has no such run."""
        parsed = parse_run_id(run_id)
        if parsed is None:
            return None
        index, rep = parsed
        if not (index < self.scenario_count and self.first_replicate <= rep < self.replicates):
            return None
        return (rep - self.first_replicate) * self.scenario_count + index

    def describe(self) -> dict[str, Any]:
        """JSON-able description (a store's manifest ``plan``)."""
        return {"runs": len(self), "scenarios": self.scenario_count,
                "first_replicate": self.first_replicate, "replicates": self.replicates}

    @classmethod
    def from_description(cls, plan: Mapping[str, Any]) -> PlanShape:
        """The shape a manifest's ``plan`` describes."""
        return cls(plan["scenarios"], plan["replicates"], plan.get("first_replicate", 0))


class Plan(PlanShape, Sequence):
    """Every scenario times replicates ``first_replicate .. replicates - 1``, as a sequence of specs.

    Made by :func:`~simulation.batch.specs.plan_runs`.  ``plan[i]`` derives run
    ``i``'s spec; iterating derives them one by one; nothing is listed.

    Args:
        scenarios: the scenarios, in batch order.
        replicates: replicates per scenario (the end of the range).
        seed: master seed.
        steps: model steps per run.
        stream: the random stream of the scenario at a position: None for the
            replicate's common stream (spawn key ``(replicate,)``), else ``s``
            for the stream ``(replicate, 1 + s)``.
        first_replicate: first replicate planned.
        random_numbers: how streams are shared, in words (for the manifest).
    """

    def __init__(self, scenarios: Scenarios, replicates: int, seed: int, steps: int,
                 stream: Callable[[int], int | None], first_replicate: int = 0,
                 random_numbers: str = "common"):
        super().__init__(len(scenarios), replicates, first_replicate)
        self.scenarios = scenarios
        self.seed = int(seed)
        self.steps = int(steps)
        self.stream = stream
        self.random_numbers = random_numbers

    def spec(self, index: int, replicate: int) -> RunSpec:
        """The spec of a scenario's replicate."""
        stream = self.stream(index)
        key = spawn_key(replicate, 0, True) if stream is None else \
            spawn_key(replicate, stream, common=False)
        return RunSpec(run_id=make_run_id(index, replicate), scenario=self.scenarios.name(index),
                       scenario_index=index, replicate=replicate,
                       params=dict(self.scenarios.params(index)), steps=self.steps,
                       master_seed=self.seed, spawn_key=key)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"run {i} of a plan of {n} runs")
        return self.spec(*self.where(i))

    def __iter__(self) -> Iterator[RunSpec]:
        for rep in range(self.first_replicate, self.replicates):
            for index in range(self.scenario_count):
                yield self.spec(index, rep)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None

    def __repr__(self) -> str:
        return (f"Plan({self.scenario_count} scenarios x replicates {self.first_replicate}.."
                f"{self.replicates - 1}, {len(self)} runs, seed={self.seed}, steps={self.steps})")

    def first_specs(self) -> Iterator[RunSpec]:
        """One spec per scenario (its first planned replicate), e.g. to check every scenario once."""
        return (self.spec(index, self.first_replicate) for index in range(self.scenario_count))

    def spanning(self, replicates: int, first_replicate: int | None = None) -> Plan:
        """This plan over replicates ``min(first, first_replicate) .. max(replicates, ...) - 1``."""
        first = self.first_replicate if first_replicate is None \
            else min(self.first_replicate, first_replicate)
        wider = Plan(self.scenarios, max(self.replicates, replicates), self.seed, self.steps,
                     self.stream, first, self.random_numbers)
        if "hash" in self.__dict__:
            wider.hash = self.hash
        return wider

    @cached_property
    def hash(self) -> str:
        """A hash of everything that decides every run's run hash, replicates aside.

        Two plans with the same hash give the same spec (but its name) at each
        scenario position and replicate.
        """
        streams = (self.stream(i) for i in range(self.scenario_count))
        return stable_hash_of({"seed": self.seed, "steps": self.steps,
                               "scenarios": self.scenarios.digest}, "streams", streams)

    def describe(self) -> dict[str, Any]:
        """JSON-able description (a store's manifest ``plan``), with :attr:`hash`."""
        return {**super().describe(), "seed": self.seed, "steps": self.steps,
                "random_numbers": self.random_numbers, "hash": self.hash}

    @classmethod
    def from_specs(cls, specs: Iterable[RunSpec]) -> Plan:
        """The plan of specs that are every scenario times a range of replicates (as planned).

        Raises:
            ValueError: the specs are not a whole plan (a run missing, twice, or
                seeded otherwise than :func:`~simulation.batch.specs.plan_runs` seeds it).
        """
        specs = list(specs)
        if not specs:
            return cls(Scenarios.of({}), 0, 0, 0, lambda i: None)
        first = {}
        for spec in specs:
            first.setdefault(spec.scenario_index, spec)
        scenarios = [first.get(i) for i in range(len(first))]
        reps = [s.replicate for s in specs]
        if None in scenarios:
            raise ValueError("the specs are not a whole plan: scenario indices have gaps")
        streams = [s.spawn_key[1] - 1 if len(s.spawn_key) == 2 else None for s in scenarios]
        plan = cls(Scenarios._held([s.scenario for s in scenarios],
                                   [dict(s.params) for s in scenarios]),
                   max(reps) + 1, specs[0].master_seed, specs[0].steps, streams.__getitem__,
                   min(reps), "as given")
        positions = {plan.position(s.run_id) for s in specs}
        if None in positions or len(positions) != len(plan) or len(specs) != len(plan) or \
                any(plan[plan.position(s.run_id)] != s for s in specs):
            raise ValueError("the specs are not a whole plan (every scenario times a range of "
                             "replicates, seeded as plan_runs seeds them); plan them with plan_runs")
        return plan


def as_plan(specs: Iterable[RunSpec]) -> Plan:
    """``specs`` as a :class:`Plan` (a plan itself, or specs that make a whole one).

    Raises:
        ValueError: the specs are not a whole plan.
    """
    return specs if isinstance(specs, Plan) else Plan.from_specs(specs)
