"""The monthly and yearly process of university-firm cooperation.

Functions here move partnerships through their life cycle
(:mod:`simulation.model.partnerships`) and do the government's accounting for
them.  They take the model and change its state; the model's ``step``
calls them in the order the ODD document gives.
"""

from __future__ import annotations

import numpy as np

from simulation.model.partnerships import (
    update_trust,
    worth_continuing,
)
from simulation.model.policy import CO_CURRICULUM, JOINT_RESEARCH, KINDS, PLACEMENT, firm_net_cost
from simulation.model.skills import match_quality


def firm_offer_values(model, firm, grants: np.ndarray) -> np.ndarray:
    """A firm's expected yearly net value of each partnership kind.

    Expected value minus net cost (after tax break and the grant on offer)
    minus the amortised set-up cost.
    """
    return firm.expected_value - offer_costs(model, grants)


def offer_costs(model, grants: np.ndarray) -> np.ndarray:
    """(kinds,) what a partnership of each kind costs a firm a year, as it decides.

    Net cost after the tax break and the grant on offer, plus the set-up cost
    spread over ``set_up_amortisation_years``.
    """
    lv, p = model.levers, model.p
    gross = np.array([lv.gross_cost(k) for k in range(len(KINDS))])
    net = firm_net_cost(gross, p["tax_break_rate"], np.asarray(grants, dtype=float))
    return net + lv.set_up_cost() / p["set_up_amortisation_years"]


def choose_kinds(values: np.ndarray, held: np.ndarray, scale: float,
                 draws: np.ndarray) -> np.ndarray:
    """A firm's portfolio choice: the kinds it proposes to a university.

    Each kind not yet ``held`` with the university is proposed independently
    with the binary-logit probability ``1 / (1 + exp(-V_k / scale))`` of its
    expected net value ``V_k`` (not partnering has value 0), so a grant for
    one kind does not draw firms away from another.

    Returns:
        The proposed kinds, in kind order.
    """
    return propose(proposal_chance(values, scale), held, draws)


