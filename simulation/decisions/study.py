"""Decision files (TOML) to validated decision studies: options compared under parameter uncertainty.

A decision file names the mutually exclusive options, what is uncertain, the sample and
the decision rule's settings::

    [decision]
    name = "levers"
    description = "Which lever, if any, at 5 kCNY per employment-month?"
    no_policy = "baseline"          # the option that is the no-policy option (in [options])
    draws = 150                     # parameter draws (at least 20, for the EVPPI regressions)
    replicates = 2                  # runs per draw and option (at least 2); their mean is analysed
    seed = 20261210                 # master seed: the draws and every run's random streams
    years = 12                      # simulated years of every run (at least 2)
    perspective = "government"      # government or societal (the cost measure)
    effect = "employment_months"    # or matched_employment_months
    discount_rate = 0.03            # yearly, for the costs and effects of every run
    willingness_to_pay = 5.0        # kCNY per unit of effect: the report's decision is stated here
    wtp_grid = { low = 0.0, high = 20.0, points = 41 }   # or a list of values

    [decision.scale]                # the population the value of information is scaled to
    graduates = 11_580_000          # graduates a year
    label = "China's graduates of regular higher education"
    source = "Ministry of Education, class of 2023"
    year = 2023

    [decision.quick]                # --quick: draws, replicates, years, population (for CI)
    draws = 24
    years = 3
    population = { n_students = 600 }

    [options]                       # option name = scenario file, relative to this file
    baseline = "../baseline.toml"
    tax_break = "../lever_tax_break.toml"

    [uncertain]                     # see simulation.decisions.inputs
    posterior = "calibration"
    [uncertain.parameters]
    demand_drift_multiplier = "plausible"

    [population]                    # any scenario-file section: fixed for every run
    n_students = 10000

Every option runs at every draw, ``replicates`` times, on common random numbers within
the draw (the draws themselves have independent streams).  The options' scenario files
give their levers; their own years, seed and replicates are not used.  Every error is an
:class:`~simulation.errors.InputError` naming the file, the key and what was expected;
nothing runs on bad input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulation.batch.study_checks import check_factor_populations, quick_population, quick_table
from simulation.decisions.inputs import Uncertainty, read_uncertainty
from simulation.errors import InputError
from simulation.evaluation.increments import EFFECTS, PERSPECTIVES
from simulation.model.parameters import PARAMETERS, suggest
from simulation.scenarios import (
    SEED_RANGE,
    YEARS_RANGE,
    check_population,
    read_toml,
    scenario_from_dict,
)
from simulation.sensitivity.study import read_int, read_scenario

KEYS = {
    "name": "a non-empty string",
    "description": "a string",
    "no_policy": "the name of an option in [options]",
    "draws": "an integer in [20, 100000]",
    "replicates": "an integer in [2, 1000]",
    "seed": f"an integer in [{SEED_RANGE[0]}, 2**63-1]",
    "years": f"an integer in [2, {YEARS_RANGE[1]}]",
    "perspective": f"one of {', '.join(PERSPECTIVES)}",
    "effect": f"one of {', '.join(EFFECTS)}",
    "discount_rate": "a number in [0, 0.5] (a yearly rate)",
    "willingness_to_pay": "a number in [0, 1e6] (kCNY per unit of effect)",
    "wtp_grid": "a list of 2 to 1000 numbers in [0, 1e6], or a table {low, high, points}",
    "scale": "a table (graduates, label, source, year)",
    "quick": "a table (draws, replicates, years, population)",
}
INTS = {"draws": (20, 100_000, 200), "replicates": (2, 1000, 2), "years": (2, YEARS_RANGE[1], 12)}
QUICK_KEYS = ("draws", "replicates", "years", "population")
SCALE_KEYS = {"graduates": "a number of graduates a year, > 0", "label": "a non-empty string",
              "source": "a non-empty string (where the figure comes from)",
              "year": "an integer in [1900, 2100] (the year the figure is for)"}
OTHER_STUDIES = ("scenario", "batch", "sensitivity", "discovery", "calibration", "factors")
MAX_RUNS = 10_000_000


@dataclass(frozen=True)
class Option:
    """One option: a scenario file's parameters (its levers).

    Attributes:
        name: the option's name (its key in ``[options]``).
        params: the model keywords the scenario file sets.
        file: the scenario file, as written in the decision file.
    """

    name: str
    params: dict[str, Any]
    file: str


@dataclass(frozen=True)
class Scale:
    """The population the value of information is scaled to.

    Attributes:
        graduates: graduates a year.
        label: what they are ("China's graduates of regular higher education").
        source: where the figure comes from.
        year: the year it is for.
    """

    graduates: float
    label: str
    source: str
    year: int


@dataclass(frozen=True)
class Decision:
    """A validated decision study.

    Attributes:
        name: study name.
        options: the options, the no-policy option first, then the file's order.
        uncertainty: the uncertain inputs and their groups.
        draws: parameter draws.
        replicates: runs per draw and option.
        seed: master seed of the draws and the runs.
        years: simulated years per run.
        perspective: ``government`` or ``societal``.
        effect: the effect measure (a key of :data:`simulation.evaluation.increments.EFFECTS`).
        discount_rate: yearly discount rate of every run.
        willingness_to_pay: the value the report states its decision at.
        wtp_grid: the willingness-to-pay values of the curves (ascending, with the stated one).
        scale: the population the value of information is scaled to.
        fixed: model keywords fixed for every run (population and other sections).
        description: free text.
        source: the file it came from.
    """

    name: str
    options: tuple[Option, ...]
    uncertainty: Uncertainty
    draws: int
    replicates: int
    seed: int
    years: int
    perspective: str
    effect: str
    discount_rate: float
    willingness_to_pay: float
    wtp_grid: tuple[float, ...]
    scale: Scale
    fixed: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    source: str = ""

    @property
    def steps(self) -> int:
        """Model steps (months) per run."""
        return 12 * self.years

    @property
    def runs(self) -> int:
        """Model runs: draws x replicates x options."""
        return self.draws * self.replicates * len(self.options)

    @property
    def names(self) -> list[str]:
        """Option names, the no-policy option first."""
        return [o.name for o in self.options]

    @property
    def no_policy(self) -> str:
        return self.options[0].name

    @property
    def cost(self) -> str:
        """The cost measure's outcome name."""
        return PERSPECTIVES[self.perspective]

    def params(self, option: Option) -> dict[str, Any]:
        """The model keywords of an option's runs (before a draw's values)."""
        return {**self.fixed, **option.params, "discount_rate": self.discount_rate}

    def followed_graduates(self) -> float:
        """Graduates of the scale's population that the measures' "per 1,000 graduates" counts.

        The measures are per 1,000 graduates of the model's reference population: the
        graduates followed at a steady state, ``tracking_months / 12`` yearly cohorts
        (:func:`simulation.model.metrics.reference_graduates`); the national equivalent is the
        yearly graduates times as many cohorts.
        """
        months = self.fixed.get("tracking_months", PARAMETERS["tracking_months"].default)
        return self.scale.graduates * months / 12.0

    def describe(self) -> dict[str, Any]:
        """JSON-able description (what the output directory's decision.json holds)."""
        return {
            "name": self.name, "description": self.description, "source": self.source,
            "options": [{"name": o.name, "file": o.file, "params": dict(o.params)}
                        for o in self.options],
            "no_policy": self.no_policy, "uncertainty": self.uncertainty.describe(),
            "draws": self.draws, "replicates": self.replicates, "seed": self.seed,
            "years": self.years, "perspective": self.perspective, "effect": self.effect,
            "discount_rate": self.discount_rate, "willingness_to_pay": self.willingness_to_pay,
            "wtp_grid": list(self.wtp_grid), "fixed": dict(self.fixed),
            "scale": {"graduates": self.scale.graduates, "label": self.scale.label,
                      "source": self.scale.source, "year": self.scale.year},
        }


