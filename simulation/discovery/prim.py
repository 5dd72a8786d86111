"""PRIM, the patient rule induction method (Friedman & Fisher 1999), for scenario discovery.

Given sample points ``x`` (n points, d uncertain factors) and a boolean
``y`` (the case of interest, such as "the package fails"), PRIM looks for a
box (an interval on some factors) where the case concentrates:

- **peeling**: from the whole space, repeatedly cut off the ``alpha`` share of
  the points in the box at the low or high end of one factor, the cut that
  leaves the highest share of cases in the box (its *density*), until the box
  holds less than ``mass_min`` of the points; the sequence of boxes is the
  *peeling trajectory*, each with its *coverage* (share of all cases inside),
  density, *mass* (share of points inside) and number of restricted factors;
- **choosing**: the box of the trajectory with the best F-score of coverage
  and density (their harmonic mean, optionally weighted);
- **pasting**: widen a chosen box one side at a time while that raises its
  density;
- **quasi-p-values**: per restricted factor, a one-sided hypergeometric test
  of the box's cases against the box with that restriction lifted (as the EMA
  Workbench reports, and names, them); the search chose the box, which the
  test ignores, so they describe and do not test;
- **pruning**: lift, one at a time, the restriction with the highest
  quasi-p-value while it is above ``level``, so a reported box names only
  factors that hold cases (the EMA Workbench leaves this step to the analyst);
- **stability**: PRIM on bootstrap resamples, each resample's chosen box
  compared with the chosen box by the Jaccard overlap of the points inside.

The box's p-value, a permutation test of this whole search, is
:mod:`simulation.discovery.permutation`'s.

Written from the paper rather than taken from the EMA Workbench (whose PRIM
comes inside a whole exploratory-modelling framework) or the standalone
``prim`` package (GPL-3, while iesim is MIT); small, and tested against boxes
it must recover.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Box:
    """Limits per factor (``-inf``/``inf`` where unrestricted) and the box's statistics."""

    low: np.ndarray
    high: np.ndarray
    coverage: float = float("nan")
    density: float = float("nan")
    mass: float = float("nan")
    restricted: tuple[int, ...] = field(default_factory=tuple)

    def inside(self, x: np.ndarray) -> np.ndarray:
        """Which rows of ``x`` lie in the box (limits inclusive)."""
        return np.all((x >= self.low) & (x <= self.high), axis=1)


def _stats(box: Box, x: np.ndarray, y: np.ndarray, bounds) -> Box:
    inside = box.inside(x)
    n_in, cases = inside.sum(), y.sum()
    box.mass = float(n_in / len(y))
    box.density = float(y[inside].mean()) if n_in else 0.0
    box.coverage = float(y[inside].sum() / cases) if cases else 0.0
    lo, hi = bounds
    box.restricted = tuple(int(j) for j in np.flatnonzero((box.low > lo) | (box.high < hi)))
    return box


