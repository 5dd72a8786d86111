"""Calibration target files (TOML) to validated targets.

A target compares one model outcome with a published figure, or states an
ordering of two outcomes (a pattern)::

    [calibration]
    name = "baseline"
    scenario = "../scenarios/baseline.toml"   # the situation the figures describe

    [[target]]
    name = "employment_6m"
    outcome = "employment_rate_6m"           # a model outcome (simulation.model.metrics.OUTCOMES)
    value = 0.91
    low = 0.88                               # the acceptable range ...
    high = 0.94
    range_why = "..."                        # ... and why it is that wide
    discrepancy = 0.015                      # model discrepancy sd (optional; fitted targets)
    discrepancy_why = "..."                  # ... and why it is that large (with discrepancy)
    population = "China, bachelor graduates"
    year = 2018
    source = "MyCOS, Chinese College Graduates' Employment Annual Report, 2019"
    use = "fit"                              # or "holdout": kept for validation

    [[target]]
    name = "ict_above_design"
    kind = "order"                           # greater > lesser in the model's mean
    greater = "employment_rate_6m_by_field_tech"
    lesser = "employment_rate_6m_by_field_design"
    ...

``discrepancy`` is the standard deviation of the model discrepancy, in the
outcome's units: how far the model's expected output at its best parameters
may lie from the real-world quantity because of what the model leaves out
(Vernon et al. 2010).  Its variance enters a fitted target's implausibility
and likelihood (:mod:`simulation.calibration.history_matching`); it is 0
when not given, and ``discrepancy_why`` must say why it is that large.

Some outcomes are validation outcomes elsewhere and may never be fitted
(:data:`NEVER_FIT`).  Every error is an :class:`~simulation.errors.InputError`
naming the file, the key and what was expected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from simulation.batch.specs import stable_hash
from simulation.batch.study_checks import check_measurable, corners
from simulation.calibration.plan import PLAN_KEYS, Plan, read_plan
from simulation.errors import InputError
from simulation.model.parameters import suggest
from simulation.scenarios import load_scenario, read_toml

NEVER_FIT = ("matched_employment_share", "out_of_field_share", "intern_conversion_rate")
"""Outcomes kept for validation elsewhere: a target on them must be a holdout."""

USES = ("fit", "holdout")
KINDS = ("level", "order")
COMMON_KEYS = {"name", "kind", "range_why", "population", "year", "source", "use",
               "discrepancy", "discrepancy_why"}
LEVEL_KEYS = COMMON_KEYS | {"outcome", "value", "low", "high"}
ORDER_KEYS = COMMON_KEYS | {"greater", "lesser"}
CALIBRATION_KEYS = {"name", "description", "scenario", *PLAN_KEYS}


@dataclass(frozen=True)
class Target:
    """One calibration target.

    Attributes:
        name: unique name.
        kind: ``level`` (an outcome within [low, high]) or ``order``
            (outcome ``greater`` above outcome ``lesser``).
        use: ``fit`` or ``holdout``.
        outcome: the outcome compared (level), or None.
        value: the published figure (level), or None.
        low: lowest acceptable model mean (level), or None.
        high: highest acceptable model mean (level), or None.
        greater: the outcome that must be larger (order), or None.
        lesser: the outcome that must be smaller (order), or None.
        range_why: why the acceptable range is that wide (sampling error,
            definitional mismatch), or what the ordering rests on.
        discrepancy: the model discrepancy's standard deviation (outcome units).
        discrepancy_why: why the discrepancy is that large (None when 0 by default).
        population: whom the figure describes.
        year: the figure's year.
        source: publisher, title, year.
    """

    name: str
    kind: str
    use: str
    range_why: str
    population: str
    year: int
    source: str
    outcome: str | None = None
    value: float | None = None
    low: float | None = None
    high: float | None = None
    greater: str | None = None
    lesser: str | None = None
    discrepancy: float = 0.0
    discrepancy_why: str | None = None

    @property
    def outcomes(self) -> tuple[str, ...]:
        """The model outcomes the target reads."""
        return (self.outcome,) if self.kind == "level" else (self.greater, self.lesser)


@dataclass(frozen=True)
class TargetSet:
    """A validated target file."""

    name: str
    targets: tuple[Target, ...]
    scenario: dict
    description: str = ""
    source: str = ""
    plan: Plan | None = None

    def used(self, use: str) -> tuple[Target, ...]:
        """The targets marked ``fit`` or ``holdout``."""
        return tuple(t for t in self.targets if t.use == use)


def calibration_hash(targets: TargetSet) -> str:
    """Hash of what determines a calibration's numbers: fitted targets, plan, scenario."""
    fit = [[t.name, t.kind, t.outcome, t.value, t.low, t.high, t.greater, t.lesser,
            t.discrepancy]
           for t in targets.used("fit")]
    return stable_hash({"fit": fit, "plan": targets.plan.describe()})