def load_decision(path: str | Path, quick: bool = False, every_variant: bool = False) -> Decision:
    """Read and validate a decision file (see the module docstring).

    The ``[decision.quick]`` table is checked whether or not ``quick`` is asked for;
    the populations the runs reach, for the variant asked for (both with
    ``every_variant``, as ``iesim validate`` does).

    Args:
        path: the decision file.
        quick: use the file's ``[decision.quick]`` size (for CI).
        every_variant: check the runs of the full and the quick size alike.

    Raises:
        InputError: for any bad input, naming the file and the key.
    """
    source = str(path)
    data = read_toml(path)
    table = data.get("decision")
    if not isinstance(table, dict):
        raise InputError(source, "decision", "missing table [decision] (with name, no_policy, "
                         "draws, [decision.scale]), [options] and [uncertain]")
    for key in OTHER_STUDIES:
        if key in data:
            raise InputError(source, key, f"a decision file has [decision], not [{key}]")
    for key in table:
        if key not in KEYS:
            raise InputError(source, f"decision.{key}",
                             f"unknown key decision.{key}{suggest(key, KEYS)}")
    name = _text(table, "name", source)
    description = table.get("description", "")
    if not isinstance(description, str):
        raise InputError(source, "decision.description",
                         f"decision.description must be a string; got {description!r}")
    here = Path(path).parent
    ints = {key: read_int(table, key, low, high, default, source, "decision")
            for key, (low, high, default) in INTS.items()}
    seed = read_int(table, "seed", *SEED_RANGE, 0, source, "decision")
    perspective = _choice(table, "perspective", PERSPECTIVES, "government", source)
    effect = _choice(table, "effect", EFFECTS, "employment_months", source)
    discount = _number(table, "discount_rate", 0.0, 0.5, PARAMETERS["discount_rate"].default,
                       source)
    wtp = _number(table, "willingness_to_pay", 0.0, 1e6, None, source)
    grid = _grid(table.get("wtp_grid"), wtp, source)
    scale = _scale(table.get("scale"), source)
    common = {k: v for k, v in data.items() if k not in ("decision", "options", "uncertain")}
    fixed = scenario_from_dict({"scenario": {"name": "fixed"}, **common}, source).params
    if "discount_rate" in fixed:
        raise InputError(source, PARAMETERS["discount_rate"].path, "the discount rate is "
                         "decision.discount_rate in a decision file, not a model section")
    quick_table(table, "decision.quick", QUICK_KEYS, source, quick)
    variants = [(False, ints, fixed)]
    if table.get("quick") is not None:
        q = table["quick"]
        variants.append((True, {key: read_int(q, key, low, high, ints[key], source,
                                              "decision.quick")
                                for key, (low, high, _) in INTS.items()},
                         {**fixed, **quick_population(q, "decision.quick", source)}))
    options = _options(data.get("options"), table, here, source)
    uncertainty = read_uncertainty(data.get("uncertain"), here, source)
    chosen = None
    for is_quick, sizes, settings in variants:
        decision = Decision(
            name=name, options=options, uncertainty=uncertainty, draws=sizes["draws"],
            replicates=sizes["replicates"], seed=seed, years=sizes["years"],
            perspective=perspective, effect=effect, discount_rate=discount,
            willingness_to_pay=wtp, wtp_grid=grid, scale=scale, fixed=settings,
            description=description, source=source)
        if every_variant or is_quick == quick:
            _check_runs(decision, data)
        if is_quick == quick:
            chosen = decision
    return chosen


