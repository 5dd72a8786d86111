"""Incremental cost-effectiveness analysis across mutually exclusive options.

:func:`efficient_frontier` follows the standard decision rules (Drummond et al.,
*Methods for the Economic Evaluation of Health Care Programmes*, 4th ed., 2015;
Cantor, "Cost-effectiveness analysis, extended dominance, and ethics", *Medical
Decision Making* 14:259-265, 1994):

1. sort the options by cost;
2. drop the strongly dominated ones (another option costs no more and is at least
   as effective, one of the two strictly; of exact duplicates the first is kept);
3. compute the ICER of each remaining option against the previous one and drop any
   option whose ICER exceeds that of the next, more effective option (extended
   dominance), repeating until the ICERs increase along the frontier.

The options left form the efficient frontier, the lower-right convex hull of the
cost-effect plane.  Options exactly on a straight line between two frontier
options (equal ICERs) are kept on the frontier.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FRONTIER = "frontier"
DOMINATED = "dominated"
EXTENDEDLY_DOMINATED = "extendedly dominated"

INPUT_COLUMNS = ("option", "cost", "effect")
OUTPUT_COLUMNS = ("option", "cost", "effect", "status", "compared_with", "icer", "dominated_by")


def efficient_frontier(options: pd.DataFrame) -> pd.DataFrame:
    """Classify options as on the frontier, dominated or extendedly dominated, with ICERs.

    Args:
        options: one row per option with columns ``option`` (unique names), ``cost`` and
            ``effect`` (means, in any consistent units; other columns are ignored).

    Returns:
        One row per option, sorted by cost (ties by effect, most effective first; exact
        duplicates keep their input order), with columns ``option``, ``cost``, ``effect``,
        ``status`` (``"frontier"``, ``"dominated"`` or ``"extendedly dominated"``),
        ``compared_with`` (the previous frontier option by cost; empty for the cheapest
        frontier option and for dominated options), ``icer`` (incremental cost over
        incremental effect against ``compared_with``, NaN where it is empty) and
        ``dominated_by`` (for dominated options, the cheapest of the most effective
        options costing no more; empty otherwise).  For an extendedly dominated option the
        ``icer`` is the one against the frontier option before it, which exceeds the ICER
        of the next frontier option.

    Raises:
        ValueError: if a column is missing, a cost or effect is not finite, or an option
            name repeats.
    """
    table = _sorted_options(options)
    costs = table["cost"].to_numpy(float)
    effects = table["effect"].to_numpy(float)
    dominators = _strong_dominators(effects)
    frontier = _convex_frontier(costs, effects, [i for i, d in enumerate(dominators) if d < 0])
    names = table["option"].tolist()
    rows = [_classify(i, names, costs, effects, dominators, frontier) for i in range(len(names))]
    result = pd.DataFrame(rows, columns=["status", "compared_with", "icer", "dominated_by"])
    return pd.concat([table.reset_index(drop=True), result], axis=1)[list(OUTPUT_COLUMNS)]


def incremental_ratio(cost: float, effect: float, base_cost: float, base_effect: float) -> float:
    """Incremental cost-effectiveness ratio of one option against a base option.

    Args:
        cost: the option's cost.
        effect: the option's effect.
        base_cost: the base option's cost.
        base_effect: the base option's effect (must differ from ``effect``).

    Returns:
        ``(cost - base_cost) / (effect - base_effect)``.
    """
    return (cost - base_cost) / (effect - base_effect)


def _sorted_options(options: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in INPUT_COLUMNS if c not in options.columns]
    if missing:
        raise ValueError(f"options lack the column(s) {missing}; need {list(INPUT_COLUMNS)}")
    table = options.loc[:, list(INPUT_COLUMNS)].copy()
    table["option"] = table["option"].astype(str)
    table["cost"] = pd.to_numeric(table["cost"]).astype(float)
    table["effect"] = pd.to_numeric(table["effect"]).astype(float)
    if not np.isfinite(table[["cost", "effect"]].to_numpy()).all():
        raise ValueError("every option needs a finite cost and effect")
    repeated = table["option"][table["option"].duplicated()].tolist()
    if repeated:
        raise ValueError(f"option names must be unique; repeated: {repeated}")
    table["_effect_down"] = -table["effect"]
    table = table.sort_values(["cost", "_effect_down"], kind="mergesort")
    return table.drop(columns="_effect_down")


def _strong_dominators(effects: np.ndarray) -> list[int]:
    """For options sorted by cost (ties by effect descending), who dominates each.

    An option is dominated exactly when some option before it in this order is at least
    as effective: that one costs no more, and if it costs the same it is either more
    effective or an earlier exact duplicate.  The dominator reported is the first option
    with the largest effect so far (the cheapest of the most effective).

    Returns:
        Position of a dominating option for each option, or -1 for undominated ones.
    """
    dominators = []
    best = -1
    for i, effect in enumerate(effects):
        if best >= 0 and effects[best] >= effect:
            dominators.append(best)
        else:
            dominators.append(-1)
            best = i
    return dominators


def _convex_frontier(costs: np.ndarray, effects: np.ndarray, undominated: list[int]) -> list[int]:
    """Remove extendedly dominated options from undominated ones sorted by cost.

    The undominated options have strictly increasing costs and effects.  An option is
    extendedly dominated when its ICER against the previous remaining option exceeds the
    ICER of the next remaining option against it; removing such options until none is
    left gives the lower convex hull of the cost-effect plane, built here in one pass
    (each new option pops the options it makes extendedly dominated).

    Returns:
        Positions of the frontier options, in cost order.
    """
    frontier: list[int] = []
    for i in undominated:
        while len(frontier) >= 2 and _exceeds_next(costs, effects, frontier[-2], frontier[-1], i):
            frontier.pop()
        frontier.append(i)
    return frontier


def _exceeds_next(costs: np.ndarray, effects: np.ndarray, before: int, middle: int, after: int) -> bool:
    """Whether the middle option's ICER is greater than the ICER of the option after it."""
    into = incremental_ratio(costs[middle], effects[middle], costs[before], effects[before])
    out_of = incremental_ratio(costs[after], effects[after], costs[middle], effects[middle])
    return bool(into > out_of)


def _classify(i: int, names: list[str], costs: np.ndarray, effects: np.ndarray,
              dominators: list[int], frontier: list[int]) -> tuple[str, str, float, str]:
    """Status, comparator, ICER and dominator of the option at sorted position ``i``."""
    if dominators[i] >= 0:
        return DOMINATED, "", float("nan"), names[dominators[i]]
    status = FRONTIER if i in frontier else EXTENDEDLY_DOMINATED
    cheaper = [j for j in frontier if j < i]
    if not cheaper:
        return status, "", float("nan"), ""
    base = cheaper[-1]
    icer = incremental_ratio(costs[i], effects[i], costs[base], effects[base])
    return status, names[base], float(icer), ""
