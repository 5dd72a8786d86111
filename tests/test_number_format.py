"""The number-format policy at its boundaries: zero, negative zero, tiny and huge values, NaN, infinity."""

from __future__ import annotations

import math

import pytest

from simulation import number_format as nf
from simulation.evaluation.fieller import FiellerResult, describe


@pytest.mark.parametrize(("x", "text"), [
    (0.0, "0"), (-0.0, "0"), (0, "0"),
    (1.0, "1.00"), (98.2, "98.2"), (-51.23, "-51.2"), (0.4, "0.400"),
    (0.000123456, "0.000123"), (1e-6, "0.00000100"),  # the smallest positional magnitude
    (9.99e-7, "9.99e-07"), (-5.773e-7, "-5.77e-07"),  # below it: scientific
    (999.5, "1,000"), (2407.3, "2,410"), (12345.0, "12,300"), (-29626.0, "-29,600"),
    (1.5e12, "1,500,000,000,000"), (9.99e14, "999,000,000,000,000"),
    (1e15, "1.00e+15"), (-3.2e20, "-3.20e+20"),
])
def test_number_has_three_significant_figures_and_no_everyday_scientific_notation(x, text):
    assert nf.number(x) == text


def test_missing_and_infinite_values_are_words():
    assert nf.number(math.nan) == "n/a" and nf.number(None) == "n/a"
    assert nf.number(math.nan, missing="not estimable") == "not estimable"
    assert nf.number(math.inf) == "infinite" and nf.number(-math.inf) == "minus infinite"
    for fmt in (nf.signed, nf.percent, nf.points, nf.count):
        assert fmt(math.nan) == "n/a"


def test_signed_differences_never_sign_zero():
    assert nf.signed(0.0) == "0" and nf.signed(-0.0) == "0"
    assert nf.signed(2407.3) == "+2,410" and nf.signed(-0.0123) == "-0.0123"
    assert nf.signed(3e-9) == "+3.00e-09"


def test_shares_are_percentages_and_their_differences_signed_points():
    assert nf.percent(0.907) == "90.7%" and nf.percent(1.0) == "100%" and nf.percent(0.0) == "0%"
    assert nf.percent(0.0035) == "0.350%" and nf.percent(-0.0) == "0%"
    assert nf.points(0.008036) == "+0.804 pp" and nf.points(-0.0101) == "-1.01 pp"
    assert nf.points(0.0) == "0 pp" and nf.points(-0.0) == "0 pp"
    assert nf.points(5.536e-05) == "+0.00554 pp"  # printed as +5.536e-05 before
    assert nf.level(0.5, "share") == "50.0%" and nf.level(0.5, "months") == "0.500"
    assert nf.difference(0.008036, "share") == "+0.804" and nf.difference(-2.0, "kCNY") == "-2.00"
    assert nf.difference_unit("share") == "pp" and nf.difference_unit("kCNY") == "kCNY"


def test_counts_are_exact_with_thousands_separators():
    assert nf.count(0) == "0" and nf.count(10) == "10" and nf.count(1234567) == "1,234,567"
    assert nf.count(12345.0) == "12,345" and nf.count(-2000) == "-2,000"
    assert nf.count(12.5) == "12.5"  # a mean count is a measured number


def test_intervals_say_infinite_ends_in_words():
    assert nf.interval(-0.0231, 0.16, nf.signed) == "[-0.0231, +0.160]"
    assert nf.interval(-math.inf, math.inf) == "unbounded"
    assert nf.interval(2.5, math.inf) == "at least 2.50 (unbounded above)"
    assert nf.interval(-math.inf, 7.0) == "at most 7.00 (unbounded below)"
    assert nf.interval(math.nan, 1.0) == "n/a"
    assert nf.interval(1.0, math.nan, missing="not estimable") == "not estimable"
    assert nf.estimate(98.2, 98.2, 98.2) == "+98.2 [+98.2, +98.2]"
    assert nf.estimate(math.nan, 1.0, 2.0) == "n/a"
    for text in (nf.interval(-math.inf, math.inf), nf.interval(0.0, math.inf),
                 nf.estimate(1.0, -math.inf, math.inf)):
        assert "inf " not in text + " " and "infinite" not in text


def test_fieller_sets_print_by_the_same_policy():
    assert describe(FiellerResult(1.0, 0.0123, 12345.0, "bounded")) == "[0.0123, 12,300]"
    assert describe(FiellerResult(1.0, -0.0, 2.0, "bounded")) == "[0, 2.00]"
    assert describe(FiellerResult(1.0, -math.inf, math.inf, "unbounded")) == \
        "unbounded (effect not distinguishable from 0)"
