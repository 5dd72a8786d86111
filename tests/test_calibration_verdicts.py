"""Met, consistent or missed on constructed intervals; edges, identification and the choice."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from simulation.calibration.posterior import (
    EVIDENCE_MARGIN,
    choose,
    edge_statements,
    identification,
)
from simulation.calibration.targets import Target, TargetSet
from simulation.calibration.verdicts import (
    CONSISTENT,
    MET,
    MISSED,
    check_table,
    counts,
    interval,
    meets,
    verdict,
)
from simulation.sensitivity.study import Factor

COMMON = dict(use="fit", range_why="why", population="who", year=2020, source="where")
LEVEL = Target(name="level", kind="level", outcome="employment_rate_6m", value=0.91, low=0.88,
               high=0.94, **COMMON)
ORDER = Target(name="order", kind="order", greater="employment_rate_6m_by_field_tech",
               lesser="employment_rate_6m_by_field_design", **COMMON)

LEVEL_CASES = {
    "inside": ((0.89, 0.93), MET),
    "touching the lower edge from inside": ((0.88, 0.90), MET),
    "touching the upper edge from inside": ((0.92, 0.94), MET),
    "the whole range": ((0.88, 0.94), MET),
    "straddling the upper edge": ((0.93, 0.96), CONSISTENT),
    "straddling the lower edge": ((0.86, 0.89), CONSISTENT),
    "wider than the range": ((0.85, 0.97), CONSISTENT),
    "touching the upper edge from outside": ((0.94, 0.97), CONSISTENT),
    "outside above": ((0.941, 0.97), MISSED),
    "outside below": ((0.80, 0.879), MISSED),
    "no interval": ((np.nan, np.nan), MISSED),
}
ORDER_CASES = {
    "above 0": ((0.002, 0.06), MET),
    "straddling 0": ((-0.004, 0.062), CONSISTENT),
    "starting at 0": ((0.0, 0.03), CONSISTENT),
    "ending at 0": ((-0.03, 0.0), MISSED),
    "below 0": ((-0.05, -0.01), MISSED),
}


@pytest.mark.parametrize("case", list(LEVEL_CASES), ids=list(LEVEL_CASES))
def test_a_level_target_is_met_only_when_its_interval_lies_within_the_range(case):
    (low, high), expected = LEVEL_CASES[case]
    assert verdict(LEVEL, low, high) == expected


@pytest.mark.parametrize("case", list(ORDER_CASES), ids=list(ORDER_CASES))
def test_an_order_target_is_met_only_when_its_interval_excludes_0_on_the_right(case):
    (low, high), expected = ORDER_CASES[case]
    assert verdict(ORDER, low, high) == expected


def test_single_values_meet_a_closed_range_and_an_open_order():
    assert list(meets(LEVEL, [0.88, 0.94, 0.8799, np.nan])) == [True, True, False, False]
    assert list(meets(ORDER, [0.001, 0.0, -0.1, np.nan])) == [True, False, False, False]


def test_the_interval_is_students_t_over_the_runs():
    mean, low, high = interval([1.0, 2.0, 3.0, np.nan])
    assert mean == 2.0 and high - mean == pytest.approx(4.302653 * 1.0 / np.sqrt(3), rel=1e-6)
    assert mean - low == pytest.approx(high - mean)
    assert np.isnan(interval([1.0])[1])


def test_the_check_table_judges_every_target_and_the_predictive_probability():
    targets = TargetSet("t", (LEVEL, ORDER), {})
    # the order's mean is above 0 but its interval straddles 0: consistent, not met
    runs = pd.DataFrame({"level": [0.90, 0.91, 0.92, 0.91],
                         "order": [0.05, -0.04, 0.06, -0.03]})
    predictive = pd.DataFrame({"level": [0.90, 0.95, 0.93, 0.80], "order": [0.1, -0.1, 0.2, 0.3]})
    table = check_table(targets, runs, predictive).set_index("target")
    assert table.loc["level", "verdict"] == MET and table.loc["level", "met"]
    assert table.loc["order", "mean"] > 0 and table.loc["order", "verdict"] == CONSISTENT
    assert not table.loc["order", "met"]
    assert table.loc["level", "p_meet"] == 0.5 and table.loc["order", "p_meet"] == 0.75
    assert counts(table.reset_index()) == {MET: 1, CONSISTENT: 1, MISSED: 0}


def _plan(*factors):
    return SimpleNamespace(factors=factors, names=[f.name for f in factors])


def _posterior(plan, units: dict[str, np.ndarray]) -> pd.DataFrame:
    frame = pd.DataFrame({f"u_{k}": v for k, v in units.items()})
    for f in plan.factors:
        frame[f.name] = f.value(frame[f"u_{f.name}"].to_numpy())
    return frame


def test_a_posterior_piled_against_a_bound_is_flagged_and_never_identified():
    rng = np.random.default_rng(0)
    plan = _plan(Factor("piled", 0.1, 0.3), Factor("central", 0.0, 1.0),
                 Factor("flat", 0.0, 1.0), Factor("touching", 0.0, 1.0),
                 Factor("rising", 0.0, 1.0), Factor("near", 0.0, 1.0))
    n = 4000
    touching = np.where(rng.random(n) < 0.1, 0.005, rng.uniform(0.2, 0.5, n))
    near = rng.normal(0.13, 0.08, 3 * n)
    posterior = _posterior(plan, {"piled": 1 - rng.triangular(0, 0, 0.25, n),  # rises to the top
                                  "central": rng.normal(0.5, 0.05, n),
                                  "flat": rng.random(n), "touching": touching,
                                  "rising": rng.random(n) ** (1 / 3),  # density 3u^2: 14% at the top
                                  "near": near[(near >= 0) & (near <= 1)][:n]})
    ident = identification(plan, posterior).set_index("parameter")
    piled = ident.loc["piled"]
    assert piled["edge"] == "upper" and piled["status"] == "against the upper bound"
    assert piled["sd_ratio"] < 0.5 and not piled["identified"]  # narrow only by truncation
    assert ident.loc["central", "identified"] and ident.loc["central", "edge"] == ""
    assert ident.loc["flat", "status"] == "not identified"
    # 10% of the mass at the bound: not piled, but its interval touches the bound
    assert ident.loc["touching", "edge"] == "" and ident.loc["touching", "width_ratio"] < 0.8
    assert ident.loc["touching", "status"] == "not identified"
    # under 15% at the top, but rising to it: the outer slice is the densest
    assert 0.10 < ident.loc["rising", "mass_high"] < 0.15 and ident.loc["rising", "edge"] == "upper"
    # concentrated near a bound with over 10% in the outer slice, its mode inside: not piled
    assert ident.loc["near", "mass_low"] > 0.10 and ident.loc["near", "edge"] == ""
    assert ident.loc["near", "identified"]
    words = edge_statements(ident.reset_index())
    assert len(words) == 2 and "want `piled` above its plausible range" in words[0]
    assert "model discrepancy" in words[0]


def test_the_choice_ranks_by_pooled_likelihood_then_the_posterior_centre():
    plan = _plan(Factor("a", 0.0, 1.0), Factor("b", 0.0, 10.0))
    rng = np.random.default_rng(1)
    posterior = _posterior(plan, {"a": rng.normal(0.5, 0.1, 2000).clip(0, 1),
                                  "b": rng.normal(0.3, 0.1, 2000).clip(0, 1)})
    u = np.array([[0.5, 0.3], [0.9, 0.9], [0.62, 0.31], [0.45, 0.28]])
    # the central point is far less likely; of the two within the margin of the best,
    # the nearer the posterior's centre wins, though the best is more likely still
    loglik = np.array([-5.0, 0.0, -0.1, -EVIDENCE_MARGIN + 0.05])
    confirmation = pd.DataFrame({"point": range(4), "u_a": u[:, 0], "u_b": u[:, 1],
                                 "a": u[:, 0], "b": 10 * u[:, 1], "distance": 0.0,
                                 "source": "posterior", "pooled_log_likelihood": loglik})
    chosen = choose(plan, confirmation, posterior)
    assert chosen["point"] == 3 and chosen["candidates"] == 3
    assert chosen["values"] == {"a": 0.45, "b": 2.8}
    # without a posterior, the most likely point
    assert choose(plan, confirmation, posterior.iloc[:0])["point"] == 1
