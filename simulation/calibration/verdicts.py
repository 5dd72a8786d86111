"""Whether the calibrated model meets a target, judged with the uncertainty of its runs.

A target's verdict compares the 95% interval of the model's mean over the
check runs (Student's t) with the target's range:

- **met**: the interval lies within the range. A level target's range is
  closed, ``[low, high]``, so an interval touching an end still lies within
  it. An order target's range is ``> 0``: met when the interval excludes 0
  on the right side (its lower end above 0).
- **consistent**: the interval overlaps the range but does not lie within
  it: the runs cannot tell whether the model's mean meets the target.
- **missed**: the interval lies wholly outside the range, or the runs give
  no value.

One value (a single run) meets a target when it lies in the range
(:func:`meets`). The probability of meeting a target over posterior
predictive runs is the share of the confirmation runs of posterior points
(every replicate) whose value does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.calibration.targets import Target, TargetSet

MET, CONSISTENT, MISSED = "met", "consistent", "missed"
VERDICTS = (MET, CONSISTENT, MISSED)


def bounds(target: Target) -> tuple[float, float]:
    """A target's range: ``[low, high]`` for a level, ``(0, inf)`` for an order target."""
    if target.kind == "level":
        return target.low, target.high
    return 0.0, float("inf")


def meets(target: Target, values) -> np.ndarray:
    """Whether each value lies in the target's range (NaN never does)."""
    v = np.asarray(values, dtype=float)
    low, high = bounds(target)
    with np.errstate(invalid="ignore"):
        if target.kind == "level":
            return (v >= low) & (v <= high)
        return v > low


def interval(values) -> tuple[float, float, float]:
    """Mean and 95% interval (Student's t) of the finite values; NaN ends below two values."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(v.mean())
    if len(v) < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    return mean, mean - half, mean + half


def verdict(target: Target, ci_low: float, ci_high: float) -> str:
    """Met, consistent or missed, for a 95% interval ``[ci_low, ci_high]`` (see the module)."""
    if not (np.isfinite(ci_low) and np.isfinite(ci_high)):
        return MISSED
    low, high = bounds(target)
    if target.kind == "level":
        if low <= ci_low and ci_high <= high:
            return MET
        return CONSISTENT if ci_high >= low and ci_low <= high else MISSED
    if ci_low > 0:
        return MET
    return CONSISTENT if ci_high > 0 else MISSED


def check_table(targets: TargetSet, runs: pd.DataFrame,
                predictive: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every target against runs of the chosen values, and over posterior predictive runs.

    Args:
        targets: the target file.
        runs: one row per check run, a column per target (its output).
        predictive: one row per confirmation run of a posterior point, the same
            columns; None or empty gives NaN probabilities.

    Returns:
        One row per target: its range, the runs' mean and 95% interval, 5-95%
        of single runs, the verdict (and ``met``, true when it is "met"), and
        ``p_meet``, the share of posterior predictive runs meeting the target.
    """
    rows = []
    for t in targets.targets:
        v = runs[t.name].to_numpy(float)
        v = v[np.isfinite(v)]
        mean, ci_low, ci_high = interval(v)
        judged = verdict(t, ci_low, ci_high)
        low, high = bounds(t)
        if predictive is not None and len(predictive):
            p = predictive[t.name].to_numpy(float)
            p_meet, n_pred = float(meets(t, p).mean()), len(p)
        else:
            p_meet, n_pred = float("nan"), 0
        rows.append({"target": t.name, "use": t.use, "kind": t.kind,
                     "outcome": t.outcome or f"{t.greater} - {t.lesser}",
                     "value": t.value if t.kind == "level" else 0.0, "low": low, "high": high,
                     "discrepancy": t.discrepancy,
                     "mean": mean, "ci_low": ci_low, "ci_high": ci_high,
                     "runs_p5": float(np.percentile(v, 5)) if len(v) else float("nan"),
                     "runs_p95": float(np.percentile(v, 95)) if len(v) else float("nan"),
                     "runs": len(v), "verdict": judged, "met": judged == MET,
                     "p_meet": p_meet, "predictive_runs": n_pred})
    return pd.DataFrame(rows)


def counts(table: pd.DataFrame, use: str = "fit") -> dict[str, int]:
    """How many targets of a use are met, consistent and missed."""
    judged = table.loc[table["use"] == use, "verdict"]
    return {v: int((judged == v).sum()) for v in VERDICTS}