def _check_runs(decision: Decision, data: dict) -> None:
    """Refuse inputs the options set or fix, and populations the runs cannot run."""
    source = decision.source
    arms = [(f"option {o.name!r}", decision.params(o)) for o in decision.options]
    for item in decision.uncertainty.inputs:
        for option in decision.options:
            if item.name in option.params:
                raise InputError(source, f"options.{option.name}", f"options.{option.name}: "
                                 f"{option.file} sets {item.name}, which is also an uncertain "
                                 "input; an option's setting is a choice, not an unknown")
        if item.name in decision.fixed:
            path = PARAMETERS[item.name].path
            raise InputError(source, path, f"{path} is fixed for every run but is also an "
                             "uncertain input; remove one of them")
    for arm, params in arms:
        check_population(params, source, f"{arm}: ")
    keys = {i.name: i.name for i in decision.uncertainty.inputs}
    check_factor_populations(decision.uncertainty.inputs, keys, "uncertain.parameters", arms,
                             source)
    if decision.runs > MAX_RUNS:
        raise InputError(source, "decision.draws", f"the study has {decision.runs:,} runs, more "
                         f"than {MAX_RUNS:,}; choose fewer draws or replicates")


def _text(table, key, source) -> str:
    if key not in table:
        raise InputError(source, f"decision.{key}", f"missing key decision.{key}")
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise InputError(source, f"decision.{key}",
                         f"decision.{key} must be {KEYS[key]}; got {value!r}")
    return value


def _choice(table, key, allowed, default, source) -> str:
    value = table.get(key, default)
    if value not in allowed:
        raise InputError(source, f"decision.{key}", f"decision.{key} must be {KEYS[key]}; got "
                         f"{value!r}{suggest(value, allowed) if isinstance(value, str) else ''}")
    return value


