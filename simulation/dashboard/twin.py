"""A policy model and its no-lever baseline, on one seed, stepped in lock-step.

The baseline shares everything with the policy model except the levers: the
same population, trends and seed, so replicate noise is common to both
(common random numbers) and their difference is the policy's effect so far.
"""

from __future__ import annotations

import json
import math
from typing import Any

from simulation.model import IndustryEducationModel
from simulation.model.parameters import PARAMETERS
from simulation.scenarios import run_seed

HEADLINES = ("employment_rate_6m", "employment_rate_12m", "matched_employment_share",
             "placement_coverage", "curriculum_gap", "active_partnerships")
"""The outcomes the dashboard shows with their difference from the baseline."""

COST, EFFECT = "cost_government", "employment_months"
"""The evaluation's cost and effect measures (simulation.model.metrics), as ``iesim report`` uses them."""


def baseline_params(params: dict[str, Any]) -> dict[str, Any]:
    """The policy settings with every lever at its default (off); the rest kept."""
    return {k: v for k, v in params.items() if not PARAMETERS[k].lever}


class Twin:
    """The policy model and its baseline.

    Args:
        params: model keywords of the policy model (levers, trends, population).
        seed: the seed of both models.

    Raises:
        ValueError, TypeError: a setting the model refuses (the message says which).
    """

    def __init__(self, params: dict[str, Any], seed: int):
        self.params = dict(params)
        self.seed = int(seed)
        # replicate 0 of a batch with this master seed, as `iesim run` on the downloaded files
        self.policy = IndustryEducationModel(rng=run_seed(self.seed), **self.params)
        self.baseline = IndustryEducationModel(rng=run_seed(self.seed),
                                               **baseline_params(self.params))

    @property
    def steps(self) -> int:
        """Months simulated so far."""
        return self.policy.steps

    def step(self, months: int = 1) -> None:
        """Advance both models ``months`` months."""
        for _ in range(months):
            self.policy.step()
            self.baseline.step()

    def latest(self, which: str = "policy") -> dict[str, float]:
        """Every outcome's latest monthly value of one model (``policy`` or ``baseline``)."""
        model = self.policy if which == "policy" else self.baseline
        return {k: (v[-1] if v else math.nan) for k, v in model.datacollector.model_vars.items()}

    def series(self, name: str, which: str = "policy") -> list[float]:
        """An outcome's monthly values so far."""
        model = self.policy if which == "policy" else self.baseline
        return list(model.datacollector.model_vars[name])

    def differences(self) -> dict[str, tuple[float, float, float]]:
        """Each headline outcome: (policy, baseline, policy minus baseline), latest values."""
        policy, base = self.latest("policy"), self.latest("baseline")
        return {k: (policy[k], base[k], policy[k] - base[k]) for k in HEADLINES}

    def increments(self) -> tuple[float, float]:
        """(extra government cost, extra employment-months) so far, the evaluation's measures.

        Both discounted and per 1,000 graduates, as ``iesim report`` counts them.
        """
        policy, base = self.latest("policy"), self.latest("baseline")
        return policy[COST] - base[COST], policy[EFFECT] - base[EFFECT]

    def cost_per_employment_month(self) -> float:
        """Extra government money per extra employment-month so far (kCNY; NaN without a gain).

        The incremental cost over the incremental effect, as ``iesim report``'s ICER.
        """
        cost, effect = self.increments()
        return cost / effect if effect > 0 else math.nan


def scenario_toml(params: dict[str, Any], seed: int, years: int, name: str,
                  description: str = "") -> str:
    """A scenario file that ``iesim run`` and ``iesim batch`` accept, holding ``params``."""
    sections: dict[str, list[str]] = {}
    for key, value in params.items():
        p = PARAMETERS[key]
        sections.setdefault(p.section, []).append(f"{p.key} = {toml_value(p.check(value))}")
    lines = ["[scenario]", f"name = {toml_value(name)}",
             f"description = {toml_value(description)}", f"years = {int(years)}",
             f"seed = {int(seed)}", "replicates = 1", ""]
    for section, rows in sections.items():
        lines += [f"[{section}]", *rows, ""]
    return "\n".join(lines)


def toml_value(value: Any) -> str:
    """A number, boolean or string as TOML writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return json.dumps(str(value))
