"""Statistics of a batch: scenario means and paired differences, with 95% t intervals.

All functions skip NaN values: an outcome that is undefined in a run (e.g.
three-year partnership survival in a two-year run) leaves that run out of the
mean, and leaves its replicate out of the paired differences that use it.
A paired difference uses only replicates where both the scenario and the
reference succeeded and both values are finite.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

LEVEL = 0.95


def t_interval(values, level: float = LEVEL) -> tuple[int, float, float, float, float]:
    """Mean and two-sided t confidence interval of the finite values.

    Args:
        values: numbers (NaN and infinities are skipped).
        level: confidence level.

    Returns:
        ``(n, mean, sd, low, high)``; the interval is NaN when ``n < 2``,
        everything but ``n`` is NaN when ``n == 0``.
    """
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return 0, math.nan, math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n < 2:
        return n, mean, math.nan, math.nan, math.nan
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return n, mean, sd, mean - half, mean + half


def _order(frame, scenarios: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(frame["scenario"]))
    if scenarios is None:
        return present
    return [s for s in scenarios if s in present]


def scenario_summary(frame, outcomes: Sequence[str], scenarios: Sequence[str] | None = None):
    """Each scenario's mean and 95% interval for each outcome (long table).

    Args:
        frame: summary rows with ``scenario``, ``replicate`` and outcome columns.
        outcomes: outcome columns to summarise.
        scenarios: scenario order (default: order of first appearance).

    Returns:
        DataFrame with columns scenario, outcome, n, mean, sd, ci_low, ci_high.
    """
    import pandas as pd

    rows = []
    for scenario in _order(frame, scenarios):
        sub = frame[frame["scenario"] == scenario]
        for outcome in outcomes:
            n, mean, sd, lo, hi = t_interval(sub[outcome]) if outcome in sub else (0,) + (
                math.nan,) * 4
            rows.append({"scenario": scenario, "outcome": outcome, "n": n, "mean": mean,
                         "sd": sd, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows, columns=["scenario", "outcome", "n", "mean", "sd", "ci_low",
                                       "ci_high"])


def paired_differences(
    frame, outcomes: Sequence[str], reference: str, scenarios: Sequence[str] | None = None
):
    """Each scenario minus the reference, paired by replicate, with 95% intervals.

    Returns:
        DataFrame with columns scenario, outcome, n_pairs, diff, diff_sd,
        diff_low, diff_high (the reference itself is left out).
    """
    import pandas as pd

    ref = frame[frame["scenario"] == reference].drop_duplicates("replicate").set_index("replicate")
    rows = []
    for scenario in _order(frame, scenarios):
        if scenario == reference:
            continue
        sub = frame[frame["scenario"] == scenario].drop_duplicates("replicate")
        sub = sub.set_index("replicate")
        common = sub.index.intersection(ref.index)
        for outcome in outcomes:
            if outcome in sub and outcome in ref:
                d = sub.loc[common, outcome].to_numpy(float) - ref.loc[common, outcome].to_numpy(
                    float)
            else:
                d = np.array([])
            n, mean, sd, lo, hi = t_interval(d)
            rows.append({"scenario": scenario, "outcome": outcome, "n_pairs": n, "diff": mean,
                         "diff_sd": sd, "diff_low": lo, "diff_high": hi})
    return pd.DataFrame(rows, columns=["scenario", "outcome", "n_pairs", "diff", "diff_sd",
                                       "diff_low", "diff_high"])


def comparison(
    frame, outcomes: Sequence[str], reference: str | None, scenarios: Sequence[str] | None = None
):
    """Scenario summaries joined with paired differences from ``reference``.

    Returns:
        DataFrame, one row per scenario and outcome: scenario, outcome, n, mean,
        sd, ci_low, ci_high, and (when a reference is given) n_pairs, diff,
        diff_sd, diff_low, diff_high (NaN on the reference's own rows).
    """
    table = scenario_summary(frame, outcomes, scenarios)
    if reference is None or reference not in set(frame["scenario"]):
        return table
    diffs = paired_differences(frame, outcomes, reference, scenarios)
    return table.merge(diffs, on=["scenario", "outcome"], how="left")


def widest_difference(table, outcomes: Sequence[str] | None = None) -> float:
    """Width of the widest paired-difference interval in a comparison table.

    Differences whose outcome is NaN in every pair are left out (they cannot be
    narrowed); a difference with fewer than two pairs counts as infinitely wide.
    """
    if "diff" not in table:
        return math.inf
    rows = table[table["n_pairs"].notna() & (table["n_pairs"] > 0)]
    if outcomes is not None:
        rows = rows[rows["outcome"].isin(list(outcomes))]
    if rows.empty:
        return 0.0
    widths = np.array(rows["diff_high"] - rows["diff_low"], dtype=float)
    widths[~np.isfinite(widths)] = math.inf
    return float(widths.max())
