"""Value of information: EVPI, EVPPI by regression, acceptability and expected loss, on known answers.

Tolerances come from Monte Carlo error, stated where they are used:

* ``mc``: a mean of ``n`` independent draws of ``h`` is within 4 sd(h) / sqrt(n) of its
  expectation (normal approximation; a miss has probability 6e-5).
* EVPPI by regression, ``EVPPI(g_hat)`` against ``EVPPI(g)`` on the same draws: to first
  order the difference is a weighted mean of the smoother's errors ``H e`` with weights in
  [-1, 1], whose sd is at most ``sigma_r / sqrt(n)`` (``sigma_r`` the residual sd; the
  smoothers' eigenvalues lie in [0, 1]), so 4 of these; the second-order term is at most
  ``f(0) E[(g_hat - g)^2] = f(0) sigma_r^2 edf / n`` with ``f`` the density of ``g`` (at
  most ``1 / (sqrt(2 pi) sd(g))``), taken 9 times (``edf`` times a chi-square variable on
  ``edf`` degrees of freedom exceeds 9 edf with probability under 1e-4).
* EVPPI of something that does not matter (``g`` constant): the estimate is at most
  ``mean |g_hat - mean g_hat|`` per option, at most ``sigma_r sqrt(edf / n)`` in root mean
  square; 3 times that (the chi-square bound above).

A test that misses one of these has found a bug, not bad luck; no seed was chosen to pass.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from simulation.decisions import (
    acceptability,
    acceptability_frontier,
    evpi,
    evppi,
    evppi_curve,
    expected_loss,
    expected_net_benefit,
    net_benefit,
    population_value,
    probability_best,
    variance_split,
)


def normal_evpi(mu: float, s: float) -> float:
    """E[max(0, D)] - max(0, E D) for D ~ N(mu, s^2)."""
    if s == 0:
        return 0.0
    return s * stats.norm.pdf(mu / s) + mu * stats.norm.cdf(mu / s) - max(0.0, mu)


def two_options(d: np.ndarray) -> np.ndarray:
    return np.column_stack([np.zeros_like(d), d])


def mc(h: np.ndarray) -> float:
    return 4 * h.std() / math.sqrt(len(h))


# ----------------------------------------------------------------------------- EVPI
@pytest.mark.parametrize("mu, s", [(0.0, 1.0), (0.5, 1.0), (-1.0, 2.0), (2.0, 0.5), (-0.3, 0.2)])
def test_evpi_of_a_normal_difference_has_its_closed_form(mu, s):
    n = 200_000
    d = np.random.default_rng(11).normal(mu, s, n)
    # The estimate is mean(max(0, D)) - max(0, mean D): the first term has Monte Carlo sd
    # sd(max(0, D)) / sqrt(n); the second moves no more than mean D, sd s / sqrt(n).
    tol = mc(np.maximum(d, 0)) + 4 * s / math.sqrt(n)
    assert float(evpi(two_options(d))) == pytest.approx(normal_evpi(mu, s), abs=tol)


def test_evpi_per_lambda_keeps_the_leading_axis():
    rng = np.random.default_rng(3)
    costs, effects = rng.normal(size=(500, 3)), rng.normal(size=(500, 3))
    nb = net_benefit(costs, effects, [0.0, 1.0, 2.0])
    out = evpi(nb)
    assert out.shape == (3,)
    for i in range(3):
        assert out[i] == pytest.approx(float(evpi(nb[i])))


# ----------------------------------------------------------------------------- EVPPI
A, B1, B2, NOISE = 0.3, 1.5, 1.0, 1.0  # D = A + B1 X1 + B2 X2 + NOISE eps; X3 does not enter


def linear_sample(n: int, seed: int, a: float = A):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    eps = rng.normal(size=n)  # the seed noise: what a single stochastic run adds
    return x, a + B1 * x[:, 0] + B2 * x[:, 1] + NOISE * eps


def regression_tolerance(g: np.ndarray, resid_sd: float, edf: float) -> float:
    """Monte Carlo error of EVPPI(g) on these draws, plus the regression's (module docstring)."""
    n = len(g)
    gain = np.maximum(g, 0) - (g if g.mean() > 0 else 0)
    density = 1 / (math.sqrt(2 * math.pi) * g.std())
    return mc(gain) + 4 * resid_sd / math.sqrt(n) + 9 * density * resid_sd**2 * edf / n