def propose(chance: np.ndarray, held: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """The kinds not ``held`` whose draw falls below their proposal chance, in kind order."""
    return np.flatnonzero(~held & (draws < chance))


def proposal_chance(values: np.ndarray, scale: float) -> np.ndarray:
    """Binary-logit probability ``1 / (1 + exp(-V / scale))`` of proposing a kind of value V."""
    z = np.clip(np.asarray(values) / scale, -50.0, 50.0)
    return 1.0 / (1.0 + np.exp(-z))


def grant_on_offer(model, kind: int) -> float:
    """The yearly grant a new partnership of ``kind`` would get now.

    The lever's grant times the kind's monitoring weight (1 without
    monitoring), at most the partnership's gross cost; 0 if the fund has no
    room for it this year or in later years.
    """
    gov = model.government
    grant = min(model.levers.grant(kind, gov.kind_weights[kind]), model.levers.gross_cost(kind))
    if grant <= 0 or not gov.fund_has_room(grant, model.p["fund_budget"], model.steps):
        return 0.0
    return grant


def partner_capacity(model) -> np.ndarray:
    """(n_firms,) partner universities each firm keeps at once: ``firm_max_partners`` x its size."""
    capacity = np.floor(model.p["firm_max_partners"] * model.firm_size + 0.5)  # halves round up
    return np.maximum(1, capacity).astype(np.int64)


def partner_universities(net) -> np.ndarray:
    """(n_universities, n_firms) True where the pair has an open partnership of any kind."""
    return net.open_by_pair > 0


def fit_weights(model, firm_ids: np.ndarray) -> np.ndarray:
    """(n_firms_given, n_universities) how much each firm favours each university.

    Reputation times curriculum fit: the match between the curriculum of the
    university's programme that serves the firm's sector
    (:func:`curriculum.programme_field`) and the firm's demand (for another
    field's programme: its match to that field's demand times the
    transferability), raised to ``partner_fit_weight``.
    """
    rep = np.array([u.reputation for u in model.universities])
    sector = model.firm_sector[firm_ids]
    fields = model.serving_field[:, sector].T  # (firms, universities)
    own = fields == sector[:, None]
    demand = model.firm_demand()[firm_ids]
    target = np.where(own[..., None], demand[:, None, :], model.sector_demand[fields])
    universities = np.arange(len(model.universities))[None, :]
    fit = match_quality(model.curricula[universities, fields], target, model.p["match_scale"])
    fit = np.where(own, fit, fit * model.transfer[fields, sector[:, None]])
    return (rep + 1e-9) * (fit + 1e-3) ** model.p["partner_fit_weight"]


def make_contacts(model) -> None:
    """Firms with room for a partner (and not in a downturn) contact a university.

    A firm's monthly contact chance rises with its satisfaction.  It picks a
    university by reputation and curriculum fit (only among its present
    partners once it has ``partner_capacity`` of them), then proposes each
    kind it does not yet hold with that university with a binary-logit
    probability of its expected net value (:func:`choose_kinds`); each
    proposal becomes a negotiation while the university has capacity.
    """
    net, p, rng = model.network, model.p, model.streams["cooperation"]
    firms = model.firms
    partners = partner_universities(net)
    full = partners.sum(axis=0) >= partner_capacity(model)
    room = ~np.array([f.downturn for f in firms])
    sat = model.firm_satisfaction
    chance = np.clip(model.levers.monthly_contact_probability()
                     * (1.0 + p["satisfaction_contact_weight"] * (sat - 0.5)), 0.0, 1.0)
    draws = rng.random(len(firms))
    contacted = np.flatnonzero(room & (draws < chance))
    if len(contacted) == 0:
        return
    contacted = rng.permutation(contacted)  # no sector gets first claim on capacity
    cross = rng.random(len(contacted)) < p["cross_sector_networks"]
    picks = rng.random((len(contacted), 1 + len(KINDS)))
    everyone = np.arange(len(model.universities))
    weights = fit_weights(model, contacted)
    # grants on offer do not change within the month's contacts (they are committed at signing)
    grants = np.array([grant_on_offer(model, k) for k in range(len(KINDS))])
    expected = np.array([firms[j].expected_value for j in contacted])
    chance = proposal_chance(expected - offer_costs(model, grants), p["kind_choice_scale"])
    for c, (j, is_cross, draws) in enumerate(zip(contacted, cross, picks, strict=True)):
        firm = firms[j]
        pool = everyone if is_cross else model.teaching[firm.sector]
        if full[j]:
            pool = pool[partners[pool, j]]
        pool = pool[(net.pair[pool, j] < 0).any(axis=1)]  # some kind not yet held
        if len(pool) == 0:
            continue
        w = weights[c, pool]
        u = int(pool[min(len(pool) - 1,
                         int(np.searchsorted(np.cumsum(w) / w.sum(), draws[0])))])
        for kind in propose(chance[c], net.pair[u, j] >= 0, draws[1:]):
            if not university_accepts(model, u, j):
                break
            net.create(u, j, int(kind), model.steps).offered_grant = grants[kind]


def university_accepts(model, u: int, j: int) -> bool:
    """A university negotiates while it has coordination capacity and no bad memory."""
    net = model.network
    load = net.open_by_university[u]
    remembered = net.memory.get((u, j))
    bad_memory = remembered is not None and remembered < model.p["min_trust"]
    return load < model.universities[u].capacity and not bad_memory


def progress_negotiations(model) -> None:
    """Abandon or sign negotiations; signing draws a grant and a firm lecturer.

    A negotiation is abandoned in a month of the firm's downturn or by
    ``negotiation_dropout``; after the negotiation delay it is signed, unless
    the grant offered at contact is no longer available and the kind's value
    without it is not positive.
    """
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
        if q.offered_grant > 0 and grant <= 0:  # the grant it counted on is gone
            grants = np.zeros(len(KINDS))
            if firm_offer_values(model, model.firms[q.firm], grants)[q.kind] <= 0:
                net.end(q, model.steps, "abandoned")
                continue
        net.activate(q, model.steps)
        model.firm_costs += model.levers.set_up_cost()  # the one-off set-up, paid at signing
        if grant > 0:
            q.grant = grant
            q.grant_until = q.grant_expiry = model.steps + 12 * p["fund_grant_years"]
            model.government.commit_grant(q)
        q.lecturer = q.kind == CO_CURRICULUM and rng.random() < p["firm_lecturer_share"]


def pay_monthly_costs(model) -> None:
    """Government's monthly accounting for active partnerships.

    Grants are paid while they run (then released from the fund's
    commitments); forgone tax is the tax-break rate times the firm's gross
    cost; firm lecturers' stipends go to the 'other' line.  Firms' gross
    partnership costs are added to ``model.firm_costs`` (the societal
    perspective of the evaluation).
    """
    gov, p, lv, net = model.government, model.p, model.levers, model.network
    gross = sum(lv.gross_cost(k) * net.count_active(k) for k in range(len(KINDS)))
    model.firm_costs += gross / 12.0  # what partnering costs firms before tax breaks and grants
    if p["tax_break_rate"] > 0:
        gov.pay("forgone_tax", p["tax_break_rate"] * gross / 12.0)
    for q in list(gov.committed.values()):  # the running grants (all of active partnerships)
        if q.has_grant(model.steps):
            gov.pay_grant(q)
            if model.steps + 1 == q.grant_until:
                gov.release_grant(q)
    gov.grants_paid(model.steps)
    if p["firm_lecturer_share"] > 0:
        lecturers = sum(q.lecturer for q in net.active())
        gov.pay("other", p["firm_lecturer_stipend"] / 12.0 * lecturers)


def end_partnership(model, q, reason: str) -> None:
    """Dissolve ``q``, releasing any grant still committed to it."""
    model.government.stop_grant(q, model.steps)
    model.network.end(q, model.steps, reason)


def firm_value_now(model, firm, kind: int) -> float:
    """The yearly value a firm expects of a partnership of ``kind`` at its review.

    Its learned expected value; in a downturn year the value of the kinds
    that pay off through hiring (placement, co-curriculum) falls to
    ``downturn_vacancy_factor`` of it, as the firm hires that share of its
    usual need.
    """
    value = float(firm.expected_value[kind])
    if firm.downturn and kind != JOINT_RESEARCH:
        value *= model.p["downturn_vacancy_factor"]
    return value


def contact_share(model, q) -> float:
    """Share of a partnership's trust its key contact still holds: ``exp(-rate x years)``.

    Trust passes to the institution (agreements, routines, other staff) at
    ``institution_trust_rate`` a year from signing, so a departing contact
    takes less from an older partnership.
    """
    years = (model.steps - q.start_step) / 12.0
    return float(np.exp(-model.p["institution_trust_rate"] * years))


def review_partnerships(model) -> None:
    """Yearly review: realised value updates trust and beliefs; either side may end it.

    After a year's realised value has moved trust and the firm's expected
    value, a partnership ends when (in this order):

    - the firm's value of it (:func:`firm_value_now`) is below its net cost
      after the tax break and the grant it will still get: labelled
      ``grant_end`` when a grant ended in the past year or ends with this
      month, ``downturn`` when the firm would keep it outside a downturn,
      else ``not_worth_cost``;
    - trust is below ``min_trust``.  When the key contact left this year
      (chance ``staff_turnover_hazard``), trust first loses
      ``turnover_trust_loss`` times the contact's share (:func:`contact_share`)
      of itself; a partnership whose trust was above
      ``min_trust`` before that loss and below it after is labelled
      ``turnover``, else ``low_trust``;
    - the university's side: it served none of the university's students
      in the past year (no intern, research student or hire), so it is not
      worth the staff time it takes (``no_student_value``; co-developed
      courses always serve students).
    """
    p, lv, rng = model.p, model.levers, model.streams["cooperation"]
    for q in model.network.active():
        if model.steps - q.start_step < 12:
            continue  # first review after a full year
        firm = model.firms[q.firm]
        # credited from the signing month on (signed at step s: steps s..now; seeded at
        # step 0: steps 1..now): months since the last review, or since signing
        last = q.history[-1][0] if q.history else max(q.start_step - 1, 0)
        realised = q.realised * 12.0 / max(model.steps - last, 12)  # per year
        if q.kind == JOINT_RESEARCH:
            sd = p["research_value_sd"]
            realised += p["research_value"] * rng.lognormal(-0.5 * sd * sd, sd)
        gross = lv.gross_cost(q.kind)
        q.trust = update_trust(q.trust, realised, gross, p["trust_learning_rate"])
        firm.learn_value(q.kind, realised, p["value_learning_rate"])
        q.history.append((model.steps, realised, q.trust))
        q.realised = 0.0
        served, q.served = q.served, 0
        grant_now = q.grant if q.has_grant(model.steps + 1) else 0.0  # still granted next year
        trust_before = q.trust
        if rng.random() < p["staff_turnover_hazard"]:  # the key contact leaves
            q.trust *= 1.0 - p["turnover_trust_loss"] * contact_share(model, q)
        tax = p["tax_break_rate"]
        if not worth_continuing(firm_value_now(model, firm, q.kind), gross, tax, grant_now):
            # the grant ended in the past year or ends with this month
            ended_recently = q.grant > 0 and model.steps - 12 < q.grant_until <= model.steps + 1
            if ended_recently:
                reason = "grant_end"
            elif worth_continuing(float(firm.expected_value[q.kind]), gross, tax, grant_now):
                reason = "downturn"
            else:
                reason = "not_worth_cost"
            end_partnership(model, q, reason)
        elif q.trust < p["min_trust"]:
            end_partnership(model, q, "turnover" if trust_before >= p["min_trust"]
                            else "low_trust")
        elif served == 0 and q.kind != CO_CURRICULUM:
            end_partnership(model, q, "no_student_value")
        firm.satisfaction += p["satisfaction_review_weight"] * (q.trust - firm.satisfaction)


def credit_hires(model, hires) -> None:
    """Credit graduate-level hires to partnerships and to firms' satisfaction.

    A hire of a graduate of university u by firm j credits, if active: the
    (u, j) placement partnership with ``hire_value x match`` when the
    graduate's last placement was at firm j; the (u, j) co-curriculum
    partnership with ``co_curriculum_hire_value x match`` (training saved)
    when the graduate studied the field of the firm (the curriculum it
    co-develops).  Each hire from
    a university the firm has an active partnership with earns one hire
    subsidy from the fund (while its budget lasts), credited to that
    partnership.  Each firm's satisfaction, and its view of what a hire is
    worth (``model.firm_hire_match``, the bar of its return offers), move a
    share ``satisfaction_hire_weight`` toward each hire's match, in hiring order.
    """
    rows, firms, quality = hires
    st, p, net = model.students, model.p, model.network
    model.field_hires.append(int((model.firm_sector[firms] == st.field[rows]).sum()))
    if len(rows) == 0:
        return
    w = p["satisfaction_hire_weight"]
    order = np.argsort(firms, kind="stable")  # hires of each firm, in hiring order
    by_firm = firms[order]
    n = np.bincount(by_firm, minlength=len(model.firms))
    starts = np.cumsum(n) - n
    later = starts[by_firm] + n[by_firm] - 1 - np.arange(len(order))  # hires after this one
    for seen in (model.firm_satisfaction, model.firm_hire_match):
        seen *= (1.0 - w) ** n
        seen += np.bincount(by_firm, weights=w * (1.0 - w) ** later * quality[order],
                            minlength=len(model.firms))
    ids = net.pair[st.university[rows], firms]  # (n, kinds), -1 where no open partnership
    active = (ids >= 0) & net.is_active[np.maximum(ids, 0)]
    intern = active[:, PLACEMENT] & (st.last_host[rows] == firms)
    _credit(model, ids[intern, PLACEMENT], p["hire_value"] * quality[intern])
    co = active[:, CO_CURRICULUM] & (st.field[rows] == model.firm_sector[firms])
    _credit(model, ids[co, CO_CURRICULUM], p["co_curriculum_hire_value"] * quality[co])
    partner = np.flatnonzero(active.any(axis=1))
    paid = model.government.pay_subsidies(p["fund_hire_subsidy"], len(partner),
                                         p["fund_budget"], model.steps, p["fund_subsidy_share"])
    if paid:
        first_kind = np.argmax(active[partner[:paid]], axis=1)
        credit = np.full(paid, p["fund_hire_subsidy"])
        _credit(model, ids[partner[:paid], first_kind], credit, served=0)


def _credit(model, pids: np.ndarray, values: np.ndarray, served: int = 1) -> None:
    """Add realised values (and ``served`` students each) to partnerships by id."""
    for pid, value in zip(pids.tolist(), np.asarray(values).tolist(), strict=True):
        q = model.network.all[pid]
        q.realised += value
        q.served += served
