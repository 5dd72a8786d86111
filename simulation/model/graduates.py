"""Graduates after graduation: learning on the job, skill decay, cohort measurement, leaving.

Graduates are followed for ``tracking_months`` after graduation.  Each
quarter those in graduate-level jobs of their own field learn toward their
employer's demand and the others' skills decay toward the entry level; each
month they age by a month, long-term seekers count as unemployed, cohorts are
measured at 6 and 12 months (:func:`simulation.model.metrics.measure_cohort`), and
graduates followed long enough leave the model (their rows are recycled).
"""

from __future__ import annotations

import numpy as np

from simulation.model.agents.student import release
from simulation.model.metrics import measure_cohort
from simulation.model.skills import FIELDS, learn, put_rows
from simulation.model.student_table import EMPLOYED, SEEKING, SELF_EMPLOYED, UNEMPLOYED

GRADUATION_MONTH = 11  # month of the academic year in which final-year students graduate

def learn_after_graduation(model) -> None:
    """Graduates in graduate-level jobs of their field learn on the job; the others' skills decay.

    Decay moves skills toward the entry level ``initial_skill_mean`` by
    ``skill_depreciation`` a month (seekers, wider-market and out-of-field
    jobs); the self-employed keep their skills.  Both are slow, so they
    are applied once a quarter (months 2, 5, 8, 11) with the three-month
    compounded rate ``1 - (1 - r)^3``, for the status at that month.
    """
    if model.month % 3 != 2:
        return
    st, p = model.students, model.p
    rows = np.flatnonzero(st.alive & (st.months_since_grad >= 0) & (st.status != SELF_EMPLOYED))
    if len(rows) == 0:
        return
    employer = st.employer[rows]
    in_field = (st.status[rows] == EMPLOYED) & (employer >= 0)
    in_field &= model.firm_sector[np.maximum(employer, 0)] == st.field[rows]
    target = np.full((len(rows), st.skill_dims), p["initial_skill_mean"])
    at_job = np.flatnonzero(in_field)
    put_rows(target, at_job, np.take(model.firm_demand(), employer[at_job], axis=0))
    monthly = np.where(in_field, p["job_learning_rate"], p["skill_depreciation"])
    rate = 1.0 - (1.0 - monthly) ** 3
    st.set_skill_rows(rows, learn(st.skill_rows(rows), target, rate))


def follow(model) -> None:
    """Age graduates by a month, measure cohorts at 6 and 12 months, let old ones go."""
    st = model.students
    grads = st.alive & (st.months_since_grad >= 0)
    ageing = grads
    if model.month == GRADUATION_MONTH:  # this month's graduates start at 0
        ageing = grads & (st.cohort != model.year)
    st.months_since_grad += ageing  # one month more where True (a masked add, faster)
    long_out = (grads & (st.status == SEEKING)
                & (st.months_since_grad > model.p["unemployed_after_months"]))
    st.status[long_out] = UNEMPLOYED
    for months in (6, 12):
        rows = np.flatnonzero(grads & (st.months_since_grad == months))
        if len(rows):
            for cohort in np.unique(st.cohort[rows]):
                mine = rows[st.cohort[rows] == cohort]
                rec = measure_cohort(model, mine, months)
                rec.update(cohort=int(cohort), months=months, step=model.steps)
                model.cohort_records.append(rec)
                if months == 6:
                    record_programme_employment(model, mine)
    leaving = np.flatnonzero(grads & (st.months_since_grad > model.p["tracking_months"]))
    if len(leaving):
        release(model, leaving)
        model.startups.forget_founders(leaving)
        st.remove(leaving)


def record_programme_employment(model, rows: np.ndarray) -> None:
    """Keep each university's and programme's 6-month employment rate of a cohort."""
    st = model.students
    working = (st.status[rows] == EMPLOYED) | (st.status[rows] == SELF_EMPLOYED)
    n_f = len(FIELDS)
    key = st.university[rows] * n_f + st.field[rows]
    size = np.bincount(key, minlength=len(model.universities) * n_f)
    hits = np.bincount(key, weights=working, minlength=len(model.universities) * n_f)
    seen = size > 0
    flat = model.programme_employment.reshape(-1)
    flat[seen] = hits[seen] / size[seen]
    by_u = size.reshape(-1, n_f).sum(axis=1)
    hits_u = hits.reshape(-1, n_f).sum(axis=1)
    model.university_employment[by_u > 0] = hits_u[by_u > 0] / by_u[by_u > 0]