@pytest.mark.parametrize("which, slope, resid", [
    ((0,), B1, math.hypot(B2, NOISE)),
    ((1,), B2, math.hypot(B1, NOISE)),
    ((0, 1), math.hypot(B1, B2), NOISE),
])
def test_evppi_of_a_linear_gaussian_model_has_its_closed_form(which, slope, resid):
    n = 10_000
    x, d = linear_sample(n, 5)
    inputs = x[:, list(which)]
    result = evppi(two_options(d), inputs[:, 0] if len(which) == 1 else inputs)
    assert result.method == ("spline" if len(which) == 1 else "gp")
    truth = normal_evpi(A, slope)  # E[D | X1] = A + B1 X1 ~ N(A, B1^2); the group, N(A, B1^2 + B2^2)
    g = A + inputs @ np.array([B1, B2])[list(which)]
    tol = regression_tolerance(g, resid, result.edf[0])
    assert result.value == pytest.approx(truth, abs=tol)
    # the reported standard error is of the order of the actual error
    assert abs(result.value - truth) < 4 * result.se
    assert 0 < result.se < tol


def test_evppi_of_an_input_that_does_not_enter_is_near_zero():
    n = 10_000
    x, d = linear_sample(n, 8, a=0.0)  # a decision on a knife edge: where noise would show most
    nb = two_options(d)
    whole = math.sqrt(B1**2 + B2**2 + NOISE**2)
    bounds = []
    for inputs in (x[:, 2], x[:, [2]]):
        result = evppi(nb, inputs, method="spline" if inputs.ndim == 1 else "gp")
        bounds.append(3 * whole * math.sqrt(result.edf[0] / n))
        assert 0 <= result.value <= bounds[-1]
    # against an input that does enter (EVPPI B1 / sqrt(2 pi) = 0.60): the bound is small
    assert evppi(nb, x[:, 0]).value > 4 * max(bounds)


def test_with_seed_noise_only_no_input_has_value_yet_evpi_of_averaged_runs_is_positive():
    # Every draw has the same parameters: only the seed differs.  Three options, each
    # run's net benefit the same mean plus noise; R replicates averaged per draw.
    n, replicates, sigma = 4_000, 5, 1.0
    rng = np.random.default_rng(21)
    runs = rng.normal(0.0, sigma, size=(n, replicates, 3))
    nb = runs.mean(axis=1)
    x = rng.normal(size=(n, 4))  # inputs drawn but not used by the model
    # Averaging R runs leaves noise of sd sigma / sqrt(R) in each draw's net benefit, and
    # EVPI counts it as if learning it were possible: E[max_k NB_k] - max_k E[NB_k] > 0
    # even though no parameter is uncertain.  For two options that is the normal EVPI of
    # D ~ N(0, 2 sigma^2 / R).  The regression method instead asks how much of the net
    # benefit the inputs predict: none, whatever the noise.
    pair = nb[:, :2]
    d = pair[:, 1] - pair[:, 0]
    assert float(evpi(pair)) == pytest.approx(normal_evpi(0.0, sigma * math.sqrt(2 / replicates)),
                                              abs=mc(np.maximum(d, 0)) + 4 * d.std() / math.sqrt(n))
    resid = sigma * math.sqrt(2 / replicates)  # sd of each incremental net benefit
    for inputs in (x[:, 0], x[:, 3], x):
        result = evppi(nb, inputs)
        bound = sum(3 * resid * math.sqrt(e / n) for e in result.edf)
        assert 0 <= result.value <= bound, (inputs.shape, result)
        assert result.value < 0.2 * float(evpi(nb))


def test_evppi_curve_follows_the_closed_form_at_every_lambda():
    # dE = 1 + X1 + e1, dC = 2 + 0.5 X1 + e2: incremental NB = (lam - 2) + (lam - 0.5) X1 + noise
    n = 10_000
    rng = np.random.default_rng(4)
    x1 = rng.normal(size=n)
    e = np.column_stack([np.zeros(n), 1 + x1 + 0.8 * rng.normal(size=n)])
    c = np.column_stack([np.zeros(n), 2 + 0.5 * x1 + 0.6 * rng.normal(size=n)])
    lambdas = np.array([0.0, 1.0, 2.0, 3.0, 6.0])
    result = evppi_curve(c, e, lambdas, x1)
    assert result.value.shape == lambdas.shape == result.se.shape
    for lam, value in zip(lambdas, result.value, strict=True):
        g = (lam - 2) + (lam - 0.5) * x1
        resid = math.hypot(0.8 * lam, 0.6)
        edf = max(result.edf)
        assert value == pytest.approx(normal_evpi(lam - 2, abs(lam - 0.5)),
                                      abs=regression_tolerance(g, resid, edf)), lam