def peel(x: np.ndarray, y: np.ndarray, alpha: float = 0.05, mass_min: float = 0.05) -> list[Box]:
    """The peeling trajectory: boxes from the whole space down to ``mass_min`` of the points.

    Each step weighs all ``2d`` cuts at once: every factor's values are
    sorted once, and the box's points in each factor's order give, per cut,
    the points and cases it removes (ties at the cut's quantile go together).

    Args:
        x: ``(n, d)`` sample points.
        y: ``(n,)`` booleans, the case of interest.
        alpha: share of the box's points each peel removes.
        mass_min: the smallest share of all points a box may hold.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=bool)
    n, d = x.shape
    bounds = (np.full(d, -np.inf), np.full(d, np.inf))
    box = _stats(Box(bounds[0].copy(), bounds[1].copy()), x, y, bounds)
    trajectory = [box]
    order = np.argsort(x, axis=0, kind="stable")
    values = np.take_along_axis(x, order, axis=0).T  # (d, n): each factor's values, sorted
    labels = y[order].T  # the cases in each factor's order
    inside = np.ones(n, dtype=bool)
    total = int(y.sum())
    while True:
        m = int(inside.sum())
        if m * (1 - alpha) < mass_min * n or m < 2:
            break
        held = inside[order].T
        v, c = values[held].reshape(d, m), labels[held].reshape(d, m)  # rows sorted
        cases = int(c[0].sum())
        q = np.quantile(v, [alpha, 1 - alpha], axis=1)
        cut_low, cut_high = v <= q[0][:, None], v >= q[1][:, None]  # what each cut removes
        gone = np.stack([cut_low.sum(1), cut_high.sum(1)], axis=1)  # (d, 2)
        hits = np.stack([(c & cut_low).sum(1), (c & cut_high).sum(1)], axis=1)
        best = None
        for j in range(d):
            for s in (0, 1):  # low, high: in this order, as ties go to the first
                if gone[j, s] == 0 or gone[j, s] == m:
                    continue
                density = (cases - hits[j, s]) / (m - gone[j, s])
                if best is None or density > best[0] + 1e-12:
                    best = (density, j, s)
        if best is None:
            break
        _, j, s = best
        low, high = box.low.copy(), box.high.copy()
        # the new limit: the smallest (largest) value kept, so the limit holds points exactly
        if s == 0:
            low[j] = v[j, gone[j, 0]]
            inside &= x[:, j] >= low[j]
        else:
            high[j] = v[j, m - gone[j, 1] - 1]
            inside &= x[:, j] <= high[j]
        kept, kept_cases = m - int(gone[j, s]), cases - int(hits[j, s])
        box = Box(low, high, coverage=kept_cases / total if total else 0.0,
                  density=kept_cases / kept, mass=kept / n,
                  restricted=tuple(int(k) for k in np.flatnonzero((low > -np.inf)
                                                                  | (high < np.inf))))
        if box.mass < mass_min:
            break
        trajectory.append(box)
    return trajectory


def paste(box: Box, x: np.ndarray, y: np.ndarray, alpha: float = 0.05) -> Box:
    """Widen ``box`` one side at a time while that raises its density."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=bool)
    bounds = (np.full(x.shape[1], -np.inf), np.full(x.shape[1], np.inf))
    current = _stats(Box(box.low.copy(), box.high.copy()), x, y, bounds)
    while True:
        n_add = max(1, int(round(alpha * current.mass * len(y))))
        best = None
        for j in current.restricted:
            for side in ("low", "high"):
                limit = current.low[j] if side == "low" else current.high[j]
                if not np.isfinite(limit):
                    continue
                others = Box(current.low.copy(), current.high.copy())
                if side == "low":
                    others.low[j] = -np.inf
                else:
                    others.high[j] = np.inf
                candidates = x[others.inside(x) & ~current.inside(x)][:, j]
                candidates = candidates[candidates < limit] if side == "low" \
                    else candidates[candidates > limit]
                if not len(candidates):
                    continue
                ordered = np.sort(candidates)
                new = ordered[-n_add:][0] if side == "low" else ordered[:n_add][-1]
                trial = Box(current.low.copy(), current.high.copy())
                if side == "low":
                    trial.low[j] = new if len(ordered) > n_add else -np.inf
                else:
                    trial.high[j] = new if len(ordered) > n_add else np.inf
                trial = _stats(trial, x, y, bounds)
                if trial.density > current.density + 1e-12 and (
                        best is None or trial.density > best.density):
                    best = trial
        if best is None:
            return current
        current = best


def score(box: Box, coverage_weight: float = 1.0) -> float:
    """The F-score of coverage and density: their weighted harmonic mean.

    ``coverage_weight`` is the F-score's beta: above 1 favours coverage,
    below 1 density.  A box must do well on both to score well, so where the
    cases lie in two regions the best box holds one of them (and covering
    finds the other), rather than a wide box holding both thinly.
    """
    b2 = coverage_weight**2
    c, d = box.coverage, box.density
    return float((1 + b2) * c * d / (b2 * d + c)) if c > 0 and d > 0 else 0.0


