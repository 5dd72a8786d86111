import math

import pandas as pd
import pytest

from simulation.cost_effectiveness import cost_table, format_cost_table


def frame(rows):
    return pd.DataFrame(rows, columns=["scenario", "replicate", "government_spending",
                                       "employed_graduates"])


def test_constant_paired_gain_gives_exact_cost_and_a_degenerate_interval():
    rows = []
    for r in range(5):
        rows.append(("base", r, 50.0 * r, 1000.0 + r))
        rows.append(("fund", r, 50.0 * r + 400.0, 1000.0 + r + 8.0))
    table = cost_table(frame(rows), "base").set_index("scenario")
    assert table.loc["fund", "pairs"] == 5
    assert table.loc["fund", "extra_spending"] == pytest.approx(400.0)
    assert table.loc["fund", "extra_employed"] == pytest.approx(8.0)
    assert table.loc["fund", "cost_per_extra_employed"] == pytest.approx(50.0)
    assert table.loc["fund", "ci_low"] == pytest.approx(50.0)
    assert table.loc["fund", "ci_high"] == pytest.approx(50.0)


def test_no_extra_employment_is_infinite_cost_and_pairs_follow_replicates():
    rows = [("base", r, 0.0, 500.0) for r in range(4)]
    rows += [("costly", r, 100.0, 500.0 - 1.0) for r in range(3)]  # replicate 3 missing
    table = cost_table(frame(rows), "base").set_index("scenario")
    assert table.loc["costly", "pairs"] == 3
    assert math.isinf(table.loc["costly", "cost_per_extra_employed"])
    text = format_cost_table(table.reset_index(), "base")
    assert "| costly | 3 | 100 | -1 | inf |" in text


def test_noisy_pairs_interval_brackets_the_estimate_and_is_reproducible():
    rows = []
    for r, gain in enumerate([5.0, 12.0, 7.0, 9.0, 15.0, 6.0]):
        rows.append(("base", r, 0.0, 100.0))
        rows.append(("p", r, 300.0, 100.0 + gain))
    a = cost_table(frame(rows), "base")
    b = cost_table(frame(rows), "base")
    pd.testing.assert_frame_equal(a, b)
    row = a.iloc[0]
    assert row["ci_low"] < row["cost_per_extra_employed"] < row["ci_high"]
    assert row["cost_per_extra_employed"] == pytest.approx(300.0 / 9.0)


def test_missing_outcomes_or_reference_give_an_empty_table():
    only = pd.DataFrame({"scenario": ["a"], "replicate": [0], "government_spending": [1.0]})
    assert cost_table(only, "a").empty
    assert format_cost_table(cost_table(only, "a"), "a") == ""
    rows = [("a", 0, 1.0, 2.0)]
    assert cost_table(frame(rows), "missing").empty
