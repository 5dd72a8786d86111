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

from tests.paired_runs import interval, paired, runs

pytestmark = pytest.mark.slow


def assert_moves(arm: str, reference: str, outcome: str, sign: float = 1.0) -> None:
    """``arm`` raises (sign 1) or lowers (sign -1) ``outcome`` against ``reference``."""
    mean, low, high = interval(paired(arm, reference, outcome))
    summary = f"{arm} vs {reference}, {outcome}: {mean:+.4g} [{low:+.4g}, {high:+.4g}]"
    if sign > 0:
        assert low > 0, summary
    else:
        assert high < 0, summary


def test_dedicated_fund_raises_partnerships_formed():
    assert_moves("fund", "baseline", "partnerships_formed")
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


def test_fast_track_raises_partnerships_formed():
    assert_moves("fast_track", "baseline", "partnerships_formed")


def test_incubator_raises_startups():
    assert_moves("incubator", "baseline", "startups")


def test_monitoring_raises_its_criterion_over_the_fund_alone():
    assert_moves("monitoring", "fund", "funded_partnership_score")
    assert all(np.isfinite(r["funded_partnership_score"]) for r in runs()["monitoring"])


def test_no_lever_is_free():
    for arm in ("fund", "tax_break", "accreditation", "fast_track", "linkage_meetings",
                "firm_lecturers", "incubator", "monitoring"):
        assert all(r["government_spending"] > 0 for r in runs()[arm]), arm
    assert all(r["government_spending"] == 0 for r in runs()["baseline"])
