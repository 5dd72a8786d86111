"""Policy evaluation as health economists do it: paired incremental costs and effects.

Each scenario is compared with the reference on common random numbers:
replicate r of the scenario minus replicate r of the reference.  The effect
(:data:`EFFECTS`) and the costs (:data:`PERSPECTIVES`) are defined once, in
:mod:`simulation.model.metrics`: discounted employment-months of graduates per
1,000 graduates, and discounted spending per 1,000 graduates of a fixed
reference population, over the whole run.  For every scenario this module
gives the mean incremental cost and effect with 95% t intervals; the
incremental cost-effectiveness ratio (ICER) with Fieller's interval and a
bootstrap interval over pairs (:func:`bootstrap_icer`: unbounded when the effect
changes sign in too many resamples); the quadrant of the cost-effectiveness
plane; the net monetary benefit ``NMB(lambda) = lambda * dE - dC`` at a
willingness to pay ``lambda`` (kCNY per employment-month) with its interval; and
the probability that the scenario is cost-effective against the reference
(``P(NMB > 0)``, bootstrap over pairs) for its pairwise acceptability curve.
Every comparison is pairwise, the scenario against the reference alone: the
probability that a scenario is the best of all of them is
:func:`simulation.decisions.acceptability`'s.  Below
:data:`MIN_BOOTSTRAP_PAIRS` pairs the bootstrap results are NaN ("not
estimable").  :func:`frontier` runs the incremental analysis across scenarios
(:mod:`simulation.evaluation.frontier`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from simulation.evaluation.fieller import BOUNDED, UNBOUNDED, fieller_interval
from simulation.evaluation.frontier import efficient_frontier

EFFECTS = {
    "employment_months": "employment-months per 1,000 graduates",
    "matched_employment_months": "matched employment-months per 1,000 graduates",
}
PERSPECTIVES = {"government": "cost_government", "societal": "cost_societal"}
DEFAULT_WTP = 5.0  # kCNY per employment-month: MyCOS 2019, a bachelor's monthly income about 5.4k
BOOTSTRAP = 2000
LEVEL = 0.95
MIN_BOOTSTRAP_PAIRS = 3
"""Fewest replicate pairs for a bootstrap interval and P(cost-effective).

