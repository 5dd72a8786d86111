"""History matching recovers known parameters of a toy model from its own outputs."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.calibration.history_matching import (
    Observation,
    history_match,
    implausibility,
    log_likelihood,
    plausible,
    sample_plausible,
)

TRUTH = np.array([0.3, 0.6, 0.7])


def toy(x: np.ndarray) -> np.ndarray:
    return np.column_stack([x[:, 0] + 0.5 * x[:, 1], x[:, 0] - x[:, 1],
                            x[:, 2] ** 2 + 0.1 * x[:, 0]])


def test_history_matching_keeps_the_truth_and_narrows_around_it():
    values = toy(TRUTH[None, :])[0]
    observations = [Observation.from_range(v, v - 0.04, v + 0.04) for v in values]
    waves = history_match(toy, observations, dims=3, waves=3, runs_per_wave=40, seed=3)
    assert len(waves) == 3
    shares = [w.kept_share for w in waves]
    assert shares == sorted(shares, reverse=True) and shares[-1] < 0.01
    assert plausible(waves, observations, TRUTH[None, :])[0]
    points = sample_plausible(waves, observations, 200, 3, np.random.default_rng(1))
    assert len(points) >= 50
    # within the method's uncertainty: the kept points' spread covers the truth
    low, high = np.percentile(points, [1, 99], axis=0)
    assert np.all((low <= TRUTH) & (TRUTH <= high))
    assert np.all(np.abs(points.mean(axis=0) - TRUTH) < 0.05)


def test_a_point_far_from_the_targets_is_implausible():
    values = toy(TRUTH[None, :])[0]
    observations = [Observation.from_range(v, v - 0.04, v + 0.04) for v in values]
    waves = history_match(toy, observations, dims=3, waves=1, runs_per_wave=40, seed=3)
    far = np.array([[0.9, 0.1, 0.1]])
    assert implausibility(waves[0].emulators, observations, far)[0] > 3
    assert implausibility(waves[0].emulators, observations, TRUTH[None, :])[0] < 3


# A model with a known structural error: it says y = a * x, the world is y = a * x + b.
X = np.array([0.25, 0.5, 1.0])
A, B = 0.5, 0.1
WORLD = A * X + B
BEST = float(X @ WORLD / (X @ X))  # the least-squares a of the wrong model: 0.633


def without_intercept(u: np.ndarray) -> np.ndarray:
    return u[:, :1] * X[None, :]


def _observe(discrepancy: float) -> list[Observation]:
    return [Observation.from_range(z, z - 0.02, z + 0.02, var_disc=discrepancy**2) for z in WORLD]


def test_without_a_discrepancy_a_structural_error_rules_out_every_value():
    observations = _observe(0.0)
    waves = history_match(without_intercept, observations, dims=1, waves=3, runs_per_wave=12,
                          seed=5)
    grid = np.linspace(0, 1, 1001)[:, None]
    assert waves[-1].kept_share == 0.0 and not plausible(waves, observations, grid).any()


def test_a_discrepancy_as_large_as_the_error_keeps_the_best_fitting_value_and_the_truth():
    observations = _observe(B)
    waves = history_match(without_intercept, observations, dims=1, waves=3, runs_per_wave=12,
                          seed=5)
    grid = np.linspace(0, 1, 1001)[:, None]
    kept = grid[plausible(waves, observations, grid), 0]
    assert waves[-1].kept_share > 0.3  # wider than nothing, and than the error's own share
    assert kept.min() <= min(BEST, A) and max(BEST, A) <= kept.max()
    # the likelihood, centred on the ranges with the discrepancy's tails, peaks at the best fit
    loglik = log_likelihood(waves[-1].emulators, observations, kept[:, None])
    assert abs(kept[np.argmax(loglik)] - BEST) < 0.02


def test_the_likelihood_is_flat_inside_the_range_with_the_discrepancys_tails_outside():
    from scipy.stats import norm

    obs = Observation.from_range(0.5, 0.4, 0.6, var_disc=0.01**2)
    tiny = np.full(5, 1e-12)
    loglik = obs.log_likelihood(np.array([0.45, 0.5, 0.55, 0.62, 0.35]), tiny)
    assert np.allclose(loglik[:3], 0.0, atol=1e-3)  # the point value 0.5 is not favoured
    assert loglik[3] == pytest.approx(norm.logcdf(-2.0), abs=1e-3)  # 2 sd above the range
    assert loglik[4] == pytest.approx(norm.logcdf(-5.0), abs=1e-3)
    # an order pattern (> 0) with a discrepancy: the probability the difference is above 0
    order = Observation(0.0, 0.0, lower_bound=True, var_disc=0.02**2)
    assert order.log_likelihood(np.array([-0.02]), tiny[:1])[0] == pytest.approx(
        norm.logcdf(-1.0), abs=1e-6)
    # and the discrepancy widens the implausibility's denominator
    assert obs.score(np.array([0.3]), tiny[:1])[0] == pytest.approx(
        0.2 / np.sqrt(0.05**2 + 0.01**2))
