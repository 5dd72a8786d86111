"""Fieller's confidence interval for a ratio of means of paired differences.

For replicate pairs with cost differences ``dc`` and effect differences ``de`` the
ratio is ``R = mean(dc) / mean(de)`` (an ICER).  Fieller's theorem (Willan & O'Brien,
"Confidence intervals for cost-effectiveness ratios: an application of Fieller's
theorem", *Health Economics* 5:297-305, 1996; Briggs, Claxton & Sculpher, *Decision
Modelling for Health Economic Evaluation*, 2006) gives the confidence set of all ``R``
for which ``mean(dc) - R mean(de)`` is not significantly different from 0::

    (mc - R me)^2 <= t^2 (vc - 2 R cov + R^2 ve)

with ``mc``, ``me`` the two means, ``vc``, ``ve`` the squared standard errors of the
means, ``cov`` their sample covariance (sample covariance of the pairs over ``n``), and
``t`` the two-sided quantile of the t distribution with ``n - 1`` degrees of freedom.
It is a quadratic inequality ``A R^2 + B R + C <= 0`` with

    A = me^2 - t^2 ve,   B = -2 (mc me - t^2 cov),   C = mc^2 - t^2 vc,

whose quarter discriminant is ``t^2 Q`` with
``Q = mc^2 ve - 2 mc me cov + me^2 vc - t^2 (vc ve - cov^2)``.  The set is

* a finite interval ("bounded") when ``A > 0``, i.e. the mean effect differs
  significantly from 0;
* the complement of a finite interval ("exclusive") when ``A < 0`` and ``Q > 0``;
* the whole real line ("unbounded") when ``A < 0`` and ``Q <= 0``, or in the
  degenerate case ``A = 0`` (a half-line, reported conservatively as the whole line).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from simulation.number_format import number

BOUNDED = "bounded"
EXCLUSIVE = "exclusive"
UNBOUNDED = "unbounded"


@dataclass(frozen=True)
class FiellerResult:
    """Fieller confidence set for a ratio of means.

    Attributes:
        ratio: point estimate ``mean(delta_cost) / mean(delta_effect)``; NaN if the mean
            effect is exactly 0 or there are no pairs.
        low: lower end ("bounded"), or the end of the lower ray ("exclusive"); -inf when
            "unbounded"; NaN with fewer than 2 pairs.
        high: upper end ("bounded"), or the start of the upper ray ("exclusive"); +inf
            when "unbounded"; NaN with fewer than 2 pairs.
        kind: "bounded" for ``[low, high]``, "exclusive" for ``(-inf, low] U [high, +inf)``,
            "unbounded" for the whole real line.
    """

    ratio: float
    low: float
    high: float
    kind: str

    def describe(self, unit: str = "", digits: int = 3) -> str:
        """Short words for the confidence set; see :func:`describe`."""
        return describe(self, unit=unit, digits=digits)


def fieller_interval(delta_cost: np.ndarray, delta_effect: np.ndarray,
                     level: float = 0.95) -> FiellerResult:
    """Fieller confidence set for ``mean(delta_cost) / mean(delta_effect)`` of paired data.

    Args:
        delta_cost: per-pair (per-replicate) cost differences.
        delta_effect: per-pair effect differences, same length as ``delta_cost``.
        level: confidence level, strictly between 0 and 1.

    Returns:
        The point estimate and the confidence set.  With fewer than 2 pairs the set
        cannot be estimated: ``low`` and ``high`` are NaN and ``kind`` is "unbounded".

    Raises:
        ValueError: if the inputs are not one-dimensional, differ in length or hold
            non-finite values, or ``level`` is not in (0, 1).
    """
    dc, de = _paired(delta_cost, delta_effect)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1; got {level}")
    n = len(dc)
    mc = float(dc.mean()) if n else math.nan
    me = float(de.mean()) if n else math.nan
    ratio = mc / me if n and me != 0.0 else math.nan
    if n < 2:
        return FiellerResult(ratio, math.nan, math.nan, UNBOUNDED)
    covariance = np.cov(dc, de, ddof=1) / n
    vc, ve, cov = float(covariance[0, 0]), float(covariance[1, 1]), float(covariance[0, 1])
    t = float(stats.t.ppf(0.5 + level / 2.0, df=n - 1))
    return _confidence_set(ratio, mc, me, vc, ve, cov, t)


def describe(result: FiellerResult, unit: str = "", digits: int = 3) -> str:
    """Short words for printing a Fieller confidence set, never containing "inf".

    Args:
        result: a :class:`FiellerResult`.
        unit: appended after the numbers when given (e.g. ``"kCNY per graduate"``).
        digits: significant digits of the numbers.

    Returns:
        For example ``"[120, 340]"``, ``"below -50.0 or above 900"``,
        ``"unbounded (effect not distinguishable from 0)"`` or
        ``"not estimable (fewer than 2 pairs)"``.
    """
    suffix = f" {unit}" if unit else ""
    if math.isnan(result.low) or math.isnan(result.high):
        return "not estimable (fewer than 2 pairs)"
    if result.kind == BOUNDED:
        return f"[{number(result.low, digits)}, {number(result.high, digits)}]{suffix}"
    if result.kind == EXCLUSIVE:
        return f"below {number(result.low, digits)} or above {number(result.high, digits)}{suffix}"
    return "unbounded (effect not distinguishable from 0)"


def _paired(delta_cost: np.ndarray, delta_effect: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dc = np.asarray(delta_cost, dtype=float)
    de = np.asarray(delta_effect, dtype=float)
    if dc.ndim != 1 or de.ndim != 1 or len(dc) != len(de):
        raise ValueError(f"need two 1-D arrays of equal length; got shapes {dc.shape} and {de.shape}")
    if not (np.isfinite(dc).all() and np.isfinite(de).all()):
        raise ValueError("cost and effect differences must be finite")
    return dc, de


def _confidence_set(ratio: float, mc: float, me: float, vc: float, ve: float, cov: float,
                    t: float) -> FiellerResult:
    """Solve ``A R^2 + B R + C <= 0`` (see the module docstring) for the confidence set."""
    a = me * me - t * t * ve
    half_b = -(mc * me - t * t * cov)
    q = mc * mc * ve - 2.0 * mc * me * cov + me * me * vc - t * t * (vc * ve - cov * cov)
    if a > 0.0:
        # The point estimate always satisfies the inequality, so q >= 0 up to rounding.
        root = t * math.sqrt(max(q, 0.0))
        return FiellerResult(ratio, (-half_b - root) / a, (-half_b + root) / a, BOUNDED)
    if a < 0.0 and q > 0.0:
        root = t * math.sqrt(q)
        ends = sorted(((-half_b - root) / a, (-half_b + root) / a))
        return FiellerResult(ratio, ends[0], ends[1], EXCLUSIVE)
    return FiellerResult(ratio, -math.inf, math.inf, UNBOUNDED)