def _is_number(value) -> bool:
    return (not isinstance(value, bool) and isinstance(value, int | float)
            and math.isfinite(value))


def _number(table, key, low, high, default, source, where="decision") -> float:
    if key not in table and default is None:
        raise InputError(source, f"{where}.{key}", f"missing key {where}.{key} ({KEYS[key]})")
    value = table.get(key, default)
    if not _is_number(value) or not low <= value <= high:
        raise InputError(source, f"{where}.{key}",
                         f"{where}.{key} must be {KEYS[key]}; got {value!r}")
    return float(value)


def _grid(spec, wtp: float, source: str) -> tuple[float, ...]:
    where = "decision.wtp_grid"
    if spec is None:
        spec = {"low": 0.0, "high": max(4.0 * wtp, 1.0), "points": 41}
    if isinstance(spec, dict):
        for key in spec:
            if key not in ("low", "high", "points"):
                raise InputError(source, f"{where}.{key}", f"unknown key {where}.{key} (allowed: "
                                 "low, high, points)")
        low = _number(spec, "low", 0.0, 1e6, 0.0, source, where) if "low" in spec else 0.0
        high = spec.get("high")
        points = spec.get("points", 41)
        if not _is_number(high) or not low < high <= 1e6:
            raise InputError(source, f"{where}.high", f"{where}.high must be a number in "
                             f"({low:g}, 1e6]; got {high!r}")
        if isinstance(points, bool) or not isinstance(points, int) or not 2 <= points <= 1000:
            raise InputError(source, f"{where}.points", f"{where}.points must be an integer in "
                             f"[2, 1000]; got {points!r}")
        values = np.linspace(low, high, points)
    elif isinstance(spec, list):
        if not 2 <= len(spec) <= 1000 or not all(_is_number(v) and 0 <= v <= 1e6 for v in spec):
            raise InputError(source, where, f"{where} must be {KEYS['wtp_grid']}; got {spec!r}")
        values = np.asarray(spec, dtype=float)
    else:
        raise InputError(source, where, f"{where} must be {KEYS['wtp_grid']}; got {spec!r}")
    return tuple(float(v) for v in np.unique(np.append(values, wtp)))


def _scale(table, source: str) -> Scale:
    where = "decision.scale"
    if not isinstance(table, dict):
        raise InputError(source, where, f"missing table [{where}] (graduates, label, source, "
                         "year: the population the value of information is scaled to)"
                         if table is None else f"{where} must be a table")
    for key in table:
        if key not in SCALE_KEYS:
            raise InputError(source, f"{where}.{key}", f"unknown key {where}.{key} (allowed: "
                             f"{', '.join(SCALE_KEYS)}){suggest(key, SCALE_KEYS)}")
    for key in SCALE_KEYS:
        if key not in table:
            raise InputError(source, f"{where}.{key}",
                             f"missing key {where}.{key} ({SCALE_KEYS[key]})")
    graduates = table["graduates"]
    if not _is_number(graduates) or graduates <= 0:
        raise InputError(source, f"{where}.graduates", f"{where}.graduates must be "
                         f"{SCALE_KEYS['graduates']}; got {graduates!r}")
    for key in ("label", "source"):
        if not isinstance(table[key], str) or not table[key].strip():
            raise InputError(source, f"{where}.{key}", f"{where}.{key} must be "
                             f"{SCALE_KEYS[key]}; got {table[key]!r}")
    year = table["year"]
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100:
        raise InputError(source, f"{where}.year", f"{where}.year must be {SCALE_KEYS['year']}; "
                         f"got {year!r}")
    return Scale(float(graduates), table["label"], table["source"], year)


def _options(table, decision: dict, here: Path, source: str) -> tuple[Option, ...]:
    if not isinstance(table, dict):
        raise InputError(source, "options", "missing table [options] (option name = scenario "
                         "file, at least two)" if table is None else "options must be a table")
    if len(table) < 2:
        raise InputError(source, "options", "[options] needs at least two options (one of them "
                         "the no-policy option)")
    options = [Option(str(name), read_scenario(table, name, here, source, "options"), rel)
               for name, rel in table.items()]
    no_policy = decision.get("no_policy")
    if no_policy not in table:
        raise InputError(source, "decision.no_policy", f"decision.no_policy must be "
                         f"{KEYS['no_policy']} ({', '.join(table)}); got {no_policy!r}")
    first = next(o for o in options if o.name == no_policy)
    return (first, *[o for o in options if o.name != no_policy])
