"""Decisions under parameter uncertainty: net benefit, acceptability, expected loss and EVPI.

Input convention: a probabilistic analysis gives, for each of ``n_draws`` draws of the
uncertain parameters and each of ``n_options`` mutually exclusive options, a cost and an
effect.  At a willingness to pay ``lambda`` the net benefit is ``NB = lambda * E - C``.
Functions named for a curve take ``costs`` and ``effects`` of shape ``(n_draws, n_options)``
and a grid ``lambdas``; the others take net benefits ``nb`` of shape
``(..., n_draws, n_options)``, where leading axes (for example one per lambda, as
:func:`net_benefit` returns them) are carried through.

The decision rule is to choose the option with the highest expected net benefit; the
expected value of perfect information (EVPI) is what resolving all parameter uncertainty
would add to it, ``E[max_k NB_k] - max_k E[NB_k]`` (Claxton, "The irrelevance of inference",
*J Health Econ* 18:341-364, 1999; Strong, Oakley & Brennan, *Med Decis Making*
34(3):311-326, 2014).  The per-option expected loss ``E[max_k NB_k - NB_j]`` (expected loss curves:
Alarid-Escudero et al., *Value Health* 22(5):611-618, 2019) is smallest for the option of highest expected net
benefit, where it equals the EVPI.

Net benefit computed from single stochastic model runs carries seed noise as well as
parameter uncertainty, and the EVPI of such draws counts the noise as if it were
resolvable uncertainty; :func:`variance_split` separates the two when each draw has
replicates, and :func:`simulation.decisions.evppi.evppi` removes the noise by regression.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class AcceptabilityFrontier(NamedTuple):
    """The option of highest expected net benefit at each lambda, and how likely it is best.

    Attributes:
        option: index (into the options axis) of the option with the highest expected net
            benefit at each lambda; the first of equal ones.
        probability: that option's probability of having the highest net benefit.
    """

    option: np.ndarray
    probability: np.ndarray


class VarianceSplit(NamedTuple):
    """Variance of the incremental net benefit of options ``1..n_options-1`` against option 0.

    Attributes:
        parameter: variance due to the parameters (between draws), one per option after the
            first.
        stochastic: variance of a single run's incremental net benefit about its draw's mean
            (the seed noise), one per option after the first.
        replicates: replicates per draw the split was estimated from.
    """

    parameter: np.ndarray
    stochastic: np.ndarray
    replicates: int


def net_benefit(costs: np.ndarray, effects: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """Net benefit ``lambda * E - C`` for every lambda, draw and option.

    Args:
        costs: shape ``(n_draws, n_options)``.
        effects: same shape as ``costs``.
        lambdas: willingness-to-pay values (money per unit of effect), one-dimensional.

    Returns:
        Shape ``(n_lambdas, n_draws, n_options)``.

    Raises:
        ValueError: if the shapes differ, are not two-dimensional or hold non-finite values.
    """
    c, e = _two_d(costs, "costs"), _two_d(effects, "effects")
    if c.shape != e.shape:
        raise ValueError(f"costs and effects must have the same shape; got {c.shape} and {e.shape}")
    lam = np.atleast_1d(np.asarray(lambdas, dtype=float))
    if lam.ndim != 1 or not np.isfinite(lam).all():
        raise ValueError(f"lambdas must be a finite one-dimensional grid; got shape {lam.shape}")
    return lam[:, None, None] * e[None] - c[None]


def expected_net_benefit(nb: np.ndarray) -> np.ndarray:
    """Mean net benefit of each option over the draws, shape ``(..., n_options)``."""
    return _nb(nb).mean(axis=-2)


def probability_best(nb: np.ndarray) -> np.ndarray:
    """Share of draws in which each option has the highest net benefit, shape ``(..., n_options)``.

    A draw in which several options tie for the highest net benefit counts ``1 / ties`` for
    each of them, so the probabilities over options sum to exactly 1.
    """
    x = _nb(nb)
    top = x == x.max(axis=-1, keepdims=True)
    return (top / top.sum(axis=-1, keepdims=True)).mean(axis=-2)


def acceptability(costs: np.ndarray, effects: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """Cost-effectiveness acceptability curves of several options.

    For each lambda, the probability that each option has the highest net benefit (ties
    split evenly), over all options together: not each against a reference.

    Args:
        costs: shape ``(n_draws, n_options)``.
        effects: same shape.
        lambdas: willingness-to-pay grid.

    Returns:
        Shape ``(n_lambdas, n_options)``; every row sums to 1.
    """
    return probability_best(net_benefit(costs, effects, lambdas))


def acceptability_frontier(costs: np.ndarray, effects: np.ndarray,
                           lambdas: np.ndarray) -> AcceptabilityFrontier:
    """The cost-effectiveness acceptability frontier (Fenwick, Claxton & Sculpher, *Health Econ* 2001).

    At each lambda, the option a decision maker would choose (the highest expected net
    benefit), which need not be the one most likely to be best when the net benefit is
    skewed, and its probability of being best.

    Args:
        costs: shape ``(n_draws, n_options)``.
        effects: same shape.
        lambdas: willingness-to-pay grid.

    Returns:
        :class:`AcceptabilityFrontier` with arrays of length ``n_lambdas``.
    """
    nb = net_benefit(costs, effects, lambdas)
    choice = expected_net_benefit(nb).argmax(axis=-1)
    prob = np.take_along_axis(probability_best(nb), choice[:, None], axis=-1)[:, 0]
    return AcceptabilityFrontier(choice, prob)


def expected_loss(nb: np.ndarray) -> np.ndarray:
    """Expected loss of choosing each option, ``E[max_k NB_k - NB_j]``, shape ``(..., n_options)``.

    For expected loss curves pass ``net_benefit(costs, effects, lambdas)``.  The option of
    highest expected net benefit has the smallest expected loss, and its loss is the EVPI.
    """
    x = _nb(nb)
    return (x.max(axis=-1, keepdims=True) - x).mean(axis=-2)


def evpi(nb: np.ndarray) -> np.ndarray:
    """Expected value of perfect information per decision, ``E[max_k NB_k] - max_k E[NB_k]``.

    Args:
        nb: net benefit, shape ``(..., n_draws, n_options)``.

    Returns:
        Shape ``(...)``: a float array of the leading axes (0-d for a single lambda).  In the
        units of ``nb`` (kCNY per 1,000 graduates for the model's measures); scale with
        :func:`population_value`.  Seed noise in ``nb`` inflates it (see the module
        docstring).
    """
    x = _nb(nb)
    return x.max(axis=-1).mean(axis=-1) - x.mean(axis=-2).max(axis=-1)


def population_value(per_1000: np.ndarray | float, graduates_per_year: float, years: int = 1,
                     discount_rate: float = 0.0) -> np.ndarray | float:
    """Scale a value per 1,000 graduates (EVPI, EVPPI, expected loss) to a population.

    ``value * graduates_per_year / 1000 * sum_{t=0}^{years-1} (1 + discount_rate)^-t``: the
    value per decision, for each year's graduates the decision affects, discounted to the
    first year (the population EVPI of Claxton 1999).

    Args:
        per_1000: value per 1,000 graduates.
        graduates_per_year: graduates affected each year (no default: the population is the
            analyst's choice).
        years: years the decision affects, at least 1.
        discount_rate: yearly rate, at least 0.

    Returns:
        The population value, a float for a float and an array for an array.

    Raises:
        ValueError: if an argument is out of its range.
    """
    if not (np.isfinite(graduates_per_year) and graduates_per_year >= 0):
        raise ValueError(f"graduates_per_year must be a number >= 0; got {graduates_per_year}")
    if int(years) != years or years < 1:
        raise ValueError(f"years must be an int in the range [1, inf); got {years}")
    if not (np.isfinite(discount_rate) and discount_rate >= 0):
        raise ValueError(f"discount_rate must be a float in the range [0, inf); got {discount_rate}")
    weight = float(np.sum((1.0 + discount_rate) ** -np.arange(int(years))))
    return np.asarray(per_1000) * graduates_per_year / 1000.0 * weight if np.ndim(per_1000) \
        else float(per_1000) * graduates_per_year / 1000.0 * weight


def variance_split(nb_replicates: np.ndarray) -> VarianceSplit:
    """Split the variance of incremental net benefit into parameter and stochastic parts.

    The incremental net benefit of option ``k`` is ``NB_k - NB_0`` for each run.  With
    ``R`` replicate runs (seeds) per parameter draw, one-way analysis of variance gives the
    stochastic part as the mean within-draw variance ``s_w^2`` and the parameter part as
    the variance of the per-draw means less ``s_w^2 / R`` (the seed noise left in a mean of
    ``R`` runs), clipped at 0.  With one replicate per draw use the regression instead: the
    parameter part is the variance of the fitted values of :func:`evppi` on all inputs
    together (``r2`` times the variance).

    Args:
        nb_replicates: net benefit, shape ``(n_draws, n_replicates, n_options)``, at least 2
            draws, 2 replicates and 2 options.

    Returns:
        :class:`VarianceSplit` for options ``1..n_options-1`` against option 0.

    Raises:
        ValueError: if the shape is too small or a value is not finite.
    """
    x = np.asarray(nb_replicates, dtype=float)
    if x.ndim != 3 or min(x.shape[0], x.shape[1], x.shape[2]) < 2:
        raise ValueError("nb_replicates must have shape (n_draws >= 2, n_replicates >= 2, "
                         f"n_options >= 2); got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("nb_replicates must be finite")
    inc = x[..., 1:] - x[..., :1]
    replicates = x.shape[1]
    within = inc.var(axis=1, ddof=1).mean(axis=0)
    between = inc.mean(axis=1).var(axis=0, ddof=1)
    return VarianceSplit(np.maximum(between - within / replicates, 0.0), within, replicates)


def _two_d(a: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(a, dtype=float)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"{name} must have shape (n_draws, n_options); got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} must be finite")
    return x


def _nb(nb: np.ndarray) -> np.ndarray:
    x = np.asarray(nb, dtype=float)
    if x.ndim < 2 or x.shape[-1] < 1 or x.shape[-2] < 1:
        raise ValueError(f"nb must have shape (..., n_draws, n_options); got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("nb must be finite")
    return x
