"""PRIM boxes of a discovery study: covering, statistics, and the box table.

PRIM looks for up to ``boxes`` boxes, one after another (Friedman & Fisher's
*covering*): each is found on the points left outside the earlier boxes,
by peeling, choosing, pasting and pruning (:func:`prim.find_box`).
No search starts with fewer than 2 cases left, or so few points that the
smallest box would hold half of them.  A search stops when the chosen box
restricts no factor, when its density is no higher than the share of cases
among the points left, when it covers less than ``mass_min`` of all cases (a
leftover, not a region), or when its permutation p-value
(:func:`permutation.box_test`: the whole search rerun on the cases shuffled
among the points left) is above the level.  Box ``k`` is tested only when
box ``k - 1`` was significant, each among the points its search saw, so on
pure noise a study reports a box at most ``level`` of the time.

Each box's coverage and mass are shares of the whole sample (so the boxes'
coverages add up); its density, p-value, quasi-p-values and stability are
computed on the points the search saw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.discovery import permutation, prim


@dataclass
class Found:
    """One PRIM box and what was measured about it.

    Attributes:
        number: 1 for the first box, 2 for the next, ...
        box: the pasted box (limits in factor values; statistics on the points searched).
        trajectory: the peeling trajectory it was chosen from.
        coverage: share of all cases inside the box.
        mass: share of all points inside the box.
        test: the permutation test of the whole search that found it.
        quasi_p_values: per restricted factor index, the hypergeometric
            quasi-p-value (descriptive: it ignores the search).
        overlaps: each bootstrap resample's Jaccard overlap with the box.
        restricted_share: per factor, the share of resamples whose box restricts it.
        inside: which points of the whole sample lie in the box (and outside earlier boxes).
        uncertain_share: share of the box's points whose case could flip with
            the seed (NaN when not known).
        replicate_density: the box's density with each such point counted as
            the share of its replicates that are cases (NaN when not known).
    """

    number: int
    box: prim.Box
    trajectory: list[prim.Box]
    coverage: float
    mass: float
    test: permutation.Permutation
    quasi_p_values: dict[int, float]
    overlaps: np.ndarray
    restricted_share: np.ndarray
    inside: np.ndarray
    uncertain_share: float = float("nan")
    replicate_density: float = float("nan")

    @property
    def density(self) -> float:
        return self.box.density

    @property
    def p_value(self) -> float:
        """The box's permutation p-value."""
        return self.test.p_value

    @property
    def stability(self) -> float:
        """Mean Jaccard overlap over the resamples (NaN without resamples)."""
        return float(self.overlaps.mean()) if len(self.overlaps) else float("nan")


def find(x: np.ndarray, y: np.ndarray, *, boxes: int = 2, alpha: float = 0.05,
         mass_min: float = 0.05, coverage_weight: float = 1.0, level: float = 0.05,
         permutations: int = 199, resamples: int = 50, seed: int = 0,
         uncertain: np.ndarray | None = None,
         probability: np.ndarray | None = None) -> list[Found]:
    """Up to ``boxes`` PRIM boxes where the cases ``y`` concentrate in ``x``.

    Args:
        x: ``(n, d)`` factor values of the points.
        y: ``(n,)`` booleans, the case of interest.
        boxes: the most boxes to find.
        alpha: share of the box's points each peel removes.
        mass_min: the smallest box, as a share of all ``n`` points.
        coverage_weight: the F-score's beta choosing the box (:func:`prim.score`).
        level: restrictions with a quasi-p-value above this are lifted (pruning),
            and a box with a permutation p-value above it ends the search.
        permutations: shuffled data sets of each box's permutation test.
        resamples: bootstrap resamples for the stability statistic (0: none).
        seed: box ``k``'s bootstrap uses ``seed + k`` and its permutation test
            ``numpy.random.default_rng([seed, k])``.
        uncertain: ``(n,)`` which points' case could flip with the seed (optional).
        probability: ``(n,)`` each point's case as a probability (optional;
            with ``uncertain``, for :attr:`Found.replicate_density`).
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
        settings = {"alpha": alpha, "mass_min": share_min, "coverage_weight": coverage_weight,
                    "level": level}
        trajectory, box = prim.find_box(xs, ys, **settings)
        inside = left & box.inside(x)
        if (not box.restricted or box.density <= ys.mean() + 1e-12
                or y[inside].sum() < mass_min * cases):
            break
        test = permutation.box_test(xs, ys, box, np.random.default_rng([seed, number]),
                                    permutations=permutations, **settings)
        if test.p_value > level:
            break
        overlaps, share = (prim.stability(xs, ys, box, resamples, seed + number, alpha, share_min,
                                          coverage_weight, level) if resamples
                           else (np.array([]), np.full(x.shape[1], np.nan)))
        f = Found(number, box, trajectory, float(y[inside].sum() / cases),
                  float(inside.sum() / n), test, prim.quasi_p_values(box, xs, ys), overlaps,
                  share, inside)
        if uncertain is not None and probability is not None and inside.any():
            f.uncertain_share = float(np.mean(uncertain[inside]))
            f.replicate_density = float(np.mean(probability[inside]))
        found.append(f)
        left &= ~inside
    return found


COLUMNS = ["box", "coverage", "density", "mass", "permutation_p_value", "permutations",
           "stability", "uncertain_share", "replicate_density", "factor", "low", "high",
           "range_low", "range_high", "quasi_p_value", "restricted_share"]
"""The box table's columns (``boxes.csv``)."""


