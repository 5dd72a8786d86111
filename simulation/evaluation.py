"""Policy evaluation as health economists do it: paired incremental costs and effects.

Each scenario is compared with the reference on common random numbers:
replicate r of the scenario minus replicate r of the reference.  The effect
(:data:`EFFECTS`) and the costs (:data:`PERSPECTIVES`) are defined once, in
:mod:`simulation.metrics`: discounted employment-months of graduates per
1,000 graduates, and discounted spending per 1,000 graduates of a fixed
reference population, over the whole run.  For every scenario this module
gives the mean incremental cost and effect with 95% t intervals; the
incremental cost-effectiveness ratio (ICER) with Fieller's interval and a
bootstrap interval over pairs; the quadrant of the cost-effectiveness plane;
the net monetary benefit ``NMB(lambda) = lambda * dE - dC`` at a willingness
to pay ``lambda`` (kCNY per employment-month) with its interval; and the
probability that the scenario is cost-effective (``P(NMB > 0)``, bootstrap over
pairs) for the acceptability curve.  :func:`frontier` runs the incremental
analysis across scenarios (:mod:`simulation.frontier`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from simulation.fieller import fieller_interval
from simulation.frontier import efficient_frontier

EFFECTS = {
    "employment_months": "employment-months per 1,000 graduates",
    "matched_employment_months": "matched employment-months per 1,000 graduates",
}
PERSPECTIVES = {"government": "cost_government", "societal": "cost_societal"}
DEFAULT_WTP = 5.0  # kCNY per employment-month: MyCOS 2019, a bachelor's monthly income about 5.4k
BOOTSTRAP = 2000
LEVEL = 0.95


def paired(summary: pd.DataFrame, reference: str, scenario: str, column: str) -> np.ndarray:
    """Per-replicate differences ``scenario - reference`` of ``column`` (pairs by replicate)."""
    ref = summary[summary["scenario"] == reference].set_index("replicate")[column]
    mine = summary[summary["scenario"] == scenario].set_index("replicate")[column]
    both = mine.index.intersection(ref.index).sort_values()
    return (mine.loc[both] - ref.loc[both]).to_numpy(float)


def mean_interval(d: np.ndarray, level: float = LEVEL) -> tuple[float, float, float]:
    """Mean and t interval of paired differences (NaN bounds for fewer than 2 pairs)."""
    if len(d) == 0:
        return np.nan, np.nan, np.nan
    if len(d) < 2:
        return float(d.mean()), np.nan, np.nan
    half = stats.t.ppf(0.5 + level / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return float(d.mean()), float(d.mean() - half), float(d.mean() + half)


def quadrant(d_cost: float, d_effect: float) -> str:
    """Where the mean increments fall on the cost-effectiveness plane."""
    if d_effect > 0 and d_cost <= 0:
        return "dominant"
    if d_effect < 0 and d_cost >= 0:
        return "dominated"
    if d_effect > 0:
        return "more effective, more costly"
    if d_effect < 0:
        return "less effective, less costly"
    return "no difference in effect"


def _bootstrap_means(dc: np.ndarray, de: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(dc), size=(BOOTSTRAP, len(dc)))
    return dc[idx].mean(axis=1), de[idx].mean(axis=1)


def bootstrap_icer(boot_c: np.ndarray, boot_e: np.ndarray,
                   level: float = LEVEL) -> tuple[float, float]:
    """Percentile interval of the ratio of resampled means; NaNs when dE changes sign.

    A ratio whose denominator crosses zero has no ordered percentile
    interval, so the interval is given only when at least a share ``level``
    of the resampled mean effects has one sign.
    """
    same_sign = max((boot_e > 0).mean(), (boot_e < 0).mean())
    if same_sign < level:
        return np.nan, np.nan
    keep = np.sign(boot_e) == np.sign(np.median(boot_e))
    ratio = boot_c[keep] / boot_e[keep]
    tail = (1 - level) / 2
    return float(np.quantile(ratio, tail)), float(np.quantile(ratio, 1 - tail))


def evaluate(summary: pd.DataFrame, reference: str, wtp: float = DEFAULT_WTP,
             effect: str = "employment_months", seed: int = 0) -> pd.DataFrame:
    """The evaluation table: one row per scenario and perspective (tidy; full precision).

    Args:
        summary: one row per run with ``scenario``, ``replicate`` and the measures.
        reference: the scenario every other is paired with.
        wtp: willingness to pay, kCNY per employment-month.
        effect: the effect measure (a key of :data:`EFFECTS`).
        seed: bootstrap seed (the same results always give the same intervals).
    """
    rows = []
    names = [s for s in dict.fromkeys(summary["scenario"]) if s != reference]
    for perspective, cost in PERSPECTIVES.items():
        if cost not in summary or effect not in summary:
            continue
        for name in names:
            dc = paired(summary, reference, name, cost)
            de = paired(summary, reference, name, effect)
            if len(dc) == 0:
                continue
            c, c_lo, c_hi = mean_interval(dc)
            e, e_lo, e_hi = mean_interval(de)
            nmb, nmb_lo, nmb_hi = mean_interval(wtp * de - dc)
            fi = fieller_interval(dc, de, LEVEL)
            boot_c, boot_e = _bootstrap_means(dc, de, seed)
            b_lo, b_hi = bootstrap_icer(boot_c, boot_e)
            rows.append({
                "scenario": name, "perspective": perspective, "effect": effect,
                "pairs": len(dc), "d_cost": c, "d_cost_low": c_lo, "d_cost_high": c_hi,
                "d_effect": e, "d_effect_low": e_lo, "d_effect_high": e_hi,
                "icer": c / e if e != 0 else np.nan, "icer_kind": fi.kind,
                "fieller_low": fi.low, "fieller_high": fi.high,
                "bootstrap_low": b_lo, "bootstrap_high": b_hi,
                "quadrant": quadrant(c, e), "wtp": wtp,
                "nmb": nmb, "nmb_low": nmb_lo, "nmb_high": nmb_hi,
                "p_cost_effective": float((wtp * boot_e - boot_c > 0).mean()),
            })
    return pd.DataFrame(rows)


def acceptability(summary: pd.DataFrame, reference: str, wtps: np.ndarray,
                  effect: str = "employment_months", perspective: str = "government",
                  seed: int = 0) -> pd.DataFrame:
    """Cost-effectiveness acceptability curves: P(NMB(lambda) > 0) for each scenario and lambda.

    The probability is the share of bootstrap resamples of the replicate
    pairs whose mean net monetary benefit is positive.
    """
    cost = PERSPECTIVES[perspective]
    rows = []
    for name in [s for s in dict.fromkeys(summary["scenario"]) if s != reference]:
        dc = paired(summary, reference, name, cost)
        de = paired(summary, reference, name, effect)
        if len(dc) == 0:
            continue
        boot_c, boot_e = _bootstrap_means(dc, de, seed)
        for w in np.asarray(wtps, dtype=float):
            rows.append({"scenario": name, "perspective": perspective, "wtp": float(w),
                         "p_cost_effective": float((w * boot_e - boot_c > 0).mean())})
    return pd.DataFrame(rows)


def frontier(table: pd.DataFrame, reference: str, perspective: str = "government") -> pd.DataFrame:
    """Incremental analysis over the reference and every scenario (mean increments vs reference)."""
    sub = table[table["perspective"] == perspective]
    options = pd.concat([
        pd.DataFrame({"option": [reference], "cost": [0.0], "effect": [0.0]}),
        pd.DataFrame({"option": sub["scenario"], "cost": sub["d_cost"], "effect": sub["d_effect"]}),
    ], ignore_index=True)
    out = efficient_frontier(options)
    out.insert(0, "perspective", perspective)
    return out


def wtp_grid(table: pd.DataFrame, wtp: float, points: int = 41) -> np.ndarray:
    """Willingness-to-pay values for acceptability curves: 0 to a bit past the ICERs in view."""
    finite = table["icer"].replace([np.inf, -np.inf], np.nan).dropna()
    finite = finite[(finite > 0) & (table.loc[finite.index, "d_effect"] > 0)]
    top = max(4.0 * wtp, 1.5 * float(finite.median()) if len(finite) else 0.0)
    return np.linspace(0.0, top, points)


def curves_and_fronts(summary: pd.DataFrame, table: pd.DataFrame, reference: str):
    """Acceptability curves and efficient frontiers of an evaluation, for both perspectives.

    Returns:
        (curves, fronts): :func:`acceptability` over :func:`wtp_grid` and
        :func:`frontier`, each concatenated over :data:`PERSPECTIVES`.
    """
    wtp, effect = float(table["wtp"].iloc[0]), table["effect"].iloc[0]
    grid = wtp_grid(table, wtp)
    curves = pd.concat([acceptability(summary, reference, grid, effect, p) for p in PERSPECTIVES],
                       ignore_index=True)
    fronts = pd.concat([frontier(table, reference, p) for p in PERSPECTIVES], ignore_index=True)
    return curves, fronts
