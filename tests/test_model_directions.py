"""Direction tests: each lever moves its direct target.

Each test is a paired comparison at ``REPLICATES`` (20) replicates on
common random numbers (see ``tests/paired_runs.py``): the two-sided 95% t
interval of the paired difference must exclude zero, in the lever's
direction.  Whether a lever raises employment is a finding, not a test.
The runs use the default population for 12 years (``tests/paired_runs.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.paired_runs import DOSES, interval, paired, runs

# the preset arm of each lever, and every arm with a lever on
LEVER_ARMS = {"fund": "fund", "tax_break": "tax_break", "accreditation": "accreditation",
              "fast_track": "fast_track", "linkage_meetings": "linkage_meetings",
              "firm_lecturers": "firm_lecturers", "incubator": "incubator",
              "monitoring": "monitoring"}
ARMS_WITH_LEVERS = (*LEVER_ARMS.values(), "fund_placements", "full_package",
                    *(f"{lever}_{dose}" for lever in DOSES for dose in ("low", "high")))

pytestmark = pytest.mark.slow


def assert_moves(arm: str, reference: str, outcome: str, sign: float = 1.0) -> None:
    """``arm`` raises (sign 1) or lowers (sign -1) ``outcome`` against ``reference``."""
    mean, low, high = interval(paired(arm, reference, outcome))
    summary = f"{arm} vs {reference}, {outcome}: {mean:+.4g} [{low:+.4g}, {high:+.4g}]"
    if sign > 0:
        assert low > 0, summary
    else:
        assert high < 0, summary


def test_dedicated_fund_raises_active_partnerships():
    # the stock, not the flow: grants make partnerships last, and with universities'
    # coordination capacity binding fewer new ones then form (docs/ODD.md, 7.7)
    assert_moves("fund", "baseline", "active_partnerships")
    assert all(r["spending_grants"] > 0 for r in runs()["fund"])


def test_fund_for_internship_bases_raises_internship_bases():
    # A fund for every kind buys mostly co-curriculum and research partnerships (dearer);
    # aimed at internship bases it raises their number.  Whether that raises placement
    # coverage is a finding (docs/ODD.md, 1.2): with the calibrated defaults it does not,
    # measurably, at 20 replicates.
    assert_moves("fund_placements", "baseline", "active_placement")


def test_tax_break_raises_active_partnerships():
    assert_moves("tax_break", "baseline", "active_partnerships")
    assert all(r["spending_forgone_tax"] > 0 for r in runs()["tax_break"])


def test_accreditation_shrinks_the_curriculum_gap():
    assert_moves("accreditation", "baseline", "curriculum_gap", sign=-1.0)


def test_firm_lecturers_shrink_the_curriculum_gap():
    assert_moves("firm_lecturers", "baseline", "curriculum_gap", sign=-1.0)


def test_linkage_meetings_raise_partnerships_formed():
    assert_moves("linkage_meetings", "baseline", "partnerships_formed")


def test_fast_track_raises_active_partnerships():
    assert_moves("fast_track", "baseline", "active_partnerships")


def test_incubator_raises_startups_that_survive_three_years():
    # measured on start-ups that last, not on places (every place makes a start-up)
    assert_moves("incubator", "baseline", "startups_surviving_3y")


def test_no_lever_raises_a_rate_by_shrinking_the_population_it_is_measured_on():
    # students are conserved: every lever's cohorts are as large as the baseline's (paired,
    # common random numbers), so no rate can rise because its denominator shrank
    for arm in ARMS_WITH_LEVERS:
        d = paired(arm, "baseline", "graduates_measured")
        size = np.array([r["graduates_measured"] for r in runs()["baseline"]])
        assert np.abs(d / size).max() < 0.005, (arm, d)


@pytest.mark.parametrize("lever", sorted(DOSES))
def test_each_lever_moves_its_direct_target_with_its_dose(lever):
    """Three doses (low, the preset, high): the target moves in the lever's direction from the
    low to the high dose, and no step goes the other way beyond noise (its 95% interval)."""
    name, _, outcome, sign, _ = DOSES[lever]
    arms_ = [f"{lever}_low", LEVER_ARMS[lever], f"{lever}_high"]
    total = interval(sign * paired(arms_[2], arms_[0], outcome))
    assert total[1] > 0, (lever, outcome, total)
    for a, b in zip(arms_, arms_[1:], strict=False):
        step = interval(sign * paired(b, a, outcome))
        assert step[2] > 0, (lever, outcome, a, b, step)


def test_monitoring_moves_grants_and_costs_its_evaluations_over_the_fund_alone():
    # Its direct action is to stop and renew grants.  The mean score of the grants it keeps is
    # not a test of it: stopping the lowest-scoring grants raises that mean by selection alone.
    # Its effect on what it is meant to improve (employment, firm satisfaction, alignment,
    # paired against the fund alone) is a finding, reported in the README and the ODD (1.2).
    assert_moves("monitoring", "fund", "monitoring_grants_moved")
    assert all(r["spending_other"] > f["spending_other"]
               for r, f in zip(runs()["monitoring"], runs()["fund"], strict=True))


def test_no_lever_is_free():
    for arm in ("fund", "tax_break", "accreditation", "fast_track", "linkage_meetings",
                "firm_lecturers", "incubator", "monitoring"):
        assert all(r["government_spending"] > 0 for r in runs()[arm]), arm
    assert all(r["government_spending"] == 0 for r in runs()["baseline"])
