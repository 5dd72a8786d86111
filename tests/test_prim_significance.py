"""PRIM's box p-value holds its level: a permutation test of the whole search (issue 21, item 7).

The noise rate can be measured at more data sets than the slow test uses::

    nice .venv/bin/python tests/test_prim_significance.py DATASETS PERMUTATIONS
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from simulation.discovery import boxes, permutation, prim

POINTS, FACTORS = 300, 8  # the shipped study's size (scenarios/discovery/*.toml)


def noise(share: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A Latin hypercube of the shipped size and cases that ignore it, ``share`` of the points."""
    from scipy.stats import qmc

    x = qmc.LatinHypercube(d=FACTORS, rng=rng).random(POINTS)
    y = np.zeros(POINTS, dtype=bool)
    y[: round(share * POINTS)] = True
    return x, rng.permutation(y)


def noise_rate(share: float, datasets: int, permutations: int, seed: int) -> float:
    """Share of pure-noise data sets in which the covering search reports a box."""
    rng = np.random.default_rng(seed)
    hits = 0
    for k in range(datasets):
        x, y = noise(share, rng)
        hits += bool(boxes.find(x, y, boxes=2, permutations=permutations, resamples=0, seed=k))
    return hits / datasets


def signal(seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """The shipped size with the cases exactly the points in a box of factors 0 and 1."""
    x = np.random.default_rng(seed).random((POINTS, FACTORS))
    return x, (x[:, 0] >= 0.2) & (x[:, 0] <= 0.6) & (x[:, 1] >= 0.5)


DATASETS = 300
"""Pure-noise data sets per case share in the slow test."""


@pytest.mark.slow
@pytest.mark.parametrize("share", [0.3, 0.5])
def test_on_pure_noise_a_box_is_reported_at_most_at_the_nominal_level(share):
    # The level holds for any number of permutations (the observed search is one of
    # permutations + 1 exchangeable ones); 19, the fewest that can reach 0.05, keeps
    # 300 data sets affordable. Tolerance: three binomial standard errors at 5%.
    rate = noise_rate(share, DATASETS, permutations=19, seed=2100 + round(100 * share))
    assert rate <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / DATASETS)


def test_a_real_box_is_found_with_a_small_permutation_p_value():
    x, y = signal()
    found = boxes.find(x, y, boxes=2, resamples=0, seed=4)
    assert len(found) >= 1
    first = found[0]
    assert first.p_value < 0.05 and first.p_value == 1 / 200  # no shuffle's search did as well
    assert first.test.permutations == 199 and first.test.null.max() < first.test.score
    assert {0, 1} <= set(first.box.restricted)
    assert abs(first.box.low[0] - 0.2) <= 0.05 and abs(first.box.high[0] - 0.6) <= 0.05
    assert abs(first.box.low[1] - 0.5) <= 0.05
    assert first.density > 0.9 and first.coverage > 0.9


def test_the_permutation_test_is_deterministic_in_its_seed():
    x, y = signal()
    _, box = prim.find_box(x, np.where(np.arange(POINTS) % 3 == 0, ~y, y))  # a noisier case
    again = [permutation.box_test(x, np.where(np.arange(POINTS) % 3 == 0, ~y, y), box,
                                  np.random.default_rng([7, 1]), permutations=29)
             for _ in range(2)]
    assert again[0].p_value == again[1].p_value
    assert np.array_equal(again[0].null, again[1].null)
    rng = np.random.default_rng(12)
    x, y = noise(0.5, rng)
    a = boxes.find(x, y, boxes=2, permutations=39, resamples=0, seed=3)
    b = boxes.find(x, y, boxes=2, permutations=39, resamples=0, seed=3)
    assert [f.p_value for f in a] == [f.p_value for f in b]


def test_the_p_value_counts_shuffled_searches_that_do_at_least_as_well():
    x, y = signal()
    _, box = prim.find_box(x, y)
    test = permutation.box_test(x, y, box, np.random.default_rng(0), permutations=19)
    assert test.score == prim.score(box)
    assert test.p_value == (1 + np.sum(test.null >= test.score)) / 20
    # a box no better than the whole space is matched by every shuffled search
    whole = prim.peel(x, y)[0]
    assert permutation.box_test(x, y, whole, np.random.default_rng(0),
                                permutations=19).p_value == 1.0


def test_the_stop_rule_reads_the_permutation_p_value_on_the_points_left(monkeypatch):
    rng = np.random.default_rng(5)
    x = rng.random((2000, 4))
    y = ((x[:, 0] <= 0.4) & (x[:, 1] <= 0.6)) | ((x[:, 0] >= 0.8) & (x[:, 2] >= 0.75))
    seen = []

    def stub(p):
        def box_test(xs, ys, box, generator, **settings):
            seen.append((len(ys), settings["permutations"]))
            return permutation.Permutation(p, prim.score(box), np.zeros(settings["permutations"]))
        return box_test

    # the level itself is significant; just above it ends the search, however clear the box
    monkeypatch.setattr(permutation, "box_test", stub(0.05))
    found = boxes.find(x, y, boxes=2, level=0.05, permutations=19, resamples=0)
    assert len(found) == 2 and [f.p_value for f in found] == [0.05, 0.05]
    # box 2's test shuffles only the points left outside box 1
    assert seen == [(2000, 19), (2000 - int(found[0].inside.sum()), 19)]
    monkeypatch.setattr(permutation, "box_test", stub(0.0501))
    assert boxes.find(x, y, boxes=2, level=0.05, permutations=19, resamples=0) == []


def test_quasi_p_values_are_reported_as_such():
    x, y = signal()
    found = boxes.find(x, y, boxes=1, resamples=0, seed=4)
    table = boxes.table(found, [f"f{j}" for j in range(FACTORS)], np.zeros(FACTORS),
                        np.ones(FACTORS))
    assert list(table.columns) == boxes.COLUMNS
    assert "quasi_p_value" in table and "p_value" not in table
    assert (table["permutation_p_value"] == found[0].p_value).all()
    assert (table["permutations"] == 199).all()
    text = boxes.markdown(table, float(y.mean()))
    assert "quasi-p-value" in text and "p-value 0.005, the smallest possible" in text
    assert "test nothing" in text


def quasi_rate(share: float, datasets: int, seed: int) -> float:
    """Share of the same data sets whose searched box has a quasi-p-value below 0.05."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(datasets):
        x, y = noise(share, rng)
        _, box = prim.find_box(x, y)
        hits += any(p < 0.05 for p in prim.quasi_p_values(box, x, y).values())
    return hits / datasets


if __name__ == "__main__":  # the measurement behind docs/discovery.md (0 permutations: quasi only)
    datasets = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    permutations = int(sys.argv[2]) if len(sys.argv) > 2 else 199
    se = np.sqrt(0.05 * 0.95 / datasets)
    for share in (0.3, 0.5, 0.64):
        seed = 2100 + round(100 * share)
        line = (f"case share {share:.2f}, {datasets} pure-noise data sets: a quasi-p-value "
                f"below 0.05 in {quasi_rate(share, datasets, seed):.3f}")
        if permutations:
            line += (f"; a box (permutation p <= 0.05, {permutations} permutations) in "
                     f"{noise_rate(share, datasets, permutations, seed):.3f} "
                     f"(0.05 + 3 se = {0.05 + 3 * se:.3f})")
        print(line, flush=True)
