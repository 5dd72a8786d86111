"""Mechanism tests of placements at scale, partnership choice, the fund's yearly cap,
incubators, reputations and the costs of levers that used to be free."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.model import IndustryEducationModel, cooperation, curriculum, placements
from simulation.model.policy import CO_CURRICULUM, JOINT_RESEARCH, KINDS, PLACEMENT
from simulation.model.skills import match_quality
from simulation.model.student_table import STUDYING
from tests.small_world import QUIET, SMALL


def small_model(seed=1, **params):
    return IndustryEducationModel(rng=seed, **{**SMALL, **params})


def active(model, u, firm, kind):
    q = model.network.create(u, firm, kind, model.steps)
    model.network.activate(q, model.steps)
    return q


# ------------------------------------------------------------------ placements
def test_placement_slots_grow_with_firm_size():
    model = small_model(2, large_firm_share=0.5, **QUIET)
    slots = placements.slots(model)
    for firm, n in zip(model.firms, slots, strict=True):
        assert n == np.floor(model.p["placement_slots"] * firm.size + 0.5)
    large = [f for f in model.firms_by_sector[0] if f.large]
    small = [f for f in model.firms_by_sector[0] if not f.large]
    assert large and small
    assert slots[large[0].index] == model.p["large_firm_size"] * slots[small[0].index]


def test_a_large_hosts_placement_partnership_places_more_students():
    model = small_model(2, large_firm_share=0.5, n_students=4000, **QUIET)
    large = next(f for f in model.firms_by_sector[0] if f.large)
    small = next(f for f in model.firms_by_sector[0] if not f.large)
    for firm in (large, small):
        active(model, 0, firm.index, PLACEMENT)
    model.run_for(4)  # placements start in the fourth month
    host = model.students.host
    room = placements.slots(model) + placements.base_slots(model)  # ordinary and the base's own
    assert (host == large.index).sum() == room[large.index]
    assert (host == small.index).sum() == room[small.index]
    assert (host == large.index).sum() > (host == small.index).sum()


def test_internship_programmes_place_their_final_year_students_themselves():
    model = small_model(3, **{**QUIET, "internship_programme_share": 1.0})
    assert model.internship_required[[u for u, _, _ in model.programmes],
                                     [f for _, f, _ in model.programmes]].all()
    model.run_for(4)
    st_ = model.students
    finals = np.flatnonzero(st_.alive & (st_.status == STUDYING)
                            & (st_.year == model.p["study_years"]))
    placed = st_.host[finals] >= 0
    assert placed.mean() > 0.5  # slots permitting, every final-year student is placed
    hosts = st_.host[finals[placed]]
    assert (model.firm_sector[hosts] == st_.field[finals[placed]]).all()  # in their sector
    assert (np.bincount(hosts, minlength=len(model.firms)) <= placements.slots(model)).all()
    assert model.network.count_active() == 0  # no partnership was needed
    none = small_model(3, **QUIET)
    none.run_for(4)
    assert (none.students.host < 0).all()


def test_placement_subsidy_is_paid_per_student_while_the_budget_allows():
    model = small_model(4, **{**QUIET, "fund_budget": 10.0, "fund_placement_subsidy": 3.0,
                              "fund_subsidy_share": 1.0})
    firm = model.firms_by_sector[0][0]
    q = active(model, 0, firm.index, PLACEMENT)
    model.run_for(4)
    placed = int((model.students.host == firm.index).sum())
    assert placed > 3
    net = model.p["intern_value"] - model.p["intern_cost"]  # each intern-month's net value
    assert q.realised - net * q.served >= 9.0  # three whole subsidies (10 // 3), not all-or-nothing
    assert model.government.spending["grants"] == pytest.approx(9.0)


def test_research_students_on_placement_credit_only_the_placement():
    model = small_model(5, **QUIET)
    firm = model.firms_by_sector[0][0]
    research = active(model, 0, firm.index, JOINT_RESEARCH)
    placement = active(model, 0, firm.index, PLACEMENT)
    st_ = model.students
    row = int(np.flatnonzero(st_.alive & (st_.university == 0) & (st_.field == 0))[0])
    st_.research_host[row] = firm.index
    st_.host[row] = firm.index
    net = model.p["intern_value"] - model.p["intern_cost"]  # output less allowance, supervision
    placements.credit_intern_months(model)
    assert research.realised == 0.0
    assert placement.realised == pytest.approx(net)
    st_.host[row] = -1
    placements.credit_intern_months(model)
    assert research.realised == pytest.approx(net)


# --------------------------------------------------------- partnership choice
def test_a_pair_may_hold_one_partnership_of_each_kind():
    model = small_model(6, **QUIET)
    firm = model.firms_by_sector[0][0].index
    ids = [active(model, 0, firm, k).id for k in range(len(KINDS))]
    assert model.network.pair[0, firm].tolist() == ids
    assert model.network.count_active() == 3


@pytest.mark.parametrize("value", [-30.0, 0.0, 10.0, 40.0])
def test_each_kind_is_proposed_with_its_binary_logit_probability(value):
    rng = np.random.default_rng(0)
    values = np.array([value, -1e9, 1e9])
    draws = rng.random((20_000, 3))
    chosen = [cooperation.choose_kinds(values, np.zeros(3, bool), 10.0, d) for d in draws]
    share = np.mean([PLACEMENT in c for c in chosen])
    assert share == pytest.approx(1 / (1 + np.exp(-value / 10.0)), abs=0.015)
    assert all(JOINT_RESEARCH in c and CO_CURRICULUM not in c for c in chosen)
    held = np.array([True, False, False])
    assert all(PLACEMENT not in cooperation.choose_kinds(values, held, 10.0, d)
               for d in draws[:100])


def test_a_grant_for_one_kind_does_not_draw_firms_from_another():
    values = np.array([5.0, -5.0, -50.0])
    granted = values + np.array([0.0, 0.0, 60.0])  # a grant makes research attractive
    draws = np.random.default_rng(1).random((5000, 3))
    placement = [PLACEMENT in cooperation.choose_kinds(values, np.zeros(3, bool), 10.0, d)
                 for d in draws]
    with_grant = [PLACEMENT in cooperation.choose_kinds(granted, np.zeros(3, bool), 10.0, d)
                  for d in draws]
    assert placement == with_grant


def test_firms_at_capacity_contact_only_their_partners():
    model = small_model(7, **{**QUIET, "contact_rate": 5.0, "firm_max_partners": 1,
                              "coordination_capacity": 10_000,
                              "large_firm_share": 0.0})
    firm = model.firms_by_sector[0][0]
    firm.expected_value[:] = 1e6  # it proposes every kind it may
    active(model, 0, firm.index, PLACEMENT)
    n = len(model.network.all)
    for _ in range(100):
        cooperation.make_contacts(model)
    mine = [q for q in model.network.all[n:] if q.firm == firm.index]
    assert mine, "the firm made contacts"
    assert all(q.university == 0 and q.kind != PLACEMENT for q in mine)


def test_firms_favour_universities_whose_curriculum_fits_their_demand():
    model = small_model(8, **QUIET)
    firm = model.firms_by_sector[0][0]
    pool = model.teaching[0]
    model.curricula[pool[0], 0] = firm.demand()  # perfect fit
    model.curricula[pool[1], 0] = 1.0 - firm.demand()  # poor fit
    for u in model.universities:
        u.reputation = 0.5
    w = cooperation.fit_weights(model, np.array([firm.index]))[0, pool[:2]]
    fit = match_quality(model.curricula[pool[:2], 0], firm.demand(), model.p["match_scale"])
    assert fit[0] == 1.0 > fit[1]
    assert w[0] / w[1] == pytest.approx(((1.0 + 1e-3) / (fit[1] + 1e-3))
                                        ** model.p["partner_fit_weight"])


# ----------------------------------------------------------------- the fund cap
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), budget=st.sampled_from([50.0, 200.0, 800.0, 3000.0]),
       years=st.integers(1, 3), negotiation=st.integers(0, 7),
       placement_subsidy=st.sampled_from([0.0, 2.0, 20.0]),
       hire_subsidy=st.sampled_from([0.0, 5.0]),
       subsidy_share=st.sampled_from([0.0, 0.3, 1.0]),
       monitoring=st.integers(0, 1))
def test_the_fund_never_pays_more_than_its_budget_in_a_year(
        seed, budget, years, negotiation, placement_subsidy, hire_subsidy, subsidy_share,
        monitoring):
    # grants start in every month (negotiation delays 0-7 months, contacts all year) and end
    # mid-year by their term, by dissolution and by monitoring, while subsidies are paid
    model = small_model(seed, n_students=800, contact_rate=3.0, fund_budget=budget,
                        fund_grant_years=years, negotiation_months=negotiation,
                        fund_placement_subsidy=placement_subsidy, fund_hire_subsidy=hire_subsidy,
                        fund_subsidy_share=subsidy_share, monitoring_interval=monitoring,
                        staff_turnover_hazard=0.3)
    model.run_years(4)
    gov = model.government
    assert len(gov.yearly_fund_payments) == 4
    assert max(gov.yearly_fund_payments) <= budget + 1e-6
    assert sum(gov.yearly_fund_payments) == pytest.approx(gov.spending["grants"])


def test_a_grant_signed_mid_year_counts_what_was_paid_and_is_still_due_this_year():
    model = small_model(9, **QUIET, fund_budget=120.0)
    model.run_for(7)  # the next step, 8, is month 7 of year 0: five payment months left
    now = model.steps + 1
    gov = model.government
    early = active(model, 0, model.firms[0].index, PLACEMENT)
    early.grant, early.grant_until = 120.0, now
    gov.commit_grant(early)
    for _ in range(9):  # a grant that was paid 90 this year ...
        gov.pay_grant(early)
    gov.release_grant(early)  # ... and has ended: no longer committed for later years
    running = active(model, 0, model.firms[1].index, PLACEMENT)
    running.grant, running.grant_until = 60.0, now + 36
    gov.commit_grant(running)
    assert gov.still_due_this_year(now) == pytest.approx(60.0 / 12 * 5)
    # 60 a year more fits later years (60 + 60 <= 120) but not this year (90 + 25 + 25 > 120)
    assert not gov.fund_has_room(60.0, 120.0, now)
    assert gov.fund_has_room(12.0, 120.0, now)  # 90 + 25 + 5 = 120
    gov.grants_paid(now)  # once this month's grants are paid, four months are still due
    assert gov.still_due_this_year(now) == pytest.approx(60.0 / 12 * 4)


# ------------------------------------------------------------------ incubators
def test_incubator_deadweight_places_go_to_founders_who_would_have_started_anyway():
    kw = dict(base_startup_rate=0.2, incubator_places=2, incubator_cost=10.0)
    none = small_model(10, **kw, incubator_deadweight=0.0)
    all_ = small_model(10, **kw, incubator_deadweight=1.0)
    base = small_model(10, base_startup_rate=0.2)
    for m in (none, all_, base):
        m.run_for(12)
    n_places = 2 * len(base.universities)
    assert none.startups_founded - base.startups_founded == n_places
    assert all_.startups_founded == base.startups_founded  # every place was deadweight
    assert all_.students.incubated.sum() == n_places
    assert all_.government.spending["other"] == pytest.approx(10.0 * n_places)


# --------------------------------------------------------- reputation and costs
def test_reputation_moves_toward_graduates_employment():
    model = small_model(11, reputation_rate=0.25)
    model.university_employment[:] = np.nan
    model.university_employment[0] = 0.9
    model.universities[0].reputation = 0.5
    model.universities[1].reputation = 0.5
    curriculum.update_reputations(model)
    assert model.universities[0].reputation == pytest.approx(0.5 + 0.25 * 0.4)
    assert model.universities[1].reputation == 0.5  # no cohort measured yet


def test_reputable_programmes_admit_more():
    model = small_model(12, reputation_intake_effect=1.0)
    model.universities[0].reputation = 0.9
    for u in model.universities[1:]:
        u.reputation = 0.3
    rows = model._admit(1)
    counts = np.bincount(model.students.university[rows], minlength=len(model.universities))
    shares = {u: w for u, _, w in model.programmes}
    even = small_model(12)
    even_rows = even._admit(1)
    even_counts = np.bincount(even.students.university[even_rows],
                              minlength=len(even.universities))
    assert counts[0] > even_counts[0]
    assert shares  # the programmes' base shares are unchanged
    assert counts[1] < even_counts[1]


def test_accreditation_reviews_and_fast_track_cost_the_government():
    acc = small_model(13, accreditation_weight=0.5, accreditation_interval=1,
                      accreditation_review_cost=7.0)
    results = curriculum.run_accreditation_reviews(acc, 1)
    assert acc.government.spending["other"] == pytest.approx(7.0 * len(results))
    fast = small_model(13, fast_track_cost_cut=0.5, fast_track_office_cost=40.0)
    fast.run_years(2)
    assert fast.government.spending["other"] == pytest.approx(80.0)
