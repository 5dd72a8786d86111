"""Invariants that hold at every step of every run, and determinism.

Property-based: hypothesis draws a seed, a population size and a policy
package; a small model runs long enough to graduate a cohort, measure it
at 6 and 12 months and let graduates leave (row recycling), and every
invariant is checked after every step.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.model import IndustryEducationModel
from simulation.model.agents import Student
from simulation.model.metrics import OUTCOMES
from simulation.model.partnerships import ACTIVE, ENDED
from simulation.model.policy import KINDS
from simulation.model.student_table import EMPLOYED, NONE, OUTSIDE, STATUS_NAMES, STUDYING
from tests import small_world

# the shared small world; graduates leave early, so rows are recycled within the run
SMALL = {**small_world.SMALL, "tracking_months": 13}
STEPS = 40

RATE_OUTCOMES = [name for name, o in OUTCOMES.items() if o.unit in ("share", "match", "index")]

policies = st.fixed_dictionaries(
    {
        "n_students": st.integers(300, 1500),
        "seed_partnerships": st.integers(0, 4),
        "contact_rate": st.sampled_from([0.0, 0.15, 1.0]),
        "fund_budget": st.sampled_from([0.0, 300.0, 3000.0]),
        "fund_grant_years": st.integers(1, 3),
        "fund_placement_subsidy": st.sampled_from([0.0, 2.0]),
        "fund_hire_subsidy": st.sampled_from([0.0, 3.0]),
        "tax_break_rate": st.sampled_from([0.0, 0.3]),
        "accreditation_weight": st.sampled_from([0.0, 0.5]),
        "accreditation_interval": st.integers(1, 3),
        "linkage_meetings": st.integers(0, 4),
        "firm_lecturer_share": st.sampled_from([0.0, 1.0]),
        "incubator_places": st.integers(0, 3),
        "monitoring_interval": st.integers(0, 2),
        "fast_track_delay_cut": st.sampled_from([0.0, 0.5]),
        "cross_sector_networks": st.sampled_from([0.0, 0.5]),
        "flexible_pathways": st.sampled_from([0.0, 0.5]),
        "staff_turnover_hazard": st.sampled_from([0.0, 0.15, 0.5]),
        "labour_demand_multiplier": st.sampled_from([0.5, 1.0, 1.5]),
        "internship_programme_share": st.sampled_from([0.0, 0.5, 1.0]),
        "job_separation_6m": st.sampled_from([0.0, 0.33, 0.9]),
        "fund_subsidy_share": st.sampled_from([0.0, 0.3, 1.0]),
        "accreditation_penalty": st.sampled_from([0.2, 1.0]),
        "hiring_season_share": st.sampled_from([0.0, 0.5, 1.0]),
        "vacancy_withdrawal_rate": st.sampled_from([0.0, 0.2, 1.0]),
        "turnover_trust_loss": st.sampled_from([0.0, 0.3, 1.0]),
        "placement_months": st.sampled_from([1, 6, 9]),
    }
)


def small_model(seed, **params):
    return IndustryEducationModel(rng=seed, **{**SMALL, **params})


# ----------------------------------------------------------------- the checks
def check_students(model):
    st_ = model.students
    alive = np.flatnonzero(st_.alive)
    status = st_.status[alive]
    assert np.isin(status, np.arange(len(STATUS_NAMES))).all(), "occupied row without a valid status"
    assert (st_.status[~st_.alive] == NONE).all(), "free row with a status"
    assert sum(st_.count(s) for s in range(len(STATUS_NAMES))) == st_.count() == len(alive)
    studying = alive[status == STUDYING]
    assert ((st_.year[studying] >= 1) & (st_.year[studying] <= model.p["study_years"])).all()
    assert (st_.months_since_grad[studying] == NONE).all()
    graduates = alive[status != STUDYING]
    assert (st_.months_since_grad[graduates] >= 0).all()
    assert (st_.host[graduates] == NONE).all()
    employed = alive[status == EMPLOYED]
    employer = st_.employer[employed]
    assert (((employer >= 0) & (employer < len(model.firms))) | (employer == OUTSIDE)).all()
    assert (st_.first_job_month[employed] >= 0).all(), "an employed graduate without a first job"
    not_employed = alive[status != EMPLOYED]
    assert (st_.employer[not_employed] == NONE).all()
    assert ((st_.match[employed] >= 0) & (st_.match[employed] <= 1)).all()
    skills = st_.skills[alive]
    assert ((skills >= 0) & (skills <= 1)).all()
    hosts = st_.host[alive]
    assert ((hosts == NONE) | ((hosts >= 0) & (hosts < len(model.firms)))).all()
    # students are conserved: everyone admitted has graduated, is enrolled, or left early
    accounts = model.student_accounts()
    assert accounts["admitted"] == (accounts["graduated"] + accounts["enrolled"]
                                    + accounts["left_early"]), accounts
    # a return offer is held only by final-year students and first-month graduates
    offers = alive[st_.return_offer[alive] >= 0]
    assert ((st_.year[offers] == model.p["study_years"]) | (st_.months_since_grad[offers] == 0)
            ).all()


def check_agents(model):
    alive = set(np.flatnonzero(model.students.alive).tolist())
    assert set(model.student_agents) == alive
    assert all(agent.row == row for row, agent in model.student_agents.items())
    agents = model.agents_by_type[Student]
    assert len(agents) == len(alive)
    assert {a.row for a in agents} == alive


def check_partnerships(model):
    net = model.network
    n_u, n_f = len(model.universities), len(model.firms)
    open_ = net.open()
    for q in open_:
        assert 0 <= q.university < n_u and 0 <= q.firm < n_f
        assert net.pair[q.university, q.firm, q.kind] == q.id
        assert net.is_active[q.id] == (q.state == ACTIVE)
    # at most one open partnership of each kind per pair
    assert len({(q.university, q.firm, q.kind) for q in open_}) == len(open_)
    assert (net.pair >= 0).sum() == len(open_)
    np.testing.assert_array_equal(net.open_by_pair, (net.pair >= 0).sum(axis=2))
    assert (model.firm_vacancies >= 0).all() and (model.firm_vacancies <= model.firm_opened).all()
    for q in net.all:
        if q.state == ENDED:
            assert q.end_step >= 0
        if q.state == ACTIVE:
            assert q.start_step >= 0
    active = net.active()
    assert sum(net.count_active(k) for k in range(len(KINDS))) == len(active)
    assert 0 <= net.dissolved <= len(net.all)


def check_reporters(model):
    row = model.datacollector.model_vars
    for name in RATE_OUTCOMES:
        value = row[name][-1]
        assert math.isnan(value) or 0.0 <= value <= 1.0, (name, value)
    total = row["government_spending"][-1]
    lines = row["spending_grants"][-1] + row["spending_forgone_tax"][-1] + row["spending_other"][-1]
    assert total == pytest.approx(lines, rel=1e-12, abs=1e-9)
    assert min(row["spending_grants"][-1], row["spending_forgone_tax"][-1],
               row["spending_other"][-1]) >= 0.0
    assert len(row["government_spending"]) == model.steps + 1


def check_fund(model):
    gov = model.government
    running = sum(q.grant for q in model.network.active()
                  if q.grant > 0 and q.grant_until > model.steps + 1)
    assert gov.fund_committed == pytest.approx(running, abs=1e-6)
    assert gov.fund_committed <= model.p["fund_budget"] + 1e-6
    # the fund never pays more than its budget in a year
    assert all(paid <= model.p["fund_budget"] + 1e-6 for paid in gov.yearly_fund_payments)


def check_all(model):
    check_students(model)
    check_agents(model)
    check_partnerships(model)
    check_reporters(model)


# ------------------------------------------------------------------ properties
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), params=policies)
def test_invariants_hold_at_every_step(seed, params):
    model = small_model(seed, **params)
    check_all(model)
    for _ in range(STEPS):
        model.step()
        check_all(model)
    assert model.cohort_records, "a cohort was measured"
    assert model.students.count(STUDYING) > 0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), params=policies)
def test_fund_commitments_equal_running_grants(seed, params):
    model = small_model(seed, **{**params, "fund_budget": 3000.0, "contact_rate": 1.0})
    for _ in range(STEPS):
        model.step()
        check_fund(model)


def test_fund_commitments_equal_running_grants_long_run():
    """The same invariant over a longer funded run (reviews end partnerships mid-grant)."""
    model = small_model(0, n_students=4000, fund_budget=3000.0)
    for _ in range(12 * 10):
        model.step()
        check_fund(model)


def test_student_agents_are_made_when_asked_for_and_are_those_mesa_would_hold():
    model = small_model(5, n_students=600, n_firms_tech=40)
    model.run_for(40)  # cohorts admitted and graduates gone: rows recycled, firms started
    assert model._student_agents == {}  # nobody asked: no Student object was made
    enrolled = model.students.count()
    assert enrolled > 0 and model.students.registered.sum() == 0
    students = model.agents_by_type[Student]
    assert len(students) == enrolled == len(model.student_agents)
    ids = [a.unique_id for a in model.agents]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)  # Mesa's order: creation order
    assert model.agent_id_counter > max(ids)
    # agents of students who left were never made and their ids are not reused
    reserved = model.students.agent_id[model.students.alive]
    assert sorted(a.unique_id for a in students) == sorted(reserved.tolist())
    # Mesa's own set methods see every student once
    visited = []
    students.shuffle_do(lambda a: visited.append(a.unique_id))
    assert sorted(visited) == sorted(reserved.tolist())
    # once made, an agent stays the same object and reads and writes its row
    agent = students[0]
    agent.experience = 7.5
    assert model.students.experience[agent.row] == 7.5
    model.run_for(14)  # a new cohort, graduates gone: the set held since then is still true
    assert len(students) == model.students.count() and len(model.agents) == (
        model.students.count() + len(model.firms) + len(model.universities) + 1)
    table = model.students
    assert all(table.alive[a.row] and table.agent_id[a.row] == a.unique_id for a in students)
    check_agents(model)


def test_students_registered_by_cohort_are_the_agents_mesa_registers_one_by_one():
    # Cohorts are registered at once while nothing observes the model's agent signals; an
    # observer makes every student go through Mesa's Agent() and remove(), one by one, each
    # with its signal. Both give the same agents, ids and numbers.
    from mesa.experimental.mesa_signals import ModelSignals

    bulk = small_model(9, n_students=600)
    single = small_model(9, n_students=600)
    heard = {"added": 0, "removed": 0}

    def added(_):
        heard["added"] += 1

    def removed(_):
        heard["removed"] += 1

    # Mesa keeps observers by weak reference: these functions live to the end of the test
    single.observe("agents", ModelSignals.AGENT_ADDED, added)
    single.observe("agents", ModelSignals.AGENT_REMOVED, removed)
    at_start = len(single.student_agents)
    for model in (bulk, single):
        model.run_for(36)
        check_agents(model)
    # every admission and every departure was signalled
    assert heard["added"] > 0 and heard["removed"] > 0
    assert at_start + heard["added"] - heard["removed"] == len(single.student_agents)
    ids = {m: sorted((row, a.unique_id) for row, a in m.student_agents.items())
           for m in (bulk, single)}
    assert ids[bulk] == ids[single]
    assert [a.unique_id for a in bulk.agents] == [a.unique_id for a in single.agents]
    assert bulk.outcomes() == pytest.approx(single.outcomes(), nan_ok=True)


def test_rows_are_recycled_and_agents_follow():
    model = small_model(4, n_students=600)
    capacity = model.students.capacity
    first_rows = set(model.student_agents)
    model.run_for(STEPS)
    check_agents(model)
    assert model.students.capacity == capacity  # graduates left and their rows were reused
    assert set(model.student_agents) != first_rows


# ----------------------------------------------------------------- determinism
def run(seed, years=3, **params):
    model = small_model(seed, n_students=1500, seed_partnerships=2, fund_budget=1000.0,
                        tax_break_rate=0.2, incubator_places=1, **params)
    model.run_years(years)
    return model


def same_outcomes(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        (math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a)


def test_same_seed_same_run():
    a, b = run(21), run(21)
    pd.testing.assert_frame_equal(a.datacollector.get_model_vars_dataframe(),
                                  b.datacollector.get_model_vars_dataframe())
    assert same_outcomes(a.outcomes(), b.outcomes())
    assert a.cohort_records == b.cohort_records
    np.testing.assert_array_equal(a.students.skills, b.students.skills)


def test_seed_sequence_seed_is_deterministic():
    a = run(np.random.SeedSequence(5), years=2)
    b = run(np.random.SeedSequence(5), years=2)
    pd.testing.assert_frame_equal(a.datacollector.get_model_vars_dataframe(),
                                  b.datacollector.get_model_vars_dataframe())


def test_different_seeds_differ():
    a, b = run(21), run(22)
    fa = a.datacollector.get_model_vars_dataframe()
    fb = b.datacollector.get_model_vars_dataframe()
    assert not fa.equals(fb)
    assert not same_outcomes(a.outcomes(), b.outcomes())
    assert not np.array_equal(a.curricula, b.curricula)


def test_common_random_numbers_across_policies():
    """A lever does not change the population or industry's random path (paired comparisons)."""
    base = small_model(8, n_students=1500)
    funded = small_model(8, n_students=1500, fund_budget=3000.0, tax_break_rate=0.3,
                         linkage_meetings=4)
    np.testing.assert_array_equal(base.students.skills, funded.students.skills)
    np.testing.assert_array_equal(base.curricula, funded.curricula)
    for m in (base, funded):
        m.run_years(3)
    np.testing.assert_array_equal(base.sector_demand, funded.sector_demand)
    assert [f.downturn for f in base.firms] == [f.downturn for f in funded.firms]
    assert len(funded.network.all) > len(base.network.all)  # the levers did act
