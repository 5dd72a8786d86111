"""Placements (internship bases) and joint-research projects for students.

Host capacity is what limits placements.  A firm supervises
``placement_slots`` times its size interns a year in its ordinary capacity;
each internship base (active placement partnership) adds
``base_placement_slots`` times the firm's size for its partner university's
students, raised by a placement subsidy ``s`` in proportion
``1 + s / (intern_cost x placement_months)`` (the subsidy over what hosting
an intern costs the host).  Once a year each base takes final-year
students of its university for ``placement_months``: into its own slots
first, then into the firm's ordinary slots.  Programmes that make an
internship part of the degree (``internship_programme_share`` of
programmes, drawn at the start) send their final-year students who got no
partnership placement to a firm of their sector with free ordinary slots,
found by the students themselves (no partnership and no subsidy; their
months are credited only if the pair signs a placement partnership while
they are there), so partnership and self-arranged placements compete for
the ordinary slots.  When a placement ends the host may make its intern a
return offer (:func:`simulation.model.labour_market.make_return_offers`).  Each
joint-research partnership takes ``research_students`` students in their last two years for the year.
Allocation loops over partnerships (few), never over students.  With
flexible learning pathways, students choose placements by career goal: the
best-matched candidates go first instead of a random draw.
"""

from __future__ import annotations

import numpy as np

from simulation.model.labour_market import graduate_match, make_return_offers
from simulation.model.policy import JOINT_RESEARCH, PLACEMENT
from simulation.model.student_table import NONE, STUDYING

PLACEMENT_START_MONTH = 3  # placements run from the fourth month of the year


def _pools_by_university(model, min_year: int, busy: np.ndarray) -> list[np.ndarray]:
    """Studying rows in year >= ``min_year`` and not busy, grouped by university.

    Built once per allocation so that the work grows with students plus
    partnerships, not with their product.
    """
    st = model.students
    rows = np.flatnonzero(st.alive & (st.status == STUDYING) & (st.year >= min_year) & ~busy)
    rows = rows[np.argsort(st.university[rows], kind="stable")]
    bounds = np.searchsorted(st.university[rows], np.arange(len(model.universities) + 1))
    return [rows[bounds[u]:bounds[u + 1]] for u in range(len(model.universities))]


def _candidates(model, q, pools: list[np.ndarray], busy: np.ndarray) -> np.ndarray:
    st, firm = model.students, model.firms[q.firm]
    rows = pools[q.university]
    ok = ~busy[rows]
    if model.p["cross_sector_networks"] <= 0:
        ok &= st.field[rows] == firm.sector
    return rows[ok]


def _choose(model, rows: np.ndarray, n: int, firm) -> np.ndarray:
    if len(rows) <= n:
        return rows
    rng = model.streams["placements"]
    if model.p["flexible_pathways"] > 0:  # career goals: the students the firm fits best
        fit = graduate_match(model, rows, np.full(len(rows), firm.index))
        noise = rng.random(len(rows)) * (1.0 - model.p["flexible_pathways"])
        return rows[np.argsort(-(fit + noise), kind="stable")[:n]]
    return rng.choice(rows, size=n, replace=False)


def slot_count(slots_per_unit, size):
    """Interns a firm of ``size`` hosts a year: ``slots_per_unit x size``, halves rounded up."""
    return np.floor(np.asarray(slots_per_unit * size) + 0.5).astype(np.int64)


def slots(model) -> np.ndarray:
    """(n_firms,) interns each firm hosts a year: ``placement_slots`` times its size."""
    return slot_count(model.p["placement_slots"], model.firm_size)


def _place(model, rows: np.ndarray, firm) -> None:
    """Start placements of ``rows`` at ``firm`` (one firm, or one per row)."""
    st, p = model.students, model.p
    st.host[rows] = firm
    st.last_host[rows] = firm
    st.placement_end[rows] = model.steps + p["placement_months"] - 1  # last month
    st.had_placement[rows] = True


def base_slots(model) -> np.ndarray:
    """(n_firms,) interns an internship base of each firm takes from its partner university.

    ``base_placement_slots x size x (1 + s / (intern_cost x placement_months))``
    with ``s`` the fund's placement subsidy (0 without a fund), halves rounded up.
    """
    p = model.p
    s = p["fund_placement_subsidy"] if p["fund_budget"] > 0 else 0.0
    cost = p["intern_cost"] * p["placement_months"]
    gain = 1.0 + (s / cost if cost > 0 else 0.0)
    return slot_count(p["base_placement_slots"] * gain, model.firm_size)