With 1 pair every resample is that pair: a zero-width "95%" interval and P(cost-effective)
0 or 1.  With 2 pairs the resampled means take 3 values, the two pairs themselves each with
probability 1/4: the "95%" interval is the range of the two, P(cost-effective) one of 0,
1/4, 1/2, 3/4, 1, and the bootstrap variance of a mean is half the unbiased one (the factor
``(n - 1) / n``).  From 3 pairs the resampled means take 10 values and the variance factor
is 2/3.  This is a floor against degenerate numbers, not a recommendation: with 3 pairs the
95% interval of a mean is still about the range of the three, and intervals are
noticeably too narrow below about 10 pairs.
"""
NOT_ESTIMABLE = "not estimable"
ZERO_EFFECT = "no difference in effect"


class BootstrapInterval(NamedTuple):
    """The bootstrap ICER interval of a scenario (see :func:`bootstrap_icer`).

    Attributes:
        low: lower end (``-inf`` when unbounded, NaN when not estimable or undefined).
        high: upper end (``+inf`` when unbounded, NaN when not estimable or undefined).
        kind: "bounded", "unbounded", "not estimable" (fewer than
            :data:`MIN_BOOTSTRAP_PAIRS` pairs) or "no difference in effect".
        other_sign: share of resamples whose mean effect has the other sign than the
            point estimate (NaN when not estimable).
    """

    low: float
    high: float
    kind: str
    other_sign: float


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


def bootstrap_icer(boot_c: np.ndarray, boot_e: np.ndarray, level: float = LEVEL,
                   point: tuple[float, float] | None = None) -> BootstrapInterval:
    """Percentile interval of the ICER from resampled mean increments, every resample kept.

    A ratio whose denominator changes sign has no ordered percentile interval:
    resamples with the other sign of effect cannot be ranked by their ratio (a negative
    ratio may be dominant or dominated), and dropping them makes the interval narrowest
    exactly when the effect is marginal.  So the resamples are ranked on the
    cost-effectiveness plane by their angle about the origin, measured from the point
    estimate (``point``, the mean cost and effect increments; by default the resamples'
    means), as in the wedge-shaped regions of Briggs & Fenn ("Confidence intervals or
    surfaces? Uncertainty on the cost-effectiveness plane", *Health Economics* 7:723-740,
    1998) and Obenchain's ICEinfer.  The central ``level`` share of the angles is a wedge:

    * if the wedge stays in the half-plane of the point estimate's effect sign, the
      interval is bounded, the ratios at its two edges (``kind`` "bounded"); when no
      resample changes sign this is the percentile interval of the ratios (up to the
      interpolation between neighbouring resamples);
    * if it reaches the axis of zero effect, that is if more than ``(1 - level) / 2`` of
      the resamples lie beyond that axis on one side of the point estimate, the ratios
      in it run through infinity: ``kind`` "unbounded", ends ``-inf`` and ``+inf`` (the
      set is the whole line or two half-lines, whose negative ratios mix dominant and
      dominated resamples; read the net monetary benefit and P(cost-effective) instead);
      so is a point estimate on that axis;
    * when every resampled mean effect is exactly 0 (no pair differs in effect) the ICER is
      undefined: ``kind`` "no difference in effect", NaN ends.

    Args:
        boot_c: resampled mean cost increments.
        boot_e: resampled mean effect increments, same length.
        level: confidence level.
        point: the mean (cost, effect) increments of the data.

    Returns:
        :class:`BootstrapInterval`.
    """
    boot_c, boot_e = np.asarray(boot_c, dtype=float), np.asarray(boot_e, dtype=float)
    if (boot_e == 0).all():
        return BootstrapInterval(np.nan, np.nan, ZERO_EFFECT, 0.0)
    mc, me = point if point is not None else (float(boot_c.mean()), float(boot_e.mean()))
    sign = 1.0 if me >= 0 else -1.0
    other = float((sign * boot_e < 0).mean())
    if me == 0:
        return BootstrapInterval(-np.inf, np.inf, UNBOUNDED, other)
    # (c, e) -> (-c, -e) keeps every ratio and puts the point estimate's side at e > 0
    c, e, mc, me = sign * boot_c, sign * boot_e, sign * mc, sign * me
    centre = np.arctan2(mc, me)  # in (-pi/2, pi/2)
    angle = np.angle(np.exp(1j * (np.arctan2(c, e) - centre)))  # from the point, in (-pi, pi]
    tail = (1 - level) / 2
    low, high = np.quantile(angle, [tail, 1 - tail])
    if not (-np.pi / 2 - centre < low and high < np.pi / 2 - centre):
        return BootstrapInterval(-np.inf, np.inf, UNBOUNDED, other)
    return BootstrapInterval(float(np.tan(centre + low)), float(np.tan(centre + high)), BOUNDED,
                             other)


def evaluate(summary: pd.DataFrame, reference: str, wtp: float = DEFAULT_WTP,
             effect: str = "employment_months", seed: int = 0) -> pd.DataFrame:
    """The evaluation table: one row per scenario and perspective (tidy; full precision).

    Columns: ``scenario``, ``reference`` (what every increment is against),
    ``perspective``, ``effect``, ``pairs``; the mean increments against the reference
    with t intervals ``d_cost``, ``d_cost_low``, ``d_cost_high``, ``d_effect``,
    ``d_effect_low``, ``d_effect_high``; ``icer`` (NaN for a zero mean effect); Fieller's
    set ``icer_kind``, ``fieller_low``, ``fieller_high`` (:mod:`simulation.evaluation.fieller`); the
    bootstrap interval ``bootstrap_low``, ``bootstrap_high``, ``bootstrap_kind`` and
    ``bootstrap_other_sign`` (:class:`BootstrapInterval`); ``quadrant``; ``wtp``; ``nmb``,
    ``nmb_low``, ``nmb_high``; and ``p_cost_effective``, the probability that the scenario
    is cost-effective against the reference at ``wtp`` (pairwise; NaN below
    :data:`MIN_BOOTSTRAP_PAIRS` pairs).

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
            if len(dc) < MIN_BOOTSTRAP_PAIRS:
                boot, p_ce = BootstrapInterval(np.nan, np.nan, NOT_ESTIMABLE, np.nan), np.nan
            else:
                boot_c, boot_e = _bootstrap_means(dc, de, seed)
                boot = bootstrap_icer(boot_c, boot_e, LEVEL, point=(c, e))
                p_ce = float((wtp * boot_e - boot_c > 0).mean())
            rows.append({
                "scenario": name, "reference": reference, "perspective": perspective,
                "effect": effect, "pairs": len(dc),
                "d_cost": c, "d_cost_low": c_lo, "d_cost_high": c_hi,
                "d_effect": e, "d_effect_low": e_lo, "d_effect_high": e_hi,
                "icer": c / e if e != 0 else np.nan, "icer_kind": fi.kind,
                "fieller_low": fi.low, "fieller_high": fi.high,
                "bootstrap_low": boot.low, "bootstrap_high": boot.high,
                "bootstrap_kind": boot.kind, "bootstrap_other_sign": boot.other_sign,
                "quadrant": quadrant(c, e), "wtp": wtp,
                "nmb": nmb, "nmb_low": nmb_lo, "nmb_high": nmb_hi,
                "p_cost_effective": p_ce,
            })
    return pd.DataFrame(rows)


def acceptability(summary: pd.DataFrame, reference: str, wtps: np.ndarray,
                  effect: str = "employment_months", perspective: str = "government",
                  seed: int = 0) -> pd.DataFrame:
    """Pairwise acceptability curves: P(NMB(lambda) > 0) of each scenario against the reference.

    The probability is the share of bootstrap resamples of the replicate pairs whose mean
    net monetary benefit against ``reference`` is positive: each curve compares one
    scenario with the reference alone, not with the other scenarios (for the probability
    of being the best option see :func:`simulation.decisions.acceptability`).  NaN for a
    scenario with fewer than :data:`MIN_BOOTSTRAP_PAIRS` pairs.

    Returns:
        Columns ``scenario``, ``reference``, ``perspective``, ``wtp`` and
        ``p_cost_effective`` (against the reference).
    """
    cost = PERSPECTIVES[perspective]
    rows = []
    for name in [s for s in dict.fromkeys(summary["scenario"]) if s != reference]:
        dc = paired(summary, reference, name, cost)
        de = paired(summary, reference, name, effect)
        if len(dc) == 0:
            continue
        enough = len(dc) >= MIN_BOOTSTRAP_PAIRS
        if enough:
            boot_c, boot_e = _bootstrap_means(dc, de, seed)
        for w in np.asarray(wtps, dtype=float):
            rows.append({"scenario": name, "reference": reference, "perspective": perspective,
                         "wtp": float(w),
                         "p_cost_effective": float((w * boot_e - boot_c > 0).mean()) if enough
                         else np.nan})
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
