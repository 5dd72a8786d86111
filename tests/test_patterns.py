"""Pattern tests: the model reproduces qualitative patterns of the sources.

Paired replicates on common random numbers (``tests/paired_runs.py``, 20
replicates).  The ODD's section 1.2 lists each pattern with its source and
says which are used for calibration and which are kept for validation.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.skills import FIELDS
from tests.paired_runs import interval, mean, paired, runs

pytestmark = pytest.mark.slow


def test_tech_has_the_highest_and_design_the_lowest_6_month_employment():
    # OECD Education at a Glance: ICT highest, arts lowest; MyCOS: arts majors low
    rate = {f: mean("baseline", f"employment_rate_6m_by_field_{f}") for f in FIELDS}
    assert rate["tech"] == max(rate.values()), rate
    assert rate["design"] == min(rate.values()), rate
    d = paired_fields("tech", "design")
    assert interval(d)[1] > 0, d


def paired_fields(a: str, b: str) -> np.ndarray:
    data = runs()["baseline"]
    return np.array([r[f"employment_rate_6m_by_field_{a}"] - r[f"employment_rate_6m_by_field_{b}"]
                     for r in data])


def test_dissolution_hazard_rises_in_the_year_after_a_grant_ends():
    # Zhao (2024): partnerships are hard to sustain once early support ends
    data = runs()["fund"]
    d = np.array([r["hazard_after"] - r["hazard_before"] for r in data])
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


def test_full_package_fills_more_graduate_level_jobs_not_only_sooner():
    # more of the firms' graduate-level vacancies are filled, and more graduates hold a
    # graduate-level job of their field a year after graduation: not only a change of timing
    mean_, _, high = interval(paired("full_package", "baseline", "unfilled_vacancy_rate"))
    assert high < 0, (mean_, high)
    mean_, low, _ = interval(paired("full_package", "baseline", "matched_employment_share"))
    assert low > 0, (mean_, low)
