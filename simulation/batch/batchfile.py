"""Batch files (TOML) to validated batches.

A batch file has a ``[batch]`` table and either a list of scenario files or a
``[design]`` over registry parameters::

    [batch]
    name = "policy_comparison"
    scenarios = ["../baseline.toml", "../lever_tax_break.toml"]  # relative to this file
    replicates = 20          # per scenario (replicate r shares random streams everywhere)
    seed = 20240501          # master seed
    years = 15               # simulated years of every run
    reference = "baseline"   # scenario the others are compared with (paired differences)
    outcomes = ["employment_rate_12m", ...]   # summaries to keep (default: all)
    report = ["employment_rate_12m", ...]     # outcomes in tables, figure and --ci-width
                                              # (default: simulation.model.metrics.MAIN_OUTCOMES)
    keep_timeseries = false  # also store every run's monthly outcomes
    common_random_numbers = true
    max_replicates = 200     # cap for --ci-width
    willingness_to_pay = 5.0 # kCNY per employment-month, for the policy evaluation

    [population]             # any scenario-file section: applied to every scenario,
    n_students = 5000        # overriding the scenario files' own values (but a parameter
                             # that [design] varies cannot be set here)

    [design]                 # instead of batch.scenarios
    method = "full_factorial"            # or "latin_hypercube"
    base = "../baseline.toml"            # optional base scenario (default: registry defaults)
    include_base = true                  # also run the base itself (as a reference)
    samples = 32                         # latin_hypercube only
    seed = 7                             # latin_hypercube sampling seed (default: batch.seed)
    [design.parameters]
    tax_break_rate = [0.0, 0.15, 0.3]                  # full_factorial: levels
    "levers.linkage_meetings.per_year" = {low = 0, high = 4}   # latin_hypercube: range

The scenario files' own ``years``, ``seed`` and ``replicates`` are ignored:
the batch sets them for every scenario.

A batch may plan at most :data:`MAX_RUNS` runs (scenarios x replicates, or
scenarios x max_replicates with ``--ci-width``) unless ``iesim batch
--max-runs N`` raises the cap; the size is checked before any run is planned.
Every error is an
:class:`~simulation.errors.InputError` naming the file, the key and what was
expected; nothing runs on bad input.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulation.batch.designs import design_factors, parse_design
from simulation.batch.plan import Plan
from simulation.batch.runner import plan_runs, stable_hash
from simulation.batch.study_checks import check_measurable
from simulation.errors import InputError
from simulation.model.parameters import PARAMETERS, suggest
from simulation.scenarios import check_population, load_scenario, read_toml, scenario_from_dict

BATCH_KEYS = {
    "name": ("a non-empty string", str),
    "description": ("a string", str),
    "scenarios": ("a non-empty list of scenario file paths", list),
    "replicates": ("an integer in [1, 100000]", int),
    "seed": ("an integer in [0, 2**63-1]", int),
    "years": ("an integer in [1, 200]", int),
    "reference": ("the name of one of the batch's scenarios", str),
    "outcomes": ("a non-empty list of outcome names", list),
    "report": ("a non-empty list of outcome names", list),
    "keep_timeseries": ("a boolean", bool),
    "common_random_numbers": ("a boolean", bool),
    "max_replicates": ("an integer in [1, 100000] and >= batch.replicates", int),
    "willingness_to_pay": ("a number in [0, 1e6] (kCNY per employment-month)", (int, float)),
}
RANGES = {"replicates": (1, 100_000), "seed": (0, 2**63 - 1), "years": (1, 200),
          "max_replicates": (1, 100_000), "willingness_to_pay": (0, 1e6)}
MAX_SCENARIOS = 10_000
MAX_RUNS = 1_000_000  # default cap on runs of one batch (iesim batch --max-runs raises it)


@dataclass(frozen=True)
class Batch:
    """A validated batch: scenarios (name to full parameter keywords) and settings."""

    name: str
    scenarios: dict[str, dict[str, Any]]
    replicates: int = 10
    seed: int = 0
    years: int = 15
    reference: str | None = None
    outcomes: tuple[str, ...] | None = None
    report: tuple[str, ...] | None = None
    keep_timeseries: bool = False
    common_random_numbers: bool = True
    max_replicates: int = 200
    willingness_to_pay: float | None = None
    description: str = ""
    source: str = ""
    scenario_sources: dict[str, str] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        """Model steps (months) per run."""
        return 12 * self.years

    def specs(self, replicates: int | None = None) -> Plan:
        """The plan of replicates ``0 .. replicates-1`` (default: batch.replicates), a sequence of specs."""
        return plan_runs(
            self.scenarios, replicates or self.replicates, self.seed, self.steps,
            self.common_random_numbers,
        )

    def check_size(self, max_runs: int = MAX_RUNS, ci_width: bool = False) -> int:
        """Refuse a batch of more than ``max_runs`` runs, before any is planned.

        Args:
            max_runs: the cap (``iesim batch --max-runs``).
            ci_width: count replicates up to ``max_replicates`` (``--ci-width`` may add them).

        Returns:
            The number of runs the batch may plan.

        Raises:
            InputError: naming the total, the cap and the ``--max-runs`` option.
        """
        per, key = ((self.max_replicates, "batch.max_replicates (the --ci-width cap)")
                    if ci_width else (self.replicates, "batch.replicates"))
        total = len(self.scenarios) * per
        if total > max_runs:
            raise InputError(
                self.source, "--max-runs",
                f"{len(self.scenarios):,} scenarios x {per:,} {key} = {total:,} runs, more than "
                f"the cap of {max_runs:,} runs; plan fewer, or raise the cap with "
                f"iesim batch --max-runs {total}",
            )
        return total

    def design_hash(self) -> str:
        """Hash of what determines every run's data (not replicates or reporting)."""
        return stable_hash({
            "scenarios": self.scenarios, "seed": self.seed, "years": self.years,
            "crn": self.common_random_numbers, "outcomes": self.outcomes,
            "keep_timeseries": self.keep_timeseries,
        })

    def meta(self) -> dict[str, Any]:
        """JSON-able description for the results store's manifest."""
        return {
            "name": self.name, "description": self.description, "source": self.source,
            "scenarios": [{"name": n, "source": self.scenario_sources.get(n, ""), "params": p}
                          for n, p in self.scenarios.items()],
            "replicates": self.replicates, "master_seed": self.seed, "years": self.years,
            "steps": self.steps, "reference": self.reference,
            "outcomes": list(self.outcomes) if self.outcomes else None,
            "report": list(self.report) if self.report else None,
            "keep_timeseries": self.keep_timeseries,
            "common_random_numbers": self.common_random_numbers,
            "max_replicates": self.max_replicates,
            "willingness_to_pay": self.willingness_to_pay,
        }


