"""Unit tests of the model's mechanisms, one lever or process at a time.

Each test sets up a small model (or a hand-built state inside one), lets one
mechanism act, and checks the documented rule exactly where the rule is
arithmetic, or the documented direction where it is behaviour.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from simulation.model import IndustryEducationModel, cooperation, curriculum, labour_market, monitoring
from simulation.model.agents import Student
from simulation.model.partnerships import trust_target, update_trust
from simulation.model.policy import CO_CURRICULUM, JOINT_RESEARCH, KINDS, PLACEMENT, Levers, firm_net_cost
from simulation.model.skills import learn, match_quality, rms_gap
from simulation.model.student_table import EMPLOYED, SEEKING, SELF_EMPLOYED, STUDYING
from tests.small_world import N_UNIS, QUIET, SMALL


def small_model(seed: int = 1, **params) -> IndustryEducationModel:
    return IndustryEducationModel(rng=seed, **{**SMALL, **params})


def one_grant_partnership(seed=3, kind=PLACEMENT, sign_at=1, expected_value=1e6, **params):
    """A quiet model in which exactly one partnership signs at step ``sign_at`` with a grant.

    The negotiation is opened by hand one month before (delay of one month),
    so ``progress_negotiations`` signs it and draws its grant in step ``sign_at``.
    """
    params = {**QUIET, "fund_budget": 1000.0, "negotiation_months": 1, "min_trust": 0.0, **params}
    model = small_model(seed, **params)
    firm = model.firms_by_sector[0][0]
    firm.expected_value[:] = expected_value
    if sign_at > 1:
        model.run_for(sign_at - 1)
    q = model.network.create(0, firm.index, kind, model.steps)
    return model, q


def grants_by_step(model, steps: int) -> list[float]:
    out = []
    for _ in range(steps):
        before = model.government.spending["grants"]
        model.step()
        out.append(model.government.spending["grants"] - before)
    return out


# ------------------------------------------------------------------ tax break
@settings(max_examples=60, deadline=None)
@given(
    gross=st.floats(0.0, 1e4),
    rate=st.floats(0.0, 1.0),
    grant=st.floats(0.0, 1e4),
)
def test_tax_break_lowers_net_cost_by_rate_times_gross(gross, rate, grant):
    without = firm_net_cost(gross, 0.0, grant)
    with_break = firm_net_cost(gross, rate, grant)
    assert without - with_break == pytest.approx(rate * gross, abs=1e-9)
    assert with_break == pytest.approx(gross - rate * gross - grant, abs=1e-9)


def test_gross_cost_includes_cultural_distance():
    lv = Levers(small_model(cultural_distance=0.5, cost_placement=40.0).p)
    assert lv.gross_cost(PLACEMENT) == pytest.approx(60.0)


def test_forgone_tax_line_is_rate_times_gross_per_active_month():
    rate = 0.3
    model = small_model(5, tax_break_rate=rate, seed_partnerships=3, **QUIET)
    lv = model.levers
    assert len(model.network.active()) == 3 * N_UNIS
    for _ in range(26):  # two reviews, where some partnerships may end
        # no contacts: the partnerships paying this month are those active now
        expected = rate * sum(lv.gross_cost(q.kind) for q in model.network.active()) / 12.0
        before = model.government.spending["forgone_tax"]
        model.step()
        assert model.government.spending["forgone_tax"] - before == pytest.approx(expected, rel=1e-12)
    assert model.government.spending["forgone_tax"] > 0


def test_no_tax_break_no_forgone_tax():
    model = small_model(5, seed_partnerships=3, **QUIET)
    model.run_for(14)
    assert model.government.spending["forgone_tax"] == 0.0


# ------------------------------------------------------------ dedicated fund
def test_grant_is_paid_monthly_for_its_years_then_stops_and_is_released():
    years = 2
    model, q = one_grant_partnership(fund_grant_years=years)
    paid = grants_by_step(model, 12 * years + 14)
    grant = model.p["fund_grant_share"] * model.levers.gross_cost(PLACEMENT)
    assert q.state == "active" and q.start_step == 1
    assert q.grant == pytest.approx(grant)
    months_paid = [i + 1 for i, g in enumerate(paid) if g > 0]
    assert months_paid == list(range(1, 12 * years + 1))  # steps 1..24, then nothing
    assert paid[: 12 * years] == pytest.approx([grant / 12.0] * (12 * years))
    assert model.government.spending["grants"] == pytest.approx(grant * years)
    assert model.government.fund_committed == pytest.approx(0.0, abs=1e-9)
    assert q.state == "active"  # the partnership itself outlives its grant here


def test_fund_commitment_is_held_while_grant_runs():
    model, q = one_grant_partnership(fund_grant_years=2)
    model.step()
    assert model.government.fund_committed == pytest.approx(q.grant)
    model.run_for(22)  # step 23: one month of grant left
    assert model.government.fund_committed == pytest.approx(q.grant)
    model.step()  # step 24: last month paid, commitment released
    assert model.government.fund_committed == pytest.approx(0.0, abs=1e-9)


def test_partnership_carried_by_grant_dissolves_after_it_ends_as_grant_end():
    # expected value covers the net cost with the grant (0.5 * gross) but not without (gross)
    probe = small_model()
    gross = probe.levers.gross_cost(PLACEMENT)
    model, q = one_grant_partnership(fund_grant_years=2, expected_value=0.75 * gross)
    model.run_for(23)
    assert q.state == "active"  # signed at step 1: not reviewed at step 12 (11 months)
    model.step()  # step 24: first review, in the grant's last month; next year it is gone
    assert q.state == "ended"
    assert q.end_step == 24
    assert q.reason == "grant_end"


def test_grant_released_once_when_partnership_ends_in_its_last_grant_month():
    # Signed at step 13 with a 2-year grant: last grant month is step 36, which is
    # also a yearly review; staff turnover ends the partnership at that review.
    # the key contact leaves and takes all trust with them (a loss the institution cannot absorb)
    model, q = one_grant_partnership(fund_grant_years=2, sign_at=13, staff_turnover_hazard=1.0,
                                     turnover_trust_loss=1.0, min_trust=0.5)
    model.step()  # step 13: signed
    assert q.state == "active" and q.grant > 0 and q.grant_until == 37
    model.run_for(23)  # through step 36
    assert q.state == "ended" and q.end_step == 36
    assert model.government.spending["grants"] == pytest.approx(2 * q.grant)
    # nothing is committed any more: the grant must be released exactly once
    assert model.government.fund_committed == pytest.approx(0.0, abs=1e-9)


def test_no_fund_no_grant():
    model, q = one_grant_partnership(fund_budget=0.0)
    model.run_for(3)
    assert q.state == "active" and q.grant == 0.0
    assert model.government.spending["grants"] == 0.0


def test_fund_budget_caps_commitments():
    model = small_model()
    grant = model.levers.grant(JOINT_RESEARCH)
    model.p["fund_budget"] = 1.5 * grant
    assert cooperation.grant_on_offer(model, JOINT_RESEARCH) == pytest.approx(grant)
    model.government.fund_committed = grant
    assert cooperation.grant_on_offer(model, JOINT_RESEARCH) == 0.0


# ----------------------------------------------------------------- placements
@settings(max_examples=40, deadline=None)
@given(
    skills=hnp.arrays(np.float64, (5, 4), elements=st.floats(0, 1)),
    target=hnp.arrays(np.float64, (5, 4), elements=st.floats(0, 1)),
    rate=st.floats(0.0, 1.0),
)
def test_learn_closes_rate_share_of_the_gap(skills, target, rate):
    after = learn(skills, target, rate)
    np.testing.assert_allclose(target - after, (1.0 - rate) * (target - skills), atol=1e-12)


def test_placement_moves_skills_toward_host_demand_faster_than_curriculum():
    model = small_model(7, **QUIET)
    st_ = model.students
    rows = np.flatnonzero(st_.alive & (st_.status == STUDYING) & (st_.university == 0)
                          & (st_.field == 0) & (st_.research_host < 0))
    a, b = int(rows[0]), int(rows[1])
    firm = model.firms_by_sector[0][0]
    st_.host[a] = firm.index
    st_.placement_end[a] = model.steps + 6
    before_a, before_b = st_.skills[a].copy(), st_.skills[b].copy()
    curriculum_b = model.curricula[0, 0].copy()
    model.step()
    demand = firm.demand()  # demand drifts before students learn; this is what they learnt toward
    np.testing.assert_array_equal(model.curricula[0, 0], curriculum_b)  # no review in month 0
    placement_rate = model.p["placement_learning_rate"]
    curriculum_rate = model.p["curriculum_learning_rate"] * model.universities[0].teaching_quality
    np.testing.assert_allclose(demand - st_.skills[a], (1 - placement_rate) * (demand - before_a),
                               atol=1e-12)
    np.testing.assert_allclose(curriculum_b - st_.skills[b],
                               (1 - curriculum_rate) * (curriculum_b - before_b), atol=1e-12)
    shrink_a = rms_gap(st_.skills[a], demand) / rms_gap(before_a, demand)
    shrink_b = rms_gap(st_.skills[b], curriculum_b) / rms_gap(before_b, curriculum_b)
    assert shrink_a < shrink_b
    assert st_.experience[a] == 1.0 and st_.experience[b] == 0.0


def test_placements_go_to_final_year_students_of_the_partner():
    model = small_model(2, seed_partnerships=3, **QUIET)
    model.run_for(4)  # placements start in the fourth month
    st_ = model.students
    on = np.flatnonzero(st_.alive & (st_.host >= 0))
    assert len(on) > 0
    assert (st_.year[on] == model.p["study_years"]).all()
    assert st_.had_placement[on].all()
    pids = model.network.pair[st_.university[on], st_.host[on], PLACEMENT]
    assert (pids >= 0).all()
    assert all(model.network.all[i].kind == PLACEMENT for i in pids)
    for i in np.unique(pids):  # each base takes at most its own and the firm's ordinary slots
        q = model.network.all[i]
        size = model.firms[q.firm].size
        slots = round((model.p["placement_slots"] + model.p["base_placement_slots"]) * size)
        assert (pids == i).sum() <= slots


@pytest.mark.parametrize("months", [1, 6])
def test_placement_lasts_placement_months(months):
    model = small_model(2, seed_partnerships=3, placement_months=months, **QUIET)
    model.run_for(4)  # placements assigned in step 4 and learnt from in the same month
    st_ = model.students
    on = np.flatnonzero(st_.alive & st_.had_placement & (st_.research_host < 0))
    assert len(on) > 0
    hosts = st_.last_host[on].copy()
    assert (hosts >= 0).all()
    np.testing.assert_array_equal(st_.experience[on], 1.0)
    model.run_for(months + 2)
    assert (st_.host[on] < 0).all()  # over, the host kept as last_host
    np.testing.assert_array_equal(st_.last_host[on], hosts)
    # one month of practical experience per month on placement: exactly placement_months
    np.testing.assert_array_equal(st_.experience[on], months)


# -------------------------------------------------------------- accreditation
def test_accreditation_penalty_cuts_intake_and_reputation_and_remediates():
    model = small_model(4, accreditation_penalty=0.25)
    uni, f = model.universities[3], 1
    uni.reputation = 0.6
    intake = uni.intake_factor[f]
    before = uni.curriculum[f].copy()
    demand = model.sector_demand[f]
    curriculum.apply_accreditation_penalty(model, uni, f)
    assert uni.intake_factor[f] == pytest.approx(0.75 * intake)
    assert uni.reputation == pytest.approx(0.45)
    remediation = model.p["accreditation_remediation"]
    np.testing.assert_allclose(uni.curriculum[f], before + remediation * (demand - before))
    assert rms_gap(uni.curriculum[f], demand) < rms_gap(before, demand)


def test_failing_reviews_apply_penalty_to_every_programme_reviewed():
    model = small_model(4, accreditation_weight=1.0, accreditation_threshold=1.0,
                        accreditation_interval=1, accreditation_penalty=0.2)
    gaps = [rms_gap(u.curriculum[f], model.sector_demand[f]) for u in model.universities for f in u.fields]
    results = curriculum.run_accreditation_reviews(model, 1)
    assert len(results) == sum(len(u.fields) for u in model.universities)
    assert not any(passed for *_, passed in results)
    for uni in model.universities:
        for f in uni.fields:
            assert uni.intake_factor[f] == pytest.approx(0.8)
            assert not uni.accredited[f]
        assert uni.reputation == pytest.approx(0.5 * 0.8 ** len(uni.fields))
    after = [rms_gap(u.curriculum[f], model.sector_demand[f]) for u in model.universities for f in u.fields]
    np.testing.assert_allclose(after, 0.5 * np.asarray(gaps))
    assert len(model.accreditation_log) == len(results)


def test_passing_reviews_change_nothing():
    model = small_model(4, accreditation_weight=1.0, accreditation_threshold=0.0,
                        accreditation_interval=1)
    curricula = model.curricula.copy()
    results = curriculum.run_accreditation_reviews(model, 1)
    assert results and all(passed for *_, passed in results)
    np.testing.assert_array_equal(model.curricula, curricula)
    assert all(u.reputation == 0.5 and (u.intake_factor == 1).all() for u in model.universities)


def test_no_industry_weight_no_review():
    model = small_model(4, accreditation_weight=0.0, accreditation_threshold=1.0,
                        accreditation_interval=1)
    curricula = model.curricula.copy()
    assert curriculum.run_accreditation_reviews(model, 1) == []
    np.testing.assert_array_equal(model.curricula, curricula)
    assert model.accreditation_log == []
    assert all(u.reputation == 0.5 and (u.intake_factor == 1).all() for u in model.universities)
    model.run_years(2)
    assert model.accreditation_log == []


def test_accreditation_score_weighs_alignment():
    model = small_model(4, accreditation_weight=0.4)
    uni = model.universities[0]
    expected = 0.6 * uni.teaching_quality + 0.4 * curriculum.alignment(model, uni, 0)
    assert curriculum.accreditation_score(model, uni, 0) == pytest.approx(expected)


def _intake(model, u, f) -> int:
    st_ = model.students
    return int((st_.alive & (st_.year == 1) & (st_.university == u) & (st_.field == f)).sum())


def test_intake_a_failed_programme_turns_away_goes_to_its_fields_other_programmes():
    models = [small_model(6, **QUIET), small_model(6, **QUIET)]
    for m in models:
        m.run_for(12)
    base, failed = models
    u, f = next((u, f) for u, f, _ in failed.programmes if f == 0)
    curriculum.apply_accreditation_penalty(failed, failed.universities[u], f)
    sizes = {(v, g): s for v, g, s in failed.intake_sizes()[0]}
    base_sizes = {(v, g): s for v, g, s in base.intake_sizes()[0]}
    assert sizes[(u, f)] < base_sizes[(u, f)]  # the failed programme admits fewer
    others = [(v, g) for v, g in sizes if g == f and v != u]
    assert others and all(sizes[k] > base_sizes[k] for k in others)  # its field's others more
    for g in range(3):  # every field admits as many as before: nobody is deleted
        assert sum(s for (v, h), s in sizes.items() if h == g) == pytest.approx(
            sum(s for (v, h), s in base_sizes.items() if h == g))
    for m in models:
        m.step()  # step 13: the new intake
    assert _intake(failed, u, f) < _intake(base, u, f)
    total = [sum(_intake(m, v, g) for v, g, _ in m.programmes) for m in models]
    assert abs(total[1] - total[0]) <= len(base.programmes)  # rounding of each programme only
    assert failed.student_accounts()["not_admitted"] == 0


def test_when_every_programme_fails_the_cohorts_keep_their_size():
    # (reputation, which every failed review also cuts, does not steer applicants here)
    fail = dict(accreditation_weight=1.0, accreditation_threshold=1.0, accreditation_interval=1,
                accreditation_penalty=0.2)
    models = [small_model(6, reputation_intake_effect=0.0, **QUIET),
              small_model(6, reputation_intake_effect=0.0, **QUIET, **fail)]
    for m in models:
        m.run_for(13)  # step 13: reviews, then the new intake
    base, failed = models
    assert len(failed.accreditation_log) == len(failed.programmes)
    for u, f, _ in base.programmes:
        assert abs(_intake(failed, u, f) - _intake(base, u, f)) <= 1


def test_applicants_of_a_field_no_programme_takes_are_counted_out_of_higher_education():
    model = small_model(6, intake_recovery=0.0, **QUIET)
    model.run_for(12)
    for uni in model.universities:
        if 2 in uni.fields:
            uni.intake_factor[2] = 0.0  # every agri programme closed to new students
    model.step()
    accounts = model.student_accounts()
    yearly_agri = model.p["n_students"] / model.p["study_years"] * sum(
        w for _, f, w in model.programmes if f == 2)
    assert accounts["not_admitted"] == round(yearly_agri)
    assert accounts["admitted"] == accounts["graduated"] + accounts["enrolled"] + accounts["left_early"]


# ------------------------------------------------------------ linkage meetings
def test_linkage_meetings_raise_contact_probability():
    probs = [Levers(small_model(linkage_meetings=m).p).monthly_contact_probability() for m in range(5)]
    assert all(b > a for a, b in zip(probs, probs[1:], strict=False))
    p = small_model().p
    assert probs[0] == pytest.approx(1 - math.exp(-p["contact_rate"] / 12))
    boost = p["linkage_contact_boost"]
    assert probs[3] == pytest.approx(1 - math.exp(-p["contact_rate"] * (1 + 3 * boost) / 12))


def test_linkage_meetings_bring_more_negotiations():
    opened = {0: 0, 8: 0}
    for seed in range(3):
        for meetings in opened:
            m = small_model(seed, linkage_meetings=meetings)
            m.run_for(12)
            opened[meetings] += len(m.network.all)
    assert opened[8] > 1.5 * opened[0]


def test_linkage_meetings_are_paid_every_year_they_are_held():
    meetings, cost = 3, 40.0
    model = small_model(linkage_meetings=meetings, linkage_meeting_cost=cost)
    model.run_years(3)  # meetings raise the contact rate in years 0, 1 and 2
    assert model.government.spending["other"] == pytest.approx(3 * meetings * cost)


# ----------------------------------------------------------------- fast track
@pytest.mark.parametrize("cut", [0.0, 0.25, 0.5, 1.0])
def test_fast_track_cuts_set_up_cost_by_its_share(cut):
    base = Levers(small_model().p).set_up_cost()
    lv = Levers(small_model(fast_track_cost_cut=cut).p)
    assert lv.set_up_cost() == pytest.approx((1 - cut) * base)
    assert base == pytest.approx(10.0 * 1.3)


@pytest.mark.parametrize(("months", "cut", "delay"), [(4, 0.0, 4), (4, 0.5, 2), (6, 0.5, 3),
                                                      (4, 1.0, 0), (10, 0.3, 7)])
def test_fast_track_cuts_negotiation_delay_by_its_share(months, cut, delay):
    lv = Levers(small_model(negotiation_months=months, fast_track_delay_cut=cut).p)
    assert lv.negotiation_delay() == delay


def test_fast_track_raises_firms_offer_values_by_amortised_saving():
    base, fast = small_model(2), small_model(2, fast_track_cost_cut=0.6)
    firm_b, firm_f = base.firms[0], fast.firms[0]
    grants = np.zeros(len(KINDS))
    diff = (cooperation.firm_offer_values(fast, firm_f, grants)
            - cooperation.firm_offer_values(base, firm_b, grants))
    saving = 0.6 * base.levers.set_up_cost() / base.p["set_up_amortisation_years"]
    np.testing.assert_allclose(diff, saving)


@pytest.mark.parametrize("cut", [0.0, 0.5])
def test_partnerships_sign_after_the_negotiation_delay(cut):
    model = small_model(3, contact_rate=3.0, negotiation_dropout=0.0, downturn_probability=0.0,
                        fast_track_delay_cut=cut)
    model.run_for(18)
    signed = [q for q in model.network.all if q.start_step >= 0]
    assert len(signed) >= 5
    delay = model.levers.negotiation_delay()
    assert delay == round(4 * (1 - cut))
    assert all(q.start_step - q.contact_step == delay for q in signed)


# ------------------------------------------------------------- firm lecturers
def _add_co_curriculum(model, u, firm, lecturer):
    q = model.network.create(u, firm.index, CO_CURRICULUM, model.steps)
    model.network.activate(q, model.steps)
    q.lecturer = lecturer
    return q


def test_firm_lecturer_speeds_curriculum_review():
    model = small_model(8, **QUIET)
    firm = model.firms_by_sector[0][0]
    q = _add_co_curriculum(model, 0, firm, lecturer=False)
    curricula, intake = model.curricula.copy(), [u.intake_factor.copy() for u in model.universities]
    target = firm.demand()
    before = rms_gap(model.curricula[0, 0], target)
    closed = {}
    for lecturer in (False, True):
        model.curricula[:] = curricula
        for u, i in zip(model.universities, intake, strict=True):
            u.intake_factor[:] = i
        q.lecturer = lecturer
        curriculum.review_curricula(model)
        closed[lecturer] = 1 - rms_gap(model.curricula[0, 0], target) / before
    p = model.p
    rate = p["curriculum_review_rate"] + p["co_curriculum_rate"] / p["partners_for_full_effect"]
    assert closed[False] == pytest.approx(rate)
    assert closed[True] == pytest.approx(min(1.0, rate + p["firm_lecturer_effect"]))
    assert closed[True] > closed[False]


def test_co_curriculum_partner_beats_academic_inertia():
    """A partnered programme closes more of its gap to current demand than an unpartnered one."""
    model = small_model(8, **QUIET)
    model.run_years(2)  # let demand drift away from the lagged view
    curricula = model.curricula.copy()
    firm = model.firms_by_sector[0][0]
    gap = {}
    for partnered in (False, True):
        model.curricula[:] = curricula
        if partnered:
            _add_co_curriculum(model, 0, firm, lecturer=False)
        before = rms_gap(model.curricula[0, 0], firm.demand())
        curriculum.review_curricula(model)
        gap[partnered] = rms_gap(model.curricula[0, 0], firm.demand()) / before
    assert gap[True] < gap[False]


def test_firm_lecturer_stipend_is_paid_monthly():
    model = small_model(3, seed_partnerships=3, firm_lecturer_share=1.0, firm_lecturer_stipend=24.0,
                        **QUIET)
    lecturers = [q for q in model.network.active() if q.lecturer]
    assert lecturers and all(q.kind == CO_CURRICULUM for q in lecturers)
    assert all(q.lecturer for q in model.network.active() if q.kind == CO_CURRICULUM)
    model.run_for(5)
    assert model.government.spending["other"] == pytest.approx(5 * len(lecturers) * 24.0 / 12)


# ------------------------------------------------------------------ incubator
def test_incubator_places_make_startups_at_their_cost():
    places, cost = 2, 35.0
    base = small_model(9)
    inc = small_model(9, incubator_places=places, incubator_cost=cost, incubator_deadweight=0.0)
    for m in (base, inc):
        m.run_for(12)  # first graduation at the end of step 12
    assert inc.startups_founded - base.startups_founded == places * N_UNIS
    st_ = inc.students
    incubated = np.flatnonzero(st_.alive & st_.incubated)
    assert len(incubated) == places * N_UNIS
    assert (st_.status[incubated] == SELF_EMPLOYED).all()
    np.testing.assert_array_equal(np.bincount(st_.university[incubated], minlength=N_UNIS),
                                  [places] * N_UNIS)
    assert inc.government.spending["other"] == pytest.approx(places * N_UNIS * cost)
    assert base.government.spending["other"] == 0.0
    assert inc.students.count(SELF_EMPLOYED) - base.students.count(SELF_EMPLOYED) == places * N_UNIS


# ----------------------------------------------------------------- monitoring
def funded_trio(**params):
    """A quiet funded model with one granted partnership of each kind at university 0."""
    model = small_model(11, **{**QUIET, "fund_budget": 2000.0, "monitoring_interval": 1,
                               "monitoring_cost": 80.0, **params})
    model.run_for(1)
    trio = []
    for kind, firm in zip(range(len(KINDS)), model.firms_by_sector[0], strict=False):
        q = model.network.create(0, firm.index, kind, model.steps)
        model.network.activate(q, model.steps)
        q.grant = 10.0
        q.grant_until = q.grant_expiry = model.steps + 36
        model.government.commit_grant(q)
        trio.append(q)
    return model, trio


def test_monitoring_scores_what_the_fund_pays_for_on_the_papers_criteria():
    model, trio = funded_trio()
    model.programme_employment[0, 0] = 0.8
    for q, trust in zip(trio, (0.2, 0.5, 0.9), strict=True):
        q.trust = trust
    align = curriculum.alignment(model, model.universities[0], 0)
    for q in trio:
        assert monitoring.partnership_score(model, q) == pytest.approx((0.8 + q.trust + align) / 3)
    scores = np.array([monitoring.partnership_score(model, q) for q in trio])
    monitoring.evaluate(model)
    gov = model.government
    np.testing.assert_allclose(gov.kind_weights, np.clip(scores / scores.mean(), 0.25, 2.0))
    assert gov.spending["other"] == pytest.approx(80.0)
    for k in range(len(KINDS)):  # new grants follow the weights
        expected = model.p["fund_grant_share"] * model.levers.gross_cost(k) * gov.kind_weights[k]
        assert cooperation.grant_on_offer(model, k) == pytest.approx(expected)


def test_monitoring_renews_the_best_grants_and_stops_the_worst():
    model, trio = funded_trio(monitoring_stop_share=0.34, monitoring_renew_share=0.34)
    worst, middle, best = trio
    for q, trust in zip(trio, (0.1, 0.5, 0.9), strict=True):
        q.trust = trust
    until = middle.grant_until
    monitoring.evaluate(model)
    now = model.steps
    assert not worst.has_grant(now) and not worst.committed and worst.grant_expiry == now
    assert middle.grant_until == until and middle.committed
    assert best.grant_until == now + 12 * model.p["fund_grant_years"] and best.committed
    assert model.government.fund_committed == pytest.approx(20.0)
    ev = model.government.evaluations[-1]
    assert ev["grants_stopped"] == 1 and ev["grants_renewed"] == 1


def test_monitoring_with_nothing_funded_keeps_the_weights():
    model = small_model(11, seed_partnerships=4, fund_budget=2000.0, monitoring_interval=1,
                        **QUIET)
    model.run_for(13)  # step 13: first evaluation; seeded partnerships have no grant
    gov = model.government
    assert len(gov.evaluations) == 1
    np.testing.assert_array_equal(gov.kind_weights, np.ones(3))


def test_no_monitoring_no_evaluation():
    model = small_model(11, seed_partnerships=4, fund_budget=2000.0, **QUIET)
    model.run_years(3)
    assert model.government.evaluations == []
    np.testing.assert_array_equal(model.government.kind_weights, np.ones(3))
    assert model.government.spending["other"] == 0.0


# -------------------------------------------------------------- match quality
@settings(max_examples=60, deadline=None)
@given(
    skills=hnp.arrays(np.float64, (6, 5), elements=st.floats(0, 1)),
    demand=hnp.arrays(np.float64, 5, elements=st.floats(0, 1)),
    scale=st.floats(0.1, 10.0),
    rate=st.floats(0.0, 1.0),
)
def test_match_quality_bounded_and_monotone(skills, demand, scale, rate):
    q = match_quality(skills, demand, scale)
    assert q.shape == (6,)
    assert ((q >= 0) & (q <= 1)).all()
    assert (match_quality(np.broadcast_to(demand, skills.shape), demand, scale) == 1.0).all()
    closer = learn(skills, np.broadcast_to(demand, skills.shape), rate)
    assert (match_quality(closer, demand, scale) >= q - 1e-12).all()  # closer is never worse
    assert (match_quality(skills, demand, scale * 1.5) <= q + 1e-12).all()  # harsher scale


def test_match_quality_formula():
    skills = np.array([[0.2, 0.4, 0.6]])
    demand = np.array([0.5, 0.5, 0.5])
    gap = math.sqrt((0.09 + 0.01 + 0.01) / 3)
    assert match_quality(skills, demand, 1.8)[0] == pytest.approx(1 - 1.8 * gap)


# --------------------------------------------------------------- labour market
TINY = dict(
    n_students=60, n_technical_universities=1, n_art_schools=0, n_comprehensive_universities=0,
    n_firms_tech=3, n_firms_design=0, n_firms_agri=0, applicants_per_vacancy=100,
    firm_min_match=0.0, partner_recruitment_share=0.0,
)


def at_gap(demand: np.ndarray, gap: float) -> np.ndarray:
    """Skills at RMS distance ``gap`` from ``demand``, inside [0, 1]."""
    return np.where(demand > 0.5, demand - gap, demand + gap)


def labour_state(seed=0, **params):
    """A tiny model with every student studying and firm 0 the only one hiring (1 vacancy)."""
    model = IndustryEducationModel(rng=seed, **{**TINY, **params})
    for f in model.firms:
        f.vacancies = 0
    model.firms[0].vacancies = 1
    return model


def make_seeker(model, row, gap, last_host=-1, months=0):
    st_ = model.students
    st_.status[row] = SEEKING
    st_.year[row] = -1
    st_.months_since_grad[row] = months
    st_.last_host[row] = last_host
    st_.skills[row] = at_gap(model.firms[0].demand(), gap)


@pytest.mark.parametrize(
    ("gap_other", "gap_intern", "intern_wins"),
    [(0.1, 0.1, True),  # otherwise equal seekers: the former intern wins
     (0.05, 0.1, True),  # the intern is a little worse (0.09 < bonus 0.15): still wins
     (0.02, 0.2, False)],  # the intern is much worse (0.32 > bonus): the other wins
)
def test_former_intern_gets_the_bonus(gap_other, gap_intern, intern_wins):
    model = labour_state(reservation_match=0.0)
    other, intern = (int(r) for r in np.flatnonzero(model.students.alive)[:2])
    make_seeker(model, other, gap_other)
    make_seeker(model, intern, gap_intern, last_host=0)
    rows, firms, qualities = labour_market.match_graduates(model)
    assert len(rows) == 1
    row, firm, quality = int(rows[0]), int(firms[0]), float(qualities[0])
    assert firm == 0
    assert row == (intern if intern_wins else other)
    st_ = model.students
    assert st_.status[row] == EMPLOYED and st_.employer[row] == 0
    assert st_.match[row] == pytest.approx(quality)
    assert model.firms[0].vacancies == 0
    loser = other if row == intern else intern
    assert st_.status[loser] == SEEKING


def test_without_intern_bonus_the_better_match_wins():
    model = labour_state(reservation_match=0.0)
    other, intern = (int(r) for r in np.flatnonzero(model.students.alive)[:2])
    make_seeker(model, other, 0.05)
    make_seeker(model, intern, 0.1, last_host=0)
    model.p["intern_bonus"] = 0.0
    rows, _, _ = labour_market.match_graduates(model)
    assert rows.tolist() == [other]


def test_reservation_falls_with_months_unemployed():
    model = labour_state()
    months = np.arange(0, 25)
    res = labour_market.reservation(model, months)
    p = model.p
    np.testing.assert_allclose(res, p["reservation_match"] * (1 - p["reservation_decay"]) ** months)
    assert (np.diff(res) < 0).all()


@pytest.mark.parametrize(("months", "hired"), [(0, False), (1, False), (2, True), (12, True)])
def test_seeker_accepts_a_poor_match_only_after_months_unemployed(months, hired):
    model = labour_state(reservation_match=0.55, match_scale=1.8)
    row = int(np.flatnonzero(model.students.alive)[0])
    gap = 0.5 / 1.8  # match quality 0.5 < reservation 0.55 at graduation
    make_seeker(model, row, gap, months=months)
    assert bool(labour_market.reservation(model, np.array([months]))[0] <= 0.5) == hired
    rows, _, quality = labour_market.match_graduates(model)
    assert (len(rows) == 1) is hired
    if hired:
        assert quality[0] == pytest.approx(0.5)


# ---------------------------------------------------- trust, dissolution, memory
def test_trust_moves_toward_benefit_cost_target():
    assert trust_target(0.0, 50.0) == 0.0
    assert trust_target(50.0, 50.0) == pytest.approx(0.5)
    assert trust_target(-10.0, 50.0) == 0.0
    assert update_trust(0.2, 50.0, 50.0, 0.4) == pytest.approx(0.2 + 0.4 * 0.3)
    assert update_trust(0.9, 0.0, 50.0, 1.0) == 0.0


def dissolution_model():
    model = small_model(12, seed_partnerships=2, trust_learning_rate=0.0, **QUIET)
    for f in model.firms:
        f.expected_value[:] = 1e6
    low = [q for q in model.network.active() if q.university == 0]
    high = [q for q in model.network.active() if q.university != 0]
    for q in low:
        q.trust = 0.2
    for q in high:
        q.trust = 0.9
    return model, low, high


def test_low_trust_partnerships_dissolve_at_review_and_are_remembered():
    model, low, high = dissolution_model()
    model.run_for(11)
    assert all(q.state == "active" for q in low + high)
    model.step()  # step 12: yearly review
    for q in low:
        assert q.state == "ended" and q.reason == "low_trust" and q.end_step == 12
        assert model.network.pair[q.university, q.firm, q.kind] == -1
        assert model.network.memory[(q.university, q.firm)] == pytest.approx(0.2)
    assert all(q.state == "active" for q in high)
    assert model.network.dissolved == len(low)


def test_university_with_bad_memory_refuses_that_firm():
    model, low, high = dissolution_model()
    model.run_for(12)
    bad = low[0]
    assert not cooperation.university_accepts(model, bad.university, bad.firm)
    fresh_firm = next(f.index for f in model.firms_by_sector[0]
                      if (model.network.pair[0, f.index] < 0).all()
                      and (0, f.index) not in model.network.memory)
    assert cooperation.university_accepts(model, 0, fresh_firm)
    # the refused firm remembers badly with every university of its sector: no new negotiation
    sector = model.firms[bad.firm].sector
    for u in model.teaching[sector]:
        model.network.memory[(u, bad.firm)] = 0.1
    model.p["contact_rate"] = 5.0
    n_before = len(model.network.all)
    for _ in range(40):
        cooperation.make_contacts(model)
    new = model.network.all[n_before:]
    assert len(new) > 0  # contacts do happen ...
    assert all(q.firm != bad.firm for q in new)  # ... but never with the remembered firm


def test_new_negotiation_starts_from_remembered_trust():
    model = small_model(12)
    model.network.memory[(1, 5)] = 0.8
    assert model.network.create(1, 5, PLACEMENT, 0).trust == pytest.approx(0.8)
    assert model.network.create(1, 6, PLACEMENT, 0).trust == pytest.approx(0.5)


# -------------------------------------------------------------- student agent
def test_student_agent_reads_and_writes_its_row():
    model = small_model(1)
    row = int(np.flatnonzero(model.students.alive)[10])
    agent = model.student_agents[row]
    assert isinstance(agent, Student) and agent.row == row
    assert agent in model.agents
    st_ = model.students
    agent.experience = 7.5
    assert st_.experience[row] == 7.5
    st_.match[row] = 0.3
    assert agent.match == pytest.approx(0.3)
    agent.skills = np.full(model.p["skill_dims"], 0.25)
    np.testing.assert_array_equal(st_.skills[row], 0.25)
    agent.skills[0] = 0.9  # a view into the table
    assert st_.skills[row, 0] == 0.9
    assert agent.status == "studying"
    assert agent.field in ("tech", "design", "agri")
    assert agent.year == st_.year[row] and agent.university == st_.university[row]
    st_.status[row] = EMPLOYED
    assert agent.status == "employed"


@pytest.mark.parametrize("budget", [40.0, 300.0])
def test_grants_and_subsidies_stay_within_the_yearly_budget(budget):
    model = small_model(4, seed_partnerships=4, contact_rate=1.0, fund_budget=budget,
                        fund_placement_subsidy=5.0, fund_hire_subsidy=8.0)
    yearly = []
    for _ in range(5):
        before = model.government.spending["grants"]
        model.run_for(12)
        yearly.append(model.government.spending["grants"] - before)
        assert model.government.fund_committed <= budget + 1e-9
    assert max(yearly) <= budget + 1e-9
    assert max(yearly) > 0.5 * budget  # the fund is used, not merely capped at zero


def test_no_subsidies_without_a_fund():
    model = small_model(4, seed_partnerships=4, fund_placement_subsidy=5.0, fund_hire_subsidy=8.0)
    model.run_for(24)
    assert model.network.count_active() > 0
    assert model.government.spending["grants"] == 0.0


def test_fund_weight_zero_excludes_a_kind_and_monitoring_keeps_it_excluded():
    model = small_model(2, fund_budget=1000.0, fund_weight_placement=0.0,
                        fund_weight_joint_research=1.5, monitoring_interval=1,
                        seed_partnerships=3)
    gross = model.levers.gross_cost(JOINT_RESEARCH)
    assert cooperation.grant_on_offer(model, PLACEMENT) == 0.0
    assert cooperation.grant_on_offer(model, JOINT_RESEARCH) == pytest.approx(
        model.p["fund_grant_share"] * gross * 1.5)
    model.run_for(12 * 4)
    assert model.government.evaluations  # monitoring ran and reweighted
    assert model.government.kind_weights[PLACEMENT] == 0.0
    assert cooperation.grant_on_offer(model, PLACEMENT) == 0.0
    assert all(q.grant == 0.0 for q in model.network.all if q.kind == PLACEMENT)
