"""The monthly and yearly process of university-firm cooperation.

Functions here move partnerships through their life cycle
(:mod:`simulation.partnerships`) and do the government's accounting for
them.  They take the model and change its state; the model's ``step``
calls them in the order the ODD document gives.
"""

from __future__ import annotations

import numpy as np

from simulation.partnerships import (
    update_trust,
    worth_continuing,
)
from simulation.policy import CO_CURRICULUM, JOINT_RESEARCH, KINDS, firm_net_cost

SET_UP_AMORTISATION_YEARS = 3.0  # firms spread the set-up cost over three years


def firm_offer_values(model, firm, grants: np.ndarray) -> np.ndarray:
    """A firm's expected yearly net value of each partnership kind.

    Expected value minus net cost (after tax break and the grant on offer)
    minus the amortised set-up cost.
    """
    lv, p = model.levers, model.p
    values = np.empty(len(KINDS))
    for k in range(len(KINDS)):
        net = firm_net_cost(lv.gross_cost(k), p["tax_break_rate"], grants[k])
        values[k] = firm.expected_value[k] - net - lv.set_up_cost() / SET_UP_AMORTISATION_YEARS
    return values


def grant_on_offer(model, kind: int) -> float:
    """The yearly grant a new partnership of ``kind`` would get now (0 if the fund is full)."""
    gov = model.government
    grant = model.levers.grant(kind, gov.kind_weights[kind])
    if grant <= 0 or not gov.fund_has_room(grant, model.p["fund_budget"]):
        return 0.0
    return grant


def make_contacts(model) -> None:
    """Firms with room for a partner (and not in a downturn) contact a university.

    A contact becomes a negotiation when the firm expects a positive net value
    from its best kind and the university accepts.
    """
    net, p, rng = model.network, model.p, model.streams["cooperation"]
    firms = model.firms
    room = (net.open_by_firm < p["firm_max_partners"]) & ~np.array([f.downturn for f in firms])
    draws = rng.random(len(firms))
    contacted = np.flatnonzero(room & (draws < model.levers.monthly_contact_probability()))
    if len(contacted) == 0:
        return
    contacted = rng.permutation(contacted)  # no sector gets first claim on capacity
    grants = np.array([grant_on_offer(model, k) for k in range(len(KINDS))])
    cross = rng.random(len(contacted)) < p["cross_sector_networks"]
    picks = rng.random(len(contacted))
    reputation = np.array([uni.reputation for uni in model.universities])
    everyone = np.arange(len(model.universities))
    for j, is_cross, pick in zip(contacted, cross, picks, strict=True):
        firm = firms[j]
        pool = everyone if is_cross else model.teaching[firm.sector]
        pool = pool[net.pair[pool, j] < 0]
        if len(pool) == 0:
            continue
        rep = reputation[pool] + 1e-9
        u = int(pool[int(np.searchsorted(np.cumsum(rep) / rep.sum(), pick))])
        values = firm_offer_values(model, firm, grants)
        kind = int(np.argmax(values))
        if values[kind] <= 0 or not university_accepts(model, u, j):
            continue
        net.create(u, j, kind, model.steps)


def university_accepts(model, u: int, j: int) -> bool:
    """A university negotiates while it has coordination capacity and no bad memory."""
    net = model.network
    load = net.open_by_university[u]
    remembered = net.memory.get((u, j))
    bad_memory = remembered is not None and remembered < model.p["min_trust"]
    return load < model.universities[u].capacity and not bad_memory


def progress_negotiations(model) -> None:
    """Abandon or sign negotiations; signing draws a grant and a firm lecturer."""
    net, p, rng = model.network, model.p, model.streams["cooperation"]
    delay = model.levers.negotiation_delay()
    for q in net.negotiating():
        roll = rng.random()
        if model.firms[q.firm].downturn or roll < p["negotiation_dropout"]:
            net.end(q, model.steps, "abandoned")
            continue
        if model.steps - q.contact_step < delay:
            continue
        grant = grant_on_offer(model, q.kind)
        grants = np.zeros(len(KINDS))
        grants[q.kind] = grant
        if firm_offer_values(model, model.firms[q.firm], grants)[q.kind] <= 0:
            net.end(q, model.steps, "abandoned")  # the grant it counted on is gone
            continue
        net.activate(q, model.steps)
        if grant > 0:
            q.grant = grant
            q.grant_until = model.steps + 12 * p["fund_grant_years"]
            model.government.commit_grant(q)
        q.lecturer = q.kind == CO_CURRICULUM and rng.random() < p["firm_lecturer_share"]


def pay_monthly_costs(model) -> None:
    """Government's monthly accounting for active partnerships.

    Grants are paid while they run (then released from the fund's
    commitments); forgone tax is the tax-break rate times the firm's gross
    cost; firm lecturers' stipends go to the 'other' line.
    """
    gov, p, lv = model.government, model.p, model.levers
    for q in model.network.active():
        gross = lv.gross_cost(q.kind)
        if p["tax_break_rate"] > 0:
            gov.pay("forgone_tax", p["tax_break_rate"] * gross / 12.0)
        if q.has_grant(model.steps):
            gov.pay("grants", q.grant / 12.0)
            if model.steps + 1 == q.grant_until:
                gov.release_grant(q)
        if q.lecturer:
            gov.pay("other", p["firm_lecturer_stipend"] / 12.0)


def end_partnership(model, q, reason: str) -> None:
    """Dissolve ``q``, releasing any grant still committed to it."""
    model.government.stop_grant(q, model.steps)
    model.network.end(q, model.steps, reason)


def review_partnerships(model) -> None:
    """Yearly review: realised value updates trust and beliefs; some dissolve.

    Checked in order: staff turnover, a firm downturn (half of them end),
    trust below ``min_trust``, and the firm's net cost exceeding the value it
    expects (labelled ``grant_end`` when a grant ended in the past year).
    """
    p, lv, rng = model.p, model.levers, model.streams["cooperation"]
    for q in model.network.active():
        if model.steps - q.start_step < 12:
            continue  # first review after a full year
        firm = model.firms[q.firm]
        # credited from the signing month on: months since the last review, or since signing
        last = q.history[-1][0] if q.history else q.start_step - 1
        realised = q.realised * 12.0 / max(model.steps - last, 12)  # per year
        if q.kind == JOINT_RESEARCH:
            realised += p["research_value"] * rng.lognormal(-0.125, 0.5)
        gross = lv.gross_cost(q.kind)
        q.trust = update_trust(q.trust, realised, gross, p["trust_learning_rate"])
        firm.learn_value(q.kind, realised, p["value_learning_rate"])
        q.history.append((model.steps, realised, q.trust))
        q.realised = 0.0
        grant_now = q.grant if q.has_grant(model.steps + 1) else 0.0  # still granted next year
        rolls = rng.random(2)
        if rolls[0] < p["staff_turnover_hazard"]:
            end_partnership(model, q, "turnover")
        elif firm.downturn and rolls[1] < 0.5:
            end_partnership(model, q, "downturn")
        elif q.trust < p["min_trust"]:
            end_partnership(model, q, "low_trust")
        elif not worth_continuing(firm.expected_value[q.kind], gross, p["tax_break_rate"],
                                  grant_now):
            # the grant ended in the past year or ends with this month
            ended_recently = q.grant > 0 and model.steps - 12 < q.grant_until <= model.steps + 1
            end_partnership(model, q, "grant_end" if ended_recently else "not_worth_cost")
        firm.satisfaction += 0.5 * (q.trust - firm.satisfaction)
