"""PRIM boxes of a discovery study: covering, statistics, and the box table.

PRIM looks for up to ``boxes`` boxes, one after another (Friedman & Fisher's
*covering*): each is found on the points left outside the earlier boxes,
by peeling, choosing, pasting and pruning (:func:`prim.find_box`).
No search starts with fewer than 2 cases left, or so few points that the
smallest box would hold half of them.  A search stops when the chosen box
restricts no factor, when its density
is no higher than the share of cases among the points left, or when its
cases are not significantly more than a random draw of as many points would
hold (one-sided hypergeometric test at the pruning level), or when it
covers less than ``mass_min`` of all cases (a leftover, not a region).

Each box's coverage and mass are shares of the whole sample (so the boxes'
coverages add up); its density, significance and stability are computed on
the points the search saw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.discovery import prim


@dataclass
class Found:
    """One PRIM box and what was measured about it.

    Attributes:
        number: 1 for the first box, 2 for the next, ...
        box: the pasted box (limits in factor values; statistics on the points searched).
        trajectory: the peeling trajectory it was chosen from.
        coverage: share of all cases inside the box.
        mass: share of all points inside the box.
        p_values: per restricted factor index, the hypergeometric p-value.
        overlaps: each bootstrap resample's Jaccard overlap with the box.
        restricted_share: per factor, the share of resamples whose box restricts it.
        inside: which points of the whole sample lie in the box (and outside earlier boxes).
    """

    number: int
    box: prim.Box
    trajectory: list[prim.Box]
    coverage: float
    mass: float
    p_values: dict[int, float]
    overlaps: np.ndarray
    restricted_share: np.ndarray
    inside: np.ndarray

    @property
    def density(self) -> float:
        return self.box.density

    @property
    def stability(self) -> float:
        """Mean Jaccard overlap over the resamples (NaN without resamples)."""
        return float(self.overlaps.mean()) if len(self.overlaps) else float("nan")


def find(x: np.ndarray, y: np.ndarray, *, boxes: int = 2, alpha: float = 0.05,
         mass_min: float = 0.05, coverage_weight: float = 1.0, level: float = 0.05,
         resamples: int = 50, seed: int = 0) -> list[Found]:
    """Up to ``boxes`` PRIM boxes where the cases ``y`` concentrate in ``x``.

    Args:
        x: ``(n, d)`` factor values of the points.
        y: ``(n,)`` booleans, the case of interest.
        boxes: the most boxes to find.
        alpha: share of the box's points each peel removes.
        mass_min: the smallest box, as a share of all ``n`` points.
        coverage_weight: the F-score's beta choosing the box (:func:`prim.score`).
        level: restrictions with a p-value above this are lifted (pruning).
        resamples: bootstrap resamples for the stability statistic (0: none).
        seed: the bootstrap's seed (box ``k`` uses ``seed + k``).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=bool)
    n, cases = len(y), int(y.sum())
    left = np.ones(n, dtype=bool)
    found: list[Found] = []
    for number in range(1, boxes + 1):
        xs, ys = x[left], y[left]
        share_min = mass_min * n / max(len(ys), 1)  # the smallest box, among the points left
        if ys.sum() < 2 or share_min >= 0.5:  # too few points left for a box inside them
            break
        trajectory, box = prim.find_box(xs, ys, alpha, share_min, coverage_weight, level)
        inside = left & box.inside(x)
        if (not box.restricted or box.density <= ys.mean() + 1e-12
                or prim.box_p_value(box, xs, ys) > level or y[inside].sum() < mass_min * cases):
            break
        overlaps, share = (prim.stability(xs, ys, box, resamples, seed + number, alpha, share_min,
                                          coverage_weight, level) if resamples
                           else (np.array([]), np.full(x.shape[1], np.nan)))
        found.append(Found(number, box, trajectory, float(y[inside].sum() / cases),
                           float(inside.sum() / n), prim.significance(box, xs, ys), overlaps,
                           share, inside))
        left &= ~inside
    return found


def table(found: list[Found], names: list[str], low: np.ndarray, high: np.ndarray) -> pd.DataFrame:
    """The box table: one row per box and restricted factor.

    Columns: box, coverage, density, mass, stability (mean Jaccard overlap),
    factor, low, high (the box's limits; an open side shows the sampled
    range's end), range_low, range_high, p_value, restricted_share (share of
    bootstrap boxes restricting the factor).
    """
    rows = []
    for f in found:
        for j in sorted(f.box.restricted, key=lambda j: f.p_values.get(j, 1.0)):
            rows.append({
                "box": f.number, "coverage": f.coverage, "density": f.density, "mass": f.mass,
                "stability": f.stability, "factor": names[j],
                "low": float(max(f.box.low[j], low[j])), "high": float(min(f.box.high[j], high[j])),
                "range_low": float(low[j]), "range_high": float(high[j]),
                "p_value": f.p_values[j], "restricted_share": float(f.restricted_share[j]),
            })
    columns = ["box", "coverage", "density", "mass", "stability", "factor", "low", "high",
               "range_low", "range_high", "p_value", "restricted_share"]
    return pd.DataFrame(rows, columns=columns)


def trajectory_table(found: list[Found]) -> pd.DataFrame:
    """Every box's peeling trajectory: step, coverage, density, mass, restricted factors."""
    rows = [{"box": f.number, "step": i, "coverage": b.coverage, "density": b.density,
             "mass": b.mass, "restricted": len(b.restricted)}
            for f in found for i, b in enumerate(f.trajectory)]
    return pd.DataFrame(rows, columns=["box", "step", "coverage", "density", "mass", "restricted"])


def markdown(frame: pd.DataFrame, case_share: float) -> str:
    """The box table in Markdown, one section per box."""
    if frame.empty:
        return ("PRIM found no box: no region of the sampled space holds the cases more "
                f"densely than the whole sample ({case_share:.0%}).\n")
    lines = []
    for number, rows in frame.groupby("box", sort=True):
        first = rows.iloc[0]
        lines += [f"### Box {number}", "",
                  f"coverage {first.coverage:.0%} of the cases, density {first.density:.0%} "
                  f"(the whole sample: {case_share:.0%}), mass {first.mass:.0%} of the points; "
                  f"stability (mean Jaccard overlap of bootstrap boxes) {_number(first.stability)}",
                  "", "| factor | box low | box high | sampled range | p-value | restricted in "
                  "resamples |", "|---|---|---|---|---|---|"]
        for r in rows.itertuples():
            lines.append(f"| {r.factor} | {r.low:.4g} | {r.high:.4g} | "
                         f"{r.range_low:.4g} to {r.range_high:.4g} | {r.p_value:.2g} | "
                         f"{_share(r.restricted_share)} |")
        lines.append("")
    return "\n".join(lines)


def _number(value: float) -> str:
    return "n/a (no resamples)" if not np.isfinite(value) else f"{value:.2f}"


def _share(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:.0%}"