def test_evppi_of_a_constant_input_is_zero_and_bad_arguments_are_refused():
    x, d = linear_sample(200, 1)
    assert evppi(two_options(d), np.ones(200)).value == 0.0
    with pytest.raises(ValueError, match=r"inputs must have shape \(200,\)"):
        evppi(two_options(d), np.ones(199))
    with pytest.raises(ValueError, match="method must be one of spline, gp; got 'gam'"):
        evppi(two_options(d), x[:, 0], method="gam")
    with pytest.raises(ValueError, match="'spline' takes one input; got 2"):
        evppi(two_options(d), x[:, :2], method="spline")
    with pytest.raises(ValueError, match=r"n_options >= 2\); got \(200, 1\)"):
        evppi(d[:, None], x[:, 0])


# ----------------------------------------------------- acceptability, frontier, expected loss
def probabilistic_sample(n=4_000, seed=9):
    rng = np.random.default_rng(seed)
    effects = rng.normal([0, 300, 500, 520], [1, 120, 200, 400], size=(n, 4))
    costs = rng.normal([0, 600, 1_800, 1_700], [1, 300, 500, 900], size=(n, 4))
    return costs, effects


def test_acceptability_rows_sum_to_one_and_ties_are_split():
    costs, effects = probabilistic_sample()
    lambdas = np.linspace(0, 20, 41)
    curves = acceptability(costs, effects, lambdas)
    assert curves.shape == (41, 4)
    np.testing.assert_allclose(curves.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # two identical options share their wins evenly; at lambda 0 with equal costs all tie
    twin_c, twin_e = np.column_stack([costs, costs[:, 1]]), np.column_stack([effects, effects[:, 1]])
    twins = acceptability(twin_c, twin_e, lambdas)
    np.testing.assert_allclose(twins[:, 1], twins[:, 4], rtol=0, atol=1e-12)
    np.testing.assert_allclose(twins[:, 1] + twins[:, 4], curves[:, 1], rtol=0, atol=1e-12)
    flat = probability_best(np.zeros((10, 3)))
    np.testing.assert_allclose(flat, 1 / 3, rtol=0, atol=1e-12)


def test_frontier_follows_the_highest_expected_net_benefit_and_its_loss_is_the_evpi():
    costs, effects = probabilistic_sample()
    lambdas = np.linspace(0, 20, 41)
    nb = net_benefit(costs, effects, lambdas)
    front = acceptability_frontier(costs, effects, lambdas)
    choice = expected_net_benefit(nb).argmax(axis=1)
    np.testing.assert_array_equal(front.option, choice)
    assert len(set(front.option.tolist())) >= 3  # the test crosses several switch points
    curves = acceptability(costs, effects, lambdas)
    np.testing.assert_allclose(front.probability, curves[np.arange(41), choice], rtol=0, atol=1e-12)
    # the frontier need not follow the option most likely to be best
    loss = expected_loss(nb)
    np.testing.assert_array_equal(loss.argmin(axis=1), choice)
    np.testing.assert_allclose(loss.min(axis=1), evpi(nb), rtol=1e-12, atol=1e-9)
    assert (loss >= 0).all()


def test_variance_split_recovers_parameter_and_seed_variance():
    draws, reps, tau, sigma = 2_000, 4, 2.0, 3.0
    rng = np.random.default_rng(17)
    theta = rng.normal(0, tau, size=(draws, 1, 2))
    runs = np.concatenate([np.zeros((draws, reps, 1)),
                           theta + rng.normal(0, sigma, size=(draws, reps, 2))], axis=2)
    split = variance_split(runs)
    assert split.replicates == reps and split.parameter.shape == (2,)
    # sd of a sample variance of m normal values with variance v: v sqrt(2 / (m - 1))
    within_sd = sigma**2 * math.sqrt(2 / (draws * (reps - 1)))
    between_sd = (tau**2 + sigma**2 / reps) * math.sqrt(2 / (draws - 1)) + within_sd / reps
    np.testing.assert_allclose(split.stochastic, sigma**2, atol=4 * within_sd)
    np.testing.assert_allclose(split.parameter, tau**2, atol=4 * between_sd)
    with pytest.raises(ValueError, match=r"n_replicates >= 2.*got \(5, 1, 2\)"):
        variance_split(np.zeros((5, 1, 2)))


def test_population_value_scales_per_1000_graduates_and_discounts():
    assert population_value(2.0, 50_000) == pytest.approx(100.0)
    assert population_value(2.0, 50_000, years=3, discount_rate=0.03) == pytest.approx(
        100.0 * (1 + 1 / 1.03 + 1 / 1.03**2))
    np.testing.assert_allclose(population_value(np.array([1.0, 2.0]), 1_000), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"years must be an int in the range \[1, inf\); got 0"):
        population_value(1.0, 1_000, years=0)
