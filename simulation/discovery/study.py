"""Discovery files (TOML) to validated scenario-discovery studies.

A discovery file names the uncertain factors, the policy and its reference,
the sample, and the case of interest as a rule on the paired effect::

    [discovery]
    name = "full_package_fails"
    description = "Where the full package raises 6-month employment by less than 1 pp"
    samples = 300               # Latin hypercube points over the factors' ranges
    replicates = 2              # runs per point and arm; the case is read on their mean
    seed = 20261201             # master seed: the design, every run's streams, the bootstrap
    years = 10                  # simulated years of every run
    outcomes = ["partnership_survival_3y"]   # also recorded (the case's outcome always is)
    alpha = 0.05                # PRIM: share of the box's points each peel removes
    mass_min = 0.05             # PRIM: the smallest box, as a share of all points
    coverage_weight = 1.0       # PRIM: the box with the best F-score of coverage and density
                                #   is chosen; above 1 favours coverage, below 1 density
    significance = 0.05         # PRIM: the level: a box with a larger permutation p-value ends
                                #   the search; restrictions with a larger quasi-p-value are lifted
    permutations = 199          # PRIM: shuffles of the cases in each box's permutation test
    boxes = 2                   # PRIM: at most this many boxes, each on the points left outside
    resamples = 50              # bootstrap resamples of the stability statistic
    tree_depth = 3              # the CART tree's depth

    [discovery.case]            # the case of interest: the paired effect (policy minus
    outcome = "employment_rate_6m"   # reference, mean over replicates) is below (or above)
    below = 0.01                #    the threshold; exactly one of below / above

    [discovery.target]          # scenario files, relative to this file
    policy = "../full_package.toml"
    reference = "../baseline.toml"

    [discovery.quick]           # --quick: samples, replicates, years, resamples, permutations,
                                #   population
    samples = 40
    population = { n_students = 600 }

    [factors.parameters]        # as in a sensitivity file: "plausible" or [low, high]
    labour_demand_multiplier = "plausible"

    [population]                # any scenario-file section: fixed for every run
    n_students = 10000

Every error is an :class:`~simulation.errors.InputError` naming the file,
the key and what was expected; nothing runs on bad input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulation.batch.study_checks import factor_keys, quick_population, quick_table
from simulation.errors import InputError
from simulation.model.parameters import suggest
from simulation.scenarios import SEED_RANGE, YEARS_RANGE, read_toml, scenario_from_dict
from simulation.sensitivity.study import (
    Study,
    apply_fixed,
    check_runs,
    read_factors,
    read_int,
    read_scenario,
)

KEYS = {
    "name": "a non-empty string",
    "description": "a string",
    "samples": "an integer in [10, 100000]",
    "replicates": "an integer in [1, 1000]",
    "seed": f"an integer in [{SEED_RANGE[0]}, 2**63-1]",
    "years": f"an integer in [{YEARS_RANGE[0]}, {YEARS_RANGE[1]}]",
    "outcomes": "a list of outcome names",
    "alpha": "a number in (0, 0.5]",
    "mass_min": "a number in (0, 0.5]",
    "coverage_weight": "a number in (0, 10] (the F-score's beta)",
    "significance": "a number in (0, 1]",
    "permutations": "an integer in [19, 100000]",
    "boxes": "an integer in [1, 5]",
    "resamples": "an integer in [0, 10000]",
    "tree_depth": "an integer in [1, 10]",
    "case": "a table (outcome, and below or above)",
    "target": "a table (policy, reference)",
    "quick": "a table (samples, replicates, years, resamples, permutations, population)",
}
INTS = {"samples": (10, 100_000, 300), "replicates": (1, 1000, 2),
        "years": (*YEARS_RANGE, 10), "boxes": (1, 5, 2), "resamples": (0, 10_000, 50),
        "permutations": (19, 100_000, 199), "tree_depth": (1, 10, 3)}
SHARES = {"alpha": (0.5, 0.05), "mass_min": (0.5, 0.05), "coverage_weight": (10.0, 1.0),
          "significance": (1.0, 0.05)}
QUICK_KEYS = ("samples", "replicates", "years", "resamples", "permutations", "population")
RULES = ("below", "above")


@dataclass(frozen=True)
class Discovery:
    """A validated discovery study.

    Attributes:
        study: the sample's factors, arms, replicates, seed and years as a
            sensitivity :class:`~simulation.sensitivity.study.Study` with an
            effect target, so points run through the same evaluation code.
        outcome: the outcome whose paired effect defines the case.
        rule: ``below`` or ``above``.
        threshold: the case is ``effect < threshold`` (below) or ``effect > threshold``.
        alpha, mass_min: PRIM's peeling share and smallest box.
        coverage_weight: the F-score's beta with which the box is chosen from
            the trajectory (:func:`~simulation.discovery.prim.score`).
        significance: the level: a box whose permutation p-value is above it
            ends the search, and restrictions whose quasi-p-value is above it are lifted.
        permutations: shuffles of the cases in each box's permutation test
            (:func:`~simulation.discovery.permutation.box_test`).
        boxes: the most boxes PRIM looks for (each on the points outside the earlier ones).
        resamples: bootstrap resamples of the stability statistic.
        tree_depth: the CART tree's depth.
    """

    study: Study
    outcome: str
    rule: str
    threshold: float
    alpha: float = 0.05
    mass_min: float = 0.05
    coverage_weight: float = 1.0
    significance: float = 0.05
    permutations: int = 199
    boxes: int = 2
    resamples: int = 50
    tree_depth: int = 3

    @property
    def name(self) -> str:
        return self.study.name

    @property
    def samples(self) -> int:
        return self.study.size["samples"]

    @property
    def runs(self) -> int:
        """Model runs: points x replicates x two arms."""
        return self.samples * self.study.replicates * 2

    def case_text(self) -> str:
        """The case of interest in words."""
        return (f"the paired effect on {self.outcome} is "
                f"{'below' if self.rule == 'below' else 'above'} {self.threshold:g}")

    def is_case(self, effect: np.ndarray) -> np.ndarray:
        """Which effects are cases of interest (NaN is never a case)."""
        effect = np.asarray(effect, dtype=float)
        with np.errstate(invalid="ignore"):
            return effect < self.threshold if self.rule == "below" else effect > self.threshold

    def describe(self) -> dict[str, Any]:
        """JSON-able description (what the output directory's discovery.json holds)."""
        return {**self.study.describe(), "case": {"outcome": self.outcome, self.rule: self.threshold},
                "alpha": self.alpha, "mass_min": self.mass_min,
                "coverage_weight": self.coverage_weight,
                "significance": self.significance, "permutations": self.permutations,
                "boxes": self.boxes, "resamples": self.resamples, "tree_depth": self.tree_depth}


def load_discovery(path: str | Path, quick: bool = False, every_variant: bool = False) -> Discovery:
    """Read and validate a discovery file (see the module docstring).

    The ``[discovery.quick]`` table is checked whether or not ``quick`` is
    asked for; what the runs can measure and the populations the factors
    reach, for the variant asked for (both with ``every_variant``, as
    ``iesim validate`` does).

    Args:
        path: the discovery file.
        quick: use the file's ``[discovery.quick]`` size (for CI).
        every_variant: check the runs of the full and the quick size alike.

    Raises:
        InputError: for any bad input, naming the file and the key.
    """
    source = str(path)
    data = read_toml(path)
    table = data.get("discovery")
    if not isinstance(table, dict):
        raise InputError(source, "discovery", "missing table [discovery] (with name, samples, "
                         "[discovery.case] and [discovery.target])")
    for key in ("scenario", "batch", "sensitivity", "calibration"):
        if key in data:
            raise InputError(source, key, f"a discovery file has [discovery], not [{key}]")
    for key in table:
        if key not in KEYS:
            raise InputError(source, f"discovery.{key}",
                             f"unknown key discovery.{key}{suggest(key, KEYS)}")
    if "name" not in table:
        raise InputError(source, "discovery.name", "missing key discovery.name")
    name = table["name"]
    if not isinstance(name, str) or not name.strip():
        raise InputError(source, "discovery.name",
                         f"discovery.name must be {KEYS['name']}; got {name!r}")
    description = table.get("description", "")
    if not isinstance(description, str):
        raise InputError(source, "discovery.description",
                         f"discovery.description must be a string; got {description!r}")
    ints = {key: read_int(table, key, low, high, default, source, "discovery")
            for key, (low, high, default) in INTS.items()}
    shares = {key: _share(table, key, top, default, source) for key, (top, default)
              in SHARES.items()}
    common = {k: v for k, v in data.items() if k not in ("discovery", "factors")}
    fixed = scenario_from_dict({"scenario": {"name": "fixed"}, **common}, source).params
    quick_ints, quick_fixed = _quick(table, ints, fixed, source, quick)
    for sizes, where in ((ints, "discovery"), (quick_ints, "discovery.quick")):
        if sizes is not None:
            _check_permutations(table, sizes["permutations"], shares["significance"], where,
                                source)
    outcome, rule, threshold = _case(table.get("case"), source)
    outcomes = _outcomes(table, outcome, source)
    arms = _target(table.get("target"), Path(path).parent, source)
    factors = read_factors(data.get("factors"), source, None)
    seed = read_int(table, "seed", *SEED_RANGE, 0, source, "discovery")
    variants = [(False, ints, fixed)] + ([(True, quick_ints, quick_fixed)] if quick_ints else [])
    chosen = None
    for is_quick, sizes, settings in variants:
        reference, policy = apply_fixed(settings, *arms, factors, source)
        study = Study(name=name, method="latin hypercube", factors=factors, outcomes=outcomes,
                      replicates=sizes["replicates"], seed=seed, years=sizes["years"],
                      size={"samples": sizes["samples"]}, target="effect", reference=reference,
                      policy=policy, description=description, source=source)
        years_key = ("discovery.quick.years" if is_quick and "years" in table["quick"]
                     else "discovery.years")
        named = [(outcome, "discovery.case.outcome")] + [(o, "discovery.outcomes")
                                                         for o in outcomes[1:]]
        if every_variant or is_quick == quick:
            check_runs(study, factor_keys((data.get("factors") or {}).get("parameters")),
                       "factors.parameters", named, years_key)
        if is_quick == quick:
            chosen = Discovery(study=study, outcome=outcome, rule=rule, threshold=threshold,
                               boxes=sizes["boxes"], resamples=sizes["resamples"],
                               permutations=sizes["permutations"],
                               tree_depth=sizes["tree_depth"], **shares)
    return chosen


def unit_design(discovery: Discovery) -> np.ndarray:
    """The Latin hypercube in unit coordinates (deterministic in the seed)."""
    from scipy.stats import qmc

    study = discovery.study
    sampler = qmc.LatinHypercube(d=len(study.factors), rng=np.random.default_rng(study.seed))
    return sampler.random(discovery.samples)


# --------------------------------------------------------------------------- parts


def _share(table, key, top, default, source):
    value = table.get(key, default)
    if (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            or not 0 < value <= top):
        raise InputError(source, f"discovery.{key}",
                         f"discovery.{key} must be {KEYS[key]}; got {value!r}")
    return float(value)


def _check_permutations(table, permutations, level, where, source):
    """The permutation test can reach the level: its smallest p-value is 1 / (1 + permutations)."""
    if (1 + permutations) * level < 1 - 1e-9:
        fewest = math.ceil(1 / level) - 1
        key = where if where == "discovery" or "permutations" in table["quick"] else "discovery"
        raise InputError(source, f"{key}.permutations",
                         f"{key}.permutations must be at least {fewest} with significance "
                         f"{level:g}, as the smallest permutation p-value is 1 / (1 + "
                         f"permutations); got {permutations}")


def _quick(table, ints, fixed, source, required):
    """The quick sizes and fixed settings (None, None without a quick table); always checked."""
    where = "discovery.quick"
    quick = quick_table(table, where, QUICK_KEYS, source, required)
    if quick is None:
        return None, None
    ints = {**ints, **{key: read_int(quick, key, INTS[key][0], INTS[key][1], ints[key], source,
                                     where) for key in QUICK_KEYS[:-1] if key in quick}}
    return ints, {**fixed, **quick_population(quick, where, source)}


def _case(case, source):
    where = "discovery.case"
    if not isinstance(case, dict):
        raise InputError(source, where, f"missing table [{where}] (outcome, and below or above)"
                         if case is None else f"{where} must be {KEYS['case']}")
    for key in case:
        if key not in ("outcome",) + RULES:
            raise InputError(source, f"{where}.{key}", f"unknown key {where}.{key} (allowed: "
                             f"outcome, below, above){suggest(key, ('outcome',) + RULES)}")
    outcome = case.get("outcome")
    _check_outcome(outcome, f"{where}.outcome", source)
    rules = [r for r in RULES if r in case]
    if len(rules) != 1:
        raise InputError(source, where, f"{where} needs exactly one of below or above (the "
                         f"threshold of the paired effect); got {rules or 'neither'}")
    rule = rules[0]
    value = case[rule]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(source, f"{where}.{rule}", f"{where}.{rule} must be a finite number "
                         f"(the threshold of the paired effect); got {value!r}")
    return outcome, rule, float(value)


def _check_outcome(name, where, source):
    from simulation.model.metrics import OUTCOMES

    if not isinstance(name, str) or name not in OUTCOMES:
        raise InputError(source, where, f"{where} must be an outcome name; got {name!r}"
                         f"{suggest(name, OUTCOMES) if isinstance(name, str) else ''}")


def _outcomes(table, outcome, source) -> tuple[str, ...]:
    where = "discovery.outcomes"
    names = table.get("outcomes", [])
    if not isinstance(names, list):
        raise InputError(source, where, f"{where} must be {KEYS['outcomes']}; got {names!r}")
    for name in names:
        _check_outcome(name, where, source)
    if len(set(names)) != len(names):
        raise InputError(source, where, f"{where} must not repeat outcomes")
    return (outcome,) + tuple(n for n in names if n != outcome)


def _target(target, here, source):
    where = "discovery.target"
    if not isinstance(target, dict):
        raise InputError(source, where, f"missing table [{where}] (policy and reference "
                         "scenario files)" if target is None else f"{where} must be a table")
    for key in target:
        if key not in ("policy", "reference"):
            raise InputError(source, f"{where}.{key}", f"unknown key {where}.{key} (allowed: "
                             f"policy, reference){suggest(key, ('policy', 'reference'))}")
    for key in ("policy", "reference"):
        if key not in target:
            raise InputError(source, f"{where}.{key}",
                             f"missing key {where}.{key} (a scenario file path)")
    return (read_scenario(target, "reference", here, source, where),
            read_scenario(target, "policy", here, source, where))