def choose(trajectory: list[Box], coverage_weight: float = 1.0) -> Box:
    """The box of the trajectory with the best :func:`score` (the widest among equals)."""
    scores = [score(b, coverage_weight) for b in trajectory]
    top = max(scores)
    return next(b for b, s in zip(trajectory, scores, strict=True) if s >= top - 1e-12)


def quasi_p_values(box: Box, x: np.ndarray, y: np.ndarray) -> dict[int, float]:
    """Per restricted factor: the quasi-p-value of the box's cases if the restriction were lifted.

    One-sided hypergeometric test, as the EMA Workbench reports it: drawing
    the box's points at random from the box without that restriction, the
    chance of at least as many cases.  *Quasi* because the box was chosen by
    a search on the same cases, which the test ignores: on pure noise these
    values fall below 0.05 far more often than 5% of the time, so they
    describe a restriction and test nothing.  The box's p-value is
    :func:`simulation.discovery.permutation.test`'s.
    """
    from scipy.stats import hypergeom

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=bool)
    if not box.restricted:
        return {}
    inside = box.inside(x)
    factors = list(box.restricted)
    total, cases = np.empty(len(factors), dtype=int), np.empty(len(factors), dtype=int)
    for k, j in enumerate(factors):
        relaxed = Box(box.low.copy(), box.high.copy())
        relaxed.low[j], relaxed.high[j] = -np.inf, np.inf
        wider = relaxed.inside(x)
        total[k], cases[k] = wider.sum(), y[wider].sum()
    drawn, hits = int(inside.sum()), int(y[inside].sum())
    p = hypergeom.sf(hits - 1, total, cases, drawn)
    return {j: float(v) for j, v in zip(factors, p, strict=True)}


def prune(box: Box, x: np.ndarray, y: np.ndarray, level: float = 0.05) -> Box:
    """Lift restrictions, the highest quasi-p-value first, until all have one <= ``level``.

    A step of the search, not a test: the quasi-p-values (:func:`quasi_p_values`)
    only rank restrictions, and the permutation test reruns this step too.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=bool)
    bounds = (np.full(x.shape[1], -np.inf), np.full(x.shape[1], np.inf))
    current = _stats(Box(box.low.copy(), box.high.copy()), x, y, bounds)
    while current.restricted:
        p = quasi_p_values(current, x, y)
        worst = max(p, key=lambda j: (p[j], -j))
        if p[worst] <= level:
            break
        current.low[worst], current.high[worst] = -np.inf, np.inf
        current = _stats(current, x, y, bounds)
    return current


def find_box(x: np.ndarray, y: np.ndarray, alpha: float = 0.05, mass_min: float = 0.05,
             coverage_weight: float = 1.0, level: float = 0.05) -> tuple[list[Box], Box]:
    """The whole procedure: peel, choose, paste and prune; the trajectory and the box."""
    trajectory = peel(x, y, alpha, mass_min)
    box = paste(choose(trajectory, coverage_weight), x, y, alpha)
    return trajectory, prune(box, x, y, level)


def stability(x: np.ndarray, y: np.ndarray, box: Box, resamples: int = 20, seed: int = 0,
              alpha: float = 0.05, mass_min: float = 0.05, coverage_weight: float = 1.0,
              level: float = 0.05):
    """Bootstrap PRIM: the Jaccard overlap of each resample's chosen box with ``box``.

    Returns:
        (overlaps, restricted): each resample's Jaccard overlap (points of the
        full sample inside both boxes over inside either), and for each factor
        the share of resamples whose box restricts it.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=bool)
    rng = np.random.default_rng(seed)
    mine = box.inside(x)
    overlaps, counts = [], np.zeros(x.shape[1])
    for _ in range(resamples):
        rows = rng.integers(0, len(y), len(y))
        _, other = find_box(x[rows], y[rows], alpha, mass_min, coverage_weight, level)
        theirs = other.inside(x)
        union = (mine | theirs).sum()
        overlaps.append(float((mine & theirs).sum() / union) if union else 1.0)
        counts[list(other.restricted)] += 1
    return np.array(overlaps), counts / resamples
