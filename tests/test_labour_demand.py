"""Mechanism tests of the labour market: demand from firms, skill-constrained hiring,
the wider labour market, job leaving, and graduates' skills after graduation."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.model import IndustryEducationModel, cooperation, graduates, labour_market
from simulation.model.policy import CO_CURRICULUM, PLACEMENT
from simulation.model.skills import match_quality
from simulation.model.student_table import EMPLOYED, NONE, OUTSIDE, SEEKING, SELF_EMPLOYED

TINY = dict(
    n_students=60, n_technical_universities=1, n_art_schools=0, n_comprehensive_universities=0,
    n_firms_tech=3, n_firms_design=0, n_firms_agri=0, applicants_per_vacancy=100,
    partner_recruitment_share=0.0, reservation_match=0.0,
)


def tiny(seed=0, vacancies=(1, 0, 0), **params):
    """Every student studying; firm j has ``vacancies[j]`` open vacancies."""
    model = IndustryEducationModel(rng=seed, **{**TINY, **params})
    for f, n in zip(model.firms, vacancies, strict=True):
        f.vacancies = f.opened = n
    return model


def seeker(model, row, quality, firm=0, months=0, last_host=NONE):
    """Make ``row`` a graduate seeker whose match at ``firm`` is ``quality``."""
    st = model.students
    st.status[row], st.year[row], st.months_since_grad[row] = SEEKING, -1, months
    st.last_host[row] = last_host
    demand = model.firms[firm].demand()
    gap = (1.0 - quality) / model.p["match_scale"]
    st.skills[row] = np.where(demand > 0.5, demand - gap, demand + gap)
    assert labour_market.graduate_match(model, np.array([row]), np.array([firm]))[0] == \
        pytest.approx(quality)


def rows(model, n):
    return [int(r) for r in np.flatnonzero(model.students.alive)[:n]]


# ------------------------------------------------------------ labour demand
def test_hiring_need_comes_from_positions_not_graduates():
    model = IndustryEducationModel(rng=3, n_students=2000, downturn_probability=0.0,
                                   business_cycle_sd=0.0)
    p = model.p
    need = labour_market.hiring_need(model, np.ones(3))
    for firm, n in zip(model.firms, need, strict=True):
        field = ("tech", "design", "agri")[firm.sector]
        rate = p["job_replacement_rate"] + p[f"sector_growth_{field}"]
        assert n == pytest.approx(p[f"graduate_jobs_{field}"] * firm.size * rate
                                  * p["labour_demand_multiplier"])
    more_students = IndustryEducationModel(rng=3, n_students=8000, downturn_probability=0.0,
                                           business_cycle_sd=0.0)
    np.testing.assert_allclose(labour_market.hiring_need(more_students, np.ones(3)), need)


def test_labour_demand_multiplier_and_downturns_scale_the_need():
    model = IndustryEducationModel(rng=3, n_students=600, downturn_probability=0.0,
                                   labour_demand_multiplier=1.0)
    base = labour_market.hiring_need(model, np.ones(3))
    model.p["labour_demand_multiplier"] = 0.9
    np.testing.assert_allclose(labour_market.hiring_need(model, np.ones(3)), 0.9 * base)
    model.firms[0].downturn = True
    cut = labour_market.hiring_need(model, np.ones(3))
    assert cut[0] == pytest.approx(0.9 * model.p["downturn_vacancy_factor"] * base[0])


def test_open_vacancies_logs_last_years_unfilled_and_grows_positions():
    model = IndustryEducationModel(rng=5, n_students=600, sector_growth_tech=0.1)
    tech = model.firms_by_sector[0][0]
    positions = tech.positions
    for f in model.firms:
        f.opened, f.vacancies = 10, 3
    labour_market.open_vacancies(model)
    assert model.vacancy_log[-1][1:] == (10 * len(model.firms), 3 * len(model.firms))
    assert tech.positions == pytest.approx(positions * 1.1)
    assert all(f.vacancies == f.opened for f in model.firms)


def test_founders_are_not_counted_in_vacancies():
    kw = dict(n_students=1200, n_technical_universities=2, n_art_schools=1,
              n_comprehensive_universities=2, n_firms_tech=30, n_firms_design=16,
              n_firms_agri=14)
    base = IndustryEducationModel(rng=9, **kw)
    incubated = IndustryEducationModel(rng=9, incubator_places=40, **kw)
    for m in (base, incubated):
        m.run_for(13)  # graduation at step 12; vacancies open at step 13
    assert incubated.startups_founded > base.startups_founded
    assert [f.planned for f in incubated.firms] == [f.planned for f in base.firms]


# ----------------------------------------------------- skill-constrained hiring
def test_a_vacancy_stays_open_when_no_applicant_reaches_the_firms_minimum():
    model = tiny(firm_min_match=0.9)
    (row,) = rows(model, 1)
    seeker(model, row, 0.8)
    hired, _, _ = labour_market.match_graduates(model)
    assert len(hired) == 0
    assert model.firms[0].vacancies == 1 and model.students.status[row] == SEEKING
    model.p["firm_min_match"] = 0.75
    hired, _, _ = labour_market.match_graduates(model)
    assert hired.tolist() == [row] and model.firms[0].vacancies == 0


def test_better_prepared_graduates_fill_more_vacancies():
    def filled(quality):
        model = tiny(vacancies=(3, 0, 0), firm_min_match=0.6)
        for r, q in zip(rows(model, 3), quality, strict=True):
            seeker(model, r, q)
        return len(labour_market.match_graduates(model)[0])

    assert filled([0.5, 0.55, 0.7]) == 1
    assert filled([0.65, 0.7, 0.8]) == 3


def test_the_intern_bonus_ranks_applicants_but_graduates_choose_by_match():
    model = tiny(vacancies=(1, 1, 0), intern_bonus=0.5)
    intern, other = rows(model, 2)
    st = model.students
    for r in (intern, other):
        seeker(model, r, 0.9)
    st.last_host[intern] = 0
    st.skills[intern] = model.firms[1].demand()  # a perfect match at firm 1
    q0 = labour_market.graduate_match(model, np.array([intern]), np.array([0]))[0]
    assert q0 < 1.0 < q0 + 0.5  # firm 0 would win if the bonus counted for the graduate too
    # firm 0's ranking: the intern (q0 + 0.5) before the other graduate (0.9)
    assert q0 + 0.5 > 0.9
    hired, firms, _ = labour_market.match_graduates(model)
    chosen = dict(zip(hired.tolist(), firms.tolist(), strict=True))
    assert chosen[intern] == 1  # the graduate takes the better match, not the bonus


def test_another_fields_job_is_matched_through_transferability():
    model = IndustryEducationModel(rng=2, n_students=600, n_firms_design=5)
    row = int(np.flatnonzero(model.students.field == 0)[0])  # a tech student
    design_firm = model.firms_by_sector[1][0].index
    own = labour_market.graduate_match(model, np.array([row]), np.array([design_firm]))[0]
    expected = model.p["transfer_tech_design"] * match_quality(
        model.students.skills[row], model.sector_demand[0], model.p["match_scale"])
    assert own == pytest.approx(expected)


# ----------------------------------------------------------- the wider market
@pytest.mark.parametrize("months", [0, 3, 6, 12])
def test_a_wider_market_offer_is_taken_only_once_it_reaches_the_reservation(months):
    model = tiny(vacancies=(0, 0, 0), reservation_match=0.55, outside_offer_rate=1.0,
                 outside_job_match=0.4, outside_job_spread=0.0)
    (row,) = rows(model, 1)
    seeker(model, row, 0.9, months=months)
    taken = labour_market.take_outside_jobs(model)
    reservation = labour_market.reservation(model, np.array([months]))[0]
    assert (taken == 1) == (reservation <= 0.4)
    st = model.students
    if taken:
        assert st.status[row] == EMPLOYED and st.employer[row] == OUTSIDE
        assert st.match[row] == pytest.approx(0.4) and st.first_job_month[row] == months
    else:
        assert st.status[row] == SEEKING


def test_graduates_in_wider_market_jobs_keep_searching_for_a_better_job():
    model = tiny(vacancies=(1, 0, 0))
    (row,) = rows(model, 1)
    seeker(model, row, 0.7)
    st = model.students
    st.status[row], st.employer[row], st.match[row], st.first_job_month[row] = EMPLOYED, OUTSIDE, \
        0.75, 2
    assert len(labour_market.match_graduates(model)[0]) == 0  # 0.7 is not better than 0.75
    st.match[row] = 0.4
    hired, _, _ = labour_market.match_graduates(model)
    assert hired.tolist() == [row] and st.employer[row] == 0
    assert st.first_job_month[row] == 2  # the first job stays the first


# ------------------------------------------------------------------ job leaving
def test_leavers_search_again_and_their_position_reopens():
    model = tiny(vacancies=(0, 0, 0), job_separation_6m=1.0)  # h0 = 1: hazard 2 (1 - q)
    a, b = rows(model, 2)
    st = model.students
    for r, q in ((a, 0.5), (b, 1.0)):
        st.status[r], st.year[r], st.months_since_grad[r] = EMPLOYED, -1, 3
        st.employer[r], st.match[r] = 0, q
    left = labour_market.separate(model)
    assert left == 1  # hazard 1 at match 0.5, 0 at match 1
    assert st.status[a] == SEEKING and st.employer[a] == NONE and st.match[a] == 0.0
    assert st.status[b] == EMPLOYED
    assert model.firms[0].vacancies == 1 and model.firms[0].opened == 1


def test_a_third_leave_a_job_of_match_one_half_within_six_months():
    model = IndustryEducationModel(rng=1, n_students=4000, job_separation_6m=0.33)
    st = model.students
    rows_ = np.flatnonzero(st.alive)[:3000]
    st.status[rows_], st.year[rows_], st.months_since_grad[rows_] = EMPLOYED, -1, 1
    st.employer[rows_], st.match[rows_] = OUTSIDE, 0.5
    for _ in range(6):
        labour_market.separate(model)
    still = (st.status[rows_] == EMPLOYED).mean()
    assert still == pytest.approx(0.67, abs=0.04)  # 4 standard errors


# ------------------------------------------------------- skills after graduation
def test_graduates_learn_on_the_job_and_seekers_skills_decay():
    model = IndustryEducationModel(rng=4, n_students=600, job_learning_rate=0.1,
                                   skill_depreciation=0.05)
    st = model.students
    tech_firm = model.firms_by_sector[0][0]
    worker, idle, founder = (int(r) for r in np.flatnonzero(st.alive & (st.field == 0))[:3])
    for r in (worker, idle, founder):
        st.status[r], st.year[r], st.months_since_grad[r] = SEEKING, -1, 1
    st.status[worker], st.employer[worker], st.match[worker] = EMPLOYED, tech_firm.index, 0.6
    st.status[founder] = SELF_EMPLOYED
    before = st.skills[[worker, idle, founder]].copy()
    while model.month % 3 != 2:  # learning is applied at months 2, 5, 8, 11
        model.steps += 1
    graduates.learn_after_graduation(model)
    demand = model.firm_demand()[tech_firm.index]
    np.testing.assert_allclose(st.skills[worker], demand + 0.9 ** 3 * (before[0] - demand))
    entry = model.p["initial_skill_mean"]
    np.testing.assert_allclose(st.skills[idle], entry + 0.95 ** 3 * (before[1] - entry))
    np.testing.assert_array_equal(st.skills[founder], before[2])


# ----------------------------------------------------- partnerships and hires
def test_hires_credit_the_intern_pipeline_and_co_curriculum_value():
    model = tiny(vacancies=(2, 0, 0), hire_value=20.0, co_curriculum_hire_value=30.0)
    net = model.network
    placement = net.create(0, 0, PLACEMENT, 0)
    co = net.create(0, 0, CO_CURRICULUM, 0)
    for q in (placement, co):
        net.activate(q, 0)
    intern, other = rows(model, 2)
    seeker(model, intern, 0.8, last_host=0)
    seeker(model, other, 0.6)
    hires = labour_market.match_graduates(model)
    assert sorted(hires[0].tolist()) == sorted([intern, other])
    cooperation.credit_hires(model, hires)
    assert placement.realised == pytest.approx(20.0 * 0.8)  # only its former intern
    assert co.realised == pytest.approx(30.0 * (0.8 + 0.6))  # every hire from the university
    assert model.field_hires[-1] == 2
