"""Mechanism tests of model revision 2's yearly review: a partnership ends when either side
no longer finds it worth its cost; staff turnover is a shock to trust the institution may
absorb; a downturn acts through the firm's value of the partnership."""

from __future__ import annotations

import math

import pytest

from simulation.model import IndustryEducationModel, cooperation
from simulation.model.policy import CO_CURRICULUM, JOINT_RESEARCH, PLACEMENT
from tests.small_world import QUIET, SMALL


def reviewed(trust: float, **params):
    """A quiet model with seeded partnerships of every kind at ``trust``, after the first review.

    Firms value every kind far above its cost and trust does not learn, so
    only the mechanism under test can end a partnership.
    """
    model = IndustryEducationModel(rng=12, seed_partnerships=3,
                                   **{**SMALL, **QUIET, "trust_learning_rate": 0.0,
                                      "institution_trust_rate": 0.0, **params})
    for f in model.firms:
        f.expected_value[:] = 1e6
    seeded = model.network.active()
    for q in seeded:
        q.trust = trust
    model.run_for(12)  # step 12: the first yearly review
    return model, seeded


def test_turnover_is_absorbed_when_the_institution_carries_enough_trust():
    # a contact leaves every partnership, taking 30% of its trust: 0.8 -> 0.56 >= 0.35
    model, seeded = reviewed(0.8, staff_turnover_hazard=1.0, turnover_trust_loss=0.3,
                             min_trust=0.35)
    assert all(q.state == "active" for q in seeded)
    assert all(q.trust == pytest.approx(0.56) for q in seeded)


def test_turnover_ends_a_partnership_whose_trust_it_pushes_below_the_minimum():
    # 0.45 -> 0.315 < 0.35: the loss is not absorbed, and the cause is the turnover
    model, seeded = reviewed(0.45, staff_turnover_hazard=1.0, turnover_trust_loss=0.3,
                             min_trust=0.35)
    assert all(q.state == "ended" and q.reason == "turnover" for q in seeded)
    # without turnover the same partnerships continue
    model, seeded = reviewed(0.45, staff_turnover_hazard=0.0, min_trust=0.35)
    assert all(q.state == "active" for q in seeded)


def test_the_institution_carries_more_of_an_older_partnerships_trust():
    # at the first review (one year after signing) the contact holds exp(-rate) of the trust
    model, seeded = reviewed(0.8, staff_turnover_hazard=1.0, turnover_trust_loss=0.5,
                             institution_trust_rate=0.5, min_trust=0.0)
    held = cooperation.contact_share(model, seeded[0])
    assert held == pytest.approx(math.exp(-0.5 * model.steps / 12))
    assert all(q.trust == pytest.approx(0.8 * (1 - 0.5 * held)) for q in seeded)
    # a year later the contact holds less, so the same departure takes less
    before = [q.trust for q in seeded]
    model.run_for(12)
    later = cooperation.contact_share(model, seeded[0])
    assert later == pytest.approx(held * math.exp(-0.5))
    assert all(q.trust == pytest.approx(t * (1 - 0.5 * later))
               for q, t in zip(seeded, before, strict=True))


def test_low_trust_without_turnover_is_labelled_low_trust():
    model, seeded = reviewed(0.3, staff_turnover_hazard=1.0, turnover_trust_loss=0.3,
                             min_trust=0.35)
    assert all(q.state == "ended" and q.reason == "low_trust" for q in seeded)


def test_a_downturn_ends_only_partnerships_it_makes_not_worth_their_cost():
    model = IndustryEducationModel(rng=12, seed_partnerships=3,
                                   **{**SMALL, **QUIET, "trust_learning_rate": 0.0,
                                      "value_learning_rate": 0.0, "min_trust": 0.0})
    lv = model.levers
    seeded = model.network.active()
    firm_of = {q.id: model.firms[q.firm] for q in seeded}
    for q in seeded:
        firm = firm_of[q.id]
        firm.downturn = False
        firm.expected_value[:] = 1e6
    # one partnership per kind whose firm values it at 1.5 x its cost: worth it in a
    # normal year, not when a downturn halves the value of hiring-related kinds
    chosen = {}
    for q in seeded:
        if q.kind not in chosen and all(firm_of[q.id] is not firm_of[c.id]
                                        for c in chosen.values()):
            chosen[q.kind] = q
    assert set(chosen) == {PLACEMENT, CO_CURRICULUM, JOINT_RESEARCH}
    for kind, q in chosen.items():
        firm_of[q.id].expected_value[kind] = 1.5 * lv.gross_cost(kind)
        firm_of[q.id].downturn = True
    model.p["downturn_vacancy_factor"] = 0.5
    model.run_for(11)
    for firm in firm_of.values():  # the downturn is drawn at month 0; set it for the review
        firm.downturn = any(firm is firm_of[q.id] for q in chosen.values())
    model.step()  # step 12: review
    assert chosen[PLACEMENT].reason == "downturn"
    assert chosen[CO_CURRICULUM].reason == "downturn"
    assert chosen[JOINT_RESEARCH].state == "active"  # research value does not hang on hiring
    others = [q for q in seeded if q not in chosen.values()]
    assert all(q.state == "active" or q.reason == "no_student_value" for q in others)


def test_the_university_ends_a_partnership_that_served_none_of_its_students():
    model, seeded = reviewed(0.8, min_trust=0.35, placement_slots=1, base_placement_slots=0,
                             research_students=0)
    by_kind = {k: [q for q in seeded if q.kind == k] for k in (PLACEMENT, CO_CURRICULUM,
                                                                JOINT_RESEARCH)}
    # no base slots and research without students: bases served through ordinary slots only
    assert all(q.state == "ended" and q.reason == "no_student_value"
               for q in by_kind[JOINT_RESEARCH])
    assert all(q.state == "active" for q in by_kind[CO_CURRICULUM])  # courses serve students
    served = [q for q in by_kind[PLACEMENT] if q.state == "active"]
    assert served  # bases that took interns continue


def test_firm_value_now_cuts_hiring_related_kinds_in_a_downturn():
    model = IndustryEducationModel(rng=1, downturn_vacancy_factor=0.4, **SMALL)
    firm = model.firms[0]
    firm.expected_value[:] = [10.0, 20.0, 30.0]
    firm.downturn = False
    assert [cooperation.firm_value_now(model, firm, k) for k in range(3)] == [10.0, 20.0, 30.0]
    firm.downturn = True
    assert [cooperation.firm_value_now(model, firm, k) for k in range(3)] == \
        pytest.approx([4.0, 8.0, 30.0])
