"""Efficient frontier: published worked examples, edge cases and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.evaluation.frontier import efficient_frontier


def options(names, costs, effects) -> pd.DataFrame:
    return pd.DataFrame({"option": names, "cost": costs, "effect": effects})


def by_option(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("option")


# Known answer 1.  Source: dampack (Alarid-Escudero F, Knowlton G, Easterly C, Enns EA and the
# DARTH workgroup), R package, vignette "Basic Cost Effectiveness Analysis", Example 2: mean costs
# and QALYs of 11 treatment strategies for Clostridioides difficile infection (from Rajasingham R,
# Enns EA, Khoruts A, Vaughn BP, Clinical Infectious Diseases 2020;70(5):754-762), passed to
# calculate_icers(); the vignette notes 5 of the 11 are dominated, one by extended dominance (s39,
# between s33 and s31).  The calculate_icers() table for these strategies, printed to 15 significant
# digits, ships as vignettes/cdiff_icers.csv in https://github.com/DARTH-git/dampack
# (commit 8aae73f8418bd10a894152c9f26a467b6dfa59b9); rendered vignette:
# https://cran.r-project.org/web/packages/dampack/vignettes/basic_cea.html .
# Rows: strategy, cost, effect (QALYs), ICER against the previous frontier strategy (NaN where the
# table prints NA), status (ND = frontier, ED = extendedly dominated, D = dominated).
CDIFF = [
    ("s3", 57336.0059896538, 12.9399639202408, math.nan, "ND"),
    ("s27", 57541.2526373815, 13.0140640696275, 2769.85470915263, "ND"),
    ("s33", 57642.2587507842, 13.0389116321918, 4065.03105249231, "ND"),
    ("s31", 57934.0743411241, 13.0966257932217, 5056.2216470406, "ND"),
    ("s43", 58072.1137208494, 13.11285766912, 8504.2160616553, "ND"),
    ("s44", 58665.7823044647, 13.1283328397025, 38362.6519947134, "ND"),
    ("s39", 57814.6470919581, 13.0462790163185, math.nan, "ED"),
    ("s4", 57887.481549326, 12.9970657153765, math.nan, "D"),
    ("s13", 58018.6252420203, 13.0650412387992, math.nan, "D"),
    ("s37", 58081.7947984323, 13.1029711156978, math.nan, "D"),
    ("s20", 58634.2026441398, 13.1100568867995, math.nan, "D"),
]
STATUS = {"ND": "frontier", "ED": "extendedly dominated", "D": "dominated"}


def test_reproduces_the_dampack_clostridioides_difficile_table():
    names, costs, effects, icers, statuses = zip(*CDIFF, strict=True)
    table = efficient_frontier(options(names, costs, effects))
    assert list(table["cost"]) == sorted(costs)
    got = by_option(table)
    for name, _, _, icer, status in CDIFF:
        assert got.loc[name, "status"] == STATUS[status], name
        if status == "ND" and not math.isnan(icer):
            # The source prints 15 significant digits, so the ICERs agree to about 1e-12.
            assert got.loc[name, "icer"] == pytest.approx(icer, rel=1e-9), name
    frontier = table[table["status"] == "frontier"]
    assert list(frontier["option"]) == ["s3", "s27", "s33", "s31", "s43", "s44"]
    assert list(frontier["compared_with"]) == ["", "s3", "s27", "s33", "s31", "s43"]
    # s39 is extendedly dominated: its ICER against s33 exceeds that of s31 against s39 ...
    assert got.loc["s39", "compared_with"] == "s33"
    assert got.loc["s39", "icer"] == pytest.approx((57814.6470919581 - 57642.2587507842)
                                                   / (13.0462790163185 - 13.0389116321918))
    assert got.loc["s39", "icer"] > (57934.0743411241 - 57814.6470919581) / (13.0966257932217
                                                                                - 13.0462790163185)
    # ... and each dominated strategy is beaten by a cheaper, more effective one.
    for name in ("s4", "s13", "s37", "s20"):
        rival = got.loc[got.loc[name, "dominated_by"]]
        assert rival["cost"] <= got.loc[name, "cost"] and rival["effect"] >= got.loc[name, "effect"]
    assert dict(got["dominated_by"][got["status"] == "dominated"]) == {
        "s4": "s39", "s13": "s31", "s37": "s43", "s20": "s43"}


# Known answer 2.  Source: the worked example of the US Department of Veterans Affairs Health
# Economics Resource Center (HERC), "Cost-Effectiveness Analysis",
# https://www.herc.research.va.gov/include/page.asp?id=cost-effectiveness-analysis , as encoded
# with its expected answer in dampack's test suite, tests/testthat/test_calculate_icers.R
# (https://github.com/DARTH-git/dampack, commit 2d6a64d3e16f562b02861ad81c55257addf3bf68):
# usual care UC ($5,000; 1 QALY), A ($12,000; 1.5), B ($10,000; 2), C ($25,000; 3), D ($35,000; 4),
# E ($55,000; 5).  Expected: A dominated (by B), C extendedly dominated, ICERs B 5,000, D 12,500,
# E 20,000.  By hand: B vs UC = 5000/1; C vs B = 15000/1 > D vs C = 10000/1, so C goes;
# D vs B = 25000/2 = 12500; E vs D = 20000/1.
def test_reproduces_the_herc_worked_example():
    table = efficient_frontier(options(["E", "D", "C", "B", "A", "UC"],
                                       [55000, 35000, 25000, 10000, 12000, 5000],
                                       [5, 4, 3, 2, 1.5, 1]))
    assert list(table["option"]) == ["UC", "B", "A", "C", "D", "E"]
    assert list(table["status"]) == ["frontier", "frontier", "dominated", "extendedly dominated",
                                     "frontier", "frontier"]
    got = by_option(table)
    assert got.loc["A", "dominated_by"] == "B"
    assert math.isnan(got.loc["UC", "icer"])
    assert [got.loc[k, "icer"] for k in ("B", "D", "E")] == [5000.0, 12500.0, 20000.0]
    assert [got.loc[k, "compared_with"] for k in ("UC", "B", "D", "E")] == ["", "UC", "B", "D"]
    assert got.loc["C", "compared_with"] == "B" and got.loc["C", "icer"] == 15000.0


def test_extended_dominance_is_repeated_until_icers_increase():
    # O (0, 0), A (10, 1), B (30, 2), C (35, 3), D (45, 5):
    # pass 1 ICERs A 10, B 20, C 5, D 5  -> B (20 > 5) goes;
    # pass 2 ICERs A 10, C 25/2 = 12.5, D 10/2 = 5  -> C (12.5 > 5) goes;
    # pass 3 ICERs A 10, D 35/4 = 8.75  -> A (10 > 8.75) goes;
    # pass 4 ICER  D 45/5 = 9: the frontier is O, D.
    table = by_option(efficient_frontier(options(list("OABCD"), [0, 10, 30, 35, 45], [0, 1, 2, 3, 5])))
    assert list(table["status"]) == ["frontier"] + ["extendedly dominated"] * 3 + ["frontier"]
    assert table.loc["D", "compared_with"] == "O"
    assert table.loc["D", "icer"] == pytest.approx(9.0)
    assert list(table.loc[["A", "B", "C"], "compared_with"]) == ["O", "O", "O"]


def test_single_option_is_the_frontier():
    table = efficient_frontier(options(["only"], [3.0], [-1.0]))
    row = table.iloc[0]
    assert (row["status"], row["compared_with"], row["dominated_by"]) == ("frontier", "", "")
    assert math.isnan(row["icer"])


def test_equal_costs_keep_the_more_effective_and_the_first_of_duplicates():
    table = efficient_frontier(options(["low", "twin_b", "high", "twin_a"], [5, 9, 5, 9], [1, 4, 2, 4]))
    assert list(table["option"]) == ["high", "low", "twin_b", "twin_a"]
    got = by_option(table)
    assert got.loc["low", "status"] == "dominated" and got.loc["low", "dominated_by"] == "high"
    assert got.loc["twin_b", "status"] == "frontier"
    assert got.loc["twin_b", "icer"] == pytest.approx(2.0)  # (9 - 5) / (4 - 2)
    assert got.loc["twin_a", "status"] == "dominated" and got.loc["twin_a", "dominated_by"] == "twin_b"


def test_equal_effect_at_higher_cost_is_dominated():
    got = by_option(efficient_frontier(options(["cheap", "dear"], [1, 2], [3, 3])))
    assert got.loc["dear", "status"] == "dominated" and got.loc["dear", "dominated_by"] == "cheap"


def test_all_dominated_but_one():
    table = efficient_frontier(options(list("abcd"), [1, 2, 3, 4], [10, 9, 8, 10]))
    assert list(table["status"]) == ["frontier", "dominated", "dominated", "dominated"]
    assert set(table["dominated_by"][1:]) == {"a"}
    assert table["icer"].isna().all() and set(table["compared_with"]) == {""}


def test_collinear_options_stay_on_the_frontier_with_equal_icers():
    table = efficient_frontier(options(list("xyz"), [0, 1, 2], [0, 1, 2]))
    assert list(table["status"]) == ["frontier"] * 3
    assert list(table["icer"][1:]) == [1.0, 1.0]


def test_negative_incremental_values_work_like_any_others():
    # ref vs saves: 100 / 0.5 = 200 > more vs ref: 50 / 0.5 = 100, so ref is extendedly
    # dominated and more is compared with saves: 150 / 1 = 150.
    got = by_option(efficient_frontier(options(["saves", "ref", "more"], [-100, 0, 50], [-0.5, 0, 0.5])))
    assert list(got["status"]) == ["frontier", "extendedly dominated", "frontier"]
    assert (got.loc["more", "compared_with"], got.loc["more", "icer"]) == ("saves", 150.0)


def test_output_columns_and_empty_input():
    empty = efficient_frontier(options([], [], []))
    assert list(empty.columns) == ["option", "cost", "effect", "status", "compared_with", "icer",
                                   "dominated_by"]
    assert empty.empty


@pytest.mark.parametrize("bad, match", [
    (pd.DataFrame({"option": ["a"], "cost": [1.0]}), "column"),
    (options(["a", "b"], [1.0, math.nan], [1.0, 2.0]), "finite"),
    (options(["a", "a"], [1.0, 2.0], [1.0, 2.0]), "unique"),
])
def test_bad_input_is_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        efficient_frontier(bad)


def random_options(seed: int, size: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return options([f"o{i}" for i in range(size)], rng.uniform(0, 1000, size), rng.uniform(-5, 5, size))


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 15))
def test_frontier_icers_strictly_increase_and_frontier_options_are_undominated(seed, size):
    table = efficient_frontier(random_options(seed, size))
    frontier = table[table["status"] == "frontier"]
    assert len(frontier) >= 1
    assert np.all(np.diff(frontier["icer"].to_numpy()[1:]) > 0)
    assert np.all(np.diff(frontier["cost"].to_numpy()) > 0)
    assert np.all(np.diff(frontier["effect"].to_numpy()) > 0)
    for row in frontier.itertuples():
        rivals = table[table["option"] != row.option]
        beaten = (rivals["cost"] <= row.cost) & (rivals["effect"] >= row.effect)
        assert not beaten.any(), row.option


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 15), pick=st.integers(0, 14),
       extra_cost=st.floats(0, 50), lost_effect=st.floats(0.01, 2))
def test_adding_a_strongly_dominated_option_changes_nothing_else(seed, size, pick, extra_cost, lost_effect):
    base = random_options(seed, size)
    victim = base.iloc[pick % size]
    added = pd.concat([base, options(["added"], [victim["cost"] + extra_cost],
                                     [victim["effect"] - lost_effect])], ignore_index=True)
    before = efficient_frontier(base)
    after = efficient_frontier(added)
    assert after.set_index("option").loc["added", "status"] == "dominated"
    pd.testing.assert_frame_equal(after[after["option"] != "added"].reset_index(drop=True), before)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 15), wtp=st.floats(0, 5000))
def test_the_best_net_benefit_at_any_willingness_to_pay_is_on_the_frontier(seed, size, wtp):
    table = efficient_frontier(random_options(seed, size))
    net_benefit = wtp * table["effect"] - table["cost"]
    assert table.loc[net_benefit.idxmax(), "status"] == "frontier"
    frontier = table[table["status"] == "frontier"]
    # The frontier option chosen at this willingness to pay is the last one whose ICER is below it.
    chosen = frontier[~(frontier["icer"] > wtp)].iloc[-1]
    assert wtp * chosen["effect"] - chosen["cost"] == pytest.approx(net_benefit.max())