def load_targets(path: str | Path, quick: bool = False, every_variant: bool = False) -> TargetSet:
    """Read and validate a target file (see the module docstring).

    The ``[calibration]`` table may also hold how to calibrate
    (:mod:`simulation.calibration.plan`); ``quick`` takes its quick size.
    The quick table is checked either way; whether the runs can measure the
    targets, for the size asked for (both with ``every_variant``, as
    ``iesim validate`` does).

    Raises:
        InputError: for any bad input, naming the file and the key.
    """
    from simulation.model.metrics import OUTCOMES

    source = str(path)
    data = read_toml(path)
    for key in data:
        if key not in ("calibration", "target"):
            raise InputError(source, key, f"unknown table [{key}] (expected [calibration] and "
                             "[[target]] tables)")
    head = data.get("calibration")
    if not isinstance(head, dict):
        raise InputError(source, "calibration", "missing table [calibration] (with name)")
    for key in head:
        if key not in CALIBRATION_KEYS:
            raise InputError(source, f"calibration.{key}", f"unknown key calibration.{key}"
                             f"{suggest(key, CALIBRATION_KEYS)}")
    name = _string(head, "name", source, "calibration")
    scenario: dict = {}
    years = 15
    if "scenario" in head:
        rel = _string(head, "scenario", source, "calibration")
        file = Path(path).parent / rel
        if not file.is_file():
            raise InputError(source, "calibration.scenario",
                             f"calibration.scenario: scenario file {rel!r} not found "
                             f"(looked for {file})")
        loaded = load_scenario(file)
        scenario, years = dict(loaded.params), loaded.years
    rows = data.get("target")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise InputError(source, "target", "expected at least one [[target]] table")
    targets, seen = [], set()
    for i, row in enumerate(rows):
        target = _target(row, f"target[{i}]", source, OUTCOMES)
        if target.name in seen:
            raise InputError(source, f"target[{i}].name",
                             f"target[{i}].name {target.name!r} repeats another target's name")
        seen.add(target.name)
        targets.append(target)
    description = head.get("description", "")
    if not isinstance(description, str):
        raise InputError(source, "calibration.description",
                         f"calibration.description must be a string; got {description!r}")
    plans = {False: read_plan(head, source, scenario, years)}
    if quick or head.get("quick") is not None:  # the quick table is checked either way
        plans[True] = read_plan(head, source, scenario, years, quick=True)
    for is_quick, plan in plans.items():
        if plan is None or not (every_variant or is_quick == quick):
            continue
        years_key = ("calibration.quick.years" if is_quick and "years" in head["quick"]
                     else "calibration.years" if "years" in head else "calibration.scenario")
        named = [(o, f"target[{i}].{key}") for i, t in enumerate(targets)
                 for o, key in zip(t.outcomes, ("outcome",) if t.kind == "level"
                                   else ("greater", "lesser"), strict=True)]
        check_measurable(named, plan.years, years_key, corners(plan.scenario, plan.factors),
                         source)
    return TargetSet(name, tuple(targets), scenario, description, source, plans[quick])