def known_outcomes() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(all outcome names, main outcome names) of the iesim model."""
    from simulation.model.metrics import MAIN_OUTCOMES, OUTCOMES

    return tuple(OUTCOMES), tuple(MAIN_OUTCOMES)


def load_batch(path: str | Path, max_runs: int | None = MAX_RUNS, ci_width: bool = False) -> Batch:
    """Read and validate a batch file (see the module docstring).

    Args:
        path: the batch file.
        max_runs: cap on the batch's runs (see :meth:`Batch.check_size`); None for none.
        ci_width: the batch runs with ``--ci-width`` (its cap counts max_replicates).

    Returns:
        The validated :class:`Batch`.

    Raises:
        InputError: for any bad input, naming the file and the key.
    """
    source = str(path)
    data = read_toml(path)
    if "batch" not in data:
        raise InputError(source, "batch", "missing table [batch] (with at least name)")
    if "scenario" in data:
        raise InputError(source, "scenario",
                         "a batch file has a [batch] table, not [scenario] (that is a scenario file)")
    table = data["batch"]
    if not isinstance(table, dict):
        raise InputError(source, "batch", "batch must be a table")
    settings = _check_batch_table(table, source)
    common = {k: v for k, v in data.items() if k not in ("batch", "design")}
    overrides = scenario_from_dict({"scenario": {"name": "batch"}, **common}, source).params
    here = Path(path).parent
    has_design = "design" in data
    if has_design == ("scenarios" in table):
        raise InputError(source, "batch.scenarios",
                         "give exactly one of batch.scenarios (a list of files) or [design]")
    if has_design:
        scenarios, sources = parse_design(data["design"], here, source, settings.get("seed", 0))
        _refuse_overridden_factors(design_factors(data["design"], source), overrides, source)
    else:
        scenarios, sources = _load_scenarios(table["scenarios"], here, source)
    scenarios = _complete({n: {**p, **overrides} for n, p in scenarios.items()})
    for name, params in scenarios.items():  # every run must be constructible, design points too
        check_population(params, source, f"scenario {name!r}: ")
    reference = settings.get("reference")
    if reference is not None and reference not in scenarios:
        raise InputError(source, "batch.reference",
                         f"batch.reference must be {BATCH_KEYS['reference'][0]} "
                         f"({', '.join(list(scenarios)[:12])}); got {reference!r}"
                         f"{suggest(reference, scenarios)}")
    all_names, main = known_outcomes()
    outcomes = _check_outcomes(settings.get("outcomes"), "outcomes", all_names, source)
    report = _check_outcomes(settings.get("report"), "report", outcomes or all_names, source,
                             "an outcome kept by batch.outcomes" if outcomes else "")
    years = settings.get("years", 15)
    named = [(o, "batch.outcomes") for o in outcomes or ()] + [(o, "batch.report")
                                                                for o in report or ()]
    check_measurable(named, years, "batch.years", scenarios.values(), source)
    if report is None:
        report = tuple(o for o in main if outcomes is None or o in outcomes)
    replicates = settings.get("replicates", 10)
    max_replicates = settings.get("max_replicates", max(200, replicates))
    if max_replicates < replicates:
        raise InputError(source, "batch.max_replicates",
                         f"batch.max_replicates must be >= batch.replicates ({replicates}); "
                         f"got {max_replicates}")
    batch = Batch(
        name=settings["name"], scenarios=scenarios, replicates=replicates,
        seed=settings.get("seed", 0), years=years, reference=reference,
        outcomes=outcomes, report=report,
        keep_timeseries=settings.get("keep_timeseries", False),
        common_random_numbers=settings.get("common_random_numbers", True),
        max_replicates=max_replicates, description=settings.get("description", ""),
        willingness_to_pay=(float(settings["willingness_to_pay"])
                            if "willingness_to_pay" in settings else None),
        source=source, scenario_sources=sources,
    )
    if max_runs is not None:
        batch.check_size(max_runs, ci_width)
    return batch


def _refuse_overridden_factors(factors: dict[str, str], overrides: dict[str, Any],
                               source: str) -> None:
    """Refuse a batch-level section that sets a parameter the design varies (it would win)."""
    for name, key in factors.items():
        if name in overrides:
            path = PARAMETERS[name].path
            raise InputError(
                source, path,
                f"{path} = {overrides[name]!r} is set for the whole batch, but "
                f"design.parameters.{key} varies it; the batch-level value would replace every "
                f"design level, so remove one of them",
            )


def _check_batch_table(table: dict[str, Any], source: str) -> dict[str, Any]:
    for key, value in table.items():
        if key not in BATCH_KEYS:
            raise InputError(source, f"batch.{key}",
                             f"unknown key batch.{key}{suggest(key, BATCH_KEYS)}")
        expect, kind = BATCH_KEYS[key]
        if kind is bool:
            ok = isinstance(value, bool)
        else:  # a boolean is not a number here
            ok = isinstance(value, kind) and not isinstance(value, bool)
        if isinstance(value, float) and not math.isfinite(value):
            ok = False
        if ok and key in RANGES:
            low, high = RANGES[key]
            ok = low <= value <= high
        if ok and kind is str and key == "name":
            ok = bool(value.strip())
        if ok and kind is list:
            ok = bool(value) and all(isinstance(v, str) and v.strip() for v in value)
        if not ok:
            raise InputError(source, f"batch.{key}", f"batch.{key} must be {expect}; got {value!r}")
    if "name" not in table:
        raise InputError(source, "batch.name", "missing key batch.name")
    return table


def _load_scenarios(paths: list[str], here: Path, source: str):
    if len(paths) > MAX_SCENARIOS:
        raise InputError(source, "batch.scenarios", f"at most {MAX_SCENARIOS} scenarios")
    scenarios: dict[str, dict[str, Any]] = {}
    sources: dict[str, str] = {}
    for rel in paths:
        file = here / rel
        if not file.is_file():
            raise InputError(source, "batch.scenarios",
                             f"batch.scenarios: scenario file {rel!r} not found "
                             f"(looked for {file})")
        scenario = load_scenario(file)
        if scenario.name in scenarios:
            raise InputError(source, "batch.scenarios",
                             f"batch.scenarios: two files define scenario {scenario.name!r} "
                             f"({sources[scenario.name]}, {file}); names must be unique")
        scenarios[scenario.name] = dict(scenario.params)
        sources[scenario.name] = str(file)
    return scenarios, sources


def _complete(scenarios: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Give every scenario the same parameter keys (defaults where unset)."""
    keys = sorted(set(itertools.chain.from_iterable(scenarios.values())))
    return {n: {k: p.get(k, PARAMETERS[k].default) for k in keys} for n, p in scenarios.items()}


def _check_outcomes(names, key: str, allowed, source: str, what: str = ""):
    if names is None:
        return None
    for name in names:
        if name not in allowed:
            problem = f"{name!r} is not {what}" if what else f"unknown outcome {name!r}"
            raise InputError(source, f"batch.{key}",
                             f"batch.{key}: {problem}{suggest(name, allowed)}")
    if len(set(names)) != len(names):
        raise InputError(source, f"batch.{key}", f"batch.{key} must not repeat outcomes")
    return tuple(names)
