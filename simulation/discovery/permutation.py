"""The p-value of a PRIM box: a permutation test of the whole search.

PRIM chooses its box because it holds the cases well, so a test of the box
against the points around it (the hypergeometric quasi-p-values of
:func:`~simulation.discovery.prim.quasi_p_values`) finds "significance" on
pure noise far more often than its level says.  The test here repeats the
choice instead: the case labels are shuffled among the points searched, the
same search (peeling, choosing, pasting and pruning, :func:`prim.find_box`)
runs on each shuffled data set, and the box's p-value is the share of
searches, the observed one included, whose box scores at least as well::

    p = (1 + #{shuffled score >= observed score}) / (1 + permutations)

The score is the criterion that chose the box, the F-score of its coverage
and density (:func:`prim.score`), computed for the box the search returns.
When the cases do not depend on the factors, the observed search is one of
``permutations + 1`` exchangeable ones, so ``p <= level`` happens with
probability at most ``level`` (ties count against the box, so the test errs
on the safe side).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.discovery import prim


@dataclass(frozen=True)
class Permutation:
    """A box's permutation test.

    Attributes:
        p_value: ``(1 + #{null >= score}) / (1 + permutations)``.
        score: the box's F-score on the points searched.
        null: the best score of the search on each shuffled data set.
    """

    p_value: float
    score: float
    null: np.ndarray

    @property
    def permutations(self) -> int:
        return len(self.null)


def box_test(x: np.ndarray, y: np.ndarray, box: prim.Box, rng: np.random.Generator, *,
             permutations: int = 199, alpha: float = 0.05, mass_min: float = 0.05,
             coverage_weight: float = 1.0, level: float = 0.05) -> Permutation:
    """The permutation p-value of ``box``, found by :func:`prim.find_box` on ``x`` and ``y``.

    Args:
        x: ``(n, d)`` the points searched.
        y: ``(n,)`` their cases.
        box: the box the search returned on ``x`` and ``y`` (its statistics on them).
        rng: the shuffles' generator (seeded by the caller, so the test is deterministic).
        permutations: shuffled data sets.
        alpha: the search's peeling share, as it ran.
        mass_min: its smallest box, as a share of the points searched.
        coverage_weight: the F-score's beta that chose the box.
        level: its pruning level.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=bool)
    observed = prim.score(box, coverage_weight)
    null = np.empty(permutations)
    for k in range(permutations):
        _, shuffled = prim.find_box(x, rng.permutation(y), alpha, mass_min, coverage_weight,
                                    level)
        null[k] = prim.score(shuffled, coverage_weight)
    beaten = int(np.sum(null >= observed - 1e-12))
    return Permutation((1 + beaten) / (1 + permutations), observed, null)