def assign_placements(model) -> None:
    """Start this year's placements: partnership placements, then self-arranged ones."""
    st, p = model.students, model.p
    busy = st.host >= 0
    pools = _pools_by_university(model, p["study_years"], busy)
    free = slots(model)
    own = base_slots(model)
    for q in model.network.active():
        if q.kind != PLACEMENT:
            continue
        firm = model.firms[q.firm]
        room = int(own[q.firm] + free[q.firm])
        rows = _choose(model, _candidates(model, q, pools, busy), room, firm)
        _place(model, rows, q.firm)
        free[q.firm] -= max(0, len(rows) - int(own[q.firm]))
        busy[rows] = True
        paid = model.government.pay_subsidies(p["fund_placement_subsidy"], len(rows),
                                              p["fund_budget"], model.steps,
                                              p["fund_subsidy_share"])
        q.realised += p["fund_placement_subsidy"] * paid
    _self_arranged_placements(model, busy, free)


def _self_arranged_placements(model, busy: np.ndarray, free: np.ndarray) -> None:
    """Final-year students of internship programmes find a placement at a firm of their sector.

    Each student takes a free slot drawn at random among the sector's firms'
    remaining slots; students beyond the sector's free slots go without.
    """
    st, p, rng = model.students, model.p, model.streams["placements"]
    required = model.internship_required[st.university, st.field]
    rows = np.flatnonzero(st.alive & (st.status == STUDYING) & (st.year >= p["study_years"])
                          & ~busy & required)
    for g in range(len(model.firms_by_sector)):
        mine = rows[st.field[rows] == g]
        firms = np.array([f.index for f in model.firms_by_sector[g]], dtype=np.int64)
        if len(mine) == 0 or len(firms) == 0:
            continue
        seats = np.repeat(firms, np.maximum(free[firms], 0))
        if len(seats) == 0:
            continue
        mine = rng.permutation(mine)[: len(seats)]
        hosts = rng.permutation(seats)[: len(mine)]
        _place(model, mine, hosts)
        free -= np.bincount(hosts, minlength=len(free))
        busy[mine] = True


def assign_research_students(model) -> None:
    """Give each joint-research partnership its students for the coming year."""
    st, p = model.students, model.p
    st.research_host[st.research_host >= 0] = NONE
    busy = st.research_host >= 0
    pools = _pools_by_university(model, p["study_years"] - 1, busy)
    for q in model.network.active():
        if q.kind != JOINT_RESEARCH or p["research_students"] == 0:
            continue
        firm = model.firms[q.firm]
        rows = _choose(model, _candidates(model, q, pools, busy),
                       p["research_students"], firm)
        st.research_host[rows] = q.firm
        busy[rows] = True


def end_placements(model) -> None:
    """Placements in their last month end after it (the host stays as last_host).

    Each host then decides on a return offer to its intern
    (:func:`simulation.model.labour_market.make_return_offers`).
    """
    st = model.students
    done = np.flatnonzero((st.host >= 0) & (st.placement_end <= model.steps))
    if len(done):
        make_return_offers(model, done, st.host[done].astype(np.int64))
    st.host[done] = NONE


def credit_intern_months(model) -> None:
    """Add this month's intern and research-student value to each partnership.

    A placement partnership is credited for its interns; a joint-research
    partnership for its research students who are not on a placement this month:
    each student-month the host's net value ``intern_value - intern_cost`` (the
    student's output less allowance and supervision; negative when hosting
    costs more than it brings in the month).
    """
    st, net = model.students, model.network
    for column, kind, extra in ((st.host, PLACEMENT, True), (st.research_host, JOINT_RESEARCH,
                                                               st.host < 0)):
        rows = np.flatnonzero(st.alive & (column >= 0) & extra)
        if len(rows) == 0:
            continue
        pids = net.pair[st.university[rows], column[rows], kind]
        pids = pids[pids >= 0]
        pids = pids[net.is_active[pids]]  # negotiations earn nothing before signing
        counts = np.bincount(pids)
        net_value = model.p["intern_value"] - model.p["intern_cost"]
        credited = np.flatnonzero(counts)
        for pid, n in zip(credited.tolist(), counts[credited].tolist(), strict=True):
            q = net.all[pid]
            q.realised += net_value * n
            q.served += n