def table(found: list[Found], names: list[str], low: np.ndarray, high: np.ndarray) -> pd.DataFrame:
    """The box table: one row per box and restricted factor.

    Columns: box, coverage, density, mass, permutation_p_value (the box's
    p-value), permutations (its shuffled data sets), stability (mean Jaccard
    overlap), uncertain_share, replicate_density (NaN when not known), factor,
    low, high (the box's limits; an open side shows the sampled range's end),
    range_low, range_high, quasi_p_value (descriptive), restricted_share
    (share of bootstrap boxes restricting the factor).
    """
    rows = []
    for f in found:
        for j in sorted(f.box.restricted, key=lambda j: f.quasi_p_values.get(j, 1.0)):
            rows.append({
                "box": f.number, "coverage": f.coverage, "density": f.density, "mass": f.mass,
                "permutation_p_value": f.p_value, "permutations": f.test.permutations,
                "stability": f.stability, "uncertain_share": f.uncertain_share,
                "replicate_density": f.replicate_density, "factor": names[j],
                "low": float(max(f.box.low[j], low[j])), "high": float(min(f.box.high[j], high[j])),
                "range_low": float(low[j]), "range_high": float(high[j]),
                "quasi_p_value": f.quasi_p_values[j],
                "restricted_share": float(f.restricted_share[j]),
            })
    return pd.DataFrame(rows, columns=COLUMNS)


def trajectory_table(found: list[Found]) -> pd.DataFrame:
    """Every box's peeling trajectory: step, coverage, density, mass, restricted factors."""
    rows = [{"box": f.number, "step": i, "coverage": b.coverage, "density": b.density,
             "mass": b.mass, "restricted": len(b.restricted)}
            for f in found for i, b in enumerate(f.trajectory)]
    return pd.DataFrame(rows, columns=["box", "step", "coverage", "density", "mass", "restricted"])


def markdown(frame: pd.DataFrame, case_share: float) -> str:
    """The box table in Markdown, one section per box."""
    if frame.empty:
        return ("PRIM found no box: no region of the sampled space holds the cases more densely "
                f"than the whole sample ({case_share:.0%}) by more than the same search finds "
                "on the cases shuffled at random (permutation test).\n")
    lines = []
    for number, rows in frame.groupby("box", sort=True):
        first = rows.iloc[0]
        lines += [f"### Box {number}", "",
                  f"coverage {first.coverage:.0%} of the cases, density {first.density:.0%} "
                  f"(the whole sample: {case_share:.0%}), mass {first.mass:.0%} of the points; "
                  f"p-value {_p(first.permutation_p_value, first.permutations)} (the whole "
                  f"search rerun on {first.permutations} shuffles of the cases); stability "
                  f"(mean Jaccard overlap of bootstrap boxes) {_number(first.stability)}", ""]
        if np.isfinite(first.uncertain_share):
            lines += [f"{first.uncertain_share:.0%} of its points could change case with the "
                      "seed; counting each of them as the share of its replicates that are "
                      f"cases, its density is {first.replicate_density:.0%}.", ""]
        lines += ["| factor | box low | box high | sampled range | quasi-p-value | restricted "
                  "in resamples |", "|---|---|---|---|---|---|"]
        for r in rows.itertuples():
            lines.append(f"| {r.factor} | {r.low:.4g} | {r.high:.4g} | "
                         f"{r.range_low:.4g} to {r.range_high:.4g} | {r.quasi_p_value:.2g} | "
                         f"{_share(r.restricted_share)} |")
        lines.append("")
    lines += ["Quasi-p-values (hypergeometric, per restriction, as the EMA Workbench reports "
              "them) ignore the search that chose the box: they describe a restriction and "
              "test nothing. The box's p-value is the permutation test's.", ""]
    return "\n".join(lines)


def _p(value: float, permutations: int) -> str:
    smallest = 1 / (1 + permutations)
    return (f"{value:.2g}" if value > smallest + 1e-12
            else f"{value:.2g}, the smallest possible: no shuffle's search did as well")


def _number(value: float) -> str:
    return "n/a (no resamples)" if not np.isfinite(value) else f"{value:.2f}"


def _share(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:.0%}"
