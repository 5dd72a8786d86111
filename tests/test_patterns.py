"""Pattern tests: the model reproduces qualitative patterns of the sources.

Paired replicates on common random numbers (``tests/paired_runs.py``, 20
replicates).  The ODD's section 1.2 lists each pattern with its source and
says which are used for calibration and which are kept for validation.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.model.skills import FIELDS
from tests.paired_runs import interval, mean, paired, runs

pytestmark = pytest.mark.slow


def test_tech_has_the_highest_6_month_employment_and_beats_design():
    # OECD Education at a Glance: ICT highest, arts lowest; MyCOS: arts majors low
    rate = {f: mean("baseline", f"employment_rate_6m_by_field_{f}") for f in FIELDS}
    assert rate["tech"] == max(rate.values()), rate
    d = paired_fields("tech", "design")
    assert interval(d)[1] > 0, d


@pytest.mark.xfail(strict=True, reason=(
    "known miss (docs/ODD.md, 1.2, P2): in the calibrated model agriculture, not design, has "
    "the lowest 6-month employment; the calibration fits tech above design only, and the "
    "held-out arts-below-average target is only consistent"))
def test_design_has_the_lowest_6_month_employment():
    rate = {f: mean("baseline", f"employment_rate_6m_by_field_{f}") for f in FIELDS}
    assert rate["design"] == min(rate.values()), rate


def paired_fields(a: str, b: str) -> np.ndarray:
    data = runs()["baseline"]
    return np.array([r[f"employment_rate_6m_by_field_{a}"] - r[f"employment_rate_6m_by_field_{b}"]
                     for r in data])


def grant_cliff(arm: str) -> np.ndarray:
    """Per replicate: the rise of the dissolution hazard across a grant's end in ``arm``, minus
    the same rise in the no-fund baseline across a pretend grant end at the same age."""
    fund, base = runs()[arm], runs()["baseline"]
    return np.array([(f["hazard_after"] - f["hazard_before"])
                     - (b["placebo_hazard_after"] - b["placebo_hazard_before"])
                     for f, b in zip(fund, base, strict=True)])


def test_dissolution_hazard_rises_in_the_year_after_a_grant_ends_beyond_a_placebo():
    # Zhao (2024): partnerships are hard to sustain once early support ends.  The rise must
    # exceed the rise of partnerships of the same age in a run without any fund (a placebo):
    # the first revision's cliff was mostly age and random turnover.
    mean_, low, _ = interval(grant_cliff("fund"))
    assert low > 0, (mean_, low)


def test_no_single_exogenous_cause_dominates_dissolutions():
    # dissolutions come from partners' decisions, not mostly from random staff turnover
    # (82-92% of them in the first revision) or random downturns
    for arm in ("baseline", "fund", "full_package"):
        data = runs()[arm]
        total = sum(r["dissolved"] for r in data)
        for reason in ("turnover", "downturn"):
            share = sum(r[f"dissolved_{reason}"] for r in data) / total
            assert share < 0.5, (arm, reason, share)


def test_first_jobs_spread_over_the_year_with_the_hiring_calendar():
    # vacancies posted over the year (a recruitment season, then the rest of the year) make
    # first jobs start later than when every opening is posted in the month after graduation
    d = paired("baseline", "calendar_at_once", "months_to_first_job")
    mean_, low, _ = interval(d)
    assert low > 0, (mean_, low)


def test_intern_conversion_lies_between_zero_and_the_all_offers_ceiling():
    # conversion comes from hosts' offers and interns' choices: above zero, and below what it
    # would be if every host offered every intern a job and every intern took it
    base = np.array([r["intern_conversion_rate"] for r in runs()["baseline"]])
    assert interval(base)[1] > 0, interval(base)
    d = paired("all_offers", "baseline", "intern_conversion_rate")
    mean_, low, _ = interval(d)
    assert low > 0, (mean_, low)


def test_placed_students_find_their_first_job_sooner():
    # NACE 2009; Baert et al. 2021: interns are hired sooner
    data = runs()["baseline"]
    d = np.array([r["first_job_by_3m_placed"] - r["first_job_by_3m_unplaced"] for r in data])
    mean_, low, _ = interval(d)
    assert low > 0, (mean_, low)


def test_a_tenth_less_labour_demand_costs_a_few_points_and_more_matched_jobs():
    emp = paired("demand_cut", "baseline", "employment_rate_6m")
    mean_, low, high = interval(emp)
    assert high < 0, (mean_, low, high)
    assert mean_ > -0.06, mean_
    rel_emp = mean_ / mean("baseline", "employment_rate_6m")
    rel_matched = (interval(paired("demand_cut", "baseline", "matched_employment_share"))[0]
                   / mean("baseline", "matched_employment_share"))
    assert rel_matched < rel_emp < 0, (rel_matched, rel_emp)
