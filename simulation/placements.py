"""Placements (internship bases) and joint-research projects for students.

Once a year each active placement partnership takes final-year students of
its university for ``placement_months``; each joint-research partnership
takes ``research_students`` students in their last two years for the year.
Allocation loops over partnerships (few), never over students.  With
flexible learning pathways, students choose placements by career goal:
the best-matched candidates go first instead of a random draw.
"""

from __future__ import annotations

import numpy as np

from simulation.policy import JOINT_RESEARCH, PLACEMENT
from simulation.skills import match_quality
from simulation.student_table import NONE, STUDYING

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
    if model.p["flexible_pathways"] > 0:
        fit = match_quality(model.students.skills[rows], firm.demand(), model.p["match_scale"])
        noise = rng.random(len(rows)) * (1.0 - model.p["flexible_pathways"])
        return rows[np.argsort(-(fit + noise), kind="stable")[:n]]
    return rng.choice(rows, size=n, replace=False)


def assign_placements(model) -> None:
    """Start this year's placements at every active placement partnership."""
    st, p = model.students, model.p
    busy = st.host >= 0
    pools = _pools_by_university(model, p["study_years"], busy)
    for q in model.network.active():
        if q.kind != PLACEMENT:
            continue
        firm = model.firms[q.firm]
        slots = int(round(p["placement_slots"] * firm.size))
        rows = _choose(model, _candidates(model, q, pools, busy), slots, firm)
        st.host[rows] = q.firm
        st.last_host[rows] = q.firm
        st.placement_end[rows] = model.steps + p["placement_months"] - 1  # last month
        st.had_placement[rows] = True
        busy[rows] = True
        amount = p["fund_placement_subsidy"] * len(rows)
        if model.government.pay_subsidy(amount, p["fund_budget"]):
            q.realised += amount


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
    """Placements in their last month end after it (the host stays as last_host)."""
    st = model.students
    done = (st.host >= 0) & (st.placement_end <= model.steps)
    st.host[done] = NONE


def credit_intern_months(model) -> None:
    """Add this month's intern and research-student value to each partnership."""
    st, net = model.students, model.network
    for column in (st.host, st.research_host):
        rows = np.flatnonzero(st.alive & (column >= 0))
        if len(rows) == 0:
            continue
        pids = net.pair[st.university[rows], column[rows]]
        pids = pids[pids >= 0]
        counts = np.bincount(pids)
        for pid in np.flatnonzero(counts):
            net.all[pid].realised += model.p["intern_value"] * counts[pid]
