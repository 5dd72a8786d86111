"""Mechanism tests of model revision 2's labour market: the hiring calendar, the
withdrawal of unfilled vacancies, hosts' return offers and the wider market's response."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.model import IndustryEducationModel, labour_market, placements
from simulation.model.student_table import EMPLOYED, NONE, SEEKING
from tests.small_world import QUIET, SMALL
from tests.test_labour_demand import TINY, rows, seeker


# ------------------------------------------------------------- the calendar
@pytest.mark.parametrize(("share", "months"), [(0.5, 3), (0.0, 3), (1.0, 2), (0.3, 12)])
def test_the_season_gets_its_share_of_the_years_openings(share, months):
    p = {"hiring_season_share": share, "hiring_season_months": months}
    profile = labour_market.season_profile(p)
    assert profile.sum() == pytest.approx(1.0)
    assert (profile >= 0).all()
    if months < 12:
        assert profile[:months].sum() == pytest.approx(share)
        np.testing.assert_allclose(profile[months:], (1 - share) / (12 - months))
    else:
        np.testing.assert_allclose(profile, 1 / 12)


def test_planned_vacancies_are_posted_month_by_month_through_the_year():
    model = IndustryEducationModel(rng=4, **SMALL)
    model.run_for(12)
    model.step()  # step 13: month 0 of year 1, the year's vacancies are planned
    planned = model.firm_planned.copy()
    assert planned.sum() > 0
    assert model.vacancy_plan[:, 0].sum() == 0  # month 0's postings are out
    posted = model.firm_opened.copy()
    for month in range(1, 12):
        before = model.firm_opened.copy()
        due = model.vacancy_plan[:, month].copy()
        model.step()
        assert model.month == month
        # each month posts its planned vacancies (plus positions reopened by leavers)
        assert ((model.firm_opened - before) >= due).all()
        posted += due
    assert (posted <= model.firm_opened).all()
    assert posted.sum() == planned.sum()  # every planned vacancy was posted
    assert model.vacancy_plan.sum() == 0


def first_job_months(**params) -> np.ndarray:
    model = IndustryEducationModel(rng=5, **{**SMALL, **params})
    model.run_years(5)
    st = model.students
    done = st.alive & (st.months_since_grad >= 12) & (st.first_job_month >= 0)
    return np.bincount(st.first_job_month[done], minlength=13)[:13]


def test_openings_spread_over_the_year_spread_first_jobs_over_it():
    # the first revision's calendar: every opening posted in the month after graduation
    at_once = first_job_months(hiring_season_share=1.0, hiring_season_months=1)
    spread = first_job_months(hiring_season_share=0.25, hiring_season_months=3)
    # the calibrated market clears within a few months either way, so "later" is
    # from the third search month on
    late = [m[2:].sum() / m.sum() for m in (at_once, spread)]
    first = [m[0] / m.sum() for m in (at_once, spread)]
    mean = [np.average(np.arange(13), weights=m) for m in (at_once, spread)]
    assert late[1] > 2 * late[0] + 0.01, late
    assert first[1] < first[0], first
    assert mean[1] > mean[0] + 0.2, mean
    assert spread[3:12].sum() > 0


def test_unfilled_vacancies_are_withdrawn_at_their_monthly_rate():
    model = IndustryEducationModel(rng=6, vacancy_withdrawal_rate=0.2, **SMALL)
    model.firm_vacancies[:] = 1000
    gone = labour_market.withdraw_vacancies(model)
    n = 1000 * len(model.firms)
    assert abs(gone - 0.2 * n) < 4 * np.sqrt(n * 0.2 * 0.8)
    assert model.vacancies_withdrawn == gone
    assert model.firm_vacancies.sum() == n - gone
    model.p["vacancy_withdrawal_rate"] = 0.0
    assert labour_market.withdraw_vacancies(model) == 0


def test_withdrawn_and_lapsed_vacancies_are_logged_as_unfilled():
    model = IndustryEducationModel(rng=6, **SMALL)
    model.firm_opened[:] = 10
    model.firm_vacancies[:] = 2
    model.vacancies_withdrawn = 5
    labour_market.open_vacancies(model)
    n = len(model.firms)
    assert model.vacancy_log[-1][1:] == (10 * n, 2 * n + 5)
    assert model.vacancies_withdrawn == 0 and model.firm_vacancies.sum() == 0


# ------------------------------------------------------------ return offers
def placed_intern(model, quality, host=0):
    """A final-year student whose match at ``host`` is ``quality``, on placement there."""
    (row,) = rows(model, 1)
    seeker(model, row, quality, firm=host)
    st = model.students
    st.status[row], st.year[row], st.months_since_grad[row] = 0, model.p["study_years"], NONE
    st.host[row] = st.last_host[row] = host
    return row


def test_a_host_offers_a_job_to_an_intern_who_clears_its_bar():
    model = IndustryEducationModel(rng=0, **{**TINY, "return_offer_noise": 0.0,
                                             "firm_min_match": 0.6})
    row = placed_intern(model, 0.7)
    assert labour_market.make_return_offers(model, np.array([row]), np.array([0])) == 1
    assert model.students.return_offer[row] == 0
    weak = IndustryEducationModel(rng=0, **{**TINY, "return_offer_noise": 0.0,
                                            "firm_min_match": 0.6})
    row = placed_intern(weak, 0.5)
    assert labour_market.make_return_offers(weak, np.array([row]), np.array([0])) == 0
    assert weak.students.return_offer[row] == NONE


def test_a_host_offers_no_more_jobs_than_it_expects_to_fill():
    model = IndustryEducationModel(rng=0, **{**TINY, "return_offer_noise": 0.0,
                                             "graduate_jobs_tech": 20.0,
                                             "job_replacement_rate": 0.1})
    need = labour_market.hiring_need(model, np.ones(3))[0]
    expected = int(np.floor(need + 0.5))
    assert expected == 2
    interns = rows(model, 4)
    for r, q in zip(interns, (0.9, 0.8, 0.95, 0.7), strict=True):
        seeker(model, r, q)
        st = model.students
        st.status[r], st.year[r], st.months_since_grad[r] = 0, model.p["study_years"], NONE
    made = labour_market.make_return_offers(model, np.array(interns), np.zeros(4, dtype=np.int64))
    assert made == expected
    offered = [r for r in interns if model.students.return_offer[r] == 0]
    assert sorted(offered) == sorted([interns[2], interns[0]])  # the best assessed first


def graduate_with_offer(model, quality_host, host=0):
    (row,) = rows(model, 1)
    seeker(model, row, quality_host, firm=host)
    model.students.return_offer[row] = host
    return row


def test_the_graduate_takes_the_return_offer_when_it_beats_the_market():
    model = IndustryEducationModel(rng=0, **TINY)
    model.firm_vacancies[:] = 0
    model.firm_vacancies[1] = 1
    row = graduate_with_offer(model, 0.8)
    st = model.students
    st.skills[row] = np.clip(st.skills[row], 0, 1)
    q_other = labour_market.graduate_match(model, np.array([row]), np.array([1]))[0]
    hired, firms, _ = labour_market.match_graduates(model)
    take_host = 0.8 >= q_other
    assert hired.tolist() == [row]
    assert firms.tolist() == [0 if take_host else 1]
    assert st.status[row] == EMPLOYED and st.return_offer[row] == NONE
    # a declined market offer leaves that firm's vacancy open
    assert model.firm_vacancies[1] == (1 if take_host else 0)


def test_the_graduate_declines_the_return_offer_for_a_better_match():
    model = IndustryEducationModel(rng=0, **TINY)
    model.firm_vacancies[:] = 0
    model.firm_vacancies[1] = 1
    (row,) = rows(model, 1)
    seeker(model, row, 0.95, firm=1)  # a very good match at firm 1
    q_host = labour_market.graduate_match(model, np.array([row]), np.array([0]))[0]
    assert q_host < 0.95
    model.students.return_offer[row] = 0
    hired, firms, _ = labour_market.match_graduates(model)
    assert hired.tolist() == [row] and firms.tolist() == [1]
    assert model.students.employer[row] == 1


def test_a_return_offer_below_the_reservation_is_declined_and_lapses():
    model = IndustryEducationModel(rng=0, **{**TINY, "reservation_match": 0.9})
    model.firm_vacancies[:] = 0
    row = graduate_with_offer(model, 0.7)
    hired, _, _ = labour_market.match_graduates(model)
    assert len(hired) == 0
    st = model.students
    assert st.status[row] == SEEKING and st.return_offer[row] == NONE


def test_an_accepted_return_offer_takes_a_planned_vacancy_when_none_is_open():
    model = IndustryEducationModel(rng=0, **TINY)
    model.run_for(1)  # month 0: a month with later postings this year
    model.firm_vacancies[:] = 0
    model.firm_opened[:] = 0
    model.vacancy_plan = np.zeros((len(model.firms), 12), dtype=np.int64)
    model.vacancy_plan[0, 5] = 2
    row = graduate_with_offer(model, 0.8)
    hired, _, _ = labour_market.match_graduates(model)
    assert hired.tolist() == [row]
    assert model.vacancy_plan[0, 5] == 1 and model.firm_opened[0] == 1


def test_hosts_make_return_offers_when_placements_end():
    model = IndustryEducationModel(rng=2, seed_partnerships=3, return_offer_noise=0.0,
                                   **{**SMALL, **QUIET})
    model.run_for(4)
    st = model.students
    on = np.flatnonzero(st.alive & (st.host >= 0))
    assert len(on) > 0
    model.run_for(model.p["placement_months"])
    offered = on[st.return_offer[on] >= 0]
    assert len(offered) > 0
    assert (st.return_offer[offered] == st.last_host[offered]).all()
    # every offer went to an intern whose match at the host clears the bar
    q = labour_market.graduate_match(model, offered, st.return_offer[offered].astype(np.int64))
    assert (q >= model.p["firm_min_match"] - 1e-9).all()


# ------------------------------------------------------------- wider market
def test_the_wider_market_offers_more_in_a_boom_and_less_when_many_seek():
    p = {"outside_offer_rate": 0.3, "outside_reference_unemployment": 0.1,
         "matching_elasticity": 0.5}
    base = labour_market.outside_offer_chance(p, 1.0, 0.1)
    assert base == pytest.approx(0.3)
    assert labour_market.outside_offer_chance(p, 1.2, 0.1) == pytest.approx(0.3 * 1.2 ** 0.5)
    assert labour_market.outside_offer_chance(p, 1.0, 0.2) == pytest.approx(0.3 * 0.5 ** 0.5)
    assert labour_market.outside_offer_chance(p, 0.8, 0.1) < base
    assert labour_market.outside_offer_chance(p, 10.0, 0.001) == 1.0
    # an elasticity of 1: offers per seeker do not depend on tightness
    assert labour_market.outside_offer_chance({**p, "matching_elasticity": 1.0}, 2.0, 0.5) == \
        pytest.approx(0.3)


def test_base_slots_grow_with_the_placement_subsidy():
    plain = IndustryEducationModel(rng=1, fund_budget=1000.0, **SMALL)
    paid = IndustryEducationModel(rng=1, fund_budget=1000.0, fund_placement_subsidy=9.0, **SMALL)
    small = next(f.index for f in plain.firms if not f.large)
    assert placements.base_slots(plain)[small] == plain.p["base_placement_slots"]
    cost = paid.p["intern_cost"] * paid.p["placement_months"]  # what hosting costs the host
    expected = np.floor(paid.p["base_placement_slots"] * (1 + 9.0 / cost) + 0.5)
    assert placements.base_slots(paid)[small] == expected > placements.base_slots(plain)[small]
