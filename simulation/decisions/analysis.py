"""A decision study's tables, from its runs: expectations, curves, EVPI, EVPPI and the noise split.

Every measure is computed on each draw's mean over its replicates (seed noise averaged
down by the replicates), for the study's perspective and effect measure, in kCNY and
effect units per 1,000 graduates:

* ``expected``: each option's expected cost and effect over the draws, its increments
  against the no-policy option (with the 2.5th and 97.5th percentiles over the draws),
  and the incremental analysis on the expectations
  (:func:`simulation.evaluation.frontier.efficient_frontier`);
* ``acceptability``: at every willingness to pay, each option's probability of having the
  highest net benefit (the options' probabilities sum to 1), its expected net benefit and
  its expected loss, and whether it is the option chosen (highest expected net benefit);
* ``frontier``: the acceptability frontier, the chosen option and its probability;
* ``evpi``: the EVPI per 1,000 graduates from the draw means, the same by regression on
  every input together (seed noise left in the residual) with its standard error, and
  both scaled to the study's population;
* ``evppi``: the EVPPI of each input and each named group, by regression, with standard
  errors (:func:`simulation.decisions.evppi.evppi_curve`);
* ``variance``: the incremental net benefit's variance split into a parameter and a
  stochastic (seed) part (:func:`simulation.decisions.voi.variance_split`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.decisions.evppi import SAMPLES, evppi_curve
from simulation.decisions.study import Decision
from simulation.decisions.voi import (
    acceptability_frontier,
    evpi,
    expected_loss,
    expected_net_benefit,
    net_benefit,
    population_value,
    probability_best,
    variance_split,
)
from simulation.evaluation.frontier import efficient_frontier

ALL = "all inputs"


@dataclass
class Analysis:
    """The tables of a decision study (each written as Parquet and CSV)."""

    per_draw: pd.DataFrame
    expected: pd.DataFrame
    acceptability: pd.DataFrame
    frontier: pd.DataFrame
    evpi: pd.DataFrame
    evppi: pd.DataFrame
    variance: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """Name to table, in the order the report reads them."""
        return {"per_draw": self.per_draw, "expected": self.expected,
                "acceptability": self.acceptability, "frontier": self.frontier,
                "evpi": self.evpi, "evppi": self.evppi, "variance": self.variance}


def analyse(decision: Decision, draws: pd.DataFrame, runs: pd.DataFrame,
            samples: int = SAMPLES) -> Analysis:
    """Every table of the study (see the module docstring).

    Args:
        decision: the study.
        draws: its draws (one row per draw, a column per input).
        runs: its runs (:func:`simulation.decisions.runs.evaluate`).
        samples: posterior samples of each EVPPI regression for its standard error.
    """
    cost, effect = runs_array(decision, runs, decision.cost), runs_array(decision, runs,
                                                                         decision.effect)
    costs, effects = cost.mean(axis=1), effect.mean(axis=1)
    grid = np.asarray(decision.wtp_grid)
    per_draw = _per_draw(decision, costs, effects)
    evppi_table = _evppi(decision, draws, costs, effects, grid, samples)
    return Analysis(per_draw, expected_table(decision, costs, effects),
                    *_curves(decision, costs, effects, grid),
                    _evpi(decision, costs, effects, grid, evppi_table),
                    evppi_table, _variance(decision, cost, effect, grid))


def runs_array(decision: Decision, runs: pd.DataFrame, measure: str) -> np.ndarray:
    """A measure of every run as an array ``(draws, replicates, options)``, options in study order."""
    order = {name: k for k, name in enumerate(decision.names)}
    frame = runs.assign(_k=runs["option"].map(order)).sort_values(["draw", "replicate", "_k"])
    return frame[measure].to_numpy(float).reshape(decision.draws, decision.replicates,
                                                  len(decision.options))


def _per_draw(decision: Decision, costs: np.ndarray, effects: np.ndarray) -> pd.DataFrame:
    n, k = costs.shape
    return pd.DataFrame({
        "draw": np.repeat(np.arange(n), k), "option": np.tile(decision.names, n),
        "cost": costs.ravel(), "effect": effects.ravel(),
        "d_cost": (costs - costs[:, :1]).ravel(), "d_effect": (effects - effects[:, :1]).ravel(),
    })


def expected_table(decision: Decision, costs: np.ndarray, effects: np.ndarray) -> pd.DataFrame:
    """Expected cost and effect per option, increments over the draws, and the frontier."""
    dc, de = costs - costs[:, :1], effects - effects[:, :1]
    table = pd.DataFrame({
        "option": decision.names, "no_policy": [k == 0 for k in range(len(decision.names))],
        "cost": costs.mean(axis=0), "effect": effects.mean(axis=0),
        "cost_sd": costs.std(axis=0, ddof=1), "effect_sd": effects.std(axis=0, ddof=1),
        "d_cost": dc.mean(axis=0), "d_cost_p025": np.percentile(dc, 2.5, axis=0),
        "d_cost_p975": np.percentile(dc, 97.5, axis=0),
        "d_effect": de.mean(axis=0), "d_effect_p025": np.percentile(de, 2.5, axis=0),
        "d_effect_p975": np.percentile(de, 97.5, axis=0),
        "share_more_effective": (de > 0).mean(axis=0),
    })
    front = efficient_frontier(table[["option", "cost", "effect"]])
    front = front.drop(columns=["cost", "effect"])
    return table.merge(front, on="option", how="left")


def _curves(decision: Decision, costs: np.ndarray, effects: np.ndarray,
            grid: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    nb = net_benefit(costs, effects, grid)
    prob, enb, loss = probability_best(nb), expected_net_benefit(nb), expected_loss(nb)
    front = acceptability_frontier(costs, effects, grid)
    names = np.asarray(decision.names)
    k = len(names)
    curves = pd.DataFrame({
        "wtp": np.repeat(grid, k), "option": np.tile(names, len(grid)),
        "probability_best": prob.ravel(), "expected_net_benefit": enb.ravel(),
        "expected_loss": loss.ravel(),
        "chosen": (np.arange(k)[None, :] == front.option[:, None]).ravel(),
    })
    frontier = pd.DataFrame({
        "wtp": grid, "option": names[front.option], "probability_best": front.probability,
        "expected_net_benefit": enb[np.arange(len(grid)), front.option],
        "most_likely_best": names[prob.argmax(axis=1)],
    })
    return curves, frontier


def _evpi(decision: Decision, costs: np.ndarray, effects: np.ndarray, grid: np.ndarray,
          evppi_table: pd.DataFrame) -> pd.DataFrame:
    value = evpi(net_benefit(costs, effects, grid))
    every = evppi_table[evppi_table["input"] == ALL].set_index("wtp").reindex(grid)
    people = decision.followed_graduates()
    return pd.DataFrame({
        "wtp": grid, "evpi": value,
        "evpi_regression": every["evppi"].to_numpy(), "evpi_regression_se": every["se"].to_numpy(),
        "evpi_population_kcny": population_value(value, people),
        "evpi_regression_population_kcny": population_value(every["evppi"].to_numpy(), people),
    })


def targets(decision: Decision) -> list[tuple[str, str, tuple[str, ...]]]:
    """What the EVPPI is computed for: ``(name, kind, inputs)`` per input, group and all inputs."""
    names = decision.uncertainty.names
    out = [(name, "input", (name,)) for name in names]
    out += [(name, "group", members) for name, members in decision.uncertainty.groups.items()]
    if len(names) > 1:
        out.append((ALL, "all", tuple(names)))
    return out


def _evppi(decision: Decision, draws: pd.DataFrame, costs: np.ndarray, effects: np.ndarray,
           grid: np.ndarray, samples: int) -> pd.DataFrame:
    frames = []
    for i, (name, kind, members) in enumerate(targets(decision)):
        x = draws.sort_values("draw")[list(members)].to_numpy(float)
        fit = evppi_curve(costs, effects, grid, x, samples=samples, seed=decision.seed % 2**32 + i)
        frames.append(pd.DataFrame({"input": name, "kind": kind, "members": ", ".join(members),
                                    "wtp": grid, "evppi": fit.value, "se": fit.se,
                                    "method": fit.method}))
    return pd.concat(frames, ignore_index=True)


def _variance(decision: Decision, cost: np.ndarray, effect: np.ndarray,
              grid: np.ndarray) -> pd.DataFrame:
    rows = []
    for w in grid:
        split = variance_split(w * effect - cost)
        for k, name in enumerate(decision.names[1:]):
            param, noise = float(split.parameter[k]), float(split.stochastic[k])
            mean_noise = noise / split.replicates
            rows.append({"wtp": float(w), "option": name, "against": decision.no_policy,
                         "parameter": param, "stochastic": noise,
                         "replicates": split.replicates,
                         "noise_share_run": _share(noise, param + noise),
                         "noise_share_mean": _share(mean_noise, param + mean_noise)})
    return pd.DataFrame(rows)


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else float("nan")
