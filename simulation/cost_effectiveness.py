"""Cost per additional employed graduate, from paired runs of a policy and its reference.

The point estimate is :func:`simulation.metrics.cost_per_additional_employed`
applied to the mean outcomes over replicate pairs: extra government spending
over extra graduates employed 12 months after graduation (all cohorts of the
run).  The 95% interval is a percentile bootstrap over replicate pairs with a
fixed seed, so the same results always give the same interval.  Where the
policy does not employ more graduates on average the cost is infinite.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simulation.metrics import cost_per_additional_employed

NEEDED = ("government_spending", "employed_graduates")
BOOTSTRAP = 2000


def _ratio(d_spend: np.ndarray, d_emp: np.ndarray) -> float:
    return cost_per_additional_employed(
        {"government_spending": float(d_spend.mean()), "employed_graduates": float(d_emp.mean())},
        {"government_spending": 0.0, "employed_graduates": 0.0},
    )


def cost_table(summary: pd.DataFrame, reference: str, seed: int = 0) -> pd.DataFrame:
    """One row per non-reference scenario: pairs, extra spending, extra employed, cost, interval.

    Args:
        summary: one row per run with ``scenario``, ``replicate`` and the NEEDED outcomes.
        reference: the scenario every other is paired with.
        seed: bootstrap seed.
    """
    cols = ["scenario", "pairs", "extra_spending", "extra_employed", "cost_per_extra_employed",
            "ci_low", "ci_high"]
    if not set(NEEDED) <= set(summary.columns) or reference not in set(summary["scenario"]):
        return pd.DataFrame(columns=cols)
    ref = summary[summary["scenario"] == reference].set_index("replicate")
    rows = []
    for name in dict.fromkeys(summary["scenario"]):
        if name == reference:
            continue
        mine = summary[summary["scenario"] == name].set_index("replicate")
        both = mine.index.intersection(ref.index)
        d_spend = (mine.loc[both, NEEDED[0]] - ref.loc[both, NEEDED[0]]).to_numpy(float)
        d_emp = (mine.loc[both, NEEDED[1]] - ref.loc[both, NEEDED[1]]).to_numpy(float)
        if len(both) == 0:
            continue
        rng = np.random.default_rng(seed)
        draws = rng.integers(0, len(both), size=(BOOTSTRAP, len(both)))
        boot = np.sort([_ratio(d_spend[i], d_emp[i]) for i in draws])  # may hold inf
        low, high = ((boot[int(0.025 * (BOOTSTRAP - 1))], boot[math.ceil(0.975 * (BOOTSTRAP - 1))])
                     if len(both) > 1 else (math.nan, math.nan))
        rows.append([name, len(both), d_spend.mean(), d_emp.mean(), _ratio(d_spend, d_emp),
                     low, high])
    return pd.DataFrame(rows, columns=cols)


def format_cost_table(table: pd.DataFrame, reference: str) -> str:
    """Markdown section for the batch report ('' when there is nothing to show)."""
    if table.empty:
        return ""

    def num(x: float) -> str:
        if x != x:
            return "n/a"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"

    lines = [f"### cost per additional employed graduate (kCNY, vs {reference})", "",
             "| scenario | pairs | extra spending | extra employed | cost per extra employed "
             "| 95% CI (bootstrap) |", "|---|---:|---:|---:|---:|---:|"]
    for r in table.itertuples(index=False):
        lines.append(f"| {r.scenario} | {r.pairs} | {num(r.extra_spending)} | "
                     f"{num(r.extra_employed)} | {num(r.cost_per_extra_employed)} | "
                     f"[{num(r.ci_low)}, {num(r.ci_high)}] |")
    return "\n".join(lines) + "\n\n"
