"""PRIM recovers a known box and restricts nothing else (issue 14)."""

from __future__ import annotations

import numpy as np

from simulation.discovery import prim

TRUE_LOW, TRUE_HIGH = {0: 0.2, 1: 0.5}, {0: 0.6, 1: 1.0}


def sample(n=3000, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 5))
    y = (x[:, 0] >= 0.2) & (x[:, 0] <= 0.6) & (x[:, 1] >= 0.5)
    return x, y


def test_prim_recovers_a_box_in_two_of_five_dimensions_and_no_other():
    x, y = sample()
    trajectory = prim.peel(x, y)
    box = prim.paste(prim.choose(trajectory), x, y)
    assert set(box.restricted) <= {0, 1} and 0 in box.restricted and 1 in box.restricted
    assert abs(box.low[0] - 0.2) <= 0.05 and abs(box.high[0] - 0.6) <= 0.05
    assert abs(box.low[1] - 0.5) <= 0.05 and (box.high[1] == np.inf or box.high[1] >= 0.95)
    assert box.density > 0.95 and box.coverage > 0.9


def test_the_trajectory_trades_coverage_for_density():
    x, y = sample()
    trajectory = prim.peel(x, y)
    assert trajectory[0].coverage == 1.0 and trajectory[0].mass == 1.0
    assert trajectory[-1].mass >= 0.05
    mass = [b.mass for b in trajectory]
    assert all(a > b for a, b in zip(mass, mass[1:], strict=False))
    assert trajectory[-1].density > trajectory[0].density


def test_restricted_dimensions_are_significant_and_the_box_is_stable():
    x, y = sample()
    box = prim.paste(prim.choose(prim.peel(x, y)), x, y)
    p = prim.quasi_p_values(box, x, y)
    assert set(p) == set(box.restricted) and all(v < 1e-6 for v in p.values())
    overlaps, restricted = prim.stability(x, y, box, resamples=8, seed=3)
    assert overlaps.mean() > 0.8
    assert restricted[0] == restricted[1] == 1.0 and restricted[2:].max() <= 0.25


def test_cart_finds_the_same_box_as_a_leaf():
    from simulation.discovery import cart

    x, y = sample()
    tree = cart.fit(x, y, [f"x{i}" for i in range(5)])
    best = max(cart.leaves(tree, 5), key=lambda leaf: leaf["density"])
    assert best["density"] > 0.95 and best["mass"] > 0.15
    assert abs(best["low"][0] - 0.2) <= 0.05 and abs(best["high"][0] - 0.6) <= 0.05
    assert abs(best["low"][1] - 0.5) <= 0.05 and best["high"][1] == np.inf
    assert np.all(np.isinf(best["low"][2:])) and np.all(np.isinf(best["high"][2:]))
    assert "x0" in cart.describe(tree)


def test_pruning_lifts_a_restriction_that_does_not_matter_and_keeps_those_that_do():
    x, y = sample()
    low, high = np.full(5, -np.inf), np.full(5, np.inf)
    low[0], high[0], low[1] = 0.2, 0.6, 0.5
    low[3], high[3] = 0.05, 0.9  # a slice of an inert factor, as a peel might leave
    pruned = prim.prune(prim.Box(low, high), x, y)
    assert pruned.restricted == (0, 1)
    assert pruned.low[0] == 0.2 and pruned.high[0] == 0.6 and pruned.low[1] == 0.5
    _, box = prim.find_box(x, y)  # the whole procedure keeps the true box
    assert box.restricted == (0, 1)