def _string(table, key, source, where) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(source, f"{where}.{key}",
                         f"{'missing key' if value is None else 'bad value for'} {where}.{key} "
                         f"(a non-empty string){'' if value is None else f'; got {value!r}'}")
    return value


def _number(table, key, source, where) -> float:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(source, f"{where}.{key}",
                         f"{'missing key' if value is None else 'bad value for'} {where}.{key} "
                         f"(a finite number){'' if value is None else f'; got {value!r}'}")
    return float(value)


def _discrepancy(row: dict, source: str, where: str) -> dict:
    """A target's discrepancy and why; both or neither."""
    if "discrepancy" not in row and "discrepancy_why" not in row:
        return {}
    value = row.get("discrepancy")
    if (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            or value < 0):
        raise InputError(source, f"{where}.discrepancy",
                         f"{'missing key' if value is None else 'bad value for'} "
                         f"{where}.discrepancy: expected a finite number >= 0 (the model "
                         "discrepancy's standard deviation, in the outcome's units; required "
                         f"with discrepancy_why){'' if value is None else f'; got {value!r}'}")
    if "discrepancy_why" not in row:
        raise InputError(source, f"{where}.discrepancy_why",
                         f"missing key {where}.discrepancy_why: expected a non-empty string "
                         "saying why the discrepancy is that large")
    return {"discrepancy": float(value),
            "discrepancy_why": _string(row, "discrepancy_why", source, where)}


def _outcome(table, key, source, where, known) -> str:
    name = _string(table, key, source, where)
    if name not in known:
        raise InputError(source, f"{where}.{key}", f"{where}.{key}: unknown outcome {name!r}"
                         f"{suggest(name, known)}")
    return name


def _target(row: dict, where: str, source: str, known) -> Target:
    kind = row.get("kind", "level")
    if kind not in KINDS:
        raise InputError(source, f"{where}.kind",
                         f"{where}.kind must be one of {', '.join(KINDS)}; got {kind!r}")
    allowed = LEVEL_KEYS if kind == "level" else ORDER_KEYS
    for key in row:
        if key not in allowed:
            raise InputError(source, f"{where}.{key}", f"unknown key {where}.{key} for a {kind} "
                             f"target{suggest(key, allowed)}; expected "
                             f"{', '.join(sorted(allowed))}")
    use = row.get("use")
    if use not in USES:
        raise InputError(source, f"{where}.use",
                         f"{where}.use must be one of {', '.join(USES)}; got {use!r}")
    year = row.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1950 <= year <= 2100:
        raise InputError(source, f"{where}.year",
                         f"{where}.year must be an integer in [1950, 2100]; got {year!r}")
    common = dict(name=_string(row, "name", source, where), kind=kind, use=use,
                  range_why=_string(row, "range_why", source, where),
                  population=_string(row, "population", source, where), year=year,
                  source=_string(row, "source", source, where),
                  **_discrepancy(row, source, where))
    if kind == "level":
        outcome = _outcome(row, "outcome", source, where, known)
        value, low, high = (_number(row, k, source, where) for k in ("value", "low", "high"))
        if not low <= value <= high or not low < high:
            raise InputError(source, f"{where}.value", f"{where}.value must lie in [low, high] "
                             f"with low < high; got low {low}, value {value}, high {high}")
        outcomes = (outcome,)
        target = Target(**common, outcome=outcome, value=value, low=low, high=high)
    else:
        greater = _outcome(row, "greater", source, where, known)
        lesser = _outcome(row, "lesser", source, where, known)
        if greater == lesser:
            raise InputError(source, f"{where}.lesser",
                             f"{where}.lesser must be another outcome than {where}.greater")
        outcomes = (greater, lesser)
        target = Target(**common, greater=greater, lesser=lesser)
    reserved = [o for o in outcomes if o in NEVER_FIT]
    if use == "fit" and reserved:
        raise InputError(source, f"{where}.use",
                         f"{where}.use: {reserved[0]} is kept for validation and may not be fitted "
                         f"(never fitted: {', '.join(NEVER_FIT)}); set use = \"holdout\"")
    return target
