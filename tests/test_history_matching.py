"""History matching recovers known parameters of a toy model from its own outputs."""

from __future__ import annotations

import numpy as np

from simulation.calibration.history_matching import (
    Observation,
    history_match,
    implausibility,
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
