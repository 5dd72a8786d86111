"""Fieller's interval for a ratio of paired means: bootstrap agreement, analytic roots, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simulation.evaluation.fieller import FiellerResult, describe, fieller_interval


def correlated_pairs(seed: int, n: int, cost_mean: float, cost_sd: float, effect_mean: float,
                     effect_sd: float, rho: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cov = rho * cost_sd * effect_sd
    draws = rng.multivariate_normal([cost_mean, effect_mean],
                                    [[cost_sd**2, cov], [cov, effect_sd**2]], size=n)
    return draws[:, 0], draws[:, 1]


def orthogonal_pairs(cost_mean: float, cost_se: float, effect_mean: float,
                     effect_se: float) -> tuple[np.ndarray, np.ndarray]:
    """8 pairs with the given means and standard errors of the means and zero sample covariance.

    Deviations are two orthogonal +-1 columns: u = k (1,1,1,1,-1,-1,-1,-1) and
    w = h (1,1,-1,-1,1,1,-1,-1).  Each has sample variance 8 k^2 / 7, so the squared standard
    error of its mean is k^2 / 7; k = se sqrt(7) gives the wanted standard error.
    """
    u = np.array([1, 1, 1, 1, -1, -1, -1, -1], dtype=float)
    w = np.array([1, 1, -1, -1, 1, 1, -1, -1], dtype=float)
    return cost_mean + cost_se * math.sqrt(7) * u, effect_mean + effect_se * math.sqrt(7) * w


def test_agrees_with_a_large_percentile_bootstrap_when_the_effect_is_clearly_positive():
    dc, de = correlated_pairs(20240601, 200, 1000.0, 200.0, 10.0, 2.0, 0.3)
    result = fieller_interval(dc, de)
    assert result.kind == "bounded"
    assert result.ratio == pytest.approx(dc.mean() / de.mean())
    rng = np.random.default_rng(7)
    resamples = rng.integers(0, len(dc), size=(20_000, len(dc)))
    boot = dc[resamples].mean(axis=1) / de[resamples].mean(axis=1)
    low, high = np.quantile(boot, [0.025, 0.975])
    # Tolerance 0.5% of the ratio at each end (the interval's half-width is about 3.3%).  Expected
    # differences are far smaller: the Monte Carlo error of a 2.5% percentile from 20,000 resamples
    # is about 0.03% of the ratio; Fieller's t quantile (1.972 on 199 df) against the bootstrap's
    # normal-like tails and the bootstrap's plug-in variance (divisor n, not n - 1) shift the ends by
    # under 1% of the half-width (0.03% of the ratio); the ratio's skewness at a coefficient of
    # variation of the mean effect of 1.4% adds little more.  Over 30 seeds the largest gap was 0.1%.
    assert low == pytest.approx(result.low, abs=0.005 * result.ratio)
    assert high == pytest.approx(result.high, abs=0.005 * result.ratio)
    assert result.low < result.ratio < result.high


def test_zero_covariance_bounds_are_the_roots_of_the_quadratic():
    dc, de = orthogonal_pairs(100.0, 20.0, 5.0, 1.0)
    assert np.cov(dc, de)[0, 1] == pytest.approx(0.0, abs=1e-9)
    result = fieller_interval(dc, de, level=0.95)
    # With means mc = 100, me = 5, standard errors sc = 20, se = 1, no covariance and
    # t = t(0.975; 7 df) = 2.3646 (t^2 = 5.5914), the set {R : (mc - R me)^2 <= t^2 (sc^2 + R^2 se^2)}
    # has ends at the roots of (me^2 - t^2 se^2) R^2 - 2 mc me R + (mc^2 - t^2 sc^2) = 0, i.e.
    # 19.4086 R^2 - 1000 R + 7763.42 = 0, so R = [1000 -+ sqrt(1000^2 - 4 * 19.4086 * 7763.42)] / 38.817
    # = (1000 -+ 630.31) / 38.817 = 9.524 and 41.9998.
    t = stats.t.ppf(0.975, 7)
    assert t == pytest.approx(2.3646, abs=1e-4)
    a, b, c = 5.0**2 - t**2 * 1.0**2, -2 * 100.0 * 5.0, 100.0**2 - t**2 * 20.0**2
    low = (-b - math.sqrt(b * b - 4 * a * c)) / (2 * a)
    high = (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    assert (low, high) == pytest.approx((9.5238, 41.9998), abs=1e-4)  # the hand arithmetic above
    assert result.kind == "bounded"
    assert result.ratio == pytest.approx(20.0)
    assert result.low == pytest.approx(low, rel=1e-12)
    assert result.high == pytest.approx(high, rel=1e-12)
    assert sorted(np.roots([a, b, c])) == pytest.approx([low, high], rel=1e-12)


def test_exclusive_when_the_effect_is_not_significant_but_the_cost_is():
    dc, de = orthogonal_pairs(1000.0, 50.0, 0.5, 1.0)  # effect t = 0.5 < 2.36; cost t = 20
    result = fieller_interval(dc, de)
    assert result.kind == "exclusive"
    assert math.isfinite(result.low) and math.isfinite(result.high) and result.low < result.high
    # The point estimate, 2000, lies in the upper ray; everything in (low, high), e.g. 0, is excluded.
    assert result.ratio == pytest.approx(2000.0) and result.ratio >= result.high
    assert result.low < 0.0 < result.high


def test_unbounded_when_neither_mean_is_distinguishable_from_zero():
    dc, de = orthogonal_pairs(10.0, 50.0, 0.5, 1.0)
    result = fieller_interval(dc, de)
    assert result.kind == "unbounded"
    assert (result.low, result.high) == (-math.inf, math.inf)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 60), effect_mean=st.floats(-1.0, 1.0),
       cost_mean=st.floats(-500, 500), rho=st.floats(-0.9, 0.9))
def test_bounded_exactly_when_the_effect_interval_excludes_zero(seed, n, effect_mean, cost_mean, rho):
    dc, de = correlated_pairs(seed, n, cost_mean, 200.0, effect_mean, 2.0, rho)
    result = fieller_interval(dc, de)
    t_effect = abs(de.mean()) / (de.std(ddof=1) / math.sqrt(n))
    straddles = t_effect < stats.t.ppf(0.975, n - 1)
    if straddles:
        assert result.kind in ("unbounded", "exclusive")
    else:
        assert result.kind == "bounded"
        assert result.low <= result.ratio <= result.high


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 40), effect_mean=st.floats(-3.0, 3.0),
       rho=st.floats(-0.9, 0.9), level=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_negating_both_differences_leaves_the_ratio_and_set_unchanged(seed, n, effect_mean, rho, level):
    dc, de = correlated_pairs(seed, n, 300.0, 200.0, effect_mean, 2.0, rho)
    plain = fieller_interval(dc, de, level)
    flipped = fieller_interval(-dc, -de, level)
    assert flipped.kind == plain.kind
    assert [flipped.ratio, flipped.low, flipped.high] == pytest.approx([plain.ratio, plain.low, plain.high],
                                                                        rel=1e-12)


def test_coverage_is_close_to_the_nominal_level():
    true_ratio, hits, runs = 1000.0 / 10.0, 0, 1000
    rng = np.random.default_rng(11)
    for _ in range(runs):
        draws = rng.multivariate_normal([1000.0, 10.0], [[200.0**2, 120.0], [120.0, 4.0]], size=30)
        result = fieller_interval(draws[:, 0], draws[:, 1])
        hits += result.kind == "bounded" and result.low <= true_ratio <= result.high
    # Binomial standard error at 95% over 1000 runs is 0.7 points; allow 3 of them.
    assert abs(hits / runs - 0.95) < 0.021


def test_fewer_than_two_pairs_cannot_be_estimated():
    one = fieller_interval(np.array([50.0]), np.array([2.0]))
    assert one.kind == "unbounded" and one.ratio == 25.0
    assert math.isnan(one.low) and math.isnan(one.high)
    none = fieller_interval(np.array([]), np.array([]))
    assert none.kind == "unbounded" and math.isnan(none.ratio) and math.isnan(none.low)
    assert describe(none) == "not estimable (fewer than 2 pairs)"


def test_zero_variance_gives_a_point_interval_or_unbounded_when_the_effect_is_zero():
    point = fieller_interval(np.full(5, 30.0), np.full(5, 3.0))
    assert point.kind == "bounded"
    assert (point.ratio, point.low, point.high) == pytest.approx((10.0, 10.0, 10.0))
    flat = fieller_interval(np.full(5, 30.0), np.zeros(5))
    assert flat.kind == "unbounded" and math.isnan(flat.ratio)


def test_zero_mean_effect_gives_a_nan_ratio():
    result = fieller_interval(np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.0, 1.0]))
    assert math.isnan(result.ratio) and result.kind in ("unbounded", "exclusive")


def test_wider_level_gives_a_wider_interval():
    dc, de = correlated_pairs(3, 50, 1000.0, 200.0, 10.0, 2.0, 0.3)
    narrow, wide = fieller_interval(dc, de, 0.8), fieller_interval(dc, de, 0.99)
    assert wide.low < narrow.low < narrow.ratio < narrow.high < wide.high


@pytest.mark.parametrize("dc, de, level, match", [
    (np.ones(3), np.ones(4), 0.95, "equal length"),
    (np.ones((2, 2)), np.ones((2, 2)), 0.95, "1-D"),
    (np.array([1.0, math.inf]), np.ones(2), 0.95, "finite"),
    (np.ones(3), np.ones(3), 1.0, "level"),
    (np.ones(3), np.ones(3), 0.0, "level"),
])
def test_bad_input_is_refused(dc, de, level, match):
    with pytest.raises(ValueError, match=match):
        fieller_interval(dc, de, level)


def test_describe_never_prints_inf():
    bounded = FiellerResult(230.0, 123.4, 338.9, "bounded")
    exclusive = FiellerResult(2000.0, -51.2, 912.0, "exclusive")
    unbounded = FiellerResult(5.0, -math.inf, math.inf, "unbounded")
    assert describe(bounded) == "[123, 339]"
    assert bounded.describe(unit="kCNY") == "[123, 339] kCNY"
    assert describe(bounded, digits=2) == "[120, 340]"
    assert describe(exclusive) == "below -51.2 or above 912"
    assert describe(unbounded) == "unbounded (effect not distinguishable from 0)"
    assert describe(FiellerResult(1.0, 0.0123, 12345.0, "bounded")) == "[0.0123, 12,300]"
    for result in (bounded, exclusive, unbounded, fieller_interval(np.ones(1), np.ones(1))):
        assert "inf" not in describe(result, unit="kCNY")
