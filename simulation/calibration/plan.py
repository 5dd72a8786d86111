"""How a calibration runs: the parameters it calibrates and the sizes of its waves.

The settings sit in the target file's ``[calibration]`` table, next to the
targets they serve::

    [calibration]
    name = "baseline"
    scenario = "../scenarios/baseline.toml"
    seed = 20261127
    replicates = 2            # runs per design point, on common random numbers
    waves = 4                 # history-matching waves
    runs_per_wave = 200       # design points per wave
    confirm = 32              # posterior points confirmed on the model
    confirm_replicates = 3
    check_replicates = 10     # runs of the chosen point for the final table
    years = 15                # default: the scenario's years

    [calibration.parameters]  # each over its plausible range, or [low, high]
    reservation_match = "plausible"
    placement_slots = [3, 12]

    [calibration.quick]       # a small size for CI (--quick)
    waves = 2
    runs_per_wave = 24
    population = { n_students = 2000 }

Every parameter is a registry parameter; its range is its plausible range
unless the file gives one (inside the valid range).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulation.batch.study_checks import (
    check_factor_populations,
    factor_keys,
    quick_population,
    quick_table,
)
from simulation.errors import InputError
from simulation.scenarios import SEED_RANGE, YEARS_RANGE
from simulation.sensitivity.study import Factor, registry_factor

SIZES = {  # key: (lowest, highest, default)
    "replicates": (1, 100, 2),
    "waves": (1, 20, 4),
    "runs_per_wave": (4, 100_000, 200),
    "confirm": (1, 10_000, 32),
    "confirm_replicates": (1, 100, 3),
    "check_replicates": (2, 1000, 10),
}
SEED_ROOM = 10_000  # batches use the seed plus small offsets
PLAN_KEYS = {"seed", "years", "parameters", "quick", *SIZES}
QUICK_KEYS = {"years", "population", *SIZES}


@dataclass(frozen=True)
class Plan:
    """A calibration's parameters, sizes and the scenario its runs start from.

    Attributes:
        factors: the calibrated parameters and their prior (uniform) ranges.
        scenario: model keywords every run shares (the target file's scenario,
            with the quick population when ``--quick``).
        seed: master seed of designs, emulators and model runs.
        years: simulated years per run.
        replicates: runs per design point, on common random numbers.
        waves: history-matching waves.
        runs_per_wave: design points per wave.
        confirm: posterior points run on the model to confirm the emulators.
        confirm_replicates: runs per confirmation point.
        check_replicates: runs of the chosen point for the final table.
        quick: the file's quick size is in use.
    """

    factors: tuple[Factor, ...]
    scenario: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    years: int = 15
    replicates: int = 2
    waves: int = 4
    runs_per_wave: int = 200
    confirm: int = 32
    confirm_replicates: int = 3
    check_replicates: int = 10
    quick: bool = False

    @property
    def steps(self) -> int:
        """Model steps (months) per run."""
        return 12 * self.years

    @property
    def names(self) -> list[str]:
        """The calibrated parameters' names."""
        return [f.name for f in self.factors]

    def most_runs(self) -> int:
        """The most model runs the plan can make (waves may stop early)."""
        return (self.waves * self.runs_per_wave * self.replicates
                + self.confirm * self.confirm_replicates + self.check_replicates)

    def describe(self) -> dict[str, Any]:
        """Everything that determines the numbers, as plain values."""
        return {"factors": [[f.name, f.low, f.high] for f in self.factors],
                "scenario": dict(sorted(self.scenario.items())),
                **{k: getattr(self, k) for k in ("seed", "years", *SIZES)}}


def read_plan(head: dict, source: str, scenario: dict[str, Any], years: int,
              quick: bool = False) -> Plan | None:
    """The plan in a ``[calibration]`` table, or None when it names no parameters.

    Raises:
        InputError: for any bad key or value, naming the file and the key.
    """
    table = head.get("parameters")
    if table is None:
        if quick:
            raise InputError(source, "calibration.parameters", "--quick needs a calibration: "
                             "list the parameters in [calibration.parameters]")
        return None
    if not isinstance(table, dict) or not table:
        raise InputError(source, "calibration.parameters", "calibration.parameters must be a "
                         "table of parameter = \"plausible\" or [low, high]")
    factors: dict[str, Factor] = {}
    for key, spec in table.items():
        where = f"calibration.parameters.{key}"
        factor = registry_factor(key, spec, where, source)
        if factor.lever:
            raise InputError(source, where, f"{where} is a policy lever; the calibration fits "
                             "the no-policy baseline, so levers stay off")
        if factor.name in factors:
            raise InputError(source, where, f"{where} names {factor.name} twice")
        factors[factor.name] = factor
    sizes = {key: _int(head, key, *bounds, source, "calibration")
             for key, bounds in SIZES.items()}
    seed = _int(head, "seed", SEED_RANGE[0], SEED_RANGE[1] - SEED_ROOM, 0, source, "calibration")
    years = _int(head, "years", *YEARS_RANGE, years, source, "calibration")
    small = quick_table(head, "calibration.quick", sorted(QUICK_KEYS), source, quick)
    if quick:
        sizes = {key: _int(small, key, *bounds[:2], sizes[key], source, "calibration.quick")
                 for key, bounds in SIZES.items()}
        years = _int(small, "years", *YEARS_RANGE, years, source, "calibration.quick")
        scenario = {**scenario, **quick_population(small, "calibration.quick", source)}
    clash = [f.name for f in factors.values() if f.name in scenario]
    if clash:
        raise InputError(source, f"calibration.parameters.{clash[0]}", f"{clash[0]} is set by "
                         "the scenario and also calibrated; remove it from one of them")
    check_factor_populations(tuple(factors.values()), factor_keys(table),
                             "calibration.parameters", [("calibration", scenario)], source)
    return Plan(tuple(factors.values()), scenario, seed, years, quick=quick, **sizes)


def _int(table, key, low, high, default, source, where) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(source, f"{where}.{key}",
                         f"{where}.{key} must be an integer in [{low}, {high}]; got {value!r}")
    return value
